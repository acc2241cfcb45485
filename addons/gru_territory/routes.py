# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"HTTP JSON endpoint of the routing service for external systems (IVR)."
from trytond.i18n import gettext
from trytond.protocols.wrappers import HTTPStatus, with_pool, with_transaction
from trytond.wsgi import app

from gru_base.api import (
    api_key_required, check_text, json_api, json_error, json_response,
    method_not_allowed)
from gru_base.exceptions import ApiInputError

ARGUMENTS = {'postal_code', 'insee_code', 'commune', 'date', 'language'}

app.route('/<database_name>/gru/route',
    methods={'POST', 'PUT', 'PATCH', 'DELETE'})(method_not_allowed({'GET'}))


@app.route('/<database_name>/gru/route', methods={'GET'})
@json_api
@with_pool
@with_transaction(context={'_check_access': False})
@api_key_required('route')
def route(request, pool, **kwargs):
    """Return the antenna serving a place as JSON.

    Arguments: postal_code, insee_code, commune (name), date (YYYY-MM-DD),
    language (fr or en, default fr or the Accept-Language header). Key:
    'X-API-Key' header. Errors are JSON: {"error": "..."} with a 4xx.
    """
    Routing = pool.get('gru.territory.routing')
    args = request.args
    unknown = set(args) - ARGUMENTS
    if unknown:
        return json_error(HTTPStatus.BAD_REQUEST,
            gettext('gru_territory.msg_route_unknown_argument',
                arguments=', '.join(sorted(unknown))),
            fields=sorted(unknown))
    name = check_text(args.to_dict())
    if name is not None:
        raise ApiInputError(
            gettext('gru_base.msg_api_text', field=name), field=name)
    # RoutingInputError (a UserError) is a 400 of api_key_required
    result = Routing.resolve(
        postal_code=args.get('postal_code'),
        insee_code=args.get('insee_code'),
        commune=args.get('commune'),
        date=args.get('date'))
    return json_response(result)

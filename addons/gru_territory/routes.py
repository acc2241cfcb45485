# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"HTTP JSON endpoint of the routing service for external systems (IVR)."
from trytond.protocols.wrappers import HTTPStatus, with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from gru_base.api import api_key_required, json_error, json_response

from .exceptions import RoutingInputError


@app.route('/<database_name>/gru/route', methods={'GET'})
@with_pool
@with_transaction(context={'_check_access': False})
@api_key_required('route')
def route(request, pool, **kwargs):
    """Return the antenna serving a place as JSON.

    Arguments: postal_code, insee_code, commune (name), date (YYYY-MM-DD),
    language (fr or en, default fr). Key: 'X-API-Key' header.
    """
    Routing = pool.get('gru.territory.routing')
    args = request.args
    unknown = set(args) - {
        'postal_code', 'insee_code', 'commune', 'date', 'language',
        'api_key'}
    if unknown:
        return json_error(HTTPStatus.BAD_REQUEST,
            "unknown argument(s): %s" % ', '.join(sorted(unknown)),
            fields=sorted(unknown))
    language = args.get('language', 'fr')
    with Transaction().set_context(language=language):
        try:
            result = Routing.resolve(
                postal_code=args.get('postal_code'),
                insee_code=args.get('insee_code'),
                commune=args.get('commune'),
                date=args.get('date'))
        except RoutingInputError as exception:
            return json_error(HTTPStatus.BAD_REQUEST, exception.message)
    return json_response(result)

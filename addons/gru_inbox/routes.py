# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Intake API: web forms and telephony create requests over HTTP."
import json

from trytond.protocols.wrappers import HTTPStatus, with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from gru_base.api import api_key_required, json_error, json_response

from .exceptions import IntakeError


@app.route('/<database_name>/gru/requests', methods={'POST'})
@with_pool
@with_transaction(context={'_check_access': False})
@api_key_required('intake')
def intake(request, pool, **kwargs):
    """Create a request from a JSON object.

    Fields: channel (web, phone, email, letter, counter, other; default
    web), received_at (ISO 8601), subject, body, name, email, phone,
    postal_code, scheme (code), motive (code), priority (0-3), client_key
    (idempotency key), origin_address.
    Answers 201 with the reference, 200 with the same reference when the
    client_key was already received, 400 naming the invalid field.
    """
    Request = pool.get('gru.inbox.request')
    Company = pool.get('company.company')
    try:
        data = json.loads(request.get_data(as_text=True) or 'null')
    except ValueError as exception:
        return json_error(HTTPStatus.BAD_REQUEST,
            "the body is not valid JSON: %s" % exception, field=None)
    language = request.args.get('language', 'fr')
    with Transaction().set_context(language=language):
        try:
            values, message = Request.validate_intake(data)
        except IntakeError as exception:
            return json_error(HTTPStatus.BAD_REQUEST, exception.message,
                field=exception.field)
    if values.get('client_key'):
        existing = Request.search([
                ('client_key', '=', values['client_key']),
                ], limit=1)
        if existing:
            return json_response(
                {'reference': existing[0].reference,
                    'state': existing[0].state, 'created': False},
                status=HTTPStatus.OK)
    companies = Company.search([], limit=1)
    if not companies:
        return json_error(HTTPStatus.SERVICE_UNAVAILABLE,
            "no company is configured")
    with Transaction().set_context(company=companies[0].id,
            language=language):
        created = Request.intake(values, message=message)
        return json_response({
                'reference': created.reference,
                'state': created.state,
                'antenna': created.antenna.code if created.antenna else None,
                'created': True,
                }, status=HTTPStatus.CREATED)

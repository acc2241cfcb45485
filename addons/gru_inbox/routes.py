# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Intake API: web forms and telephony create requests over HTTP."
import datetime as dt

from trytond import backend
from trytond.i18n import gettext
from trytond.model.exceptions import SQLConstraintError
from trytond.protocols.wrappers import HTTPStatus, with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from gru_base.api import (
    api_key_required, json_api, json_error, json_response, method_not_allowed,
    read_json)

from .exceptions import IntakeError

# the reception dates accepted: none before, none more than a day after
# now (the clocks and time zones of the senders may differ a little)
RECEIVED_AT_MIN = dt.datetime(1900, 1, 1)
RECEIVED_AT_AHEAD = dt.timedelta(days=1)

app.route('/<database_name>/gru/requests',
    methods={'GET', 'PUT', 'PATCH', 'DELETE'})(method_not_allowed({'POST'}))


@app.route('/<database_name>/gru/requests', methods={'POST'})
@json_api
@with_pool
@with_transaction(context={'_check_access': False})
@api_key_required('intake')
def intake(request, pool, **kwargs):
    """Create a request from a JSON object.

    Fields: channel (web, phone, email, letter, counter, other; default
    web), received_at (ISO 8601), subject, body, name, email, phone,
    postal_code, commune (INSEE code), scheme (code), motive (code),
    priority (0-3), client_key (idempotency key), origin_address.
    Answers 201 with the reference, 200 with the same reference when the
    client_key was already received (also when a concurrent call with the
    same key created it), a JSON 4xx naming the invalid field.
    """
    Request = pool.get('gru.inbox.request')
    Company = pool.get('company.company')
    data = read_json(request)
    try:
        check_received_at(data)
        values, message = Request.validate_intake(data)
    except IntakeError as exception:
        return json_error(HTTPStatus.BAD_REQUEST, exception.message,
            field=exception.field)
    client_key = values.get('client_key')
    if client_key:
        existing = received(Request, client_key)
        if existing:
            return existing
    companies = Company.search([], limit=1)
    if not companies:
        return json_error(HTTPStatus.SERVICE_UNAVAILABLE,
            gettext('gru_inbox.msg_intake_no_company'))
    try:
        with Transaction().set_context(company=companies[0].id):
            created = Request.intake(values, message=message)
    except (SQLConstraintError, backend.DatabaseIntegrityError):
        # a concurrent call with the same client key committed first: the
        # unique constraint refused this one, which answers as a retry
        if not client_key:
            raise
        transaction = Transaction()
        transaction.rollback()
        transaction.tasks.clear()
        existing = received(Request, client_key)
        if not existing:
            raise
        return existing
    return json_response({
            'reference': created.reference,
            'state': created.state,
            'antenna': created.antenna.code if created.antenna else None,
            'created': True,
            }, status=HTTPStatus.CREATED)


def received(Request, client_key):
    "Return the answer to a call whose client_key was already received"
    requests = Request.search([('client_key', '=', client_key)], limit=1)
    if requests:
        request, = requests
        return json_response({
                'reference': request.reference,
                'state': request.state,
                'antenna': request.antenna.code if request.antenna else None,
                'created': False,
                }, status=HTTPStatus.OK)


def check_received_at(data):
    """Raise IntakeError when the received_at of data is out of range or
    cannot be converted to UTC (validate_intake checks the rest)"""
    if not isinstance(data, dict) or not isinstance(
            data.get('received_at'), str):
        return
    value = data['received_at']
    try:
        received_at = dt.datetime.fromisoformat(value)
    except ValueError:
        return
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    try:
        if received_at.tzinfo:
            received_at = received_at.astimezone(dt.timezone.utc).replace(
                tzinfo=None)
        valid = RECEIVED_AT_MIN <= received_at <= now + RECEIVED_AT_AHEAD
    except OverflowError:
        valid = False
    if not valid:
        raise IntakeError(gettext('gru_inbox.msg_intake_received_at_range',
                value=value, start=RECEIVED_AT_MIN.date().isoformat(),
                end=(now + RECEIVED_AT_AHEAD).date().isoformat()),
            field='received_at')

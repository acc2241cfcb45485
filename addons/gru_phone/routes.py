# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""HTTP JSON endpoints of the toll-free line: the IVR decision and the CTI
events."""
from trytond import backend
from trytond.i18n import gettext
from trytond.model.exceptions import SQLConstraintError
from trytond.protocols.wrappers import HTTPStatus, with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from gru_base.api import (
    api_key_required, check_text, json_api, json_error, json_response,
    method_not_allowed, read_json)
from gru_base.exceptions import ApiInputError

from .exceptions import CallInputError

DECISION_ARGUMENTS = {'call_id', 'caller', 'called', 'postal_code',
    'commune', 'time', 'language'}
# the largest batch of events of one POST
MAX_EVENTS = 5000

app.route('/<database_name>/gru/phone/decision',
    methods={'POST', 'PUT', 'PATCH', 'DELETE'})(method_not_allowed({'GET'}))
app.route('/<database_name>/gru/phone/events',
    methods={'GET', 'PUT', 'PATCH', 'DELETE'})(method_not_allowed({'POST'}))


def _retry_once(func):
    """Run func again once when a concurrent call committed the same call
    or event first (a unique constraint refused this one)"""
    try:
        return func()
    except (SQLConstraintError, backend.DatabaseIntegrityError):
        transaction = Transaction()
        transaction.rollback()
        transaction.tasks.clear()
        return func()


@app.route('/<database_name>/gru/phone/decision', methods={'GET'})
@json_api
@with_pool
# a GET that writes (the call, its targets, a callback): trytond opens a
# GET in a read-only transaction, which PostgreSQL enforces (SQLite not)
@with_transaction(readonly=False, context={'_check_access': False})
@api_key_required('phone')
def decision(request, pool, **kwargs):
    """Return the targets of a call as JSON (see doc/usage.rst).

    Arguments: call_id (required), caller, called, postal_code, commune
    (name), time (ISO 8601 or epoch seconds; default now), language.
    Key: 'X-API-Key' header with the scope phone."""
    Call = pool.get('gru.phone.call')
    args = request.args
    unknown = set(args) - DECISION_ARGUMENTS
    if unknown:
        return json_error(HTTPStatus.BAD_REQUEST,
            gettext('gru_phone.msg_decision_unknown_argument',
                arguments=', '.join(sorted(unknown))),
            fields=sorted(unknown))
    name = check_text(args.to_dict())
    if name is not None:
        raise ApiInputError(
            gettext('gru_base.msg_api_text', field=name), field=name)
    if not args.get('call_id'):
        return json_error(HTTPStatus.BAD_REQUEST,
            gettext('gru_phone.msg_invalid_call_id'), field='call_id')
    try:
        result = _retry_once(lambda: Call.decide(args['call_id'],
                caller=args.get('caller'), called=args.get('called'),
                postal_code=args.get('postal_code'),
                commune=args.get('commune'), at=args.get('time')))
    except CallInputError as exception:
        return json_error(HTTPStatus.BAD_REQUEST, exception.message,
            field=exception.field)
    return json_response(result)


@app.route('/<database_name>/gru/phone/events', methods={'POST'})
@json_api
@with_pool
@with_transaction(readonly=False, context={'_check_access': False})
@api_key_required('phone')
def events(request, pool, **kwargs):
    """Record CTI events: one event object or {"events": [...]}.

    Answers {"accepted", "duplicates", "rejected": [{"index", "error"}]}:
    200 when at least one event is accepted or a duplicate, 400 when all
    are rejected."""
    Call = pool.get('gru.phone.call')
    data = read_json(request)
    if isinstance(data, dict) and 'events' in data:
        if set(data) != {'events'} or not isinstance(data['events'], list):
            return json_error(HTTPStatus.BAD_REQUEST,
                gettext('gru_phone.msg_events_not_list'), field='events')
        items = data['events']
    elif isinstance(data, dict):
        items = [data]
    else:
        return json_error(HTTPStatus.BAD_REQUEST,
            gettext('gru_phone.msg_events_not_list'), field='events')
    if not items:
        return json_error(HTTPStatus.BAD_REQUEST,
            gettext('gru_phone.msg_events_empty'), field='events')
    if len(items) > MAX_EVENTS:
        return json_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            gettext('gru_phone.msg_events_too_many', maximum=MAX_EVENTS),
            field='events')
    result = _retry_once(lambda: Call.ingest_events(items))
    status = HTTPStatus.OK
    if result['rejected'] and not (
            result['accepted'] or result['duplicates']):
        status = HTTPStatus.BAD_REQUEST
        result['error'] = result['rejected'][0]['error']
    return json_response(result, status=status)

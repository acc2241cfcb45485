# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Intake API: web forms and telephony create requests over HTTP."
import datetime as dt

from trytond import backend
from trytond.i18n import gettext
from trytond.model.exceptions import SQLConstraintError
from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus, with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from gru_base.api import (
    api_key_required, json_api, json_error, json_response, method_not_allowed,
    read_json)
from gru_contact.tools import normalize_email, normalize_phone
from gru_territory.tools import normalize_insee_code, normalize_postal_code

from .exceptions import IntakeError
from .inbox import PRIORITIES

# the fields of the JSON object of the intake
FIELDS = {'channel', 'received_at', 'subject', 'body', 'name', 'email',
    'phone', 'postal_code', 'commune', 'scheme', 'motive', 'priority',
    'client_key', 'origin_address'}
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

    Fields (parse_intake): channel (a channel of the request: web, other
    and those of the channel modules installed; default web), received_at
    (ISO 8601), subject, body, name, email, phone, postal_code, commune
    (INSEE code), scheme (code), motive (code), priority (0-3), client_key
    (idempotency key), origin_address.
    Answers 201 with the reference, 200 with the same reference when the
    client_key was already received (also when a concurrent call with the
    same key created it), a JSON 4xx naming the invalid field.
    """
    Request = pool.get('gru.inbox.request')
    Company = pool.get('company.company')
    data = read_json(request)
    try:
        values, message = parse_intake(data)
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


def parse_intake(data):
    """Check the JSON data of the intake API and return the values of the
    request and its first message for Request.intake (raise IntakeError
    naming the field)"""
    pool = Pool()
    Request = pool.get('gru.inbox.request')
    Scheme = pool.get('gru.scheme')
    Motive = pool.get('gru.inbox.motive')
    Commune = pool.get('gru.commune')

    def invalid(field, value=None):
        value = data[field] if value is None else value
        return IntakeError(gettext('gru_inbox.msg_intake_invalid',
                field=field, value=value), field=field)

    if not isinstance(data, dict):
        raise IntakeError(gettext('gru_inbox.msg_intake_not_object'))
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise IntakeError(gettext('gru_inbox.msg_intake_unknown_field',
                field=unknown[0]), field=unknown[0])
    for name in sorted(FIELDS):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise IntakeError(gettext('gru_inbox.msg_intake_not_string',
                    field=name), field=name)
    channel = data.get('channel') or 'web'
    if channel not in dict(Request.channels()):
        raise invalid('channel', channel)
    values = {'channel': channel}
    if data.get('received_at'):
        values['received_at'] = parse_received_at(data['received_at'])
    if not (data.get('subject') or data.get('body')):
        raise IntakeError(gettext('gru_inbox.msg_intake_required',
                field='body'), field='body')
    if not (data.get('email') or data.get('phone') or data.get('name')):
        raise IntakeError(gettext('gru_inbox.msg_intake_required',
                field='email'), field='email')
    if data.get('email'):
        if not normalize_email(data['email']):
            raise invalid('email')
        values['contact_email'] = data['email'].strip()
    if data.get('phone'):
        if not normalize_phone(data['phone']):
            raise invalid('phone')
        values['contact_phone'] = data['phone'].strip()
    if data.get('postal_code'):
        code = normalize_postal_code(data['postal_code'])
        if not code:
            raise invalid('postal_code')
        values['contact_postal_code'] = code
    if data.get('commune'):
        # the INSEE code: it decides a postal code shared by communes of
        # several antennas
        code = normalize_insee_code(data['commune'])
        communes = Commune.search(
            [('insee_code', '=', code)], limit=1) if code else []
        if not communes:
            raise invalid('commune', data['commune'][:20])
        values['contact_commune'] = communes[0]
    if data.get('name'):
        values['contact_name'] = data['name'].strip()[:200]
    if data.get('subject'):
        values['subject'] = data['subject'].strip()[:200]
    if data.get('scheme'):
        schemes = Scheme.search([('code', '=', data['scheme'])], limit=1)
        if not schemes:
            raise invalid('scheme')
        values['scheme'] = schemes[0]
    if data.get('motive'):
        motives = Motive.search([('code', '=', data['motive'])], limit=1)
        if not motives:
            raise invalid('motive')
        values['motive'] = motives[0]
    if data.get('priority'):
        if data['priority'] not in dict(PRIORITIES):
            raise invalid('priority')
        values['priority'] = data['priority']
    if data.get('client_key'):
        if len(data['client_key']) > 100:
            raise invalid('client_key', data['client_key'][:20])
        values['client_key'] = data['client_key']
    if data.get('origin_address'):
        values['origin_address'] = data['origin_address'][:200]
    message = None
    if data.get('body'):
        message = {
            'body': data['body'],
            'subject': values.get('subject'),
            'from_address': values.get('contact_email')
            or values.get('contact_phone'),
            'date': values.get('received_at') or dt.datetime.now(),
            }
    return values, message


def parse_received_at(value):
    """Return the naive UTC datetime of value, an ISO 8601 string, or raise
    IntakeError when it is malformed or out of the accepted range"""
    try:
        received_at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise IntakeError(gettext('gru_inbox.msg_intake_invalid',
                field='received_at', value=value), field='received_at')
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    end = now + RECEIVED_AT_AHEAD
    out_of_range = IntakeError(
        gettext('gru_inbox.msg_intake_received_at_range',
            value=value, start=RECEIVED_AT_MIN.date().isoformat(),
            end=end.date().isoformat()),
        field='received_at')
    offset = received_at.utcoffset()
    if offset is not None:
        # an offset is less than a day: the local time is checked first,
        # so that a date near the limits of datetime (year 1 or 9999)
        # never overflows when converted to UTC
        local = received_at.replace(tzinfo=None)
        margin = dt.timedelta(days=1)
        if not RECEIVED_AT_MIN - margin <= local <= end + margin:
            raise out_of_range
        received_at = local - offset
    if not RECEIVED_AT_MIN <= received_at <= end:
        raise out_of_range
    return received_at

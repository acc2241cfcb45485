# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Calls of the toll-free line: the IVR decision, the CTI events and the
agents' presence."""
import datetime as dt
import hashlib
import math
import re
import uuid

from sql import Column, Literal, Null
from sql.functions import CurrentTimestamp

from trytond.bus import notify
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSingleton, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from gru_base.model import ExportAccessMixin, check_targets
from gru_contact.tools import normalize_phone
from gru_inbox.inbox import OPEN_STATES
from gru_sla.exceptions import CalendarError
from gru_territory.exceptions import RoutingInputError
from gru_territory.tools import normalize_postal_code

from .decision import DecisionTable, furthest_under, plan_targets
from .exceptions import CallError, CallInputError

EVENTS = ['started', 'offered', 'ringing', 'answered', 'transferred',
    'missed', 'ended', 'failed']
# the order of events of the same instant
EVENT_RANK = {e: i for i, e in enumerate(EVENTS)}
EVENT_KINDS = [(e, e.title()) for e in EVENTS]
STEPS = [
    ('antenna', "Antenna"),
    ('sibling', "Antenna Sharing the Manager"),
    ('overflow', "Regional Overflow Team"),
    ('central', "Central Service"),
    ('callback', "Callback"),
    ]
OUTCOMES = [
    (None, ""),
    ('answered', "Answered"),
    ('missed', "Missed"),
    ('abandoned', "Abandoned"),
    ('overflowed', "Overflowed"),
    ('callback', "Callback"),
    ('out_of_hours', "Out of Hours"),
    ]
STATES = [
    ('ivr', "In the IVR"),
    ('ringing', "Ringing"),
    ('answered', "Answered"),
    ('ended', "Ended"),
    ]
# the SIP status of a caller who hung up before an answer
CANCELLED_CODES = {487}
MAX_ID = 200
_SIP_USER = re.compile(r'(?:sips?|tel):([^@;>?]+)', re.IGNORECASE)


def parse_number(value):
    """Return the E.164 number of a SIP URI, a tel URI or a number, else
    the user part as given (a SIP account): None when empty.

    >>> parse_number('sip:0612345678@127.0.0.1')
    '+33612345678'
    >>> parse_number('"Jeanne" <sip:+33 6 12 34 56 78@gw>')
    '+33612345678'
    >>> parse_number('sip:ivr-operator@127.0.0.1')
    'ivr-operator'
    """
    if value is None:
        return None
    text = str(value).strip()
    match = _SIP_USER.search(text)
    if match:
        text = match.group(1)
    text = text.strip()
    if not text:
        return None
    return normalize_phone(text) or text[:64]


def parse_time(value, field='time'):
    """Return the naive UTC datetime of value: epoch seconds, an ISO 8601
    text (with an offset, else UTC) or a datetime; None stays None"""
    if value is None or value == '':
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, bool):
        raise CallInputError(gettext('gru_phone.msg_invalid_time',
                field=field, value=str(value)), field=field)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                raise CallInputError(gettext('gru_phone.msg_invalid_time',
                        field=field, value=text[:40]), field=field)
            if moment.tzinfo:
                moment = moment.astimezone(dt.timezone.utc).replace(
                    tzinfo=None)
            return moment
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or not 0 <= value < 32503680000:
            raise CallInputError(gettext('gru_phone.msg_invalid_time',
                    field=field, value=str(value)[:40]), field=field)
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).replace(
            tzinfo=None)
    raise CallInputError(gettext('gru_phone.msg_invalid_time',
            field=field, value=str(value)[:40]), field=field)


def check_call_id(value):
    if not isinstance(value, str) or not value.strip() \
            or len(value) > MAX_ID:
        raise CallInputError(gettext('gru_phone.msg_invalid_call_id'),
            field='call_id')
    return value.strip()


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Phone Configuration"
    __string__ = "Phone Configuration"
    __name__ = 'gru.phone.configuration'

    overflow_team = fields.Many2One('gru.inbox.team',
        "Regional Overflow Team",
        help="The team whose present members take the calls no antenna "
        "can answer, before the central service.")
    central_antenna = fields.Many2One('gru.antenna', "Central Service",
        help="The last target of every call; empty: the fallback service "
        "of the territory routing.")

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        Pool().get('gru.phone.call').clear_cache()


class Call(ExportAccessMixin, ModelSQL, ModelView):
    "Call"
    __string__ = "Call"
    __name__ = 'gru.phone.call'
    _rec_name = 'call_id'

    _decision_cache = Cache('gru.phone.call.decision', context=False,
        duration=300)

    call_id = fields.Char("Call ID", required=True, readonly=True,
        help="The identifier of the call given by the telephony (SIP "
        "Call-ID).")
    caller = fields.Char("Caller", readonly=True,
        help="The number of the caller (E.164 when it is a number).")
    called = fields.Char("Called Number", readonly=True)
    postal_code = fields.Char("IVR Postal Code", size=5, readonly=True,
        help="The postal code the caller typed in the IVR.")
    commune = fields.Char("IVR Commune", readonly=True)
    routed_antenna = fields.Many2One('gru.antenna', "Routed Antenna",
        readonly=True, ondelete='RESTRICT',
        help="The antenna the territory routing chose for the call.")
    routing_explanation = fields.Char("Routing", readonly=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", readonly=True,
        ondelete='RESTRICT',
        help="The antenna that took the call: the routed one, or the one "
        "that answered instead.")
    team = fields.Many2One('gru.inbox.team', "Team", readonly=True,
        ondelete='SET NULL',
        help="The overflow team when it took the call.")
    decided_at = fields.DateTime("Decided At", readonly=True)
    explanation = fields.Text("Decision", readonly=True)
    steps = fields.One2Many('gru.phone.call.step', 'call', "Targets",
        readonly=True)
    events = fields.One2Many('gru.phone.call.event', 'call', "Events",
        readonly=True)
    agent = fields.Many2One('res.user', "Agent", readonly=True,
        ondelete='SET NULL')
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    started_at = fields.DateTime("Started At", readonly=True)
    ring_at = fields.DateTime("Ringing At", readonly=True)
    answer_at = fields.DateTime("Answered At", readonly=True)
    end_at = fields.DateTime("Ended At", readonly=True)
    answered_target = fields.Char("Answered Target", readonly=True)
    end_code = fields.Integer("SIP Status", readonly=True)
    waiting_time = fields.TimeDelta("Waiting Time", readonly=True)
    talk_time = fields.TimeDelta("Talk Time", readonly=True)
    outcome = fields.Selection(OUTCOMES, "Outcome", readonly=True)
    party = fields.Many2One('party.party', "Usager", ondelete='SET NULL',
        states={'readonly': Bool(Eval('request'))},
        help="The usager matched by the caller's number, or chosen by "
        "the agent.")
    match_explanation = fields.Char("Matching", readonly=True)
    request = fields.Many2One('gru.inbox.request', "Request",
        readonly=True, ondelete='SET NULL',
        help="The request the call created (callback, qualification) or "
        "continued.")
    note = fields.Text("Note",
        states={'readonly': Bool(Eval('note_saved'))},
        help="What the caller said; it cannot be changed once saved.")
    note_saved = fields.Function(fields.Boolean("Note Saved"),
        'get_note_saved')
    open_requests = fields.Function(fields.Many2Many(
            'gru.inbox.request', None, None, "Open Requests of the Usager"),
        'get_open_requests')
    callback_due = fields.Function(fields.DateTime("Callback Due"),
        'get_callback_due')
    mine = fields.Function(fields.Boolean("Mine"), 'get_mine',
        searcher='search_mine')
    anonymized = fields.Boolean("Anonymised", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('call_id_unique', Unique(t, t.call_id),
                'gru_phone.msg_call_id_unique'),
            ]
        cls._sql_indexes.update({
                # the current call of an agent (mine, My Current Call)
                Index(t, (t.agent, Index.Equality()),
                    (t.state, Index.Equality())),
                # the share: calls of a period by antenna
                Index(t, (t.started_at, Index.Range()),
                    include=[t.antenna, t.outcome]),
                Index(t, (t.party, Index.Equality())),
                })
        cls._order = [('started_at', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._buttons.update({
                'qualify': {
                    'invisible': Bool(Eval('request'))
                    & ~Eval('outcome').in_(['callback', 'out_of_hours',
                            'missed', 'abandoned']),
                    'icon': 'tryton-ok',
                    'depends': ['request', 'outcome'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'ivr'

    @classmethod
    def default_anonymized(cls):
        return False

    def get_rec_name(self, name):
        moment = self.started_at or self.decided_at
        return ' '.join(filter(None, [
                    moment.strftime('%Y-%m-%d %H:%M') if moment else None,
                    self.caller or self.call_id]))

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('call_id', operator, value),
            ('caller', operator, value),
            ]

    def get_note_saved(self, name):
        # read from the database: the note as saved
        return bool(self.note)

    @classmethod
    def get_open_requests(cls, calls, name):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        result = {c.id: [] for c in calls}
        parties = {c.party.id for c in calls if c.party}
        if not parties:
            return result
        by_party = {}
        for request in Request.search([
                    ('party', 'in', list(parties)),
                    ('state', 'in', OPEN_STATES),
                    ], order=[('received_at', 'DESC')]):
            by_party.setdefault(request.party.id, []).append(request.id)
        for call in calls:
            if call.party:
                result[call.id] = by_party.get(call.party.id, [])
        return result

    def get_callback_due(self, name):
        if self.request and self.outcome in {
                'callback', 'out_of_hours', 'missed', 'abandoned'}:
            return self.request.first_response_due

    def get_mine(self, name):
        return bool(self.agent and self.agent.id == Transaction().user)

    @classmethod
    def search_mine(cls, name, clause):
        _, operator, value = clause[:3]
        user = Transaction().user
        if (operator == '=') == bool(value):
            return [('agent', '=', user)]
        return ['OR', ('agent', '!=', user), ('agent', '=', None)]

    @classmethod
    def check_modification(cls, mode, calls, values=None, external=False):
        super().check_modification(
            mode, calls, values=values, external=external)
        if external and mode in {'create', 'write'}:
            # a usager is seen through his calls: linking one's call to
            # another antenna's usager would reveal him
            check_targets(calls, ['party', 'request'], values)
        if mode == 'write' and values and 'note' in values:
            for call in calls:
                if call.note and values['note'] != call.note:
                    raise CallError(gettext(
                            'gru_phone.msg_call_note_readonly',
                            call=call.rec_name))
        if mode == 'delete' and external:
            for call in calls:
                if call.note or call.request:
                    raise CallError(gettext(
                            'gru_phone.msg_call_delete',
                            call=call.rec_name))

    @classmethod
    def copy(cls, calls, default=None):
        default = default.copy() if default is not None else {}
        # a copy is another call: its events stay with the original
        default.setdefault('call_id',
            lambda data: '%s/copy-%s' % (data['call_id'], uuid.uuid4().hex))
        default.setdefault('events', None)
        default.setdefault('request', None)
        return super().copy(calls, default=default)

    @classmethod
    def find_call(cls, call_id):
        "Return the call of call_id, a new one (not saved) when unknown"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id,
                where=table.call_id == call_id, limit=1))
        row = cursor.fetchone()
        return cls(row[0]) if row else cls.new_call(call_id)

    @classmethod
    def new_call(cls, call_id):
        "Return a new call (not saved) with every field of the events set"
        values = {name: None for name in [
                'caller', 'called', 'postal_code', 'commune',
                'routed_antenna', 'routing_explanation', 'antenna', 'team',
                'decided_at', 'explanation', 'agent', 'started_at',
                'ring_at', 'answer_at', 'end_at', 'answered_target',
                'end_code', 'waiting_time', 'talk_time', 'outcome', 'party',
                'match_explanation', 'request', 'note']}
        return cls(call_id=call_id, state='ivr', steps=[],
            anonymized=False, **values)

    @classmethod
    def _gdpr_erased_columns(cls):
        "The columns of what identifies the caller"
        return ['caller', 'postal_code', 'commune', 'party',
            'match_explanation', 'routing_explanation', 'explanation',
            'note', 'anonymized']

    @classmethod
    def _gdpr_erased_values(cls):
        return [None] * 8 + [True]

    @classmethod
    @ModelView.button_action('gru_phone.wizard_call_qualify')
    def qualify(cls, calls):
        pass

    # The decision

    @classmethod
    def clear_cache(cls):
        cls._decision_cache.clear()

    @classmethod
    def decision_table(cls):
        "Return the cached DecisionTable"
        table = cls._decision_cache.get('table')
        if table is None:
            table = cls._build_decision_table()
            table = cls._decision_cache.set('table', table)
        return table

    @classmethod
    def _build_decision_table(cls):
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        Calendar = pool.get('gru.sla.calendar')
        Configuration = pool.get('gru.phone.configuration')
        InboxConfiguration = pool.get('gru.inbox.configuration')
        TerritoryConfiguration = pool.get('gru.territory.configuration')
        table = DecisionTable()
        antenna = Antenna.__table__()
        cursor = Transaction().connection.cursor()
        # the antennas planned or closed are no target, but their calls
        # go to the antennas sharing their manager
        cursor.execute(*antenna.select(antenna.id, antenna.code,
                antenna.name, antenna.calendar, antenna.manager_shared_with,
                antenna.state,
                where=(antenna.active == Literal(True))))
        shared = []
        for id_, code, name, calendar, shared_with, state in cursor:
            table.antennas[id_] = {'id': id_, 'code': code, 'name': name,
                'open': state == 'open'}
            if calendar:
                table.calendar_of[id_] = calendar
            if shared_with:
                shared.append((id_, shared_with))
        for one, other in shared:
            table.siblings.setdefault(one, set()).add(other)
            table.siblings.setdefault(other, set()).add(one)
        config = Configuration(1)
        inbox_config = InboxConfiguration(1)
        if inbox_config.sla_calendar:
            table.default_calendar = inbox_config.sla_calendar.id
        team = config.overflow_team
        if team and team.active:
            table.overflow_team = team.id
            table.overflow_name = team.name
            if team.antenna and team.antenna.calendar:
                table.overflow_calendar = team.antenna.calendar.id
        central = config.central_antenna \
            or TerritoryConfiguration(1).fallback_antenna
        table.central = central.id if central else None
        calendar_ids = set(table.calendar_of.values()) | {
            table.default_calendar, table.overflow_calendar}
        calendar_ids.discard(None)
        for calendar in Calendar.browse(sorted(calendar_ids)):
            if calendar.hours:
                try:
                    table.schedules[calendar.id] = calendar.schedule()
                except CalendarError:
                    pass
        return table

    @classmethod
    def read_presence(cls, table):
        """Return ({antenna id: [sip users]}, [sip users of the overflow
        team]) of the agents available, the longest available first (one
        query)"""
        pool = Pool()
        User = pool.get('res.user')
        UserAntenna = pool.get('res.user-gru.antenna')
        TeamMember = pool.get('gru.inbox.team-res.user')
        user = User.__table__()
        user_antenna = UserAntenna.__table__()
        member = TeamMember.__table__()
        cursor = Transaction().connection.cursor()
        team = table.overflow_team or -1
        cursor.execute(*user.join(user_antenna, 'LEFT',
                condition=user_antenna.user == user.id
                ).join(member, 'LEFT',
                condition=(member.user == user.id) & (member.team == team)
                ).select(user.sip_user, user_antenna.antenna, member.team,
                where=(user.active == Literal(True))
                & (user.sip_user != Null)
                & (user.phone_presence == 'available'),
                order_by=[user.phone_presence_at.asc, user.id.asc]))
        present, team_present = {}, []
        for sip_user, antenna_id, team_id in cursor:
            if antenna_id is not None:
                users = present.setdefault(antenna_id, [])
                if sip_user not in users:
                    users.append(sip_user)
            if team_id is not None and sip_user not in team_present:
                team_present.append(sip_user)
        return present, team_present

    @classmethod
    def decide(cls, call_id, caller=None, called=None, postal_code=None,
            commune=None, at=None):
        """Return the decision of the IVR for a call (see doc/usage.rst):
        a dict with call_id, status ('route' or 'callback'), antenna (the
        routed one), explanation, targets, sip_targets and callback.
        The decision is recorded on the call (created when unknown); a
        callback is created through the intake once per call."""
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        call_id = check_call_id(call_id)
        if commune is not None and (not isinstance(commune, str)
                or len(commune) > 100):
            raise CallInputError(gettext('gru_phone.msg_invalid_commune'),
                field='commune')
        at = parse_time(at, 'time') or dt.datetime.now()
        call = cls.find_call(call_id)
        if call.id is not None and call.request and call.outcome in {
                'callback', 'out_of_hours'}:
            # the same callback for a second decision of the call
            return call.decision_answer()
        table = cls.decision_table()
        if caller and not call.caller:
            call.caller = parse_number(caller)
        if called and not call.called:
            call.called = parse_number(called)
        if postal_code:
            call.postal_code = normalize_postal_code(postal_code) \
                or call.postal_code
        if commune:
            call.commune = commune.strip()[:100]
        if call.id is None:
            call.started_at = at
            cls.match_parties([call])
        routed, explanation = cls.route_call(call, postal_code, at, table)
        call.routed_antenna = Antenna(routed) if routed else None
        call.antenna = call.routed_antenna
        call.routing_explanation = explanation[:250] if explanation else None
        present, team_present = cls.read_presence(table)
        targets, routed_open = plan_targets(
            table, routed, at, present, team_present)
        call.decided_at = at
        steps = [{
                'sequence': i, 'kind': t['step'], 'antenna': t['antenna'],
                'code': t['code'], 'name': t['name'],
                'agents': ' '.join(t['users']),
                } for i, t in enumerate(targets, 1)]
        if targets:
            call.explanation = gettext('gru_phone.msg_decision_route',
                routing=explanation or '',
                targets=', '.join(t['code'] for t in targets))
        else:
            call.outcome = 'callback' if routed_open else 'out_of_hours'
            call.explanation = gettext(
                'gru_phone.msg_decision_callback' if routed_open
                else 'gru_phone.msg_decision_out_of_hours',
                routing=explanation or '')
            steps.append({
                    'sequence': 1, 'kind': 'callback', 'antenna': routed,
                    'code': table.antennas.get(routed, {}).get('code'),
                    'name': table.antennas.get(routed, {}).get('name'),
                    'agents': '',
                    })
        CallStep = pool.get('gru.phone.call.step')
        if targets:
            # the frequent case, on the path of every call: plain SQL
            cls._write_decision(call, steps)
            return call.decision_answer(targets,
                antenna=table.antennas.get(routed))
        if call.id is not None and call.steps:
            CallStep.delete(list(call.steps))
        call.save()
        call.steps = CallStep.create(
            [dict(s, call=call.id) for s in steps])
        cls.create_callbacks([call])
        return call.decision_answer(targets)

    @classmethod
    def _write_decision(cls, call, steps):
        """Insert or update the call and replace its steps by SQL: the
        ORM's validation of a record costs more than the whole decision
        (the values are built here from checked input)"""
        pool = Pool()
        CallStep = pool.get('gru.phone.call.step')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        step = CallStep.__table__()

        def id_of(value):
            return getattr(value, 'id', value)
        values = {
            'caller': call.caller, 'called': call.called,
            'postal_code': call.postal_code, 'commune': call.commune,
            'routed_antenna': id_of(call.routed_antenna),
            'antenna': id_of(call.antenna),
            'routing_explanation': call.routing_explanation,
            'decided_at': call.decided_at, 'explanation': call.explanation,
            'party': id_of(call.party),
            'match_explanation': call.match_explanation,
            }
        user = transaction.user
        if call.id is None:
            values.update({'call_id': call.call_id, 'state': call.state,
                    'started_at': call.started_at, 'anonymized': False,
                    'create_uid': user, 'create_date': CurrentTimestamp()})
            call_db_id = cls._sql_insert(table, values)
        else:
            call_db_id = call.id
            values.update({'write_uid': user,
                    'write_date': CurrentTimestamp()})
            cursor.execute(*table.update(
                    [Column(table, n) for n in values],
                    list(values.values()), where=table.id == call_db_id))
            cursor.execute(*step.delete(where=step.call == call_db_id))
            for cache in transaction.cache.values():
                cache.get(cls.__name__, {}).pop(call_db_id, None)
        if steps:
            # one statement for the targets
            names = ['sequence', 'kind', 'antenna', 'code', 'name', 'agents']
            cursor.execute(*step.insert(
                    [Column(step, n) for n in names]
                    + [step.call, step.create_uid, step.create_date],
                    [[v[n] for n in names]
                        + [call_db_id, user, CurrentTimestamp()]
                        for v in steps]))
        transaction.counter += 1

    @staticmethod
    def _sql_insert(table, values):
        "Insert a row of values (column: value), return its id"
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        columns = [Column(table, n) for n in values]
        if transaction.database.has_returning():
            cursor.execute(*table.insert(columns, [list(values.values())],
                    returning=[table.id]))
            return cursor.fetchone()[0]
        cursor.execute(*table.insert(columns, [list(values.values())]))
        return transaction.database.lastid(cursor)

    @classmethod
    def route_call(cls, call, postal_code, at, table):
        """Return (antenna id, explanation) of the territory routing of the
        call: its postal code and commune, else the usager's antenna, else
        the central service; an ambiguous postal code goes to the candidate
        antenna furthest under its share"""
        pool = Pool()
        Routing = pool.get('gru.territory.routing')
        Share = pool.get('gru.phone.share')
        code = call.postal_code or (postal_code or None)
        commune = call.commune
        if code or commune:
            try:
                result = Routing.resolve(postal_code=code,
                    commune=commune, date=at.date())
            except RoutingInputError as exception:
                return table.central, gettext(
                    'gru_phone.msg_routing_central_error',
                    error=exception.message)
            antenna = result['antenna']['id'] if result['antenna'] \
                else None
            explanation = result['explanation']
            if result['status'] == 'ambiguous':
                by_code = {a['code']: a['id']
                    for a in table.antennas.values()}
                candidates = sorted({by_code[c['antenna']]
                        for c in result['candidates']
                        if c['antenna'] in by_code})
                gaps = Share.gaps(candidates, at)
                chosen = furthest_under(candidates, gaps, antenna)
                if chosen != antenna:
                    explanation = gettext(
                        'gru_phone.msg_routing_share_tie',
                        routing=explanation,
                        antenna=table.antennas[chosen]['name'])
                antenna = chosen
            if result['fallback'] or antenna is None:
                return table.central, explanation
            return antenna, explanation
        if call.party and getattr(call.party, 'antenna', None):
            return call.party.antenna.id, gettext(
                'gru_phone.msg_routing_usager',
                antenna=call.party.antenna.rec_name)
        return table.central, gettext('gru_phone.msg_routing_no_place')

    def decision_answer(self, targets=None, antenna=None):
        """Return the JSON answer of the decision recorded on the call;
        antenna: the routed antenna as a dict {'code', 'name'} when known
        (the decision table), else read from the call"""
        if targets is None:
            targets = [{
                    'step': s.kind, 'code': s.code, 'name': s.name,
                    'users': (s.agents or '').split(),
                    } for s in sorted(self.steps, key=lambda s: s.sequence)
                if s.kind != 'callback']
        if antenna is None and self.routed_antenna:
            antenna = {'code': self.routed_antenna.code,
                'name': self.routed_antenna.name}
        callback = None
        if self.request and self.outcome in {'callback', 'out_of_hours'}:
            due = self.request.first_response_due
            callback = {
                'request': self.request.reference,
                'due': due.replace(tzinfo=dt.timezone.utc).isoformat()
                if due else None,
                }
        return {
            'call_id': self.call_id,
            'status': 'route' if targets else 'callback',
            'antenna': {'code': antenna['code'], 'name': antenna['name']}
            if antenna else None,
            'explanation': self.explanation or '',
            'targets': [{
                    'step': t['step'], 'code': t['code'], 'name': t['name'],
                    'users': list(t['users']),
                    } for t in targets],
            'sip_targets': [{
                    'target': t['code'], 'step': t['step'], 'user': u,
                    } for t in targets for u in t['users']],
            'callback': callback,
            'outcome': self.outcome,
            }

    @classmethod
    def match_parties(cls, calls):
        """Set the usager of the calls without one from the caller's number
        through the one matching policy (gru.contact.matching)"""
        pool = Pool()
        Matching = pool.get('gru.contact.matching')
        Party = pool.get('party.party')
        numbers = {c.caller for c in calls
            if c.caller and not getattr(c, 'party', None)}
        known = Matching.known_keys(phones=numbers) if numbers else set()
        for call in calls:
            if getattr(call, 'party', None) or not call.caller:
                continue
            if normalize_phone(call.caller) not in known:
                continue
            decision = Matching.resolve(phone=call.caller, limit=5)
            call.match_explanation = decision['explanation'][:250]
            if decision['decision'] == 'assign':
                call.party = Party(decision['party'])

    @classmethod
    def create_callbacks(cls, calls):
        """Create through the intake the callback requests of calls without
        a request (once per call: the client key is the call id)"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Company = pool.get('company.company')
        calls = [c for c in calls if not c.request]
        if not calls:
            return []
        keys = {c.id: cls._callback_key(c) for c in calls}
        existing = {r.client_key: r for sub in grouped_slice(
                list(keys.values())) for r in Request.search([
                    ('client_key', 'in', list(sub))])}
        items, todo = [], []
        for call in calls:
            if keys[call.id] in existing:
                call.request = existing[keys[call.id]]
                continue
            moment = call.started_at or call.decided_at or call.end_at \
                or dt.datetime.now()
            caller = call.caller if call.caller and normalize_phone(
                call.caller) else None
            reason = dict(cls.fields_get(['outcome'])['outcome'][
                    'selection']).get(call.outcome) or ''
            items.append(({
                        'channel': 'phone',
                        'received_at': moment,
                        'subject': gettext('gru_phone.msg_callback_subject'),
                        'party': call.party,
                        'contact_phone': caller,
                        'contact_name': None if call.party or caller
                        else call.caller,
                        'contact_postal_code': call.postal_code,
                        'antenna': call.routed_antenna,
                        'origin_address': call.called,
                        'client_key': keys[call.id],
                        }, {
                        'body': gettext('gru_phone.msg_callback_body',
                            caller=call.caller or '-',
                            reason=reason,
                            postal_code=call.postal_code or '-'),
                        'date': moment,
                        'from_address': call.caller,
                        'direction': 'in',
                        'channel': 'phone',
                        }))
            todo.append(call)
        if items:
            context = {}
            if not Transaction().context.get('company'):
                companies = Company.search([], limit=1)
                if companies:
                    context['company'] = companies[0].id
            with Transaction().set_context(**context):
                requests = Request.intake_many(items)
            for call, request in zip(todo, requests):
                call.request = request
        cls.save(calls)
        return calls

    @classmethod
    def cancel_callbacks(cls, calls):
        """Cancel the callback requests not handled yet of calls found
        answered by a late event (an 'ended' came before the 'answered')"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        to_cancel, to_save = [], []
        for call in calls:
            request = call.request
            if request.client_key != cls._callback_key(call):
                continue
            call.request = None
            to_save.append(call)
            if request.state == 'new':
                to_cancel.append(request)
        if to_cancel:
            Message.create([{
                        'request': r.id, 'direction': 'note',
                        'channel': 'phone',
                        'body': gettext('gru_phone.msg_callback_cancelled'),
                        } for r in to_cancel])
            Request.do_cancel(to_cancel, 'other')
        cls.save(to_save)

    @staticmethod
    def _callback_key(call):
        key = 'phone-callback:' + call.call_id
        if len(key) > 100:
            key = 'phone-callback:' + hashlib.sha1(
                call.call_id.encode('utf-8')).hexdigest()
        return key

    # The CTI events

    @classmethod
    def parse_event(cls, data):
        "Return the values of a CTI event (raise CallInputError)"
        if not isinstance(data, dict):
            raise CallInputError(gettext('gru_phone.msg_event_not_object'))
        unknown = sorted(set(data) - {'event', 'event_id', 'call_id', 'from',
                'to', 'target', 'agent', 'postal_code', 'code', 'time'})
        if unknown:
            raise CallInputError(gettext('gru_phone.msg_event_unknown_field',
                    field=unknown[0][:40]), field=unknown[0][:40])
        kind = data.get('event')
        if kind not in EVENT_RANK:
            raise CallInputError(gettext('gru_phone.msg_event_kind',
                    value=str(kind)[:40], kinds=', '.join(EVENTS)),
                field='event')
        call_id = check_call_id(data.get('call_id'))
        for name in ['event_id', 'from', 'to', 'target', 'agent',
                'postal_code']:
            value = data.get(name)
            if value is not None and (not isinstance(value, (str, int))
                    or isinstance(value, bool) or len(str(value)) > MAX_ID):
                raise CallInputError(gettext('gru_phone.msg_event_field',
                        field=name), field=name)
        code = data.get('code')
        if code not in (None, ''):
            try:
                code = int(code)
            except (TypeError, ValueError):
                raise CallInputError(gettext('gru_phone.msg_event_field',
                        field='code'), field='code')
            if not 0 <= code < 1000:
                raise CallInputError(gettext('gru_phone.msg_event_field',
                        field='code'), field='code')
        else:
            code = None
        time = parse_time(data.get('time'))
        postal_code = None
        if data.get('postal_code') not in (None, ''):
            postal_code = normalize_postal_code(str(data['postal_code']))
            if postal_code is None:
                raise CallInputError(gettext('gru_phone.msg_event_field',
                        field='postal_code'), field='postal_code')
        agent = str(data['agent']).strip() if data.get('agent') else None
        event_id = str(data['event_id']).strip() \
            if data.get('event_id') not in (None, '') else None
        if event_id is None:
            if time is None:
                raise CallInputError(gettext('gru_phone.msg_event_no_id'),
                    field='event_id')
            event_id = 'derived:' + hashlib.sha1('|'.join([call_id, kind,
                        agent or '', repr(float(data['time']))
                        if isinstance(data['time'], (int, float))
                        else str(data['time'])]).encode('utf-8')).hexdigest()
        return {
            'event_id': event_id,
            'event': kind,
            'call_id': call_id,
            'from': parse_number(data.get('from')),
            'to': parse_number(data.get('to')),
            'target': str(data['target']).strip()[:100]
            if data.get('target') else None,
            'agent': agent,
            'postal_code': postal_code,
            'code': code,
            'time': time or dt.datetime.now(),
            }

    @classmethod
    def ingest_events(cls, events):
        """Record the CTI events (a list of dicts, see doc/usage.rst) on
        their calls, idempotent per event and tolerant of their order;
        return {'accepted': n, 'duplicates': n, 'rejected': [{'index',
        'error'}]}. A bad event is rejected with its reason, the others
        are kept."""
        pool = Pool()
        CallEvent = pool.get('gru.phone.call.event')
        User = pool.get('res.user')
        result = {'accepted': 0, 'duplicates': 0, 'rejected': []}
        parsed = []
        for index, data in enumerate(events):
            try:
                parsed.append(cls.parse_event(data))
            except CallInputError as exception:
                result['rejected'].append({
                        'index': index, 'error': exception.message})
        if not parsed:
            return result
        known = CallEvent.known_keys([p['event_id'] for p in parsed])
        fresh = []
        for values in parsed:
            if values['event_id'] in known:
                result['duplicates'] += 1
            else:
                known.add(values['event_id'])
                fresh.append(values)
        if not fresh:
            return result

        call_ids = sorted({v['call_id'] for v in fresh})
        calls = {}
        for sub in grouped_slice(call_ids):
            for call in cls.search([('call_id', 'in', list(sub))]):
                calls[call.call_id] = call
        new_calls = [cls.new_call(i) for i in call_ids if i not in calls]
        calls.update((c.call_id, c) for c in new_calls)

        sip_users = sorted({v['agent'] for v in fresh if v['agent']})
        users = {}
        for sub in grouped_slice(sip_users):
            for user in User.search([('sip_user', 'in', list(sub))]):
                users[user.sip_user] = user
        presence = PresenceChanges(users)

        table = cls.decision_table()
        ringing = []
        fresh.sort(key=lambda v: (v['time'], EVENT_RANK[v['event']]))
        for values in fresh:
            call = calls[values['call_id']]
            agent = users.get(values['agent'])
            if call._apply_event(values, agent, presence, table):
                ringing.append((call, agent))
        touched = list({c.call_id: c for c in (
                    calls[v['call_id']] for v in fresh)}.values())
        for call in touched:
            call._compute_times()
        cls.match_parties([c for c in touched if c in new_calls])
        cls.save(touched)
        CallEvent.insert_many([(
                    calls[v['call_id']].id, v['event_id'], v['event'],
                    v['time'], v['agent'], v['target'], v['code'])
                for v in fresh])
        presence.save()
        cls.create_callbacks([c for c in touched
                if c.outcome in {'missed', 'abandoned'} and not c.request])
        cls.cancel_callbacks([c for c in touched
                if c.outcome in {'answered', 'overflowed'} and c.request])
        cls.notify_ringing(ringing)
        result['accepted'] = len(fresh)
        return result

    def _apply_event(self, values, agent, presence, table):
        """Apply the event to the call; return True when it rings at an
        agent (to notify him)"""
        kind, time = values['event'], values['time']
        if values['from'] and not self.caller:
            self.caller = values['from']
        if values['to'] and not self.called:
            self.called = values['to']
        if values['postal_code'] and not self.postal_code:
            self.postal_code = values['postal_code']
        self.started_at = _earliest(self.started_at, time)
        ended = self.state == 'ended'
        rings = False
        if kind in {'offered', 'ringing'}:
            if kind == 'ringing':
                self.ring_at = _earliest(self.ring_at, time)
            if not ended and self.state != 'answered':
                self.state = 'ringing'
                if agent:
                    self.agent = agent
                rings = agent is not None
        elif kind == 'answered':
            self.answer_at = _earliest(self.answer_at, time)
            self.answered_target = values['target'] or self.answered_target
            if agent:
                self.agent = agent
                if not ended:
                    presence.set(agent, 'on_call', time)
            if not ended:
                self.state = 'answered'
            self._set_handler(values['target'], table)
        elif kind == 'transferred':
            previous = self.agent
            if agent and previous and previous != agent:
                presence.release(previous, time)
            if agent and not ended:
                self.agent = agent
                self.state = 'ringing'
                rings = True
        elif kind == 'missed':
            # the next target rings: the call is no longer this agent's
            if (not ended and self.state == 'ringing' and agent
                    and self.agent == agent):
                self.agent = None
                self.state = 'ivr'
        elif kind in {'ended', 'failed'}:
            self.end_at = _latest(self.end_at, time)
            if values['code'] is not None:
                self.end_code = values['code']
            self.state = 'ended'
            if self.agent:
                presence.release(self.agent, time)
        self._compute_outcome()
        return rings

    def _set_handler(self, target, table):
        "Set the antenna (or team) that took the call from its target"
        if not target:
            return
        by_code = {a['code']: a['id'] for a in table.antennas.values()}
        code = target
        for step in (self.steps or []):
            if target in {step.code, step.name}:
                code = step.code
                if step.kind == 'overflow':
                    self.team = table.overflow_team
                    return
                break
        if code in by_code:
            self.antenna = by_code[code]
        elif table.overflow_name and target == table.overflow_name:
            self.team = table.overflow_team

    def _compute_outcome(self):
        "The outcome from what is known of the call"
        if self.answer_at:
            routed = self.routed_antenna
            handler = self.antenna
            if self.team or (routed and handler and (
                        getattr(handler, 'id', handler)
                        != getattr(routed, 'id', routed))):
                self.outcome = 'overflowed'
            else:
                self.outcome = 'answered'
        elif self.outcome in {'callback', 'out_of_hours'}:
            pass
        elif self.state == 'ended':
            # the caller hung up (a CANCEL, or an end without a failure
            # status); else nobody answered (480, 408, 486, 503...)
            if self.end_code in CANCELLED_CODES or self.end_code is None:
                self.outcome = 'abandoned'
            else:
                self.outcome = 'missed'

    def _compute_times(self):
        start = self.started_at or self.ring_at
        if start and (self.answer_at or self.end_at):
            self.waiting_time = max((self.answer_at or self.end_at) - start,
                dt.timedelta(0))
        if self.answer_at and self.end_at:
            self.talk_time = max(self.end_at - self.answer_at,
                dt.timedelta(0))

    @classmethod
    def notify_ringing(cls, ringing):
        "Tell the agents a call rings for them (the bus of sao)"
        done = set()
        for call, agent in ringing:
            if (call.id, agent.id) in done or call.state != 'ringing':
                continue
            done.add((call.id, agent.id))
            usager = call.party.rec_name if call.party \
                else gettext('gru_phone.msg_new_caller')
            notify(gettext('gru_phone.msg_ringing_title',
                    caller=call.caller or '-'),
                gettext('gru_phone.msg_ringing_body', usager=usager,
                    postal_code=call.postal_code or '-'),
                user=agent.id)


def _earliest(current, value):
    return value if current is None or value < current else current


def _latest(current, value):
    return value if current is None or value > current else current


class PresenceChanges:
    "The presence of the agents changed by a batch of events, saved once"

    def __init__(self, users):
        self.current = {u.id: u.phone_presence for u in users.values()}
        self.changes = {}

    def set(self, user, value, at):
        user_id = getattr(user, 'id', user)
        if user_id is None:
            return
        self.current[user_id] = value
        self.changes[user_id] = (value, at)

    def release(self, user, at):
        "On a call → available, when the call ends"
        user_id = getattr(user, 'id', user)
        if user_id is None:
            return
        if user_id not in self.current:
            User = Pool().get('res.user')
            self.current[user_id] = User(user_id).phone_presence
        if self.current[user_id] == 'on_call':
            self.set(user_id, 'available', at)

    def save(self):
        "Write the presences by SQL: volatile state, no history"
        pool = Pool()
        User = pool.get('res.user')
        user = User.__table__()
        cursor = Transaction().connection.cursor()
        by_value = {}
        for user_id, (value, at) in self.changes.items():
            by_value.setdefault((value, at), []).append(user_id)
        for (value, at), ids in by_value.items():
            for sub in grouped_slice(ids):
                cursor.execute(*user.update(
                        [user.phone_presence, user.phone_presence_at],
                        [value, at], where=user.id.in_(list(sub))))
        if self.changes:
            # the records read in this transaction see the new presence
            transaction = Transaction()
            transaction.counter += 1
            for cache in transaction.cache.values():
                if User.__name__ in cache:
                    for user_id in self.changes:
                        cache[User.__name__].pop(user_id, None)


class CallStep(ExportAccessMixin, ModelSQL, ModelView):
    "Call Target"
    __string__ = "Call Target"
    __name__ = 'gru.phone.call.step'

    call = fields.Many2One('gru.phone.call', "Call", required=True,
        ondelete='CASCADE')
    sequence = fields.Integer("Order", required=True)
    kind = fields.Selection(STEPS, "Step", required=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", ondelete='SET NULL')
    code = fields.Char("Target")
    name = fields.Char("Name")
    agents = fields.Char("Agents Offered",
        help="The SIP accounts of the agents offered, in order.")
    result = fields.Function(fields.Selection([
                (None, ""),
                ('planned', "Planned"),
                ('offered', "Offered"),
                ('no_answer', "No Answer"),
                ('answered', "Answered"),
                ], "Result"), 'get_result')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('call')
        cls._order = [('call', 'ASC'), ('sequence', 'ASC'), ('id', 'ASC')]

    @classmethod
    def get_result(cls, steps, name):
        "The furthest the events of the call went at the step's target"
        rank = {'planned': 0, 'offered': 1, 'no_answer': 2, 'answered': 3}
        of_event = {'offered': 'offered', 'ringing': 'offered',
            'missed': 'no_answer', 'answered': 'answered'}
        result = {}
        for step in steps:
            value = 'planned' if step.kind != 'callback' else None
            agents = set((step.agents or '').split())
            for event in step.call.events:
                kind = of_event.get(event.event)
                if not kind or value is None:
                    continue
                if event.target in {step.code, step.name} or (
                        not event.target and event.agent in agents):
                    if rank[kind] > rank[value]:
                        value = kind
            result[step.id] = value
        return result


class CallEvent(ExportAccessMixin, ModelSQL, ModelView):
    "Call Event"
    __string__ = "Call Event"
    __name__ = 'gru.phone.call.event'

    call = fields.Many2One('gru.phone.call', "Call", required=True,
        ondelete='CASCADE')
    event_key = fields.Char("Event ID", required=True,
        help="The identifier of the event: given by the telephony, or "
        "derived from the call, the event, the agent and the time.")
    event = fields.Selection(EVENT_KINDS, "Event", required=True)
    time = fields.DateTime("Time", required=True)
    agent = fields.Char("Agent", help="The SIP account of the agent.")
    target = fields.Char("Target")
    code = fields.Integer("SIP Status")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('call')
        t = cls.__table__()
        cls._sql_constraints = [
            ('event_key_unique', Unique(t, t.event_key),
                'gru_phone.msg_event_key_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.call, Index.Equality()), (t.time, Index.Range())))
        cls._order = [('time', 'ASC'), ('id', 'ASC')]

    @classmethod
    def insert_many(cls, rows):
        """Insert the events of rows, tuples (call id, event key, event,
        time, agent, target, code), by SQL: an append-only log of checked
        values, written at the rate of the telephony"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        columns = [table.call, table.event_key, table.event, table.time,
            table.agent, table.target, table.code, table.create_uid,
            table.create_date]
        for i in range(0, len(rows), 500):
            cursor.execute(*table.insert(columns, [
                        list(r) + [user, CurrentTimestamp()]
                        for r in rows[i:i + 500]]))

    @classmethod
    def known_keys(cls, keys):
        "Return the set of keys already recorded (one query per 1,000)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        found = set()
        keys = sorted(set(keys))
        for i in range(0, len(keys), 1000):
            cursor.execute(*table.select(table.event_key,
                    where=table.event_key.in_(keys[i:i + 1000])))
            found.update(k for k, in cursor)
        return found

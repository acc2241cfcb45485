# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Service level policies and the due dates of the requests."
import datetime as dt
import functools
import logging

from sql import Null
from sql.conditionals import Case, Coalesce

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, MatchMixin, ModelSQL, ModelView, fields,
    sequence_ordered)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from gru_inbox.inbox import OPEN_STATES

from .exceptions import CalendarError, PolicyValidationError

logger = logging.getLogger(__name__)

UNITS = [
    ('hours', "Working Hours"),
    ('days', "Working Days"),
    ]
# The clock stops while the usager has to act or once the request is
# answered, closed or cancelled; it runs in the other states.
PAUSED_STATES = {'waiting', 'answered', 'closed', 'cancelled'}
# A change of these fields selects the policy again
CRITERIA = {'channel', 'scheme', 'priority', 'antenna', 'received_at'}
TARGETS = ['first_response', 'resolution']


class Policy(
        sequence_ordered(), DeactivableMixin, MatchMixin, ModelSQL,
        ModelView):
    "Service Level Policy"
    __string__ = "Service Level Policy"
    __name__ = 'gru.sla.policy'

    name = fields.Char("Name", required=True, translate=True)
    channel = fields.Selection('get_channels', "Channel",
        help="Empty: any channel.")
    scheme = fields.Many2One('gru.scheme', "Scheme", ondelete='CASCADE',
        help="Empty: any scheme, or none.")
    priority = fields.Selection('get_priorities', "Priority", sort=False,
        help="Empty: any priority.")
    first_response_target = fields.Float("First Response Target",
        digits=(16, 2),
        domain=['OR',
            ('first_response_target', '=', None),
            ('first_response_target', '>', 0),
            ],
        help="The working time within which the usager gets a first "
        "answer; empty: no target.")
    first_response_unit = fields.Selection(UNITS, "First Response Unit",
        required=True)
    resolution_target = fields.Float("Resolution Target", digits=(16, 2),
        domain=['OR',
            ('resolution_target', '=', None),
            ('resolution_target', '>', 0),
            ],
        help="The working time within which the request is answered; "
        "empty: no target.")
    resolution_unit = fields.Selection(UNITS, "Resolution Unit",
        required=True)

    @classmethod
    def default_first_response_unit(cls):
        return 'hours'

    @classmethod
    def default_resolution_unit(cls):
        return 'days'

    @classmethod
    def get_channels(cls):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return [(None, "")] + list(
            Request.fields_get(['channel'])['channel']['selection'])

    @classmethod
    def get_priorities(cls):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return [(None, "")] + list(
            Request.fields_get(['priority'])['priority']['selection'])

    @classmethod
    def validate_fields(cls, policies, field_names):
        super().validate_fields(policies, field_names)
        for policy in policies:
            for target in TARGETS:
                value = getattr(policy, target + '_target')
                unit = getattr(policy, target + '_unit')
                if value and unit == 'days' and value != int(value):
                    raise PolicyValidationError(gettext(
                            'gru_sla.msg_policy_whole_days',
                            policy=policy.rec_name,
                            field=cls.fields_get(
                                [target + '_target'])[target + '_target'][
                                'string']))

    @classmethod
    def find(cls, pattern, policies=None):
        """Return the first active policy matching pattern or None;
        policies: the active policies in order when already read"""
        if policies is None:
            policies = cls.search([])
        for policy in policies:
            if policy.match(pattern):
                return policy

    def compute_due(self, target, calendar, schedule, start, paused=0):
        """Return the due date of target (first_response or resolution)
        for a request received at start and paused for paused working
        seconds"""
        value = getattr(self, target + '_target')
        if not value or not start:
            return None
        if getattr(self, target + '_unit') == 'days':
            return calendar.add(schedule, start, seconds=paused,
                days=int(value))
        return calendar.add(schedule, start, seconds=value * 3600 + paused)


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    sla_policy = fields.Many2One('gru.sla.policy', "Service Level Policy",
        readonly=True, ondelete='SET NULL',
        help="The first policy matching the channel, scheme and priority.")
    sla_calendar = fields.Function(fields.Many2One('gru.sla.calendar',
            "Business Calendar"), 'get_sla_calendar')
    first_response_due = fields.DateTime("First Response Due",
        readonly=True)
    resolution_due = fields.DateTime("Resolution Due", readonly=True)
    waiting_since = fields.DateTime("Clock Paused Since", readonly=True,
        help="Since when the request waits for the usager, or is "
        "answered: the service level clock is stopped.")
    paused_seconds = fields.Float("Paused Working Seconds", readonly=True,
        help="The working time spent waiting for the usager or after an "
        "answer; it pushes the due dates.")
    paused_duration = fields.Function(fields.TimeDelta(
            "Paused Working Time"), 'get_paused_duration')
    first_response_breached = fields.Function(fields.Boolean(
            "First Response Breached"),
        'get_sla_status', searcher='search_sla_status')
    resolution_breached = fields.Function(fields.Boolean(
            "Resolution Breached"),
        'get_sla_status', searcher='search_sla_status')
    overdue = fields.Function(fields.Boolean("Overdue",
            help="Open and past a due date."),
        'get_sla_status', searcher='search_sla_status')
    due_date = fields.Function(fields.DateTime("Due",
            help="The next due date: the first response until it is "
            "given, then the resolution."),
        'get_due')
    due_status = fields.Function(fields.Selection([
                (None, ""),
                ('today', "Due Today"),
                ('overdue', "Overdue"),
                ], "Due Status",
            help="Whether the open request is past its next due date or "
            "due today."),
        'get_due')
    escalated = fields.Boolean("Escalated", readonly=True)
    escalated_at = fields.DateTime("Escalated At", readonly=True)
    escalated_to = fields.Many2One('res.user', "Escalated To",
        readonly=True, ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'recompute_sla': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        # The overdue requests stand out in every list. A PYSON written in
        # the XML of a view reaches sao unencoded and stops the list: it is
        # set here, encoded, with the field it needs loaded.
        # The colour follows the due date shown in the list (due_date):
        # red past it, amber on the day it falls.
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('due_status') == 'overdue',
                    'danger',
                    If(Eval('due_status') == 'today', 'warning', '')),
                ['due_status']),
            ]

    @classmethod
    def default_escalated(cls):
        return False

    @classmethod
    def default_paused_seconds(cls):
        return 0.

    @classmethod
    def sla_now(cls):
        """Return the current time of the service levels (naive UTC).
        The context key _sla_now (server side only) replays the past."""
        return Transaction().context.get('_sla_now') or dt.datetime.now()

    def get_sla_calendar(self, name=None):
        pool = Pool()
        Configuration = pool.get('gru.inbox.configuration')
        if self.antenna:
            calendar = self.antenna.get_sla_calendar()
        else:
            calendar = Configuration(1).sla_calendar
        if name is not None:
            return calendar.id if calendar else None
        return calendar

    def get_paused_duration(self, name):
        return dt.timedelta(seconds=int(self.paused_seconds or 0))

    def _sla_breached(self, due, done, now):
        if not due or self.state == 'cancelled':
            return False
        clock = done or self.waiting_since or now
        return clock > due

    @classmethod
    def get_sla_status(cls, requests, names):
        now = cls.sla_now()
        result = {n: {} for n in names}
        for request in requests:
            first = request._sla_breached(
                request.first_response_due, request.first_response_at, now)
            resolution = request._sla_breached(
                request.resolution_due, request.answered_at, now)
            values = {
                'first_response_breached': first,
                'resolution_breached': resolution,
                'overdue': request.state in OPEN_STATES and (
                    (first and not request.first_response_at)
                    or resolution),
                }
            for name in names:
                result[name][request.id] = values[name]
        return result

    def _next_due(self):
        "Return the due date the request has to meet next"
        if self.first_response_due and not self.first_response_at:
            return self.first_response_due
        return self.resolution_due

    @classmethod
    def get_due(cls, requests, names):
        """Return the next due date of the requests and whether the open
        ones are past it (by the clock of the service levels, stopped while
        waiting) or due on the current day of their business calendar"""
        now = cls.sla_now()
        result = {n: {} for n in names}
        # the time zone of the business calendar, by antenna
        zones = {}

        def local_date(value, tzinfo):
            return value.replace(tzinfo=dt.timezone.utc).astimezone(
                tzinfo).date()
        for request in requests:
            due = request._next_due()
            status = None
            if due and request.state in OPEN_STATES:
                if (request.waiting_since or now) > due:
                    status = 'overdue'
                elif not request.waiting_since:
                    antenna = request.antenna.id if request.antenna else None
                    if antenna not in zones:
                        calendar = request.get_sla_calendar()
                        zones[antenna] = tz.get_tzinfo(
                            calendar.timezone if calendar else 'UTC')
                    tzinfo = zones[antenna]
                    if local_date(due, tzinfo) == local_date(now, tzinfo):
                        status = 'today'
            values = {'due_date': due, 'due_status': status}
            for name in names:
                result[name][request.id] = values[name]
        return result

    @staticmethod
    def order_due_date(tables):
        table, _ = tables[None]
        return [Case(
                ((table.first_response_due != Null)
                    & (table.first_response_at == Null),
                    table.first_response_due),
                else_=table.resolution_due)]

    @classmethod
    def _sla_breach_condition(cls, table, target, now):
        if target == 'first_response':
            due, done = table.first_response_due, table.first_response_at
        else:
            due, done = table.resolution_due, table.answered_at
        clock = Coalesce(done, table.waiting_since, now)
        return (due != Null) & (table.state != 'cancelled') & (clock > due)

    @classmethod
    def search_sla_status(cls, name, clause):
        table = cls.__table__()
        _, operator, value = clause[:3]
        now = cls.sla_now()
        first = cls._sla_breach_condition(table, 'first_response', now)
        resolution = cls._sla_breach_condition(table, 'resolution', now)
        if name == 'first_response_breached':
            condition = first
        elif name == 'resolution_breached':
            condition = resolution
        else:
            condition = table.state.in_(OPEN_STATES) & (
                (first & (table.first_response_at == Null)) | resolution)
        query = table.select(table.id, where=condition)
        if operator not in {'=', '!='}:
            return [('id', '=', -1)]
        if (operator == '=') == bool(value):
            return [('id', 'in', query)]
        return [('id', 'not in', query)]

    @classmethod
    def copy(cls, requests, default=None):
        default = default.copy() if default is not None else {}
        for name in ['sla_policy', 'first_response_due', 'resolution_due',
                'waiting_since', 'escalated_at', 'escalated_to']:
            default.setdefault(name, None)
        default.setdefault('paused_seconds', 0.)
        default.setdefault('escalated', False)
        return super().copy(requests, default=default)

    def get_sla_pattern(self):
        "Return the pattern matched against the service level policies"
        return {
            'channel': self.channel,
            'scheme': self.scheme.id if self.scheme else None,
            'priority': self.priority,
            }

    @classmethod
    def compute_sla(cls, requests):
        """Select the policy of requests and compute their due dates from
        the reception, in the business calendar of their antenna, pushed by
        the working time paused"""
        pool = Pool()
        Policy = pool.get('gru.sla.policy')
        policies = Policy.search([])
        schedules = {}
        to_write = []
        for request in requests:
            policy = Policy.find(request.get_sla_pattern(), policies)
            calendar = request.get_sla_calendar()
            values = {
                'sla_policy': policy.id if policy else None,
                'first_response_due': None,
                'resolution_due': None,
                }
            if policy and calendar:
                try:
                    if calendar.id not in schedules:
                        schedules[calendar.id] = calendar.schedule()
                    schedule = schedules[calendar.id]
                    for target in TARGETS:
                        values[target + '_due'] = policy.compute_due(
                            target, calendar, schedule, request.received_at,
                            paused=request.paused_seconds or 0)
                except CalendarError as exception:
                    # a broken calendar must not block the intake: the
                    # request keeps no due date and the error is logged
                    logger.warning("no due date for request %s: %s",
                        request.id, exception.message)
                    values.update(first_response_due=None,
                        resolution_due=None)
            current = {
                'sla_policy': request.sla_policy.id
                if request.sla_policy else None,
                'first_response_due': request.first_response_due,
                'resolution_due': request.resolution_due,
                }
            if values != current:
                to_write.extend(([request], values))
        if to_write:
            cls.write(*to_write)

    @classmethod
    @ModelView.button
    def recompute_sla(cls, requests):
        "Select the policy and compute the due dates again"
        cls.compute_sla(requests)

    @classmethod
    def on_modification(cls, mode, requests, field_names=None):
        super().on_modification(mode, requests, field_names=field_names)
        if mode == 'create':
            # the only computation of the intake: it saves the requests
            # once triaged and assigned (priority, scheme, antenna final)
            cls.compute_sla(requests)
        elif mode == 'write' and field_names & CRITERIA:
            cls.compute_sla([r for r in requests if r.state in OPEN_STATES])

    @classmethod
    def on_write(cls, requests, values):
        callbacks = super().on_write(requests, values)
        state = values.get('state')
        if state:
            previous = {r.id: r.state for r in requests if r.state != state}
            if previous:
                callbacks.append(
                    functools.partial(cls._sla_state_changed, previous))
        return callbacks

    @classmethod
    def _sla_state_changed(cls, previous):
        "Stop or restart the clock of the requests whose state changed"
        now = cls.sla_now()
        stopped, restarted = [], []
        for request in cls.browse(list(previous)):
            was_paused = previous[request.id] in PAUSED_STATES
            paused = request.state in PAUSED_STATES
            if paused and not was_paused:
                stopped.append(request)
            elif was_paused and not paused:
                restarted.append(request)
        if stopped:
            cls.write(stopped, {'waiting_since': now})
        if restarted:
            cls.restart_clock(restarted, now)

    @classmethod
    def restart_clock(cls, requests, at):
        """Add the working time paused until at and push the due dates"""
        schedules = {}
        to_write = []
        for request in requests:
            seconds = request.paused_seconds or 0
            calendar = request.get_sla_calendar()
            if request.waiting_since and calendar and calendar.hours:
                if calendar.id not in schedules:
                    schedules[calendar.id] = calendar.schedule()
                seconds += schedules[calendar.id].working_seconds(
                    request.waiting_since, at)
            to_write.extend(([request], {
                        'paused_seconds': seconds,
                        'waiting_since': None,
                        }))
        cls.write(*to_write)
        cls.compute_sla(requests)

    def get_sla_breach_reasons(self):
        "Return the text explaining which targets are missed"
        calendar = self.get_sla_calendar()

        def format_(value):
            if calendar:
                return calendar.format_datetime(value)
            return value.strftime('%d/%m/%Y %H:%M') + ' UTC'
        reasons = []
        if self.first_response_breached and not self.first_response_at:
            reasons.append(gettext('gru_sla.msg_breach_first_response',
                    due=format_(self.first_response_due)))
        if self.resolution_breached:
            reasons.append(gettext('gru_sla.msg_breach_resolution',
                    due=format_(self.resolution_due)))
        return ' '.join(reasons)

    @classmethod
    def escalate_overdue(cls):
        """Escalate the overdue requests to the manager of their team, once:
        mark them and add an internal note saying to whom and why"""
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        Team = pool.get('gru.inbox.team')
        now = cls.sla_now()
        requests = cls.search([
                ('overdue', '=', True),
                ('escalated', '=', False),
                ], order=[('id', 'ASC')])
        messages = []
        for request in requests:
            team = request.team or Team.team_of_antenna(request.antenna)
            manager = team.manager if team else None
            reasons = request.get_sla_breach_reasons()
            if manager:
                body = gettext('gru_sla.msg_escalation_note',
                    request=request.rec_name, manager=manager.rec_name,
                    team=team.rec_name, reasons=reasons)
            elif team:
                body = gettext('gru_sla.msg_escalation_note_no_manager',
                    request=request.rec_name, team=team.rec_name,
                    reasons=reasons)
            else:
                body = gettext('gru_sla.msg_escalation_note_no_team',
                    request=request.rec_name, reasons=reasons)
            messages.append(Message(
                    request=request,
                    direction='note',
                    channel=request.channel,
                    date=now,
                    subject=gettext('gru_sla.msg_escalation_subject'),
                    to_address=manager.email if manager else None,
                    body=body))
            request.escalated = True
            request.escalated_at = now
            request.escalated_to = manager
        Message.save(messages)
        cls.save(requests)
        # the manager is told at once (bell and, if asked, email)
        cls.notify([(r, r.escalated_to, 'gru_sla.msg_notification_escalated')
                for r in requests if r.escalated_to])
        return requests

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The dashboards of the roles (dashboard.xml): a board per role whose
panels are actions on the steering figures and on the agents' lists.

This file holds what the panels need beyond the existing models: the
scorecard of the antennas (one row per antenna with the experiment's time
shares, the equity and the service levels of a period, read from the
models that compute them), and the searchers of the officer's panels
(the requests due by the end of the day, the calls of the day)."""
import datetime as dt

from sql import Null
from sql.conditionals import Case

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from gru_inbox.inbox import OPEN_STATES

# the days of the scorecard's period by default, up to today: 13 weeks, as
# the experiment indicators
SCORECARD_DAYS = 91

EXPERIMENT = {'phone_share', 'counter_share'}
EQUITY = {'contacts', 'fte', 'per_fte', 'gap', 'alert'}
REQUESTS = {'within_sla', 'response_median', 'backlog'}
CALLS = {'calls', 'answered_share', 'abandoned_share'}


def local_day(date=None):
    """Return the [start, end) naive UTC datetimes of the day date (today
    by default) in the time zone of the company of the context"""
    pool = Pool()
    Company = pool.get('company.company')
    Date = pool.get('ir.date')
    company = Transaction().context.get('company')
    zone = None
    if company:
        zone = Company(company).timezone
    tzinfo = tz.get_tzinfo(zone or 'UTC')
    if date is None:
        date = Date.today()

    def utc(day):
        return dt.datetime.combine(day, dt.time(), tzinfo=tzinfo).astimezone(
            dt.timezone.utc).replace(tzinfo=None)
    return utc(date), utc(date + dt.timedelta(days=1))


class Scorecard(ModelSQL, ModelView):
    """Antenna Scorecard

    One row per antenna (of kind antenna, open or with requests or calls
    in the period) with, over the period of
    the context (from_date, to_date; the last 13 weeks by default), the
    experiment's time shares, the contacts and equity figures and the
    service levels of the requests and calls. Each figure is the one of
    the model that computes it (experiment indicator, equity, request and
    call service levels), read with the reader's access: the lists of the
    service levels count only what the reader may read."""
    __string__ = "Antenna Scorecard"
    __name__ = 'gru.steering.dashboard.antenna'

    antenna = fields.Many2One('gru.antenna', "Antenna")
    antenna_name = fields.Function(fields.Char("Antenna"), 'get_figures')
    phone_share = fields.Function(fields.Float("Phone Share (%)",
            digits=(16, 1),
            help="The share of the available hours of the antenna's agents "
            "spent on calls (experiment indicator)."), 'get_figures')
    counter_share = fields.Function(fields.Float("Counter Share (%)",
            digits=(16, 1),
            help="The share of the available hours of the antenna's agents "
            "spent with visitors at the counter (experiment indicator)."),
        'get_figures')
    contacts = fields.Function(fields.Integer("Contacts",
            help="The requests of every channel received by the antenna."),
        'get_figures')
    fte = fields.Function(fields.Float("Agent FTE", digits=(16, 2)),
        'get_figures')
    per_fte = fields.Function(fields.Float("Contacts per FTE",
            digits=(16, 1)), 'get_figures')
    gap = fields.Function(fields.Float("Equity Gap (points)",
            digits=(16, 1),
            help="The share of FTE minus the share of contacts of the "
            "antenna."), 'get_figures')
    alert = fields.Function(fields.Boolean("Equity Alert",
            help="The gap exceeds the drift threshold of the phone "
            "configuration."), 'get_figures')
    within_sla = fields.Function(fields.Float("Within SLA (%)",
            digits=(16, 1),
            help="The share of the requests with a due date that got their "
            "first response by it."), 'get_figures')
    response_median = fields.Function(fields.Float(
            "Median First Response (h)", digits=(16, 1)), 'get_figures')
    backlog = fields.Function(fields.Integer("Open Requests",
            help="The requests received in the period and still open."),
        'get_figures')
    calls = fields.Function(fields.Integer("Calls"), 'get_figures')
    answered_share = fields.Function(fields.Float("Calls Answered (%)",
            digits=(16, 1)), 'get_figures')
    abandoned_share = fields.Function(fields.Float("Calls Abandoned (%)",
            digits=(16, 1)), 'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('antenna', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        """The open antennas, and the others of kind antenna (planned,
        closed) that received requests or calls in the period: a planned
        antenna already serving usagers is compared as the equity does"""
        pool = Pool()
        antenna = pool.get('gru.antenna').__table__()
        request = pool.get('gru.inbox.request').__table__()
        call = pool.get('gru.phone.call').__table__()
        from_date, to_date = cls.dates()
        start = dt.datetime.combine(from_date, dt.time())
        end = dt.datetime.combine(to_date + dt.timedelta(days=1), dt.time())
        active = request.select(request.antenna,
            where=(request.received_at >= start)
            & (request.received_at < end)
            & (request.antenna != Null))
        active |= call.select(call.antenna,
            where=(call.started_at >= start) & (call.started_at < end)
            & (call.antenna != Null))
        return antenna.select(
            antenna.id.as_('id'),
            antenna.id.as_('antenna'),
            where=(antenna.kind == 'antenna')
            & ((antenna.state == 'open') | antenna.id.in_(active)))

    @classmethod
    def dates(cls):
        """Return the first and last days of the period: those of the
        context or the last 13 weeks"""
        pool = Pool()
        Date = pool.get('ir.date')
        Volume = pool.get('gru.inbox.request.volume')
        context = Transaction().context
        to_date = Date.today()
        from_date = to_date - dt.timedelta(days=SCORECARD_DAYS - 1)
        if context.get('from_date'):
            from_date = Volume._context_date('from_date')
        if context.get('to_date'):
            to_date = Volume._context_date('to_date')
        return from_date, to_date

    @classmethod
    def get_figures(cls, rows, names):
        pool = Pool()
        Indicator = pool.get('gru.steering.experiment.indicator')
        Equity = pool.get('gru.steering.equity')
        RequestService = pool.get('gru.steering.service.request')
        CallService = pool.get('gru.steering.service.call')
        names = set(names)
        antennas = [r.antenna.id for r in rows]
        from_date, to_date = cls.dates()
        values = {a: {} for a in antennas}
        context = {
            'from_date': from_date,
            'to_date': to_date,
            'antenna': None,
            'gru_service_dimensions': ['antenna'],
            }
        with Transaction().set_context(context):
            if names & EXPERIMENT:
                end = to_date + dt.timedelta(days=1)
                figures = Indicator.measure_windows(
                    {a: (a, from_date, end) for a in antennas})
                for antenna, measures in figures.items():
                    for name in EXPERIMENT:
                        values[antenna][name] = measures[name]
            if names & EQUITY:
                for equity in Equity.search([('antenna', 'in', antennas)]):
                    for name in EQUITY:
                        values[equity.antenna.id][name] = getattr(
                            equity, name)
            if names & REQUESTS:
                for service in RequestService.search([
                            ('antenna', 'in', antennas)]):
                    for name in REQUESTS:
                        values[service.antenna.id][name] = getattr(
                            service, name)
            if names & CALLS:
                for service in CallService.search([
                            ('antenna', 'in', antennas)]):
                    values[service.antenna.id]['calls'] = service.calls
                    for name in CALLS - {'calls'}:
                        values[service.antenna.id][name] = getattr(
                            service, name)
        result = {n: {} for n in names}
        for row in rows:
            figures = values[row.antenna.id]
            figures['antenna_name'] = row.antenna.rec_name
            for name in names:
                value = figures.get(name)
                if name == 'alert':
                    value = bool(value)
                elif name in {'contacts', 'backlog', 'calls'}:
                    value = value or 0
                result[name][row.id] = value
        return result


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    due_by_today = fields.Function(fields.Boolean("Due by Today",
            help="Open, with its next due date (the first response until "
            "it is given, then the resolution) before the end of the day."),
        'get_due_by_today', searcher='search_due_by_today')

    def get_due_by_today(self, name):
        _, end = local_day()
        due = self.due_date
        return bool(self.state in OPEN_STATES and due and due < end)

    @classmethod
    def search_due_by_today(cls, name, clause):
        table = cls.__table__()
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            return [('id', '=', -1)]
        _, end = local_day()
        due = Case(
            ((table.first_response_due != Null)
                & (table.first_response_at == Null),
                table.first_response_due),
            else_=table.resolution_due)
        query = table.select(table.id,
            where=table.state.in_(OPEN_STATES) & (due < end))
        if (operator == '=') == bool(value):
            return [('id', 'in', query)]
        return [('id', 'not in', query)]


class Call(metaclass=PoolMeta):
    __name__ = 'gru.phone.call'

    started_today = fields.Function(fields.Boolean("Started Today",
            help="The call started on the current day."),
        'get_started_today', searcher='search_started_today')

    def get_started_today(self, name):
        start, end = local_day()
        return bool(self.started_at and start <= self.started_at < end)

    @classmethod
    def search_started_today(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            return [('id', '=', -1)]
        start, end = local_day()
        domain = [
            ('started_at', '>=', start),
            ('started_at', '<', end),
            ]
        if (operator == '=') == bool(value):
            return domain
        return ['OR',
            ('started_at', '=', None),
            ('started_at', '<', start),
            ('started_at', '>=', end),
            ]


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def gru_scoped_models(cls):
        "The scorecard's rule reads the user's antennas (gru_antennas)"
        return super().gru_scoped_models() | {
            'gru.steering.dashboard.antenna'}

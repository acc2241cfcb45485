# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Workload-based staffing: the information officers the measured call and
counter load needs per antenna (Erlang C), beside the staff plan's posts."""
import datetime as dt
import math
from collections import defaultdict
from zoneinfo import ZoneInfo

from sql import Literal, Null
from sql.aggregate import Count, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import DateTrunc

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from gru_sla.exceptions import CalendarError

from . import erlang
from .figures import use_aggregates

BASES = [
    ('busy_hour', "Busy Hour"),
    ('average', "Average Opening Hour"),
    ]
# the default period: the 4 weeks before today
DEFAULT_DAYS = 28
DEFAULT_TIMEZONE = 'Europe/Paris'
# the outcomes of a call that an agent could have taken
OFFERED_OUTCOMES = ['answered', 'missed', 'abandoned', 'overflowed',
    'callback']
DEFAULTS = {
    'basis': 'busy_hour',
    'call_share': 80,
    'call_seconds': 60,
    'wrap_up': 60,
    'counter_share': 80,
    'counter_minutes': 10,
    'officer_titles': "Chargé/e d'information",
    }


def _datetime(value):
    "Return the datetime of a date_trunc result (SQLite gives a text)"
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _seconds(value):
    "Return the seconds of a sum of TimeDelta (interval or float)"
    if value is None:
        return 0.0
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


class Load:
    """The arrivals of one channel at an antenna: per UTC hour the count,
    and the total handling measured"""

    def __init__(self):
        self.hours = defaultdict(int)
        self.handled = 0
        self.handling = 0.0

    @property
    def arrivals(self):
        return sum(self.hours.values())

    @property
    def average_handling(self):
        "The average handling time of the arrivals handled"
        return self.handling / self.handled if self.handled else None

    def rate(self, basis, opening_hours, open_days, to_local):
        """Return the arrivals per hour: of the busiest hour of the day on
        average over the open days, or per opening hour"""
        if not self.hours:
            return 0.0
        if basis == 'average':
            return self.arrivals / opening_hours if opening_hours else 0.0
        per_hour = defaultdict(int)
        for hour, count in self.hours.items():
            per_hour[to_local(hour).hour] += count
        return max(per_hour.values()) / (open_days or 1)


def staffing_parameters():
    "Return the parameters of the staffing from the context and defaults"
    pool = Pool()
    Date = pool.get('ir.date')
    context = Transaction().context
    params = {k: context.get(k) if context.get(k) is not None else v
        for k, v in DEFAULTS.items()}
    today = Date.today()
    params['from_date'] = (context.get('from_date')
        or today - dt.timedelta(days=DEFAULT_DAYS))
    params['to_date'] = (context.get('to_date')
        or today - dt.timedelta(days=1))
    params['titles'] = {t.strip()
        for t in params['officer_titles'].split(';') if t.strip()}
    return params


def _calendar_of(antenna, default):
    calendar = getattr(antenna, 'calendar', None) or default
    if calendar:
        try:
            return calendar.schedule()
        except CalendarError:
            pass


def compute_staffing(antennas, plan=None, params=None):
    """Return {antenna id: figures} for the antennas: the measured call and
    counter load of the period, the officers Erlang C needs for the service
    targets and the information-officer posts of plan (a gru.staff.plan)"""
    pool = Pool()
    Call = pool.get('gru.phone.call')
    Visit = pool.get('gru.counter.visit')
    InboxConfiguration = pool.get('gru.inbox.configuration')
    cursor = Transaction().connection.cursor()
    params = params or staffing_parameters()
    antenna_ids = [a.id for a in antennas]
    start = dt.datetime.combine(params['from_date'], dt.time())
    end = dt.datetime.combine(
        params['to_date'] + dt.timedelta(days=1), dt.time())
    calls = defaultdict(Load)
    answered = defaultdict(int)
    visits = defaultdict(Load)
    if antenna_ids and use_aggregates():
        # the same sums as below, from the hourly aggregates maintained
        # from the calls and visits (gru.steering.antenna.hour)
        AntennaHour = pool.get('gru.steering.antenna.hour')
        hour = AntennaHour.__table__()
        cursor.execute(*hour.select(hour.antenna, hour.hour,
                hour.calls, hour.calls_answered, hour.talk_seconds,
                hour.visits, hour.visits_seen, hour.visit_minutes,
                where=hour.antenna.in_(antenna_ids)
                & (hour.hour >= start) & (hour.hour < end)))
        for (antenna_id, at, count, n_answered, talk, n_visits, seen,
                minutes) in cursor:
            at = _datetime(at)
            if count:
                load = calls[antenna_id]
                load.hours[at] += count
                load.handled += n_answered or 0
                load.handling += talk or 0.
                answered[antenna_id] += n_answered or 0
            if n_visits:
                load = visits[antenna_id]
                load.hours[at] += n_visits
                load.handled += seen or 0
                load.handling += float(minutes or 0)
    elif antenna_ids:
        # the calls routed to the antenna: its demand, even when another
        # one answered
        call = Call.__table__()
        # answered by the antenna or another one (overflowed)
        is_answered = call.talk_time != Null
        # grouped in an outer query: PostgreSQL does not see the hour
        # (date_trunc with its unit as a parameter) of the GROUP BY as the
        # one selected
        inner = call.select(
            Coalesce(call.routed_antenna, call.antenna).as_('antenna'),
            DateTrunc('hour', call.started_at).as_('hour'),
            call.id.as_('id'),
            Case((is_answered, Literal(1)), else_=Literal(0)).as_('answered'),
            Case((is_answered, call.talk_time), else_=Null).as_('talk'),
            where=Coalesce(call.routed_antenna, call.antenna).in_(antenna_ids)
            & (call.started_at >= start) & (call.started_at < end)
            & call.outcome.in_(OFFERED_OUTCOMES))
        cursor.execute(*inner.select(inner.antenna, inner.hour,
                Count(inner.id), Sum(inner.answered), Sum(inner.talk),
                group_by=[inner.antenna, inner.hour]))
        for antenna_id, hour, count, n_answered, talk in cursor:
            load = calls[antenna_id]
            load.hours[_datetime(hour)] += count
            load.handled += n_answered or 0
            load.handling += _seconds(talk)
            answered[antenna_id] += n_answered or 0

        # the visits at the counter (the permanences are staffed apart)
        visit = Visit.__table__()
        is_seen = (visit.state == 'seen') & (visit.time_spent != Null)
        inner = visit.select(visit.antenna.as_('antenna'),
            DateTrunc('hour', visit.arrived_at).as_('hour'),
            visit.id.as_('id'),
            Case((is_seen, Literal(1)), else_=Literal(0)).as_('seen'),
            Case((is_seen, visit.time_spent), else_=Null).as_('spent'),
            where=visit.antenna.in_(antenna_ids)
            & (visit.arrived_at >= start) & (visit.arrived_at < end)
            & (visit.permanence == Null))
        cursor.execute(*inner.select(inner.antenna, inner.hour,
                Count(inner.id), Sum(inner.seen), Sum(inner.spent),
                group_by=[inner.antenna, inner.hour]))
        for antenna_id, hour, count, seen, minutes in cursor:
            load = visits[antenna_id]
            load.hours[_datetime(hour)] += count
            load.handled += seen or 0
            load.handling += float(minutes or 0)

    # the handling time of an antenna that handled none of its arrivals:
    # the average of all the antennas
    common_talk = _average(calls.values())
    common_service = _average(visits.values())
    default_calendar = InboxConfiguration(1).sla_calendar
    posts = plan_officer_posts(plan, params['titles']) if plan else {}
    result = {}
    for antenna in antennas:
        call_load, visit_load = calls[antenna.id], visits[antenna.id]
        schedule = _calendar_of(antenna, default_calendar)
        hours = set(call_load.hours) | set(visit_load.hours)
        if schedule:
            opening_hours = schedule.working_seconds(start, end) / 3600
            day = params['from_date']
            open_days = 0
            while day <= params['to_date']:
                open_days += schedule.is_open_day(day)
                day += dt.timedelta(days=1)
            to_local = schedule.to_local
        else:
            # no calendar: the hours and days with an arrival
            opening_hours = len(hours)
            zone = ZoneInfo(DEFAULT_TIMEZONE)

            def to_local(value, zone=zone):
                return value.replace(tzinfo=dt.timezone.utc).astimezone(
                    zone).replace(tzinfo=None)
            open_days = len({to_local(h).date() for h in hours})
        row = {
            'antenna': antenna.id,
            'opening_hours': round(opening_hours, 1),
            'open_days': open_days,
            'calls': call_load.arrivals,
            'answered': answered[antenna.id],
            'visits': visit_load.arrivals,
            }

        # calls: per second, handling = talk + wrap-up
        call_rate = call_load.rate(
            params['basis'], opening_hours, open_days, to_local)
        talk = call_load.average_handling
        row['call_rate'] = round(call_rate, 2)
        row['talk_time'] = round(talk, 1) if talk is not None else None
        if talk is None and call_load.arrivals:
            talk = common_talk
        call_staff = None
        if talk is not None:
            handling = talk + params['wrap_up']
            row['handling_time'] = round(handling, 1)
            call_staff = erlang.agents_needed(call_rate / 3600, handling,
                params['call_share'] / 100, params['call_seconds'])
        else:
            row['handling_time'] = None
        _set_staff(row, 'call', call_staff)

        # counter: per minute, handling = the time spent with the agent
        visit_rate = visit_load.rate(
            params['basis'], opening_hours, open_days, to_local)
        service = visit_load.average_handling
        row['visit_rate'] = round(visit_rate, 2)
        row['visit_time'] = (round(service, 1)
            if service is not None else None)
        if service is None and visit_load.arrivals:
            service = common_service
        counter_staff = None
        if service:
            counter_staff = erlang.agents_needed(visit_rate / 60, service,
                params['counter_share'] / 100, params['counter_minutes'])
        _set_staff(row, 'counter', counter_staff)

        row['needed'] = row['call_officers'] + row['counter_officers']
        authorised = posts.get(antenna.id)
        row['authorised'] = authorised
        row['gap'] = (authorised - row['needed']
            if authorised is not None else None)
        result[antenna.id] = row
    return result


def _average(loads):
    handled = sum(l.handled for l in loads)
    if handled:
        return sum(l.handling for l in loads) / handled


def _set_staff(row, prefix, staff):
    if staff is None:
        row.update({
                '%s_officers' % prefix: 0,
                '%s_service_level' % prefix: None,
                '%s_occupancy' % prefix: None,
                '%s_wait' % prefix: None,
                })
        return
    row['%s_officers' % prefix] = staff.agents
    row['%s_service_level' % prefix] = round(staff.service_level * 100, 1)
    row['%s_occupancy' % prefix] = round(staff.occupancy * 100, 1)
    row['%s_wait' % prefix] = (round(staff.average_speed, 1)
        if math.isfinite(staff.average_speed) else None)


def plan_officer_posts(plan, titles):
    """Return {antenna id: FTE} of the information-officer posts (title or
    job family in titles) of plan working for the antennas: the
    authorised posts (frozen posts and posts to remove are not counted,
    vacant ones and those to create are), their main share in their unit
    and their shares in the others (gru.staff.plan.antenna_fte)"""
    Plan = Pool().get('gru.staff.plan')
    return Plan.antenna_fte(plan=plan, titles=titles, management=True)


def default_plan():
    "Return the staff plan to compare with: the latest approved one"
    Plan = Pool().get('gru.staff.plan')
    company = Transaction().context.get('company')
    domain = [('company', '=', company)] if company else []
    for state in [['approved'], ['submitted', 'draft']]:
        plans = Plan.search(domain + [('state', 'in', state)],
            order=[('reference_date', 'DESC'), ('id', 'DESC')], limit=1)
        if plans:
            return plans[0]


class StaffingContext(ModelView):
    "Staffing Context"
    __string__ = "Staffing Context"
    __name__ = 'gru.steering.staffing.context'

    from_date = fields.Date("From Date", required=True,
        domain=[If(Eval('from_date') & Eval('to_date'),
                ('from_date', '<=', Eval('to_date')), ())],
        help="The first day of the load measured.")
    to_date = fields.Date("To Date", required=True,
        domain=[If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')), ())],
        help="The last day of the load measured.")
    basis = fields.Selection(BASES, "Load Basis", required=True,
        help="Busy Hour: the hour of the day with the most arrivals on "
        "average over the open days.\n"
        "Average Opening Hour: the arrivals divided by the opening hours.")
    call_share = fields.Integer("Calls Answered in Time (%)", required=True,
        domain=[('call_share', '>', 0), ('call_share', '<', 100)])
    call_seconds = fields.Integer("Call Answer Target (s)", required=True,
        domain=[('call_seconds', '>=', 0)])
    wrap_up = fields.Integer("Wrap-up per Call (s)", required=True,
        domain=[('wrap_up', '>=', 0)],
        help="The after-call work added to the talk time (not recorded "
        "by the telephony).")
    counter_share = fields.Integer("Visitors Received in Time (%)",
        required=True,
        domain=[('counter_share', '>', 0), ('counter_share', '<', 100)])
    counter_minutes = fields.Integer("Counter Waiting Target (min)",
        required=True, domain=[('counter_minutes', '>=', 0)])
    plan = fields.Many2One('gru.staff.plan', "Staff Plan",
        help="The plan whose information-officer posts are compared.\n"
        "Empty: the latest approved plan.")
    officer_titles = fields.Char("Officer Titles", required=True,
        help="The titles (or job families) of the posts that take calls "
        "and visitors, separated by \";\".")

    @classmethod
    def default_from_date(cls):
        return staffing_parameters()['from_date']

    @classmethod
    def default_to_date(cls):
        return staffing_parameters()['to_date']

    @classmethod
    def default_basis(cls):
        return DEFAULTS['basis']

    @classmethod
    def default_call_share(cls):
        return DEFAULTS['call_share']

    @classmethod
    def default_call_seconds(cls):
        return DEFAULTS['call_seconds']

    @classmethod
    def default_wrap_up(cls):
        return DEFAULTS['wrap_up']

    @classmethod
    def default_counter_share(cls):
        return DEFAULTS['counter_share']

    @classmethod
    def default_counter_minutes(cls):
        return DEFAULTS['counter_minutes']

    @classmethod
    def default_officer_titles(cls):
        return DEFAULTS['officer_titles']

    @classmethod
    def default_plan(cls):
        plan = default_plan()
        return plan.id if plan else None


class Staffing(ModelSQL, ModelView):
    """Staffing

    One line per active antenna: the load measured in the period of the
    context, the information officers needed for the service targets of the
    context (Erlang C) and the posts of the staff plan."""
    __string__ = "Staffing"
    __name__ = 'gru.steering.staffing'

    antenna = fields.Many2One('gru.antenna', "Antenna", readonly=True)
    opening_hours = fields.Function(fields.Float("Opening Hours",
            digits=(16, 1),
            help="The opening hours of the antenna's calendar in the "
            "period."), 'get_figures')
    calls = fields.Function(fields.Integer("Calls",
            help="The calls routed to the antenna."), 'get_figures')
    answered = fields.Function(fields.Integer("Answered"), 'get_figures')
    call_rate = fields.Function(fields.Float("Calls per Hour",
            digits=(16, 2)), 'get_figures')
    talk_time = fields.Function(fields.Float("Talk Time (s)",
            digits=(16, 1), help="The average talk time."), 'get_figures')
    handling_time = fields.Function(fields.Float("Handling Time (s)",
            digits=(16, 1), help="The average talk time and the wrap-up."),
        'get_figures')
    call_officers = fields.Function(fields.Integer("Phone Officers"),
        'get_figures')
    call_service_level = fields.Function(fields.Float(
            "Calls in Time (%)", digits=(16, 1),
            help="The share of the calls answered within the target with "
            "these officers."), 'get_figures')
    call_occupancy = fields.Function(fields.Float("Phone Occupancy (%)",
            digits=(16, 1)), 'get_figures')
    call_wait = fields.Function(fields.Float("Average Answer (s)",
            digits=(16, 1)), 'get_figures')
    visits = fields.Function(fields.Integer("Visits"), 'get_figures')
    visit_rate = fields.Function(fields.Float("Visits per Hour",
            digits=(16, 2)), 'get_figures')
    visit_time = fields.Function(fields.Float("Time per Visit (min)",
            digits=(16, 1)), 'get_figures')
    counter_officers = fields.Function(fields.Integer("Counter Officers"),
        'get_figures')
    counter_service_level = fields.Function(fields.Float(
            "Visitors in Time (%)", digits=(16, 1)), 'get_figures')
    counter_occupancy = fields.Function(fields.Float(
            "Counter Occupancy (%)", digits=(16, 1)), 'get_figures')
    counter_wait = fields.Function(fields.Float("Average Wait (min)",
            digits=(16, 1)), 'get_figures')
    needed = fields.Function(fields.Integer("Officers Needed",
            help="The phone and counter officers."), 'get_figures')
    authorised = fields.Function(fields.Numeric("Authorised Posts",
            digits=(16, 2),
            help="The FTE of the information-officer posts of the staff "
            "plan working for the antenna."), 'get_figures')
    gap = fields.Function(fields.Numeric("Gap", digits=(16, 2),
            help="Authorised posts minus officers needed."), 'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('antenna', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        Antenna = Pool().get('gru.antenna')
        antenna = Antenna.__table__()
        return antenna.select(
            antenna.id.as_('id'),
            antenna.id.as_('antenna'),
            antenna.create_uid.as_('create_uid'),
            antenna.create_date.as_('create_date'),
            antenna.write_uid.as_('write_uid'),
            antenna.write_date.as_('write_date'),
            where=antenna.active == Literal(True))

    @classmethod
    def context_plan(cls):
        Plan = Pool().get('gru.staff.plan')
        plan_id = Transaction().context.get('plan')
        if plan_id:
            return Plan(plan_id)
        return default_plan()

    @classmethod
    def get_figures(cls, lines, names):
        result = {n: {} for n in names}
        figures = compute_staffing(
            [l.antenna for l in lines], plan=cls.context_plan())
        for line in lines:
            row = figures[line.antenna.id]
            for name in names:
                result[name][line.id] = row[name]
        return result

    @classmethod
    def export_rows(cls, plan=None):
        """Return the staffing of the active antennas as a list of
        dictionaries (antenna name and the figures of the fields), for
        exports; the parameters are those of the context"""
        Antenna = Pool().get('gru.antenna')
        antennas = Antenna.search([], order=[('name', 'ASC')])
        figures = compute_staffing(antennas, plan=plan or cls.context_plan())
        rows = []
        for antenna in antennas:
            row = dict(figures[antenna.id], antenna_name=antenna.name)
            rows.append(row)
        return rows


class Plan(metaclass=PoolMeta):
    __name__ = 'gru.staff.plan'

    @classmethod
    def workload_checks(cls, plan):
        """Return the staffing rows of the antennas of plan with a measured
        load or information-officer posts (default period and targets)"""
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        Unit = pool.get('gru.staff.unit')
        antenna_ids = {u.antenna.id for u in Unit.search([
                    ('plan', '=', plan.id),
                    ('antenna', '!=', None),
                    ])}
        antennas = Antenna.browse(sorted(antenna_ids))
        figures = compute_staffing(antennas, plan=plan)
        rows = [figures[a.id] for a in sorted(antennas, key=lambda a: a.name)
            if figures[a.id]['calls'] or figures[a.id]['visits']]
        for row in rows:
            row['antenna_name'] = Antenna(row['antenna']).name
        return rows

    @classmethod
    def get_checks(cls, plans, names):
        result = super().get_checks(plans, names)
        if 'check_report' in names:
            params = staffing_parameters()
            for plan in plans:
                lines = []
                # the reader of a plan (HR) may not read the calls, visits
                # and calendars the load is measured from: the check gives
                # only their aggregates
                with without_check_access():
                    rows = cls.workload_checks(plan)
                for row in rows:
                    lines.append(gettext(
                            'gru_steering.msg_check_workload',
                            needed=row['needed'],
                            antenna=row['antenna_name'],
                            authorised=_format_fte(row['authorised']),
                            calls=row['call_officers'],
                            counter=row['counter_officers']))
                if lines:
                    lines.insert(0, gettext(
                            'gru_steering.msg_check_workload_period',
                            from_date=params['from_date'].strftime(
                                '%d/%m/%Y'),
                            to_date=params['to_date'].strftime('%d/%m/%Y')))
                    report = result['check_report'].get(plan.id) or ''
                    result['check_report'][plan.id] = '\n'.join(
                        [report] + lines)
        return result

    @classmethod
    def check_plans(cls, plans):
        result = super().check_plans(plans)
        for plan in plans:
            result[plan.id]['workload'] = cls.workload_checks(plan)
        return result


def _format_fte(value):
    if value is None:
        return '0'
    value = value.normalize()
    return '{:f}'.format(value).replace('.', ',')

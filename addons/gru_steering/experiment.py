# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The experiment's indicators (report 5.A, "territorialiser"): per antenna
and per week or month, the shares of the agents' working time spent on the
toll-free number and at the counter, the contacts generated in the antennas
and the attendance; and, for the antennas with a dated start of the
experiment, the same figures over equal periods before and after it.

The figures are computed from what the GRU records (calls, visits,
permanences, requests, the approved staff plan) when the rows are read:
nothing is stored. See doc/usage.rst and doc/design.rst for each method."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql import Cast, Column, Literal, Null, Select, Union
from sql.aggregate import Count, Sum
from sql.conditionals import Case
from sql.functions import Function

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .exceptions import ExperimentContextError
from .figures import use_aggregates

GRANULARITIES = [
    ('week', "Week"),
    ('month', "Month"),
    ]
# the most periods one list shows (SQLite joins at most 500 SELECTs)
MAX_PERIODS = 400
# the default weekly hours of a full-time agent
WEEKLY_HOURS = Decimal(35)
# the default minutes of wrap-up after an answered call (as the workload
# staffing's 60 s)
WRAP_UP = 1
# the default length of the before and after periods, in weeks
COMPARISON_WEEKS = 12

# the figures measured per antenna and window, in the order of the
# comparison
MEASURES = [
    ('phone_share', "Phone Share (%)"),
    ('counter_share', "Counter Share (%)"),
    ('other_share', "Other Share (%)"),
    ('phone_hours', "Phone Hours"),
    ('counter_hours', "Counter Hours"),
    ('available_hours', "Available Hours"),
    ('fte', "FTE"),
    ('answered_calls', "Answered Calls"),
    ('contacts_phone', "Phone Contacts"),
    ('contacts_counter', "Counter Contacts"),
    ('contacts', "Contacts"),
    ('visits', "Visits"),
    ('visits_seen', "Visits Seen"),
    ('permanences', "Permanences Held"),
    ('permanence_visits', "Visits at Permanences"),
    ('requests_answered', "Requests Answered"),
    ]


def _seconds(value):
    "Return the seconds of a SUM of intervals (timedelta or number)"
    if value is None:
        return 0.
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


def _midnight(date):
    return dt.datetime.combine(date, dt.time())


class _Date(Function):
    "The date of a timestamp (SQLite's DATE, PostgreSQL's CAST AS DATE)"
    __slots__ = ()
    _function = 'DATE'


def _day(column):
    if backend.name == 'postgresql':
        return Cast(column, 'DATE')
    return _Date(column)


def _number(value):
    "Return a sum of the database as a number: intervals in seconds"
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def periods(from_date, to_date, granularity):
    """Return the [start, end) dates of the weeks (Monday to Sunday) or
    months that meet the days from_date to to_date"""
    result = []
    if granularity == 'month':
        start = from_date.replace(day=1)
    else:
        start = from_date - dt.timedelta(days=from_date.weekday())
    while start <= to_date:
        if granularity == 'month':
            if start.month == 12:
                end = start.replace(year=start.year + 1, month=1)
            else:
                end = start.replace(month=start.month + 1)
        else:
            end = start + dt.timedelta(days=7)
        result.append((start, end))
        start = end
    return result


def period_name(start, granularity):
    if granularity == 'month':
        return start.strftime('%Y-%m')
    year, week, _ = start.isocalendar()
    return '%04d-W%02d' % (year, week)


def comparison_windows(start, weeks, today):
    """Return the before and after [start, end) dates around the start of
    the experiment: weeks long each, the after period cut at today when it
    is not over, the before period as long as the after one"""
    end = start + dt.timedelta(weeks=weeks)
    end = min(end, today + dt.timedelta(days=1))
    length = max(end - start, dt.timedelta(0))
    return (start - length, start), (start, end)


def shares(figures, weekly_hours, wrap_up):
    """Fill in figures (the sums of measure()) the hours and shares of
    working time: weekly_hours per FTE, wrap_up minutes per answered call"""
    days = figures.pop('days')
    available = float(figures['fte']) * float(weekly_hours) * days / 7
    phone = (figures.pop('talk_seconds')
        + figures['answered_calls'] * wrap_up * 60) / 3600
    counter = figures.pop('counter_minutes') / 60
    figures['available_hours'] = round(available, 1)
    figures['phone_hours'] = round(phone, 1)
    figures['counter_hours'] = round(counter, 1)
    figures['other_hours'] = round(available - phone - counter, 1)
    if available:
        figures['phone_share'] = round(100 * phone / available, 1)
        figures['counter_share'] = round(100 * counter / available, 1)
        figures['other_share'] = round(
            100 - figures['phone_share'] - figures['counter_share'], 1)
    else:
        figures['phone_share'] = figures['counter_share'] = None
        figures['other_share'] = None
    figures['contacts'] = (
        figures['contacts_phone'] + figures['contacts_counter'])
    figures['fte'] = float(figures['fte'])
    return figures


class Antenna(metaclass=PoolMeta):
    __name__ = 'gru.antenna'
    experiment_start = fields.Date("Experiment Start",
        help="The day the antenna started the territorial experiment "
        "(calls routed by territory): the steering compares its figures "
        "before and after it.")


class ExperimentContext(ModelView):
    "Experiment Indicator Context"
    __string__ = "Experiment Indicator Context"
    __name__ = 'gru.steering.experiment.context'

    from_date = fields.Date("From Date", required=True,
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date("To Date", required=True,
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])
    granularity = fields.Selection(GRANULARITIES, "Granularity",
        required=True)
    antenna = fields.Many2One('gru.antenna', "Antenna",
        help="Show only this antenna.")
    weekly_hours = fields.Numeric("Weekly Hours", digits=(16, 1),
        required=True, domain=[('weekly_hours', '>', 0)],
        help="The working hours of a full-time agent in a week.")
    wrap_up = fields.Integer("Wrap-up per Call", required=True,
        domain=[('wrap_up', '>=', 0)],
        help="In minutes: the time an agent spends after each answered "
        "call (the telephony does not record it).")
    comparison_weeks = fields.Integer("Comparison Weeks", required=True,
        domain=[('comparison_weeks', '>', 0)],
        help="The length of the periods compared before and after the "
        "start of the experiment.")

    @classmethod
    def default_from_date(cls):
        return Pool().get('gru.steering.experiment.indicator').dates()[0]

    @classmethod
    def default_to_date(cls):
        return Pool().get('gru.steering.experiment.indicator').dates()[1]

    @classmethod
    def default_granularity(cls):
        return 'week'

    @classmethod
    def default_antenna(cls):
        return Transaction().context.get('antenna')

    @classmethod
    def default_weekly_hours(cls):
        return WEEKLY_HOURS

    @classmethod
    def default_wrap_up(cls):
        return WRAP_UP

    @classmethod
    def default_comparison_weeks(cls):
        return COMPARISON_WEEKS


class MeasureMixin:
    "The figures of the experiment measured per antenna and window"
    __slots__ = ()

    @classmethod
    def _context_value(cls, name, default, type_):
        value = Transaction().context.get(name)
        if value in (None, ''):
            return default
        if type_ is dt.date:
            if isinstance(value, dt.datetime):
                return value.date()
            if isinstance(value, dt.date):
                return value
            if isinstance(value, str):
                try:
                    return dt.date.fromisoformat(value)
                except ValueError:
                    pass
        else:
            try:
                value = type_(value)
            except (TypeError, ValueError, ArithmeticError):
                pass
            else:
                if value >= 0:
                    return value
        raise ExperimentContextError(gettext(
                'gru_steering.msg_experiment_context_value',
                field=name, value=str(value)[:30]))

    @classmethod
    def settings(cls):
        "Return the weekly hours and the wrap-up minutes of the context"
        return (
            cls._context_value('weekly_hours', WEEKLY_HOURS, Decimal),
            cls._context_value('wrap_up', WRAP_UP, int))

    @classmethod
    def measure_windows(cls, windows):
        """Return {key: figures} of windows {key: (antenna id, start date,
        end date)}: the sums over [start, end) of the antenna, then
        the hours and shares of working time"""
        weekly_hours, wrap_up = cls.settings()
        if not windows:
            return {}
        sums = {k: {
                'days': (e - s).days, 'fte': Decimal(0),
                'talk_seconds': 0., 'answered_calls': 0,
                'counter_minutes': 0, 'visits': 0, 'visits_seen': 0,
                'permanence_visits': 0, 'permanences': 0,
                'contacts_phone': 0, 'contacts_counter': 0,
                'requests_answered': 0,
                } for k, (_, s, e) in windows.items()}
        if not use_aggregates():
            cls._measure_calls(windows, sums)
            cls._measure_visits(windows, sums)
            cls._measure_requests(windows, sums)
        else:
            cls._measure_days(windows, sums)
        cls._measure_permanences(windows, sums)
        cls._measure_fte(windows, sums)
        return {k: shares(figures, weekly_hours, wrap_up)
            for k, figures in sums.items()}

    @classmethod
    def _grouped(cls, table, antenna, time, windows, columns, where=None):
        """Yield (key, *sums) of the columns [(expression, aggregate)] of
        the rows of table in each window, by the antenna and time
        columns. The aggregates (Count or Sum) are taken per antenna and
        day in one query over the span of the windows, then added up per
        window: the windows start and end at midnight."""
        cursor = Transaction().connection.cursor()
        antennas = list({a for a, _, _ in windows.values()})
        start = min(s for _, s, _ in windows.values())
        end = max(e for _, _, e in windows.values())
        condition = (antenna.in_(antennas) & (time >= _midnight(start))
            & (time < _midnight(end)))
        if where is not None:
            condition &= where
        inner = table.select(antenna.as_('antenna'),
            _day(time).as_('day'),
            *[c.as_('v%s' % i) for i, (c, _) in enumerate(columns)],
            where=condition)
        cursor.execute(*inner.select(inner.antenna, inner.day,
                *[agg(getattr(inner, 'v%s' % i))
                    for i, (_, agg) in enumerate(columns)],
                group_by=[inner.antenna, inner.day]))
        days = defaultdict(dict)
        for row in cursor:
            day = row[1]
            if isinstance(day, str):
                day = dt.date.fromisoformat(day[:10])
            elif isinstance(day, dt.datetime):
                day = day.date()
            days[row[0]][day] = [_number(v) for v in row[2:]]
        for key, (a, s, e) in windows.items():
            totals = [0] * len(columns)
            by_day = days.get(a, {})
            if by_day:
                day = s
                while day < e:
                    values = by_day.get(day)
                    if values:
                        totals = [t + v for t, v in zip(totals, values)]
                    day += dt.timedelta(days=1)
            yield (key, *totals)

    @classmethod
    def _measure_days(cls, windows, sums):
        """The answered calls and their talk time, the visits and the
        requests received by phone or at the counter and answered: the
        sums of the antenna day aggregates (gru.steering.antenna.day,
        maintained from the calls, visits and requests) over each window,
        the same as _measure_calls, _measure_visits and _measure_requests
        over the rows"""
        AntennaDay = Pool().get('gru.steering.antenna.day')
        table = AntennaDay.__table__()
        names = AntennaDay.value_names()
        cursor = Transaction().connection.cursor()
        antennas = sorted({a for a, _, _ in windows.values()})
        start = min(s for _, s, _ in windows.values())
        end = max(e for _, _, e in windows.values())
        cursor.execute(*table.select(table.antenna, table.day,
                *(Column(table, n) for n in names),
                where=table.antenna.in_(antennas) & (table.day >= start)
                & (table.day < end)))
        days = defaultdict(dict)
        for row in cursor:
            day = row[1]
            if isinstance(day, str):
                day = dt.date.fromisoformat(day[:10])
            days[row[0]][day] = row[2:]
        for key, (antenna, start, end) in windows.items():
            totals = [0] * len(names)
            by_day = days.get(antenna, {})
            day = start
            while by_day and day < end:
                values = by_day.get(day)
                if values:
                    totals = [t + (v or 0) for t, v in zip(totals, values)]
                day += dt.timedelta(days=1)
            for name, total in zip(names, totals):
                sums[key][name] = (float(total) if name == 'talk_seconds'
                    else int(total))

    @classmethod
    def _measure_calls(cls, windows, sums):
        "The answered calls of the antenna: their number and talk time"
        call = Pool().get('gru.phone.call').__table__()
        for key, count, talk in cls._grouped(call, call.antenna,
                call.answer_at, windows,
                [(call.id, Count), (call.talk_time, Sum)]):
            sums[key]['answered_calls'] = count or 0
            sums[key]['talk_seconds'] = _seconds(talk)

    @classmethod
    def _measure_visits(cls, windows, sums):
        """The visits arrived at the antenna's counter or permanences, the
        visits seen and the minutes spent with them"""
        visit = Pool().get('gru.counter.visit').__table__()
        seen = visit.state == 'seen'
        for key, visits, seen_, minutes, permanence in cls._grouped(
                visit, visit.antenna, visit.arrived_at, windows, [
                    (Literal(1), Count),
                    (Case((seen, Literal(1)), else_=Literal(0)), Sum),
                    (Case((seen, visit.time_spent), else_=Null), Sum),
                    (Case((visit.permanence != Null, Literal(1)),
                        else_=Literal(0)), Sum),
                    ]):
            sums[key]['visits'] = visits or 0
            sums[key]['visits_seen'] = int(seen_ or 0)
            sums[key]['counter_minutes'] = int(minutes or 0)
            sums[key]['permanence_visits'] = int(permanence or 0)

    @classmethod
    def _measure_permanences(cls, windows, sums):
        "The permanences and off-site operations the antenna held"
        permanence = Pool().get('gru.counter.permanence').__table__()
        now = dt.datetime.now()
        for key, count in cls._grouped(permanence, permanence.antenna,
                permanence.start, windows, [(Literal(1), Count)],
                where=permanence.start <= now):
            sums[key]['permanences'] = count or 0

    @classmethod
    def _measure_requests(cls, windows, sums):
        """The requests received by phone and at the counter of the
        antenna (the contacts generated) and the requests of the antenna
        answered (instruction volume)"""
        request = Pool().get('gru.inbox.request').__table__()
        for key, phone, counter in cls._grouped(request, request.antenna,
                request.received_at, windows, [
                    (Case((request.channel == 'phone', Literal(1)),
                        else_=Literal(0)), Sum),
                    (Case((request.channel == 'counter', Literal(1)),
                        else_=Literal(0)), Sum),
                    ],
                where=request.channel.in_(['phone', 'counter'])):
            sums[key]['contacts_phone'] = int(phone or 0)
            sums[key]['contacts_counter'] = int(counter or 0)
        for key, count in cls._grouped(request, request.antenna,
                request.answered_at, windows, [(Literal(1), Count)]):
            sums[key]['requests_answered'] = count or 0

    @classmethod
    def _measure_fte(cls, windows, sums):
        """The FTE of the filled positions (every level: the people
        actually there) working for the antenna in the approved staff
        plan in force on the last day of the window
        (gru.staff.plan.antenna_fte)"""
        Plan = Pool().get('gru.staff.plan')
        plans, ftes = {}, {}
        for key, (antenna, start, end) in windows.items():
            last = end - dt.timedelta(days=1)
            if last not in plans:
                plans[last] = Plan.plan_in_force(last)
            plan = plans[last]
            if plan is None:
                continue
            if plan.id not in ftes:
                ftes[plan.id] = Plan.antenna_fte(plan=plan,
                    filled_only=True, management=True)
            sums[key]['fte'] = ftes[plan.id].get(antenna, Decimal(0))


class Indicator(MeasureMixin, ModelSQL, ModelView):
    """Experiment Indicator

    One row per antenna (the one of the context or all the active ones
    the user may read) and per week or month of the context's period."""
    __string__ = "Experiment Indicator"
    __name__ = 'gru.steering.experiment.indicator'

    antenna = fields.Many2One('gru.antenna', "Antenna")
    period_index = fields.Integer("Period Index")
    period = fields.Function(fields.Char("Period"), 'get_period')
    period_start = fields.Function(fields.Date("From"), 'get_period')
    period_end = fields.Function(fields.Date("To",
            help="The last day of the period."), 'get_period')
    fte = fields.Function(fields.Float("FTE", digits=(16, 2),
            help="The full-time equivalents of the filled positions of "
            "the antenna in the approved staff plan."), 'get_figures')
    available_hours = fields.Function(fields.Float("Available Hours",
            digits=(16, 1)), 'get_figures')
    phone_hours = fields.Function(fields.Float("Phone Hours",
            digits=(16, 1)), 'get_figures')
    counter_hours = fields.Function(fields.Float("Counter Hours",
            digits=(16, 1)), 'get_figures')
    other_hours = fields.Function(fields.Float("Other Hours",
            digits=(16, 1),
            help="Instruction and everything else: what remains of the "
            "available hours."), 'get_figures')
    phone_share = fields.Function(fields.Float("Phone Share (%)",
            digits=(16, 1)), 'get_figures')
    counter_share = fields.Function(fields.Float("Counter Share (%)",
            digits=(16, 1)), 'get_figures')
    other_share = fields.Function(fields.Float("Other Share (%)",
            digits=(16, 1),
            help="Instruction and everything else."), 'get_figures')
    answered_calls = fields.Function(fields.Integer("Answered Calls"),
        'get_figures')
    contacts_phone = fields.Function(fields.Integer("Phone Contacts",
            help="The requests received by phone for the antenna."),
        'get_figures')
    contacts_counter = fields.Function(fields.Integer("Counter Contacts",
            help="The requests received at the antenna's counter."),
        'get_figures')
    contacts = fields.Function(fields.Integer("Contacts"), 'get_figures')
    visits = fields.Function(fields.Integer("Visits"), 'get_figures')
    visits_seen = fields.Function(fields.Integer("Visits Seen"),
        'get_figures')
    permanences = fields.Function(fields.Integer("Permanences Held"),
        'get_figures')
    permanence_visits = fields.Function(fields.Integer(
            "Visits at Permanences"), 'get_figures')
    requests_answered = fields.Function(fields.Integer("Requests Answered",
            help="The requests of the antenna answered in the period: the "
            "volume of instruction, not its time."), 'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('period_index', 'ASC'), ('antenna', 'ASC'), ('id', 'ASC')]

    @classmethod
    def dates(cls):
        """Return the first and last days of the context: by default the
        current week and the 12 before"""
        today = Pool().get('ir.date').today()
        monday = today - dt.timedelta(days=today.weekday())
        from_date = cls._context_value('from_date',
            monday - dt.timedelta(weeks=12), dt.date)
        to_date = cls._context_value('to_date', today, dt.date)
        return from_date, to_date

    @classmethod
    def granularity(cls):
        value = Transaction().context.get('granularity') or 'week'
        if value not in dict(GRANULARITIES):
            raise ExperimentContextError(gettext(
                    'gru_steering.msg_experiment_context_value',
                    field='granularity', value=str(value)[:30]))
        return value

    @classmethod
    def periods(cls):
        from_date, to_date = cls.dates()
        result = periods(from_date, to_date, cls.granularity())
        if len(result) > MAX_PERIODS:
            raise ExperimentContextError(gettext(
                    'gru_steering.msg_experiment_too_many_periods',
                    count=len(result), maximum=MAX_PERIODS))
        return result

    @classmethod
    def table_query(cls):
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        antenna = Antenna.__table__()
        context = Transaction().context
        # refuse a context that cannot be measured before showing lines
        cls.settings()
        indexes = [Literal(i).as_('period_index')
            for i in range(len(cls.periods()))] or [
            Literal(0).as_('period_index')]
        union = Union(*[Select([i]) for i in indexes], all_=True)
        where = antenna.active == Literal(True)
        if context.get('antenna'):
            where = antenna.id == int(context['antenna'])
        return antenna.join(union, type_='CROSS').select(
            (antenna.id * MAX_PERIODS + union.period_index).as_('id'),
            antenna.id.as_('antenna'),
            union.period_index,
            where=where)

    @classmethod
    def _windows(cls, indicators):
        """Return {id: (antenna id, start, end)} of the indicators, from
        their ids (antenna * MAX_PERIODS + period index)"""
        periods = cls.periods()
        result = {}
        for indicator in indicators:
            antenna, index = divmod(indicator.id, MAX_PERIODS)
            start, end = periods[index]
            result[indicator.id] = (antenna, start, end)
        return result

    @classmethod
    def get_period(cls, indicators, names):
        granularity = cls.granularity()
        result = {n: {} for n in names}
        for id_, (_, start, end) in cls._windows(indicators).items():
            values = {
                'period': period_name(start, granularity),
                'period_start': start,
                'period_end': end - dt.timedelta(days=1),
                }
            for name in names:
                result[name][id_] = values[name]
        return result

    @classmethod
    def get_figures(cls, indicators, names):
        figures = cls.measure_windows(cls._windows(indicators))
        return {n: {i.id: figures[i.id][n] for i in indicators}
            for n in names}


class Comparison(MeasureMixin, ModelSQL, ModelView):
    """Experiment Comparison

    For each antenna with a start of the experiment (the one of the
    context or all), each figure over the weeks before the start and as
    many weeks after it, and the difference."""
    __string__ = "Experiment Comparison"
    __name__ = 'gru.steering.experiment.comparison'

    antenna = fields.Many2One('gru.antenna', "Antenna")
    experiment_start = fields.Date("Experiment Start")
    measure_index = fields.Integer("Measure Index")
    measure = fields.Function(fields.Selection(MEASURES, "Indicator"),
        'get_measure')
    before_from = fields.Function(fields.Date("Before From"),
        'get_windows')
    after_to = fields.Function(fields.Date("After To",
            help="The last day of the period after the start."),
        'get_windows')
    before = fields.Function(fields.Float("Before", digits=(16, 1)),
        'get_figures')
    after = fields.Function(fields.Float("After", digits=(16, 1)),
        'get_figures')
    difference = fields.Function(fields.Float("Difference",
            digits=(16, 1),
            help="After minus before (in points for the shares)."),
        'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('antenna', 'ASC'), ('measure_index', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        antenna = pool.get('gru.antenna').__table__()
        context = Transaction().context
        cls.settings()
        indexes = [Literal(i).as_('measure_index')
            for i in range(len(MEASURES))]
        union = Union(*[Select([i]) for i in indexes], all_=True)
        where = antenna.experiment_start != Null
        if context.get('antenna'):
            where &= antenna.id == int(context['antenna'])
        return antenna.join(union, type_='CROSS').select(
            (antenna.id * len(MEASURES) + union.measure_index).as_('id'),
            antenna.id.as_('antenna'),
            antenna.experiment_start,
            union.measure_index,
            where=where)

    def get_measure(self, name):
        return MEASURES[self.measure_index][0]

    @classmethod
    def windows(cls, start):
        today = Pool().get('ir.date').today()
        weeks = cls._context_value('comparison_weeks', COMPARISON_WEEKS,
            int) or COMPARISON_WEEKS
        return comparison_windows(start, weeks, today)

    @classmethod
    def get_windows(cls, comparisons, names):
        result = {n: {} for n in names}
        for comparison in comparisons:
            before, after = cls.windows(comparison.experiment_start)
            if 'before_from' in names:
                result['before_from'][comparison.id] = before[0]
            if 'after_to' in names:
                result['after_to'][comparison.id] = (
                    after[1] - dt.timedelta(days=1))
        return result

    @classmethod
    def get_figures(cls, comparisons, names):
        windows = {}
        for comparison in comparisons:
            key = (comparison.antenna.id, comparison.experiment_start)
            before, after = cls.windows(comparison.experiment_start)
            windows[key + ('before',)] = (key[0],) + before
            windows[key + ('after',)] = (key[0],) + after
        figures = cls.measure_windows(windows)
        result = {n: {} for n in names}
        for comparison in comparisons:
            key = (comparison.antenna.id, comparison.experiment_start)
            measure = comparison.measure
            before = figures[key + ('before',)][measure]
            after = figures[key + ('after',)][measure]
            values = {
                'before': before,
                'after': after,
                'difference': (after - before
                    if before is not None and after is not None else None),
                }
            for name in names:
                value = values[name]
                result[name][comparison.id] = (
                    round(value, 2) if value is not None else None)
        return result

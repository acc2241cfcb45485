# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Equity between the antennas: the contacts (requests of every channel)
per agent FTE of the staff plan, the max/min ratio and the Gini
coefficient of the contacts per FTE, month by month, and the alert
threshold of the equitable share of the calls (gru_phone)."""
import datetime as dt
from collections import defaultdict

from sql import Cast, Literal, Union
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.model.modelsql import convert_from
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from gru_inbox.reporting import month_label

from .aggregate import first_day, next_month
from .figures import gini, max_min_ratio, use_aggregates


class EquityContext(ModelView):
    "Equity Context"
    __string__ = "Equity Context"
    __name__ = 'gru.steering.equity.context'

    from_date = fields.Date("From Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ],
        help="The first day of reception counted.\n"
        "Leave empty to count from the first request.")
    to_date = fields.Date("To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ],
        help="The last day of reception counted.\n"
        "Leave empty to count up to the last request.")

    @classmethod
    def default_from_date(cls):
        return Pool().get('gru.inbox.request.volume').period()[0]

    @classmethod
    def default_to_date(cls):
        return Pool().get('gru.inbox.request.volume').period()[1]


class EquityMixin:
    __slots__ = ()

    @classmethod
    def _requests(cls):
        """Return the tables and where clause of the requests counted: the
        period and company of the context, every antenna. As the
        equitable share of the calls (gru.phone.share), the counts are of
        all the requests, not only those the user may read: the comparison
        between antennas needs them all and shows no request."""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Volume = pool.get('gru.inbox.request.volume')
        context = Transaction().context
        from_date, to_date = Volume.period()
        domain = []
        if from_date:
            domain.append(('received_at', '>=',
                    dt.datetime.combine(from_date, dt.time.min)))
        if to_date:
            domain.append(('received_at', '<',
                    dt.datetime.combine(
                        to_date + dt.timedelta(days=1), dt.time.min)))
        if context.get('company'):
            domain.append(('company', '=', context['company']))
        with without_check_access():
            return Request.search_domain(domain, active_test=False)

    @classmethod
    def _days(cls):
        """Return the tables and where clause of the request day
        aggregates (gru.steering.request.day) of the requests counted by
        _requests, None with the context key gru_steering_raw"""
        pool = Pool()
        Day = pool.get('gru.steering.request.day')
        Volume = pool.get('gru.inbox.request.volume')
        context = Transaction().context
        if not use_aggregates():
            return None
        from_date, to_date = Volume.period()
        domain = []
        if from_date:
            domain.append(('day', '>=', from_date))
        if to_date:
            domain.append(('day', '<=', to_date))
        if context.get('company'):
            domain.append(('company', '=', context['company']))
        with without_check_access():
            return Day.search_domain(domain, active_test=False)

    @classmethod
    def _contacts(cls):
        """Return the tables, where clause, the id, day (or received_at)
        and antenna columns and the count aggregate of the requests
        counted: from the request day aggregates, else the requests"""
        days = cls._days()
        if days is not None:
            tables, where = days
            day, _ = tables[None]
            return tables, where, day.id, day.day, day.antenna, Sum(
                day.count)
        tables, where = cls._requests()
        request, _ = tables[None]
        return (tables, where, request.id, request.received_at,
            request.antenna, Count())

    @classmethod
    def antennas(cls):
        """Return the ids of the open antennas of kind antenna: they are
        compared, and those with contacts in the period (a planned antenna
        already receiving requests)"""
        Antenna = Pool().get('gru.antenna')
        with without_check_access():
            return [a.id for a in Antenna.search([
                        ('kind', '=', 'antenna'),
                        ('state', '=', 'open'),
                        ])]

    @classmethod
    def staff_plan(cls, date=None):
        """Return the approved staff plan in force at date: the latest
        approved with a reference date on or before it, else the first
        approved (gru.staff.plan.plan_in_force)"""
        return Pool().get('gru.staff.plan').plan_in_force(date)

    @classmethod
    def agent_fte(cls, date=None, plan=None):
        """Return {antenna id: FTE} of the agents of the staff plan in
        force at date (or of plan): the authorised posts without a
        management level (information officers, administrative managers,
        public-relations managers), neither frozen nor to remove, working
        for the antenna; a post shared between units counts in each for
        its share (gru.staff.plan.antenna_fte)"""
        Plan = Pool().get('gru.staff.plan')
        if plan is None:
            plan = cls.staff_plan(date)
        if not plan:
            return {}
        return Plan.antenna_fte(plan=plan, management=False)

    @classmethod
    def threshold(cls):
        """Return the alert threshold in points of percentage: the drift
        threshold of the equitable share of the calls"""
        Configuration = Pool().get('gru.phone.configuration')
        with without_check_access():
            return Configuration(1).drift_threshold

    @classmethod
    def period_end(cls):
        return Pool().get('gru.inbox.request.volume').period()[1]

    @classmethod
    def compare(cls, contacts, fte, threshold):
        """Return the figures of the antennas of fte from their contacts
        ({antenna: count}) and FTE ({antenna: FTE}): per antenna the
        contacts per FTE, the shares of contacts and FTE, their gap and
        the alert when the gap exceeds the threshold; overall the max/min
        ratio and the Gini coefficient of the contacts per FTE of the
        antennas with an FTE"""
        staffed = {a: float(f) for a, f in fte.items() if f and f > 0}
        total_contacts = sum(contacts.get(a, 0) for a in staffed)
        total_fte = sum(staffed.values())
        antennas = {}
        for antenna, value in staffed.items():
            count = contacts.get(antenna, 0)
            share = (100. * count / total_contacts
                if total_contacts else None)
            fte_share = 100. * value / total_fte
            gap = fte_share - share if share is not None else None
            antennas[antenna] = {
                'per_fte': count / value,
                'contact_share': share,
                'fte_share': fte_share,
                'gap': gap,
                'alert': gap is not None and abs(gap) > threshold,
                }
        rates = [v['per_fte'] for v in antennas.values()]
        return antennas, {
            'max_min': max_min_ratio(rates),
            'gini': gini(rates),
            'alerts': len([v for v in antennas.values() if v['alert']]),
            }


class Equity(EquityMixin, ModelSQL, ModelView):
    """Equity between Antennas

    Per antenna (of kind antenna, open or with requests in the period),
    the requests of every channel received in the period of the context,
    and the agent FTE of the staff plan in force at the end of the
    period.
    """
    __string__ = "Equity between Antennas"
    __name__ = 'gru.steering.equity'

    antenna = fields.Many2One('gru.antenna', "Antenna")
    contacts = fields.Integer("Contacts",
        help="The requests of every channel received in the period.")
    fte = fields.Function(fields.Float("Agent FTE", digits=(16, 2),
            help="The full-time equivalent of the posts without a "
            "management level of the antenna in the staff plan."),
        'get_figures')
    per_fte = fields.Function(fields.Float("Contacts per FTE",
            digits=(16, 1)), 'get_figures')
    contact_share = fields.Function(fields.Float("Share of Contacts (%)",
            digits=(16, 1)), 'get_figures')
    fte_share = fields.Function(fields.Float("Share of FTE (%)",
            digits=(16, 1)), 'get_figures')
    gap = fields.Function(fields.Float("Gap (points)", digits=(16, 1),
            help="The share of FTE minus the share of contacts: positive "
            "when the antenna receives fewer contacts than its staff "
            "would carry."), 'get_figures')
    alert = fields.Function(fields.Boolean("Alert",
            help="The gap exceeds the drift threshold of the phone "
            "configuration."), 'get_figures')
    antenna_name = fields.Function(fields.Char("Antenna"), 'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('contacts', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        antenna = Antenna.__table__()
        tables, where, _, _, antenna_column, count = cls._contacts()
        counts = convert_from(None, tables).select(
            antenna_column.as_('antenna'), count.as_('contacts'),
            where=where & (antenna_column != None),  # noqa: E711
            group_by=[antenna_column])
        return antenna.join(counts, 'LEFT',
            condition=counts.antenna == antenna.id
            ).select(
            antenna.id.as_('id'),
            antenna.id.as_('antenna'),
            Coalesce(counts.contacts, 0).as_('contacts'),
            where=(antenna.kind == 'antenna')
            & ((antenna.state == 'open')
                | (counts.contacts != None)))  # noqa: E711

    @classmethod
    def get_figures(cls, rows, names):
        fte = cls.agent_fte(cls.period_end())
        contacts = {r.antenna.id: r.contacts or 0 for r in cls.search([])}
        antennas, _ = cls.compare(contacts, fte, cls.threshold())
        result = {n: {} for n in names}
        for row in rows:
            values = dict(antennas.get(row.antenna.id, {}))
            values['fte'] = float(fte.get(row.antenna.id, 0))
            values['antenna_name'] = row.antenna.rec_name
            for name in names:
                value = values.get(name)
                if name == 'alert':
                    value = bool(value)
                result[name][row.id] = value
        return result


class EquityMonth(EquityMixin, ModelSQL, ModelView):
    """Equity Index by Month

    Per month of the period of the context, the contacts of the antennas
    compared and the max/min ratio and Gini coefficient of their contacts
    per agent FTE, the FTE of the staff plan in force at the end of the
    month.
    """
    __string__ = "Equity Index by Month"
    __name__ = 'gru.steering.equity.month'

    month = fields.Char("Month")
    month_name = fields.Function(fields.Char("Month"), 'get_figures')
    contacts = fields.Integer("Contacts",
        help="The requests of every channel received in the month by "
        "an antenna.")
    max_min = fields.Function(fields.Float("Max/Min Ratio",
            digits=(16, 2),
            help="The largest contacts per FTE of an antenna divided by "
            "the smallest."), 'get_figures')
    gini = fields.Function(fields.Float("Gini Coefficient",
            digits=(16, 3),
            help="0 when every antenna has the same contacts per FTE, "
            "near 1 when one antenna receives them all."), 'get_figures')
    alerts = fields.Function(fields.Integer("Antennas in Alert",
            help="The antennas whose share of contacts is further from "
            "their share of FTE than the drift threshold of the phone "
            "configuration."), 'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def order_month_name(tables):
        table, _ = tables[None]
        return [table.month]

    @classmethod
    def _month_column(cls, column):
        "The month (YYYY-MM) of column: a timestamp or a date"
        Volume = Pool().get('gru.inbox.request.volume')
        return Volume.month_column(Volume.day_column(column))

    @classmethod
    def _monthly(cls):
        """Return the query of the requests counted (or of their
        aggregates: the month rows by antenna of the whole months, the day
        rows of the other days): their id, month, antenna and count"""
        pool = Pool()
        Volume = pool.get('gru.inbox.request.volume')
        Month = pool.get('gru.steering.request.month')
        tables, where, id_, day, antenna, count = cls._contacts()
        if not isinstance(count, Sum):
            return convert_from(None, tables).select(
                id_.as_('id'),
                cls._month_column(day).as_('month'),
                antenna.as_('antenna'),
                Cast(Literal(1), 'INTEGER').as_('count'),
                where=where & (antenna != None))  # noqa: E711
        from_date, to_date = Volume.period()
        first = end = None
        if from_date and to_date:
            first = (from_date if from_date.day == 1
                else next_month(from_date))
            end = first_day(to_date + dt.timedelta(days=1))
        if first is None or first >= end:
            return convert_from(None, tables).select(
                (id_ * 2).as_('id'),
                cls._month_column(day).as_('month'),
                antenna.as_('antenna'),
                count.expression.as_('count'),
                where=where & (antenna != None))  # noqa: E711
        # a line's id: twice the smallest id of its day rows or of its
        # month rows plus one
        days = convert_from(None, tables).select(
            (id_ * 2).as_('id'),
            cls._month_column(day).as_('month'),
            antenna.as_('antenna'),
            count.expression.as_('count'),
            where=where & (antenna != None)  # noqa: E711
            & ((day < first) | (day >= end)))
        domain = [('level', '=', 'antenna'), ('month', '>=', first),
            ('month', '<', end), ('antenna', '!=', None)]
        context = Transaction().context
        if context.get('company'):
            domain.append(('company', '=', context['company']))
        with without_check_access():
            tables, where = Month.search_domain(domain, active_test=False)
        month, _ = tables[None]
        months = convert_from(None, tables).select(
            (month.id * 2 + 1).as_('id'),
            cls._month_column(month.month).as_('month'),
            month.antenna.as_('antenna'),
            month.count.as_('count'),
            where=where)
        union = Union(days, months, all_=True)
        return union.select(union.id, union.month, union.antenna,
            union.count)

    @classmethod
    def table_query(cls):
        # grouped in an outer query: PostgreSQL does not see the month
        # (to_char with its format as a parameter) of the GROUP BY as the
        # one selected
        inner = cls._monthly()
        return inner.select(
            Min(inner.id).as_('id'),
            inner.month.as_('month'),
            Sum(inner.count).as_('contacts'),
            group_by=[inner.month])

    @classmethod
    def monthly_contacts(cls):
        "Return {month: {antenna: contacts}} of the period of the context"
        cursor = Transaction().connection.cursor()
        inner = cls._monthly()
        cursor.execute(*inner.select(
                inner.month, inner.antenna, Sum(inner.count),
                group_by=[inner.month, inner.antenna]))
        contacts = defaultdict(dict)
        for key, antenna, count in cursor:
            contacts[key][antenna] = int(count)
        return contacts

    @staticmethod
    def month_end(month):
        "Return the last day of the month 'YYYY-MM'"
        year, number = map(int, month.split('-'))
        if number == 12:
            return dt.date(year, 12, 31)
        return dt.date(year, number + 1, 1) - dt.timedelta(days=1)

    @classmethod
    def get_figures(cls, rows, names):
        contacts = cls.monthly_contacts()
        threshold = cls.threshold()
        antennas = set(cls.antennas())
        result = {n: {} for n in names}
        ftes = {}
        for row in rows:
            values = {'month_name': month_label(row.month)}
            if set(names) - {'month_name'}:
                end = cls.month_end(row.month)
                plan = cls.staff_plan(end)
                key = plan.id if plan else None
                if key not in ftes:
                    ftes[key] = cls.agent_fte(plan=plan) if plan else {}
                counts = contacts.get(row.month, {})
                fte = {a: f for a, f in ftes[key].items()
                    if a in antennas or a in counts}
                _, index = cls.compare(counts, fte, threshold)
                values.update(index)
            for name in names:
                result[name][row.id] = values.get(name)
        return result

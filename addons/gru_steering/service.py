# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Service levels over a period: first response and backlog of the
requests per antenna, channel or scheme, and the calls per antenna."""
import datetime as dt
import json
from collections import defaultdict

from sql import Cast, Column, Literal, Null, Union, Values
from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Floor

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.modelsql import convert_from
from trytond.pool import Pool
from trytond.pyson import Eval, If, In
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from gru_inbox.inbox import OPEN_STATES
from gru_inbox.reporting import channel_color

from .aggregate import first_day, next_month
from .figures import (
    AGE_BUCKETS, NOT_OFFERED, age_bucket, histogram_percentile, hours, mean,
    median, percentile, seconds, sql_percentile, sql_percentiles, sql_seconds,
    use_aggregates)

# what the service levels of the requests can be grouped by
# (gru_service_dimensions of the context)
DIMENSIONS = ['antenna', 'channel', 'scheme']


def aggregate_domain(rule_domain, names):
    """Return whether the rule domain reads only the fields names (which
    the aggregates have as the source) or denies everything (id = -1):
    the domain then selects the same rows on the aggregates"""
    if not rule_domain:
        return True
    if isinstance(rule_domain, str):
        return rule_domain in {'AND', 'OR'}
    if (isinstance(rule_domain, (list, tuple)) and rule_domain
            and isinstance(rule_domain[0], str)
            and rule_domain[0] not in {'AND', 'OR'}):
        name = rule_domain[0].split('.')[0]
        if name == 'id':
            return tuple(rule_domain) == ('id', '=', -1)
        return name in names
    return all(aggregate_domain(d, names) for d in rule_domain)


def period_domain(from_date, to_date):
    "Return the domain of the aggregates' days of the period"
    domain = []
    if from_date:
        domain.append(('day', '>=', from_date))
    if to_date:
        domain.append(('day', '<=', to_date))
    return domain


def join_keys(table, columns, keys, types):
    """Return table joined to the keys (tuples of the values of columns,
    None matched by NULL)"""
    values = Values([list(k) for k in sorted(keys, key=lambda k: tuple(
                    (v is None, v if v is not None else 0) for v in k))])
    condition = Literal(True)
    for index, (column, type_) in enumerate(zip(columns, types)):
        value = Cast(Column(values, 'column%d' % (index + 1)), type_)
        empty = -1 if type_.upper().startswith('INT') else ''
        condition &= Coalesce(column, empty) == Coalesce(value, empty)
    return table.join(values, condition=condition)


def aggregate_context_domain(rule_domain):
    """Return the domain of the request aggregates but the period: the
    company and antenna of the context and the rule domain (which reads
    only the aggregates' columns: aggregate_domain)"""
    context = Transaction().context
    domain = []
    if context.get('company'):
        domain.append(('company', '=', context['company']))
    if context.get('antenna'):
        domain.append(('antenna', '=', context['antenna']))
    if rule_domain:
        domain.append(rule_domain)
    return domain


def aggregate_level(dimensions, rule_domain):
    """Return the level of the request month aggregates that counts the
    groups of dimensions: theirs when the rule domain and the antenna of
    the context read only them, else the full level"""
    Month = Pool().get('gru.steering.request.month')
    if (aggregate_domain(rule_domain, set(dimensions) | {'company'})
            and (not Transaction().context.get('antenna')
                or 'antenna' in dimensions)):
        return ','.join(d for d in Month._keys[1:] if d in dimensions)
    return Month.full_level()


def request_aggregate_parts(level, from_date, to_date, domain):
    """Return the (tables, where clause) of the request month aggregates
    of level of the whole months from from_date to to_date and of the
    day aggregates of its other days, with domain (on the columns of
    both): together the requests received in the period"""
    pool = Pool()
    Day = pool.get('gru.steering.request.day')
    Month = pool.get('gru.steering.request.month')
    if not from_date or not to_date or from_date > to_date:
        return [Day.search_domain(
                period_domain(from_date, to_date) + domain,
                active_test=False)]
    first = (from_date if from_date.day == 1 else next_month(from_date))
    # the first day of the month after the last whole month
    end = first_day(to_date + dt.timedelta(days=1))
    if first >= end:
        return [Day.search_domain(
                period_domain(from_date, to_date) + domain,
                active_test=False)]
    parts = [Month.search_domain(
            [('level', '=', level),
                ('month', '>=', first), ('month', '<', end)] + domain,
            active_test=False)]
    days = []
    if from_date < first:
        days.append([('day', '>=', from_date), ('day', '<', first)])
    if end <= to_date:
        days.append([('day', '>=', end), ('day', '<=', to_date)])
    if days:
        parts.append(Day.search_domain(
                [['OR'] + days] + domain, active_test=False))
    return parts


def call_shares(offered, answered, abandoned):
    """Return the counts and shares of the calls offered (None counted as
    0): offered, answered, answered_share and abandoned_share (%)"""
    offered, answered = int(offered or 0), int(answered or 0)
    abandoned = int(abandoned or 0)
    return {
        'offered': offered,
        'answered': answered,
        'answered_share': (100. * answered / offered
            if offered else None),
        'abandoned_share': (100. * abandoned / offered
            if offered else None),
        }


class ServiceContext(ModelView):
    "Service Level Context"
    __string__ = "Service Level Context"
    __name__ = 'gru.steering.service.context'

    from_date = fields.Date("From Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ],
        help="The first day counted.\n"
        "Leave empty to count from the first request or call.")
    to_date = fields.Date("To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ],
        help="The last day counted.\n"
        "Leave empty to count up to the last request or call.")
    antenna = fields.Many2One('gru.antenna', "Antenna",
        help="Count only the requests and calls of this antenna.")

    @classmethod
    def default_from_date(cls):
        return Pool().get('gru.inbox.request.volume').period()[0]

    @classmethod
    def default_to_date(cls):
        return Pool().get('gru.inbox.request.volume').period()[1]

    @classmethod
    def default_antenna(cls):
        return Transaction().context.get('antenna')


class RequestService(ModelSQL, ModelView):
    """Request Service Level

    The requests received in the period of the context, of its company and
    antenna, that the user may read (the same selection as the request
    volumes of gru_inbox), grouped by the dimensions of the context key
    gru_service_dimensions (antenna, channel, scheme; all by default).
    The first-response times are in calendar hours from the reception to
    the first response; the backlog counts the requests still open now by
    their age.
    """
    __string__ = "Request Service Level"
    __name__ = 'gru.steering.service.request'

    antenna = fields.Many2One('gru.antenna', "Antenna")
    channel = fields.Selection('get_channels', "Channel")
    channel_name = fields.Char("Channel",
        help="The name of the channel, for the graphs.")
    scheme = fields.Many2One('gru.scheme', "Scheme")
    count = fields.Integer("Requests")
    antenna_name = fields.Function(fields.Char("Antenna"), 'get_labels')
    scheme_name = fields.Function(fields.Char("Scheme"), 'get_labels')
    responded = fields.Function(fields.Integer("Responded",
            help="The requests with a first response."), 'get_figures')
    response_median = fields.Function(fields.Float(
            "Median First Response (h)", digits=(16, 1),
            help="In calendar hours from the reception to the first "
            "response, of the requests responded."), 'get_figures')
    response_mean = fields.Function(fields.Float(
            "Mean First Response (h)", digits=(16, 1),
            help="In calendar hours from the reception to the first "
            "response, of the requests responded."), 'get_figures')
    sla_counted = fields.Function(fields.Integer("With a Due Date",
            help="The requests with a first response due date that are "
            "responded or past it."), 'get_figures')
    within_sla = fields.Function(fields.Float("Within SLA (%)",
            digits=(16, 1),
            help="The share of the requests with a due date, responded or "
            "past it, that got their first response by the due date."),
        'get_figures')
    backlog = fields.Function(fields.Integer("Open",
            help="The requests still open now."), 'get_figures')
    backlog_2 = fields.Function(fields.Integer("Open < 2 Days"),
        'get_figures')
    backlog_7 = fields.Function(fields.Integer("Open 2-7 Days"),
        'get_figures')
    backlog_30 = fields.Function(fields.Integer("Open 8-30 Days"),
        'get_figures')
    backlog_older = fields.Function(fields.Integer("Open > 30 Days"),
        'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('count', 'DESC'), ('id', 'ASC')]

    @classmethod
    def view_attributes(cls):
        dimensions = Eval('gru_service_dimensions', DIMENSIONS)
        attributes = super().view_attributes()
        for name in DIMENSIONS:
            attributes.append(('/tree/field[@name="%s"]' % name,
                    'tree_invisible', ~In(name, dimensions)))
        return attributes

    @classmethod
    def parse_view(cls, tree, type, *args, **kwargs):
        "Give each channel the colour of the volumes in the graphs"
        if type == 'graph':
            for field in tree.xpath('//x/field[@name="channel_name"]'):
                field.set('color', json.dumps({name: channel_color(key)
                            for key, name in cls.get_channels()},
                        ensure_ascii=False, sort_keys=True))
        return super().parse_view(tree, type, *args, **kwargs)

    @classmethod
    def get_channels(cls):
        return Pool().get('gru.inbox.request').channels()

    @classmethod
    def dimensions(cls):
        "Return the names of the columns grouped, from the context"
        names = Transaction().context.get('gru_service_dimensions') or []
        if isinstance(names, str):
            names = [names]
        elif not isinstance(names, (list, tuple)):
            names = []
        return [d for d in DIMENSIONS if d in names] or list(DIMENSIONS)

    @classmethod
    def _requests(cls):
        "Return the tables and where clause of the requests counted"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Volume = pool.get('gru.inbox.request.volume')
        tables, where = Request.search_domain(
            Volume.request_domain(), active_test=False)
        return tables, where

    @classmethod
    def _aggregates(cls):
        """Return the tables and where clause of the request day
        aggregates of the requests counted, None when the user's rules
        on the requests read other fields than the aggregates' (the rows
        of the requests are then read)"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        Volume = pool.get('gru.inbox.request.volume')
        Day = pool.get('gru.steering.request.day')
        if not use_aggregates():
            return None
        rule_domain = Rule.domain_get('gru.inbox.request', mode='read')
        if not aggregate_domain(rule_domain,
                {'company', 'antenna', 'channel', 'scheme'}):
            return None
        domain = period_domain(*Volume.period())
        domain.extend(cls._aggregate_domain(rule_domain))
        return Day.search_domain(domain, active_test=False)

    @classmethod
    def _aggregate_domain(cls, rule_domain):
        "Return the domain of the aggregates but the period"
        return aggregate_context_domain(rule_domain)

    @classmethod
    def _aggregate_parts(cls):
        """Return the (tables, where clause) of the request month
        aggregates of the whole months of the period and of the day
        aggregates of its other days: together the requests counted (the
        same conditions as _aggregates)"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        Volume = pool.get('gru.inbox.request.volume')
        rule_domain = Rule.domain_get('gru.inbox.request', mode='read')
        return request_aggregate_parts(
            aggregate_level(cls.dimensions(), rule_domain), *Volume.period(),
            cls._aggregate_domain(rule_domain))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        dimensions = cls.dimensions()
        if cls._aggregates() is not None:
            # the month and day aggregates of the period: a line's id is
            # twice the smallest id of a day row, or of a month row plus
            # one (row_keys)
            queries = []
            for tables, where in cls._aggregate_parts():
                table, _ = tables[None]
                odd = int(table._name == 'gru_steering_request_month')
                queries.append(convert_from(None, tables).select(
                        (table.id * 2 + odd).as_('id'),
                        table.count.as_('count'),
                        *(Column(table, d).as_(d) for d in dimensions),
                        where=where))
            request = Union(*queries, all_=True)
            select = [Min(request.id).as_('id'),
                Sum(request.count).as_('count')]
            from_ = request
            where = None
        else:
            tables, where = cls._requests()
            request, _ = tables[None]
            select = [Min(request.id).as_('id'), Count().as_('count')]
            from_ = convert_from(None, tables)
        for name in DIMENSIONS:
            if name in dimensions:
                column = Column(request, name)
            else:
                column = Cast(Null, cls._fields[name].sql_type().base)
            select.append(column.as_(name))
        if 'channel' in dimensions:
            column = Case(*((Column(request, 'channel') == k, n)
                    for k, n in Request.channels()),
                else_=Column(request, 'channel'))
        else:
            column = Cast(Null, cls.channel_name.sql_type().base)
        select.append(column.as_('channel_name'))
        return from_.select(*select, where=where,
            group_by=[Column(request, d) for d in dimensions])

    @classmethod
    def row_keys(cls, rows):
        """Return {row id: dimension values} of the rows: a row's id is the
        smallest id of the requests of its group, whose values are the
        group's (read by id: cheaper than the rows' fields); from the
        aggregates, twice the smallest id of the day rows of the group or
        of its month rows plus one"""
        pool = Pool()
        dimensions = cls.dimensions()
        cursor = Transaction().connection.cursor()
        if cls._aggregates() is not None:
            sources = [
                (pool.get('gru.steering.request.day'),
                    {r.id // 2: r.id for r in rows if not r.id % 2}),
                (pool.get('gru.steering.request.month'),
                    {r.id // 2: r.id for r in rows if r.id % 2}),
                ]
        else:
            sources = [(pool.get('gru.inbox.request'),
                    {r.id: r.id for r in rows})]
        keys = {}
        for Model, ids in sources:
            request = Model.__table__()
            for sub_ids in grouped_slice(list(ids),
                    backend.MAX_QUERY_PARAMS):
                cursor.execute(*request.select(request.id,
                        *(Column(request, d) for d in dimensions),
                        where=reduce_ids(request.id, sub_ids)))
                for line in cursor:
                    keys[ids[line[0]]] = tuple(line[1:])
        return keys

    @classmethod
    def get_labels(cls, rows, names):
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        Scheme = pool.get('gru.scheme')
        result = {n: {} for n in names}
        no_antenna = gettext('gru_inbox.msg_volume_no_antenna')
        no_scheme = gettext('gru_inbox.msg_volume_no_scheme')
        dimensions = cls.dimensions()
        keys = cls.row_keys(rows)
        missing = (None,) * len(dimensions)
        for name, Model, empty in [
                ('antenna', Antenna, no_antenna),
                ('scheme', Scheme, no_scheme)]:
            if name + '_name' not in result:
                continue
            if name not in dimensions:
                result[name + '_name'] = {r.id: empty for r in rows}
                continue
            index = dimensions.index(name)
            ids = {k[index] for k in keys.values() if k[index] is not None}
            labels = {r.id: r.rec_name for r in Model.browse(sorted(ids))}
            result[name + '_name'] = {r.id: labels.get(
                    keys.get(r.id, missing)[index], empty) for r in rows}
        return result

    @classmethod
    def now(cls):
        """Return the moment the backlog is aged at: now, or the context
        key _sla_now of gru_sla (server side only) to replay the past"""
        return (Transaction().context.get('_sla_now')
            or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))

    @classmethod
    def get_figures(cls, rows, names):
        """Compute the figures of the rows from the requests of their
        group: aggregated by the database when it computes percentiles
        (PostgreSQL), else from the requests read once for all the rows"""
        dimensions = cls.dimensions()
        now = cls.now()
        keys = cls.row_keys(rows)
        if cls._aggregates() is not None:
            groups = cls.group_figures_aggregate(
                now, set(keys.values()), cls._aggregate_parts())
        elif sql_percentiles():
            groups = cls.group_figures_sql(now, set(keys.values()))
        else:
            groups = cls.group_figures_python(now)
        missing = (None,) * len(dimensions)

        result = {n: {} for n in names}
        empty = None
        for row in rows:
            figures = groups.get(keys.get(row.id, missing))
            if figures is None:
                if empty is None:
                    empty = cls.figures([], now)
                figures = empty
            for name in names:
                result[name][row.id] = figures[name]
        return result

    @classmethod
    def group_figures_aggregate(cls, now, keys, parts):
        """Return {dimension values: figures} of the groups of keys (a set
        of dimension values) from the request aggregates (parts: tables and
        where clause of month and day aggregates) and, live, the open
        requests and those past their due date without a first response:
        the same figures as figures() but the median of the delays
        quantized (figures.quantize)"""
        pool = Pool()
        Day = pool.get('gru.steering.request.day')
        dimensions = cls.dimensions()
        size = len(dimensions)
        types = [cls._fields[d].sql_type().base for d in dimensions]
        cursor = Transaction().connection.cursor()
        sums = {}
        texts = defaultdict(list)
        for tables, where in parts:
            day, _ = tables[None]
            from_ = convert_from(None, tables)
            if keys:
                from_ = join_keys(from_,
                    [Column(day, d) for d in dimensions], keys, types)
            group_by = [Column(day, d) for d in dimensions]
            cursor.execute(*from_.select(*group_by,
                    Sum(day.responded), Sum(day.response_seconds),
                    Sum(day.due_responded + day.due_unresponded),
                    Sum(day.within),
                    where=where, group_by=group_by))
            for line in cursor:
                key = tuple(line[:size])
                values = [v or 0 for v in line[size:]]
                if key in sums:
                    values = [a + b for a, b in zip(sums[key], values)]
                sums[key] = values
            cursor.execute(*from_.select(*group_by, day.response_histogram,
                    where=where & (day.response_histogram != Null)))
            for line in cursor:
                texts[tuple(line[:size])].append(line[size])
        result = {}
        for key, (responded, total, counted, within) in sums.items():
            responded = int(responded)
            figures = dict.fromkeys((k for k, _ in AGE_BUCKETS), 0)
            median_ = histogram_percentile(
                Day.sum_histograms(texts.get(key, [])), .5)
            figures.update({
                    'responded': responded,
                    'response_median': (median_ / 3600
                        if median_ is not None else None),
                    'response_mean': (float(total) / responded / 3600
                        if responded else None),
                    'sla_counted': int(counted),
                    'within': int(within),
                    })
            result[key] = figures

        # live: due in the future without a response, open by age
        tables, where = cls._requests()
        request, _ = tables[None]
        from_ = convert_from(None, tables)
        if keys:
            from_ = join_keys(from_,
                [Column(request, d) for d in dimensions], keys, types)
        group_by = [Column(request, d) for d in dimensions]
        # the aggregates count every request with a due date and no
        # response: those due in the future are not counted yet
        cursor.execute(*from_.select(*group_by, Count(),
                where=where & (request.first_response_at == Null)
                & (request.first_response_due != Null)
                & (request.first_response_due >= now),
                group_by=group_by))
        for line in cursor:
            figures = result.get(tuple(line[:size]))
            if figures is not None:
                figures['sla_counted'] -= line[size]
        bucket = Case(*((request.received_at > now - dt.timedelta(
                        days=last + 1), Literal(key))
                for key, last in AGE_BUCKETS if last is not None),
            else_=Literal(AGE_BUCKETS[-1][0]))
        # grouped in an outer query: PostgreSQL does not see the bucket
        # (with its bounds as parameters) of the GROUP BY as the one
        # selected
        inner = from_.select(*(c.as_(d) for c, d in zip(group_by,
                    dimensions)), bucket.as_('bucket'),
            where=where & request.state.in_(list(OPEN_STATES))
            & (request.received_at != Null))
        inner_group_by = [Column(inner, d) for d in dimensions] + [
            inner.bucket]
        cursor.execute(*inner.select(*inner_group_by, Count(),
                group_by=inner_group_by))
        for line in cursor:
            figures = result.get(tuple(line[:size]))
            if figures is not None:
                figures[line[size]] += line[size + 1]
        for figures in result.values():
            within = figures.pop('within')
            counted = figures['sla_counted']
            figures['within_sla'] = (100. * within / counted
                if counted else None)
            figures['backlog'] = sum(
                figures[k] for k, _ in AGE_BUCKETS)
        return result

    @classmethod
    def group_figures_python(cls, now):
        """Return {dimension values: figures} of the requests of the
        context, computed in Python from their rows"""
        dimensions = cls.dimensions()
        tables, where = cls._requests()
        request, _ = tables[None]
        cursor = Transaction().connection.cursor()
        cursor.execute(*convert_from(None, tables).select(
                *(Column(request, d) for d in dimensions),
                request.received_at, request.first_response_at,
                request.first_response_due, request.state,
                where=where))
        groups = defaultdict(list)
        for line in cursor:
            groups[tuple(line[:len(dimensions)])].append(
                line[len(dimensions):])
        return {k: cls.figures(v, now) for k, v in groups.items()}

    @classmethod
    def group_figures_sql(cls, now, keys=None):
        """Return {dimension values: figures} of the requests of the
        context (of the groups of keys when given: a set of dimension
        values), aggregated by the database (PostgreSQL): the same figures
        as figures()"""
        dimensions = cls.dimensions()
        tables, where = cls._requests()
        request, _ = tables[None]
        if keys is not None:
            # the requests of the values of each dimension of the keys:
            # the groups of the keys and maybe a few others
            for index, name in enumerate(dimensions):
                column = Column(request, name)
                values = {k[index] for k in keys}
                condition = Literal(False)
                if values - {None}:
                    condition = column.in_(sorted(values - {None}))
                if None in values:
                    condition |= column == Null
                where &= condition
        cursor = Transaction().connection.cursor()
        responded = request.first_response_at
        received = request.received_at
        due = request.first_response_due
        counted = (due != Null) & ((responded != Null) | (due < now))
        within = (due != Null) & (responded != Null) & (responded <= due)
        is_open = request.state.in_(list(OPEN_STATES)) & (received != Null)
        inner = convert_from(None, tables).select(
            *(Column(request, d).as_(d) for d in dimensions),
            (sql_seconds(responded - received) / 3600).as_('delay'),
            Case((counted, Literal(1)), else_=Literal(0)).as_('counted'),
            Case((within, Literal(1)), else_=Literal(0)).as_('within'),
            Case((is_open, Floor(sql_seconds(Literal(now) - received)
                        / 86400)), else_=Null).as_('age'),
            where=where)
        buckets = []
        lower = None
        for key, last in AGE_BUCKETS:
            condition = inner.age != Null
            if lower is not None:
                condition &= inner.age > lower
            if last is not None:
                condition &= inner.age <= last
            buckets.append(Sum(Case((condition, Literal(1)),
                        else_=Literal(0))))
            lower = last
        cursor.execute(*inner.select(
                *(Column(inner, d) for d in dimensions),
                Count(inner.delay),
                sql_percentile(0.5, inner.delay),
                Avg(inner.delay),
                Sum(inner.counted),
                Sum(inner.within),
                *buckets,
                group_by=[Column(inner, d) for d in dimensions]))
        result = {}
        size = len(dimensions)
        for line in cursor:
            responded_, median_, mean_, counted, within = line[size:size + 5]
            counted = int(counted or 0)
            within = int(within or 0)
            figures = {
                'responded': responded_,
                'response_median': (float(median_)
                    if median_ is not None else None),
                'response_mean': (float(mean_)
                    if mean_ is not None else None),
                'sla_counted': counted,
                'within_sla': 100. * within / counted if counted else None,
                }
            backlog = dict(zip((k for k, _ in AGE_BUCKETS),
                    (int(v or 0) for v in line[size + 5:])))
            figures['backlog'] = sum(backlog.values())
            figures.update(backlog)
            result[tuple(line[:size])] = figures
        return result

    @classmethod
    def figures(cls, requests, now):
        """Return the figures of the requests: tuples of received_at,
        first_response_at, first_response_due and state"""
        delays = []
        counted = within = 0
        backlog = dict.fromkeys((k for k, _ in AGE_BUCKETS), 0)
        for received_at, responded_at, due, state in requests:
            if responded_at and received_at:
                delays.append(hours(responded_at - received_at))
            if due and (responded_at or due < now):
                counted += 1
                if responded_at and responded_at <= due:
                    within += 1
            if state in OPEN_STATES and received_at:
                backlog[age_bucket(received_at, now)] += 1
        figures = {
            'responded': len(delays),
            'response_median': median(delays),
            'response_mean': mean(delays),
            'sla_counted': counted,
            'within_sla': 100. * within / counted if counted else None,
            'backlog': sum(backlog.values()),
            }
        figures.update(backlog)
        return figures


class CallService(ModelSQL, ModelView):
    """Call Service Level

    The calls started in the period of the context, of its antenna, that
    the user may read, per antenna. The shares are of the calls offered:
    those with an outcome but out of hours.
    """
    __string__ = "Call Service Level"
    __name__ = 'gru.steering.service.call'

    antenna = fields.Many2One('gru.antenna', "Antenna")
    antenna_name = fields.Function(fields.Char("Antenna"), 'get_labels')
    calls = fields.Integer("Calls")
    offered = fields.Function(fields.Integer("Offered",
            help="The calls with an outcome, but those out of hours."),
        'get_figures')
    answered = fields.Function(fields.Integer("Answered"), 'get_figures')
    answered_share = fields.Function(fields.Float("Answered (%)",
            digits=(16, 1), help="Of the calls offered."), 'get_figures')
    abandoned_share = fields.Function(fields.Float("Abandoned (%)",
            digits=(16, 1), help="Of the calls offered."), 'get_figures')
    wait_p50 = fields.Function(fields.Float("Waiting p50 (s)",
            digits=(16, 0),
            help="The median waiting time in seconds of the calls offered "
            "with a waiting time."), 'get_figures')
    wait_p90 = fields.Function(fields.Float("Waiting p90 (s)",
            digits=(16, 0),
            help="The waiting time in seconds that 90% of the calls "
            "offered with a waiting time do not exceed."), 'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('calls', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _calls(cls):
        "Return the tables and where clause of the calls counted"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Rule = pool.get('ir.rule')
        Volume = pool.get('gru.inbox.request.volume')
        context = Transaction().context
        from_date, to_date = Volume.period()
        domain = []
        if from_date:
            domain.append(('started_at', '>=',
                    dt.datetime.combine(from_date, dt.time.min)))
        if to_date:
            domain.append(('started_at', '<',
                    dt.datetime.combine(
                        to_date + dt.timedelta(days=1), dt.time.min)))
        if context.get('antenna'):
            domain.append(('antenna', '=', context['antenna']))
        rule_domain = Rule.domain_get('gru.phone.call', mode='read')
        if rule_domain:
            domain.append(rule_domain)
        return Call.search_domain(domain, active_test=False)

    @classmethod
    def _aggregates(cls):
        """Return the tables and where clause of the call day aggregates
        of the calls counted, None when the user's rules on the calls read
        other fields than the aggregates' (the calls are then read)"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        Volume = pool.get('gru.inbox.request.volume')
        Day = pool.get('gru.steering.call.day')
        context = Transaction().context
        if not use_aggregates():
            return None
        rule_domain = Rule.domain_get('gru.phone.call', mode='read')
        if not aggregate_domain(rule_domain, {'antenna'}):
            return None
        domain = period_domain(*Volume.period())
        if context.get('antenna'):
            domain.append(('antenna', '=', context['antenna']))
        if rule_domain:
            domain.append(rule_domain)
        return Day.search_domain(domain, active_test=False)

    @classmethod
    def table_query(cls):
        aggregates = cls._aggregates()
        if aggregates is not None:
            tables, where = aggregates
            day, _ = tables[None]
            return convert_from(None, tables).select(
                Min(day.id).as_('id'),
                day.antenna.as_('antenna'),
                Sum(day.calls).as_('calls'),
                where=where,
                group_by=[day.antenna])
        tables, where = cls._calls()
        call, _ = tables[None]
        return convert_from(None, tables).select(
            Min(call.id).as_('id'),
            call.antenna.as_('antenna'),
            Count().as_('calls'),
            where=where,
            group_by=[call.antenna])

    @classmethod
    def get_labels(cls, rows, names):
        no_antenna = gettext('gru_inbox.msg_volume_no_antenna')
        return {'antenna_name': {r.id: r.antenna.rec_name if r.antenna
                else no_antenna for r in rows}}

    @classmethod
    def get_figures(cls, rows, names):
        aggregates = cls._aggregates()
        if aggregates is not None:
            groups = cls.group_figures_aggregate(aggregates)
        elif sql_percentiles():
            groups = cls.group_figures_sql()
        else:
            groups = cls.group_figures_python()
        result = {n: {} for n in names}
        empty = None
        for row in rows:
            figures = groups.get(row.antenna.id if row.antenna else None)
            if figures is None:
                if empty is None:
                    empty = cls.figures([])
                figures = empty
            for name in names:
                result[name][row.id] = figures[name]
        return result

    @classmethod
    def group_figures_aggregate(cls, aggregates):
        """Return {antenna id: figures} of the calls of the context from
        the call day aggregates (tables and where clause): the same
        figures as figures() but the waiting percentiles quantized
        (figures.quantize)"""
        Day = Pool().get('gru.steering.call.day')
        tables, where = aggregates
        day, _ = tables[None]
        cursor = Transaction().connection.cursor()
        from_ = convert_from(None, tables)
        cursor.execute(*from_.select(day.antenna,
                Sum(day.offered), Sum(day.answered), Sum(day.abandoned),
                where=where, group_by=[day.antenna]))
        result = {antenna: call_shares(total, answered, abandoned)
            for antenna, total, answered, abandoned in cursor}
        cursor.execute(*from_.select(day.antenna, day.wait_histogram,
                where=where & (day.wait_histogram != Null)))
        texts = defaultdict(list)
        for antenna, text in cursor:
            texts[antenna].append(text)
        for antenna, figures in result.items():
            histogram = Day.sum_histograms(texts.get(antenna, []))
            figures['wait_p50'] = histogram_percentile(histogram, .5)
            figures['wait_p90'] = histogram_percentile(histogram, .9)
        return result

    @classmethod
    def group_figures_python(cls):
        """Return {antenna id: figures} of the calls of the context,
        computed in Python from their rows"""
        tables, where = cls._calls()
        call, _ = tables[None]
        cursor = Transaction().connection.cursor()
        cursor.execute(*convert_from(None, tables).select(
                call.antenna, call.outcome, call.waiting_time,
                where=where))
        groups = defaultdict(list)
        for antenna, outcome, waiting in cursor:
            groups[antenna].append((outcome, waiting))
        return {k: cls.figures(v) for k, v in groups.items()}

    @classmethod
    def group_figures_sql(cls):
        """Return {antenna id: figures} of the calls of the context,
        aggregated by the database (PostgreSQL): the same figures as
        figures()"""
        tables, where = cls._calls()
        call, _ = tables[None]
        cursor = Transaction().connection.cursor()
        offered = ((call.outcome != Null)
            & ~call.outcome.in_([o for o in NOT_OFFERED if o]))
        inner = convert_from(None, tables).select(
            call.antenna.as_('antenna'),
            Case((offered, Literal(1)), else_=Literal(0)).as_('offered'),
            Case((offered & (call.outcome == 'answered'), Literal(1)),
                else_=Literal(0)).as_('answered'),
            Case((offered & (call.outcome == 'abandoned'), Literal(1)),
                else_=Literal(0)).as_('abandoned'),
            Case((offered, sql_seconds(call.waiting_time)),
                else_=Null).as_('wait'),
            where=where)
        cursor.execute(*inner.select(inner.antenna,
                Sum(inner.offered), Sum(inner.answered),
                Sum(inner.abandoned),
                sql_percentile(0.5, inner.wait),
                sql_percentile(0.9, inner.wait),
                group_by=[inner.antenna]))
        result = {}
        for antenna, total, answered, abandoned, p50, p90 in cursor:
            result[antenna] = call_shares(total, answered, abandoned)
            result[antenna].update({
                    'wait_p50': float(p50) if p50 is not None else None,
                    'wait_p90': float(p90) if p90 is not None else None,
                    })
        return result

    @classmethod
    def figures(cls, calls):
        "Return the figures of the calls: tuples of outcome, waiting time"
        offered = [(o, w) for o, w in calls if o not in NOT_OFFERED]
        answered = len([o for o, _ in offered if o == 'answered'])
        abandoned = len([o for o, _ in offered if o == 'abandoned'])
        waits = [seconds(w) for _, w in offered if w is not None]
        total = len(offered)
        return {
            'offered': total,
            'answered': answered,
            'answered_share': 100. * answered / total if total else None,
            'abandoned_share': 100. * abandoned / total if total else None,
            'wait_p50': percentile(waits, .5),
            'wait_p90': percentile(waits, .9),
            }

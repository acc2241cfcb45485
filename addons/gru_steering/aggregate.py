# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Daily aggregates of the requests and calls that the service levels
read instead of the raw rows (doc/design.rst, "Maintained aggregates").

A row sums the requests received (the calls started) on one day (UTC,
as stored) with the same company, antenna, channel and scheme (antenna):
counts, sums and a histogram of the delays (first response, waiting time)
whose values are quantized (figures.quantize). A request, call or visit
created, written or deleted through the ORM only records the keys it
affects in gru.steering.aggregate.dirty; the cron of every minute
(refresh_dirty, one refresher at a time) recomputes the rows of these
keys from the raw rows. Another cron recomputes the last days (the writes
by SQL of the telephony) and rebuild() all history."""
import datetime as dt
import json
from collections import defaultdict
from itertools import combinations

from sql import Literal, Null
from sql.operators import Or

from trytond import backend
from trytond.model import Index, ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from gru_inbox.inbox import OPEN_STATES

from .figures import NOT_OFFERED, quantize, seconds

DAY = dt.timedelta(days=1)
# the days the cron recomputes: the calls inserted by SQL while ringing
# get their outcome by the ORM, but a missed write is caught here
CRON_DAYS = 2


def _day(value):
    "Return the date of value: a datetime, date or ISO string (SQLite)"
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def first_day(day):
    "Return the first day of the month of day"
    return day.replace(day=1)


def next_month(day):
    "Return the first day of the month after day's"
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _histogram_text(histogram):
    if not histogram:
        return None
    return json.dumps({str(k): v for k, v in sorted(histogram.items())},
        separators=(',', ':'))


class AggregateMixin:
    "A daily aggregate recomputed by key from its source model"
    __slots__ = ()
    # the names of the key columns after day, the source model and the
    # name of its datetime field giving the day
    _keys = []
    _source = None
    _source_at = None

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.day, Index.Range())))

    @classmethod
    def key_of(cls, record):
        "Return the key of the source record: (day, key columns...)"
        return (_day(getattr(record, cls._source_at)),) + tuple(
            getattr(getattr(record, n), 'id', getattr(record, n))
            for n in cls._keys)

    @classmethod
    def source_columns(cls, table):
        "The columns of the source read to compute a row"
        raise NotImplementedError

    @classmethod
    def compute(cls, lines):
        """Return {key: values} of the source lines (tuples of the day,
        the key columns and source_columns)"""
        raise NotImplementedError

    @classmethod
    def refresh(cls, keys):
        """Recompute the rows of the keys ((day, key columns...)) from the
        source rows"""
        keys = set(keys)
        if not keys:
            return
        pool = Pool()
        Source = pool.get(cls._source)
        table = cls.__table__()
        source = Source.__table__()
        cursor = Transaction().connection.cursor()
        at = getattr(source, cls._source_at)
        for sub_keys in grouped_slice(sorted(keys, key=_sort_key), 200):
            sub_keys = list(sub_keys)
            conditions, source_conditions = [], []
            for key in sub_keys:
                condition = Literal(True)
                source_condition = Literal(True)
                day = key[0]
                if day is None:
                    condition &= table.day == Null
                    source_condition &= at == Null
                else:
                    condition &= table.day == day
                    start = dt.datetime.combine(day, dt.time.min)
                    source_condition &= (at >= start) & (at < start + DAY)
                for name, value in zip(cls._keys, key[1:]):
                    column = getattr(table, name)
                    source_column = getattr(source, name)
                    if value is None:
                        condition &= column == Null
                        source_condition &= source_column == Null
                    else:
                        condition &= column == value
                        source_condition &= source_column == value
                conditions.append(condition)
                source_conditions.append(source_condition)
            cursor.execute(*table.delete(where=Or(conditions)))
            cursor.execute(*source.select(at,
                    *(getattr(source, n) for n in cls._keys),
                    *cls.source_columns(source),
                    where=Or(source_conditions)))
            cls._insert(cls.compute(cursor))

    @classmethod
    def refresh_days(cls, first, last, months=True):
        """Recompute every row of the days from first to last (None for
        no bound; both None for all history, the rows without a day
        too)"""
        pool = Pool()
        Source = pool.get(cls._source)
        table = cls.__table__()
        source = Source.__table__()
        cursor = Transaction().connection.cursor()
        at = getattr(source, cls._source_at)
        where, source_where = Literal(True), Literal(True)
        if first:
            where &= table.day >= first
            source_where &= at >= dt.datetime.combine(first, dt.time.min)
        if last:
            where &= table.day <= last
            source_where &= at < dt.datetime.combine(last + DAY, dt.time.min)
        if not first and not last:
            where = source_where = None
        cursor.execute(*table.delete(where=where))
        cursor.execute(*source.select(at,
                *(getattr(source, n) for n in cls._keys),
                *cls.source_columns(source),
                where=source_where))
        cls._insert(cls.compute(cursor))

    @classmethod
    def _insert(cls, rows):
        "Insert rows: {key: {column: value}}"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        names = None
        values = []
        for key, row in rows.items():
            if names is None:
                names = sorted(row)
            values.append(list(key) + [row[n] for n in names] + [user])
        if not values:
            return
        columns = [table.day] + [getattr(table, n) for n in cls._keys] + [
            getattr(table, n) for n in names] + [table.create_uid]
        for sub_values in grouped_slice(values,
                max(1, backend.MAX_QUERY_PARAMS // len(columns))):
            cursor.execute(*table.insert(columns, list(sub_values)))

    @classmethod
    def rebuild(cls, days=31):
        """Recompute all the rows, by periods of days (the source rows of
        one period are held in memory), and forget their dirty keys"""
        pool = Pool()
        Source = pool.get(cls._source)
        Dirty = pool.get('gru.steering.aggregate.dirty')
        source = Source.__table__()
        cursor = Transaction().connection.cursor()
        at = getattr(source, cls._source_at)
        cursor.execute(*source.select(at, where=at != Null,
                order_by=[at.asc], limit=1))
        first = cursor.fetchone()
        cursor.execute(*source.select(at, where=at != Null,
                order_by=[at.desc], limit=1))
        last = cursor.fetchone()
        table = cls.__table__()
        cursor.execute(*table.delete())
        Dirty.clear([cls.__name__])
        # the rows without a day
        cursor.execute(*source.select(at,
                *(getattr(source, n) for n in cls._keys),
                *cls.source_columns(source), where=at == Null))
        cls._insert(cls.compute(cursor))
        if not first:
            return
        day, last = _day(first[0]), _day(last[0])
        while day <= last:
            end = min(day + dt.timedelta(days=days - 1), last)
            cls.refresh_days(day, end)
            day = end + DAY

    @classmethod
    def refresh_recent(cls):
        "Recompute the rows of the last CRON_DAYS days and today"
        Date = Pool().get('ir.date')
        today = Date.today()
        cls.refresh_days(today - dt.timedelta(days=CRON_DAYS),
            today + DAY)

    @classmethod
    def sum_histograms(cls, texts):
        "Return the histogram sum of the texts: {value: count}"
        result = {}
        get = result.get
        for text in texts:
            if not text:
                continue
            for key, count in json.loads(text).items():
                result[key] = get(key, 0) + count
        return {float(k): v for k, v in result.items()}


def _sort_key(key):
    return tuple((v is None, v if v is not None else 0) for v in key)


class RequestDay(AggregateMixin, ModelSQL):
    """Request Day Aggregate

    The requests received on a day with the same company, antenna,
    channel and scheme: their count, the first responses (count, sum and
    histogram of the delays in seconds) and those with a due date
    responded (count, within the due date)."""
    __string__ = "Request Day Aggregate"
    __name__ = 'gru.steering.request.day'
    _keys = ['company', 'antenna', 'channel', 'scheme']
    _source = 'gru.inbox.request'
    _source_at = 'received_at'

    day = fields.Date("Day", readonly=True)
    company = fields.Many2One('company.company', "Company", readonly=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", readonly=True)
    channel = fields.Char("Channel", readonly=True)
    scheme = fields.Many2One('gru.scheme', "Scheme", readonly=True)
    count = fields.Integer("Requests", readonly=True)
    responded = fields.Integer("Responded", readonly=True)
    response_seconds = fields.Float("Response Seconds", readonly=True,
        help="The sum of the first-response delays in seconds.")
    response_histogram = fields.Text("Response Histogram", readonly=True,
        help="The quantized first-response delays in seconds and their "
        "counts (JSON).")
    due_responded = fields.Integer("Due and Responded", readonly=True,
        help="The requests with a due date and a first response.")
    due_unresponded = fields.Integer("Due and Not Responded",
        readonly=True,
        help="The requests with a due date and no first response.")
    within = fields.Integer("Within Due Date", readonly=True,
        help="The requests responded by their due date.")

    @classmethod
    def refresh(cls, keys):
        super().refresh(keys)
        Month = Pool().get('gru.steering.request.month')
        Month.refresh({(first_day(k[0]),) + tuple(k[1:])
                for k in keys if k[0] is not None})

    @classmethod
    def refresh_days(cls, first, last, months=True):
        super().refresh_days(first, last)
        if months and first and last:
            Month = Pool().get('gru.steering.request.month')
            Month.refresh_months(first_day(first), first_day(last))

    @classmethod
    def rebuild(cls, days=31):
        super().rebuild(days=days)
        Pool().get('gru.steering.request.month').rebuild()

    @classmethod
    def source_columns(cls, table):
        return [table.first_response_at, table.first_response_due]

    @classmethod
    def compute(cls, lines):
        rows = {}
        histograms = defaultdict(lambda: defaultdict(int))
        for line in lines:
            received_at = line[0]
            key = (_day(received_at),) + tuple(line[1:5])
            responded_at, due = line[5:7]
            row = rows.get(key)
            if row is None:
                row = rows[key] = {'count': 0, 'responded': 0,
                    'response_seconds': 0., 'due_responded': 0,
                    'due_unresponded': 0, 'within': 0}
            row['count'] += 1
            if responded_at and received_at:
                delay = seconds(responded_at - received_at)
                row['responded'] += 1
                row['response_seconds'] += delay
                histograms[key][quantize(delay)] += 1
            if due and responded_at:
                row['due_responded'] += 1
                if responded_at <= due:
                    row['within'] += 1
            elif due:
                row['due_unresponded'] += 1
        for key, row in rows.items():
            row['response_histogram'] = _histogram_text(histograms.get(key))
        return rows


class RequestMonth(ModelSQL):
    """Request Month Aggregate

    The request day aggregates summed per month (its first day) at each
    level: the dimensions (antenna, channel, scheme) kept, the others
    empty; the company always. The figures of the whole months of a
    period read these fewer rows, of the level of their grouping."""
    __string__ = "Request Month Aggregate"
    __name__ = 'gru.steering.request.month'
    _keys = RequestDay._keys
    _values = ['count', 'responded', 'response_seconds', 'due_responded',
        'due_unresponded', 'within']

    level = fields.Char("Level", readonly=True,
        help="The dimensions kept, separated by commas.")
    month = fields.Date("Month", readonly=True)
    company = fields.Many2One('company.company', "Company", readonly=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", readonly=True)
    channel = fields.Char("Channel", readonly=True)
    scheme = fields.Many2One('gru.scheme', "Scheme", readonly=True)
    count = fields.Integer("Requests", readonly=True)
    responded = fields.Integer("Responded", readonly=True)
    response_seconds = fields.Float("Response Seconds", readonly=True)
    response_histogram = fields.Text("Response Histogram", readonly=True)
    due_responded = fields.Integer("Due and Responded", readonly=True)
    due_unresponded = fields.Integer("Due and Not Responded",
        readonly=True)
    within = fields.Integer("Within Due Date", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.level, Index.Equality()),
                (t.month, Index.Range())))

    @classmethod
    def levels(cls):
        "Return the levels: the subsets of the dimensions, the full first"
        dimensions = cls._keys[1:]
        result = []
        for size in range(len(dimensions), 0, -1):
            for names in combinations(dimensions, size):
                result.append(','.join(names))
        return result

    @classmethod
    def full_level(cls):
        return ','.join(cls._keys[1:])

    @classmethod
    def _sum(cls, lines, month_of):
        """Return {(month, key columns...): values} of the lines (first
        column to month_of, key columns, values, histogram), the
        histograms as dictionaries"""
        rows = {}
        size = len(cls._keys)
        for line in lines:
            key = (month_of(line[0]),) + tuple(line[1:size + 1])
            row = rows.get(key)
            if row is None:
                row = rows[key] = dict.fromkeys(cls._values, 0)
                row['response_histogram'] = defaultdict(int)
            for name, value in zip(cls._values, line[size + 1:-1]):
                row[name] += value or 0
            if line[-1]:
                histogram = row['response_histogram']
                for value, count in json.loads(line[-1]).items():
                    histogram[value] += count
        return rows

    @classmethod
    def _project(cls, rows, level):
        """Return {(month, company, dimensions...): values} of the rows
        summed at the level (the dimensions out of it None)"""
        kept = set(level.split(','))
        result = {}
        for key, row in rows.items():
            projected = key[:2] + tuple(v if n in kept else None
                for n, v in zip(cls._keys[1:], key[2:]))
            total = result.get(projected)
            if total is None:
                total = result[projected] = dict.fromkeys(cls._values, 0)
                total['response_histogram'] = defaultdict(int)
            for name in cls._values:
                total[name] += row[name]
            histogram = total['response_histogram']
            for value, count in row['response_histogram'].items():
                histogram[value] += count
        return result

    @classmethod
    def _merge(cls, day, where):
        """Return {(month, key columns...): values} of the rows of the day
        aggregate table day meeting where, summed per month"""
        cursor = Transaction().connection.cursor()
        cursor.execute(*day.select(day.day,
                *(getattr(day, n) for n in cls._keys),
                *(getattr(day, n) for n in cls._values),
                day.response_histogram, where=where))

        return cls._sum(cursor, lambda v: first_day(_day(v)))

    @classmethod
    def _insert(cls, level, rows):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        names = cls._values
        values = [[level] + list(k) + [r[n] for n in names]
            + [_histogram_text(r['response_histogram']), user]
            for k, r in rows.items()]
        columns = [table.level, table.month] + [
            getattr(table, n) for n in cls._keys] + [
            getattr(table, n) for n in names] + [
            table.response_histogram, table.create_uid]
        for sub_values in grouped_slice(values,
                max(1, backend.MAX_QUERY_PARAMS // len(columns))):
            cursor.execute(*table.insert(columns, list(sub_values)))

    @classmethod
    def _key_condition(cls, table, key, start, end=None):
        """Return the condition of the rows of table with the key columns
        of key (None: NULL) and start <= start column < end"""
        condition = Literal(True)
        if end is None:
            condition &= start
        else:
            condition &= (start >= key[0]) & (start < end)
        for name, value in zip(cls._keys, key[1:]):
            column = getattr(table, name)
            if value is None:
                condition &= column == Null
            else:
                condition &= column == value
        return condition

    @classmethod
    def refresh(cls, keys):
        """Recompute the rows of the keys (month, key columns...) at every
        level: the full level from the day rows, the others from the
        full level"""
        keys = set(keys)
        if not keys:
            return
        Day = Pool().get('gru.steering.request.day')
        table = cls.__table__()
        day = Day.__table__()
        cursor = Transaction().connection.cursor()
        full = cls.full_level()
        for sub_keys in grouped_slice(sorted(keys, key=_sort_key), 200):
            sub_keys = list(sub_keys)
            cursor.execute(*table.delete(where=(table.level == full) & Or([
                            cls._key_condition(table, k,
                                table.month == k[0]) for k in sub_keys])))
            cls._insert(full, cls._merge(day, Or([
                            cls._key_condition(table=day, key=k,
                                start=day.day, end=next_month(k[0]))
                            for k in sub_keys])))
        for level in cls.levels()[1:]:
            kept = set(level.split(','))
            projected = {k[:2] + tuple(v if n in kept else None
                    for n, v in zip(cls._keys[1:], k[2:])) for k in keys}
            for sub_keys in grouped_slice(
                    sorted(projected, key=_sort_key), 200):
                sub_keys = list(sub_keys)
                conditions = []
                for key in sub_keys:
                    condition = table.month == key[0]
                    for name, value in zip(cls._keys, key[1:]):
                        if name == 'company' or name in kept:
                            column = getattr(table, name)
                            condition &= (column == Null if value is None
                                else column == value)
                    conditions.append(condition)
                cursor.execute(*table.delete(
                        where=(table.level == level) & Or(conditions)))
                cursor.execute(*table.select(table.month,
                        *(getattr(table, n) for n in cls._keys),
                        *(getattr(table, n) for n in cls._values),
                        table.response_histogram,
                        where=(table.level == full) & Or(conditions)))
                rows = cls._sum(cursor, _day)
                cls._insert(level, cls._project(rows, level))

    @classmethod
    def refresh_months(cls, first, last):
        """Recompute the rows of every level of the months from first to
        last (first days)"""
        Day = Pool().get('gru.steering.request.day')
        table = cls.__table__()
        day = Day.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(
                where=(table.month >= first) & (table.month <= last)))
        rows = cls._merge(day,
            (day.day >= first) & (day.day < next_month(last)))
        for level in cls.levels():
            cls._insert(level, cls._project(rows, level))

    @classmethod
    def rebuild(cls):
        "Recompute all the rows from the day rows, month by month"
        Day = Pool().get('gru.steering.request.day')
        day = Day.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*cls.__table__().delete())
        cursor.execute(*day.select(day.day, where=day.day != Null,
                order_by=[day.day.asc], limit=1))
        first = cursor.fetchone()
        cursor.execute(*day.select(day.day, where=day.day != Null,
                order_by=[day.day.desc], limit=1))
        last = cursor.fetchone()
        if not first:
            return
        first, last = first[0], last[0]
        if isinstance(first, str):
            first = dt.date.fromisoformat(first[:10])
            last = dt.date.fromisoformat(last[:10])
        month = first_day(first)
        while month <= last:
            cls.refresh_months(month, month)
            month = next_month(month)


class CallDay(AggregateMixin, ModelSQL):
    """Call Day Aggregate

    The calls started on a day answered by the same antenna: their
    count, those offered (with an outcome but out of hours), answered and
    abandoned, and the histogram of the waiting times in seconds of those
    offered."""
    __string__ = "Call Day Aggregate"
    __name__ = 'gru.steering.call.day'
    _keys = ['antenna']
    _source = 'gru.phone.call'
    _source_at = 'started_at'

    day = fields.Date("Day", readonly=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", readonly=True)
    calls = fields.Integer("Calls", readonly=True)
    offered = fields.Integer("Offered", readonly=True)
    answered = fields.Integer("Answered", readonly=True)
    abandoned = fields.Integer("Abandoned", readonly=True)
    wait_histogram = fields.Text("Waiting Histogram", readonly=True,
        help="The quantized waiting times in seconds of the calls offered "
        "and their counts (JSON).")

    @classmethod
    def source_columns(cls, table):
        return [table.outcome, table.waiting_time]

    @classmethod
    def compute(cls, lines):
        rows = {}
        histograms = defaultdict(lambda: defaultdict(int))
        for started_at, antenna, outcome, waiting in lines:
            key = (_day(started_at), antenna)
            row = rows.get(key)
            if row is None:
                row = rows[key] = {'calls': 0, 'offered': 0, 'answered': 0,
                    'abandoned': 0}
            row['calls'] += 1
            if outcome in NOT_OFFERED:
                continue
            row['offered'] += 1
            if outcome == 'answered':
                row['answered'] += 1
            elif outcome == 'abandoned':
                row['abandoned'] += 1
            if waiting is not None:
                histograms[key][quantize(seconds(waiting))] += 1
        for key, row in rows.items():
            row['wait_histogram'] = _histogram_text(histograms.get(key))
        return rows

    @classmethod
    def refresh_all(cls):
        """Recompute the recent days of the aggregates (the cron of every
        15 minutes, for the writes by SQL), one refresher at a time"""
        pool = Pool()
        pool.get('gru.steering.aggregate.dirty').lock_refresh()
        pool.get('gru.steering.request.day').refresh_recent()
        cls.refresh_recent()
        pool.get('gru.steering.antenna.day').refresh_recent()
        pool.get('gru.steering.antenna.hour').refresh_recent()


class AntennaDay(ModelSQL):
    """Antenna Day Aggregate

    The sums per day and antenna the experiment indicators add up over
    their windows, each from its source by its own moment: the calls
    answered (answer_at) and their talk time, the visits (arrived_at),
    the requests received by phone or at the counter (received_at) and
    the requests answered (answered_at)."""
    __string__ = "Antenna Day Aggregate"
    __name__ = 'gru.steering.antenna.day'

    day = fields.Date("Day", readonly=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", readonly=True)
    answered_calls = fields.Integer("Answered Calls", readonly=True)
    talk_seconds = fields.Float("Talk Seconds", readonly=True)
    visits = fields.Integer("Visits", readonly=True)
    visits_seen = fields.Integer("Visits Seen", readonly=True)
    counter_minutes = fields.Integer("Counter Minutes", readonly=True)
    permanence_visits = fields.Integer("Permanence Visits", readonly=True)
    contacts_phone = fields.Integer("Phone Contacts", readonly=True)
    contacts_counter = fields.Integer("Counter Contacts", readonly=True)
    requests_answered = fields.Integer("Requests Answered", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.antenna, Index.Equality()),
                (t.day, Index.Range())))

    @classmethod
    def sources(cls):
        """Return the sources: (model name, moment field, [(column name,
        expression of the table, aggregate)], where of the table or
        None)"""
        from sql.aggregate import Count, Sum
        from sql.conditionals import Case

        def calls(t):
            return [('answered_calls', t.id, Count),
                ('talk_seconds', t.talk_time, Sum)]

        def visits(t):
            seen = t.state == 'seen'
            return [
                ('visits', Literal(1), Count),
                ('visits_seen', Case((seen, Literal(1)),
                        else_=Literal(0)), Sum),
                ('counter_minutes', Case((seen, t.time_spent),
                        else_=Null), Sum),
                ('permanence_visits', Case((t.permanence != Null,
                            Literal(1)), else_=Literal(0)), Sum),
                ]

        def received(t):
            return [
                ('contacts_phone', Case((t.channel == 'phone', Literal(1)),
                        else_=Literal(0)), Sum),
                ('contacts_counter', Case((t.channel == 'counter',
                            Literal(1)), else_=Literal(0)), Sum),
                ]

        def answered(t):
            return [('requests_answered', Literal(1), Count)]
        return [
            ('gru.phone.call', 'answer_at', calls, None),
            ('gru.counter.visit', 'arrived_at', visits, None),
            ('gru.inbox.request', 'received_at', received,
                lambda t: t.channel.in_(['phone', 'counter'])),
            ('gru.inbox.request', 'answered_at', answered, None),
            ]

    @classmethod
    def keys_of(cls, records):
        "Return the keys (day, antenna id) the records count in"
        keys = set()
        for record in records:
            for model, at, _, _ in cls.sources():
                if record.__name__ == model:
                    keys.add((_day(getattr(record, at)),
                            getattr(record.antenna, 'id', None)))
        return keys

    @classmethod
    def _compute(cls, conditions):
        """Return {(day, antenna): {column: sum}} of the sources' rows
        meeting conditions(table, moment column): a where clause"""
        from .experiment import _day as sql_day
        from .experiment import _number
        pool = Pool()
        cursor = Transaction().connection.cursor()
        rows = {}
        for model, at, columns, where in cls.sources():
            table = pool.get(model).__table__()
            moment = getattr(table, at)
            condition = conditions(table, moment) & (moment != Null)
            if where is not None:
                condition &= where(table)
            columns = columns(table)
            inner = table.select(table.antenna.as_('antenna'),
                sql_day(moment).as_('day'),
                *[c.as_('v%s' % i) for i, (_, c, _) in enumerate(columns)],
                where=condition)
            cursor.execute(*inner.select(inner.day, inner.antenna,
                    *[agg(getattr(inner, 'v%s' % i))
                        for i, (_, _, agg) in enumerate(columns)],
                    group_by=[inner.day, inner.antenna]))
            for line in cursor:
                day = line[0]
                if isinstance(day, str):
                    day = dt.date.fromisoformat(day[:10])
                day = _day(day)
                row = rows.setdefault((day, line[1]), {
                        n: 0 for n in cls.value_names()})
                for (name, _, _), value in zip(columns, line[2:]):
                    row[name] += _number(value)
        for row in rows.values():
            for name in row:
                if name != 'talk_seconds':
                    row[name] = int(row[name])
                else:
                    row[name] = float(row[name])
        return rows

    @classmethod
    def value_names(cls):
        return ['answered_calls', 'talk_seconds', 'visits', 'visits_seen',
            'counter_minutes', 'permanence_visits', 'contacts_phone',
            'contacts_counter', 'requests_answered']

    @classmethod
    def _insert(cls, rows):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        names = cls.value_names()
        values = [list(k) + [r[n] for n in names] + [user]
            for k, r in rows.items()]
        columns = [table.day, table.antenna] + [
            getattr(table, n) for n in names] + [table.create_uid]
        for sub_values in grouped_slice(values,
                max(1, backend.MAX_QUERY_PARAMS // len(columns))):
            cursor.execute(*table.insert(columns, list(sub_values)))

    @classmethod
    def refresh(cls, keys):
        "Recompute the rows of the keys (day, antenna id) from the sources"
        keys = {k for k in keys if k[0] is not None}
        if not keys:
            return
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub_keys in grouped_slice(sorted(keys, key=_sort_key), 200):
            sub_keys = list(sub_keys)
            cursor.execute(*table.delete(where=Or([
                            (table.day == d) & (table.antenna == a
                                if a is not None else table.antenna == Null)
                            for d, a in sub_keys])))

            def conditions(source, moment):
                result = []
                for day, antenna in sub_keys:
                    start = dt.datetime.combine(day, dt.time.min)
                    condition = (moment >= start) & (moment < start + DAY)
                    if antenna is None:
                        condition &= source.antenna == Null
                    else:
                        condition &= source.antenna == antenna
                    result.append(condition)
                return Or(result)
            cls._insert({k: v for k, v in cls._compute(conditions).items()
                    if k in set(sub_keys)})

    @classmethod
    def refresh_days(cls, first, last):
        "Recompute every row of the days from first to last (included)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(
                where=(table.day >= first) & (table.day <= last)))
        start = dt.datetime.combine(first, dt.time.min)
        end = dt.datetime.combine(last + DAY, dt.time.min)
        cls._insert(cls._compute(
                lambda source, moment: (moment >= start) & (moment < end)))

    @classmethod
    def rebuild(cls, days=92):
        "Recompute all the rows, by periods of days; forget their dirty keys"
        pool = Pool()
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.delete())
        pool.get('gru.steering.aggregate.dirty').clear([cls.__name__])
        bounds = []
        for model, at, _, _ in cls.sources():
            source = pool.get(model).__table__()
            moment = getattr(source, at)
            for order in [moment.asc, moment.desc]:
                cursor.execute(*source.select(moment,
                        where=moment != Null, order_by=[order], limit=1))
                line = cursor.fetchone()
                if line:
                    bounds.append(_day(line[0]))
        if not bounds:
            return
        day, last = min(bounds), max(bounds)
        while day <= last:
            end = min(day + dt.timedelta(days=days - 1), last)
            cls.refresh_days(day, end)
            day = end + DAY

    @classmethod
    def refresh_recent(cls):
        "Recompute the rows of the last CRON_DAYS days and today"
        today = Pool().get('ir.date').today()
        cls.refresh_days(today - dt.timedelta(days=CRON_DAYS), today + DAY)


class AntennaHour(ModelSQL):
    """Antenna Hour Aggregate

    The load per UTC hour and antenna the workload staffing reads: the
    calls offered routed to the antenna (or answered by it when not
    routed), those answered and their talk time by the hour they started,
    and the visits at its counter (not at a permanence), those seen and
    the minutes spent by the hour they arrived."""
    __string__ = "Antenna Hour Aggregate"
    __name__ = 'gru.steering.antenna.hour'

    hour = fields.DateTime("Hour", readonly=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", readonly=True)
    calls = fields.Integer("Calls", readonly=True)
    calls_answered = fields.Integer("Calls Answered", readonly=True)
    talk_seconds = fields.Float("Talk Seconds", readonly=True)
    visits = fields.Integer("Visits", readonly=True)
    visits_seen = fields.Integer("Visits Seen", readonly=True)
    visit_minutes = fields.Integer("Visit Minutes", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.antenna, Index.Equality()),
                (t.hour, Index.Range())))

    @classmethod
    def value_names(cls):
        return ['calls', 'calls_answered', 'talk_seconds', 'visits',
            'visits_seen', 'visit_minutes']

    @classmethod
    def sources(cls):
        """Return the sources: (model name, moment field, antenna of the
        table, [(column name, expression of the table, aggregate)], where
        of the table)"""
        from sql.aggregate import Count, Sum
        from sql.conditionals import Case, Coalesce

        from .staffing import OFFERED_OUTCOMES

        def calls(t):
            answered = t.talk_time != Null
            return [
                ('calls', t.id, Count),
                ('calls_answered', Case((answered, Literal(1)),
                        else_=Literal(0)), Sum),
                ('talk_seconds', Case((answered, t.talk_time),
                        else_=Null), Sum),
                ]

        def visits(t):
            seen = (t.state == 'seen') & (t.time_spent != Null)
            return [
                ('visits', t.id, Count),
                ('visits_seen', Case((seen, Literal(1)), else_=Literal(0)),
                    Sum),
                ('visit_minutes', Case((seen, t.time_spent), else_=Null),
                    Sum),
                ]
        return [
            ('gru.phone.call', 'started_at',
                lambda t: Coalesce(t.routed_antenna, t.antenna), calls,
                lambda t: t.outcome.in_(OFFERED_OUTCOMES)),
            ('gru.counter.visit', 'arrived_at', lambda t: t.antenna,
                visits, lambda t: t.permanence == Null),
            ]

    @classmethod
    def keys_of(cls, records):
        "Return the keys (hour, antenna id) the records count in"
        keys = set()
        for record in records:
            if record.__name__ == 'gru.phone.call':
                at = record.started_at
                antenna = record.routed_antenna or record.antenna
            elif record.__name__ == 'gru.counter.visit':
                at, antenna = record.arrived_at, record.antenna
            else:
                continue
            if at is not None:
                keys.add((at.replace(minute=0, second=0, microsecond=0),
                        getattr(antenna, 'id', None)))
        return keys

    @classmethod
    def _compute(cls, conditions):
        """Return {(hour, antenna): {column: sum}} of the sources' rows
        meeting conditions(table, moment column, antenna column)"""
        from sql.functions import DateTrunc

        from .experiment import _number
        from .staffing import _datetime
        pool = Pool()
        cursor = Transaction().connection.cursor()
        rows = {}
        for model, at, antenna, columns, where in cls.sources():
            table = pool.get(model).__table__()
            moment = getattr(table, at)
            antenna = antenna(table)
            columns = columns(table)
            condition = (conditions(table, moment, antenna)
                & (moment != Null) & where(table))
            # grouped in an outer query: PostgreSQL does not see the hour
            # (date_trunc with its unit as a parameter) of the GROUP BY
            inner = table.select(antenna.as_('antenna'),
                DateTrunc('hour', moment).as_('hour'),
                *[c.as_('v%s' % i) for i, (_, c, _) in enumerate(columns)],
                where=condition)
            cursor.execute(*inner.select(inner.hour, inner.antenna,
                    *[agg(getattr(inner, 'v%s' % i))
                        for i, (_, _, agg) in enumerate(columns)],
                    group_by=[inner.hour, inner.antenna]))
            for line in cursor:
                key = (_datetime(line[0]), line[1])
                row = rows.setdefault(key,
                    dict.fromkeys(cls.value_names(), 0))
                for (name, _, _), value in zip(columns, line[2:]):
                    row[name] += _number(value)
        for row in rows.values():
            for name in row:
                row[name] = (float(row[name]) if name == 'talk_seconds'
                    else int(row[name]))
        return rows

    @classmethod
    def _insert(cls, rows):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        names = cls.value_names()
        values = [list(k) + [r[n] for n in names] + [user]
            for k, r in rows.items()]
        columns = [table.hour, table.antenna] + [
            getattr(table, n) for n in names] + [table.create_uid]
        for sub_values in grouped_slice(values,
                max(1, backend.MAX_QUERY_PARAMS // len(columns))):
            cursor.execute(*table.insert(columns, list(sub_values)))

    @classmethod
    def refresh(cls, keys):
        "Recompute the rows of the keys (hour, antenna id)"
        keys = set(keys)
        if not keys:
            return
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        hour = dt.timedelta(hours=1)
        for sub_keys in grouped_slice(sorted(keys, key=_sort_key), 200):
            sub_keys = list(sub_keys)
            cursor.execute(*table.delete(where=Or([
                            (table.hour == h) & (table.antenna == a
                                if a is not None else table.antenna == Null)
                            for h, a in sub_keys])))

            def conditions(source, moment, antenna):
                result = []
                for start, antenna_id in sub_keys:
                    condition = (moment >= start) & (moment < start + hour)
                    if antenna_id is None:
                        condition &= antenna == Null
                    else:
                        condition &= antenna == antenna_id
                    result.append(condition)
                return Or(result)
            cls._insert(cls._compute(conditions))

    @classmethod
    def refresh_days(cls, first, last):
        "Recompute every row of the days from first to last (included)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        start = dt.datetime.combine(first, dt.time.min)
        end = dt.datetime.combine(last + DAY, dt.time.min)
        cursor.execute(*table.delete(
                where=(table.hour >= start) & (table.hour < end)))
        cls._insert(cls._compute(
                lambda source, moment, antenna: (moment >= start)
                & (moment < end)))

    @classmethod
    def rebuild(cls, days=92):
        "Recompute all the rows, by periods of days; forget their dirty keys"
        pool = Pool()
        cursor = Transaction().connection.cursor()
        cursor.execute(*cls.__table__().delete())
        pool.get('gru.steering.aggregate.dirty').clear([cls.__name__])
        bounds = []
        for model, at, _, _, _ in cls.sources():
            source = pool.get(model).__table__()
            moment = getattr(source, at)
            for order in [moment.asc, moment.desc]:
                cursor.execute(*source.select(moment,
                        where=moment != Null, order_by=[order], limit=1))
                line = cursor.fetchone()
                if line:
                    bounds.append(_day(line[0]))
        if not bounds:
            return
        day, last = min(bounds), max(bounds)
        while day <= last:
            end = min(day + dt.timedelta(days=days - 1), last)
            cls.refresh_days(day, end)
            day = end + DAY

    @classmethod
    def refresh_recent(cls):
        "Recompute the rows of the last CRON_DAYS days and today"
        today = Pool().get('ir.date').today()
        cls.refresh_days(today - dt.timedelta(days=CRON_DAYS), today + DAY)


class Dirty(ModelSQL):
    """Dirty Aggregate Key

    A key (day or hour and dimensions) of an aggregate whose source rows
    were created, written or deleted through the ORM since its rows were
    computed. The writers only insert these rows, in their transaction
    (inserts never conflict); refresh_dirty, one at a time, recomputes the
    keys from the committed source rows and deletes the rows it read."""
    __string__ = "Dirty Aggregate Key"
    __name__ = 'gru.steering.aggregate.dirty'

    aggregate = fields.Char("Aggregate", required=True, readonly=True)
    key = fields.Char("Key", required=True, readonly=True,
        help="The day or hour and the dimensions (JSON).")

    @classmethod
    def dump_key(cls, key):
        "Return the text of the key (day or hour, key columns...)"
        first = key[0].isoformat() if key[0] is not None else None
        return json.dumps([first] + list(key[1:]), separators=(',', ':'))

    @classmethod
    def load_key(cls, text):
        "Return the key of the text (dump_key)"
        values = json.loads(text)
        first = values[0]
        if first is not None:
            first = (dt.date.fromisoformat(first) if len(first) == 10
                else dt.datetime.fromisoformat(first))
        return (first,) + tuple(values[1:])

    @classmethod
    def add(cls, keys):
        "Record the keys dirty: {aggregate name: keys}"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        values = [[name, cls.dump_key(k), user]
            for name, keys_ in sorted(keys.items())
            for k in sorted(keys_, key=_sort_key)]
        for sub_values in grouped_slice(values,
                max(1, backend.MAX_QUERY_PARAMS // 3)):
            cursor.execute(*table.insert(
                    [table.aggregate, table.key, table.create_uid],
                    list(sub_values)))

    @classmethod
    def clear(cls, names):
        "Forget the dirty keys of the aggregates (a rebuild)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(where=table.aggregate.in_(list(names))))

    @classmethod
    def lock_refresh(cls):
        """Lock the aggregate tables against another refresher: the
        transaction restarts with the lock taken first (Tryton's locks:
        before the snapshot of the transaction is taken)"""
        # the figures only read them (allowed by the EXCLUSIVE mode) and
        # the writers only insert into this table: neither waits
        Pool().get('gru.steering.request.day').lock()

    @classmethod
    def refresh_dirty(cls):
        """Recompute the rows of the dirty keys (the cron of every minute):
        read the dirty rows, recompute their keys from the source rows and
        delete the rows read, by id: a key dirtied again by a transaction
        committed meanwhile stays for the next refresh. Return the number
        of keys refreshed."""
        pool = Pool()
        cls.lock_refresh()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id, table.aggregate, table.key))
        ids = []
        keys = defaultdict(set)
        for id_, name, text in cursor:
            ids.append(id_)
            keys[name].add(cls.load_key(text))
        for name in sorted(keys):
            pool.get(name).refresh(keys[name])
        for sub_ids in grouped_slice(ids):
            cursor.execute(*table.delete(where=table.id.in_(list(sub_ids))))
        return sum(len(k) for k in keys.values())


class _SourceMixin:
    """Record the aggregate keys of the records written through the ORM
    (gru.steering.aggregate.dirty)"""
    __slots__ = ()
    # {aggregate name: the fields it reads}
    _aggregates = {}

    @classmethod
    def _aggregate_keys(cls, records, names=None):
        "Return {aggregate name: keys} of the records"
        pool = Pool()
        result = {}
        for name, fields_ in cls._aggregates.items():
            if names is not None and not (fields_ & set(names)):
                continue
            Aggregate = pool.get(name)
            if hasattr(Aggregate, 'keys_of'):
                result[name] = Aggregate.keys_of(records)
            else:
                result[name] = {Aggregate.key_of(r) for r in records}
        return result

    @classmethod
    def _refresh_aggregates(cls, keys):
        "Record the keys dirty: refresh_dirty recomputes them"
        Pool().get('gru.steering.aggregate.dirty').add(keys)

    @classmethod
    def create(cls, vlist):
        records = super().create(vlist)
        cls._refresh_aggregates(cls._aggregate_keys(records))
        return records

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        keys = defaultdict(set)
        changed = []
        for records, values in zip(actions, actions):
            found = cls._aggregate_keys(records, values)
            if found:
                changed.append((records, list(values)))
            for name, keys_ in found.items():
                keys[name] |= keys_
        super().write(*args)
        for records, names in changed:
            # read again: the values written may be computed by write
            records = cls.browse([r.id for r in records])
            for name, keys_ in cls._aggregate_keys(records, names).items():
                keys[name] |= keys_
        cls._refresh_aggregates(keys)

    @classmethod
    def delete(cls, records):
        keys = cls._aggregate_keys(records)
        super().delete(records)
        cls._refresh_aggregates(keys)


class Request(_SourceMixin, metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'
    _aggregates = {
        'gru.steering.request.day': {'received_at', 'company', 'antenna',
            'channel', 'scheme', 'first_response_at', 'first_response_due'},
        'gru.steering.antenna.day': {'received_at', 'antenna', 'channel',
            'answered_at'},
        }

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # the service levels count live the requests past their due date
        # without a first response (the share within the SLA)
        cls._sql_indexes.update({
                # the requests not responded yet due in the future: not
                # counted yet in the share within the SLA
                Index(t, (t.first_response_due, Index.Range()),
                    include=[t.received_at, t.company, t.antenna,
                        t.channel, t.scheme],
                    where=(t.first_response_at == Null)
                    & (t.first_response_due != Null)),
                # the backlog by age: the open requests read from the
                # index only
                Index(t, (t.received_at, Index.Range()),
                    include=[t.company, t.antenna, t.channel, t.scheme],
                    where=t.state.in_(OPEN_STATES)),
                })


class Call(_SourceMixin, metaclass=PoolMeta):
    __name__ = 'gru.phone.call'
    _aggregates = {
        'gru.steering.call.day': {'started_at', 'antenna', 'outcome',
            'waiting_time'},
        'gru.steering.antenna.day': {'answer_at', 'antenna', 'talk_time'},
        'gru.steering.antenna.hour': {'started_at', 'routed_antenna',
            'antenna', 'outcome', 'talk_time'},
        }


class Visit(_SourceMixin, metaclass=PoolMeta):
    __name__ = 'gru.counter.visit'
    _aggregates = {
        'gru.steering.antenna.day': {'arrived_at', 'antenna', 'state',
            'time_spent', 'permanence'},
        'gru.steering.antenna.hour': {'arrived_at', 'antenna', 'state',
            'time_spent', 'permanence'},
        }

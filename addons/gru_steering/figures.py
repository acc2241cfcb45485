# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pure functions of the service level and equity figures: median,
percentiles, mean, age buckets, Gini coefficient and max/min ratio."""
import datetime as dt
import math

from sql import Null
from sql.aggregate import Aggregate
from sql.conditionals import Case
from sql.functions import Extract

from trytond import backend
from trytond.config import config
from trytond.transaction import Transaction

# the outcomes of a call not offered to an agent: out of the shares
NOT_OFFERED = {None, 'out_of_hours'}
# the quantization of the delays of the histograms of the aggregates:
# (bound in seconds, step in seconds) the delays below bound are rounded
# to a multiple of step; the last has no bound (doc/design.rst)
QUANTIZATION = [
    (120, 1),
    (1200, 10),
    (7200, 60),
    (36000, 300),
    (172800, 900),
    (864000, 3600),
    (None, 14400),
    ]
# the age buckets of the backlog: (key, last day included); the last
# bucket has no bound
AGE_BUCKETS = [
    ('backlog_2', 1),
    ('backlog_7', 7),
    ('backlog_30', 30),
    ('backlog_older', None),
    ]


def mean(values):
    "Return the arithmetic mean of values, None when there is none"
    values = list(values)
    if not values:
        return None
    return sum(values) / len(values)


def percentile(values, fraction):
    """Return the percentile (0 <= fraction <= 1) of values by linear
    interpolation between the closest ranks (as PostgreSQL's
    percentile_cont and the spreadsheets' PERCENTILE.INC), None when
    there is no value"""
    values = sorted(values)
    if not values:
        return None
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    position = (len(values) - 1) * fraction
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return values[lower]
    weight = position - lower
    return values[lower] * (1 - weight) + values[upper] * weight


def quantize(value):
    """Return the delay value (seconds) rounded to the step of its
    magnitude (QUANTIZATION): at most about 4 % off (2.5 % above 20
    minutes)"""
    magnitude = abs(value)
    for bound, step in QUANTIZATION:
        if bound is None or magnitude < bound:
            return round(value / step) * step


def histogram_percentile(histogram, fraction):
    """Return the percentile (0 <= fraction <= 1) of the values counted by
    histogram ({value: count}) as percentile() of the values repeated by
    their counts, None when there is none"""
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    items = sorted((v, c) for v, c in histogram.items() if c > 0)
    total = sum(c for _, c in items)
    if not total:
        return None
    position = (total - 1) * fraction
    lower = math.floor(position)
    upper = math.ceil(position)

    def value_at(rank):
        seen = 0
        for value, count in items:
            seen += count
            if rank < seen:
                return value
    low = value_at(lower)
    if lower == upper:
        return low
    weight = position - lower
    return low * (1 - weight) + value_at(upper) * weight


def median(values):
    "Return the median of values, None when there is none"
    return percentile(values, 0.5)


def age_bucket(received_at, at):
    """Return the key of the age bucket of a request received at
    received_at (datetime) and still open at at (datetime): its age in
    whole days, < 2 days, 2 to 7, 8 to 30, more than 30"""
    days = (at - received_at) // dt.timedelta(days=1)
    for key, last in AGE_BUCKETS:
        if last is None or days <= last:
            return key


def gini(values):
    """Return the Gini coefficient of the values (>= 0): the mean absolute
    difference of all pairs over twice the mean; 0 when all are equal,
    (n - 1) / n when one holds everything; None without a positive
    total"""
    values = sorted(values)
    n = len(values)
    total = sum(values)
    if not n or total <= 0:
        return None
    if any(v < 0 for v in values):
        raise ValueError("values must not be negative")
    # sum over pairs of |xi - xj| from the sorted values:
    # 2 * sum_i (2i - n + 1) * x_i (i from 0)
    weighted = sum((2 * i - n + 1) * v for i, v in enumerate(values))
    return weighted / (n * total)


def max_min_ratio(values):
    """Return the ratio of the largest to the smallest value, None without
    values or when the smallest is 0"""
    values = list(values)
    if not values or min(values) <= 0:
        return None
    return max(values) / min(values)


def hours(delta):
    "Return a timedelta or a number of seconds as hours"
    if delta is None:
        return None
    if isinstance(delta, dt.timedelta):
        return delta.total_seconds() / 3600
    return float(delta) / 3600


def seconds(delta):
    "Return a timedelta or a number of seconds as seconds"
    if delta is None:
        return None
    if isinstance(delta, dt.timedelta):
        return delta.total_seconds()
    return float(delta)


class PercentileCont(Aggregate):
    """PostgreSQL's PERCENTILE_CONT(fraction) WITHIN GROUP (ORDER BY
    value): the same interpolation as percentile(); NULL values are left
    out"""
    __slots__ = ()
    _sql = 'PERCENTILE_CONT'


def sql_percentiles():
    """Return whether the database computes the percentiles (PostgreSQL):
    the figures are then aggregated in SQL, else in Python over the rows"""
    return backend.name == 'postgresql'


def sql_percentile(fraction, value, condition=None):
    """Return the SQL percentile of the value expression (of the rows
    meeting condition)"""
    from sql import Literal
    if condition is not None:
        value = Case((condition, value), else_=Null)
    return PercentileCont(Literal(fraction), within=[value])


def sql_seconds(interval):
    "Return the SQL seconds of an interval expression (PostgreSQL)"
    return Extract('EPOCH', interval)


def use_aggregates():
    """Tell whether the figures read the maintained aggregates: not with
    the context key gru_steering_raw, nor when [gru_steering] aggregates is
    false in trytond.conf (a server without trytond-cron, whose aggregates
    the scheduler never refreshes: the demo)"""
    if Transaction().context.get('gru_steering_raw'):
        return False
    return config.getboolean('gru_steering', 'aggregates', default=True)

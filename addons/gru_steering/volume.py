# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The request volumes of gru_inbox (GRU > Inbox > Reporting and the
graphs of the dashboards) counted from the maintained request aggregates
(aggregate.py) instead of the requests: at ten million requests a year of
requests is millions of rows to group, its aggregates a few thousand.

The aggregates count every request by day, company, antenna, channel and
scheme, so they answer the volumes grouped by month, channel, antenna and
scheme, when the user's rules on the requests read only these columns;
the volumes by state, or under other rules, still group the requests.
Like every figure read from the aggregates, the volumes lag the ORM's
writes by at most a minute (the cron of the dirty keys)."""
from sql import Column, Union

from trytond.model.modelsql import convert_from
from trytond.pool import Pool, PoolMeta

from .figures import use_aggregates
from .service import (
    aggregate_context_domain, aggregate_domain, aggregate_level,
    request_aggregate_parts)

# the dimensions of the volumes the aggregates have
AGGREGATED = {'month', 'channel', 'antenna', 'scheme'}


class RequestVolume(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request.volume'

    @classmethod
    def _aggregate_parts(cls):
        """Return the (tables, where clause) of the request aggregates that
        count the volumes of the context, None when the volumes must group
        the requests (by state, the aggregates not read, or rules on other
        columns than the aggregates')"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        Month = pool.get('gru.steering.request.month')
        dimensions = cls.dimensions()
        if not use_aggregates() or not set(dimensions) <= AGGREGATED:
            return None
        rule_domain = Rule.domain_get('gru.inbox.request', mode='read')
        if not aggregate_domain(rule_domain, set(Month._keys)):
            return None
        # the counts by channel need the channel in every level
        level = aggregate_level(
            (set(dimensions) - {'month'}) | {'channel'}, rule_domain)
        return request_aggregate_parts(level, *cls.period(),
            aggregate_context_domain(rule_domain))

    @classmethod
    def table_query(cls):
        parts = cls._aggregate_parts()
        if parts is None:
            return super().table_query()
        dimensions = cls.dimensions()
        # 1. the month and day aggregates of the period: a group's id is
        # the smallest of twice the ids of its day rows and of its month
        # rows plus one (unique, the same between search and read)
        queries = []
        for tables, where in parts:
            table, _ = tables[None]
            month = table._name == 'gru_steering_request_month'
            columns = [(table.id * 2 + int(month)).as_('id'),
                table.count.as_('count'), table.channel.as_('channel')]
            for name in dimensions:
                if name == 'month':
                    day = table.month if month else table.day
                    columns.append(
                        cls.month_column(cls.day_column(day)).as_('month'))
                elif name != 'channel':
                    columns.append(Column(table, name).as_(name))
            queries.append(convert_from(None, tables).select(
                    *columns, where=where))
        # 2. the groups of the dimensions asked (as gru_inbox)
        return cls.group_counts(Union(*queries, all_=True))

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The business calendars and antennas the IVR decision caches: a change
clears its cache."""
from trytond.pool import Pool, PoolMeta


class ClearDecisionMixin:
    __slots__ = ()

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        Pool().get('gru.phone.call').clear_cache()


class Calendar(ClearDecisionMixin, metaclass=PoolMeta):
    __name__ = 'gru.sla.calendar'


class CalendarHour(ClearDecisionMixin, metaclass=PoolMeta):
    __name__ = 'gru.sla.calendar.hour'


class CalendarClosure(ClearDecisionMixin, metaclass=PoolMeta):
    __name__ = 'gru.sla.calendar.closure'


class Antenna(ClearDecisionMixin, metaclass=PoolMeta):
    __name__ = 'gru.antenna'

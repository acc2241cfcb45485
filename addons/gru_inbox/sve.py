# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The values of the legal mentions of the acknowledgements (SVE) for a
request: its date of receipt, the service handling it, the date and
meaning of the implicit decision of its scheme (gru_scheme/sve.py)."""
import datetime as dt

from trytond.pool import Pool, PoolMeta
from trytond.tools import timezone as tz


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    def received_date(self):
        "Return the local date the request was received"
        if not self.received_at:
            return None
        timezone = None
        if self.company and self.company.timezone:
            timezone = tz.get_tzinfo(self.company.timezone)
        if timezone is None:
            return self.received_at.date()
        return self.received_at.replace(tzinfo=dt.timezone.utc).astimezone(
            timezone).date()

    def template_values(self):
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        values = super().template_values()
        values.update(Scheme.acknowledgement_values(
                self.scheme, self.received_date(), self.antenna))
        return values

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The retention of the closed requests."
import datetime as dt

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

MAX_DETAILS = 100


def references(records, name='reference'):
    "Return the list of the references of records for a run's details"
    values = [getattr(r, name) or str(r.id) for r in records[:MAX_DETAILS]]
    if len(records) > MAX_DETAILS:
        values.append('…')
    return ', '.join(values)


def limit_datetime(date):
    return dt.datetime.combine(date, dt.time())


class Policy(metaclass=PoolMeta):
    __name__ = 'gru.retention.policy'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('request', "Closed Requests"))

    def _apply_request(self, dry_run, run):
        """Erase the personal data of the requests closed or cancelled
        delete_after months ago (and of their messages, attachments, mail
        and letters); their statistics stay"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        limit = self.delete_limit()
        if limit is None:
            return {}
        limit = limit_datetime(limit)
        with without_check_access():
            requests = Request.search([
                    ('anonymized', '!=', True),
                    ['OR',
                        [('state', '=', 'closed'),
                            ('closed_at', '<', limit)],
                        # a cancellation has no date: its last change
                        [('state', '=', 'cancelled'),
                            ('write_date', '<', limit)],
                        ],
                    ], order=[('id', 'ASC')])
        result = {'to_delete': len(requests)}
        if requests:
            result['details'] = gettext(
                'gru_inbox.msg_retention_requests',
                requests=references(requests))
        if not dry_run and requests:
            Request.anonymize_contents(requests)
            result['deleted'] = len(requests)
        return result

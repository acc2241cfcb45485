# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The retention of the calls."
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

from gru_inbox.party import erase_records
from gru_inbox.retention import limit_datetime, references


class Policy(metaclass=PoolMeta):
    __name__ = 'gru.retention.policy'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('phone_call', "Calls"))

    def _apply_phone_call(self, dry_run, run):
        """Erase what identifies the caller of the calls ended
        delete_after months ago (number, usager, IVR input, note); the
        times, antennas and outcomes stay for the statistics"""
        pool = Pool()
        Call = pool.get('gru.phone.call')
        limit = self.delete_limit()
        if limit is None:
            return {}
        limit = limit_datetime(limit)
        with without_check_access():
            calls = Call.search([
                    ('anonymized', '!=', True),
                    ('started_at', '<', limit),
                    ], order=[('id', 'ASC')])
        result = {'to_delete': len(calls)}
        if calls:
            result['details'] = gettext('gru_phone.msg_retention_calls',
                calls=references(calls, name='call_id'))
        if not dry_run and calls:
            erase_records([(Call, [('id', 'in', [c.id for c in calls])],
                        True, Call._gdpr_erased_columns(),
                        Call._gdpr_erased_values())])
            result['deleted'] = len(calls)
        return result

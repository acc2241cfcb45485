# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The calls of a usager in his GDPR export and anonymisation."
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

from gru_inbox.party import usager_family


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def gdpr_models(cls):
        # the targets (gru.phone.call.step) and events (gru.phone.call.event)
        # of a call follow it: exported in their sections, referenced by
        # the call id; they hold no data of the caller (antennas, SIP
        # accounts of the agents, times, SIP statuses), so the anonymisation
        # of the call leaves them
        return super().gdpr_models() | {'gru.phone.call',
            'gru.phone.call.step', 'gru.phone.call.event'}

    @classmethod
    def _gdpr_section_models(cls):
        return dict(super()._gdpr_section_models(), calls='gru.phone.call',
            call_targets='gru.phone.call.step',
            call_events='gru.phone.call.event')

    def _gdpr_calls(self):
        """Return the calls of the usager: matched to him or to a usager
        merged into him, or attached to one of his requests"""
        pool = Pool()
        Call = pool.get('gru.phone.call')
        requests = [r.id for r in self._gdpr_requests()]
        with without_check_access():
            return Call.search(['OR',
                    ('party', 'in', list(usager_family([self]))),
                    ('request', 'in', requests),
                    ], order=[('started_at', 'ASC'), ('id', 'ASC')])

    def _gdpr_sections(self):
        sections = super()._gdpr_sections()
        calls = self._gdpr_calls()
        sections['calls'] = [{
                'call_id': c.call_id,
                'caller': c.caller,
                'called': c.called,
                'postal_code': c.postal_code,
                'commune': c.commune,
                'started_at': c.started_at,
                'answer_at': c.answer_at,
                'end_at': c.end_at,
                'outcome': c.outcome,
                'antenna': c.antenna.rec_name if c.antenna else None,
                'agent': c.agent.name if c.agent else None,
                'request': c.request.reference if c.request else None,
                'note': c.note,
                } for c in calls]
        sections['call_targets'] = [{
                'call_id': c.call_id,
                'sequence': s.sequence,
                'kind': s.kind,
                'antenna': s.antenna.rec_name if s.antenna else None,
                'code': s.code,
                'agents': s.agents,
                } for c in calls for s in c.steps]
        sections['call_events'] = [{
                'call_id': c.call_id,
                'event': e.event,
                'time': e.time,
                'agent': e.agent,
                'target': e.target,
                'code': e.code,
                } for c in calls for e in c.events]
        return sections


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Call = pool.get('gru.phone.call')
        return super().to_erase(party_id) + [
            (Call, [('party', '=', party_id)], True,
                Call._gdpr_erased_columns(), Call._gdpr_erased_values()),
            ]

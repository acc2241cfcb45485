# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

from gru_inbox.party import usager_family


def visit_domain(party):
    """The domain of the visits of the usager party (an id or a list of
    ids): his own and those of his requests"""
    operator = 'in' if isinstance(party, (list, tuple, set)) else '='
    if operator == 'in':
        party = list(party)
    return ['OR',
        ('party', operator, party),
        ('request.party', operator, party),
        ]


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def gdpr_models(cls):
        return super().gdpr_models() | {'gru.counter.visit'}

    @classmethod
    def _gdpr_section_models(cls):
        return dict(super()._gdpr_section_models(),
            visits='gru.counter.visit')

    def _gdpr_visits(self):
        pool = Pool()
        Visit = pool.get('gru.counter.visit')
        with without_check_access():
            return Visit.search(visit_domain(usager_family([self])),
                order=[('arrived_at', 'ASC'), ('id', 'ASC')])

    def _gdpr_sections(self):
        sections = super()._gdpr_sections()
        sections['visits'] = [{
                'antenna': v.antenna.rec_name,
                'permanence': v.permanence.rec_name
                if v.permanence else None,
                'arrived_at': v.arrived_at,
                'name': v.name,
                'motive': v.motive.rec_name if v.motive else None,
                'scheme': v.scheme.rec_name if v.scheme else None,
                'state': v.state,
                'called_at': v.called_at,
                'ended_at': v.ended_at,
                'waiting_time': v.waiting_time,
                'time_spent': v.time_spent,
                'seen_by': v.seen_by.name if v.seen_by else None,
                'request': v.request.reference if v.request else None,
                } for v in self._gdpr_visits()]
        return sections


class Replace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        # the visits of a duplicate follow the usager that survives
        return super().fields_to_replace() + [
            ('gru.counter.visit', 'party'),
            ]


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        # the visits of his requests go with them (Request._gdpr_to_erase);
        # these are his visits without request (left unseen). The waiting
        # list keeps its dates, antenna, motive and times for attendance.
        pool = Pool()
        Visit = pool.get('gru.counter.visit')
        return super().to_erase(party_id) + [
            (Visit, visit_domain(party_id), True, ['name'], [None]),
            ]

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The calls of the usager in the 360° panel of a request."
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from gru_inbox.conversation import PANEL_LIMIT, record_link


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    def _usager_party_sections(self, party):
        "Add the last calls of the usager the user may see"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        ModelAccess = pool.get('ir.model.access')
        sections = super()._usager_party_sections(party)
        if not ModelAccess.check('gru.phone.call', 'read',
                raise_exception=False):
            return sections
        calls = Call.search([('party', '=', party.id)],
            order=[('started_at', 'DESC'), ('id', 'DESC')], limit=PANEL_LIMIT)
        outcomes = dict(Call.fields_get(['outcome'])['outcome']['selection'])
        rows = []
        for call in calls:
            text = ' · '.join(filter(None, [
                        call.started_at.strftime('%d/%m/%Y %H:%M')
                        if call.started_at else '',
                        outcomes.get(call.outcome) or '',
                        call.agent.rec_name if call.agent else '']))
            rows.append(record_link(call, text or str(call.id)))
        sections.append(('calls', gettext('gru_phone.msg_usager_calls'),
                rows, gettext('gru_phone.msg_usager_no_calls')))
        return sections

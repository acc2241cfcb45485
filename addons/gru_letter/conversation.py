# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The letters of the usager in the 360° panel of a request."
from html import escape

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from gru_inbox.conversation import PANEL_LIMIT, record_link


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    def _usager_party_sections(self, party):
        "Add the last incoming and reply letters the user may see"
        pool = Pool()
        Letter = pool.get('gru.letter')
        Outgoing = pool.get('gru.letter.outgoing')
        ModelAccess = pool.get('ir.model.access')
        sections = super()._usager_party_sections(party)
        if not ModelAccess.check('gru.letter', 'read',
                raise_exception=False):
            return sections
        states = dict(Letter.fields_get(['state'])['state']['selection'])
        rows = []
        for letter in Letter.search([('party', '=', party.id)],
                order=[('received_date', 'DESC'), ('id', 'DESC')],
                limit=PANEL_LIMIT):
            rows.append('%s · %s · %s' % (
                    record_link(letter),
                    escape(letter.received_date.strftime('%d/%m/%Y')),
                    escape(states.get(letter.state) or '')))
        if ModelAccess.check('gru.letter.outgoing', 'read',
                raise_exception=False):
            for letter in Outgoing.search([('party', '=', party.id)],
                    order=[('id', 'DESC')], limit=PANEL_LIMIT):
                rows.append('%s · %s' % (
                        escape(gettext('gru_letter.msg_usager_reply_letter')),
                        record_link(letter)))
        sections.append(('letters', gettext('gru_letter.msg_usager_letters'),
                rows, gettext('gru_letter.msg_usager_no_letters')))
        return sections

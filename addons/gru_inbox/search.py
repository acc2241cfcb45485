# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The one search box of the agents: the header search of the web client
(ir.model.global_search) finds the requests by their reference, subject,
usager (name, email, phone, dossier number) or captured contact data."""
from sql.conditionals import Coalesce

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from gru_contact.tools import phone_like, search_keys


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        Model = pool.get('ir.model')
        super().__register__(module)
        model = Model.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*model.update([model.global_search_p], [True],
                where=(model.name == cls.__name__)
                & (Coalesce(model.global_search_p, False)
                    == False)))  # noqa: E712

    @classmethod
    def search_rec_name(cls, name, clause):
        """Find the requests also by their usager (name, email, phone,
        dossier number...) and by the contact data captured on them"""
        domain = super().search_rec_name(name, clause)
        _, operator, operand, *extra = clause
        if (not domain or domain[0] != 'OR' or not isinstance(operand, str)
                or operator not in {'=', 'ilike', 'like'}):
            return domain
        domain = list(domain)
        domain.append(('party.rec_name', operator, operand, *extra))
        keys = search_keys(operand)
        if keys['email']:
            domain.append(('contact_email', 'ilike', keys['email']))
        if keys['phone']:
            domain.append(('contact_phone', 'like', phone_like(keys['phone'])))
        if not keys['email'] and not keys['phone']:
            domain.append(('contact_name', operator, operand, *extra))
        return domain

    @classmethod
    def search_global(cls, text):
        for record, name, icon in super().search_global(text):
            if record.party:
                name = '%s — %s' % (name, record.party.rec_name)
            yield record, name, icon or record.channel_icon

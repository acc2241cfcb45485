# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class ChecklistTemplate(metaclass=PoolMeta):
    __name__ = 'gru.scheme.checklist.template'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('mailbox', "Mailbox Created"))


class Scheme(metaclass=PoolMeta):
    __name__ = 'gru.scheme'

    # the filter on 'active' keeps the inactive mailboxes too (the demo's,
    # the suspended ones): without it, the search behind the field skips
    # them
    mailboxes = fields.One2Many('gru.mail.mailbox', 'scheme', "Mailboxes",
        readonly=True, filter=[('active', 'in', [True, False])],
        order=[('name', 'ASC'), ('id', 'ASC')],
        help="The mailboxes, active or not, whose mail opens requests of "
        "this scheme (GRU ‣ Configuration ‣ Mailboxes).")

    def _checklist_proof_mailbox(self):
        "The task \"create the mailbox\" is done when a mailbox serves it"
        return self.mailboxes

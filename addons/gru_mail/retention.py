# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The retention of the raw emails."
from sql import Null

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from gru_inbox.party import erase_records
from gru_inbox.retention import limit_datetime, references


class Policy(metaclass=PoolMeta):
    __name__ = 'gru.retention.policy'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('raw_email', "Raw Emails"))

    def _apply_raw_email(self, dry_run, run):
        """Clear the raw .eml of the mail received delete_after months ago
        (not the quarantined ones, waiting for a retry): the request, its
        messages and attachments hold what the mail said, the received mail
        record keeps its facts"""
        pool = Pool()
        Received = pool.get('gru.mail.received')
        Email = pool.get('inbound.email')
        limit = self.delete_limit()
        if limit is None:
            return {}
        received = Received.__table__()
        email = Email.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*received.join(email,
                condition=received.inbound_email == email.id).select(
                received.id, email.id,
                where=(received.date < limit_datetime(limit))
                & (received.state != 'quarantined')
                & ((email.data_id != Null) | (email.data != Null)),
                order_by=[received.id]))
        rows = cursor.fetchall()
        emails = sorted({e for _, e in rows})
        result = {'to_delete': len(emails)}
        if rows:
            result['details'] = gettext('gru_mail.msg_retention_raw_emails',
                mails=references(Received.browse([r for r, _ in rows]),
                    name='message_id'))
        if not dry_run and emails:
            erase_records([
                    (Email, [('id', 'in', emails)], False,
                        ['data', 'data_id'], [None, None]),
                    ])
            result['deleted'] = len(emails)
        return result

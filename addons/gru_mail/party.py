# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import without_check_access

from gru_contact.gdpr import archive_path
from gru_inbox.party import usager_family


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def gdpr_models(cls):
        return super().gdpr_models() | {'gru.mail.received', 'inbound.email'}

    @classmethod
    def _gdpr_section_models(cls):
        return dict(super()._gdpr_section_models(),
            received_mail='gru.mail.received')

    def _gdpr_received(self):
        "Return the received mail records of the requests of the usager"
        pool = Pool()
        Received = pool.get('gru.mail.received')
        requests = self._gdpr_requests()
        received = []
        with without_check_access():
            for sub in grouped_slice([r.id for r in requests]):
                received.extend(Received.search(['OR',
                            ('request', 'in', list(sub)),
                            ('message.request', 'in', list(sub)),
                            ], order=[('id', 'ASC')]))
        return received

    def _gdpr_message_row(self, message):
        row = super()._gdpr_message_row(message)
        row.update({
                'cc_address': message.cc_address,
                'history': message.history,
                'mail_state': message.mail_state,
                'sent_at': message.sent_at,
                'is_acknowledgement': message.is_acknowledgement,
                'oversize_attachments': message.oversize_attachments,
                })
        return row

    def _gdpr_sections(self):
        sections = super()._gdpr_sections()
        sections['received_mail'] = [{
                'date': r.date,
                'mailbox': r.mailbox.address,
                'from_address': r.from_address,
                'subject': r.subject,
                'message_id': r.message_id,
                'state': r.state,
                'outcome': r.outcome,
                'request': r.request.reference if r.request else None,
                'oversize': r.oversize,
                'inbound_email': self._gdpr_eml_path(r)
                if r.inbound_email and r.inbound_email.data else None,
                } for r in self._gdpr_received()]
        return sections

    def _gdpr_files(self):
        files = super()._gdpr_files()
        for received in self._gdpr_received():
            if received.inbound_email and received.inbound_email.data:
                files.append((self._gdpr_eml_path(received),
                        received.inbound_email.data))
        return files

    @staticmethod
    def _gdpr_eml_path(received):
        return archive_path('files', 'mail', '%s-%s.eml' % (
                received.id, received.date.strftime('%Y%m%d-%H%M%S')
                if received.date else ''))

    @classmethod
    def _gdpr_before_anonymize(cls, parties):
        "Cancel the mail not sent yet to the usagers (acknowledgements...)"
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        super()._gdpr_before_anonymize(parties)
        ids = list(usager_family(parties))
        with without_check_access():
            pending = []
            for sub in grouped_slice(ids):
                pending.extend(Message.search([
                            ('request.party', 'in', list(sub)),
                            ('direction', '=', 'out'),
                            ('mail_state', 'in', ['to_send', 'failed']),
                            ]))
            Message.cancel_mails(pending)

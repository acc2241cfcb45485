# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The mail of a usager in his GDPR export and erased by his
anonymisation; the mail queued for him is never sent afterwards."""
import datetime as dt
import unittest
from email.message import EmailMessage
from email.utils import formataddr

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_inbox.tests.gdpr import (
    file_content, file_hits, stored_files, text_hits)
from gru_mail.tests.test_module import no_smtp_server, smtp_server
from gru_scheme.tests.test_module import create_lists

NAME = "Hélène Bézier"
EMAIL = 'helene.bezier@example.org'
PHONE = '06 12 34 56 78'
STREET = "12 rue des Lilas"
NEEDLES = ['Bézier', EMAIL, PHONE, 'rue des Lilas']
MODELS = ['gru.inbox.request', 'gru.inbox.message', 'gru.mail.received',
    'inbound.email', 'ir.attachment']
OTHER = 'jean.dupont@example.org'


def mail(sender, name, message_id, body, attachment=None):
    "Return the raw mail of sender"
    msg = EmailMessage()
    msg['From'] = formataddr((name, sender))
    msg['To'] = 'accueil@gru.test'
    msg['Subject'] = "Dossier de %s" % name
    msg['Date'] = 'Mon, 23 Nov 2026 10:00:00 +0100'
    msg['Message-ID'] = message_id
    msg.set_content(body)
    if attachment:
        msg.add_attachment(attachment.encode(), maintype='text',
            subtype='plain', filename='attestation.txt')
    return msg.as_bytes()


class MailGdprTestCase(unittest.TestCase):
    "Test the GDPR export and anonymisation of the mail"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_mail'])

    def setup_mail(self):
        """A mailbox acknowledging every request; Hélène (a usager) and
        Jean (unknown) write to it: their acknowledgements are queued"""
        pool = Pool()
        Mailbox = pool.get('gru.mail.mailbox')
        Party = pool.get('party.party')
        Received = pool.get('gru.mail.received')
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.template')
        Rule = pool.get('gru.inbox.rule')
        theme, directorate, _ = create_lists()
        scheme, = Scheme.create([{'name': "Permis", 'code': 'PERMIS',
                    'theme': theme.id, 'directorate': directorate.id}])
        template, = Template.create([{'scheme': scheme.id,
                    'name': "Accusé", 'subject': "Bien reçu",
                    'body': "Demande ${reference} reçue, ${name}."}])
        Rule.create([{'name': "Accusé", 'acknowledgement': template.id}])
        mailbox, = Mailbox.create([{
                    'name': "Accueil", 'address': 'accueil@gru.test',
                    'host': 'imap.invalid', 'login': 'accueil',
                    'password': 'x',
                    }])
        helene, = Party.create([{
                    'name': NAME,
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': EMAIL},
                                {'type': 'mobile', 'value': PHONE},
                                ])],
                    'addresses': [('create', [{'street': STREET}])],
                    }])
        raw = mail(EMAIL, NAME, '<gdpr-1@example.org>',
            "Bonjour, je suis %s, %s, tél. %s." % (NAME, STREET, PHONE),
            attachment="Attestation de %s" % NAME)
        received = Received.ingest(mailbox, 1, 1, raw)
        other = Received.ingest(mailbox, 1, 2, mail(OTHER, "Jean Dupont",
                '<gdpr-2@example.org>', "Bonjour."))
        return {
            'helene': helene, 'mailbox': mailbox, 'raw': raw,
            'received': received, 'other': other,
            }

    @with_transaction()
    def test_export(self):
        "The export holds the received mail, its raw .eml and attachments"
        company = create_company()
        with set_company(company):
            data = self.setup_mail()
            helene, received = data['helene'], data['received']
            self.assertEqual(received.request.party, helene)
            sections = helene.gdpr_data()
            files = dict(helene._gdpr_files())

        row, = sections['received_mail']
        self.assertEqual(row['from_address'], '%s <%s>' % (NAME, EMAIL))
        self.assertEqual(row['request'], received.request.reference)
        self.assertEqual(files[row['inbound_email']], data['raw'])
        self.assertIn(received.request.reference,
            [r['reference'] for r in sections['requests']])
        incoming, = [m for m in sections['messages']
            if m['direction'] == 'in']
        self.assertIn(STREET, incoming['body'])
        acknowledgement, = [m for m in sections['messages']
            if m['is_acknowledgement']]
        self.assertEqual(acknowledgement['to_address'], EMAIL)
        attachment, = sections['request_attachments']
        self.assertEqual(files[attachment['file']],
            ("Attestation de %s" % NAME).encode())

    @with_transaction()
    def test_anonymize(self):
        """The anonymisation leaves nothing of the usager in the mail
        records, the raw .eml and the files; the facts of the received
        mail stay"""
        pool = Pool()
        Party = pool.get('party.party')
        Received = pool.get('gru.mail.received')
        company = create_company()
        with set_company(company):
            with no_smtp_server():
                data = self.setup_mail()
            received = data['received']
            self.assertTrue(text_hits(MODELS, NEEDLES))
            files = stored_files(MODELS)
            self.assertTrue(file_hits(files, NEEDLES))

            Party.anonymize([data['helene']])

            self.assertEqual(text_hits(MODELS, NEEDLES), [])
            self.assertEqual(file_hits(stored_files(MODELS), NEEDLES), [])
            for key, (prefix, file_id) in files.items():
                if key[0] == 'inbound.email' and key[2] == (
                        data['other'].inbound_email.id):
                    continue
                self.assertIsNone(file_content(prefix, file_id), key)
            received = Received(received.id)
            self.assertIsNone(received.inbound_email.data)
            self.assertEqual(received.state, 'processed')
            self.assertEqual(received.outcome, 'created')
            self.assertEqual(received.mailbox, data['mailbox'])
            self.assertEqual(received.request.channel, 'email')
            # the mail of the other sender is untouched
            other = Received(data['other'].id)
            self.assertEqual(other.inbound_email.data[:5], b'From:')
            self.assertIn(OTHER, other.from_address)

    @with_transaction()
    def test_acknowledgement_cancelled(self):
        """An acknowledgement queued before the anonymisation is never sent
        after it, by the scheduler nor from a list read before"""
        pool = Pool()
        Party = pool.get('party.party')
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            with no_smtp_server():
                data = self.setup_mail()
            acknowledgements = Message.search(
                [('is_acknowledgement', '=', True)])
            self.assertEqual(len(acknowledgements), 2)
            self.assertEqual({m.mail_state for m in acknowledgements},
                {'to_send'})
            mine, = [m for m in acknowledgements
                if m.request.party == data['helene']]

            Party.anonymize([data['helene']])

            with smtp_server() as smtp:
                Message.send_pending_mails()
                Message.send_mails([mine])
                Message.send_mail([Message(mine.id)])
            # only the acknowledgement of the other sender left
            self.assertEqual(len(smtp.mails), 1)
            self.assertEqual(smtp.mails[0].rcpt_tos, [OTHER])
            self.assertEqual(Message(mine.id).mail_state, 'cancelled')
            self.assertNotIn(EMAIL,
                b''.join(m.content for m in smtp.mails).decode())

    @with_transaction()
    def test_retention_raw_email(self):
        """The raw emails received long ago are cleared, after a dry run
        that only counts them; the received mail records keep their facts"""
        pool = Pool()
        Received = pool.get('gru.mail.received')
        Email = pool.get('inbound.email')
        Policy = pool.get('gru.retention.policy')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            with no_smtp_server():
                data = self.setup_mail()
            old, recent = data['received'], data['other']
            table = Received.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.date],
                    [dt.datetime(2020, 1, 1)], where=table.id == old.id))
            files = stored_files(['inbound.email'])
            policy = Policy(ModelData.get_id(
                    'gru_mail', 'retention_policy_raw_email'))

            line, = Policy.apply([policy], dry_run=True).lines
            self.assertFalse(line.error)
            self.assertEqual((line.to_delete, line.deleted), (1, None))
            self.assertEqual(stored_files(['inbound.email']), files)

            line, = Policy.apply([policy]).lines
            self.assertFalse(line.error)
            self.assertEqual((line.to_delete, line.deleted), (1, 1))
            self.assertIsNone(Email.read([old.inbound_email.id],
                    ['data'])[0]['data'])
            self.assertTrue(Email.read([recent.inbound_email.id],
                    ['data'])[0]['data'])
            values, = Received.read([old.id], ['state', 'outcome',
                    'request', 'mailbox', 'date'])
            self.assertEqual((values['state'], values['outcome']),
                ('processed', 'created'))
            self.assertEqual(values['request'], old.request.id)
            line, = Policy.apply([policy], dry_run=True).lines
            self.assertEqual(line.to_delete, 0)

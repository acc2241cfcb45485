# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The requests and messages of a usager in his GDPR export and erased by
his anonymisation."""
import datetime as dt
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_inbox.tests.gdpr import file_content, stored_files, text_hits
from gru_inbox.tests.test_module import InboxMixin

NAME = "Jeanne Quidam"
EMAIL = 'jeanne.quidam@example.org'
PHONE = '06 12 34 56 78'
STREET = "12 rue des Lilas"
NEEDLES = ['Quidam', EMAIL, PHONE, '0612345678', 'rue des Lilas']
MODELS = ['gru.inbox.request', 'gru.inbox.message', 'ir.attachment',
    'ir.note']


def replace(source, destination):
    "Merge the usager source into destination with party.replace"
    Replace = Pool().get('party.replace', type='wizard')
    session_id, _, _ = Replace.create()
    try:
        replace = Replace(session_id)
        replace.ask.source = source
        replace.ask.destination = destination
        replace.transition_replace()
    finally:
        Replace.delete(session_id)


class InboxGdprMixin(InboxMixin):

    def setup_usager(self):
        """Jeanne with a request by email (captured data, messages in and
        out, a note, attachments) and the request of her duplicate merged
        into her; Paul with a request of his own"""
        pool = Pool()
        Party = pool.get('party.party')
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Attachment = pool.get('ir.attachment')
        Note = pool.get('ir.note')
        jeanne, duplicate, paul = Party.create([{
                    'name': NAME,
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': EMAIL},
                                {'type': 'mobile', 'value': PHONE},
                                ])],
                    'addresses': [('create', [{
                                    'street': STREET,
                                    'postal_code': '80000',
                                    'city': "Amiens"}])],
                    }, {
                    'name': NAME,
                    }, {
                    'name': "Paul Témoin",
                    }])
        request = self.new_request(party=jeanne, subject="Aide de %s" % NAME,
            contact_name=NAME, contact_email=EMAIL, contact_phone=PHONE,
            contact_postal_code='80000',
            body="Bonjour, je suis %s, %s." % (NAME, STREET))
        Message.create([{
                    'request': request.id, 'direction': 'out',
                    'channel': 'web', 'to_address': EMAIL,
                    'subject': "Re: Aide de %s" % NAME,
                    'body': "Madame Quidam, voici la réponse.",
                    'body_html': "<p>Madame Quidam</p>",
                    }, {
                    'request': request.id, 'direction': 'note',
                    'channel': 'other',
                    'body': "Rappeler Mme Quidam au %s" % PHONE,
                    }])
        message = request.messages[0]
        Attachment.create([{
                    'resource': str(request), 'name': 'quidam.txt',
                    'type': 'data',
                    'data': ("Attestation de %s" % NAME).encode(),
                    }, {
                    'resource': str(message), 'name': 'piece.txt',
                    'type': 'data', 'data': STREET.encode(),
                    }])
        Note.create([{'resource': str(request),
                    'message': "Mme Quidam a appelé"}])
        merged = self.new_request(party=duplicate, channel='other',
            subject="Appel de J. Quidam", body="Rappel de %s" % PHONE)
        replace(duplicate, jeanne)
        other = self.new_request(party=paul, subject="Question de Paul",
            body="Bonjour, Paul Témoin.")
        return {
            'jeanne': jeanne, 'paul': paul, 'request': request,
            'merged': Request(merged.id), 'other': other,
            }


class InboxGdprTestCase(InboxGdprMixin, unittest.TestCase):
    "Test the GDPR export and anonymisation of the requests"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_inbox'])

    @with_transaction()
    def test_export(self):
        "The export holds the requests, messages and attachments"
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            data = self.setup_usager()
            jeanne = data['jeanne']
            sections = jeanne.gdpr_data()
            files = dict(jeanne._gdpr_files())

        references = [r['reference'] for r in sections['requests']]
        self.assertEqual(sorted(references), sorted([
                    data['request'].reference, data['merged'].reference]))
        self.assertNotIn(data['other'].reference, references)
        row, = [r for r in sections['requests']
            if r['reference'] == data['request'].reference]
        self.assertEqual(row['contact_email'], EMAIL)
        self.assertEqual(row['contact_phone'], PHONE)
        self.assertEqual(row['channel'], 'web')
        self.assertEqual(row['antenna'], data['request'].antenna.rec_name)
        bodies = [m['body'] for m in sections['messages']]
        self.assertEqual(len(bodies), 4)
        self.assertIn("Bonjour, je suis %s, %s." % (NAME, STREET), bodies)
        self.assertIn("Rappel de %s" % PHONE, bodies)
        self.assertNotIn("Bonjour, Paul Témoin.", bodies)
        self.assertIn("<p>Madame Quidam</p>",
            [m['body_html'] for m in sections['messages']])
        names = {a['name']: a['file'] for a in sections['request_attachments']}
        self.assertEqual(set(names), {'quidam.txt', 'piece.txt'})
        self.assertEqual(files[names['quidam.txt']],
            ("Attestation de %s" % NAME).encode())
        self.assertEqual(files[names['piece.txt']], STREET.encode())
        self.assertTrue(all(p.startswith('files/') for p in files))

    @with_transaction()
    def test_anonymize(self):
        """The anonymisation leaves nothing of the usager in the requests,
        messages, their attachments and files; the statistics stay"""
        pool = Pool()
        Party = pool.get('party.party')
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            data = self.setup_usager()
            request = data['request']
            before = {
                'channel': request.channel,
                'received_at': request.received_at,
                'antenna': request.antenna,
                'state': request.state,
                'reference': request.reference,
                }
            other = data['other']
            other_bodies = [m.body for m in other.messages]
            self.assertTrue(text_hits(MODELS, NEEDLES))
            files = stored_files(MODELS)
            self.assertTrue(files)

            Party.anonymize([data['jeanne']])

            self.assertEqual(text_hits(MODELS, NEEDLES), [])
            for key, (prefix, file_id) in files.items():
                self.assertIsNone(file_content(prefix, file_id), key)
            request = Request(request.id)
            for name, value in before.items():
                self.assertEqual(getattr(request, name), value)
            self.assertEqual(request.party, data['jeanne'])
            self.assertEqual(len(request.messages), 3)
            # read the columns, not the records cached before
            values, = Request.read([request.id], ['contact_postal_code',
                    'contact_name', 'subject', 'triage_log'])
            self.assertEqual(values['contact_postal_code'], None)
            self.assertEqual(values['contact_name'], None)
            self.assertEqual(values['subject'], "Anonymised request")
            # the usager of the other request keeps his data
            other = Request(other.id)
            self.assertEqual(other.subject, "Question de Paul")
            self.assertEqual([m.body for m in other.messages], other_bodies)
            self.assertEqual(Message.search_count(
                    [('body', 'like', '%Paul Témoin%')]), 1)

    @with_transaction()
    def test_retention_request(self):
        """The personal data of the requests closed long ago is erased,
        after a dry run that only counts them; their statistics stay"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Attachment = pool.get('ir.attachment')
        Policy = pool.get('gru.retention.policy')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            data = self.setup_usager()
            old, other = data['request'], data['other']
            Request.answer([old, other])
            Request.close([old, other])
            table = Request.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.closed_at],
                    [dt.datetime(2020, 1, 1)], where=table.id == old.id))
            policy = Policy(ModelData.get_id(
                    'gru_inbox', 'retention_policy_request'))

            line, = Policy.apply([policy], dry_run=True).lines
            self.assertFalse(line.error)
            self.assertEqual((line.to_delete, line.deleted), (1, None))
            self.assertIn(old.reference, line.details)
            self.assertEqual(Request.read([old.id], ['contact_email'])[0][
                    'contact_email'], EMAIL)

            line, = Policy.apply([policy]).lines
            self.assertFalse(line.error)
            self.assertEqual((line.to_delete, line.deleted), (1, 1))
            values, = Request.read([old.id], ['contact_name',
                    'contact_email', 'contact_phone', 'contact_postal_code',
                    'subject', 'anonymized', 'state', 'channel', 'antenna',
                    'received_at', 'party'])
            self.assertEqual([values[n] for n in ['contact_name',
                        'contact_email', 'contact_phone',
                        'contact_postal_code']], [None] * 4)
            self.assertEqual(values['subject'], "Anonymised request")
            self.assertTrue(values['anonymized'])
            self.assertEqual(values['state'], 'closed')
            self.assertEqual(values['channel'], 'web')
            self.assertEqual(values['antenna'], old.antenna.id)
            self.assertEqual(values['received_at'], old.received_at)
            for values in Message.read([m.id for m in old.messages],
                    ['body', 'from_address', 'to_address', 'subject']):
                self.assertEqual(set(values.values()) - {values['id']},
                    {None})
            self.assertEqual(Attachment.search_count([
                        ('resource', 'in', [str(old)] + [
                                str(m) for m in old.messages])]), 0)
            # the request closed recently keeps its data
            self.assertEqual(Request.read([other.id], ['subject'])[0][
                    'subject'], "Question de Paul")
            line, = Policy.apply([policy], dry_run=True).lines
            self.assertEqual(line.to_delete, 0)

"""The email channel end to end with a real Dovecot and a real SMTP server.

A usager sends by SMTP, the gateway ingests from IMAP, an agent replies by
SMTP, the usager's mailbox receives the reply, the usager's reply threads
back to the same request; the same mail sent to two mailboxes is one
request; a message that fails is quarantined without blocking the others.
"""
import email
import unittest
from email.policy import default as policy_default
from unittest import mock

import trytond.config as config
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .servers import Dovecot, SMTPServer, skip_reason
from .support import create_mailbox, make_mail, setup_company


def no_commit():
    "The test transaction is rolled back at the end: never commit it"


@unittest.skipIf(skip_reason(), skip_reason())
class MailLoopTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_mail'])
        cls.dovecot = Dovecot(['usager@example.org', 'other@example.org',
                'stranger@example.org']).start()
        cls.smtp = SMTPServer(cls.dovecot).start()
        cls._uri = config.get('email', 'uri')
        config.set('email', 'uri', cls.smtp.uri)

    @classmethod
    def tearDownClass(cls):
        config.set('email', 'uri', cls._uri)
        cls.smtp.stop()
        cls.dovecot.stop()

    def fetch(self, mailbox):
        return mailbox.fetch(commit=no_commit)

    @with_transaction()
    def test_loop(self):
        "Usager writes, agent replies, usager's reply threads back"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Received = pool.get('gru.mail.received')
        company, context = setup_company()
        with context:
            mailbox = create_mailbox(self.dovecot, 'contact@gru.test',
                name="Région — Contact")
            first = make_mail('usager@example.org', 'contact@gru.test',
                "Aide au permis", "Bonjour,\nJe voudrais une aide.\n"
                "Marie Durand\n12 rue des Lilas\n80000 Amiens",
                name="Marie Durand")
            self.smtp.send('usager@example.org', ['contact@gru.test'],
                first.as_bytes())
            counts = self.fetch(mailbox)
            self.assertEqual(counts, {'processed': 1})
            request, = Request.search([])
            self.assertEqual(request.channel, 'email')
            self.assertEqual(request.contact_email, 'usager@example.org')
            self.assertEqual(request.contact_name, "Marie Durand")
            self.assertEqual(request.contact_postal_code, '80000')
            self.assertEqual(request.mailbox, mailbox)
            self.assertEqual(self.dovecot.count('contact@gru.test'), 0)
            self.assertEqual(self.dovecot.count(
                    'contact@gru.test', 'GRU/Processed'), 1)

            # the agent replies from the request
            reply = Message(request=request, direction='out',
                channel='email', to_address=request.contact_email,
                subject="Re: Aide au permis",
                body="Bonjour, voici la marche à suivre.")
            reply.save()
            request.send_message(reply)
            self.assertEqual(reply.mail_state, 'sent', reply.mail_error)
            received = self.dovecot.messages('usager@example.org')
            self.assertEqual(len(received), 1)
            answer = email.message_from_bytes(received[0],
                policy=policy_default)
            self.assertIn('[%s]' % request.reference, answer['Subject'])
            self.assertEqual(str(answer['Reply-To']),
                'contact+%s@gru.test' % request.reference)
            self.assertEqual(answer['Message-ID'], reply.mail_message_id)
            self.assertEqual(answer['In-Reply-To'], first['Message-ID'])
            self.assertIn("marche à suivre", answer.get_content())

            # the usager answers to the Reply-To
            back = make_mail('usager@example.org', str(answer['Reply-To']),
                'Re: ' + answer['Subject'], "Merci, voici mon dossier.",
                headers={
                    'In-Reply-To': answer['Message-ID'],
                    'References': '%s %s' % (first['Message-ID'],
                        answer['Message-ID']),
                    },
                attachments=[('pièce jointe é.pdf', b'%PDF-1.4 test',
                        'application', 'pdf')])
            self.smtp.send('usager@example.org', [str(answer['Reply-To'])],
                back.as_bytes())
            self.assertEqual(self.fetch(mailbox), {'processed': 1})
            self.assertEqual(Request.search_count([]), 1)
            request = Request(request.id)
            self.assertEqual([m.direction for m in request.messages],
                ['in', 'out', 'in'])
            last = request.messages[-1]
            self.assertEqual(last.mail_message_id, back['Message-ID'])
            attachments = pool.get('ir.attachment').search([
                    ('resource', '=', str(last))])
            self.assertEqual([a.name for a in attachments],
                ['pièce jointe é.pdf'])
            states = sorted(r.outcome for r in Received.search([]))
            self.assertEqual(states, ['created', 'threaded'])

            # someone else using the token gets a request of their own
            intruder = make_mail('stranger@example.org',
                'contact+%s@gru.test' % request.reference,
                'Re: [%s] Aide au permis' % request.reference,
                "Je prends la suite de ce dossier.")
            self.smtp.send('stranger@example.org',
                ['contact+%s@gru.test' % request.reference],
                intruder.as_bytes())
            self.fetch(mailbox)
            self.assertEqual(Request.search_count([]), 2)
            new, = Request.search([('id', '!=', request.id)])
            self.assertEqual(new.contact_email, 'stranger@example.org')
            self.assertIn(request.reference, new.triage_log)
            self.assertEqual(len(Request(request.id).messages), 3)

    @with_transaction()
    def test_duplicate_across_mailboxes(self):
        "One mail sent to two mailboxes is one request with both addresses"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Received = pool.get('gru.mail.received')
        company, context = setup_company()
        with context:
            generic = create_mailbox(self.dovecot, 'accueil@gru.test')
            scheme = create_mailbox(self.dovecot, 'permis@gru.test')
            mail = make_mail('other@example.org',
                ['accueil@gru.test', 'permis@gru.test'],
                "Question permis", "Bonjour, une question.")
            self.smtp.send('other@example.org',
                ['accueil@gru.test', 'permis@gru.test'], mail.as_bytes())
            self.assertEqual(self.fetch(generic), {'processed': 1})
            self.assertEqual(self.fetch(scheme), {'duplicate': 1})
            request, = Request.search([])
            self.assertEqual(request.origin_address,
                'accueil@gru.test, permis@gru.test')
            self.assertEqual(len(request.messages), 1)
            received = Received.search([], order=[('id', 'ASC')])
            self.assertEqual([r.state for r in received],
                ['processed', 'duplicate'])
            self.assertEqual({r.request for r in received}, {request})
            # fetching again changes nothing
            self.assertEqual(self.fetch(generic), {})
            self.assertEqual(self.fetch(scheme), {})
            self.assertEqual(Received.search_count([]), 2)

    @with_transaction()
    def test_quarantine(self):
        "A message that fails is quarantined and the others go through"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Received = pool.get('gru.mail.received')
        company, context = setup_company()
        with context:
            mailbox = create_mailbox(self.dovecot, 'quarantaine@gru.test')
            for i in range(3):
                mail = make_mail('other@example.org', mailbox.address,
                    "Message %d" % i, "Texte %d" % i)
                self.dovecot.append(mailbox.address, mail.as_bytes())
            original = Request._mail_request_values.__func__

            # the batch of three fails, then each is ingested on its own
            def failing(cls, mailbox, parsed):
                if parsed.subject == "Message 1":
                    raise ValueError("database refused the request")
                return original(cls, mailbox, parsed)
            with mock.patch.object(Request, '_mail_request_values',
                    classmethod(failing)):
                counts = self.fetch(mailbox)
            self.assertEqual(counts, {'processed': 2, 'quarantined': 1})
            self.assertEqual(Request.search_count([]), 2)
            bad, = Received.search([('state', '=', 'quarantined')])
            self.assertIn("database refused", bad.reason)
            self.assertIsNone(bad.request)
            self.assertEqual(self.dovecot.count(
                    mailbox.address, 'GRU/Quarantine'), 1)
            self.assertEqual(self.dovecot.count(
                    mailbox.address, 'GRU/Processed'), 2)
            # the retry button processes it from the stored raw message
            Received.retry([bad])
            self.assertEqual(bad.state, 'processed')
            self.assertEqual(bad.outcome, 'created')
            self.assertEqual(Request.search_count([]), 3)

    @with_transaction()
    def test_connection_failure(self):
        "A connection failure is recorded with a growing backoff"
        company, context = setup_company()
        with context:
            mailbox = create_mailbox(self.dovecot, 'panne@gru.test',
                password='wrong')
            self.fetch(mailbox)
            self.assertEqual(mailbox.failure_count, 1)
            self.assertIn('LoginError', mailbox.last_error)
            first = mailbox.next_attempt
            self.fetch(mailbox)
            self.assertEqual(mailbox.failure_count, 2)
            self.assertGreater(mailbox.next_attempt, first)
            mailbox.password = 'secret'
            mailbox.save()
            self.fetch(mailbox)
            self.assertEqual(mailbox.failure_count, 0)
            self.assertIsNone(mailbox.last_error)

    @with_transaction()
    def test_uidvalidity_change(self):
        "After a UIDVALIDITY change the mail already ingested is not again"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Received = pool.get('gru.mail.received')
        company, context = setup_company()
        with context:
            mailbox = create_mailbox(self.dovecot, 'validite@gru.test',
                processed_folder=None)
            for i in range(2):
                mail = make_mail('other@example.org', mailbox.address,
                    "Validité %d" % i, "Texte %d" % i)
                self.dovecot.append(mailbox.address, mail.as_bytes())
            self.assertEqual(self.fetch(mailbox), {'processed': 2})
            # without processed folder the mail stays, flagged as read
            self.assertEqual(self.dovecot.count(mailbox.address), 2)
            self.assertEqual(self.fetch(mailbox), {})
            # as if the mail had been recorded before the server renumbered
            # the folder (a new UIDVALIDITY)
            Received.write(Received.search([]), {'uidvalidity': 1})
            mailbox.last_uidvalidity = 1
            mailbox.save()
            self.assertEqual(self.fetch(mailbox), {'duplicate': 2})
            self.assertNotEqual(mailbox.last_uidvalidity, 1)
            self.assertEqual(Request.search_count([]), 2)
            self.assertEqual(Received.search_count([]), 4)

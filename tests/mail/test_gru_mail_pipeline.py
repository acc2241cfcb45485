"""One pipeline for the mail of a fetch, with a real Dovecot.

A reply and its original fetched together: the reply is threaded into the
request the original opened, unless its sender is not the usager. What the
mailbox knows (antenna, scheme) is seen by the triage rules at intake.
"""
import unittest

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_scheme.tests.test_module import create_lists
from gru_territory.tests.test_module import setup_fixture_plan

from .servers import Dovecot, skip_reason
from .support import create_mailbox, make_mail, setup_company


def no_commit():
    "The test transaction is rolled back at the end: never commit it"


@unittest.skipIf(skip_reason(), skip_reason())
class MailPipelineTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_mail'])
        cls.dovecot = Dovecot().start()

    @classmethod
    def tearDownClass(cls):
        cls.dovecot.stop()

    @with_transaction()
    def test_same_batch_reply(self):
        "A reply fetched with its original is threaded into its request"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Received = pool.get('gru.mail.received')
        company, context = setup_company()
        with context:
            mailbox = create_mailbox(self.dovecot, 'batch@gru.test')
            original = make_mail('usager@example.org', mailbox.address,
                "Aide au permis", "Bonjour,\nJe voudrais une aide.",
                name="Marie Durand")
            reply = make_mail('usager@example.org', mailbox.address,
                "Re: Aide au permis", "J'oubliais la pièce jointe.",
                headers={'In-Reply-To': original['Message-ID'],
                    'References': original['Message-ID']})
            # a stranger answering the same thread is not the usager
            stranger = make_mail('stranger@example.org', mailbox.address,
                "Re: Aide au permis", "Je réponds aussi.",
                headers={'In-Reply-To': original['Message-ID']})
            others = [make_mail('other%d@example.org' % i, mailbox.address,
                    "Question %d" % i, "Bonjour %d" % i) for i in range(3)]
            for mail in [others[0], original, others[1], reply, stranger,
                    others[2]]:
                self.dovecot.append(mailbox.address, mail.as_bytes())

            counts = mailbox.fetch(commit=no_commit)

            self.assertEqual(counts, {'processed': 6})
            by_subject = {r.subject: r for r in Received.search([])}
            first = by_subject["Aide au permis"]
            self.assertEqual(first.outcome, 'created')
            threaded, = Received.search([
                    ('message_id', '=', reply['Message-ID'])])
            self.assertEqual(threaded.outcome, 'threaded')
            self.assertEqual(threaded.request, first.request)
            self.assertEqual(len(Request(first.request.id).messages), 2)
            rejected, = Received.search([
                    ('message_id', '=', stranger['Message-ID'])])
            self.assertEqual(rejected.outcome, 'created')
            self.assertNotEqual(rejected.request, first.request)
            self.assertIn(first.request.reference,
                rejected.request.triage_log)
            self.assertIn(first.request.reference, rejected.reason)
            # the original, the stranger's mail and the three others
            self.assertEqual(Request.search_count([]), 5)
            self.assertEqual(self.dovecot.count(
                    mailbox.address, 'GRU/Processed'), 6)

    @with_transaction()
    def test_same_batch_duplicate(self):
        "A mail fetched twice in one batch is one request"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Received = pool.get('gru.mail.received')
        company, context = setup_company()
        with context:
            mailbox = create_mailbox(self.dovecot, 'twice@gru.test')
            mail = make_mail('usager@example.org', mailbox.address,
                "Question", "Bonjour")
            self.dovecot.append(mailbox.address, mail.as_bytes())
            self.dovecot.append(mailbox.address, mail.as_bytes())
            self.assertEqual(mailbox.fetch(commit=no_commit),
                {'processed': 1, 'duplicate': 1})
            request, = Request.search([])
            self.assertEqual({r.request for r in Received.search([])},
                {request})

    @with_transaction()
    def test_mailbox_values_seen_by_triage(self):
        "A triage rule on the mailbox's antenna and scheme fires at intake"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Rule = pool.get('gru.inbox.rule')
        Scheme = pool.get('gru.scheme')
        company, context = setup_company()
        with context:
            plan, (ami, stq, lao, sia) = setup_fixture_plan()
            theme, directorate, _ = create_lists()
            scheme, = Scheme.create([{'name': "Permis", 'code': 'PERMIS',
                        'theme': theme.id, 'directorate': directorate.id}])
            Rule.create([{
                        'name': "Permis à Laon", 'sequence': 1,
                        'antenna': lao.id, 'scheme': scheme.id,
                        'set_priority': '3',
                        }])
            mailbox = create_mailbox(self.dovecot, 'laon@gru.test',
                antenna=lao.id, scheme=scheme.id)
            mails = [make_mail('usager%d@example.org' % i,
                    mailbox.address, "Permis %d" % i, "Bonjour")
                for i in range(3)]
            # ingested on its own: it answers the mail of another sender
            mails.append(make_mail('usager9@example.org', mailbox.address,
                    "Re: Permis 0", "Bonjour",
                    headers={'In-Reply-To': mails[0]['Message-ID']}))
            for mail in mails:
                self.dovecot.append(mailbox.address, mail.as_bytes())

            self.assertEqual(mailbox.fetch(commit=no_commit),
                {'processed': 4})
            requests = Request.search([])
            self.assertEqual(len(requests), 4)
            for request in requests:
                self.assertEqual(request.antenna, lao)
                self.assertEqual(request.scheme, scheme)
                self.assertEqual(request.priority, '3')
                self.assertIn("Permis à Laon", request.triage_log)

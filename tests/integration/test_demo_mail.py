"""The email channel of the small demo (scripts/demo_data/70_mail.py), read
over JSON-RPC on the demo server: the mailboxes, the mail received through
the gateway with its outcomes and the email requests with their messages."""
import json

from tests.support import DemoRPCTestCase

DOMAIN = 'gru-demo.hautsdefrance.test'


class DemoMailTestCase(DemoRPCTestCase):

    def test_mailboxes(self):
        "The generic and the scheme mailboxes exist, inactive, no password"
        # (a browser test may add one of its own to the shared server)
        mailboxes = self.search_read('gru.mail.mailbox',
            [('active', 'in', [True, False]),
                ('address', 'like', '%@' + DOMAIN)],
            ['address', 'active', 'host', 'password', 'password_ref',
                'scheme', 'antenna', 'last_uidvalidity'])
        addresses = {m['address'] for m in mailboxes}
        self.assertIn('accueil@%s' % DOMAIN, addresses)
        schemes = self.search_read('gru.scheme', [], ['id'])
        self.assertEqual(len(mailboxes), 1 + len(schemes))
        self.assertEqual({m['scheme'] for m in mailboxes if m['scheme']},
            {s['id'] for s in schemes})
        # each scheme shows its mailboxes (gru_mail's scheme.py)
        for scheme in self.search_read('gru.scheme', [],
                ['mailboxes', 'rec_name']):
            with self.subTest(scheme=scheme['rec_name']):
                # (a browser test may add a mailbox of its own)
                self.assertLessEqual({m['id'] for m in mailboxes
                        if m['scheme'] == scheme['id']},
                    set(scheme['mailboxes']))
                self.assertTrue(scheme['mailboxes'])
        for mailbox in mailboxes:
            self.assertFalse(mailbox['active'])
            self.assertEqual(mailbox['host'], 'imap.gru-demo.test')
            self.assertFalse(mailbox['password'])
            self.assertEqual(mailbox['password_ref'],
                'env:GRU_DEMO_IMAP_PASSWORD')
            self.assertTrue(mailbox['antenna'])
            self.assertEqual(mailbox['last_uidvalidity'], 1)

    def test_mailbox_tabs(self):
        "The mailbox list has tabs: the demo's inactive mailboxes are shown"
        tabs = self.search_read('ir.action.act_window.domain',
            [('act_window.res_model', '=', 'gru.mail.mailbox')],
            ['name', 'domain', 'sequence'])
        tabs.sort(key=lambda t: t['sequence'])
        self.assertEqual([t['name'] for t in tabs],
            ["Actives", "Inactives", "Toutes"])
        counts = {}
        for tab in tabs:
            domain = json.loads(tab['domain'])
            counts[tab['name']] = self.rpc('model.gru.mail.mailbox.search',
                [domain, 0, None, None, self.context])
        demo = {m['id'] for m in self.search_read('gru.mail.mailbox',
                [('active', '=', False),
                    ('address', 'like', '%@' + DOMAIN)], ['id'])}
        self.assertTrue(demo)
        self.assertLessEqual(demo, set(counts["Inactives"]))
        self.assertFalse(demo & set(counts["Actives"]))
        self.assertEqual(set(counts["Toutes"]),
            set(counts["Actives"]) | set(counts["Inactives"]))

    def test_received(self):
        "The mail went through the gateway with each kind of outcome"
        received = self.search_read('gru.mail.received', [],
            ['mailbox', 'uidvalidity', 'uid', 'state', 'outcome', 'request',
                'message', 'subject', 'inbound_email'])
        outcomes = {}
        for mail in received:
            outcomes.setdefault(mail['outcome'], []).append(mail)
            # fed as fetched from the server: raw mail kept, no quarantine
            self.assertEqual(mail['uidvalidity'], 1)
            self.assertTrue(mail['inbound_email'])
            self.assertNotEqual(mail['state'], 'quarantined')
        self.assertTrue({'created', 'threaded', 'auto_reply', 'duplicate',
                'spam'} <= set(outcomes), sorted(outcomes, key=str))
        self.assertGreaterEqual(len(outcomes['created']), 6)
        self.assertEqual(len({(m['mailbox'], m['uid']) for m in received}),
            len(received))

        requests = {r['id']: r for r in self.search_read(
                'gru.inbox.request',
                [('id', 'in', [m['request'] for m in received
                            if m['request']])],
                ['reference', 'channel', 'state', 'cancel_reason',
                    'mailbox', 'messages'])}
        for mail in outcomes['created'] + outcomes['spam']:
            request = requests[mail['request']]
            self.assertEqual(request['channel'], 'email')
            self.assertTrue(request['mailbox'])
            self.assertIn(mail['message'], request['messages'])
        for mail in outcomes['spam']:
            request = requests[mail['request']]
            self.assertEqual((request['state'], request['cancel_reason']),
                ('cancelled', 'spam'))
        # a reply by its [GRU-...] reference joins the request of the inbox
        for mail in outcomes['threaded']:
            self.assertEqual(mail['state'], 'processed')
            request = requests[mail['request']]
            self.assertIn(mail['message'], request['messages'])
            self.assertGreater(len(request['messages']), 1)
        self.assertTrue(any(requests[m['request']]['reference'] in
                m['subject'] for m in outcomes['threaded']))
        # the same mail received at two mailboxes is one request
        duplicate, = outcomes['duplicate']
        self.assertEqual(duplicate['state'], 'duplicate')
        self.assertIn(duplicate['request'],
            [m['request'] for m in outcomes['created']])
        # the out-of-office reply opens nothing: at most a note on the
        # request whose acknowledgement it answers
        created = {m['request'] for m in outcomes['created']}
        for mail in outcomes['auto_reply']:
            self.assertEqual(mail['state'], 'ignored')
            if mail['request']:
                self.assertIn(mail['request'], created)
                note, = self.search_read('gru.inbox.message',
                    [('id', '=', mail['message'])], ['direction'])
                self.assertEqual(note['direction'], 'note')

    def test_messages(self):
        "The email requests hold their mail, attachments, acknowledgements"
        requests = self.search_read('gru.inbox.request',
            [('mailbox', '!=', None)], ['channel', 'messages'])
        self.assertTrue(requests)
        self.assertEqual({r['channel'] for r in requests}, {'email'})
        messages = self.search_read('gru.inbox.message',
            [('request', 'in', [r['id'] for r in requests])],
            ['direction', 'channel', 'from_address', 'body',
                'mail_message_id', 'is_acknowledgement', 'mail_state'])
        incoming = [m for m in messages if m['direction'] == 'in']
        self.assertGreaterEqual(len(incoming), len(requests))
        for message in incoming:
            self.assertEqual(message['channel'], 'email')
            self.assertTrue(message['from_address'])
            self.assertTrue(message['body'])
            self.assertTrue(message['mail_message_id'])
        acknowledgements = [m for m in messages if m['is_acknowledgement']]
        self.assertTrue(acknowledgements)
        self.assertEqual({m['mail_state'] for m in acknowledgements},
            {'to_send'})
        attachments = self.search_read('ir.attachment',
            [('resource', 'in', ['gru.inbox.message,%d' % m['id']
                        for m in incoming])], ['name', 'data_size'])
        pdfs = [a for a in attachments if a['name'].endswith('.pdf')]
        self.assertGreaterEqual(len(pdfs), 3)
        self.assertTrue(all(a['data_size'] > 0 for a in pdfs))

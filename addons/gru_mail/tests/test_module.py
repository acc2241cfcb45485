# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import base64
import contextlib
import json
import os
import socket
from email.message import EmailMessage
from unittest import mock

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import trytond.config as config
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from gru_inbox.html import NOTE_HTML
from gru_mail.exceptions import MailboxValidationError, MailSendError
from gru_mail.parsing import find_postal_code, parse, split_history
from gru_scheme.tests.test_module import create_lists

EML = os.path.join(os.path.dirname(__file__), 'eml')
SEED_EMAIL = 'seed.usager@example.org'


def load_manifest():
    with open(os.path.join(EML, 'manifest.json')) as fp:
        return json.load(fp)


def read_eml(name, reference='GRU-2026-000001'):
    with open(os.path.join(EML, name), 'rb') as fp:
        return fp.read().replace(b'{SEED_REF}', reference.encode()).replace(
            b'{seed_ref}', reference.lower().encode())


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class SMTPHandler:
    "A real SMTP server's handler: keeps the mails, refuses refuse@*"

    def __init__(self):
        self.mails = []

    async def handle_RCPT(self, server, session, envelope, address,
            rcpt_options):
        if address.startswith('refuse@'):
            return '550 5.1.1 No such user here'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(envelope)
        return '250 Message accepted for delivery'


@contextlib.contextmanager
def smtp_server(password=None):
    """Start a real SMTP server on 127.0.0.1 and point [email] uri at it;
    with password, the server asks a login that always fails"""
    handler = SMTPHandler()
    port = closed_port()
    options = {}
    if password:
        options = {'auth_require_tls': False,
            'authenticator': lambda *a: AuthResult(
                success=False, handled=False)}
    controller = Controller(handler, hostname='127.0.0.1', port=port,
        **options)
    controller.start()
    uri = config.get('email', 'uri')
    credentials = 'gru:%s@' % password if password else ''
    config.set('email', 'uri', 'smtp://%s127.0.0.1:%d' % (credentials, port))
    try:
        yield handler
    finally:
        config.set('email', 'uri', uri)
        controller.stop()


@contextlib.contextmanager
def no_smtp_server():
    "Point [email] uri at a closed port"
    uri = config.get('email', 'uri')
    config.set('email', 'uri', 'smtp://127.0.0.1:%d' % closed_port())
    try:
        yield
    finally:
        config.set('email', 'uri', uri)


class GruMailTestCase(CompanyTestMixin, ModuleTestCase):
    "Test GRU Mail module"
    module = 'gru_mail'

    def test_corpus_size(self):
        "The corpus has at least 60 mails, each with its expected outcome"
        manifest = load_manifest()
        self.assertGreaterEqual(len(manifest), 60)
        files = {f for f in os.listdir(EML) if f.endswith('.eml')}
        self.assertEqual(files, {e['file'] for e in manifest})
        for entry in manifest:
            self.assertIn(entry['request'],
                {'created', 'threaded', 'none', 'duplicate'})

    def test_corpus_parsing(self):
        "Each mail of the corpus parses to its expected content"
        for entry in load_manifest():
            with self.subTest(entry['file']):
                parsed = parse(read_eml(entry['file']),
                    max_attachment_size=entry.get('max_size_kb', 10240)
                    * 1024)
                self.assertEqual(len(parsed.attachments),
                    entry['attachments'])
                if 'filenames' in entry:
                    names = [a.filename for a in parsed.attachments]
                    # duplicates get their number when stored
                    self.assertEqual(sorted(set(names)),
                        sorted({n for n in entry['filenames']
                                if ' (2)' not in n}))
                self.assertEqual(len(parsed.oversize),
                    entry.get('oversize', 0))
                self.assertEqual(
                    len([a for a in parsed.attachments if a.inline]),
                    entry.get('inline', 0))
                self.assertEqual(parsed.spam, entry.get('spam', False))
                self.assertEqual(bool(parsed.auto_reply),
                    entry.get('auto_reply', False))
                self.assertEqual(parsed.bounce, entry.get('bounce', False))
                if 'bounced' in entry:
                    self.assertEqual(parsed.bounced_addresses,
                        entry['bounced'])
                if 'postal_code' in entry:
                    self.assertEqual(parsed.postal_code,
                        entry['postal_code'])
                if 'from_address' in entry:
                    self.assertEqual(parsed.from_address,
                        entry['from_address'])
                if 'from_name' in entry:
                    self.assertEqual(parsed.from_name, entry['from_name'])
                if 'subject' in entry:
                    self.assertEqual(parsed.subject, entry['subject'])
                body = '\n\n'.join([parsed.visible_text] + [
                        f['text'] for f in parsed.forwarded])
                if 'body_contains' in entry:
                    self.assertIn(entry['body_contains'], body)
                if 'body_excludes' in entry:
                    self.assertNotIn(entry['body_excludes'],
                        parsed.visible_text)
                if entry.get('history'):
                    self.assertTrue(parsed.history)
                self.assertEqual(len(parsed.forwarded),
                    entry.get('forwarded', 0))
                if entry.get('html'):
                    self.assertTrue(parsed.html)
                self.assertNotIn('\ufffd', parsed.text)

    def test_split_history(self):
        "The quoted history is folded away from the new text"
        visible, history = split_history(
            "Oui.\n\nLe 2 déc. 2026, Région a écrit :\n> Venez-vous ?")
        self.assertEqual(visible, "Oui.")
        self.assertIn("Venez-vous", history)
        self.assertEqual(split_history("> tout cité"), ("> tout cité", ''))

    def test_find_postal_code(self):
        "A postal code followed by a commune wins over a bare number"
        self.assertEqual(find_postal_code(
                "Dossier 59123\nMarie\n80000 Amiens"), '80000')
        self.assertEqual(find_postal_code("tel 0612345678"), None)

    def setup_mailbox(self, **values):
        pool = Pool()
        Mailbox = pool.get('gru.mail.mailbox')
        mailbox, = Mailbox.create([dict({
                        'name': "Accueil", 'address': 'Accueil@gru.test',
                        'host': 'imap.invalid', 'login': 'accueil',
                        'password': 'x',
                        }, **values)])
        return mailbox

    def seed_request(self, mailbox):
        "A request of the seed usager with one outgoing mail"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Party = pool.get('party.party')
        party, = Party.create([{'name': "Seed Usager",
                    'contact_mechanisms': [('create', [{
                                    'type': 'email', 'value': SEED_EMAIL,
                                    }])]}])
        request = Request.intake({'channel': 'email', 'party': party,
                'subject': "Votre demande", 'mailbox': mailbox},
            message={'body': "Bonjour", 'from_address': SEED_EMAIL})
        Message.create([{'request': request.id, 'direction': 'out',
                    'channel': 'email', 'body': "Réponse",
                    'mail_message_id': '<seed-out@gru.test>',
                    'mail_state': 'sent', 'to_address': SEED_EMAIL}])
        return request

    @with_transaction()
    def test_mailbox_validation(self):
        "The mailbox address and password reference are checked"
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            self.assertEqual(mailbox.address, 'accueil@gru.test')
            self.assertIsNotNone(mailbox.inbox)
            self.assertEqual(mailbox.inbox.rules[0].action,
                'gru.inbox.request|from_inbound_email')
            self.assertEqual(mailbox.plus_address('GRU-2026-000007'),
                'accueil+GRU-2026-000007@gru.test')
            with self.assertRaises(MailboxValidationError):
                self.setup_mailbox(address='pas-une-adresse')
            with self.assertRaises(MailboxValidationError):
                self.setup_mailbox(address='b@gru.test',
                    password_ref='vault:x')
            os.environ['GRU_TEST_MAIL_PASSWORD'] = 's3cret'
            other = self.setup_mailbox(address='c@gru.test',
                password_ref='env:GRU_TEST_MAIL_PASSWORD')
            self.assertEqual(other.get_password(), 's3cret')

    @with_transaction()
    def test_scheme_mailboxes(self):
        """A scheme shows the mailboxes whose mail opens its requests; it
        has no address of its own"""
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        company = create_company()
        with set_company(company):
            theme, directorate, _ = create_lists()
            scheme, other = Scheme.create([{
                        'name': "Permis", 'code': 'PERMIS',
                        'theme': theme.id, 'directorate': directorate.id,
                        }, {
                        'name': "Énergie", 'code': 'ENE',
                        'theme': theme.id, 'directorate': directorate.id,
                        }])
            permis = self.setup_mailbox(name="Permis",
                address='permis@gru.test', scheme=scheme.id)
            # an inactive mailbox is the scheme's too
            relance = self.setup_mailbox(name="Relances",
                address='relances@gru.test', scheme=scheme.id,
                active=False)
            self.setup_mailbox()
            self.assertEqual(list(scheme.mailboxes), [permis, relance])
            self.assertEqual(other.mailboxes, ())
            self.assertNotIn('mailbox', Scheme._fields)
            self.assertTrue(Scheme.mailboxes.readonly)
            view = Scheme.fields_view_get(view_type='form')
            self.assertIn('mailboxes', view['fields'])
            self.assertIn('name="mailboxes"', view['arch'])

    @with_transaction()
    def test_scheme_checklist_mailbox(self):
        "The task \"create the mailbox\" is ticked once a mailbox serves it"
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.checklist.template')
        company = create_company()
        with set_company(company):
            theme, directorate, (lead, darru, srod) = create_lists()
            Template.create([{
                        'actor': darru.id, 'kind': 'mailbox',
                        'name': "Créer la boîte mail du dispositif",
                        }, {
                        'actor': srod.id, 'name': "Tester le dépôt",
                        }])
            scheme, = Scheme.create([{
                        'name': "Permis", 'code': 'PERMIS',
                        'theme': theme.id, 'directorate': directorate.id,
                        }])
            mailbox_task, manual = scheme.tasks
            self.assertEqual(mailbox_task.kind, 'mailbox')
            self.assertFalse(mailbox_task.done)
            mailbox = self.setup_mailbox(name="Permis",
                address='permis@gru.test')
            self.assertFalse(Scheme(scheme.id).tasks[0].done)
            # linked later to the scheme, by a write
            mailbox.scheme = scheme
            mailbox.save()
            scheme = Scheme(scheme.id)
            self.assertEqual([t.done for t in scheme.tasks], [True, False])
            self.assertEqual(scheme.checklist_progress, '1 / 2')

    @with_transaction()
    def test_password_access(self):
        "Only the GRU administrators read the password of a mailbox"
        pool = Pool()
        Mailbox = pool.get('gru.mail.mailbox')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
        agent, admin = User.create([{
                    'login': 'agent', 'name': "Agent",
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [ModelData.get_id(
                                    'gru_base', 'group_gru_agent')])],
                    }, {
                    'login': 'gru_admin', 'name': "Admin GRU",
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [ModelData.get_id(
                                    'gru_base', 'group_gru_admin')])],
                    }])
        transaction = Transaction()
        with transaction.set_user(agent.id), \
                transaction.set_context(_check_access=True,
                    company=company.id):
            self.assertEqual(Mailbox.read([mailbox.id], ['address'])[0][
                    'address'], 'accueil@gru.test')
            with self.assertRaises(AccessError):
                Mailbox.read([mailbox.id], ['password'])
        with transaction.set_user(admin.id), \
                transaction.set_context(_check_access=True,
                    company=company.id):
            self.assertEqual(Mailbox.read([mailbox.id], ['password'])[0][
                    'password'], 'x')

    @with_transaction()
    def test_corpus_ingestion(self):
        "Each mail of the corpus gives its expected request or none"
        pool = Pool()
        Received = pool.get('gru.mail.received')
        Request = pool.get('gru.inbox.request')
        Attachment = pool.get('ir.attachment')
        ContactMechanism = pool.get('party.contact_mechanism')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            seed = self.seed_request(mailbox)
            for uid, entry in enumerate(load_manifest(), 1):
                with self.subTest(entry['file']):
                    mailbox.max_attachment_size = entry.get(
                        'max_size_kb', 10240)
                    mailbox.save()
                    before = Request.search_count([])
                    received = Received.ingest(mailbox, 7, uid,
                        read_eml(entry['file'], seed.reference))
                    after = Request.search_count([])
                    self.assertEqual(received.outcome, entry['outcome'],
                        received.reason)
                    self.assertEqual(received.state,
                        entry.get('state', 'processed'))
                    self.assertEqual(after - before,
                        1 if entry['request'] == 'created' else 0)
                    if entry.get('thread') == 'seed':
                        self.assertEqual(received.request, seed)
                    if entry['request'] == 'created':
                        self.assertNotEqual(received.request, seed)
                        self.assertEqual(received.request.channel, 'email')
                        attachments = Attachment.search([
                                ('resource', '=', str(received.message))])
                        self.assertEqual(len(attachments),
                            entry['attachments'])
                        if 'filenames' in entry:
                            self.assertEqual(
                                sorted(a.name for a in attachments),
                                sorted(entry['filenames']))
                        if entry.get('spam'):
                            self.assertEqual(received.request.state,
                                'cancelled')
                            self.assertEqual(
                                received.request.cancel_reason, 'spam')
                        if entry.get('postal_code'):
                            self.assertEqual(
                                received.request.contact_postal_code,
                                entry['postal_code'])
                        if entry.get('thread_rejected'):
                            self.assertIn(seed.reference,
                                received.request.triage_log)
                    if entry.get('oversize'):
                        self.assertIn('scan.pdf', received.oversize)
                        self.assertIn('scan.pdf',
                            received.message.oversize_attachments)
            mechanism, = ContactMechanism.search([
                    ('value', '=', SEED_EMAIL)])
            self.assertTrue(mechanism.email_bouncing)
            sent = [m for m in Request(seed.id).messages
                if m.mail_message_id == '<seed-out@gru.test>']
            self.assertEqual(sent[0].mail_state, 'bounced')

    @with_transaction()
    def test_corpus_ingestion_batch(self):
        "The corpus ingested by batches gives the outcomes of the manifest"
        pool = Pool()
        Received = pool.get('gru.mail.received')
        Request = pool.get('gru.inbox.request')
        Attachment = pool.get('ir.attachment')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            seed = self.seed_request(mailbox)
            entries = list(enumerate(load_manifest(), 1))
            by_size = {}
            for uid, entry in entries:
                by_size.setdefault(entry.get('max_size_kb', 10240), []
                    ).append((uid, entry))
            calls = []
            original = Request._mail_create_many.__func__

            def spy(cls, mailbox, parsed_mails, *args):
                calls.append(len(parsed_mails))
                return original(cls, mailbox, parsed_mails, *args)
            with mock.patch.object(Request, '_mail_create_many',
                    classmethod(spy)):
                for size, group in sorted(by_size.items()):
                    mailbox.max_attachment_size = size
                    mailbox.save()
                    states = mailbox.ingest_many(7, [
                            (uid, read_eml(entry['file'], seed.reference))
                            for uid, entry in group])
                    self.assertEqual(sorted(states),
                        sorted(uid for uid, _ in group))
            # the mails opening a request were created together
            self.assertGreater(max(calls), 10)
            created = 0
            for uid, entry in entries:
                with self.subTest(entry['file']):
                    received, = Received.search([('uid', '=', uid)])
                    self.assertEqual(received.outcome, entry['outcome'],
                        received.reason)
                    self.assertEqual(received.state,
                        entry.get('state', 'processed'))
                    self.assertIsNotNone(received.inbound_email)
                    if entry.get('thread') == 'seed':
                        self.assertEqual(received.request, seed)
                    if entry['request'] == 'created':
                        created += 1
                        self.assertEqual(
                            received.inbound_email.result, received.request)
                        self.assertEqual(received.request.channel, 'email')
                        self.assertEqual(len(Attachment.search([
                                        ('resource', '=',
                                            str(received.message))])),
                            entry['attachments'])
                        if entry.get('spam'):
                            self.assertEqual(
                                received.request.cancel_reason, 'spam')
                        if entry.get('postal_code'):
                            self.assertEqual(
                                received.request.contact_postal_code,
                                entry['postal_code'])
            self.assertEqual(Request.search_count([]), created + 1)

    @with_transaction()
    def test_html_remote_content_blocked(self):
        """The HTML body stored from a mail loads nothing from elsewhere,
        shows its cid: image inline and says, translated, what it blocked"""
        pool = Pool()
        Received = pool.get('gru.mail.received')
        Message = pool.get('gru.inbox.message')
        Lang = pool.get('ir.lang')
        Translation = pool.get('ir.translation')
        raw = read_eml('70_html_remote_cid.eml')
        logo = parse(raw).attachments[0].data
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            # one by one, then in a batch opening requests together
            received = Received.ingest(mailbox, 7, 1, raw)
            mailbox.ingest_many(7, [(2, raw.replace(
                            b'<remote1@example.org>',
                            b'<remote2@example.org>'))])
            batched, = Received.search([('uid', '=', 2)])
            for received in [received, batched]:
                self.assertEqual(received.outcome, 'created',
                    received.reason)
                body_html = received.message.body_html
                self.assertTrue(body_html.startswith(NOTE_HTML))
                self.assertIn("External images blocked", body_html)
                self.assertNotIn('tracker.example.com', body_html)
                self.assertNotIn('url(', body_html)
                self.assertNotIn('<link', body_html)
                self.assertNotIn('cid:', body_html)
                self.assertIn('<img src="data:image/png;base64,%s" '
                    'alt="Logo">' % base64.b64encode(logo).decode(),
                    body_html)
                self.assertIn('<a href="https://www.example.org/aide" '
                    'rel="noopener noreferrer">', body_html)
                self.assertIn("Pouvez-vous m'aider", body_html)

            message_id = received.message.id
            self.assertEqual(Message.read([message_id], ['body_html'])[0][
                    'body_html'], body_html)
            fr, = Lang.search([('code', '=', 'fr')])
            fr.translatable = True
            fr.save()
            Translation.translation_import('fr', 'gru_mail',
                os.path.join(os.path.dirname(os.path.dirname(__file__)),
                    'locale', 'fr.po'))
            with Transaction().set_context(language='fr'):
                shown = Message.read([message_id], ['body_html'])[0][
                    'body_html']
            self.assertTrue(shown.startswith(
                    '<p class="gru-external-blocked"><em>'
                    'Images externes bloquées</em></p>'))
            self.assertEqual(shown[shown.index('</p>'):],
                body_html[body_html.index('</p>'):])
            # the stored body keeps the note in English
            self.assertEqual(Message(message_id).body_html, body_html)

    @with_transaction()
    def test_outcome_stored_on_received(self):
        """The rule action stores its outcome on the received mail, also
        when the raw email is processed by the core inbound email"""
        pool = Pool()
        Received = pool.get('gru.mail.received')
        Email = pool.get('inbound.email')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            msg = EmailMessage()
            msg['From'] = 'usager@example.org'
            msg['To'] = mailbox.address
            msg['Subject'] = "Question"
            msg['Message-ID'] = '<stored@example.org>'
            msg.set_content("Bonjour")
            received = Received._new(mailbox, 7, 1, msg.as_bytes())
            received.save()
            self.assertIsNone(received.outcome)
            # the core way: Process on the raw email
            Email.process([received.inbound_email])
            received = Received(received.id)
            self.assertEqual(received.state, 'processed')
            self.assertEqual(received.outcome, 'created')
            self.assertEqual(received.request.channel, 'email')
            self.assertEqual(received.message.request, received.request)
            self.assertEqual(received.inbound_email.result,
                received.request)

            # the gateway's way gives the same, and a copy is a duplicate
            again = Received.ingest(mailbox, 7, 2, msg.as_bytes())
            self.assertEqual(again.state, 'duplicate')
            self.assertEqual(again.outcome, 'duplicate')
            self.assertEqual(again.request, received.request)
            self.assertEqual(Received.search([
                        ('outcome', '=', 'duplicate')]), [again])

    @with_transaction()
    def test_inactive_mailbox(self):
        """An inactive mailbox (not fetched) still owns its mail and sends
        replies; the mail ingested has no author"""
        pool = Pool()
        Received = pool.get('gru.mail.received')
        Request = pool.get('gru.inbox.request')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            seed = self.seed_request(mailbox)
            mailbox.active = False
            mailbox.save()
            user, = User.create([{'login': 'agent', 'name': "Agent"}])
            reply = EmailMessage()
            reply['From'] = SEED_EMAIL
            reply['To'] = 'accueil@gru.test'
            reply['Subject'] = 'Re: [%s] Votre demande' % seed.reference
            reply['Message-ID'] = '<reply-inactive@example.org>'
            reply.set_content("Voici ma réponse.")
            with Transaction().set_user(user.id):
                received = Received.ingest(mailbox, 7, 1, reply.as_bytes())
            self.assertEqual(received.state, 'processed', received.reason)
            self.assertEqual(received.outcome, 'threaded')
            self.assertEqual(received.request, seed)
            self.assertIsNone(received.message.author)
            self.assertEqual(Request(seed.id).get_mailbox(), mailbox)

    @with_transaction()
    def test_send_failure_retried(self):
        "A reply that cannot be sent is failed, visible and retried"
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            request = self.seed_request(mailbox)
            reply = Message(request=request, direction='out',
                channel='email', to_address=SEED_EMAIL, subject="Suite",
                body="Voici.")
            reply.save()
            uri = config.get('email', 'uri')
            config.set('email', 'uri', 'smtp://127.0.0.1:%d' % closed_port())
            try:
                request.send_message(reply)
                self.assertEqual(reply.mail_state, 'failed')
                self.assertTrue(reply.mail_error)
                self.assertEqual(reply.mail_attempts, 1)
                self.assertTrue(reply.subject.startswith(
                        '[%s]' % request.reference))
                self.assertEqual(reply.mail_in_reply_to, None)
                Message.write([reply], {'mail_next_attempt': None})
                Message.send_pending_mails()
                self.assertEqual(reply.mail_attempts, 2)
            finally:
                config.set('email', 'uri', uri)
            no_address = Message(request=request, direction='out',
                channel='email', body="Sans destinataire")
            no_address.save()
            with self.assertRaises(MailSendError):
                request.send_message(no_address)

    def reply(self, request, body="Voici la réponse."):
        """Run the reply wizard on request up to Send; return the wizard
        session, the state shown and the outgoing message"""
        pool = Pool()
        Reply = pool.get('gru.inbox.request.reply', type='wizard')
        Message = pool.get('gru.inbox.message')
        session_id, _, _ = Reply.create()
        with Transaction().set_context(active_model='gru.inbox.request',
                active_id=request.id, active_ids=[request.id]):
            result = Reply.execute(session_id, {}, 'start')
            data = {k: v for k, v in result['view']['defaults'].items()
                if '.' not in k}
            data['body'] = body
            result = Reply.execute(session_id, {'start': data}, 'send')
        message, = Message.search([
                ('request', '=', request.id),
                ('direction', '=', 'out'),
                ], order=[('id', 'DESC')], limit=1)
        return session_id, result, message

    def retry(self, session_id, request, result):
        "Press Retry Now on the failed view of the reply wizard"
        pool = Pool()
        Reply = pool.get('gru.inbox.request.reply', type='wizard')
        defaults = result['view']['defaults']
        with Transaction().set_context(active_model='gru.inbox.request',
                active_id=request.id, active_ids=[request.id]):
            return Reply.execute(session_id, {'failed': {
                        k: v for k, v in defaults.items() if '.' not in k}},
                'retry')

    @with_transaction()
    def test_email_channel_registered(self):
        """The email channel is registered with its icon, as a reply
        channel, and counted in the volumes"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Party = pool.get('party.party')
        ReplyStart = pool.get('gru.inbox.request.reply.start')
        Volume = pool.get('gru.inbox.request.volume')
        Icon = pool.get('ir.ui.icon')
        self.assertIn(('email', "Email"), Request.channels())
        for channels in [Message.get_channels(),
                Party.get_preferred_channels(), ReplyStart.get_channels()]:
            self.assertIn('email', dict(channels))
        self.assertEqual(dict(ReplyStart.get_channels()), {'email': "Email"})
        self.assertEqual(Request.channel_icon_of('email'), 'gru-channel-email')
        self.assertTrue(Icon.search([('name', '=', 'gru-channel-email')]))
        self.assertIn(('count_email', 'email'), Volume.channel_counts())

    @with_transaction()
    def test_reply_by_email(self):
        """The reply wizard proposes email and the usager's address on a
        request of any channel; the answer is sent by SMTP"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            request = self.seed_request(mailbox)
            Request.write([request], {'channel': 'other'})
            with smtp_server() as smtp:
                _, result, message = self.reply(request)
            self.assertNotIn('view', result)
            self.assertEqual(message.channel, 'email')
            self.assertEqual(message.to_address, SEED_EMAIL)
            self.assertEqual(message.mail_state, 'sent')
            self.assertEqual(len(smtp.mails), 1)
            self.assertEqual(smtp.mails[0].rcpt_tos, [SEED_EMAIL])
            self.assertEqual(Request(request.id).state, 'answered')

    @with_transaction()
    def test_reply_send_failure_not_answered(self):
        """A reply that is not sent leaves the request in its state and
        shows why; once sent (retry or scheduler) it answers the request"""
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            request = self.seed_request(mailbox)
            Request.process([request])
            with no_smtp_server():
                session_id, result, message = self.reply(request)
                server = '127.0.0.1:%d' % config.parse_uri(
                    config.get('email', 'uri')).port
                reason = gettext('gru_mail.msg_send_connection_refused',
                    server=server)
                self.assertEqual(result['view']['state'], 'failed')
                self.assertEqual(result['view']['defaults']['reason'],
                    reason)
                self.assertEqual(message.mail_state, 'failed')
                self.assertEqual(message.mail_error, reason)
                self.assertTrue(message.mail_answer)
                self.assertEqual(Request(request.id).state, 'in_progress')
                # retried while the server is still down: still failed
                result = self.retry(session_id, request, result)
                self.assertEqual(result['view']['state'], 'failed')
                self.assertEqual(Message(message.id).mail_attempts, 2)
                self.assertEqual(Request(request.id).state, 'in_progress')
            with smtp_server() as smtp:
                result = self.retry(session_id, request, result)
                self.assertNotIn('view', result)
            self.assertEqual(len(smtp.mails), 1)
            self.assertEqual(Message(message.id).mail_state, 'sent')
            self.assertEqual(Request(request.id).state, 'answered')

            # the scheduled sender answers too, once the mail is sent
            Request.reopen([request])
            with no_smtp_server():
                _, result, message = self.reply(request)
            self.assertEqual(result['view']['state'], 'failed')
            self.assertEqual(Request(request.id).state, 'in_progress')
            Message.write([message], {'mail_next_attempt': None})
            with smtp_server() as smtp:
                Message.send_pending_mails()
            self.assertEqual(len(smtp.mails), 1)
            self.assertEqual(Message(message.id).mail_state, 'sent')
            self.assertEqual(Request(request.id).state, 'answered')

            # sent at once: answered at once, no failure shown
            Request.reopen([request])
            with smtp_server() as smtp:
                _, result, message = self.reply(request)
            self.assertNotIn('view', result)
            self.assertEqual(message.mail_state, 'sent')
            self.assertEqual(Request(request.id).state, 'answered')

    @with_transaction()
    def test_send_failure_reasons(self):
        "Each kind of send failure gives its own reason"
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            request = self.seed_request(mailbox)

            def send(to_address=SEED_EMAIL):
                message = Message(request=request, direction='out',
                    channel='email', to_address=to_address,
                    subject="Suite", body="Voici.", mailbox=mailbox)
                message._mail_prepare()
                message.save()
                Message.send_mails([message])
                return message

            with no_smtp_server():
                port = config.parse_uri(config.get('email', 'uri')).port
                message = send()
            self.assertEqual(message.mail_error, gettext(
                    'gru_mail.msg_send_connection_refused',
                    server='127.0.0.1:%d' % port))
            with smtp_server() as smtp:
                message = send('refuse@example.org')
            self.assertEqual(message.mail_state, 'failed')
            self.assertEqual(message.mail_error, gettext(
                    'gru_mail.msg_send_recipient_refused',
                    recipients='refuse@example.org',
                    detail='550 5.1.1 No such user here'))
            self.assertEqual(smtp.mails, [])
            with smtp_server(password='wrong') as smtp:
                port = config.parse_uri(config.get('email', 'uri')).port
                message = send()
            self.assertEqual(message.mail_state, 'failed')
            self.assertTrue(message.mail_error.startswith(gettext(
                        'gru_mail.msg_send_authentication_failed',
                        server='127.0.0.1:%d' % port,
                        detail='535').split('(')[0]), message.mail_error)
            self.assertIn('535', message.mail_error)
            self.assertEqual(smtp.mails, [])

    @with_transaction()
    def test_acknowledgement_not_half_filled(self):
        "An acknowledgement whose variables cannot be filled is not sent"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.template')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            theme, directorate, _ = create_lists()
            scheme, = Scheme.create([{'name': "Permis", 'code': 'PERMIS',
                        'theme': theme.id, 'directorate': directorate.id}])
            template, = Template.create([{'scheme': scheme.id,
                        'name': "Accusé", 'subject': "Bien reçu",
                        'body': "Votre antenne : ${antenna_phone}."}])
            parsed = parse(read_eml('01_plain_0.eml'))
            request = Request.intake({'channel': 'email',
                    'contact_email': parsed.from_address,
                    'acknowledgement_template': template})
            self.assertIsNone(
                Request._mail_acknowledge(request, mailbox, parsed))
            self.assertEqual(Message.search_count(
                    [('is_acknowledgement', '=', True)]), 0)
            self.assertIn('${antenna_phone}', request.triage_log)

    @with_transaction()
    def test_acknowledgement_rate_limit(self):
        "The acknowledgement is sent at most N times a day to a sender"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.template')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox(acknowledgement_limit=2)
            theme, directorate, _ = create_lists()
            scheme, = Scheme.create([{'name': "Permis", 'code': 'PERMIS',
                        'theme': theme.id, 'directorate': directorate.id}])
            template, = Template.create([{'scheme': scheme.id,
                        'name': "Accusé", 'subject': "Bien reçu",
                        'body': "Demande ${reference} reçue."}])
            parsed = parse(read_eml('01_plain_0.eml'))
            uri = config.get('email', 'uri')
            config.set('email', 'uri', 'smtp://127.0.0.1:%d' % closed_port())
            try:
                for i in range(3):
                    request = Request.intake({'channel': 'email',
                            'contact_email': parsed.from_address,
                            'acknowledgement_template': template})
                    Request._mail_acknowledge(request, mailbox, parsed)
            finally:
                config.set('email', 'uri', uri)
            acks = Message.search([('is_acknowledgement', '=', True)])
            self.assertEqual(len(acks), 2)
            self.assertEqual({m.mail_state for m in acks}, {'to_send'})
            self.assertIn('Demande GRU-', acks[0].body)
            self.assertIsNone(acks[0].request.first_response_at)
            self.assertIn(parsed.from_address, request.triage_log)


del ModuleTestCase

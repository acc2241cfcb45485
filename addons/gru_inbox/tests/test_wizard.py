# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Test the reply wizard: the channel proposed, the channel recorded."
import unittest
from unittest.mock import patch

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_inbox.exceptions import ReplyUnfilledError
from gru_inbox.tests.test_module import InboxMixin
from gru_scheme.tests.test_module import create_lists


class ReplyWizardTestCase(InboxMixin, unittest.TestCase):
    "Test the reply wizard"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_inbox')

    def reply(self, request, **values):
        """Run the reply wizard on request with the values of its form
        changed by values; return the values proposed and the outgoing
        message recorded"""
        pool = Pool()
        Reply = pool.get('gru.inbox.request.reply', type='wizard')
        Message = pool.get('gru.inbox.message')
        session_id, _, _ = Reply.create()
        with Transaction().set_context(active_model='gru.inbox.request',
                active_id=request.id, active_ids=[request.id]):
            result = Reply.execute(session_id, {}, 'start')
            proposed = result['view']['defaults']
            data = {k: v for k, v in proposed.items() if '.' not in k}
            data.setdefault('body', "Bonjour")
            data.update(values)
            Reply.execute(session_id, {'start': data}, 'send')
        Reply.delete(session_id)
        message, = Message.search([
                ('request', '=', request.id),
                ('direction', '=', 'out'),
                ], order=[('id', 'DESC')], limit=1)
        return proposed, message

    @with_transaction()
    def test_reply_channels_offered(self):
        """The wizard offers the reply channels the channel modules
        registered: none in the core, whose channels record only"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        ReplyStart = pool.get('gru.inbox.request.reply.start')
        self.assertEqual(ReplyStart.get_channels(), [])
        with patch.object(Request, '_reply_channels', {'other'}):
            self.assertEqual(ReplyStart.get_channels(), [('other', "Other")])

    @with_transaction()
    def test_reply_channel_proposed(self):
        """The request's channel is proposed when an answer can be given on
        it, else the usager's preferred channel, else the first one"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Party = pool.get('party.party')
        Reply = pool.get('gru.inbox.request.reply', type='wizard')
        ReplyStart = pool.get('gru.inbox.request.reply.start')
        channels = [('web', "Web Form"), ('other', "Other")]
        with patch.object(ReplyStart, 'get_channels', lambda: channels):
            for channel, preferred, proposed in [
                    ('web', 'other', 'web'),
                    ('other', 'web', 'other'),
                    # 'fax' stands for a channel with no answer on it
                    ('fax', 'other', 'other'),
                    ('fax', 'fax', 'web'),
                    ('fax', None, 'web'),
                    ]:
                with self.subTest(channel=channel, preferred=preferred):
                    request = Request(channel=channel,
                        party=Party(preferred_channel=preferred))
                    self.assertEqual(Reply.reply_channel(request), proposed)
            self.assertEqual(Reply.reply_channel(
                    Request(channel='fax', party=None)), 'web')
        with patch.object(ReplyStart, 'get_channels', lambda: []):
            self.assertIsNone(Reply.reply_channel(
                    Request(channel='web', party=None)))

    @with_transaction()
    def test_reply_channel_recorded(self):
        """The channel proposed or chosen is recorded on the answer; a
        channel without _send_<channel> records it only"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company), \
                patch.object(Request, '_reply_channels', {'web', 'other'}):
            self.setup_inbox()
            request = self.new_request(channel='web',
                contact_email='jeanne@example.org',
                contact_postal_code='80000')
            proposed, message = self.reply(request)
            self.assertEqual(proposed['channel'], 'web')
            self.assertEqual(message.channel, 'web')
            self.assertEqual(request.state, 'answered')

            request = self.new_request(channel='web',
                contact_email='jeanne@example.org',
                contact_postal_code='80000')
            _, message = self.reply(request, channel='other',
                mark_answered=False)
            self.assertEqual(message.channel, 'other')
            self.assertEqual(message.body, "Bonjour")
            self.assertNotEqual(request.state, 'answered')

    @with_transaction()
    def test_reply_unfilled_placeholders_refused(self):
        """A reply still holding ${placeholders} is refused with their
        list; the request is neither answered nor given a message"""
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            request = self.new_request(channel='web',
                contact_email='jeanne@example.org',
                contact_postal_code='80000')
            state = request.state
            with self.assertRaises(ReplyUnfilledError) as cm:
                self.reply(request, subject="Dossier ${reference}",
                    body="Délai : ${delay} jours. Suivi : ${link}. "
                    "Pièces : ${missing_documents}. Coût : 3 $$.")
            text = cm.exception.message
            for name in ['reference', 'delay', 'link', 'missing_documents']:
                self.assertIn('${%s}' % name, text)
            self.assertEqual(request.state, state)
            self.assertEqual(Message.search_count([
                        ('request', '=', request.id),
                        ('direction', '=', 'out'),
                        ]), 0)

    @with_transaction()
    def test_reply_template_variables_filled(self):
        """Every variable a template may use is filled from a complete
        request; one without value stays and blocks the reply"""
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.template')
        ReplyStart = pool.get('gru.inbox.request.reply.start')
        company = create_company()
        with set_company(company):
            fixture = self.setup_inbox()
            theme, directorate, _ = create_lists()
            scheme, = Scheme.create([{'name': "Permis", 'code': 'PERMIS',
                        'theme': theme.id, 'directorate': directorate.id}])
            fixture['ami'].phone = '03 22 00 00 00'
            fixture['ami'].email = 'amiens@example.org'
            fixture['ami'].street = "15 mail Albert 1er"
            fixture['ami'].postal_code = '80000'
            fixture['ami'].save()
            request = self.new_request(channel='web', scheme=scheme,
                contact_name="Jeanne Martin",
                contact_email='jeanne@example.org',
                contact_postal_code='80000')
            names = [n for n, _ in Template.available_variables_get()]
            template, = Template.create([{'scheme': scheme.id,
                        'name': "Tout", 'subject': "${reference}",
                        'body': ' '.join('${%s}' % n for n in names)}])
            with Transaction().set_user(fixture['alice'].id):
                start = ReplyStart(request=request, template=template)
                start.on_change_template()
            self.assertEqual(
                Template.placeholders(start.subject + start.body), [])
            self.assertIn(request.reference, start.body)
            self.assertIn("Jeanne Martin", start.body)
            self.assertIn('03 22 00 00 00', start.body)

            fixture['ami'].phone = None
            fixture['ami'].save()
            start = ReplyStart(request=request, template=template)
            start.on_change_template()
            # the antenna is the service handling the request (SVE)
            self.assertEqual(Template.placeholders(start.body),
                ['antenna_phone', 'service_phone'])
            with self.assertRaises(ReplyUnfilledError):
                self.reply(request, subject=start.subject, body=start.body)

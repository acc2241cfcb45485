# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The open channel registry: the core knows its own channels (web form,
other); the channel modules add theirs, which every channel field follows."""
import unittest
from unittest.mock import patch

from trytond.model.modelstorage import SelectionValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_inbox.tests.test_module import InboxMixin


class ChannelRegistryTestCase(InboxMixin, unittest.TestCase):
    "Test the channel registry of the requests"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_inbox')

    @with_transaction()
    def test_core_channels(self):
        "The core alone knows the web form and other, with their icons"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Icon = pool.get('ir.ui.icon')
        self.assertEqual(dict(Request.channels()),
            {'web': "Web Form", 'other': "Other"})
        self.assertEqual(Request.default_channel(), 'other')
        self.assertEqual(Request._reply_channels, set())
        self.assertEqual(set(Request._channel_icons), {'web', 'other'})
        icons = {i.name for i in Icon.search([])}
        self.assertLessEqual(set(Request._channel_icons.values()), icons)

    @with_transaction()
    def test_channel_fields_follow(self):
        """The message, the usager's preferred channel, the triage rule and
        the volumes offer the channels of the request, translated"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Party = pool.get('party.party')
        Rule = pool.get('gru.inbox.rule')
        Volume = pool.get('gru.inbox.request.volume')
        Timeline = pool.get('gru.inbox.timeline')
        channels = Request.channels()
        for Model in [Message, Volume, Timeline]:
            with self.subTest(model=Model.__name__):
                self.assertEqual(Model.get_channels(), channels)
        self.assertEqual(Party.get_preferred_channels(),
            [(None, "")] + channels)
        self.assertEqual(Rule.get_channels(), [(None, "")] + channels)
        self.assertEqual(Volume.channel_counts(),
            [('count_web', 'web'), ('count_other', 'other')])
        # a channel added to the request is seen everywhere at once
        added = channels + [('fax', "Fax")]
        with patch.object(Request, 'channels', lambda: added):
            self.assertEqual(Message.get_channels(), added)
            self.assertIn(('fax', "Fax"), Party.get_preferred_channels())
        # the names are those of the request's selection, translated
        with Transaction().set_context(language='fr'):
            self.assertEqual(Message.get_channels(), Request.channels())

    @with_transaction()
    def test_channel_validated(self):
        "A channel no module registered is refused on a message"
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            request = self.new_request(channel='web',
                contact_email='jeanne@example.org')
            self.assertEqual(request.channel_icon, 'gru-channel-web')
            message, = request.messages
            self.assertEqual(message.channel, 'web')
            self.assertEqual(message.channel_icon, 'gru-channel-web')
            with self.assertRaises(SelectionValidationError) as cm:
                Message.create([{'request': request.id,
                            'direction': 'note', 'channel': 'email',
                            'body': "Note"}])
            self.assertIn('email', cm.exception.message)
            note, = Message.create([{'request': request.id,
                        'direction': 'note', 'body': "Note"}])
            self.assertEqual(note.channel, 'other')

    @with_transaction()
    def test_send_message_dispatch(self):
        """send_message calls the _send_<channel> of the message's channel;
        a channel without one records the message only"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            request = self.new_request(channel='web',
                contact_email='jeanne@example.org')
            sent = []

            def _send_other(self, message):
                sent.append((self, message))
            web, other = Message.create([{
                        'request': request.id, 'direction': 'out',
                        'channel': channel, 'body': "Réponse",
                        } for channel in ['web', 'other']])
            with patch.object(Request, '_send_other', _send_other,
                    create=True):
                request.send_message(web)
                self.assertEqual(sent, [])
                request.send_message(other)
                self.assertEqual(sent, [(request, other)])
            self.assertEqual(Message.search_count(
                    [('request', '=', request.id)]), 3)

    @with_transaction()
    def test_intake_scope(self):
        "The inbox declares the intake scope of the API keys"
        pool = Pool()
        ApiKey = pool.get('gru.api.key')
        scopes = dict(ApiKey.fields_get(['scopes'])['scopes']['selection'])
        self.assertEqual(scopes, {
                'route': "Territory routing", 'intake': "Request intake"})
        key = ApiKey.new_key()
        record = ApiKey(name="Web form", scopes=['intake'])
        record.set_key(key)
        record.save()
        self.assertEqual(ApiKey.check(key, 'intake'), record)
        self.assertIsNone(ApiKey.check(key, 'route'))

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The letter channel of the requests: registered, answered by letter."
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_letter import docx_merge
from gru_letter.tests.test_module import setup_letters, setup_usagers


class LetterChannelTestCase(unittest.TestCase):
    "Test the letter channel"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_letter')

    @with_transaction()
    def test_letter_channel_registered(self):
        """The letter channel is registered with its icon, as a reply
        channel, and counted in the volumes"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Party = pool.get('party.party')
        ReplyStart = pool.get('gru.inbox.request.reply.start')
        Volume = pool.get('gru.inbox.request.volume')
        Icon = pool.get('ir.ui.icon')
        self.assertIn(('letter', "Letter"), Request.channels())
        for channels in [Message.get_channels(),
                Party.get_preferred_channels()]:
            self.assertIn('letter', dict(channels))
        # gru_mail is not installed: letters are the only answers
        self.assertEqual(ReplyStart.get_channels(), [('letter', "Letter")])
        self.assertEqual(
            Request.channel_icon_of('letter'), 'gru-channel-letter')
        self.assertTrue(Icon.search([('name', '=', 'gru-channel-letter')]))
        self.assertIn(('count_letter', 'letter'), Volume.channel_counts())

    @with_transaction()
    def test_reply_by_letter(self):
        """The reply wizard proposes the letter on a request of another
        channel and writes the reply letter of the answer"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Outgoing = pool.get('gru.letter.outgoing')
        Reply = pool.get('gru.inbox.request.reply', type='wizard')
        company = create_company()
        with set_company(company):
            antennas = setup_letters(company)
            usagers = setup_usagers()
            request = Request.intake({
                    'channel': 'web', 'party': usagers['U00'],
                    'antenna': antennas[0], 'subject': "Permis"},
                message={'body': "Bonjour"})
            session_id, _, _ = Reply.create()
            with Transaction().set_context(active_model='gru.inbox.request',
                    active_id=request.id, active_ids=[request.id]):
                result = Reply.execute(session_id, {}, 'start')
                data = {k: v for k, v in result['view']['defaults'].items()
                    if '.' not in k}
                self.assertEqual(data['channel'], 'letter')
                data['body'] = "Nous revenons vers vous."
                Reply.execute(session_id, {'start': data}, 'send')
            Reply.delete(session_id)
            message, = Message.search([
                    ('request', '=', request.id),
                    ('direction', '=', 'out'),
                    ])
            self.assertEqual(message.channel, 'letter')
            written, = Outgoing.search([('message', '=', message.id)])
            self.assertIn("Nous revenons vers vous.",
                docx_merge.text_of(written.docx))
            self.assertEqual(Request(request.id).state, 'answered')
            # sent again, the message keeps its one letter
            request.send_message(message)
            self.assertEqual(
                Outgoing.search_count([('message', '=', message.id)]), 1)

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Test the reply box of the request form on the email channel."
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .test_module import (
    SEED_EMAIL, GruMailTestCase, no_smtp_server, smtp_server)


class ConversationMailTestCase(unittest.TestCase):
    "Test the reply box sending mails"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_mail')

    setup_mailbox = GruMailTestCase.setup_mailbox
    seed_request = GruMailTestCase.seed_request

    @with_transaction()
    def test_reply_box_by_email(self):
        """The reply box sends the answer by SMTP to the usager; a mail
        not sent shows its state in the thread and leaves the request in
        its state"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            mailbox = self.setup_mailbox()
            request = self.seed_request(mailbox)
            Request.process([request])
            Request.write([request], {'draft_body': "Votre dossier avance."})
            with smtp_server() as smtp:
                Request.send_reply([Request(request.id)])
            self.assertEqual(len(smtp.mails), 1)
            message, = Message.search([
                    ('request', '=', request.id),
                    ('direction', '=', 'out'),
                    ], order=[('id', 'DESC')], limit=1)
            self.assertEqual(message.channel, 'email')
            self.assertEqual(message.to_address, SEED_EMAIL)
            self.assertEqual(message.mail_state, 'sent')
            self.assertEqual(Request(request.id).state, 'answered')

            Request.reopen([Request(request.id)])
            Request.write([request], {'draft_body': "Une autre réponse."})
            with no_smtp_server():
                Request.send_reply([Request(request.id)])
            request = Request(request.id)
            self.assertEqual(request.state, 'in_progress')
            self.assertFalse(request.draft_body)
            self.assertIn('gru-status', request.conversation)
            self.assertIn("Failed", request.conversation)

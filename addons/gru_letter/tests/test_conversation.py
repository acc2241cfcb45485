# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Test the letters section of the usager 360° panel of a request."
import datetime as dt
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_inbox.tests.test_module import InboxMixin, create_usager


class ConversationLetterTestCase(InboxMixin, unittest.TestCase):
    "Test the letters section of the usager panel"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_letter')

    @with_transaction()
    def test_usager_letters(self):
        "The section lists the letters of the usager, or says there is none"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Letter = pool.get('gru.letter')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            party = create_usager("Léa Petit", email='lea@example.org',
                postal_code='80000')
            request = self.new_request(contact_email='lea@example.org',
                contact_postal_code='80000')
            self.assertEqual(request.party, party)
            html = Request(request.id).usager_overview
            self.assertIn('gru-section-letters', html)
            self.assertIn('No letter.', html)

            letter, = Letter.create([{
                        'received_date': dt.date(2026, 12, 1),
                        'site': data['ami'].id,
                        'party': party.id,
                        'sender_name': "Léa Petit",
                        }])
            html = Request(request.id).usager_overview
            self.assertIn('data-gru-model="gru.letter" '
                'data-gru-id="%d"' % letter.id, html)
            self.assertIn('01/12/2026', html)

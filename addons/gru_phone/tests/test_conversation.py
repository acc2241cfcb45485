# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Test the calls of the usager in the 360° panel of a request."
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_inbox.tests.test_module import create_usager

from .test_module import MONDAY, T0, PhoneMixin


class ConversationPhoneTestCase(PhoneMixin, unittest.TestCase):
    "Test the calls section of the usager panel"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_phone')

    @with_transaction()
    def test_usager_calls(self):
        "The calls of the usager are listed and linked in the panel"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            party = create_usager("Léa Petit", email='lea@example.org',
                postal_code='80000')
            Call.decide('c1', caller='0611223344', postal_code='80000',
                at=MONDAY)
            Call.ingest_events([{'event': 'answered', 'call_id': 'c1',
                        'time': T0 + 5, 'agent': 'ami-agent1',
                        'target': 'AMI'}])
            call, = Call.search([('call_id', '=', 'c1')])
            Call.write([call], {'party': party.id})
            request = self.new_request(contact_email='lea@example.org',
                contact_postal_code='80000')
            self.assertEqual(request.party, party)
            html = Request(request.id).usager_overview
            self.assertIn('gru-section-calls', html)
            self.assertIn('data-gru-model="gru.phone.call" '
                'data-gru-id="%d"' % call.id, html)
            self.assertIn('23/11/2026', html)

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The intake contract (doc/design.rst, Intake): what a channel gives is
seen by the triage rules, kept unless a rule overrides it (and then the
triage log says so), and the antenna is routed by the territory routing
from the postal code and the commune."""
import unittest
from unittest.mock import patch

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_inbox.exceptions import IntakeError
from gru_inbox.routes import parse_intake
from gru_inbox.tests.test_module import MONDAY, InboxMixin
from gru_scheme.tests.test_module import create_lists


class IntakeContractTestCase(InboxMixin, unittest.TestCase):
    "Test the intake contract"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_inbox'])

    def create_scheme(self):
        Scheme = Pool().get('gru.scheme')
        theme, directorate, _ = create_lists()
        scheme, = Scheme.create([{'name': "Permis", 'code': 'PERMIS',
                    'theme': theme.id, 'directorate': directorate.id}])
        return scheme

    def item(self, **values):
        return (dict({
                    'channel': 'web',
                    'received_at': MONDAY,
                    'subject': "Question",
                    'contact_email': 'usager@example.org',
                    }, **values), {'body': "Bonjour", 'date': MONDAY})

    @with_transaction()
    def test_channel_values_seen_by_triage(self):
        "A rule on the antenna and scheme given by the channel fires"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Rule = pool.get('gru.inbox.rule')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            scheme = self.create_scheme()
            Rule.create([{
                        'name': "Permis à Laon", 'sequence': 1,
                        'antenna': data['lao'].id, 'scheme': scheme.id,
                        'set_priority': '3',
                        }])
            # the postal code would route to Amiens: the channel's antenna
            # is kept and the triage sees it
            request, = Request.intake_many([self.item(
                        antenna=data['lao'], scheme=scheme,
                        contact_postal_code='80000')])
            self.assertEqual(request.antenna, data['lao'])
            self.assertEqual(request.scheme, scheme)
            self.assertEqual(request.priority, '3')
            self.assertIn("Permis à Laon", request.triage_log)
            self.assertIn("Web Form", request.antenna_reason)

            # ids are accepted too, and a team given by the channel is kept
            request, = Request.intake_many([self.item(
                        antenna=data['lao'].id, scheme=scheme.id,
                        team=data['team_stq'].id)])
            self.assertEqual(request.priority, '3')
            self.assertEqual(request.team, data['team_stq'])
            self.assertEqual(request.assignee, data['carol'])

    @with_transaction()
    def test_rule_override_is_logged(self):
        "A rule may override the channel's antenna: the triage log says so"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Rule = pool.get('gru.inbox.rule')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            scheme = self.create_scheme()
            Rule.create([{
                        'name': "Permis centralisé", 'sequence': 1,
                        'antenna': data['lao'].id, 'scheme': scheme.id,
                        'set_antenna': data['stq'].id,
                        }])
            request, = Request.intake_many([self.item(
                        antenna=data['lao'], scheme=scheme)])
            self.assertEqual(request.antenna, data['stq'])
            self.assertIn('Permis centralisé', request.antenna_reason)
            overridden = request.triage_log.splitlines()[-1]
            self.assertIn(data['lao'].rec_name, overridden)
            self.assertIn(data['stq'].rec_name, overridden)
            self.assertIn("channel", overridden)

            # a routed antenna changed by a rule is not a channel's value
            Rule.write(Rule.search([]), {
                    'antenna': data['ami'].id, 'scheme': None})
            request, = Request.intake_many([self.item(
                        contact_postal_code='80000')])
            self.assertEqual(request.antenna, data['stq'])
            self.assertNotIn("channel", request.triage_log)

    @with_transaction()
    def test_prepare_intake_hook(self):
        "What a channel sets in prepare_intake is seen by the triage"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Rule = pool.get('gru.inbox.rule')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            scheme = self.create_scheme()
            Rule.create([{
                        'name': "Permis à Laon", 'sequence': 1,
                        'antenna': data['lao'].id, 'scheme': scheme.id,
                        'set_priority': '2',
                        }])
            prepared = []

            # as a counter module would: its antenna and scheme
            @classmethod
            def prepare_intake(cls, requests):
                for request in requests:
                    prepared.append(request.id)
                    request.antenna = data['lao']
                    request.scheme = scheme

            with patch.object(Request, 'prepare_intake', prepare_intake):
                request, = Request.intake_many([self.item(
                            channel='other', contact_postal_code='80000')])
            # the hook ran once, before the request was saved
            self.assertEqual(prepared, [None])
            self.assertEqual(request.antenna, data['lao'])
            self.assertEqual(request.priority, '2')

    @with_transaction()
    def test_shared_postal_code_routed_by_commune(self):
        "The commune decides the antenna of a shared postal code"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Commune = pool.get('gru.commune')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            # 02300 is shared by Chauny (STQ, the most populated) and
            # Viry-Noureuil (LAO)
            viry, = Commune.search([('name', '=', "Viry-Noureuil")])
            chauny, = Commune.search([('name', '=', "Chauny")])
            without, with_viry, with_chauny, commune_only = (
                Request.intake_many([
                        self.item(contact_postal_code='02300'),
                        self.item(contact_postal_code='02300',
                            contact_commune=viry),
                        self.item(contact_postal_code='02300',
                            contact_commune=chauny.id),
                        self.item(contact_commune=viry),
                        ]))
            self.assertEqual(without.antenna, data['stq'])
            self.assertEqual(with_viry.antenna, data['lao'])
            self.assertIn("Viry", with_viry.antenna_reason)
            self.assertEqual(with_chauny.antenna, data['stq'])
            self.assertEqual(commune_only.antenna, data['lao'])

            # the form routes the same way
            request = Request(contact_postal_code='02300',
                contact_commune=viry, received_at=MONDAY)
            request.on_change_contact_commune()
            self.assertEqual(request.antenna, data['lao'])

    @with_transaction()
    def test_malformed_postal_code(self):
        "A malformed postal code leaves no antenna and says why"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            request, = Request.intake_many([self.item(
                        contact_postal_code='8O00')])
            self.assertFalse(request.antenna)
            self.assertIn('8O00', request.antenna_reason)

    @with_transaction()
    def test_api_commune(self):
        "The intake API takes the commune's INSEE code"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            values, message = parse_intake({
                    'body': "Bonjour", 'email': 'a@example.org',
                    'postal_code': '02300', 'commune': '02807'})
            self.assertEqual(values['contact_commune'].name, "Viry-Noureuil")
            request = Request.intake(values, message=message)
            self.assertEqual(request.antenna, data['lao'])
            with self.assertRaises(IntakeError) as cm:
                parse_intake({
                        'body': "Bonjour", 'email': 'a@example.org',
                        'commune': '99999'})
            self.assertEqual(cm.exception.field, 'commune')

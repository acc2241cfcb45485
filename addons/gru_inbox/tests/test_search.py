# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The one search box of the agents finds the requests by reference, usager
name, email, phone or dossier number, and the usagers with them."""
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .test_module import InboxMixin, create_usager


class RequestSearchTestCase(InboxMixin, unittest.TestCase):
    "Test the search of the requests"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_inbox'])

    @with_transaction()
    def test_search_keys(self):
        "The requests are found by reference, usager and captured data"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Party = pool.get('party.party')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            jeanne = create_usager("Jeanne Martin",
                email='jeanne.martin@example.org', phone='06 12 34 56 78')
            Party.write([jeanne], {'identifiers': [('create', [{
                                'type': 'gru_pas_file',
                                'code': 'PAS-2026-00042'}])]})
            create_usager("Paul Durand", email='paul@example.org')
            matched = self.new_request(
                contact_email='jeanne.martin@example.org',
                subject="Aide au permis")
            self.assertEqual(matched.party, jeanne)
            unknown = self.new_request(contact_name="Luc Petit",
                contact_phone='+33 7 81 22 33 44', subject="Rappel")
            self.assertIsNone(unknown.party)
            other = self.new_request(contact_email='paul@example.org',
                subject="Transport")

            def search(text):
                return Request.search(
                    [('rec_name', 'ilike', '%' + text + '%')],
                    order=[('id', 'ASC')])

            self.assertEqual(search(matched.reference), [matched])
            for text in ['Jeanne Martin', 'martin jeanne',
                    'JEANNE.MARTIN@example.org', '0612345678',
                    '+33 6 12 34 56 78', 'PAS-2026-00042', 'permis']:
                self.assertEqual(search(text), [matched], text)
            for text in ['0781223344', '07 81 22 33 44', 'Luc Petit']:
                self.assertEqual(search(text), [unknown], text)
            self.assertEqual(search('paul@example.org'), [other])
            self.assertEqual(search('0699999999'), [])

    @with_transaction()
    def test_global_search(self):
        "The header search lists the requests and the usager of an email"
        pool = Pool()
        Model = pool.get('ir.model')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            jeanne = create_usager("Jeanne Martin",
                email='jeanne.martin@example.org')
            request = self.new_request(
                contact_email='jeanne.martin@example.org',
                subject="Aide au permis")
            model, = Model.search([('name', '=', 'gru.inbox.request')])
            self.assertTrue(model.global_search_p)
            found = {(r[1], r[3]): r
                for r in Model.global_search('jeanne.martin@example.org', 20)}
            self.assertEqual(set(found), {
                    ('gru.inbox.request', request.id),
                    ('party.party', jeanne.id)})
            result = found['gru.inbox.request', request.id]
            self.assertEqual(result[4], '%s Aide au permis — Jeanne Martin'
                % request.reference)
            self.assertEqual(result[5], request.channel_icon)

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The usagers are found by name, email, phone or dossier number and told
apart in the autocompletion."""
import datetime as dt
import unittest

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction, check_access

from .test_module import create_usager


class UsagerSearchTestCase(unittest.TestCase):
    "Test the search and the autocompletion of the usagers"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_contact'])

    @with_transaction()
    def test_autocomplete_tells_homonyms_apart(self):
        "The autocompletion shows the town and birth year or the email"
        pool = Pool()
        Party = pool.get('party.party')
        amiens = create_usager("Alexandre Regnier", postal_code='80000',
            city="Amiens", birth_date=dt.date(1985, 3, 2),
            email='a.regnier@example.org')
        laon = create_usager("Alexandre Regnier", postal_code='02000',
            city="Laon", email='alex.regnier@example.org')
        result = Party.autocomplete("regnier")
        names = {r['id']: r['name'] for r in result}
        self.assertEqual(names, {
                amiens.id: "Alexandre Regnier (Amiens, 1985)",
                laon.id: "Alexandre Regnier (Laon, alex.regnier@example.org)",
                })
        # the field keeps the name only once chosen
        self.assertEqual(amiens.rec_name, "Alexandre Regnier")
        # no detail known: the name alone
        bare = create_usager("Zoé Bare")
        self.assertEqual(Party.autocomplete("Zoé Bare"),
            [{'id': bare.id, 'name': "Zoé Bare", 'defaults': None}])

    @with_transaction()
    def test_autocomplete_sorts_case_insensitively(self):
        "The autocompletion sorts the names whatever their case"
        pool = Pool()
        Party = pool.get('party.party')
        for name in ["martin Zoé", "MARTIN Anne", "Martin Bruno",
                "de Martin Claire"]:
            create_usager(name)
        result = Party.autocomplete("martin")
        self.assertEqual([r['name'] for r in result], [
                "de Martin Claire", "MARTIN Anne", "Martin Bruno",
                "martin Zoé"])
        self.assertEqual(
            [p.name for p in Party.search([('name', 'ilike', '%martin%')])],
            [r['name'] for r in result])

    @with_transaction()
    def test_search_rec_name_keys(self):
        "The usagers are found by phone in any format, email and dossier"
        pool = Pool()
        Party = pool.get('party.party')
        jeanne = create_usager("Jeanne Martin", phone='06 12 34 56 78',
            email='Jeanne.Martin@Example.org',
            identifiers=[('create', [{
                            'type': 'gru_pas_file',
                            'code': 'PAS-2026-00042'}])])
        create_usager("Paul Durand", phone='06 98 76 54 32',
            email='paul@example.org')

        def search(text):
            return Party.search([('rec_name', 'ilike', '%' + text + '%')])

        for text in ['+33612345678', '0612345678', '06.12.34.56.78',
                '0033 6 12 34 56 78', 'jeanne.martin@example.org',
                'JEANNE.MARTIN@EXAMPLE.ORG', 'PAS-2026-00042',
                'Martin Jeanne', 'jeanne']:
            self.assertEqual(search(text), [jeanne], text)
        self.assertEqual(search('0699999999'), [])
        # the negation keeps the core meaning
        self.assertNotIn(jeanne, Party.search(
                [('rec_name', 'not ilike', '%Jeanne%')]))

    @with_transaction()
    def test_global_search(self):
        "The header search finds the usagers, with their details"
        pool = Pool()
        Model = pool.get('ir.model')
        jeanne = create_usager("Jeanne Martin", city="Amiens",
            postal_code='80000', email='jeanne@example.org')
        model, = Model.search([('name', '=', 'party.party')])
        self.assertTrue(model.global_search_p)
        found = [r for r in Model.global_search('jeanne@example.org', 10)
            if r[1] == 'party.party']
        self.assertEqual([(r[3], r[4]) for r in found],
            [(jeanne.id, "Jeanne Martin (Amiens, jeanne@example.org)")])

    @with_transaction()
    def test_vies_check_for_administrators(self):
        "The usagers are persons: the VIES check is for administrators"
        pool = Pool()
        Keyword = pool.get('ir.action.keyword')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        vies = ModelData.get_id('party', 'wizard_check_vies')
        agent, = User.create([{'login': 'agent', 'name': "Agent"}])
        admin, = User.search([('login', '=', 'admin')])

        def actions():
            # the record rules of the actions apply as over RPC
            with check_access():
                return {a['id'] for a in Keyword.get_keyword(
                        'form_action', ('party.party', -1))}
        with Transaction().set_user(agent.id):
            self.assertNotIn(vies, actions())
        with Transaction().set_user(admin.id):
            self.assertIn(vies, actions())

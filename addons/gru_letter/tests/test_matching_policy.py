# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from gru_letter.tests.test_module import setup_letters


class LetterMatchingPolicyTestCase(ModuleTestCase):
    "Test the letters follow the matching policy of gru_contact"
    module = 'gru_letter'

    def create_usager(self, name, street, postal_code, city, **values):
        Party = Pool().get('party.party')
        party, = Party.create([dict(values, name=name,
                    addresses=[('create', [{'street': street,
                                    'postal_code': postal_code,
                                    'city': city}])])])
        return party

    def letter(self, name, address, postal_code, **values):
        Letter = Pool().get('gru.letter')
        letter = Letter(sender_name=name, sender_address=address,
            postal_code=postal_code, email=None, phone=None, reference=None,
            party=None)
        for field, value in values.items():
            setattr(letter, field, value)
        letter.match_usager()
        return letter

    @with_transaction()
    def test_letter_matching_policy(self):
        "Test relatives, namesakes, exact reference, name with address"
        company = create_company()
        with set_company(company):
            setup_letters(company)
            louis = self.create_usager("Louis Martin", "12 rue des Lilas",
                '80000', "Amiens")
            jean = self.create_usager("Jean Dupont", "5 avenue Foch",
                '80000', "Amiens", identifiers=[('create', [{
                                'type': 'gru_pas_file',
                                'code': 'PAS-2024-00042'}])])
            self.create_usager("Jean Dupont", "1 rue Pasteur", '02100',
                "Saint-Quentin")

            # his daughter at the same address: proposed, not assigned
            letter = self.letter("Louise Martin",
                "Louise Martin\n12 rue des Lilas\n80000 AMIENS", '80000')
            self.assertIsNone(letter.party)
            self.assertIn("Louis Martin", letter.match_reasons)
            self.assertGreater(letter.match_score, 0)

            # a namesake in another town: not assigned
            letter = self.letter("Jean Dupont",
                "Jean Dupont\n8 rue Pasteur\n60000 BEAUVAIS", '60000')
            self.assertIsNone(letter.party)

            # a similar name and the postal code alone: not assigned
            letter = self.letter("Jean Dupond",
                "Jean Dupond\n9 place de la Gare\n80000 AMIENS", '80000')
            self.assertIsNone(letter.party)
            self.assertIn("Jean Dupont", letter.match_reasons)

            # the same name, street and postal code: assigned
            letter = self.letter("Jean Dupond",
                "Jean Dupond\n5 av. Foch\n80000 AMIENS", '80000')
            self.assertEqual(letter.party, jean)

            # the exact PAS number: assigned
            letter = self.letter("J. D.", None, None,
                reference='PAS-2024-00042')
            self.assertEqual(letter.party, jean)
            self.assertNotEqual(letter.party, louis)


del ModuleTestCase

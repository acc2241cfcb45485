# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


def create_usager(name, email=None, phone=None, street=None,
        postal_code=None, city=None, **values):
    Party = Pool().get('party.party')
    mechanisms = []
    if email:
        mechanisms.append({'type': 'email', 'value': email})
    if phone:
        mechanisms.append({'type': 'mobile', 'value': phone})
    addresses = []
    if street or postal_code or city:
        addresses.append({
                'street': street, 'postal_code': postal_code, 'city': city})
    party, = Party.create([dict(values, name=name,
                contact_mechanisms=[('create', mechanisms)],
                addresses=[('create', addresses)])])
    return party


class MatchingPolicyTestCase(ModuleTestCase):
    "Test the one matching policy of every channel"
    module = 'gru_contact'

    def resolve(self, **query):
        return Pool().get('gru.contact.matching').resolve(**query)

    @with_transaction()
    def test_relatives_same_address_proposed(self):
        "Test a relative at the same address with another first name"
        louis = create_usager("Louis Martin", street="12 rue des Lilas",
            postal_code='80000', city="Amiens")
        pierre = create_usager("Pierre Durand", street="4 avenue Foch",
            postal_code='80000', city="Amiens")
        # Louise is not a usager: her father at the same address is not her
        for name in ["Louise Martin", "Mme Louise MARTIN"]:
            decision = self.resolve(name=name, postal_code='80000',
                street="12, rue des Lilas")
            self.assertEqual(decision['decision'], 'propose', name)
            self.assertIsNone(decision['party'])
            self.assertEqual(
                [c['party'] for c in decision['candidates']], [louis.id])
            self.assertNotIn('name', decision['candidates'][0]['evidence'])
            self.assertIn('address', decision['candidates'][0]['evidence'])
        # a first name unlike his is found at the address and proposed
        decision = self.resolve(name="Paul Durand", postal_code='80000',
            street="4 av. Foch")
        self.assertEqual(decision['decision'], 'propose')
        self.assertEqual(
            [c['party'] for c in decision['candidates']], [pierre.id])
        self.assertTrue(decision['candidates'][0]['reasons'])

    @with_transaction()
    def test_relatives_both_usagers(self):
        "Test the relative who wrote is assigned, not the other one"
        louis = create_usager("Louis Martin", street="12 rue des Lilas",
            postal_code='80000', city="Amiens")
        louise = create_usager("Louise Martin", street="12 rue des Lilas",
            postal_code='80000', city="Amiens")
        for name, usager in [("Louise Martin", louise),
                ("Louis Martin", louis)]:
            decision = self.resolve(name=name, postal_code='80000',
                street="12 rue des Lilas")
            self.assertEqual(decision['decision'], 'assign', name)
            self.assertEqual(decision['party'], usager.id)

    @with_transaction()
    def test_similar_name_postal_code_not_enough(self):
        "Test a similar name and the same postal code only propose"
        helene = create_usager("Hélène Lefèvre", street="3 place de la Gare",
            postal_code='80000', city="Amiens")
        for name in ["Hélène Lefèvre", "Helene Lefebvre"]:
            decision = self.resolve(name=name, postal_code='80000')
            self.assertEqual(decision['decision'], 'propose', name)
            self.assertEqual(
                [c['party'] for c in decision['candidates']], [helene.id])
        # another street in the same postal code is no second piece
        decision = self.resolve(name="Hélène Lefèvre", postal_code='80000',
            street="8 rue Pasteur")
        self.assertEqual(decision['decision'], 'propose')

    @with_transaction()
    def test_namesakes_other_town(self):
        "Test namesakes in another town are not assigned"
        create_usager("Jean Dupont", street="12 rue des Lilas",
            postal_code='02100', city="Saint-Quentin")
        create_usager("Jean Dupont", street="1 rue Victor Hugo",
            postal_code='60000', city="Beauvais")
        decision = self.resolve(name="Jean Dupont", postal_code='80000',
            street="12 rue des Lilas")
        self.assertNotEqual(decision['decision'], 'assign')
        decision = self.resolve(name="Jean Dupont")
        self.assertEqual(decision['decision'], 'propose')
        self.assertEqual(len(decision['candidates']), 2)

    @with_transaction()
    def test_exact_identifiers_assign(self):
        "Test an exact email, phone or PAS number assigns alone"
        jean = create_usager("Jean Dupont", email='jean.dupont@exemple.fr',
            phone='06 12 34 56 78', identifiers=[('create', [{
                            'type': 'gru_pas_file',
                            'code': 'PAS-2024-00042'}])])
        create_usager("Jean Dupont", email='jd@exemple.fr')
        for query in [{'email': 'Jean.Dupont@exemple.fr'},
                {'phone': '+33 6 12 34 56 78'},
                {'reference': 'PAS-2024-00042'},
                {'email': 'jean.dupont@exemple.fr', 'name': "Marc Durand"}]:
            decision = self.resolve(**query)
            self.assertEqual(decision['decision'], 'assign', query)
            self.assertEqual(decision['party'], jean.id)
            self.assertTrue(decision['explanation'])

    @with_transaction()
    def test_shared_identifier(self):
        "Test an email shared by a family needs the name to assign"
        jean = create_usager("Jean Dupont", email='famille@exemple.fr')
        create_usager("Marie Dupont", email='famille@exemple.fr')
        decision = self.resolve(email='famille@exemple.fr')
        self.assertEqual(decision['decision'], 'propose')
        self.assertEqual(len(decision['candidates']), 2)
        decision = self.resolve(email='famille@exemple.fr',
            name="Jean Dupond")
        self.assertEqual(decision['decision'], 'assign')
        self.assertEqual(decision['party'], jean.id)

    @with_transaction()
    def test_name_and_address_assign(self):
        "Test a similar name with the same street and postal code assigns"
        jean = create_usager("Jean Dupont", street="12 rue des Lilas",
            postal_code='80000', city="Amiens")
        create_usager("Jean Dupont", street="12 rue des Lilas",
            postal_code='02100', city="Saint-Quentin")
        for name, street in [("Jean Dupont", "12 rue des Lilas"),
                ("Jean Dupond", "12 r. des Lilas"),
                ("DUPONT Jean", "Jean Dupont\n12 RUE DES LILAS\n"
                    "80000 AMIENS")]:
            decision = self.resolve(name=name, postal_code='80 000',
                street=street)
            self.assertEqual(decision['decision'], 'assign', name)
            self.assertEqual(decision['party'], jean.id)
            self.assertEqual(set(decision['candidates'][0]['evidence']),
                {'name', 'address', 'postal_code'})

    @with_transaction()
    def test_nothing_found(self):
        "Test no candidate and malformed input decide none"
        create_usager("Jean Dupont", email='jean.dupont@exemple.fr')
        decision = self.resolve(email='personne@exemple.fr')
        self.assertEqual(decision['decision'], 'none')
        self.assertEqual(decision['candidates'], [])
        decision = self.resolve(email='not an email', name='!!!',
            postal_code='ABCDE')
        self.assertEqual(decision['decision'], 'none')


del ModuleTestCase

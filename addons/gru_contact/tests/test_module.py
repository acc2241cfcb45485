# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import doctest
import io
import json
import re
import zipfile

from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from gru_contact import tools
from gru_contact.exceptions import (
    InvalidEmail, InvalidPhone, MatchingInputError)
from gru_territory.tests.test_module import setup_fixture_plan


def create_usager(name, email=None, phone=None, postal_code=None,
        city=None, **values):
    Party = Pool().get('party.party')
    mechanisms = []
    if email:
        mechanisms.append({'type': 'email', 'value': email})
    if phone:
        mechanisms.append({'type': 'mobile', 'value': phone})
    addresses = []
    if postal_code or city:
        addresses.append({'postal_code': postal_code, 'city': city})
    party, = Party.create([dict(values, name=name,
                contact_mechanisms=[('create', mechanisms)],
                addresses=[('create', addresses)])])
    return party


class GruContactTestCase(ModuleTestCase):
    "Test GRU Contact module"
    module = 'gru_contact'

    def test_doctest_tools(self):
        "Test the normalisation helpers"
        failures, _ = doctest.testmod(tools)
        self.assertEqual(failures, 0)

    def test_phone_formats(self):
        "Test the usual French phone formats give one number"
        keys = {tools.normalize_phone(p) for p in [
                "06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678",
                "06.12.34.56.78", "+33 (0)6 12 34 56 78"]}
        self.assertEqual(keys, {'+33612345678'})

    @with_transaction()
    def test_value_key(self):
        "Test the look-up key of emails and phones is stored"
        party = create_usager("Jean Dupont",
            email=" Jean.Dupont@Exemple.FR", phone="06 12 34 56 78")
        keys = {m.type: m.value_key for m in party.contact_mechanisms}
        self.assertEqual(keys, {
                'email': 'jean.dupont@exemple.fr',
                'mobile': '+33612345678',
                })
        mobile, = [m for m in party.contact_mechanisms if m.type == 'mobile']
        mobile.value = '0033 7 81 23 45 67'
        mobile.save()
        self.assertEqual(mobile.value_key, '+33781234567')

    @with_transaction()
    def test_invalid_email_phone(self):
        "Test invalid email and phone are rejected naming the field"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        party = create_usager("Jean Dupont")
        with self.assertRaises(InvalidEmail) as cm:
            ContactMechanism.create([{
                        'party': party.id, 'type': 'email',
                        'value': 'jean.dupont.exemple.fr'}])
        self.assertIn('jean.dupont.exemple.fr', cm.exception.message)
        self.assertIn('Email', cm.exception.message)
        with self.assertRaises(InvalidPhone) as cm:
            ContactMechanism.create([{
                        'party': party.id, 'type': 'phone',
                        'value': '06 12'}])
        self.assertIn('06 12', cm.exception.message)
        self.assertIn('Phone', cm.exception.message)

    @with_transaction()
    def test_match_email(self):
        "Test matching by email ignores case and Unicode forms"
        Matching = Pool().get('gru.contact.matching')
        party = create_usager(
            "Élodie Martin", email='Élodie.Martin@Exemple.fr')
        create_usager("Paul Martin", email='paul.martin@exemple.fr')
        decomposed = 'E\u0301lodie.martin@EXEMPLE.fr'
        candidates = Matching.find(email=decomposed)
        self.assertEqual([c['party'] for c in candidates], [party.id])
        self.assertEqual(candidates[0]['score'], 50)
        self.assertIn('élodie.martin@exemple.fr', candidates[0]['reasons'][0])
        self.assertEqual(Matching.find(email='nobody@exemple.fr'), [])

    @with_transaction()
    def test_match_phone(self):
        "Test matching by phone whatever its format"
        Matching = Pool().get('gru.contact.matching')
        party = create_usager("Jean Dupont", phone='+33 6 12 34 56 78')
        for phone in ['06 12 34 56 78', '0033612345678', '0612345678']:
            candidates = Matching.find(phone=phone)
            self.assertEqual([c['party'] for c in candidates], [party.id])

    @with_transaction()
    def test_known_keys(self):
        "Test the emails and phones on a contact mechanism in one query"
        Matching = Pool().get('gru.contact.matching')
        create_usager("Élodie Martin", email='Élodie.Martin@Exemple.fr',
            phone='+33 6 12 34 56 78')
        self.assertEqual(Matching.known_keys(
                emails=['E\u0301lodie.martin@EXEMPLE.fr',
                    'nobody@exemple.fr', None, 'not an email'],
                phones=['06 12 34 56 78', '06 99 99 99 99', '12']),
            {'élodie.martin@exemple.fr', '+33612345678'})
        self.assertEqual(Matching.known_keys(), set())

    @with_transaction()
    def test_match_name(self):
        "Test matching names without accents nor case, with typos"
        Matching = Pool().get('gru.contact.matching')
        helene = create_usager("Hélène Lefèvre", postal_code='80000')
        create_usager("Hélène Lefèvre", postal_code='02100')
        create_usager("Paul Durand", postal_code='80000')
        for name in ["HELENE LEFEVRE", "Lefevre Helene", "Hélène Lefebvre",
                "Helene Lefevr"]:
            candidates = Matching.find(name=name, postal_code='80000')
            self.assertEqual(
                [c['party'] for c in candidates], [helene.id], name)
        candidates = Matching.find(name="helene lefevre")
        self.assertEqual(len(candidates), 2)
        self.assertEqual(Matching.find(name="Paul Martin"), [])

    @with_transaction()
    def test_match_combined(self):
        "Test evidences add up and rank the candidates"
        Matching = Pool().get('gru.contact.matching')
        jean = create_usager("Jean Dupont", email='famille@exemple.fr',
            phone='06 12 34 56 78', postal_code='80000')
        marie = create_usager("Marie Dupont", email='famille@exemple.fr',
            postal_code='80000')
        candidates = Matching.find(email='famille@exemple.fr',
            name="Jean Dupond", postal_code='80000')
        self.assertEqual(
            [c['party'] for c in candidates], [jean.id, marie.id])
        self.assertEqual(len(candidates[0]['reasons']), 3)

    @with_transaction()
    def test_match_reference(self):
        "Test matching by a PAS reference stored as identifier"
        pool = Pool()
        Matching = pool.get('gru.contact.matching')
        Identifier = pool.get('party.identifier')
        types = dict(Identifier.get_types())
        self.assertIn('gru_pas_account', types)
        self.assertIn('gru_pas_file', types)
        party = create_usager("Jean Dupont", identifiers=[('create', [{
                            'type': 'gru_pas_file', 'code': 'PAS-2024-00042',
                            }])])
        candidates = Matching.find(reference='PAS-2024-00042')
        self.assertEqual([c['party'] for c in candidates], [party.id])
        self.assertEqual(Matching.find(reference='PAS-2024-00043'), [])

    @with_transaction()
    def test_match_bad_input(self):
        "Test malformed input is rejected naming the field"
        Matching = Pool().get('gru.contact.matching')
        with self.assertRaises(MatchingInputError) as cm:
            Matching.find(email='not an email')
        self.assertIn('email', cm.exception.message)
        with self.assertRaises(MatchingInputError) as cm:
            Matching.find(phone='12')
        self.assertIn('phone', cm.exception.message)
        with self.assertRaises(MatchingInputError) as cm:
            Matching.find(name='Jean', postal_code='ABCDE')
        self.assertIn('postal code', cm.exception.message)
        with self.assertRaises(MatchingInputError):
            Matching.find()

    @with_transaction()
    def test_antenna_from_address(self):
        "Test the antenna is computed from the main address"
        pool = Pool()
        Address = pool.get('party.address')
        _, (ami, stq, lao, sia) = setup_fixture_plan()
        party = create_usager("Jean Dupont", postal_code='80 000',
            city="Amiens")
        self.assertEqual(party.antenna, ami)
        self.assertEqual(party.postal_code, '80000')
        self.assertIn("Amiens", party.antenna_explanation)

        address, = party.addresses
        address.postal_code = '02100'
        address.city = "Saint-Quentin"
        address.save()
        party = party.__class__(party.id)
        self.assertEqual(party.antenna, stq)

        Address.delete([address])
        party = party.__class__(party.id)
        self.assertIsNone(party.antenna)
        self.assertIsNone(party.postal_code)
        self.assertTrue(party.antenna_explanation)

        unknown = create_usager("Paul Durand", postal_code='75001')
        self.assertEqual(unknown.antenna, sia)

    @with_transaction()
    def test_antenna_override(self):
        "Test an overridden antenna keeps its reason over address changes"
        pool = Pool()
        Party = pool.get('party.party')
        _, (ami, stq, lao, sia) = setup_fixture_plan()
        party = create_usager("Jean Dupont", postal_code='80000')
        Party.write([party], {
                'antenna_override': True,
                'antenna': lao.id,
                'antenna_reason': "Suivi par Laon depuis 2021",
                })
        address, = party.addresses
        address.postal_code = '02100'
        address.save()
        party = Party(party.id)
        self.assertEqual(party.antenna, lao)
        self.assertEqual(party.antenna_reason, "Suivi par Laon depuis 2021")
        self.assertEqual(party.postal_code, '02100')

        Party.write([party], {'antenna_override': False})
        party = Party(party.id)
        self.assertEqual(party.antenna, stq)
        self.assertIsNone(party.antenna_reason)

    @with_transaction()
    def test_consent_date(self):
        "Test the consent date follows the consents"
        pool = Pool()
        Party = pool.get('party.party')
        Date = pool.get('ir.date')
        party = create_usager("Jean Dupont")
        self.assertIsNone(party.consent_date)
        Party.write([party], {'consent_email': True})
        self.assertEqual(party.consent_date, Date.today())
        self.assertEqual(party.last_contact_date, Date.today())

    @with_transaction()
    def test_duplicates(self):
        "Test the report of probable duplicates"
        pool = Pool()
        Duplicate = pool.get('gru.contact.duplicate')
        jean = create_usager("Jean Dupont", phone='06 12 34 56 78',
            postal_code='80000')
        jean2 = create_usager("DUPOND Jean", phone='0612345678',
            postal_code='80000')
        create_usager("Marie Dupont", email='marie@exemple.fr',
            postal_code='80000')
        twin1 = create_usager("Paul Durand", postal_code='02100',
            birth_date=dt.date(1980, 5, 1))
        twin2 = create_usager("Paul Durant", postal_code='02100',
            birth_date=dt.date(1980, 5, 1))
        create_usager("Paul Durand", postal_code='02100',
            birth_date=dt.date(1990, 5, 1))

        self.assertEqual(Duplicate.detect(), 2)
        pairs = {(d.party, d.other): d for d in Duplicate.search([])}
        self.assertEqual(set(pairs), {(jean, jean2), (twin1, twin2)})
        duplicate = pairs[(jean, jean2)]
        self.assertGreaterEqual(duplicate.score, 70)
        self.assertIn('+33612345678', duplicate.reasons)

        Duplicate.ignore([duplicate])
        self.assertEqual(Duplicate.detect(), 1)
        self.assertEqual(duplicate.state, 'ignored')

    @with_transaction()
    def test_merge(self):
        "Test merging through party.replace keeps every linked record"
        pool = Pool()
        Party = pool.get('party.party')
        Duplicate = pool.get('gru.contact.duplicate')
        Attachment = pool.get('ir.attachment')
        Note = pool.get('ir.note')
        Matching = pool.get('gru.contact.matching')
        Replace = pool.get('party.replace', type='wizard')
        jean = create_usager("Jean Dupont", phone='06 12 34 56 78',
            postal_code='80000')
        jean2 = create_usager("Jean Dupond", phone='0612345678',
            email='jean@exemple.fr', postal_code='80000',
            birth_date=dt.date(1970, 1, 2))
        Attachment.create([{
                    'name': 'courrier.txt', 'resource': str(jean2),
                    'data': b'Bonjour'}])
        Note.create([{'resource': str(jean2), 'message': "Appel"}])
        Duplicate.detect()
        duplicate, = Duplicate.search([])

        with Transaction().set_context(_skip_warnings=True,
                active_model=Duplicate.__name__, active_id=duplicate.id):
            session_id, _, _ = Replace.create()
            replace = Replace(session_id)
            defaults = replace.ask.default_get(
                ['source', 'destination'], with_rec_name=False)
            self.assertEqual(defaults['source'], jean2.id)
            self.assertEqual(defaults['destination'], jean.id)
            Replace.execute(session_id, {'ask': defaults}, 'replace')
            Replace.delete(session_id)

        jean = Party(jean.id)
        jean2 = Party(jean2.id)
        self.assertFalse(jean2.active)
        self.assertEqual(jean2.replaced_by, jean)
        self.assertEqual(jean.birth_date, dt.date(1970, 1, 2))
        self.assertEqual(
            Attachment.search([('resource', '=', str(jean))], count=True), 1)
        self.assertEqual(
            Note.search([('resource', '=', str(jean))], count=True), 1)
        self.assertEqual(Duplicate.search([], count=True), 0)
        candidates = Matching.find(email='jean@exemple.fr')
        self.assertEqual([c['party'] for c in candidates], [jean.id])

    @with_transaction()
    def test_gdpr_export(self):
        "Test the export of the personal data"
        pool = Pool()
        Export = pool.get('gru.contact.export', type='wizard')
        party = create_usager("Jean Dupont", email='jean@exemple.fr',
            phone='06 12 34 56 78', postal_code='80000', city="Amiens",
            birth_date=dt.date(1970, 1, 2), consent_sms=True)
        with Transaction().set_context(
                active_model='party.party', active_id=party.id,
                active_ids=[party.id]):
            session_id, _, _ = Export.create()
            result = Export.execute(session_id, {}, 'result')
            Export.delete(session_id)
        values = result['view']['defaults']
        self.assertTrue(values['archive_filename'].endswith('.zip'))
        with zipfile.ZipFile(io.BytesIO(values['archive'])) as archive:
            data = json.loads(archive.read('data.json'))
            xlsx_file = archive.read('data.xlsx')
        self.assertEqual(data['usager'][0]['name'], "Jean Dupont")
        self.assertEqual(data['usager'][0]['birth_date'], '1970-01-02')
        self.assertTrue(data['usager'][0]['consent_sms'])
        self.assertEqual(data['addresses'][0]['city'], "Amiens")
        self.assertEqual(
            {m['value'] for m in data['contact_mechanisms']},
            {'jean@exemple.fr', '+33 6 12 34 56 78'})
        with zipfile.ZipFile(io.BytesIO(xlsx_file)) as xlsx:
            workbook = xlsx.read('xl/workbook.xml').decode('utf-8')
            strings = xlsx.read('xl/sharedStrings.xml').decode('utf-8')
        self.assertEqual(re.findall(r'<sheet name="([^"]+)"', workbook),
            ['usager', 'addresses', 'contact_mechanisms', 'identifiers',
                'notes', 'attachments', 'probable_duplicates'])
        self.assertIn('<t>Jean Dupont</t>', strings)
        self.assertIn('<t>Amiens</t>', strings)

    @with_transaction()
    def test_anonymize(self):
        "Test anonymisation removes personal data and keeps statistics"
        pool = Pool()
        Party = pool.get('party.party')
        Matching = pool.get('gru.contact.matching')
        ContactMechanism = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        Anonymize = pool.get('gru.contact.anonymize', type='wizard')
        _, (ami, stq, lao, sia) = setup_fixture_plan()
        party = create_usager("Jean Dupont", email='jean@exemple.fr',
            phone='06 12 34 56 78', postal_code='80000', city="Amiens",
            birth_date=dt.date(1970, 1, 2), consent_email=True)
        session_id, _, _ = Anonymize.create()
        Anonymize.execute(session_id, {
                'ask': {'parties': [party.id]}}, 'anonymize')
        Anonymize.delete(session_id)

        party = Party(party.id)
        self.assertTrue(party.anonymized)
        self.assertFalse(party.active)
        self.assertIsNone(party.name)
        self.assertIsNone(party.birth_date)
        self.assertIsNone(party.name_key)
        self.assertFalse(party.consent_email)
        self.assertEqual(party.birth_year, 1970)
        self.assertEqual(party.postal_code, '80')
        self.assertEqual(party.antenna, ami)
        address, = Address.search([
                ('party', '=', party.id), ('active', 'in', [True, False])])
        self.assertIsNone(address.city)
        mechanisms = ContactMechanism.search([
                ('party', '=', party.id), ('active', 'in', [True, False])])
        self.assertEqual({m.value for m in mechanisms}, {'****'})
        self.assertEqual({m.value_key for m in mechanisms}, {None})
        self.assertEqual(Matching.find(email='jean@exemple.fr'), [])
        self.assertEqual(Matching.find(phone='06 12 34 56 78'), [])

    @with_transaction()
    def test_retention(self):
        "Test the anonymisation candidates follow the retention rule"
        pool = Pool()
        Party = pool.get('party.party')
        Date = pool.get('ir.date')
        Policy = pool.get('gru.retention.policy')
        today = Date.today()
        old = create_usager("Jean Ancien",
            last_contact_date=today - dt.timedelta(days=4 * 366))
        recent = create_usager("Marie Récente",
            last_contact_date=today - dt.timedelta(days=365))
        self.assertEqual(
            Party.search([('retention_due', '=', True)]), [old])
        self.assertIn(recent, Party.search([('retention_due', '=', False)]))
        self.assertTrue(old.retention_due)
        self.assertFalse(recent.retention_due)

        policy, = Policy.search([('kind', '=', 'usager')])
        policy.delete_after = 60
        policy.save()
        self.assertEqual(Party.search([('retention_due', '=', True)]), [])

        Party.touch_contact([old])
        self.assertEqual(old.last_contact_date, today)


del ModuleTestCase

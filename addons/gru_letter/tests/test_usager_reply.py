# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The letter validated in one screen: the usager created from what was
read, French addresses, the reply letter from a .docx template and its
PDF, the template chosen in the inbox's reply."""
import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
import unittest

from trytond.config import config
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_letter import docx_merge, extraction
from gru_letter.exceptions import PDFConverterError, UsagerCreationWarning
from gru_letter.reply import letter_date
from gru_letter.tests.test_module import setup_letters, setup_schemes

SENDER = ("Mme Claire Vasseur\nRésidence du Parc, bât. B\n"
    "106 rue de la République\n80000 AMIENS")


def letter_template(pool, scheme=None, name="Réponse à votre courrier"):
    Template = pool.get('gru.scheme.template')
    template, = Template.create([{
                'name': name, 'kind': 'letter',
                'scheme': scheme.id if scheme else None,
                'subject': "Votre courrier du ${received_date}",
                'body': "Nous avons bien reçu votre courrier au sujet du "
                "dispositif ${scheme}.",
                'document': docx_merge.letter_template(
                    organisation="Région Hauts-de-France",
                    footer="Région Hauts-de-France",
                    closing="Je vous prie d'agréer, ${salutation}, "
                    "l'expression de mes salutations distinguées."),
                'document_name': 'reponse.docx',
                }])
    return template


class LetterUsagerReplyTestCase(unittest.TestCase):
    "Test the validation of a letter in one screen and its reply"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_letter')

    def _letter(self, **values):
        pool = Pool()
        Letter = pool.get('gru.letter')
        Commune = pool.get('gru.commune')
        amiens, = Commune.search([('name', '=', "Amiens")], limit=1)
        values = dict({
                'received_date': dt.date(2026, 12, 1),
                'sender_name': "Claire Vasseur",
                'sender_address': SENDER,
                'postal_code': '80000',
                'commune': amiens.id,
                'email': 'claire.vasseur@example.fr',
                'phone': '06 12 34 56 78',
                'reference': 'PC-2026-51734',
                'state': 'to_validate',
                }, **values)
        letter, = Letter.create([values])
        return letter

    def test_address_parts(self):
        "Test the street read is split into number, street and complement"
        for text, name, expected in [
                (SENDER, "Claire Vasseur",
                    ('106', 'rue de la République',
                        'Résidence du Parc, bât. B')),
                ("Paul Durand\n12 bis, allée des Lilas\n80100 ABBEVILLE",
                    "Paul Durand", ('12 bis', 'allée des Lilas', None)),
                ("Paul Durand\nrue Pasteur, 5\n80000 Amiens", "Paul Durand",
                    ('5', 'rue Pasteur', None)),
                ("Paul Durand\nLieu-dit Le Moulin\n80000 Amiens",
                    "Paul Durand", (None, 'Lieu-dit Le Moulin', None)),
                ("", None, (None, None, None)),
                ]:
            with self.subTest(text=text):
                parts = extraction.address_parts(text, name)
                self.assertEqual((parts['building_number'],
                        parts['street_name'], parts['building_name']),
                    expected)

    @with_transaction()
    def test_create_usager(self):
        "Test the usager created from a letter carries everything read"
        pool = Pool()
        Letter = pool.get('gru.letter')
        company = create_company()
        with set_company(company):
            antennas = setup_letters(company)
            letter = self._letter()
            Letter.create_usager([letter])
            party = letter.party
            self.assertTrue(party)
            self.assertEqual(party.name, "Claire Vasseur")
            self.assertTrue(party.is_person)
            self.assertEqual(party.preferred_channel, 'letter')
            address, = party.addresses
            self.assertEqual(address.building_number, '106')
            self.assertEqual(address.street_name, "rue de la République")
            self.assertEqual(address.building_name,
                "Résidence du Parc, bât. B")
            self.assertEqual(address.postal_code, '80000')
            self.assertEqual(address.city, "Amiens")
            # the French format: the number before the street
            self.assertEqual(address.street.splitlines(), [
                    "Résidence du Parc, bât. B",
                    "106 rue de la République"])
            self.assertIn("106 RUE DE LA RÉPUBLIQUE\n80000 AMIENS",
                address.full_address)
            self.assertEqual(sorted((m.type, m.value)
                    for m in party.contact_mechanisms), [
                    ('email', 'claire.vasseur@example.fr'),
                    ('mobile', '+33 6 12 34 56 78'),
                    ])
            self.assertEqual([(i.type, i.code) for i in party.identifiers],
                [('gru_pas_file', 'PC-2026-51734')])
            # the antenna of the usager comes from the address read
            self.assertEqual(party.postal_code, '80000')
            self.assertEqual(party.antenna, antennas[0])
            self.assertIn("Claire Vasseur", letter.match_reasons)

            # validated with the usager created: the request is his
            Letter.validate_letter([letter])
            self.assertEqual(letter.request.party, party)

    @with_transaction()
    def test_create_usager_checks(self):
        "Test a letter without a name or resembling a usager is stopped"
        pool = Pool()
        Letter = pool.get('gru.letter')
        Party = pool.get('party.party')
        company = create_company()
        with set_company(company):
            setup_letters(company)
            unnamed = self._letter(sender_name=None)
            with self.assertRaises(Exception) as context:
                Letter.create_usager([unnamed])
            self.assertIn("sender name", str(context.exception))
            # an unreadable email or phone is left out, not refused
            letter = self._letter(email="claire@", phone="06 12")
            Letter.create_usager([letter])
            self.assertEqual(letter.party.contact_mechanisms, ())
            similar = self._letter(match_score=80)
            count = Party.search([], count=True)
            with self.assertRaises(UsagerCreationWarning):
                Letter.create_usager([similar])
            self.assertEqual(Party.search([], count=True), count)
            with Transaction().set_context(_skip_warnings=True):
                Letter.create_usager([similar])
            self.assertTrue(similar.party)

    @with_transaction()
    def test_address_format_without_country(self):
        "Test an address without a country is written the French way"
        pool = Pool()
        Party = pool.get('party.party')
        party, = Party.create([{'name': "Jean Martin",
                    'addresses': [('create', [{
                                    'street_name': "rue de la République",
                                    'building_number': '106',
                                    'postal_code': '80000',
                                    'city': "Amiens"}])]}])
        address, = party.addresses
        self.assertEqual(address.street, "106 rue de la République")
        self.assertEqual(address.full_address,
            "106 RUE DE LA RÉPUBLIQUE\n80000 AMIENS")

    @with_transaction()
    def test_write_reply_from_letter(self):
        """Test the reply written from the validated letter's screen, from
        the .docx template of its scheme, as .docx and PDF"""
        import docx
        pool = Pool()
        Letter = pool.get('gru.letter')
        company = create_company()
        with set_company(company):
            setup_letters(company)
            schemes = setup_schemes()
            template = letter_template(pool, schemes['PERMIS'])
            letter = self._letter(scheme=schemes['PERMIS'].id)
            Letter.create_usager([letter])
            Letter.validate_letter([letter])
            letter.reply_template = template
            letter.reply_pdf = False
            letter.save()
            Letter.write_reply([letter])
            outgoing, = Letter(letter.id).outgoing_letters
            self.assertEqual(outgoing.template, template)
            self.assertEqual(outgoing.party, letter.party)
            self.assertIsNone(outgoing.missing_fields)
            text = docx_merge.text_of(outgoing.docx)
            self.assertNotIn('${', text)
            merged = docx.Document(io.BytesIO(outgoing.docx))
            lines = '\n'.join(p.text for p in merged.paragraphs)
            self.assertIn("Claire Vasseur\n"
                "Résidence du Parc, bât. B\n106 rue de la République\n"
                "80000 Amiens", lines)
            self.assertIn("V/Réf. : PC-2026-51734", lines)
            self.assertIn("Objet : Votre courrier du 01/12/2026", lines)
            self.assertIn("dispositif Aide au permis de conduire.", lines)
            # the date in words, in the user's language
            self.assertIn(", le %s\n" % letter_date(), lines)
            self.assertIn(str(dt.date.today().year), letter_date())

            if not docx_merge.soffice():
                self.skipTest("LibreOffice is not installed")
            letter.reply_pdf = True
            letter.save()
            Letter.write_reply([letter])
            pdf = [o for o in Letter(letter.id).outgoing_letters
                if o.pdf][0]
            self.assertTrue(pdf.pdf.startswith(b'%PDF'))
            self.assertTrue(pdf.pdf_name.endswith('.pdf'))
            if shutil.which('pdftotext'):
                with tempfile.TemporaryDirectory() as folder:
                    path = os.path.join(folder, 'letter.pdf')
                    with open(path, 'wb') as file:
                        file.write(pdf.pdf)
                    printed = subprocess.run(['pdftotext', '-layout', path,
                            '-'], capture_output=True, check=True,
                        text=True).stdout
                self.assertIn("106 rue de la République", printed)
                self.assertIn("Objet : Votre courrier du 01/12/2026",
                    printed)

    @with_transaction()
    def test_write_reply_needs_template(self):
        "Test the reply button asks for the template"
        pool = Pool()
        Letter = pool.get('gru.letter')
        company = create_company()
        with set_company(company):
            setup_letters(company)
            letter = self._letter()
            Letter.create_usager([letter])
            Letter.validate_letter([letter])
            with self.assertRaises(Exception) as context:
                Letter.write_reply([letter])
            self.assertIn("reply template", str(context.exception))

    @with_transaction()
    def test_pdf_converter_missing(self):
        "Test a PDF asked without LibreOffice is a clear error"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Outgoing = pool.get('gru.letter.outgoing')
        Letter = pool.get('gru.letter')
        company = create_company()
        with set_company(company):
            setup_letters(company)
            request = Request.intake({'channel': 'letter',
                    'contact_name': "Claire Vasseur", 'subject': "Permis"},
                message={'body': "Bonjour"})
            previous = config.get('gru_letter', 'soffice')
            if not config._config.has_section('gru_letter'):
                config._config.add_section('gru_letter')
            config.set('gru_letter', 'soffice', '/nonexistent/soffice')
            self.addCleanup(config.set, 'gru_letter', 'soffice',
                previous or '')
            self.assertIsNone(docx_merge.soffice())
            with self.assertRaises(PDFConverterError) as context:
                Outgoing.generate([request], pdf=True)
            self.assertIn("LibreOffice", str(context.exception))
            # asked when available only: the .docx alone, no error
            letter, = Outgoing.generate([request], pdf=None)
            self.assertTrue(letter.docx)
            self.assertIsNone(letter.pdf)
            # the letter's screen says why and does not offer it
            self.assertFalse(Letter.default_reply_pdf())
            draft = self._letter()
            self.assertFalse(draft.pdf_available)
            self.assertIn("LibreOffice", draft.pdf_unavailable)

    @unittest.skipUnless(docx_merge.soffice(), "LibreOffice is missing")
    def test_pdf_conversion_failure_reason(self):
        "Test a file LibreOffice cannot convert gives its reason"
        with self.assertRaises((OSError, subprocess.SubprocessError)) as ctx:
            docx_merge.to_pdf(b'', timeout=0.001)
        self.assertTrue(docx_merge.failure_reason(ctx.exception))

    @with_transaction()
    def test_inbox_reply_letter_template(self):
        """Test the inbox's reply on the letter channel writes the letter
        from the template chosen, not the configuration's default"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Outgoing = pool.get('gru.letter.outgoing')
        Configuration = pool.get('gru.letter.configuration')
        Reply = pool.get('gru.inbox.request.reply', type='wizard')
        company = create_company()
        with set_company(company):
            setup_letters(company)
            schemes = setup_schemes()
            default = letter_template(pool, name="Courrier par défaut")
            chosen = letter_template(pool, schemes['PERMIS'],
                name="Réponse permis")
            config = Configuration(1)
            config.reply_template = default
            config.save()
            request = Request.intake({'channel': 'letter',
                    'contact_name': "Claire Vasseur",
                    'scheme': schemes['PERMIS'], 'subject': "Permis"},
                message={'body': "Bonjour"})
            session_id, _, _ = Reply.create()
            with Transaction().set_context(active_model=Request.__name__,
                    active_id=request.id, active_ids=[request.id]):
                Reply.execute(session_id, {'start': {
                            'request': request.id,
                            'scheme': schemes['PERMIS'].id,
                            'template': chosen.id,
                            'channel': 'letter',
                            'to_address': None,
                            'subject': "Votre permis",
                            'body': "Votre dossier est complet.",
                            'mark_answered': True,
                            }}, 'send')
            letter, = Outgoing.search([('request', '=', request.id)])
            self.assertEqual(letter.template, chosen)
            text = docx_merge.text_of(letter.docx)
            self.assertIn("Votre dossier est complet.", text)
            self.assertIn("Objet : Votre permis", text)
            self.assertIn("Région Hauts-de-France", text)

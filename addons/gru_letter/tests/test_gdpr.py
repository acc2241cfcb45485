# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The letters of a usager in his GDPR export and erased by his
anonymisation; the retention of the scans."""
import datetime as dt
import io
import unittest

from PIL import Image, ImageDraw

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_inbox.tests.gdpr import (
    file_content, file_hits, stored_files, text_hits)
from gru_letter import tesseract
from gru_letter.tests.test_module import setup_letters

NAME = "Hélène Bézier"
EMAIL = 'helene.bezier@example.org'
PHONE = '06 12 34 56 78'
STREET = "12 rue des Lilas"
TEXT = '\n'.join([NAME, STREET, "80000 Amiens", EMAIL, "Tél. " + PHONE,
        "", "Objet : demande d'aide", "", "Madame, Monsieur,",
        "je vous écris au sujet de mon dossier.", "", NAME])
NEEDLES = ['Bézier', EMAIL, PHONE, 'rue des Lilas']
MODELS = ['gru.letter', 'gru.letter.outgoing', 'document.incoming',
    'gru.letter.quarantine', 'gru.inbox.request', 'gru.inbox.message',
    'ir.attachment']


def scan_pdf(text):
    "Return the PDF of a page holding text"
    image = Image.new('L', (600, 400), 255)
    draw = ImageDraw.Draw(image)
    draw.multiline_text((20, 20), text.encode('ascii', 'replace').decode(),
        fill=0)
    output = io.BytesIO()
    image.save(output, format='PNG')
    pdf, _ = tesseract.to_pdf(output.getvalue())
    return pdf


def searchable_pdf(pdf, text):
    "The searchable PDF of the OCR: the scan with its text (uncompressed)"
    return pdf + b'\n% ' + text.replace('\n', ' ').encode('utf-8') + b'\n'


class LetterGdprMixin:

    def register_letter(self, text=TEXT, validate=True,
            received_date=dt.date(2026, 3, 2)):
        """Register a scan of text read by the OCR (without Tesseract: the
        text is given) and validate it into a request"""
        pool = Pool()
        Letter = pool.get('gru.letter')
        Incoming = pool.get('document.incoming')
        pdf = scan_pdf(text)
        letter, = Letter.register(pdf, 'courrier.pdf',
            received_date=received_date)
        parsed = {'text': text,
            'lines': [[l, 90] for l in text.splitlines() if l.strip()],
            'confidence': 91.0, 'pages': 1}
        ocr_pdf = searchable_pdf(pdf, text)
        with Transaction().set_context(_gru_letter_reader=True):
            Incoming.write([letter.document], {
                    'parsed_data': parsed, 'ocr_pdf': ocr_pdf})
            letter = Letter(letter.id)
            letter.apply_ocr(parsed, ocr_pdf)
            letter.state = 'to_validate'
            letter.save()
        if validate:
            Letter.validate_letter([letter])
        return Letter(letter.id)

    def setup_usager(self, company):
        pool = Pool()
        Party = pool.get('party.party')
        Outgoing = pool.get('gru.letter.outgoing')
        setup_letters(company)
        helene, paul = Party.create([{
                    'name': NAME,
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': EMAIL},
                                {'type': 'mobile', 'value': PHONE},
                                ])],
                    'addresses': [('create', [{
                                    'street': STREET,
                                    'postal_code': '80000',
                                    'city': "Amiens"}])],
                    }, {
                    'name': "Paul Témoin",
                    'addresses': [('create', [{
                                    'street': "3 place Verte",
                                    'postal_code': '80000',
                                    'city': "Amiens"}])],
                    }])
        letter = self.register_letter()
        reply, = Outgoing.generate([letter.request], pdf=False,
            body="Votre dossier est complet.")
        other = self.register_letter(text="Paul Témoin\n3 place Verte\n"
            "80000 Amiens\nObjet : question\nBonjour.")
        return {
            'helene': helene, 'paul': paul, 'letter': letter,
            'reply': reply, 'other': other,
            }


class LetterGdprTestCase(LetterGdprMixin, unittest.TestCase):
    "Test the GDPR export, anonymisation and retention of the letters"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_letter'])

    @with_transaction()
    def test_export(self):
        "The export holds the letters, scans, searchable PDFs and replies"
        company = create_company()
        with set_company(company):
            data = self.setup_usager(company)
            helene, letter = data['helene'], data['letter']
            self.assertEqual(letter.party, helene)
            sections = helene.gdpr_data()
            files = dict(helene._gdpr_files())

        row, = sections['letters']
        self.assertEqual(row['number'], letter.number)
        self.assertEqual(row['email'], EMAIL)
        self.assertIn(STREET, row['text'])
        self.assertNotIn('match_reasons', row)
        scan, ocr = row['files'].split(', ')
        self.assertEqual(files[scan], letter.document.data)
        self.assertEqual(files[ocr], letter.ocr_pdf)
        reply, = sections['reply_letters']
        self.assertEqual(reply['addressee'], NAME)
        docx, = reply['files'].split(', ')
        self.assertEqual(files[docx], data['reply'].docx)
        self.assertNotIn(data['other'].number,
            [r['number'] for r in sections['letters']])

    @with_transaction()
    def test_anonymize(self):
        """The anonymisation leaves nothing of the usager in the letters,
        scans, OCR data and reply letters; the register stays"""
        pool = Pool()
        Party = pool.get('party.party')
        Letter = pool.get('gru.letter')
        company = create_company()
        with set_company(company):
            data = self.setup_usager(company)
            letter, other = data['letter'], data['other']
            self.assertTrue(text_hits(MODELS, NEEDLES))
            files = stored_files(MODELS)
            self.assertTrue(file_hits(files, NEEDLES))
            mine = {('gru.letter', 'preview', letter.id),
                ('gru.letter', 'ocr_pdf', letter.id),
                ('document.incoming', 'data', letter.document.id),
                ('document.incoming', 'ocr_pdf', letter.document.id),
                ('gru.letter.outgoing', 'docx', data['reply'].id)}
            self.assertLessEqual(mine, set(files))

            Party.anonymize([data['helene']])

            self.assertEqual(text_hits(MODELS, NEEDLES), [])
            remaining = stored_files(MODELS)
            self.assertEqual(file_hits(remaining, NEEDLES), [])
            self.assertFalse(mine & set(remaining))
            # the files of the erased records left the store
            for key, (prefix, file_id) in files.items():
                if key not in remaining:
                    self.assertIsNone(file_content(prefix, file_id), key)
            values, = Letter.read([letter.id], ['number', 'received_date',
                    'site', 'state', 'text', 'sender_name', 'preview'])
            self.assertEqual(values['number'], letter.number)
            self.assertEqual(values['received_date'], letter.received_date)
            self.assertEqual(values['site'], letter.site.id)
            self.assertEqual(values['state'], 'validated')
            self.assertIsNone(values['text'])
            self.assertIsNone(values['preview'])
            # the letter of the other usager keeps its scan and text
            values, = Letter.read([other.id], ['text', 'ocr_pdf'])
            self.assertIn("Paul Témoin", values['text'])
            self.assertTrue(values['ocr_pdf'])

    @with_transaction()
    def test_retention_scan(self):
        """The scans of the letters validated long ago are deleted, after a
        dry run that only counts them; their text stays"""
        pool = Pool()
        Letter = pool.get('gru.letter')
        Policy = pool.get('gru.retention.policy')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            data = self.setup_usager(company)
            old, recent = data['letter'], data['other']
            table = Letter.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.validated_at],
                    [dt.datetime(2020, 1, 1)],
                    where=table.id == old.id))
            policy = Policy(ModelData.get_id(
                    'gru_letter', 'retention_policy_scan'))
            files = stored_files(['gru.letter', 'document.incoming'])

            run = Policy.apply([policy], dry_run=True)
            line, = run.lines
            self.assertFalse(line.error)
            self.assertEqual(line.to_delete, 1)
            self.assertFalse(line.deleted)
            self.assertIn(old.number, line.details)
            self.assertEqual(stored_files(
                    ['gru.letter', 'document.incoming']), files)

            run = Policy.apply([policy])
            line, = run.lines
            self.assertFalse(line.error)
            self.assertEqual((line.to_delete, line.deleted), (1, 1))
            values, = Letter.read([old.id], ['preview', 'ocr_pdf', 'text',
                    'scan'])
            self.assertEqual((values['preview'], values['ocr_pdf'],
                    values['scan']), (None, None, None))
            self.assertIn(STREET, values['text'])
            values, = Letter.read([recent.id], ['ocr_pdf', 'scan'])
            self.assertTrue(values['ocr_pdf'])
            self.assertTrue(values['scan'])
            # done once
            line, = Policy.apply([policy], dry_run=True).lines
            self.assertEqual(line.to_delete, 0)

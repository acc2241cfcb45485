# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import io
import os
import re
import shutil
import tempfile
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from gru_letter import docx_merge, extraction, separator, tesseract
from gru_letter.tests import corpus
from gru_territory.tests.test_module import setup_fixture_plan

HAS_TESSERACT = tesseract.available() and 'fra' in tesseract.languages()


def setup_territory():
    "The territory fixture plus the other communes of the corpus"
    pool = Pool()
    Commune = pool.get('gru.commune')
    PostalCode = pool.get('gru.postal_code')
    plan, antennas = setup_fixture_plan()
    known = {c.insee_code for c in Commune.search([])}
    codes = {p.code: p for p in PostalCode.search([])}
    for insee, name, code, department, _ in corpus.COMMUNES:
        if insee in known:
            continue
        if code not in codes:
            codes[code], = PostalCode.create([{'code': code}])
        Commune.create([{
                    'insee_code': insee, 'name': name,
                    'department': department,
                    'postal_codes': [('add', [codes[code].id])],
                    }])
    return antennas


def setup_schemes():
    pool = Pool()
    Scheme = pool.get('gru.scheme')
    Theme = pool.get('gru.scheme.theme')
    Directorate = pool.get('gru.scheme.directorate')
    theme, = Theme.create([{'name': "Mobilité", 'code': 'MOB'}])
    directorate, = Directorate.create([{'name': "DTM", 'code': 'DTM'}])
    schemes = Scheme.create([{
                'code': code, 'name': name, 'reference_pattern': pattern,
                'letter_keywords': keywords, 'theme': theme.id,
                'directorate': directorate.id,
                } for code, name, pattern, keywords, _ in corpus.SCHEMES])
    return {s.code: s for s in schemes}


def setup_usagers():
    pool = Pool()
    Party = pool.get('party.party')
    result = {}
    for usager in corpus.usagers():
        mechanisms = []
        if usager['email']:
            mechanisms.append({'type': 'email', 'value': usager['email']})
        if usager['phone']:
            mechanisms.append({'type': 'mobile', 'value': usager['phone']})
        party, = Party.create([{
                    'name': usager['name'],
                    'contact_mechanisms': [('create', mechanisms)],
                    'addresses': [('create', [{
                                    'street': usager['street'],
                                    'postal_code': usager['postal_code'],
                                    'city': usager['commune'],
                                    }])],
                    }])
        result[usager['key']] = party
    return result


def setup_letters(company):
    pool = Pool()
    Configuration = pool.get('gru.letter.configuration')
    InboxConfiguration = pool.get('gru.inbox.configuration')
    antennas = setup_territory()
    config = Configuration(1)
    config.default_site = antennas[3]
    config.save()
    InboxConfiguration(1).save()
    return antennas


class Corpus:
    "The corpus generated and read once for the whole test class"
    folder = truths = images = ocr = None
    ocr_seconds = 0

    @classmethod
    def load(cls):
        if cls.truths is None:
            cls.folder = tempfile.mkdtemp(prefix='gru_letter_corpus_')
            cls.truths, cls.images = corpus.generate(cls.folder)
        return cls

    @classmethod
    def read(cls):
        "OCR the whole corpus in parallel with the code of the service"
        cls.load()
        if cls.ocr is None:
            start = time.time()

            def read(truth):
                with open(os.path.join(cls.folder, truth['path']),
                        'rb') as file:
                    result = tesseract.ocr_document(file.read(), workers=1)
                result.pop('pdf')
                return result
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
                cls.ocr = list(pool.map(read, cls.truths))
            cls.ocr_seconds = time.time() - start
        return cls

    @classmethod
    def clean(cls):
        if cls.folder:
            shutil.rmtree(cls.folder, ignore_errors=True)


class GruLetterTestCase(CompanyTestMixin, ModuleTestCase):
    "Test GRU Letter module"
    module = 'gru_letter'

    @classmethod
    def tearDownClass(cls):
        Corpus.clean()
        super().tearDownClass()

    def test_extraction(self):
        "Test the extraction of a letter text with confidences"
        text = ("Mme Marie DUPONT\n12 rue des Lilas\n8OOOO AMIENS\n"
            "Tél. : 06 12 34 56 78\nmarie.dupont @example.fr\n\n"
            "Région Hauts-de-France\n59555 LILLE CEDEX\n\n"
            "Amiens, le 3 mars 2026\n\nObjet : permis de conduire\n"
            "Dossier n° PC-2026-O1234\n")
        schemes = [(1, re.compile(r'PC-[0-9]{4}-[0-9]{5}'),
                ['permis de conduire']),
            (2, re.compile(r'TR[0-9]{8}'), ['abonnement'])]
        result = extraction.extract(text, [],
            {'80000': ["Amiens"], '59000': ["Lille"]}, schemes)
        self.assertEqual(result['postal_code']['value'], '80000')
        self.assertEqual(result['commune']['value'], "Amiens")
        self.assertEqual(result['sender_name']['value'], "Marie DUPONT")
        self.assertIn("12 rue des Lilas", result['sender_address']['value'])
        self.assertEqual(result['phone']['value'], '06 12 34 56 78')
        self.assertEqual(result['email']['value'], 'marie.dupont@example.fr')
        self.assertEqual(result['letter_date']['value'], '2026-03-03')
        self.assertEqual(result['reference']['value'], 'PC-2026-01234')
        self.assertEqual(result['scheme']['value'], 1)
        for name in ['postal_code', 'sender_name', 'reference', 'scheme']:
            self.assertGreater(result[name]['confidence'], 40, name)
        # a letter-for-digit fix is less certain than an exact read
        self.assertLess(result['reference']['confidence'], 95)

    def test_split_ranges(self):
        "Test the page expression between separators"
        self.assertEqual(separator.split_ranges(7, [2, 4]), '1-2,4,6-7')
        self.assertEqual(separator.split_ranges(3, [0]), '2-3')
        self.assertEqual(separator.split_ranges(2, [0, 1]), '')

    def test_separator_detected(self):
        "Test the printed separator sheet is found and a letter is not"
        sheet = separator.separator_image(title="SEPARATEUR")
        self.assertTrue(separator.is_separator(sheet))
        blank = sheet.point(lambda v: 255)
        self.assertTrue(separator.is_blank(blank))
        self.assertFalse(separator.is_blank(sheet))
        pdf = separator.separator_pdf(3)
        self.assertEqual(tesseract.page_count(pdf), 3)

    def test_docx_merge_across_runs(self):
        "Test placeholders split across runs are merged with their style"
        import docx
        document = docx.Document()
        paragraph = document.add_paragraph()
        paragraph.add_run("Bonjour {{usa")
        bold = paragraph.add_run("ger_name}}, dossier ")
        bold.bold = True
        paragraph.add_run("{{reference}}{{unknown}}.")
        table = document.add_table(rows=1, cols=1)
        table.cell(0, 0).text = "{{antenna}}"
        output = io.BytesIO()
        document.save(output)
        self.assertEqual(docx_merge.placeholders(output.getvalue()),
            ['antenna', 'reference', 'unknown', 'usager_name'])
        data, missing = docx_merge.merge(output.getvalue(), {
                'usager_name': "Marie Dupont", 'reference': "PC-1",
                'antenna': "Antenne d'Amiens"})
        self.assertEqual(missing, ['unknown'])
        merged = docx.Document(io.BytesIO(data))
        self.assertEqual(merged.paragraphs[0].text,
            "Bonjour Marie Dupont, dossier PC-1.")
        self.assertEqual(merged.tables[0].cell(0, 0).text,
            "Antenne d'Amiens")
        self.assertNotIn('{{', docx_merge.text_of(data))

    def test_to_pdf_rejects_garbage(self):
        "Test an unreadable file is refused with its reason"
        with self.assertRaises(tesseract.OCRError):
            tesseract.to_pdf(b'not a scan')
        with self.assertRaises(tesseract.OCRError):
            tesseract.to_pdf(b'%PDF-1.4 broken')

    @with_transaction()
    def test_year_sequence(self):
        "Test the chrono number restarts each year"
        pool = Pool()
        YearSequence = pool.get('gru.letter.configuration.year')
        company = create_company()
        with set_company(company):
            first = YearSequence.get_number('incoming', dt.date(2025, 5, 1))
            second = YearSequence.get_number('incoming', dt.date(2025, 6, 1))
            other = YearSequence.get_number('incoming', dt.date(2026, 1, 2))
            outgoing = YearSequence.get_number(
                'outgoing', dt.date(2026, 1, 2))
        self.assertEqual(first, 'E2025-00001')
        self.assertEqual(second, 'E2025-00002')
        self.assertEqual(other, 'E2026-00001')
        self.assertEqual(outgoing, 'S2026-00001')

    @unittest.skipUnless(HAS_TESSERACT, "tesseract-ocr-fra is missing")
    @with_transaction()
    def test_letter_flow(self):
        "Test register, background OCR, validation into a request"
        pool = Pool()
        Letter = pool.get('gru.letter')
        Request = pool.get('gru.inbox.request')
        Attachment = pool.get('ir.attachment')
        data = Corpus.load()
        company = create_company()
        with set_company(company):
            antennas = setup_letters(company)
            schemes = setup_schemes()
            usagers = setup_usagers()
            truth = data.truths[0]
            with open(os.path.join(data.folder, truth['path']), 'rb') as f:
                letter, = Letter.register(f.read(), truth['path'],
                    received_date=dt.date(2026, 3, 2))
            self.assertEqual(letter.state, 'registered')
            self.assertTrue(letter.number.startswith('E2026-'))
            self.assertEqual(letter.site, antennas[3])
            self.assertEqual(letter.document.type, 'gru_letter')

            Letter.process_ocr()
            letter = Letter(letter.id)
            self.assertEqual(letter.state, 'to_validate')
            self.assertEqual(letter.document.state, 'done')
            self.assertEqual(letter.document.result, letter)
            self.assertTrue(letter.ocr_pdf.startswith(b'%PDF'))
            self.assertTrue(letter.preview.startswith(b'\x89PNG'))
            self.assertEqual(letter.postal_code, truth['postal_code'])
            self.assertEqual(letter.commune.name, truth['commune'])
            self.assertEqual(letter.reference, truth['reference'])
            self.assertEqual(letter.scheme, schemes[truth['scheme']])
            self.assertEqual(letter.party, usagers[truth['usager']])
            self.assertGreater(letter.postal_code_confidence, 50)
            self.assertEqual(Letter.search([('text', 'ilike', '%%%s%%'
                            % truth['reference'])]), [letter])
            # the scan is attached to the letter by the core
            self.assertEqual(Attachment.search(
                    [('resource', '=', str(letter))], count=True), 1)

            Letter.validate_letter([letter])
            request = letter.request
            self.assertEqual(letter.state, 'validated')
            self.assertEqual(request.channel, 'letter')
            self.assertEqual(request.party, usagers[truth['usager']])
            self.assertEqual(request.scheme, schemes[truth['scheme']])
            # Amiens is in the perimeter of the AMI antenna
            self.assertEqual(request.antenna, antennas[0])
            self.assertEqual(request.messages[0].channel, 'letter')
            self.assertIn(truth['reference'], request.messages[0].body)
            self.assertEqual(Attachment.search(
                    [('resource', '=', str(request))], count=True), 1)

            # a second letter of the same usager joins the request
            with open(os.path.join(data.folder, truth['path']), 'rb') as f:
                again, = Letter.register(f.read(), truth['path'])
            Letter.process_ocr([again])
            again.request = request
            again.save()
            Letter.validate_letter([again])
            self.assertEqual(Request(request.id).message_count, 2)

    @unittest.skipUnless(HAS_TESSERACT, "tesseract-ocr-fra is missing")
    @with_transaction()
    def test_corpus_accuracy(self):
        "Test postal code, reference and usager on the generated corpus"
        pool = Pool()
        Letter = pool.get('gru.letter')
        data = Corpus.read()
        company = create_company()
        with set_company(company):
            setup_letters(company)
            schemes = setup_schemes()
            usagers = setup_usagers()
            context = Letter.extraction_context()
            scores = {'postal_code': 0, 'reference': 0, 'usager': 0,
                'scheme': 0}
            references = 0
            failures = []
            for truth, result in zip(data.truths, data.ocr):
                letter = Letter()
                for name, value in letter.extract(
                        result['text'], result['lines'],
                        context=context).items():
                    setattr(letter, name, value)
                letter.party = None
                letter.match_usager()
                ok = letter.postal_code == truth['postal_code']
                scores['postal_code'] += ok
                if truth['reference']:
                    references += 1
                    scores['reference'] += (
                        letter.reference == truth['reference'])
                expected = usagers.get(truth['usager'])
                scores['usager'] += (letter.party == expected) if expected \
                    else letter.party is None
                scores['scheme'] += letter.scheme == schemes[truth['scheme']]
                if not ok or (letter.party != expected):
                    failures.append((truth['file'], letter.postal_code,
                            letter.sender_name, letter.match_reasons))
            count = len(data.truths)
            self.assertGreaterEqual(count, 40)
            self.assertGreaterEqual(scores['postal_code'] / count, 0.95,
                failures)
            self.assertGreaterEqual(scores['reference'] / references, 0.95)
            self.assertGreaterEqual(scores['usager'] / count, 0.85,
                failures)
            self.assertGreaterEqual(scores['scheme'] / count, 0.85)
            pages = sum(r['pages'] for r in data.ocr)
            print('\ngru_letter corpus: %d letters, %d pages, OCR %.1f '
                'pages/min; postal code %d%%, reference %d%%, usager %d%%, '
                'scheme %d%%' % (count, pages,
                    pages / data.ocr_seconds * 60,
                    100 * scores['postal_code'] / count,
                    100 * scores['reference'] / references,
                    100 * scores['usager'] / count,
                    100 * scores['scheme'] / count))

    @with_transaction()
    def test_batch_split(self):
        "Test a batch scan is split exactly at the separator sheets"
        pool = Pool()
        Letter = pool.get('gru.letter')
        data = Corpus.load()
        company = create_company()
        with set_company(company):
            setup_letters(company)
            sheet = separator.separator_image()
            picked = [t for t in data.truths if t['pages'] == 2][:2] \
                + [t for t in data.truths if t['pages'] == 1][:4]
            path = os.path.join(data.folder, 'batch.pdf')
            expected = corpus.batch_pdf(picked, data.images, sheet, path)
            with open(path, 'rb') as file:
                letters = Letter.register(file.read(), 'batch.pdf',
                    batch=True)
            self.assertEqual([l.pages for l in letters], expected)
            self.assertTrue(all(l.document.type == 'gru_letter'
                    and l.document.parent for l in letters))
            self.assertFalse(letters[0].document.parent.active)
            numbers = [int(l.number.split('-')[1]) for l in letters]
            self.assertEqual(numbers, sorted(numbers))

            # blank pages as separators
            blank = sheet.point(lambda v: 255)
            path = os.path.join(data.folder, 'batch-blank.pdf')
            expected = corpus.batch_pdf(picked[2:5], data.images, blank,
                path)
            with open(path, 'rb') as file:
                batch = file.read()
            self.assertEqual(tesseract.page_count(batch), 5)
            letters = Letter.register(batch, 'batch-blank.pdf', batch=True,
                blank=True)
            self.assertEqual(len(letters[0].document.parent.data), len(batch))
            self.assertEqual([l.pages for l in letters], expected)

    @with_transaction()
    def test_dropfolder(self):
        "Test the drop folder registers, moves and quarantines"
        from gru_letter.dropfolder import (
            finish_file, import_file, pending_files)
        pool = Pool()
        Quarantine = pool.get('gru.letter.quarantine')
        data = Corpus.load()
        company = create_company()
        folder = tempfile.mkdtemp(prefix='gru_letter_drop_')
        self.addCleanup(shutil.rmtree, folder, True)
        with set_company(company):
            antennas = setup_letters(company)
            shutil.copy(os.path.join(data.folder, data.truths[1]['path']),
                folder)
            with open(os.path.join(folder, 'broken.pdf'), 'wb') as file:
                file.write(b'%PDF-1.4 truncated')
            with open(os.path.join(folder, 'notes.txt'), 'w') as file:
                file.write("hello")
            results = {}
            for name, path in pending_files(folder):
                results[name] = import_file(name, path, folder,
                    site=antennas[1])
            status, letters = results[data.truths[1]['path']]
            self.assertEqual(status, 'processed')
            # a processed file is moved only after the commit
            self.assertIn(data.truths[1]['path'], os.listdir(folder))
            finish_file(os.path.join(folder, data.truths[1]['path']),
                folder)
            self.assertEqual(letters[0].site, antennas[1])
            self.assertEqual(results['broken.pdf'][0], 'quarantined')
            self.assertEqual(results['notes.txt'][0], 'quarantined')
            self.assertEqual(sorted(os.listdir(
                        os.path.join(folder, 'quarantine'))),
                ['broken.pdf', 'broken.pdf.reason.txt', 'notes.txt',
                    'notes.txt.reason.txt'])
            processed = os.path.join(folder, 'processed',
                dt.date.today().isoformat())
            self.assertEqual(os.listdir(processed),
                [data.truths[1]['path']])
            self.assertEqual(pending_files(folder), [])
            scans = Quarantine.search([], order=[('name', 'ASC')])
            self.assertEqual([s.name for s in scans],
                ['broken.pdf', 'notes.txt'])
            self.assertIn('PDF', scans[0].reason)

    @with_transaction()
    def test_reply_letters(self):
        "Test reply letters merged for a batch of requests"
        import docx
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Template = pool.get('gru.letter.template')
        Outgoing = pool.get('gru.letter.outgoing')
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            antennas = setup_letters(company)
            schemes = setup_schemes()
            usagers = setup_usagers()
            document = docx.Document()
            document.sections[0].header.paragraphs[0].text = \
                "{{antenna_letterhead}}"
            paragraph = document.add_paragraph()
            paragraph.add_run("{{usager")
            paragraph.add_run("_name}}")
            document.add_paragraph("{{usager_address}}")
            document.add_paragraph(
                "Objet : {{scheme}} — {{reference}} ({{letter_number}})")
            document.add_paragraph("{{body}}")
            document.add_paragraph("{{agent}}")
            output = io.BytesIO()
            document.save(output)
            template, = Template.create([{
                        'name': "Accusé de réception",
                        'data': output.getvalue(),
                        'scheme': schemes['PERMIS'].id}])
            self.assertIn('usager_name', template.merge_fields)
            requests = []
            for key in ['U00', 'U01']:
                requests.append(Request.intake({
                            'channel': 'letter', 'party': usagers[key],
                            'scheme': schemes['PERMIS'],
                            'subject': "Permis"},
                        message={'body': "Bonjour"}))
            Request.write(requests, {'antenna': antennas[0].id})
            letters = Outgoing.generate(requests, template=template,
                body="Votre dossier est complet.", pdf=False)
            self.assertEqual(len(letters), 2)
            for letter, key in zip(letters, ['U00', 'U01']):
                merged = docx.Document(io.BytesIO(letter.docx))
                text = '\n'.join(p.text for p in merged.paragraphs)
                self.assertNotIn('{{', text)
                self.assertEqual(merged.paragraphs[0].text,
                    usagers[key].name)
                self.assertIn(usagers[key].addresses[0].street, text)
                self.assertIn("Aide au permis de conduire", text)
                self.assertIn(letter.request.reference, text)
                self.assertIn(letter.number, text)
                self.assertIn("Votre dossier est complet.", text)
                self.assertIn("Antenne d'Amiens",
                    merged.sections[0].header.paragraphs[0].text)
                self.assertEqual(letter.message.direction, 'out')
                self.assertEqual(letter.message.channel, 'letter')
                self.assertTrue(letter.number.startswith('S'))
            # a reply on the letter channel writes a letter too
            message = Message(request=requests[0], direction='out',
                channel='letter', body="Nous revenons vers vous.")
            message.save()
            requests[0].send_message(message)
            written, = Outgoing.search([('message', '=', message.id)])
            self.assertIn("Nous revenons vers vous.",
                docx_merge.text_of(written.docx))
            if docx_merge.soffice():
                pdf, = Outgoing.generate(requests[:1], template=template)
                self.assertTrue(pdf.pdf.startswith(b'%PDF'))

    @with_transaction()
    def test_template_rejects_unknown_field(self):
        "Test a template with an unknown merge field is refused"
        import docx

        from trytond.model.exceptions import ValidationError
        pool = Pool()
        Template = pool.get('gru.letter.template')
        document = docx.Document()
        document.add_paragraph("{{usager_nom}}")
        output = io.BytesIO()
        document.save(output)
        with self.assertRaises(ValidationError):
            Template.create([{'name': "Bad", 'data': output.getvalue()}])
        with self.assertRaises(ValidationError):
            Template.create([{'name': "Bad", 'data': b'not a docx'}])


del ModuleTestCase

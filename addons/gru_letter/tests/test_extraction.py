# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What scanned letters showed (issue #14): the received stamp, a sender
block over the Region's address, postal codes glued to punctuation or
misread, references cut by the reading, stray marks around names, schemes
sharing a dossier pattern, the confidence bars and the evidence shown to
the agent. Pure extraction on text first, then on the OCR of letters
rendered as a scanner makes them."""
import difflib
import json
import re
import unittest
from xml.etree import ElementTree

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    TestCase, activate_module, with_transaction)

from gru_letter import extraction
from gru_letter.tests import corpus
from gru_letter.tests.test_module import (
    OCR_SKIP, Corpus, setup_letters, setup_schemes)

TERRITORY = {
    '80000': ["Amiens"],
    '80480': ["Dury", "Saleux", "Salouël", "Pont-de-Metz"],
    '80400': ["Ham"],
    '80290': ["Bussy-lès-Poix", "Poix-de-Picardie"],
    '80450': ["Camon"],
    '62300': ["Lens"],
    '62800': ["Liévin"],
    '59000': ["Lille"],
    }
PATTERN = r'PAS-[0-9]{4}-[0-9]{6}'
SCHEMES = [
    (1, re.compile(PATTERN), ["permis de conduire", "auto-école"]),
    (2, re.compile(PATTERN), ["abonnement", "transport"]),
    (3, re.compile(r'TR[0-9]{8}'), ["carte de bus"]),
    ]
REGION = ("Région Hauts-de-France\nService des aides aux usagers\n"
    "151 avenue du Président Hoover\n59555 LILLE CEDEX")


def letter(sender, head='', body='', date="Amiens, le 3 novembre 2026"):
    "Return the text of a letter as OCR gives it"
    return '\n\n'.join(filter(None, [head, sender, REGION, date,
                "Objet : demande", body, "Madame, Monsieur,"]))


def kinds(item):
    return [kind for kind, _ in item['evidence']]


class LetterExtractionTestCase(unittest.TestCase):
    "Test the extraction of the fields of a letter text (issue #14)"

    def extract(self, text):
        return extraction.extract(text, [], TERRITORY, SCHEMES)

    def test_date_not_received_stamp(self):
        "Test the letter date is the sender's, never a received stamp"
        sender = "Marie Dupont\n12 rue des Lilas\n80000 AMIENS"
        for head in ["REÇU LE 13/11/2026", "Reçu le 13 novembre 2026",
                "Arrivé le 13/11/2026", "COURRIER ARRIVÉ\n13 NOV. 2026",
                "REÇU LE\n13/11/2026", "RECU LE 13/11/2026"]:
            with self.subTest(head=head):
                result = self.extract(letter(sender, head=head))
                self.assertEqual(
                    result['letter_date']['value'], '2026-11-03')
                self.assertIn('2026-11-13', result['dates'])
                self.assertEqual(kinds(result['letter_date']),
                    ['letter_date_line', 'letter_date_stamp_ignored'])
        # a stamp below the date line of the letter
        result = self.extract(letter(sender, body="Reçu le 13/11/2026"))
        self.assertEqual(result['letter_date']['value'], '2026-11-03')
        # a stamp alone is no date of the letter
        result = self.extract(letter(sender, head="REÇU LE 13/11/2026",
                date=''))
        self.assertIsNone(result['letter_date']['value'])
        self.assertEqual(kinds(result['letter_date']),
            ['letter_date_stamp_ignored'])

    def test_sender_block_above_region(self):
        "Test a sender block set right above the Region's address"
        text = ("Marie Dupont\n12 rue des Lilas\n80480 DURY\n" + REGION
            + "\n\nDury, le 3 novembre 2026\n\n"
            "Mon auto-école, 80450 CAMON, attend votre réponse.\n")
        result = self.extract(text)
        self.assertEqual(result['postal_code']['value'], '80480')
        self.assertEqual(result['commune']['value'], "Dury")
        self.assertEqual(result['sender_name']['value'], "Marie Dupont")
        self.assertNotIn("Région", result['sender_address']['value'])
        self.assertIn('postal_code_organisation',
            kinds(result['postal_code']))

    def test_sender_block_layout(self):
        "Test the OCR segments of blocks stacked in one column"
        lines = []
        # the sender block then the Region's, left-aligned at x=1000 with
        # the same spacing as the lines of a block
        for index, text in enumerate(["Marie Dupont", "12 rue des Lilas",
                    "80480 DURY"] + REGION.splitlines()):
            lines.append([text, 95.0, 1, 1000, 200 + 50 * index, 30,
                    1000 + 20 * len(text)])
        result = extraction.extract('', lines, TERRITORY, SCHEMES)
        self.assertEqual(result['postal_code']['value'], '80480')
        self.assertEqual(result['sender_name']['value'], "Marie Dupont")
        # the same blocks set flush right: the left edges differ
        flush = [[t, c, p, 1600 - 20 * len(t), y, h, 1600]
            for t, c, p, _, y, h, _ in lines]
        result = extraction.extract('', flush, TERRITORY, SCHEMES)
        self.assertEqual(result['postal_code']['value'], '80480')
        self.assertEqual(result['sender_name']['value'], "Marie Dupont")
        self.assertEqual(result['sender_address']['value'],
            "Marie Dupont\n12 rue des Lilas\n80480 DURY")

    def test_postal_code_punctuation(self):
        "Test postal codes glued to punctuation"
        for line, code, commune in [
                ("80000, AMIENS", '80000', "Amiens"),
                ("80000,AMIENS", '80000', "Amiens"),
                ("DURY (80480)", '80480', "Dury"),
                ("(80480) SALEUX", '80480', "Saleux"),
                ("80480. DURY", '80480', "Dury"),
                ("CAMON 80450.", '80450', "Camon"),
                ]:
            with self.subTest(line=line):
                result = self.extract(letter(
                        "Marie Dupont\n12 rue des Lilas\n" + line))
                self.assertEqual(result['postal_code']['value'], code)
                self.assertEqual(result['commune']['value'], commune)

    def test_postal_code_misread_valid(self):
        "Test a misread code that is another commune's is corrected"
        result = self.extract(letter(
                "Marie Dupont\n12 rue des Lilas\n80400 DURV"))
        self.assertEqual(result['postal_code']['value'], '80480')
        self.assertEqual(result['commune']['value'], "Dury")
        corrected, = [p for k, p in result['postal_code']['evidence']
            if k == 'postal_code_corrected']
        self.assertEqual(corrected['read'], '80400')
        self.assertEqual(corrected['commune'], "DURY")
        result = self.extract(letter(
                "Marie Dupont\n12 rue des Lilas\n62800 LENS"))
        self.assertEqual(result['postal_code']['value'], '62300')
        # a code read right keeps its commune
        for line, code, commune in [("80400 HAM", '80400', "Ham"),
                ("62800 LIEVIN", '62800', "Liévin"),
                ("80480 SALOUEL", '80480', "Salouël")]:
            with self.subTest(line=line):
                result = self.extract(letter(
                        "Marie Dupont\n12 rue des Lilas\n" + line))
                self.assertEqual(result['postal_code']['value'], code)
                self.assertEqual(result['commune']['value'], commune)
                self.assertIn('postal_code_confirmed',
                    kinds(result['postal_code']))
        # the commune is certain but the code corrected: less confident
        right = self.extract(letter("Marie Dupont\n1 rue X\n80480 DURY"))
        self.assertLess(result['postal_code']['confidence'] - 100,
            right['postal_code']['confidence'])

    def test_postal_code_invalid_corrected(self):
        "Test an invalid code corrected from the commune name"
        result = self.extract(letter(
                "Marie Dupont\n12 rue des Lilas\nBUSSY-LES-P0IX (80209)"))
        self.assertEqual(result['postal_code']['value'], '80290')
        self.assertEqual(result['commune']['value'], "Bussy-lès-Poix")
        self.assertIn(['postal_code_corrected', {
                    'code': '80290', 'read': '80209',
                    'commune': "BUSSY-LÈS-POIX",
                    'line': "BUSSY-LES-P0IX (80209)"}],
            result['postal_code']['evidence'])

    def test_reference_cut_twice(self):
        "Test a reference cut more than once is rejoined"
        for printed in ["PAS- 2026- 972675", "PAS -2026 -972675",
                "PAS-2026- 972675", "PAS - 2026 - 972675",
                "PAS 2026 972675", "PAS- 2O26- 972675",
                "PAS- 2026: 972675"]:
            with self.subTest(printed=printed):
                result = self.extract(letter(
                        "Marie Dupont\n1 rue X\n80000 AMIENS",
                        body="Dossier n° %s, mon permis de conduire"
                        % printed))
                self.assertEqual(result['reference']['value'],
                    'PAS-2026-972675')
                self.assertEqual(result['scheme']['value'], 1)

    def test_name_stray_punctuation(self):
        "Test stray punctuation is removed from names"
        for line, name in [(". François Carpentier", "François Carpentier"),
                ("Théo Leroy .", "Théo Leroy"),
                ("Mme Anne Roy,", "Anne Roy"),
                ("- Jean-Marc L'Hôte", "Jean-Marc L'Hôte"),
                ("Jean P.", "Jean P.")]:
            with self.subTest(line=line):
                result = self.extract(letter(
                        line + "\n12 rue des Lilas\n80000 AMIENS"))
                self.assertEqual(result['sender_name']['value'], name)

    def test_shared_pattern_keywords(self):
        "Test the keywords choose among the schemes sharing a pattern"
        sender = "Marie Dupont\n1 rue X\n80000 AMIENS"
        result = self.extract(letter(sender, body="Dossier PAS-2026-972675"
                " : mon abonnement de transport n'est pas arrivé"))
        self.assertEqual(result['scheme']['value'], 2)
        self.assertEqual(kinds(result['scheme']), ['scheme_shared_keywords'])
        result = self.extract(letter(sender, body="Dossier PAS-2026-972675"
                " : mon permis de conduire"))
        self.assertEqual(result['scheme']['value'], 1)
        # no word tells them apart: a doubtful scheme
        doubtful = self.extract(letter(sender,
                body="Dossier PAS-2026-972675"))
        self.assertEqual(kinds(doubtful['scheme']),
            ['scheme_shared_ambiguous'])
        self.assertLess(doubtful['scheme']['confidence'],
            result['scheme']['confidence'])
        # keywords alone give the scheme, a matching reference more
        alone = self.extract(letter(sender,
                body="Ma carte de bus ne fonctionne pas"))
        self.assertEqual(alone['scheme']['value'], 3)
        both = self.extract(letter(sender,
                body="Ma carte de bus TR12345678 ne fonctionne pas"))
        self.assertEqual(both['scheme']['value'], 3)
        self.assertGreater(both['scheme']['confidence'],
            alone['scheme']['confidence'])


class _LetterDBTestCase(TestCase):
    """The database with gru_letter, as test_document and test_gdpr use it
    (without the checks of ModuleTestCase)"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_letter')


class LetterEvidenceTestCase(_LetterDBTestCase):
    "Test the evidence and confidence shown to the validating agent"

    @with_transaction()
    def test_evidence_shown(self):
        "Test the evidence of each field is stored and shown translated"
        pool = Pool()
        Letter = pool.get('gru.letter')
        company = create_company()
        with set_company(company):
            setup_letters(company)
            setup_schemes()
            letter = Letter()
            values = letter.extract(letter_text(), [])
            for name, value in values.items():
                setattr(letter, name, value)
            letter.save()
            self.assertEqual(letter.postal_code, '80480')
            stored = json.loads(letter.extraction_evidence)
            self.assertEqual(stored['postal_code'][0][0],
                'postal_code_corrected')
            evidence = Letter(letter.id).evidence.splitlines()
            self.assertIn('Postal Code: corrected from 80400 to 80480 from '
                'the commune name DURY printed beside it on the line '
                '"80400 DURV".', evidence)
            self.assertIn('Letter Date: from the line "Dury, le 3 novembre '
                '2026".', evidence)
            self.assertIn('Letter Date: received stamp ignored: "REÇU LE '
                '13/11/2026".', evidence)
            self.assertIn('Sender Name: stray marks of the line ". Marie '
                'Dupont" removed: "Marie Dupont".', evidence)
            self.assertIn('Dossier Reference: PC-2026-01234 rejoined from 3 '
                'pieces cut by the reading: "PC- 2026- 01234".', evidence)

    @with_transaction()
    def test_confidence_bars(self):
        "Test the bars show the confidence: 76 is 76 %, not 7 600 %"
        pool = Pool()
        Letter = pool.get('gru.letter')
        company = create_company()
        with set_company(company):
            setup_letters(company)
            letter, = Letter.create([{
                        'postal_code_confidence': 76,
                        'letter_date_confidence': 20,
                        'match_score': 100,
                        }])
            for type_ in ['form', 'tree']:
                view = Letter.fields_view_get(view_type=type_)
                bars = [f.get('name') for f in ElementTree.fromstring(
                        view['arch']).iter('field')
                    if f.get('widget') == 'progressbar']
                self.assertTrue(bars, type_)
                for name in bars:
                    # sao draws value * 100 %: a ratio from 0 to 1
                    self.assertEqual(view['fields'][name]['type'], 'float',
                        name)
                    value, = Letter.read([letter.id], [name])
                    self.assertTrue(0 <= (value[name] or 0) <= 1, name)
            value, = Letter.read([letter.id], ['postal_code_ratio',
                    'letter_date_ratio', 'match_ratio'])
            self.assertEqual(value['postal_code_ratio'], 0.76)
            self.assertEqual(value['letter_date_ratio'], 0.2)
            self.assertEqual(value['match_ratio'], 1)


def letter_text():
    return ("REÇU LE 13/11/2026\n\n. Marie Dupont\n12 rue des Lilas\n"
        "80400 DURV\n" + REGION + "\n\nDury, le 3 novembre 2026\n\n"
        "Objet : mon permis de conduire\nDossier n° PC- 2026- 01234\n")


def corpus_territory():
    "The postal codes of the corpus (and of the fixture) and their communes"
    territory = {'80480': ["Dury"], '02300': ["Chauny", "Viry-Noureuil"]}
    for _, name, code, _, _ in corpus.COMMUNES:
        territory.setdefault(code, [])
        if name not in territory[code]:
            territory[code].append(name)
    return territory


@unittest.skipIf(OCR_SKIP, OCR_SKIP)
class LetterScanTestCase(unittest.TestCase):
    """Test each fix on the OCR of the generated letters: rendered at 200
    to 300 dpi, tilted, on grey paper with specks, saved as JPEG, TIFF,
    PNG or PDF (the corpus is read once for this class and the corpus
    test of test_module)"""

    def test_scans(self):
        "Test the fixes of issue #14 on scanned letters"
        data = Corpus.read()
        territory = corpus_territory()
        schemes = [(code, re.compile(pattern),
                [k.strip() for k in keywords.split(',')])
            for code, _, pattern, keywords, _ in corpus.SCHEMES]
        read = [(t, extraction.extract(r['text'], r['lines'], territory,
                    schemes)) for t, r in zip(data.truths, data.ocr)]

        def value(result, name):
            return result[name]['value']
        checks = {
            'stamp': (lambda t: t['stamp'],
                lambda t, r: value(r, 'letter_date') == t['date']),
            'stacked or flush': (
                lambda t: t['layout'] in {'stacked', 'flush'},
                lambda t, r: (value(r, 'postal_code') == t['postal_code']
                    and t['street'] in (value(r, 'sender_address') or ''))),
            'punctuation': (
                lambda t: not t['postal_style'].startswith('{code} '),
                lambda t, r: value(r, 'postal_code') == t['postal_code']),
            'misread': (lambda t: t['misread'],
                lambda t, r: (value(r, 'postal_code'), value(r, 'commune'))
                == (t['postal_code'], t['commune'])),
            'cut reference': (lambda t: t['cut'],
                lambda t, r: value(r, 'reference') == t['reference']),
            # no mark left around the name (its letters may be misread)
            'stray': (lambda t: t['stray'],
                lambda t, r: bool(value(r, 'sender_name'))
                and value(r, 'sender_name')[0].isalpha()
                and value(r, 'sender_name')[-1].isalpha()
                and difflib.SequenceMatcher(None,
                    value(r, 'sender_name').lower(),
                    t['name'].lower()).ratio() >= 0.85),
            'shared pattern': (
                lambda t: t['scheme'] in {'PERMIS', 'PERMISPL'}
                and t['reference'],
                lambda t, r: value(r, 'scheme') == t['scheme']),
            }
        for name, (keep, right) in checks.items():
            picked = [(t, r) for t, r in read if keep(t)]
            self.assertGreaterEqual(len(picked), 4, name)
            wrong = [(t['file'], t['font']) for t, r in picked
                if not right(t, r)]
            # one handwriting-like letter may defeat the OCR
            self.assertLessEqual(len(wrong), 1, (name, wrong))

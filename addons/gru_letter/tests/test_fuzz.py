# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Corrupt scans in the drop folder (small budget; scripts/fuzz --target
letters runs the long one): every file ends registered or quarantined
with a reason, the batch goes on, the OCR gives a reason, never a crash."""
import logging
import os
import random
import shutil
import tempfile
import unittest
import warnings

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_letter import tesseract
from gru_letter.tests.test_module import OCR_SKIP, setup_letters

from .fuzz_scans import build, png_bomb, seeds, tiff_lying

# the hostile files every run tries, then random ones
FIXED = [
    ('empty.pdf', b''),
    ('truncated.pdf', None),
    ('bomb.png', png_bomb(70000, 70000)),
    ('wide.png', png_bomb(2 ** 31 - 1, 1)),
    ('lying.tif', tiff_lying(50000, 50000, frames=3)),
    ('magic-only.png', b'\x89PNG\r\n\x1a\n'),
    ('pdf-as.png', None),
    ('encrypted.pdf', None),
    ('broken-pixels.png', None),
    ]


def fixed_files():
    files = dict(FIXED)
    pdf, blank, encrypted = seeds()['pdf']
    files['truncated.pdf'] = pdf[:len(pdf) // 2]
    files['pdf-as.png'] = pdf
    files['encrypted.pdf'] = encrypted
    # a valid PNG header and a cut pixel stream: Pillow fails only when
    # writing the PDF (the crash the fuzzer found in to_pdf)
    png = seeds()['png'][0]
    files['broken-pixels.png'] = png[:60] + png[-12:]
    return list(files.items())


class LetterFuzzTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module('gru_letter')

    def setUp(self):
        # pypdf and libtiff talk a lot about the damage they repair
        logging.getLogger('pypdf').setLevel(logging.CRITICAL)
        self.addCleanup(logging.getLogger('pypdf').setLevel, logging.NOTSET)
        warnings.simplefilter('ignore')
        self.addCleanup(warnings.resetwarnings)

    def test_to_pdf(self):
        "A corrupt scan gives a PDF or an OCRError, nothing else"
        rnd = random.Random(6)
        for name, data in fixed_files() + [build(rnd) for _ in range(150)]:
            with self.subTest(name):
                try:
                    pdf, pages = tesseract.to_pdf(data)
                except tesseract.OCRError as exception:
                    self.assertTrue(str(exception))
                else:
                    self.assertGreater(pages, 0)
                    self.assertEqual(tesseract.page_count(pdf), pages)

    @with_transaction()
    def test_dropfolder(self):
        """The drop folder imports a batch of corrupt scans: each is
        registered or quarantined with its reason and its content"""
        from gru_letter.dropfolder import finish_file, import_file
        pool = Pool()
        Quarantine = pool.get('gru.letter.quarantine')
        rnd = random.Random(18)
        files = fixed_files() + [build(rnd) for _ in range(40)]
        # one good scan last: the batch went on to it
        files.append(('good.png', seeds()['png'][0]))
        folder = tempfile.mkdtemp(prefix='gru_letter_fuzz_')
        self.addCleanup(shutil.rmtree, folder, True)
        company = create_company()
        with set_company(company):
            setup_letters(company)
            outcomes = {}
            for index, (name, data) in enumerate(files):
                name = '%03d-%s' % (index, name)
                path = os.path.join(folder, name)
                with open(path, 'wb') as file:
                    file.write(data)
                status, result = import_file(name, path, folder,
                    batch=index % 3 == 0)
                if status == 'processed':
                    self.assertTrue(result)
                    finish_file(path, folder)
                outcomes[name] = status, result
            self.assertEqual(len(outcomes), len(files))
            self.assertEqual(outcomes['%03d-good.png' % (len(files) - 1)][0],
                'processed')
            quarantined = [n for n, (s, _) in outcomes.items()
                if s == 'quarantined']
            self.assertGreaterEqual(len(quarantined), len(FIXED) - 1)
            for name in quarantined:
                scan, = Quarantine.search([('name', '=', name)])
                self.assertTrue(scan.reason)
                # an empty file is stored as no data
                self.assertEqual(scan.data or b'', dict(
                        ('%03d-%s' % (i, n), d)
                        for i, (n, d) in enumerate(files))[name])
                reason_file = os.path.join(folder, 'quarantine',
                    name + '.reason.txt')
                self.assertTrue(os.path.exists(reason_file))
            # nothing left behind in the folder
            self.assertEqual(sorted(os.listdir(folder)),
                sorted({'quarantine', 'processed'} & set(os.listdir(folder))))

    @unittest.skipIf(OCR_SKIP, OCR_SKIP)
    def test_ocr(self):
        "The OCR of a registered corrupt scan gives a result or an OCRError"
        rnd = random.Random(7)
        tried = 0
        # about 10 s a page on a busy machine: a few scans
        for name, data in [build(rnd) for _ in range(60)]:
            try:
                tesseract.to_pdf(data)
            except tesseract.OCRError:
                continue
            tried += 1
            if tried > 4:
                break
            with self.subTest(name):
                try:
                    result = tesseract.ocr_document(data, workers=1)
                except tesseract.OCRError as exception:
                    self.assertTrue(str(exception))
                else:
                    self.assertGreater(result['pages'], 0)
        self.assertEqual(tried, 5)

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"A scan uploaded by hand as an incoming document becomes a letter."
import os
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .test_module import OCR_SKIP, Corpus, setup_letters


class GruLetterDocumentTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module('gru_letter')

    @unittest.skipIf(OCR_SKIP, OCR_SKIP)
    @with_transaction()
    def test_upload_by_hand(self):
        "A document of type letter processed by hand registers its letter"
        pool = Pool()
        Incoming = pool.get('document.incoming')
        Letter = pool.get('gru.letter')
        data = Corpus.load()
        company = create_company()
        with set_company(company):
            antennas = setup_letters(company)
            # a PDF, as a scanner or an agent uploads it
            truth = next(t for t in data.truths
                if t['path'].lower().endswith('.pdf'))
            with open(os.path.join(data.folder, truth['path']), 'rb') as f:
                document, = Incoming.create([{
                            'name': truth['path'],
                            'data': f.read(),
                            'type': 'gru_letter',
                            'company': company.id,
                            }])

            # the Process button queues proceed for the worker: run it here
            Incoming.process([document])
            document = Incoming(document.id)
            if document.state == 'processing':
                Incoming.proceed([document])

            letter, = Letter.search([('document', '=', document.id)])
            self.assertEqual(letter.site, antennas[3])
            self.assertTrue(letter.number)
            self.assertIn(letter.state, {'registered', 'to_validate'})

"""The postal letters of the small demo (scripts/demo_data/80_letter.py),
read over JSON-RPC on the demo server: scans registered at the Amiens
antenna, read by Tesseract, waiting for an agent's validation."""
from tests.support import DemoRPCTestCase


class DemoLettersTestCase(DemoRPCTestCase):

    def test_letters_to_validate(self):
        "The demo's scanned letters wait in To validate, read by the OCR"
        # other suites register letters of their own on the same server
        letters = self.search_read('gru.letter',
            [('source', '=', 'scripts/demo_data/80_letter.py')],
            ['number', 'state', 'site.name', 'pages', 'text', 'sender_name',
                'postal_code', 'received_date', 'source', 'ocr_pdf_id'])
        self.assertEqual(len(letters), 3)
        for letter in letters:
            self.assertEqual(letter['state'], 'to_validate', letter)
            self.assertTrue(letter['number'].startswith('E'), letter)
            self.assertEqual(letter['site.']['name'], "Antenne d'Amiens")
            self.assertGreaterEqual(letter['pages'], 1)
            self.assertEqual(letter['source'],
                'scripts/demo_data/80_letter.py')
            # the text read by Tesseract is French prose, searchable
            self.assertGreater(len(letter['text'].split()), 20, letter)
            self.assertTrue(letter['ocr_pdf_id'])
        # the extraction found senders and postal codes in most scans
        self.assertGreaterEqual(
            sum(bool(l['sender_name']) for l in letters), 2, letters)
        self.assertGreaterEqual(
            sum(bool(l['postal_code']) for l in letters), 2, letters)

        # the letter agent's tab of the incoming letters shows them
        tabs = self.search_read('ir.action.act_window.domain',
            [('act_window.res_model', '=', 'gru.letter')],
            ['name', 'domain', 'sequence'])
        self.assertIn("À valider", [t['name'] for t in tabs])

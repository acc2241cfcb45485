"""Browser test: a letter agent opens a scanned letter of the demo to
validate it: the scan beside the fields read by the OCR, in one screen."""
import re

from tests.browser import sao


class LettersBrowserTestCase(sao.BrowserTestCase):

    def test_validate_view(self):
        "The scan and the extracted fields fit at 1400 px, menu open"
        page = self.page
        sao.login(page, self.server)
        sao.open_menu(page, 'GRU', 'Courriers', 'Courriers entrants')
        rows = page.locator(
            '#tabcontent .tab-pane.active .treeview table tbody tr')
        # the demo's 3 letters wait in the first tab, "À valider" (the
        # letter journey, run before on the same server, validates one)
        self.assertIn(rows.count(), {2, 3})
        rows.first.dblclick()
        page.wait_for_selector('#tabcontent .tab-pane.active .form',
            timeout=30000)
        page.wait_for_selector('#tabcontent .form img', timeout=30000)
        page.wait_for_timeout(1000)
        text = sao.visible_text(page)
        for label in ["Validation", "Nom de l'expéditeur", "Code postal",
                "Dispositif", "Usager"]:
            self.assertIn(label, text)
        # one heading above the column of confidence bars
        self.assertEqual(text.count("Confiance :"), 0, text)
        self.assertIn("Confiance", text)
        scroll, width = sao.form_widths(page)
        self.assertLessEqual(scroll, width + 1)
        # the bars show the confidence as read (a 76 was "7 600 %" and
        # every bar full): percentages up to 100, bars of their own length
        bars = page.locator('#tabcontent .tab-pane.active .form '
            '.progress-bar').evaluate_all(
            'els => els.map(e => [e.textContent, e.style.width])')
        self.assertGreaterEqual(len(bars), 9, bars)
        values = []
        for text, css in bars:
            if not text.strip():
                continue
            value = float(re.sub(r'[^0-9,]', '', text).replace(',', '.'))
            self.assertLessEqual(value, 100, bars)
            self.assertAlmostEqual(float(css.rstrip('%')), value, delta=1)
            values.append(value)
        self.assertGreater(len(set(values)), 1, bars)
        sao.screenshot(page, 'letter_validation')
        self.assertAccessible('letter form', '#tabcontent')
        self.assertEqual(self.errors, [])

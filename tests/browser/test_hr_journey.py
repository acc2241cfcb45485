"""Browser test: the HR journey. The administrative and financial officer
of the direction (login rh, scripts/demo_data/20_staff.py) opens the staff
plans, compares the target plan with the source plan and reads the
result, then exports the target plan: the staffing table (xlsx), the
report to the comité technique (docx) and the org chart (SVG). Each file is
downloaded as a user does, and opened: the workbook and the document are
valid and carry the plan's figures. Every screen fits 1,400 x 900 with the
menu open and passes the WCAG A rules of axe-core."""
import io
import os
import re
import zipfile

from lxml import etree
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser import sao

HR = ('rh', 'demo-rh-darru')
ACTIVE = '#tabcontent .tab-pane.active '
LIST = ACTIVE + '.treeview'
DIALOG = '.modal-dialog'


class HRJourneyBrowserTestCase(sao.BrowserTestCase):

    def button(self, label, scope=ACTIVE + '.form'):
        return self.page.locator(scope + ' button', has_text=label).first

    def assertListFits(self, name):
        """The active tab fits (assertFits) and its list does not scroll
        sideways inside it either"""
        self.assertFits(name)
        scroll, client = self.page.locator(LIST).first.evaluate(
            'e => [e.scrollWidth, e.clientWidth]')
        self.assertLessEqual(scroll, client,
            '%s: the list scrolls sideways: %d px in %d px'
            % (name, scroll, client))

    def rows(self):
        "The texts of the rows of the list of the active tab"
        return self.page.locator(LIST + ' table tbody tr').evaluate_all(
            'els => els.map(e => e.innerText.replace(/\\s+/g, " ").trim())')

    def download(self, button, label, artefact):
        """Click the entry label of the dropdown of the toolbar button
        (action, print) and return the downloaded file (name, bytes), kept
        as hr_<artefact>.

        When no file came (on a loaded machine the first click was seen
        to be lost while the dropdown opened), keep a screenshot
        (hr_nodownload_<artefact>), answer sao's password prompt if it
        asks for it, and print again once, as the user would."""
        page = self.page
        item = page.locator(ACTIVE + '.dropdown-menu li a:visible',
            has_text=re.compile(r'^\s*%s\s*$' % re.escape(label))).first
        for attempt in range(2):
            page.locator(ACTIVE + 'button#%s' % button).first.click()
            try:
                item.wait_for(timeout=5000)
            except Exception:
                sao.screenshot(page, 'hr_debug_menu')
                raise
            try:
                with page.expect_download(timeout=120000) as info:
                    item.click()
                return self.keep(info.value, artefact)
            except PlaywrightTimeoutError:
                sao.screenshot(page, 'hr_nodownload_%s' % artefact)
                if attempt:
                    raise
                if not sao.answer_password_prompt(page, HR[1],
                        'hr_password_%s' % artefact):
                    # close the dropdown if it is still open
                    page.keyboard.press('Escape')
                if item.is_visible():
                    item.wait_for(state='hidden', timeout=5000)

    def keep(self, download, label):
        """Return (name, bytes) of the download, kept beside the
        screenshots as a test artefact (var/screenshots/hr_<label>.<ext>)"""
        name = download.suggested_filename
        with open(download.path(), 'rb') as fp:
            content = fp.read()
        os.makedirs(sao.SCREENSHOTS, exist_ok=True)
        path = os.path.join(sao.SCREENSHOTS, 'hr_%s%s' % (
                label, os.path.splitext(name)[1]))
        with open(path, 'wb') as fp:
            fp.write(content)
        return name, content

    def test_hr_journey(self):
        "HR compares two staff plans and exports the target plan"
        page = self.page
        sao.login(page, self.server, *HR)

        # the other lists of the plans, as HR opens them
        for label, name in [('Unités', 'hr_units'), ('Postes', 'hr_positions'),
                ('Besoins de recrutement', 'hr_needs')]:
            sao.open_menu(page, 'GRU', 'Organigrammes', label)
            page.wait_for_timeout(500)
            self.assertTrue(self.rows())
            self.assertListFits(name)
            self.assertAccessible(label, '#tabcontent')

        # the staff plans: the source and the target plan of the report
        # the entry has the name of its menu: the second "Organigrammes"
        tabs = page.locator('#tabcontent .tab-pane').count()
        page.locator('#menu div.column-char[title="Organigrammes"]').nth(
            1).dblclick()
        page.wait_for_function(
            "(tabs) => document.querySelectorAll('#tabcontent .tab-pane')"
            ".length > tabs", arg=tabs, timeout=60000)
        page.wait_for_selector(LIST + ' table tbody tr', timeout=60000)
        page.wait_for_timeout(500)
        plans = self.rows()
        self.assertEqual(len(plans), 2, plans)
        self.assertListFits('hr_plans')
        self.assertAccessible('staff plans', '#tabcontent')

        # the target plan, open in its form
        page.locator(LIST + ' table tbody tr',
            has_text="cible").first.dblclick()
        page.wait_for_selector(ACTIVE + '.form', timeout=30000)
        page.wait_for_timeout(1000)
        name = page.locator(ACTIVE + '.form input[name="name"]').input_value()
        self.assertTrue(name)
        self.assertFits('hr_plan_form')
        self.assertAccessible('staff plan form', '#tabcontent')
        # the lists of its pages fit too
        for label, artefact in [('Postes', 'hr_plan_positions'),
                ('Postes autorisés par métier', 'hr_plan_authorisations')]:
            page.locator(ACTIVE + '.form .nav-tabs a', has_text=label
                ).first.click()
            page.wait_for_selector(ACTIVE + '.form .tab-pane.active '
                '.treeview table tbody tr', timeout=30000)
            page.wait_for_timeout(500)
            self.assertFits(artefact)
            scroll, client = page.locator(ACTIVE + '.form .tab-pane.active '
                '.treeview').first.evaluate(
                'e => [e.scrollWidth, e.clientWidth]')
            self.assertLessEqual(scroll, client, label)

        # compared with the plan before it (filled in by the wizard)
        page.locator(ACTIVE + 'button#action').first.click()
        page.locator(ACTIVE + '.dropdown-menu li a',
            has_text="Comparer des organigrammes").first.click()
        page.wait_for_selector(DIALOG + ' .form', timeout=30000)
        page.wait_for_timeout(1000)
        sao.screenshot(page, 'hr_compare_start')
        values = page.locator(DIALOG + ' input').evaluate_all(
            'els => els.map(e => e.value)')
        self.assertIn(name, values)
        self.assertEqual(len([v for v in values if v]), 2, values)
        sao.screenshot(page, 'hr_compare_start')
        self.assertAccessible('compare start', DIALOG)
        self.button("Comparer", scope=DIALOG).click()
        page.wait_for_selector(DIALOG + ' textarea', timeout=120000)
        page.wait_for_timeout(1000)
        summary, changes = page.locator(DIALOG + ' textarea').evaluate_all(
            'els => els.map(e => e.value)')[:2]
        # the totals of both plans, a row per department and a total row
        self.assertRegex(summary, r'\b97\b')
        self.assertIn("Total", summary)
        self.assertGreater(len(summary.splitlines()), 4)
        self.assertTrue(changes.strip())
        self.assertTrue(changes.splitlines()[1].startswith('- '), changes)
        sao.screenshot(page, 'hr_compare_result')
        width, client = page.locator(DIALOG).first.evaluate(
            'e => [e.scrollWidth, e.clientWidth]')
        self.assertLessEqual(width, client)
        self.assertAccessible('compare result', DIALOG)
        # the comparison as a document, from the result
        with page.expect_download(timeout=60000) as info:
            page.locator(DIALOG + ' button[title="Enregistrer sous..."], '
                + DIALOG + ' button[aria-label="Enregistrer sous..."]'
                ).first.click()
        filename, content = self.keep(info.value, 'comparison')
        self.assertTrue(filename.endswith('.docx'), filename)
        self.check_docx(content, name)
        self.button("Fermer", scope=DIALOG).click()
        page.wait_for_selector(DIALOG, state='detached', timeout=30000)

        # the exports of the plan
        filename, content = self.download('print', "Tableau des effectifs",
            'staffing_table')
        self.assertTrue(filename.endswith('.xlsx'), filename)
        self.check_xlsx(content, name)
        filename, content = self.download('print',
            "Rapport au comité technique", 'committee_report')
        self.assertTrue(filename.endswith('.docx'), filename)
        self.check_docx(content, name)
        filename, content = self.download('print', "Organigramme",
            'org_chart')
        self.assertTrue(filename.endswith('.svg'), filename)
        svg = etree.fromstring(content)
        self.assertEqual(svg.tag, '{http://www.w3.org/2000/svg}svg')
        texts = ' '.join(svg.itertext())
        self.assertIn(name, texts)
        self.assertGreater(len(svg.findall(
                './/{http://www.w3.org/2000/svg}g')), 20)
        self.assertFits('hr_plan_exported')
        self.assertEqual(self.errors, [])

    def check_xlsx(self, content, name):
        """The staffing table is a workbook (zip of XML parts) with a
        sheet per part, naming the plan and listing its posts"""
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            self.assertIsNone(archive.testzip())
            names = archive.namelist()
            self.assertIn('xl/workbook.xml', names)
            workbook = etree.fromstring(archive.read('xl/workbook.xml'))
            sheets = workbook.findall('.//{*}sheet')
            self.assertGreater(len(sheets), 1)
            strings = archive.read('xl/sharedStrings.xml').decode()
            rows = sum(len(re.findall(r'<row ', archive.read(n).decode()))
                for n in names if n.startswith('xl/worksheets/sheet'))
        self.assertIn(name.replace('&', '&amp;').split(' ')[0], strings)
        # a row per post of the 97 at least
        self.assertGreater(rows, 97)

    def check_docx(self, content, name):
        "The document opens in python-docx and has headings and tables"
        import docx
        document = docx.Document(io.BytesIO(content))
        text = '\n'.join(p.text for p in document.paragraphs)
        self.assertTrue(text.strip())
        self.assertTrue(document.tables)
        cells = ' '.join(c.text for t in document.tables for r in t.rows
            for c in r.cells)
        self.assertRegex(text + cells, r'\b97\b')
        return document

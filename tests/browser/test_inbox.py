"""Browser test: an information officer handles a request in sao, from her
list to the closing: take it, reply, close."""
import os
import re
import unittest

from tests.browser import sao
from tests.support import demo_server

OFFICER = ('ci.amiens', 'demo-ci-amiens')


def selected_options(page, scope='#tabcontent .form'):
    "Return the labels shown by the selection fields of scope"
    return page.locator(scope + ' select').evaluate_all(
        'els => els.map(e => e.selectedIndex >= 0 '
        '? e.options[e.selectedIndex].text : "")')


class InboxBrowserTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        from playwright.sync_api import sync_playwright
        cls.server = demo_server()
        cls.playwright = sync_playwright().start()
        cls.addClassCleanup(cls.playwright.stop)
        cls.browser = sao.launch(cls.playwright)
        cls.addClassCleanup(cls.browser.close)

    def setUp(self):
        self.page = self.browser.new_page(
            viewport={'width': 1400, 'height': 900}, locale='fr-FR')
        self.addCleanup(self.page.close)
        self.errors = []
        self.page.on('pageerror', lambda error: self.errors.append(error))

    def button(self, label, scope='#tabcontent .form'):
        return self.page.locator(scope + ' button', has_text=label).first

    def test_take_reply_close(self):
        "The officer takes a new request, replies to it and closes it"
        page = self.page
        sao.login(page, self.server, *OFFICER)
        sao.open_menu(page, 'GRU', 'Boîte de réception', 'Mes demandes')
        page.wait_for_timeout(500)
        text = sao.visible_text(page)
        # the tabs of the list and the columns are in French
        for label in ["Ouvertes", "En attente", "Toutes", "Référence",
                "Reçue le", "Canal", "Affectée à", "État"]:
            self.assertIn(label, text)
        path = sao.screenshot(page, 'inbox_my_requests')
        self.assertGreater(os.path.getsize(path), 10000)

        rows = page.locator('#tabcontent .treeview table tbody tr')
        row = rows.filter(has_text="Nouvelle").first
        found = re.search(r'GRU-\d{4}-\d{6}', row.inner_text())
        self.assertTrue(found, row.inner_text())
        reference = found.group()
        row.dblclick()
        page.wait_for_selector('#tabcontent .form', timeout=30000)
        page.wait_for_timeout(1000)
        self.assertIn("Nouvelle", selected_options(page))
        text = sao.visible_text(page)
        for label in ["Messages", "Contact et orientation",
                "Tri et affectation", "Entrant"]:
            self.assertIn(label, text)
        sao.screenshot(page, 'inbox_request_new')

        # take it: the request is in progress
        self.button("Prendre").click()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll("
            "'#tabcontent .form select')).some("
            "e => e.selectedIndex >= 0 "
            "&& e.options[e.selectedIndex].text == 'En cours')",
            timeout=30000)

        # reply through the wizard, marked as answered
        self.button("Répondre").click()
        page.wait_for_selector('.modal-dialog .form', timeout=30000)
        page.wait_for_timeout(500)
        dialog = page.locator('.modal-dialog')
        self.assertIn(reference, dialog.inner_text())
        channel = dialog.locator('select').first
        # choose the channel of the answer as the agent does
        channel.select_option(label="Courrier")
        page.wait_for_timeout(200)
        channel.select_option(label="Courriel")
        answer = ("Bonjour,\nVotre demande est bien prise en compte : "
            "votre dossier est complet.\nCordialement")
        dialog.locator('textarea').first.fill(answer)
        sao.screenshot(page, 'inbox_reply')
        self.button("Envoyer", scope='.modal-dialog').click()
        page.wait_for_selector('.modal-dialog', state='detached',
            timeout=30000)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll("
            "'#tabcontent .form select')).some("
            "e => e.selectedIndex >= 0 "
            "&& e.options[e.selectedIndex].text == 'Répondue')",
            timeout=30000)
        text = sao.visible_text(page)
        self.assertIn("Sortant", text)
        self.assertIn("votre dossier est complet", text)

        # close it
        self.button("Fermer").click()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll("
            "'#tabcontent .form select')).some("
            "e => e.selectedIndex >= 0 "
            "&& e.options[e.selectedIndex].text == 'Fermée')",
            timeout=30000)
        self.assertIn("Fermée", selected_options(page))
        self.assertIn("Rouvrir".upper(), sao.visible_text(page).upper())
        sao.screenshot(page, 'inbox_request_closed')
        self.assertEqual(self.errors, [])

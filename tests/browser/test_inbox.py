"""Browser test: an information officer handles a request in sao, from her
list to the closing: take it, reply, close."""
import email
import email.policy
import os
import re

from tests.browser import sao

OFFICER = ('ci.amiens', 'demo-ci-amiens')
CHANNELS = ["Courriel", "Courrier", "Téléphone", "Accueil physique",
    "Formulaire web", "Autre"]
# the list of the current tab of sao
LIST = '#tabcontent .tab-pane.active .treeview'


def selected_options(page, scope='#tabcontent .form'):
    "Return the labels shown by the selection fields of scope"
    return page.locator(scope + ' select').evaluate_all(
        'els => els.map(e => e.selectedIndex >= 0 '
        '? e.options[e.selectedIndex].text : "")')


def list_rows(page):
    """Return [reference, classes of the row, background of its reference
    cell] of each row of the list of the current tab"""
    return page.locator(LIST + ' table tbody tr').evaluate_all(
        'rows => rows.map(r => {'
        ' const td = Array.from(r.querySelectorAll("td")).find('
        ' c => /^GRU-\\d{4}-\\d{6}$/.test(c.innerText.trim()));'
        ' return td ? [td.innerText.trim(), r.className,'
        ' getComputedStyle(td).backgroundColor] : null; })'
        '.filter(r => r)')


def cut_references(page):
    """Return the references of the list of the current tab and those of
    them the column cuts (the text is wider than its cell)"""
    cells = page.locator(LIST + ' tbody td .column-char').evaluate_all(
        'els => els.filter(e => /^GRU-\\d{4}-\\d{6}$/.test('
        'e.textContent.trim())).map(e => [e.textContent.trim(),'
        ' e.scrollWidth > e.clientWidth])')
    return ([c[0] for c in cells], [c[0] for c in cells if c[1]])


OUTGOING_CHANNELS = (
    '(channels) => Array.from(document.querySelectorAll('
    '"#tabcontent .form .treeview tbody tr"), r => Array.from('
    'r.querySelectorAll("td"), c => c.innerText.trim()))'
    '.filter(cells => cells.includes("Sortant"))'
    '.map(cells => cells.filter(c => channels.includes(c)).join("+"))')


def outgoing_channels(page, count):
    """Return the channels of the outgoing messages shown on the request,
    once count of them are drawn (sao redraws the list of messages after
    the reply: read at once, it was seen empty)"""
    page.wait_for_function(
        '(channels) => (%s)(channels).filter(c => c).length >= %d'
        % (OUTGOING_CHANNELS, count), arg=CHANNELS, timeout=30000)
    return sorted(page.evaluate(OUTGOING_CHANNELS, CHANNELS))


class InboxBrowserTestCase(sao.BrowserTestCase):

    def button(self, label, scope='#tabcontent .form'):
        return self.page.locator(scope + ' button', has_text=label).first

    def test_overdue_cue(self):
        "The overdue requests stand out in red in the lists"
        page = self.page
        sao.login(page, self.server, *OFFICER)
        # the demo escalates every overdue request: the first tab is empty
        sao.open_menu(page, 'GRU', 'Boîte de réception',
            'Demandes en retard', rows=False)
        page.locator('#tabcontent .tab-pane.active .nav-tabs a',
            has_text="Toutes").click()
        page.wait_for_selector(LIST + ' table tbody tr', timeout=60000)
        page.wait_for_timeout(500)
        overdue = list_rows(page)
        self.assertTrue(overdue)
        for reference, classes, _ in overdue:
            self.assertIn('danger', classes.split(), reference)
        self.assertEqual(cut_references(page)[1], [])
        sao.screenshot(page, 'inbox_overdue')

        # among the requests of the officer, the overdue ones only are red
        sao.open_menu(page, 'GRU', 'Boîte de réception', 'Mes demandes')
        page.locator('#tabcontent .tab-pane.active .nav-tabs a',
            has_text="Toutes").click()
        page.wait_for_function(
            "(selector) => Array.from(document.querySelectorAll(selector))"
            ".some(r => r.innerText.includes('Répondue') "
            "|| r.innerText.includes('Fermée'))",
            arg=LIST + ' table tbody tr', timeout=60000)
        page.wait_for_timeout(500)
        mine = list_rows(page)
        overdue_references = {r[0] for r in overdue}
        red, plain = set(), set()
        for reference, classes, background in mine:
            self.assertEqual('danger' in classes.split(),
                reference in overdue_references, reference)
            (red if reference in overdue_references else plain).add(
                background)
        self.assertTrue(red, "no overdue request of the officer")
        self.assertTrue(plain, "every request of the officer is overdue")
        # the red is seen: the cells of an overdue row have their colour
        self.assertTrue(red.isdisjoint(plain), (red, plain))
        self.assertEqual(cut_references(page)[1], [])
        sao.screenshot(page, 'inbox_my_requests_overdue')
        self.assertEqual(self.errors, [])

    def test_take_reply_close(self):
        "The officer takes a new request, replies to it and closes it"
        page = self.page
        sao.login(page, self.server, *OFFICER)
        sao.open_menu(page, 'GRU', 'Boîte de réception', 'Mes demandes')
        page.wait_for_timeout(500)
        text = sao.visible_text(page)
        # the tabs of the list and the columns are in French
        for label in ["Ouvertes", "En attente", "Toutes", "Référence",
                "Reçue le", "Canal", "État", "Échéance"]:
            self.assertIn(label, text)
        path = sao.screenshot(page, 'inbox_my_requests')
        self.assertGreater(os.path.getsize(path), 10000)

        rows = page.locator('#tabcontent .treeview table tbody tr')
        # the reference column shows the whole reference
        references, cut = cut_references(page)
        self.assertTrue(references)
        self.assertEqual(cut, [])
        row = rows.filter(has_text="Nouvelle").filter(
            has_text="Courriel").first
        found = re.search(r'GRU-\d{4}-\d{6}', row.inner_text())
        self.assertTrue(found, row.inner_text())
        reference = found.group()
        row.dblclick()
        page.wait_for_selector('#tabcontent .form', timeout=30000)
        page.wait_for_timeout(1000)
        self.assertIn("Nouvelle", selected_options(page))
        self.assertIn("Courriel", selected_options(page))
        # the form, its messages and its buttons fit at 1400 px with the
        # menu open: no sideways scrolling
        scroll, width = sao.form_widths(page)
        self.assertLessEqual(scroll, width + 1)
        text = sao.visible_text(page)
        for label in ["Messages", "Contact et orientation",
                "Tri et affectation", "Entrant"]:
            self.assertIn(label, text)
        sao.screenshot(page, 'inbox_request_new')
        self.assertAccessible('request form', '#tabcontent')

        # take it: the request is in progress
        self.button("Prendre").click()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll("
            "'#tabcontent .form select')).some("
            "e => e.selectedIndex >= 0 "
            "&& e.options[e.selectedIndex].text == 'En cours')",
            timeout=30000)

        # reply through the wizard, marked as answered: the channel of the
        # request is proposed and recorded, the agent does not touch it
        self.button("Répondre").click()
        page.wait_for_selector('.modal-dialog .form', timeout=30000)
        page.wait_for_timeout(500)
        dialog = page.locator('.modal-dialog')
        self.assertIn(reference, dialog.inner_text())
        self.assertEqual(
            selected_options(page, '.modal-dialog .form'), ["Courriel"])
        answer = ("Bonjour,\nVotre demande est bien prise en compte : "
            "votre dossier est complet.\nCordialement")
        dialog.locator('textarea').first.fill(answer)
        sao.screenshot(page, 'inbox_reply')
        # clicked at once after typing, as sao redraws the form
        self.button("Envoyer", scope='.modal-dialog').click()
        page.wait_for_selector('.modal-dialog', state='detached',
            timeout=30000)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll("
            "'#tabcontent .form select')).some("
            "e => e.selectedIndex >= 0 "
            "&& e.options[e.selectedIndex].text == 'Répondue')",
            timeout=30000)
        page.locator('#tabcontent .form .treeview tbody tr',
            has_text="Sortant").first.wait_for(timeout=30000)
        text = sao.visible_text(page)
        self.assertIn("votre dossier est complet", text)
        self.assertEqual(outgoing_channels(page, 1), ["Courriel"])
        # and the usager's mail was really sent, to a real SMTP server
        bodies = [email.message_from_bytes(data, policy=email.policy.default
                ).get_body(('plain',)).get_content()
            for _, _, data in self.server.smtp.messages]
        self.assertTrue(
            any("votre dossier est complet" in b for b in bodies), bodies)

        # a second answer, given on the phone: the channel chosen is
        # recorded
        self.button("Répondre").click()
        page.wait_for_selector('.modal-dialog .form', timeout=30000)
        page.wait_for_timeout(500)
        dialog = page.locator('.modal-dialog')
        dialog.locator('select').first.select_option(label="Téléphone")
        dialog.locator('textarea').first.fill(
            "Rappelée : le dossier est complet, le versement suit.")
        self.assertEqual(
            selected_options(page, '.modal-dialog .form'), ["Téléphone"])
        self.button("Envoyer", scope='.modal-dialog').click()
        page.wait_for_selector('.modal-dialog', state='detached',
            timeout=30000)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll("
            "'#tabcontent .form .treeview tbody tr')).filter("
            "r => r.innerText.includes('Sortant')).length == 2",
            timeout=30000)
        self.assertEqual(
            outgoing_channels(page, 2), ["Courriel", "Téléphone"])

        # close it
        self.button("Clôturer la demande").click()
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

"""Browser test: the counter agent of Amiens at work in sao. She opens
today's waiting list, calls the next usager, receives him in two actions
(Next, Record) as a request of channel Counter, records the walk-in of an
unknown usager from the menu, and looks at the planning of the
permanences."""

from tests.browser import sao

OFFICER = ('ci.amiens', 'demo-ci-amiens')
TAB = '#tabcontent .tab-pane.active'
LIST = TAB + ' .treeview'
DIALOG = '.modal-dialog'


def wait_idle(page):
    "Wait for sao's pending calls to end"
    page.wait_for_function(
        "() => !document.querySelector('.navbar .processing')"
        " || document.querySelector('.navbar .processing')"
        ".offsetParent === null", timeout=30000)
    page.wait_for_timeout(300)


def rows(page):
    "Return the texts of the cells of each row of the list of the tab"
    return page.locator(LIST + ' table tbody tr').evaluate_all(
        'rows => rows.map(r => Array.from(r.querySelectorAll("td"),'
        ' c => c.innerText.trim()).filter(t => t))')


def field(page, name, scope=DIALOG):
    "The input of the field name in scope (sao names it after the field)"
    return page.locator(', '.join('%s %s[name="%s"]' % (scope, tag, name)
            for tag in ['input', 'textarea', 'select'])).first


def button(page, label, scope=DIALOG):
    return page.locator(scope + ' button', has_text=label).first


def selected(page, name, scope=DIALOG):
    "The label shown by the selection field name"
    return field(page, name, scope).evaluate(
        'e => e.selectedIndex >= 0 ? e.options[e.selectedIndex].text : ""')


def fill_many2one(page, name, text):
    "Type text in the Many2One field name of the dialog and pick the match"
    entry = field(page, name)
    entry.fill(text)
    entry.press('Tab')
    # one match is set at once; several open a search dialog
    page.wait_for_timeout(1000)
    if page.locator(DIALOG).count() > 1:
        page.locator(DIALOG).last.locator(
            '.treeview tbody tr').first.dblclick()
        page.wait_for_timeout(500)
    wait_idle(page)


def fill_integer(page, name, text):
    """Type text in the Integer field name of the dialog: sao shows a text
    input that, once focused, gives way to a number input (on a later
    tick): text typed at once in the first was lost, the field empty"""
    field(page, name).click()
    number = page.locator('%s input[name="%s"][type="number"]'
        % (DIALOG, name))
    number.wait_for(state='visible', timeout=10000)
    number.fill(text)
    number.press('Tab')
    wait_idle(page)


def open_wizard(page, *labels):
    "Open the wizard of a menu entry by the labels of its path"
    for i, label in enumerate(labels):
        selector = 'div.column-char[title="%s"]' % label
        entry = page.locator('#menu ' + selector).first
        entry.wait_for(timeout=30000)
        if i < len(labels) - 1:
            child = page.locator('#menu div.column-char[title="%s"]'
                % labels[i + 1]).first
            if not child.is_visible():
                page.locator('#menu tbody tr', has=page.locator(selector)
                    ).first.locator('.expander').first.click()
        else:
            entry.click()
    page.locator(DIALOG + ' .form').first.wait_for(timeout=30000)


class CounterBrowserTestCase(sao.BrowserTestCase):

    def check_accessibility(self, name):
        "The dialog or tab passes the WCAG 2 A checks of axe-core"
        self.assertAccessible(name,
            DIALOG if self.page.locator(DIALOG).count() else TAB)

    def test_counter_agent(self):
        "Waiting list, walk-in of a known and of a new usager, planning"
        page = self.page
        sao.login(page, self.server, *OFFICER)

        # today's waiting list of Amiens: who waits, for how long
        sao.open_menu(page, 'GRU', 'Accueil physique',
            "File d'attente du jour")
        wait_idle(page)
        text = sao.visible_text(page)
        for label in ["En attente", "Reçus", "Toutes", "Arrivée",
                "Nom donné", "Usager", "Motif", "État", "Attente",
                "Appeler", "Recevoir"]:
            self.assertIn(label, text)
        waiting = [r for r in rows(page) if "Arrivé" in r]
        self.assertGreaterEqual(len(waiting), 2, rows(page))
        sao.screenshot(page, 'counter_waiting_list')

        # call the first usager waiting (the oldest arrival)
        headers = page.locator(LIST + ' table thead th').all_inner_texts()
        column = [h.strip() for h in headers].index("Nom donné")
        row = page.locator(LIST + ' table tbody tr').filter(
            has_text="Arrivé").first
        name = row.locator('td').nth(column).inner_text().strip()
        self.assertTrue(name, row.inner_text())
        # the waiting list fits at 1400 px with the menu open
        scroll, width = page.locator(LIST).first.evaluate(
            'e => [e.scrollWidth, e.clientWidth]')
        self.assertLessEqual(scroll, width + 1)
        # sao selects the row at the first click, the button acts on it
        row.locator('td').nth(column).click()
        page.wait_for_timeout(500)
        row.locator('button', has_text="Appeler").click()
        row = page.locator(LIST + ' table tbody tr').filter(
            has_text=name).filter(has_text="Appelé").first
        row.wait_for(timeout=30000)
        wait_idle(page)

        # receive him: the walk-in opens on the visit, his usager chosen
        # sao acts on the button of the current record: the row redrawn
        # after the call may need a second click to be it
        for _ in range(3):
            row.locator('button', has_text="Recevoir").click()
            try:
                page.locator(DIALOG).first.wait_for(timeout=8000)
                break
            except Exception:
                continue
        page.locator(DIALOG + ' .form').first.wait_for(timeout=30000)
        wait_idle(page)
        self.assertIn(name, selected(page, 'usager'))
        self.assertIn("Antenne d'Amiens",
            field(page, 'antenna').input_value())
        self.check_accessibility('walk-in, usager')
        sao.screenshot(page, 'counter_walkin_usager')
        # action 1
        button(page, "Suivant").click()
        page.wait_for_selector(
            DIALOG + ' input[name="time_spent"]', timeout=30000)
        wait_idle(page)
        self.assertEqual(field(page, 'usager_name').input_value(), name)
        # the motive given at the reception and the time since the call
        self.assertTrue(field(page, 'motive').input_value())
        self.assertTrue(field(page, 'time_spent').input_value())
        field(page, 'note').fill(
            "Demande où en est son dossier : pièces complètes.")
        field(page, 'answer').fill(
            "Dossier complet, décision sous quinze jours.")
        self.check_accessibility('walk-in, request')
        sao.screenshot(page, 'counter_walkin_request')
        # action 2
        button(page, "Enregistrer").click()
        page.wait_for_selector(DIALOG, state='detached', timeout=30000)
        wait_idle(page)

        # the visit is seen
        page.locator(TAB + ' .nav-tabs a', has_text="Reçus").click()
        wait_idle(page)
        row = page.locator(LIST + ' table tbody tr').filter(
            has_text=name).filter(has_text="Reçu").first
        row.wait_for(timeout=30000)
        sao.screenshot(page, 'counter_seen')

        # the request of channel Counter, triaged and answered
        row.dblclick()
        page.wait_for_selector(TAB + ' .form', timeout=30000)
        wait_idle(page)
        reference = field(page, 'request', TAB).input_value()
        self.assertRegex(reference, r'^GRU-\d{4}-\d{6}')
        # the request in the inbox: channel Counter, answered, his
        sao.open_model(page, self.server, 'gru.inbox.request')
        search = page.locator(TAB + ' .filter-box input:visible').first
        search.fill('"%s"' % reference.split()[0])
        search.press('Enter')
        request = page.locator(LIST + ' table tbody tr').filter(
            has_text=reference.split()[0]).first
        request.wait_for(timeout=30000)
        wait_idle(page)
        text = request.inner_text()
        self.assertIn("Accueil physique", text)
        self.assertIn("Répondue", text)
        self.assertIn(name, text)
        sao.screenshot(page, 'counter_request')

        # a usager nobody knows walks in: from the menu, typed in full
        open_wizard(page, 'GRU', 'Accueil physique', 'Accueil au guichet')
        wait_idle(page)
        field(page, 'search').fill("Anatole Vermeersch")
        field(page, 'search').press('Tab')
        # the matching found nobody: what was typed is the new usager
        page.wait_for_function(
            "() => (document.querySelector("
            "'.modal-dialog input[name=\"new_name\"]') || {}).value",
            timeout=30000)
        wait_idle(page)
        self.assertEqual(selected(page, 'usager'), "Nouvel usager")
        self.assertEqual(field(page, 'new_name').input_value(),
            "Anatole Vermeersch")
        field(page, 'new_phone').fill('03 53 01 99 87')
        field(page, 'new_postal_code').fill('80000')
        sao.screenshot(page, 'counter_walkin_new')
        button(page, "Suivant").click()
        page.wait_for_selector(
            DIALOG + ' input[name="time_spent"]', timeout=30000)
        wait_idle(page)
        fill_many2one(page, 'motive', "Modalités de dépôt")
        fill_integer(page, 'time_spent', '7')
        button(page, "Enregistrer").click()
        page.wait_for_selector(DIALOG, state='detached', timeout=30000)
        wait_idle(page)

        # both are in today's visits of Amiens
        sao.open_menu(page, 'GRU', 'Accueil physique',
            "File d'attente du jour")
        wait_idle(page)
        page.locator(TAB + ' .nav-tabs a', has_text="Reçus").click()
        page.locator(LIST + ' table tbody tr',
            has_text="Anatole Vermeersch").first.wait_for(timeout=30000)
        wait_idle(page)
        seen = sao.visible_text(page)
        self.assertIn("Anatole Vermeersch", seen)
        self.assertIn(name, seen)

        # the planning of the permanences, in a calendar
        sao.open_menu(page, 'GRU', 'Accueil physique',
            'Permanences et opérations hors les murs', rows=False)
        page.wait_for_selector(TAB + ' .fc', timeout=30000)
        wait_idle(page)
        # the weekly permanence of Amiens is planned for next week
        page.locator(TAB + ' .fc-next-button').first.click()
        page.locator(TAB + ' .fc-event').first.wait_for(timeout=30000)
        wait_idle(page)
        events = page.locator(TAB + ' .fc-event').all_inner_texts()
        self.assertTrue(any("Antenne d'Amiens" in e for e in events),
            events)
        sao.screenshot(page, 'counter_permanences')
        self.assertEqual(self.errors, [])

"""Browser test: a manager sets up a scheme from scratch in sao without
typing an expression or a regex (request data with plain labels, the
dossier number format from an example with its live test, criteria on
request data not saved yet, the checklist ticked from the data), opens
it, and an information officer qualifies a request with it."""
import re
import uuid

from tests.browser import sao

MANAGER = ('admin', 'gru-admin')
OFFICER = ('ci.amiens', 'demo-ci-amiens')
TAB = '#tabcontent .tab-pane.active'
FORM = TAB + ' .form'
DIALOG = '.modal-dialog'


def wait_idle(page):
    "Wait for sao's pending calls to end"
    page.wait_for_function(
        "() => !document.querySelector('.navbar .processing')"
        " || document.querySelector('.navbar .processing')"
        ".offsetParent === null", timeout=30000)
    page.wait_for_timeout(400)


def field(page, name, scope=FORM):
    "The input of the field name in scope (sao names it after the field)"
    return page.locator(', '.join('%s %s[name="%s"]' % (scope, tag, name)
            for tag in ['input', 'textarea', 'select'])).first


def fill(page, name, text, scope=FORM):
    "Type text in the field and leave it, as a user does"
    entry = field(page, name, scope)
    entry.fill(text)
    entry.press('Tab')
    wait_idle(page)


def select(page, name, label, scope=FORM):
    # a user clicks the list: the field left before is committed
    field(page, name, scope).focus()
    field(page, name, scope).select_option(label=label)
    wait_idle(page)


def fill_many2one(page, name, text, scope=FORM):
    "Type text in the Many2One field and pick the first match"
    dialogs = page.locator(DIALOG).count()
    entry = field(page, name, scope)
    entry.fill(text)
    entry.press('Tab')
    page.wait_for_timeout(1000)
    # one match is set at once; several open a search dialog
    if page.locator(DIALOG).count() > dialogs:
        page.locator(DIALOG).last.locator(
            '.treeview tbody tr').first.dblclick()
        page.wait_for_timeout(500)
    wait_idle(page)


def pick_completion(page, name, text, scope=FORM):
    "Type text in the Many2One field as a user does and click the match"
    entry = field(page, name, scope)
    entry.click()
    entry.fill('')
    entry.type(text, delay=50)
    match = page.locator('.dropdown-menu:visible li', has_text=text).first
    match.wait_for(timeout=30000)
    match.click()
    wait_idle(page)


def fill_number(page, name, text, scope=DIALOG):
    """sao shows a text input that, once focused, gives way to a number
    input: type in the latter"""
    field(page, name, scope).click()
    number = page.locator('%s input[name="%s"][type="number"]'
        % (scope, name))
    number.wait_for(state='visible', timeout=10000)
    number.fill(text)
    number.press('Tab')
    wait_idle(page)


def one2many(page, label):
    "The One2Many widget of the form titled label"
    return page.locator(FORM + ' .form-one2many', has_text=label).first


def rows(widget):
    "The texts of the cells of each row of the list of widget"
    return widget.locator('tbody tr').evaluate_all(
        'rows => rows.map(r => Array.from(r.querySelectorAll("td"),'
        ' c => c.innerText.trim()).filter(t => t))')


def dialog_button(page, label):
    return page.locator(DIALOG + ' .modal-footer button').filter(
        has_text=re.compile('^%s$' % re.escape(label), re.I)).last


def save(page):
    page.locator(TAB + ' button[title="Enregistrer"]').first.click()
    wait_idle(page)


def open_page(page, label):
    page.locator(FORM + ' .nav-tabs a', has_text=label).first.click()
    wait_idle(page)


def open_schemes(page):
    """GRU ‣ Dispositifs ‣ Dispositifs: the menu and its entry bear one
    name, expand the first and open the second"""
    def row(title):
        return page.locator('#menu tbody tr', has=page.locator(
                'div.column-char[title="%s"]' % title)).first
    entries = page.locator('#menu div.column-char[title="Dispositifs"]')
    row('GRU').wait_for(timeout=30000)
    if not entries.first.is_visible():
        row('GRU').locator('.expander').first.click()
    entries.first.wait_for(timeout=30000)
    if entries.count() < 2:
        row('Dispositifs').locator('.expander').first.click()
    entries.nth(1).wait_for(timeout=30000)
    entries.nth(1).dblclick()
    page.wait_for_selector(TAB + ' .treeview table tbody tr',
        timeout=60000)
    wait_idle(page)


class SchemeJourneyTestCase(sao.BrowserTestCase):

    def rpc(self, method, params, login=MANAGER):
        "Call the demo server over JSON-RPC as login, with his context"
        client = self.client(*login)
        return client(method, params + [client.context])

    def check(self, name, scope=TAB):
        "The screen fits at 1400 px with the menu open and passes axe"
        self.assertFits(name)
        self.assertAccessible(name, scope)

    def test_scheme_from_scratch(self):
        "Create, check, open a scheme; an agent qualifies a request"
        page = self.page
        code = 'AMA' + ''.join(
            chr(ord('A') + b % 26) for b in uuid.uuid4().bytes[:3])
        name = "Aide à la mobilité des apprentis %s" % code[-3:]
        sao.login(page, self.server, *MANAGER)

        # the list opens on the open schemes
        open_schemes(page)
        active = page.locator(TAB + ' .nav-tabs li.active').inner_text()
        self.assertEqual(active.strip(), "Ouverts")
        self.check('scheme_list')
        page.locator(TAB + ' .nav-tabs a', has_text="Tous").click()
        wait_idle(page)
        self.assertFits('scheme_list_all')

        # a new scheme
        page.locator(TAB + ' button[title="Nouveau"]').first.click()
        page.wait_for_selector(FORM, timeout=30000)
        wait_idle(page)
        fill(page, 'name', name)
        fill(page, 'code', code)
        fill_many2one(page, 'theme', "Mobilité")
        fill_many2one(page, 'directorate', "Transports")
        fill_many2one(page, 'referent', "Sophie")
        fill_many2one(page, 'backup_referent', "Julie")

        # the dossier number from an example, tested live
        fill(page, 'reference_example', "%s-2026-00123" % code)
        self.assertEqual(field(page, 'reference_format').input_value(),
            '« %s- » + une année (4 chiffres) + « - » + 5 chiffres' % code)
        fill(page, 'reference_test', "%s-2026-0012" % code)
        result = field(page, 'reference_test_result').input_value()
        self.assertTrue(result.startswith('✗'), result)
        self.assertIn("5 chiffres attendus", result)
        self.check('scheme_dossier_number_wrong')
        fill(page, 'reference_test', "%s-2025-00042" % code)
        result = field(page, 'reference_test_result').input_value()
        self.assertTrue(result.startswith('✓'), result)
        # the regular expression is kept out of the way, read-only
        self.assertFalse(field(page, 'reference_pattern').is_visible())

        # request data with plain labels, no domain expression
        open_page(page, "Éligibilité")
        data = one2many(page, "Données de la demande")
        data.locator('button[title="Nouveau"]').click()
        page.wait_for_selector(DIALOG + ' .form', timeout=30000)
        wait_idle(page)
        kinds = page.locator(
            DIALOG + ' select[name="type_"] option').all_inner_texts()
        for label in ["Texte", "Nombre entier", "Nombre décimal",
                "Oui ou non", "Choix dans une liste", "Choix multiple"]:
            self.assertIn(label, kinds)
        self.assertNotIn("Float", kinds)
        self.assertEqual(page.locator(
                DIALOG + ' [name="domain"]').count(), 0)
        fill(page, 'string', "Revenu fiscal de référence", DIALOG)
        select(page, 'type_', "Nombre entier", DIALOG)
        fill_number(page, 'minimum', '0')
        self.check('scheme_data_number', DIALOG)
        # "Add and new" keeps the first and opens the second
        dialog_button(page, "Ajouter et nouveau").click()
        wait_idle(page)
        self.assertEqual(field(page, 'string', DIALOG).input_value(), '')
        fill(page, 'string', "Statut", DIALOG)
        select(page, 'type_', "Choix dans une liste", DIALOG)
        field(page, 'options', DIALOG).fill("Apprenti\nÉtudiant")
        self.check('scheme_data_choice', DIALOG)
        dialog_button(page, "Ajouter").click()
        page.wait_for_selector(DIALOG, state='detached', timeout=30000)
        wait_idle(page)
        self.assertEqual([r[0] for r in rows(data)],
            ["Revenu fiscal de référence", "Statut"])

        # a criterion on the request data, the scheme not saved yet
        criteria = one2many(page, "Critères d'éligibilité")
        criteria.locator('button[title="Nouveau"]').click()
        page.wait_for_selector(DIALOG + ' .form', timeout=30000)
        wait_idle(page)
        select(page, 'subject', "Données de la demande", DIALOG)
        keys = page.locator(
            DIALOG + ' select[name="data_key"] option').all_inner_texts()
        self.assertIn("Revenu fiscal de référence", keys)
        self.assertIn("Statut", keys)
        select(page, 'data_key', "Revenu fiscal de référence", DIALOG)
        select(page, 'operator', "est inférieur à", DIALOG)
        fill(page, 'value', "25000", DIALOG)
        # the name explains the criterion until the manager types one
        self.assertEqual(field(page, 'name', DIALOG).input_value(),
            "Revenu fiscal de référence est inférieur à 25000")
        fill(page, 'name', "Revenu modeste", DIALOG)
        select(page, 'operator', "est au plus", DIALOG)
        select(page, 'subject', "Données de la demande", DIALOG)
        self.assertEqual(field(page, 'name', DIALOG).input_value(),
            "Revenu modeste")
        self.check('scheme_criterion', DIALOG)
        dialog_button(page, "Ajouter et nouveau").click()
        wait_idle(page)
        select(page, 'subject', "Âge de l'usager", DIALOG)
        select(page, 'operator', "est au moins", DIALOG)
        fill(page, 'value', "16", DIALOG)
        self.assertEqual(field(page, 'name', DIALOG).input_value(),
            "Âge de l'usager est au moins 16")
        dialog_button(page, "Ajouter").click()
        page.wait_for_selector(DIALOG, state='detached', timeout=30000)
        wait_idle(page)
        self.assertEqual([r[0] for r in rows(criteria)],
            ["Revenu modeste", "Âge de l'usager est au moins 16"])
        self.check('scheme_eligibility')

        # saved: the criterion is linked to the data saved with it
        save(page)
        page.locator(FORM + ' .nav-tabs a').first.wait_for()
        wait_idle(page)
        scheme, = self.rpc('model.gru.scheme.search_read',
            [[('code', '=', code)], 0, None, None,
                ['id', 'reference_pattern', 'criteria', 'data_fields']])
        self.assertEqual(scheme['reference_pattern'],
            r'%s\-(?:19|20)[0-9]{2}\-[0-9]{5}' % code)
        self.assertEqual(len(scheme['criteria']), 2)
        linked = self.rpc('model.gru.scheme.criterion.read',
            [scheme['criteria'], ['name', 'data_key', 'data_field']])
        linked = {c['name']: c for c in linked}
        self.assertEqual(linked["Revenu modeste"]['data_key'],
            'revenu_fiscal_de_reference')
        self.assertIn(linked["Revenu modeste"]['data_field'],
            scheme['data_fields'])

        # the checklist: the referent task ticked from the data
        open_page(page, "Check-list de lancement")
        tasks = one2many(page, "Check-list de lancement")

        def task_states():
            "{task: (done, can be ticked by hand)}"
            return dict(tasks.locator('tbody tr').evaluate_all(
                    'rows => rows.map(r => [r.querySelectorAll("td")[3]'
                    '.innerText.trim(), Array.from(r.querySelectorAll('
                    '"input[type=checkbox]")).slice(-1).map('
                    'c => [c.checked, !c.disabled])[0]])'))
        states = task_states()
        self.assertEqual(
            states["Désigner l'instructeur référent et son suppléant"],
            [True, False])
        self.assertEqual(states["Créer la boîte mail du dispositif"],
            [False, False])
        self.assertEqual(states["Rédiger la FAQ et les éléments de "
                "langage"], [False, False])
        self.check('scheme_checklist')

        # the FAQ written ticks its task
        open_page(page, "FAQ et éléments de langage")
        one2many(page, "FAQ et éléments de langage").locator(
            'button[title="Nouveau"]').click()
        page.wait_for_selector(DIALOG + ' .form', timeout=30000)
        wait_idle(page)
        fill(page, 'question', "Qui peut en bénéficier ?", DIALOG)
        field(page, 'answer', DIALOG).fill(
            "Les apprentis de moins de 26 ans.")
        dialog_button(page, "Ajouter").click()
        page.wait_for_selector(DIALOG, state='detached', timeout=30000)
        save(page)
        wait_idle(page)
        # the mail administrator creates the mailbox of the scheme
        self.rpc('model.gru.mail.mailbox.create', [[{
                        'name': name, 'active': False,
                        'address': '%s@gru-demo.hautsdefrance.test'
                        % code.lower(),
                        'host': 'imap.gru-demo.test', 'login': code.lower(),
                        'password_ref': 'env:GRU_DEMO_IMAP_PASSWORD',
                        'scheme': scheme['id'],
                        }]])
        page.locator(TAB + ' button[title="Recharger/Annuler"]').click()
        wait_idle(page)
        open_page(page, "Check-list de lancement")
        states = task_states()
        self.assertEqual(states["Créer la boîte mail du dispositif"],
            [True, False])
        self.assertEqual(states["Rédiger la FAQ et les éléments de "
                "langage"], [True, False])
        # the others are ticked by hand
        for task, (done, manual) in states.items():
            if not done:
                self.assertTrue(manual, task)
                tasks.locator('tbody tr', has_text=task).locator(
                    'input[type=checkbox]').last.click()
                page.wait_for_timeout(300)
        save(page)
        self.assertTrue(all(d for d, _ in task_states().values()),
            task_states())
        self.assertEqual(
            field(page, 'checklist_progress').input_value(), '7 / 7')
        self.check('scheme_checklist_done')

        # open it
        page.locator(FORM + ' button', has_text="Ouvrir").first.click()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll("
            "'#tabcontent .form select[name=\"state\"]')).some("
            "e => e.options[e.selectedIndex].text == 'Ouvert')",
            timeout=30000)
        wait_idle(page)
        self.assertFits('scheme_open')
        self.assertEqual(self.errors, [])

        # an information officer qualifies a request with it
        officer = self.browser.new_page(
            viewport={'width': 1400, 'height': 900}, locale='fr-FR')
        self.addCleanup(officer.close)
        self.page = page = officer
        sao.login(page, self.server, *OFFICER)
        sao.open_menu(page, 'GRU', 'Boîte de réception', 'Mes demandes')
        wait_idle(page)
        row = page.locator(TAB + ' .treeview table tbody tr').first
        reference = re.search(r'GRU-\d{4}-\d{6}', row.inner_text()).group()
        row.dblclick()
        page.wait_for_selector(FORM, timeout=30000)
        wait_idle(page)
        pick_completion(page, 'scheme', code)
        self.assertEqual(field(page, 'scheme').input_value(),
            '[%s] %s' % (code, name))
        save(page)
        wait_idle(page)
        self.check('scheme_request_qualified')
        request, = self.rpc('model.gru.inbox.request.search_read',
            [[('reference', '=', reference)], 0, None, None, ['scheme']],
            login=OFFICER)
        self.assertEqual(request['scheme'], scheme['id'])

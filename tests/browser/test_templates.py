"""Browser test: the answer templates of the demo (#16 items 5 and 6): the
acknowledgements carry the legal mentions (SVE), their names tell their
scheme, and a click on the variable palette inserts a variable."""
import re

from tests.browser import sao
from tests.support import ADMIN

TAB = '#tabcontent .tab-pane.active'
FORM = TAB + ' .form'
# the schemes of the small demo (scripts/demo_data/40_scheme.py)
DEMO_SCHEMES = ['PPE', 'TRAJ', 'CHEN', 'RENO']
FRENCH_DATE = (r'(1er|[0-9]{1,2}) (janvier|février|mars|avril|mai|juin|'
    r'juillet|août|septembre|octobre|novembre|décembre) [0-9]{4}')


class TemplatesBrowserTestCase(sao.BrowserTestCase):

    def open_url(self, page, model, id_):
        "Open the form of the record through sao's URL routing"
        url = self.server.url + '#%s/model/%s/%d' % (
            self.server.database, model, id_)
        page.goto(url)
        password = page.locator(sao.PASSWORD_PROMPT)
        page.locator(FORM).or_(password).first.wait_for(timeout=60000)
        if sao.answer_password_prompt(page, ADMIN[1],
                'templates_password_%s_%d' % (model, id_)):
            # sao does not follow the route given before the password:
            # give it again
            page.goto(self.server.url + '#' + self.server.database)
            page.goto(url)
            page.wait_for_selector(FORM, timeout=60000)
        page.wait_for_timeout(1000)

    def test_demo_acknowledgements(self):
        """Every demo scheme has an acknowledgement named after it, and the
        acknowledgements queued by the mail gateway carry the mentions"""
        templates = self.search_read('gru.scheme.template',
            [('acknowledgement', '=', True)], ['rec_name', 'scheme'])
        # one per scheme of the small demo (the other browser tests of
        # the process, which share its server, may add schemes of their
        # own, without acknowledgement)
        schemes = self.search_read('gru.scheme',
            [('code', 'in', DEMO_SCHEMES)], ['id'])
        self.assertEqual(len(schemes), len(DEMO_SCHEMES))
        self.assertEqual(
            sorted(t['scheme'] for t in templates if t['scheme']
                and t['scheme'] in {s['id'] for s in schemes}),
            sorted(s['id'] for s in schemes))
        names = [t['rec_name'] for t in templates]
        self.assertEqual(len(set(names)), len(names), names)
        for name in names:
            self.assertRegex(name, r'^Accusé de réception — .+')
        found = self.search_read('gru.scheme.template',
            [('rec_name', 'ilike', '%permis pour%')], ['rec_name'])
        self.assertIn("Accusé de réception — Permis pour l'emploi",
            [t['rec_name'] for t in found])

        messages = self.search_read('gru.inbox.message',
            [('is_acknowledgement', '=', True)], ['body', 'request'])
        self.assertTrue(messages)
        for message in messages:
            body = message['body']
            self.assertRegex(body,
                r'Nous avons bien reçu le %s' % FRENCH_DATE)
            self.assertRegex(body, r'Courriel : \S+@\S+ - Téléphone : \S')
            self.assertRegex(body, r'Elle est instruite par : \S')
            self.assertRegex(body, r'(réputée (rejetée|acceptée)|'
                r"n'est pas susceptible)")
            self.assertIn("Voies et délais de recours : ", body)
            self.assertNotIn('${', body)

    def test_palette(self):
        """A click on a line of the palette inserts its variable in the
        body of the template, where the caret is"""
        page = self.page
        sao.login(page, self.server)
        template, = self.search_read('gru.scheme.template',
            [('acknowledgement', '=', True), ('scheme.code', '=', 'PPE')],
            ['id'])
        self.open_url(page, 'gru.scheme.template', template['id'])
        page.wait_for_selector(FORM + ' textarea[name="available_variables"]',
            timeout=30000)
        body = page.locator(FORM + ' textarea[name="body"]')
        palette = page.locator(FORM + ' textarea[name="available_variables"]')
        text = palette.input_value()
        for variable in ['${received_date_text}', '${service_phone}',
                '${silence_date}', '${appeal}']:
            self.assertIn(variable, text)
        self.assertIn("le téléphone du service chargé du dossier", text)
        before = body.input_value()
        # the caret at the start of the body, then a click on the line of
        # ${service_phone}, past its variable
        body.evaluate("(el) => {el.focus(); el.setSelectionRange(0, 0);}")
        palette.evaluate(
            "(el) => {const i = el.value.indexOf('${service_phone}:');"
            " el.focus(); el.setSelectionRange(i + 20, i + 20);"
            " el.dispatchEvent(new MouseEvent('click', {bubbles: true}));}")
        self.assertEqual(body.input_value(), '${service_phone}' + before)
        # sao took the new text: the record is modified and saves
        page.keyboard.press('Control+s')
        page.wait_for_timeout(1500)
        templates = self.search_read('gru.scheme.template',
            [('body', 'like', '${service_phone}%')], ['body'])
        self.assertEqual(len(templates), 1)
        self.assertTrue(re.match(r'^\$\{service_phone\}Bonjour',
                templates[0]['body']))
        sao.screenshot(page, 'template_palette')
        self.assertAccessible('template form', '#tabcontent')
        self.assertEqual(self.errors, [])

    def test_scheme_acknowledgement_tab(self):
        """The scheme form has a tab for the acknowledgement settings: the
        meaning and delay of the silence, the appeal, the service"""
        page = self.page
        sao.login(page, self.server)
        scheme, = self.search_read('gru.scheme', [('code', '=', 'RENO')],
            ['id'])
        self.open_url(page, 'gru.scheme', scheme['id'])
        page.wait_for_selector(FORM, timeout=30000)
        # the last page of the notebook (a form opened by its URL shows
        # its labels untranslated in sao 8.0: the text is not checked)
        page.locator(FORM + ' .nav-tabs a').last.click(timeout=30000)
        page.wait_for_selector(FORM + ' input[name="service_name"]',
            timeout=30000)
        self.assertEqual(
            page.locator(FORM + ' input[name="service_name"]:visible'
                ).first.input_value(),
            "Direction de la transition énergétique - service rénovation")
        self.assertEqual(
            page.locator(FORM + ' input[name="silence_delay"]:visible'
                ).first.input_value(),
            '3')
        self.assertTrue(page.locator(
                FORM + ' textarea[name="appeal"]').input_value())
        self.assertFits('scheme_acknowledgement')
        self.assertAccessible('scheme acknowledgement', '#tabcontent')
        self.assertEqual(self.errors, [])

"""Browser test: the agent email journey on one screen (#16). An
information officer opens an email request, reads the thread in place,
matches or creates the usager, qualifies the request (scheme, motive),
answers with a template from the reply box beside the thread and closes
the request; the answer reaches a real SMTP server."""
import email
import email.policy
import re

from tests.browser import sao
from tests.support import RPCClient

OFFICER = ('ci.amiens', 'demo-ci-amiens')
FORM = '#tabcontent .tab-pane.active .form'
# the variables the demo requests always fill
NEW_TEXT = ("Bonjour,\nJe voudrais savoir où en est la demande de transport "
    "scolaire de ma fille, déposée il y a trois semaines : elle entre au "
    "lycée d'Amiens lundi et nous n'avons reçu aucune carte.\n"
    "Merci d'avance,\nMaëlle Journet\n\n")
QUOTED = ("Le 12 nov. 2026 à 09:12, Région <transport@example.org> a "
    "écrit :\n> Madame,\n> votre demande est bien enregistrée sous le "
    "numéro TS-4242.\n")
FILLED = {'reference', 'subject', 'usager', 'usager_name', 'name',
    'received_date', 'scheme', 'scheme_code', 'antenna', 'agent', 'date'}


def normalize(text):
    return re.sub(r'\s+', ' ', text or '').strip()


def state_shown(page, label):
    "Wait until a selection of the form shows label (the request's state)"
    page.wait_for_function(
        "(label) => Array.from(document.querySelectorAll("
        "'#tabcontent .tab-pane.active .form select')).some("
        "e => e.selectedIndex >= 0 "
        "&& e.options[e.selectedIndex].text == label)",
        arg=label, timeout=30000)


class AgentJourneyTestCase(sao.BrowserTestCase):

    def button(self, label, scope=FORM):
        return self.page.locator(scope + ' button', has_text=label).first

    def field(self, name):
        return self.page.locator(
            FORM + ' [name="%s"]' % name).first

    def set_many2one(self, name, text, typed=None):
        """Type typed (the last part of text) in the many2one field name
        and pick the record text proposed by sao's completion, as a user
        does"""
        page = self.page
        entry = self.field(name)
        entry.click()
        page.wait_for_timeout(300)
        # the last part of the name: the completion searches it
        entry.press_sequentially(
            (typed or text.split(' / ')[-1])[:20], delay=20)
        item = page.locator(FORM + ' .dropdown-menu a', has_text=text).first
        item.wait_for(timeout=30000)
        item.click()
        page.wait_for_function(
            "([selector, text]) => {"
            " const e = document.querySelector(selector);"
            " return e && e.value && e.value.includes(text); }",
            arg=[FORM + ' input[name="%s"]' % name, text], timeout=30000)

    def new_email_request(self):
        """Return the id and reference of a new email request of Amiens
        assigned to the officer, its mail holding a reply history, and
        the new text of the mail: created by the admin as the mail
        gateway would (the demo's own new mails are the other journeys')"""
        admin = RPCClient(self.server, 'admin', 'gru-admin')
        officer, = admin.model('res.user', 'search',
            [('login', '=', OFFICER[0])], 0, 1, None)
        antenna, = admin.model('gru.antenna', 'search',
            [('code', '=', 'AMI')], 0, 1, None)
        request_id, = admin.model('gru.inbox.request', 'create', [{
                    'channel': 'email',
                    'subject': "Transport scolaire de ma fille",
                    'contact_name': "Maëlle Journet",
                    'contact_email': 'maelle.journet@example.org',
                    'contact_postal_code': '80000',
                    'antenna': antenna,
                    'assignee': officer,
                    'messages': [('create', [{
                                    'direction': 'in',
                                    'channel': 'email',
                                    'from_address':
                                    'maelle.journet@example.org',
                                    'subject':
                                    "Re: Transport scolaire de ma fille",
                                    'body': NEW_TEXT + QUOTED,
                                    }, {
                                    'direction': 'note',
                                    'channel': 'other',
                                    'body': "Dossier TS vérifié : la carte "
                                    "part cette semaine.",
                                    }])],
                    }])
        reference, = admin.model('gru.inbox.request', 'read',
            [request_id], ['reference'])
        return request_id, reference['reference']

    def pick_template(self, client, scheme_id):
        "Return the name of an email template the request fills entirely"
        templates = client.model('gru.scheme.template', 'search_read', [
                ('kind', '=', 'email'),
                ['OR', ('scheme', '=', scheme_id), ('scheme', '=', None)],
                ], 0, None, None, ['name', 'subject', 'body'])
        for template in templates:
            names = set(re.findall(r'\$\{(\w+)\}', '%s %s' % (
                        template['subject'] or '', template['body'] or '')))
            if names <= FILLED and names and template['body']:
                return template
        self.fail("no email template of the scheme: %s" % templates)

    def test_email_journey(self):
        "Open, read the thread, match the usager, qualify, answer, close"
        page = self.page
        client = RPCClient(self.server, *OFFICER)
        request_id, reference = self.new_email_request()
        request = {'id': request_id, 'party': None, 'scheme': None}
        body = normalize(NEW_TEXT)
        sao.login(page, self.server, *OFFICER)
        sao.open_menu(page, 'GRU', 'Boîte de réception', 'Mes demandes')
        # the request opened as a link to it does (e.g. those of the
        # usager panel)
        page.evaluate('id => Sao.Tab.create({model: "gru.inbox.request",'
            ' res_id: id, mode: ["form", "tree"]})', request['id'])
        page.wait_for_selector(FORM + ' .gru-thread', timeout=60000)
        page.wait_for_timeout(1000)

        # the thread is read in place: the body beyond its first 40
        # characters is shown, in the form, without a pop-up
        thread = page.locator(FORM + ' .gru-thread').first
        self.assertTrue(thread.is_visible())
        shown = normalize(thread.inner_text())
        self.assertIn(body[40:80], shown)
        self.assertIn(reference, sao.input_values(page))
        panel = page.locator(FORM + ' .gru-usager').first
        self.assertTrue(panel.is_visible())
        # the quoted history is folded, unfolded on demand
        quote = page.locator(FORM + ' .gru-thread details.gru-quote').first
        self.assertIn("Historique cité", quote.inner_text())
        self.assertFalse(page.get_by_text("TS-4242").first.is_visible())
        quote.locator('summary').click()
        self.assertTrue(page.get_by_text("TS-4242").first.is_visible())

        # the order switched is kept for the agent
        first = FORM + ' .gru-thread .gru-message:first-child header'
        oldest = page.locator(first).first.inner_text()
        self.button("Récents / anciens en premier").click()
        page.wait_for_function(
            "([selector, text]) => { const e = document.querySelector("
            "selector); return e && e.innerText != text; }",
            arg=[first, oldest], timeout=30000)
        self.assertEqual(client.model('res.user', 'get_preferences', False)
            ['conversation_order'], 'newest')
        self.button("Récents / anciens en premier").click()
        page.wait_for_function(
            "([selector, text]) => { const e = document.querySelector("
            "selector); return e && e.innerText == text; }",
            arg=[first, oldest], timeout=30000)
        self.assertFits('agent_journey_1_thread')
        self.assertAccessible('conversation', FORM + ' .form-gru-html')
        self.assertAccessible('request form', '#tabcontent')

        # the usager: matched at intake, or created from the mail
        if not request['party']:
            self.button("Créer l'usager").click()
            page.wait_for_function(
                "(selector) => { const e = document.querySelector(selector);"
                " return e && e.value; }",
                arg=FORM + ' input[name="party"]', timeout=30000)
        party = client.model('gru.inbox.request', 'read', [request['id']],
            ['party'])[0]['party']
        self.assertTrue(party)
        page.wait_for_timeout(1000)
        self.assertIn("Autres demandes",
            normalize(panel.inner_text()))

        # qualify: a scheme and a motive, then the Qualify button
        schemes = client.model('gru.scheme', 'search_read',
            [('state', '=', 'open')] if request['scheme'] is None else
            [('id', '=', request['scheme'])], 0, 20, None,
            ['rec_name', 'name'])
        self.assertTrue(schemes)
        scheme = None
        for candidate in schemes:
            try:
                template = self.pick_template(client, candidate['id'])
            except AssertionError:
                continue
            scheme = candidate
            break
        self.assertTrue(scheme, "no scheme with a usable email template")
        if request['scheme'] != scheme['id']:
            self.set_many2one('scheme', scheme['rec_name'], scheme['name'])
        motive, = client.model('gru.inbox.motive', 'search_read',
            [('parent', '!=', None)], 0, 1, None, ['rec_name'])
        self.set_many2one('motive', motive['rec_name'])
        self.assertFits('agent_journey_2_qualify')
        self.button("Qualifier").click()
        state_shown(page, "Qualifiée")

        # answer from the reply box beside the thread, with a template
        self.set_many2one('draft_template', template['name'],
            template['name'])
        page.wait_for_function(
            "(selector) => { const e = document.querySelector(selector);"
            " return e && e.value && !e.value.includes('${'); }",
            arg=FORM + ' textarea[name="draft_body"]', timeout=30000)
        answer = self.field('draft_body').input_value()
        self.assertTrue(answer)
        self.field('draft_channel').select_option(label="Courriel")
        self.assertFits('agent_journey_3_reply')
        sent_before = len(self.server.smtp.messages)
        self.button("Envoyer la réponse").click()
        state_shown(page, "Répondue")
        page.wait_for_function(
            "(selector) => { const e = document.querySelector(selector);"
            " return e && !e.value; }",
            arg=FORM + ' textarea[name="draft_body"]', timeout=30000)
        # the answer is in the thread and reached the SMTP server
        first_line = normalize(answer.splitlines()[0])
        page.wait_for_function(
            "([selector, text]) => Array.from(document.querySelectorAll("
            "selector)).some(e => e.innerText.replace(/\\s+/g, ' ')"
            ".includes(text))",
            arg=[FORM + ' .gru-message.gru-out', first_line],
            timeout=30000)
        mails = self.server.smtp.messages[sent_before:]
        bodies = [normalize(email.message_from_bytes(
                    data, policy=email.policy.default).get_body(
                    ('plain',)).get_content())
            for _, _, data in mails]
        self.assertTrue(any(normalize(answer)[:60] in b for b in bodies),
            bodies)
        self.assertFits('agent_journey_4_answered')

        # close it
        self.button("Clôturer la demande").click()
        state_shown(page, "Fermée")
        state = client.model('gru.inbox.request', 'read', [request['id']],
            ['state'])[0]['state']
        self.assertEqual(state, 'closed')
        self.assertFits('agent_journey_5_closed')
        self.assertEqual(self.errors, [])

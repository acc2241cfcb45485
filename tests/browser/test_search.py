"""Browser test: the one search box of the agents (the header search of
sao) and the lists they work from, at 1400 x 900 with the menu open."""
import re

from tests.browser import sao
from tests.support import RPCClient

OFFICER = ('ci.amiens', 'demo-ci-amiens')
LIST = '#tabcontent .tab-pane.active .treeview'
RESULTS = '#global-search .dropdown-completion .global-search-text'


def rpc(server, login, password, calls):
    """Log in as login and return the results of calls, a list of
    (method, params) run with the user's preferences as context"""
    client = RPCClient(server, login, password)
    return [client(method, params + [client.context])
        for method, params in calls]


def list_widths(page):
    """Return (scrollWidth, clientWidth) of the list of the active tab: the
    list scrolls sideways inside the tab when the first is larger"""
    return page.locator(LIST).first.evaluate(
        'e => [e.scrollWidth, e.clientWidth]')


class SearchBrowserTestCase(sao.BrowserTestCase):

    def usager_with_request(self):
        """Return (email, usager name, references of the usager's requests)
        of a usager of the officer's requests known by an email"""
        mechanisms, = rpc(self.server, *OFFICER, [
                ('model.party.contact_mechanism.search_read', [
                        [('type', '=', 'email'),
                            ('party.is_person', '=', True)],
                        0, None, None, ['value', 'party', 'party.name']])])
        by_party = {m['party']: m for m in mechanisms}
        requests, = rpc(self.server, *OFFICER, [
                ('model.gru.inbox.request.search_read', [
                        [('party', 'in', list(by_party))],
                        0, None, None, ['reference', 'party']])])
        self.assertTrue(requests, "no request of a usager with an email")
        party = requests[0]['party']
        mechanism = by_party[party]
        references = [r['reference'] for r in requests
            if r['party'] == party]
        return mechanism['value'], mechanism['party.']['name'], references

    def test_header_search(self):
        "The officer types a usager's email in the header search"
        page = self.page
        email, name, references = self.usager_with_request()
        sao.login(page, self.server, *OFFICER)
        entry = page.locator('#global-search-entry')
        entry.click()
        entry.type(email.upper(), delay=20)
        page.wait_for_function(
            "([selector, references]) => {"
            " const texts = Array.from(document.querySelectorAll(selector),"
            "  e => e.textContent);"
            " return references.every(r => texts.some("
            "  t => t.startsWith(r))); }",
            arg=[RESULTS, references], timeout=60000)
        results = page.locator(RESULTS).all_inner_texts()
        # the requests of the usager, with the usager's name
        for reference in references:
            found = [r for r in results if r.startswith(reference)]
            self.assertEqual(len(found), 1, (reference, results))
            self.assertIn(name, found[0])
        # the usager, told apart by the town or birth year or the email
        usagers = [r for r in results if r.startswith(name + ' (')]
        self.assertTrue(usagers, results)
        # the results do not widen the page
        sao.screenshot(page, 'search_header_results')
        self.assertLessEqual(*page.evaluate(
                '() => [document.documentElement.scrollWidth,'
                ' document.documentElement.clientWidth]'))
        self.assertAccessible('search_header_results', '#global-search')

        # open the first request from the results
        page.locator(RESULTS, has_text=references[0]).first.click()
        page.wait_for_selector('#tabcontent .form', timeout=30000)
        page.wait_for_function(
            "(reference) => Array.from(document.querySelectorAll("
            "'#tabcontent .tab-pane.active .form input')).some("
            "e => e.value == reference)", arg=references[0], timeout=30000)
        self.assertFits('search_request_opened')
        self.assertEqual(self.errors, [])

    def test_search_by_phone(self):
        "A phone number typed in another format finds the usager"
        page = self.page
        mechanisms, = rpc(self.server, *OFFICER, [
                ('model.party.contact_mechanism.search_read', [
                        [('type', 'in', ['phone', 'mobile']),
                            ('party.is_person', '=', True),
                            ('value_key', 'like', '+33%')],
                        0, 1, None, ['value', 'value_key', 'party.name']])])
        self.assertTrue(mechanisms)
        mechanism = mechanisms[0]
        # 06 12 34 56 78 stored, 0612345678 typed (or the other way round)
        national = '0' + mechanism['value_key'][3:]
        typed = (national if ' ' in mechanism['value']
            else ' '.join(re.findall('..', national)))
        sao.login(page, self.server, *OFFICER)
        entry = page.locator('#global-search-entry')
        entry.click()
        entry.type(typed, delay=20)
        name = mechanism['party.']['name']
        page.locator(RESULTS, has_text=name).first.wait_for(timeout=60000)
        self.assertEqual(self.errors, [])

    def test_lists_fit(self):
        """The requests and articles lists fit 1400 px with the menu open;
        state and due date are seen"""
        page = self.page
        sao.login(page, self.server, *OFFICER)
        sao.open_menu(page, 'GRU', 'Boîte de réception', 'Mes demandes')
        page.locator('#tabcontent .tab-pane.active .nav-tabs a',
            has_text="Toutes").click()
        page.wait_for_selector(LIST + ' table tbody tr', timeout=60000)
        page.wait_for_timeout(500)
        headers = page.locator(LIST + ' thead th').evaluate_all(
            'els => els.filter(e => e.offsetParent !== null'
            ' && e.getBoundingClientRect().right <= window.innerWidth)'
            '.map(e => e.innerText.trim())')
        for label in ["Référence", "Reçue le", "Canal", "Objet", "Usager",
                "État", "Échéance"]:
            self.assertIn(label, headers)
        self.assertFits('list_my_requests')
        self.assertLessEqual(*list_widths(page))
        # the colour follows the due date shown: red rows are past it
        rows = page.locator(LIST + ' table tbody tr').evaluate_all(
            'rows => rows.map(r => r.className)')
        self.assertTrue(rows)
        self.assertLess(
            len([r for r in rows if 'danger' in r.split()]), len(rows))

        sao.open_menu(page, 'GRU', 'Base de connaissances', 'Articles')
        page.wait_for_timeout(500)
        page.wait_for_selector(LIST + ' table tbody tr', timeout=60000)
        self.assertFits('list_knowledge_articles')
        self.assertLessEqual(*list_widths(page))
        self.assertEqual(self.errors, [])

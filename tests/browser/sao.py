"""Drive the sao web client in headless Debian Chromium with Playwright."""
import os
import re
import unittest

from gru_base.tests.tools import external_skip

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
SCREENSHOTS = os.path.join(ROOT, 'var', 'screenshots')
CHROMIUM = os.environ.get('GRU_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-dev-shm-usage',
    ]


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def login(page, server, login='admin', password='gru-admin'):
    """Open sao on the server's database and log in, once the list of
    databases is there: on PostgreSQL it takes seconds when the server has
    many databases and a login submitted before it hangs"""
    page.goto(server.url + '#' + server.database)
    page.wait_for_selector('#login', timeout=30000)
    # sao shows the list of the databases, or an entry when the server
    # does not list them
    page.wait_for_function(
        "(name) => {"
        " const select = document.querySelector('select#database');"
        " const entry = document.querySelector('input#database');"
        " return (select && select.offsetParent !== null"
        " && Array.from(select.options).some(o => o.value == name))"
        " || (entry && entry.offsetParent !== null); }",
        arg=server.database, timeout=60000)
    if page.locator('select#database').is_visible():
        page.select_option('select#database', server.database)
    page.fill('#login', login)
    page.click('button[type=submit]')
    page.wait_for_selector('input[type=password]', timeout=30000)
    page.fill('input[type=password]', password)
    page.keyboard.press('Enter')
    # the menu is there when the user is logged in
    page.wait_for_selector('#menu', timeout=60000)
    # and the preferences (the context with the user's language) are
    # loaded a little later: a form opened before is shown untranslated
    page.wait_for_function(
        "() => { const s = Sao.Session.current_session;"
        " return s && s.context && s.context.language; }",
        timeout=60000)


PASSWORD_PROMPT = '.modal-dialog input[type=password]'


def answer_password_prompt(page, password, name):
    """When sao asks the password again (it does when the server refused
    the session: seen on the shared demo server of the PostgreSQL run, the
    cause not found), type it as the user does, keep a screenshot as
    var/screenshots/<name>.png and return True; else return False"""
    prompt = page.locator(PASSWORD_PROMPT)
    if not prompt.is_visible():
        return False
    screenshot(page, name)
    prompt.fill(password)
    page.keyboard.press('Enter')
    prompt.wait_for(state='hidden', timeout=30000)
    return True


def open_menu(page, *labels, rows=True):
    """Open a menu entry by the labels of its path, as a user clicks it:
    expand each parent not yet expanded, then activate the leaf and wait
    for its tab; and for the rows of its list unless rows is false (its
    first tab may be empty)"""
    tabs = page.locator('#tabcontent .tab-pane').count()
    for i, label in enumerate(labels):
        selector = 'div.column-char[title="%s"]' % label
        page.locator('#menu ' + selector).first.wait_for(timeout=30000)
        row = page.locator(
            '#menu tbody tr', has=page.locator(selector)).first
        if i < len(labels) - 1:
            child = page.locator(
                '#menu div.column-char[title="%s"]' % labels[i + 1]).first
            if not child.is_visible():
                row.locator('.expander').first.click()
        else:
            # a click on a leaf opens it (sao's menu switches the row on
            # click): a double click opened the screen two or three times
            row.locator(selector).click()
    page.wait_for_function(
        "(tabs) => document.querySelectorAll('#tabcontent .tab-pane')"
        ".length > tabs", arg=tabs, timeout=60000)
    if rows:
        page.wait_for_selector(
            '#tabcontent .tab-pane.active .treeview table tbody tr',
            timeout=60000)


def open_model(page, server, model):
    "Open the list of model through sao's URL routing"
    page.goto(server.url + '#%s/model/%s' % (server.database, model))
    page.wait_for_selector('.treeview table tbody tr', timeout=60000)


def screenshot(page, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.join(SCREENSHOTS, name + '.png')
    page.screenshot(path=path, full_page=False)
    return path


def form_widths(page):
    """Return (scrollWidth, clientWidth) of the active tab's content: a
    scroll width over the client width means the user scrolls sideways"""
    return page.locator(
        '#tabcontent .tab-pane.active .content-box').first.evaluate(
        'e => [e.scrollWidth, e.clientWidth]')


def visible_text(page):
    return re.sub(r'\s+', ' ', page.inner_text('body'))


def input_values(page):
    "Return the values of the visible inputs and text areas of the page"
    return page.locator('#tabcontent input, #tabcontent textarea'
        ).evaluate_all('els => els.map(e => e.value)')


AXE = os.path.join(ROOT, 'var', 'npm', 'node_modules', 'axe-core',
    'axe.min.js')
# the WCAG 2 A rules: the level the RGAA requires of public services' web
# applications, checked by axe-core (installed by scripts/setup --test)
AXE_TAGS = ['wcag2a']


def _axe_run(page, scope):
    "Return axe-core's violations of the WCAG 2 A rules in scope"
    if not os.path.exists(AXE):
        raise RuntimeError(
            "axe-core is missing (%s): run scripts/setup --test" % AXE)
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=AXE)
    return page.evaluate(
        "async ([scope, tags]) => (await axe.run("
        "(scope && document.querySelector(scope)) || document,"
        " {runOnly: tags})).violations"
        ".map(v => ({id: v.id, nodes: v.nodes.map(n => ({"
        " target: n.target.join(' '), html: n.html,"
        " summary: n.failureSummary}))}))",
        [scope, AXE_TAGS])


def accessibility_violations(page, scope=None):
    """Return the 'rule: nodes' of the axe-core violations of the WCAG 2 A
    rules in the element of the CSS selector scope (the page if None)"""
    return ['%s: %d' % (v['id'], len(v['nodes']))
        for v in _axe_run(page, scope)]


def accessibility_details(page, scope=None, limit=300):
    """Return a text naming, per violated rule, each failing element: its
    CSS selector (axe's target) and the start of its HTML, so a failure
    says which element to fix"""
    lines = []
    for violation in _axe_run(page, scope):
        lines.append('%s (%d):' % (violation['id'],
                len(violation['nodes'])))
        for node in violation['nodes']:
            html = re.sub(r'\s+', ' ', node['html'])
            if len(html) > limit:
                html = html[:limit] + '...'
            lines.append('  %s\n    %s' % (node['target'], html))
    return '\n'.join(lines)


class BrowserTestCase(unittest.TestCase):
    """A test case with the demo server (scripts/demo --small) and a
    Chromium shared by its tests; each test has a fresh French page in
    self.page, the page's JavaScript errors in self.errors"""

    @classmethod
    def setUpClass(cls):
        skip = external_skip('the browser tests', 'GRU_BROWSER_TESTS')
        if skip:
            raise unittest.SkipTest(skip)
        from playwright.sync_api import sync_playwright

        from tests.support import demo_server
        cls.server = demo_server()
        cls.playwright = sync_playwright().start()
        cls.addClassCleanup(cls.playwright.stop)
        cls.browser = launch(cls.playwright)
        cls.addClassCleanup(cls.browser.close)

    def setUp(self):
        self.page = self.browser.new_page(
            viewport={'width': 1400, 'height': 900}, locale='fr-FR')
        self.addCleanup(self.page.close)
        # the suite runs beside another test process on two cores: give
        # sao twice Playwright's default 30 s before a wait fails
        self.page.set_default_timeout(60000)
        self.errors = []
        self.page.on('pageerror', lambda error: self.errors.append(error))
        self._clients = {}

    def client(self, login='admin', password='gru-admin'):
        """Return a JSON-RPC client of the demo server logged in as login,
        with his preferences as context, kept for the test"""
        from tests.support import RPCClient
        if login not in self._clients:
            self._clients[login] = RPCClient(self.server, login, password)
        return self._clients[login]

    def search_read(self, model, domain, fields, login='admin',
            password='gru-admin'):
        "Return search_read of model over JSON-RPC as login"
        return self.client(login, password).model(
            model, 'search_read', domain, 0, None, None, fields)

    def assertAccessible(self, name, scope=None):
        "Check with axe-core the WCAG 2 A rules in scope of the page"
        violations = accessibility_violations(self.page, scope)
        self.assertEqual(violations, [], violations and '%s:\n%s' % (
                name, accessibility_details(self.page, scope)))

    def assertFits(self, name):
        """Keep a screenshot of the page as var/screenshots/<name>.png (a
        test artefact) and check that the active tab does not scroll
        sideways at the test's 1400 x 900 (the menu open)"""
        screenshot(self.page, name)
        scroll, client = form_widths(self.page)
        self.assertLessEqual(scroll, client,
            '%s scrolls sideways: %d px in %d px (var/screenshots/%s.png)'
            % (name, scroll, client, name))
        # a list scrolls in a frame of its own, which the tab does not see
        for scroll, client in self.page.locator(
                '#tabcontent .tab-pane.active .treeview:visible'
                ).evaluate_all(
                'els => els.map(e => [e.scrollWidth, e.clientWidth])'):
            self.assertLessEqual(scroll, client,
                '%s: a list scrolls sideways: %d px in %d px '
                '(var/screenshots/%s.png)' % (name, scroll, client, name))

"""Browser test: the dashboards of the roles in sao (GRU > Dashboards).

The DARRU supervisor (the direction's reach: every antenna) opens the
director's dashboard, a row per antenna with the experiment's time shares,
the contacts per FTE and the equity alert, the share of the requests within
their SLA and the calls answered, then the equity board and the volumes
board, their graphs drawn. The manager of Saint-Quentin and Laon opens his: the
scorecard shows his two antennas only, the graphs are drawn. Over JSON-RPC
as the demo users, each board's panels read as their role and refused to
an officer. Each screen fits 1,400 x 900 with the menu open, in French,
and passes the WCAG A checks."""
import base64
import json
import re
import urllib.request

from tests.browser import sao

SUPERVISOR = ('superviseur', 'demo-superviseur')
MANAGER = ('resp.stquentin', 'demo-resp-stq')
OFFICER = ('ci.amiens', 'demo-ci-amiens')
TAB = '#tabcontent .tab-pane.active'
DASHBOARDS = "Tableaux de bord"


def wait_panels(page, rows=1):
    """Wait until each panel of the board shows its list with rows filled
    (a row is first drawn empty, then filled) or its graph drawn with
    figures"""
    page.wait_for_function(
        "(rows) => { const pane = document.querySelector("
        "'#tabcontent .tab-pane.active');"
        " const panels = pane ? pane.querySelectorAll('.board-action') : [];"
        " if (!panels.length) { return false; }"
        " for (const panel of panels) {"
        "  const list = panel.querySelector('.treeview');"
        "  const graph = panel.querySelector('.graph');"
        "  if (list) {"
        "   const cells = list.querySelectorAll("
        "    'tbody tr td .column-many2one, tbody tr td .column-char');"
        "   if (Array.from(cells).filter(c => c.innerText.trim()).length"
        "    < rows) { return false; }"
        "  } else if (graph) {"
        "   if (typeof bb === 'undefined') { return false; }"
        "   const charts = bb.instance.filter("
        "    c => graph.contains(c.$.chart.node()));"
        "   const chart = charts[charts.length - 1];"
        "   if (!chart || !chart.data().some("
        "    d => d.values.some(v => v.value))) { return false; }"
        "  } else { return false; } }"
        " return true; }", arg=rows, timeout=90000)
    page.wait_for_timeout(500)


def panel_rows(page, title):
    "Return the texts of the rows of the list of the panel titled title"
    panel = page.locator(TAB + ' .board-action', has=page.locator(
            '.panel-heading', has_text=title)).first
    return [re.sub(r'\s+', ' ', t).strip() for t in panel.locator(
            '.treeview tbody tr').all_inner_texts()]


class DashboardsBrowserTestCase(sao.BrowserTestCase):
    "Test the dashboards of the roles in sao"

    def assertBoardFits(self, name):
        """Keep a screenshot (scrolled to the top) and check that the board
        lies within the 1,400 px of the screen (its tab does not scroll
        sideways: the client's frame hides what would pass) and that none
        of its lists scrolls sideways"""
        self.page.evaluate("() => { window.scrollTo(0, 0);"
            " document.querySelectorAll('#tabcontent *').forEach("
            "e => { e.scrollTop = 0; }); }")
        sao.screenshot(self.page, name)
        box = self.page.locator(TAB + ' .board').bounding_box()
        # the board starts under the tab's title, within the screen
        self.assertLess(box['y'], 200, name)
        self.assertLessEqual(box['x'] + box['width'], 1400,
            '%s: the board passes the screen (var/screenshots/%s.png)'
            % (name, name))
        for scroll, client in self.page.locator(
                TAB + ' .board-action .treeview').evaluate_all(
                'els => els.map(e => [e.scrollWidth, e.clientWidth])'):
            self.assertLessEqual(scroll, client,
                '%s: a list scrolls sideways: %d px in %d px '
                '(var/screenshots/%s.png)' % (name, scroll, client, name))

    def open_board(self, label, rows=1):
        page = self.page
        sao.open_menu(page, 'GRU', DASHBOARDS, label, rows=False)
        try:
            wait_panels(page, rows)
        except Exception:
            sao.screenshot(page, 'dashboards-failure')
            raise

    def test_director(self):
        """The director sees every antenna's experiment, equity and service
        figures, then the equity and trends graphs"""
        page = self.page
        sao.login(page, self.server, *SUPERVISOR)
        self.open_board("Tableau de bord de la direction", rows=10)
        text = sao.visible_text(page)
        for label in ["Les antennes sur les 13 dernières semaines",
                "Antenne", "Tél. %", "Accueil %", "Contacts/ETP", "Alerte",
                "Délais %", "Ouvertes", "Répondus %", "Abandons %"]:
            self.assertIn(label, text)
        rows = panel_rows(page, "Les antennes")
        # a row per antenna of the demo, the planned Bassin minier
        # (receiving requests) included
        self.assertGreaterEqual(len(rows), 15, rows)
        for name in ["Antenne d'Amiens", "Antenne de Laon",
                "Antenne du Bassin minier"]:
            self.assertTrue([r for r in rows if name in r], (name, rows))
        self.assertBoardFits('dashboard-director')
        self.assertAccessible('dashboard-director', TAB)

        self.open_board("Direction : équité")
        text = sao.visible_text(page)
        for label in ["Contacts par ETP agent (13 semaines)",
                "Indice d'équité par mois (6 mois)", "Gini", "Alertes",
                "Antenne du Bassin minier"]:
            self.assertIn(label, text)
        self.assertEqual(page.locator(
                TAB + ' .board-action .graph svg').count(), 1)
        self.assertEqual(len(panel_rows(page, "Indice d'équité")), 6)
        self.assertBoardFits('dashboard-director-equity')
        self.assertAccessible('dashboard-director-equity', TAB)

        self.open_board("Direction : volumes et stock")
        text = sao.visible_text(page)
        for label in ["Demandes par mois et canal (6 mois)",
                "Demandes ouvertes par ancienneté", "Téléphone", "Courriel",
                "Ouvertes > 30 jours"]:
            self.assertIn(label, text)
        self.assertEqual(page.locator(
                TAB + ' .board-action .graph svg').count(), 2)
        self.assertBoardFits('dashboard-director-volumes')
        self.assertAccessible('dashboard-director-volumes', TAB)
        self.assertEqual(self.errors, [])

    def test_antenna_manager(self):
        """The manager of Saint-Quentin and Laon sees his two antennas and
        their graphs"""
        page = self.page
        sao.login(page, self.server, *MANAGER)
        self.open_board("Tableau de bord du responsable d'antenne")
        text = sao.visible_text(page)
        for label in ["Demandes ouvertes par ancienneté",
                "Contacts et fréquentation par semaine (8 semaines)",
                "Ouvertes < 2 jours", "Contacts téléphoniques", "Visites",
                "Permanences tenues"]:
            self.assertIn(label, text)
        rows = panel_rows(page, "Les antennes")
        self.assertEqual(len(rows), 2, rows)
        self.assertTrue(rows[0].startswith("Antenne de Laon"), rows)
        self.assertTrue(rows[1].startswith("Antenne de Saint-Quentin"),
            rows)
        self.assertEqual(page.locator(
                TAB + ' .board-action .graph svg').count(), 2)
        self.assertBoardFits('dashboard-manager')
        self.assertAccessible('dashboard-manager', TAB)
        self.assertEqual(self.errors, [])


class DashboardsRPCTestCase(sao.BrowserTestCase):
    """Read the panels of each board over JSON-RPC as the demo users, as
    sao does: the role reads them, an officer is refused the steering
    figures"""

    def rpc(self, session, method, params):
        headers = {'Content-Type': 'application/json'}
        if session:
            headers['Authorization'] = 'Session ' + session
        request = urllib.request.Request(
            self.server.url + self.server.database + '/rpc/',
            data=json.dumps({'id': 1, 'method': method,
                    'params': params}).encode(),
            headers=headers, method='POST')
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    def login(self, login, password):
        result = self.rpc(None, 'common.db.login',
            [login, {'password': password}, 'fr'])['result']
        session = base64.b64encode(('%s:%s:%s' % (
                    login, result[0], result[1])).encode()).decode()
        context = self.rpc(session, 'model.res.user.get_preferences',
            [True, {}])['result']
        return session, context

    def panels(self, session, context, board):
        "Return the actions of the board's panels"
        action = self.rpc(session, 'model.ir.action.act_window.get',
            ['gru_steering.act_dashboard_' + board, context])['result']
        (view_id, view_type), = action['views']
        self.assertEqual(view_type, 'board')
        arch = self.rpc(session, 'model.ir.ui.view.view_get',
            [view_id, context])['result']['arch']
        names = re.findall(r'<action name="([^"]+)"', arch)
        self.assertTrue(names)
        return [self.rpc(session, 'model.ir.action.act_window.get',
                [n, context])['result'] for n in names]

    def count(self, session, context, panel):
        "Return the rows of the panel's model or the error answered"
        panel_context = dict(context)
        # the contexts of the steering panels are plain values (Date()
        # aside, which the test leaves to the models' defaults)
        if 'Date' not in panel['pyson_context']:
            panel_context.update(json.loads(panel['pyson_context'] or '{}'))
        answer = self.rpc(session, 'model.%s.search_count' % (
                panel['res_model']), [[], panel_context])
        return answer.get('result'), answer.get('error')

    def test_reach(self):
        "The role reads its panels, an officer not the steering figures"
        director = self.login(*SUPERVISOR)
        manager = self.login(*MANAGER)
        officer = self.login(*OFFICER)
        for board, user in [('director', director), ('manager', manager),
                ('director_trends', director),
                ('director_volumes', director)]:
            for panel in self.panels(*user, board):
                count, error = self.count(*user, panel)
                self.assertIsNone(error, (board, panel['name']))
                self.assertGreater(count, 0, (board, panel['name']))
                count, error = self.count(*officer, panel)
                self.assertIsNotNone(error, (board, panel['name']))
                self.assertIn('UserError', str(error))
        # the scorecard of a manager: his antennas only
        session, context = manager
        rows = self.rpc(session,
            'model.gru.steering.dashboard.antenna.search_read',
            [[], 0, None, None, ['antenna_name', 'calls'], context]
            )['result']
        self.assertEqual(sorted(r['antenna_name'] for r in rows),
            ["Antenne de Laon", "Antenne de Saint-Quentin"])
        # the officer's board: his panels read
        for panel in self.panels(*officer, 'officer'):
            count, error = self.count(*officer, panel)
            self.assertIsNone(error, panel['name'])

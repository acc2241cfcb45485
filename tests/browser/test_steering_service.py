"""Browser test: the DARRU supervisor opens the service levels of the calls,
the backlog of the requests by age and the equity between the antennas in
sao (GRU > Steering), with the period form above: the screens show the
antennas of the demo with their figures in French, fit the screen and the
lists pass the WCAG A checks."""
import os

import polib

from tests.browser import sao
from tests.browser.test_volumes import wait_graph

SUPERVISOR = ('superviseur', 'demo-superviseur')
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))


def _steering_fr():
    po = polib.pofile(os.path.join(
            ROOT, 'addons', 'gru_steering', 'locale', 'fr.po'))
    for entry in po:
        if entry.msgctxt == 'model:ir.ui.menu,name:menu_steering':
            return entry.msgstr or entry.msgid
    return "Steering"


STEERING_FR = _steering_fr()


def steering_label(page):
    """The name the menu shows for Steering: its French translation, or
    the English name while it has none"""
    names = [STEERING_FR, "Steering"]
    selector = ', '.join('#menu div.column-char[title="%s"]' % n
        for n in names)
    if not page.locator(selector).first.is_visible():
        page.locator('#menu tbody tr', has=page.locator(
                'div.column-char[title="GRU"]')).first.locator(
            '.expander').first.click()
    page.locator(selector).first.wait_for(timeout=30000)
    return page.locator(selector).first.get_attribute('title')


class SteeringServiceBrowserTestCase(sao.BrowserTestCase):
    "Test the service levels and equity screens in sao"

    def test_calls_and_equity(self):
        "The supervisor reads the call service levels and the equity"
        page = self.page
        sao.login(page, self.server, *SUPERVISOR)
        try:
            steering = steering_label(page)
        except Exception:
            sao.screenshot(page, 'steering-service-menu-failure')
            raise

        sao.open_menu(page, 'GRU', steering, "Niveaux de service",
            "Niveaux de service des appels")
        text = sao.visible_text(page)
        for label in ["Date de début", "Date de fin", "Répondus (%)",
                "Abandonnés (%)", "Attente p90 (s)"]:
            self.assertIn(label, text)
        self.assertGreater(page.locator(
                '#tabcontent .tab-pane.active .treeview tbody tr').count(),
            0)
        self.assertFits('steering-service-calls')
        self.assertAccessible('steering-service-calls',
            '#tabcontent .tab-pane.active')

        sao.open_menu(page, 'GRU', steering, "Niveaux de service",
            "Stock par ancienneté", rows=False)
        wait_graph(page)
        text = sao.visible_text(page)
        for label in ["Ouvertes < 2 jours", "Ouvertes > 30 jours"]:
            self.assertIn(label, text)
        self.assertFits('steering-service-backlog')

        sao.open_menu(page, 'GRU', steering, "Équité",
            "Équité entre antennes")
        text = sao.visible_text(page)
        for label in ["Contacts par ETP", "Part des ETP (%)",
                "Écart (points)", "Amiens"]:
            self.assertIn(label, text)
        self.assertFits('steering-equity')
        self.assertAccessible('steering-equity',
            '#tabcontent .tab-pane.active')

        sao.open_menu(page, 'GRU', steering, "Équité",
            "Indice d'équité par mois")
        self.assertIn("Coefficient de Gini", sao.visible_text(page))
        self.assertFits('steering-equity-month')
        self.assertEqual(self.errors, [])

"""Browser test: the DARRU supervisor opens the experiment's indicators
(GRU > Steering > Experiment) in sao: the shares of working time, contacts
and attendance per antenna and week with the period form above, then the
comparison before and after the start of the experiment of the demo's
antennas (Amiens, Saint-Quentin, Arras, Cambrai); the screens are in
French, fit the screen and pass the WCAG A checks."""
from tests.browser import sao

SUPERVISOR = ('superviseur', 'demo-superviseur')
TAB = '#tabcontent .tab-pane.active'


class SteeringExperimentBrowserTestCase(sao.BrowserTestCase):
    "Test the experiment indicator screens in sao"

    def test_indicators_and_comparison(self):
        "The supervisor reads the indicators and the before/after"
        page = self.page
        sao.login(page, self.server, *SUPERVISOR)
        steering = "Pilotage"

        sao.open_menu(page, 'GRU', steering, "Expérimentation",
            "Indicateurs de l'expérimentation")
        text = sao.visible_text(page)
        for label in ["Date de début", "Pas", "Heures par semaine",
                "Part téléphone (%)", "Part accueil (%)",
                "Contacts", "Visites", "Amiens"]:
            self.assertIn(label, text)
        self.assertGreater(
            page.locator(TAB + ' .treeview tbody tr').count(), 0)
        self.assertFits('steering-experiment-indicators')
        self.assertAccessible('steering-experiment-indicators', TAB)

        sao.open_menu(page, 'GRU', steering, "Expérimentation",
            "Expérimentation avant et après")
        text = sao.visible_text(page)
        for label in ["Part téléphone", "Avant", "Après", "Écart",
                "Semaines comparées"]:
            self.assertIn(label, text)
        self.assertGreater(
            page.locator(TAB + ' .treeview tbody tr').count(), 0)
        self.assertFits('steering-experiment-comparison')
        self.assertAccessible('steering-experiment-comparison', TAB)
        self.assertEqual(self.errors, [])

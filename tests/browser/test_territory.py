"""Browser test: log into sao and open the antennas list and a form."""
import os

from tests.browser import sao


class TerritoryBrowserTestCase(sao.BrowserTestCase):

    def test_antennas_list(self):
        "The admin opens GRU > Territoires > Antennes and sees the antennas"
        sao.login(self.page, self.server)
        sao.open_menu(self.page, 'GRU', 'Territoires', 'Antennes')
        self.page.wait_for_timeout(500)
        rows = self.page.locator('#tabcontent .treeview table tbody tr')
        # 19 antennas and the central information service
        self.assertEqual(rows.count(), 20)
        text = sao.visible_text(self.page)
        for name in ["Antenne d'Amiens", "Antenne du Calaisis",
                "Antenne de la Vallée de l'Oise", "Commune siège"]:
            self.assertIn(name, text)
        path = sao.screenshot(self.page, 'antennas')
        self.assertGreater(os.path.getsize(path), 10000)

        # the form of Amiens shows its figures in the plan in force
        rows.filter(has_text="Antenne d'Amiens").first.dblclick()
        self.page.wait_for_selector('#tabcontent .form', timeout=30000)
        self.page.wait_for_timeout(1000)
        text = sao.visible_text(self.page)
        values = sao.input_values(self.page)
        self.assertIn("Périmètres du 16 juin 2022", values)
        self.assertIn("Amiens (80021)", values)
        self.assertIn("Codes postaux desservis", text)
        # Montdidier shares the manager of Amiens (sao draws the rows of a
        # list once it is scrolled into view)
        for treeview in self.page.locator(
                '#tabcontent .form .treeview:visible').all():
            treeview.evaluate('e => e.scrollIntoView({block: "end"})')
        self.page.locator('#tabcontent .form .treeview tbody tr',
            has_text="Antenne de Montdidier").first.wait_for(timeout=30000)
        sao.screenshot(self.page, 'antenna_form')

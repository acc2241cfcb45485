"""Browser test: the DARRU supervisor opens the volume graphs of the inbox
in sao, with the period form above them, and narrows them to an
antenna."""
import os
import re

from tests.browser import sao

SUPERVISOR = ('superviseur', 'demo-superviseur')
CHANNELS = ["Courriel", "Courrier", "Téléphone", "Accueil physique",
    "Formulaire web", "Autre"]


def open_graph(page, *labels):
    """Open a menu entry by the labels of its path, as sao.open_menu, and
    wait for the graph to be drawn"""
    for i, label in enumerate(labels):
        selector = 'div.column-char[title="%s"]' % label
        page.locator('#menu ' + selector).first.wait_for(timeout=30000)
        row = page.locator(
            '#menu tbody tr', has=page.locator(selector)).first
        if i < len(labels) - 1:
            row.locator('.expander').first.click()
        else:
            row.locator(selector).click()
    wait_graph(page)


def wait_graph(page):
    "Wait until the graph of the current tab has its bars or slices"
    page.wait_for_function(
        "() => document.querySelectorAll("
        "'#tabcontent .graph svg .bb-shape').length > 0",
        timeout=60000)
    page.wait_for_timeout(500)


def graph_labels(page):
    "Return the texts of the current graph (axes and legend)"
    return page.locator('#tabcontent .graph svg text').evaluate_all(
        'els => els.map(e => e.textContent)')


def max_tick(labels):
    "Return the highest number of labels: the top of the y axis"
    return max(float(l) for l in labels if re.fullmatch(r'[\d.]+', l))


def visible_inputs(page):
    "Return the values of the visible text inputs of the current tab"
    return page.locator('#tabcontent input[type=text]').evaluate_all(
        'els => els.filter(e => e.offsetParent !== null)'
        '.map(e => e.value)')


class VolumesBrowserTestCase(sao.BrowserTestCase):

    def test_monthly_volumes(self):
        "The monthly volumes by channel of the last 12 months, then of AMI"
        page = self.page
        sao.login(page, self.server, *SUPERVISOR)
        open_graph(page, 'GRU', 'Boîte de réception', 'Statistiques',
            'Demandes par mois')
        text = sao.visible_text(page)
        # the period form above the graph, filled with the last 12 months
        for label in ["Du", "Au", "Antenne"]:
            self.assertIn(label, text)
        dates = [v for v in visible_inputs(page)
            if re.fullmatch(r'\d{2}\.\d{2}\.\d{4}', v)]
        self.assertEqual(len(dates), 2, visible_inputs(page))
        self.assertTrue(dates[0].startswith('01.'), dates)
        labels = graph_labels(page)
        # a series per channel, the months in order on the axis
        for channel in CHANNELS:
            self.assertIn(channel, labels)
        months = [l for l in labels if re.fullmatch(r'\d{4}-\d{2}', l)]
        self.assertEqual(len(months), 12, labels)
        self.assertEqual(months, sorted(months))
        top = max_tick(labels)
        path = sao.screenshot(page, 'inbox_volumes_month')
        self.assertGreater(os.path.getsize(path), 10000)

        # narrowed to an antenna, searched again: fewer requests by month
        antenna = page.locator('#tabcontent input[name="antenna"]')
        antenna.fill("Amiens")
        page.locator('#tabcontent .dropdown-completion li.completion',
            has_text="Antenne d'Amiens").first.click()
        page.locator('#tabcontent form.filter-box '
            'button[type=submit]:visible').first.click()
        page.wait_for_function(
            "(top) => Array.from(document.querySelectorAll("
            "'#tabcontent .graph svg .bb-axis-y .tick text')).every("
            "e => parseFloat(e.textContent) < top)",
            arg=top, timeout=30000)
        wait_graph(page)
        labels = graph_labels(page)
        self.assertLess(max_tick(labels), top)
        ami_months = [l for l in labels if re.fullmatch(r'\d{4}-\d{2}', l)]
        self.assertTrue(ami_months)
        self.assertLessEqual(set(ami_months), set(months))
        self.assertEqual(ami_months, sorted(ami_months))
        sao.screenshot(page, 'inbox_volumes_month_ami')
        self.assertEqual(self.errors, [])

    def test_antenna_volumes(self):
        "The volumes by antenna, their list by channel, the channels"
        page = self.page
        sao.login(page, self.server, *SUPERVISOR)
        open_graph(page, 'GRU', 'Boîte de réception', 'Statistiques',
            'Demandes par antenne')
        labels = graph_labels(page)
        self.assertTrue(any('Amiens' in l for l in labels), labels)
        self.assertIn("Nombre de demandes", labels)
        # each antenna's name on one line, apart from the others
        ticks = page.locator(
            '#tabcontent .graph svg .bb-axis-x .tick text').evaluate_all(
            'els => els.map(e => { const b = e.getBoundingClientRect();'
            ' return [e.textContent, e.querySelectorAll("tspan").length,'
            ' b.top, b.bottom]; })')
        self.assertGreater(len(ticks), 10, ticks)
        for name, lines, _, _ in ticks:
            self.assertLessEqual(lines, 1, name)
        ticks.sort(key=lambda t: t[2])
        for above, below in zip(ticks, ticks[1:]):
            self.assertLessEqual(above[3], below[2] + 1, (above, below))
        sao.screenshot(page, 'inbox_volumes_antenna')
        # the list of the same volumes: the antenna and the counts only
        page.locator('button#switch_:visible').first.click()
        page.wait_for_selector('#tabcontent .treeview table tbody tr',
            timeout=30000)
        page.wait_for_timeout(500)
        headers = page.locator('#tabcontent .treeview table thead th'
            ).evaluate_all('els => els.filter(e => e.offsetParent !== null)'
            '.map(e => e.textContent.trim()).filter(t => t)')
        self.assertIn("Antenne", headers)
        self.assertIn("Nombre de demandes", headers)
        self.assertIn("Courriel", headers)
        for hidden in ["Mois", "Dispositif", "Canal", "État"]:
            self.assertNotIn(hidden, headers)
        sao.screenshot(page, 'inbox_volumes_antenna_list')

        # the channels by their names in the pie (the menu is open)
        open_graph(page, 'Demandes par canal')
        labels = graph_labels(page)
        self.assertIn("Téléphone", labels)
        self.assertNotIn("phone", labels)
        sao.screenshot(page, 'inbox_volumes_channel')
        self.assertEqual(self.errors, [])

"""Browser test: the DARRU supervisor opens the volume graphs of the inbox
in sao, with the period form above them, and narrows them to an antenna:
the graph is drawn again as soon as the antenna is chosen. The months are
named in French, the requests without a scheme are "Sans dispositif" and
each channel has the same colour in every graph and list."""
import os
import re

from gru_inbox.reporting import CHANNEL_COLORS
from tests.browser import sao

SUPERVISOR = ('superviseur', 'demo-superviseur')
CHANNELS = ["Courriel", "Courrier", "Téléphone", "Accueil physique",
    "Formulaire web", "Autre"]
CHANNEL_KEYS = {"Courriel": 'email', "Courrier": 'letter',
    "Téléphone": 'phone', "Accueil physique": 'counter',
    "Formulaire web": 'web', "Autre": 'other'}
MONTH = (r'(janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.'
    r'|nov\.|déc\.) \d{4}')
MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
    "sept.", "oct.", "nov.", "déc."]
ACTIVE = '#tabcontent .tab-pane.active '
# the data drawn by billboard.js in the graph of the active tab: [series,
# values] of its last drawing
DRAWN = """() => {
    const el = document.querySelector(
        '#tabcontent .tab-pane.active .graph');
    const charts = bb.instance.filter(c => el.contains(c.$.chart.node()));
    const chart = charts[charts.length - 1];
    return chart.data().map(d => [d.id, d.values.map(v => v.value)]);
}"""
# the colour of each item of the legend of the active graph
LEGEND = """() => Array.from(document.querySelectorAll(
    '#tabcontent .tab-pane.active .graph .bb-legend-item')).map(e => [
    e.textContent,
    getComputedStyle(e.querySelector('.bb-legend-item-tile')).stroke])"""


def rgb(channel):
    "The CSS colour of the channel of French name channel, from the table"
    color = CHANNEL_COLORS[CHANNEL_KEYS[channel]]
    return 'rgb(%d, %d, %d)' % tuple(
        int(color[i:i + 2], 16) for i in (1, 3, 5))


def month_key(label):
    "The (year, month) of a label such as 'janv. 2026'"
    name, year = label.rsplit(' ', 1)
    return int(year), MONTHS.index(name)


def open_graph(page, *labels):
    """Open a menu entry by the labels of its path, as sao.open_menu, and
    wait for the graph of its new tab to be drawn"""
    tabs = page.locator('#tabcontent .tab-pane').count()
    for i, label in enumerate(labels):
        selector = 'div.column-char[title="%s"]' % label
        page.locator('#menu ' + selector).first.wait_for(timeout=30000)
        row = page.locator(
            '#menu tbody tr', has=page.locator(selector)).first
        if i < len(labels) - 1:
            row.locator('.expander').first.click()
        else:
            row.locator(selector).click()
    # the graph of the tab open before is drawn already: wait for the new
    page.wait_for_function(
        "(tabs) => document.querySelectorAll('#tabcontent .tab-pane')"
        ".length > tabs", arg=tabs, timeout=60000)
    wait_graph(page)


def wait_graph(page):
    """Wait until the graph of the current tab is drawn with figures: sao
    draws it a first time empty, before its records are read"""
    page.wait_for_function(
        "() => { const el = document.querySelector("
        "'#tabcontent .tab-pane.active .graph');"
        " if (!el || typeof bb === 'undefined') { return false; }"
        " const charts = bb.instance.filter("
        "c => el.contains(c.$.chart.node()));"
        " const chart = charts[charts.length - 1];"
        " return !!chart && chart.data().some("
        "d => d.values.some(v => v.value)); }",
        timeout=60000)
    page.wait_for_timeout(500)


def graph_labels(page):
    "Return the texts of the current graph (axes and legend)"
    return page.locator(ACTIVE + '.graph svg text').evaluate_all(
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
            if re.fullmatch(r'\d{2}/\d{2}/\d{4}', v)]
        self.assertEqual(len(dates), 2, visible_inputs(page))
        self.assertTrue(dates[0].startswith('01/'), dates)
        labels = graph_labels(page)
        # a series per channel, the months in order on the axis, named in
        # French
        for channel in CHANNELS:
            self.assertIn(channel, labels)
        self.assertFalse([l for l in labels
                if re.fullmatch(r'\d{4}-\d{2}', l)], labels)
        months = [l for l in labels if re.fullmatch(MONTH, l)]
        self.assertEqual(len(months), 12, labels)
        self.assertEqual(months, sorted(months, key=month_key))
        top = max_tick(labels)
        drawn = dict(page.evaluate(DRAWN))
        self.assertEqual(len(drawn), len(CHANNELS), drawn)
        colors = dict(page.evaluate(LEGEND))
        self.assertEqual(colors, {c: rgb(c) for c in CHANNELS})
        path = sao.screenshot(page, 'inbox_volumes_month')
        self.assertGreater(os.path.getsize(path), 10000)
        self.assertFits('inbox_volumes_month')
        self.assertAccessible('inbox_volumes_month', ACTIVE)

        # narrowed to an antenna: drawn again as soon as it is chosen,
        # without pressing search nor reloading
        antenna = page.locator(ACTIVE + 'input[name="antenna"]')
        antenna.fill("Amiens")
        page.locator(ACTIVE + '.dropdown-completion li.completion',
            has_text="Antenne d'Amiens").first.click()
        page.wait_for_function(
            "(top) => Array.from(document.querySelectorAll("
            "'#tabcontent .tab-pane.active .graph svg .bb-axis-y .tick text'"
            ")).every(e => parseFloat(e.textContent) < top)",
            arg=top, timeout=30000)
        wait_graph(page)
        ami = dict(page.evaluate(DRAWN))
        self.assertEqual(set(ami), set(drawn))
        self.assertNotEqual(ami, drawn)
        # fewer requests in each month and channel, fewer in all
        for series, values in ami.items():
            for value, before in zip(values, drawn[series]):
                self.assertLessEqual(value or 0, before or 0, series)
        self.assertLess(sum(sum(v or 0 for v in values)
                for values in ami.values()),
            sum(sum(v or 0 for v in values) for values in drawn.values()))
        labels = graph_labels(page)
        self.assertLess(max_tick(labels), top)
        # counts of requests: whole numbers on the axis, never "0.5"
        ticks = page.locator(ACTIVE + '.graph svg .bb-axis-y .tick text'
            ).evaluate_all('els => els.map(e => e.textContent)')
        self.assertTrue(ticks)
        for tick in ticks:
            self.assertRegex(tick, r'^\d+$')
        ami_months = [l for l in labels if re.fullmatch(MONTH, l)]
        self.assertTrue(ami_months)
        self.assertLessEqual(set(ami_months), set(months))
        self.assertEqual(ami_months, sorted(ami_months, key=month_key))
        # the same colours
        self.assertEqual(dict(page.evaluate(LEGEND)), colors)
        sao.screenshot(page, 'inbox_volumes_month_ami')

        # the antenna emptied: all the antennas again
        page.locator(ACTIVE + 'input[name="antenna"]').fill('')
        page.locator(ACTIVE + 'input[name="antenna"]').press('Tab')
        page.wait_for_function(
            "(top) => Array.from(document.querySelectorAll("
            "'#tabcontent .tab-pane.active .graph svg .bb-axis-y .tick text'"
            ")).some(e => parseFloat(e.textContent) >= top)",
            arg=top, timeout=30000)
        wait_graph(page)
        self.assertEqual(dict(page.evaluate(DRAWN)), drawn)

        # the pie of the channels: each slice the colour of its channel in
        # the graph by month
        open_graph(page, 'Demandes par canal')
        pie = dict(page.evaluate(LEGEND))
        self.assertTrue(pie)
        for channel, color in pie.items():
            self.assertEqual(color, colors[channel], channel)
        slices = page.locator(ACTIVE + '.graph .bb-chart-arc path'
            ).evaluate_all('els => els.map(e => getComputedStyle(e).fill)')
        self.assertEqual(sorted(slices), sorted(pie.values()))
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
        # the counts by channel underlined with their channel's colour, as
        # in the graphs
        underlined = dict(page.locator(
            ACTIVE + '.treeview table thead th[data-gru-color]'
            ).evaluate_all('els => els.filter(e => e.offsetParent !== null)'
            '.map(e => [e.textContent.trim(),'
            ' getComputedStyle(e).borderBottomColor])'))
        self.assertEqual(underlined, {c: rgb(c) for c in CHANNELS})
        self.assertFits('inbox_volumes_antenna_list')
        # nor does the list scroll sideways inside its tab
        scroll, client = page.locator(ACTIVE + '.treeview').first.evaluate(
            'e => [e.scrollWidth, e.clientWidth]')
        self.assertLessEqual(scroll, client)
        self.assertAccessible('inbox_volumes_antenna_list', ACTIVE)
        sao.screenshot(page, 'inbox_volumes_antenna_list')

        # the channels by their names in the pie (the menu is open)
        open_graph(page, 'Demandes par canal')
        labels = graph_labels(page)
        self.assertIn("Téléphone", labels)
        self.assertNotIn("phone", labels)
        sao.screenshot(page, 'inbox_volumes_channel')

        # the requests without a scheme have their bar, named
        open_graph(page, 'Demandes par dispositif')
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll("
            "'#tabcontent .tab-pane.active .graph svg .bb-axis-x .tick text'"
            ")).some(e => e.textContent.trim())", timeout=30000)
        labels = graph_labels(page)
        self.assertIn("Sans dispositif", labels)
        self.assertNotIn("", [l.strip() for l in page.locator(
                    ACTIVE + '.graph svg .bb-axis-x .tick text'
                    ).evaluate_all('els => els.map(e => e.textContent)')])
        self.assertFits('inbox_volumes_scheme')
        self.assertEqual(self.errors, [])

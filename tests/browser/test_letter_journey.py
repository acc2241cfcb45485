"""Browser test: the letter journey of a letter agent, on one screen:
open a scanned letter of the demo, create its usager from what was read,
validate it into a request, and write the reply letter from the .docx
template of the scheme, as PDF; each screen fits 1400 px (menu open) and
passes axe-core. The reply letter is read back as a user would: its PDF
printed to text and to an image kept beside the screenshots."""
import base64
import os
import re
import shutil
import subprocess

from tests.browser import sao

FORM = '#tabcontent .tab-pane.active .form'


class LetterJourneyBrowserTestCase(sao.BrowserTestCase):

    def field(self, name):
        "The input of the field name on the form"
        return self.page.locator(FORM + ' input[name="%s"]' % name).first

    def button(self, label, scope=FORM):
        return self.page.locator(scope + ' button', has_text=label).first

    def wait_state(self, label):
        self.page.wait_for_function(
            "(label) => Array.from(document.querySelectorAll("
            "'#tabcontent .tab-pane.active .form select')).some("
            "e => e.selectedIndex >= 0 "
            "&& e.options[e.selectedIndex].text == label)",
            arg=label, timeout=60000)

    def test_letter_journey(self):
        "Validate a letter, create its usager, reply with a .docx as PDF"
        page = self.page
        # the screen as it was at the end, passed or failed
        self.addCleanup(sao.screenshot, page, 'letter_journey_last')
        sao.login(page, self.server)
        sao.open_menu(page, 'GRU', 'Courriers', 'Courriers entrants')
        page.wait_for_timeout(500)
        text = sao.visible_text(page)
        # (the state is the tab's: sao leaves its column out)
        for label in ["Numéro", "Reçu le", "Nom de l'expéditeur",
                "Dispositif", "Usager"]:
            self.assertIn(label, text)
        self.assertFits('letter_journey_list')
        # nor does the table inside the list: every column is seen
        scroll, client = page.locator(
            '#tabcontent .tab-pane.active .treeview').first.evaluate(
            'e => [e.scrollWidth, e.clientWidth]')
        self.assertLessEqual(scroll, client + 1)
        # and so does the tab of all the letters, with their state
        page.locator('#tabcontent .tab-pane.active .nav-tabs a',
            has_text="Tous").first.click()
        page.wait_for_timeout(1000)
        self.assertIn("État", sao.visible_text(page))
        self.assertFits('letter_journey_list_all')
        scroll, client = page.locator(
            '#tabcontent .tab-pane.active .treeview').first.evaluate(
            'e => [e.scrollWidth, e.clientWidth]')
        self.assertLessEqual(scroll, client + 1)
        page.locator('#tabcontent .tab-pane.active .nav-tabs a',
            has_text="À valider").first.click()
        page.wait_for_timeout(1000)
        self.assertAccessible('incoming letters list', '#tabcontent')

        # the demo letters are about the demo's schemes: the dossier
        # number is read and gives the scheme
        rows = page.locator(
            '#tabcontent .tab-pane.active .treeview table tbody tr')
        row = rows.filter(has_text='PPE-').first
        reference = re.search(r'PPE-\d{4}-\d{5}', row.inner_text()).group()
        self.assertIn("Permis pour l'emploi", row.inner_text())
        row.dblclick()
        page.wait_for_selector(FORM, timeout=30000)
        page.wait_for_selector('#tabcontent .form img', timeout=30000)
        page.wait_for_timeout(1000)
        sender = self.field('sender_name').input_value()
        self.assertTrue(sender)
        values = sao.input_values(page)
        self.assertIn(reference, values)
        self.assertTrue(any(v.endswith("Permis pour l'emploi")
                for v in values), values)
        self.assertFits('letter_journey_validate')
        self.assertAccessible('letter form to validate', '#tabcontent')

        # the usager from what was read, by one button, no dialog (unless
        # a usager resembles the sender: then one question)
        self.button("Créer l'usager").click()
        try:
            page.wait_for_selector('.modal-dialog', timeout=3000)
        except Exception:
            pass
        else:
            self.button("Oui", scope='.modal-dialog').click()
        page.wait_for_function(
            "(name) => Array.from(document.querySelectorAll("
            "'#tabcontent .tab-pane.active .form input')).some("
            "e => e.value.startsWith(name))", arg=sender, timeout=30000)
        page.wait_for_timeout(500)
        self.assertFalse(self.button("Créer l'usager").is_visible())

        # validated on the same screen: the request is created
        self.button("Valider").click()
        self.wait_state("Validé")
        page.wait_for_timeout(1000)
        values = sao.input_values(page)
        requests = [v for v in values if re.match(r'GRU-\d{4}-\d{6}', v)]
        self.assertTrue(requests, values)

        # the reply, on the same screen: the template of the scheme
        template = self.field('reply_template')
        template.fill("Réponse à votre")
        item = page.locator('.dropdown-menu li',
            has_text="Réponse à votre courrier").first
        item.wait_for(timeout=30000)
        item.click()
        page.wait_for_timeout(500)
        self.assertIn("Réponse à votre courrier", template.input_value())
        pdf = self.field('reply_pdf')
        self.assertTrue(pdf.is_checked())
        self.button("Écrire la réponse").click()
        page.locator(FORM + ' .treeview tbody tr',
            has_text=re.compile(r'S\d{4}-\d{5}')).first.wait_for(
            timeout=120000)
        page.wait_for_timeout(500)
        self.assertFits('letter_journey_reply')
        self.assertAccessible('validated letter with its reply',
            '#tabcontent')
        self.assertEqual(self.errors, [])

        # the outcomes, read back from the server
        letter, = self.search_read('gru.letter',
            [('reference', '=', reference)],
            ['state', 'party', 'request', 'sender_address', 'postal_code',
                'commune.name', 'email', 'phone'])
        commune = letter['commune.']['name']
        self.assertEqual(letter['state'], 'validated')
        party, = self.search_read('party.party',
            [('id', '=', letter['party'])],
            ['name', 'addresses', 'contact_mechanisms', 'identifiers'])
        self.assertEqual(party['name'], sender)
        address, = self.search_read('party.address',
            [('party', '=', party['id'])],
            ['street', 'building_number', 'street_name', 'postal_code',
                'city'])
        self.assertEqual(address['postal_code'], letter['postal_code'])
        self.assertEqual(address['city'], commune)
        self.assertTrue(address['building_number'], address)
        # French: the number before the street
        self.assertTrue(address['street'].splitlines()[-1].startswith(
                address['building_number'] + ' '), address)
        identifiers = self.search_read('party.identifier',
            [('party', '=', party['id'])], ['type', 'code'])
        self.assertIn(('gru_pas_file', reference),
            [(i['type'], i['code']) for i in identifiers])
        request, = self.search_read('gru.inbox.request',
            [('id', '=', letter['request'])],
            ['party', 'channel', 'scheme.code'])
        self.assertEqual(request['party'], party['id'])
        self.assertEqual(request['channel'], 'letter')
        self.assertEqual(request['scheme.']['code'], 'PPE')
        outgoing, = self.search_read('gru.letter.outgoing',
            [('request', '=', letter['request'])],
            ['template.name', 'template.scheme.code', 'docx', 'pdf',
                'missing_fields', 'number'])
        template = outgoing['template.']
        self.assertEqual(template['name'], "Réponse à votre courrier")
        # the letter's scheme or every scheme: the picker's domain
        self.assertIn((template.get('scheme.') or {}).get('code'),
            {'PPE', None})
        self.assertFalse(outgoing['missing_fields'])
        data = base64.b64decode(outgoing['pdf']['base64'])
        self.assertTrue(data.startswith(b'%PDF'))

        # the letter as the usager receives it
        os.makedirs(sao.SCREENSHOTS, exist_ok=True)
        path = os.path.join(sao.SCREENSHOTS,
            'letter_journey_reply_letter.pdf')
        with open(path, 'wb') as file:
            file.write(data)
        with open(path[:-4] + '.docx', 'wb') as file:
            file.write(base64.b64decode(outgoing['docx']['base64']))
        if shutil.which('pdftotext'):
            printed = subprocess.run(['pdftotext', '-layout', path, '-'],
                capture_output=True, check=True, text=True).stdout
            printed = re.sub(r'[ \t]+', ' ', printed)
            for expected in [sender, "Région Hauts-de-France",
                    address['building_number'] + ' '
                    + address['street_name'],
                    "%s %s" % (address['postal_code'], address['city']),
                    ", le ", "V/Réf. : %s" % reference,
                    "Objet : Votre courrier reçu le",
                    "Permis pour l'emploi", "Madame, Monsieur",
                    outgoing['number']]:
                self.assertIn(expected, printed)
            self.assertNotIn('${', printed)
            self.assertRegex(printed, r', le \d{1,2}(er)? [a-zéû]+ \d{4}')
        if shutil.which('pdftoppm'):
            subprocess.run(['pdftoppm', '-png', '-r', '60', '-singlefile',
                    path, path[:-4]], check=True)

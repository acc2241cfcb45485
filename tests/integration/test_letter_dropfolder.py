"""The drop-folder command, run as the mail room runs it: a subprocess on a
folder of scans, against the demo database. Every file is handled (a bad
one is quarantined with its reason, the run goes on) and the command ends
normally, printing the letters' numbers; with --watch it imports what is
dropped while it runs and stops cleanly on SIGTERM."""
import datetime as dt
import io
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

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

    def test_watch(self):
        "--watch imports the files already there and those dropped later"
        folder = tempfile.mkdtemp(prefix='gru-dropfolder-watch-')
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        first = ['lot_1.pdf', 'lot_2.pdf', 'lot_3.pdf']
        for index, name in enumerate(first):
            with open(os.path.join(folder, name), 'wb') as fp:
                fp.write(scan(name, 10 + index))
        env = dict(self.server.env,
            TRYTOND_DATABASE__PATH=self.server.tmp)
        output = tempfile.TemporaryFile(mode='w+')
        self.addCleanup(output.close)
        process = subprocess.Popen([
                os.path.join(ROOT, 'scripts', 'letter-dropfolder'),
                '-d', self.server.database, '--settle', '0',
                '--watch', '0.5', folder],
            env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(
            lambda: process.poll() is None and process.kill())

        def processed():
            return sorted(n for _, _, names in os.walk(
                    os.path.join(folder, 'processed')) for n in names)

        def wait_for(names, seconds=120):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if processed() == names or process.poll() is not None:
                    break
                time.sleep(0.2)
        wait_for(first)
        self.assertIsNone(process.poll(), 'the watch stopped')
        self.assertEqual(processed(), first)
        # a file dropped while the command watches
        with open(os.path.join(folder, 'lot_4.pdf.part'), 'wb') as fp:
            fp.write(scan('lot_4.pdf', 20))
        os.rename(os.path.join(folder, 'lot_4.pdf.part'),
            os.path.join(folder, 'lot_4.pdf'))
        wait_for(first + ['lot_4.pdf'])
        # it keeps watching a few seconds more, then stops on SIGTERM
        time.sleep(3)
        self.assertIsNone(process.poll(), 'the watch stopped')
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(timeout=60), 0)
        output.seek(0)
        text = output.read()
        self.assertEqual(processed(), first + ['lot_4.pdf'], text[-3000:])
        self.assertNotIn('Traceback', text)
        letters = self.search_read('gru.letter', [
                ('source', '=', 'dropfolder:%s' % os.path.basename(folder)),
                ], ['number'])
        self.assertEqual(len(letters), 4, text[-3000:])
        for letter in letters:
            self.assertIn(letter['number'], text)
        self.assertEqual([n for n in os.listdir(folder)
                if os.path.isfile(os.path.join(folder, n))], [])

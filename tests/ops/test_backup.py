"""scripts/backup and scripts/restore-drill as an operator runs them, on a
small PostgreSQL database holding a validated letter (its request, its
message, its usager, its scan and searchable PDF in the filestore) and an
attachment: the drill restores the latest backup into a new database,
finds the same counts and files, drops it and exits 0; a backup that lost
a file of the filestore makes it exit 1."""
import io
import json
import os
import re
import subprocess
import tarfile
import unittest

from .support import ROOT, enabled, ops_database, scan_png

SKIP = enabled()
RECORDS = '''
import sys
from trytond.pool import Pool
from trytond.transaction import Transaction
Pool.start()
database = sys.argv[1]
pool = Pool(database)
with Transaction().start(database, 0, readonly=True):
    pool.init()
with open(sys.argv[2], 'rb') as fp:
    scan = fp.read()
with Transaction().start(database, 0) as transaction:
    Company = pool.get('company.company')
    company, = Company.search([], limit=1)
    with transaction.set_context(company=company.id, language='fr'):
        Letter = pool.get('gru.letter')
        Party = pool.get('party.party')
        Attachment = pool.get('ir.attachment')
        letter, = Letter.register(scan, 'lettre.png')
        Letter.process_ocr([letter])
        letter = Letter(letter.id)
        if not letter.party:
            letter.party, = Party.create([{'name': 'Jean Dupont'}])
            letter.save()
        Letter.validate_letter([letter])
        Attachment.create([{'name': 'note.txt', 'resource': str(letter.party),
                    'data': b'a note of the backup test'}])
    transaction.commit()
'''
LETTER = ("Jean Dupont\n12 rue des Lilas\n80000 Amiens\n\n"
    "Objet : demande d'aide\n\nMadame, Monsieur,\nje vous écris au sujet "
    "de mon dossier.")


@unittest.skipIf(SKIP, SKIP)
class BackupTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.database = ops_database()
        scan = os.path.join(cls.database.tmp, 'backup-scan.png')
        with open(scan, 'wb') as fp:
            fp.write(scan_png(LETTER))
        cls.database.run(RECORDS, scan)
        cls.target = os.path.join(cls.database.tmp, 'backups')

    def run_script(self, name):
        return subprocess.run([os.path.join(ROOT, 'scripts', name),
                self.database.name, self.target],
            env=self.database.env, capture_output=True, text=True,
            timeout=300)

    def count(self, table):
        (count,), = self.database.query('SELECT COUNT(*) FROM "%s"' % table)
        return count

    def databases(self):
        """The databases named after the source (the drill restores into
        <source>_drill_<stamp>): the other units of the suite create and
        drop theirs meanwhile"""
        return {n for n, in self.database.query(
                'SELECT datname FROM pg_database')
            if n.startswith(self.database.name)}

    def test_backup_restore_drill(self):
        "A backup restored by the drill has the source's rows and files"
        for table in ['gru_letter', 'gru_inbox_request', 'gru_inbox_message',
                'ir_attachment', 'document_incoming']:
            self.assertGreater(self.count(table), 0, table)
        files = [f for _, _, fs in os.walk(os.path.join(
                    self.database.filestore, self.database.name)) for f in fs]
        self.assertGreaterEqual(len(files), 3)

        backup = self.run_script('backup')
        self.assertEqual(backup.returncode, 0, backup.stderr)
        folder, = [os.path.join(self.target, f)
            for f in os.listdir(self.target)]
        self.assertRegex(os.path.basename(folder),
            r'^%s-\d{8}T\d{6}Z$' % re.escape(self.database.name))
        self.assertEqual(sorted(os.listdir(folder)),
            ['database.dump', 'filestore.tar', 'manifest.json'])
        with open(os.path.join(folder, 'database.dump'), 'rb') as fp:
            self.assertEqual(fp.read(5), b'PGDMP')  # custom format
        with tarfile.open(os.path.join(folder, 'filestore.tar')) as tar:
            self.assertEqual(len(tar.getnames()), len(files))
        with open(os.path.join(folder, 'manifest.json')) as fp:
            manifest = json.load(fp)
        self.assertEqual(manifest['counts']['gru_letter'],
            self.count('gru_letter'))

        before = self.databases()
        drill = self.run_script('restore-drill')
        self.assertEqual(drill.returncode, 0, drill.stdout + drill.stderr)
        for label, table in [('letters', 'gru_letter'),
                ('requests', 'gru_inbox_request'),
                ('messages', 'gru_inbox_message'),
                ('usagers', 'party_party'),
                ('attachments', 'ir_attachment')]:
            count = self.count(table)
            self.assertRegex(drill.stdout,
                r'%s \(.*\)\s+%d\s+%d\s+%d ok' % (label, count, count,
                    count))
        self.assertRegex(drill.stdout,
            r'filestore files\s+%d\s+%d\s+ok' % (len(files), len(files)))
        self.assertRegex(drill.stdout, r'files referenced \(present\)\s+'
            r'(\d+)\s+\1\s+ok')
        # the drill database is dropped
        self.assertEqual(self.databases(), before)

        # a backup whose filestore lost a file fails the drill
        with tarfile.open(os.path.join(folder, 'filestore.tar')) as tar:
            members = [(m, tar.extractfile(m).read())
                for m in tar.getmembers()][1:]
        with tarfile.open(os.path.join(folder, 'filestore.tar'), 'w') as tar:
            for member, data in members:
                tar.addfile(member, io.BytesIO(data))
        drill = self.run_script('restore-drill')
        self.assertEqual(drill.returncode, 1, drill.stdout + drill.stderr)
        self.assertIn('restore drill FAILED', drill.stdout)
        self.assertIn('DIFFERENT', drill.stdout)
        self.assertEqual(self.databases(), before)

"""The gateway with two worker processes: nothing lost, nothing twice.

The gateway runs as a process (scripts/mail-gateway --once --workers 2) on
a copy of the test database. The mail holds copies of one Message-ID sent
by another sender and replies to mail of the same round, which the
gateway must give to one worker (gru_mail.partition). A worker is killed
with SIGKILL while both workers hold uncommitted batches, and, at random
points, the gateway itself (its workers die with it) or one worker; every
message must then be one received record, every Message-ID one request,
and every message in the processed folder.
PostgreSQL only: on SQLite the gateway ingests in one process.
"""
import os
import random
import signal
import subprocess
import time
import unittest

from trytond.tests.test_tryton import activate_module

from .database import ROOT, SETUP_MAILBOX, CopiedDatabase
from .servers import Dovecot, skip_reason
from .support import make_mail

GATEWAY = os.path.join(ROOT, 'scripts', 'mail-gateway')
POSTGRESQL = os.environ.get('GRU_TEST_BACKEND', 'sqlite') == 'postgresql'


@unittest.skipIf(skip_reason(), skip_reason())
@unittest.skipUnless(POSTGRESQL,
    "the workers run on PostgreSQL (SQLite takes one writer)")
class MailWorkersTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_mail'])
        cls.dovecot = Dovecot().start()
        cls.database = CopiedDatabase()
        cls.address = 'workers@gru.test'
        cls.database.run(SETUP_MAILBOX, cls.address, cls.dovecot.imap_port)
        cls.sent = 0
        cls.originals = []
        cls.expected = {'created': 0, 'duplicate': 0, 'threaded': 0}

    @classmethod
    def tearDownClass(cls):
        cls.database.drop()
        cls.dovecot.stop()

    def send(self, count):
        """Append count mails: one in eight a copy of an earlier
        Message-ID from another sender (a duplicate), one in eight a
        reply of a usager to his earlier mail (threaded into its
        request)"""
        cls = type(self)
        rng = random.Random(cls.sent)
        for i in range(cls.sent, cls.sent + count):
            sender = 'usager%d@example.org' % (i % 37)
            kind, headers = 'created', {}
            if i % 8 == 3 and cls.originals:
                message_id, original = rng.choice(cls.originals)
                kind, headers = 'duplicate', {'Message-ID': message_id}
                sender = 'liste%d@example.org' % i
            elif i % 8 == 5 and cls.originals:
                message_id, sender = rng.choice(cls.originals)
                kind, headers = 'threaded', {'In-Reply-To': message_id}
            mail = make_mail(sender, self.address, "Demande %d" % i,
                "Bonjour, demande %d.\nCordialement\n59000 Lille" % i)
            for key, value in headers.items():
                del mail[key]
                mail[key] = value
            if kind == 'created':
                cls.originals.append((mail['Message-ID'], sender))
            cls.expected[kind] += 1
            self.dovecot.append(self.address, mail.as_bytes())
        cls.sent += count

    def count(self, sql):
        return self.database.query(sql)[0][0]

    def received(self):
        return self.count('SELECT COUNT(*) FROM gru_mail_received')

    def uncommitted(self):
        "The connections to the database holding uncommitted writes"
        import psycopg
        with psycopg.connect(self.database.uri + '/postgres') as conn:
            return conn.execute('SELECT COUNT(*) FROM pg_stat_activity '
                'WHERE datname = %s AND backend_xid IS NOT NULL',
                (self.database.name,)).fetchone()[0]

    def gateway(self):
        process = subprocess.Popen([GATEWAY, '-d', self.database.name,
                '--once', '--workers', '2'], env=self.database.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready = process.stdout.readline()
        self.assertTrue(ready.startswith('ready: 1 mailboxes, 2 workers'),
            ready + process.stderr.read() if not ready else ready)
        return process

    def assertExactlyOnce(self):
        """Every message one received record, a request per new mail, the
        copies recorded as duplicates, the replies threaded"""
        sent = self.sent
        self.assertEqual(self.received(), sent)
        self.assertEqual(self.count('SELECT COUNT(DISTINCT uid) '
                'FROM gru_mail_received'), sent)
        outcomes = dict(self.database.query('SELECT outcome, COUNT(*) '
                'FROM gru_mail_received GROUP BY outcome'))
        self.assertEqual(outcomes, {k: v
                for k, v in self.expected.items() if v})
        self.assertEqual(self.count(
                'SELECT COUNT(*) FROM gru_inbox_request'),
            self.expected['created'])
        self.assertEqual(self.count('SELECT COUNT(DISTINCT message_key) '
                "FROM gru_mail_received WHERE outcome = 'created'"),
            self.expected['created'])
        self.assertEqual(self.dovecot.count(self.address), 0)
        self.assertEqual(
            self.dovecot.count(self.address, 'GRU/Processed'), sent)

    def test_1_kill_worker_mid_batch(self):
        "A worker killed with uncommitted batches: the gateway finishes"
        self.send(600)
        process = self.gateway()
        workers = worker_processes(process.pid)
        self.assertEqual(len(workers), 2, workers)
        deadline = time.monotonic() + 120
        # both workers inside a batch: written, not committed
        while (self.uncommitted() < 2 and process.poll() is None
                and time.monotonic() < deadline):
            time.sleep(0.01)
        self.assertIsNone(process.poll(), "the gateway ended too soon")
        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        output, errors = process.communicate(timeout=300)
        self.assertEqual(process.returncode, 0, errors)
        self.assertIn('worker %d died' % killed, errors)
        self.assertIn('fetched again', errors)
        self.assertExactlyOnce()

    def test_2_kill_at_random_points(self):
        "8 kills -9 of the gateway or of a worker, then a full run"
        rng = random.Random(int(os.environ.get('GRU_CRASH_SEED', '7')))
        self.send(300)
        killed = []
        for run in range(8):
            done = self.received()
            process = self.gateway()
            workers = worker_processes(process.pid)
            target = done + rng.randrange(max(1, self.sent - done))
            deadline = time.monotonic() + 60
            while (process.poll() is None and self.received() < target
                    and time.monotonic() < deadline):
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.2))
            victim = rng.choice([process.pid] + sorted(workers))
            if process.poll() is None:
                try:
                    os.kill(victim, signal.SIGKILL)
                    killed.append(victim)
                except ProcessLookupError:
                    pass
            if victim != process.pid and process.poll() is None:
                # a worker killed: the gateway is killed a moment later
                time.sleep(rng.uniform(0, 0.3))
                process.kill()
            process.communicate(timeout=60)
            # the workers die with the gateway
            deadline = time.monotonic() + 10
            while (any(alive(p) for p in workers)
                    and time.monotonic() < deadline):
                time.sleep(0.05)
            self.assertFalse([p for p in workers if alive(p)])
            self.send(100)
        self.assertGreaterEqual(len(killed), 4,
            "the gateway must be killed while working")
        process = self.gateway()
        output, errors = process.communicate(timeout=300)
        self.assertEqual(process.returncode, 0, errors)
        self.assertExactlyOnce()


def worker_processes(parent):
    "Return the pids of the worker processes of the gateway parent"
    pids = set()
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % pid) as fp:
                ppid = int(fp.read().rsplit(')', 1)[1].split()[1])
            with open('/proc/%s/cmdline' % pid, 'rb') as fp:
                cmdline = fp.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and b'--worker' in cmdline:
            pids.add(int(pid))
    return pids


def alive(pid):
    "Tell if pid runs (a zombie does not)"
    try:
        with open('/proc/%d/stat' % pid) as fp:
            return fp.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False

"""Kill the gateway with SIGKILL at random points: nothing lost, nothing twice.

The gateway runs as a process (scripts/mail-gateway --once, with its
default worker processes on PostgreSQL) on a copy of the test database; it
is killed at a random moment of its work 20 times (once a
random share of the waiting mail is committed, give or take 50 ms) while
new mail keeps arriving, then runs to the end. Every message must then be
one received record and one request, and be in the processed folder.
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

RUNS = 20
PER_RUN = 40
GATEWAY = os.path.join(ROOT, 'scripts', 'mail-gateway')


@unittest.skipIf(skip_reason(), skip_reason())
class MailCrashTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_mail'])
        cls.dovecot = Dovecot().start()
        cls.database = CopiedDatabase()
        cls.address = 'crash@gru.test'
        cls.database.run(SETUP_MAILBOX, cls.address, cls.dovecot.imap_port)

    @classmethod
    def tearDownClass(cls):
        cls.database.drop()
        cls.dovecot.stop()

    def send(self, count, start):
        for i in range(start, start + count):
            mail = make_mail('usager%d@example.org' % (i % 7),
                self.address, "Demande %d" % i, "Bonjour, demande %d.\n"
                "Cordialement\n59000 Lille" % i)
            self.dovecot.append(self.address, mail.as_bytes())
        return start + count

    def received(self):
        "The number of received mail committed"
        return self.database.query(
            'SELECT COUNT(*) FROM gru_mail_received')[0][0]

    def gateway(self, *options):
        return subprocess.Popen([GATEWAY, '-d', self.database.name,
                '--once'] + list(options), env=self.database.env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def test_kill_at_random_points(self):
        "20 kills -9 at random points then a full run: exact counts"
        rng = random.Random(int(os.environ.get('GRU_CRASH_SEED', '5')))
        sent = self.send(PER_RUN, 0)
        killed = 0
        for run in range(RUNS):
            done = self.received()
            process = self.gateway()
            ready = process.stdout.readline()
            self.assertTrue(ready.startswith('ready'), ready)
            # a random point of the work whatever the speed of the machine:
            # after a random share of the waiting mail is committed
            target = done + rng.randrange(sent - done)
            deadline = time.monotonic() + 60
            while (process.poll() is None and self.received() < target
                    and time.monotonic() < deadline):
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.05))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                killed += 1
            process.wait(30)
            process.stdout.close()
            sent = self.send(PER_RUN // 2, sent)
        process = self.gateway()
        output, _ = process.communicate(timeout=300)
        self.assertEqual(process.returncode, 0, output)
        self.assertGreaterEqual(killed, RUNS // 2,
            "the gateway must be killed while working")

        received, = self.database.query(
            'SELECT COUNT(*), COUNT(DISTINCT message_key) '
            'FROM gru_mail_received')
        self.assertEqual(received, (sent, sent))
        requests, = self.database.query(
            'SELECT COUNT(*), COUNT(DISTINCT subject) '
            'FROM gru_inbox_request')
        self.assertEqual(requests, (sent, sent))
        messages, = self.database.query(
            'SELECT COUNT(*) FROM gru_inbox_message')
        self.assertEqual(messages, (sent,))
        states = self.database.query(
            'SELECT state, COUNT(*) FROM gru_mail_received GROUP BY state')
        self.assertEqual(dict(states), {'processed': sent})
        self.assertEqual(self.dovecot.count(self.address), 0)
        self.assertEqual(
            self.dovecot.count(self.address, 'GRU/Processed'), sent)

    def test_kill_during_pipelined_fetch(self):
        "A kill -9 while a parser process works ahead: exact counts"
        before = self.received()
        # enough mail for the fetch to parse ahead in a child process
        total = 400
        self.send(total, 10000)
        # the gateway alone parses ahead (its workers parse themselves)
        process = self.gateway('--workers', '1')
        ready = process.stdout.readline()
        self.assertTrue(ready.startswith('ready'), ready)
        deadline = time.monotonic() + 120
        count = before
        while count < before + 100 and time.monotonic() < deadline:
            time.sleep(0.05)
            count = self.received()
        self.assertIsNone(process.poll(), "the gateway ended too soon")
        parsers = parser_processes()
        self.assertTrue(parsers, "no parser process while fetching")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
        process.stdout.close()
        # the parser process ends with its gateway
        deadline = time.monotonic() + 20
        while parsers & parser_processes() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(parsers & parser_processes())
        process = self.gateway()
        output, _ = process.communicate(timeout=300)
        self.assertEqual(process.returncode, 0, output)
        received, = self.database.query(
            'SELECT COUNT(*), COUNT(DISTINCT message_key) '
            'FROM gru_mail_received')
        self.assertEqual(received, (before + total, before + total))
        requests, = self.database.query(
            "SELECT COUNT(*) FROM gru_inbox_request "
            "WHERE subject LIKE 'Demande 1____'")
        self.assertEqual(requests, (total,))
        self.assertEqual(self.dovecot.count(self.address), 0)


def parser_processes():
    "Return the pids of the running parser processes of the gateway"
    pids = set()
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as fp:
                cmdline = fp.read()
        except OSError:
            continue
        if b'gru_mail.parsing import _serve' in cmdline:
            pids.add(int(pid))
    return pids

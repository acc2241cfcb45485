"""Production serving on a plain machine: scripts/serve with 2 WSGI worker
processes, trytond-cron and trytond-worker on a fresh PostgreSQL database.

From the outside: JSON-RPC requests answered by two different worker
processes (gunicorn's access log names the worker of each request, by the
X-Request-Id the client sends); a letter dropped in a drop folder is read
by the OCR task the trytond-worker runs (not the request nor the
scheduler); the scheduler runs; SIGTERM stops every process.
"""
import base64
import json
import os
import re
import signal
import subprocess
import time
import unittest
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.support import free_port

from .support import ADMIN_PASSWORD, ROOT, enabled, ops_database, scan_png

SKIP = enabled()
LETTER = ("Jean Dupont\n12 rue des Lilas\n80000 Amiens\n\n"
    "Objet : demande d'aide\n\nMadame, Monsieur,\nje vous écris au sujet "
    "de mon dossier.")


def descendants(pid):
    "Return the pids of the processes under pid"
    children = subprocess.run(['ps', '-o', 'pid=', '--ppid', str(pid)],
        capture_output=True, text=True).stdout.split()
    result = []
    for child in map(int, children):
        result.append(child)
        result.extend(descendants(child))
    return result


def alive(pid):
    "Whether pid runs (a zombie is not running)"
    try:
        with open('/proc/%d/stat' % pid) as fp:
            return fp.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


@unittest.skipIf(SKIP, SKIP)
class ServeTestCase(unittest.TestCase):
    session = None

    @classmethod
    def setUpClass(cls):
        cls.database = ops_database()
        cls.port = free_port()
        cls.url = 'http://127.0.0.1:%d/' % cls.port
        cls.logs = os.path.join(cls.database.tmp, 'logs')
        cls.process = subprocess.Popen([
                os.path.join(ROOT, 'scripts', 'serve'),
                '-d', cls.database.name, '--workers', '2',
                '--queue-workers', '1',
                '--listen', '127.0.0.1:%d' % cls.port,
                '--log-dir', cls.logs],
            # trytond's INFO in web.log: each worker says when it loaded
            env=dict(cls.database.env, GRU_SERVE_STOP_TIMEOUT='30',
                GRU_WEB_LOG_LEVEL='20'),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        cls.addClassCleanup(cls.kill)
        cls.wait_ready()
        user_id, token, _ = cls.rpc('common.db.login',
            ['admin', {'password': ADMIN_PASSWORD}, 'en'])
        cls.session = base64.b64encode(('admin:%s:%s' % (
                    user_id, token)).encode()).decode()

    @classmethod
    def kill(cls):
        "Whatever the test did, nothing is left running"
        if cls.process.poll() is None:
            # each process of scripts/serve is in a group of its own
            processes = descendants(cls.process.pid)
            cls.process.terminate()
            try:
                cls.process.wait(45)
            except subprocess.TimeoutExpired:
                os.killpg(cls.process.pid, signal.SIGKILL)
                cls.process.wait()
            for pid in processes:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)

    @classmethod
    def wait_ready(cls, timeout=180):
        "Wait until each web worker has loaded the database"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cls.process.poll() is not None:
                raise RuntimeError('scripts/serve exited:\n%s\n%s' % (
                        cls.process.stdout.read(), cls.log('web.log')))
            loaded = set(re.findall(r'^(\d+) .* all modules loaded$',
                    cls.log('web.log'), re.M))
            try:
                version = cls.rpc('common.server.version', [], database='')
                if version and len(loaded) >= 2:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError('scripts/serve did not answer:\n'
            + cls.log('web.log'))

    @classmethod
    def log(cls, name):
        try:
            with open(os.path.join(cls.logs, name)) as fp:
                return fp.read()
        except OSError:
            return ''

    @classmethod
    def rpc(cls, method, params, database=None, request_id=None):
        headers = {'Content-Type': 'application/json'}
        if cls.session and database is None:
            headers['Authorization'] = 'Session ' + cls.session
        if request_id:
            headers['X-Request-Id'] = request_id
        if database is None:
            database = cls.database.name
        request = urllib.request.Request(
            cls.url + (database + '/' if database else '') + 'rpc/',
            data=json.dumps({'id': 1, 'method': method,
                    'params': params}).encode(),
            headers=headers, method='POST')
        with urllib.request.urlopen(request, timeout=60) as response:
            data = json.loads(response.read())
        if data.get('error'):
            raise RuntimeError('%s: %s' % (method, data['error']))
        return data['result']

    def test_serve(self):
        "Two workers answer, the task worker reads a letter, cron runs, stop"
        master = self.process.pid
        # the serve script, gunicorn and its workers, cron, worker and
        # their pools
        processes = descendants(master)

        # requests at the same time from 8 clients
        def call(index):
            return self.rpc('model.res.user.search_read',
                [[('login', '=', 'admin')], 0, None, None, ['login'], {}],
                request_id='ops-%d' % index)
        with ThreadPoolExecutor(8) as executor:
            answers = list(executor.map(call, range(64)))
        self.assertEqual({a[0]['login'] for a in answers}, {'admin'})
        time.sleep(0.5)
        workers = {}
        for pid, request_id in re.findall(
                r'" 200 .* worker=<?(\d+)>? request=(ops-\d+)$',
                self.log('access.log'), re.M):
            workers[request_id] = int(pid)
        self.assertEqual(len(workers), 64)
        self.assertEqual(len(set(workers.values())), 2, workers)
        self.assertTrue(set(workers.values()) <= set(processes))

        # a scan in the drop folder: the OCR is a task of the queue
        folder = os.path.join(self.database.tmp, 'drop')
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, 'lettre.png'), 'wb') as fp:
            fp.write(scan_png(LETTER))
        drop = subprocess.run([
                os.path.join(ROOT, 'scripts', 'letter-dropfolder'), folder,
                '--site', 'AMI', '-d', self.database.name,
                '-c', os.path.join(ROOT, 'config', 'trytond-prod.conf'),
                '--settle', '0'],
            env=dict(self.database.env, TRYTOND_QUEUE__WORKER='True'),
            capture_output=True, text=True, timeout=120)
        self.assertEqual(drop.returncode, 0, drop.stderr[-2000:])
        number = re.search(r'lettre\.png: (E\d{4}-\d+)', drop.stdout).group(1)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            letters = self.rpc('model.gru.letter.search_read',
                [[('number', '=', number)], 0, None, None,
                    ['state', 'postal_code', 'ocr_date'], {}])
            if letters and letters[0]['state'] != 'registered':
                break
            time.sleep(0.5)
        letter, = letters
        self.assertEqual(letter['state'], 'to_validate', letter)
        self.assertEqual(letter['postal_code'], '80000')
        (task_id, name, finished), = self.database.query(
            "SELECT id, name, finished_at FROM ir_queue "
            "WHERE data->>'method' = 'process_ocr' "
            "AND data->'instances' = %s::jsonb",
            json.dumps([letter['id']]))
        self.assertEqual(name, 'gru_letter_ocr')
        self.assertIsNotNone(finished)
        # run by a process of trytond-worker
        match = re.search(r'^(\d+) .*<Task %d@%s> in \d+ ms' % (
                task_id, re.escape(self.database.name)),
            self.log('worker.log'), re.M)
        self.assertTrue(match, self.log('worker.log')[-3000:])
        self.assertIn(int(match.group(1)), processes + descendants(master))

        # the scheduler ran at its start (then every minute)
        self.assertRegex(self.log('cron.log'),
            r'cron finished for "%s"' % re.escape(self.database.name))

        # a graceful stop stops them all
        before = set(descendants(master)) | set(processes)
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=60)
        self.assertEqual(self.process.returncode, 0, output)
        self.assertIn('stopped', output)
        self.assertLess(time.monotonic() - start, 40, output)
        self.assertEqual([p for p in before if alive(p)], [])
        self.assertIn('Shutting down: Master', self.log('web.log'))

"""A real demo server for the integration and browser suites.

demo_server() prepares a fresh demo database (a copy of the demo built once
per test run by scripts/demo --no-serve --small: DemoTemplate) on the
backend of the test run (SQLite file in a temporary folder, or a
PostgreSQL database), starts trytond on a free loopback port and stops
it when the test process exits. One server is shared by every test of the
process.
"""
import atexit
import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_IVR_KEY = 'gru_demo_ivr_key_not_for_production'
ADMIN = ('admin', 'gru-admin')
_server = None


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class SMTPSink:
    """A real SMTP server (aiosmtpd) on a free loopback port that keeps
    every mail it accepts in messages (envelope sender, recipients, bytes)"""

    def __init__(self):
        self.messages = []
        self.controller = None
        self.port = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                envelope.original_content or envelope.content))
        return '250 OK'

    def start(self):
        from aiosmtpd.controller import Controller
        self.port = free_port()
        self.controller = Controller(self, hostname='127.0.0.1',
            port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


class DemoTemplate:
    """The demo database of a test run, prepared once by scripts/demo
    --no-serve --small and copied for each demo server (a file copy on
    SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL, the filestore
    copied beside): building the demo takes minutes, a copy seconds.

    The processes of one run of scripts/lib/run_tests.py share it through
    the folder GRU_DEMO_TEMPLATE_DIR (the first one builds it under a file
    lock, the others wait and copy); without it, the process keeps one of
    its own. run_tests.py drops it at the end of the run (drop())."""

    _instances = {}

    def __init__(self, backend, folder):
        self.backend = backend
        self.folder = folder
        self.data = os.path.join(folder, 'data')
        if backend == 'postgresql':
            digest = hashlib.sha1(folder.encode()).hexdigest()[:12]
            self.database = 'gru_test_tmpl_%s' % digest
        else:
            self.database = 'gru'

    @classmethod
    def get(cls, backend, env):
        "Return the template of this run for backend, built if needed"
        folder = os.environ.get('GRU_DEMO_TEMPLATE_DIR')
        if not folder:
            folder = tempfile.mkdtemp(prefix='gru-demo-template-')
            os.environ['GRU_DEMO_TEMPLATE_DIR'] = folder
            atexit.register(cls.drop, folder)
        folder = os.path.join(folder, backend)
        os.makedirs(folder, exist_ok=True)
        if folder not in cls._instances:
            template = cls(backend, folder)
            template.build(env)
            cls._instances[folder] = template
        return cls._instances[folder]

    def build(self, env):
        "Build the demo database once per run: the first process does"
        import fcntl
        with open(os.path.join(self.folder, 'lock'), 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            ready = os.path.join(self.folder, 'ready')
            failed = os.path.join(self.folder, 'failed')
            if os.path.exists(failed):
                with open(failed) as fp:
                    raise RuntimeError(fp.read())
            if os.path.exists(ready):
                return
            os.makedirs(self.data, exist_ok=True)
            env = dict(env, GRU_DEMO_DIR=self.data,
                GRU_DEMO_DATABASE=self.database)
            demo_log = os.path.join(self.folder, 'demo.log')
            with open(demo_log, 'w') as log:
                process = subprocess.run(
                    [os.path.join(ROOT, 'scripts', 'demo'), '--no-serve',
                        '--small', '--fresh'],
                    env=env, stdout=log, stderr=subprocess.STDOUT)
            if process.returncode:
                with open(demo_log) as log:
                    message = 'scripts/demo failed:\n' + log.read()[-3000:]
                with open(failed, 'w') as fp:
                    fp.write(message)
                raise RuntimeError(message)
            open(ready, 'w').close()

    def copy_to(self, database, folder):
        """Copy the demo database as database, its SQLite file and
        filestore in folder (the database path of its server)"""
        if self.backend == 'postgresql':
            import psycopg
            uri = os.environ.get(
                'GRU_TEST_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
            with psycopg.connect(uri.rstrip('/') + '/postgres',
                    autocommit=True) as connection:
                connection.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                    % database)
                connection.execute('CREATE DATABASE "%s" TEMPLATE "%s"'
                    % (database, self.database))
        else:
            shutil.copyfile(
                os.path.join(self.data, self.database + '.sqlite'),
                os.path.join(folder, database + '.sqlite'))
        # what scripts/demo printed (the demo logins), as if it ran there
        shutil.copyfile(os.path.join(self.folder, 'demo.log'),
            os.path.join(folder, 'demo.log'))
        filestore = os.path.join(self.data, self.database)
        if os.path.isdir(filestore):
            shutil.copytree(filestore, os.path.join(folder, database),
                dirs_exist_ok=True)

    @classmethod
    def drop(cls, folder):
        "Drop the templates kept in folder (a GRU_DEMO_TEMPLATE_DIR)"
        postgresql = os.path.join(folder, 'postgresql')
        if os.path.isdir(postgresql):
            try:
                import psycopg
                uri = os.environ.get('GRU_TEST_POSTGRESQL_URI',
                    'postgresql://127.0.0.1:5432/')
                with psycopg.connect(uri.rstrip('/') + '/postgres',
                        autocommit=True) as connection:
                    connection.execute(
                        'DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                        % cls('postgresql', postgresql).database)
            except Exception:
                pass
        shutil.rmtree(folder, ignore_errors=True)


class DemoServer:

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='gru-demo-test-')
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d/' % self.port
        self.backend = os.environ.get('GRU_TEST_BACKEND', 'sqlite')
        self.env = dict(os.environ)
        self.env.pop('DB_NAME', None)
        self.env.pop('DB_CACHE', None)
        self.env['GRU_DEMO_DIR'] = self.tmp
        if self.backend == 'postgresql':
            self.database = 'gru_test_demo_%d' % os.getpid()
            self.env['TRYTOND_DATABASE__URI'] = os.environ.get(
                'GRU_TEST_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
        else:
            self.database = 'gru'
            self.env['TRYTOND_DATABASE__URI'] = 'sqlite://'
        self.env['GRU_DEMO_DATABASE'] = self.database
        self.process = None
        self.log = os.path.join(self.tmp, 'server.log')

    def start(self):
        DemoTemplate.get(self.backend, self.env).copy_to(
            self.database, self.tmp)
        env = dict(self.env)
        # a real SMTP server receives what the GRU sends (replies,
        # acknowledgements): a send that fails must not look like a reply
        self.smtp = SMTPSink().start()
        env['TRYTOND_EMAIL__URI'] = 'smtp://127.0.0.1:%d' % self.smtp.port
        env['TRYTOND_DATABASE__PATH'] = self.tmp
        env['TRYTOND_WEB__ROOT'] = os.path.join(ROOT, 'var', 'sao')
        env['TRYTOND_WEB__LISTEN'] = '127.0.0.1:%d' % self.port
        self.process = subprocess.Popen([
                os.path.join(ROOT, '.venv', 'bin', 'trytond'),
                '-c', os.path.join(ROOT, 'config', 'demo.conf'),
                '-d', self.database],
            env=env, stdout=open(self.log, 'w'), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                with open(self.log) as log:
                    raise RuntimeError(
                        'trytond exited:\n' + log.read()[-3000:])
            try:
                urllib.request.urlopen(self.url, timeout=1).read()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        raise RuntimeError('trytond did not answer on %s' % self.url)

    def stop(self):
        if getattr(self, 'smtp', None):
            self.smtp.stop()
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.backend == 'postgresql':
            try:
                import psycopg
                uri = self.env['TRYTOND_DATABASE__URI'].rstrip('/')
                with psycopg.connect(uri + '/postgres',
                        autocommit=True) as connection:
                    connection.execute(
                        'DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                        % self.database)
            except Exception:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def get(self, path, params=None, headers=None):
        "Return (status, decoded JSON or text) of a GET on path"
        url = self.url + path.lstrip('/')
        if params:
            url += '?' + urllib.parse.urlencode(params)
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode('utf-8', 'replace')

    def post(self, path, data, headers=None):
        url = self.url + path.lstrip('/')
        request = urllib.request.Request(url, data=json.dumps(data).encode(),
            headers=dict({'Content-Type': 'application/json'},
                **(headers or {})), method='POST')
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode('utf-8', 'replace')


def demo_server():
    "Return the demo server of this process, starting it on first use"
    global _server
    if _server is None:
        _server = DemoServer()
        atexit.register(_server.stop)
        try:
            _server.start()
        except Exception:
            server, _server = _server, None
            server.stop()
            raise
    return _server


class DemoRPCTestCase(unittest.TestCase):
    """A test case reading the demo server over JSON-RPC as the admin, with
    the admin's French preferences in cls.context"""

    @classmethod
    def setUpClass(cls):
        cls.server = demo_server()
        cls.session = None
        login, password = ADMIN
        user_id, token, _ = cls.rpc('common.db.login',
            [login, {'password': password}, 'fr'])
        cls.session = base64.b64encode(
            ('%s:%s:%s' % (login, user_id, token)).encode()).decode()
        cls.context = cls.rpc('model.res.user.get_preferences', [True, {}])

    @classmethod
    def rpc(cls, method, params):
        headers = {'Content-Type': 'application/json'}
        if cls.session:
            headers['Authorization'] = 'Session ' + cls.session
        request = urllib.request.Request(
            cls.server.url + cls.server.database + '/rpc/',
            data=json.dumps({'id': 1, 'method': method,
                    'params': params}).encode(),
            headers=headers, method='POST')
        with urllib.request.urlopen(request, timeout=60) as response:
            data = json.loads(response.read())
        if data.get('error'):
            raise AssertionError('%s: %s' % (method, data['error']))
        return data['result']

    @classmethod
    def search_read(cls, model, domain, fields):
        return cls.rpc('model.%s.search_read' % model,
            [domain, 0, None, None, fields, cls.context])


class RPCError(Exception):
    """The error answered by the server to a JSON-RPC call.

    A Tryton exception comes as [class name, args]: a UserError (and its
    subclasses, AccessError included) as ['UserError', [message,
    description, domain]]; any other exception as [str(exception),
    traceback]; a refused method (not in __rpc__) as an HTTP error."""

    def __init__(self, method, error, status=200):
        self.method = method
        self.error = error
        self.status = status
        self.kind = None
        self.message = self.description = ''
        if isinstance(error, list) and error:
            self.kind = error[0]
            args = error[1] if len(error) > 1 else None
            if self.kind == 'UserError' and isinstance(args, list) and args:
                self.message = args[0] or ''
                self.description = (args[1] or '') if len(args) > 1 else ''
            else:
                self.message = str(error[0])[:2000]
        else:
            self.message = str(error)[:2000]
        super().__init__('%s: %s' % (method, self.summary()))

    @property
    def user_error(self):
        "True for a UserError (what the client shows to the user)"
        return self.kind == 'UserError'

    def summary(self):
        if self.status != 200:
            return 'HTTP %s %s' % (self.status, self.message[:300])
        if self.user_error:
            return 'UserError %r' % self.message[:300]
        return 'server exception %s' % self.message[:300]


class RPCClient:
    """A JSON-RPC client logged in as one user, keeping his session.

    client('model.gru.inbox.request.search_count', [domain, context]) or
    client.model('gru.inbox.request', 'search_count', domain), which adds
    the user's context (his preferences, updated by context=). An error
    answered by the server raises RPCError."""

    def __init__(self, server, login, password, language='fr'):
        self.server = server
        self.login = login
        self.session = None
        self.user_id, token, _ = self(
            'common.db.login', [login, {'password': password}, language])
        self.session = base64.b64encode(
            ('%s:%s:%s' % (login, self.user_id, token)).encode()).decode()
        self.context = self('model.res.user.get_preferences', [True, {}])

    def __call__(self, method, params):
        headers = {'Content-Type': 'application/json'}
        if self.session:
            headers['Authorization'] = 'Session ' + self.session
        request = urllib.request.Request(
            self.server.url + self.server.database + '/rpc/',
            data=json.dumps({'id': 1, 'method': method,
                    'params': params}).encode(),
            headers=headers, method='POST')
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                data = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RPCError(method, error.read().decode('utf-8', 'replace'),
                status=error.code)
        if data.get('error'):
            raise RPCError(method, data['error'])
        return data['result']

    def model(self, model, method, *args, context=None):
        return self('model.%s.%s' % (model, method),
            list(args) + [dict(self.context, **(context or {}))])


_private_servers = {}


def private_demo_server(name):
    """Return a demo server of the process of its own, named name, started
    on first use and stopped at exit: for the suites that change the demo
    data in ways the others would see (anonymisation, retention...)"""
    if name not in _private_servers:
        server = DemoServer()
        if server.backend == 'postgresql':
            server.database = 'gru_test_demo_%d_%s' % (os.getpid(), name)
            server.env['GRU_DEMO_DATABASE'] = server.database
        atexit.register(server.stop)
        try:
            server.start()
        except Exception as error:
            # not started again by the next test: report the first error
            _private_servers[name] = error
            raise
        _private_servers[name] = server
    server = _private_servers[name]
    if isinstance(server, Exception):
        raise RuntimeError('the demo server %s did not start: %s'
            % (name, server))
    return server

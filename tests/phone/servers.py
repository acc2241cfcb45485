"""The real telephony peers of the tests: Kamailio running the project's
toll-free configuration (config/kamailio/gru-tollfree.cfg) and baresip as
an agent's phone, both on free loopback ports, started and stopped by the
test.

The tests that place SIP calls run once per suite, on the PostgreSQL run
(the demo server they use is a database of its own); GRU_PHONE_SIP_TESTS=1
runs them on SQLite too, for a developer.
"""
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from gru_base.tests.tools import external_skip
from tests.support import ROOT, free_port

CONFIG = os.path.join(ROOT, 'config', 'kamailio', 'gru-tollfree.cfg')
TOLLFREE = '0800123456'
MODULES = ['tm', 'dialog', 'registrar', 'usrloc', 'mqueue', 'rtimer',
    'http_client', 'jansson']
MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/kamailio/modules',
    '/usr/lib/aarch64-linux-gnu/kamailio/modules',
    '/usr/lib/kamailio/modules']


def missing():
    "Return what is missing to run Kamailio with the configuration here"
    if not shutil.which('kamailio'):
        return ['kamailio']
    folder = next((d for d in MODULE_DIRS if os.path.isdir(d)), None)
    if folder is None:
        return ['kamailio modules']
    return [m + '.so' for m in MODULES
        if not os.path.exists(os.path.join(folder, m + '.so'))]


def enabled():
    """Return the reason why the SIP tests do not run here, or None when
    they run"""
    lacking = missing()
    if lacking:
        return 'not installed: %s (scripts/setup --test)' % ', '.join(
            lacking)
    return external_skip('the SIP calls', 'GRU_PHONE_SIP_TESTS')


def sip_ping(port, timeout=0.1):
    "Send OPTIONS to the proxy; True when it answers 200"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    sock.settimeout(timeout)
    local, stamp = sock.getsockname()[1], time.time_ns()
    message = ('OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n'
        'Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%d\r\n'
        'Max-Forwards: 70\r\nFrom: <sip:ping@127.0.0.1>;tag=p\r\n'
        'To: <sip:127.0.0.1>\r\nCall-ID: ping%d\r\n'
        'CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' % (
            port, local, stamp, stamp))
    try:
        sock.sendto(message.encode(), ('127.0.0.1', port))
        return sock.recv(4096).startswith(b'SIP/2.0 200')
    except OSError:
        return False
    finally:
        sock.close()


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Kamailio:
    """The toll-free proxy on a free UDP port of the loopback, asking the
    GRU at gru_url (database, key); defines adds -A parameters"""

    def __init__(self, gru_url, database, key, **defines):
        self.dir = tempfile.mkdtemp(prefix='gru-kamailio-')
        self.port = free_udp_port()
        self.log = os.path.join(self.dir, 'kamailio.log')
        self.defines = {
            'SIP_PORT': self.port,
            'GRU_URL': '"%s"' % gru_url.rstrip('/'),
            'GRU_DB': '"%s"' % database,
            'GRU_KEY': '"%s"' % key,
            'CHILDREN': 4,
            }
        self.defines.update(defines)
        self.process = None

    def arguments(self):
        args = ['-f', CONFIG, '-m', '64', '-M', '8', '-Y', self.dir]
        for name, value in self.defines.items():
            args += ['-A', name if value is True else '%s=%s' % (
                    name, value)]
        return args

    def check(self):
        "Return kamailio -c's (returncode, output) on the configuration"
        process = subprocess.run(['kamailio', '-c'] + self.arguments(),
            capture_output=True, text=True)
        return process.returncode, process.stdout + process.stderr

    def start(self, timeout=10):
        code, output = self.check()
        if code:
            raise RuntimeError('kamailio -c refused the configuration:\n'
                + output[-3000:])
        self.process = subprocess.Popen(
            ['kamailio', '-DD', '-E'] + self.arguments(),
            stdout=open(self.log, 'w'), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('kamailio exited:\n' + self.tail())
            if sip_ping(self.port):
                return self
            time.sleep(0.02)
        log = self.tail()
        self.stop()
        raise RuntimeError('kamailio does not answer:\n' + log)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process:
            # a worker left behind by a main process that died
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def tail(self, lines=40):
        try:
            with open(self.log) as log:
                return ''.join(log.readlines()[-lines:])
        except OSError:
            return ''

    def cti_events(self, call_id):
        "Return the CTI events the proxy queued for call_id (its log)"
        events = []
        with open(self.log) as log:
            for line in log:
                match = re.search(r'cti event (\{.*\})\s*$', line)
                if match:
                    event = json.loads(match.group(1))
                    if event['call_id'] == call_id:
                        events.append(event)
        return events


BARESIP_CONFIG = """\
poll_method epoll
sip_listen 127.0.0.1:{sip_port}
net_interface 127.0.0.1
call_local_timeout 120
call_max_calls 4
audio_player alsa,null
audio_source alsa,null
audio_alert alsa,null
module_path /usr/lib/baresip/modules
module g711.so
module alsa.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{ctrl_port}
"""


class Baresip:
    """An agent's phone played by baresip (a real UA: SDP, RTP to ALSA's
    null device), headless, driven through its ctrl_tcp module (JSON in
    netstrings); it registers at the proxy and answers by itself"""

    def __init__(self, user, proxy_port, answermode='auto'):
        self.user = user
        self.dir = tempfile.mkdtemp(prefix='gru-baresip-')
        self.sip_port, self.ctrl_port = free_udp_port(), free_port()
        with open(os.path.join(self.dir, 'config'), 'w') as config:
            config.write(BARESIP_CONFIG.format(sip_port=self.sip_port,
                    ctrl_port=self.ctrl_port))
        proxy = '127.0.0.1:%d' % proxy_port
        with open(os.path.join(self.dir, 'accounts'), 'w') as accounts:
            # outbound: every request through the proxy
            accounts.write('<sip:%s@%s;transport=udp>;regint=300;'
                'outbound="sip:%s;transport=udp";answermode=%s;'
                'audio_codecs=pcmu\n' % (user, proxy, proxy, answermode))
        open(os.path.join(self.dir, 'contacts'), 'w').close()
        self.events = []
        self.process = self.sock = None
        self._condition = threading.Condition()
        self._responses = {}
        self._token = 0

    def start(self, timeout=30):
        # baresip loads its modules before it opens its control port:
        # seconds on a busy machine (5 s was too short beside the suite)
        self.process = subprocess.Popen(['baresip', '-f', self.dir],
            stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            stdout=open(os.path.join(self.dir, 'baresip.log'), 'w'),
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(
                    ('127.0.0.1', self.ctrl_port), timeout=1)
                break
            except OSError:
                if (time.monotonic() > deadline
                        or self.process.poll() is not None):
                    self.stop()
                    raise RuntimeError('baresip did not start')
                time.sleep(0.05)
        self.sock.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self):
        buffer = b''
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            while b':' in buffer:
                length, _, rest = buffer.partition(b':')
                size = int(length)
                if len(rest) < size + 1:
                    break
                payload, buffer = rest[:size], rest[size + 1:]
                message = json.loads(payload)
                with self._condition:
                    if message.get('event'):
                        self.events.append(message)
                    elif message.get('response'):
                        self._responses[message.get('token')] = message
                    self._condition.notify_all()

    def command(self, command, params='', timeout=5):
        "Run a baresip command; return its response (or None)"
        with self._condition:
            self._token += 1
            token = str(self._token)
        payload = json.dumps({'command': command, 'params': params,
                'token': token}).encode()
        self.sock.sendall(b'%d:%s,' % (len(payload), payload))
        with self._condition:
            self._condition.wait_for(lambda: token in self._responses,
                timeout)
            return self._responses.pop(token, None)

    def wait_registered(self, timeout=5):
        "Poll reginfo until the account is registered (its REGISTER_OK "
        "event may come before the control connection)"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.command('reginfo') or {}
            text = re.sub(r'\x1b\[[0-9;]*m', ' ', response.get('data', ''))
            if ' OK ' in text:
                return True
            time.sleep(0.05)
        return False

    def wait_event(self, kind, timeout=10):
        "Return the first event of kind (CALL_ESTABLISHED...) or None"
        def find():
            return next((e for e in self.events if e.get('type') == kind),
                None)
        with self._condition:
            self._condition.wait_for(lambda: find() is not None, timeout)
            return find()

    def stop(self):
        if self.sock:
            try:
                self.command('quit', timeout=1)
            except OSError:
                pass
            self.sock.close()
        if self.process:
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def phone_key(client, name="Kamailio (tests)"):
    """Return a new API key of scope 'phone' made by the GRU's wizard, as
    an administrator would (client: an RPCClient of the admin)"""
    key_id, = client.model('gru.api.key', 'create', [{
                'name': name,
                'scopes': ['phone'],
                }])
    session, _, _ = client('wizard.gru.api.key.generate.create',
        [client.context])
    context = dict(client.context, active_model='gru.api.key',
        active_id=key_id, active_ids=[key_id])
    result = client('wizard.gru.api.key.generate.execute',
        [session, {}, 'start', context])
    client('wizard.gru.api.key.generate.delete', [session, context])
    return result['view']['defaults']['key']


def open_calendars(client, closed_on=None):
    """Open every business calendar all day every day, without public
    holidays nor closures; closed_on: a closure that day instead"""
    def rpc_time(value):
        return {'__class__': 'time', 'hour': value.hour,
            'minute': value.minute, 'second': value.second,
            'microsecond': 0}
    calendars = client.model('gru.sla.calendar', 'search_read',
        [], 0, None, None, ['hours', 'closures'])
    for calendar in calendars:
        actions = {
            'public_holidays': False,
            'hours': [['delete', calendar['hours']], ['create', [{
                            'weekday': str(day),
                            'start_time': rpc_time(dt.time(0, 0)),
                            'end_time': rpc_time(dt.time(23, 59, 59)),
                            } for day in range(7)]]],
            'closures': [['delete', calendar['closures']]],
            }
        if closed_on:
            actions['closures'].append(['create', [{
                            'start_date': {'__class__': 'date',
                                'year': closed_on.year,
                                'month': closed_on.month,
                                'day': closed_on.day},
                            'name': "Closed (tests)",
                            }]])
        client.model('gru.sla.calendar', 'write', [calendar['id']],
            actions)


class Relay:
    """A TCP relay from a free loopback port to target (host, port),
    started and stopped at will: a GRU that goes away and comes back"""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.server = None

    def start(self):
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(('127.0.0.1', self.port))
        self.server.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for source, sink in [(client, upstream), (upstream, client)]:
                threading.Thread(target=self._pipe, args=(source, sink),
                    daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in [source, sink]:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        if self.server:
            self.server.close()
            self.server = None


def ensure_agents(client, per_antenna=3):
    """Give SIP accounts ('<code>-agent<n>') to up to per_antenna users of
    each antenna none of whose users has one (the demo data gives them;
    this keeps the tests and benchmarks going without); return the number
    of accounts given"""
    antennas = {a['id']: a['code'] for a in client.model('gru.antenna',
            'search_read', [], 0, None, None, ['code'])}
    users = client.model('res.user', 'search_read',
        [('gru_antennas', '!=', None)], 0, None, [('id', 'ASC')],
        ['sip_user', 'gru_antennas'])
    served = {a for u in users if u['sip_user'] for a in u['gru_antennas']}
    taken = {u['sip_user'] for u in users if u['sip_user']}
    given = 0
    for antenna, code in antennas.items():
        if antenna in served:
            continue
        members = [u for u in users
            if u['gru_antennas'] == [antenna] and not u['sip_user']]
        for number, user in enumerate(members[:per_antenna], 1):
            sip_user = '%s-agent%d' % (code.lower(), number)
            if sip_user in taken:
                continue
            client.model('res.user', 'write', [user['id']],
                {'sip_user': sip_user})
            taken.add(sip_user)
            given += 1
    return given

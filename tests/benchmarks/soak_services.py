"""The servers of the soak with faults (tests/benchmarks/soak.py), each one
its own process on loopback so that the soak may restart or kill it:

- PostgreSQL: a cluster of its own (initdb as the postgres system user in
  a folder of the soak, trust authentication, a free port), never the
  machine's shared one;
- an SMTP sink (aiosmtpd) keeping every accepted mail, which refuses
  (451) for a window when asked;
- a supervised process (scripts/serve, scripts/mail-gateway) restarted
  when it exits, as systemd or Docker would.
"""
import email
import os
import signal
import socket
import subprocess
import threading
import time

PG_BIN = '/usr/lib/postgresql/15/bin'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def children(pid):
    "Return the pids of the direct children of pid"
    result = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as fp:
                fields = fp.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            result.append(int(entry))
    return result


def command_line(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as fp:
            return fp.read().replace(b'\0', b' ').decode('utf-8', 'replace')
    except OSError:
        return ''


class PostgreSQL:
    "A PostgreSQL cluster of the soak in folder, owned by postgres"

    def __init__(self, folder, port=None):
        self.folder = folder
        self.data = os.path.join(folder, 'pgdata')
        self.run_dir = os.path.join(folder, 'pgrun')
        self.log = os.path.join(self.run_dir, 'postgresql.log')
        os.makedirs(folder, exist_ok=True)
        port_file = os.path.join(folder, 'pgport')
        if port is None and os.path.exists(port_file):
            with open(port_file) as fp:
                port = int(fp.read())
        self.port = port or free_port()
        with open(port_file, 'w') as fp:
            fp.write(str(self.port))

    @property
    def uri(self):
        return 'postgresql://postgres@127.0.0.1:%d/' % self.port

    def _run(self, *args, check=True):
        "Run a PostgreSQL program as the postgres system user"
        return subprocess.run(['runuser', '-u', 'postgres', '--']
            + [os.path.join(PG_BIN, args[0])] + list(args[1:]),
            cwd='/', check=check, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=300)

    def init(self):
        if os.path.exists(os.path.join(self.data, 'PG_VERSION')):
            return False
        for path in [self.folder, self.data, self.run_dir]:
            os.makedirs(path, exist_ok=True)
        os.chmod(self.folder, 0o755)
        subprocess.run(['chown', 'postgres:postgres', self.data,
                self.run_dir], check=True)
        self._run('initdb', '-D', self.data, '-A', 'trust', '-U',
            'postgres', '-E', 'UTF8', '--locale=C.UTF-8')
        return True

    def options(self):
        return ('-p %d -k %s -c listen_addresses=127.0.0.1 '
            '-c max_connections=200' % (self.port, self.run_dir))

    def start(self):
        if not self._run('pg_ctl', '-D', self.data, 'status',
                check=False).returncode:
            return  # left running by an interrupted soak
        self._run('pg_ctl', '-D', self.data, '-l', self.log, '-w',
            '-t', '120', '-o', self.options(), 'start')

    def restart(self):
        "Restart fast: every connection is cut, transactions rolled back"
        self._run('pg_ctl', '-D', self.data, '-l', self.log, '-w',
            '-t', '120', '-m', 'fast', '-o', self.options(), 'restart')

    def stop(self):
        self._run('pg_ctl', '-D', self.data, '-w', '-t', '120', '-m',
            'fast', 'stop', check=False)

    def connect(self, database='postgres'):
        import psycopg
        return psycopg.connect(self.uri + database, autocommit=True)


class RefusingSMTPSink:
    """An SMTP server keeping every mail it accepts: (time, Message-ID,
    recipients, parsed message); refuse(seconds) answers 451 to every
    recipient for that long (a server in trouble), then accepts again"""

    def __init__(self):
        self.port = free_port()
        self.accepted = []
        self.refused = 0
        self.refuse_until = 0
        self.lock = threading.Lock()
        self.controller = None

    @property
    def uri(self):
        return 'smtp://127.0.0.1:%d' % self.port

    def refuse(self, seconds):
        self.refuse_until = time.monotonic() + seconds

    @property
    def refusing(self):
        return time.monotonic() < self.refuse_until

    async def handle_RCPT(self, server, session, envelope, address,
            rcpt_options):
        if self.refusing:
            with self.lock:
                self.refused += 1
            return '451 4.3.2 soak: refusing for a while, try again later'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode('utf-8')
        message = email.message_from_bytes(content)
        with self.lock:
            self.accepted.append((time.monotonic(),
                    (message.get('Message-ID') or '').strip(),
                    list(envelope.rcpt_tos), message))
        return '250 OK'

    def start(self):
        from aiosmtpd.controller import Controller
        self.controller = Controller(self, hostname='127.0.0.1',
            port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


class Supervised:
    """A command run in a process group of its own and started again when
    it exits (after a pause), as a supervisor would; restarts counts it"""

    def __init__(self, name, command, env, log, pause=2, on_start=None):
        self.name = name
        self.command = command
        self.env = env
        self.log = log
        self.pause = pause
        self.on_start = on_start
        self.process = None
        self.restarts = []  # (monotonic time, exit code)
        self.stopping = threading.Event()
        self.thread = None
        self.lock = threading.Lock()

    def _spawn(self):
        with open(self.log, 'a') as log:
            self.process = subprocess.Popen(self.command, env=self.env,
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        if self.on_start:
            self.on_start(self)

    def start(self):
        self._spawn()
        self.thread = threading.Thread(target=self._watch, daemon=True,
            name='supervise-' + self.name)
        self.thread.start()
        return self

    def _watch(self):
        while not self.stopping.is_set():
            code = self.process.wait()
            if self.stopping.is_set():
                break
            # a process left in the group (gunicorn workers...) goes too
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.restarts.append((time.monotonic(), code))
            self.stopping.wait(self.pause)
            if not self.stopping.is_set():
                with self.lock:
                    self._spawn()

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def stop(self, timeout=60):
        self.stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()

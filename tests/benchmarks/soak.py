#!/usr/bin/env python3
"""Soak with faults: mail, calls, API intake and agents at once while the
servers fail; every input must end stored once or quarantined, every
reply sent once.

Runs everything of its own on loopback (tests/benchmarks/soak_services.py):
a PostgreSQL cluster (initdb in the work folder, a free port; the
machine's shared PostgreSQL is never touched), the GRU database built
once by scripts/lib/demo.py --small in it (the template of each run), a
private Dovecot with the generic demo mailbox made active on it, an SMTP
sink that can refuse, the production serving scripts/serve (gunicorn web
workers, trytond-cron, trytond-worker) and scripts/mail-gateway, both
restarted by the soak when they exit, as a supervisor would.

During --minutes of load (a compressed day, a few inputs a second):
mails appended to the mailbox (some hostile, from the fuzzer), calls (the
IVR decision and the CTI events over the phone API), requests over the
intake API, agents answering requests by email over JSON-RPC (the reply
wizard). Each input carries a unique id (Message-ID, call id and event
ids, client_key, a token in the reply); clients retry on connection
errors and 5xx as real ones do. Faults on a schedule: PostgreSQL
restarted (pg_ctl restart -m fast, twice), IMAP connections kicked then
Dovecot restarted, the SMTP sink refusing (451) for a minute, SIGKILL of a
gunicorn worker (twice), of trytond-worker and of the mail gateway.
Then the queues are drained (bounded) and the database and the sink are
checked: each input stored once, duplicated, quarantined (with its
reason) or lost; each reply delivered once, twice or never; any mail
delivered twice. Exit 1 on any loss or duplicate.

Usage: .venv/bin/python tests/benchmarks/soak.py [--minutes 10]
    [--workdir DIR] [--drain-minutes 8] [--rate 1.0] [--seed 1]
--workdir keeps the cluster and the template database between runs
(default: a temporary folder removed at the end).
A second send_pending_mails scheduled action runs every minute (the day
is compressed; the module's runs every 5); the fetch of the mailboxes by
the scheduler is left active beside the gateway, as installed.
"""
import argparse
import base64
import collections
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.benchmarks.soak_services import (  # noqa: E402
    PostgreSQL, RefusingSMTPSink, Supervised, children, command_line,
    free_port)

VENV = os.path.join(ROOT, '.venv', 'bin')
TEMPLATE = 'gru_soak_template'
DATABASE = 'gru_soak'
# every module but gru_steering and gru_perimeter (not needed here); the
# demo data of the channels needs gru_letter and gru_counter
MODULES = ('gru_base gru_territory gru_contact gru_scheme gru_staff '
    'gru_inbox gru_sla gru_mail gru_phone gru_letter gru_counter '
    'gru_knowledge')
API_KEY = 'gru_demo_ivr_key_not_for_production'
ADMIN = ('admin', 'gru-admin')
AGENTS = [('ci.amiens', 'demo-ci-amiens'), ('superviseur', 'demo-superviseur')]
POSTAL_CODE = '80000'
RETRY_FOR = 240  # s a client keeps retrying one input
START = time.monotonic()


def log(message):
    print('[soak %6.1f] %s' % (time.monotonic() - START, message),
        flush=True)


class Transient(Exception):
    "A failure a client retries: no answer, a connection cut, a 5xx"


def http(method, url, data=None, headers=None, timeout=30):
    "Return (status, JSON or text); raise Transient on what is retried"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method,
        headers=dict({'Content-Type': 'application/json'}, **(headers or {})))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise Transient('%s: %s' % (type(error).__name__, error))
    if status >= 500 or status == 429:
        raise Transient('HTTP %s %s' % (status, raw[:200]))
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode('utf-8', 'replace')


def retrying(func, stats, deadline=RETRY_FOR):
    """Call func until it does not raise Transient (backoff up to 5 s);
    count the retries in stats; raise the last Transient after deadline"""
    end = time.monotonic() + deadline
    attempt = 0
    while True:
        try:
            return func()
        except Transient as error:
            attempt += 1
            stats['retries'] += 1
            stats['errors'][str(error)[:60]] += 1
            if time.monotonic() > end:
                raise
            time.sleep(min(0.5 * 2 ** min(attempt, 4), 5))


def new_stats():
    return {'retries': 0, 'errors': collections.Counter()}


class Soak:

    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.own_workdir = not args.workdir
        self.workdir = os.path.abspath(
            args.workdir or tempfile.mkdtemp(prefix='gru-soak-'))
        os.makedirs(self.workdir, exist_ok=True)
        # the postgres system user runs the cluster inside
        os.chmod(self.workdir, 0o755)
        # kept at the end, even with a temporary work folder
        self.logs = tempfile.mkdtemp(prefix='gru-soak-logs-')
        self.filestore = os.path.join(self.workdir, 'filestore')
        self.pg = PostgreSQL(os.path.join(self.workdir, 'postgresql'))
        self.database = DATABASE
        # the last working day before today, from 08:30 UTC
        day = dt.date.today() - dt.timedelta(days=1)
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        self.day_start = dt.datetime.combine(day, dt.time(8, 30),
            dt.timezone.utc).timestamp()
        self.web_port = free_port()
        self.url = 'http://127.0.0.1:%d/%s/' % (self.web_port, DATABASE)
        self.stop_load = threading.Event()
        self.lock = threading.Lock()
        self.faults = []  # (time, name, detail)
        # what the clients sent, by input id
        self.mails = {}  # Message-ID: {'kind', 'appends'}
        self.intakes = {}  # client_key: {'status', 'reference'}
        self.calls = {}  # call_id: {'events': [ids], 'missed', 'status'}
        self.replies = {}  # token: {'request', 'status'}
        self.reply_queue = collections.deque()
        self.replied_requests = set()
        self.stats = collections.defaultdict(new_stats)
        self.client_errors = []
        self.serve = self.gateway = self.dovecot = self.smtp = None

    # Set-up

    def env(self):
        env = dict(os.environ)
        for name in ['DB_NAME', 'DB_CACHE', 'TRYTOND_CONFIG']:
            env.pop(name, None)
        env.update({
                'PYTHONPATH': ROOT,
                'TRYTOND_DATABASE__URI': self.pg.uri,
                'TRYTOND_DATABASE__PATH': self.filestore,
                'TRYTOND_EMAIL__URI': self.smtp.uri if self.smtp else '',
                'TRYTOND_WEB__ROOT': os.path.join(ROOT, 'var', 'sao'),
                'GRU_ETALAB_PATH': os.path.join(ROOT, 'var', 'npm',
                    'node_modules', '@etalab', 'decoupage-administratif',
                    'data'),
                })
        return env

    def prepare_database(self):
        "Start the cluster, build the template once, copy it for this run"
        if self.pg.init():
            log('PostgreSQL cluster created in %s' % self.pg.data)
        self.pg.start()
        log('PostgreSQL of the soak on port %d' % self.pg.port)
        ready = os.path.join(self.workdir, 'template.ready')
        demo_dir = os.path.join(self.workdir, 'demo')
        if not os.path.exists(ready):
            log('building the template database (scripts/lib/demo.py '
                '--small, modules %s): a few minutes' % MODULES)
            os.makedirs(demo_dir, exist_ok=True)
            env = dict(self.env(), GRU_MODULES=MODULES,
                GRU_DEMO_DIR=demo_dir, GRU_DEMO_DATABASE=TEMPLATE,
                TRYTOND_CONFIG=os.path.join(ROOT, 'config', 'demo.conf'),
                TRYTOND_DATABASE__PATH=demo_dir)
            with open(os.path.join(self.workdir, 'demo.log'), 'w') as out:
                subprocess.run([os.path.join(VENV, 'python'),
                        os.path.join(ROOT, 'scripts', 'lib', 'demo.py'),
                        '--no-serve', '--small', '--fresh'],
                    env=env, stdout=out, stderr=subprocess.STDOUT,
                    check=True, cwd=ROOT)
            open(ready, 'w').close()
        with self.pg.connect() as connection:
            connection.execute(
                'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % DATABASE)
            connection.execute('CREATE DATABASE "%s" TEMPLATE "%s"'
                % (DATABASE, TEMPLATE))
        shutil.rmtree(self.filestore, ignore_errors=True)
        os.makedirs(self.filestore)
        source = os.path.join(demo_dir, TEMPLATE)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(self.filestore, DATABASE))
        log('database %s copied from the template' % DATABASE)

    def start_mail_servers(self):
        from tests.mail.servers import Dovecot
        self.smtp = RefusingSMTPSink().start()
        self.dovecot = Dovecot().start()
        log('Dovecot IMAP on %d, SMTP sink on %d' % (
                self.dovecot.imap_port, self.smtp.port))

    def start_serve(self):
        env = dict(self.env(), GRU_LOG_DIR=self.logs,
            GRU_SERVE_STOP_TIMEOUT='20', GRU_SERVE_TIMEOUT='120')
        self.serve = Supervised('serve', [
                os.path.join(ROOT, 'scripts', 'serve'), '-d', DATABASE,
                '--workers', str(self.args.web_workers), '--queue-workers',
                '1', '--listen', '127.0.0.1:%d' % self.web_port],
            env, os.path.join(self.logs, 'serve.log'), pause=2).start()
        self.wait_web()
        log('scripts/serve answers on %d (%d web workers, cron, 1 task '
            'worker)' % (self.web_port, self.args.web_workers))

    def wait_web(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, _ = http('GET', self.url + 'gru/phone/decision',
                    headers={'X-API-Key': 'x'}, timeout=5)
                return
            except Transient:
                time.sleep(0.5)
        raise RuntimeError('scripts/serve does not answer, see %s'
            % self.logs)

    def start_gateway(self):
        self.gateway = Supervised('gateway', [
                os.path.join(ROOT, 'scripts', 'mail-gateway'), '-d',
                DATABASE, '-c', os.path.join(ROOT, 'config',
                    'trytond-prod.conf'), '-v'],
            self.env(), os.path.join(self.logs, 'gateway.log'),
            pause=2).start()
        log('scripts/mail-gateway started (pid %d)' % self.gateway.pid)

    def configure(self):
        "As the administrator: the mailbox on Dovecot, the send interval"
        admin = Agent(self, *ADMIN)
        mailboxes = admin.model('gru.mail.mailbox', 'search_read',
            [('active', 'in', [True, False])], 0, None, [('id', 'ASC')],
            ['address', 'scheme', 'name'])
        generic = next((m for m in mailboxes if not m['scheme']),
            mailboxes[0])
        self.mailbox = generic['address']
        self.dovecot.add_user(self.mailbox)
        admin.model('gru.mail.mailbox', 'write', [generic['id']], {
                'host': '127.0.0.1', 'port': self.dovecot.imap_port,
                'security': 'none', 'login': self.mailbox,
                'password': 'secret', 'password_ref': None,
                'active': True, 'poll_interval': 5,
                'acknowledgement_limit': 1000})
        # the scheduled action of the module is protected data: a second
        # one every minute, as an administrator would add
        admin.model('ir.cron', 'create', [{
                    'method': 'gru.inbox.message|send_pending_mails',
                    'interval_number': 1, 'interval_type': 'minutes'}])
        log('mailbox %s active on Dovecot; pending mails also sent every '
            'minute' % self.mailbox)

    # The clients

    def mail_client(self):
        "Append mails to the mailbox; 10% hostile ones from the fuzzer"
        from imapclient import IMAPClient

        from gru_mail.tests.fuzz_mail import build
        rng = random.Random(self.args.seed + 1)
        stats = self.stats['mail']
        client = None
        n = 0
        while not self.stop_load.is_set():
            n += 1
            message_id = '<soak-mail-%d.%d@usagers.test>' % (
                n, self.args.seed)
            hostile = rng.random() < 0.1
            if hostile:
                # our Message-ID, the only one: the mail is found by it
                head, sep, tail = build(rng).partition(b'\n\n')
                head = re.sub(rb'(?im)^message-id:.*\n?', b'', head)
                raw = b'Message-ID: ' + message_id.encode() + b'\r\n' \
                    + head + sep + tail
            else:
                msg = EmailMessage()
                msg['From'] = 'Usager %d <usager.mail.%d@usagers.test>' % (
                    n, n)
                msg['To'] = self.mailbox
                msg['Subject'] = 'SOAK mail %d' % n
                msg['Message-ID'] = message_id
                msg.set_content('Bonjour,\nje vous écris au sujet de ma '
                    'demande %d.\nCordialement\n%s Amiens\n' % (
                        n, POSTAL_CODE))
                raw = msg.as_bytes()
            record = {'kind': 'hostile' if hostile else 'mail',
                'appends': 0, 'sent_at': time.monotonic()}
            with self.lock:
                self.mails[message_id] = record

            def append():
                nonlocal client
                try:
                    if client is None:
                        client = IMAPClient('127.0.0.1',
                            port=self.dovecot.imap_port, ssl=False,
                            timeout=20)
                        client.login(self.mailbox, 'secret')
                    client.append('INBOX', raw)
                    record['appends'] += 1
                except Exception as error:  # any IMAP failure: reconnect
                    try:
                        if client is not None:
                            client.shutdown()
                    except Exception:
                        pass
                    client = None
                    raise Transient('IMAP %s: %s' % (
                            type(error).__name__, error))
            try:
                retrying(append, stats)
            except Transient:
                record['gave_up'] = True
            self.pace(self.args.rate * 0.5, rng)

    def pace(self, per_second, rng):
        self.stop_load.wait(rng.expovariate(per_second))

    def intake_client(self, index):
        "Requests over the intake API, with a client_key"
        rng = random.Random(self.args.seed * 100 + index)
        stats = self.stats['intake']
        n = 0
        while not self.stop_load.is_set():
            n += 1
            key = 'soak-intake-%d-%d-%d' % (self.args.seed, index, n)
            data = {
                'client_key': key,
                'subject': 'SOAK intake %d-%d' % (index, n),
                'body': 'Demande en ligne %s : aide au permis.' % key,
                'name': 'Usager %d-%d' % (index, n),
                'email': 'usager.web.%d.%d@usagers.test' % (index, n),
                'postal_code': POSTAL_CODE,
                }
            record = {'status': None, 'sent_at': time.monotonic(),
                'email': data['email']}
            with self.lock:
                self.intakes[key] = record
            try:
                status, answer = retrying(lambda: http('POST',
                        self.url + 'gru/requests', data,
                        {'X-API-Key': API_KEY}), stats)
                record['status'] = status
                record['answered_at'] = round(
                    time.monotonic() - self.load_start, 1)
                if isinstance(answer, dict) and answer.get('reference'):
                    record['reference'] = answer['reference']
                    if rng.random() < 0.6:
                        self.reply_queue.append(
                            (answer['reference'], data['email']))
                else:
                    record['answer'] = str(answer)[:200]
            except Transient:
                record['gave_up'] = True
            self.pace(self.args.rate * 0.25, rng)

    def phone_client(self):
        """Calls: the IVR decision then the CTI events one POST each;
        one call in three nobody answers (a callback request)"""
        rng = random.Random(self.args.seed + 2)
        stats = self.stats['phone']
        n = 0
        headers = {'X-API-Key': API_KEY}
        while not self.stop_load.is_set():
            n += 1
            call_id = 'soak-call-%d-%d' % (self.args.seed, n)
            missed = rng.random() < 0.33
            record = {'events': [], 'missed': missed, 'status': None}
            with self.lock:
                self.calls[call_id] = record
            caller = '+3360%07d' % (self.args.seed * 100000 + n)
            # the calls of a compressed working day: opening hours
            now = self.day_start + 8 * 3600 * (
                time.monotonic() - self.load_start) / (
                self.args.minutes * 60)
            query = urllib.parse.urlencode({'call_id': call_id,
                    'caller': caller, 'postal_code': POSTAL_CODE,
                    'time': '%.0f' % now})
            try:
                status, answer = retrying(lambda: http('GET',
                        self.url + 'gru/phone/decision?' + query,
                        headers=headers), stats)
                record['status'] = status
                if isinstance(answer, dict):
                    record['decision'] = answer.get('status')
                kinds = ['started', 'offered'] + (
                    ['missed', 'failed'] if missed else ['answered', 'ended'])
                for i, kind in enumerate(kinds):
                    event = {'event': kind, 'event_id': '%s-%d' % (
                            call_id, i), 'call_id': call_id,
                        'from': caller, 'to': '0800123456',
                        'postal_code': POSTAL_CODE, 'time': now + 20 * i}
                    if kind == 'failed':
                        event['code'] = 480
                    status, answer = retrying(lambda: http('POST',
                            self.url + 'gru/phone/events', event,
                            headers), stats)
                    record['events'].append(event['event_id'])
                    if status != 200:
                        record.setdefault('refused', []).append(
                            str(answer)[:200])
            except Transient:
                record['gave_up'] = True
            self.pace(self.args.rate * 0.3, rng)

    def agent_client(self, index, login, password):
        "An agent answering requests by email (the reply wizard)"
        rng = random.Random(self.args.seed * 1000 + index)
        stats = self.stats['agent']
        agent = None
        n = 0
        while not self.stop_load.is_set():
            try:
                if agent is None:
                    agent = retrying(lambda: Agent(self, login, password),
                        stats)
                if index == 0 and rng.random() < 0.5:
                    self.find_mail_requests(agent, stats)
                try:
                    reference, address = self.reply_queue.popleft()
                except IndexError:
                    self.stop_load.wait(1)
                    continue
                n += 1
                token = 'soak-reply-%d-%d-%d' % (self.args.seed, index, n)
                self.reply(agent, reference, address, token, stats)
            except (Transient, RPCFailure) as error:
                # e.g. a session refused: log in again
                stats['errors'][str(error)[:60]] += 1
                agent = None
            self.pace(self.args.rate * 0.25, rng)

    def find_mail_requests(self, agent, stats):
        "Queue the answer of some of the requests opened by the mails"
        requests = retrying(lambda: agent.model('gru.inbox.request',
                'search_read', [('subject', 'like', 'SOAK mail %'),
                    ('state', 'in', ['new', 'in_progress']),
                    ('contact_email', '!=', None)],
                0, 20, [('id', 'DESC')], ['reference', 'contact_email']),
            stats)
        for request in requests:
            if request['reference'] not in self.replied_requests:
                self.replied_requests.add(request['reference'])
                self.reply_queue.append(
                    (request['reference'], request['contact_email']))

    def reply(self, agent, reference, address, token, stats):
        """Answer the request by email with the reply wizard; after a
        connection failure the agent looks whether his answer is in the
        thread before sending it again (as he would on the screen)"""
        self.replied_requests.add(reference)
        record = {'request': reference, 'status': None, 'attempts': 0,
            'to': address}
        with self.lock:
            self.replies[token] = record
        ids = retrying(lambda: agent.model('gru.inbox.request', 'search',
                [('reference', '=', reference)]), stats)
        if not ids:
            record['status'] = 'request not visible to %s' % agent.login
            return
        request_id = ids[0]
        end = time.monotonic() + RETRY_FOR
        while True:
            record['attempts'] += 1
            try:
                record['status'] = agent.reply(request_id, address,
                    'SOAK réponse %s' % reference,
                    'Bonjour,\nvoici notre réponse (%s).\n' % token)
                return
            except Transient as error:
                stats['retries'] += 1
                stats['errors'][str(error)[:60]] += 1
                if time.monotonic() > end:
                    record['status'] = 'gave up: %s' % error
                    return
                time.sleep(2)
                try:
                    sent = agent.model('gru.inbox.message', 'search_count',
                        [('body', 'like', '%' + token + '%')])
                except Transient:
                    continue
                if sent:
                    record['status'] = 'found after %s' % error
                    return
            except RPCFailure as error:
                record['status'] = 'error: %s' % error
                return

    # The faults

    def schedule(self, seconds):
        "The faults: (fraction of the load period, name)"
        plan = [(0.10, 'smtp_refuse'), (0.20, 'postgresql_restart'),
            (0.30, 'kill_web_worker'), (0.40, 'imap_kick'),
            (0.50, 'kill_task_worker'), (0.60, 'dovecot_restart'),
            (0.70, 'postgresql_restart'), (0.80, 'kill_gateway'),
            (0.85, 'kill_web_worker')]
        return [(self.load_start + f * seconds, name) for f, name in plan]

    def inject(self, name):
        at = time.monotonic() - self.load_start
        detail = ''
        if name == 'smtp_refuse':
            seconds = min(60, max(20, self.args.minutes * 6))
            self.smtp.refuse(seconds)
            detail = '451 to every recipient for %d s' % seconds
        elif name == 'postgresql_restart':
            started = time.monotonic()
            self.pg.restart()
            detail = 'pg_ctl restart -m fast: %.1f s' % (
                time.monotonic() - started)
        elif name == 'kill_web_worker':
            workers = self.gunicorn_workers()
            if workers:
                pid = self.rng.choice(workers)
                os.kill(pid, signal.SIGKILL)
                detail = 'SIGKILL gunicorn worker %d (of %s)' % (
                    pid, workers)
            else:
                detail = 'no gunicorn worker found'
        elif name == 'kill_task_worker':
            pid = self.find_child(self.serve.pid, 'trytond-worker')
            if pid:
                os.kill(pid, signal.SIGKILL)
                detail = 'SIGKILL trytond-worker %d' % pid
            else:
                detail = 'no trytond-worker found'
        elif name == 'imap_kick':
            result = subprocess.run(['doveadm', '-c', self.dovecot.config,
                    'kick', self.mailbox], capture_output=True, text=True)
            detail = 'doveadm kick: %s' % (
                result.stdout.strip() or result.stderr.strip())[:100]
        elif name == 'dovecot_restart':
            started = time.monotonic()
            self.restart_dovecot()
            detail = 'Dovecot stopped and started: %.1f s' % (
                time.monotonic() - started)
        elif name == 'kill_gateway':
            pid = self.gateway.pid
            os.kill(pid, signal.SIGKILL)
            detail = 'SIGKILL mail gateway %d' % pid
        with self.lock:
            self.faults.append((at, name, detail))
        log('fault at %.0f s: %s: %s' % (at, name, detail))

    def find_child(self, pid, word):
        for child in children(pid):
            if word in command_line(child):
                return child
        return None

    def gunicorn_workers(self):
        master = self.find_child(self.serve.pid, 'gunicorn')
        return children(master) if master else []

    def restart_dovecot(self):
        from tests.mail.servers import wait_port
        pid = self.dovecot._master_pid()
        subprocess.run(['doveadm', '-c', self.dovecot.config, 'stop'],
            capture_output=True, timeout=30)
        deadline = time.monotonic() + 20
        while pid and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        time.sleep(2)  # down for a moment: the clients see refusals
        # dovecot daemonizes: its output must not be a pipe we wait on
        with open(os.path.join(self.logs, 'dovecot-start.log'), 'a') as out:
            subprocess.run(['dovecot', '-c', self.dovecot.config],
                check=True, stdin=subprocess.DEVNULL, stdout=out,
                stderr=out, timeout=30)
        wait_port(self.dovecot.imap_port)

    # The run

    def run(self):
        try:
            self.prepare_database()
            self.start_mail_servers()
            self.start_serve()
            self.configure()
            self.start_gateway()
            seconds = self.args.minutes * 60
            self.load_start = time.monotonic()
            log('load for %d s' % seconds)
            clients = [(self.mail_client, ())]
            clients += [(self.intake_client, (i,)) for i in range(2)]
            clients.append((self.phone_client, ()))
            clients += [(self.agent_client, (i, login, password))
                for i, (login, password) in enumerate(AGENTS)]
            threads = [threading.Thread(target=self.guarded,
                    args=(func, args), daemon=True)
                for func, args in clients]
            for thread in threads:
                thread.start()
            plan = self.schedule(seconds)
            for at, name in plan:
                time.sleep(max(0, at - time.monotonic()))
                try:
                    self.inject(name)
                except Exception as error:  # report it, keep going
                    log('fault %s failed: %s' % (name, error))
                    self.faults.append((time.monotonic() - self.load_start,
                            name, 'FAILED: %s' % error))
            time.sleep(max(0, self.load_start + seconds - time.monotonic()))
            self.stop_load.set()
            log('load stopped; clients finish their input under way')
            for thread in threads:
                thread.join(RETRY_FOR + 30)
            self.drain()
            return self.report()
        finally:
            self.shutdown()

    def guarded(self, func, args):
        "Run a client; a bug of the soak itself is reported, not hidden"
        try:
            func(*args)
        except Exception:
            self.client_errors.append(traceback.format_exc())
            log('client %s died:\n%s' % (func.__name__,
                    self.client_errors[-1]))

    def drain(self):
        """Wait until the mailbox is empty, no mail waits to be sent (or
        retried) and the task queue is empty, at most --drain-minutes"""
        deadline = time.monotonic() + self.args.drain_minutes * 60
        started = time.monotonic()
        while True:
            try:
                inbox = self.dovecot.count(self.mailbox)
                with self.pg.connect(DATABASE) as connection:
                    pending, = connection.execute(
                        "SELECT COUNT(*) FROM gru_inbox_message "
                        "WHERE direction = 'out' AND (mail_state = "
                        "'to_send' OR (mail_state = 'failed' AND "
                        "mail_attempts < 8))").fetchone()
                    queued, = connection.execute(
                        'SELECT COUNT(*) FROM ir_queue '
                        'WHERE finished_at IS NULL').fetchone()
            except Exception as error:  # a server still restarting
                log('drain: %s' % error)
                inbox = pending = queued = '?'
            if inbox == 0 and pending == 0 and queued == 0:
                log('drained in %.0f s' % (time.monotonic() - started))
                self.drained = True
                return
            if time.monotonic() > deadline:
                log('NOT drained after %.0f s: %s mails in the mailbox, '
                    '%s to send, %s tasks' % (
                        time.monotonic() - started, inbox, pending, queued))
                self.drained = False
                return
            time.sleep(5)

    def shutdown(self):
        for service in [self.gateway, self.serve]:
            if service:
                service.stop()
        if self.smtp:
            self.smtp.stop()
        if self.dovecot:
            self.dovecot.stop()
        self.pg.stop()
        if self.own_workdir and not self.args.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # The checks

    def report(self):
        from tests.benchmarks.soak_checks import check
        result = check(self)
        path = os.path.join(self.logs, 'report.json')
        with open(path, 'w') as fp:
            json.dump(result['data'], fp, indent=1, default=str)
        print()
        for line in result['lines']:
            print(line)
        print('details: %s (logs in %s)' % (path, self.logs), flush=True)
        return 1 if result['failed'] else 0


class RPCFailure(Exception):
    "An error answered by the server (not retried)"


class Agent:
    "A JSON-RPC client logged in as one user; Transient on what is retried"

    def __init__(self, soak, login, password):
        self.url = soak.url + 'rpc/'
        self.login = login
        self.session = None
        user_id, token, _ = self('common.db.login',
            [login, {'password': password}, 'fr'])
        self.session = base64.b64encode(
            ('%s:%s:%s' % (login, user_id, token)).encode()).decode()
        self.context = self('model.res.user.get_preferences', [True, {}])

    def __call__(self, method, params):
        headers = {}
        if self.session:
            headers['Authorization'] = 'Session ' + self.session
        status, data = http('POST', self.url, {'id': 1, 'method': method,
                'params': params}, headers, timeout=120)
        if status != 200 or not isinstance(data, dict):
            raise RPCFailure('%s: HTTP %s %s' % (method, status,
                    str(data)[:200]))
        if data.get('error'):
            error = data['error']
            text = json.dumps(error)[:300]
            # trytond answers a failure of the database as an error
            if any(w in text for w in ['OperationalError', 'terminating',
                        'connection', 'Connection', 'server closed']):
                raise Transient('%s: %s' % (method, text[:120]))
            raise RPCFailure('%s: %s' % (method, text))
        return data['result']

    def model(self, model, method, *args):
        return self('model.%s.%s' % (model, method),
            list(args) + [self.context])

    def reply(self, request_id, address, subject, body):
        "Send an answer to request_id by the reply wizard; return its state"
        name = 'wizard.gru.inbox.request.reply'
        context = dict(self.context, active_model='gru.inbox.request',
            active_id=request_id, active_ids=[request_id])
        session, _, _ = self(name + '.create', [self.context])
        try:
            answer = self(name + '.execute', [session, {}, 'start', context])
            values = dict(answer['view']['defaults'])
            values.update({'channel': 'email', 'to_address': address,
                    'subject': subject, 'body': body,
                    'mark_answered': True})
            values = {k: v for k, v in values.items() if '.' not in k}
            answer = self(name + '.execute', [session, {'start': values},
                    'send', context])
            state = 'sent' if not answer.get('view') else (
                'failed (%s)' % answer['view'].get('state'))
        finally:
            try:
                self(name + '.delete', [session, self.context])
            except (Transient, RPCFailure):
                pass
        return state


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, default=10,
        help="the load period (default 10; 2 for a quick run)")
    parser.add_argument('--drain-minutes', type=float, default=8,
        help="the most to wait for the queues at the end")
    parser.add_argument('--rate', type=float, default=1.0,
        help="multiply the input rates (default about 1.6 inputs/s)")
    parser.add_argument('--web-workers', type=int, default=2)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--workdir',
        help="keep the cluster and the template here between runs")
    parser.add_argument('--keep', action='store_true',
        help="keep the temporary work folder (logs)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error('run as root (PostgreSQL as postgres, Dovecot)')
    return Soak(args).run()


if __name__ == '__main__':
    sys.exit(main())

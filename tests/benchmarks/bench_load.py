#!/usr/bin/env python3
"""Load test of the agents' screens over JSON-RPC, served by scripts/serve
(gunicorn) on PostgreSQL (issue #18).

Prepares (once, reused) the database gru_bench_load: the modules of the
agent's screen (--modules: the inbox and its channels, not the steering
nor the perimeter planner), the requests, messages and usagers of
bench_inbox.py (its ORM set-up and COPY filling, --requests, default
100,000 requests and 300,000 messages over 19 antennas), a mailbox (the
replies leave by SMTP to a sink of this process, aiosmtpd), an email
address on each request, the name keys of the usagers (gru_contact) and
--agents-max agents (default 200: information officers, spread over the
19 antennas as the requests are, each with his antenna as scope and a
password).

Then, for each number of web workers (--workers, default 1,2; --threads
of each, default 1 as scripts/serve) it starts scripts/serve with
config/trytond-prod.conf (no cron nor task worker unless --with-cron: they
would run their jobs in the middle of the measure), and for each number of
concurrent agents (--agents, default 50,100,200) runs the agents for
--duration seconds after a ramp-up of --ramp seconds. Each agent is a
thread with its own keep-alive HTTP connection (http.client; a sync
gunicorn worker closes it after each answer, http.client opens it again)
and sends the JSON-RPC calls sao sends (Session authorisation header, the
user's context, fields_view_get once a session as sao caches it):

* login: common.db.login, get_preferences (context, then preferences),
  ir.model.list_models, the menu (search, read);
* open inbox: the menu GRU > Inbox > My Antennas' Requests, tab "Open":
  get_keyword of the menu, search (limit 1000, the action's domain and
  the tab's), search_count when the page is full, read of the list view's
  fields of the first 100 records (sao's batch: 1000 / 10 fields), the
  count of the tab;
* open request: a request of the list opened in the form: read of the
  form's eager fields of it and its neighbours in the list (sao's batch
  of 100), read of its lazy fields (the thread, the usager panel, the
  x2many, with the rows of those visible at once: the messages), the
  resources (the attachment and note counters);
* reply: the reply box: write of draft_body and draft_channel (email),
  the button send_reply (the reply wizard sends the mail by SMTP and
  marks the request answered), the record read again;
* search: the search bar of the inbox list by a request's reference, or
  of the usagers' list by the name of a usager of the agent's antenna
  (rec_name ilike), alternately, then the read of the list's first page.

The agents log in first and open the inbox once (the start of the day:
sao loads the views then and keeps them for the session), 10 at a time,
on the first server only (the sessions are in the database; the argon2
hash of the password makes a login cost most of a second of CPU by
design); then
each agent loops open inbox, open request, reply, search with a think
time between two actions drawn from an exponential law of mean --think
seconds (default 10: a reply every 40 s or so, faster than an agent who
reads and writes; 0: a closed loop, no pause). For each phase it prints
the load average before it, p50/p95 in ms and the count of each action,
the actions and RPC calls per second (from the end of the ramp-up), the
CPU share of this load generator and of the whole machine, the errors
(any failed call is an error, counted and printed: one makes the run
fail) and the mails received by the sink against the replies sent; then
the ratios 2 workers / 1 worker and the target: p95 of "open request"
< 300 ms at 100 agents (MET / NOT MET for each worker count). The
requests answered during a phase are put back in their state after it
(and the replies deleted), so that every phase starts from the same
inbox. Exits 1 on an error or a target missed.

Usage: .venv/bin/python tests/benchmarks/bench_load.py [--requests 100000]
    [--workers 1,2] [--threads 1] [--agents 50,100,200] [--duration 60]
    [--ramp 10] [--think 10] [--recreate] [--update] [--with-cron]
Environment: GRU_BENCH_POSTGRESQL_URI (default postgresql://127.0.0.1:5432/).
"""
import argparse
import base64
import http.client
import json
import os
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from xml.etree import ElementTree

import bench_inbox
import support

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
DATABASE = 'gru_bench_load'
URI = os.environ.get(
    'GRU_BENCH_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
MODULES = ['gru_inbox', 'gru_mail', 'gru_sla', 'gru_phone', 'gru_counter',
    'gru_letter', 'gru_staff', 'gru_knowledge']
PASSWORD = 'bench-agent-password'
OPEN_STATES = bench_inbox.OPEN_STATES
ACTIONS = ['open inbox', 'open request', 'reply', 'search']
LOGIN_CONCURRENCY = 10
TARGET_ACTION, TARGET_AGENTS, TARGET_P95 = 'open request', 100, 300
# sao: search limit, records of a read (1000 / min(fields, 10)), rows of
# an x2many read with its record
SAO_LIMIT = 1000
SAO_DISPLAY_SIZE = 20
PAGE = 100
REPLY = ("Bonjour,\n\nNous avons bien reçu votre demande et vous "
    "répondons ci-dessous.\n\nCordialement,\nL'antenne")

# bench_inbox's set-up and filling, on this database
bench_inbox.DATABASE = DATABASE
bench_inbox.URI = URI


def log(message):
    print('[bench] %s' % message, flush=True)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float('nan')
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values))) - 1))
    return values[k]


# The database

def prepare(args):
    created = support.create_database(URI, DATABASE, args.modules,
        recreate=args.recreate, log=log)
    if args.update and not created:
        log('updating %s in %s' % (' '.join(args.modules), DATABASE))
        env = dict(os.environ, TRYTOND_DATABASE__URI=URI)
        subprocess.run([os.path.join(support.VENV_BIN, 'trytond-admin'),
                '-d', DATABASE, '-u', *args.modules], check=True, env=env)
    with support.connect(URI, DATABASE) as conn:
        french = conn.execute("SELECT translatable FROM ir_lang "
            "WHERE code = 'fr'").fetchone()
    if not (french and french[0]):
        # the agents work in French, as in the demo and production
        log('loading the French translations in %s' % DATABASE)
        env = dict(os.environ, TRYTOND_DATABASE__URI=URI)
        subprocess.run([os.path.join(support.VENV_BIN, 'trytond-admin'),
                '-d', DATABASE, '-l', 'fr'], check=True, env=env)
    pool = bench_inbox.start_pool()
    company, antennas, schemes, _, _ = bench_inbox.setup_orm(pool)
    bench_inbox.fill(args.requests, company, antennas, schemes)
    setup_agents(pool, company, antennas, args.agents_max)
    with support.connect(URI, DATABASE) as conn:
        complete_data(conn)
        snapshot(conn)


def setup_agents(pool, company, antennas, count):
    """Create (once) the mailbox and count agents spread over the
    antennas by the weights of the requests; one password hash for all
    (hashing 200 passwords would take minutes)"""
    from trytond.transaction import Transaction
    with Transaction().start(DATABASE, 0) as transaction:
        User = pool.get('res.user')
        Lang = pool.get('ir.lang')
        Mailbox = pool.get('gru.mail.mailbox')
        ModelData = pool.get('ir.model.data')
        if not Mailbox.search([('active', 'in', [True, False])]):
            Mailbox.create([{'name': "Information", 'active': False,
                        'address': 'information@gru.example.org',
                        'company': company, 'host': 'imap.example.org',
                        'port': 993, 'security': 'ssl',
                        'login': 'information@gru.example.org',
                        'password_ref': 'env:GRU_BENCH_IMAP_PASSWORD',
                        'folder': 'INBOX', 'antenna': antennas['SIA'],
                        }])
        existing = {u.login for u in User.search(
                [('login', 'like', 'bench.agent.%')])}
        rng = random.Random(18)
        codes = rng.choices(bench_inbox.ANTENNAS, bench_inbox.WEIGHTS,
            k=count)
        # every antenna has an agent
        codes[:len(bench_inbox.ANTENNAS)] = bench_inbox.ANTENNAS
        groups = [ModelData.get_id('gru_base', 'group_gru_agent'),
            ModelData.get_id('gru_inbox', 'group_information_officer')]
        french, = Lang.search([('code', '=', 'fr')], limit=1)
        to_create = [{
                'login': 'bench.agent.%03d' % i,
                'name': "Agent %03d %s" % (i, code),
                'language': french.id,
                'companies': [('add', [company])], 'company': company,
                'groups': [('add', groups)],
                'gru_antennas': [('add', [antennas[code]])],
                } for i, code in enumerate(codes)
            if 'bench.agent.%03d' % i not in existing]
        if to_create:
            log('creating %d agents' % len(to_create))
            users = User.create(to_create)
            User.write(users, {'password_hash': User.hash_password(PASSWORD)})
        transaction.commit()


def complete_data(conn):
    """What bench_inbox's COPY leaves out and the screens need: an email
    address on each request (the reply leaves by mail) and the name keys
    of the usagers (their search)"""
    from gru_contact.tools import name_key, name_key_rotated
    missing = conn.execute('SELECT COUNT(*) FROM gru_inbox_request '
        'WHERE contact_email IS NULL').fetchone()[0]
    if missing:
        log('an email address on %d requests' % missing)
        conn.execute("UPDATE gru_inbox_request SET contact_email = "
            "'usager.' || id || '@example.org' WHERE contact_email IS NULL")
    rows = conn.execute("SELECT id, name FROM party_party "
        "WHERE name_key IS NULL AND code LIKE 'B%'").fetchall()
    if rows:
        log('name keys of %d usagers' % len(rows))
        conn.execute('CREATE TEMPORARY TABLE bench_keys '
            '(id INTEGER, k VARCHAR, r VARCHAR)')
        with conn.cursor() as cursor:
            with cursor.copy('COPY bench_keys FROM STDIN') as copy:
                for id_, name in rows:
                    key = name_key(name)
                    copy.write_row((id_, key, name_key_rotated(key)))
        conn.execute('UPDATE party_party p SET name_key = k.k, '
            'name_key_rotated = k.r FROM bench_keys k WHERE p.id = k.id')
        conn.execute('DROP TABLE bench_keys')
        conn.execute('VACUUM ANALYZE party_party')
    conn.execute('VACUUM ANALYZE gru_inbox_request')


def snapshot(conn):
    """Keep the state of the open requests and the last message, once:
    reset() puts them back after each phase"""
    conn.execute('CREATE TABLE IF NOT EXISTS bench_load_state AS '
        'SELECT id, state, first_response_at, answered_at '
        'FROM gru_inbox_request WHERE state IN %s' % sql_states())
    conn.execute('CREATE TABLE IF NOT EXISTS bench_load_last AS '
        'SELECT MAX(id) AS message FROM gru_inbox_message')


def sql_states():
    return '(%s)' % ', '.join("'%s'" % s for s in OPEN_STATES)


def reset(conn):
    "Put the requests answered by a phase back in their state"
    deleted = conn.execute('DELETE FROM gru_inbox_message WHERE id > '
        '(SELECT message FROM bench_load_last)').rowcount
    updated = conn.execute('UPDATE gru_inbox_request r SET '
        'state = s.state, first_response_at = s.first_response_at, '
        'answered_at = s.answered_at, draft_body = NULL, '
        'draft_channel = NULL FROM bench_load_state s WHERE r.id = s.id '
        'AND (r.state != s.state OR r.draft_body IS NOT NULL)').rowcount
    if deleted or updated:
        log('reset: %d replies deleted, %d requests put back' % (
                deleted, updated))
        conn.execute('VACUUM ANALYZE gru_inbox_request')
        conn.execute('VACUUM ANALYZE gru_inbox_message')


def search_targets(conn):
    """Return {antenna id: [references]} of requests and {antenna id:
    [usager names]} of their usagers for the searches (drawn from the
    data: an agent sees the usagers of his antennas' requests)"""
    references, names = {}, {}
    for antenna, reference, name in conn.execute(
            'SELECT r.antenna, r.reference, p.name '
            'FROM gru_inbox_request r TABLESAMPLE SYSTEM (10) '
            'LEFT JOIN party_party p ON p.id = r.party LIMIT 20000'):
        references.setdefault(antenna, []).append(reference)
        if name:
            names.setdefault(antenna, []).append(name)
    return references, names


def agents_list(conn):
    "Return [(login, antenna id)] of the agents"
    return conn.execute('SELECT u.login, a.antenna FROM res_user u '
        'JOIN "res_user-gru_antenna" a ON a."user" = u.id '
        "WHERE u.login LIKE 'bench.agent.%' ORDER BY u.login").fetchall()


# The server

class Served:
    """scripts/serve on the database with workers processes of threads
    threads, the production configuration, its logs in a folder of its
    own; the mails to the SMTP sink"""

    def __init__(self, workers, threads, smtp_port, with_cron, tmp):
        from tests.support import free_port
        self.workers = workers
        self.port = free_port()
        self.logs = os.path.join(tmp, 'serve-%dx%d' % (workers, threads))
        env = dict(os.environ, TRYTOND_DATABASE__URI=URI,
            TRYTOND_DATABASE__PATH=os.path.join(tmp, 'filestore'),
            TRYTOND_EMAIL__URI='smtp://127.0.0.1:%d' % smtp_port)
        command = [os.path.join(ROOT, 'scripts', 'serve'),
            '-d', DATABASE, '--workers', str(workers),
            '--threads', str(threads),
            '-c', os.path.join(ROOT, 'config', 'trytond-prod.conf'),
            '--listen', '127.0.0.1:%d' % self.port, '--log-dir', self.logs]
        if not with_cron:
            command += ['--queue-workers', '0', '--no-cron']
        self.process = subprocess.Popen(command, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait(self, timeout=300):
        "Wait until every worker answered"
        deadline = time.monotonic() + timeout
        pids = set()
        while len(pids) < self.workers:
            if self.process.poll() is not None or \
                    time.monotonic() > deadline:
                raise RuntimeError('scripts/serve did not start, see %s'
                    % self.logs)
            threads = [threading.Thread(target=self._ping)
                for _ in range(2 * self.workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            try:
                with open(os.path.join(self.logs, 'access.log')) as fp:
                    pids = set(re.findall(r' 200 .* worker=<?(\d+)',
                            fp.read()))
            except FileNotFoundError:
                pass
            if len(pids) < self.workers:
                time.sleep(0.5)
        return self

    def _ping(self):
        try:
            connection = http.client.HTTPConnection('127.0.0.1', self.port,
                timeout=30)
            # sao's page
            connection.request('GET', '/')
            connection.getresponse().read()
            connection.close()
        except OSError:
            pass

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


# The agents

class RPCFailure(Exception):
    pass


class Views:
    """What sao learns from the server once (fields_view_get) and the
    field lists it reads with, built as sao builds them"""

    def __init__(self):
        self.lock = threading.Lock()
        self.data = {}

    def get(self, agent, key, function):
        with self.lock:
            if key in self.data:
                return self.data[key]
        value = function(agent)
        with self.lock:
            self.data[key] = value
        return value


def read_names(fields, loading=None, skip=(), visible=()):
    """The names sao reads for fields (a fields_view_get description):
    the fields, .rec_name of the relations, :string of the eager
    selections, the sub-fields of the x2many visible at once (visible="1"
    in the arch: sao reads them with the record), rec_name and the access
    fields; only the fields of loading (eager/lazy) if given"""
    names = []
    x2m = False
    for name, field in fields.items():
        if name in skip:
            continue
        field_loading = field.get('loading', 'eager')
        if loading and field_loading != loading:
            continue
        names.append(name)
        if field['type'] in {'many2one', 'one2one', 'reference'}:
            names.append(name + '.rec_name')
        elif field['type'] in {'selection', 'multiselection'} and \
                field_loading == 'eager':
            names.append(name + ':string')
        elif field['type'] in {'one2many', 'many2many'} and \
                loading == 'lazy' and name in visible and \
                field.get('views'):
            view, = field['views'].values()
            x2m = True
            for sub, description in view.get('fields', {}).items():
                names.append('%s.%s' % (name, sub))
                if description['type'] in {'many2one', 'reference'}:
                    names.append('%s.%s.rec_name' % (name, sub))
                elif description['type'] in {'selection', 'multiselection'}:
                    names.append('%s.%s:string' % (name, sub))
            names += ['%s._timestamp' % name, '%s._write' % name,
                '%s._delete' % name]
    if loading != 'lazy':
        names.append('rec_name')
    names += ['_timestamp', '_write', '_delete']
    return names, x2m


class Agent:
    "An agent of one antenna in sao, on a keep-alive HTTP connection"

    def __init__(self, index, login, antenna, port, views, targets, menu,
            rng):
        self.index = index
        self.login = login
        self.antenna = antenna
        self.port = port
        self.views = views
        self.references, self.names = targets
        self.menu = menu
        self.stats = None
        self.rng = rng
        self.connection = None
        self.path = '/%s/rpc/' % DATABASE
        self.headers = {'Content-Type': 'application/json',
            'Connection': 'keep-alive'}
        self.context = {}
        self.fvg = set()  # sao's cache of the views of the session
        self.calls = 0
        self.page = []  # the ids of the list of the inbox
        self.current = None
        self.searches = 0

    def rpc(self, method, params):
        body = json.dumps({'id': self.calls, 'method': method,
                'params': params}).encode()
        self.calls += 1
        for attempt in range(2):
            try:
                self.connection.request('POST', self.path, body=body,
                    headers=self.headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError):
                # the server closed the kept connection (a sync worker
                # answers with Connection: close): send again on a new one
                self.connection.close()
                if attempt:
                    raise
        if response.status != 200:
            raise RPCFailure('%s: HTTP %s %s' % (method, response.status,
                    data[:300]))
        answer = json.loads(data)
        if answer.get('error'):
            raise RPCFailure('%s: %s' % (method, str(answer['error'])[:300]))
        return answer['result']

    def model(self, model, method, *args):
        return self.rpc('model.%s.%s' % (model, method),
            list(args) + [self.context])

    def view(self, model, view_id, view_type):
        "fields_view_get, sent once a session (sao caches it)"
        key = (model, view_id, view_type)
        if key not in self.fvg:
            self.fvg.add(key)
            self.model(model, 'fields_view_get', view_id, view_type)

    # the actions

    def do_login(self):
        user_id, token, _ = self.rpc('common.db.login',
            [self.login, {'password': PASSWORD, 'device_cookie': None},
                'fr'])
        self.headers['Authorization'] = 'Session ' + base64.b64encode(
            ('%s:%s:%s' % (self.login, user_id, token)).encode()).decode()
        context = self.rpc('model.res.user.get_preferences', [True, {}])
        self.context = {k: v for k, v in context.items()
            if k != 'locale' and not k.endswith('.rec_name')}
        self.rpc('model.res.user.get_preferences', [False, {}])
        self.rpc('model.ir.model.list_models', [{}])
        menus = self.model('ir.ui.menu', 'search',
            [('parent', '=', None)], 0, SAO_LIMIT, None)
        self.model('ir.ui.menu', 'read', menus,
            ['name', 'icon', 'childs', 'parent', 'rec_name', '_timestamp',
                '_write', '_delete'])
        self.fvg.clear()

    def open_inbox(self):
        inbox = self.views.get(self, 'inbox', lambda a: a._inbox())
        action, = self.rpc('model.ir.action.keyword.get_keyword',
            ['tree_open', ['ir.ui.menu', inbox['menu']], self.context])
        list_view, form_view = [v[0] for v in action['views']]
        self.view('gru.inbox.request', list_view, 'tree')
        self.view('gru.inbox.request', form_view, 'form')
        domain = inbox['domain']
        tab = inbox['tab']
        ids = self.model('gru.inbox.request', 'search',
            ['AND', domain, tab], 0, SAO_LIMIT, None)
        if len(ids) == SAO_LIMIT:
            self.model('gru.inbox.request', 'search_count',
                ['AND', domain, tab], 0, SAO_LIMIT * 100)
        self.page = ids[:PAGE]
        if self.page:
            self.model('gru.inbox.request', 'read', self.page,
                inbox['list_names'])
        self.model('gru.inbox.request', 'search_count',
            ['AND', tab, domain], 0, SAO_LIMIT)
        if not self.page:
            raise RPCFailure('open inbox: no open request in the list of '
                '%s' % self.login)

    def _inbox(self):
        "The action of My Antennas' Requests as sao learns it"
        action, = self.rpc('model.ir.action.keyword.get_keyword',
            ['tree_open', ['ir.ui.menu', self.menu], self.context])
        list_view, form_view = [v[0] for v in action['views']]
        tabs = [d for d in action['domains'] if d[2]]
        list_fields = self.model('gru.inbox.request', 'fields_view_get',
            list_view, 'tree')['fields']
        form = self.model('gru.inbox.request', 'fields_view_get',
            form_view, 'form')
        list_names, _ = read_names(list_fields)
        # the form: the eager fields not read by the list, for the record
        # and its neighbours, then the lazy ones for the record alone with
        # the rows of its visible x2many (the messages)
        visible = {n.get('name') for n in ElementTree.fromstring(
                form['arch']).iter('field') if n.get('visible') == '1'}
        eager, _ = read_names(form['fields'], 'eager', skip=list_fields)
        lazy, x2m = read_names(form['fields'], 'lazy', visible=visible)
        return {
            'menu': self.menu,
            'domain': json.loads(action['pyson_domain'])
            if action.get('pyson_domain') else [],
            'tab': json.loads(tabs[0][1]),
            'list_names': list_names,
            'eager_names': eager,
            'lazy_names': lazy,
            'x2m_inlined': x2m,
            }

    def open_request(self):
        self.current = self.rng.choice(self.page)
        self.read_form(self.current, neighbours=self.page)

    def read_form(self, record, neighbours=()):
        inbox = self.views.get(self, 'inbox', lambda a: a._inbox())
        ids = [record] + [i for i in neighbours if i != record][
            :PAGE - 1]
        self.model('gru.inbox.request', 'read', ids, inbox['eager_names'])
        context = dict(self.context, related_read_limit=SAO_DISPLAY_SIZE) \
            if inbox['x2m_inlined'] else self.context
        values, = self.rpc('model.gru.inbox.request.read',
            [[record], inbox['lazy_names'], context])
        if not values.get('conversation'):
            raise RPCFailure('open request: no thread in %s' % record)
        self.model('gru.inbox.request', 'resources', record)

    def reply(self):
        record = self.current
        self.model('gru.inbox.request', 'write', [record], {
                'draft_body': REPLY, 'draft_channel': 'email'})
        self.model('gru.inbox.request', 'send_reply', [record])
        self.read_form(record)

    def search(self):
        inbox = self.views.get(self, 'inbox', lambda a: a._inbox())
        self.searches += 1
        references = self.references.get(self.antenna)
        if self.searches % 2 and references:
            text = self.rng.choice(references)
            ids = self.model('gru.inbox.request', 'search', ['AND',
                    inbox['domain'], [('rec_name', 'ilike', '%%%s%%' % text)]],
                0, SAO_LIMIT, None)
            if not ids:
                raise RPCFailure('search: %s not found' % text)
            self.model('gru.inbox.request', 'read', ids[:PAGE],
                inbox['list_names'])
        else:
            parties = self.views.get(self, 'parties', lambda a: read_names(
                    a.model('party.party', 'fields_view_get', None,
                        'tree')['fields'])[0])
            self.view('party.party', None, 'tree')
            text = self.rng.choice(self.names[self.antenna])
            ids = self.model('party.party', 'search',
                [('rec_name', 'ilike', '%%%s%%' % text)], 0, SAO_LIMIT, None)
            if not ids:
                raise RPCFailure('search: usager %s not found' % text)
            self.model('party.party', 'read', ids[:PAGE], parties)

    def timed(self, name, function):
        start = time.monotonic()
        try:
            function()
        except Exception as error:
            self.stats.record(name, start, time.monotonic() - start,
                '%s: %s' % (type(error).__name__, error))
            if not isinstance(error, RPCFailure):
                self.connection.close()
            return False
        self.stats.record(name, start, time.monotonic() - start)
        return True

    def connect(self, stats):
        self.stats = stats
        self.connection = http.client.HTTPConnection('127.0.0.1',
            self.port, timeout=120)

    def run_login(self, stats):
        """Log in and open the inbox a first time: sao loads the views
        then (fields_view_get) and keeps them for the session"""
        self.connect(stats)
        if self.timed('login', self.do_login):
            self.timed('first open inbox', self.open_inbox)
        self.connection.close()

    def run(self, stats, stop_at, start_delay, think):
        self.connect(stats)
        time.sleep(start_delay)
        steps = [('open inbox', self.open_inbox),
            ('open request', self.open_request),
            ('reply', self.reply), ('search', self.search)]
        while time.monotonic() < stop_at:
            for name, function in steps:
                if think:
                    time.sleep(self.rng.expovariate(1 / think))
                if time.monotonic() >= stop_at:
                    break
                if not self.timed(name, function) and name != 'search':
                    break  # the next steps need this one: start again
        self.connection.close()


class Stats:

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []  # (action, start, duration)
        self.errors = []  # (action, message)

    def record(self, action, start, duration, error=None):
        with self.lock:
            if error:
                self.errors.append((action, error))
            else:
                self.samples.append((action, start, duration))


def cpu_times():
    "(busy, total) jiffies of the machine"
    with open('/proc/stat') as fp:
        values = [int(v) for v in fp.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def process_ticks(pid):
    "CPU time (user + system, clock ticks) of the process pid, 0 if gone"
    try:
        with open('/proc/%d/stat' % pid) as fp:
            fields = fp.read().rsplit(')', 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


def server_ticks(served):
    """{pid: CPU ticks} of the processes of the server: the descendants
    of scripts/serve (gunicorn and its workers) and the PostgreSQL
    backends of the database"""
    parents = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open('/proc/%s/stat' % name) as fp:
                    parents[int(name)] = int(
                        fp.read().rsplit(')', 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    pids = set()
    for pid in parents:
        ancestor = pid
        while ancestor > 1 and ancestor != served.process.pid:
            ancestor = parents.get(ancestor, 1)
        if ancestor == served.process.pid:
            pids.add(('web', pid))
    with support.connect(URI, 'postgres') as conn:
        for pid, in conn.execute('SELECT pid FROM pg_stat_activity '
                'WHERE datname = %s', (DATABASE,)):
            pids.add(('postgresql', pid))
    return {key: process_ticks(key[1]) for key in pids}


def cpu_seconds(before, after):
    """{'web': s, 'postgresql': s} of CPU used between the two
    server_ticks (a process started in between counts whole)"""
    tick = os.sysconf('SC_CLK_TCK')
    used = {'web': 0., 'postgresql': 0.}
    for key, ticks in after.items():
        used[key[0]] += max(0, ticks - before.get(key, 0)) / tick
    return used


def run_logins(agents, concurrency):
    """Log every agent in, concurrency at a time (the start of the day);
    return the Stats"""
    stats = Stats()
    queue = list(reversed(agents))
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not queue:
                    return
                agent = queue.pop()
            agent.run_login(stats)
    threads = [threading.Thread(target=work, daemon=True)
        for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats


def run_phase(served, agents, count, args, smtp):
    """Run the first count agents (logged in); return the figures of the
    phase"""
    stats = Stats()
    if count > len(agents):
        raise SystemExit('--agents %d: only %d agents in the database '
            '(--agents-max)' % (count, len(agents)))
    chosen = agents[:count]
    mails = len(smtp.messages)
    calls = sum(a.calls for a in chosen)
    load = os.getloadavg()
    begin = time.monotonic()
    steady = begin + args.ramp
    stop_at = steady + args.duration
    threads = [threading.Thread(target=agent.run, args=(stats, stop_at,
                args.ramp * i / count, args.think), daemon=True)
        for i, agent in enumerate(chosen)]
    for thread in threads:
        thread.start()
    time.sleep(max(0, steady - time.monotonic()))
    steady_usage = resource.getrusage(resource.RUSAGE_SELF)
    steady_cpu = cpu_times()
    steady_server = server_ticks(served)
    for thread in threads:
        thread.join(max(0, stop_at - time.monotonic()) + 180)
    end = time.monotonic()
    server = cpu_seconds(steady_server, server_ticks(served))
    end_usage = resource.getrusage(resource.RUSAGE_SELF)
    busy, total = cpu_times()
    alive = sum(t.is_alive() for t in threads)
    if alive:
        stats.errors.append(('-', '%d agents still running 180 s after '
                'the end' % alive))
    # the generator's CPU and the machine's (jiffies of every core) from
    # the end of the ramp-up
    wall = end - steady
    own = (end_usage.ru_utime + end_usage.ru_stime
        - steady_usage.ru_utime - steady_usage.ru_stime)
    machine = (busy - steady_cpu[0]) / max(1, total - steady_cpu[1])
    replies = sum(1 for a, s, _ in stats.samples if a == 'reply')
    return {
        'agents': count, 'load': load, 'stats': stats, 'wall': wall,
        'steady': steady,
        'generator_cpu': own / wall / os.cpu_count(),
        'machine_cpu': machine, 'server_cpu': server,
        'calls': sum(a.calls for a in chosen) - calls,
        'mails': len(smtp.messages) - mails, 'replies': replies,
        }


def report_logins(label, stats, load, count):
    "Print the figures of the logins; return True on an error"
    print()
    print('%s, login of %d agents, %d at a time (load average before: '
        '%.2f %.2f %.2f)' % (label, count, LOGIN_CONCURRENCY, *load))
    for action, note in [
            ('login', 'the argon2 hash of the password costs most of it, '
                'by design'),
            ('first open inbox', 'with the views (fields_view_get) sao '
                'loads once a session')]:
        durations = [d * 1000 for a, _, d in stats.samples if a == action]
        if durations:
            print('  %s: p50 %.1f ms, p95 %.1f ms (%s)' % (action,
                    statistics.median(durations), percentile(durations, 95),
                    note))
    print('  errors: %d%s' % (len(stats.errors), ''.join('\n    %s: %s' % e
                for e in stats.errors[:5])))
    return bool(stats.errors)


def report_phase(label, phase):
    stats = phase['stats']
    steady = [(a, s, d) for a, s, d in stats.samples if s >= phase['steady']]
    print()
    print('%s, %d agents (load average before: %.2f %.2f %.2f)' % (
            label, phase['agents'], *phase['load']))
    print('  %-14s %7s %9s %9s %9s' % ('action', 'count', 'p50 ms',
            'p95 ms', 'max ms'))
    figures = {}
    for action in ACTIONS:
        durations = [d * 1000 for a, s, d in steady if a == action]
        if not durations:
            print('  %-14s %7d' % (action, 0))
            continue
        figures[action] = (statistics.median(durations),
            percentile(durations, 95))
        print('  %-14s %7d %9.1f %9.1f %9.1f' % (action, len(durations),
                figures[action][0], figures[action][1], max(durations)))
    actions = len(steady)
    throughput = actions / phase['wall']
    print('  throughput: %.1f actions/s (%d in %.0f s after the ramp-up), '
        '%.1f RPC calls/s over the phase' % (throughput, actions,
            phase['wall'], phase['calls'] / (phase['wall'] or 1)))
    print('  CPU: load generator %.0f %% of the machine, the machine %.0f %% '
        'busy' % (100 * phase['generator_cpu'], 100 * phase['machine_cpu']))
    server = phase['server_cpu']
    if actions:
        # what an action costs whatever else runs on the machine
        per_action = (server['web'] + server['postgresql']) / actions
        print('  server CPU per action: %.0f ms (web workers %.0f s, '
            'PostgreSQL %.0f s for %d actions): %d cores would serve at '
            'most %.0f actions/s' % (1000 * per_action, server['web'],
                server['postgresql'], actions, os.cpu_count(),
                os.cpu_count() / per_action if per_action else 0))
    print('  mails received by the SMTP sink: %d for %d replies' % (
            phase['mails'], phase['replies']))
    errors = len(stats.errors)
    if phase['mails'] != phase['replies']:
        errors += 1
        stats.errors.append(('reply', '%d mails for %d replies' % (
                    phase['mails'], phase['replies'])))
    print('  errors: %d%s' % (errors, ''.join('\n    %s: %s' % e
                for e in stats.errors[:5])))
    return figures, throughput, errors


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0])
    parser.add_argument('--requests', type=int, default=100000)
    parser.add_argument('--modules', default=' '.join(MODULES),
        help="the modules activated (space separated)")
    parser.add_argument('--agents-max', type=int, default=200,
        help="the agents created in the database")
    parser.add_argument('--workers', default='1,2')
    parser.add_argument('--threads', type=int, default=1,
        help="threads of each web worker (scripts/serve --threads)")
    parser.add_argument('--agents', default='50,100,200')
    parser.add_argument('--duration', type=float, default=60,
        help="seconds measured at each level, after the ramp-up")
    parser.add_argument('--ramp', type=float, default=10,
        help="seconds over which the agents log in")
    parser.add_argument('--think', type=float, default=10,
        help="mean think time between two actions of an agent, seconds "
        "(exponential law); 0: closed loop")
    parser.add_argument('--with-cron', action='store_true',
        help="run trytond-cron and a task worker beside the web workers")
    parser.add_argument('--recreate', action='store_true')
    parser.add_argument('--update', action='store_true',
        help="update the modules of the database reused")
    args = parser.parse_args()
    # stopped by SIGTERM: stop the server and the sink too (finally)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    args.modules = args.modules.split()
    workers_list = [int(w) for w in args.workers.split(',') if w]
    levels = [int(a) for a in args.agents.split(',') if a]
    begin = time.monotonic()
    prepare(args)
    from tests.support import SMTPSink
    with support.connect(URI, DATABASE) as conn:
        rows = agents_list(conn)
        targets = search_targets(conn)
        menu, = conn.execute("SELECT db_id FROM ir_model_data "
            "WHERE module = 'gru_inbox' "
            "AND fs_id = 'menu_request_my_antennas'").fetchone()
        requests, open_requests = conn.execute(
            'SELECT COUNT(*), COUNT(*) FILTER (WHERE state IN %s) '
            'FROM gru_inbox_request' % sql_states()).fetchone()
        messages = conn.execute(
            'SELECT COUNT(*) FROM gru_inbox_message').fetchone()[0]
    log('%d requests (%d open), %d messages, %d agents' % (requests,
            open_requests, messages, len(rows)))
    views = Views()
    agents = [Agent(i, login, antenna, None, views, targets, menu,
            random.Random(i))
        for i, (login, antenna) in enumerate(rows[:max(levels)])]
    smtp = SMTPSink().start()
    tmp = tempfile.mkdtemp(prefix='gru-bench-load-')
    log('logs of the servers (web.log, access.log) in %s' % tmp)
    results = {}
    failed = False
    try:
        for workers in workers_list:
            label = 'scripts/serve %d worker%s x %d thread%s' % (workers,
                's' if workers > 1 else '', args.threads,
                's' if args.threads > 1 else '')
            served = Served(workers, args.threads, smtp.port,
                args.with_cron, tmp)
            try:
                log('%s: starting' % label)
                served.wait()
                for agent in agents:
                    agent.port = served.port
                if workers == workers_list[0]:
                    # the sessions (in the database) serve every server
                    load = os.getloadavg()
                    stats = run_logins(agents, LOGIN_CONCURRENCY)
                    failed |= report_logins(label, stats, load, len(agents))
                    with support.connect(URI, DATABASE) as conn:
                        reset(conn)
                # warm-up, not counted: the caches of every worker
                run_phase(served, agents, max(4, 4 * workers),
                    argparse.Namespace(
                        ramp=1, duration=10, think=0.2), smtp)
                with support.connect(URI, DATABASE) as conn:
                    reset(conn)
                for count in levels:
                    phase = run_phase(served, agents, count, args, smtp)
                    with support.connect(URI, DATABASE) as conn:
                        reset(conn)
                    figures, throughput, errors = report_phase(label, phase)
                    failed |= bool(errors)
                    results[workers, count] = (figures, throughput, errors)
            finally:
                served.stop()
    finally:
        smtp.stop()
    print()
    print('Summary: %d requests, %d agents logged in, think time %s, %d '
        'cores, threads %d, %s' % (requests, len(agents),
            'exponential of mean %g s' % args.think if args.think
            else 'none (closed loop)', os.cpu_count(), args.threads,
            'with cron and task worker' if args.with_cron
            else 'no cron nor task worker'))
    print('  %-8s %-7s %12s %12s %12s %12s %8s' % ('workers', 'agents',
            'actions/s', 'inbox p95', 'request p95', 'reply p95', 'errors'))
    for (workers, count), (figures, throughput, errors) in sorted(
            results.items()):
        print('  %-8d %-7d %12.1f %12.1f %12.1f %12.1f %8d' % (workers,
                count, throughput,
                figures.get('open inbox', (0, float('nan')))[1],
                figures.get('open request', (0, float('nan')))[1],
                figures.get('reply', (0, float('nan')))[1], errors))
    if len(workers_list) > 1:
        low, high = workers_list[0], workers_list[-1]
        for count in levels:
            if (low, count) in results and (high, count) in results:
                a, b = results[low, count], results[high, count]
                ratio = b[1] / a[1] if a[1] else float('nan')
                p95 = b[0].get(TARGET_ACTION, (0, 0))[1] / (
                    a[0].get(TARGET_ACTION, (0, 0))[1] or float('nan'))
                print('  %d agents: throughput %d/%d workers = %.2f, '
                    'p95 of open request %d/%d workers = %.2f' % (count,
                        high, low, ratio, high, low, p95))
    for workers in workers_list:
        if (workers, TARGET_AGENTS) not in results:
            continue
        figures = results[workers, TARGET_AGENTS][0]
        p95 = figures.get(TARGET_ACTION, (0, float('inf')))[1]
        met = p95 < TARGET_P95
        failed |= not met
        print('  target p95 of %s < %d ms at %d agents, %d worker%s: '
            '%.1f ms, %s' % (TARGET_ACTION, TARGET_P95, TARGET_AGENTS,
                workers, 's' if workers > 1 else '', p95,
                'MET' if met else 'NOT MET'))
    print('total %.0f s' % (time.monotonic() - begin))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

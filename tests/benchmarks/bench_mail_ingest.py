#!/usr/bin/env python3
"""Benchmark of the mail gateway: IMAP fetch and ingestion into requests.

Starts a private Dovecot (tests/mail/servers.py), APPENDs --messages mails
(mixed sizes from 1 to 60 KB, 10% with a PDF attachment of 20 to 200 KB,
one sender in four already known as a usager), then prints:
(a) the raw imapclient fetch rate of the mailbox (UID FETCH BODY.PEEK[] by
    batches of 200): the ceiling;
(b) for each --workers count, the full ingestion rate of the gateway
    (scripts/lib/mail_gateway.py: one process, or N worker processes fed
    by it) into requests on PostgreSQL (raw inbound.email + received
    record + parsing + request intake with matching, routing, triage and
    assignment + attachments + one commit per batch + MOVE to the
    processed folder), each run on a fresh copy of the same database
    (CREATE DATABASE ... TEMPLATE) with the same mail moved back to INBOX;
their ratio, the peak memory (max RSS) of the gateway process, where the
CPU went (the gateway, its workers and parser processes, the PostgreSQL
backends of the run, Dovecot: read from /proc), the busy share of the
machine (that CPU over wall time x cores), the load average, and the
limit that fetching and parsing alone put on the ingestion rate with the
machine's cores (and the share of it reached).
Targets: >= 300 messages/s at 5,000 messages, >= 25% of the fetch + parse
limit, < 500 MB; with --backlog N: N messages drained in < 10 minutes.

Usage: .venv/bin/python tests/benchmarks/bench_mail_ingest.py
    [--messages 5000] [--workers 1,2] [--backlog N] [--keep]
    [--profile FILE]
--backlog N: N messages, one run with --workers (default: the number of
cores), timing the drain of the whole backlog.
--profile FILE: a cProfile of the gateway process (one process only).
Environment: GRU_BENCH_POSTGRESQL_URI (default postgresql://127.0.0.1:5432/).
The databases gru_bench_mail (template) and gru_bench_mail_run are created
(trytond-admin, module gru_mail) and dropped at the end unless --keep.
"""
import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from email.message import EmailMessage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'scripts', 'lib'))
VENV_BIN = os.path.dirname(sys.executable)
DATABASE = 'gru_bench_mail'
RUN = 'gru_bench_mail_run'
URI = os.environ.get(
    'GRU_BENCH_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
# before trytond reads its configuration (tests.mail imports it)
os.environ['TRYTOND_DATABASE__URI'] = URI
os.environ.setdefault('TRYTOND_EMAIL__URI', 'smtp://127.0.0.1:1')
os.environ.pop('TRYTOND_DATABASE__PATH', None)
TEMPLATES = 500
ADDRESS = 'bench@gru.test'
WORDS = ("bonjour aide permis dossier région transport bourse demande "
    "justificatif merci cordialement lycée apprenti mobilité formation "
    "remboursement attestation délai réponse commune").split()


def log(message):
    print('[bench] %s' % message, flush=True)


def connect(database):
    import psycopg
    return psycopg.connect(URI.rstrip('/') + '/' + database,
        autocommit=True)


def create_database():
    with connect('postgres') as conn:
        conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % DATABASE)
        conn.execute('CREATE DATABASE "%s" ENCODING \'UTF8\'' % DATABASE)
    log('initialising %s with trytond-admin' % DATABASE)
    env = dict(os.environ, TRYTOND_DATABASE__URI=URI)
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as passfile:
        passfile.write('bench')
        passfile.flush()
        env['TRYTONPASSFILE'] = passfile.name
        admin = [os.path.join(VENV_BIN, 'trytond-admin'), '-d', DATABASE]
        subprocess.run(admin + ['--all', '--email', 'admin@example.org'],
            check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(admin + ['-u', 'gru_mail',
                '--activate-dependencies'], check=True, env=env,
            stdout=subprocess.DEVNULL)


def drop_database():
    with connect('postgres') as conn:
        for name in [RUN, DATABASE]:
            conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


def make_messages(count, rng):
    """Yield raw mails: mixed sizes, 10% with an attachment.
    TEMPLATES bodies are built with the email package, the others reuse
    one of them (i modulo TEMPLATES: same size and attachment) under
    headers of their own (sender, subject, Message-ID)."""
    templates = []
    for i in range(count):
        sender = 'usager%d@example.org' % rng.randrange(count)
        subject = 'Demande %d : %s' % (i, ' '.join(
                rng.choice(WORDS) for _ in range(4)))
        if i < TEMPLATES:
            msg = EmailMessage()
            msg['From'] = 'Usager <%s>' % sender
            msg['To'] = ADDRESS
            msg['Subject'] = 'Demande'
            msg['Message-ID'] = '<template@example.org>'
            size = rng.choice([1, 2, 4, 8, 16, 30, 60]) * 1024
            words = []
            length = 0
            while length < size:
                word = rng.choice(WORDS)
                words.append(word)
                length += len(word) + 1
            body = ' '.join(words)
            body += '\n\nCordialement\n%s 80000 Amiens\n' % sender
            msg.set_content(body)
            if i % 10 == 0:
                msg.add_attachment(
                    os.urandom(rng.randrange(20, 200) * 1024),
                    maintype='application', subtype='pdf',
                    filename='justificatif %d é.pdf' % i)
            raw = msg.as_bytes()
            head, _, rest = raw.partition(b'\n')
            while not head.startswith(b'MIME-Version'):
                head, _, rest = rest.partition(b'\n')
            templates.append(head + b'\n' + rest)
        head = EmailMessage()
        head['From'] = 'Usager %d <%s>' % (i, sender)
        head['To'] = ADDRESS
        head['Subject'] = subject
        head['Message-ID'] = '<%d.%d@example.org>' % (i, rng.randrange(
                10 ** 9))
        yield head.as_bytes().rstrip(b'\n') + b'\n' + templates[
            i % TEMPLATES]


def append_all(dovecot, count, rng):
    client = dovecot.client(ADDRESS)
    try:
        start = time.monotonic()
        for raw in make_messages(count, rng):
            client.append('INBOX', raw)
        log('appended %d messages in %.1f s' % (
                count, time.monotonic() - start))
    finally:
        client.logout()


def machine_busy():
    "CPU seconds spent by the whole machine (all cores) so far"
    with open('/proc/stat') as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    busy = sum(ticks[:3]) + sum(ticks[5:8])
    return busy / os.sysconf('SC_CLK_TCK')


def processes():
    "Return {pid: (ppid, own CPU s, reaped children CPU s, cmdline)}"
    tick = os.sysconf('SC_CLK_TCK')
    result = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % pid) as fp:
                fields = fp.read().rsplit(')', 1)[1].split()
            with open('/proc/%s/cmdline' % pid, 'rb') as fp:
                cmdline = fp.read().replace(b'\0', b' ')
        except OSError:
            continue
        result[int(pid)] = (int(fields[1]),
            (int(fields[11]) + int(fields[12])) / tick,
            (int(fields[13]) + int(fields[14])) / tick, cmdline)
    return result


class CPU:
    """CPU seconds over the block, read from /proc: this process (the
    gateway), its descendants (workers, parser processes), the
    PostgreSQL backends of database and the Dovecot processes; a process
    that ended is counted in the reaped children of its parent"""

    def __init__(self, database=None, dovecot=None):
        self.database = database
        self.dovecot = dovecot

    def __enter__(self):
        self._start = self._now()
        return self

    def __exit__(self, *exc):
        end = self._now()
        (self.wall, self.process, self.children, self.postgresql,
            self.imap, self.machine) = (
            e - s for e, s in zip(end, self._start))
        self.load = os.getloadavg()
        self.total = (self.process + self.children + self.postgresql
            + self.imap)

    def _now(self):
        wall = time.monotonic()
        procs = processes()
        kids = {}
        for pid, (ppid, _, _, _) in procs.items():
            kids.setdefault(ppid, []).append(pid)

        def tree(pid):
            _, own, reaped, _ = procs.get(pid, (0, 0, 0, b''))
            return own + reaped + sum(tree(k) for k in kids.get(pid, []))
        me = os.getpid()
        _, own, reaped, _ = procs[me]
        children = reaped + sum(tree(k) for k in kids.get(me, []))
        postgresql = 0
        if self.database:
            tag = (' %s ' % self.database).encode()
            postgresql = sum(own for _, own, _, cmd in procs.values()
                if cmd.startswith(b'postgres: ') and tag in cmd)
        imap = 0
        if self.dovecot is not None:
            master = self.dovecot._master_pid()
            imap = tree(master) if master in procs else 0
        return wall, own, children, postgresql, imap, machine_busy()


def raw_fetch_rate(dovecot):
    "Return (rate, the CPU of the fetch)"
    client = dovecot.client(ADDRESS)
    try:
        client.select_folder('INBOX', readonly=True)
        uids = client.search(['ALL'])
        size = 0
        with CPU(dovecot=dovecot) as cpu:
            for i in range(0, len(uids), 200):
                data = client.fetch(uids[i:i + 200], ['BODY.PEEK[]'])
                size += sum(len(d[b'BODY[]']) for d in data.values())
    finally:
        client.logout()
    log('raw fetch: %d messages, %.0f MB in %.2f s' % (
            len(uids), size / 1e6, cpu.wall))
    return len(uids) / cpu.wall, cpu


def parse_cost(dovecot, sample=1000):
    """CPU seconds per message of the gateway's parsing (parse_many) of
    the first sample messages, measured in a child process so that the
    peak memory of this one is the gateway's alone"""
    read, write = os.pipe()
    pid = os.fork()
    if not pid:
        os.close(read)
        status = 1
        try:
            from gru_mail.parsing import parse_many
            client = dovecot.client(ADDRESS)
            client.select_folder('INBOX', readonly=True)
            uids = client.search(['ALL'])[:sample]
            raws = [d[b'BODY[]'] for d in client.fetch(
                    uids, ['BODY.PEEK[]']).values()]
            client.logout()
            start = time.process_time()
            parse_many(raws, max_attachment_size=10 * 1024 * 1024)
            os.write(write, repr(
                    (time.process_time() - start) / len(raws)).encode())
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as result:
        value = result.read()
    _, status = os.waitpid(pid, 0)
    if status:
        raise RuntimeError("the parsing sample failed (traceback above)")
    return float(value)


SETUP = """
import sys
from trytond.pool import Pool
from trytond.transaction import Transaction
database, count, port, address = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), sys.argv[4]
Pool.start()
pool = Pool(database)
with Transaction().start(database, 0, readonly=True):
    pool.init()
with Transaction().start(database, 0) as transaction:
    Currency = pool.get('currency.currency')
    Company = pool.get('company.company')
    Party = pool.get('party.party')
    User = pool.get('res.user')
    currency, = Currency.create([{
                'name': 'Euro', 'symbol': 'EUR', 'code': 'EUR'}])
    party, = Party.create([{'name': 'Region Hauts-de-France'}])
    company, = Company.create([{
                'party': party.id, 'currency': currency.id}])
    User.write([User(transaction.user)], {
            'companies': [('add', [company.id])],
            'company': company.id,
            })
    with transaction.set_context(company=company.id):
        # one sender in four is a known usager
        for start in range(0, count, 20000):
            Party.create([{
                        'name': 'Usager %d' % i,
                        'contact_mechanisms': [('create', [{
                                        'type': 'email',
                                        'value': 'usager%d@example.org' % i,
                                        }])],
                        } for i in range(start, min(count, start + 20000),
                        4)])
        Mailbox = pool.get('gru.mail.mailbox')
        Mailbox.create([{
                    'name': 'Bench', 'address': address,
                    'host': '127.0.0.1', 'port': port,
                    'security': 'none', 'login': address,
                    'password': 'secret',
                    }])
"""


def setup(dovecot, count):
    "Create the company, the known usagers and the mailbox (template)"
    start = time.monotonic()
    subprocess.run([sys.executable, '-c', SETUP, DATABASE, str(count),
            str(dovecot.imap_port), ADDRESS], check=True,
        env=dict(os.environ, PYTHONPATH=ROOT))
    log('company, %d usagers and the mailbox created in %.1f s' % (
            count // 4, time.monotonic() - start))


def restore_mail(dovecot):
    "Move the mail ingested by a previous run back to INBOX"
    client = dovecot.client(ADDRESS)
    try:
        for folder in ['GRU/Processed', 'GRU/Quarantine']:
            if not client.folder_exists(folder):
                continue
            client.select_folder(folder)
            uids = client.search(['ALL'])
            for i in range(0, len(uids), 1000):
                client.move(uids[i:i + 1000], 'INBOX')
    finally:
        client.logout()


def ingest(dovecot, count, workers, profile=None):
    """Run the gateway with workers on a fresh copy of the database;
    return (rate, CPU, requests)"""
    from mail_gateway import Gateway
    with connect('postgres') as conn:
        conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % RUN)
        conn.execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (
                RUN, DATABASE))
    restore_mail(dovecot)
    gateway = Gateway(RUN, workers=workers)
    try:
        profiler = None
        if profile:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        with CPU(RUN, dovecot) as cpu:
            counts = gateway.run_once()
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
            log('profile written to %s' % profile)
    finally:
        gateway.close()
    with connect(RUN) as conn:
        requests, = conn.execute(
            'SELECT COUNT(*) FROM gru_inbox_request').fetchone()
    log('%d workers: %s, %d requests in %.1f s (load %.1f)' % (
            workers, counts, requests, cpu.wall, cpu.load[0]))
    if requests != count:
        log('WARNING: %d requests for %d messages' % (requests, count))
    return requests / cpu.wall, cpu, requests


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--messages', type=int, default=5000)
    parser.add_argument('--workers', default=None,
        help="worker counts to compare, comma-separated (default 1,2; "
        "with --backlog: the number of cores)")
    parser.add_argument('--backlog', type=int, metavar='N',
        help="drain a backlog of N messages (one run)")
    parser.add_argument('--keep', action='store_true')
    parser.add_argument('--profile', metavar='FILE',
        help="write a cProfile of the gateway process to FILE")
    args = parser.parse_args()
    cores = os.cpu_count()
    if args.backlog:
        args.messages = args.backlog
    if args.workers:
        counts = [int(w) for w in args.workers.split(',')]
    else:
        counts = [cores] if args.backlog else [1, 2]
    from tests.mail.servers import Dovecot
    rng = random.Random(2026)
    dovecot = Dovecot([ADDRESS]).start()
    runs = []
    try:
        create_database()
        setup(dovecot, args.messages)
        append_all(dovecot, args.messages, rng)
        raw, raw_cpu = raw_fetch_rate(dovecot)
        parse = parse_cost(dovecot)
        for workers in counts:
            rate, cpu, requests = ingest(dovecot, args.messages, workers,
                profile=args.profile)
            processed = dovecot.count(ADDRESS, 'GRU/Processed')
            runs.append((workers, rate, cpu, requests, processed))
    finally:
        dovecot.stop()
        if not args.keep:
            drop_database()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = args.messages
    fetch = (raw_cpu.process + raw_cpu.imap) / n
    limit = cores / (fetch + parse)

    def ms(seconds):
        return '%8.2f ms' % (1000 * seconds / n)
    print()
    print('messages                   %d, %d cores, load average at the '
        'start %.1f' % (n, cores, raw_cpu.load[0]))
    print('raw imapclient fetch       %8.0f msg/s  (CPU: client %.2f ms, '
        'Dovecot %.2f ms per message)' % (raw, 1000 * raw_cpu.process / n,
            1000 * raw_cpu.imap / n))
    print('parsing alone (parse_many) %8.2f ms per message' % (
            1000 * parse))
    print('fetch + parse alone        %8.2f ms -> limit %.0f msg/s on %d '
        'cores, before storing anything' % (1000 * (fetch + parse), limit,
            cores))
    print('gateway peak memory        %8.0f MB      target < 500   %s' % (
            peak, 'OK' if peak < 500 else 'MISSED'))
    for workers, rate, cpu, requests, processed in runs:
        share = cpu.total / cpu.wall / cores
        print()
        print('--workers %d: %d requests, %d moved to processed, load '
            'average %.1f / %.1f / %.1f at the end' % ((workers, requests,
                    processed) + cpu.load))
        print('  ingestion                %8.0f msg/s   target >= 300  %s'
            % (rate, 'OK' if rate >= 300 else 'MISSED'))
        print('  of the raw fetch rate    %8.1f %%' % (100 * rate / raw))
        print('  of the fetch+parse limit %8.1f %%       target >= 25%%  %s'
            % (100 * rate / limit, 'OK' if rate >= 0.25 * limit
                else 'MISSED'))
        print('  CPU per message: gateway %s, workers and parsers %s, '
            'PostgreSQL %s, Dovecot %s; total %s' % (ms(cpu.process),
                ms(cpu.children), ms(cpu.postgresql), ms(cpu.imap),
                ms(cpu.total)))
        print('  busy share of the machine %7.1f %% (those processes: '
            '%.2f of %d cores); whole machine, other users included: '
            '%.1f %%' % (100 * share, cpu.total / cpu.wall, cores,
                100 * cpu.machine / cpu.wall / cores))
        if args.backlog:
            print('  backlog of %d drained in %.0f s (%.1f min)   target < '
                '10 min  %s' % (n, cpu.wall, cpu.wall / 60,
                    'OK' if cpu.wall < 600 else 'MISSED'))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Benchmark of the mail gateway: IMAP fetch and ingestion into requests.

Starts a private Dovecot (tests/mail/servers.py), APPENDs --messages mails
(mixed sizes from 1 to 60 KB, 10% with a PDF attachment of 20 to 200 KB,
one sender in four already known as a usager), then prints:
(a) the raw imapclient fetch rate of the mailbox (UID FETCH BODY.PEEK[] by
    batches of 200): the ceiling;
(b) the full ingestion rate of the gateway into requests on PostgreSQL
    (raw inbound.email + received record + parsing + request intake with
    matching, routing, triage and assignment + attachments + one commit
    per message + MOVE to the processed folder);
their ratio and the peak memory (max RSS) of the process.
Targets: >= 100 messages/s, >= 25% of the raw rate, < 500 MB.
It then prints where the CPU went per message (the fetching client, the
gateway, its parser process, the rest of the machine: PostgreSQL and
Dovecot) and the ceiling that fetching and parsing alone put on the
ingestion rate with the machine's cores.

Usage: .venv/bin/python tests/benchmarks/bench_mail_ingest.py
    [--messages 10000] [--keep] [--profile FILE]
Environment: GRU_BENCH_POSTGRESQL_URI (default postgresql://127.0.0.1:5432/).
The database gru_bench_mail is created with trytond-admin (module gru_mail)
and dropped at the end unless --keep.
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
from email.utils import make_msgid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
VENV_BIN = os.path.dirname(sys.executable)
DATABASE = 'gru_bench_mail'
URI = os.environ.get(
    'GRU_BENCH_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
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
        conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % DATABASE)


def make_messages(count, rng):
    "Yield raw mails: mixed sizes, 10% with an attachment"
    for i in range(count):
        sender = 'usager%d@example.org' % rng.randrange(count)
        msg = EmailMessage()
        msg['From'] = 'Usager %d <%s>' % (i, sender)
        msg['To'] = ADDRESS
        msg['Subject'] = 'Demande %d : %s' % (i, ' '.join(
                rng.choice(WORDS) for _ in range(4)))
        msg['Message-ID'] = make_msgid(idstring=str(i), domain='example.org')
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
            msg.add_attachment(os.urandom(rng.randrange(20, 200) * 1024),
                maintype='application', subtype='pdf',
                filename='justificatif %d é.pdf' % i)
        yield msg.as_bytes()


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


class CPU:
    "CPU seconds of this process, its waited children and the machine"

    def __enter__(self):
        self._start = self._now()
        return self

    def __exit__(self, *exc):
        end = self._now()
        self.wall, self.process, self.children, self.machine = (
            e - s for e, s in zip(end, self._start))

    @staticmethod
    def _now():
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (time.monotonic(), time.process_time(),
            children.ru_utime + children.ru_stime, machine_busy())


def raw_fetch_rate(dovecot):
    "Return (rate, the CPU of the fetch)"
    client = dovecot.client(ADDRESS)
    try:
        client.select_folder('INBOX', readonly=True)
        uids = client.search(['ALL'])
        size = 0
        with CPU() as cpu:
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


def ingest(dovecot, count, profile=None):
    os.environ['TRYTOND_DATABASE__URI'] = URI
    os.environ.setdefault('TRYTOND_EMAIL__URI', 'smtp://127.0.0.1:1')
    # not trytond's test helpers: importing them switches the pool to test
    # mode, where the ORM also validates every Function field on save
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(DATABASE)
    with Transaction().start(DATABASE, 0, readonly=True):
        pool.init()
    assert not Pool.test
    with Transaction().start(DATABASE, 0) as transaction:
        Currency = pool.get('currency.currency')
        Company = pool.get('company.company')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        currency, = Currency.create([{
                    'name': 'Euro', 'symbol': '€', 'code': 'EUR'}])
        party, = Party.create([{'name': 'Région Hauts-de-France'}])
        company, = Company.create([{
                    'party': party.id, 'currency': currency.id}])
        User.write([User(transaction.user)], {
                'companies': [('add', [company.id])],
                'company': company.id,
                })
        with transaction.set_context(company=company.id):
            # one sender in four is a known usager
            Party.create([{
                        'name': 'Usager %d' % i,
                        'contact_mechanisms': [('create', [{
                                        'type': 'email',
                                        'value': 'usager%d@example.org' % i,
                                        }])],
                        } for i in range(0, count, 4)])
            Mailbox = pool.get('gru.mail.mailbox')
            mailbox, = Mailbox.create([{
                        'name': 'Bench', 'address': ADDRESS,
                        'host': '127.0.0.1', 'port': dovecot.imap_port,
                        'security': 'none', 'login': ADDRESS,
                        'password': 'secret',
                        }])
        company_id, mailbox_id = company.id, mailbox.id
    with Transaction().start(DATABASE, 0,
            context={'company': company_id}) as transaction:
        Mailbox = pool.get('gru.mail.mailbox')
        profiler = None
        if profile:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        with CPU() as cpu:
            counts = Mailbox(mailbox_id).fetch(commit=transaction.commit)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
            log('profile written to %s' % profile)
    with Transaction().start(DATABASE, 0, readonly=True):
        Request = pool.get('gru.inbox.request')
        requests = Request.search_count([])
    log('ingested: %s, %d requests in %.1f s' % (
            counts, requests, cpu.wall))
    if requests != count:
        log('WARNING: %d requests for %d messages' % (requests, count))
    return requests / cpu.wall, cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--messages', type=int, default=10000)
    parser.add_argument('--keep', action='store_true')
    parser.add_argument('--profile', metavar='FILE',
        help="write a cProfile of the ingestion to FILE")
    args = parser.parse_args()
    from tests.mail.servers import Dovecot
    rng = random.Random(2026)
    create_database()
    dovecot = Dovecot([ADDRESS]).start()
    try:
        append_all(dovecot, args.messages, rng)
        raw, raw_cpu = raw_fetch_rate(dovecot)
        parse = parse_cost(dovecot)
        rate, cpu = ingest(dovecot, args.messages, profile=args.profile)
        processed = dovecot.count(ADDRESS, 'GRU/Processed')
    finally:
        dovecot.stop()
        if not args.keep:
            drop_database()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = rate / raw
    print()
    print('messages                 %d (moved to processed: %d)' % (
            args.messages, processed))
    print('raw imapclient fetch     %8.0f msg/s' % raw)
    print('ingestion into requests  %8.0f msg/s   target >= 100  %s' % (
            rate, 'OK' if rate >= 100 else 'MISSED'))
    print('ratio                    %8.1f %%       target >= 25%%  %s' % (
            100 * ratio, 'OK' if ratio >= 0.25 else 'MISSED'))
    print('peak memory (max RSS)    %8.0f MB      target < 500   %s' % (
            peak, 'OK' if peak < 500 else 'MISSED'))
    n, cores = args.messages, os.cpu_count()

    def ms(seconds):
        return '%8.2f ms' % (1000 * seconds / n)
    print()
    print('CPU per message (%d cores)' % cores)
    print('raw fetch: imapclient      %s' % ms(raw_cpu.process))
    print('raw fetch: rest of machine %s (Dovecot)' % ms(
            raw_cpu.machine - raw_cpu.process))
    print('ingestion: gateway         %s' % ms(cpu.process))
    print('ingestion: parser process  %s' % ms(cpu.children))
    print('ingestion: rest of machine %s (PostgreSQL, Dovecot)' % ms(
            cpu.machine - cpu.process - cpu.children))
    print('ingestion: machine busy    %8.2f of %d cores' % (
            cpu.machine / cpu.wall, cores))
    floor = raw_cpu.machine / n + parse
    print('parsing alone (parse_many) %8.2f ms' % (1000 * parse))
    print('fetch + parse alone        %8.2f ms -> at most %.0f msg/s '
        '(%.0f %% of raw) on %d cores, before storing anything' % (
            1000 * floor, cores / floor, 100 * cores / floor / raw, cores))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Benchmark of the toll-free line (gru_phone).

Prepares a demo database of its own (scripts/demo --small: territory, the
19 antennas, the agents with their SIP accounts) on PostgreSQL by default
(--backend sqlite for SQLite), serves it with trytond, opens every
business calendar and makes every agent available, then measures:
(a) the IVR decision over real HTTP (GET /<db>/gru/phone/decision, a key
    of scope 'phone') under --clients concurrent clients (20), each on a
    keep-alive connection: p50/p99 latency and the rate reached; target
    p99 < 50 ms at >= 200 decisions/s;
(b) the CTI event ingestion over HTTP (POST /<db>/gru/phone/events) of
    the calls of (a), five events a call (started, offered, ringing,
    answered, ended): in batches of 20 from one client, as the proxy's
    timer process sends them (config/kamailio/gru-tollfree.cfg), and as
    single events from 4 clients; target >= 500 events/s (PostgreSQL);
(c) a simulated day of --day-calls calls (2,000) over the 19 antennas in
    process through Call.decide: callers drawn by the population of the
    communes, agents' presence drawn again every half hour, a few
    antennas closed for the day; the share of calls with a target or a
    callback (target 100 %) and each antenna's measured share of the
    calls against its target share (target: within +/- 10 % of it).
Prints every figure with its target; with --check exits 1 when one is
missed.
With --serve-workers 1,2 (a) is measured again, with the same clients and
the same decisions, against the production serving of scripts/serve
(gunicorn with that many worker processes on the same database, the same
configuration, no cron nor task worker) after the one-process server, and
the figures of each are printed side by side; --only-decisions skips (b)
and (c).

Usage: .venv/bin/python tests/benchmarks/bench_phone.py [--backend
    postgresql|sqlite] [--clients 20] [--decisions 4000] [--events-calls
    1000] [--day-calls 2000] [--serve-workers 1,2] [--only-decisions]
    [--check]
Environment: GRU_BENCH_POSTGRESQL_URI (default postgresql://127.0.0.1:5432/)
The PostgreSQL database gru_bench_phone is dropped at the end.
"""
import argparse
import datetime as dt
import http.client
import json
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
DATABASE = 'gru_bench_phone'
URI = os.environ.get(
    'GRU_BENCH_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
TARGET_P99 = 0.050
TARGET_DECISIONS = 200
TARGET_EVENTS = 500
TARGET_SHARE = 10  # % of the target share
BATCH = 20  # CTI_BATCH of the proxy
missed_targets = []
decision_figures = []  # (server, p50 s, p99 s, decisions/s) of each (a)


def log(message):
    print('[bench] %s' % message, flush=True)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float('nan')
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values))) - 1))
    return values[k]


def json_answer(body):
    "Return the JSON object of an answer body, {} when it is not one"
    try:
        answer = json.loads(body)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def verdict(name, ok, figure, target):
    print('  %-44s %-28s target %-18s %s' % (name, figure, target,
            'ok' if ok else 'MISSED'), flush=True)
    if not ok:
        missed_targets.append(name)


def start_server(backend):
    os.environ['GRU_TEST_BACKEND'] = backend
    os.environ['GRU_TEST_POSTGRESQL_URI'] = URI
    from tests.support import DemoServer
    server = DemoServer()
    if backend == 'postgresql':
        server.database = DATABASE
        server.env['GRU_DEMO_DATABASE'] = DATABASE
    log('preparing the demo database (%s)...' % backend)
    start = time.monotonic()
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    log('demo database and server ready in %.0f s' % (
            time.monotonic() - start))
    return server


class Client:
    "One keep-alive HTTP connection with the phone key"

    def __init__(self, server, key):
        self.server = server
        self.connection = http.client.HTTPConnection(
            '127.0.0.1', server.port, timeout=60)
        self.headers = {'X-API-Key': key}
        self.base = '/%s/gru/phone/' % server.database

    def get(self, path, params):
        self.connection.request('GET', self.base + path + '?'
            + urllib.parse.urlencode(params), headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def post(self, path, data):
        self.connection.request('POST', self.base + path,
            body=json.dumps(data).encode(),
            headers=dict(self.headers, **{
                    'Content-Type': 'application/json'}))
        response = self.connection.getresponse()
        return response.status, response.read()


def run_clients(count, work):
    """Run work(index) in count threads; return (wall seconds, results)"""
    results = [None] * count
    errors = []

    def run(index):
        try:
            results[index] = work(index)
        except Exception as error:
            errors.append(repr(error))
    threads = [threading.Thread(target=run, args=(i,))
        for i in range(count)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError('%d clients failed, first: %s' % (
                len(errors), errors[0]))
    return wall, results


def bench_decisions(server, key, codes, clients, total, rng,
        backend='postgresql'):
    "(a) the IVR decision under concurrent clients; return the calls made"
    per_client = max(1, total // clients)
    plans = [[
            (uuid.uuid4().hex + '@bench', rng.choice(codes),
                '06%08d' % rng.randrange(10 ** 8))
            for _ in range(per_client)] for _ in range(clients)]
    # warm up: the decision table and the routing table of every process
    warm = Client(server, key)
    for code in codes[:20]:
        warm.get('decision', {'call_id': uuid.uuid4().hex,
                'postal_code': code})

    def work(index):
        client = Client(server, key)
        durations, answers, failures = [], [], []
        for call_id, code, caller in plans[index]:
            t0 = time.perf_counter()
            status, body = client.get('decision', {
                    'call_id': call_id, 'caller': caller,
                    'called': '0800123456', 'postal_code': code})
            durations.append(time.perf_counter() - t0)
            if status == 200:
                answers.append(json.loads(body))
            else:
                failures.append('HTTP %s %s' % (status, body[:200]))
        return durations, answers, failures
    wall, results = run_clients(clients, work)
    durations = [d for r in results for d in r[0]]
    answers = [a for r in results for a in r[1]]
    failures = [f for r in results for f in r[2]]
    rate = len(answers) / wall
    p50 = statistics.median(durations) if durations else float('nan')
    p99 = percentile(durations, 99)
    print('(a) IVR decision over HTTP (%s), %d clients, %d decisions in '
        '%.1f s' % (backend, clients, len(durations), wall))
    statuses = {}
    for answer in answers:
        statuses[answer['status']] = statuses.get(answer['status'], 0) + 1
    print('  answers: %s; max %.1f ms' % (', '.join('%s %d' % item
                for item in sorted(statuses.items())),
            max(durations) * 1000))
    verdict('decisions not answered', not failures, '%d%s' % (
            len(failures), ' (%s)' % failures[0] if failures else ''), '0')
    verdict('p50 latency', True, '%.1f ms' % (p50 * 1000), '-')
    verdict('p99 latency', p99 < TARGET_P99, '%.1f ms' % (p99 * 1000),
        '< %d ms' % (TARGET_P99 * 1000))
    verdict('rate reached', rate >= TARGET_DECISIONS,
        '%.0f decisions/s' % rate, '>= %d/s' % TARGET_DECISIONS)
    decision_figures.append((backend, p50, p99, rate))
    return answers


class Served:
    """scripts/serve with workers WSGI processes on the database of the
    demo server, its configuration and filestore; no cron, no task worker
    (the one-process server runs neither)"""

    def __init__(self, server, workers):
        from tests.support import free_port
        self.database = server.database
        self.port = free_port()
        self.workers = workers
        self.logs = os.path.join(server.tmp, 'serve-%d' % workers)
        env = dict(server.env, TRYTOND_DATABASE__PATH=server.tmp,
            TRYTOND_EMAIL__URI='smtp://127.0.0.1:%d' % server.smtp.port,
            # trytond's level of the one-process server
            GRU_WEB_LOG_LEVEL='40')
        self.process = subprocess.Popen([
                os.path.join(ROOT, 'scripts', 'serve'),
                '-d', server.database, '--workers', str(workers),
                '--queue-workers', '0', '--no-cron',
                '-c', os.path.join(ROOT, 'config', 'demo.conf'),
                '--listen', '127.0.0.1:%d' % self.port,
                '--log-dir', self.logs],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait(self, key, codes, timeout=300):
        "Wait until every worker answered, then warm each one up"
        deadline = time.monotonic() + timeout
        pids = set()
        while len(pids) < self.workers:
            if self.process.poll() is not None or \
                    time.monotonic() > deadline:
                raise RuntimeError('scripts/serve did not start, see %s'
                    % self.logs)
            try:
                run_clients(2 * self.workers, lambda i: Client(self,
                        key).get('decision', {'call_id': uuid.uuid4().hex,
                            'postal_code': codes[i % len(codes)]}))
            except RuntimeError:
                time.sleep(0.5)
            try:
                with open(os.path.join(self.logs, 'access.log')) as fp:
                    pids = set(re.findall(r' 200 .* worker=<?(\d+)',
                            fp.read()))
            except FileNotFoundError:  # before the first answer
                pass
        # the warm-up of bench_decisions, in every process
        run_clients(2 * self.workers, lambda i: [Client(self, key).get(
                    'decision', {'call_id': uuid.uuid4().hex,
                        'postal_code': code}) for code in codes[:20]])
        return self

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def call_events(answer, start):
    "Return the CTI events the proxy sends for a call answered at once"
    target = (answer['sip_targets'] or [{}])[0]
    base = {'call_id': answer['call_id'], 'from': '0612345678',
        'to': '0800123456', 'target': target.get('target', ''),
        'agent': target.get('user', ''), 'postal_code': ''}
    events = []
    for i, (kind, delay, code) in enumerate([('started', 0, 0),
                ('offered', 0.01, 0), ('ringing', 0.02, 180),
                ('answered', 2.0, 200), ('ended', 90.0, 0)]):
        event = dict(base, event=kind, code=code, time=start + delay,
            event_id='%s:%d:%s' % (answer['call_id'], i, kind))
        if kind == 'started':
            event['agent'] = event['target'] = ''
        events.append(event)
    return events


def bench_events(server, key, answers, backend):
    "(b) the CTI events of the calls, in batches then one by one"
    routed = [a for a in answers if a['status'] == 'route']
    half = len(routed) // 2
    now = time.time()
    batched = [e for a in routed[:half] for e in call_events(a, now)]
    single = [e for a in routed[half:] for e in call_events(a, now)]
    print('(b) CTI events over HTTP (%s), %d calls of (a), 5 events each'
        % (backend, len(routed)))

    client = Client(server, key)
    accepted, failures = 0, []
    start = time.perf_counter()
    for i in range(0, len(batched), BATCH):
        status, body = client.post('events',
            {'events': batched[i:i + BATCH]})
        if status != 200:
            failures.append('HTTP %s %s' % (status, body[:200]))
            continue
        answer = json_answer(body)
        if 'accepted' not in answer:
            failures.append('HTTP %s %s' % (status, body[:200]))
            continue
        accepted += answer['accepted']
        failures += [r['error'] for r in answer.get('rejected', [])]
    wall = time.perf_counter() - start
    batch_rate = accepted / wall if wall else 0.
    verdict('batches of %d, 1 client (the proxy)' % BATCH,
        batch_rate >= TARGET_EVENTS,
        '%.0f events/s (%d)' % (batch_rate, accepted),
        '>= %d/s' % TARGET_EVENTS)
    verdict('batched events refused', not failures, '%d%s' % (
            len(failures), ' (%s)' % failures[0] if failures else ''), '0')

    # a replay of the same batches: every event is a duplicate
    if batched:
        status, body = client.post('events', {'events': batched[:BATCH]})
        answer = json_answer(body)
        duplicates = answer.get('duplicates') if status == 200 else None
        verdict('a batch sent again',
            duplicates == min(BATCH, len(batched)),
            '%d duplicates' % duplicates if duplicates is not None
            else 'HTTP %s %s' % (status, body[:200]), 'all duplicates')
    else:
        verdict('a batch sent again', False, 'no call routed in (a)',
            'all duplicates')

    clients = 4
    # the events of a call stay in order within one client
    by_client = [[] for _ in range(clients)]
    for index in range(0, len(single), 5):
        by_client[(index // 5) % clients].extend(single[index:index + 5])

    def work(index):
        client = Client(server, key)
        durations, failures = [], []
        for event in by_client[index]:
            t0 = time.perf_counter()
            status, body = client.post('events', event)
            durations.append(time.perf_counter() - t0)
            if status != 200:
                failures.append('HTTP %s %s' % (status, body[:200]))
        return durations, failures
    wall, results = run_clients(clients, work)
    durations = [d for r in results for d in r[0]]
    failures = [f for r in results for f in r[1]]
    single_rate = (len(durations) - len(failures)) / wall
    verdict('single events, %d clients' % clients,
        single_rate >= TARGET_EVENTS,
        '%.0f events/s (p99 %.0f ms)' % (
            single_rate, percentile(durations, 99) * 1000),
        '>= %d/s' % TARGET_EVENTS)
    verdict('single events refused', not failures, '%d%s' % (
            len(failures), ' (%s)' % failures[0] if failures else ''), '0')


def start_pool(server):
    "Return the Pool of the database of server, in this process"
    os.environ['TRYTOND_CONFIG'] = os.path.join(ROOT, 'config', 'demo.conf')
    os.environ['TRYTOND_DATABASE__URI'] = server.env[
        'TRYTOND_DATABASE__URI']
    os.environ['TRYTOND_DATABASE__PATH'] = server.tmp
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(server.database)
    with Transaction().start(server.database, 0, readonly=True):
        pool.init()
    return pool


def simulate_day(server, calls, rng):
    """(c) a day of calls through Call.decide, in one transaction rolled
    back at the end"""
    pool = start_pool(server)
    from trytond.transaction import Transaction
    day = dt.date.today() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    with Transaction().start(server.database, 0,
            context={'company': 1}) as transaction:
        try:
            result = _simulate_day(pool, day, calls, rng)
        finally:
            transaction.rollback()
    return result


def _simulate_day(pool, day, calls, rng):
    Antenna = pool.get('gru.antenna')
    Calendar = pool.get('gru.sla.calendar')
    Call = pool.get('gru.phone.call')
    Commune = pool.get('gru.commune')
    PostalCode = pool.get('gru.postal_code')
    Routing = pool.get('gru.territory.routing')
    User = pool.get('res.user')

    antennas = Antenna.search([('state', '=', 'open')])
    by_id = {a.id: a for a in antennas}
    agents = User.search([('sip_user', '!=', None)])
    # a few antennas closed that day (a calendar of their own)
    closed = rng.sample(antennas, 2)
    for antenna in closed:
        calendar, = Calendar.copy([antenna.get_sla_calendar()], default={
                'name': 'Closed %s' % antenna.code})
        Calendar.write([calendar], {'closures': [('create', [{
                                'start_date': day,
                                'name': 'Bench closure',
                                }])]})
        antenna.calendar = calendar
    Antenna.save(closed)
    Call.clear_cache()

    # callers drawn by the population of the communes
    # the communes the territory routing gives to an antenna
    communes = [c for c in Commune.search_read([
                ('postal_codes', '!=', None),
                ('population', '>', 0),
                ], fields_names=['insee_code', 'population', 'postal_codes'])
        if not Routing.resolve(insee_code=c['insee_code'],
            date=day)['fallback']]
    weights = [c['population'] for c in communes]
    postal_codes = {p.id: p.code for p in PostalCode.search([])}
    opening = dt.datetime.combine(day, dt.time(7, 30))  # UTC: 8:30 Paris
    slots = 18  # half hours until 17:30 Paris
    per_slot = calls // slots
    decided = []
    durations = []
    for slot in range(slots):
        # presence drawn again: each agent available with 70 %
        present = [u for u in agents if rng.random() < 0.7]
        away = [u for u in agents if u not in present]
        if present:
            User.write(present, {'phone_presence': 'available'})
        if away:
            User.write(away, {'phone_presence': 'away'})
        for i in range(per_slot if slot < slots - 1
                else calls - per_slot * (slots - 1)):
            commune = rng.choices(communes, weights)[0]
            code = postal_codes[rng.choice(commune['postal_codes'])]
            at = opening + dt.timedelta(minutes=30 * slot
                + rng.random() * 30)
            t0 = time.perf_counter()
            answer = Call.decide(uuid.uuid4().hex + '@day', caller='06%08d'
                % rng.randrange(10 ** 8), called='0800123456',
                postal_code=code, at=at)
            durations.append(time.perf_counter() - t0)
            decided.append(answer)

    served = [a for a in decided if (a['status'] == 'route'
            and a['sip_targets']) or (a['status'] == 'callback'
            and a['callback'] and a['callback']['request'])]
    print('(c) a simulated day of %d calls on %s (%s closed), in process: '
        'p50 %.1f ms, p99 %.1f ms a decision' % (len(decided), day,
            ', '.join(a.code for a in closed),
            statistics.median(durations) * 1000,
            percentile(durations, 99) * 1000))
    statuses = {}
    for answer in decided:
        step = answer['sip_targets'][0]['step'] if answer['sip_targets'] \
            else 'callback'
        statuses[step] = statuses.get(step, 0) + 1
    print('  first target: %s' % ', '.join(
            '%s %d' % item for item in sorted(statuses.items())))
    verdict('calls with a target or a callback',
        len(served) == len(decided),
        '%.1f %%' % (100. * len(served) / len(decided)), '100 %')
    share_figures(pool, by_id, day)


def share_figures(pool, by_id, day):
    """Each antenna's share of the day's calls as the GRU measures it
    (gru.phone.share) against its target share (the configured basis)"""
    Configuration = pool.get('gru.phone.configuration')
    Share = pool.get('gru.phone.share')
    targets = Configuration(1).target_shares(day)
    start = dt.datetime.combine(day, dt.time())
    counts = Share.counts(start, start + dt.timedelta(days=1))
    total = sum(counts.get(a, 0) for a in targets)
    basis = Configuration(1).share_basis
    print('  share of the %d calls of the antennas (basis: %s); off: '
        'distance to the target in %% of it; noise: the sampling noise '
        'alone (2 sigma, in %% of the target)' % (total, basis))
    print('  %-4s %-30s %6s %8s %8s %7s %6s %8s' % ('', 'antenna', 'calls',
            'share', 'target', 'off', 'points', 'noise'))
    worst = worst_points = 0
    noisy, beyond_noise = [], []
    for antenna_id, target in sorted(targets.items(),
            key=lambda i: by_id[i[0]].code):
        antenna = by_id[antenna_id]
        count = counts.get(antenna_id, 0)
        share = 100. * count / total if total else 0.
        off = 100. * abs(share - target) / target if target else 0.
        worst = max(worst, off)
        # the sampling noise alone: 2 standard deviations of a binomial
        noise = 200. * math.sqrt((1 - target / 100) / (
                total * target / 100)) if total and target else 0.
        worst_points = max(worst_points, abs(share - target))
        if noise > TARGET_SHARE:
            noisy.append(antenna.code)
        if off > noise:
            beyond_noise.append(antenna.code)
        print('  %-4s %-30s %6d %7.2f%% %7.2f%% %6.1f%% %+6.2f %7.1f%%' % (
                antenna.code, antenna.name[:30], count, share, target,
                off, share - target, noise))
    if targets and total:
        smallest = min(t for t in targets.values() if t) / 100
        # the calls of the antennas for 2 sigma of the smallest share to
        # fit in +/- TARGET_SHARE % of it
        needed = 4 * (1 - smallest) / (smallest * (TARGET_SHARE / 100) ** 2)
        print('  sampling noise alone (2 sigma) above +/- %d %% for %d of %d '
            'antennas (%s): the check cannot be met by chance alone with '
            '%d calls; the smallest share (%.2f %%) needs about %d calls of '
            'the antennas. Off by more than their noise: %s' % (
                TARGET_SHARE, len(noisy), len(targets),
                ', '.join(noisy) or '-', total, smallest * 100, needed,
                ', '.join(beyond_noise) or 'none'))
    verdict('antennas within +/- %d %% of their share' % TARGET_SHARE,
        worst <= TARGET_SHARE, 'worst off by %.1f %%' % worst,
        '<= %d %%' % TARGET_SHARE)
    print('  (worst gap %.2f points; the drift alert of the GRU is at %.1f '
        'points)' % (worst_points, Configuration(1).drift_threshold))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--backend', choices=['postgresql', 'sqlite'],
        default='postgresql')
    parser.add_argument('--clients', type=int, default=20)
    parser.add_argument('--decisions', type=int, default=4000)
    parser.add_argument('--day-calls', type=int, default=2000)
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument('--check', action='store_true',
        help="exit 1 when a target is missed")
    parser.add_argument('--serve-workers', default='',
        help="measure (a) again on scripts/serve with these numbers of "
        "worker processes, e.g. 1,2")
    parser.add_argument('--only-decisions', action='store_true',
        help="measure (a) only")
    args = parser.parse_args()
    serve_workers = [int(w) for w in args.serve_workers.split(',') if w]
    rng = random.Random(args.seed)

    from tests.phone.servers import ensure_agents, open_calendars, phone_key
    from tests.support import ADMIN, RPCClient
    server = start_server(args.backend)
    try:
        admin = RPCClient(server, *ADMIN)
        key = phone_key(admin, "Benchmark")
        given = ensure_agents(admin)
        if given:
            log('%d SIP accounts given to agents (none in the demo data)'
                % given)
        open_calendars(admin)
        agents = admin.model('res.user', 'search',
            [('sip_user', '!=', None)], 0, None, None)
        admin.model('res.user', 'write', agents,
            {'phone_presence': 'available'})
        codes = sorted({p['code'] for p in admin.model('gru.postal_code',
                    'search_read', [], 0, None, None, ['code'])})
        log('%d agents available, %d postal codes' % (
                len(agents), len(codes)))
        answers = bench_decisions(server, key, codes, args.clients,
            args.decisions, rng, args.backend)
        for workers in serve_workers:
            served = Served(server, workers)
            try:
                log('scripts/serve with %d workers...' % workers)
                served.wait(key, codes)
                # the same decisions as the one-process server's
                bench_decisions(served, key, codes, args.clients,
                    args.decisions, random.Random(args.seed),
                    '%s, scripts/serve %d worker%s' % (args.backend,
                        workers, 's' if workers > 1 else ''))
            finally:
                served.stop()
        if len(decision_figures) > 1:
            print('(a) side by side (%d clients, %d cores, load average '
                '%.1f):' % (args.clients, os.cpu_count(),
                    os.getloadavg()[0]))
            for name, p50, p99, rate in decision_figures:
                print('  %-44s p50 %6.1f ms  p99 %6.1f ms  %5.0f '
                    'decisions/s' % (name, p50 * 1000, p99 * 1000, rate))
        if not args.only_decisions:
            bench_events(server, key, answers, args.backend)
            simulate_day(server, args.day_calls, rng)
    finally:
        server.stop()
    if missed_targets:
        print('targets missed: %s' % '; '.join(missed_targets))
    return 1 if args.check and missed_targets else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark of the inbox (gru_inbox) on PostgreSQL with 1,000,000
requests and 3,000,000 messages (--requests 10000000: ten times, #18).

Creates the database gru_bench_inbox (--name: gru_bench_inbox_<name>;
trytond-admin, module gru_inbox and its dependencies, or gru_steering,
gru_mail and gru_letter with --aggregates), creates the company, 19
antennas and the central service, an information officer of one
antenna, a DARRU supervisor and 8
schemes through the ORM, then fills the usagers (one per 5 requests),
the requests (24 months, the channels, antennas and states of a real
inbox: the older closed, about 5% open; in the order of their reception,
as an inbox writes them, unless --random-order) and 3 messages per request
through COPY (and, with --aggregates, rebuilds the request aggregates of
gru_steering that the volume graphs then read). It then times, over
--runs runs each, with the access rules checked as for a call of the
client, and prints p50/p95 in milliseconds with the targets:

* as the officer, the first page (50) of the open requests of the
  officer's antenna (the domain of My Antennas' Requests, tab Open), the
  oldest first (received_at ascending: the overdue first), read as the
  list shows them: 150 ms at 1M, 50 ms at 10M;
* as the officer, a usager's timeline (gru.inbox.timeline, 50 latest
  messages): 100 ms at 1M, 20 ms at 10M;
* as the supervisor, the volume graphs of GRU > Inbox > Reporting opened
  as sao does (the action's context and order, the defaults of the
  context form: the last 12 months; search then read by batches of the
  fields of the graph view, each call in its own transaction): the monthly
  volumes by channel (of all antennas, and of one antenna chosen in the
  context form), the volumes by antenna, by channel and by scheme: 1 s
  each;
* the same monthly volumes by channel and antenna by one grouped SQL query
  over the requests (the reference): 1 s at 1M; at 10M the graphs read
  the aggregates and it is printed as what they would cost without;

and the disk used: the database and its largest tables with their
indexes.

Usage: .venv/bin/python tests/benchmarks/bench_inbox.py
    [--requests 1000000] [--runs 50] [--recreate] [--update]
    [--name NAME] [--aggregates] [--random-order]
Environment: GRU_BENCH_POSTGRESQL_URI (default postgresql://127.0.0.1:5432/).
A database already filled with as many requests is reused (--recreate drops
it, --update updates its module gru_inbox first, after a change of the
code).
"""
import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import support

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
DATABASE = 'gru_bench_inbox'  # gru_bench_inbox_<name> with --name
MODULES = ['gru_inbox']
# with --aggregates: the steering's aggregates, and the channel modules
# whose counts the graphs show (the requests have their channels)
AGGREGATES_MODULES = ['gru_steering', 'gru_mail', 'gru_letter']
URI = os.environ.get(
    'GRU_BENCH_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
# the graphs of volumes as sao opens them: (name, action, context form)
GRAPHS = [
    ('graph: month x channel', 'act_request_graph_month', {}),
    ('graph: month x channel, AMI', 'act_request_graph_month',
        {'antenna': 'AMI'}),
    ('graph: antenna', 'act_request_graph_antenna', {}),
    ('graph: channel', 'act_request_graph_channel', {}),
    ('graph: scheme', 'act_request_graph_scheme', {}),
    ]
TARGETS = {'open requests of my antenna': 150, 'usager timeline': 100,
    'monthly volumes (SQL)': 1000}
TARGETS.update((name, 1000) for name, _, _ in GRAPHS)
# from ten million requests (#18): the inbox as fast on ten times the data
# the graphs read the aggregates: the grouped SQL query over the requests
# is printed as the reference, what the graphs would cost without them
TARGETS_10M = dict(TARGETS, **{'open requests of my antenna': 50,
        'usager timeline': 20, 'monthly volumes (SQL)': None})
# sao's search limit and the most fields it reads at once
SAO_LIMIT = 1000
ANTENNAS = ['AMI', 'MDD', 'CAM', 'VAL', 'SAT', 'ABB', 'HAZ', 'CAL', 'CLE',
    'GRA', 'VDO', 'STQ', 'LAO', 'ARR', 'BMN', 'SOI', 'CHT', 'FRE', 'MTR']
WEIGHTS = [30, 11, 16, 57, 30, 16, 33, 40, 40, 17, 25, 18, 10, 18, 65, 11,
    7, 7, 11]
CHANNELS = [('phone', 45), ('email', 35), ('counter', 10), ('letter', 7),
    ('web', 3)]
OPEN_STATES = ['new', 'qualified', 'in_progress', 'waiting']
PARTIES = 200000  # per million requests
MESSAGES_PER_REQUEST = 3


def log(message):
    print('[bench] %s' % message, flush=True)


def connect(dbname):
    return support.connect(URI, dbname)


def create_database(recreate):
    return support.create_database(
        URI, DATABASE, MODULES, recreate=recreate, log=log)


def update_module():
    log('updating %s in %s' % (' '.join(MODULES), DATABASE))
    env = dict(os.environ, TRYTOND_DATABASE__URI=URI)
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as passfile:
        passfile.write('bench')
        passfile.flush()
        env['TRYTONPASSFILE'] = passfile.name
        subprocess.run([os.path.join(support.VENV_BIN, 'trytond-admin'),
                '-d', DATABASE, '-u', *MODULES, '--activate-dependencies'],
            check=True, env=env)


def start_pool():
    os.environ['TRYTOND_DATABASE__URI'] = URI
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(DATABASE)
    with Transaction().start(DATABASE, 0, readonly=True):
        pool.init()
    return pool


def setup_orm(pool):
    """Create (once) the company, antennas, schemes, the officer and the
    supervisor; return (company id, {code: antenna id}, [scheme ids],
    officer id, supervisor id)"""
    from decimal import Decimal

    from trytond.transaction import Transaction
    with Transaction().start(DATABASE, 0) as transaction:
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        Party = pool.get('party.party')
        Antenna = pool.get('gru.antenna')
        Scheme = pool.get('gru.scheme')
        Theme = pool.get('gru.scheme.theme')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        companies = Company.search([])
        if not companies:
            euro, = Currency.create([{'name': "Euro", 'code': 'EUR',
                        'symbol': '€', 'rounding': Decimal('0.01'),
                        'digits': 2}])
            party, = Party.create([{'name': "Région Hauts-de-France"}])
            companies = Company.create([{'party': party.id,
                        'currency': euro.id}])
        company = companies[0]
        antennas = {a.code: a.id for a in Antenna.search([])}
        missing = [c for c in ANTENNAS + ['SIA'] if c not in antennas]
        if missing:
            for antenna in Antenna.create([{'code': c,
                            'name': "Antenne %s" % c,
                            'kind': 'service' if c == 'SIA' else 'antenna'}
                        for c in missing]):
                antennas[antenna.code] = antenna.id
        schemes = Scheme.search([])
        if not schemes:
            Directorate = pool.get('gru.scheme.directorate')
            theme, = Theme.create([{'code': 'T', 'name': "Thème"}])
            directorate, = Directorate.create([{'code': 'D',
                        'name': "Direction"}])
            schemes = Scheme.create([{
                        'code': 'S%d' % i, 'name': "Dispositif %d" % i,
                        'theme': theme.id, 'directorate': directorate.id,
                        } for i in range(8)])
        officers = User.search([('login', '=', 'bench.officer')])
        if not officers:
            officers = User.create([{
                        'login': 'bench.officer', 'name': "Officer",
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [ModelData.get_id('gru_inbox',
                                        'group_information_officer')])],
                        'gru_antennas': [('add', [antennas['AMI']])],
                        }])
        supervisors = User.search([('login', '=', 'bench.supervisor')])
        if not supervisors:
            supervisors = User.create([{
                        'login': 'bench.supervisor', 'name': "Supervisor",
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [ModelData.get_id('gru_inbox',
                                        'group_supervisor')])],
                        }])
        result = (company.id, antennas, [s.id for s in schemes],
            officers[0].id, supervisors[0].id)
        transaction.commit()
    return result


def fill(count, company, antennas, schemes, random_order=False):
    rng = random.Random(60)
    now = dt.datetime.now().replace(microsecond=0)
    with connect(DATABASE) as conn:
        done = conn.execute(
            'SELECT COUNT(*) FROM gru_inbox_request').fetchone()[0]
        if done >= count:
            log('%d requests already there' % done)
            return
        conn.execute('TRUNCATE gru_inbox_message, gru_inbox_request CASCADE')
        start = time.monotonic()
        # the rows copied refer to records made just before: the foreign
        # keys' checks, queued to the end of each COPY, are skipped (at 10
        # million requests and 30 million messages they would take longer
        # than the load; superuser only, as the benchmark's connection)
        conn.execute("SET session_replication_role = replica")
        parties = conn.execute(
            "SELECT COUNT(*) FROM party_party WHERE code LIKE 'B%'"
            ).fetchone()[0]
        wanted = max(PARTIES, PARTIES * count // 1000000)
        if parties < wanted:
            log('copying %d usagers' % (wanted - parties))
            with conn.cursor() as cursor:
                with cursor.copy('COPY party_party (name, code, active, '
                        'create_uid, create_date) FROM STDIN') as copy:
                    for n in range(parties, wanted):
                        copy.write_row(('Usager %d' % n, 'B%07d' % n,
                                True, 0, now))
        party_ids = [r[0] for r in conn.execute(
                "SELECT id FROM party_party WHERE code LIKE 'B%'")]
        codes = ANTENNAS
        antenna_ids = [antennas[c] for c in codes]
        channels, channel_weights = zip(*CHANNELS)
        log('copying %d requests' % count)
        first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM "
            "gru_inbox_request").fetchone()[0] + 1
        received = []
        with conn.cursor() as cursor:
            with cursor.copy('COPY gru_inbox_request (id, reference, '
                    'channel, received_at, subject, party, antenna, scheme, '
                    'priority, state, company, first_response_at, '
                    'closed_at, create_uid, create_date) FROM STDIN'
                    ) as copy:
                antenna_draw = rng.choices(antenna_ids, WEIGHTS, k=count)
                channel_draw = rng.choices(channels, channel_weights,
                    k=count)
                ages = [rng.random() * 730 for _ in range(count)]
                if not random_order:
                    # as they arrive: the ids and the rows on disk follow
                    # the reception, the open requests are the last ones
                    ages.sort(reverse=True)
                for n in range(count):
                    age = ages[n]
                    at = now - dt.timedelta(days=age)
                    at = at.replace(microsecond=0)
                    if age > 30:
                        state = 'closed' if rng.random() < 0.96 \
                            else 'cancelled'
                    else:
                        state = rng.choice(OPEN_STATES + ['answered',
                                'closed'])
                    party = rng.choice(party_ids) if rng.random() < 0.7 \
                        else None
                    answered = at + dt.timedelta(hours=20)
                    copy.write_row((first + n,
                            'GRU-%d-%07d' % (at.year, first + n),
                            channel_draw[n], at, "Demande %d" % n, party,
                            antenna_draw[n], rng.choice(schemes),
                            '1', state, company,
                            answered if state in {'answered', 'closed'}
                            else None,
                            answered if state == 'closed' else None,
                            0, now))
                    received.append(at)
        log('copying %d messages' % (count * MESSAGES_PER_REQUEST))
        directions = ['in', 'out', 'note']
        with conn.cursor() as cursor:
            with cursor.copy('COPY gru_inbox_message (request, direction, '
                    'channel, date, subject, body, create_uid, create_date) '
                    'FROM STDIN') as copy:
                for n in range(count):
                    at = received[n]
                    for i in range(MESSAGES_PER_REQUEST):
                        copy.write_row((first + n, directions[i], 'email',
                                at + dt.timedelta(hours=5 * i),
                                "Demande %d" % n,
                                "Bonjour, message %d de la demande." % i,
                                0, now))
        conn.execute("SELECT setval('gru_inbox_request_id_seq', %s)",
            (first + count,))
        conn.execute("SET session_replication_role = DEFAULT")
        # as autovacuum does later: the statistics, and the visibility map
        # that lets PostgreSQL read only an index
        log('vacuuming')
        conn.execute('VACUUM ANALYZE')
        log('filled in %.0f s' % (time.monotonic() - start))


def build_aggregates(pool):
    """Rebuild the request aggregates of gru_steering (and their months)
    when they are empty: COPY bypasses the ORM's hooks"""
    from trytond.transaction import Transaction
    with Transaction().start(DATABASE, 0) as transaction:
        Day = pool.get('gru.steering.request.day')
        table = Day.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.select(table.id, limit=1))
        if cursor.fetchone():
            return
        log('rebuilding the request aggregates')
        start = time.monotonic()
        Day.rebuild()
        transaction.commit()
    log('rebuilt in %.0f s' % (time.monotonic() - start))
    with connect(DATABASE) as conn:
        conn.execute('VACUUM ANALYZE gru_steering_request_day')
        conn.execute('VACUUM ANALYZE gru_steering_request_month')


def disk_used():
    """Return the size in bytes of the database and [(table, bytes with
    its indexes and TOAST, bytes of its indexes)] of its largest tables"""
    with connect(DATABASE) as conn:
        total = conn.execute('SELECT pg_database_size(%s)',
            (DATABASE,)).fetchone()[0]
        tables = conn.execute("SELECT relname, "
            "pg_total_relation_size(oid), pg_indexes_size(oid) "
            "FROM pg_class WHERE relkind = 'r' AND relnamespace = "
            "'public'::regnamespace ORDER BY 2 DESC LIMIT 6").fetchall()
    return total, tables


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * len(values))))]


def timed(function, runs, warm=True):
    if warm:
        function()  # warm the caches (pool, ir.rule, PostgreSQL buffers)
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        durations.append((time.perf_counter() - start) * 1000)
    return durations


def open_graph(pool, user, action_id, form):
    """Return what sao has once it opened the action as user: (model
    name, context, order, fields to read, size of a read): the user's
    context with the action's, the defaults of the context form (then the
    values of form) and the fields of the first view (the graph)"""
    from trytond.pyson import PYSONDecoder
    from trytond.transaction import Transaction, check_access
    with Transaction().start(DATABASE, user, readonly=True):
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        ActWindow = pool.get('ir.action.act_window')
        with check_access():
            context = User.get_preferences(context_only=True)
        with Transaction().set_context(context), check_access():
            action, = ActWindow.search([('id', '=',
                        ModelData.get_id('gru_inbox', action_id))])
            decoder = PYSONDecoder(context)
            context.update(decoder.decode(action.pyson_context or '{}'))
            order = decoder.decode(action.pyson_order or '[]') or None
            view = sorted(action.act_window_views,
                key=lambda v: v.sequence)[0].view
            Model = pool.get(action.res_model)
            ContextModel = pool.get(action.context_model)
        with Transaction().set_context(context), check_access():
            fields = Model.fields_view_get(view.id, view.type)['fields']
            context_fields = ContextModel.fields_view_get(
                view_type='form')['fields']
            context.update(ContextModel.default_get(list(context_fields)))
            context.update(form)
    fnames = list(fields)
    for name in fields:
        if fields[name]['type'] in {'many2one', 'one2one', 'reference'}:
            fnames.append(name + '.rec_name')
    fnames += ['rec_name', '_timestamp', '_write', '_delete']
    size = SAO_LIMIT // min(len(fnames), 10)
    return action.res_model, context, order, fnames, size


def graph_calls(pool, user, model, context, order, fnames, size):
    """Call the model as sao does for a graph: a search then reads of
    the records by batches, each call in its own transaction; return the
    rows read"""
    from trytond.transaction import Transaction, check_access
    Model = pool.get(model)

    def call(function, *args):
        with Transaction().start(DATABASE, user, readonly=True,
                context=context), check_access():
            return function(*args)
    ids = call(lambda: [r.id for r in Model.search(
                    [], 0, SAO_LIMIT, order)])
    if len(ids) == SAO_LIMIT:
        call(Model.search_count, [], 0, SAO_LIMIT * 100)
    rows = []
    for i in range(0, len(ids), size):
        rows.extend(call(Model.read, ids[i:i + size], fnames))
    return rows


def measure(pool, company, antennas, officer, supervisor, runs):
    from trytond.transaction import Transaction, check_access
    results = {}
    rng = random.Random(7)
    with Transaction().start(DATABASE, officer, readonly=True,
            context={'company': company}), check_access():
        Request = pool.get('gru.inbox.request')
        Timeline = pool.get('gru.inbox.timeline')
        User = pool.get('res.user')
        mine = sorted(User.get_gru_antennas())
        columns = ['reference', 'received_at', 'channel', 'priority',
            'subject', 'party', 'antenna', 'scheme', 'assignee', 'state']

        def open_requests():
            # the domain of My Antennas' Requests, tab Open
            requests = Request.search([
                    ('in_my_antennas', '=', True),
                    ('state', 'in', OPEN_STATES),
                    ], order=[('received_at', 'ASC'), ('id', 'ASC')],
                limit=50)
            rows = Request.read([r.id for r in requests], columns)
            assert rows
            return rows
        assert all(r['antenna'] in mine for r in open_requests())
        results['open requests of my antenna'] = timed(open_requests, runs)

        cursor = Transaction().connection.cursor()
        request = Request.__table__()
        cursor.execute(*request.select(request.party,
                where=(request.antenna.in_(mine))
                & (request.party != None),  # noqa: E711
                limit=5000))
        parties = [r[0] for r in cursor]

        def timeline():
            party = rng.choice(parties)
            lines = Timeline.search([('party', '=', party)], limit=50)
            Timeline.read([l.id for l in lines],
                ['date', 'channel', 'direction', 'request', 'subject',
                    'request_state'])
            assert lines
        results['usager timeline'] = timed(timeline, runs)

    # the volume graphs as the supervisor opens them in sao
    with Transaction().start(DATABASE, 0, readonly=True):
        cursor = Transaction().connection.cursor()
        Volume = pool.get('gru.inbox.request.volume')
        start, end = Volume.last_twelve_months()
        start = dt.datetime.combine(start, dt.time.min)
        end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)
        cursor.execute('SELECT COUNT(*) FROM gru_inbox_request '
            'WHERE received_at >= %s AND received_at < %s', (start, end))
        total, = cursor.fetchone()
    for name, action, form in GRAPHS:
        form = {k: antennas[v] if k == 'antenna' else v
            for k, v in form.items()}
        client = open_graph(pool, supervisor, action, form)
        rows = graph_calls(pool, supervisor, *client)
        # the graph shows every request of the year, once
        counted = sum(r['count'] if 'count' in r
            else sum(v for k, v in r.items() if k.startswith('count_'))
            for r in rows)
        if 'antenna' in form:
            assert 0 < counted < total, (name, counted, total)
        else:
            assert counted == total, (name, counted, total)
        log('%s: %d rows of %s, %d requests' % (
                name, len(rows), ', '.join(client[3]), counted))
        results[name] = timed(lambda: graph_calls(pool, supervisor, *client),
            runs)

    # the reference: the monthly volumes by channel and antenna in one
    # grouped SQL query
    with Transaction().start(DATABASE, 0, readonly=True):
        cursor = Transaction().connection.cursor()

        def volumes_sql():
            cursor.execute('SELECT DATE_TRUNC(\'month\', received_at), '
                'channel, antenna, COUNT(*) FROM gru_inbox_request '
                'WHERE received_at >= %s AND received_at < %s '
                'GROUP BY 1, 2, 3', (start, end))
            assert cursor.fetchall()
        results['monthly volumes (SQL)'] = timed(volumes_sql, runs)
    return results


def main():
    global DATABASE, MODULES
    parser = argparse.ArgumentParser()
    parser.add_argument('--requests', type=int, default=1000000)
    parser.add_argument('--runs', type=int, default=50)
    parser.add_argument('--recreate', action='store_true')
    parser.add_argument('--update', action='store_true',
        help="update the module of the database reused")
    parser.add_argument('--name',
        help="the database is gru_bench_inbox_<name>")
    parser.add_argument('--random-order', action='store_true',
        help="copy the requests in a random order of reception (the "
        "open ones spread over the whole table), not as they arrive")
    parser.add_argument('--aggregates', action='store_true',
        help="activate gru_steering: the volume graphs read its "
        "maintained request aggregates")
    args = parser.parse_args()
    if args.name:
        DATABASE = 'gru_bench_inbox_%s' % args.name
    if args.aggregates:
        MODULES = AGGREGATES_MODULES
    targets = TARGETS_10M if args.requests >= 10000000 else TARGETS
    begin = time.monotonic()
    created = create_database(args.recreate)
    if args.update and not created:
        update_module()
    pool = start_pool()
    company, antennas, schemes, officer, supervisor = setup_orm(pool)
    fill(args.requests, company, antennas, schemes, args.random_order)
    if args.aggregates:
        build_aggregates(pool)
    results = measure(pool, company, antennas, officer, supervisor,
        args.runs)
    print()
    print('%d requests, %d messages, PostgreSQL' % (
            args.requests, args.requests * MESSAGES_PER_REQUEST))
    print('%-30s %8s %8s %8s  %s' % ('query', 'p50 ms', 'p95 ms',
            'target', 'result'))
    failed = False
    for name, durations in results.items():
        p95 = percentile(durations, 95)
        if targets[name] is None:
            print('%-30s %8.1f %8.1f %8s  %s' % (name,
                    statistics.median(durations), p95, '-', 'reference'))
            continue
        ok = p95 < targets[name]
        failed |= not ok
        print('%-30s %8.1f %8.1f %8d  %s' % (name,
                statistics.median(durations), p95, targets[name],
                'ok' if ok else 'MISSED'))
    total, tables = disk_used()
    print('disk used by %s: %.1f GB; largest tables (with indexes, of '
        'which indexes):' % (DATABASE, total / 1e9))
    for table, size, indexes in tables:
        print('  %-34s %7.2f GB %7.2f GB' % (table, size / 1e9,
                indexes / 1e9))
    print('total %.0f s' % (time.monotonic() - begin))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

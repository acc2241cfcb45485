#!/usr/bin/env python3
"""Benchmark of the steering figures (gru_steering, #17) on PostgreSQL with
1,000,000 requests and 2,000,000 calls.

Creates the database bench_ind_<name> (trytond-admin, module gru_steering
and its dependencies), creates through the ORM the company, the 19
antennas of the region (Bassin minier and Vallée de l'Oise planned but
receiving contacts) and the central service, 8 schemes, the two staff
plans of the report (gru_staff.demo, both approved), the start of the
experiment in four antennas, a director (supervisor, GRU administrator
and HR) and an information officer, then fills through COPY, over the two
years before today and spread over the antennas as the region's inbox:
the requests (channels, states, first responses and their due dates),
the calls (routed and answering antenna, outcomes, waiting and talk
times), the counter visits and the permanences. COPY bypassing the ORM,
it then rebuilds the daily aggregates of the figures (gru_steering's
rebuild(), when they are empty).

It then times, over --runs runs each (after a warm-up run), each figure as
sao shows it to the director: the action opened with its context and the
context form's values, a search then a read of the fields of its first
view by batches, each call in its own transaction with the access checked;
and prints p50 and p95 in ms against the target (p95 < 1 s):

* experiment indicators per antenna and month, for a quarter and a year;
  the experiment's before/after comparison;
* request service levels by antenna (the backlog view) and by antenna,
  channel and scheme, for a quarter and a year; call service levels for a
  quarter and a year;
* equity per antenna and its monthly trend, for a year;
* workload staffing, for the default 4 weeks and a quarter;
* the dashboards' panels of gru_steering (when the module has them) as
  sao shows a board's panel: the count of each tab with a counter, then
  the records of its first tab up to the action's limit (4 on the
  officer's board) and their read; the officer's panels as an
  information officer of the busiest antenna (BMN) to whom one in 20 of
  its open requests is assigned, the others as the director;

then, when present, the generation of the monthly pack of last month
(gru.steering.pack.generate, target < 30 s) and, run as subprocesses on
their own SQLite demo database with the official contours, the perimeter
map (bench_perimeter.py: the slowest SVG/PNG render, < 5 s) and the
planner's proposal for the 92 EPCI (bench_planner.py, < 10 s). Each
figure is printed with its target and MET / NOT MET. The database is
dropped at the end unless --keep.

Usage: .venv/bin/python tests/benchmarks/bench_indicators.py
    [--requests 1000000] [--calls 2000000] [--visits 300000] [--runs 20]
    [--name h5] [--keep] [--recreate] [--only SUBSTRING]
Environment: GRU_BENCH_POSTGRESQL_URI (default postgresql://127.0.0.1:5432/).
A kept database already filled is reused (--recreate drops it first).
"""
import argparse
import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import time

import support

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
URI = os.environ.get(
    'GRU_BENCH_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
MODULE = 'gru_steering'
DATABASE = None  # bench_ind_<name>, set by main
TARGET = 1000  # ms, every indicator and dashboard query
PACK_TARGET = 30
MAP_TARGET = 5
PLANNER_TARGET = 10
SAO_LIMIT = 1000
ANTENNAS = ['AMI', 'MDD', 'CAM', 'VAL', 'SAT', 'ABB', 'HAZ', 'CAL', 'CLE',
    'GRA', 'VDO', 'STQ', 'LAO', 'ARR', 'BMN', 'SOI', 'CHT', 'FRE', 'MTR']
# the contacts of each antenna: those of bench_inbox (the Bassin minier
# serves a third of the region)
WEIGHTS = [30, 11, 16, 57, 30, 16, 33, 40, 40, 17, 25, 18, 10, 18, 65, 11,
    7, 7, 11]
PLANNED = {'VDO', 'BMN'}
EXPERIMENT = {'AMI': 26, 'STQ': 26, 'ARR': 26, 'CAM': 13}  # weeks ago
CHANNELS = [('phone', 45), ('email', 35), ('counter', 10), ('letter', 7),
    ('web', 3)]
OPEN_STATES = ['new', 'qualified', 'in_progress', 'waiting']
OUTCOMES = [('answered', 78), ('abandoned', 8), ('missed', 3),
    ('overflowed', 3), ('callback', 3), ('out_of_hours', 5)]
DAYS = 730
# the antenna of the officer whose dashboard is measured (the busiest) and
# the share of its open requests assigned to the officer (mine)
OFFICER = 'BMN'
OFFICER_SHARE = 20


def log(message):
    print('[bench] %s' % message, flush=True)


def connect(dbname):
    return support.connect(URI, dbname)


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
    """Create (once) the company, antennas, schemes, staff plans, the
    experiment's starts and the director; return (company id, {code:
    antenna id}, [scheme ids], director id)"""
    from decimal import Decimal

    from trytond.transaction import Transaction

    from gru_staff import demo
    with Transaction().start(DATABASE, 0) as transaction:
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        Party = pool.get('party.party')
        Antenna = pool.get('gru.antenna')
        Scheme = pool.get('gru.scheme')
        Theme = pool.get('gru.scheme.theme')
        Directorate = pool.get('gru.scheme.directorate')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Date = pool.get('ir.date')
        companies = Company.search([])
        if not companies:
            euro, = Currency.create([{'name': "Euro", 'code': 'EUR',
                        'symbol': '€', 'rounding': Decimal('0.01'),
                        'digits': 2}])
            party, = Party.create([{'name': "Région Hauts-de-France"}])
            companies = Company.create([{'party': party.id,
                        'currency': euro.id}])
        company = companies[0]
        antennas = {a.code: a.id for a in Antenna.search(
                [('active', 'in', [True, False])])}
        today = Date.today()
        monday = today - dt.timedelta(days=today.weekday())
        missing = [c for c in ANTENNAS + ['SIA'] if c not in antennas]
        if missing:
            for antenna in Antenna.create([{'code': c,
                            'name': "Antenne %s" % c,
                            'kind': 'service' if c == 'SIA' else 'antenna',
                            'state': 'planned' if c in PLANNED else 'open',
                            'experiment_start': (
                                monday - dt.timedelta(weeks=EXPERIMENT[c])
                                if c in EXPERIMENT else None),
                            } for c in missing]):
                antennas[antenna.code] = antenna.id
        schemes = Scheme.search([])
        if not schemes:
            theme, = Theme.create([{'code': 'T', 'name': "Thème"}])
            directorate, = Directorate.create([{'code': 'D',
                        'name': "Direction"}])
            schemes = Scheme.create([{
                        'code': 'S%d' % i, 'name': "Dispositif %d" % i,
                        'theme': theme.id, 'directorate': directorate.id,
                        } for i in range(8)])
        with Transaction().set_context(company=company.id):
            source, target = demo.build_report_plans(company)
            demo.staff_report_plans(source, target)
            demo.approve_report_plans(source, target)
        directors = User.search([('login', '=', 'bench.director')])
        if not directors:
            groups = [ModelData.get_id(m, g) for m, g in [
                    ('gru_inbox', 'group_supervisor'),
                    ('gru_base', 'group_gru_admin'),
                    ('gru_staff', 'group_staff_hr')]]
            directors = User.create([{
                        'login': 'bench.director', 'name': "Director",
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', groups)],
                        }])
        officers = User.search([('login', '=', 'bench.officer')])
        if not officers:
            groups = [ModelData.get_id(m, g) for m, g in [
                    ('gru_base', 'group_gru_agent'),
                    ('gru_inbox', 'group_information_officer')]]
            officers = User.create([{
                        'login': 'bench.officer', 'name': "Officer",
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', groups)],
                        'gru_antennas': [('add', [antennas[OFFICER]])],
                        }])
        result = (company.id, antennas, [s.id for s in schemes],
            directors[0].id, officers[0].id)
        transaction.commit()
    return result


def fill(counts, company, antennas, schemes):
    """Fill the requests, calls, visits and permanences with COPY (unless
    the database has them)"""
    rng = random.Random(17)
    now = dt.datetime.now().replace(microsecond=0)
    requests, calls, visits = counts
    codes = ANTENNAS
    antenna_ids = [antennas[c] for c in codes]
    with connect(DATABASE) as conn:
        done = conn.execute(
            'SELECT COUNT(*) FROM gru_inbox_request').fetchone()[0]
        done_calls = conn.execute(
            'SELECT COUNT(*) FROM gru_phone_call').fetchone()[0]
        if done >= requests and done_calls >= calls:
            log('%d requests and %d calls already there' % (
                    done, done_calls))
            return
        conn.execute('TRUNCATE gru_counter_visit, gru_counter_permanence, '
            'gru_phone_call, gru_inbox_request CASCADE')
        # the aggregates of gru_steering, rebuilt by build_aggregates
        for table in ['gru_steering_request_day',
                'gru_steering_request_month', 'gru_steering_call_day',
                'gru_steering_antenna_day', 'gru_steering_antenna_hour']:
            if conn.execute('SELECT to_regclass(%s)',
                    (table,)).fetchone()[0]:
                conn.execute('TRUNCATE %s' % table)
        start = time.monotonic()
        channels, channel_weights = zip(*CHANNELS)

        log('copying %d requests' % requests)
        with conn.cursor() as cursor:
            with cursor.copy('COPY gru_inbox_request (id, reference, '
                    'channel, received_at, subject, antenna, scheme, '
                    'priority, state, company, first_response_at, '
                    'first_response_due, answered_at, closed_at, '
                    'create_uid, create_date) FROM STDIN') as copy:
                antenna_draw = rng.choices(antenna_ids, WEIGHTS, k=requests)
                channel_draw = rng.choices(channels, channel_weights,
                    k=requests)
                for n in range(requests):
                    age = rng.random() * DAYS
                    at = (now - dt.timedelta(days=age)).replace(
                        microsecond=0)
                    if age > 30:
                        state = ('closed' if rng.random() < 0.96
                            else 'cancelled')
                    else:
                        state = rng.choice(OPEN_STATES
                            + ['answered', 'closed'])
                    due = at + dt.timedelta(hours=48)
                    responded = None
                    if state in {'answered', 'closed', 'in_progress',
                            'waiting'} and rng.random() < 0.97:
                        responded = at + dt.timedelta(
                            hours=rng.lognormvariate(2.5, 1.0))
                        if responded > now:
                            responded = None
                    answered = (responded or at + dt.timedelta(hours=30)
                        if state in {'answered', 'closed'} else None)
                    copy.write_row((n + 1,
                            'GRU-%d-%07d' % (at.year, n + 1),
                            channel_draw[n], at, "Demande %d" % n,
                            antenna_draw[n], rng.choice(schemes),
                            '1', state, company, responded,
                            due if rng.random() < 0.9 else None,
                            answered,
                            answered if state == 'closed' else None,
                            0, now))
        conn.execute("SELECT setval('gru_inbox_request_id_seq', %s)",
            (requests + 1,))

        log('copying %d calls' % calls)
        outcomes, outcome_weights = zip(*OUTCOMES)
        with conn.cursor() as cursor:
            with cursor.copy('COPY gru_phone_call (id, call_id, caller, '
                    'routed_antenna, antenna, state, started_at, ring_at, '
                    'answer_at, end_at, waiting_time, talk_time, outcome, '
                    'anonymized, create_uid, create_date) FROM STDIN'
                    ) as copy:
                antenna_draw = rng.choices(antenna_ids, WEIGHTS, k=calls)
                outcome_draw = rng.choices(outcomes, outcome_weights,
                    k=calls)
                for n in range(calls):
                    day = now.date() - dt.timedelta(
                        days=int(rng.random() * DAYS))
                    # opening hours 8:30-17:30 (UTC+1), busier mornings
                    minute = int(min(rng.gammavariate(2.5, 90), 540))
                    at = dt.datetime.combine(day, dt.time(7, 30)) \
                        + dt.timedelta(minutes=minute,
                            seconds=rng.randrange(60))
                    routed = antenna_draw[n]
                    outcome = outcome_draw[n]
                    answering = routed
                    if outcome == 'overflowed':
                        answering = rng.choice(antenna_ids)
                    wait = None
                    talk = None
                    answer_at = None
                    if outcome != 'out_of_hours':
                        wait = dt.timedelta(seconds=int(
                                    rng.expovariate(1 / 35)))
                    if outcome in {'answered', 'overflowed'}:
                        talk = dt.timedelta(seconds=int(
                                    rng.lognormvariate(5.3, 0.6)))
                        answer_at = at + wait
                    end = (answer_at + talk if talk
                        else at + (wait or dt.timedelta(seconds=20)))
                    copy.write_row((n + 1, 'bench-%d' % (n + 1),
                            '03%08d' % rng.randrange(10 ** 8),
                            routed, answering, 'ended', at, at, answer_at,
                            end, wait, talk, outcome, False, 0, now))
        conn.execute("SELECT setval('gru_phone_call_id_seq', %s)",
            (calls + 1,))

        log('copying the permanences and %d visits' % visits)
        permanences = []
        with conn.cursor() as cursor:
            with cursor.copy('COPY gru_counter_permanence (id, kind, '
                    'antenna, place, start, "end", company, create_uid, '
                    'create_date) FROM STDIN') as copy:
                number = 0
                for antenna in antenna_ids:
                    for week in range(0, DAYS // 7, 2):
                        number += 1
                        start_at = dt.datetime.combine(
                            now.date() - dt.timedelta(weeks=week),
                            dt.time(8, 0))
                        copy.write_row((number, 'permanence', antenna,
                                "Mairie", start_at,
                                start_at + dt.timedelta(hours=3),
                                company, 0, now))
                        permanences.append((number, antenna, start_at))
        conn.execute("SELECT setval('gru_counter_permanence_id_seq', %s)",
            (len(permanences) + 1,))
        with conn.cursor() as cursor:
            with cursor.copy('COPY gru_counter_visit (id, company, antenna, '
                    'permanence, date, week, arrived_at, state, '
                    'waiting_time, time_spent, create_uid, create_date) '
                    'FROM STDIN') as copy:
                antenna_draw = rng.choices(antenna_ids, WEIGHTS, k=visits)
                for n in range(visits):
                    permanence = None
                    if rng.random() < 0.1:
                        permanence, antenna, at = rng.choice(permanences)
                        at += dt.timedelta(minutes=rng.randrange(180))
                    else:
                        antenna = antenna_draw[n]
                        day = now.date() - dt.timedelta(
                            days=int(rng.random() * DAYS))
                        at = dt.datetime.combine(day, dt.time(7, 30)) \
                            + dt.timedelta(minutes=rng.randrange(540))
                    state = 'seen' if rng.random() < 0.93 else 'left'
                    year, week, _ = at.isocalendar()
                    copy.write_row((n + 1, company, antenna, permanence,
                            at.date(), '%04d-W%02d' % (year, week), at,
                            state, rng.randrange(1, 40),
                            rng.randrange(5, 45) if state == 'seen'
                            else None, 0, now))
        conn.execute("SELECT setval('gru_counter_visit_id_seq', %s)",
            (visits + 1,))
        log('vacuuming')
        conn.execute('VACUUM ANALYZE')
        log('filled in %.0f s' % (time.monotonic() - start))


def assign_officer(officer, antennas):
    """Assign to the officer one in OFFICER_SHARE of the open requests of
    the officer's antenna (those the officer's dashboard lists as mine)"""
    with connect(DATABASE) as conn:
        count = conn.execute('UPDATE gru_inbox_request SET assignee = %s '
            'WHERE antenna = %s AND state IN (\'new\', \'qualified\', '
            '\'in_progress\', \'waiting\') AND id %% %s = 0 '
            'AND assignee IS NULL',
            (officer, antennas[OFFICER], OFFICER_SHARE)).rowcount
        if count:
            log('%d open requests of %s assigned to the officer' % (
                    count, OFFICER))


def build_aggregates(pool):
    """Rebuild the daily aggregates of the figures (gru_steering) when the
    module has them and they are empty (COPY bypasses the ORM's hooks)"""
    from trytond.transaction import Transaction

    # the request day aggregate rebuilds its months too
    names = ['gru.steering.request.day', 'gru.steering.request.month',
        'gru.steering.call.day', 'gru.steering.antenna.day',
        'gru.steering.antenna.hour']
    if not all(has_model(pool, n) for n in names):
        return
    with Transaction().start(DATABASE, 0) as transaction:
        for name in names:
            Model = pool.get(name)
            table = Model.__table__()
            cursor = transaction.connection.cursor()
            cursor.execute(*table.select(table.id, limit=1))
            if cursor.fetchone():
                continue
            log('rebuilding %s' % name)
            start = time.monotonic()
            Model.rebuild()
            log('rebuilt %s in %.0f s' % (name, time.monotonic() - start))
        transaction.commit()
    with connect(DATABASE) as conn:
        conn.execute('VACUUM ANALYZE gru_steering_request_day')
        conn.execute('VACUUM ANALYZE gru_steering_request_month')
        conn.execute('VACUUM ANALYZE gru_steering_call_day')
        conn.execute('VACUUM ANALYZE gru_steering_antenna_day')
        conn.execute('VACUUM ANALYZE gru_steering_antenna_hour')


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * len(values))))]


def timed(function, runs):
    function()  # warm the caches (pool, ir.rule, PostgreSQL buffers)
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        durations.append((time.perf_counter() - start) * 1000)
    return durations


def open_action(pool, user, module, xml_id, form):
    """Return what sao has once it opened the action as user: (model
    name, context, order, fields to read, size of a read): the user's
    context with the action's, the defaults of the context form (then the
    values of form) and the fields of the first view"""
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
                        ModelData.get_id(module, xml_id))])
            decoder = PYSONDecoder(context)
            context.update(decoder.decode(action.pyson_context or '{}'))
            domain = decoder.decode(action.pyson_domain or '[]') or []
            order = decoder.decode(action.pyson_order or '[]') or None
            # the tabs of the action (a board's panel lists those of its
            # first tab and counts those of each tab with a counter)
            tab_decoder = PYSONDecoder(dict(context, _user=user))
            tabs = [(tab_decoder.decode(domain), count)
                for _, domain, count in action.domains]
            limit = action.limit or SAO_LIMIT
            views = sorted(action.act_window_views, key=lambda v: v.sequence)
            Model = pool.get(action.res_model)
            if views:
                view_id, view_type = views[0].view.id, views[0].view.type
            else:
                view_id, view_type = None, 'tree'
        with Transaction().set_context(context), check_access():
            fields = Model.fields_view_get(view_id, view_type)['fields']
            if action.context_model:
                ContextModel = pool.get(action.context_model)
                context_fields = ContextModel.fields_view_get(
                    view_type='form')['fields']
                context.update(ContextModel.default_get(
                        list(context_fields)))
            context.update(form)
    fnames = list(fields)
    for name in fields:
        if fields[name]['type'] in {'many2one', 'one2one', 'reference'}:
            fnames.append(name + '.rec_name')
    fnames += ['rec_name', '_timestamp', '_write', '_delete']
    size = SAO_LIMIT // min(len(fnames), 10)
    return (user, action.res_model, context, domain, order, fnames, size,
        limit, tabs)


def client_calls(pool, user, model, context, domain, order, fnames, size,
        limit=SAO_LIMIT, tabs=()):
    """Call the model as sao does for a list or a graph (or a board's
    panel): a search of the first tab's records (up to the action's limit)
    then reads of the records by batches, and the count of each tab with a
    counter, each call in its own transaction; return the rows read"""
    from trytond.transaction import Transaction, check_access
    Model = pool.get(model)

    def call(function, *args):
        with Transaction().start(DATABASE, user, readonly=True,
                context=context), check_access():
            return function(*args)
    for tab_domain, count in tabs:
        if count:
            call(Model.search_count, ['AND', domain, tab_domain], 0, 1000)
    if tabs:
        domain = ['AND', domain, tabs[0][0]]
    ids = call(lambda: [r.id for r in Model.search(
                    domain, 0, limit, order)])
    if len(ids) == limit:
        call(Model.search_count, domain, 0, limit * 100)
    rows = []
    for i in range(0, len(ids), size):
        rows.extend(call(Model.read, ids[i:i + size], fnames))
    return rows


def figures(antennas):
    """Return the figures measured: (name, module, action xml id, form
    values of the context)"""
    today = dt.date.today()
    quarter = today - dt.timedelta(days=91)
    year = today - dt.timedelta(days=365)
    result = []
    for label, start in [('quarter', quarter), ('year', year)]:
        result.append(('experiment by antenna x month, %s' % label,
                'gru_steering', 'act_experiment_indicator', {
                    'from_date': start, 'to_date': today,
                    'granularity': 'month', 'antenna': None}))
    result.append(('experiment before/after (26 weeks)', 'gru_steering',
            'act_experiment_comparison', {'comparison_weeks': 26,
                'antenna': None}))
    for label, start in [('quarter', quarter), ('year', year)]:
        period = {'from_date': start, 'to_date': today, 'antenna': None}
        result += [
            ('requests by antenna (backlog), %s' % label, 'gru_steering',
                'act_service_request_backlog', period),
            ('requests by antenna x channel x scheme, %s' % label,
                'gru_steering', 'act_service_request_antenna',
                dict(period, gru_service_dimensions=[
                        'antenna', 'channel', 'scheme'])),
            ('requests by channel, %s' % label, 'gru_steering',
                'act_service_request_channel', period),
            ('calls by antenna, %s' % label, 'gru_steering',
                'act_service_call', period),
            ]
    period = {'from_date': year, 'to_date': today}
    result += [
        ('equity by antenna, year', 'gru_steering', 'act_equity', period),
        ('equity trend by month, year', 'gru_steering', 'act_equity_month',
            period),
        ('staffing, 4 weeks', 'gru_steering', 'act_staffing_form', {}),
        ('staffing, quarter', 'gru_steering', 'act_staffing_form',
            {'from_date': quarter, 'to_date': today - dt.timedelta(days=1)}),
        ]
    return result


def has_model(pool, name):
    try:
        pool.get(name)
    except KeyError:
        return False
    return True


def dashboard_figures(pool):
    """Return the actions of the dashboards of gru_steering (those of the
    dashboard module's views) as figures, when the module has them"""
    from trytond.transaction import Transaction
    result = []
    with Transaction().start(DATABASE, 0, readonly=True):
        ModelData = pool.get('ir.model.data')
        ActWindow = pool.get('ir.action.act_window')
        records = ModelData.search([
                ('module', '=', MODULE),
                ('model', '=', 'ir.action.act_window'),
                ('fs_id', 'like', 'act_dashboard_%'),
                ], order=[('fs_id', 'ASC')])
        for record in records:
            action = ActWindow(record.db_id)
            # the dashboards themselves (a board of actions) open no model
            if not action.res_model or not has_model(pool,
                    action.res_model):
                continue
            # the officer's panels are measured on the officer's board
            name = record.fs_id[len('act_dashboard_'):]
            result.append(('dashboard: %s' % name.replace('_', ' '),
                    MODULE, record.fs_id, {},
                    'officer' if name.startswith('officer_') else 'director'
                    ))
    return result


def measure(pool, users, antennas, runs, only):
    """Time the figures, each as its user (users: {role: user id}) opens
    it; return {name: durations or ('error', text)}"""
    results = {}
    for name, module, xml_id, form, role in [f + ('director',)
            for f in figures(antennas)] + dashboard_figures(pool):
        if only and only not in name:
            continue
        try:
            client = open_action(pool, users[role], module, xml_id, form)
        except Exception as exception:
            log('%s: cannot open %s (%s)' % (name, xml_id, exception))
            results[name] = ('error', str(exception)[:80])
            continue
        rows = client_calls(pool, *client)
        log('%s: %d rows of %s' % (name, len(rows), client[1]))
        results[name] = timed(lambda: client_calls(pool, *client), runs)
        log('%s: p95 %.0f ms' % (name, percentile(results[name], 95)))
    return results


def measure_pack(pool, director):
    """Time the generation of the pack of last month (gru.steering.pack,
    when the module has it); return seconds or None"""
    from trytond.transaction import Transaction
    if not has_model(pool, 'gru.steering.pack'):
        return None
    Pack = pool.get('gru.steering.pack')
    if not hasattr(Pack, 'generate'):
        return None
    today = dt.date.today()
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    durations = []
    for _ in range(2):
        with Transaction().start(DATABASE, 0) as transaction:
            start = time.perf_counter()
            Pack.generate(month)
            durations.append(time.perf_counter() - start)
            transaction.rollback()
    return max(durations)


def measure_perimeter():
    """Run the map benchmark (bench_perimeter.py, measure_map) and the
    planner benchmark (bench_planner.py, measure_planner) when they are
    there: each prepares its own SQLite demo database with the official
    contours (another backend than this process's), so they run as
    subprocesses; return {name: (seconds, target) or ('error', text)}"""
    folder = os.path.dirname(os.path.abspath(__file__))
    result = {}
    for name, script, pattern, target in [
            ('map render (bench_perimeter)', 'bench_perimeter.py',
                r'map as \w+, \d+ px wide: [\d.]+ s median, '
                r'([\d.]+) s max',
                MAP_TARGET),
            ('planner proposal (bench_planner)', 'bench_planner.py',
                r'the "Propose" button .*?\): ([\d.]+) s',
                PLANNER_TARGET),
            ]:
        path = os.path.join(folder, script)
        if not os.path.exists(path):
            continue
        log('running %s' % script)
        env = {k: v for k, v in os.environ.items()
            if not k.startswith('TRYTOND_')}
        try:
            process = subprocess.run([sys.executable, path],
                capture_output=True, text=True, timeout=1800, env=env)
        except subprocess.TimeoutExpired:
            result[name] = ('error', 'timeout')
            continue
        values = [float(v) for v in re.findall(pattern, process.stdout)]
        for line in process.stdout.splitlines()[-12:]:
            log('  %s' % line)
        if values:
            result[name] = (max(values), target)
        else:
            result[name] = ('error', (process.stderr.strip().splitlines()
                    or ['exit %s' % process.returncode])[-1][:80])
    return result


def drop_database():
    with connect('postgres') as conn:
        conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % DATABASE)
    log('dropped %s' % DATABASE)


def main():
    global DATABASE
    parser = argparse.ArgumentParser()
    parser.add_argument('--requests', type=int, default=1000000)
    parser.add_argument('--calls', type=int, default=2000000)
    parser.add_argument('--visits', type=int, default=300000)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--name', default='h5',
        help="the database is bench_ind_<name>")
    parser.add_argument('--keep', action='store_true',
        help="keep the database (reused by the next run)")
    parser.add_argument('--recreate', action='store_true')
    parser.add_argument('--only', help="measure the figures whose name "
        "contains this text only")
    parser.add_argument('--skip-extra', action='store_true',
        help="do not measure the pack, the map and the planner")
    args = parser.parse_args()
    DATABASE = 'bench_ind_%s' % args.name
    begin = time.monotonic()
    try:
        support.create_database(URI, DATABASE, MODULE,
            recreate=args.recreate, log=log)
        pool = start_pool()
        company, antennas, schemes, director, officer = setup_orm(pool)
        fill((args.requests, args.calls, args.visits), company, antennas,
            schemes)
        assign_officer(officer, antennas)
        build_aggregates(pool)
        results = measure(pool, {'director': director, 'officer': officer},
            antennas, args.runs, args.only)
        extra = {}
        if not args.skip_extra:
            try:
                pack = measure_pack(pool, director)
            except Exception as exception:
                pack = ('error', '%s: %s' % (
                        type(exception).__name__, str(exception)[:60]))
            if isinstance(pack, tuple):
                extra['monthly pack generation'] = pack
            elif pack is not None:
                extra['monthly pack generation'] = (pack, PACK_TARGET)
            extra.update(measure_perimeter())
    finally:
        if not args.keep:
            drop_database()
    print()
    print('%d requests, %d calls, %d visits, PostgreSQL, %d runs' % (
            args.requests, args.calls, args.visits, args.runs))
    print('%-48s %8s %8s %8s  %s' % ('query (as sao)', 'p50 ms',
            'p95 ms', 'target', 'result'))
    failed = False
    for name, durations in results.items():
        if isinstance(durations, tuple):
            print('%-48s %8s %8s %8d  ERROR %s' % (name, '-', '-', TARGET,
                    durations[1]))
            failed = True
            continue
        p95 = percentile(durations, 95)
        ok = p95 < TARGET
        failed |= not ok
        print('%-48s %8.1f %8.1f %8d  %s' % (name,
                statistics.median(durations), p95, TARGET,
                'MET' if ok else 'NOT MET'))
    for name, value in extra.items():
        if value[0] == 'error':
            print('%-48s %17s %8s  ERROR %s' % (name, '-', '-', value[1]))
            failed = True
            continue
        seconds, target = value
        ok = seconds < target
        failed |= not ok
        print('%-48s %15.1f s %6d s  %s' % (name, seconds, target,
                'MET' if ok else 'NOT MET'))
    print('total %.0f s' % (time.monotonic() - begin))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

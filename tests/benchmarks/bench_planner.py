#!/usr/bin/env python3
"""Benchmark of the perimeter planner (gru_perimeter, #17 item 4).

Prepares the demo database (scripts/demo --small on SQLite: the official
territory data with the 92 EPCI of the region, the 2022 territorial plan,
the staff plans, the commune contours and the demo's requests), then, in
a transaction rolled back at the end, creates a scenario from the plan in
force and measures:
- the figures of the scenario (lines, located contacts, FTE);
- the EPCI adjacency from the contours (cold, then cached);
- the proposal of a balanced assignment (the "Propose" method: the
  optimiser and the writing of the lines) and, apart, the optimiser and
  the map of the proposal;
and prints the Gini coefficient and the max/min ratio of the expected
contacts per FTE before and after, and the EPCI moved.

Then, over JSON-RPC on the demo server as the planner (login reseaux), it
measures what the user waits for in sao when he clicks "Proposer une
répartition équilibrée" on a new scenario: the button call as sao sends
it, then the reload of the form he sees (sao's read of the scenario, its
EPCI and antenna lists and the image of the map tab) — target < 10 s —
and, apart, the "Dessiner la carte" button of the map tab with its
reload.

Usage: .venv/bin/python tests/benchmarks/bench_planner.py
"""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def measure_planner(database, log=print):
    """Measure the planner on database (a demo database, the pool started)
    and return the figures as a dict; nothing is kept"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from gru_perimeter.balance import components, optimise

    pool = Pool(database)
    figures = {}
    with Transaction().start(database, 0, context={
                'language': 'fr', 'company': 1}) as transaction:
        Scenario = pool.get('gru.perimeter.scenario')
        Map = pool.get('gru.perimeter.map')
        Routing = pool.get('gru.territory.routing')
        plan = Routing.plan_at()

        start = time.perf_counter()
        scenario, = Scenario.create([{
                    'name': "Benchmark", 'base_plan': plan,
                    'start_date': Scenario.default_start_date()}])
        figures['load'] = time.perf_counter() - start
        figures['epci'] = len(scenario.lines)
        figures['antennas'] = len(scenario.antennas)

        Map.clear_cache()
        start = time.perf_counter()
        adjacency = Map.epci_adjacency()
        figures['adjacency_cold'] = time.perf_counter() - start

        # the optimiser alone, on the scenario's figures
        before, _, loads, fte, fixed = scenario._data()
        start = time.perf_counter()
        optimise(before, loads, fte, adjacency, fixed=fixed,
            seats=Scenario.seats(scenario))
        figures['optimise'] = time.perf_counter() - start

        start = time.perf_counter()
        Scenario.propose([scenario])
        figures['propose'] = time.perf_counter() - start

        scenario = Scenario(scenario.id)
        start = time.perf_counter()
        Scenario.draw_map([scenario])
        figures['map'] = time.perf_counter() - start

        scenario = Scenario(scenario.id)
        for name in ['gini_before', 'gini_after', 'max_min_before',
                'max_min_after', 'moved_count', 'improvement']:
            figures[name] = getattr(scenario, name)
        pieces = {}
        for line in scenario.lines:
            pieces.setdefault(line.proposed_antenna.id, set()).add(
                line.epci.id)
        figures['pieces'] = sum(components(m, adjacency)
            for m in pieces.values())
        before = {}
        for line in scenario.lines:
            before.setdefault(line.current_antenna.id, set()).add(
                line.epci.id)
        figures['pieces_before'] = sum(components(m, adjacency)
            for m in before.values())
        figures['rows'] = sorted(
            (r.antenna.name, r.fte, r.population_before, r.population_after,
                r.per_fte_before, r.per_fte_after)
            for r in scenario.antennas)
        transaction.rollback()

    log('scenario figures (%d EPCI, %d antennas): %.2f s' % (
            figures['epci'], figures['antennas'], figures['load']))
    log('EPCI adjacency from the contours (cold): %.2f s'
        % figures['adjacency_cold'])
    log('proposal (in the server: optimiser, lines): %.2f s, %d EPCI '
        'moved' % (figures['propose'], figures['moved_count']))
    log('  of which the optimiser: %.2f s; the map of the region drawn '
        'again: %.2f s' % (figures['optimise'], figures['map']))
    log('equity of the contacts per FTE: %s' % figures['improvement'])
    log('perimeter pieces: %d before, %d after (one per antenna when '
        'contiguous)' % (figures['pieces_before'], figures['pieces']))
    log('%-40s %6s %10s %10s %8s %8s' % ('antenna', 'FTE', 'pop. before',
            'pop. after', '/FTE bef', '/FTE aft'))
    for name, fte, pop_b, pop_a, rate_b, rate_a in figures['rows']:
        log('%-40s %6.2f %10d %10d %8.0f %8.0f' % (name[:40], fte, pop_b,
                pop_a, rate_b or 0, rate_a or 0))
    return figures


def sao_reload(client, model, ids, views):
    """Read the records ids of model as sao does when it reloads the form
    after a button: the fields of the form (binary fields as their size),
    the rows of its One2Many lists with the fields of their list view,
    and the data of the images that have a size; return the form's
    values"""
    form = views[model]
    fields = form['fields']
    names = list(fields) + ['rec_name', '_timestamp', '_write', '_delete']
    names += [n + '.rec_name' for n, d in fields.items()
        if d['type'] in {'many2one', 'one2one', 'reference'}]
    context = {'%s.%s' % (model, n): 'size' for n, d in fields.items()
        if d['type'] == 'binary'}
    records = client.model(model, 'read', ids, names, context=context)
    for name, description in fields.items():
        if description['type'] in {'one2many', 'many2many'}:
            relation = description['relation']
            sub = views[relation]['fields']
            sub_names = list(sub) + ['rec_name', '_timestamp']
            sub_names += [n + '.rec_name' for n, d in sub.items()
                if d['type'] in {'many2one', 'one2one', 'reference'}]
            sub_ids = [i for r in records for i in r[name]]
            if sub_ids:
                client.model(relation, 'read', sub_ids, sub_names)
        elif description['type'] == 'binary':
            for record in records:
                if record[name]:
                    client.model(model, 'read', [record['id']], [name])
    return records


def measure_button(server, log=print):
    """Measure over JSON-RPC, as the planner, the "Propose" button of a new
    scenario as sao sends it and the reload of the form, then the "Draw
    the map" button and its reload; return the figures as a dict (the
    scenario is deleted)"""
    from tests.support import RPCClient
    model = 'gru.perimeter.scenario'
    client = RPCClient(server, 'reseaux', 'demo-reseaux')
    views = {model: client.model(model, 'fields_view_get', None, 'form')}
    for name, description in views[model]['fields'].items():
        if description['type'] in {'one2many', 'many2many'}:
            relation = description['relation']
            views[relation] = client.model(relation, 'fields_view_get',
                None, 'tree')
    figures = {}
    scenario_id, = client.model(model, 'create', [{
                'name': "Benchmark RPC"}])
    try:
        # the user reads the new scenario before he clicks
        sao_reload(client, model, [scenario_id], views)
        timestamp = client.model(model, 'read', [scenario_id],
            ['_timestamp'])[0]['_timestamp']
        context = {'_timestamp': {'%s,%d' % (model, scenario_id):
                timestamp}}
        start = time.perf_counter()
        client.model(model, 'propose', [scenario_id], context=context)
        figures['button_call'] = time.perf_counter() - start
        record, = sao_reload(client, model, [scenario_id], views)
        figures['button'] = time.perf_counter() - start
        figures['button_moved'] = record['moved_count']
        figures['button_map'] = record.get('map')

        if 'draw_map' in client.model(model, 'fields_view_get', None,
                'form')['arch']:
            start = time.perf_counter()
            client.model(model, 'draw_map', [scenario_id])
            record, = sao_reload(client, model, [scenario_id], views)
            figures['draw_button'] = time.perf_counter() - start
            figures['draw_map'] = record.get('map')
    finally:
        client.model(model, 'delete', [scenario_id])
    log('the "Propose" button as the planner waits for it in sao '
        '(JSON-RPC: button call, reload of the form, its lists and its '
        'image): %.2f s (target < 10 s), of which the call %.2f s; %d EPCI '
        'moved; map bytes after it: %s' % (figures['button'],
            figures['button_call'], figures['button_moved'],
            figures['button_map'] or 0))
    if 'draw_button' in figures:
        log('the "Draw the map" button of the map tab with its reload: '
            '%.2f s; map bytes: %s' % (figures['draw_button'],
                figures['draw_map'] or 0))
    return figures


def main():
    os.environ['GRU_TEST_BACKEND'] = 'sqlite'
    from tests.support import demo_server
    print('preparing the demo database...', flush=True)
    server = demo_server()
    os.environ['TRYTOND_CONFIG'] = os.path.join(ROOT, 'config', 'demo.conf')
    os.environ['TRYTOND_DATABASE__URI'] = 'sqlite://'
    os.environ['TRYTOND_DATABASE__PATH'] = server.tmp
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(server.database)
    with Transaction().start(server.database, 0, readonly=True):
        pool.init()
    measure_planner(server.database)
    button = measure_button(server)
    return 0 if button['button'] < 10 else 1


if __name__ == '__main__':
    sys.exit(main())

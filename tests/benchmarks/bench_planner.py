#!/usr/bin/env python3
"""Benchmark of the perimeter planner (gru_perimeter, #17 item 4).

Prepares the demo database (scripts/demo --small on SQLite: the official
territory data with the 92 EPCI of the region, the 2022 territorial plan,
the staff plans, the commune contours and the demo's requests), then, in
a transaction rolled back at the end, creates a scenario from the plan in
force and measures:
- the figures of the scenario (lines, located contacts, FTE);
- the EPCI adjacency from the contours (cold, then cached);
- the proposal of a balanced assignment (the "Propose" button: the
  optimiser, the writing of the lines and the drawing of the map of the
  proposal) — target < 10 s — and, apart, the optimiser and the map;
and prints the Gini coefficient and the max/min ratio of the expected
contacts per FTE before and after, and the EPCI moved.

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
    log('proposal (the button: optimiser, lines, map): %.2f s (target '
        '< 10 s), %d EPCI moved' % (figures['propose'],
            figures['moved_count']))
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
    figures = measure_planner(server.database)
    return 0 if figures['propose'] < 10 else 1


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark of the staff plans (gru_staff).

Generates on SQLite a plan of 5,000 positions (a direction, departments,
services and antennas, shared posts, occupants) and its next version (a
copy where posts are transformed, moved, removed and created), then
measures:
- the comparison of the two plans (target < 2 s);
- the xlsx staffing table export (target < 5 s);
- the org chart render, SVG and PNG through Graphviz (target < 10 s).

Usage: .venv/bin/python tests/benchmarks/bench_staff.py [--positions N]
"""
import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

TARGETS = {'comparison': 2, 'xlsx': 5, 'org chart': 10}


def generate(positions_count, rng):
    "Create a plan of positions_count positions and return it"
    from trytond.modules.company.tests import create_company
    from trytond.pool import Pool
    pool = Pool()
    Plan = pool.get('gru.staff.plan')
    Unit = pool.get('gru.staff.unit')
    Position = pool.get('gru.staff.position')
    Employee = pool.get('company.employee')
    Party = pool.get('party.party')
    company = create_company()
    plan, = Plan.create([{'company': company.id, 'name': "Plan généré",
                'reference_date': dt.date(2024, 1, 1),
                'authorised_posts': positions_count}])
    root, = Unit.create([{'plan': plan.id, 'name': "Direction",
                'kind': 'direction'}])
    departments = Unit.create([{'plan': plan.id, 'parent': root.id,
                'name': "Département %d" % i, 'kind': 'department'}
            for i in range(6)])
    services = Unit.create([{'plan': plan.id, 'parent': d.id,
                'name': "Service %d.%d" % (i, j), 'kind': 'service'}
            for i, d in enumerate(departments) for j in range(5)])
    antennas = Unit.create([{'plan': plan.id, 'parent': s.id,
                'name': "Antenne %d" % i, 'kind': 'antenna'}
            for i, s in enumerate(services * 4)])
    units = [root] + departments + services + antennas
    titles = [("Gestionnaire administratif/ve", 'B'),
        ("Chargé/e d'information", 'B'),
        ("Gestionnaire instructeur/rice", 'B'),
        ("Gestionnaire de relations publiques", 'B'),
        ("Chargé/e de mission", 'A'), ("Agent d'accueil", 'C')]
    parties = Party.create([{'name': "Agent %d" % i}
            for i in range(positions_count)])
    employees = Employee.create([{'party': p.id, 'company': company.id}
            for p in parties])
    values = []
    for unit in units:
        values.append({'plan': plan.id, 'unit': unit.id,
                'title': "Responsable", 'category': 'A',
                'management_level': 'proximity'})
    while len(values) < positions_count:
        title, category = rng.choice(titles)
        values.append({'plan': plan.id, 'unit': rng.choice(units).id,
                'title': title, 'category': category,
                'job_family': "Famille %s" % title})
    for value, employee in zip(values, employees):
        if rng.random() < 0.9:
            value['occupant'] = employee.id
            value['status'] = 'filled'
            value['occupant_start'] = dt.date(2020, 1, 1)
            if rng.random() < 0.1:
                value['occupant_end'] = dt.date(
                    2024, rng.randint(1, 12), 28)
    for i, antenna in enumerate(antennas[1::2]):
        values[len(units) - len(antennas) + 2 * i].setdefault(
            'extra_units', [('create', [{'unit': antenna.id,
                            'share': Decimal('0.5')}])])
    Position.create(values)
    return plan


def next_version(plan, rng):
    "Copy the plan and change some of its posts"
    from trytond.pool import Pool
    pool = Pool()
    Plan = pool.get('gru.staff.plan')
    Unit = pool.get('gru.staff.unit')
    Position = pool.get('gru.staff.position')
    new, = Plan.copy([plan], default={'name': "Plan suivant"})
    positions = list(new.positions)
    units = Unit.search([('plan', '=', new.id)])
    rng.shuffle(positions)
    Position.write(positions[:200], {'title': "Gestionnaire d'études",
            'category': 'B'})
    for position in positions[200:500]:
        position.unit = rng.choice(units)
    Position.save(positions[200:500])
    Position.delete(positions[500:600])
    Position.create([{'plan': new.id, 'unit': rng.choice(units).id,
                'title': "Responsable de projet", 'category': 'A'}
            for _ in range(100)])
    return new


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--positions', type=int, default=5000)
    args = parser.parse_args()
    os.environ['TRYTOND_DATABASE__URI'] = 'sqlite://'
    os.environ['DB_NAME'] = ':memory:'
    os.environ['DB_CACHE'] = tempfile.mkdtemp(prefix='gru-bench-')
    from trytond.tests.test_tryton import DB_NAME, USER, activate_module
    print('activating gru_staff...', flush=True)
    activate_module(['gru_staff'])

    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from gru_staff.analysis import PlanData, compare_plans
    from gru_staff.output import render_org_chart, staffing_xlsx

    results = {}
    with Transaction().start(DB_NAME, USER, context={}):
        Pool(DB_NAME)
        rng = random.Random(5000)
        start = time.monotonic()
        plan = generate(args.positions, rng)
        new = next_version(plan, rng)
        print('generated 2 plans of %d and %d positions in %.1f s' % (
                len(plan.positions), len(new.positions),
                time.monotonic() - start), flush=True)

        start = time.monotonic()
        comparison = compare_plans(PlanData(plan), PlanData(new))
        results['comparison'] = time.monotonic() - start
        print('comparison: %.2f s (%s)' % (results['comparison'],
                ', '.join('%s %d' % i for i in comparison['totals'].items())))

        start = time.monotonic()
        content = staffing_xlsx(PlanData(new))
        results['xlsx'] = time.monotonic() - start
        print('xlsx export: %.2f s (%d kB)' % (results['xlsx'],
                len(content) // 1024))

        start = time.monotonic()
        svg, png = render_org_chart(PlanData(new))
        results['org chart'] = time.monotonic() - start
        print('org chart render: %.2f s (SVG %d kB, PNG %d kB)' % (
                results['org chart'], len(svg) // 1024, len(png) // 1024))
        Transaction().rollback()
    failed = [n for n, t in results.items() if t >= TARGETS[n]]
    for name, duration in results.items():
        print('%-10s %6.2f s  target < %d s  %s' % (name, duration,
                TARGETS[name], 'OK' if duration < TARGETS[name] else 'SLOW'))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

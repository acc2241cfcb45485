#!/usr/bin/env python3
"""Benchmark of the territory routing service.

Prepares a demo database (territory data, 19 antennas, the 2022 plan) on
SQLite, then measures:
- 100,000 in-process resolutions (Routing.resolve) over a mix of postal
  codes (with and without the leading zero), INSEE codes and commune names;
- 5,000 HTTP calls to /<db>/gru/route on a real trytond server, one
  keep-alive connection.
Prints throughput and p50/p99 latencies. Targets on 2 cores: in-process
p99 < 1 ms; HTTP p99 < 20 ms.

Usage: .venv/bin/python tests/benchmarks/bench_routing.py [--calls N]
    [--http-calls N]
"""
import argparse
import http.client
import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values))) - 1))
    return values[k]


def report(name, durations, wall):
    print('%-12s %7d calls  %9.0f calls/s  p50 %.3f ms  p99 %.3f ms  '
        'max %.3f ms' % (name, len(durations), len(durations) / wall,
            statistics.median(durations) * 1000,
            percentile(durations, 99) * 1000, max(durations) * 1000))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--calls', type=int, default=100000)
    parser.add_argument('--http-calls', type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault('GRU_MODULES', 'gru_base gru_territory')
    os.environ['GRU_TEST_BACKEND'] = 'sqlite'
    from tests.support import DEMO_IVR_KEY, demo_server
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

    rng = random.Random(42)
    with Transaction().start(server.database, 0, readonly=True):
        Commune = pool.get('gru.commune')
        PostalCode = pool.get('gru.postal_code')
        Routing = pool.get('gru.territory.routing')
        codes = [p.code for p in PostalCode.search([])]
        communes = [(c.insee_code, c.name) for c in Commune.search([])]
        queries = []
        for i in range(args.calls):
            kind = rng.random()
            if kind < 0.6:
                code = rng.choice(codes)
                if code.startswith('0') and rng.random() < 0.3:
                    code = code[1:]
                queries.append({'postal_code': code})
            elif kind < 0.8:
                queries.append({'insee_code': rng.choice(communes)[0]})
            elif kind < 0.95:
                queries.append({'commune': rng.choice(communes)[1].upper()})
            else:
                queries.append({'postal_code': rng.choice(
                            ['75001', '13001', '69003', '59999'])})
        Routing.resolve(postal_code='80000')  # build the routing table
        durations = []
        start = time.perf_counter()
        for query in queries:
            t0 = time.perf_counter()
            Routing.resolve(**query)
            durations.append(time.perf_counter() - t0)
        wall = time.perf_counter() - start
    print('resolutions over %d postal codes and %d communes' % (
            len(codes), len(communes)))
    report('in-process', durations, wall)

    connection = http.client.HTTPConnection('127.0.0.1', server.port)
    path = '/%s/gru/route?postal_code=' % server.database
    headers = {'X-API-Key': DEMO_IVR_KEY}
    durations = []
    start = time.perf_counter()
    for i in range(args.http_calls):
        t0 = time.perf_counter()
        connection.request('GET', path + rng.choice(codes), headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError('HTTP %s' % response.status)
        durations.append(time.perf_counter() - t0)
    wall = time.perf_counter() - start
    report('HTTP', durations, wall)


if __name__ == '__main__':
    main()

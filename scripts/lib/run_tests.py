#!/usr/bin/env python3
"""Run the GRU test suite on one database backend.

Collects the tests of every module under addons/ (unit tests and proteus
scenarios, through the load_tests protocol) and the cross-module suites
under tests/ (integration, browser), runs them and writes the counts as
JSON to --counts.

Usage: run_tests.py --backend sqlite|postgresql [--counts FILE] [PATTERN...]
PATTERN restricts to test ids containing it (e.g. gru_territory).
"""
import argparse
import json
import os
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))


def configure(backend):
    os.environ.setdefault('TRYTOND_EMAIL__FROM', 'gru-test@example.org')
    if backend == 'sqlite':
        os.environ['TRYTOND_DATABASE__URI'] = 'sqlite://'
        os.environ['DB_NAME'] = ':memory:'
        cache = tempfile.mkdtemp(prefix='gru-test-cache-')
        os.environ['DB_CACHE'] = cache
    else:
        uri = os.environ.get(
            'GRU_TEST_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
        os.environ['TRYTOND_DATABASE__URI'] = uri
        os.environ['DB_NAME'] = 'gru_test_%s' % os.getpid()
        os.environ['DB_CACHE'] = uri
        drop_stale_caches(uri)
    os.environ['GRU_TEST_BACKEND'] = backend


def drop_stale_caches(uri):
    """Drop the template databases Tryton's test framework caches on
    PostgreSQL: they are named after the module list only, so a cache
    left by a previous run would hide the changes of the code since"""
    import psycopg
    with psycopg.connect(uri.rstrip('/') + '/postgres',
            autocommit=True) as connection:
        names = [n for n, in connection.execute(
                "SELECT datname FROM pg_database "
                "WHERE datname LIKE 'test-%'")]
        for name in names:
            connection.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                % name)


def collect(patterns):
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    addons = os.path.join(ROOT, 'addons')
    for name in sorted(os.listdir(addons)):
        tests = os.path.join(addons, name, 'tests')
        if not os.path.isfile(os.path.join(tests, '__init__.py')):
            continue
        suite.addTests(loader.discover(
                tests, pattern='test_*.py', top_level_dir=addons))
    suite.addTests(loader.discover(
            os.path.join(ROOT, 'tests'), pattern='test_*.py',
            top_level_dir=ROOT))
    if patterns:
        suite = unittest.TestSuite(
            t for t in iterate(suite)
            if any(p in test_key(t) for p in patterns))
    return suite


def test_key(test):
    "Return the id of test, with the path of a doctest file (scenarios)"
    key = test.id()
    doctest_ = getattr(test, '_dt_test', None)
    if doctest_ is not None and doctest_.filename:
        key += ' ' + doctest_.filename
    return key


def iterate(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from iterate(test)
        else:
            yield test


class Result(unittest.TextTestResult):

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0
        self._start = {}
        self.slow = []

    def startTest(self, test):
        self._start[test.id()] = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        duration = time.monotonic() - self._start.pop(test.id(), 0)
        self.slow.append((duration, test.id()))
        super().stopTest(test)

    def addSuccess(self, test):
        self.passed += 1
        super().addSuccess(test)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--backend', choices=['sqlite', 'postgresql'],
        default='sqlite')
    parser.add_argument('--counts')
    parser.add_argument('-v', '--verbose', action='store_true')
    parser.add_argument('patterns', nargs='*')
    args = parser.parse_args()
    configure(args.backend)
    sys.path.insert(0, ROOT)
    suite = collect(args.patterns)
    runner = unittest.TextTestRunner(
        resultclass=Result, verbosity=2 if args.verbose else 1,
        stream=sys.stdout)
    start = time.monotonic()
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(
        result.unexpectedSuccesses)
    counts = {
        'backend': args.backend,
        'passed': result.passed,
        'failed': failed,
        'skipped': len(result.skipped),
        'duration': time.monotonic() - start,
        }
    print('slowest tests:')
    for duration, test_id in sorted(result.slow, reverse=True)[:8]:
        print('  %6.1f s  %s' % (duration, test_id))
    print('[%s] %d passed, %d failed, %d skipped in %.0f s' % (
            args.backend, counts['passed'], failed, counts['skipped'],
            counts['duration']))
    if args.counts:
        with open(args.counts, 'w') as fp:
            json.dump(counts, fp)
    return 1 if failed or not result.testsRun else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Run the GRU test suite on one database backend.

Each module under addons/ (unit tests and proteus scenarios, through the
load_tests protocol) and the cross-module suites under tests/ (integration,
browser, mail...) run in a process of their own, as Tryton's own CI does:
a module's tests never see the caches of another's database. Two processes
run at a time (one per core); their output is printed when they end.
The counts are written as JSON to --counts.

Usage: run_tests.py --backend sqlite|postgresql [--counts FILE]
    [--jobs N] [PATTERN...]
PATTERN restricts to test ids (or scenario paths) containing it.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
ADDONS = os.path.join(ROOT, 'addons')


def configure(backend, unit):
    os.environ.setdefault('TRYTOND_EMAIL__FROM', 'gru-test@example.org')
    os.environ['GRU_TEST_BACKEND'] = backend
    if backend == 'sqlite':
        os.environ['TRYTOND_DATABASE__URI'] = 'sqlite://'
        # Every clean_timeout seconds (300 by default) trytond's Cache.sync
        # asks the database for an autocommit connection: on SQLite in
        # memory that is the test's own connection, and switching it to
        # autocommit commits the test's pending rows, which the next tests
        # then find ("An antenna code must be unique" in tests slowed past
        # 5 minutes of process time by a busy machine). One process per
        # unit: no other process to sync the cache with.
        os.environ['TRYTOND_CACHE__CLEAN_TIMEOUT'] = str(10 ** 8)
        os.environ['DB_NAME'] = ':memory:'
        os.environ.setdefault('DB_CACHE',
            tempfile.mkdtemp(prefix='gru-test-cache-'))
    else:
        uri = os.environ.get(
            'GRU_TEST_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
        os.environ['TRYTOND_DATABASE__URI'] = uri
        os.environ['DB_NAME'] = 'gru_test_%s' % os.getpid()
        os.environ['DB_CACHE'] = uri


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


# the browser suite waits on a server and a browser with timeouts: the
# other units run beside it at a lower priority (nice 10), so that they
# take the spare CPU and do not slow sao's pages past those timeouts
TIMED = {'tests/browser'}


def units():
    """Return the test units, the longest first so that the two processes
    stay busy to the end: the browser suite, the other cross-module
    suites under tests/, then each module with tests"""
    modules = [name for name in sorted(os.listdir(ADDONS))
        if os.path.isfile(os.path.join(ADDONS, name, 'tests',
                '__init__.py'))]
    return ['tests/browser', 'tests'] + modules


def collect(unit, patterns):
    loader = unittest.TestLoader()
    if unit == 'tests/browser':
        suite = loader.discover(os.path.join(ROOT, 'tests', 'browser'),
            pattern='test_*.py', top_level_dir=ROOT)
    elif unit == 'tests':
        suite = unittest.TestSuite(t for t in iterate(loader.discover(
                    os.path.join(ROOT, 'tests'), pattern='test_*.py',
                    top_level_dir=ROOT))
            if not t.id().startswith('tests.browser.'))
    else:
        suite = loader.discover(os.path.join(ADDONS, unit, 'tests'),
            pattern='test_*.py', top_level_dir=ADDONS)
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


def run_unit(args):
    "Run the tests of one unit in this process"
    configure(args.backend, args.unit)
    sys.path.insert(0, ROOT)
    suite = collect(args.unit, args.patterns)
    if not suite.countTestCases():
        counts = {'passed': 0, 'failed': 0, 'skipped': 0, 'ran': 0,
            'slow': []}
    else:
        runner = unittest.TextTestRunner(
            resultclass=Result, verbosity=2 if args.verbose else 1,
            stream=sys.stdout)
        result = runner.run(suite)
        counts = {
            'passed': result.passed,
            'failed': len(result.failures) + len(result.errors)
            + len(result.unexpectedSuccesses),
            'skipped': len(result.skipped),
            'ran': result.testsRun,
            'slow': sorted(result.slow, reverse=True)[:15],
            }
    with open(args.counts, 'w') as fp:
        json.dump(counts, fp)
    if args.backend == 'postgresql':
        drop_test_database(os.environ['TRYTOND_DATABASE__URI'],
            os.environ['DB_NAME'])
    return 1 if counts['failed'] else 0


def drop_test_database(uri, name):
    """Drop the database the unit's tests ran on (gru_test_<pid>): each
    run of a unit creates its own, which Tryton's test framework leaves"""
    import psycopg
    try:
        with psycopg.connect(uri.rstrip('/') + '/postgres',
                autocommit=True) as connection:
            connection.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                % name)
    except psycopg.Error as exception:
        print('could not drop %s: %s' % (name, exception), file=sys.stderr)


def run_all(args):
    "Run every unit in a child process, args.jobs at a time"
    start = time.monotonic()
    if args.backend == 'postgresql':
        drop_stale_caches(os.environ.get(
                'GRU_TEST_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/'))
    tmp = tempfile.mkdtemp(prefix='gru-test-run-')
    cache = tempfile.mkdtemp(prefix='gru-test-cache-')
    # the demo database is built once for the run and copied by each
    # demo server of the units (tests/support.py: DemoTemplate)
    templates = tempfile.mkdtemp(prefix='gru-demo-template-')
    os.environ['GRU_DEMO_TEMPLATE_DIR'] = templates

    def run(unit):
        name = unit.replace('/', '-')
        counts = os.path.join(tmp, name + '.json')
        log = os.path.join(tmp, name + '.log')
        env = dict(os.environ, DB_CACHE=cache) \
            if args.backend == 'sqlite' else dict(os.environ)
        unit_start = time.monotonic()
        with open(log, 'w') as fp:
            process = subprocess.run([sys.executable, __file__,
                    '--backend', args.backend, '--unit', unit,
                    '--counts', counts] + (['-v'] if args.verbose else [])
                + args.patterns, stdout=fp, stderr=subprocess.STDOUT,
                env=env, cwd=ROOT, preexec_fn=None if unit in TIMED
                else lambda: os.nice(10))
        duration = time.monotonic() - unit_start
        try:
            with open(counts) as fp:
                data = json.load(fp)
        except (OSError, ValueError):
            # the process died before writing its counts
            data = {'passed': 0, 'failed': 1, 'skipped': 0, 'ran': 0,
                'slow': []}
        if process.returncode and not data['failed']:
            data['failed'] = 1
        with open(log) as fp:
            output = fp.read()
        print('==== [%s] %s: %d passed, %d failed, %d skipped in %.0f s' % (
                args.backend, unit, data['passed'], data['failed'],
                data['skipped'], duration), flush=True)
        if data['failed'] or args.verbose:
            print(output[-20000:], flush=True)
        return unit, data

    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as executor:
            results = list(executor.map(run, units()))
    finally:
        sys.path.insert(0, ROOT)
        from tests.support import DemoTemplate
        DemoTemplate.drop(templates)
    total = {'backend': args.backend, 'passed': 0, 'failed': 0,
        'skipped': 0, 'ran': 0}
    slow = []
    for unit, data in results:
        for key in ['passed', 'failed', 'skipped', 'ran']:
            total[key] += data.get(key, 0)
        slow.extend(data.get('slow', []))
    total['duration'] = time.monotonic() - start
    print('slowest tests:')
    for duration, test_id in sorted(slow, reverse=True)[:10]:
        print('  %6.1f s  %s' % (duration, test_id))
    print('[%s] %d passed, %d failed, %d skipped in %.0f s' % (
            args.backend, total['passed'], total['failed'],
            total['skipped'], total['duration']))
    if args.counts:
        with open(args.counts, 'w') as fp:
            json.dump(total, fp)
    return 1 if total['failed'] or not total['ran'] else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--backend', choices=['sqlite', 'postgresql'],
        default='sqlite')
    parser.add_argument('--counts')
    parser.add_argument('--unit', help="run one unit in this process")
    parser.add_argument('--jobs', type=int,
        default=int(os.environ.get('GRU_TEST_JOBS', 2)))
    parser.add_argument('-v', '--verbose', action='store_true')
    parser.add_argument('patterns', nargs='*')
    args = parser.parse_args()
    if args.unit:
        return run_unit(args)
    return run_all(args)


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark of the postal letters (gru_letter): OCR + extraction
throughput, the accuracy of each extracted field and the latency of
registering one letter.

Generates the test corpus of scanned letters (tests/corpus.py of the
module), activates gru_letter on an in-memory SQLite database, then:
- reads every letter with the local Tesseract OCR and extracts its fields
  with WORKERS letters at a time (default 2, the cores of the machine) and
  prints the pages per minute (target 20);
- prints the accuracy per field on the generated letters (postal code,
  commune, name, address, letter date, reference, scheme, matched usager,
  routed antenna) and the count of letters given to the wrong usager
  (targets of issue #14: postal code and commune >= 95 %, date >= 90 %,
  no usager wrongly assigned);
- registers letters one by one (scan to PDF, incoming document, chrono
  number, letter) and prints the p50/p95 latency in milliseconds.

Usage: .venv/bin/python tests/benchmarks/bench_letters.py
    [--letters 60] [--workers 2] [--registrations 20] [--failures]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

TARGET_PAGES_PER_MINUTE = 20


def log(message):
    print('[bench] %s' % message, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--letters', type=int, default=60)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--registrations', type=int, default=20)
    parser.add_argument('--failures', action='store_true',
        help="list the fields read wrong")
    args = parser.parse_args()

    os.environ.setdefault('DB_NAME', ':memory:')
    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.transaction import Transaction, TransactionError

    from gru_letter import extraction, tesseract
    from gru_letter.tests import accuracy, corpus
    from gru_letter.tests.test_module import (
        setup_letters, setup_schemes, setup_usagers)

    if not tesseract.available():
        log('tesseract is not installed')
        return 1
    folder = tempfile.mkdtemp(prefix='bench_letters_')
    start = time.time()
    truths, _ = corpus.generate(folder, count=args.letters)
    log('generated %d letters in %.1f s' % (len(truths), time.time() - start))
    log('activating gru_letter (SQLite in memory)')
    activate_module(['gru_letter'])

    def run(func):
        "Run func in a transaction, again with the locks it asks for"
        extras = {}
        while True:
            try:
                with Transaction().start(DB_NAME, 0, **extras) as t:
                    company = Pool().get('company.company').search([])
                    with set_company(company[0] if company
                            else create_company()):
                        result = func()
                    t.commit()
                    return result
            except TransactionError as exception:
                exception.fix(extras)

    def setup():
        setup_letters(Pool().get('company.company').search([])[0])
        schemes = setup_schemes()
        usagers = setup_usagers()
        return (Pool().get('gru.letter').extraction_context(),
            {k: p.id for k, p in usagers.items()},
            {c: s.id for c, s in schemes.items()})
    (territory, schemes), usager_ids, scheme_ids = run(setup)

    def read(truth):
        with open(os.path.join(folder, truth['path']), 'rb') as file:
            result = tesseract.ocr_document(file.read(), workers=1)
        result.pop('pdf')
        extraction.extract(result['text'], result['lines'],
            territory, schemes)
        return result
    start = time.time()
    with ThreadPoolExecutor(max_workers=args.workers) as executor:
        results = list(executor.map(read, truths))
    elapsed = time.time() - start
    pages = sum(r['pages'] for r in results)
    rate = pages / elapsed * 60

    def measure():
        pool = Pool()
        Party = pool.get('party.party')
        Scheme = pool.get('gru.scheme')
        return accuracy.measure(truths, results,
            {k: Party(i) for k, i in usager_ids.items()},
            {c: Scheme(i) for c, i in scheme_ids.items()},
            context=(territory, schemes))
    rights, totals, wrong, failures = run(measure)

    with open(os.path.join(folder, truths[0]['path']), 'rb') as file:
        data = file.read()

    def register():
        Letter = Pool().get('gru.letter')
        latencies = []
        for index in range(args.registrations):
            begin = time.perf_counter()
            Letter.register(data, truths[0]['path'])
            latencies.append((time.perf_counter() - begin) * 1000)
        return sorted(latencies)
    # the set-up used trytond's test helpers, which switch the pool to test
    # mode: there the ORM also validates every Function field on save;
    # measure the registration as the server runs it
    Pool.test = False
    run(register)  # warm the caches and take the sequence locks once
    latencies = run(register)
    shutil.rmtree(folder, ignore_errors=True)
    print('OCR + extraction: %d pages in %.1f s with %d workers: '
        '%.1f pages/min (target >= %d) %s'
        % (pages, elapsed, args.workers, rate, TARGET_PAGES_PER_MINUTE,
            'OK' if rate >= TARGET_PAGES_PER_MINUTE else 'BELOW TARGET'))
    print('Accuracy per field on %d generated letters (SQLite):'
        % len(truths))
    for line in accuracy.report(rights, totals, wrong):
        print('  ' + line)
    targets = [rights['postal_code'] >= 0.95 * totals['postal_code'],
        rights['commune'] >= 0.95 * totals['commune'],
        rights['date'] >= 0.90 * totals['date'], wrong == 0]
    print('Targets (postal code, commune >= 95 %%, date >= 90 %%, no wrong '
        'usager): %s' % ('OK' if all(targets) else 'MISSED'))
    if args.failures:
        for failure in failures:
            print('  %s %s: expected %r, read %r' % failure)
    print('Register one letter (%s, %d times): p50 %.0f ms, p95 %.0f ms'
        % (os.path.splitext(truths[0]['path'])[1], len(latencies),
            statistics.median(latencies),
            latencies[int(len(latencies) * 0.95) - 1]))
    return 0


if __name__ == '__main__':
    sys.exit(main())

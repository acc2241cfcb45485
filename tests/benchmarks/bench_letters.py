#!/usr/bin/env python3
"""Benchmark of the postal letters (gru_letter): OCR + extraction
throughput and the latency of registering one letter.

Generates the test corpus of scanned letters (tests/corpus.py of the
module), activates gru_letter on an in-memory SQLite database, then:
- reads every letter with the local Tesseract OCR and extracts its fields
  with WORKERS letters at a time (default 2, the cores of the machine) and
  prints the pages per minute (target 20);
- registers letters one by one (scan to PDF, incoming document, chrono
  number, letter) and prints the p50/p95 latency in milliseconds.

Usage: .venv/bin/python tests/benchmarks/bench_letters.py
    [--letters 44] [--workers 2] [--registrations 20]
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
    parser.add_argument('--letters', type=int, default=44)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--registrations', type=int, default=20)
    args = parser.parse_args()

    os.environ.setdefault('DB_NAME', ':memory:')
    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.transaction import Transaction, TransactionError

    from gru_letter import extraction, tesseract
    from gru_letter.tests import corpus
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
        setup_schemes()
        setup_usagers()
        return Pool().get('gru.letter').extraction_context()
    territory, schemes = run(setup)

    def read(truth):
        with open(os.path.join(folder, truth['path']), 'rb') as file:
            result = tesseract.ocr_document(file.read(), workers=1)
        fields = extraction.extract(result['text'], result['lines'],
            territory, schemes)
        return result['pages'], fields
    start = time.time()
    with ThreadPoolExecutor(max_workers=args.workers) as executor:
        results = list(executor.map(read, truths))
    elapsed = time.time() - start
    pages = sum(p for p, _ in results)
    right = sum(f['postal_code']['value'] == t['postal_code']
        for (_, f), t in zip(results, truths))
    rate = pages / elapsed * 60

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
        '%.1f pages/min (target >= %d) %s; postal code right %d/%d'
        % (pages, elapsed, args.workers, rate, TARGET_PAGES_PER_MINUTE,
            'OK' if rate >= TARGET_PAGES_PER_MINUTE else 'BELOW TARGET',
            right, len(truths)))
    print('Register one letter (%s, %d times): p50 %.0f ms, p95 %.0f ms'
        % (os.path.splitext(truths[0]['path'])[1], len(latencies),
            statistics.median(latencies),
            latencies[int(len(latencies) * 0.95) - 1]))
    return 0


if __name__ == '__main__':
    sys.exit(main())

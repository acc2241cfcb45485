#!/usr/bin/env python3
"""Fuzz the inputs of the GRU for a long run and print the figures.

  fuzz.py --target mail [--count 100000] [--seed N]
      hostile mail (broken MIME, mutated corpus, random bytes) through the
      parser of the gateway: parsed, or quarantined with a reason.
  fuzz.py --target letters [--count 2000] [--ocr N]
      corrupt PDF/TIFF/PNG/JPEG scans through the drop folder import on a
      fresh SQLite database: registered or quarantined with a reason, the
      batch goes on; --ocr N also reads N of the registered ones with
      Tesseract (a result or an OCR error, never a crash).
  fuzz.py --target api [--count 2000] [--url URL -d DATABASE --key KEY]
      the HTTP API from its OpenAPI description (/<db>/gru/openapi.json)
      with schemathesis against a demo server started for the run (or the
      server given): never a 500, every answer as described.

Inputs/s, the outcomes by reason and the crashes are printed; the inputs
that crashed are saved under var/fuzz/. Exit status 1 when any crashed.
"""
import argparse
import collections
import logging
import os
import random
import shutil
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
CRASHES = os.path.join(ROOT, 'var', 'fuzz')


def save_crash(target, index, data, error):
    os.makedirs(CRASHES, exist_ok=True)
    path = os.path.join(CRASHES, '%s-%d.bin' % (target, index))
    with open(path, 'wb') as file:
        file.write(data)
    with open(path + '.txt', 'w') as file:
        file.write('%s\n' % error)
    return path


class Report:

    def __init__(self, target, count):
        self.target = target
        self.count = count
        self.outcomes = collections.Counter()
        self.crashes = []
        self.start = time.monotonic()
        self.done = 0
        self._next = max(1, count // 10)

    def add(self, outcome):
        self.outcomes[outcome] += 1
        self.done += 1
        if self.done >= self._next:
            self._next += max(1, self.count // 10)
            print('  %d/%d inputs, %.0f inputs/s, %d crashes' % (
                    self.done, self.count, self.rate(), len(self.crashes)),
                flush=True)

    def crash(self, index, data, error):
        path = save_crash(self.target, index, data, error)
        self.crashes.append((index, str(error)[:300], path))
        self.outcomes['CRASH'] += 1
        self.done += 1

    def rate(self):
        return self.done / max(time.monotonic() - self.start, 1e-9)

    def print(self):
        elapsed = time.monotonic() - self.start
        print('target %s: %d inputs in %.1f s, %.1f inputs/s' % (
                self.target, self.done, elapsed, self.rate()))
        for outcome, number in sorted(self.outcomes.items(),
                key=lambda i: (-i[1], i[0])):
            print('  %7d  %s' % (number, outcome))
        print('crashes: %d' % len(self.crashes))
        for index, error, path in self.crashes[:20]:
            print('  #%d %s (%s)' % (index, error, path))


def _reason(reason, width=70):
    "The kind of a reason: its text without the details after a colon"
    return ' '.join(reason.split())[:width]


def fuzz_mail(args):
    sys.path.insert(0, os.path.join(ROOT, 'addons'))
    from gru_mail.tests.fuzz_mail import FuzzFailure, build, check
    report = Report('mail', args.count)
    for index in range(args.count):
        raw = build(random.Random('%s-%d' % (args.seed, index)))
        try:
            outcome, reason = check(raw, max_attachment_size=10 << 20)
        except FuzzFailure as error:
            report.crash(index, raw, error)
            continue
        report.add('parsed' if outcome == 'parsed'
            else 'quarantined: ' + _reason(reason.split(':')[0]))
    return report


def _letter_database():
    "Activate gru_letter on an in-memory SQLite database (cached)"
    os.environ['TRYTOND_DATABASE__URI'] = 'sqlite://'
    os.environ['DB_NAME'] = ':memory:'
    os.environ.setdefault('DB_CACHE', os.path.join(ROOT, 'var',
            'fuzz-cache'))
    os.makedirs(os.environ['DB_CACHE'], exist_ok=True)
    from trytond.tests.test_tryton import activate_module
    activate_module('gru_letter')
    return os.environ['DB_NAME']


def fuzz_letters(args):
    sys.path.insert(0, os.path.join(ROOT, 'addons'))
    logging.getLogger('pypdf').setLevel(logging.CRITICAL)
    warnings.simplefilter('ignore')
    _letter_database()
    from trytond.modules.company.tests import create_company, set_company
    from trytond.tests.test_tryton import with_transaction
    from trytond.transaction import Transaction

    from gru_letter import tesseract
    from gru_letter.dropfolder import finish_file, import_file
    from gru_letter.tests.fuzz_scans import build
    from gru_letter.tests.test_module import setup_letters
    folder = tempfile.mkdtemp(prefix='gru-fuzz-letters-')
    report = Report('letters', args.count)
    registered = []

    @with_transaction()
    def run():
        # with_transaction starts again when a table lock was needed
        transaction = Transaction()
        report.__init__('letters', args.count)
        registered.clear()
        company = create_company()
        with set_company(company):
            setup_letters(company)
            transaction.commit()
            for index in range(args.count):
                name, data = build(random.Random(
                        '%s-%d' % (args.seed, index)))
                name = '%06d-%s' % (index, name)
                path = os.path.join(folder, name)
                with open(path, 'wb') as file:
                    file.write(data)
                try:
                    status, result = import_file(name, path, folder,
                        batch=index % 5 == 0)
                    reason = None if status == 'processed' \
                        else result.reason
                    transaction.commit()
                except Exception as error:
                    transaction.rollback()
                    report.crash(index, data, repr(error))
                    continue
                if status == 'processed':
                    finish_file(path, folder)
                    registered.append(data)
                    report.add('registered')
                else:
                    report.add('quarantined: ' + _reason(
                            reason.split(':', 1)[-1]
                            if 'cannot be read' in reason else reason,
                            50))
            left = [n for n in os.listdir(folder)
                if n not in {'processed', 'quarantine'}]
            if left:
                report.crashes.append((-1, 'files left behind: %s'
                        % left[:5], folder))
    try:
        run()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.ocr:
        ocr = Report('letters OCR', min(args.ocr, len(registered)))
        for index, data in enumerate(registered[:args.ocr]):
            try:
                result = tesseract.ocr_document(data, workers=1)
                ocr.add('read: %d page(s)' % result['pages'])
            except tesseract.OCRError as error:
                ocr.add('OCR error: ' + _reason(str(error), 50))
            except Exception as error:
                ocr.crash(index, data, repr(error))
        report.print()
        return ocr
    return report


def fuzz_api(args):
    import schemathesis
    sys.path.insert(0, ROOT)
    from tests.fuzz.api import run_operations
    server = None
    if args.url:
        url, database, key = args.url.rstrip('/') + '/', args.database, \
            args.key
    else:
        from tests.support import DEMO_IVR_KEY, DemoServer
        print('starting a demo server...', flush=True)
        server = DemoServer()
        server.start()
        url, database, key = server.url, server.database, DEMO_IVR_KEY
    try:
        schema = schemathesis.openapi.from_url(
            url + database + '/gru/openapi.json')
        report = Report('api', args.count)
        run_operations(schema, key, args.count, report, url + database)
        return report
    finally:
        if server is not None:
            server.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--target', required=True,
        choices=['mail', 'letters', 'api'])
    parser.add_argument('--count', type=int)
    parser.add_argument('--seed', default='gru')
    parser.add_argument('--ocr', type=int, default=0,
        help="letters: read so many registered scans with Tesseract")
    parser.add_argument('--url', help="api: a running server")
    parser.add_argument('-d', '--database', default='gru')
    parser.add_argument('--key', help="api: an API key of every scope")
    args = parser.parse_args(argv)
    if args.count is None:
        args.count = {'mail': 100000, 'letters': 2000, 'api': 2000}[
            args.target]
    report = {'mail': fuzz_mail, 'letters': fuzz_letters,
        'api': fuzz_api}[args.target](args)
    report.print()
    return 1 if report.crashes else 0


if __name__ == '__main__':
    sys.exit(main())

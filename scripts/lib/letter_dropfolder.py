#!/usr/bin/env python3
"""Import the scans a scanner writes into a drop folder as letters.

  letter_dropfolder.py FOLDER [--site CODE] [--batch] [--blank]
      [--watch SECONDS] [--settle SECONDS]

Each PDF, TIFF, JPEG or PNG file is registered (a batch is split at its
separator sheets) and moved to FOLDER/processed/<date>/; a file that
cannot be read goes to FOLDER/quarantine/ with <name>.reason.txt beside
it and appears in GRU > Letters > Quarantined Scans. The OCR runs later
in the scheduler. Common options: -c CONFIG (default config/demo.conf),
-d DATABASE (default gru).

With --watch, the folder is looked at again every so many seconds until
the command is stopped (SIGTERM or Ctrl-C): the file being imported is
finished first and the command ends with status 0.
"""
import argparse
import os
import signal
import sys
import threading

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


# set by SIGTERM or SIGINT: stop after the file being imported
STOP = threading.Event()


def run_once(pool, database, args):
    from trytond.transaction import Transaction

    from gru_letter.dropfolder import finish_file, import_file, pending_files
    counts = {'processed': 0, 'quarantined': 0}
    for name, path in pending_files(args.folder, settle=args.settle):
        if STOP.is_set():
            break
        with Transaction().start(database, 0) as transaction:
            Company = pool.get('company.company')
            Antenna = pool.get('gru.antenna')
            companies = Company.search([], limit=1)
            context = {'company': companies[0].id if companies else None,
                'language': 'fr'}
            with transaction.set_context(**context):
                site = None
                if args.site:
                    sites = Antenna.search([('code', '=', args.site)])
                    if not sites:
                        print('unknown site %s' % args.site,
                            file=sys.stderr)
                        return 2
                    site, = sites
                status, result = import_file(name, path, args.folder,
                    site=site, batch=args.batch,
                    blank=True if args.blank else None)
                # read the records while their transaction is open
                if status == 'processed':
                    summary = ', '.join(l.number for l in result)
                else:
                    summary = 'quarantined (%s)' % result.reason
                transaction.commit()
        if status == 'processed':
            # only once the letters are committed
            finish_file(path, args.folder)
        counts[status] += 1
        print('%s: %s' % (name, summary), flush=True)
    if not args.watch or any(counts.values()):
        print('%(processed)d processed, %(quarantined)d quarantined'
            % counts, flush=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-c', '--config',
        default=os.path.join(ROOT, 'config', 'demo.conf'))
    parser.add_argument('-d', '--database', default='gru')
    parser.add_argument('folder')
    parser.add_argument('--site', help="code of the reception site")
    parser.add_argument('--batch', action='store_true',
        help="split the files at the separator sheets")
    parser.add_argument('--blank', action='store_true',
        help="blank pages separate letters too")
    parser.add_argument('--watch', type=float, default=0,
        help="look again every so many seconds (0: once)")
    parser.add_argument('--settle', type=float, default=2,
        help="skip files changed less than so many seconds ago")
    args = parser.parse_args()
    if not os.path.isdir(args.folder):
        parser.error('no such folder: %s' % args.folder)
    pool = open_pool(args.config, args.database)

    def stop(signum, frame):
        STOP.set()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.watch:
        print('watching %s every %s s' % (args.folder, args.watch),
            flush=True)
    while True:
        status = run_once(pool, args.database, args)
        if status or not args.watch or STOP.wait(args.watch):
            if args.watch:
                print('stopped', flush=True)
            return status


if __name__ == '__main__':
    sys.exit(main())

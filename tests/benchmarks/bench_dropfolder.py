"""Benchmark: the drop-folder command on a folder of scans, in one run.

Builds the small demo (scripts/demo --small, on SQLite by default or
PostgreSQL with --backend postgresql), renders N one-page letters like the
corpus (200 dpi, tilt, grey paper, specks, received stamp for some) plus
one broken file, runs scripts/letter-dropfolder once as a subprocess on the
folder and prints: files processed and quarantined, letters created, files
left behind, wall time and time per file. Target (issue #14): a folder of
30 files imported in one run, nothing left behind or lost.

Usage: bench_dropfolder.py [--files 30] [--backend sqlite|postgresql]
    [--check]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'addons'))


def log(message):
    print('[bench] %s' % message, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--files', type=int, default=30)
    parser.add_argument('--backend', choices=['sqlite', 'postgresql'],
        default='sqlite')
    parser.add_argument('--check', action='store_true',
        help="exit 1 when a file is left behind or lost")
    args = parser.parse_args()
    os.environ['GRU_TEST_BACKEND'] = args.backend

    from tests.integration.test_letter_dropfolder import scan
    from tests.support import DemoServer

    server = DemoServer()
    folder = tempfile.mkdtemp(prefix='gru-bench-dropfolder-')
    try:
        started = time.monotonic()
        log('preparing the demo database (%s)...' % args.backend)
        server.start()
        log('ready in %.0f s' % (time.monotonic() - started))
        started = time.monotonic()
        for index in range(args.files):
            name = 'courrier_%02d.pdf' % index
            with open(os.path.join(folder, name), 'wb') as fp:
                fp.write(scan(name, 100 + index))
        with open(os.path.join(folder, 'illisible.pdf'), 'wb') as fp:
            fp.write(b'%PDF-1.4 not a real PDF')
        log('%d scans rendered in %.1f s' % (
                args.files, time.monotonic() - started))

        env = dict(server.env, TRYTOND_DATABASE__PATH=server.tmp)
        started = time.monotonic()
        process = subprocess.run([
                os.path.join(ROOT, 'scripts', 'letter-dropfolder'),
                '-d', server.database, '--settle', '0', folder],
            env=env, capture_output=True, text=True, timeout=3600)
        wall = time.monotonic() - started

        output = process.stdout + process.stderr
        found = re.search(r'(\d+) processed, (\d+) quarantined',
            process.stdout)
        processed_count, quarantined_count = (
            (int(found.group(1)), int(found.group(2))) if found
            else (0, 0))
        letters = len(set(re.findall(r'\bE\d{4}-\d+', process.stdout)))
        moved = [n for _, _, names in os.walk(
                os.path.join(folder, 'processed')) for n in names]
        quarantine = os.path.join(folder, 'quarantine')
        quarantined = [n for n in os.listdir(quarantine)
            if not n.endswith('.reason.txt')] \
            if os.path.isdir(quarantine) else []
        left = [n for n in os.listdir(folder)
            if os.path.isfile(os.path.join(folder, n))]

        print('drop folder, one run of scripts/letter-dropfolder (%s)'
            % args.backend)
        rows = [
            ('exit status', process.returncode, '0'),
            ('files in the folder', args.files + 1, ''),
            ('processed (command output)', processed_count,
                '%d' % args.files),
            ('quarantined (command output)', quarantined_count, '1'),
            ('letter numbers printed', letters, '%d' % args.files),
            ('scans moved to processed/', len(moved), '%d' % args.files),
            ('files moved to quarantine/', len(quarantined), '1'),
            ('files left behind', len(left), '0'),
            ('wall time', '%.1f s' % wall, ''),
            ('time per file', '%.2f s' % (wall / (args.files + 1)), ''),
            ]
        for label, value, target in rows:
            print('  %-32s %-12s %s' % (label, value,
                    ('target %s' % target) if target else ''))
        ok = (process.returncode == 0 and processed_count == args.files
            and quarantined_count == 1 and len(moved) == args.files
            and len(quarantined) == 1 and not left)
        print('result: %s' % ('all files handled in one run' if ok
                else 'MISSED'))
        if not ok:
            print(output[-3000:])
        return 1 if (args.check and not ok) else 0
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Lint the code base: flake8, isort and XML well-formedness.
Each check counts as one test; writes the counts as JSON to argv[1]."""
import glob
import json
import os
import subprocess
import sys
import xml.dom.minidom

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
PATHS = ['addons', 'scripts', 'tests']


def run(name, command):
    process = subprocess.run(command, cwd=ROOT, capture_output=True,
        text=True)
    ok = process.returncode == 0
    print('[lint] %s: %s' % (name, 'ok' if ok else 'FAILED'))
    if not ok:
        print(process.stdout[-5000:], process.stderr[-2000:])
    return ok


def check_xml():
    bad = []
    files = glob.glob(os.path.join(ROOT, 'addons', '**', '*.xml'),
        recursive=True)
    for filename in files:
        try:
            xml.dom.minidom.parse(filename)
        except Exception as exception:
            bad.append('%s: %s' % (filename, exception))
    print('[lint] xml (%d files): %s' % (
            len(files), 'ok' if not bad else 'FAILED'))
    for line in bad:
        print('  ' + line)
    return not bad


def main():
    python_paths = [p for p in PATHS if os.path.isdir(os.path.join(ROOT, p))]
    results = [
        run('flake8', [os.path.join(BIN, 'flake8')] + python_paths),
        run('isort', [os.path.join(BIN, 'isort'), '--check-only', '--diff']
            + python_paths),
        check_xml(),
        run('translations (fr.po complete)', [sys.executable,
                os.path.join(ROOT, 'scripts', 'lib', 'po.py'), 'check']),
        ]
    counts = {'passed': results.count(True), 'failed': results.count(False),
        'skipped': 0}
    if len(sys.argv) > 1:
        with open(sys.argv[1], 'w') as fp:
            json.dump(counts, fp)
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Write or check the French translation (locale/fr.po) of GRU modules.

  po.py update MODULE...   activate the modules in a scratch SQLite
                           database, collect every translatable string
                           (fields, help, selections, views, buttons,
                           messages, menus) and rewrite locale/fr.po,
                           keeping the existing French strings; new
                           entries get an empty msgstr to fill in.
  po.py check [MODULE...]  fail if a fr.po has an empty or fuzzy entry or
                           lacks a string of its module (needs no database
                           when only completeness of the file is checked).
"""
import os
import shutil
import sys
import tempfile

import polib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
ADDONS = os.path.join(ROOT, 'addons')


def po_path(module):
    return os.path.join(ADDONS, module, 'locale', 'fr.po')


def collect(modules):
    "Return {module: POFile of the source strings}"
    tmp = tempfile.mkdtemp(prefix='gru-po-')
    os.environ['TRYTOND_DATABASE__URI'] = 'sqlite://'
    os.environ['TRYTOND_DATABASE__PATH'] = tmp
    name = 'po'
    open(os.path.join(tmp, name + '.sqlite'), 'w').close()
    import subprocess
    config = os.path.join(tmp, 'trytond.conf')
    with open(config, 'w') as fp:
        fp.write('[database]\nuri = sqlite://\npath = %s\n' % tmp)
    passfile = os.path.join(tmp, 'password')
    with open(passfile, 'w') as fp:
        fp.write('admin-password')
    env = dict(os.environ, TRYTONPASSFILE=passfile)
    admin = os.path.join(os.path.dirname(sys.executable), 'trytond-admin')
    try:
        subprocess.run([admin, '-c', config, '-d', name, '--all',
                '--email', 'admin@example.org'], check=True, env=env,
            capture_output=True)
        subprocess.run([admin, '-c', config, '-d', name, '-u'] + modules
            + ['--activate-dependencies'], check=True, env=env,
            capture_output=True)
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        Pool.start()
        pool = Pool(name)
        with Transaction().start(name, 0, readonly=True):
            pool.init()
        result = {}
        with Transaction().start(name, 0) as transaction:
            Translation = pool.get('ir.translation')
            TranslationSet = pool.get('ir.translation.set', type='wizard')
            session_id, _, _ = TranslationSet.create()
            TranslationSet.execute(session_id, {}, 'set_')
            for module in modules:
                content = Translation.translation_export('en', module)
                result[module] = polib.pofile(
                    content.decode('utf-8') if content else '')
            transaction.commit()
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def update(modules):
    sources = collect(modules)
    for module in modules:
        path = po_path(module)
        old = {}
        if os.path.exists(path):
            for entry in polib.pofile(path):
                old[(entry.msgctxt, entry.msgid)] = entry.msgstr
        pofile = polib.POFile(wrapwidth=78)
        pofile.metadata = {'Content-Type': 'text/plain; charset=utf-8'}
        missing = 0
        for entry in sources[module]:
            entry.msgstr = old.get((entry.msgctxt, entry.msgid), '')
            if not entry.msgstr:
                missing += 1
            entry.flags = [f for f in entry.flags if f != 'fuzzy']
            pofile.append(entry)
        pofile.sort()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        pofile.save(path)
        print('%s: %d entries, %d to translate' % (
                path, len(pofile), missing))


def check(modules):
    ok = True
    for module in modules:
        path = po_path(module)
        if not os.path.exists(path):
            print('%s: missing' % path)
            ok = False
            continue
        pofile = polib.pofile(path)
        empty = [e for e in pofile if not e.msgstr or 'fuzzy' in e.flags]
        if empty:
            ok = False
            print('%s: %d entries untranslated, e.g. %r' % (
                    path, len(empty), empty[0].msgid[:60]))
    return ok


def all_modules():
    return sorted(m for m in os.listdir(ADDONS)
        if os.path.isfile(os.path.join(ADDONS, m, 'tryton.cfg')))


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in {'update', 'check'}:
        print(__doc__)
        return 2
    modules = sys.argv[2:] or all_modules()
    if sys.argv[1] == 'update':
        update(modules)
        return 0
    return 0 if check(modules) else 1


if __name__ == '__main__':
    sys.exit(main())

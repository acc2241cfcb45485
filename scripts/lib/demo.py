#!/usr/bin/env python3
"""Create or upgrade the demo database, load the demo data and serve.

The demo data loaders are the files scripts/demo_data/NN_<topic>.py, run in
the order of their names; each defines load(ctx) and is idempotent (a
re-run finds what exists and creates only what is missing). Each loader
runs in its own transaction as the admin user, in French.
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
DATABASE = os.environ.get('GRU_DEMO_DATABASE', 'gru')
ADMIN_PASSWORD = 'gru-admin'
URL = 'http://127.0.0.1:8000/'


class Context:
    "What a demo loader gets: the repository root, a logger, the size"

    def __init__(self, small):
        self.root = ROOT
        self.small = small
        self.data = os.path.join(ROOT, 'scripts', 'demo_data')
        self.logins = []  # (login, password, role) printed at the end

    def log(self, message):
        print('[demo] %s' % message, flush=True)


def modules():
    """Return the names of our modules: $GRU_MODULES (space separated) or
    every addons/gru_* with a tryton.cfg"""
    if os.environ.get('GRU_MODULES'):
        return os.environ['GRU_MODULES'].split()
    addons = os.path.join(ROOT, 'addons')
    return sorted(name for name in os.listdir(addons)
        if os.path.isfile(os.path.join(addons, name, 'tryton.cfg')))


def admin(*args):
    env = dict(os.environ)
    passfile = os.path.join(os.environ['GRU_DEMO_DIR'], '.admin-password')
    with open(passfile, 'w') as fp:
        fp.write(ADMIN_PASSWORD)
    env['TRYTONPASSFILE'] = passfile
    command = [os.path.join(VENV_BIN, 'trytond-admin'),
        '-c', os.environ['TRYTOND_CONFIG'], '-d', DATABASE] + list(args)
    subprocess.run(command, check=True, env=env)


def prepare_postgresql(fresh):
    "Create the PostgreSQL database when missing; return True when new"
    import psycopg
    uri = os.environ['TRYTOND_DATABASE__URI']
    with psycopg.connect(uri.rstrip('/') + '/postgres',
            autocommit=True) as connection:
        exists = connection.execute(
            'SELECT 1 FROM pg_database WHERE datname = %s',
            (DATABASE,)).fetchone()
        if exists and fresh:
            connection.execute('DROP DATABASE "%s" WITH (FORCE)' % DATABASE)
            exists = False
        if not exists:
            connection.execute('CREATE DATABASE "%s"' % DATABASE)
    return not exists


def prepare_database(fresh=False):
    if os.environ.get('TRYTOND_DATABASE__URI', '').startswith('postgresql'):
        new = prepare_postgresql(fresh)
        if new:
            print('[demo] creating the database %s' % DATABASE, flush=True)
            admin('--all', '-l', 'fr', '--email', 'admin@example.org')
        else:
            print('[demo] upgrading the database %s' % DATABASE, flush=True)
        admin('-u', *modules(), '--activate-dependencies', '-l', 'fr')
        return new
    path = os.path.join(os.environ['GRU_DEMO_DIR'], DATABASE + '.sqlite')
    if fresh:
        for name in [path, path + '.initialised']:
            if os.path.exists(name):
                os.remove(name)
    marker = path + '.initialised'
    new = not os.path.exists(marker)
    if new:
        # a database whose creation did not finish is created anew
        print('[demo] creating the database %s' % path, flush=True)
        if os.path.exists(path):
            os.remove(path)
        open(path, 'w').close()
        admin('--all', '-l', 'fr', '--email', 'admin@example.org')
        admin('-u', *modules(), '--activate-dependencies', '-l', 'fr')
        open(marker, 'w').close()
    else:
        print('[demo] upgrading the database %s' % path, flush=True)
        admin('-u', *modules(), '--activate-dependencies', '-l', 'fr')
    return new


def load_demo(ctx):
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    Pool.start()
    pool = Pool(DATABASE)
    with Transaction().start(DATABASE, 0, readonly=True):
        pool.init()
    with Transaction().start(DATABASE, 0):
        User = pool.get('res.user')
        admin_user, = User.search([('login', '=', 'admin')])
        admin_id = admin_user.id
    with Transaction().start(DATABASE, 0, readonly=True):
        Module = pool.get('ir.module')
        activated = {m.name for m in Module.search(
                [('state', '=', 'activated')])}
    files = sorted(f for f in os.listdir(ctx.data)
        if f.endswith('.py') and f[:2].isdigit())
    for filename in files:
        # NN_<topic>.py loads the data of gru_<topic> when it exists
        module_name = 'gru_' + filename[3:-3]
        if (os.path.isdir(os.path.join(ROOT, 'addons', module_name))
                and module_name not in activated):
            ctx.log('%s skipped: %s is not activated' % (
                    filename, module_name))
            continue
        start = time.monotonic()
        spec = importlib.util.spec_from_file_location(
            'gru_demo_' + filename[:-3], os.path.join(ctx.data, filename))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        extras = {}
        while True:
            with Transaction().start(DATABASE, 0, **extras) as transaction:
                User = pool.get('res.user')
                try:
                    with Transaction().set_user(admin_id):
                        context = User.get_preferences(context_only=True)
                    with Transaction().set_user(admin_id), \
                            Transaction().set_context(context, language='fr',
                                _check_access=False):
                        module.load(ctx)
                except TransactionError as exception:
                    # e.g. a table lock needed: retry with it
                    transaction.rollback()
                    exception.fix(extras)
                    continue
                transaction.commit()
                break
        ctx.log('%s loaded in %.1f s' % (filename, time.monotonic() - start))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--no-serve', action='store_true')
    parser.add_argument('--small', action='store_true')
    parser.add_argument('--fresh', action='store_true',
        help="drop the database first")
    args = parser.parse_args()
    prepare_database(fresh=args.fresh)
    ctx = Context(small=args.small)
    ctx.logins.insert(0, ('admin', ADMIN_PASSWORD, "GRU administrator"))
    load_demo(ctx)
    print()
    print('GRU demo ready: %s  (database "%s")' % (URL, DATABASE))
    print('Demo logins (login / password / role):')
    for login, password, role in ctx.logins:
        print('  %-22s %-14s %s' % (login, password, role))
    print(flush=True)
    if args.no_serve:
        return 0
    os.execv(os.path.join(VENV_BIN, 'trytond'), [
            'trytond', '-c', os.environ['TRYTOND_CONFIG'], '-d', DATABASE])


if __name__ == '__main__':
    sys.exit(main())

"""What the PostgreSQL benchmarks share: a connection and a dedicated
database initialised with trytond-admin, created once and reused."""
import os
import subprocess
import sys
import tempfile

VENV_BIN = os.path.dirname(sys.executable)


def connect(uri, dbname):
    import psycopg
    return psycopg.connect(uri.rstrip('/') + '/' + dbname, autocommit=True)


def create_database(uri, database, module, recreate=False, log=print,
        drop_force=True):
    """Create database with module (a name or a list of names) activated
    unless it exists (or recreate is set); return True when it was
    created"""
    modules = [module] if isinstance(module, str) else list(module)
    with connect(uri, 'postgres') as conn:
        exists = conn.execute('SELECT 1 FROM pg_database WHERE datname = %s',
            (database,)).fetchone()
        if exists and recreate:
            conn.execute('DROP DATABASE "%s"%s' % (
                    database, ' WITH (FORCE)' if drop_force else ''))
            exists = False
        if exists:
            return False
        conn.execute('CREATE DATABASE "%s" ENCODING \'UTF8\'' % database)
    log('initialising %s with trytond-admin' % database)
    env = dict(os.environ, TRYTOND_DATABASE__URI=uri)
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as passfile:
        passfile.write('bench')
        passfile.flush()
        env['TRYTONPASSFILE'] = passfile.name
        admin = [os.path.join(VENV_BIN, 'trytond-admin'), '-d', database]
        subprocess.run(admin + ['--all', '--email', 'admin@example.org'],
            check=True, env=env)
        subprocess.run(admin + ['-u', *modules, '--activate-dependencies'],
            check=True, env=env)
    return True

"""A database of its own for the tests that run the gateway as a process.

copy_test_database() copies the test framework's cached database of
gru_mail (activate_module must have run) to a new SQLite file or a new
PostgreSQL database, so a subprocess can use it; drop() removes it.
run_in_database() runs Python code in a subprocess on that database.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from trytond.tests import test_tryton

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
PYTHON = os.path.join(ROOT, '.venv', 'bin', 'python')
if not os.path.exists(PYTHON):
    PYTHON = sys.executable


class CopiedDatabase:

    def __init__(self, modules=('gru_mail',)):
        self.backend = os.environ.get('GRU_TEST_BACKEND', 'sqlite')
        self.tmp = tempfile.mkdtemp(prefix='gru-mail-db-')
        self.name = 'gru_mail_copy_%d' % os.getpid()
        cache = test_tryton._db_cache_file(
            test_tryton.DB_CACHE, '-'.join(modules))
        self.env = dict(os.environ)
        self.env.pop('DB_NAME', None)
        self.env.pop('DB_CACHE', None)
        self.env['PYTHONPATH'] = ROOT
        if self.backend == 'postgresql':
            import psycopg
            self.uri = os.environ['TRYTOND_DATABASE__URI'].rstrip('/')
            template = cache[len(test_tryton.DB_CACHE) + 1:]
            with psycopg.connect(self.uri + '/postgres',
                    autocommit=True) as connection:
                connection.execute(
                    'DROP DATABASE IF EXISTS "%s"' % self.name)
                connection.execute('CREATE DATABASE "%s" TEMPLATE "%s"'
                    % (self.name, template))
            self.env['TRYTOND_DATABASE__URI'] = self.uri + '/'
        else:
            shutil.copy(cache, os.path.join(self.tmp, self.name + '.sqlite'))
            self.env['TRYTOND_DATABASE__URI'] = 'sqlite://'
            self.env['TRYTOND_DATABASE__PATH'] = self.tmp

    def run(self, code, *args):
        "Run code (Python, with the database name as sys.argv[1])"
        process = subprocess.run([PYTHON, '-c', code, self.name] + list(
                map(str, args)), env=self.env, capture_output=True,
            text=True, timeout=300)
        if process.returncode:
            raise RuntimeError(process.stderr[-3000:])
        return process.stdout

    def query(self, sql):
        "Return the rows of sql run on the database"
        if self.backend == 'postgresql':
            import psycopg
            with psycopg.connect(self.uri + '/' + self.name) as connection:
                return connection.execute(sql).fetchall()
        import sqlite3
        connection = sqlite3.connect(
            os.path.join(self.tmp, self.name + '.sqlite'))
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    def drop(self):
        if self.backend == 'postgresql':
            import psycopg
            try:
                with psycopg.connect(self.uri + '/postgres',
                        autocommit=True) as connection:
                    connection.execute(
                        'DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                        % self.name)
            except Exception:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


SETUP_MAILBOX = """
import sys
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.modules.company.tests import create_company, set_company
database, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
Pool(database).init()
with Transaction().start(database, 0) as transaction:
    pool = Pool()
    company = create_company()
    with set_company(company):
        Mailbox = pool.get('gru.mail.mailbox')
        mailbox, = Mailbox.create([{
                    'name': address, 'address': address,
                    'host': '127.0.0.1', 'port': port, 'security': 'none',
                    'login': address, 'password': 'secret',
                    'poll_interval': 5,
                    }])
    print(mailbox.id)
"""

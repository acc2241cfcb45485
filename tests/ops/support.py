"""A fresh PostgreSQL database for the operations tests (scripts/serve,
scripts/backup, scripts/restore-drill), shared by the tests of the process.

ops_database() creates a database with a unique name, demo-free, and
activates gru_letter (and what it depends on) with trytond-admin, as an
operator would; it is dropped with its filestore when the process exits.
The tests run on the PostgreSQL run of the suite only (GRU_OPS_TESTS=1
runs them on the SQLite run too, still on PostgreSQL).
"""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time

from gru_base.tests.tools import external_skip

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
PYTHON = os.path.join(ROOT, '.venv', 'bin', 'python')
if not os.path.exists(PYTHON):
    PYTHON = sys.executable
ADMIN_PASSWORD = 'gru-ops-admin-1'
MODULES = ['gru_letter']
_database = None


def postgresql_uri():
    return os.environ.get(
        'GRU_TEST_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')


def enabled():
    "Return why the operations tests do not run here, or None"
    skip = external_skip('the operations tests', 'GRU_OPS_TESTS')
    if skip:
        return skip
    try:
        import psycopg
        with psycopg.connect(postgresql_uri().rstrip('/') + '/postgres',
                connect_timeout=5):
            pass
    except Exception as error:
        return 'PostgreSQL not reachable: %s' % error
    return None


class OpsDatabase:

    def __init__(self):
        self.uri = postgresql_uri()
        self.name = 'gru_test_ops_%d_%d' % (os.getpid(), time.time())
        self.tmp = tempfile.mkdtemp(prefix='gru-ops-')
        self.filestore = os.path.join(self.tmp, 'filestore')
        os.makedirs(self.filestore)
        self.env = dict(os.environ)
        for name in ['DB_NAME', 'DB_CACHE', 'TRYTOND_CONFIG']:
            self.env.pop(name, None)
        self.env.update({
                'PYTHONPATH': ROOT,
                'TRYTOND_DATABASE__URI': self.uri,
                'TRYTOND_DATABASE__PATH': self.filestore,
                'GRU_ETALAB_PATH': os.environ.get('GRU_ETALAB_PATH',
                    os.path.join(ROOT, 'var', 'npm', 'node_modules',
                        '@etalab', 'decoupage-administratif', 'data')),
                })

    def connect(self, name=None):
        import psycopg
        return psycopg.connect(self.uri.rstrip('/') + '/'
            + (name or self.name), autocommit=True)

    def create(self):
        with self.connect('postgres') as connection:
            connection.execute('CREATE DATABASE "%s"' % self.name)
        passfile = os.path.join(self.tmp, 'admin-password')
        with open(passfile, 'w') as fp:
            fp.write(ADMIN_PASSWORD)
        env = dict(self.env, TRYTONPASSFILE=passfile,
            # a database of the tests: no need to wait for each commit
            PGOPTIONS='-c synchronous_commit=off')
        process = subprocess.run([
                os.path.join(ROOT, '.venv', 'bin', 'trytond-admin'),
                '-c', os.path.join(ROOT, 'config', 'trytond-prod.conf'),
                '-d', self.name, '--all', '--activate-dependencies',
                '--email', 'admin@example.org', '-u'] + MODULES,
            env=env, capture_output=True, text=True, timeout=600)
        if process.returncode:
            raise RuntimeError('trytond-admin failed:\n'
                + process.stderr[-3000:])
        self.run(SETUP)
        return self

    def run(self, code, *args, env=None):
        """Run Python code in a subprocess on the database (its name is
        sys.argv[1]); return its output"""
        process = subprocess.run([PYTHON, '-c', code, self.name]
            + [str(a) for a in args], env=dict(self.env, **(env or {})),
            capture_output=True, text=True, timeout=300, cwd=ROOT)
        if process.returncode:
            raise RuntimeError(process.stderr[-3000:])
        return process.stdout

    def query(self, sql, *params):
        with self.connect() as connection:
            return connection.execute(sql, params).fetchall()

    def drop(self):
        try:
            with self.connect('postgres') as connection:
                connection.execute(
                    'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name)
        except Exception:
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)


# the territory fixture of gru_territory's tests, its antennas, and AMI as
# the default site of the letters
SETUP = '''
import sys
from trytond.pool import Pool
from trytond.transaction import Transaction, TransactionError
Pool.start()
database = sys.argv[1]
pool = Pool(database)
with Transaction().start(database, 0, readonly=True):
    pool.init()
extras = {}
while True:
    # the singletons lock their table: the transaction starts again with
    # the lock, as trytond's dispatcher does
    with Transaction().start(database, 0, context={'language': 'en'},
            **extras) as transaction:
        try:
            from trytond.modules.company.tests import create_company
            from gru_territory.tests.test_module import setup_fixture_plan
            company = create_company(name="Région (ops)")
            User = pool.get('res.user')
            admin, = User.search([('login', '=', 'admin')])
            User.write([admin], {
                    'companies': [('add', [company.id])],
                    'company': company.id})
            plan, antennas = setup_fixture_plan()
            Configuration = pool.get('gru.letter.configuration')
            config = Configuration(1)
            config.default_site = antennas[0]
            config.save()
            pool.get('gru.inbox.configuration')(1).save()
        except TransactionError as error:
            transaction.rollback()
            error.fix(extras)
            continue
        transaction.commit()
        break
'''


def ops_database():
    "Return the database of the process, created on first use"
    global _database
    if _database is None:
        database = OpsDatabase()
        atexit.register(database.drop)
        try:
            _database = database.create()
        except Exception as error:
            _database = error
            raise
    if isinstance(_database, Exception):
        raise RuntimeError('the operations database was not created: %s'
            % _database)
    return _database


def scan_png(text):
    "Return a PNG of a page holding text, as a scanner writes it"
    import io

    from PIL import Image, ImageDraw, ImageFont
    image = Image.new('L', (1240, 900), 255)
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.truetype('DejaVuSans.ttf', 36)
    except OSError:
        font = ImageFont.load_default(36)
    draw.multiline_text((80, 80), text, fill=0, font=font, spacing=16)
    output = io.BytesIO()
    image.save(output, format='PNG', dpi=(300, 300))
    return output.getvalue()

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The monthly steering pack: the French formats, the workbook's sheets and
native charts on their data, the summary's title, tables (equal to the
figures of the steering models) and pictures, one pack per month, the
scheduler on the 1st; and, on the demo server over JSON-RPC, the director
generating a pack and an information officer refused."""
import base64
import datetime as dt
import io
import os
import random
import re
import sys
import unittest
import zipfile
from decimal import Decimal

from docx import Document

from trytond.exceptions import UserError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_steering.pack import (
    add_months, first_day, last_day, month_key, previous_month)
from gru_steering.pack_output import (
    NNBSP, compact, count, fte, number, percent, points)

from .test_service import create_antenna, refresh_aggregates

MONTH = dt.date(2026, 10, 1)
ANTENNAS = [('AMI', "Amiens", 3), ('ARR', "Arras", 2), ('LAO', "Laon", 1),
    ('BMI', "Bassin minier", 2)]
SHEETS = 6


class FormatTestCase(unittest.TestCase):
    "Test the French formats of the pack"

    def test_number(self):
        "Thousands by a narrow no-break space, a decimal comma"
        self.assertEqual(number(2140), '2' + NNBSP + '140')
        self.assertEqual(number(1234567.25, 1),
            '1' + NNBSP + '234' + NNBSP + '567,2')
        self.assertEqual(number(0.18, 2), '0,18')
        self.assertEqual(number(812), '812')
        self.assertEqual(number(-0.01, 1), '0,0')
        self.assertEqual(number(None), '–')

    def test_compact(self):
        "No decimal part of zeros"
        self.assertEqual(compact(97), '97')
        self.assertEqual(compact(12.5), '12,5')
        self.assertEqual(compact(Decimal('2.50'), 2), '2,5')
        self.assertEqual(compact(1000.0), '1' + NNBSP + '000')

    def test_percent(self):
        "Shares as '85,3 %', signed changes, points"
        self.assertEqual(percent(0.853), '85,3' + NNBSP + '%')
        self.assertEqual(percent(1), '100,0' + NNBSP + '%')
        self.assertEqual(percent(0.052, signed=True), '+5,2' + NNBSP + '%')
        self.assertEqual(percent(-0.052, signed=True), '-5,2' + NNBSP + '%')
        self.assertEqual(percent(0, signed=True), '0,0' + NNBSP + '%')
        self.assertEqual(percent(None), '–')

    def test_months(self):
        "The months of the pack"
        self.assertEqual(first_day(dt.date(2026, 11, 17)),
            dt.date(2026, 11, 1))
        self.assertEqual(last_day(dt.date(2026, 2, 1)), dt.date(2026, 2, 28))
        self.assertEqual(last_day(dt.date(2026, 12, 1)),
            dt.date(2026, 12, 31))
        self.assertEqual(add_months(dt.date(2026, 1, 1), -1),
            dt.date(2025, 12, 1))
        self.assertEqual(add_months(dt.date(2026, 11, 1), -11),
            dt.date(2025, 12, 1))
        self.assertEqual(previous_month(dt.date(2026, 1, 1)),
            dt.date(2025, 12, 1))
        self.assertEqual(month_key(dt.date(2026, 11, 1)), '2026-11')


class WordingTestCase(unittest.TestCase):
    "Test the counts of the pack in words"

    @classmethod
    def setUpClass(cls):
        activate_module('gru_steering')

    @with_transaction()
    def test_counts(self):
        "Singular and plural: English for 1 only, French below 2"
        with Transaction().set_context(language='en'):
            self.assertEqual(count('request', 1), "1 request")
            self.assertEqual(count('request', 0), "0 requests")
            self.assertEqual(count('request', 2140),
                "2" + NNBSP + "140 requests")
            self.assertEqual(fte(97), "97 FTE")
            self.assertEqual(fte(12.5), "12,5 FTE")
            self.assertEqual(points(2.5), "+2,5" + NNBSP + "pts")
            self.assertEqual(points(-0.04), "0,0" + NNBSP + "pts")
        with Transaction().set_context(language='fr'):
            # untranslated in the test database: the rule only
            self.assertEqual(count('request', 0), "0 request")
            self.assertEqual(count('request', 1), "1 request")
            self.assertEqual(count('request', 2), "2 requests")


def create_plan(company, antennas):
    """An approved staff plan: per antenna its information officers and a
    manager"""
    pool = Pool()
    Plan = pool.get('gru.staff.plan')
    Unit = pool.get('gru.staff.unit')
    Position = pool.get('gru.staff.position')
    Employee = pool.get('company.employee')
    Party = pool.get('party.party')
    plan, = Plan.create([{
                'company': company.id, 'name': "Plan 2026",
                'reference_date': dt.date(2026, 1, 1),
                'authorised_posts': 20}])
    for antenna, officers in antennas:
        unit, = Unit.create([{'plan': plan.id, 'name': antenna.name,
                    'kind': 'antenna', 'antenna': antenna.id}])
        employees = Employee.create([{
                    'party': Party.create([{'name': "Agent %s %d" % (
                                    antenna.code, i)}])[0].id,
                    'company': company.id} for i in range(officers + 1)])
        Position.create([{'plan': plan.id, 'unit': unit.id,
                    'title': "Chargé/e d'information", 'category': 'B',
                    'fte': Decimal(1), 'status': 'filled',
                    'occupant': employee.id}
                for employee in employees[1:]] + [{
                    'plan': plan.id, 'unit': unit.id,
                    'title': "Responsable d'antenne", 'category': 'A',
                    'management_level': 'proximity', 'fte': Decimal(1),
                    'status': 'filled', 'occupant': employees[0].id}])
    Plan.write([plan], {'state': 'approved'})
    return plan


def create_data(company, seed=17):
    """Four antennas with a staff plan, requests of every channel, calls
    and visits from August to October 2026, Amiens in the experiment
    since September"""
    pool = Pool()
    Request = pool.get('gru.inbox.request')
    Call = pool.get('gru.phone.call')
    Visit = pool.get('gru.counter.visit')
    Antenna = pool.get('gru.antenna')
    generator = random.Random(seed)
    channels = [c for c, _ in Request.channels()]
    antennas = [(create_antenna(code, name), officers)
        for code, name, officers in ANTENNAS]
    Antenna.write([antennas[0][0]], {
            'experiment_start': dt.date(2026, 9, 14)})
    create_plan(company, antennas)
    requests, calls, visits = [], [], []
    day = dt.date(2026, 8, 1)
    while day <= dt.date(2026, 10, 31):
        if day.weekday() < 5:
            for antenna, officers in antennas:
                for i in range(officers * 2 + generator.randint(0, 2)):
                    at = dt.datetime.combine(day, dt.time(
                            8 + generator.randint(0, 8),
                            generator.randint(0, 59)))
                    channel = generator.choice(channels)
                    requests.append({'company': company.id,
                            'channel': channel, 'received_at': at,
                            'subject': "Demande", 'antenna': antenna.id})
                    if channel == 'phone':
                        outcome = generator.choice(
                            ['answered'] * 8 + ['abandoned', 'missed'])
                        talk = dt.timedelta(
                            seconds=generator.randint(60, 600))
                        wait = dt.timedelta(
                            seconds=generator.randint(5, 180))
                        calls.append({
                                'call_id': 'c%d' % len(calls),
                                'antenna': antenna.id,
                                'started_at': at, 'state': 'ended',
                                'outcome': outcome, 'waiting_time': wait,
                                'answer_at': (at + wait
                                    if outcome == 'answered' else None),
                                'talk_time': (talk
                                    if outcome == 'answered' else None),
                                })
                    elif channel == 'counter':
                        visits.append({'antenna': antenna.id,
                                'arrived_at': at, 'name': "Usager",
                                'state': 'seen',
                                'time_spent': generator.randint(5, 40)})
        day += dt.timedelta(days=1)
    Request.create(requests)
    Call.create(calls)
    Visit.create(visits)
    refresh_aggregates()
    return [a for a, _ in antennas]


def xlsx_parts(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {n: archive.read(n).decode('utf-8', 'replace')
            for n in archive.namelist() if n.endswith('.xml')}


class PackTestCase(unittest.TestCase):
    "Test the generation of the monthly pack"

    @classmethod
    def setUpClass(cls):
        activate_module('gru_steering')

    def read(self, model, names, **context):
        Model = Pool().get(model)
        refresh_aggregates()
        with Transaction().set_context(**context):
            rows = Model.search([])
            return Model.read([r.id for r in rows], names)

    @with_transaction()
    def test_generate(self):
        "The workbook has its sheets and native charts, the summary figures"
        pool = Pool()
        Pack = pool.get('gru.steering.pack')
        company = create_company()
        with set_company(company):
            create_data(company)
            pack = Pack.generate(dt.date(2026, 10, 17))

            self.assertEqual(pack.month, MONTH)
            self.assertEqual(pack.state, 'done')
            self.assertEqual(pack.xlsx_name, 'pilotage-2026-10.xlsx')
            self.assertEqual(pack.docx_name, 'pilotage-2026-10.docx')
            self.assertGreater(pack.duration, 0)
            self.assertFalse(pack.map_included)

            parts = xlsx_parts(pack.xlsx)
            workbook = parts['xl/workbook.xml']
            sheets = re.findall(r'<sheet name="([^"]+)"', workbook)
            self.assertEqual(sheets, ["Summary", "Volumes", "Experiment",
                    "Service Levels", "Equity", "Staffing"])
            charts = {n: t for n, t in parts.items()
                if n.startswith('xl/charts/chart')}
            self.assertGreaterEqual(len(charts), 9)
            kinds = ' '.join(charts.values())
            for tag in ['c:lineChart', 'c:pieChart', 'c:barChart']:
                self.assertIn(tag, kinds)
            # the series read the cells of the sheets
            references = set(re.findall(r"<c:f>'?([^'!<]+)'?!", kinds))
            self.assertEqual(references, {"Volumes", "Experiment",
                    "Service Levels", "Equity", "Staffing"})
            self.assertIn("<c:f>Volumes!$B$5:$B$16</c:f>", kinds)
            # the header rows are frozen
            self.assertIn('ySplit="4"', parts['xl/worksheets/sheet2.xml'])

            equity = self.read('gru.steering.equity',
                ['antenna.name', 'per_fte', 'contacts', 'fte'],
                from_date=MONTH, to_date=last_day(MONTH))
            document = Document(io.BytesIO(pack.docx))
            text = '\n'.join(p.text for p in document.paragraphs)
            self.assertIn("Customer Relations Steering — October 2026",
                text)
            tables = [[[c.text for c in r.cells] for r in t.rows]
                for t in document.tables]
            # the table of the equity: its header has the contacts per FTE
            table, = [t for t in tables
                if t[0][3:4] == ["Contacts per FTE"]]
            rows = {r[0]: r for r in table[1:]}
            self.assertEqual(len(rows), len(equity))
            for row in equity:
                self.assertEqual(rows[row['antenna.']['name']][1:4], [
                        number(row['contacts']), compact(row['fte'], 2),
                        number(row['per_fte'])])
            low = min(equity, key=lambda r: r['per_fte'])
            high = max(equity, key=lambda r: r['per_fte'])
            self.assertIn("Contacts per FTE range from %s (%s) to %s (%s)"
                % (number(low['per_fte']), low['antenna.']['name'],
                    number(high['per_fte']), high['antenna.']['name']),
                text)
            contacts = sum(r['contacts'] for r in equity)
            self.assertEqual(tables[0][1], ["Requests received",
                    number(contacts)])
            with zipfile.ZipFile(io.BytesIO(pack.docx)) as archive:
                pictures = [n for n in archive.namelist()
                    if n.startswith('word/media/') and n.endswith('.png')]
            self.assertGreaterEqual(len(pictures), 6)

    @with_transaction()
    def test_regenerate(self):
        "A month has one pack: generating it again replaces its files"
        pool = Pool()
        Pack = pool.get('gru.steering.pack')
        company = create_company()
        with set_company(company):
            create_data(company)
            pack = Pack.generate(MONTH)
            first = pack.generated_at
            again = Pack.generate(dt.date(2026, 10, 31))
            self.assertEqual(again.id, pack.id)
            self.assertEqual(Pack.search_count([]), 1)
            self.assertGreaterEqual(again.generated_at, first)
            Pack.regenerate([again])
            self.assertEqual(Pack.search_count([]), 1)
            other = Pack.generate(dt.date(2026, 9, 1))
            self.assertEqual(other.xlsx_name, 'pilotage-2026-09.xlsx')
            self.assertEqual(Pack.search_count([]), 2)

    @with_transaction()
    def test_language(self):
        "The files in the language of who asks, the scheduler's the last"
        pool = Pool()
        Pack = pool.get('gru.steering.pack')
        company = create_company()
        with set_company(company):
            create_data(company)
            with Transaction().set_context(language='fr'):
                pack = Pack.generate(MONTH)
            self.assertEqual(pack.language, 'fr')
            with Transaction().set_user(0), \
                    Transaction().set_context(language='en'):
                other = Pack.generate(dt.date(2026, 9, 1))
            self.assertEqual(other.language, 'fr')
            pack = Pack.generate(MONTH)
            self.assertEqual(pack.language, 'en')

    @with_transaction()
    def test_no_data(self):
        "A month without requests nor calls has no pack"
        pool = Pool()
        Pack = pool.get('gru.steering.pack')
        company = create_company()
        with set_company(company):
            create_data(company)
            with self.assertRaisesRegex(UserError, "no requests and no "
                    "calls in March 2026"):
                Pack.generate(dt.date(2026, 3, 1))
            self.assertEqual(Pack.search_count([]), 0)

    @with_transaction()
    def test_cron(self):
        "The scheduler generates the month before on the 1st"
        pool = Pool()
        Pack = pool.get('gru.steering.pack')
        Cron = pool.get('ir.cron')
        Date = pool.get('ir.date')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        cron = Cron(ModelData.get_id('gru_steering', 'cron_pack_generate'))
        self.assertEqual(cron.method,
            'gru.steering.pack|generate_previous_month')
        # installed to run first on the next 1st, not at once
        self.assertEqual(cron.next_call.day, 1)
        self.assertGreater(cron.next_call, dt.datetime.now())
        self.assertLessEqual(cron.next_call - dt.datetime.now(),
            dt.timedelta(days=32))
        for now in [dt.datetime(2026, 11, 1, 5, 0),
                dt.datetime(2026, 11, 17, 13, 42),
                dt.datetime(2026, 12, 31, 23, 30),
                dt.datetime(2027, 2, 28, 12, 0)]:
            next_call = cron.compute_next_call(now)
            self.assertGreater(next_call, now)
            # on the 1st in the server's time zone
            from trytond.tools import timezone
            local = next_call.replace(tzinfo=timezone.UTC).astimezone(
                timezone.SERVER)
            self.assertEqual(local.day, 1, next_call)
            self.assertEqual((local.hour, local.minute), (6, 0))
            self.assertLessEqual(next_call - now, dt.timedelta(days=32))
        with set_company(company):
            create_data(company)
            today = Date.today
            try:
                Date.today = classmethod(lambda cls, *a: dt.date(2026, 11, 1))
                # the scheduler runs as root
                with Transaction().set_user(0):
                    cron.run_once()
            finally:
                Date.today = today
            pack, = Pack.search([])
            self.assertEqual(pack.month, MONTH)
            self.assertIsNone(pack.generated_by)
            # nothing in December: logged, not failed
            try:
                Date.today = classmethod(lambda cls, *a: dt.date(2027, 1, 1))
                self.assertIsNone(Pack.generate_previous_month())
            finally:
                Date.today = today
            self.assertEqual(Pack.search_count([]), 1)


# The demo server over JSON-RPC: the director and an officer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))


@unittest.skipUnless(os.path.isdir(os.path.join(ROOT, 'tests')),
    "the demo server is in the repository")
class PackRPCTestCase(unittest.TestCase):
    "Test the pack on the demo server as the director and an officer"

    @classmethod
    def setUpClass(cls):
        if ROOT not in sys.path:
            sys.path.insert(0, ROOT)
        from tests.support import RPCClient, RPCError, demo_server
        cls.RPCError = RPCError
        cls.server = demo_server()
        cls.director = RPCClient(cls.server, 'superviseur',
            'demo-superviseur')
        cls.officer = RPCClient(cls.server, 'ci.amiens', 'demo-ci-amiens')

    def run_wizard(self, client, month):
        "Run the generation wizard as client, return the pack ids opened"
        session, _, _ = client('wizard.gru.steering.pack.generate.create',
            [client.context])
        result = client('wizard.gru.steering.pack.generate.execute', [
                session, {'start': {'month': month}}, 'generate',
                client.context])
        client('wizard.gru.steering.pack.generate.delete',
            [session, client.context])
        (action, data), = result['actions']
        self.assertEqual(action['res_model'], 'gru.steering.pack')
        return data['res_id']

    def test_director(self):
        "The director generates last month's pack and reads its files"
        today = dt.date.today()
        month = add_months(today, -1)
        ids = self.run_wizard(self.director, month.isoformat())
        pack, = self.director.model('gru.steering.pack', 'read', ids,
            ['month', 'state', 'xlsx', 'xlsx_name', 'docx', 'docx_name'])
        self.assertEqual(pack['state'], 'done')
        self.assertEqual(pack['docx_name'],
            'pilotage-%s.docx' % month_key(month))
        docx = base64.b64decode(pack['docx']['base64'])
        document = Document(io.BytesIO(docx))
        title = document.paragraphs[0].text
        self.assertTrue(title.startswith(
                "Pilotage de la relation usagers — "), title)
        text = '\n'.join(p.text for p in document.paragraphs)
        self.assertRegex(text, r"\d ETP")
        self.assertIn("Les contacts par ETP vont de", text)
        xlsx = base64.b64decode(pack['xlsx']['base64'])
        parts = xlsx_parts(xlsx)
        self.assertIn('name="Synthèse"', parts['xl/workbook.xml'])
        self.assertTrue(any(n.startswith('xl/charts/') for n in parts))
        # generated again from the form: still one pack for the month
        self.director.model('gru.steering.pack', 'regenerate', ids)
        self.assertEqual(self.director.model('gru.steering.pack',
                'search_count', [('month', '=', pack['month'])]), 1)

    def test_officer(self):
        "An information officer may neither read nor generate a pack"
        with self.assertRaises(self.RPCError) as error:
            self.officer.model('gru.steering.pack', 'search', [])
        self.assertTrue(error.exception.user_error)
        with self.assertRaises(self.RPCError) as error:
            self.run_wizard(self.officer, dt.date.today().isoformat())
        self.assertTrue(error.exception.user_error)

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Equity between the antennas: Gini and max/min on known values, and the
contacts per agent FTE of a staff plan, month by month, with the alert
threshold of the phone configuration."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_steering.figures import gini, max_min_ratio

from .test_service import create_antenna, create_request, refresh_aggregates

D = dt.datetime
PERIOD = {'from_date': dt.date(2026, 1, 1), 'to_date': dt.date(2026, 2, 28)}


class IndexTestCase(unittest.TestCase):
    "Test the equity indices"

    def test_gini(self):
        "Gini of known distributions"
        self.assertEqual(gini([3, 3, 3, 3]), 0)
        self.assertEqual(gini([0, 0, 0, 1]), .75)
        self.assertAlmostEqual(gini([1, 2, 4]), 2 / 7)
        self.assertAlmostEqual(gini([2, 1, 2]), 2 / 15)
        # the order does not matter, a scale neither
        self.assertAlmostEqual(gini([40, 10, 20]), 2 / 7)
        self.assertIsNone(gini([]))
        self.assertIsNone(gini([0, 0]))
        with self.assertRaises(ValueError):
            gini([-1, 2])

    def test_max_min(self):
        "Max/min ratio of known values"
        self.assertEqual(max_min_ratio([4, 2, 1]), 4)
        self.assertEqual(max_min_ratio([5, 5]), 1)
        self.assertIsNone(max_min_ratio([3, 0]))
        self.assertIsNone(max_min_ratio([]))


class EquityTestCase(unittest.TestCase):
    "Test the equity between antennas"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_steering'])

    def read(self, model, fields_names, **context):
        Model = Pool().get(model)
        refresh_aggregates()
        with Transaction().set_context(**context):
            rows = Model.search([])
            return Model.read([r.id for r in rows], fields_names)

    def create_plan(self, company, amiens, laon, soissons):
        """An approved plan: Amiens 2 FTE (its manager and a post to remove
        not counted), Laon 1.5 (a post shared with Soissons), Soissons 1"""
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        Unit = pool.get('gru.staff.unit')
        Position = pool.get('gru.staff.position')
        PositionUnit = pool.get('gru.staff.position.unit')
        plan, = Plan.create([{
                    'company': company.id, 'name': "Plan 2025",
                    'reference_date': dt.date(2025, 12, 1),
                    'authorised_posts': 10}])
        units = {}
        for antenna in [amiens, laon, soissons]:
            units[antenna], = Unit.create([{
                        'plan': plan.id, 'name': antenna.name,
                        'kind': 'antenna', 'antenna': antenna.id}])

        def post(antenna, title, fte='1', **values):
            position, = Position.create([{
                        'plan': plan.id, 'title': title,
                        'unit': units[antenna].id, 'fte': Decimal(fte),
                        'status': values.pop('status', 'vacant'),
                        **values}])
            return position
        post(amiens, "Chargé/e d'information")
        post(amiens, "Gestionnaire administratif/ve")
        post(amiens, "Responsable d'antenne", management_level='proximity')
        post(amiens, "Chargé/e d'information", status='to_remove')
        post(laon, "Chargé/e d'information")
        shared = post(soissons, "Gestionnaire de relations publiques")
        PositionUnit.create([{'position': shared.id, 'unit': units[laon].id,
                    'share': Decimal('0.5')}])
        post(soissons, "Chargé/e d'information", fte='0.5')
        table = Plan.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update([table.state], ['approved'],
                where=table.id == plan.id))
        return plan

    def create_data(self, company):
        amiens = create_antenna('AMI', "Amiens")
        laon = create_antenna('LAO', "Laon")
        soissons = create_antenna('SOI', "Soissons")
        self.create_plan(company, amiens, laon, soissons)
        for antenna, january, february in [
                (amiens, 8, 2), (laon, 3, 3), (soissons, 1, 2)]:
            for month, count in [(1, january), (2, february)]:
                for day in range(1, count + 1):
                    create_request(company, antenna,
                        'phone' if day % 2 else 'web', D(2026, month, day))
        # out of the period
        create_request(company, soissons, 'web', D(2025, 12, 15))
        refresh_aggregates()
        return amiens, laon, soissons

    @with_transaction()
    def test_antennas(self):
        "Contacts, FTE, contacts per FTE, shares and alerts per antenna"
        company = create_company()
        with set_company(company):
            amiens, laon, soissons = self.create_data(company)
            # a planned antenna already receiving requests, without FTE
            planned = create_antenna('BAS', "Bassin minier")
            planned.state = 'planned'
            planned.save()
            create_request(company, planned, 'web', D(2026, 1, 10))
            closed = create_antenna('CLO', "Closed")
            closed.state = 'closed'
            closed.save()
            rows = self.read('gru.steering.equity', [
                    'antenna', 'contacts', 'fte', 'per_fte',
                    'contact_share', 'fte_share', 'gap', 'alert'],
                to_date=dt.date(2026, 1, 31),
                from_date=dt.date(2026, 1, 1))
            rows = {r['antenna']: r for r in rows}
            figures = [
                (rows[a.id]['contacts'], rows[a.id]['fte'],
                    rows[a.id]['per_fte'])
                for a in [amiens, laon, soissons]]
            self.assertEqual(figures, [(8, 2, 4), (3, 1.5, 2), (1, 1, 1)])
            self.assertEqual(
                (rows[planned.id]['contacts'], rows[planned.id]['fte'],
                    rows[planned.id]['per_fte'], rows[planned.id]['alert']),
                (1, 0, None, False))
            self.assertEqual(len(rows), 4)
            ami = rows[amiens.id]
            self.assertAlmostEqual(ami['contact_share'], 200 / 3)
            self.assertAlmostEqual(ami['fte_share'], 400 / 9)
            self.assertAlmostEqual(ami['gap'], 400 / 9 - 200 / 3)
            # the default drift threshold of the phone: 10 points
            self.assertEqual(
                [rows[a.id]['alert'] for a in [amiens, laon, soissons]],
                [True, False, True])

    @with_transaction()
    def test_months(self):
        "The trend of the indices month by month, with the phone threshold"
        pool = Pool()
        Configuration = pool.get('gru.phone.configuration')
        company = create_company()
        with set_company(company):
            self.create_data(company)
            rows = self.read('gru.steering.equity.month', [
                    'month', 'month_name', 'contacts', 'max_min', 'gini',
                    'alerts'], **PERIOD)
            self.assertEqual([r['month'] for r in rows],
                ['2026-01', '2026-02'])
            january, february = rows
            self.assertEqual(january['month_name'], "Jan 2026")
            self.assertEqual(january['contacts'], 12)
            # contacts per FTE 4, 2, 1
            self.assertEqual(january['max_min'], 4)
            self.assertAlmostEqual(january['gini'], 2 / 7)
            self.assertEqual(january['alerts'], 2)
            # contacts per FTE 1, 2, 2
            self.assertEqual(february['contacts'], 7)
            self.assertEqual(february['max_min'], 2)
            self.assertAlmostEqual(february['gini'], 2 / 15)
            self.assertEqual(february['alerts'], 1)

            # the threshold is the phone's: raised, fewer alerts
            config = Configuration(1)
            config.drift_threshold = 16
            config.save()
            rows = self.read('gru.steering.equity.month', ['alerts'],
                **PERIOD)
            self.assertEqual([r['alerts'] for r in rows], [1, 0])

    @with_transaction()
    def test_no_plan(self):
        "Without an approved staff plan no index, no alert"
        company = create_company()
        with set_company(company):
            amiens = create_antenna('AMI', "Amiens")
            create_request(company, amiens, 'web', D(2026, 1, 5))
            rows = self.read('gru.steering.equity', [
                    'contacts', 'fte', 'per_fte', 'alert'], **PERIOD)
            self.assertEqual(rows, [{'id': rows[0]['id'], 'contacts': 1,
                        'fte': 0, 'per_fte': None, 'alert': False}])
            rows = self.read('gru.steering.equity.month', [
                    'contacts', 'gini', 'max_min', 'alerts'], **PERIOD)
            self.assertEqual([(r['contacts'], r['gini'], r['max_min'],
                        r['alerts']) for r in rows], [(1, None, None, 0)])

    @with_transaction()
    def test_report_plans(self):
        """With the report's staff plans of the demo, the Bassin minier
        (a planned antenna receiving contacts) has its agent FTE: its two
        public-relations posts of the target plan in force"""
        from gru_staff import demo
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        company = create_company()
        with set_company(company):
            codes = {u[4] for u in demo.TARGET_UNITS if u[4]} | {
                u[4] for u in demo.SOURCE_UNITS if u[4]}
            for code in sorted(codes):
                create_antenna(code, "Antenne %s" % code)
            antennas = {a.code: a for a in Antenna.search([])}
            antennas['BMN'].state = 'planned'
            antennas['BMN'].save()
            source, target = demo.build_report_plans(company)
            demo.staff_report_plans(source, target)
            demo.approve_report_plans(source, target)
            for code, count in [('BMN', 6), ('ARR', 2), ('AMI', 3)]:
                for day in range(1, count + 1):
                    create_request(company, antennas[code], 'phone',
                        D(2026, 1, day))
            rows = self.read('gru.steering.equity', [
                    'antenna', 'contacts', 'fte', 'per_fte'], **PERIOD)
            rows = {r['antenna']: r for r in rows}
            bmn = rows[antennas['BMN'].id]
            self.assertEqual((bmn['contacts'], bmn['fte'], bmn['per_fte']),
                (6, 2, 3))
            arr = rows[antennas['ARR'].id]
            self.assertEqual((arr['contacts'], arr['fte'], arr['per_fte']),
                (2, 2, 1))
            ami = rows[antennas['AMI'].id]
            self.assertEqual((ami['contacts'], ami['fte'], ami['per_fte']),
                (3, 2, 1.5))

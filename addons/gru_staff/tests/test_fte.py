# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The FTE of the antennas in a staff plan (gru.staff.plan.antenna_fte):
the plan in force at a date, the filters of the three bases (equity,
experiment, workload staffing), the units inheriting the antenna of their
parent, shared posts, access, and the report's plans of the demo."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_staff import demo

from .test_module import setup_plans

CI = "Chargé/e d'information"
CT = "Conseiller téléphonique"
D = Decimal


def create_antennas(*codes):
    Antenna = Pool().get('gru.antenna')
    return Antenna.create([{'code': c, 'name': "Antenne %s" % c}
            for c in codes])


def set_state(plan, state):
    "Set the state of plan as recorded (no workflow check)"
    Plan = Pool().get('gru.staff.plan')
    table = Plan.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.update([table.state], [state],
            where=table.id == plan.id))


def create_plan(company, name, reference_date, state='approved'):
    Plan = Pool().get('gru.staff.plan')
    plan, = Plan.create([{
                'company': company.id, 'name': name,
                'reference_date': reference_date, 'authorised_posts': 0}])
    set_state(plan, state)
    return plan


class AntennaFteTestCase(unittest.TestCase):
    "Test the FTE of the antennas in a staff plan"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_staff'])

    def build(self, company):
        """A plan: Amiens (a sub-unit without antenna under it), Laon,
        Soissons (no post) and a network unit without antenna"""
        pool = Pool()
        Unit = pool.get('gru.staff.unit')
        Position = pool.get('gru.staff.position')
        ami, lao, soi = create_antennas('AMI', 'LAO', 'SOI')
        plan = create_plan(company, "Plan", dt.date(2025, 1, 1))
        network, = Unit.create([{'plan': plan.id, 'name': "Antennes",
                    'kind': 'network'}])
        units = {}
        for key, antenna in [('AMI', ami), ('LAO', lao), ('SOI', soi)]:
            units[key], = Unit.create([{'plan': plan.id,
                        'name': antenna.name, 'kind': 'antenna',
                        'parent': network.id, 'antenna': antenna.id}])
        units['AMI1'], = Unit.create([{'plan': plan.id,
                    'name': "Accueil d'Amiens", 'kind': 'cell',
                    'parent': units['AMI'].id}])
        units['NET'] = network

        def post(unit, title, status, fte='1', level='none', **values):
            if status == 'filled':
                values['occupant'] = create_employee(company).id
            position, = Position.create([{'plan': plan.id,
                        'unit': units[unit].id, 'title': title,
                        'status': status, 'fte': D(fte),
                        'management_level': level, **values}])
            return position
        post('AMI', CI, 'filled')
        post('AMI', "Gestionnaire administratif/ve", 'vacant')
        manager = post('AMI', "Responsable d'antenne", 'filled',
            level='proximity')
        manager.extra_units = [{'unit': units['LAO'].id, 'share': D('0.5')}]
        manager.save()
        post('AMI', CI, 'frozen')
        post('AMI', CI, 'to_remove')
        post('AMI1', "Agent d'accueil", 'filled', fte='0.5',
            job_family=CT)
        post('LAO', "Gestionnaire de relations publiques", 'to_create')
        # in a unit of no antenna
        post('NET', CI, 'filled')
        return plan, ami, lao, soi

    @with_transaction()
    def test_filters(self):
        "The agent, filled and officer bases of the same plan"
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        company = create_company()
        with set_company(company):
            plan, ami, lao, soi = self.build(company)
            # equity: the authorised posts without a management level
            self.assertEqual(Plan.antenna_fte(plan=plan), {
                    ami.id: D('2.50'), lao.id: D('1.00'), soi.id: D(0)})
            # every level
            self.assertEqual(Plan.antenna_fte(plan=plan, management=True), {
                    ami.id: D('3.00'), lao.id: D('1.50'), soi.id: D(0)})
            # experiment: the filled posts, every level
            self.assertEqual(Plan.antenna_fte(plan=plan, filled_only=True,
                    management=True), {
                    ami.id: D('2.00'), lao.id: D('0.50'), soi.id: D(0)})
            # staffing: the officers by title or job family
            self.assertEqual(Plan.antenna_fte(plan=plan,
                    titles={CI, CT}, management=True), {
                    ami.id: D('1.50'), lao.id: D(0), soi.id: D(0)})
            # the plan by its id, and at a date
            self.assertEqual(Plan.antenna_fte(plan=plan.id),
                Plan.antenna_fte(dt.date(2025, 6, 1)))

    @with_transaction()
    def test_plan_in_force(self):
        "The latest approved plan at the date, else the first approved"
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        Unit = pool.get('gru.staff.unit')
        Position = pool.get('gru.staff.position')
        company = create_company()
        with set_company(company):
            self.assertIsNone(Plan.plan_in_force(dt.date(2025, 1, 1)))
            self.assertEqual(Plan.antenna_fte(dt.date(2025, 1, 1)), {})
            ami, = create_antennas('AMI')
            plans = {}
            for name, date, state, fte in [
                    ('p1', dt.date(2025, 1, 1), 'approved', '0.25'),
                    ('p2', dt.date(2025, 6, 1), 'approved', '0.5'),
                    ('draft', dt.date(2025, 9, 1), 'draft', '0.75'),
                    ('archived', dt.date(2025, 10, 1), 'archived', '0.8'),
                    ]:
                plan = plans[name] = create_plan(company, name, date, state)
                unit, = Unit.create([{'plan': plan.id, 'name': "Amiens",
                            'kind': 'antenna', 'antenna': ami.id}])
                Position.create([{'plan': plan.id, 'unit': unit.id,
                            'title': CI, 'fte': D(fte),
                            'status': 'filled',
                            'occupant': create_employee(company).id}])
            for date, name, fte in [
                    (dt.date(2024, 12, 1), 'p1', '0.25'),
                    (dt.date(2025, 1, 1), 'p1', '0.25'),
                    (dt.date(2025, 5, 31), 'p1', '0.25'),
                    (dt.date(2025, 6, 1), 'p2', '0.50'),
                    (dt.date(2026, 1, 1), 'p2', '0.50'),
                    ]:
                self.assertEqual(Plan.plan_in_force(date), plans[name])
                self.assertEqual(Plan.antenna_fte(date), {ami.id: D(fte)})
            # another company's plan is not in force for this one
            other = create_company("Other", currency=company.currency)
            with Transaction().set_context(company=other.id):
                self.assertIsNone(Plan.plan_in_force(dt.date(2026, 1, 1)))

    @with_transaction()
    def test_access(self):
        """A user who may not read plans (a deployment keeping them to HR)
        gets the aggregates"""
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        User = pool.get('res.user')
        ModelAccess = pool.get('ir.model.access')
        company = create_company()
        with set_company(company):
            plan, ami, lao, soi = self.build(company)
            access = ModelAccess.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*access.update([access.perm_read], [False],
                    where=access.model.in_(['gru.staff.plan',
                            'gru.staff.unit', 'gru.staff.position',
                            'gru.staff.position.unit'])
                    & (access.group == None)))  # noqa: E711
            ModelAccess._get_access_cache.clear()
            expected = Plan.antenna_fte(dt.date(2025, 3, 1))
            user, = User.create([{'login': 'reader', 'name': "Reader",
                        'companies': [('add', [company.id])],
                        'company': company.id}])
            transaction = Transaction()
            with transaction.set_user(user.id), \
                    transaction.set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    Plan.search([])
                self.assertEqual(
                    Plan.antenna_fte(dt.date(2025, 3, 1)), expected)

    @with_transaction()
    def test_report_plans(self):
        """In the report's plans of the demo, the Bassin minier has its
        two public-relations posts in the target plan, in force once the
        demo approved it"""
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        Antenna = pool.get('gru.antenna')
        company, source, target = setup_plans()
        with set_company(company):
            antennas = {a.code: a.id for a in Antenna.search([])}
            fte = Plan.antenna_fte(plan=target)
            self.assertEqual(fte[antennas['BMN']], D(2))
            # Arras: its administrative manager and information officer
            self.assertEqual(fte[antennas['ARR']], D(2))
            # the source plan has no Bassin minier unit
            self.assertNotIn(antennas['BMN'], Plan.antenna_fte(plan=source))
            demo.approve_report_plans(source, target)
            self.assertEqual(
                [Plan(source.id).state, Plan(target.id).state],
                ['approved', 'approved'])
            self.assertEqual(Plan.plan_in_force(dt.date(2026, 1, 5)), target)
            self.assertEqual(Plan.plan_in_force(dt.date(2022, 6, 1)), source)
            in_force = Plan.antenna_fte(dt.date(2026, 1, 5))
            self.assertEqual(in_force[antennas['BMN']], D(2))
            # the agents of the antennas of the target plan: 17
            # administrative managers, 11 officers, 10 public-relations
            self.assertEqual(sum(in_force.values()), D(38))
            # the shared manager of Arras counts half in the Bassin minier
            every = Plan.antenna_fte(dt.date(2026, 1, 5), management=True)
            self.assertEqual(every[antennas['BMN']], D('2.50'))

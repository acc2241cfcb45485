# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from ..erlang import staffing
from .test_service import refresh_aggregates

# Monday 2 to Friday 6 March 2026: Paris is at UTC+1
MONDAY = dt.datetime(2026, 3, 2)
CONTEXT = {
    'from_date': dt.date(2026, 3, 2),
    'to_date': dt.date(2026, 3, 6),
    }


class StaffingTestCase(unittest.TestCase):
    "Test the workload-based staffing"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_steering')

    def setup_load(self, company):
        """Two antennas: AMI with a calendar (5 days of 7 opening hours),
        calls and visits every day; STQ without calendar, calls on Monday;
        a staff plan with their information officers"""
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        Calendar = pool.get('gru.sla.calendar')
        Configuration = pool.get('gru.inbox.configuration')
        Call = pool.get('gru.phone.call')
        Visit = pool.get('gru.counter.visit')
        calendar, = Calendar.create([{
                    'name': "Antenne", 'timezone': 'Europe/Paris',
                    'public_holidays': False,
                    'hours': [('create', [{
                                    'weekday': str(d), 'start_time': s,
                                    'end_time': e}
                                for d in range(5)
                                for s, e in [
                                    (dt.time(9), dt.time(12)),
                                    (dt.time(13), dt.time(17))]])],
                    }])
        ami, stq, lao = Antenna.create([
                {'name': "Amiens", 'code': 'AMI', 'calendar': calendar.id},
                {'name': "Saint-Quentin", 'code': 'STQ'},
                {'name': "Laon", 'code': 'LAO'},
                ])
        configuration = Configuration(1)
        configuration.sla_calendar = None
        configuration.save()

        calls = []

        def call(antenna, start, outcome, talk=None, routed=None):
            calls.append({
                    'call_id': 'c%d' % len(calls),
                    'state': 'ended',
                    'antenna': antenna.id,
                    'routed_antenna': (routed or antenna).id,
                    'started_at': start,
                    'outcome': outcome,
                    'talk_time': (dt.timedelta(seconds=talk)
                        if talk is not None else None),
                    })
        for day in range(5):
            # 10:00-11:00 in Paris: 20 calls, 14:00-15:00: 10 calls
            for i in range(20):
                start = MONDAY + dt.timedelta(days=day, hours=9, minutes=i)
                if day == 0 and i == 0:
                    # answered by STQ for AMI: AMI's load
                    call(stq, start, 'answered', 240, routed=ami)
                else:
                    call(ami, start, 'answered', 240)
            for i in range(10):
                call(ami, MONDAY + dt.timedelta(
                        days=day, hours=13, minutes=i), 'answered', 240)
        # not offered to an agent
        call(ami, MONDAY + dt.timedelta(hours=19), 'out_of_hours')
        # outside the period
        call(ami, MONDAY + dt.timedelta(days=7, hours=9), 'answered', 240)
        for i in range(12):
            call(stq, MONDAY + dt.timedelta(hours=10, minutes=i * 4),
                'answered' if i % 2 else 'abandoned',
                180 if i % 2 else None)
        # none answered at LAO
        for i in range(2):
            call(lao, MONDAY + dt.timedelta(hours=10, minutes=i),
                'abandoned')
        Call.create(calls)

        visits = []
        for day in range(5):
            for i in range(6):
                arrived = MONDAY + dt.timedelta(
                    days=day, hours=9, minutes=i * 10)
                visits.append({
                        'antenna': ami.id, 'arrived_at': arrived,
                        'name': "Usager %d %d" % (day, i),
                        'state': 'seen', 'waiting_time': 5,
                        'time_spent': 20,
                        })
        Visit.create(visits)
        refresh_aggregates()
        return {'ami': ami, 'stq': stq, 'lao': lao, 'calendar': calendar}

    def setup_plan(self, company, data):
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        Unit = pool.get('gru.staff.unit')
        Position = pool.get('gru.staff.position')
        plan, = Plan.create([{
                    'company': company.id, 'name': "Cible",
                    'reference_date': dt.date(2026, 1, 1),
                    'authorised_posts': 6,
                    }])
        network, = Unit.create([{
                    'plan': plan.id, 'name': "Antennes", 'kind': 'network'}])
        ami_unit, stq_unit = Unit.create([{
                    'plan': plan.id, 'name': "Amiens", 'kind': 'antenna',
                    'antenna': data['ami'].id, 'parent': network.id,
                    }, {
                    'plan': plan.id, 'name': "Saint-Quentin",
                    'kind': 'antenna', 'antenna': data['stq'].id,
                    'parent': network.id,
                    }])
        ci = "Chargé/e d'information"
        Position.create([{
                    'plan': plan.id, 'title': ci, 'unit': ami_unit.id,
                    'status': 'vacant',
                    }, {
                    # half for Amiens
                    'plan': plan.id, 'title': ci, 'unit': stq_unit.id,
                    'status': 'vacant',
                    'extra_units': [('create', [{
                                    'unit': ami_unit.id,
                                    'share': Decimal('0.5')}])],
                    }, {
                    'plan': plan.id, 'title': ci, 'unit': ami_unit.id,
                    'status': 'frozen',
                    }, {
                    'plan': plan.id, 'title': "Gestionnaire administratif/ve",
                    'unit': ami_unit.id, 'status': 'vacant',
                    }, {
                    'plan': plan.id, 'title': "Responsable d'antenne",
                    'category': 'A', 'management_level': 'proximity',
                    'unit': ami_unit.id, 'status': 'vacant',
                    }])
        return plan

    def rows(self, **context):
        Staffing = Pool().get('gru.steering.staffing')
        refresh_aggregates()
        with Transaction().set_context(dict(CONTEXT, **context)):
            return {l.antenna.code: l for l in Staffing.search([])}

    @with_transaction()
    def test_busy_hour(self):
        "The busy hour load gives the officers Erlang C needs"
        company = create_company()
        with set_company(company):
            data = self.setup_load(company)
            plan = self.setup_plan(company, data)
            rows = self.rows(plan=plan.id)
            ami, stq = rows['AMI'], rows['STQ']

            self.assertEqual(ami.calls, 150)
            self.assertEqual(ami.answered, 150)
            self.assertEqual(ami.opening_hours, 35)
            # 100 calls between 10 and 11 over 5 days
            self.assertEqual(ami.call_rate, 20)
            self.assertEqual(ami.talk_time, 240)
            self.assertEqual(ami.handling_time, 300)
            # 1.67 Erlangs: 3 officers answer less than 80 % in 60 s
            self.assertLess(staffing(20 / 3600, 300, 3, 60).service_level,
                0.8)
            self.assertEqual(ami.call_officers, 4)
            self.assertEqual(ami.call_service_level, 93.6)
            self.assertEqual(ami.call_occupancy, 41.7)
            self.assertEqual(ami.call_wait, 13.2)
            # 30 visits: 6 an hour at 10, 20 minutes each, 2 Erlangs
            self.assertEqual(ami.visits, 30)
            self.assertEqual(ami.visit_rate, 6)
            self.assertEqual(ami.visit_time, 20)
            self.assertEqual(ami.counter_officers, 4)
            self.assertEqual(ami.counter_occupancy, 50)
            self.assertEqual(ami.needed, 8)
            # one post and half a shared one; the frozen one not counted
            self.assertEqual(ami.authorised, Decimal('1.5'))
            self.assertEqual(ami.gap, Decimal('-6.5'))

            # STQ: no calendar, the hour with calls is its opening hour;
            # the abandoned calls are offered, only answered ones timed
            self.assertEqual(stq.calls, 12)
            self.assertEqual(stq.answered, 6)
            self.assertEqual(stq.opening_hours, 1)
            self.assertEqual(stq.call_rate, 12)
            self.assertEqual(stq.handling_time, 240)
            self.assertEqual(stq.call_officers, 2)
            self.assertEqual(stq.visits, 0)
            self.assertEqual(stq.counter_officers, 0)
            self.assertEqual(stq.authorised, Decimal('0.5'))
            self.assertEqual(stq.gap, Decimal('-1.5'))

            # LAO answered none: the average talk time of all the antennas
            lao = rows['LAO']
            self.assertEqual(lao.calls, 2)
            self.assertEqual(lao.answered, 0)
            self.assertIsNone(lao.talk_time)
            self.assertEqual(lao.handling_time,
                round((150 * 240 + 6 * 180) / 156 + 60, 1))
            self.assertEqual(lao.call_officers, 1)
            # no post for LAO in the plan
            self.assertIsNone(lao.authorised)
            self.assertIsNone(lao.gap)

    @with_transaction()
    def test_average_and_targets(self):
        "The average opening hour and looser targets need fewer officers"
        company = create_company()
        with set_company(company):
            data = self.setup_load(company)
            self.setup_plan(company, data)
            rows = self.rows(basis='average')
            ami = rows['AMI']
            # 150 calls in 35 opening hours
            self.assertEqual(ami.call_rate, 4.29)
            self.assertEqual(ami.call_officers, 2)
            # 30 visits in 35 hours, 80 % within 10 minutes: one officer
            self.assertEqual(ami.counter_officers, 1)
            self.assertEqual(ami.counter_service_level, 80.0)
            # the latest plan by default
            self.assertEqual(ami.authorised, Decimal('1.5'))

            rows = self.rows(call_share=50, call_seconds=600, wrap_up=0)
            ami = rows['AMI']
            self.assertEqual(ami.handling_time, 240)
            # 1.33 Erlangs: 2 officers
            self.assertEqual(ami.call_officers, 2)

    @with_transaction()
    def test_plan_checks(self):
        "The plan checks show the workload beside the authorised posts"
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        Staffing = pool.get('gru.steering.staffing')
        company = create_company()
        with set_company(company):
            data = self.setup_load(company)
            plan = self.setup_plan(company, data)
            with Transaction().set_context(CONTEXT):
                plan = Plan(plan.id)
                report = plan.check_report
                checks = Plan.check_plans([plan])[plan.id]
                rows = Staffing.export_rows(plan=plan)
            self.assertIn("Workload measured from 02/03/2026 to 06/03/2026",
                report)
            self.assertIn("workload needs 8 information officers at Amiens "
                "(phone 4, counter 4), plan authorises 1,5", report)
            self.assertIn("workload needs 2 information officers at "
                "Saint-Quentin (phone 2, counter 0), plan authorises 0,5",
                report)
            self.assertEqual(
                [(r['antenna_name'], r['needed'], r['authorised'])
                    for r in checks['workload']],
                [("Amiens", 8, Decimal('1.5')),
                    ("Saint-Quentin", 2, Decimal('0.5'))])
            self.assertEqual(
                [(r['antenna_name'], r['needed']) for r in rows],
                [("Amiens", 8), ("Laon", 1), ("Saint-Quentin", 2)])

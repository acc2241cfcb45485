# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import unittest
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_inbox.tests.test_module import InboxMixin

from ..exceptions import ExperimentContextError
from ..experiment import MEASURES, comparison_windows, period_name, periods
from .test_service import refresh_aggregates

MONDAY = dt.datetime(2026, 3, 2)
START = dt.date(2026, 3, 16)
MINUTE = dt.timedelta(minutes=1)


class PeriodTestCase(unittest.TestCase):
    "Test the periods of the experiment indicators"

    def test_weeks(self):
        "The weeks meeting the days, from Monday"
        self.assertEqual(periods(dt.date(2026, 3, 4), dt.date(2026, 3, 9),
                'week'), [
                (dt.date(2026, 3, 2), dt.date(2026, 3, 9)),
                (dt.date(2026, 3, 9), dt.date(2026, 3, 16)),
                ])
        self.assertEqual(period_name(dt.date(2026, 3, 2), 'week'),
            '2026-W10')

    def test_months(self):
        "The months meeting the days, over the end of a year"
        self.assertEqual(periods(dt.date(2025, 12, 15), dt.date(2026, 1, 1),
                'month'), [
                (dt.date(2025, 12, 1), dt.date(2026, 1, 1)),
                (dt.date(2026, 1, 1), dt.date(2026, 2, 1)),
                ])
        self.assertEqual(period_name(dt.date(2026, 1, 1), 'month'),
            '2026-01')

    def test_comparison_windows(self):
        "Equal periods before and after, the after one cut at today"
        self.assertEqual(comparison_windows(START, 2, dt.date(2026, 12, 1)),
            ((dt.date(2026, 3, 2), START), (START, dt.date(2026, 3, 30))))
        # started 3 days ago: 3 days after (today included), 3 before
        self.assertEqual(comparison_windows(START, 2, dt.date(2026, 3, 18)),
            ((dt.date(2026, 3, 13), START), (START, dt.date(2026, 3, 19))))


class ExperimentTestCase(InboxMixin, unittest.TestCase):
    "Test the experiment indicators"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_steering')

    def setup_experiment(self, company):
        """AMI (1 FTE, started the experiment on START) and STQ (0.5 FTE
        filled, 1 vacant) with calls, visits, a permanence and requests
        in the two weeks before START and the two weeks after"""
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        Plan = pool.get('gru.staff.plan')
        Unit = pool.get('gru.staff.unit')
        Position = pool.get('gru.staff.position')
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        Call = pool.get('gru.phone.call')
        Visit = pool.get('gru.counter.visit')
        Permanence = pool.get('gru.counter.permanence')
        Request = pool.get('gru.inbox.request')
        data = self.setup_inbox()
        ami, stq = data['ami'], data['stq']
        Antenna.write([ami], {'experiment_start': START})

        plan, = Plan.create([{'name': "Cible", 'company': company.id,
                    'reference_date': dt.date(2026, 1, 1),
                    'authorised_posts': 3}])
        unit_ami, unit_stq = Unit.create([{
                    'plan': plan.id, 'name': "Antenne d'Amiens",
                    'kind': 'antenna', 'antenna': ami.id,
                    }, {
                    'plan': plan.id, 'name': "Antenne de Saint-Quentin",
                    'kind': 'antenna', 'antenna': stq.id,
                    }])
        alice, bob = Employee.create([{
                    'party': Party.create([{'name': name}])[0].id,
                    'company': company.id,
                    } for name in ["Alice", "Bob"]])
        Position.create([{
                    'plan': plan.id, 'unit': unit.id, 'title': "Chargé",
                    'category': 'B', 'fte': fte, 'status': status,
                    'occupant': occupant.id if occupant else None,
                    } for unit, fte, status, occupant in [
                    (unit_ami, Decimal(1), 'filled', alice),
                    (unit_stq, Decimal('0.5'), 'filled', bob),
                    (unit_stq, Decimal(1), 'vacant', None),
                    ]])
        Plan.write([plan], {'state': 'approved'})

        def at(days, hours=10):
            return MONDAY + dt.timedelta(days=days, hours=hours)
        calls = [
            # antenna, day, talk minutes (None: missed)
            (ami, 0, 30), (ami, 1, 60), (ami, 2, None),
            (ami, 15, 210), (stq, 1, 42),
            ]
        Call.create([{
                    'call_id': 'call-%d' % i, 'antenna': antenna.id,
                    'started_at': at(day) - MINUTE,
                    'answer_at': at(day) if talk else None,
                    'end_at': at(day) + (talk or 1) * MINUTE,
                    'state': 'ended',
                    'outcome': 'answered' if talk else 'missed',
                    'talk_time': talk * MINUTE if talk else None,
                    } for i, (antenna, day, talk) in enumerate(calls)])
        permanence, = Permanence.create([{
                    'antenna': ami.id, 'place': "France Services",
                    'start': at(1, 9), 'end': at(1, 12),
                    }])
        visits = [
            # antenna, day, state, time spent, at the permanence
            (ami, 0, 'seen', 60, False), (ami, 1, 'seen', 45, True),
            (ami, 1, 'left', None, True), (ami, 16, 'seen', 210, False),
            (stq, 3, 'seen', 21, False),
            ]
        Visit.create([{
                    'antenna': antenna.id, 'arrived_at': at(day),
                    'name': "Usager %d" % i, 'state': state,
                    'time_spent': spent,
                    'permanence': permanence.id if at_permanence else None,
                    } for i, (antenna, day, state, spent, at_permanence)
                in enumerate(visits)])
        requests = [
            # antenna, day, channel
            (ami, 0, 'phone'), (ami, 1, 'phone'), (ami, 1, 'counter'),
            (ami, 2, 'web'), (ami, 15, 'phone'), (ami, 16, 'counter'),
            (ami, 17, 'counter'), (ami, 18, 'counter'), (stq, 1, 'phone'),
            ]
        requests = Request.create([{
                    'channel': channel, 'received_at': at(day),
                    'subject': "Demande %d" % i, 'antenna': antenna.id,
                    } for i, (antenna, day, channel) in enumerate(requests)])
        Request.write(requests[:2], {'answered_at': at(16)})
        refresh_aggregates()
        return data

    def read(self, Model, names, **context):
        "Return the rows as the client reads them: search then read"
        refresh_aggregates()
        with Transaction().set_context(**context):
            rows = Model.search([])
            return Model.read([r.id for r in rows], names)

    @with_transaction()
    def test_indicators(self):
        "The time shares, contacts and attendance per antenna and week"
        pool = Pool()
        Indicator = pool.get('gru.steering.experiment.indicator')
        company = create_company()
        with set_company(company):
            data = self.setup_experiment(company)
            names = ['antenna', 'period', 'period_start', 'period_end',
                'fte', 'available_hours', 'phone_hours', 'counter_hours',
                'other_hours', 'phone_share', 'counter_share', 'other_share',
                'answered_calls', 'contacts_phone', 'contacts_counter',
                'contacts', 'visits', 'visits_seen', 'permanences',
                'permanence_visits', 'requests_answered']
            context = {'from_date': dt.date(2026, 3, 4),
                'to_date': dt.date(2026, 3, 10), 'granularity': 'week',
                'antenna': data['ami'].id, 'weekly_hours': Decimal(35),
                'wrap_up': 6}
            first, second = self.read(Indicator, names, **context)
            self.assertEqual(
                {k: v for k, v in first.items() if k != 'id'}, {
                    'antenna': data['ami'].id, 'period': '2026-W10',
                    'period_start': dt.date(2026, 3, 2),
                    'period_end': dt.date(2026, 3, 8),
                    'fte': 1.0, 'available_hours': 35.0,
                    # 90 min of talk + 2 answered calls x 6 min
                    'phone_hours': 1.7, 'phone_share': 4.9,
                    # 60 + 45 min seen
                    'counter_hours': 1.8, 'counter_share': 5.0,
                    'other_hours': 31.5, 'other_share': 90.1,
                    'answered_calls': 2, 'contacts_phone': 2,
                    'contacts_counter': 1, 'contacts': 3,
                    'visits': 3, 'visits_seen': 2, 'permanences': 1,
                    'permanence_visits': 2, 'requests_answered': 0,
                    })
            self.assertEqual(second['period'], '2026-W11')
            self.assertEqual(
                [second[n] for n in ['phone_share', 'counter_share',
                        'other_share', 'contacts', 'visits']],
                [0.0, 0.0, 100.0, 0, 0])

            # all the antennas, by month, without wrap-up
            rows = self.read(Indicator, names, **{
                    'from_date': dt.date(2026, 3, 1),
                    'to_date': dt.date(2026, 3, 31), 'granularity': 'month',
                    'wrap_up': 0})
            by_antenna = {r['antenna']: r for r in rows}
            self.assertEqual(
                {r['period'] for r in rows}, {'2026-03'})
            ami = by_antenna[data['ami'].id]
            self.assertEqual(
                [ami[n] for n in ['phone_hours', 'counter_hours',
                        'contacts_phone', 'contacts_counter', 'visits',
                        'requests_answered']],
                [5.0, 5.2, 3, 4, 4, 2])
            # 31 days of 0.5 FTE: the vacant post does not work
            stq = by_antenna[data['stq'].id]
            self.assertEqual(stq['fte'], 0.5)
            self.assertEqual(stq['available_hours'], 77.5)
            self.assertEqual(stq['phone_share'], 0.9)  # 42 min / 77.5 h
            self.assertEqual(stq['counter_share'], 0.5)  # 21 min
            # an antenna without staff in the plan has no share
            lao = by_antenna[data['lao'].id]
            self.assertEqual(lao['available_hours'], 0.0)
            self.assertIsNone(lao['phone_share'])

    @with_transaction()
    def test_context_errors(self):
        "A context the indicators cannot use is refused with a message"
        pool = Pool()
        Indicator = pool.get('gru.steering.experiment.indicator')
        company = create_company()
        # out of the subtests: the refresh may restart the transaction
        refresh_aggregates()
        with set_company(company):
            for context in [{'granularity': 'day'},
                    {'from_date': 'yesterday'},
                    {'wrap_up': -3},
                    {'from_date': dt.date(2000, 1, 1),
                        'to_date': dt.date(2026, 1, 1)}]:
                with self.subTest(context=context), \
                        self.assertRaises(ExperimentContextError):
                    self.read(Indicator, ['phone_share'], **context)

    @with_transaction()
    def test_comparison(self):
        "The figures before and after the start of the experiment"
        pool = Pool()
        Comparison = pool.get('gru.steering.experiment.comparison')
        company = create_company()
        with set_company(company):
            data = self.setup_experiment(company)
            rows = self.read(Comparison, ['antenna', 'experiment_start',
                    'measure', 'before', 'after', 'difference',
                    'before_from', 'after_to'],
                comparison_weeks=2, wrap_up=6)
            # only AMI started the experiment
            self.assertEqual({r['antenna'] for r in rows},
                {data['ami'].id})
            figures = {r['measure']: (r['before'], r['after'],
                    r['difference']) for r in rows}
            self.assertEqual(rows[0]['before_from'], dt.date(2026, 3, 2))
            self.assertEqual(rows[0]['after_to'], dt.date(2026, 3, 29))
            self.assertEqual(rows[0]['experiment_start'], START)
            # 2 weeks of 1 FTE: 70 hours each side
            self.assertEqual(figures['available_hours'], (70.0, 70.0, 0.0))
            # before 1.7 h of phone, after 3.5 h + 6 min
            self.assertEqual(figures['phone_hours'], (1.7, 3.6, 1.9))
            self.assertEqual(figures['phone_share'], (2.4, 5.1, 2.7))
            self.assertEqual(figures['counter_share'], (2.5, 5.0, 2.5))
            self.assertEqual(figures['contacts_phone'], (2, 1, -1))
            self.assertEqual(figures['contacts_counter'], (1, 3, 2))
            self.assertEqual(figures['visits'], (3, 1, -2))
            self.assertEqual(figures['permanences'], (1, 0, -1))
            self.assertEqual(figures['requests_answered'], (0, 2, 2))

            # the antenna of the context only
            self.assertEqual(self.read(Comparison, ['before'],
                    antenna=data['stq'].id), [])

    @with_transaction()
    def test_access(self):
        """Antenna managers read the figures of their antennas, the
        information officers none"""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Indicator = pool.get('gru.steering.experiment.indicator')
        Comparison = pool.get('gru.steering.experiment.comparison')
        company = create_company()
        with set_company(company):
            data = self.setup_experiment(company)
            manager, officer = User.create([{
                        'login': login, 'name': login,
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [
                                    ModelData.get_id('gru_base',
                                        'group_gru_agent'),
                                    ModelData.get_id('gru_inbox', group)])],
                        'gru_antennas': [('add', [data['ami'].id])],
                        } for login, group in [
                        ('manager', 'group_antenna_manager'),
                        ('officer', 'group_information_officer')]])
            context = {'from_date': dt.date(2026, 3, 2),
                'to_date': dt.date(2026, 3, 8), '_check_access': True,
                'company': company.id}
            with Transaction().set_user(manager.id):
                rows = self.read(Indicator, ['antenna', 'visits'], **context)
                self.assertEqual([(r['antenna'], r['visits']) for r in rows],
                    [(data['ami'].id, 3)])
                self.assertEqual(len(self.read(Comparison, ['after'],
                            **context)), len(MEASURES))
            with Transaction().set_user(officer.id), \
                    self.assertRaises(AccessError):
                self.read(Indicator, ['antenna'], **context)

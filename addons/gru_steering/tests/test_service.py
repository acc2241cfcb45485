# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The service levels: first response, share within the SLA, backlog by
age of the requests, and the calls' shares and waiting percentiles, from
known data."""
import datetime as dt
import unittest

from trytond import backend
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_steering.figures import age_bucket, mean, median, percentile

D = dt.datetime
NOW = D(2026, 2, 10, 12)
PERIOD = {'from_date': dt.date(2026, 1, 1), 'to_date': dt.date(2026, 2, 28)}


def create_antenna(code, name):
    Antenna = Pool().get('gru.antenna')
    antenna, = Antenna.create([{
                'code': code, 'name': name, 'kind': 'antenna',
                'state': 'open'}])
    return antenna


def create_request(company, antenna, channel, received_at, state='closed',
        responded_at=None, due=None):
    """Create a request and set its service level fields as recorded (the
    table is written so that no intake or SLA hook recomputes them)"""
    pool = Pool()
    Request = pool.get('gru.inbox.request')
    request, = Request.create([{
                'company': company.id, 'channel': channel,
                'received_at': received_at, 'subject': "Test",
                'antenna': antenna.id, 'priority': '1'}])
    table = Request.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.update(
            [table.state, table.first_response_at, table.first_response_due,
                table.antenna, table.received_at],
            [state, responded_at, due, antenna.id, received_at],
            where=table.id == request.id))
    # the update by SQL bypasses the ORM's hooks, as a load would: the key
    # recorded dirty by the creation is the same (refresh_aggregates)
    return request


def refresh_aggregates():
    "Refresh the aggregates of the keys written, as the cron does"
    Pool().get('gru.steering.aggregate.dirty').refresh_dirty()


def create_call(number, antenna, started_at, outcome, waiting=None):
    Call = Pool().get('gru.phone.call')
    call, = Call.create([{'call_id': 'c%s' % number}])
    Call.write([call], {
            'antenna': antenna.id, 'started_at': started_at,
            'state': 'ended', 'outcome': outcome,
            'waiting_time': (dt.timedelta(seconds=waiting)
                if waiting is not None else None),
            })
    refresh_aggregates()
    return call


class FiguresTestCase(unittest.TestCase):
    "Test the pure figures of the service levels"

    def test_median_mean(self):
        "Median and mean of known values"
        self.assertEqual(median([4, 1, 24, 2]), 3)
        self.assertEqual(median([5, 1, 3]), 3)
        self.assertEqual(mean([2, 4, 24, 1]), 7.75)
        self.assertIsNone(median([]))
        self.assertIsNone(mean([]))

    def test_percentile(self):
        "Percentiles interpolate between the closest ranks"
        values = [10, 20, 30, 40, 50, 60, 100]
        self.assertEqual(percentile(values, .5), 40)
        self.assertAlmostEqual(percentile(values, .9), 76)
        self.assertEqual(percentile(values, 0), 10)
        self.assertEqual(percentile(values, 1), 100)
        self.assertEqual(percentile([7], .9), 7)
        with self.assertRaises(ValueError):
            percentile(values, 90)

    def test_age_bucket(self):
        "The buckets bound at 2, 7 and 30 whole days"
        at = D(2026, 2, 10, 12)
        for age, key in [
                (dt.timedelta(hours=1), 'backlog_2'),
                (dt.timedelta(days=1, hours=23), 'backlog_2'),
                (dt.timedelta(days=2), 'backlog_7'),
                (dt.timedelta(days=7, hours=23), 'backlog_7'),
                (dt.timedelta(days=8), 'backlog_30'),
                (dt.timedelta(days=30, hours=23), 'backlog_30'),
                (dt.timedelta(days=31), 'backlog_older'),
                ]:
            self.assertEqual(age_bucket(at - age, at), key, age)


class ServiceTestCase(unittest.TestCase):
    "Test the service levels"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_steering'])

    def read(self, model, fields_names, **context):
        Model = Pool().get(model)
        refresh_aggregates()
        with Transaction().set_context(_sla_now=NOW, **context):
            rows = Model.search([])
            return Model.read([r.id for r in rows], fields_names)

    def create_requests(self, company):
        amiens = create_antenna('AMI', "Amiens")
        laon = create_antenna('LAO', "Laon")
        # Amiens: 4 web forms, 1 phone
        create_request(company, amiens, 'web', D(2026, 1, 5, 9),
            responded_at=D(2026, 1, 5, 11), due=D(2026, 1, 5, 17))
        create_request(company, amiens, 'web', D(2026, 1, 6, 9),
            responded_at=D(2026, 1, 6, 13), due=D(2026, 1, 6, 12))
        create_request(company, amiens, 'web', D(2026, 1, 7, 9),
            state='in_progress', responded_at=D(2026, 1, 8, 9),
            due=D(2026, 1, 8, 17))
        create_request(company, amiens, 'web', D(2026, 1, 30, 9),
            state='new', due=D(2026, 1, 31, 9))
        create_request(company, amiens, 'phone', D(2026, 1, 20, 9),
            state='waiting', responded_at=D(2026, 1, 20, 10))
        # Laon: 2 web forms in the period, 1 before
        create_request(company, laon, 'web', D(2026, 2, 9, 13),
            state='new', due=D(2026, 2, 12, 9))
        create_request(company, laon, 'web', D(2026, 2, 5, 12),
            state='qualified', responded_at=D(2026, 2, 5, 18),
            due=D(2026, 2, 6, 12))
        create_request(company, laon, 'web', D(2025, 12, 31, 9),
            state='new')
        refresh_aggregates()
        return amiens, laon

    @with_transaction()
    def test_requests_by_antenna(self):
        "First response, share within the SLA and backlog per antenna"
        company = create_company()
        with set_company(company):
            amiens, laon = self.create_requests(company)
            rows = self.read('gru.steering.service.request', [
                    'antenna', 'count', 'responded', 'response_median',
                    'response_mean', 'sla_counted', 'within_sla',
                    'backlog', 'backlog_2', 'backlog_7', 'backlog_30',
                    'backlog_older', 'antenna_name'],
                gru_service_dimensions=['antenna'], **PERIOD)
            rows = {r['antenna']: r for r in rows}
            self.assertEqual(set(rows), {amiens.id, laon.id})
            ami, lao = rows[amiens.id], rows[laon.id]
            self.assertEqual(ami['antenna_name'], "Amiens")
            self.assertEqual(ami['count'], 5)
            self.assertEqual(ami['responded'], 4)
            # delays 2, 4, 24 and 1 hours
            self.assertEqual(ami['response_median'], 3)
            self.assertEqual(ami['response_mean'], 7.75)
            # 4 with a due date responded or past it, 2 in time
            self.assertEqual(ami['sla_counted'], 4)
            self.assertEqual(ami['within_sla'], 50)
            self.assertEqual(
                [ami[k] for k in ['backlog', 'backlog_2', 'backlog_7',
                        'backlog_30', 'backlog_older']],
                [3, 0, 0, 2, 1])
            self.assertEqual(lao['count'], 2)
            self.assertEqual(lao['response_median'], 6)
            # the request due in the future is not counted yet
            self.assertEqual(lao['sla_counted'], 1)
            self.assertEqual(lao['within_sla'], 100)
            self.assertEqual(
                [lao[k] for k in ['backlog', 'backlog_2', 'backlog_7',
                        'backlog_30', 'backlog_older']],
                [2, 1, 1, 0, 0])

    @with_transaction()
    def test_requests_by_channel_and_antenna_context(self):
        "Grouped by channel, and only the antenna of the context"
        company = create_company()
        with set_company(company):
            amiens, _ = self.create_requests(company)
            rows = self.read('gru.steering.service.request',
                ['channel', 'count', 'response_median', 'within_sla'],
                gru_service_dimensions=['channel'], **PERIOD)
            rows = {r['channel']: r for r in rows}
            self.assertEqual(rows['web']['count'], 6)
            # delays 2, 4, 24 and 6 hours
            self.assertEqual(rows['web']['response_median'], 5)
            self.assertEqual(rows['web']['within_sla'], 60)
            self.assertEqual(rows['phone']['count'], 1)
            self.assertIsNone(rows['phone']['within_sla'])
            rows = self.read('gru.steering.service.request',
                ['channel', 'count'], gru_service_dimensions=['channel'],
                antenna=amiens.id, **PERIOD)
            self.assertEqual({r['channel']: r['count'] for r in rows},
                {'web': 4, 'phone': 1})

    @with_transaction()
    def test_calls(self):
        "Answered and abandoned shares of the calls offered, waiting p50/p90"
        company = create_company()
        with set_company(company):
            amiens = create_antenna('AMI', "Amiens")
            laon = create_antenna('LAO', "Laon")
            jan = D(2026, 1, 12, 10)
            for i, wait in enumerate([10, 20, 30, 40]):
                create_call(i, amiens, jan, 'answered', wait)
            create_call(10, amiens, jan, 'abandoned', 100)
            create_call(11, amiens, jan, 'missed', 60)
            create_call(12, amiens, jan, 'overflowed', 50)
            create_call(13, amiens, jan, 'out_of_hours')
            # out of the period
            create_call(14, amiens, D(2025, 12, 1), 'abandoned', 500)
            create_call(20, laon, jan, 'answered', 5)
            rows = self.read('gru.steering.service.call', [
                    'antenna', 'calls', 'offered', 'answered',
                    'answered_share', 'abandoned_share', 'wait_p50',
                    'wait_p90'], **PERIOD)
            rows = {r['antenna']: r for r in rows}
            ami = rows[amiens.id]
            self.assertEqual(ami['calls'], 8)
            self.assertEqual(ami['offered'], 7)
            self.assertEqual(ami['answered'], 4)
            self.assertAlmostEqual(ami['answered_share'], 400 / 7)
            self.assertAlmostEqual(ami['abandoned_share'], 100 / 7)
            self.assertEqual(ami['wait_p50'], 40)
            self.assertAlmostEqual(ami['wait_p90'], 76)
            lao = rows[laon.id]
            self.assertEqual((lao['answered_share'], lao['wait_p90']),
                (100, 5))
            rows = self.read('gru.steering.service.call', ['antenna'],
                antenna=laon.id, **PERIOD)
            self.assertEqual([r['antenna'] for r in rows], [laon.id])

    def assertFiguresEqual(self, first, second):
        "Assert the figures are equal, the floats almost"
        self.assertEqual(set(first), set(second))
        for key in first:
            self.assertEqual(set(first[key]), set(second[key]), key)
            for name, value in first[key].items():
                if isinstance(value, float):
                    self.assertAlmostEqual(value, second[key][name],
                        msg=(key, name))
                else:
                    self.assertEqual(value, second[key][name], (key, name))

    @with_transaction()
    def test_sql_and_python_paths(self):
        """The figures aggregated by PostgreSQL are those computed in
        Python over the same rows (SQLite computes them in Python)"""
        pool = Pool()
        RequestService = pool.get('gru.steering.service.request')
        CallService = pool.get('gru.steering.service.call')
        company = create_company()
        with set_company(company):
            amiens, laon = self.create_requests(company)
            for i, (wait, outcome) in enumerate([(10, 'answered'),
                        (25, 'answered'), (90, 'abandoned'),
                        (None, 'out_of_hours'), (33, 'overflowed'),
                        (7, 'missed'), (None, 'answered')]):
                create_call(i, amiens if i % 3 else laon,
                    D(2026, 1, 12 + i, 10), outcome, wait)
            transaction = Transaction()
            for dimensions in [['antenna'], ['channel'],
                    ['antenna', 'channel', 'scheme']]:
                with transaction.set_context(_sla_now=NOW,
                        gru_service_dimensions=dimensions, **PERIOD):
                    python = RequestService.group_figures_python(NOW)
                    self.assertTrue(python)
                    if backend.name != 'postgresql':
                        continue
                    self.assertFiguresEqual(
                        RequestService.group_figures_sql(NOW), python)
                    # only the groups of some keys
                    key = sorted(python, key=str)[0]
                    self.assertFiguresEqual(
                        {k: v for k, v in RequestService.group_figures_sql(
                                NOW, {key}).items() if k == key},
                        {key: python[key]})
            with transaction.set_context(**PERIOD):
                python = CallService.group_figures_python()
                self.assertEqual(set(python), {amiens.id, laon.id})
                if backend.name == 'postgresql':
                    self.assertFiguresEqual(
                        CallService.group_figures_sql(), python)

    @with_transaction()
    def test_access(self):
        """An antenna manager sees the service levels of his antennas and
        the equity of all; an information officer sees neither"""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            amiens, laon = self.create_requests(company)

            def new_user(login, group):
                user, = User.create([{
                            'login': login, 'name': login,
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            'groups': [('add', [ModelData.get_id(
                                            'gru_inbox', group)])],
                            'gru_antennas': [('add', [amiens.id])],
                            }])
                return user
            manager = new_user('manager', 'group_antenna_manager')
            officer = new_user('officer', 'group_information_officer')
            transaction = Transaction()
            with transaction.set_user(manager.id), \
                    transaction.set_context(_check_access=True,
                        company=company.id):
                rows = self.read('gru.steering.service.request',
                    ['antenna', 'count'],
                    gru_service_dimensions=['antenna'], **PERIOD)
                self.assertEqual([(r['antenna'], r['count']) for r in rows],
                    [(amiens.id, 5)])
                rows = self.read('gru.steering.equity',
                    ['antenna', 'contacts'], **PERIOD)
                self.assertEqual({r['antenna']: r['contacts'] for r in rows},
                    {amiens.id: 5, laon.id: 2})
            with transaction.set_user(officer.id), \
                    transaction.set_context(_check_access=True,
                        company=company.id):
                for model in ['gru.steering.service.request',
                        'gru.steering.service.call', 'gru.steering.equity',
                        'gru.steering.equity.month']:
                    with self.assertRaises(AccessError):
                        pool.get(model).search([])

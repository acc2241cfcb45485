# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The daily aggregates of the service levels: the figures read from
them are those computed from the raw requests and calls, after the
source records change through the ORM and after a rebuild."""
import datetime as dt
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_inbox.tests.test_module import InboxMixin
from gru_steering.aggregate import _day
from gru_steering.figures import histogram_percentile, percentile, quantize

# the modules, not their test cases: the loader would run them here too
from . import test_experiment, test_service, test_staffing
from .test_service import (
    NOW, PERIOD, create_antenna, create_call, refresh_aggregates)

D = dt.datetime
# a whole month and days of the months around it
PART = {'from_date': dt.date(2025, 12, 20),
    'to_date': dt.date(2026, 2, 9)}


class HistogramTestCase(unittest.TestCase):
    "Test the quantization and the percentiles of a histogram"

    def test_quantize(self):
        "Whole seconds below 2 minutes, then coarser steps"
        self.assertEqual(quantize(37), 37)
        self.assertEqual(quantize(37.4), 37)
        self.assertEqual(quantize(124), 120)
        self.assertEqual(quantize(3 * 3600), 3 * 3600)
        self.assertEqual(quantize(3 * 3600 + 100), 3 * 3600)
        self.assertEqual(quantize(3 * 3600 + 200), 3 * 3600 + 300)
        for value in [1, 59, 130, 1300, 7300, 40000, 200000, 10 ** 6]:
            self.assertLessEqual(abs(quantize(value) - value), 0.04 * value)

    def test_histogram_percentile(self):
        "The percentile of the values repeated by their counts"
        values = [10, 20, 20, 30, 40, 40, 40, 100]
        histogram = {}
        for value in values:
            histogram[value] = histogram.get(value, 0) + 1
        for fraction in [0, .1, .25, .5, .75, .9, 1]:
            self.assertAlmostEqual(
                histogram_percentile(histogram, fraction),
                percentile(values, fraction))
        self.assertIsNone(histogram_percentile({}, .5))
        self.assertIsNone(histogram_percentile({5: 0}, .5))
        with self.assertRaises(ValueError):
            histogram_percentile(histogram, 50)


class AggregateTestCase(unittest.TestCase):
    "Test the figures from the aggregates against the raw rows"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_steering'])

    def assertRequestFigures(self, dimensions, period=PERIOD):
        """Assert the request figures from the aggregates are those from
        the raw rows, the keys written refreshed (as the cron does)"""
        RequestService = Pool().get('gru.steering.service.request')
        refresh_aggregates()
        with Transaction().set_context(_sla_now=NOW,
                gru_service_dimensions=dimensions, **period):
            raw = RequestService.group_figures_python(NOW)
            self.assertIsNotNone(RequestService._aggregates())
            aggregates = RequestService._aggregate_parts()
            aggregated = RequestService.group_figures_aggregate(
                NOW, set(), aggregates)
            test_service.ServiceTestCase.assertFiguresEqual(
                self, aggregated, raw)
            # only the groups of one key
            key = sorted(raw, key=str)[0]
            test_service.ServiceTestCase.assertFiguresEqual(self,
                RequestService.group_figures_aggregate(
                    NOW, {key}, aggregates),
                {key: raw[key]})
        return raw

    def assertCallFigures(self):
        CallService = Pool().get('gru.steering.service.call')
        refresh_aggregates()
        with Transaction().set_context(**PERIOD):
            raw = CallService.group_figures_python()
            aggregated = CallService.group_figures_aggregate(
                CallService._aggregates())
            test_service.ServiceTestCase.assertFiguresEqual(
                self, aggregated, raw)
        return raw

    def read(self, model, names, **context):
        Model = Pool().get(model)
        refresh_aggregates()
        with Transaction().set_context(_sla_now=NOW, **context):
            rows = Model.search([])
            return sorted((tuple(r[n] for n in names)
                    for r in Model.read([r.id for r in rows], names)),
                key=str)

    @with_transaction()
    def test_requests(self):
        """The request figures from the aggregates equal those from the
        rows, after writes and deletions through the ORM"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            amiens, laon = test_service.ServiceTestCase.create_requests(
                self, company)
            for dimensions in [['antenna'], ['channel'],
                    ['antenna', 'channel', 'scheme']]:
                # whole months, days and months, days of one month
                for period in [PERIOD, PART, {
                            'from_date': dt.date(2026, 1, 6),
                            'to_date': dt.date(2026, 1, 30)}]:
                    self.assertRequestFigures(dimensions, period)

            names = ['antenna', 'channel', 'count', 'responded',
                'response_median', 'response_mean', 'sla_counted',
                'within_sla', 'backlog', 'backlog_2', 'backlog_7',
                'backlog_30', 'backlog_older']
            context = dict(PERIOD, gru_service_dimensions=[
                    'antenna', 'channel'])
            before = self.read('gru.steering.service.request', names,
                **context)
            self.assertEqual(before, self.read(
                    'gru.steering.service.request', names,
                    gru_steering_raw=True, **context))

            # a request moves to Laon, another gets its first response,
            # one is received the day before, one the next month, a new
            # one is deleted, one is created
            requests = Request.search([], order=[('id', 'ASC')])
            Request.write([requests[0]], {'antenna': laon.id})
            Request.write([requests[3]], {
                    'first_response_at': D(2026, 1, 30, 15)})
            Request.write([requests[4]], {
                    'received_at': D(2026, 1, 19, 9)})
            Request.write([requests[7]], {
                    'received_at': D(2026, 1, 2, 9)})
            Request.delete([requests[5]])
            Request.create([{
                        'company': company.id, 'channel': 'other',
                        'received_at': D(2026, 1, 15, 9),
                        'subject': "New", 'antenna': amiens.id,
                        'priority': '1'}])
            self.assertRequestFigures(['antenna', 'channel'], PART)
            raw = self.assertRequestFigures(['antenna'])
            self.assertEqual(raw[(laon.id,)]['responded'], 2)
            after = self.read('gru.steering.service.request', names,
                **context)
            self.assertNotEqual(after, before)
            self.assertEqual(after, self.read(
                    'gru.steering.service.request', names,
                    gru_steering_raw=True, **context))

            # a change by SQL is seen after the rebuild
            table = Request.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.channel], ['other'],
                    where=table.antenna == laon.id))
            RequestDay = pool.get('gru.steering.request.day')
            RequestDay.rebuild(days=7)
            self.assertRequestFigures(['antenna', 'channel', 'scheme'])
            self.assertRequestFigures(
                ['antenna', 'channel', 'scheme'], PART)

    @with_transaction()
    def test_volumes(self):
        """The request volumes of gru_inbox grouped by month, channel,
        antenna and scheme are counted from the aggregates and equal
        those of the requests; by state they count the requests"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Volume = pool.get('gru.inbox.request.volume')
        names = ['month', 'month_name', 'channel', 'channel_name',
            'antenna', 'scheme', 'state', 'count'] + [
            n for n, _ in Volume.channel_counts()]
        company = create_company()
        with set_company(company):
            amiens, laon = test_service.ServiceTestCase.create_requests(
                self, company)
            Request.write([Request.search([], limit=1)[0]],
                {'antenna': laon.id})
            for dimensions in [['month', 'channel'], ['antenna'],
                    ['channel'], ['scheme'],
                    ['month', 'antenna', 'channel', 'scheme']]:
                for period in [PERIOD, PART, {
                            'from_date': dt.date(2026, 1, 6),
                            'to_date': dt.date(2026, 1, 30)},
                        {'from_date': None, 'to_date': None}]:
                    for antenna in [None, laon.id]:
                        context = dict(period,
                            gru_volume_dimensions=dimensions,
                            antenna=antenna)
                        with Transaction().set_context(context):
                            self.assertIsNotNone(Volume._aggregate_parts())
                        aggregated = self.read(
                            'gru.inbox.request.volume', names, **context)
                        self.assertEqual(aggregated, self.read(
                                'gru.inbox.request.volume', names,
                                gru_steering_raw=True, **context),
                            msg=str(context))
                        if period == PERIOD and not antenna:
                            self.assertTrue(aggregated)
            # by state: the aggregates have no state
            with Transaction().set_context(PERIOD,
                    gru_volume_dimensions=['month', 'state']):
                self.assertIsNone(Volume._aggregate_parts())

    @with_transaction()
    def test_calls(self):
        """The call figures from the aggregates equal those from the
        rows, after writes and deletions through the ORM"""
        pool = Pool()
        Call = pool.get('gru.phone.call')
        company = create_company()
        with set_company(company):
            amiens = create_antenna('AMI', "Amiens")
            laon = create_antenna('LAO', "Laon")
            calls = []
            for i, (wait, outcome) in enumerate([(10, 'answered'),
                        (25, 'answered'), (90, 'abandoned'),
                        (None, 'out_of_hours'), (33, 'overflowed'),
                        (7, 'missed'), (None, 'answered'),
                        (12, 'answered'), (600, 'abandoned')]):
                calls.append(create_call(i, amiens if i % 3 else laon,
                        D(2026, 1, 12 + i % 4, 10), outcome, wait))
            self.assertCallFigures()
            names = ['antenna', 'calls', 'offered', 'answered',
                'answered_share', 'abandoned_share', 'wait_p50',
                'wait_p90']
            self.assertEqual(
                self.read('gru.steering.service.call', names, **PERIOD),
                self.read('gru.steering.service.call', names,
                    gru_steering_raw=True, **PERIOD))

            Call.write([calls[0]], {'antenna': amiens.id,
                    'waiting_time': dt.timedelta(seconds=44)})
            Call.write([calls[3]], {'outcome': 'abandoned',
                    'waiting_time': dt.timedelta(seconds=3)})
            Call.write([calls[5]], {'started_at': D(2025, 12, 31, 10)})
            Call.delete([calls[1]])
            raw = self.assertCallFigures()
            self.assertEqual(raw[amiens.id]['offered'], 5)
            self.assertEqual(
                self.read('gru.steering.service.call', names, **PERIOD),
                self.read('gru.steering.service.call', names,
                    gru_steering_raw=True, **PERIOD))

    @with_transaction()
    def test_refresh_recent(self):
        "The cron recomputes the last days, a write by SQL included"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        CallDay = pool.get('gru.steering.call.day')
        Date = pool.get('ir.date')
        company = create_company()
        with set_company(company):
            amiens = create_antenna('AMI', "Amiens")
            today = dt.datetime.combine(Date.today(), dt.time(9))
            call = create_call(1, amiens, today, 'answered', 20)
            table = Call.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.outcome], ['abandoned'],
                    where=table.id == call.id))
            day = CallDay.__table__()
            cursor.execute(*day.select(day.abandoned))
            self.assertEqual(cursor.fetchall(), [(0,)])
            CallDay.refresh_all()
            cursor.execute(*day.select(day.abandoned))
            self.assertEqual(cursor.fetchall(), [(1,)])

    def dirty(self):
        "Return the dirty keys recorded: [(aggregate name, key)]"
        Dirty = Pool().get('gru.steering.aggregate.dirty')
        table = Dirty.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.aggregate, table.key,
                order_by=[table.id.asc]))
        return [(n, Dirty.load_key(k)) for n, k in cursor]

    def request_days(self):
        "Return the request day rows: [(day, antenna, channel, count)]"
        RequestDay = Pool().get('gru.steering.request.day')
        table = RequestDay.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.day, table.antenna,
                table.channel, table.count,
                order_by=[table.day.asc, table.antenna.asc]))
        return [(_day(d), a, c, n) for d, a, c, n in cursor]

    @with_transaction()
    def test_dirty_keys(self):
        """The ORM writes only record their keys dirty; the refresh
        recomputes them and clears the dirty rows it read"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Dirty = pool.get('gru.steering.aggregate.dirty')
        company = create_company()
        with set_company(company):
            amiens = create_antenna('AMI', "Amiens")
            laon = create_antenna('LAO', "Laon")
            refresh_aggregates()
            self.assertEqual(self.dirty(), [])
            RequestDay = pool.get('gru.steering.request.day')
            day = dt.date(2026, 1, 12)

            def create(antenna):
                return Request.create([{
                            'company': company.id, 'channel': 'web',
                            'received_at': D(2026, 1, 12, 9),
                            'subject': "Test", 'antenna': antenna.id,
                            'priority': '1'}])

            first, = create(amiens)
            key = RequestDay.key_of(first)
            self.assertEqual(key[:4], (day, company.id, amiens.id, 'web'))
            dirty = self.dirty()
            self.assertIn(('gru.steering.request.day', key), dirty)
            self.assertIn(('gru.steering.antenna.day', (day, amiens.id)),
                dirty)
            # nothing recomputed by the write
            self.assertEqual(self.request_days(), [])
            self.assertEqual(Dirty.refresh_dirty(), len(set(dirty)))
            self.assertEqual(self.dirty(), [])
            self.assertEqual(self.request_days(),
                [(day, amiens.id, 'web', 1)])

            # two successive writes of the same key: one row, both counted
            create(amiens)
            create(amiens)
            keys = [k for n, k in self.dirty()
                if n == 'gru.steering.request.day']
            self.assertEqual(set(keys), {key})
            self.assertGreaterEqual(len(keys), 2)
            refresh_aggregates()
            self.assertEqual(self.request_days(),
                [(day, amiens.id, 'web', 3)])

            # a write records the key before and after
            Request.write([first], {'antenna': laon.id})
            keys = {k for n, k in self.dirty()
                if n == 'gru.steering.request.day'}
            self.assertEqual(keys, {key, RequestDay.key_of(first)})
            self.assertEqual(RequestDay.key_of(first)[2], laon.id)
            # a write of a field no aggregate reads records nothing
            refresh_aggregates()
            Request.write([first], {'subject': "Other"})
            self.assertEqual(self.dirty(), [])
            self.assertEqual(self.request_days(), [
                    (day, amiens.id, 'web', 2), (day, laon.id, 'web', 1)])

            # a deletion records its key
            laon_key = RequestDay.key_of(first)
            Request.delete([first])
            self.assertIn(('gru.steering.request.day', laon_key),
                self.dirty())
            refresh_aggregates()
            self.assertEqual(self.dirty(), [])
            self.assertEqual(self.request_days(),
                [(day, amiens.id, 'web', 2)])

            # a dirty row inserted after the refresh read them stays
            Dirty.add({'gru.steering.call.day': {(day, amiens.id)}})
            self.assertEqual(self.dirty(),
                [('gru.steering.call.day', (day, amiens.id))])
            # the rebuild forgets the dirty keys of its aggregate
            pool.get('gru.steering.call.day').rebuild()
            self.assertEqual(self.dirty(), [])


class AntennaDayTestCase(InboxMixin, unittest.TestCase):
    "Test the experiment and equity figures from the aggregates"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_steering')

    def read(self, model, names, **context):
        Model = Pool().get(model)
        refresh_aggregates()
        with Transaction().set_context(**context):
            rows = Model.search([])
            return sorted((tuple(r[n] for n in names)
                    for r in Model.read([r.id for r in rows], names)),
                key=str)

    def assertSameFigures(self, model, names, **context):
        "Assert the figures from the aggregates equal those from the rows"
        aggregated = self.read(model, names, **context)
        self.assertTrue(aggregated)
        self.assertEqual(aggregated, self.read(model, names,
                gru_steering_raw=True, **context))
        return aggregated

    @with_transaction()
    def test_experiment_and_equity(self):
        """The experiment indicators and comparison and the equity from the
        aggregates equal those from the rows, after writes and deletions
        through the ORM and after a rebuild"""
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Visit = pool.get('gru.counter.visit')
        Request = pool.get('gru.inbox.request')
        indicator = ['antenna', 'period', 'answered_calls', 'phone_hours',
            'counter_hours', 'contacts_phone', 'contacts_counter',
            'visits', 'visits_seen', 'permanences', 'permanence_visits',
            'requests_answered']
        comparison = ['antenna', 'measure', 'before', 'after']
        contexts = [
            {'from_date': dt.date(2026, 2, 20),
                'to_date': dt.date(2026, 4, 10), 'granularity': 'week'},
            {'from_date': dt.date(2026, 1, 1),
                'to_date': dt.date(2026, 12, 31), 'granularity': 'month'},
            ]
        equity = {'from_date': dt.date(2026, 1, 1),
            'to_date': dt.date(2026, 12, 31)}
        company = create_company()
        with set_company(company):
            data = test_experiment.ExperimentTestCase.setup_experiment(
                self, company)

            def check():
                for context in contexts:
                    self.assertSameFigures(
                        'gru.steering.experiment.indicator', indicator,
                        **context)
                self.assertSameFigures('gru.steering.experiment.comparison',
                    comparison, comparison_weeks=2)
                self.assertSameFigures('gru.steering.equity',
                    ['antenna', 'contacts', 'per_fte'], **equity)
                self.assertSameFigures('gru.steering.equity.month',
                    ['month', 'contacts', 'gini'], **equity)
            check()
            before = self.read('gru.steering.experiment.indicator',
                indicator, **contexts[0])

            calls = Call.search([], order=[('id', 'ASC')])
            Call.write([calls[0]], {'answer_at': dt.datetime(2026, 3, 20, 9),
                    'talk_time': dt.timedelta(minutes=12)})
            Call.write([calls[4]], {'antenna': data['ami'].id})
            Call.delete([calls[1]])
            visits = Visit.search([], order=[('id', 'ASC')])
            Visit.write([visits[0]], {'time_spent': 5})
            Visit.write([visits[4]], {'arrived_at':
                    dt.datetime(2026, 3, 25, 10)})
            Visit.write([visits[2]], {'state': 'seen', 'time_spent': 7})
            requests = Request.search([], order=[('id', 'ASC')])
            Request.write([requests[2]], {'channel': 'phone'})
            Request.write([requests[3]], {
                    'answered_at': dt.datetime(2026, 3, 3, 10)})
            Request.write([requests[5]], {'antenna': data['stq'].id})
            Request.delete([requests[6]])
            check()
            self.assertNotEqual(before, self.read(
                    'gru.steering.experiment.indicator', indicator,
                    **contexts[0]))

            # and after a rebuild
            AntennaDay = pool.get('gru.steering.antenna.day')
            AntennaDay.rebuild(days=10)
            check()

    @with_transaction()
    def test_staffing(self):
        """The workload staffing from the hourly aggregates equals the one
        from the calls and visits, after writes through the ORM"""
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Visit = pool.get('gru.counter.visit')
        names = ['antenna', 'opening_hours', 'calls', 'answered',
            'call_rate', 'talk_time', 'handling_time', 'call_officers',
            'visits', 'visit_rate', 'visit_time', 'counter_officers',
            'needed']
        company = create_company()
        with set_company(company):
            case = test_staffing.StaffingTestCase
            data = case.setup_load(self, company)
            plan = case.setup_plan(self, company, data)
            context = dict(test_staffing.CONTEXT, plan=plan.id)
            for basis in ['busy_hour', 'average']:
                self.assertSameFigures('gru.steering.staffing', names,
                    **dict(context, basis=basis))
            before = self.read('gru.steering.staffing', names, **context)
            calls = Call.search([], order=[('id', 'ASC')], limit=3)
            Call.write(calls[:1], {'outcome': 'out_of_hours'})
            Call.write(calls[1:2], {'talk_time': dt.timedelta(minutes=9)})
            Call.write(calls[2:], {'started_at': calls[2].started_at
                    + dt.timedelta(hours=2)})
            visit, = Visit.search([], order=[('id', 'ASC')], limit=1)
            Visit.write([visit], {'time_spent': 55})
            after = self.assertSameFigures('gru.steering.staffing', names,
                **context)
            self.assertNotEqual(after, before)

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The context of the request volumes: a value of a wrong type is refused
with a message, never a traceback."""
import datetime as dt
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_inbox.exceptions import VolumeContextError


class VolumeContextTestCase(unittest.TestCase):
    "Test the context of the request volumes"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_inbox'])

    def read_volumes(self, **context):
        Volume = Pool().get('gru.inbox.request.volume')
        with Transaction().set_context(**context):
            volumes = Volume.search([])
            return Volume.read([v.id for v in volumes], ['count'])

    @with_transaction()
    def test_dates(self):
        "Dates, ISO strings, None and '' are periods"
        Volume = Pool().get('gru.inbox.request.volume')
        company = create_company()
        with set_company(company):
            for value, expected in [
                    (dt.date(2026, 1, 31), dt.date(2026, 1, 31)),
                    (dt.datetime(2026, 1, 31, 10), dt.date(2026, 1, 31)),
                    ('2026-01-31', dt.date(2026, 1, 31)),
                    (None, None),
                    ('', None),
                    ]:
                with Transaction().set_context(to_date=value,
                        from_date=value):
                    self.assertEqual(Volume.period(), (expected, expected))
                self.assertEqual(
                    self.read_volumes(to_date=value, from_date=value), [])

    @with_transaction()
    def test_wrong_type(self):
        "A date of a wrong type is refused with a message naming it"
        pool = Pool()
        Context = pool.get('gru.inbox.request.volume.context')
        company = create_company()
        with set_company(company):
            for name, value in [
                    ('to_date', 'not a date'),
                    ('to_date', 20260131),
                    ('from_date', ['2026-01-01']),
                    ('from_date', {'year': 2026}),
                    ]:
                with self.assertRaises(VolumeContextError) as cm:
                    self.read_volumes(**{name: value})
                self.assertIn(name, cm.exception.message)
                with Transaction().set_context(**{name: value}):
                    with self.assertRaises(VolumeContextError):
                        Context.default_get(['from_date', 'to_date'])

    @with_transaction()
    def test_dimensions_wrong_type(self):
        "Dimensions of a wrong type group by every dimension"
        Volume = Pool().get('gru.inbox.request.volume')
        company = create_company()
        with set_company(company):
            for value in [5, {'month': 1}, None]:
                with Transaction().set_context(
                        gru_volume_dimensions=value):
                    self.assertEqual(Volume.dimensions(), [
                            'month', 'channel', 'antenna', 'scheme',
                            'state'])
                self.assertEqual(
                    self.read_volumes(gru_volume_dimensions=value), [])
            with Transaction().set_context(gru_volume_dimensions='channel'):
                self.assertEqual(Volume.dimensions(), ['channel'])

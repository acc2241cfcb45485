# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The intake computes the due dates once, from the values the channel
gave and the triage set."""
import datetime as dt
import unittest
from unittest.mock import patch

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_inbox.tests.test_module import InboxMixin

from .test_module import FRIDAY, MONDAY, create_calendar, create_policy


class IntakeSlaTestCase(InboxMixin, unittest.TestCase):
    "Test the service levels of the intake"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_sla'])

    @with_transaction()
    def test_intake_computes_sla_once(self):
        "Intake computes the due dates once, after triage"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Rule = pool.get('gru.inbox.rule')
        Antenna = pool.get('gru.antenna')
        Configuration = pool.get('gru.inbox.configuration')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            config = Configuration(1)
            config.sla_calendar = create_calendar()
            config.save()
            # Laon works on Saturday mornings too
            Antenna.write([data['lao']], {
                    'calendar': create_calendar(weekdays='012345').id})
            create_policy("Urgent", 10, first_response=(1, 'hours'),
                priority='3')
            create_policy("Standard", 100, first_response=(8, 'hours'),
                resolution=(2, 'days'))
            Rule.create([{
                        'name': "Urgent", 'sequence': 1,
                        'subject_keywords': 'urgent', 'set_priority': '3',
                        }])

            calls = []
            compute_sla = Request.compute_sla.__func__

            @classmethod
            def counted_compute_sla(cls, requests):
                calls.append(sorted(r.id for r in requests))
                return compute_sla(cls, requests)

            given_values = {
                'channel': 'web', 'received_at': FRIDAY,
                'subject': "Question", 'contact_email': 'a@example.org',
                'antenna': data['lao'],
                }
            triaged_values = {
                'channel': 'web', 'received_at': MONDAY,
                'subject': "Urgent : mon dossier",
                'contact_email': 'b@example.org',
                'contact_postal_code': '80000',
                }
            items = [
                (given_values, {'body': "Bonjour", 'date': FRIDAY}),
                (triaged_values, {'body': "Bonjour", 'date': MONDAY}),
                ]
            with patch.object(Request, 'compute_sla', counted_compute_sla):
                given, triaged = Request.intake_many(items)
            # one computation for the whole intake
            self.assertEqual(calls, [sorted([given.id, triaged.id])])

            # in the calendar of the antenna given by the channel: Friday
            # 16:00 + 8 working hours is Saturday 16:00
            self.assertEqual(given.sla_policy.name, "Standard")
            self.assertEqual(given.first_response_due,
                dt.datetime(2026, 11, 21, 16, 0))
            # with the priority set by the triage rule
            self.assertEqual(triaged.priority, '3')
            self.assertEqual(triaged.sla_policy.name, "Urgent")
            self.assertEqual(triaged.first_response_due,
                MONDAY + dt.timedelta(hours=1))

            # a later change of a criterion by an agent recomputes them
            Request.write([triaged], {'priority': '1'})
            self.assertEqual(triaged.sla_policy.name, "Standard")
            self.assertEqual(triaged.first_response_due,
                dt.datetime(2026, 11, 24, 10, 0))

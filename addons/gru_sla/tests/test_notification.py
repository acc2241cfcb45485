# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import json
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_inbox.tests.test_module import InboxMixin

from .test_module import at, create_calendar, create_policy


class GruSlaNotificationTestCase(InboxMixin, unittest.TestCase):
    "Test the notification of the escalations"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_sla')

    @with_transaction()
    def test_escalation_notified(self):
        "The manager a request is escalated to is notified, once"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Team = pool.get('gru.inbox.team')
        Configuration = pool.get('gru.inbox.configuration')
        Notification = pool.get('res.notification')
        company = create_company()
        with set_company(company):
            fixture = self.setup_inbox()
            config = Configuration(1)
            config.sla_calendar = create_calendar()
            config.save()
            create_policy("Standard", 100, first_response=(8, 'hours'),
                resolution=(2, 'days'))
            manager = fixture['carol']
            Team.write([fixture['team_ami']], {'manager': manager.id})
            request = self.new_request(contact_email='a@example.org',
                contact_postal_code='80000')
            # Saint-Quentin's team has no manager: nobody to notify
            orphan = self.new_request(contact_email='b@example.org',
                contact_postal_code='02100')
            before = Notification.search_count([])

            with at(dt.datetime(2026, 11, 24, 11)):
                self.assertEqual(
                    Request.escalate_overdue(), [request, orphan])
            self.assertEqual(request.escalated_to, manager)
            notification, = Notification.search([
                    ('user', '=', manager.id),
                    ('label', 'like', '%escalated%'),
                    ])
            self.assertEqual(notification.model, 'gru.inbox.request')
            self.assertEqual(json.loads(notification.records), [request.id])
            self.assertIn(request.reference, notification.label)
            self.assertTrue(notification.unread)
            # only the manager's one: none for the orphan
            self.assertEqual(Notification.search_count([]), before + 1)

            # escalated once, notified once
            with at(dt.datetime(2026, 11, 30, 11)):
                self.assertEqual(Request.escalate_overdue(), [])
            self.assertEqual(Notification.search_count([]), before + 1)

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import email
import email.policy
import json
import unittest

import trytond.config as config
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .test_module import InboxMixin


class GruInboxNotificationTestCase(InboxMixin, unittest.TestCase):
    "Test the notifications of the assignments"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_inbox')

    def notifications(self, user):
        Notification = Pool().get('res.notification')
        return Notification.search([('user', '=', user.id)],
            order=[('id', 'ASC')])

    @with_transaction()
    def test_assignment_notified(self):
        "The assignee is notified, by triage or by hand, not oneself"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            alice, bob, carol = data['alice'], data['bob'], data['carol']
            request = self.new_request(contact_email='a@example.org',
                contact_postal_code='80000', subject="Aide au permis")
            # the triage assigned it in the team of Amiens
            self.assertEqual(request.assignee, alice)
            notification, = self.notifications(alice)
            self.assertEqual(notification.model, 'gru.inbox.request')
            self.assertEqual(json.loads(notification.records), [request.id])
            self.assertIn(request.reference, notification.label)
            self.assertEqual(notification.description, "Aide au permis")
            self.assertTrue(notification.unread)
            self.assertEqual(self.notifications(bob), [])

            # by hand, to another agent
            Request.write([request], {'assignee': bob.id})
            notification, = self.notifications(bob)
            self.assertEqual(json.loads(notification.records), [request.id])
            # the same assignee again: nothing new
            Request.write([request], {'assignee': bob.id})
            self.assertEqual(len(self.notifications(bob)), 1)
            # unassigned: nobody
            Request.write([request], {'assignee': None})
            self.assertEqual(len(self.notifications(bob)), 1)
            self.assertEqual(len(self.notifications(alice)), 1)

            # an agent who takes a request is not told he took it
            with Transaction().set_user(carol.id):
                Request.write([request], {'assignee': carol.id})
            self.assertEqual(request.assignee, carol)
            self.assertEqual(self.notifications(carol), [])

            # saved as a modified record (the triage's way)
            request.assignee = alice
            request.save()
            self.assertEqual(len(self.notifications(alice)), 2)

    @with_transaction()
    def test_notification_email(self):
        "The email of a notification names the request, to the user"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            alice = data['alice']
            alice.email = 'alice@gru.test'
            alice.gru_notify_email = True
            alice.save()
            request = self.new_request(contact_email='a@example.org',
                contact_name="Léa Martin", contact_postal_code='80000',
                subject="Aide au permis")
            sender = config.get('email', 'from')
            config.set('email', 'from', 'gru@gru.test')
            try:
                msg = Request._notify_email(request, alice, "Affectée")
            finally:
                config.set('email', 'from', sender)
            msg = email.message_from_bytes(msg.as_bytes(),
                policy=email.policy.default)
            self.assertEqual(msg['To'], 'Alice <alice@gru.test>')
            self.assertEqual(msg['From'], 'gru@gru.test')
            self.assertEqual(msg['Subject'], "Affectée")
            body = msg.get_body(('plain',)).get_content()
            self.assertIn("Aide au permis", body)
            self.assertIn("Léa Martin", body)

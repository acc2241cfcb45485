# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Intake of many requests at once (Request.intake_many): the same result
as one intake after another."""
import datetime as dt
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_inbox.tests.test_module import MONDAY, InboxMixin, create_usager


class IntakeManyTestCase(InboxMixin, unittest.TestCase):
    "Test the intake of many requests at once"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_inbox'])

    def items(self, count, **values):
        return [(dict({
                        'channel': 'web',
                        'received_at': MONDAY + dt.timedelta(minutes=i),
                        'subject': "Question %d" % i,
                        'contact_email': 'usager%d@example.org' % i,
                        'contact_postal_code': '80000',
                        }, **values), {
                    'body': "Bonjour %d" % i,
                    'date': MONDAY + dt.timedelta(minutes=i),
                    }) for i in range(count)]

    @with_transaction()
    def test_round_robin_within_a_batch(self):
        "Round robin alternates inside one batch and goes on after it"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            alice, bob = data['alice'], data['bob']
            requests = Request.intake_many(self.items(5))
            self.assertEqual([r.assignee for r in requests],
                [alice, bob, alice, bob, alice])
            self.assertTrue(all(r.team == data['team_ami']
                    for r in requests))
            self.assertEqual([r.subject for r in requests],
                ["Question %d" % i for i in range(5)])
            self.assertTrue(all(r.reference for r in requests))
            self.assertEqual(len({r.reference for r in requests}), 5)
            for request in requests:
                self.assertEqual(len(request.messages), 1)
                self.assertEqual(request.messages[0].direction, 'in')
                self.assertIn("Amiens", request.assignment_log)
            # the team remembers the last one: the next intake goes on
            team = pool.get('gru.inbox.team')(data['team_ami'].id)
            self.assertEqual(team.last_assigned, alice)
            following = self.new_request(contact_email='z@example.org',
                contact_postal_code='80000')
            self.assertEqual(following.assignee, bob)

    @with_transaction()
    def test_least_loaded_counts_the_batch(self):
        "Least loaded counts the requests given earlier in the batch"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Team = pool.get('gru.inbox.team')
        Absence = pool.get('gru.inbox.absence')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            alice, bob = data['alice'], data['bob']
            Team.write([data['team_ami']], {'strategy': 'least_loaded'})
            # alice already has 3 open requests
            for i in range(3):
                request = self.new_request(
                    contact_email='old%d@example.org' % i,
                    contact_postal_code='80000')
                Request.write([request], {'assignee': alice.id})
            requests = Request.intake_many(self.items(5))
            assignees = [r.assignee for r in requests]
            self.assertEqual(assignees.count(bob), 4)
            self.assertEqual(assignees.count(alice), 1)
            loads = Team.open_loads([alice, bob])
            self.assertEqual(loads, {alice.id: 4, bob.id: 4})

            # an absence read once for the batch still skips the agent
            Absence.create([{'user': bob.id,
                        'start': MONDAY - dt.timedelta(hours=1),
                        'end': MONDAY + dt.timedelta(days=1)}])
            requests = Request.intake_many(self.items(3))
            self.assertEqual({r.assignee for r in requests}, {alice})

    @with_transaction()
    def test_matching_rules_and_spam_in_a_batch(self):
        "Each request of a batch is matched, triaged and cancelled if spam"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Rule = pool.get('gru.inbox.rule')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            party = create_usager("Jeanne Martin",
                email='usager1@example.org', postal_code='80000')
            Rule.create([{
                        'name': "Casino", 'sequence': 1,
                        'subject_keywords': 'casino', 'spam': True,
                        }, {
                        'name': "Urgent", 'sequence': 2,
                        'subject_keywords': 'urgent',
                        'set_priority': '2',
                        }])
            items = self.items(4)
            items[2][0]['subject'] = "Gagnez au casino"
            items[3][0]['subject'] = "Urgent : mon dossier"
            requests = Request.intake_many(items)
            self.assertEqual(requests[1].party, party)
            self.assertIsNone(requests[0].party)
            self.assertEqual(requests[0].antenna, data['ami'])
            self.assertEqual(requests[2].state, 'cancelled')
            self.assertEqual(requests[2].cancel_reason, 'spam')
            self.assertIsNone(requests[2].assignee)
            self.assertIn("Casino", requests[2].triage_log)
            self.assertEqual(requests[3].priority, '2')
            self.assertIn("Urgent", requests[3].triage_log)
            self.assertEqual(requests[3].state, 'new')
            self.assertTrue(requests[3].assignee)
            self.assertEqual(Request.intake_many([]), [])

    @with_transaction()
    def test_sender_rule_on_message_without_addresses(self):
        "A sender rule reads a first message given without from_address"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Rule = pool.get('gru.inbox.rule')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            Rule.create([{
                        'name': "Spammer", 'sequence': 1,
                        'sender': 'spam@example.org', 'spam': True,
                        }])
            items = self.items(2)
            # a counter or phone channel knows no address of the message
            items[0][0]['contact_email'] = None
            items[1][0]['contact_email'] = 'spam@example.org'
            requests = Request.intake_many(items)
            self.assertNotEqual(requests[0].state, 'cancelled')
            self.assertIsNone(requests[0].messages[0].from_address)
            self.assertEqual(requests[1].state, 'cancelled')

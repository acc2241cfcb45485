# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import doctest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from gru_inbox.tests.test_module import InboxMixin, create_usager
from gru_sla.tests.test_module import create_calendar, create_policy

from .. import decision, phone
from ..exceptions import CallError, CallInputError, ShareBasisError

# Monday 23 November 2026, the calendar of the tests opens 9:00-17:00 UTC
MONDAY = dt.datetime(2026, 11, 23, 10, 0)
EVENING = dt.datetime(2026, 11, 23, 19, 0)
T0 = MONDAY.replace(tzinfo=dt.timezone.utc).timestamp()


class PhoneMixin(InboxMixin):

    def setup_phone(self):
        """Inbox fixture, a 9-17 UTC calendar, a phone policy, agents with
        SIP accounts (alice available at AMI, bob away at AMI, carol at
        STQ, erin at LAO, dave at SIA), an overflow team (frank)"""
        pool = Pool()
        User = pool.get('res.user')
        Team = pool.get('gru.inbox.team')
        InboxConfiguration = pool.get('gru.inbox.configuration')
        Configuration = pool.get('gru.phone.configuration')
        fixture = self.setup_inbox()
        calendar = create_calendar()
        inbox_config = InboxConfiguration(1)
        inbox_config.sla_calendar = calendar
        inbox_config.save()
        fixture['calendar'] = calendar
        fixture['policy'] = create_policy("Phone", 10,
            first_response=(4, 'hours'), resolution=(2, 'days'),
            channel='phone')
        erin, frank = User.create([
                {'login': 'erin', 'name': "Erin"},
                {'login': 'frank', 'name': "Frank"}])
        accounts = [
            (fixture['alice'], 'ami-agent1', 'AMI', 'available'),
            (fixture['bob'], 'ami-agent2', 'AMI', 'away'),
            (fixture['carol'], 'stq-agent1', 'STQ', 'available'),
            (erin, 'lao-agent1', 'LAO', 'available'),
            (fixture['dave'], 'sia-agent1', 'SIA', 'available'),
            (frank, 'reg-agent1', None, 'available'),
            ]
        for user, sip, code, presence in accounts:
            values = {'sip_user': sip, 'phone_presence': presence}
            if code:
                values['gru_antennas'] = [
                    ('add', [fixture[code.lower()].id])]
            User.write([user], values)
        overflow, = Team.create([{
                    'name': "Renfort régional", 'kind': 'mobile',
                    'members': [('add', [frank.id])],
                    }])
        config = Configuration(1)
        config.overflow_team = overflow
        config.save()
        fixture.update(erin=erin, frank=frank, overflow=overflow)
        return fixture

    def presence(self, **presences):
        "Set the presence of users by login"
        User = Pool().get('res.user')
        for login, value in presences.items():
            user, = User.search([('login', '=', login)])
            User.write([user], {'phone_presence': value})


class GruPhoneTestCase(CompanyTestMixin, PhoneMixin, ModuleTestCase):
    "Test GRU Phone module"
    module = 'gru_phone'
    extras = ['gru_staff']

    def test_doctest(self):
        "Test the parsing of numbers"
        failures, _ = doctest.testmod(phone)
        self.assertEqual(failures, 0)

    def test_routes_writable(self):
        "The decision and the events write: never a read-only transaction"
        # trytond opens a GET in a read-only transaction, which PostgreSQL
        # enforces and SQLite does not: the decision (a GET for the IVR)
        # must ask for a writable one
        from .. import routes

        def transaction_readonly(func):
            while func is not None:
                code = func.__code__
                if 'readonly' in code.co_freevars:
                    cell = func.__closure__[
                        code.co_freevars.index('readonly')]
                    return cell.cell_contents
                func = getattr(func, '__wrapped__', None)
            self.fail("no with_transaction")
        for route in [routes.decision, routes.events]:
            with self.subTest(route=route.__name__):
                self.assertIs(transaction_readonly(route), False)

    def test_furthest_under(self):
        "The tie-break picks the largest gap, the default on a tie"
        self.assertEqual(decision.furthest_under([1, 2], {1: 5., 2: 9.}, 1),
            2)
        self.assertEqual(decision.furthest_under([1, 2], {1: 5., 2: 5.}, 1),
            1)
        self.assertEqual(decision.furthest_under([1, 2], {}, 1), 1)
        self.assertEqual(
            decision.share_gaps({1: 50., 2: 50.}, {1: 3, 2: 1}),
            {1: -25., 2: 25.})

    @with_transaction()
    def test_decision_order(self):
        "Antenna, sibling, overflow team, central service, in order"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            # LAO shares its manager with STQ: STQ is its sibling
            answer = Call.decide('c1', caller='sip:0612345678@gw',
                postal_code='02000', at=MONDAY)
            self.assertEqual(answer['status'], 'route')
            self.assertEqual(answer['antenna']['code'], 'LAO')
            self.assertEqual(
                [(t['step'], t['code'], t['users'])
                    for t in answer['targets']],
                [('antenna', 'LAO', ['lao-agent1']),
                    ('sibling', 'STQ', ['stq-agent1']),
                    ('overflow', "Renfort régional", ['reg-agent1']),
                    ('central', 'SIA', ['sia-agent1'])])
            self.assertEqual([(s['target'], s['step'], s['user'])
                    for s in answer['sip_targets']], [
                    ('LAO', 'antenna', 'lao-agent1'),
                    ('STQ', 'sibling', 'stq-agent1'),
                    ("Renfort régional", 'overflow', 'reg-agent1'),
                    ('SIA', 'central', 'sia-agent1')])
            self.assertIsNone(answer['callback'])
            call, = Call.search([('call_id', '=', 'c1')])
            self.assertEqual(call.caller, '+33612345678')
            self.assertEqual(call.routed_antenna.code, 'LAO')
            self.assertEqual([s.kind for s in call.steps],
                ['antenna', 'sibling', 'overflow', 'central'])
            self.assertEqual(call.steps[0].result, 'planned')

            # the sibling relation works both ways: STQ overflows to LAO
            answer = Call.decide('c2', postal_code='02100', at=MONDAY)
            self.assertEqual([t['code'] for t in answer['targets']][:2],
                ['STQ', 'LAO'])

    @with_transaction()
    def test_decision_nobody_present(self):
        "Nobody present at the antenna: the sibling first"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            self.presence(erin='away')
            answer = Call.decide('c1', postal_code='02000', at=MONDAY)
            self.assertEqual(answer['antenna']['code'], 'LAO')
            self.assertEqual(answer['targets'][0]['step'], 'sibling')
            self.assertEqual(answer['targets'][0]['code'], 'STQ')
            # away at AMI (bob) is never offered; alice is
            answer = Call.decide('c2', postal_code='80000', at=MONDAY)
            self.assertEqual(answer['targets'][0]['users'], ['ami-agent1'])
            self.presence(alice='on_call')
            answer = Call.decide('c3', postal_code='80000', at=MONDAY)
            self.assertEqual([t['step'] for t in answer['targets']],
                ['overflow', 'central'])

    @with_transaction()
    def test_decision_closed_antenna(self):
        "A closure of the antenna's calendar skips it"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Antenna = pool.get('gru.antenna')
        company = create_company()
        with set_company(company):
            fixture = self.setup_phone()
            closed = create_calendar(closures=[
                    (MONDAY.date(), None, "Inventaire")])
            Antenna.write([fixture['ami']], {'calendar': closed.id})
            answer = Call.decide('c1', postal_code='80000', at=MONDAY)
            self.assertEqual([t['step'] for t in answer['targets']],
                ['overflow', 'central'])

    @with_transaction()
    def test_decision_central_and_unknown(self):
        "Out of region, unknown or malformed postal codes: central first"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            for call_id, code in [('c1', '75001'), ('c2', '59999'),
                    ('c3', 'ABCDE')]:
                answer = Call.decide(call_id, postal_code=code, at=MONDAY)
                self.assertEqual(answer['antenna']['code'], 'SIA', code)
                self.assertEqual(answer['targets'][0]['step'], 'central')
                self.assertEqual(answer['targets'][0]['code'], 'SIA')
                self.assertTrue(answer['explanation'])
            # no place and an unknown caller: central
            answer = Call.decide('c4', caller='0699999999', at=MONDAY)
            self.assertEqual(answer['antenna']['code'], 'SIA')
            # no place and a known usager: his antenna of attachment
            create_usager("Jeanne Martin", phone='06 12 34 56 78',
                postal_code='80000')
            answer = Call.decide('c5', caller='+33612345678', at=MONDAY)
            self.assertEqual(answer['antenna']['code'], 'AMI')
            call, = Call.search([('call_id', '=', 'c5')])
            self.assertEqual(call.party.name, "Jeanne Martin")

    @with_transaction()
    def test_decision_callback(self):
        "Nobody anywhere: a callback through the intake, idempotent"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            self.presence(alice='away', carol='away', erin='away',
                dave='away', frank='away')
            answer = Call.decide('c1', caller='06 11 22 33 44',
                postal_code='80000', at=MONDAY)
            self.assertEqual(answer['status'], 'callback')
            self.assertEqual(answer['targets'], [])
            self.assertEqual(answer['sip_targets'], [])
            self.assertEqual(answer['antenna']['code'], 'AMI')
            request, = Request.search([
                    ('reference', '=', answer['callback']['request'])])
            self.assertEqual(request.channel, 'phone')
            self.assertEqual(request.contact_phone, '+33611223344')
            self.assertEqual(request.antenna.code, 'AMI')
            self.assertEqual(request.team.name, "Amiens")
            # the phone policy: first response within 4 working hours
            self.assertEqual(request.first_response_due,
                MONDAY + dt.timedelta(hours=4))
            self.assertEqual(answer['callback']['due'],
                '2026-11-23T14:00:00+00:00')
            call, = Call.search([('call_id', '=', 'c1')])
            self.assertEqual(call.outcome, 'callback')
            self.assertEqual(call.request, request)
            # a second decision for the same call: the same callback
            again = Call.decide('c1', caller='06 11 22 33 44',
                postal_code='80000', at=MONDAY + dt.timedelta(minutes=1))
            self.assertEqual(again['callback'], answer['callback'])
            self.assertEqual(Request.search_count(
                    [('channel', '=', 'phone')]), 1)

    @with_transaction()
    def test_decision_out_of_hours(self):
        "Out of hours: outcome out_of_hours and a callback"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            answer = Call.decide('c1', caller='0611223344',
                postal_code='80000', at=EVENING)
            self.assertEqual(answer['status'], 'callback')
            self.assertEqual(answer['outcome'], 'out_of_hours')
            self.assertTrue(answer['callback']['request'])
            # due from the next opening: Tuesday 9:00 + 4 hours
            self.assertEqual(answer['callback']['due'],
                '2026-11-24T13:00:00+00:00')

    @with_transaction()
    def test_decision_ambiguous_share(self):
        "An ambiguous postal code goes to the antenna under its share"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            # 02300: Chauny (STQ, 11,500) and Viry-Noureuil (LAO, 1,000);
            # no call yet: STQ, the most populated, is the furthest under
            answer = Call.decide('c1', postal_code='02300', at=MONDAY)
            self.assertEqual(answer['antenna']['code'], 'STQ')
            # STQ took every call of the week: LAO is under its share
            Call.ingest_events([{
                        'event': 'answered', 'call_id': 'stq%s' % i,
                        'agent': 'stq-agent1', 'target': 'STQ',
                        'time': T0 - 3600 + i} for i in range(5)])
            answer = Call.decide('c2', postal_code='02300', at=MONDAY)
            self.assertEqual(answer['antenna']['code'], 'LAO')
            self.assertIn("Antenne de Laon", answer['explanation'])
            # the commune tells: no tie to break
            answer = Call.decide('c3', postal_code='02300',
                commune="Chauny", at=MONDAY)
            self.assertEqual(answer['antenna']['code'], 'STQ')

    @with_transaction()
    def test_decision_input_errors(self):
        "A missing call id or a bad time is refused"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            with self.assertRaises(CallInputError):
                Call.decide('', postal_code='80000')
            with self.assertRaises(CallInputError):
                Call.decide('c1', postal_code='80000', at='yesterday')
            answer = Call.decide('c1', postal_code='80000',
                at='2026-11-23T11:00:00+01:00')
            self.assertEqual(answer['targets'][0]['code'], 'AMI')

    @with_transaction()
    def test_events_answered_call(self):
        "A call answered then ended: times, outcome, presence, usager"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            fixture = self.setup_phone()
            party = create_usager("Paul Durand", phone='0611223344')
            Call.decide('c1', caller='sip:0611223344@gw',
                postal_code='80000', at=MONDAY)
            events = [
                {'event': 'started', 'call_id': 'c1', 'time': T0,
                    'from': 'sip:0611223344@gw', 'to': 'sip:0800123456@gw',
                    'postal_code': '80000'},
                {'event': 'offered', 'call_id': 'c1', 'time': T0 + 1,
                    'agent': 'ami-agent1', 'target': 'AMI'},
                {'event': 'ringing', 'call_id': 'c1', 'time': T0 + 1.5,
                    'agent': 'ami-agent1', 'target': 'AMI', 'code': 180},
                {'event': 'answered', 'call_id': 'c1', 'time': T0 + 10,
                    'agent': 'ami-agent1', 'target': 'AMI', 'code': 200},
                ]
            result = Call.ingest_events(events)
            self.assertEqual(result,
                {'accepted': 4, 'duplicates': 0, 'rejected': []})
            call, = Call.search([('call_id', '=', 'c1')])
            self.assertEqual(call.state, 'answered')
            self.assertEqual(call.agent, fixture['alice'])
            self.assertEqual(call.party, party)
            self.assertEqual(call.waiting_time, dt.timedelta(seconds=10))
            self.assertEqual(call.steps[0].result, 'answered')
            self.assertEqual(User(fixture['alice'].id).phone_presence,
                'on_call')
            # the current call of alice
            with Transaction().set_user(fixture['alice'].id):
                self.assertEqual(Call.search([('mine', '=', True),
                            ('state', 'in', ['ringing', 'answered'])],
                        ), [call])
            result = Call.ingest_events([{'event': 'ended', 'call_id': 'c1',
                        'time': T0 + 70, 'code': 200}])
            self.assertEqual(result['accepted'], 1)
            call = Call(call.id)
            self.assertEqual(call.outcome, 'answered')
            self.assertEqual(call.talk_time, dt.timedelta(seconds=60))
            self.assertEqual(call.antenna.code, 'AMI')
            self.assertEqual(User(fixture['alice'].id).phone_presence,
                'available')

    @with_transaction()
    def test_events_idempotent(self):
        "The same events twice are duplicates; a bad one is rejected"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        CallEvent = pool.get('gru.phone.call.event')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            events = [
                {'event': 'started', 'call_id': 'c1', 'time': T0},
                {'event': 'ringing', 'call_id': 'c1', 'time': T0 + 1,
                    'agent': 'ami-agent1', 'event_id': 'k-1'},
                ]
            self.assertEqual(Call.ingest_events(events)['accepted'], 2)
            result = Call.ingest_events(events + [
                    {'event': 'exploded', 'call_id': 'c1', 'time': T0},
                    {'event': 'ended', 'time': T0},
                    'not an object',
                    {'event': 'ended', 'call_id': 'c1', 'time': 'never'},
                    ])
            self.assertEqual(result['accepted'], 0)
            self.assertEqual(result['duplicates'], 2)
            self.assertEqual([r['index'] for r in result['rejected']],
                [2, 3, 4, 5])
            self.assertIn('exploded', result['rejected'][0]['error'])
            self.assertEqual(CallEvent.search_count([]), 2)
            # the same event twice in one batch
            result = Call.ingest_events([
                    {'event': 'ended', 'call_id': 'c1', 'time': T0 + 5},
                    {'event': 'ended', 'call_id': 'c1', 'time': T0 + 5}])
            self.assertEqual((result['accepted'], result['duplicates']),
                (1, 1))

    @with_transaction()
    def test_events_out_of_order(self):
        "Ended before answered, no started: the same call in the end"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            fixture = self.setup_phone()
            Call.ingest_events([{'event': 'ended', 'call_id': 'c9',
                        'time': T0 + 100, 'from': '0611223344'}])
            call, = Call.search([('call_id', '=', 'c9')])
            self.assertEqual(call.state, 'ended')
            # ended without an answer: a callback, for now
            self.assertEqual(call.outcome, 'abandoned')
            callback = call.request
            self.assertEqual(callback.state, 'new')
            Call.ingest_events([{'event': 'answered', 'call_id': 'c9',
                        'time': T0 + 40, 'agent': 'stq-agent1',
                        'target': 'STQ'}])
            call = Call(call.id)
            self.assertEqual(call.state, 'ended')
            self.assertEqual(call.outcome, 'answered')
            self.assertEqual(call.answer_at, MONDAY + dt.timedelta(
                    seconds=40))
            self.assertEqual(call.talk_time, dt.timedelta(seconds=60))
            self.assertEqual(call.agent, fixture['carol'])
            # a late answered never puts the agent on a call that ended
            self.assertEqual(User(fixture['carol'].id).phone_presence,
                'available')
            # the callback was not needed: cancelled, and said why
            self.assertFalse(call.request)
            self.assertEqual(callback.state, 'cancelled')
            self.assertIn("answered", callback.messages[-1].body)

    @with_transaction()
    def test_events_overflowed_and_missed(self):
        "Answered by the sibling: overflowed; no answer: missed + callback"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            Call.decide('c1', postal_code='02000', at=MONDAY)
            Call.ingest_events([
                    {'event': 'ringing', 'call_id': 'c1', 'time': T0 + 1,
                        'agent': 'lao-agent1', 'target': 'LAO'},
                    {'event': 'missed', 'call_id': 'c1', 'time': T0 + 2,
                        'agent': 'lao-agent1', 'target': 'LAO',
                        'code': 408},
                    ])
            call, = Call.search([('call_id', '=', 'c1')])
            # no longer the current call of the agent who missed it
            self.assertFalse(call.agent)
            self.assertEqual(call.state, 'ivr')
            Call.ingest_events([
                    {'event': 'answered', 'call_id': 'c1', 'time': T0 + 5,
                        'agent': 'stq-agent1', 'target': 'STQ'},
                    ])
            call, = Call.search([('call_id', '=', 'c1')])
            self.assertEqual(call.outcome, 'overflowed')
            self.assertEqual(call.antenna.code, 'STQ')
            self.assertEqual(call.routed_antenna.code, 'LAO')
            self.assertEqual([s.result for s in call.steps][:2],
                ['no_answer', 'answered'])

            Call.decide('c2', caller='0611223344', postal_code='80000',
                at=MONDAY)
            Call.ingest_events([
                    {'event': 'ringing', 'call_id': 'c2', 'time': T0 + 2,
                        'agent': 'ami-agent1', 'target': 'AMI'},
                    {'event': 'failed', 'call_id': 'c2', 'time': T0 + 30,
                        'code': 480},
                    ])
            call, = Call.search([('call_id', '=', 'c2')])
            self.assertEqual(call.outcome, 'missed')
            self.assertEqual(call.request.channel, 'phone')
            self.assertEqual(call.request.contact_phone, '+33611223344')
            self.assertTrue(call.request.first_response_due)
            self.assertEqual(call.callback_due,
                call.request.first_response_due)

            # the caller hangs up while it rings: abandoned
            Call.ingest_events([
                    {'event': 'ringing', 'call_id': 'c3', 'time': T0 + 2,
                        'agent': 'ami-agent1'},
                    {'event': 'failed', 'call_id': 'c3', 'time': T0 + 9,
                        'code': 487},
                    ])
            call, = Call.search([('call_id', '=', 'c3')])
            self.assertEqual(call.outcome, 'abandoned')
            self.assertTrue(call.request)

    @with_transaction()
    def test_presence(self):
        "The toggle, the agent's own action and the preferences"
        pool = Pool()
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            fixture = self.setup_phone()
            bob = fixture['bob']
            self.assertEqual(bob.phone_presence, 'away')
            User.toggle_presence([bob])
            self.assertEqual(User(bob.id).phone_presence, 'available')
            self.assertTrue(User(bob.id).phone_presence_at)
            User.toggle_presence([User(bob.id)])
            self.assertEqual(User(bob.id).phone_presence, 'away')
            with Transaction().set_user(bob.id):
                User.set_own_presence('available')
                User.set_preferences({'phone_presence': 'away'})
            self.assertEqual(User(bob.id).phone_presence, 'away')
            # the SIP account is unique
            with self.assertRaises(Exception):
                User.write([bob], {'sip_user': 'ami-agent1'})

    @with_transaction()
    def test_qualify(self):
        "The qualification creates a triaged request through the intake"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Motive = pool.get('gru.inbox.motive')
        Qualify = pool.get('gru.phone.call.qualify', type='wizard')
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            motive, = Motive.create([{'name': "Suivi", 'code': 'SUIVI'}])
            Call.decide('c1', caller='0611223344', postal_code='80000',
                at=MONDAY)
            Call.ingest_events([{'event': 'answered', 'call_id': 'c1',
                        'time': T0 + 5, 'agent': 'ami-agent1',
                        'target': 'AMI'}])
            call, = Call.search([('call_id', '=', 'c1')])
            session_id, _, _ = Qualify.create()
            qualify = Qualify(session_id)
            with Transaction().set_context(active_model='gru.phone.call',
                    active_id=call.id, active_ids=[call.id]):
                defaults = qualify.default_start(None)
                self.assertEqual(defaults['postal_code'], '80000')
                self.assertEqual(defaults['caller'], '+33611223344')
                qualify.start.party = None
                qualify.start.contact_name = "Léa Petit"
                qualify.start.postal_code = '80000'
                qualify.start.continued = None
                qualify.start.motive = motive
                qualify.start.scheme = None
                qualify.start.note = "Demande de suivi du dossier PPE."
                self.assertEqual(qualify.transition_qualify(), 'open_')
            call = Call(call.id)
            request = call.request
            self.assertEqual(request.channel, 'phone')
            self.assertEqual(request.antenna.code, 'AMI')
            self.assertEqual(request.motive, motive)
            self.assertEqual(request.contact_name, "Léa Petit")
            # the triage and the assignment of the intake ran
            self.assertEqual(request.team.name, "Amiens")
            self.assertTrue(request.assignee)
            self.assertTrue(request.first_response_due)
            self.assertEqual(request.messages[0].body,
                "Demande de suivi du dossier PPE.")
            self.assertEqual(call.note, "Demande de suivi du dossier PPE.")

            # the note is immutable once saved, like the message
            with self.assertRaises(CallError):
                Call.write([call], {'note': "Autre chose"})
            with Transaction().set_user(1), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaises(Exception):
                    Message.write(list(request.messages),
                        {'body': "Autre chose"})

    @with_transaction()
    def test_qualify_continues(self):
        "A call about an open request of the usager continues it"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Request = pool.get('gru.inbox.request')
        Qualify = pool.get('gru.phone.call.qualify', type='wizard')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            party = create_usager("Paul Durand", phone='0611223344',
                postal_code='80000')
            open_request = self.new_request(party=party, channel='web',
                contact_email='paul@example.org')
            Call.decide('c1', caller='0611223344', at=MONDAY)
            call, = Call.search([('call_id', '=', 'c1')])
            self.assertEqual(call.party, party)
            self.assertEqual(call.open_requests, (open_request,))
            session_id, _, _ = Qualify.create()
            qualify = Qualify(session_id)
            with Transaction().set_context(active_model='gru.phone.call',
                    active_id=call.id, active_ids=[call.id]):
                defaults = qualify.default_start(None)
                self.assertEqual(defaults['continued'], open_request.id)
                qualify.start.party = party
                qualify.start.contact_name = None
                qualify.start.postal_code = None
                qualify.start.continued = open_request
                qualify.start.motive = None
                qualify.start.scheme = None
                qualify.start.note = "Relance par téléphone."
                qualify.transition_qualify()
            self.assertEqual(Call(call.id).request, open_request)
            self.assertEqual(Request.search_count([]), 1)
            self.assertEqual(Request(open_request.id).messages[-1].body,
                "Relance par téléphone.")

    @with_transaction()
    def test_share_and_drift(self):
        "Measured share per antenna and the drift alert"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Share = pool.get('gru.phone.share')
        Alert = pool.get('gru.phone.share.alert')
        Configuration = pool.get('gru.phone.configuration')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            config = Configuration(1)
            config.drift_minimum_calls = 5
            config.save()
            targets = config.target_shares(MONDAY.date())
            codes = {a.code: a.id for a in pool.get('gru.antenna').search(
                    [])}
            self.assertAlmostEqual(sum(targets.values()), 100.)
            self.assertGreater(targets[codes['AMI']], targets[codes['STQ']])
            Call.ingest_events([{
                        'event': 'answered', 'call_id': 'x%s' % i,
                        'agent': 'stq-agent1', 'target': 'STQ',
                        'time': T0 + i} for i in range(6)])
            with Transaction().set_context(period='week',
                    date=MONDAY.date()):
                shares = {s.antenna.code: s for s in Share.search([])}
                self.assertEqual(shares['STQ'].calls, 6)
                self.assertEqual(shares['STQ'].measured, 100.)
                self.assertEqual(shares['AMI'].measured, 0.)
                self.assertGreater(shares['AMI'].gap, 0)
            alerts = Share.check_drift(MONDAY.date())
            self.assertEqual({a.antenna.code for a in alerts},
                {'AMI', 'STQ'})
            self.assertIn("Antenne d'Amiens", alerts[0].message
                + alerts[1].message)
            # once a day
            self.assertEqual(Share.check_drift(MONDAY.date()), [])
            self.assertEqual(Alert.search_count([]), 2)

            config.share_basis = 'agents'
            config.save()
            targets = config.target_shares(MONDAY.date())
            # AMI: alice and bob have SIP accounts, bob is away
            self.assertEqual(round(targets[codes['AMI']]), 33)

            # every basis is offered, the staff plan needs gru_staff
            bases = dict(Configuration.fields_get(['share_basis'])[
                    'share_basis']['selection'])
            self.assertEqual(set(bases), {'agents', 'population', 'posts'})
            config.share_basis = 'posts'
            if not hasattr(config, '_share_weights_posts'):
                with self.assertRaises(ShareBasisError):
                    config.save()

    @with_transaction()
    def test_record_rules(self):
        "Antenna staff see the calls of their antennas, supervisors all"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            fixture = self.setup_phone()
            officer = ModelData.get_id('gru_inbox',
                'group_information_officer')
            supervisor = ModelData.get_id('gru_inbox', 'group_supervisor')
            User.write([fixture['alice'], fixture['carol']],
                {'groups': [('add', [officer])]})
            User.write([fixture['dave']],
                {'groups': [('add', [supervisor])]})
            Call.decide('ami', postal_code='80000', at=MONDAY)
            Call.decide('stq', postal_code='02100', at=MONDAY)
            ami, = Call.search([('call_id', '=', 'ami')])
            stq, = Call.search([('call_id', '=', 'stq')])
            for user, expected in [
                    (fixture['alice'], {'ami'}),
                    (fixture['carol'], {'stq'}),
                    (fixture['dave'], {'ami', 'stq'}),
                    ]:
                with Transaction().set_user(user.id), \
                        Transaction().set_context(_check_access=True):
                    self.assertEqual(
                        {c.call_id for c in Call.search([])}, expected)
            with Transaction().set_user(fixture['alice'].id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    Call.read([stq.id], ['caller'])

    @with_transaction()
    def test_gdpr(self):
        "The calls are in the usager's export and leave with him"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Party = pool.get('party.party')
        company = create_company()
        with set_company(company):
            self.setup_phone()
            party = create_usager("Paul Durand", phone='0611223344',
                postal_code='80000')
            Call.decide('c1', caller='0611223344', postal_code='80000',
                at=MONDAY)
            call, = Call.search([('call_id', '=', 'c1')])
            Call.write([call], {'note': "Paul a perdu son emploi."})
            data = party.gdpr_data()
            self.assertEqual(data['calls'][0]['caller'], '+33611223344')
            self.assertEqual(data['calls'][0]['note'],
                "Paul a perdu son emploi.")
            # the targets and events follow their call
            self.assertEqual(data['call_targets'][0]['call_id'], 'c1')
            self.assertEqual(data['call_targets'][0]['code'], 'AMI')
            self.assertEqual(data['call_events'], [])
            self.assertLessEqual({'gru.phone.call', 'gru.phone.call.step',
                    'gru.phone.call.event'}, Party.gdpr_models())
            Party.anonymize([party])
            call = Call(call.id)
            self.assertIsNone(call.caller)
            self.assertIsNone(call.note)
            self.assertIsNone(call.party)
            self.assertTrue(call.anonymized)
            self.assertEqual(call.routed_antenna.code, 'AMI')


del ModuleTestCase

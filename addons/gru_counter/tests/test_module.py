# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import doctest
from contextlib import contextmanager

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from gru_contact.tools import normalize_phone
from gru_inbox.tests.test_module import InboxMixin, create_usager

from .. import tools
from ..exceptions import (
    AttendanceContextError, CounterError, PermanenceValidationError,
    WalkInError)

MINUTE = dt.timedelta(minutes=1)


class CounterMixin(InboxMixin):

    def setup_counter(self, company):
        """The inbox fixture, motives, a scheme, a triage rule of the
        counter channel and the counter officers of AMI and STQ"""
        pool = Pool()
        Motive = pool.get('gru.inbox.motive')
        Tag = pool.get('gru.inbox.tag')
        Rule = pool.get('gru.inbox.rule')
        Scheme = pool.get('gru.scheme')
        Theme = pool.get('gru.scheme.theme')
        Directorate = pool.get('gru.scheme.directorate')
        data = self.setup_inbox()
        data['info'], data['follow'] = Motive.create([
                {'name': "Demande d'information", 'code': 'INFO'},
                {'name': "Suivi de dossier", 'code': 'SUIVI'},
                ])
        theme, = Theme.create([{'name': "Mobilité", 'code': 'MOB'}])
        directorate, = Directorate.create([{'name': "DTM", 'code': 'DTM'}])
        data['ppe'], = Scheme.create([{
                    'code': 'PPE', 'name': "Permis pour l'emploi",
                    'theme': theme.id, 'directorate': directorate.id,
                    }])
        data['tag'], = Tag.create([{'name': "Reçu à l'accueil"}])
        # a rule of the counter channel: the intake applies the triage
        Rule.create([{
                    'name': "Indésirables", 'sequence': 1,
                    'sender': '@promo-', 'spam': True,
                    }, {
                    'name': "Accueil physique", 'sequence': 2,
                    'channel': 'counter',
                    'add_tags': [('add', [data['tag'].id])],
                    'set_priority': '2',
                    }])
        data['officer'] = self.new_user(company, 'officer.ami',
            'group_information_officer', [data['ami']])
        data['officer_stq'] = self.new_user(company, 'officer.stq',
            'group_information_officer', [data['stq']])
        return data

    def new_user(self, company, login, group, antennas):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user, = User.create([{
                    'login': login, 'name': login,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [
                                ModelData.get_id('gru_base',
                                    'group_gru_agent'),
                                ModelData.get_id('gru_inbox', group)])],
                    'gru_antennas': [('add', [a.id for a in antennas])],
                    }])
        return user

    @contextmanager
    def as_user(self, user, company):
        "Run as user, with the access rights and rules checked"
        transaction = Transaction()
        with transaction.set_user(user.id), transaction.set_context(
                _check_access=True, company=company.id):
            yield

    def walk_in(self, start, details, visit=None):
        """Run the walk-in as the sao client does: open it, send the first
        step with start (after the search's on_change) and click Next
        (action 1), send the second step with details and click Record
        (action 2). Return the views shown after each action."""
        pool = Pool()
        WalkIn = pool.get('gru.counter.walkin', type='wizard')
        Start = pool.get('gru.counter.walkin.start')
        # the client calls the wizard without access checks
        # (Wizard.__rpc__['execute']): the wizard checks what it must
        context = {'_check_access': False}
        if visit:
            context.update({'active_model': 'gru.counter.visit',
                    'active_id': visit.id, 'active_ids': [visit.id]})
        with Transaction().set_context(**context):
            session_id, state, _ = WalkIn.create()
            opened = WalkIn.execute(session_id, {}, state)
            # without the names the client shows ('antenna.': rec_name)
            values = {k: v for k, v in opened['view']['defaults'].items()
                if '.' not in k}
            values.update(start)
            if 'search' in start:
                # the client calls on_change of the search box
                record = Start(**{k: v for k, v in values.items()
                        if k in Start._fields})
                record.on_change_search()
                for name in ['usager', 'match_reasons', 'new_name',
                        'new_phone', 'new_email', 'new_postal_code']:
                    values.setdefault(name, None)
                    if name not in start:
                        values[name] = getattr(record, name)
            after_next = WalkIn.execute(session_id, {'start': values},
                'identify')
            shown = {k: v for k, v in after_next['view']['defaults'].items()
                if '.' not in k}
            shown.update(details)
            after_record = WalkIn.execute(session_id, {'details': shown},
                'register')
            WalkIn.delete(session_id)
        return opened, after_next, after_record


class GruCounterTestCase(CompanyTestMixin, CounterMixin, ModuleTestCase):
    "Test GRU Counter module"
    module = 'gru_counter'

    def test_doctest_tools(self):
        "The search box and the time helpers"
        failures, _ = doctest.testmod(tools)
        self.assertEqual(failures, 0)

    def test_parse_search(self):
        "The search box gives the matching one evidence"
        self.assertEqual(tools.parse_search('jeanne@example.org')['email'],
            'jeanne@example.org')
        self.assertIsNone(tools.parse_search('jeanne@')['email'])
        self.assertEqual(tools.parse_search('+33 6 12 34 56 78')['phone'],
            '+33 6 12 34 56 78')
        self.assertEqual(tools.parse_search('GRU-2026-000123')['reference'],
            'GRU-2026-000123')
        found = tools.parse_search("Hélène Lefèvre")
        self.assertEqual(found['name'], "Hélène Lefèvre")
        self.assertIsNone(found['postal_code'])

    @with_transaction()
    def test_walkin_existing_usager(self):
        "Walk-in in two actions: a usager found by phone, triaged request"
        pool = Pool()
        Visit = pool.get('gru.counter.visit')
        company = create_company()
        with set_company(company):
            data = self.setup_counter(company)
            jeanne = create_usager("Jeanne Martin",
                email='jeanne.martin@example.org', phone='06 12 34 56 78',
                postal_code='80000')
            with self.as_user(data['officer'], company):
                opened, after_next, after_record = self.walk_in(
                    {'search': '0612345678'}, {
                        'motive': data['info'].id,
                        'scheme': data['ppe'].id,
                        'time_spent': 12,
                        'note': "Conditions du permis pour l'emploi.",
                        'answer': "Dossier à déposer en ligne.",
                        })
            # the agent's antenna by default, and one step to the second
            self.assertEqual(opened['view']['defaults']['antenna'],
                data['ami'].id)
            self.assertEqual(after_next['view']['state'], 'details')
            self.assertEqual(
                after_next['view']['defaults']['usager_name'],
                "Jeanne Martin")
            # the second action ends the wizard
            self.assertNotIn('view', after_record)

            visit, = Visit.search([])
            request = visit.request
            self.assertEqual(visit.state, 'seen')
            self.assertEqual(visit.party, jeanne)
            self.assertEqual(visit.antenna, data['ami'])
            self.assertEqual(visit.time_spent, 12)
            self.assertIsNone(visit.waiting_time)
            self.assertEqual(visit.seen_by, data['officer'])
            self.assertEqual(visit.week, tools.iso_week(visit.arrived_at))
            self.assertEqual(request.channel, 'counter')
            self.assertEqual(request.party, jeanne)
            self.assertEqual(request.antenna, data['ami'])
            self.assertEqual(request.motive, data['info'])
            self.assertEqual(request.scheme, data['ppe'])
            # the triage rule of the counter channel was applied
            self.assertIn(data['tag'], request.tags)
            self.assertEqual(request.priority, '2')
            self.assertIn("Accueil physique", request.triage_log)
            # the assignment of the intake ran too (to the antenna's team
            # or, out of its hours, to the teams after it)
            self.assertTrue(request.team)
            self.assertIn(data['team_ami'].name, request.assignment_log)
            # the answer given at the counter is recorded
            self.assertEqual(request.state, 'answered')
            self.assertEqual([(m.direction, m.channel, m.body)
                    for m in request.messages], [
                    ('in', 'counter', "Conditions du permis pour l'emploi."),
                    ('out', 'counter', "Dossier à déposer en ligne."),
                    ])
            self.assertEqual(request.messages[0].date, request.received_at)
            self.assertEqual(request.origin_address, data['ami'].name)

    @with_transaction()
    def test_walkin_new_usager(self):
        "Walk-in of an unknown usager creates him with his contact data"
        pool = Pool()
        Party = pool.get('party.party')
        Visit = pool.get('gru.counter.visit')
        company = create_company()
        with set_company(company):
            data = self.setup_counter(company)
            before = Party.search([], count=True)
            with self.as_user(data['officer'], company):
                _, after_next, _ = self.walk_in({
                        'search': "Paul Durand",
                        'new_phone': '06 98 76 54 32',
                        'new_postal_code': '02100',
                        }, {
                        'motive': data['follow'].id,
                        'time_spent': 5,
                        })
            self.assertEqual(after_next['view']['defaults']['usager_name'],
                "Paul Durand")
            self.assertEqual(Party.search([], count=True), before + 1)
            paul, = Party.search([('name', '=', "Paul Durand")])
            self.assertEqual(normalize_phone(paul.phone), '+33698765432')
            # his antenna of attachment is routed from his postal code
            self.assertEqual(paul.antenna, data['stq'])
            visit, = Visit.search([])
            self.assertEqual(visit.party, paul)
            # the request is the counter's, where he was received
            self.assertEqual(visit.request.antenna, data['ami'])
            self.assertEqual(visit.request.party, paul)
            self.assertEqual(visit.request.state, 'new')
            self.assertEqual(visit.request.messages[0].body,
                "Suivi de dossier")

            # he comes back: his phone finds him, no second usager
            with self.as_user(data['officer'], company):
                self.walk_in({'search': '0698765432'}, {
                        'motive': data['info'].id, 'time_spent': 3})
            self.assertEqual(Party.search([], count=True), before + 1)
            self.assertEqual(
                [v.party for v in Visit.search([])], [paul, paul])

            # a new usager typed with the phone of a known one is him
            with self.as_user(data['officer'], company):
                self.walk_in({
                        'search': "P. Durand",
                        'new_phone': '+33 6 98 76 54 32',
                        }, {'motive': data['info'].id, 'time_spent': 3})
            self.assertEqual(Party.search([], count=True), before + 1)

    @with_transaction()
    def test_walkin_refusals(self):
        "The walk-in refuses what it cannot record, with a message"
        pool = Pool()
        Visit = pool.get('gru.counter.visit')
        company = create_company()
        with set_company(company):
            data = self.setup_counter(company)
            jeanne = create_usager("Jeanne Martin",
                email='jeanne.martin@example.org', postal_code='80000')
            details = {'motive': data['info'].id, 'time_spent': 4}
            with self.as_user(data['officer'], company):
                # nobody chosen nor typed
                with self.assertRaises(WalkInError):
                    self.walk_in({'search': ''}, details)
                # a malformed phone of the new usager
                with self.assertRaises(WalkInError):
                    self.walk_in({'search': 'Paul Durand',
                            'new_phone': '12'}, details)
                # a usager the search did not propose
                with self.assertRaises(WalkInError):
                    self.walk_in({'search': 'Paul Durand',
                            'usager': str(jeanne.id)}, details)
                # another antenna than the agent's
                with self.assertRaises(CounterError):
                    self.walk_in({'search': 'jeanne.martin@example.org',
                            'antenna': data['stq'].id}, details)
                # no time spent
                with self.assertRaises(WalkInError):
                    self.walk_in({'search': 'jeanne.martin@example.org'},
                        dict(details, time_spent=0))
            self.assertEqual(Visit.search([], count=True), 0)

    @with_transaction()
    def test_waiting_list(self):
        "The waiting list: arrived, called, seen or left, and their times"
        pool = Pool()
        Visit = pool.get('gru.counter.visit')
        company = create_company()
        with set_company(company):
            data = self.setup_counter(company)
            jeanne = create_usager("Jeanne Martin",
                email='jeanne.martin@example.org', postal_code='80000')
            now = dt.datetime.now().replace(microsecond=0)
            with self.as_user(data['officer'], company):
                first, second, third = Visit.create([{
                            'name': "Jeanne Martin",
                            'arrived_at': now - 25 * MINUTE,
                            'motive': data['info'].id,
                            }, {
                            'name': "Monsieur Leroy",
                            'arrived_at': now - 40 * MINUTE,
                            }, {
                            'name': "Madame Caron",
                            'arrived_at': now - 10 * MINUTE,
                            }])
                # the agent's antenna by default, today's date and week
                self.assertEqual(first.antenna, data['ami'])
                self.assertEqual(first.state, 'arrived')
                self.assertEqual(first.date, (now - 25 * MINUTE).date())
                self.assertIn(first.waiting, {25, 26})
                self.assertEqual(
                    Visit.search([('in_my_antennas', '=', True)]),
                    [second, first, third])

                Visit.call([first])
                self.assertEqual(first.state, 'called')
                self.assertIn(first.waiting_time, {25, 26})
                self.assertEqual(first.waiting, first.waiting_time)
                self.assertEqual(first.seen_by, data['officer'])

                # the usager is received: the walk-in proposes the name
                # given, the agent chooses her
                opened, _, _ = self.walk_in(
                    {'usager': str(jeanne.id)},
                    {'time_spent': 20}, visit=first)
                defaults = opened['view']['defaults']
                self.assertEqual(defaults['visit'], first.id)
                self.assertEqual(defaults['search'], "Jeanne Martin")
                self.assertIn(str(jeanne.id), dict(Pool().get(
                            'gru.counter.walkin.start')(
                            search=defaults['search'],
                            visit_party=None).get_usagers()))
                first = Visit(first.id)
                self.assertEqual(first.state, 'seen')
                self.assertEqual(first.party, jeanne)
                self.assertEqual(first.time_spent, 20)
                self.assertEqual(first.request.motive, data['info'])
                self.assertEqual(first.request.received_at, first.arrived_at)
                self.assertTrue(first.ended_at >= first.called_at)
                # a seen visit is not received twice
                with self.assertRaises(WalkInError):
                    self.walk_in({'usager': str(jeanne.id)},
                        {'time_spent': 5}, visit=first)

                # left before being called
                Visit.leave([second])
                self.assertEqual(second.state, 'left')
                self.assertIn(second.waiting_time, {40, 41})
                self.assertTrue(second.ended_at)
                # back: he was in the corridor
                Visit.wait([second])
                self.assertEqual(second.state, 'arrived')
                self.assertIsNone(second.ended_at)
                self.assertIsNone(second.waiting_time)

                # received without being called: the time spent tells
                # when the agent started
                self.walk_in({'search': "Madame Caron"},
                    {'motive': data['info'].id, 'time_spent': 4},
                    visit=third)
                third = Visit(third.id)
                self.assertEqual(third.state, 'seen')
                self.assertEqual(third.called_at,
                    third.ended_at - 4 * MINUTE)
                self.assertIn(third.waiting_time, {5, 6, 7})

            # only a waiting visit without request may be deleted
            with self.assertRaises(CounterError):
                Visit.delete([first])
            Visit.delete([second])

    @with_transaction()
    def test_permanence(self):
        "A permanence: dates, agents, visits received there"
        pool = Pool()
        Permanence = pool.get('gru.counter.permanence')
        Visit = pool.get('gru.counter.visit')
        Commune = pool.get('gru.commune')
        company = create_company()
        with set_company(company):
            data = self.setup_counter(company)
            commune = Commune.search([], limit=1)[0]
            now = dt.datetime.now().replace(microsecond=0)
            with self.assertRaises(PermanenceValidationError):
                Permanence.create([{
                            'antenna': data['ami'].id,
                            'place': "France Services",
                            'start': now, 'end': now - MINUTE,
                            }])
            permanence, = Permanence.create([{
                        'antenna': data['ami'].id,
                        'kind': 'off_site',
                        'place': "Forum de l'emploi",
                        'commune': commune.id,
                        'start': now - 60 * MINUTE,
                        'end': now + 60 * MINUTE,
                        'agents': [('add', [data['officer'].id])],
                        }])
            self.assertEqual(Permanence.current(data['ami'], now),
                permanence)
            self.assertEqual(Permanence.current(data['ami'], now,
                    user=data['alice'].id), None)
            self.assertEqual(Permanence.current(data['stq'], now), None)
            with self.as_user(data['officer'], company):
                # the walk-in of an agent of the permanence is there
                opened, _, _ = self.walk_in(
                    {'search': "Paul Durand"},
                    {'motive': data['info'].id, 'time_spent': 6})
                self.assertEqual(opened['view']['defaults']['permanence'],
                    permanence.id)
            visit, = Visit.search([])
            self.assertEqual(visit.permanence, permanence)
            self.assertEqual(visit.request.origin_address,
                "Forum de l'emploi")
            self.assertEqual(permanence.visit_count, 1)
            # a permanence of another antenna is refused
            other, = Permanence.create([{
                        'antenna': data['stq'].id,
                        'place': "Mairie de Saint-Quentin",
                        'start': now - 60 * MINUTE,
                        'end': now + 60 * MINUTE,
                        }])
            with self.as_user(data['officer'], company):
                with self.assertRaises(WalkInError):
                    self.walk_in(
                        {'search': "Paul Durand", 'permanence': other.id},
                        {'motive': data['info'].id, 'time_spent': 6})

    def create_visits(self, data, monday):
        "Visits of two weeks at AMI and STQ, one at a permanence"
        pool = Pool()
        Visit = pool.get('gru.counter.visit')
        Permanence = pool.get('gru.counter.permanence')
        permanence, = Permanence.create([{
                    'antenna': data['ami'].id, 'place': "France Services",
                    'start': monday + dt.timedelta(hours=9),
                    'end': monday + dt.timedelta(hours=12),
                    }])
        specs = [
            # antenna, day, state, waiting, time spent, permanence
            ('ami', 0, 'seen', 10, 15, True),
            ('ami', 0, 'seen', 20, 5, True),
            ('ami', 1, 'left', 30, None, False),
            ('ami', 7, 'seen', 4, 30, False),
            ('ami', 8, 'arrived', None, None, False),
            ('stq', 0, 'seen', 0, 10, False),
            ('stq', 9, 'called', 12, None, False),
            ]
        values = []
        for code, day, state, waiting, spent, at_permanence in specs:
            arrived = monday + dt.timedelta(days=day, hours=10)
            values.append({
                    'antenna': data[code].id,
                    'arrived_at': arrived,
                    'name': "Usager %s %d" % (code, day),
                    'state': state,
                    'waiting_time': waiting,
                    'time_spent': spent,
                    'permanence': permanence.id if at_permanence else None,
                    })
        return Visit.create(values), permanence

    @with_transaction()
    def test_attendance(self):
        "Attendance per antenna, permanence and ISO week"
        pool = Pool()
        Attendance = pool.get('gru.counter.attendance')
        company = create_company()
        with set_company(company):
            data = self.setup_counter(company)
            monday = dt.datetime(2026, 11, 23)
            visits, permanence = self.create_visits(data, monday)
            period = {'from_date': monday.date(),
                'to_date': monday.date() + dt.timedelta(days=13)}

            def rows(dimensions, **context):
                with Transaction().set_context(
                        gru_attendance_dimensions=dimensions,
                        **dict(period, **context)):
                    records = Attendance.search([])
                    return {tuple(getattr(r, d) for d in dimensions): (
                            r.visits, r.seen, r.left_unseen, r.waiting,
                            r.average_waiting, r.average_time_spent)
                        for r in records}

            self.assertEqual(rows(['antenna']), {
                    (data['ami'],): (5, 3, 1, 1, 16.0, 50 / 3),
                    (data['stq'],): (2, 1, 0, 1, 6.0, 10.0),
                    })
            self.assertEqual(rows(['week']), {
                    ('2026-W48',): (4, 3, 1, 0, 15.0, 10.0),
                    ('2026-W49',): (3, 1, 0, 2, 8.0, 30.0),
                    })
            self.assertEqual(rows(['permanence']), {
                    (permanence,): (2, 2, 0, 0, 15.0, 10.0),
                    (None,): (5, 2, 1, 2, 11.5, 20.0),
                    })
            self.assertEqual(rows(['week', 'antenna'],
                    antenna=data['stq'].id), {
                    ('2026-W48', data['stq']): (1, 1, 0, 0, 0.0, 10.0),
                    ('2026-W49', data['stq']): (1, 0, 0, 1, 12.0, None),
                    })
            # the period bounds the days counted
            self.assertEqual(rows(['antenna'], to_date=monday.date()), {
                    (data['ami'],): (2, 2, 0, 0, 15.0, 10.0),
                    (data['stq'],): (1, 1, 0, 0, 0.0, 10.0),
                    })
            with Transaction().set_context(from_date='lundi'):
                with self.assertRaises(AttendanceContextError):
                    Attendance.period()

    @with_transaction()
    def test_record_rules(self):
        "The visits of an antenna are its staff's; supervisors see all"
        pool = Pool()
        Visit = pool.get('gru.counter.visit')
        Attendance = pool.get('gru.counter.attendance')
        Permanence = pool.get('gru.counter.permanence')
        company = create_company()
        with set_company(company):
            data = self.setup_counter(company)
            monday = dt.datetime(2026, 11, 23)
            visits, permanence = self.create_visits(data, monday)
            ami = [v for v in visits if v.antenna == data['ami']]
            stq = [v for v in visits if v.antenna == data['stq']]
            manager = self.new_user(company, 'manager.stq',
                'group_antenna_manager', [data['stq']])
            supervisor = self.new_user(company, 'supervisor',
                'group_supervisor', [])
            instructor = self.new_user(company, 'instructor',
                'group_instructor', [])
            context = {'gru_attendance_dimensions': ['antenna'],
                'from_date': monday.date(),
                'to_date': monday.date() + dt.timedelta(days=13)}
            for user, expected in [
                    (data['officer'], ami),
                    (data['officer_stq'], stq),
                    (manager, stq),
                    (supervisor, visits),
                    (instructor, []),
                    ]:
                with self.as_user(user, company):
                    self.assertEqual(
                        sorted(Visit.search([])), sorted(expected),
                        user.login)
                    if user in {manager, supervisor}:
                        with Transaction().set_context(**context):
                            counted = {r.antenna: r.visits
                                for r in Attendance.search([])}
                        self.assertEqual(sum(counted.values()),
                            len(expected))
            with self.as_user(data['officer'], company):
                # another antenna's visit cannot be read, written nor
                # created
                with self.assertRaises(AccessError):
                    Visit.read([stq[0].id], ['name'])
                with self.assertRaises(AccessError):
                    Visit.write([stq[0]], {'name': "X"})
                with self.assertRaises(AccessError):
                    Visit.create([{'antenna': data['stq'].id,
                                'name': "X"}])
                # the officer reads the planning but does not change it
                self.assertEqual(Permanence.search([]), [permanence])
                with self.assertRaises(AccessError):
                    Permanence.write([permanence], {'place': "X"})
                # officers have no attendance
                with self.assertRaises(AccessError):
                    Attendance.search([])
            with self.as_user(manager, company):
                # a manager plans the permanences of his antennas only
                with self.assertRaises(AccessError):
                    Permanence.write([permanence], {'place': "X"})
                mine, = Permanence.create([{
                            'antenna': data['stq'].id,
                            'place': "Mairie de Saint-Quentin",
                            'start': monday, 'end': monday + MINUTE * 60,
                            }])
                Permanence.write([mine], {'place': "Mairie"})

    @with_transaction()
    def test_gdpr(self):
        "The visits are in the usager's export and lose the name given"
        pool = Pool()
        Party = pool.get('party.party')
        Visit = pool.get('gru.counter.visit')
        company = create_company()
        with set_company(company):
            data = self.setup_counter(company)
            jeanne = create_usager("Jeanne Martin",
                email='jeanne.martin@example.org', postal_code='80000')
            self.assertIn('gru.counter.visit', Party.gdpr_models())
            now = dt.datetime.now().replace(microsecond=0)
            left, = Visit.create([{
                        'antenna': data['ami'].id, 'party': jeanne.id,
                        'name': "Jeanne M.",
                        'arrived_at': now - 30 * MINUTE,
                        }])
            Visit.leave([left])
            with self.as_user(data['officer'], company):
                self.walk_in({'search': 'jeanne.martin@example.org'},
                    {'motive': data['info'].id, 'time_spent': 8})
            seen, = Visit.search([('state', '=', 'seen')])
            rows = Party(jeanne.id).gdpr_data()['visits']
            self.assertEqual([r['name'] for r in rows],
                ["Jeanne M.", "Jeanne Martin"])
            self.assertEqual(rows[1]['request'], seen.request.reference)
            self.assertEqual(rows[1]['time_spent'], 8)

            Party.anonymize([jeanne])
            for visit in Visit.browse([left.id, seen.id]):
                self.assertIsNone(visit.name)
                # the attendance keeps what it counts
                self.assertEqual(visit.antenna, data['ami'])
            self.assertIsNotNone(Visit(seen.id).time_spent)


del ModuleTestCase

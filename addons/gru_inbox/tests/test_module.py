# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import io
import re
import zipfile

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from gru_inbox.exceptions import IntakeError, RequestError
from gru_inbox.export import export_labels, requests_xlsx
from gru_inbox.reporting import DIMENSIONS
from gru_inbox.routes import parse_intake
from gru_territory.tests.test_module import setup_fixture_plan

MONDAY = dt.datetime(2026, 11, 23, 10, 0)


def create_usager(name, email=None, phone=None, postal_code=None):
    Party = Pool().get('party.party')
    mechanisms = []
    if email:
        mechanisms.append({'type': 'email', 'value': email})
    if phone:
        mechanisms.append({'type': 'mobile', 'value': phone})
    addresses = [{'postal_code': postal_code}] if postal_code else []
    party, = Party.create([{
                'name': name,
                'contact_mechanisms': [('create', mechanisms)],
                'addresses': [('create', addresses)],
                }])
    return party


def create_users(*logins):
    User = Pool().get('res.user')
    return User.create([{'login': l, 'name': l.title()} for l in logins])


class InboxMixin:

    def setup_inbox(self):
        "Company, territory fixture, teams of AMI and STQ and a mobile team"
        pool = Pool()
        Team = pool.get('gru.inbox.team')
        Configuration = pool.get('gru.inbox.configuration')
        Antenna = pool.get('gru.antenna')
        plan, (ami, stq, lao, sia) = setup_fixture_plan()
        # Laon shares the manager of Saint-Quentin
        Antenna.write([lao], {'manager_shared_with': stq.id})
        alice, bob, carol, dave = create_users('alice', 'bob', 'carol',
            'dave')
        team_ami, team_stq, mobile = Team.create([{
                    'name': "Amiens", 'antenna': ami.id,
                    'members': [('add', [alice.id, bob.id])],
                    }, {
                    'name': "Saint-Quentin", 'antenna': stq.id,
                    'members': [('add', [carol.id])],
                    }, {
                    'name': "Équipe mobile", 'kind': 'mobile',
                    'members': [('add', [dave.id])],
                    }])
        config = Configuration(1)
        config.mobile_team = mobile
        config.save()
        return {
            'ami': ami, 'stq': stq, 'lao': lao, 'sia': sia,
            'alice': alice, 'bob': bob, 'carol': carol, 'dave': dave,
            'team_ami': team_ami, 'team_stq': team_stq, 'mobile': mobile,
            }

    def new_request(self, **values):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        values.setdefault('channel', 'web')
        values.setdefault('received_at', MONDAY)
        values.setdefault('subject', "Question")
        message = {'body': values.pop('body', "Bonjour"),
            'date': values['received_at']}
        return Request.intake(values, message=message)


class GruInboxTestCase(CompanyTestMixin, InboxMixin, ModuleTestCase):
    "Test GRU Inbox module"
    module = 'gru_inbox'

    @with_transaction()
    def test_intake_matches_and_routes(self):
        "Intake matches the usager and routes the antenna"
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            party = create_usager("Jeanne Martin",
                email='jeanne.martin@example.org', postal_code='80000')
            request = self.new_request(
                contact_email='  JEANNE.Martin@Example.org ')
            self.assertEqual(request.party, party)
            self.assertEqual(request.antenna.code, 'AMI')
            self.assertRegex(request.reference, r'^GRU-\d{4}-\d{6}$')
            self.assertEqual(len(request.messages), 1)
            self.assertEqual(request.messages[0].direction, 'in')

            unknown = self.new_request(
                contact_email='nobody@example.org',
                contact_postal_code='2100')
            self.assertFalse(unknown.party)
            self.assertEqual(unknown.antenna.code, 'STQ')
            self.assertIn('Saint-Quentin', unknown.antenna_reason)

            # one click creates the usager from the captured data
            Request = Pool().get('gru.inbox.request')
            Request.create_usager([unknown])
            self.assertTrue(unknown.party)
            self.assertEqual(unknown.party.email, 'nobody@example.org')

    @with_transaction()
    def test_workflow(self):
        "Test every state transition and the reopening by a new message"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            request = self.new_request(contact_email='a@example.org',
                contact_postal_code='80000')
            self.assertEqual(request.state, 'new')
            Request.qualify([request])
            self.assertEqual(request.state, 'qualified')
            Request.process([request])
            self.assertEqual(request.state, 'in_progress')
            Request.wait([request])
            self.assertEqual(request.state, 'waiting')
            # the usager answers: back in progress
            Message.create([{'request': request.id, 'direction': 'in',
                        'channel': 'web', 'body': "Voici"}])
            self.assertEqual(request.state, 'in_progress')
            Message.create([{'request': request.id, 'direction': 'out',
                        'channel': 'web', 'body': "Merci"}])
            self.assertTrue(request.first_response_at)
            Request.answer([request])
            self.assertEqual(request.state, 'answered')
            self.assertTrue(request.answered_at)
            Request.close([request])
            self.assertEqual(request.state, 'closed')
            self.assertTrue(request.closed_at)
            # a new incoming message reopens a closed request
            Message.create([{'request': request.id, 'direction': 'in',
                        'channel': 'web', 'body': "Encore une question"}])
            self.assertEqual(request.state, 'in_progress')
            self.assertFalse(request.closed_at)
            Request.answer([request])
            Request.reopen([request])
            self.assertEqual(request.state, 'in_progress')

            # cancel as spam, reset to new
            spam = self.new_request(contact_email='spam@example.org')
            Request.do_cancel([spam], 'spam')
            self.assertEqual(spam.state, 'cancelled')
            self.assertEqual(spam.cancel_reason, 'spam')
            Request.draft([spam])
            self.assertEqual(spam.state, 'new')

            # qualifying needs an antenna
            lost = self.new_request(contact_email='lost@example.org')
            self.assertFalse(lost.antenna)
            with self.assertRaises(RequestError):
                Request.qualify([lost])

    @with_transaction()
    def test_merge_duplicate(self):
        "Merging keeps the messages and links the duplicate"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            first = self.new_request(contact_email='x@example.org',
                body="Premier")
            second = self.new_request(contact_email='x@example.org',
                body="Second")
            message, = second.messages
            Request.merge_into([second], first)
            self.assertEqual(second.state, 'cancelled')
            self.assertEqual(second.cancel_reason, 'duplicate')
            self.assertEqual(second.duplicate_of, first)
            self.assertEqual(list(first.duplicates), [second])
            self.assertEqual(len(first.messages), 2)
            message = message.__class__(message.id)
            self.assertEqual(message.request, first)
            self.assertEqual(message.original_request, second)

    @with_transaction()
    def test_triage_rules(self):
        "Rules match in order, explain why and apply their actions"
        pool = Pool()
        Rule = pool.get('gru.inbox.rule')
        Tag = pool.get('gru.inbox.tag')
        Configuration = pool.get('gru.inbox.configuration')
        Motive = pool.get('gru.inbox.motive')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            urgent, = Tag.create([{'name': "Urgent"}])
            complaint, = Motive.create([{'name': "Réclamation",
                        'code': 'complaint'}])
            Rule.create([{
                        'name': "Spam", 'sequence': 1,
                        'subject_keywords': 'viagra, casino',
                        'spam': True,
                        }, {
                        'name': "Réclamations", 'sequence': 2,
                        'body_keywords': 'reclamation, plainte',
                        'set_priority': '2', 'set_motive': complaint.id,
                        'add_tags': [('add', [urgent.id])],
                        }, {
                        'name': "Aisne", 'sequence': 3,
                        'postal_code_prefixes': '02',
                        'set_team': data['team_stq'].id,
                        }])
            request = self.new_request(contact_email='a@example.org',
                contact_postal_code='02100',
                body="Je dépose une RÉCLAMATION")
            self.assertEqual(request.priority, '2')
            self.assertEqual(request.motive, complaint)
            self.assertEqual(list(request.tags), [urgent])
            self.assertIn('"Réclamations"', request.triage_log)
            self.assertIn('reclamation', request.triage_log)
            # first match only by default: the Aisne rule did not fire
            self.assertNotIn('"Aisne"', request.triage_log)

            config = Configuration(1)
            config.rule_mode = 'all'
            config.save()
            request = self.new_request(contact_email='b@example.org',
                contact_postal_code='02100', body="Une plainte")
            self.assertIn('"Réclamations"', request.triage_log)
            self.assertIn('"Aisne"', request.triage_log)
            self.assertEqual(request.team, data['team_stq'])

            spam = self.new_request(contact_email='c@example.org',
                subject="Casino gratuit")
            self.assertEqual(spam.state, 'cancelled')
            self.assertEqual(spam.cancel_reason, 'spam')
            self.assertFalse(spam.assignee)

            nothing = self.new_request(contact_email='d@example.org',
                contact_postal_code='80000', body="Bonjour")
            self.assertEqual(nothing.triage_log, "No triage rule matched.")

    @with_transaction()
    def test_rule_match_mode(self):
        "A rule matches when all its conditions are met, or any of them"
        pool = Pool()
        Rule = pool.get('gru.inbox.rule')
        Request = pool.get('gru.inbox.request')
        rule_all, rule_any, empty = Rule.create([{
                    'name': "All",
                    'subject_keywords': 'permis',
                    'postal_code_prefixes': '02',
                    }, {
                    'name': "Any", 'match_mode': 'any',
                    'subject_keywords': 'permis',
                    'postal_code_prefixes': '02',
                    }, {
                    'name': "Empty", 'match_mode': 'any',
                    }])
        self.assertEqual(rule_all.match_mode, 'all')
        both = Request(subject="Aide au permis",
            contact_postal_code='02100')
        one = Request(subject="Aide au permis",
            contact_postal_code='80000')
        none = Request(subject="Bonjour", contact_postal_code='80000')

        matched, reasons = rule_all.match(both)
        self.assertTrue(matched)
        self.assertEqual(len(reasons), 2)
        self.assertEqual(rule_all.match(one), (False, []))
        self.assertEqual(rule_all.match(none), (False, []))

        self.assertEqual(len(rule_any.match(both)[1]), 2)
        matched, reasons = rule_any.match(one)
        self.assertTrue(matched)
        self.assertEqual(len(reasons), 1)
        self.assertIn('permis', reasons[0])
        self.assertEqual(rule_any.match(none), (False, []))

        # a rule without condition always applies, whatever its mode
        self.assertTrue(empty.match(none)[0])

        # the triage log of an evaluation names the rule fired by 'any'
        lines, spam = Rule.evaluate(one, rules=[rule_all, rule_any])
        self.assertEqual(len(lines), 1)
        self.assertIn('"Any"', lines[0])
        self.assertFalse(spam)

    @with_transaction()
    def test_rule_invalid_postal_code(self):
        "A rule with a malformed postal code is rejected"
        pool = Pool()
        Rule = pool.get('gru.inbox.rule')
        from trytond.model.exceptions import ValidationError
        with self.assertRaises(ValidationError):
            Rule.create([{'name': "Bad", 'postal_code_prefixes': '80A'}])

    @with_transaction()
    def test_assignment(self):
        "Round robin, least loaded, absences, working hours and overflow"
        pool = Pool()
        Team = pool.get('gru.inbox.team')
        Absence = pool.get('gru.inbox.absence')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            alice, bob = data['alice'], data['bob']
            # round robin alternates in the antenna's team
            assignees = [self.new_request(contact_email='%d@example.org' % i,
                    contact_postal_code='80000').assignee
                for i in range(4)]
            self.assertEqual(assignees, [alice, bob, alice, bob])

            # least loaded goes to whom has fewer open requests
            Team.write([data['team_ami']], {'strategy': 'least_loaded'})
            extra = self.new_request(contact_email='e@example.org',
                contact_postal_code='80000')
            self.assertIn(extra.assignee, [alice, bob])
            loads = Team.open_loads([alice, bob])
            self.assertLessEqual(abs(loads[alice.id] - loads[bob.id]), 1)

            # an absent agent is skipped
            Absence.create([{'user': alice.id,
                        'start': MONDAY - dt.timedelta(hours=1),
                        'end': MONDAY + dt.timedelta(days=2)}])
            request = self.new_request(contact_email='f@example.org',
                contact_postal_code='80000')
            self.assertEqual(request.assignee, bob)
            # outside working hours nobody of the antenna is available:
            # the request overflows to the mobile team, who works late
            User.write([data['dave']], {'work_end': dt.time(20, 0)})
            evening = self.new_request(contact_email='g@example.org',
                contact_postal_code='80000',
                received_at=MONDAY.replace(hour=19))
            Request = pool.get('gru.inbox.request')
            evening.assignee = None
            evening.team = None
            Team.assign(evening, at=MONDAY.replace(hour=19))
            self.assertEqual(evening.assignee, data['dave'])
            self.assertEqual(evening.team, data['mobile'])
            self.assertIn('mobile', evening.assignment_log)

            # Laon has no team: overflow to Saint-Quentin sharing its
            # manager
            laon = Request(channel='other', received_at=MONDAY,
                antenna=data['lao'], company=company, team=None,
                assignee=None, assignment_log=None)
            Team.assign(laon, at=MONDAY)
            self.assertEqual(laon.team, data['team_stq'])
            self.assertEqual(laon.assignee, data['carol'])

            # nobody available anywhere: queued in the mobile team
            sunday = MONDAY - dt.timedelta(days=1)
            queued = Request(channel='other', received_at=sunday,
                antenna=data['ami'], company=company, team=None,
                assignee=None, assignment_log=None)
            Team.assign(queued, at=sunday)
            self.assertFalse(queued.assignee)
            self.assertEqual(queued.team, data['mobile'])
            self.assertIn('queue', queued.assignment_log)

    @with_transaction()
    def test_antenna_balance(self):
        "The spread of requests across antennas is measured"
        pool = Pool()
        Team = pool.get('gru.inbox.team')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            for i in range(3):
                self.new_request(contact_email='%d@example.org' % i,
                    contact_postal_code='80000')
            self.new_request(contact_email='z@example.org',
                contact_postal_code='02100')
            balance = Team.antenna_balance(MONDAY.date(), MONDAY.date())
            rows = {r['code']: r for r in balance['antennas']}
            self.assertEqual(rows['AMI']['requests'], 3)
            self.assertEqual(rows['STQ']['requests'], 1)
            self.assertEqual(rows['LAO']['requests'], 0)
            self.assertGreater(balance['coefficient_of_variation'], 0)

    @with_transaction()
    def test_intake_validation(self):
        "The intake data is validated field by field"
        for data, field in [
                ([], None),
                ({'body': "x", 'email': 'not-an-email'}, 'email'),
                ({'body': "x", 'phone': '12'}, 'phone'),
                ({'body': "x", 'email': 'a@b.fr', 'postal_code': 'ABCDE'},
                    'postal_code'),
                ({'email': 'a@b.fr'}, 'body'),
                ({'body': "x"}, 'email'),
                ({'body': "x", 'email': 'a@b.fr', 'channel': 'fax'},
                    'channel'),
                ({'body': "x", 'email': 'a@b.fr', 'foo': '1'}, 'foo'),
                ({'body': "x", 'email': 'a@b.fr', 'received_at': 'hier'},
                    'received_at'),
                # far dates with an offset would overflow in UTC
                ({'body': "x", 'email': 'a@b.fr',
                    'received_at': '9999-12-31T23:00:00-05:00'},
                    'received_at'),
                ({'body': "x", 'email': 'a@b.fr',
                    'received_at': '0001-01-01T01:00:00+05:00'},
                    'received_at'),
                ({'body': "x", 'email': 'a@b.fr',
                    'received_at': '1899-12-31T23:00:00'},
                    'received_at'),
                ({'body': 1, 'email': 'a@b.fr'}, 'body'),
                ]:
            with self.assertRaises(IntakeError) as cm:
                parse_intake(data)
            self.assertEqual(cm.exception.field, field, data)
        values, message = parse_intake({
                'body': "Bonjour", 'email': 'a@b.fr',
                'phone': '06 12 34 56 78',
                'postal_code': '2100', 'channel': 'web'})
        self.assertEqual(values['contact_postal_code'], '02100')
        self.assertEqual(message['body'], "Bonjour")
        values, _ = parse_intake({
                'body': "Bonjour", 'email': 'a@b.fr',
                'received_at': '2026-03-02T10:00:00+01:00'})
        self.assertEqual(values['received_at'], dt.datetime(2026, 3, 2, 9))

    @with_transaction()
    def test_export_xlsx(self):
        "The xlsx export has a row per request and the totals"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            for i in range(5):
                self.new_request(contact_email='%d@example.org' % i,
                    contact_postal_code='80000' if i < 3 else '02100',
                    channel='web' if i % 2 else 'other')
            requests = Request.search([])
            data = requests_xlsx(requests, export_labels())
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                sheet1 = archive.read('xl/worksheets/sheet1.xml').decode()
                sheet2 = archive.read('xl/worksheets/sheet2.xml').decode()
                strings = archive.read('xl/sharedStrings.xml').decode()
            self.assertIn('xl/charts/chart1.xml', names)
            # a header row and one row per request
            self.assertEqual(len(re.findall(r'<row ', sheet1)), 6)
            # the grand total is the number of requests
            self.assertIn('<v>5</v>', sheet2)
            self.assertIn('Total', strings)

    def setup_volumes(self):
        """Requests of AMI and STQ by channel and scheme over 14 months;
        return (data of setup_inbox, the requests)"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Date = pool.get('ir.date')
        Scheme = pool.get('gru.scheme')
        Theme = pool.get('gru.scheme.theme')
        Directorate = pool.get('gru.scheme.directorate')
        data = self.setup_inbox()
        theme, = Theme.create([{'name': "Mobilité", 'code': 'MOB'}])
        directorate, = Directorate.create([{'name': "DTM", 'code': 'DTM'}])
        data['schemes'] = Scheme.create([{
                    'code': code, 'name': code, 'theme': theme.id,
                    'directorate': directorate.id,
                    } for code in ['PASS', 'AIDE']])
        today = Date.today()

        def months_ago(n, day=1):
            year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
            return dt.datetime(year, month + 1, day, 9, 30)
        dates = [
            dt.datetime.combine(today, dt.time.min),
            months_ago(1, 28), months_ago(1, 1),
            months_ago(11, 1),  # the first day of the default period
            months_ago(12, 28),  # just before
            months_ago(13, 5),
            ]
        channels = ['web', 'other', 'other', 'web', 'other']
        values = []
        for i, date in enumerate(dates):
            for j in range(i + 2):
                values.append({
                        'channel': channels[(i + j) % len(channels)],
                        'received_at': date + dt.timedelta(minutes=j),
                        'subject': "Demande %d-%d" % (i, j),
                        'antenna': (data['ami'] if j % 3 else data['stq']).id,
                        'scheme': data['schemes'][j % 2].id if j % 4 else None,
                        })
        return data, Request.create(values)

    def volumes(self, dimensions, **context):
        "Return the volumes as the client reads them: search then read"
        Volume = Pool().get('gru.inbox.request.volume')
        names = DIMENSIONS + ['count'] + [
            n for n, _ in Volume.channel_counts()]
        with Transaction().set_context(
                gru_volume_dimensions=dimensions, **context):
            volumes = Volume.search([])
            rows = Volume.read([v.id for v in volumes], names)
            # the ids found are read back, and unique
            self.assertEqual(sorted(r['id'] for r in rows),
                sorted({v.id for v in volumes}))
            return rows

    def expected(self, requests, dimensions, start=None, end=None):
        "Count the requests received from start to end by dimensions"
        def key(request):
            values = {
                'month': request.received_at.strftime('%Y-%m'),
                'channel': request.channel,
                'antenna': request.antenna.id if request.antenna else None,
                'scheme': request.scheme.id if request.scheme else None,
                'state': request.state,
                }
            return tuple(values[d] for d in dimensions)
        counts = {}
        for request in requests:
            day = request.received_at.date()
            if (start and day < start) or (end and day > end):
                continue
            counts.setdefault(key(request), {}).setdefault(
                request.channel, 0)
            counts[key(request)][request.channel] += 1
        return counts

    def assert_volumes(self, rows, expected, dimensions):
        "Check the rows count the expected requests by dimension"
        counts = {}
        for row in rows:
            key = tuple(row[d] for d in dimensions)
            self.assertNotIn(key, counts)
            by_channel = {n[len('count_'):]: row[n]
                for n in row if n.startswith('count_') and row[n]}
            self.assertEqual(sum(by_channel.values()), row['count'])
            counts[key] = by_channel
            for name in set(DIMENSIONS) - set(dimensions):
                self.assertIsNone(row[name])
        self.assertEqual(counts, expected)

    @with_transaction()
    def test_volumes(self):
        "The volumes count the requests of the period by dimension"
        pool = Pool()
        Volume = pool.get('gru.inbox.request.volume')
        Context = pool.get('gru.inbox.request.volume.context')
        company = create_company()
        with set_company(company):
            data, requests = self.setup_volumes()
            start, end = Volume.last_twelve_months()
            self.assertEqual(start.day, 1)
            self.assertEqual(end, pool.get('ir.date').today())
            self.assertEqual((end.year * 12 + end.month)
                - (start.year * 12 + start.month), 11)
            self.assertEqual(Context.default_get(['from_date', 'to_date']),
                {'from_date': start, 'to_date': end})

            # the default period: 12 months, the older requests left out
            for dimensions in [['month'], ['channel'], ['antenna'],
                    ['scheme'], ['month', 'channel', 'antenna'], DIMENSIONS]:
                self.assert_volumes(self.volumes(dimensions),
                    self.expected(requests, dimensions, start, end),
                    dimensions)
            in_period = [r for r in requests
                if start <= r.received_at.date() <= end]
            rows = self.volumes(['month'])
            self.assertEqual(len(rows), 3)
            self.assertEqual(sum(r['count'] for r in rows), len(in_period))
            # without dimensions: all of them
            self.assert_volumes(self.volumes([]),
                self.expected(requests, DIMENSIONS, start, end), DIMENSIONS)

            # the period of the context, or no bound
            last = start - dt.timedelta(days=1)
            first = (last - dt.timedelta(days=40)).replace(day=1)
            self.assert_volumes(
                self.volumes(['month', 'antenna'],
                    from_date=first, to_date=last),
                self.expected(requests, ['month', 'antenna'], first, last),
                ['month', 'antenna'])
            rows = self.volumes(['month'], from_date=None, to_date=None)
            self.assertEqual(len(rows), 5)
            self.assertEqual(sum(r['count'] for r in rows), len(requests))
            self.assertEqual(self.volumes(['channel'],
                    from_date=end + dt.timedelta(days=1)), [])

            # the graph by channel shows the names of the channels
            with Transaction().set_context(
                    gru_volume_dimensions=['channel']):
                names = {v.channel: v.channel_name
                    for v in Volume.search([])}
            self.assertEqual(names['web'], "Web Form")
            self.assertEqual(names['other'], "Other")
            with Transaction().set_context(gru_volume_dimensions=['month']):
                self.assertEqual(
                    {v.channel_name for v in Volume.search([])}, {None})

            # the antenna of the context
            rows = self.volumes(['channel'], antenna=data['stq'].id)
            self.assert_volumes(rows, self.expected(
                    [r for r in requests if r.antenna == data['stq']],
                    ['channel'], start, end), ['channel'])

            # a request counts in its new state once moved
            Request = pool.get('gru.inbox.request')
            Request.do_cancel(in_period[:3], 'spam')
            rows = self.volumes(['state'])
            self.assertEqual({r['state']: r['count'] for r in rows}, {
                    'new': len(in_period) - 3, 'cancelled': 3})

    @with_transaction()
    def test_volumes_access(self):
        "A manager counts the requests of his antennas only"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Volume = pool.get('gru.inbox.request.volume')
        company = create_company()
        with set_company(company):
            data, requests = self.setup_volumes()
            start, end = Volume.last_twelve_months()

            def new_user(login, group, antennas):
                user, = User.create([{
                            'login': login, 'name': login,
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            'groups': [('add', [ModelData.get_id(
                                            'gru_inbox', group)])],
                            'gru_antennas': [('add', antennas)],
                            }])
                return user
            manager = new_user('manager', 'group_antenna_manager',
                [data['ami'].id])
            supervisor = new_user('supervisor', 'group_supervisor', [])
            officer = new_user('officer', 'group_information_officer',
                [data['ami'].id])
            transaction = Transaction()
            for user, antennas in [
                    (manager, [data['ami']]),
                    (supervisor, [data['ami'], data['stq']]),
                    ]:
                for dimensions in [['antenna'], ['month', 'channel']]:
                    with transaction.set_user(user.id), \
                            transaction.set_context(_check_access=True,
                                company=company.id):
                        rows = self.volumes(dimensions)
                    self.assert_volumes(rows, self.expected(
                            [r for r in requests if r.antenna in antennas],
                            dimensions, start, end), dimensions)
            # the manager asking for another antenna counts nothing
            with transaction.set_user(manager.id), \
                    transaction.set_context(_check_access=True,
                        company=company.id):
                self.assertEqual(
                    self.volumes(['month'], antenna=data['stq'].id), [])
            # the officers have no volumes
            with transaction.set_user(officer.id), \
                    transaction.set_context(_check_access=True,
                        company=company.id):
                with self.assertRaises(AccessError):
                    Volume.search([])

    @staticmethod
    def create_users(company, users):
        """Create the users [(login, group of gru_inbox or None, antennas)]
        of company"""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        return User.create([{
                    'login': login, 'name': login,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [ModelData.get_id('gru_inbox', group)]
                            if group else [])],
                    'gru_antennas': [('add', [a.id for a in antennas])],
                    } for login, group, antennas in users])

    @with_transaction()
    def test_rules_deny_left_out(self):
        """The default rule that denies every request is left out of the
        rules OR-ed together when another rule grants, and kept alone"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            data, requests = self.setup_volumes()
            officer, other = self.create_users(company, [
                    ('officer', 'group_information_officer',
                        [data['ami']]),
                    ('other', None, [])])
            transaction = Transaction()
            deny = ('id', '=', -1)

            def leaves(domain):
                if (len(domain) == 3 and isinstance(domain[0], str)
                        and domain[0] not in {'AND', 'OR'}):
                    return [tuple(domain)]
                return [leaf for d in domain if not isinstance(d, str)
                    for leaf in leaves(d)]
            with transaction.set_user(officer.id), \
                    transaction.set_context(_check_access=True,
                        company=company.id):
                domain = Rule.domain_get('gru.inbox.request')
                self.assertNotIn(deny, [tuple(l) for l in leaves(domain)])
                self.assertEqual(
                    {r.antenna for r in Request.search([])},
                    {data['ami']})
            with transaction.set_user(other.id), \
                    transaction.set_context(_check_access=True,
                        company=company.id):
                domain = Rule.domain_get('gru.inbox.request')
                self.assertIn(deny, [tuple(l) for l in leaves(domain)])

    @with_transaction()
    def test_in_my_antennas_by_rule(self):
        """The filter of the user's antennas is left out of a search when
        his rules keep only them (an officer), kept otherwise (a
        supervisor sees every antenna)"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            data, requests = self.setup_volumes()
            officer, supervisor = self.create_users(company, [
                    ('officer', 'group_information_officer',
                        [data['ami']]),
                    ('supervisor', 'group_supervisor', [data['ami']])])
            transaction = Transaction()
            mine = [('in_my_antennas', '=', True),
                ('state', 'in', ['new', 'cancelled'])]
            ami = {r.id for r in requests if r.antenna == data['ami']}
            self.assertTrue(ami)
            self.assertNotEqual(ami, {r.id for r in requests})
            for user, by_rule in [(officer, True), (supervisor, False)]:
                with transaction.set_user(user.id), \
                        transaction.set_context(_check_access=True,
                            company=company.id):
                    self.assertEqual(
                        Request._in_my_antennas_by_rule(), by_rule)
                    self.assertEqual({r.id for r in Request.search(mine)},
                        ami)
                    self.assertEqual(Request.search(mine, count=True),
                        len(ami))
                    self.assertEqual({r.id for r in Request.search(
                                ['OR', ('in_my_antennas', '=', True),
                                    ('id', '=', -1)])}, ami)
        self.assertTrue(requests)


del ModuleTestCase

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.model.exceptions import DomainValidationError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder, PYSONEncoder
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from gru_inbox.tests.test_module import InboxMixin

from ..exceptions import CalendarValidationError, PolicyValidationError

H = dt.timedelta(hours=1)
# Friday 20 November 2026; Monday 23 November 2026
FRIDAY = dt.datetime(2026, 11, 20, 16, 0)
MONDAY = dt.datetime(2026, 11, 23, 10, 0)


def create_calendar(ranges=((9, 0, 17, 0),), weekdays='01234',
        timezone='UTC', public_holidays=True, closures=None):
    Calendar = Pool().get('gru.sla.calendar')
    calendar, = Calendar.create([{
                'name': "Test",
                'timezone': timezone,
                'public_holidays': public_holidays,
                'hours': [('create', [{
                                'weekday': d,
                                'start_time': dt.time(h1, m1),
                                'end_time': dt.time(h2, m2),
                                } for d in weekdays
                            for h1, m1, h2, m2 in ranges])],
                'closures': [('create', [
                            {'start_date': s, 'end_date': e, 'name': n}
                            for s, e, n in closures or []])],
                }])
    return calendar


def create_policy(name, sequence, first_response=None, resolution=None,
        **criteria):
    Policy = Pool().get('gru.sla.policy')
    values = {'name': name, 'sequence': sequence}
    values.update(criteria)
    if first_response:
        values['first_response_target'], values['first_response_unit'] = (
            first_response)
    if resolution:
        values['resolution_target'], values['resolution_unit'] = resolution
    policy, = Policy.create([values])
    return policy


def at(moment):
    "The context that makes moment the current time of the service levels"
    return Transaction().set_context(_sla_now=moment)


class GruSlaTestCase(CompanyTestMixin, InboxMixin, ModuleTestCase):
    "Test GRU SLA module"
    module = 'gru_sla'

    def setup_sla(self):
        "Inbox fixture, a 9-17 UTC calendar by default and one policy"
        pool = Pool()
        Configuration = pool.get('gru.inbox.configuration')
        fixture = self.setup_inbox()
        calendar = create_calendar()
        config = Configuration(1)
        config.sla_calendar = calendar
        config.save()
        fixture['calendar'] = calendar
        fixture['policy'] = create_policy("Standard", 100,
            first_response=(8, 'hours'), resolution=(2, 'days'))
        return fixture

    @with_transaction()
    def test_standard_calendar(self):
        "The module ships a 9:00-12:30 13:30-17:00 calendar by default"
        pool = Pool()
        Configuration = pool.get('gru.inbox.configuration')
        calendar = Configuration(1).sla_calendar
        self.assertEqual(calendar.timezone, 'Europe/Paris')
        self.assertEqual(calendar.weekly_hours, 35)
        # 25 December 2026 is a Friday, 11 November 2026 a Wednesday
        self.assertFalse(calendar.is_open_day(dt.date(2026, 12, 25)))
        self.assertFalse(calendar.is_open_day(dt.date(2026, 11, 11)))
        self.assertFalse(calendar.is_open_day(dt.date(2026, 11, 21)))
        self.assertTrue(calendar.is_open_day(dt.date(2026, 11, 12)))

    @with_transaction()
    def test_weekend(self):
        "Working time skips the weekend"
        calendar = create_calendar()
        self.assertEqual(calendar.add_working_time(FRIDAY, hours=8),
            dt.datetime(2026, 11, 23, 16, 0))
        self.assertEqual(
            calendar.working_seconds(FRIDAY, dt.datetime(2026, 11, 23, 16)),
            8 * 3600)
        # one working day from Friday is Monday at the same time
        self.assertEqual(calendar.add_working_time(FRIDAY, days=1),
            dt.datetime(2026, 11, 23, 16, 0))
        # a reception on Saturday counts from Monday's opening
        saturday = dt.datetime(2026, 11, 21, 11, 0)
        self.assertEqual(calendar.add_working_time(saturday, hours=2),
            dt.datetime(2026, 11, 23, 11, 0))
        self.assertEqual(calendar.working_seconds(
                saturday, dt.datetime(2026, 11, 22, 20, 0)), 0)
        # a target that ends exactly at closing time stays that day
        self.assertEqual(calendar.add_working_time(
                dt.datetime(2026, 11, 20, 9, 0), hours=8),
            dt.datetime(2026, 11, 20, 17, 0))

    @with_transaction()
    def test_public_holidays(self):
        "Working time skips 11 November, Christmas and Easter Monday"
        calendar = create_calendar()
        # Tuesday 10 November 2026 + 2 days: Thursday 12, Friday 13
        self.assertEqual(
            calendar.add_working_time(dt.datetime(2026, 11, 10, 10), days=2),
            dt.datetime(2026, 11, 13, 10, 0))
        self.assertEqual(
            calendar.add_working_time(dt.datetime(2026, 11, 10, 16), hours=3),
            dt.datetime(2026, 11, 12, 11, 0))
        # Christmas 2026 is a Friday
        self.assertEqual(
            calendar.add_working_time(dt.datetime(2026, 12, 24, 16), hours=2),
            dt.datetime(2026, 12, 28, 10, 0))
        # Easter Monday 2026 is 6 April
        self.assertEqual(
            calendar.add_working_time(dt.datetime(2026, 4, 3, 16), hours=2),
            dt.datetime(2026, 4, 7, 10, 0))
        self.assertEqual(calendar.working_seconds(
                dt.datetime(2026, 4, 3, 9), dt.datetime(2026, 4, 7, 17)),
            16 * 3600)

        without = create_calendar(public_holidays=False)
        self.assertEqual(
            without.add_working_time(dt.datetime(2026, 11, 10, 10), days=2),
            dt.datetime(2026, 11, 12, 10, 0))

    @with_transaction()
    def test_partial_days_and_closures(self):
        "Several ranges a day, a start outside the hours and closures"
        calendar = create_calendar(ranges=((9, 0, 12, 30), (13, 30, 17, 0)),
            closures=[(dt.date(2026, 11, 23), dt.date(2026, 11, 24),
                    "Déménagement de l'antenne")])
        self.assertEqual(calendar.weekly_hours, 35)
        self.assertEqual(
            calendar.add_working_time(dt.datetime(2026, 11, 19, 12), hours=1),
            dt.datetime(2026, 11, 19, 14, 0))
        self.assertEqual(
            calendar.add_working_time(dt.datetime(2026, 11, 19, 9), hours=3.5),
            dt.datetime(2026, 11, 19, 12, 30))
        self.assertEqual(
            calendar.add_working_time(dt.datetime(2026, 11, 19, 7), hours=1),
            dt.datetime(2026, 11, 19, 10, 0))
        self.assertEqual(calendar.working_seconds(
                dt.datetime(2026, 11, 19, 12), dt.datetime(2026, 11, 19, 14)),
            3600)
        # the antenna is closed Monday and Tuesday
        self.assertEqual(calendar.add_working_time(FRIDAY, hours=2),
            dt.datetime(2026, 11, 25, 10, 0))
        self.assertEqual(calendar.add_working_time(FRIDAY, days=1),
            dt.datetime(2026, 11, 25, 16, 0))

    @with_transaction()
    def test_timezone(self):
        "Opening hours are local: UTC datetimes are converted both ways"
        calendar = create_calendar(timezone='Europe/Paris')
        # 15:00 UTC is 16:00 in Paris in winter
        self.assertEqual(
            calendar.add_working_time(dt.datetime(2026, 11, 20, 15), hours=8),
            dt.datetime(2026, 11, 23, 15, 0))
        # and 14:00 UTC in summer
        self.assertEqual(
            calendar.add_working_time(dt.datetime(2026, 7, 3, 14), hours=8),
            dt.datetime(2026, 7, 6, 14, 0))

    @with_transaction()
    def test_calendar_validation(self):
        "Opening hours must not be empty, reversed or overlap"
        pool = Pool()
        Hour = pool.get('gru.sla.calendar.hour')
        calendar = create_calendar()
        Hour.create([{'calendar': calendar.id, 'weekday': '5',
                    'start_time': dt.time(9), 'end_time': dt.time(12)}])
        self.assertEqual(calendar.weekly_hours, 43)
        with self.assertRaises(CalendarValidationError):
            Hour.create([{'calendar': calendar.id, 'weekday': '0',
                        'start_time': dt.time(16), 'end_time': dt.time(18)}])
        with self.assertRaises(CalendarValidationError):
            Hour.create([{'calendar': calendar.id, 'weekday': '6',
                        'start_time': dt.time(12), 'end_time': dt.time(10)}])
        with self.assertRaises(CalendarValidationError):
            create_calendar(weekdays='')

    @with_transaction()
    def test_policy_validation(self):
        "Targets are positive and days are whole"
        with self.assertRaises(PolicyValidationError):
            create_policy("Half day", 10, resolution=(1.5, 'days'))
        with self.assertRaises(DomainValidationError):
            create_policy("Negative", 10, first_response=(-1, 'hours'))
        policy = create_policy("Half hour", 10, first_response=(0.5, 'hours'))
        self.assertEqual(policy.first_response_target, 0.5)

    @with_transaction()
    def test_calendar_without_hours(self):
        "A calendar left without hours blocks no intake"
        pool = Pool()
        Hour = pool.get('gru.sla.calendar.hour')
        company = create_company()
        with set_company(company):
            fixture = self.setup_sla()
            Hour.delete(list(fixture['calendar'].hours))
            request = self.new_request(contact_email='a@example.org')
            self.assertEqual(request.sla_policy, fixture['policy'])
            self.assertIsNone(request.first_response_due)
            self.assertFalse(request.overdue)

    @with_transaction()
    def test_policy_matching_order(self):
        "The first matching policy in sequence order wins"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Policy = pool.get('gru.sla.policy')
        Scheme = pool.get('gru.scheme')
        Theme = pool.get('gru.scheme.theme')
        Directorate = pool.get('gru.scheme.directorate')
        company = create_company()
        with set_company(company):
            fixture = self.setup_sla()
            catch_all = fixture['policy']
            urgent = create_policy("Urgent", 10, priority='3',
                first_response=(1, 'hours'), resolution=(1, 'days'))
            email = create_policy("Web", 20, channel='web',
                first_response=(4, 'hours'), resolution=(5, 'days'))
            theme, = Theme.create([{'name': "Jeunesse", 'code': 'YOUTH'}])
            directorate, = Directorate.create([{
                        'name': "Direction de la Jeunesse", 'code': 'DJ'}])
            scheme, = Scheme.create([{
                        'code': 'PP', 'name': "Pass Permis",
                        'theme': theme.id, 'directorate': directorate.id,
                        }])

            urgent_email = self.new_request(contact_email='a@example.org',
                priority='3')
            normal_email = self.new_request(contact_email='b@example.org')
            phone = self.new_request(contact_email='c@example.org',
                channel='other')
            self.assertEqual(urgent_email.sla_policy, urgent)
            self.assertEqual(urgent_email.first_response_due, MONDAY + H)
            self.assertEqual(normal_email.sla_policy, email)
            self.assertEqual(normal_email.first_response_due, MONDAY + 4 * H)
            self.assertEqual(normal_email.resolution_due,
                dt.datetime(2026, 11, 30, 10, 0))
            self.assertEqual(phone.sla_policy, catch_all)
            self.assertEqual(phone.first_response_due,
                dt.datetime(2026, 11, 24, 10, 0))

            # raising the priority selects the policy again
            Request.write([phone], {'priority': '3'})
            self.assertEqual(phone.sla_policy, urgent)
            self.assertEqual(phone.first_response_due, MONDAY + H)

            # a scheme criterion only matches requests of that scheme
            by_scheme = create_policy("Scheme", 5, scheme=scheme.id,
                first_response=(2, 'hours'))
            self.assertEqual(normal_email.sla_policy, email)
            Request.write([normal_email], {'scheme': scheme.id})
            self.assertEqual(normal_email.sla_policy, by_scheme)
            self.assertEqual(normal_email.first_response_due, MONDAY + 2 * H)
            self.assertIsNone(normal_email.resolution_due)

            # the catch-all moved first wins for every new request
            Policy.write([catch_all], {'sequence': 1})
            request = self.new_request(contact_email='d@example.org',
                priority='3')
            self.assertEqual(request.sla_policy, catch_all)

            # no policy matching: no due date
            Policy.write([catch_all], {'active': False})
            request = self.new_request(contact_email='e@example.org',
                channel='other')
            self.assertIsNone(request.sla_policy)
            self.assertIsNone(request.first_response_due)

    @with_transaction()
    def test_antenna_calendar(self):
        "The antenna's calendar counts its requests"
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        company = create_company()
        with set_company(company):
            fixture = self.setup_sla()
            # Amiens works on Saturday mornings too
            saturday = create_calendar(weekdays='012345')
            Antenna.write([fixture['ami']], {'calendar': saturday.id})
            request = self.new_request(contact_email='a@example.org',
                contact_postal_code='80000', received_at=FRIDAY)
            self.assertEqual(request.antenna, fixture['ami'])
            self.assertEqual(request.sla_calendar, saturday)
            self.assertEqual(request.first_response_due,
                dt.datetime(2026, 11, 21, 16, 0))
            other = self.new_request(contact_email='b@example.org',
                contact_postal_code='02100', received_at=FRIDAY)
            self.assertEqual(other.sla_calendar, fixture['calendar'])
            self.assertEqual(other.first_response_due,
                dt.datetime(2026, 11, 23, 16, 0))

    @with_transaction()
    def test_pause_pushes_due_dates(self):
        "Waiting for the usager stops the clock and pushes the due dates"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company):
            self.setup_sla()
            request = self.new_request(contact_email='a@example.org',
                contact_postal_code='80000')
            self.assertEqual(request.first_response_due,
                dt.datetime(2026, 11, 24, 10, 0))
            self.assertEqual(request.resolution_due,
                dt.datetime(2026, 11, 25, 10, 0))
            Request.process([request])
            with at(MONDAY + H):
                Request.wait([request])
            self.assertEqual(request.waiting_since, MONDAY + H)
            # waiting 3 working hours pushes the due dates by 3 hours
            with at(MONDAY + 4 * H):
                Request.process([request])
            self.assertIsNone(request.waiting_since)
            self.assertEqual(request.paused_seconds, 3 * 3600)
            self.assertEqual(request.paused_duration, 3 * H)
            self.assertEqual(request.first_response_due,
                dt.datetime(2026, 11, 24, 13, 0))
            self.assertEqual(request.resolution_due,
                dt.datetime(2026, 11, 25, 13, 0))

            # waiting overnight counts only the working hours: Monday
            # 16:00 to Tuesday 10:00 is 2 hours; the usager's message
            # restarts the clock
            with at(dt.datetime(2026, 11, 23, 16)):
                Request.wait([request])
            with at(dt.datetime(2026, 11, 24, 10)):
                Message.create([{'request': request.id, 'direction': 'in',
                            'channel': 'web', 'body': "Voici la pièce"}])
            self.assertEqual(request.state, 'in_progress')
            self.assertEqual(request.paused_seconds, 5 * 3600)
            self.assertEqual(request.first_response_due,
                dt.datetime(2026, 11, 24, 15, 0))

            # the time between an answer and a reopening does not count
            with at(dt.datetime(2026, 11, 24, 11)):
                Request.answer([request])
            with at(dt.datetime(2026, 11, 24, 12)):
                Request.reopen([request])
            self.assertEqual(request.paused_seconds, 6 * 3600)
            self.assertEqual(request.resolution_due,
                dt.datetime(2026, 11, 25, 16, 0))

    @with_transaction()
    def test_breach_flags_and_overdue(self):
        "Breach flags compare the due dates to now or to the answer"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            self.setup_sla()
            late = self.new_request(contact_email='a@example.org')
            on_time = self.new_request(contact_email='b@example.org')
            waiting = self.new_request(contact_email='c@example.org')
            answered = self.new_request(contact_email='d@example.org')
            cancelled = self.new_request(contact_email='e@example.org')
            requests = [late, on_time, waiting, answered, cancelled]
            due = dt.datetime(2026, 11, 24, 10, 0)
            for request in requests:
                self.assertEqual(request.first_response_due, due)
            Request.write([on_time], {'first_response_at': due - H})
            Request.process([waiting])
            with at(due - H):
                Request.wait([waiting])
            Request.write([answered], {'first_response_at': due + H})
            with at(due + H):
                Request.answer([answered])
            Request.write([answered], {'answered_at': due + H})
            Request.do_cancel([cancelled], 'spam')
            ids = [r.id for r in requests]

            def search(name, value=True):
                return Request.search([('id', 'in', ids), (name, '=', value)],
                    order=[('id', 'ASC')])

            with at(due - 2 * H):
                requests = Request.browse(ids)
                self.assertFalse(any(r.overdue for r in requests))
                self.assertEqual(search('overdue'), [])
                self.assertEqual(len(search('overdue', False)), 5)
            with at(due + 3 * H):
                late, on_time, waiting, answered, cancelled = \
                    Request.browse(ids)
                self.assertTrue(late.first_response_breached)
                self.assertTrue(late.overdue)
                self.assertFalse(on_time.first_response_breached)
                self.assertFalse(on_time.overdue)
                # the clock stopped before the due date
                self.assertFalse(waiting.first_response_breached)
                self.assertFalse(waiting.overdue)
                # answered after the due date: breached but not overdue
                self.assertTrue(answered.first_response_breached)
                self.assertFalse(answered.overdue)
                self.assertFalse(cancelled.first_response_breached)
                self.assertEqual(search('first_response_breached'),
                    [late, answered])
                self.assertEqual(search('first_response_breached', False),
                    [on_time, waiting, cancelled])
                self.assertEqual(search('overdue'), [late])
                self.assertEqual(
                    Request.search([('id', 'in', ids),
                            ('overdue', '!=', True)], order=[('id', 'ASC')]),
                    [on_time, waiting, answered, cancelled])
                self.assertEqual(search('resolution_breached'), [])
            with at(dt.datetime(2026, 11, 26, 10)):
                self.assertEqual(
                    search('resolution_breached'), [late, on_time])
                self.assertEqual(search('overdue'), [late, on_time])

    @with_transaction()
    def test_due_date_and_colour(self):
        "The list shows the next due date and colours by it only"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            self.setup_sla()
            late = self.new_request(contact_email='a@example.org')
            answered_first = self.new_request(contact_email='b@example.org')
            waiting = self.new_request(contact_email='c@example.org')
            closed = self.new_request(contact_email='d@example.org')
            first_due = late.first_response_due
            self.assertEqual(first_due, dt.datetime(2026, 11, 24, 10, 0))
            resolution_due = late.resolution_due
            self.assertGreater(resolution_due.date(), first_due.date())
            Request.write([answered_first], {'first_response_at': first_due})
            Request.process([waiting])
            with at(first_due - H):
                Request.wait([waiting])
            Request.write([closed], {'state': 'closed'})
            ids = [r.id for r in [late, answered_first, waiting, closed]]

            def statuses():
                return [(r.due_date, r.due_status)
                    for r in Request.browse(ids)]

            # the day before: nothing is due
            with at(first_due - 24 * H):
                self.assertEqual(statuses(), [
                        (first_due, None), (resolution_due, None),
                        (first_due, None), (first_due, None)])
            # the morning of the first response due date
            with at(first_due - 2 * H):
                self.assertEqual(statuses(), [
                        (first_due, 'today'), (resolution_due, None),
                        (first_due, None), (first_due, None)])
            # past the first response: only the request still without its
            # first response is overdue; the one answered shows its
            # resolution due date, in the future, and is not coloured
            with at(first_due + 3 * H):
                self.assertEqual(statuses(), [
                        (first_due, 'overdue'), (resolution_due, None),
                        (first_due, None), (first_due, None)])
                late_, answered_, _, _ = Request.browse(ids)
                self.assertTrue(late_.overdue)
                self.assertTrue(answered_.first_response_breached is False)
            # the day of the resolution due date
            with at(resolution_due - H):
                self.assertEqual(statuses()[1], (resolution_due, 'today'))
            with at(resolution_due + H):
                self.assertEqual(statuses()[1], (resolution_due, 'overdue'))
                self.assertEqual(Request.search([('id', 'in', ids)],
                        order=[('due_date', 'DESC'), ('id', 'ASC')]),
                    Request.browse([ids[1], ids[0], ids[2], ids[3]]))

    @with_transaction()
    def test_due_today_in_calendar_time_zone(self):
        "Due today is the day of the business calendar, not of UTC"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            fixture = self.setup_sla()
            calendar = fixture['calendar']
            calendar.timezone = 'Europe/Paris'
            calendar.save()
            request = self.new_request(contact_email='a@example.org')
            # 00:30 on 25 November in Paris
            due = dt.datetime(2026, 11, 24, 23, 30)
            Request.write([request], {'first_response_due': due})
            # 23:00 on 24 November in Paris: due tomorrow
            with at(dt.datetime(2026, 11, 24, 22, 0)):
                self.assertIsNone(Request(request.id).due_status)
            # 00:10 on 25 November in Paris: due today
            with at(dt.datetime(2026, 11, 24, 23, 10)):
                self.assertEqual(Request(request.id).due_status, 'today')

    @with_transaction()
    def test_list_colour(self):
        "The rows of the lists are coloured by the due status"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        attributes = [a for a in Request.view_attributes()
            if a[0] == '/tree' and a[1] == 'visual']
        self.assertEqual(len(attributes), 1)
        _, _, expression, depends = attributes[0]
        self.assertEqual(depends, ['due_status'])
        decoded = PYSONDecoder({'due_status': 'overdue'}).decode(
            PYSONEncoder().encode(expression))
        self.assertEqual(decoded, 'danger')
        for status, visual in [
                ('overdue', 'danger'), ('today', 'warning'), (None, '')]:
            self.assertEqual(PYSONDecoder({'due_status': status}).decode(
                    PYSONEncoder().encode(expression)), visual, status)
        view = Request.fields_view_get(view_type='tree')
        self.assertIn('due_date', view['fields'])
        self.assertIn('due_status', view['fields'])

    @with_transaction()
    def test_escalation(self):
        "The cron escalates overdue requests to the team manager once"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Team = pool.get('gru.inbox.team')
        Cron = pool.get('ir.cron')
        company = create_company()
        with set_company(company):
            fixture = self.setup_sla()
            manager = fixture['carol']
            Team.write([fixture['team_ami']], {'manager': manager.id})
            request = self.new_request(contact_email='a@example.org',
                contact_postal_code='80000')
            orphan = self.new_request(contact_email='b@example.org',
                contact_postal_code='02100')
            self.assertEqual(request.team, fixture['team_ami'])
            self.assertEqual(orphan.team, fixture['team_stq'])

            with at(dt.datetime(2026, 11, 24, 9)):
                self.assertEqual(Request.escalate_overdue(), [])
            now = dt.datetime(2026, 11, 24, 11)
            with at(now):
                escalated = Request.escalate_overdue()
            self.assertEqual(escalated, [request, orphan])
            self.assertTrue(request.escalated)
            self.assertEqual(request.escalated_at, now)
            self.assertEqual(request.escalated_to, manager)
            note, = [m for m in request.messages if m.direction == 'note']
            self.assertIn(manager.name, note.body)
            self.assertIn("24/11/2026 10:00", note.body)
            self.assertIn(request.reference, note.body)
            self.assertEqual(note.date, now)

            self.assertTrue(orphan.escalated)
            self.assertIsNone(orphan.escalated_to)
            note, = [m for m in orphan.messages if m.direction == 'note']
            self.assertIn("Saint-Quentin", note.body)

            # never twice
            with at(dt.datetime(2026, 11, 30, 11)):
                self.assertEqual(Request.escalate_overdue(), [])
            self.assertEqual(
                len([m for m in request.messages if m.direction == 'note']),
                1)

            # the cron method is offered to the scheduler
            self.assertIn('gru.inbox.request|escalate_overdue',
                dict(Cron.fields_get(['method'])['method']['selection']))

    @with_transaction()
    def test_copy_resets_sla(self):
        "A copied request gets its own service level"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            self.setup_sla()
            request = self.new_request(contact_email='a@example.org')
            with at(dt.datetime(2026, 11, 25, 11)):
                Request.escalate_overdue()
            self.assertTrue(request.escalated)
            copy, = Request.copy([request])
            self.assertFalse(copy.escalated)
            self.assertIsNone(copy.escalated_at)
            self.assertEqual(copy.first_response_due,
                request.first_response_due)


del ModuleTestCase

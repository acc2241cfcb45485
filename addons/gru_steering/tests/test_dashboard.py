# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The dashboards of the roles: each board parses, each of its panels is
read by a user of the role (with his access rights and record rules) and
refused to the roles it is not for; the scorecard of the antennas shows
the figures of the models that compute them, per antenna, an antenna
manager only his; the officer's panels select what is due by tonight and
the calls of the day."""
import datetime as dt
import unittest

from lxml import etree

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .test_service import (
    create_antenna, create_call, create_request, refresh_aggregates)

D = dt.datetime
PERIOD = {'from_date': dt.date(2026, 1, 1), 'to_date': dt.date(2026, 2, 28)}
NOW = D(2026, 2, 10, 12)

# role: groups of its user (as the demo's users: the agents are GRU agents)
AGENT = ('gru_base', 'group_gru_agent')
ROLES = {
    'officer': [AGENT, ('gru_inbox', 'group_information_officer')],
    'manager': [AGENT, ('gru_inbox', 'group_antenna_manager')],
    'director': [AGENT, ('gru_inbox', 'group_supervisor')],
    'hr': [('gru_staff', 'group_staff_hr')],
    }
MANAGER_MODELS = {'gru.steering.dashboard.antenna',
    'gru.steering.service.request', 'gru.steering.experiment.indicator'}
TRENDS_MODELS = {'gru.steering.dashboard.antenna',
    'gru.steering.equity.month'}
VOLUMES_MODELS = {'gru.inbox.request.volume', 'gru.steering.service.request'}
# board: (its role, {other role: the models of its panels refused to it})
BOARDS = {
    'officer': ('officer', {}),
    'manager': ('manager', {
            'officer': MANAGER_MODELS,
            'hr': MANAGER_MODELS,
            }),
    'director': ('director', {
            'officer': {'gru.steering.dashboard.antenna'},
            'hr': {'gru.steering.dashboard.antenna'},
            }),
    'director_trends': ('director', {
            'officer': TRENDS_MODELS,
            'hr': TRENDS_MODELS,
            }),
    'director_volumes': ('director', {
            'officer': VOLUMES_MODELS,
            'hr': VOLUMES_MODELS,
            }),
    'hr': ('hr', {
            'officer': {'gru.steering.staffing'},
            'manager': {'gru.steering.staffing'},
            'director': {'gru.steering.staffing'},
            }),
    }


class DashboardTestCase(unittest.TestCase):
    "Test the dashboards of the roles"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_steering'])

    def create_users(self, company, antennas):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        users = {}
        for role, groups in ROLES.items():
            users[role], = User.create([{
                        'login': role, 'name': role,
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [ModelData.get_id(m, g)
                                        for m, g in groups])],
                        'gru_antennas': [('add', [a.id for a in antennas])],
                        }])
        return users

    def panels(self, board):
        """Return the values of the actions of the board, checking that the
        board is the only view of its action"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        ActWindow = pool.get('ir.action.act_window')
        View = pool.get('ir.ui.view')
        action = ActWindow.get('gru_steering.act_dashboard_' + board)
        self.assertFalse(action['res_model'])
        (view_id, view_type), = action['views']
        self.assertEqual(view_type, 'board')
        self.assertEqual(view_id, ModelData.get_id(
                'gru_steering', 'dashboard_%s_view' % board))
        arch = View(view_id).view_get()['arch']
        tree = etree.fromstring(arch)
        validator = View(view_id).validator()
        self.assertTrue(validator.validate(tree), validator.error_log)
        names = [a.get('name') for a in tree.iter('action')]
        self.assertGreaterEqual(len(names), 1)
        return [ActWindow.get(n) for n in names]

    def read_panel(self, panel, user):
        """Search and read the panel's model as user, with the context,
        domain, each tab domain and the view fields of the panel, as the
        web client does"""
        pool = Pool()
        Model = pool.get(panel['res_model'])
        refresh_aggregates()
        transaction = Transaction()
        decoder = PYSONDecoder({'_user': user.id, 'context': {}})
        context = decoder.decode(panel['pyson_context'] or '{}')
        domain = decoder.decode(panel['pyson_domain'] or '[]')
        # sao 8.0 does not apply the domain of a board's action: the
        # panels filter with tab domains
        self.assertEqual(domain, [], panel['name'])
        tabs = [decoder.decode(d) for _, d, _ in panel['domains']] or [[]]
        records = []
        with transaction.set_user(user.id), \
                transaction.set_context(context, _check_access=True,
                    _sla_now=NOW):
            for tab in tabs:
                records = Model.search(tab, limit=panel['limit'] or 20)
                for view_id, view_type in panel['views']:
                    fields = Model.fields_view_get(
                        view_id, view_type)['fields']
                    Model.read([r.id for r in records], list(fields))
        return records

    @with_transaction()
    def test_boards(self):
        """Each board parses; its panels are read by its role and refused
        to the others where they show what these may not read"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Menu = pool.get('ir.ui.menu')
        company = create_company()
        with set_company(company):
            amiens = create_antenna('AMI', "Amiens")
            create_request(company, amiens, 'web', D(2026, 1, 5, 9),
                state='new')
            users = self.create_users(company, [amiens])
            for board, (role, refusals) in BOARDS.items():
                panels = self.panels(board)
                for panel in panels:
                    self.read_panel(panel, users[role])
                for other, models in refusals.items():
                    refused = set()
                    for panel in panels:
                        try:
                            self.read_panel(panel, users[other])
                        except AccessError:
                            refused.add(panel['res_model'])
                    self.assertEqual(refused, models, (board, other))

            # each role sees its dashboards in the menu, not the others'
            menus = {b: ModelData.get_id('gru_steering', 'menu_dashboard_' + b)
                for b in BOARDS}
            for role, user in users.items():
                with Transaction().set_user(user.id), \
                        Transaction().set_context(_check_access=True):
                    visible = {m.id for m in Menu.search([
                                ('id', 'in', list(menus.values()))])}
                self.assertEqual(visible, {menus[b]
                        for b, (r, _) in BOARDS.items() if r == role}, role)

    @with_transaction()
    def test_scorecard(self):
        """The scorecard shows per antenna the figures of the service
        levels and equity models; an antenna manager sees his antennas"""
        pool = Pool()
        Scorecard = pool.get('gru.steering.dashboard.antenna')
        RequestService = pool.get('gru.steering.service.request')
        CallService = pool.get('gru.steering.service.call')
        company = create_company()
        with set_company(company):
            amiens = create_antenna('AMI', "Amiens")
            laon = create_antenna('LAO', "Laon")
            create_request(company, amiens, 'web', D(2026, 1, 5, 9),
                responded_at=D(2026, 1, 5, 11), due=D(2026, 1, 5, 17))
            create_request(company, amiens, 'web', D(2026, 1, 6, 9),
                responded_at=D(2026, 1, 6, 13), due=D(2026, 1, 6, 12))
            create_request(company, amiens, 'phone', D(2026, 1, 7, 9),
                state='in_progress')
            create_request(company, laon, 'web', D(2026, 2, 5, 12),
                state='new', due=D(2026, 2, 6, 12))
            for i, outcome in enumerate(
                    ['answered', 'answered', 'answered', 'abandoned']):
                create_call(i, amiens, D(2026, 1, 12, 10, i), outcome,
                    waiting=10)
            create_call(9, laon, D(2026, 1, 12, 11), 'answered', waiting=5)
            users = self.create_users(company, [amiens])
            fields = ['antenna', 'antenna_name', 'contacts', 'within_sla',
                'response_median', 'backlog', 'calls', 'answered_share',
                'abandoned_share', 'phone_share', 'counter_share', 'alert']

            transaction = Transaction()
            with transaction.set_user(users['director'].id), \
                    transaction.set_context(_check_access=True,
                        company=company.id, _sla_now=NOW, **PERIOD):
                rows = {r['antenna']: r for r in Scorecard.read(
                        [s.id for s in Scorecard.search([])], fields)}
                self.assertEqual(set(rows), {amiens.id, laon.id})
                ami, lao = rows[amiens.id], rows[laon.id]
                self.assertEqual(ami['antenna_name'], "Amiens")
                self.assertEqual((ami['contacts'], lao['contacts']), (3, 1))
                # 1 of the 2 due requests answered in time
                self.assertEqual(ami['within_sla'], 50)
                self.assertEqual(ami['response_median'], 3)
                self.assertEqual((ami['backlog'], lao['backlog']), (1, 1))
                self.assertEqual((ami['calls'], lao['calls']), (4, 1))
                self.assertEqual(ami['answered_share'], 75)
                self.assertEqual(ami['abandoned_share'], 25)
                self.assertEqual(lao['answered_share'], 100)
                # no staff plan: no FTE to share the time of
                self.assertIsNone(ami['phone_share'])
                self.assertFalse(ami['alert'])
                # the same figures as the service level lists
                with transaction.set_context(
                        gru_service_dimensions=['antenna']):
                    service, = RequestService.search([
                            ('antenna', '=', amiens.id)])
                    self.assertEqual(service.within_sla, ami['within_sla'])
                    call, = CallService.search([('antenna', '=', laon.id)])
                    self.assertEqual(call.calls, lao['calls'])

            with transaction.set_user(users['manager'].id), \
                    transaction.set_context(_check_access=True,
                        company=company.id, _sla_now=NOW, **PERIOD):
                rows = Scorecard.read(
                    [s.id for s in Scorecard.search([])], fields)
                self.assertEqual([r['antenna'] for r in rows], [amiens.id])
                self.assertEqual(rows[0]['calls'], 4)

    @with_transaction()
    def test_officer_panels(self):
        """The requests due by tonight are the open ones past their next
        due date or reaching it today; the calls of the day those started
        since midnight"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Call = pool.get('gru.phone.call')
        Date = pool.get('ir.date')
        company = create_company()
        with set_company(company):
            amiens = create_antenna('AMI', "Amiens")
            today = dt.datetime.combine(Date.today(), dt.time())
            yesterday = today - dt.timedelta(days=1)
            tomorrow = today + dt.timedelta(days=1)
            overdue = create_request(company, amiens, 'web', yesterday,
                state='new', due=yesterday + dt.timedelta(hours=2))
            tonight = create_request(company, amiens, 'web', today,
                state='in_progress', due=today + dt.timedelta(hours=20))
            create_request(company, amiens, 'web', today, state='new',
                due=tomorrow + dt.timedelta(hours=10))
            create_request(company, amiens, 'web', yesterday,
                state='closed', due=yesterday + dt.timedelta(hours=2))
            responded = create_request(company, amiens, 'web', yesterday,
                state='in_progress', responded_at=yesterday, due=yesterday)
            table = Request.__table__()
            cursor = Transaction().connection.cursor()
            # responded: the resolution is due next, tomorrow
            cursor.execute(*table.update([table.resolution_due],
                    [tomorrow + dt.timedelta(hours=3)],
                    where=table.id == responded.id))
            due = Request.search([('due_by_today', '=', True)],
                order=[('id', 'ASC')])
            self.assertEqual(due, [overdue, tonight])
            self.assertTrue(overdue.due_by_today)
            self.assertFalse(Request(responded.id).due_by_today)
            self.assertNotIn(overdue, Request.search([
                        ('due_by_today', '=', False)]))

            now = create_call(1, amiens, today + dt.timedelta(hours=9),
                'answered')
            create_call(2, amiens, yesterday + dt.timedelta(hours=23),
                'answered')
            self.assertEqual(Call.search([('started_today', '=', True)]),
                [now])
            self.assertTrue(now.started_today)
            self.assertEqual(len(Call.search([
                            ('started_today', '=', False)])), 1)

"""The people of the small demo, over JSON-RPC on the demo server: every
scheme has a referent instructor and a backup from the instructor posts of
the staff plan (scripts/demo_data/40_scheme.py), every demo login printed by
scripts/demo is the employee of a post consistent with its role and antenna
(20_staff.py, 60_inbox.py), and the instructor login sees the requests of
her schemes, and only those."""
import base64
import json
import os
import urllib.request

from tests.support import DemoRPCTestCase

TARGET_PLAN = "Organigramme cible CT du 03/10/2022"
INSTRUCTOR_TITLE = "Gestionnaire instructeur/rice"
# login: (unit code of the post in the target plan, title of the post)
POSTS = {
    'admin': ('CSI', "Responsable de projet GRU"),
    'rh': ('D', "Cadre administratif et financier"),
    'ci.amiens': ('AMI', "Chargé/e d'information"),
    'resp.stquentin': ('STQ', "Responsable d'antenne"),
    'instructeur': ('SIN', INSTRUCTOR_TITLE),
    'superviseur': ('SIA', "Responsable de service"),
    }


class DemoReferentsTestCase(DemoRPCTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.logins = cls.printed_logins()

    @classmethod
    def printed_logins(cls):
        "Return [(login, password)] of the users printed by scripts/demo"
        with open(os.path.join(cls.server.tmp, 'demo.log')) as log:
            lines = log.read().splitlines()
        start = lines.index('Demo logins (login / password / role):')
        logins = []
        for line in lines[start + 1:]:
            if not line.strip():
                break
            login, password, _ = line.split(None, 2)
            if login != 'X-API-Key':
                logins.append((login, password))
        return logins

    @classmethod
    def rpc_as(cls, session, method, params):
        "Call method over JSON-RPC in session (login, id, token)"
        request = urllib.request.Request(
            cls.server.url + cls.server.database + '/rpc/',
            data=json.dumps({'id': 1, 'method': method,
                    'params': params}).encode(),
            headers={'Content-Type': 'application/json',
                'Authorization': 'Session ' + base64.b64encode(
                    ('%s:%s:%s' % session).encode()).decode()},
            method='POST')
        with urllib.request.urlopen(request, timeout=60) as response:
            data = json.loads(response.read())
        if data.get('error'):
            raise AssertionError('%s: %s' % (method, data['error']))
        return data['result']

    @classmethod
    def login(cls, login, password):
        "Return the session of login and his context"
        cls.session, session = None, cls.session
        try:
            user_id, token = cls.rpc('common.db.login',
                [login, {'password': password}, 'fr'])[:2]
        finally:
            cls.session = session
        session = (login, user_id, token)
        context = cls.rpc_as(session, 'model.res.user.get_preferences',
            [True, {}])
        return session, context

    def instruction_employees(self):
        "Return the ids of the employees of the instructor posts"
        positions = self.search_read('gru.staff.position', [
                ('plan.name', '=', TARGET_PLAN),
                ('unit.code', '=', 'SIN'),
                ('title', '=', INSTRUCTOR_TITLE),
                ('occupant', '!=', None),
                ], ['occupant'])
        return {p['occupant'] for p in positions}

    def test_scheme_referents(self):
        "Each scheme has a referent and a distinct backup, both instructors"
        instructors = self.instruction_employees()
        self.assertGreaterEqual(len(instructors), 10)
        schemes = self.search_read('gru.scheme', [],
            ['code', 'referent', 'backup_referent', 'team'])
        self.assertGreaterEqual(len(schemes), 4)
        for scheme in schemes:
            self.assertTrue(scheme['referent'], scheme)
            self.assertTrue(scheme['backup_referent'], scheme)
            self.assertNotEqual(scheme['referent'],
                scheme['backup_referent'], scheme)
            self.assertIn(scheme['referent'], instructors, scheme)
            self.assertIn(scheme['backup_referent'], instructors, scheme)
            self.assertLessEqual(set(scheme['team']), instructors, scheme)
        # the referents are spread over the instructors
        referents = {s['referent'] for s in schemes}
        self.assertGreaterEqual(len(referents), min(4, len(schemes)),
            schemes)

    def test_logins_employees(self):
        "Each demo login is the employee of a post fitting its role"
        logins = dict(self.logins)
        self.assertLessEqual(set(POSTS), set(logins))
        users = self.search_read('res.user',
            [('login', 'in', list(logins))],
            ['login', 'name', 'employees', 'employee', 'company',
                'gru_antennas'])
        self.assertEqual({u['login'] for u in users}, set(logins))
        for user in users:
            self.assertTrue(user['employee'], user)
            self.assertEqual(user['employees'], [user['employee']], user)
            employee, = self.search_read('company.employee',
                [('id', '=', user['employee'])],
                ['party.name', 'company', 'antenna'])
            self.assertEqual(employee['company'], user['company'], user)
            if user['login'] != 'admin':
                self.assertEqual(employee['party.']['name'], user['name'])
            if user['gru_antennas']:
                self.assertIn(employee['antenna'], user['gru_antennas'],
                    user)
            positions = self.search_read('gru.staff.position', [
                    ('plan.name', '=', TARGET_PLAN),
                    ('occupant', '=', employee['id']),
                    ], ['unit.code', 'title'])
            if user['login'] in POSTS:
                self.assertIn(POSTS[user['login']],
                    [(p['unit.']['code'], p['title']) for p in positions],
                    user)
            # each login printed works
            session, _ = self.login(user['login'], logins[user['login']])
            self.assertEqual(session[1], user['id'])

    def test_instructor_requests(self):
        "The instructor sees requests, only those of the schemes she instructs"
        user, = self.search_read('res.user', [('login', '=', 'instructeur')],
            ['employees'])
        self.assertTrue(user['employees'])
        schemes = self.search_read('gru.scheme', ['OR',
                ('referent', 'in', user['employees']),
                ('backup_referent', 'in', user['employees']),
                ('team', 'in', user['employees']),
                ], ['code', 'referent', 'backup_referent'])
        hers = {s['id'] for s in schemes}
        self.assertTrue(any(s['referent'] in user['employees']
                for s in schemes), schemes)
        # the demo has requests of her schemes and of others
        all_schemes = {s['id'] for s in self.search_read('gru.scheme', [],
                ['id'])}
        self.assertTrue(all_schemes - hers)
        theirs = self.rpc('model.gru.inbox.request.search_count',
            [[('scheme', 'in', list(hers))], 0, None, self.context])
        others = self.rpc('model.gru.inbox.request.search_count',
            [['OR', ('scheme', 'not in', list(hers)),
                    ('scheme', '=', None)], 0, None, self.context])
        self.assertGreater(theirs, 0)
        self.assertGreater(others, 0)

        session, context = self.login(
            'instructeur', dict(self.logins)['instructeur'])
        requests = self.rpc_as(session,
            'model.gru.inbox.request.search_read',
            [[], 0, None, None, ['reference', 'scheme'], context])
        self.assertGreaterEqual(len(requests), 1)
        self.assertLessEqual({r['scheme'] for r in requests}, hers)
        self.assertLessEqual(len(requests), theirs)
        count = self.rpc_as(session,
            'model.gru.inbox.request.search_count', [[], 0, None, context])
        self.assertEqual(count, len(requests))

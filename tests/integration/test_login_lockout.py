"""The log-in policy of the demo configuration over JSON-RPC: wrong
passwords for a login slow down and then refuse the log-ins of unknown
devices for a bounded time, but never lock out the user on a device he
has logged in from (device cookie)."""
import base64
import configparser
import json
import os
import threading
import time
import unittest
import urllib.error
import urllib.request

from tests.support import ROOT, DemoRPCTestCase

LOGIN = 'lockout.agent'
PASSWORD = 'Bon-mot-de-passe-2026'


class LoginPolicyConfigurationTestCase(unittest.TestCase):
    "The [session] keys of the demo and production configurations"

    def test_session_keys(self):
        "Failed log-ins count over at most 30 min, 5 of them at most"
        for name in ['config/demo.conf', 'docker/trytond.conf']:
            config = configparser.ConfigParser()
            config.read(os.path.join(ROOT, name))
            with self.subTest(config=name):
                # the window of the attempts is the session timeout
                self.assertLessEqual(
                    config.getint('session', 'timeout'), 30 * 60)
                # the delay of the n-th attempt is up to 2^n - 1 s
                self.assertLessEqual(
                    config.getint('session', 'max_attempt'), 5)
                self.assertGreaterEqual(
                    config.getint('session', 'max_attempt_ip_network'),
                    100)


class LoginLockoutTestCase(DemoRPCTestCase):
    "Wrong passwords of an attacker do not lock the agent out"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rpc('model.res.user.create', [[{
                        'name': "Agent exposé",
                        'login': LOGIN,
                        'password': PASSWORD,
                        }], cls.context])
        # the agent's browser, before any attack
        cls.cookie = cls.device_cookie()

    @classmethod
    def login(cls, password, device_cookie=None):
        """Return (HTTP status, result, seconds) of a log-in over
        JSON-RPC"""
        parameters = {'password': password}
        if device_cookie:
            parameters['device_cookie'] = device_cookie
        request = urllib.request.Request(
            cls.server.url + cls.server.database + '/rpc/',
            data=json.dumps({'id': 1, 'method': 'common.db.login',
                    'params': [LOGIN, parameters, 'fr']}).encode(),
            headers={'Content-Type': 'application/json'}, method='POST')
        start = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, data = response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            status, data = error.code, None
        result = data.get('result') if isinstance(data, dict) else None
        if isinstance(data, dict) and data.get('error'):
            status = 'error'
        return status, result, time.monotonic() - start

    @classmethod
    def device_cookie(cls):
        "Log in and return the device cookie sao stores after a log-in"
        status, result, _ = cls.login(PASSWORD)
        assert status == 200, (status, result)
        user_id, token = result[:2]
        session = base64.b64encode(
            ('%s:%s:%s' % (LOGIN, user_id, token)).encode()).decode()
        request = urllib.request.Request(
            cls.server.url + cls.server.database + '/rpc/',
            data=json.dumps({'id': 1,
                    'method': 'model.res.user.device.renew',
                    'params': [None, {}]}).encode(),
            headers={'Content-Type': 'application/json',
                'Authorization': 'Session ' + session}, method='POST')
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())['result']

    def attack(self, count, device_cookie=None):
        "Send count wrong passwords at once; return their HTTP statuses"
        statuses = []

        def attempt():
            statuses.append(
                self.login('mauvais-mot-de-passe', device_cookie)[0])
        threads = [threading.Thread(target=attempt) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        return statuses

    def test_known_device_not_locked(self):
        "After an attack, the agent on his device gets in at once"
        cookie = self.cookie
        # the attacker: wrong passwords from elsewhere (no or a forged
        # device cookie), until the server refuses them all
        statuses = self.attack(8) + self.attack(3, 'forged-cookie')
        self.assertNotIn(200, statuses)
        status, _, _ = self.login('mauvais-mot-de-passe')
        self.assertEqual(status, 429)
        # from an unknown device the login waits the end of the window
        status, _, _ = self.login(PASSWORD)
        self.assertEqual(status, 429)
        # the agent's device is not locked, nor even slowed down
        status, result, seconds = self.login(PASSWORD, cookie)
        self.assertEqual(status, 200, result)
        self.assertTrue(result[0])
        self.assertLess(seconds, 5)

    def test_own_typos_slow_down_only(self):
        "A few typos on his device delay the agent by seconds, no more"
        cookie = self.cookie
        for _ in range(3):
            status, _, _ = self.login('faute-de-frappe', cookie)
            self.assertEqual(status, 401)
        # the 4th attempt waits at most 2^3 - 1 seconds
        status, result, seconds = self.login(PASSWORD, cookie)
        self.assertEqual(status, 200, result)
        self.assertLess(seconds, 2 ** 3 + 2)

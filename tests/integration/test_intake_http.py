"""The request intake API over real HTTP, on the demo server."""
import unittest
import uuid

from tests.support import DEMO_IVR_KEY, demo_server


class IntakeHTTPTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = demo_server()
        cls.path = '/%s/gru/requests' % cls.server.database

    def post(self, data, key=DEMO_IVR_KEY):
        headers = {'X-API-Key': key} if key else {}
        return self.server.post(self.path, data, headers=headers)

    def test_valid(self):
        "A web form creates a request routed to its antenna"
        status, data = self.post({
                'channel': 'web',
                'name': "Camille Durand",
                'email': 'camille.durand@example.org',
                'postal_code': '80000',
                'subject': "Question sur une aide",
                'body': "Bonjour, je voudrais des informations.",
                'client_key': str(uuid.uuid4()),
                })
        self.assertEqual(status, 201, data)
        self.assertTrue(data['created'])
        self.assertRegex(data['reference'], r'^GRU-\d{4}-\d{6}$')
        self.assertEqual(data['antenna'], 'AMI')

    def test_retry_is_idempotent(self):
        "A retried call with the same client key creates nothing twice"
        payload = {
            'channel': 'phone', 'phone': '06 12 34 56 78',
            'postal_code': '2100', 'body': "Appel au numéro vert",
            'client_key': 'ivr-call-%s' % uuid.uuid4(),
            }
        status, first = self.post(payload)
        self.assertEqual(status, 201, first)
        self.assertEqual(first['antenna'], 'STQ')
        status, second = self.post(payload)
        self.assertEqual(status, 200, second)
        self.assertFalse(second['created'])
        self.assertEqual(second['reference'], first['reference'])

    def test_invalid(self):
        "Validation errors are 400s naming the field"
        for payload, field in [
                ({'body': "x", 'email': 'pas-un-email'}, 'email'),
                ({'body': "x", 'email': 'a@example.org',
                    'postal_code': '8O000'}, 'postal_code'),
                ({'email': 'a@example.org'}, 'body'),
                ({'body': "x", 'email': 'a@example.org',
                    'channel': 'pigeon'}, 'channel'),
                ({'body': "x", 'email': 'a@example.org', 'colour': 'red'},
                    'colour'),
                ]:
            status, data = self.post(payload)
            self.assertEqual(status, 400, payload)
            self.assertEqual(data['field'], field, data)
            self.assertIn(field, data['error'])
        status, data = self.server.post(self.path, ['not', 'an', 'object'],
            headers={'X-API-Key': DEMO_IVR_KEY})
        self.assertEqual(status, 400)

    def test_key_required(self):
        "Without or with a wrong key nothing is created"
        status, _ = self.post({'body': "x", 'email': 'a@example.org'},
            key=None)
        self.assertEqual(status, 401)
        status, _ = self.post({'body': "x", 'email': 'a@example.org'},
            key='gru_wrong')
        self.assertEqual(status, 403)

"""The request intake API over real HTTP, on the demo server."""
import http.client
import json
import threading
import unittest
import urllib.parse
import uuid

from tests.support import DEMO_IVR_KEY, demo_server


def raw_request(server, method, path, body=None, headers=None):
    """Return (status, content type, decoded JSON or text) of a request
    sent as is (body: bytes)"""
    url = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port,
        timeout=60)
    try:
        try:
            connection.request(method, path, body=body,
                headers=headers or {})
        except (BrokenPipeError, ConnectionResetError):
            # the server may answer before reading a body it refuses
            pass
        response = connection.getresponse()
        status, data = response.status, response.read()
        content_type = response.getheader('Content-Type', '')
    finally:
        connection.close()
    try:
        return status, content_type, json.loads(data)
    except ValueError:
        return status, content_type, data.decode('utf-8', 'replace')


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

    def raw(self, body, content_type='application/json', key=DEMO_IVR_KEY,
            path=None, method='POST', **headers):
        if key:
            headers['X-API-Key'] = key
        if content_type:
            headers['Content-Type'] = content_type
        return raw_request(self.server, method, path or self.path,
            body=body, headers=headers)

    def assertJSONError(self, answer, status, field=None):
        "Assert answer is a JSON error of status with a message"
        code, content_type, data = answer
        self.assertEqual(code, status, data)
        self.assertTrue(content_type.startswith('application/json'),
            (content_type, data))
        self.assertIsInstance(data, dict, data)
        self.assertTrue(data['error'])
        if field:
            self.assertEqual(data.get('field'), field, data)
        return data

    def payload(self, **values):
        return dict({'channel': 'web', 'email': 'camille@example.org',
                'body': "Bonjour", 'client_key': str(uuid.uuid4())},
            **values)

    def test_key_in_query_refused(self):
        "A key in the query string is refused, even beside a valid header"
        payload = self.payload()
        body = json.dumps(payload).encode()
        for key in [None, DEMO_IVR_KEY]:
            data = self.assertJSONError(self.raw(body, key=key,
                    path=self.path + '?api_key=' + DEMO_IVR_KEY), 400)
            self.assertIn('X-API-Key', data['error'])
            self.assertNotIn(DEMO_IVR_KEY, json.dumps(data))
        # nothing was created: the same client key creates now
        status, data = self.post(payload)
        self.assertEqual(status, 201, data)

    def test_language(self):
        "Errors are in French by default, in English on Accept-Language"
        body = json.dumps(self.payload(colour='red')).encode()
        data = self.assertJSONError(self.raw(body), 400, 'colour')
        self.assertEqual(data['error'], "Le champ « colour » est inconnu.")
        data = self.assertJSONError(self.raw(body,
                **{'Accept-Language': 'en'}), 400, 'colour')
        self.assertEqual(data['error'], 'The field "colour" is unknown.')
        data = self.assertJSONError(self.raw(body,
                **{'Accept-Language': 'en-GB,en;q=0.9'}), 400)
        self.assertIn("unknown", data['error'])
        data = self.assertJSONError(self.raw(body, key=None,
                **{'Accept-Language': 'en'}), 401)
        self.assertIn('X-API-Key', data['error'])
        data = self.assertJSONError(self.raw(body, key=None), 401)
        self.assertIn("clé", data['error'])

    def test_received_at_out_of_range(self):
        "Dates far in the future or past, with a time zone or not, are 400s"
        for value in ['9999-12-31T23:59:59-05:00', '0001-01-01T00:00:00+01:00',
                '9999-12-31T23:59:59', '0001-01-01T00:00:00',
                '2999-06-01T10:00:00+02:00', '1850-06-01T10:00:00',
                '9999-12-31T23:59:59+14:00', '0001-01-01T00:00:00-12:00']:
            body = json.dumps(self.payload(received_at=value)).encode()
            data = self.assertJSONError(self.raw(body), 400, 'received_at')
            # the answer gives the range accepted, not a crash
            self.assertIn('1900-01-01', data['error'], value)
        status, data = self.post(self.payload(
                received_at='2026-01-05T09:30:00+01:00'))
        self.assertEqual(status, 201, data)

    def test_malformed_bodies(self):
        "Malformed bodies are JSON 4xx, never a 500 nor an HTML page"
        deep = b'[' * 100000 + b']' * 100000
        deep_object = b'{"body": ' * 100000 + b'1' + b'}' * 100000
        for body, status in [
                (deep, 400),
                (deep_object, 400),
                (b'{"body": ' * 50 + b'"x"' + b'}' * 50, 400),
                (b'{"body": "x", ', 400),
                (b'', 400),
                (b'null', 400),
                (b'"text"', 400),
                (b'\xff\xfe{}', 400),
                (json.dumps(self.payload(body="a\x00b")).encode(), 400),
                (b'{"body": "\\ud800", "email": "a@example.org"}', 400),
                (b'{"body": "x", "email": "a@example.org", '
                    b'"priority": 10000000000000000000000}', 400),
                ]:
            with self.subTest(body=body[:30]):
                self.assertJSONError(self.raw(body), status)

    def test_content_type(self):
        "A body of another content type is a JSON 415"
        body = json.dumps(self.payload()).encode()
        for content_type in ['text/plain', 'application/x-www-form-urlencoded',
                None]:
            self.assertJSONError(self.raw(body, content_type=content_type),
                415)

    def test_too_large(self):
        "A body over [request] max_size is a JSON 413"
        body = json.dumps(self.payload(body='x' * (3 * 1024 * 1024)))
        self.assertJSONError(self.raw(body.encode()), 413)

    def test_other_method(self):
        "Other methods than POST are JSON 405"
        for method in ['GET', 'PUT', 'DELETE']:
            data = self.assertJSONError(
                self.raw(None, content_type=None, method=method), 405)
            self.assertNotIn('<', data['error'])

    def test_unknown_database(self):
        "An unknown database is a JSON 404"
        body = json.dumps(self.payload()).encode()
        self.assertJSONError(self.raw(body,
                path='/no_such_database/gru/requests'), 404)

    def test_parallel_same_client_key(self):
        "20 parallel posts with the same client key create one request"
        payload = self.payload(channel='phone', phone='06 12 34 56 78',
            postal_code='80000', client_key='ivr-race-%s' % uuid.uuid4())
        body = json.dumps(payload).encode()
        barrier = threading.Barrier(20)
        answers = [None] * 20

        def post(i):
            barrier.wait()
            answers[i] = self.raw(body)
        threads = [threading.Thread(target=post, args=(i,))
            for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        statuses = sorted(a[0] for a in answers)
        self.assertEqual(statuses, [200] * 19 + [201], answers)
        for status, content_type, data in answers:
            self.assertTrue(content_type.startswith('application/json'))
            self.assertEqual(data['created'], status == 201, data)
        self.assertEqual(len({a[2]['reference'] for a in answers}), 1,
            answers)
        status, data = self.post(payload)
        self.assertEqual((status, data['created']), (200, False))
        self.assertEqual(data['reference'], answers[0][2]['reference'])

    def test_key_required(self):
        "Without or with a wrong key nothing is created"
        status, _ = self.post({'body': "x", 'email': 'a@example.org'},
            key=None)
        self.assertEqual(status, 401)
        status, _ = self.post({'body': "x", 'email': 'a@example.org'},
            key='gru_wrong')
        self.assertEqual(status, 403)

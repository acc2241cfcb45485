"""The routing endpoint over real HTTP, on the demo server."""
import http.client
import json
import os
import unittest

from tests.integration.test_intake_http import raw_request
from tests.support import DEMO_IVR_KEY, demo_server


class RoutingHTTPTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = demo_server()
        cls.path = '/%s/gru/route' % cls.server.database

    def route(self, key=DEMO_IVR_KEY, **params):
        headers = {'X-API-Key': key} if key else {}
        return self.server.get(self.path, params=params, headers=headers)

    def test_valid_key(self):
        "A valid key routes 80000 to Amiens"
        status, data = self.route(postal_code='80000')
        self.assertEqual(status, 200, data)
        self.assertEqual(data['status'], 'found')
        self.assertEqual(data['antenna']['code'], 'AMI')
        self.assertIn('Amiens', data['explanation'])

    def test_aisne_without_zero(self):
        "02100 typed as 2100 goes to Saint-Quentin's antenna"
        for code in ['02100', '2100']:
            status, data = self.route(postal_code=code)
            self.assertEqual(status, 200)
            self.assertEqual(data['antenna']['code'], 'STQ', code)

    def test_out_of_region(self):
        "75001 is out of region and goes to the fallback service"
        status, data = self.route(postal_code='75001')
        self.assertEqual(status, 200)
        self.assertEqual(data['status'], 'out_of_region')
        self.assertTrue(data['fallback'])
        self.assertEqual(data['antenna']['code'], 'SIA')

    def test_commune_name(self):
        "A commune name without accents nor case is routed"
        status, data = self.route(commune='chateau-thierry')
        self.assertEqual(status, 200)
        self.assertEqual(data['antenna']['code'], 'CHT')

    def test_missing_key(self):
        "Without a key the answer is 401"
        status, data = self.route(key=None, postal_code='80000')
        self.assertEqual(status, 401)
        self.assertIn('X-API-Key', data['error'])

    def test_invalid_key(self):
        "With a wrong key the answer is 403"
        status, data = self.route(key='gru_wrong', postal_code='80000')
        self.assertEqual(status, 403)
        self.assertNotIn('antenna', data)

    def raw(self, query, key=DEMO_IVR_KEY, method='GET', **headers):
        if key:
            headers['X-API-Key'] = key
        status, content_type, data = raw_request(self.server, method,
            self.path + '?' + query, headers=headers)
        self.assertTrue(content_type.startswith('application/json'),
            (status, content_type, data))
        return status, data

    def test_key_in_query_refused(self):
        "A key in the query string is refused with a JSON 400"
        for key in [None, DEMO_IVR_KEY]:
            status, data = self.raw(
                'postal_code=80000&api_key=' + DEMO_IVR_KEY, key=key)
            self.assertEqual(status, 400, data)
            self.assertIn('X-API-Key', data['error'])
            self.assertNotIn('antenna', data)
            self.assertNotIn(DEMO_IVR_KEY, json.dumps(data))

    def test_language(self):
        "Errors in French by default, in English on Accept-Language: en"
        status, data = self.raw('postal_code=80A00')
        self.assertEqual(status, 400)
        self.assertIn("code postal", data['error'])
        status, data = self.raw('postal_code=80A00',
            **{'Accept-Language': 'en'})
        self.assertEqual(status, 400)
        self.assertIn("postal code", data['error'])
        status, data = self.raw('postal_code=80000&language=de')
        self.assertEqual((status, data['field']), (400, 'language'))

    def test_bad_input_is_json(self):
        "Odd dates, NUL characters, other methods: JSON 4xx, never a 500"
        for query in ['postal_code=80000&date=9999-12-31',
                'postal_code=80000&date=0001-01-01',
                'postal_code=80000&date=2026-02-30',
                'postal_code=80000&date=%FF%FE',
                'commune=Amiens%00', 'postal_code=%00',
                'commune=' + 'a' * 5000]:
            status, data = self.raw(query)
            self.assertLess(status, 500, (query, data))
            if status != 200:
                self.assertTrue(data['error'], query)
        for method in ['POST', 'DELETE']:
            status, data = self.raw('postal_code=80000', method=method)
            self.assertEqual(status, 405, data)

    def test_malformed(self):
        "Malformed input is a 400 naming the problem"
        status, data = self.route(postal_code='80A00')
        self.assertEqual(status, 400)
        self.assertIn('80A00', data['error'])
        status, data = self.route(zip='80000')
        self.assertEqual(status, 400)
        self.assertIn('zip', data['error'])
        status, data = self.route()
        self.assertEqual(status, 400)

    def test_every_postal_code_of_the_region(self):
        "Each of the 647 postal codes of the region gets an antenna"
        path = os.environ.get('GRU_ETALAB_PATH') or os.path.join(
            os.path.dirname(os.path.dirname(os.path.dirname(
                        os.path.abspath(__file__)))),
            'var', 'npm', 'node_modules', '@etalab',
            'decoupage-administratif', 'data')
        with open(os.path.join(path, 'communes.json')) as fp:
            communes = [c for c in json.load(fp)
                if c.get('region') == '32'
                and c.get('type') == 'commune-actuelle']
        codes = sorted({p for c in communes for p in c['codesPostaux']})
        self.assertEqual(len(codes), 647)
        connection = http.client.HTTPConnection(
            '127.0.0.1', self.server.port, timeout=30)
        statuses = {}
        for code in codes:
            connection.request('GET', self.path + '?postal_code=' + code,
                headers={'X-API-Key': DEMO_IVR_KEY})
            response = connection.getresponse()
            data = json.loads(response.read())
            self.assertEqual(response.status, 200, code)
            self.assertIn(data['status'], {'found', 'ambiguous'}, code)
            self.assertTrue(data['antenna'], code)
            self.assertFalse(data['fallback'], code)
            if data['status'] == 'ambiguous':
                antennas = {c['antenna'] for c in data['candidates']}
                self.assertGreater(len(antennas), 1, code)
                self.assertIn(data['antenna']['code'], antennas, code)
            statuses[data['status']] = statuses.get(data['status'], 0) + 1
        connection.close()
        self.assertEqual(sum(statuses.values()), 647)
        # a few codes straddle two antennas: the EPCI boundaries do not
        # follow the postal code areas
        self.assertLess(statuses.get('ambiguous', 0), 100)

"""The HTTP API fuzzed from its OpenAPI description (small budget;
scripts/fuzz --target api runs the long one), on a demo server of its own:
never a 500, every answer as the description says."""
import collections
import unittest
import urllib.request

from gru_base.tests.tools import external_skip
from tests.support import DEMO_IVR_KEY, private_demo_server

# examples per operation (4 operations)
BUDGET = 40


class Report:
    "Collect the outcomes and the failures of run_operations"

    def __init__(self):
        self.outcomes = collections.Counter()
        self.crashes = []

    def add(self, outcome):
        self.outcomes[outcome] += 1

    def crash(self, index, data, error):
        self.crashes.append(error)


class APIFuzzTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # tests of the running server
        skip = external_skip('the API fuzzing', 'GRU_FUZZ_TESTS')
        if skip:
            raise unittest.SkipTest(skip)
        cls.server = private_demo_server('fuzz')

    def test_description_served(self):
        "The description is served, valid, with the paths of the modules"
        import schemathesis
        status, document = self.server.get('/gru/openapi.json')
        self.assertEqual(status, 200)
        self.assertEqual(document['openapi'], '3.1.0')
        status, document = self.server.get(
            '/%s/gru/openapi.json' % self.server.database)
        self.assertEqual(status, 200)
        self.assertEqual(document['servers'],
            [{'url': '/' + self.server.database}])
        self.assertEqual(sorted(document['paths']), ['/gru/phone/decision',
                '/gru/phone/events', '/gru/requests', '/gru/route'])
        schema = schemathesis.openapi.from_dict(document)
        self.assertEqual(len([r.ok() for r in schema.get_all_operations()]),
            4)
        # the other methods are not operations: a JSON 405
        status, document = self.server.post(
            '/%s/gru/openapi.json' % self.server.database, {})
        self.assertEqual(status, 405)
        self.assertIn('error', document)
        status, document = self.server.get('/no_such_db/gru/openapi.json')
        self.assertEqual(status, 404)
        self.assertIn('error', document)

    def test_fuzz(self):
        "Every operation, drawn cases: no 500, answers as described"
        import schemathesis

        from tests.fuzz.api import run_operations
        url = self.server.url + self.server.database
        with urllib.request.urlopen(url + '/gru/openapi.json') as response:
            self.assertEqual(response.status, 200)
        schema = schemathesis.openapi.from_url(url + '/gru/openapi.json')
        report = Report()
        run_operations(schema, DEMO_IVR_KEY, BUDGET * 4, report, url,
            seed=18)
        self.assertEqual(report.crashes, [])
        statuses = {o.rsplit(' ', 1)[1] for o in report.outcomes}
        # valid calls, refused keys and invalid input were all tried
        self.assertTrue({'200', '401', '403', '400'} <= statuses,
            report.outcomes)

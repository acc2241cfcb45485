"""The phone endpoints (IVR decision, CTI events) over real HTTP, on a demo
server of their own (they record calls and callbacks)."""
import time
import unittest
import uuid

from tests.integration.test_intake_http import raw_request
from tests.support import ADMIN, DEMO_IVR_KEY, RPCClient, private_demo_server


class PhoneHTTPTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = private_demo_server('phone')
        cls.decision_path = '/%s/gru/phone/decision' % cls.server.database
        cls.events_path = '/%s/gru/phone/events' % cls.server.database

    def decide(self, key=DEMO_IVR_KEY, **params):
        params.setdefault('call_id', 'http-%s' % uuid.uuid4().hex)
        headers = {'X-API-Key': key} if key else {}
        return self.server.get(self.decision_path, params=params,
            headers=headers)

    def post_events(self, data, key=DEMO_IVR_KEY):
        headers = {'X-API-Key': key} if key else {}
        return self.server.post(self.events_path, data, headers=headers)

    def admin(self):
        return RPCClient(self.server, *ADMIN)

    def test_decision_amiens(self):
        "80000 in opening hours goes to the agents of Amiens first"
        status, data = self.decide(postal_code='80000',
            caller='sip:0612345678@gw', time='2026-11-23T10:00:00+01:00')
        self.assertEqual(status, 200, data)
        self.assertEqual(data['status'], 'route')
        self.assertEqual(data['antenna']['code'], 'AMI')
        first = data['targets'][0]
        self.assertEqual((first['step'], first['code']), ('antenna', 'AMI'))
        self.assertIn('ami-agent1', first['users'])
        self.assertEqual(data['sip_targets'][0],
            {'target': 'AMI', 'step': 'antenna', 'user': first['users'][0]})
        steps = [t['step'] for t in data['targets']]
        self.assertEqual(steps[-2:], ['overflow', 'central'])
        self.assertIsNone(data['callback'])

    def test_decision_sibling(self):
        "Montdidier's agents are away: Amiens, which shares its manager"
        status, data = self.decide(postal_code='80500',
            time='2026-11-23T10:00:00+01:00')
        self.assertEqual(status, 200, data)
        self.assertEqual(data['antenna']['code'], 'MDD')
        self.assertEqual(data['targets'][0]['step'], 'sibling')
        self.assertEqual(data['targets'][0]['code'], 'AMI')

    def test_decision_central(self):
        "Out of the region: the central service"
        status, data = self.decide(postal_code='75001',
            time='2026-11-23T10:00:00+01:00')
        self.assertEqual(status, 200, data)
        self.assertEqual(data['antenna']['code'], 'SIA')
        self.assertEqual(data['targets'][0]['step'], 'central')

    def test_decision_out_of_hours(self):
        "At night: a callback request, the same on a second decision"
        call_id = 'http-night-%s' % uuid.uuid4().hex
        status, data = self.decide(call_id=call_id, postal_code='80000',
            caller='0611223344', time='2026-11-23T22:30:00+01:00')
        self.assertEqual(status, 200, data)
        self.assertEqual(data['status'], 'callback')
        self.assertEqual(data['targets'], [])
        self.assertEqual(data['outcome'], 'out_of_hours')
        self.assertRegex(data['callback']['request'], r'^GRU-\d{4}-\d+$')
        self.assertTrue(data['callback']['due'])
        status, again = self.decide(call_id=call_id, postal_code='80000',
            caller='0611223344', time='2026-11-23T22:31:00+01:00')
        self.assertEqual(again['callback'], data['callback'])

    def test_decision_errors(self):
        "Key, scope and input errors are JSON 4xx"
        status, data = self.decide(key=None, postal_code='80000')
        self.assertEqual(status, 401)
        status, data = self.decide(key='gru_wrong', postal_code='80000')
        self.assertEqual(status, 403)
        status, data = self.server.get(self.decision_path,
            params={'postal_code': '80000'},
            headers={'X-API-Key': DEMO_IVR_KEY})
        self.assertEqual(status, 400)
        self.assertEqual(data['field'], 'call_id')
        status, data = self.decide(postal_code='80000', time='tomorrow')
        self.assertEqual(status, 400)
        self.assertEqual(data['field'], 'time')
        status, data = self.decide(postal_code='80000', colour='blue')
        self.assertEqual(status, 400)
        self.assertIn('colour', data['error'])
        status, content_type, data = raw_request(self.server, 'POST',
            self.decision_path, headers={'X-API-Key': DEMO_IVR_KEY})
        self.assertEqual(status, 405)

    def test_scope_required(self):
        "A key without the phone scope is refused"
        client = self.admin()
        key_id, = client.model('gru.api.key', 'create', [{
                    'name': "Sans téléphone", 'scopes': ['route']}])
        session, _, _ = client('wizard.gru.api.key.generate.create',
            [client.context])
        shown = client('wizard.gru.api.key.generate.execute',
            [session, {}, 'start', dict(client.context,
                    active_model='gru.api.key', active_id=key_id,
                    active_ids=[key_id])])
        key = shown['view']['defaults']['key']
        status, data = self.decide(key=key, postal_code='80000')
        self.assertEqual(status, 403)
        status, data = self.post_events({'event': 'started',
                'call_id': 'x', 'time': time.time()}, key=key)
        self.assertEqual(status, 403)

    def test_events(self):
        "A call routed, offered, answered and ended; idempotent"
        call_id = 'http-events-%s' % uuid.uuid4().hex
        status, data = self.decide(call_id=call_id, postal_code='80000',
            caller='0611223344')
        self.assertEqual(status, 200, data)
        now = time.time()
        events = [
            {'event': 'started', 'call_id': call_id, 'time': now,
                'from': 'sip:0611223344@127.0.0.1',
                'to': 'sip:0800123456@127.0.0.1', 'postal_code': '80000'},
            {'event': 'ringing', 'call_id': call_id, 'time': now + 1,
                'agent': 'ami-agent1', 'target': 'AMI', 'code': 180},
            {'event': 'answered', 'call_id': call_id, 'time': now + 3,
                'agent': 'ami-agent1', 'target': 'AMI', 'code': 200},
            {'event': 'ended', 'call_id': call_id, 'time': now + 30},
            ]
        status, data = self.post_events({'events': events})
        self.assertEqual(status, 200, data)
        self.assertEqual(data, {'accepted': 4, 'duplicates': 0,
                'rejected': []})
        status, data = self.post_events({'events': events})
        self.assertEqual(data['duplicates'], 4)
        # one event alone is accepted too
        status, data = self.post_events(dict(events[0], event_id='one'))
        self.assertEqual((status, data['accepted']), (200, 1))

        client = self.admin()
        calls = client.model('gru.phone.call', 'search_read',
            [('call_id', '=', call_id)], 0, None, None,
            ['outcome', 'state', 'talk_time', 'agent.sip_user',
                'antenna.code'])
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0]['outcome'], 'answered')
        self.assertEqual(calls[0]['state'], 'ended')
        self.assertEqual(calls[0]['agent.']['sip_user'], 'ami-agent1')
        users = client.model('res.user', 'search_read',
            [('sip_user', '=', 'ami-agent1')], 0, None, None,
            ['phone_presence'])
        self.assertEqual(users[0]['phone_presence'], 'available')

    def test_events_rejected(self):
        "Bad events are rejected with their index, the others kept"
        call_id = 'http-bad-%s' % uuid.uuid4().hex
        status, data = self.post_events({'events': [
                    {'event': 'started', 'call_id': call_id,
                        'time': time.time()},
                    {'event': 'teleported', 'call_id': call_id},
                    {'event': 'ended'},
                    ]})
        self.assertEqual(status, 200, data)
        self.assertEqual(data['accepted'], 1)
        self.assertEqual([r['index'] for r in data['rejected']], [1, 2])
        status, data = self.post_events({'events': [{'event': 'nope'}]})
        self.assertEqual(status, 400)
        self.assertTrue(data['error'])
        status, data = self.post_events({'events': []})
        self.assertEqual(status, 400)
        status, data = self.post_events([1, 2])
        self.assertEqual(status, 400)
        status, data = self.post_events({'event': 'started'}, key=None)
        self.assertEqual(status, 401)
        status, content_type, data = raw_request(self.server, 'POST',
            self.events_path, headers={'X-API-Key': DEMO_IVR_KEY,
                'Content-Type': 'text/plain'}, body=b'x')
        self.assertEqual(status, 415)

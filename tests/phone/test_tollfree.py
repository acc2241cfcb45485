"""Real SIP calls on the toll-free line.

Kamailio runs config/kamailio/gru-tollfree.cfg and asks the GRU of a demo
server of its own for each call; the operator's IVR and the agents' phones
are SIP user agents (tests/phone/sip.py, and baresip for one agent). The
test sets the agents' presence and the business calendars over JSON-RPC as
the admin, places the calls, then reads what the GRU recorded.

They run on the PostgreSQL run of the suite only (GRU_PHONE_SIP_TESTS=1
runs them on SQLite), see tests/phone/servers.py.
"""
import datetime as dt
import re
import time
import unittest
import zoneinfo

from tests.support import ADMIN, RPCClient, private_demo_server

from .servers import (
    TOLLFREE, Baresip, Kamailio, Relay, enabled, ensure_agents, open_calendars,
    phone_key)
from .sip import Phone

SKIP = enabled()
# ms an agent rings before the proxy tries the next one
RING_TIMEOUT = 1500
PARIS = zoneinfo.ZoneInfo('Europe/Paris')


@unittest.skipIf(SKIP, SKIP)
class TollFreeTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = private_demo_server('phone')
        cls.admin = RPCClient(cls.server, *ADMIN)
        cls.key = phone_key(cls.admin)
        ensure_agents(cls.admin)
        cls.proxy = Kamailio(cls.server.url, cls.server.database, cls.key,
            RING_TIMEOUT=RING_TIMEOUT, REPLY_TIMEOUT=1000).start()
        cls.phones = []
        antennas = cls.admin.model('gru.antenna', 'search_read', [], 0,
            None, None, ['code', 'name', 'manager_shared_with'])
        cls.antennas = {a['code']: a for a in antennas}
        cls.antenna_codes = {a['id']: a['code'] for a in antennas}
        users = cls.admin.model('res.user', 'search_read',
            [('sip_user', '!=', None)], 0, None, [('id', 'ASC')],
            ['login', 'sip_user', 'gru_antennas'])
        cls.agents = {u['sip_user']: u for u in users}

    @classmethod
    def tearDownClass(cls):
        for phone in cls.phones:
            phone.close()
        if getattr(cls, 'proxy', None):
            cls.proxy.stop()

    def setUp(self):
        "Every calendar open now, every agent away"
        self.set_calendars(closed_today=False)
        self.set_presence({u: 'away' for u in self.agents})

    def tearDown(self):
        "No phone left registered (before the cleanups stop a proxy)"
        for phone in self.phones:
            phone.unregister()
            phone.close()
        self.phones.clear()

    # what the test prepares in the GRU
    def set_calendars(self, closed_today):
        "Open every calendar all day; with closed_today, closed today"
        open_calendars(self.admin, closed_on=dt.datetime.now(PARIS).date()
            if closed_today else None)

    def set_presence(self, presence):
        "Set the presence of the agents {sip user: presence}, in order"
        for sip_user, value in presence.items():
            self.admin.model('res.user', 'write',
                [self.agents[sip_user]['id']], {'phone_presence': value})

    def agents_of(self, code):
        "Return the sip users of the agents of the antenna code alone"
        antenna = self.antennas[code]['id']
        return [s for s, u in self.agents.items()
            if u['gru_antennas'] == [antenna]]

    def sibling_of(self, code):
        antenna = self.antennas[code]
        if antenna['manager_shared_with']:
            return self.antenna_codes[antenna['manager_shared_with']]
        for other in self.antennas.values():
            if other['manager_shared_with'] == antenna['id']:
                return other['code']

    def phone(self, user, mode='answer'):
        "Return a registered phone of user"
        phone = Phone(user, self.proxy.port, mode=mode)
        self.phones.append(phone)
        self.assertEqual(phone.register(), 200)
        return phone

    def caller(self, number='0999000000'):
        phone = Phone(number, self.proxy.port)
        self.phones.append(phone)
        return phone

    def usager_phone(self):
        "Return (party id, number) of a demo usager known by his phone"
        mechanisms = self.admin.model('party.contact_mechanism',
            'search_read', [('type', 'in', ['phone', 'mobile']),
                ('party.active', '=', True)], 0, 50, [('id', 'ASC')],
            ['party', 'value'])
        for mechanism in mechanisms:
            found = self.admin.model('party.contact_mechanism',
                'search_count', [('type', 'in', ['phone', 'mobile']),
                    ('value', '=', mechanism['value'])])
            if found == 1:
                # the IVR gives the number without spaces
                return mechanism['party'], re.sub(
                    r'[^0-9+]', '', mechanism['value'])
        self.fail("no demo usager with a phone of his own")

    # what the GRU recorded
    def gru_call(self, call_id, state='ended', timeout=10):
        "Wait until the GRU has the call in state; return it with its steps"
        fields = ['state', 'outcome', 'agent', 'party', 'request',
            'antenna', 'routed_antenna', 'steps', 'caller', 'postal_code',
            'answer_at', 'end_at', 'talk_time', 'events']
        deadline = time.monotonic() + timeout
        while True:
            calls = self.admin.model('gru.phone.call', 'search_read',
                [('call_id', '=', call_id)], 0, 1, None, fields)
            if calls and calls[0]['state'] == state:
                break
            if time.monotonic() > deadline:
                self.fail('the GRU has no call %s in state %s: %s\n%s' % (
                        call_id, state, calls, self.proxy.tail()))
            time.sleep(0.1)
        call = calls[0]
        call['steps'] = self.admin.model('gru.phone.call.step', 'read',
            call['steps'], ['kind', 'code', 'agents', 'sequence'])
        call['steps'].sort(key=lambda s: s['sequence'])
        call['events'] = self.admin.model('gru.phone.call.event', 'read',
            call['events'], ['event', 'agent', 'target', 'code'])
        return call

    def event_kinds(self, call):
        return [e['event'] for e in call['events']]

    def test_antenna_answers(self):
        "80000: an Amiens agent (baresip) answers; qualified as a request"
        amiens = self.agents_of('AMI')
        self.assertTrue(amiens, "no Amiens agent with a SIP account")
        agent = amiens[0]
        self.set_presence({agent: 'available'})
        baresip = Baresip(agent, self.proxy.port).start()
        self.addCleanup(baresip.stop)
        self.assertTrue(baresip.wait_registered())
        party, number = self.usager_phone()

        ivr = self.caller(number)
        call = ivr.call(TOLLFREE, {'X-Postal-Code': '80000'})
        self.assertEqual(call.status, 200, self.proxy.tail())
        self.assertTrue(baresip.wait_event('CALL_ESTABLISHED', 5))
        time.sleep(0.3)
        self.assertEqual(ivr.hangup(call), 200)
        self.assertTrue(baresip.wait_event('CALL_CLOSED', 5))

        record = self.gru_call(call.call_id)
        self.assertEqual(record['outcome'], 'answered')
        self.assertEqual(record['agent'], self.agents[agent]['id'])
        self.assertEqual(record['party'], party)
        self.assertEqual(record['postal_code'], '80000')
        self.assertEqual(record['antenna'], self.antennas['AMI']['id'])
        self.assertEqual(record['routed_antenna'],
            self.antennas['AMI']['id'])
        self.assertEqual(
            [(s['kind'], s['code']) for s in record['steps']][:1],
            [('antenna', 'AMI')])
        self.assertEqual(record['steps'][0]['agents'].split(), [agent])
        self.assertTrue(record['talk_time'])
        kinds = self.event_kinds(record)
        for kind in ['started', 'offered', 'ringing', 'answered', 'ended']:
            self.assertIn(kind, kinds)
        self.assertFalse(record['request'])

        request = self.qualify(record['id'])
        self.assertEqual(request['channel'], 'phone')
        self.assertEqual(request['party'], party)
        # through the intake: triage rules ran, a team took it
        self.assertTrue(request['triage_log'], request)
        self.assertTrue(request['team'], request)

    def qualify(self, call_id):
        "Qualify the call as an agent would; return its request"
        model = 'gru.phone.call.qualify'
        session, start, _ = self.admin('wizard.%s.create' % model,
            [self.admin.context])
        context = dict(self.admin.context, active_model='gru.phone.call',
            active_id=call_id, active_ids=[call_id])
        view = self.admin('wizard.%s.execute' % model,
            [session, {}, start, context])['view']
        values = {k: v for k, v in view['defaults'].items()
            if not k.endswith('.')}
        self.assertEqual(values['call'], call_id)
        motives = self.admin.model('gru.inbox.motive', 'search', [], 0, 1,
            None)
        schemes = self.admin.model('gru.scheme', 'search', [], 0, 1, None)
        # a new request rather than the usager's open one
        values.update(continued=None, motive=motives[0] if motives else None,
            scheme=schemes[0] if schemes else None,
            note="Demande d'aide au permis, rappel souhaité.")
        button = next(b['state'] for b in view['buttons']
            if b['state'] != 'end')
        self.admin('wizard.%s.execute' % model,
            [session, {view['state']: values}, button, context])
        self.admin('wizard.%s.delete' % model, [session, context])
        call, = self.admin.model('gru.phone.call', 'read', [call_id],
            ['request', 'outcome'])
        self.assertTrue(call['request'], "the call has no request")
        request, = self.admin.model('gru.inbox.request', 'read',
            [call['request']], ['channel', 'party', 'team', 'assignee',
                'triage_log', 'state'])
        return request

    def test_sibling_takes_over(self):
        "Nobody at Amiens: the antenna sharing its manager answers"
        sibling = self.sibling_of('AMI')
        self.assertTrue(sibling, "Amiens shares its manager with nobody")
        busy, free = self.agents_of(sibling)[:2]
        # busy is available first: offered first, his phone is busy
        self.set_presence({busy: 'available', free: 'available'})
        amiens = [self.phone(u) for u in self.agents_of('AMI')]
        busy_phone = self.phone(busy, mode='busy')
        free_phone = self.phone(free)

        ivr = self.caller()
        call = ivr.call(TOLLFREE, {'X-Postal-Code': '80000'})
        self.assertEqual(call.status, 200, self.proxy.tail())
        self.assertFalse(any(p.received for p in amiens))
        self.assertEqual(len(busy_phone.received), 1)
        self.assertEqual(busy_phone.received[0].state, 'failed')
        answered = free_phone.wait_received()
        self.assertEqual(answered.state, 'answered')
        # the agent hangs up
        self.assertEqual(free_phone.hangup(answered), 200)

        record = self.gru_call(call.call_id)
        self.assertEqual(record['outcome'], 'overflowed')
        self.assertEqual(record['agent'], self.agents[free]['id'])
        self.assertEqual(record['routed_antenna'],
            self.antennas['AMI']['id'])
        self.assertEqual(record['antenna'], self.antennas[sibling]['id'])
        self.assertEqual(record['steps'][0]['kind'], 'sibling')
        self.assertEqual(record['steps'][0]['code'], sibling)
        self.assertEqual(record['steps'][0]['agents'].split()[:2],
            [busy, free])
        missed = [e for e in record['events'] if e['event'] == 'missed']
        self.assertEqual([(e['agent'], e['code']) for e in missed],
            [(busy, 486)])

    def test_out_of_hours_callback(self):
        "Every calendar closed today: the caller is told he is called back"
        self.set_calendars(closed_today=True)
        present = self.agents_of('AMI')[:1] + self.agents_of('SIA')[:1]
        self.set_presence({u: 'available' for u in present})
        phones = [self.phone(u) for u in present]

        ivr = self.caller('0611223344')
        call = ivr.call(TOLLFREE, {'X-Postal-Code': '80000'})
        self.assertEqual(call.status, 480)
        self.assertEqual(call.final.reason, 'Callback Requested')
        self.assertIn('called back', call.final.get('warning'))
        reference = call.final.get('x-gru-callback-request')
        self.assertTrue(reference)
        self.assertFalse(any(p.received for p in phones))

        record = self.gru_call(call.call_id)
        self.assertEqual(record['outcome'], 'out_of_hours')
        self.assertFalse(record['agent'])
        self.assertEqual([s['kind'] for s in record['steps']], ['callback'])
        self.assertIn('failed', self.event_kinds(record))
        request, = self.admin.model('gru.inbox.request', 'read',
            [record['request']], ['reference', 'channel', 'contact_phone'])
        self.assertEqual(request['reference'], reference)
        self.assertEqual(request['channel'], 'phone')
        self.assertTrue(request['contact_phone'])

    def test_unknown_postal_code_central(self):
        "An unknown postal code goes to the central service"
        central = self.admin.model('gru.phone.configuration', 'read', [1],
            ['central_antenna'])[0]['central_antenna']
        if not central:
            central = self.admin.model('gru.territory.configuration',
                'read', [1], ['fallback_antenna'])[0]['fallback_antenna']
        code = self.antenna_codes[central]
        agent = self.agents_of(code)[0]
        amiens = self.agents_of('AMI')[0]
        self.set_presence({agent: 'available', amiens: 'available'})
        central_phone = self.phone(agent)
        amiens_phone = self.phone(amiens)

        ivr = self.caller()
        call = ivr.call(TOLLFREE, {'X-Postal-Code': '99999'})
        self.assertEqual(call.status, 200, self.proxy.tail())
        self.assertFalse(amiens_phone.received)
        self.assertEqual(len(central_phone.received), 1)
        self.assertEqual(ivr.hangup(call), 200)

        record = self.gru_call(call.call_id)
        self.assertEqual(record['routed_antenna'], central)
        self.assertEqual(record['agent'], self.agents[agent]['id'])
        self.assertEqual(record['steps'][0]['kind'], 'central')
        self.assertEqual(record['outcome'], 'answered')

    def test_caller_gives_up(self):
        "The caller hangs up while the agent's phone rings: a callback task"
        agent = self.agents_of('AMI')[0]
        self.set_presence({agent: 'available'})
        ringing = self.phone(agent, mode='ring')

        ivr = self.caller('0611223355')
        call = ivr.call(TOLLFREE, {'X-Postal-Code': '80000'}, wait=False)
        self.assertTrue(ringing.wait_received())
        time.sleep(0.2)
        ivr.cancel(call)
        self.assertTrue(call.done.wait(5))
        self.assertEqual(call.status, 487)
        # the proxy forwards the CANCEL to the phone as it answers the
        # caller: the phone may get it a moment after the caller's 487
        deadline = time.monotonic() + 5
        while (ringing.received[0].state != 'cancelled'
                and time.monotonic() < deadline):
            time.sleep(0.05)
        self.assertEqual(ringing.received[0].state, 'cancelled')

        record = self.gru_call(call.call_id)
        self.assertEqual(record['outcome'], 'abandoned')
        self.assertTrue(record['request'])
        failed = [e for e in record['events'] if e['event'] == 'failed']
        self.assertEqual([e['code'] for e in failed], [487])

    def test_gru_unreachable(self):
        "The GRU down: the fallback agent answers, the events come later"
        agent = self.agents_of('AMI')[0]
        relay = Relay(('127.0.0.1', self.server.port))
        self.addCleanup(relay.stop)
        # a proxy of its own asking the GRU through the relay, not started
        proxy = Kamailio('http://127.0.0.1:%d/' % relay.port,
            self.server.database, self.key, FALLBACK_USER='"%s"' % agent,
            CTI_RETRY_S=1, HTTP_TIMEOUT=1).start()
        self.addCleanup(proxy.stop)
        phone = Phone(agent, proxy.port)
        self.phones.append(phone)
        self.assertEqual(phone.register(), 200)
        ivr = Phone('0611223366', proxy.port)
        self.phones.append(ivr)

        call = ivr.call(TOLLFREE, {'X-Postal-Code': '80000'})
        self.assertEqual(call.status, 200, proxy.tail())
        self.assertEqual(ivr.hangup(call), 200)
        self.assertEqual(phone.received[0].call_id, call.call_id)
        logged = [e['event'] for e in proxy.cti_events(call.call_id)]
        self.assertEqual(logged,
            ['started', 'offered', 'ringing', 'answered', 'ended'])
        # the GRU knows nothing while it is away
        self.assertFalse(self.admin.model('gru.phone.call', 'search',
                [('call_id', '=', call.call_id)], 0, None, None))
        time.sleep(1.5)
        self.assertIn('cti events not delivered', proxy.tail(200))

        relay.start()
        record = self.gru_call(call.call_id)
        self.assertEqual(record['agent'], self.agents[agent]['id'])
        self.assertEqual(record['outcome'], 'answered')
        self.assertEqual(sorted(self.event_kinds(record)),
            sorted(logged))

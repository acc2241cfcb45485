"""A small SIP user agent over UDP for the tests (standard library only).

It plays the operator's IVR (an INVITE to the toll-free number with the
X-Postal-Code header it collected) and the agents' phones (REGISTER, then
incoming calls answered, rejected as busy, left ringing or ignored). No
authentication and no media: a static SDP completes the offer/answer.

    agent = Phone('ami-agent1', proxy_port, mode='answer')
    agent.register()                               # 200
    ivr = Phone('0612345678', proxy_port)
    call = ivr.call('0800123456', {'X-Postal-Code': '80000'})
    call.status                                    # 200
    ivr.hangup(call)                               # BYE through the proxy
"""
import re
import socket
import threading
import time
import uuid

COMPACT = {'v': 'via', 'f': 'from', 't': 'to', 'i': 'call-id',
    'm': 'contact', 'l': 'content-length', 'c': 'content-type',
    'k': 'supported'}
HOST = '127.0.0.1'


def new_tag():
    return uuid.uuid4().hex[:10]


def new_branch():
    return 'z9hG4bK' + uuid.uuid4().hex[:16]


def uri_of(value):
    "Return the URI of a name-addr header value"
    match = re.search(r'<([^>]+)>', value)
    return match.group(1) if match else value.split(';')[0].strip()


def tag_of(value):
    match = re.search(r';tag=([^;>\s]+)', value)
    return match.group(1) if match else ''


def address_of(uri):
    "Return the (host, port) an URI designates"
    match = re.match(r'sips?:(?:[^@]+@)?([^;>?]+)', uri)
    host, _, port = match.group(1).partition(':')
    return host, int(port or 5060)


class Message:
    "A SIP message, header names lower-cased and compact forms expanded"

    def __init__(self, data):
        text = data.decode('utf-8', 'replace')
        head, _, self.body = text.partition('\r\n\r\n')
        lines = head.split('\r\n')
        self.first = lines[0]
        self.headers = []
        for line in lines[1:]:
            if line[:1] in ' \t' and self.headers:
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + ' ' + line.strip())
                continue
            name, _, value = line.partition(':')
            name = name.strip().lower()
            self.headers.append((COMPACT.get(name, name), value.strip()))
        parts = self.first.split(' ', 2)
        self.is_request = not parts[0].startswith('SIP/')
        if self.is_request:
            self.method, self.uri, self.status = parts[0], parts[1], None
            self.reason = ''
        else:
            self.status = int(parts[1])
            self.reason = parts[2] if len(parts) > 2 else ''
            self.method = self.get('cseq').split()[-1]

    def get(self, name, default=''):
        for key, value in self.headers:
            if key == name.lower():
                return value
        return default

    def values(self, name):
        "Return every value of a header, comma-separated values split"
        result = []
        for key, value in self.headers:
            if key == name.lower():
                result += [v.strip()
                    for v in re.split(r',(?![^<]*>)', value)]
        return result


class Call:
    "A call seen by one user agent, placed or received"

    def __init__(self, call_id, local_tag):
        self.call_id = call_id
        self.local_tag = local_tag
        self.remote_tag = ''
        self.local_uri = self.remote_uri = self.remote_target = ''
        self.route_set = []
        self.cseq = 1
        self.branch = None
        self.invite = None      # the INVITE received (called side)
        self.provisional = []   # statuses of the 1xx received
        self.final = None       # the final response to our INVITE
        # new, ringing, answered, failed, cancelled, ended, timeout
        self.state = 'new'
        self.log = []           # (time, what)
        self.done = threading.Event()      # final response received
        self.answered = threading.Event()
        self.ended = threading.Event()

    @property
    def status(self):
        return self.final.status if self.final else None

    def note(self, what):
        self.log.append((time.time(), what))


class Phone:
    """A SIP user agent bound to a free UDP port of the loopback.

    mode says what it does with a call it receives: 'answer' (180 then
    200 after answer_delay seconds), 'busy' (486), 'ring' (180 until the
    caller gives up) or 'ignore' (no reply: a phone gone away)."""

    def __init__(self, user, proxy_port, mode='answer', answer_delay=0.1):
        self.user = user
        self.proxy = (HOST, proxy_port)
        self.mode = mode
        self.answer_delay = answer_delay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.contact = '<sip:%s@%s:%d>' % (user, HOST, self.port)
        self.calls = {}
        self.received = []      # the calls received, in order
        self.errors = []
        self._waiters = {}
        self._register_id = (uuid.uuid4().hex, new_tag())
        self._register_cseq = 0
        self._running = True
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def __repr__(self):
        return '<Phone %s:%d %s>' % (self.user, self.port, self.mode)

    # transport
    def _send(self, text, address=None):
        self.sock.sendto(text.encode(), address or self.proxy)

    def _loop(self):
        while self._running:
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data.strip():
                continue
            try:
                message = Message(data)
                if message.is_request:
                    self._on_request(message)
                else:
                    self._on_response(message)
            except Exception as error:
                # kept for the test to show; the phone keeps working
                self.errors.append(repr(error))

    def close(self):
        self._running = False
        self.sock.close()
        self._thread.join(1)

    def _request(self, method, uri, call, extra=None, body='', to_tag=True,
            route=True, cseq=None, branch=None):
        to = '<%s>' % call.remote_uri
        if to_tag and call.remote_tag:
            to += ';tag=%s' % call.remote_tag
        lines = ['%s %s SIP/2.0' % (method, uri),
            'Via: SIP/2.0/UDP %s:%d;branch=%s;rport' % (
                HOST, self.port, branch or new_branch()),
            'Max-Forwards: 70',
            'From: <%s>;tag=%s' % (call.local_uri, call.local_tag),
            'To: %s' % to,
            'Call-ID: %s' % call.call_id,
            'CSeq: %d %s' % (cseq or call.cseq, method),
            'Contact: %s' % self.contact,
            'User-Agent: gru-test-phone']
        if route:
            lines += ['Route: %s' % r for r in call.route_set]
        lines += ['%s: %s' % item for item in (extra or {}).items()]
        if body:
            lines.append('Content-Type: application/sdp')
        lines.append('Content-Length: %d' % len(body.encode()))
        return '\r\n'.join(lines) + '\r\n\r\n' + body

    def _transaction(self, text, key, timeout, address=None):
        "Send a request and return its final response (None on timeout)"
        event = threading.Event()
        self._waiters[key] = [event, None]
        self._send(text, address)
        event.wait(timeout)
        return self._waiters.pop(key)[1]

    def _on_response(self, message):
        key = (message.get('call-id'), int(message.get('cseq').split()[0]),
            message.method)
        call = self.calls.get(message.get('call-id'))
        if (call and message.method == 'INVITE'
                and 100 < message.status < 200):
            call.provisional.append(message.status)
            call.state = 'ringing'
            call.note('ringing %d' % message.status)
        waiter = self._waiters.get(key)
        if waiter and message.status >= 200:
            waiter[1] = message
            waiter[0].set()

    def sdp(self):
        session = int(time.time())
        return ('v=0\r\no=%s %d %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n'
            't=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n'
            'a=sendrecv\r\n' % (self.user, session, session, HOST, HOST,
                self.port + 2))

    # calling side
    def register(self, expires=300, timeout=5):
        "REGISTER (expires=0 removes the binding); return the status"
        call = Call(*self._register_id)
        call.local_uri = call.remote_uri = 'sip:%s@%s' % (self.user, HOST)
        self._register_cseq += 1
        text = self._request('REGISTER', 'sip:%s' % HOST, call, route=False,
            extra={'Expires': expires}, cseq=self._register_cseq)
        response = self._transaction(text,
            (call.call_id, self._register_cseq, 'REGISTER'), timeout)
        return response.status if response else None

    def unregister(self):
        return self.register(expires=0)

    def call(self, number, headers=None, timeout=30, wait=True):
        """Call number through the proxy and return the Call; with
        wait=False return at once (call.done is set on the final
        response)"""
        call = Call(uuid.uuid4().hex + '@' + HOST, new_tag())
        call.local_uri = 'sip:%s@%s' % (self.user, HOST)
        call.remote_uri = 'sip:%s@%s' % (number, HOST)
        call.branch = new_branch()
        self.calls[call.call_id] = call
        text = self._request('INVITE', call.remote_uri, call, extra=headers,
            body=self.sdp(), route=False, branch=call.branch)
        call.note('invite')
        if wait:
            self._wait_invite(call, text, timeout)
        else:
            threading.Thread(target=self._wait_invite,
                args=(call, text, timeout), daemon=True).start()
        return call

    def _wait_invite(self, call, text, timeout):
        response = self._transaction(text, (call.call_id, 1, 'INVITE'),
            timeout)
        if response is None:
            call.state = 'timeout'
            call.done.set()
            return
        call.final = response
        call.remote_tag = tag_of(response.get('to'))
        if response.status < 300:
            call.route_set = list(reversed(response.values('record-route')))
            call.remote_target = uri_of(response.get('contact'))
            self._send(self._request('ACK', call.remote_target, call))
            call.state = 'answered'
            call.note('answered')
            call.answered.set()
        else:
            # the ACK of a negative final response goes hop by hop
            self._send(self._request('ACK', call.remote_uri, call,
                    route=False, branch=call.branch))
            call.state = 'failed'
            call.note('failed %d' % response.status)
        call.done.set()

    def cancel(self, call):
        "Give up a call not answered yet"
        self._send(self._request('CANCEL', call.remote_uri, call,
                to_tag=False, route=False, branch=call.branch))
        call.note('cancel')

    def hangup(self, call, timeout=5):
        "Send BYE on an established call; return the status of the BYE"
        if call.invite is not None:
            # the called side: its own CSeq space
            call.cseq = int(call.invite.get('cseq').split()[0]) + 100
        else:
            call.cseq += 1
        text = self._request('BYE', call.remote_target, call)
        hop = call.route_set[0] if call.route_set else call.remote_target
        response = self._transaction(text, (call.call_id, call.cseq, 'BYE'),
            timeout, address_of(uri_of(hop)))
        call.state = 'ended'
        call.note('bye')
        call.ended.set()
        return response.status if response else None

    # called side
    def _reply(self, request, status, reason, to_tag='', body='',
            contact=True):
        lines = ['SIP/2.0 %d %s' % (status, reason)]
        lines += ['%s: %s' % (n.title(), v) for n, v in request.headers
            if n in {'via', 'record-route'}]
        to = request.get('to')
        if to_tag and ';tag=' not in to:
            to += ';tag=%s' % to_tag
        lines += ['From: %s' % request.get('from'), 'To: %s' % to,
            'Call-ID: %s' % request.get('call-id'),
            'CSeq: %s' % request.get('cseq')]
        if contact:
            lines.append('Contact: %s' % self.contact)
        if body:
            lines.append('Content-Type: application/sdp')
        lines.append('Content-Length: %d' % len(body.encode()))
        via = request.get('via')
        match = re.search(r'SIP/2.0/UDP\s+([^;:\s]+)(?::(\d+))?', via)
        rport = re.search(r';rport=(\d+)', via)
        port = int(rport.group(1)) if rport else int(match.group(2) or 5060)
        self._send('\r\n'.join(lines) + '\r\n\r\n' + body,
            (match.group(1), port))

    def _on_request(self, request):
        call_id = request.get('call-id')
        call = self.calls.get(call_id)
        if request.method == 'INVITE':
            if call is not None:
                return  # a retransmission
            call = Call(call_id, new_tag())
            call.invite = request
            call.local_uri = uri_of(request.get('to'))
            call.remote_uri = uri_of(request.get('from'))
            call.remote_tag = tag_of(request.get('from'))
            call.remote_target = uri_of(request.get('contact'))
            call.route_set = request.values('record-route')
            self.calls[call_id] = call
            self.received.append(call)
            call.note('incoming')
            if self.mode == 'ignore':
                return
            if self.mode == 'busy':
                self._reply(request, 486, 'Busy Here', call.local_tag)
                call.state = 'failed'
                call.note('busy')
                return
            self._reply(request, 100, 'Trying', contact=False)
            self._reply(request, 180, 'Ringing', call.local_tag)
            call.state = 'ringing'
            if self.mode == 'answer':
                threading.Timer(self.answer_delay, self.answer,
                    (call,)).start()
        elif request.method == 'CANCEL':
            self._reply(request, 200, 'OK', contact=False)
            if call and call.state in {'new', 'ringing'}:
                self._reply(call.invite, 487, 'Request Terminated',
                    call.local_tag)
                call.state = 'cancelled'
                call.note('cancelled')
                call.ended.set()
        elif request.method == 'BYE':
            self._reply(request, 200, 'OK', contact=False)
            if call:
                call.state = 'ended'
                call.note('bye received')
                call.ended.set()
        elif request.method in {'OPTIONS', 'ACK'}:
            if request.method == 'OPTIONS':
                self._reply(request, 200, 'OK')
        else:
            self._reply(request, 405, 'Method Not Allowed')

    def answer(self, call):
        "Answer a call ringing here"
        if call.state != 'ringing':
            return
        # answered before the 200 leaves: the caller (and the test) may
        # read the state as soon as the proxy forwards it
        call.state = 'answered'
        call.note('answered')
        self._reply(call.invite, 200, 'OK', call.local_tag, body=self.sdp())
        call.answered.set()

    def wait_received(self, timeout=10):
        "Return the first call received within timeout, or None"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.received:
                return self.received[0]
            time.sleep(0.02)
        return None

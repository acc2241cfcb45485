# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Realistic but broken mail for fuzzing the parser.

build(rnd) returns the raw bytes of one hostile mail drawn from rnd, a
random.Random or the random of hypothesis (st.randoms()): pure random
bytes, a mail of the test corpus (tests/eml) mutated, or a MIME tree
synthesised with broken headers, charsets, transfer encodings, boundaries,
nested message/rfc822, TNEF, NUL bytes, huge lines and mixed line endings.
check(raw) parses it as the gateway does (parse_many in a bounded time)
and returns the outcome: ('parsed', None) or ('quarantined', reason), the
reason Received.quarantine records; a hang, an exception escaping
parse_many or a parsed mail the database would refuse raise FuzzFailure.
Used by test_fuzz.py (small budget) and scripts/fuzz --target mail.
"""
import base64
import contextlib
import os
import quopri
import signal

from gru_mail.parsing import Attachment, ParsedMail, parse_many

EML = os.path.join(os.path.dirname(__file__), 'eml')
# seconds one input may take to parse before it counts as a hang
TIME_LIMIT = 10
_seeds = None

HEADER_NAMES = ['From', 'To', 'Cc', 'Reply-To', 'Subject', 'Date',
    'Message-ID', 'In-Reply-To', 'References', 'Delivered-To',
    'X-Original-To', 'Return-Path', 'Auto-Submitted', 'Precedence',
    'X-Autoreply', 'X-Spam-Flag', 'Content-Type', 'MIME-Version',
    'Content-Transfer-Encoding', 'Content-Disposition', 'Content-ID',
    'X-Weird', 'Received']
HOSTILE_VALUES = [
    b'', b' ', b'<>', b'<', b'>', b'"', b'\\', b';;;', b'===',
    b'=?utf-8?q?caf=C3=A9?=', b'=?utf-8?b?////?=', b'=?bogus?q?x?=',
    b'=?utf-8?q?=FF=FE?=', b'=?iso-8859-1?b?6Q==?=', b'=?utf-8?x?y?=',
    b'=?', b'?=', b'=?utf-8??', b'=?utf-8?q?a?==?utf-8?b?YQ==?=',
    b'Jos\xe9 <jose@exemple.fr>', b'\xff\xfe\x00<a@b>',
    b'a@b, , ,c@d', b'"unterminated <a@b>', b'<a@b> (comment (nested',
    b'undisclosed-recipients:;', b'group: a@b, c@d;', b'@@@',
    b'a@' + b'b' * 300, b'x' * 2000, b'\x00\x00', b'\r', b'\n\t',
    b'Mon, 99 Foo 2026 25:61:61 +9999', b'Thu, 1 Jan 0000 00:00:00 +0000',
    b'Sat, 31 Dec 9999 23:59:59 -2359', b'1e400', b'-1',
    b'<GRU-2026-000001@gru.test>', b'[GRU-2026-000042] Re: Re: Tr:',
    b'text/plain; charset="unknown-8bit"',
    b'multipart/mixed; boundary=',
    b'multipart/mixed; boundary="' + b'b' * 200 + b'"',
    b'text/html; charset=utf-16', b'text/plain; charset*=utf-8\'\'%ZZ',
    b'attachment; filename*0*=utf-8\'\'%C3; filename*1*=%A9.pdf',
    b'attachment; filename="../../etc/passwd"',
    b'attachment; filename="\x00.exe"', b'inline; filename*=bogus\'\'x',
    b'base64', b'quoted-printable', b'8bit', b'x-uuencode', b'binary',
    b'7bit; junk', b'auto-replied', b'bulk', b'YES',
    ]
CONTENT_TYPES = ['text/plain', 'text/html', 'text/enriched',
    'application/pdf', 'application/octet-stream', 'image/png',
    'image/jpeg', 'application/ms-tnef', 'application/vnd.ms-tnef',
    'message/rfc822', 'message/delivery-status', 'text/rfc822-headers',
    'message/partial', 'message/external-body', 'application/x-unknown',
    'text', '/', 'text/', '']
MULTIPART_TYPES = ['multipart/mixed', 'multipart/alternative',
    'multipart/related', 'multipart/report; report-type=delivery-status',
    'multipart/signed', 'multipart/digest', 'multipart/x-unknown']
CHARSETS = ['utf-8', 'us-ascii', 'iso-8859-1', 'iso-8859-15',
    'windows-1252', 'utf-16', 'utf-7', 'utf-32', 'gb2312', 'koi8-r',
    'x-unknown', 'unknown-8bit', '', 'utf8"', "utf-8'", '\xe9']
ENCODINGS = ['7bit', '8bit', 'binary', 'base64', 'quoted-printable',
    'x-uuencode', 'uuencode', 'bogus', '']
TEXTS = ['Bonjour, je vous écris au sujet de mon dossier 80000 Amiens.',
    'Le 3 déc. 2026, agent@gru.test a écrit :\n> citation\n> suite',
    '<html><body><p>Bonjour<script>alert(1)</script><table><tr><td>x'
    '</body>', '\u202e\u200b\ufeff\ud7ff\U0001f600', 'GRU-2026-000001',
    '-----Original Message-----\nFrom: x', '=' * 80, '']
TNEF_SIGNATURE = b'\x78\x9f\x3e\x22'


class FuzzFailure(AssertionError):
    "The parser crashed, hung or returned what cannot be stored"


class _Hang(BaseException):
    "Raised by the alarm: not an Exception, so parse_many cannot catch it"


def seeds():
    "Return the raw mails of the test corpus (sorted by name)"
    global _seeds
    if _seeds is None:
        _seeds = []
        for name in sorted(os.listdir(EML)):
            if name.endswith('.eml'):
                with open(os.path.join(EML, name), 'rb') as file:
                    _seeds.append(file.read())
    return _seeds


def _bytes(rnd, size):
    return bytes(rnd.getrandbits(8) for _ in range(size))


def _value(rnd):
    kind = rnd.randint(0, 4)
    if kind == 0:
        return _bytes(rnd, rnd.randint(0, 60))
    if kind == 1:
        return rnd.choice(HOSTILE_VALUES) + rnd.choice(HOSTILE_VALUES)
    return rnd.choice(HOSTILE_VALUES)


def _eol(rnd):
    return rnd.choice([b'\r\n', b'\n', b'\r', b'\r\n', b'\n'])


def _headers(rnd, extra=()):
    lines = []
    for name, value in extra:
        lines.append(name.encode() + b': ' + value)
    for _ in range(rnd.randint(0, 8)):
        name = rnd.choice(HEADER_NAMES).encode()
        if not rnd.randint(0, 9):
            name = _bytes(rnd, rnd.randint(0, 10)).replace(b':', b'')
        value = _value(rnd)
        if not rnd.randint(0, 5):
            # a folded value, possibly with an empty continuation
            value += _eol(rnd) + rnd.choice([b' ', b'\t', b'']) + _value(rnd)
        lines.append(name + rnd.choice([b': ', b':', b' : ', b'']) + value)
    rnd.shuffle(lines)
    return lines


def _encode(rnd, data, encoding):
    "Encode data with encoding, often wrongly"
    if encoding == 'base64':
        text = base64.encodebytes(data)
        damage = rnd.randint(0, 4)
        if damage == 1:
            text = text[:max(0, len(text) - rnd.randint(1, 5))]
        elif damage == 2:
            text = text.replace(b'A', b'*!', rnd.randint(1, 3))
        elif damage == 3:
            text = text.replace(b'\n', b'')
        return text
    if encoding == 'quoted-printable':
        text = quopri.encodestring(data)
        if rnd.randint(0, 2) == 0:
            text += rnd.choice([b'=', b'=Z', b'=\xff', b'=0', b'=\r'])
        return text
    return data


def _leaf(rnd, depth):
    "Return the header lines and the body of a leaf part"
    content_type = rnd.choice(CONTENT_TYPES)
    if content_type == 'message/rfc822' and depth < 6:
        return _entity(rnd, depth + 1, 'message/rfc822')
    charset = rnd.choice(CHARSETS)
    encoding = rnd.choice(ENCODINGS)
    if content_type in {'application/ms-tnef', 'application/vnd.ms-tnef'}:
        data = TNEF_SIGNATURE + _bytes(rnd, rnd.randint(0, 200))
        encoding = rnd.choice(['base64', 'base64', 'binary'])
    elif content_type.startswith('text') or not content_type:
        text = rnd.choice(TEXTS)
        try:
            data = text.encode(charset or 'utf-8', 'surrogatepass')
        except (LookupError, UnicodeError):
            data = text.encode('utf-8', 'surrogatepass')
        if not rnd.randint(0, 4):
            data += _bytes(rnd, rnd.randint(0, 40))
    else:
        data = _bytes(rnd, rnd.randint(0, 300))
    if not rnd.randint(0, 15):
        # a huge line without any line break
        data += b'x' * rnd.randint(1000, 200000)
    extra = [('Content-Type', ('%s; charset="%s"' % (content_type, charset)
                ).encode('utf-8', 'surrogateescape'))]
    if rnd.randint(0, 2):
        extra.append(('Content-Transfer-Encoding', encoding.encode()))
    if rnd.randint(0, 1):
        extra.append(('Content-Disposition', rnd.choice([
                        b'attachment; filename="piece.pdf"', b'inline',
                        b'attachment; filename="winmail.dat"',
                        b'attachment', _value(rnd)])))
    if not rnd.randint(0, 3):
        extra.append(('Content-ID', rnd.choice(
                    [b'<img1@x>', b'<>', b'', _value(rnd)])))
    head = [b'%s: %s' % (n.encode(), v) for n, v in extra] + _headers(rnd)
    return head, _encode(rnd, data, encoding)


def _entity(rnd, depth, content_type=None):
    "Return the bytes of a MIME entity (headers and body)"
    eol = _eol(rnd)
    if content_type == 'message/rfc822':
        inner_head, inner_body = _entity(rnd, depth, None)
        inner = eol.join(inner_head) + eol + eol + inner_body
        head = [b'Content-Type: message/rfc822']
        if rnd.randint(0, 3) == 0:
            head.append(b'Content-Transfer-Encoding: base64')
            inner = base64.encodebytes(inner)
        return head, inner
    if depth < 6 and rnd.randint(0, 2) == 0:
        boundary = rnd.choice([b'B%d' % depth, b'', b'=_x', b'"',
                b'--', b'B' * 100, _bytes(rnd, 8)])
        head = [b'Content-Type: ' + rnd.choice(MULTIPART_TYPES).encode()
            + b'; boundary="' + boundary + b'"']
        head += _headers(rnd)
        parts = []
        for _ in range(rnd.randint(0, 4)):
            sub_head, sub_body = _entity(rnd, depth + 1,
                rnd.choice([None, None, 'message/rfc822']))
            parts.append(b'--' + boundary + eol + eol.join(sub_head)
                + eol + eol + sub_body)
        body = rnd.choice([b'preamble' + eol, b'']) + eol.join(parts)
        if rnd.randint(0, 2):
            body += eol + b'--' + boundary + b'--' + eol
        # a truncated multipart (the closing boundary cut)
        if not rnd.randint(0, 4):
            body = body[:rnd.randint(0, len(body))]
        return head, body
    return _leaf(rnd, depth)


def synthesise(rnd):
    "Return a MIME mail built from hostile parts"
    eol = _eol(rnd)
    head, body = _entity(rnd, 0)
    head = _headers(rnd, [
            ('From', rnd.choice([b'Usager <usager@exemple.fr>', _value(rnd)])),
            ('Subject', _value(rnd)),
            ]) + head
    if rnd.randint(0, 1):
        head.insert(0, b'Message-ID: ' + rnd.choice(
                [b'<fuzz@exemple.fr>', _value(rnd)]))
    return eol.join(head) + eol + eol + body


def mutate(rnd, raw):
    "Return raw damaged by a few byte-level mutations"
    data = bytearray(raw)
    for _ in range(rnd.randint(1, 6)):
        kind = rnd.randint(0, 9)
        position = rnd.randint(0, len(data))
        if kind == 0 and data:
            # flip bits
            index = min(position, len(data) - 1)
            data[index] ^= 1 << rnd.randint(0, 7)
        elif kind == 1:
            data[position:position] = b'\x00' * rnd.randint(1, 4)
        elif kind == 2:
            del data[position:]
        elif kind == 3:
            del data[position:position + rnd.randint(1, 200)]
        elif kind == 4:
            chunk = data[position:position + rnd.randint(1, 400)]
            data[position:position] = chunk * rnd.randint(1, 20)
        elif kind == 5:
            other = rnd.choice(seeds())
            start = rnd.randint(0, len(other))
            data[position:position] = other[start:start
                + rnd.randint(1, 2000)]
        elif kind == 6:
            old, new = rnd.choice([(b'\r\n', b'\n'), (b'\n', b'\r'),
                    (b'\n', b'\r\n'), (b'\n\n', b'\n'), (b'=', b'=\xff'),
                    (b'--', b'-'), (b'"', b''), (b';', b'\x00;'),
                    (b'base64', b'quoted-printable'),
                    (b'utf-8', b'x-unknown')])
            data = bytearray(bytes(data).replace(old, new))
        elif kind == 7:
            data[position:position] = (b'\r\n' + b'; '.join(
                    _headers(rnd) or [b'X: y']) + b'\r\n')
        elif kind == 8:
            data[position:position] = b'y' * rnd.randint(1000, 100000)
        else:
            data[position:position] = _bytes(rnd, rnd.randint(1, 64))
    return bytes(data)


def build(rnd):
    "Return one hostile raw mail drawn from rnd"
    kind = rnd.randint(0, 9)
    if kind == 0:
        return _bytes(rnd, rnd.randint(0, 2048))
    if kind <= 4:
        return mutate(rnd, rnd.choice(seeds()))
    return synthesise(rnd)


@contextlib.contextmanager
def time_limit(seconds):
    "Raise FuzzFailure when the block runs longer than seconds"
    def expired(signum, frame):
        raise _Hang()
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Hang:
        raise FuzzFailure('no answer after %s s (hang)' % seconds)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def quarantine_reason(error):
    "The reason Received.quarantine records for error"
    return ('%s: %s' % (type(error).__name__, error))[:2000]


def _storable(value, name):
    if value is None:
        return
    if not isinstance(value, str):
        raise FuzzFailure('%s is a %s' % (name, type(value).__name__))
    if '\x00' in value:
        raise FuzzFailure('%s holds a NUL character' % name)
    try:
        value.encode('utf-8')
    except UnicodeEncodeError as error:
        raise FuzzFailure('%s cannot be stored: %s' % (name, error))


def check_parsed(parsed):
    "Raise FuzzFailure when parsed holds what the database would refuse"
    if not isinstance(parsed, ParsedMail):
        raise FuzzFailure('parse returned %r' % type(parsed))
    if not parsed.key:
        raise FuzzFailure('no key')
    for name in ['subject', 'from_name', 'from_address', 'text',
            'visible_text', 'history', 'html', 'reply_to', 'message_id',
            'auto_reply', 'postal_code', 'key']:
        _storable(getattr(parsed, name), name)
    for name in ['to', 'cc', 'delivered_to', 'in_reply_to', 'references',
            'tokens', 'bounced_addresses', 'bounced_message_ids']:
        for value in getattr(parsed, name):
            _storable(value, name)
    for attachment in parsed.attachments:
        if not isinstance(attachment, Attachment):
            raise FuzzFailure('attachment %r' % type(attachment))
        _storable(attachment.filename, 'attachment filename')
        _storable(attachment.content_type, 'attachment content type')
        if not attachment.filename:
            raise FuzzFailure('attachment without a file name')
        if not isinstance(attachment.data, bytes):
            raise FuzzFailure('attachment data is a %s'
                % type(attachment.data).__name__)
    if parsed.date is not None and parsed.date.tzinfo is not None:
        raise FuzzFailure('aware date')


def check(raw, max_attachment_size=None, seconds=TIME_LIMIT):
    """Parse raw as the gateway does; return ('parsed', None) or
    ('quarantined', reason), raise FuzzFailure otherwise"""
    with time_limit(seconds):
        try:
            result, = parse_many([raw], max_attachment_size)
        except _Hang:
            raise
        except BaseException as error:
            raise FuzzFailure('parse_many raised %r' % error) from error
    if isinstance(result, Exception):
        return 'quarantined', quarantine_reason(result)
    check_parsed(result)
    return 'parsed', None

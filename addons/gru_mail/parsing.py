# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Parse a raw email into what the email channel needs.

Pure Python (no database): the gateway and the tests call parse(raw).
Everything goes through email.policy.default (get_body, get_content,
iter_parts); the raw payload is only read to repair a broken charset.
"""
import datetime as dt
import email
import email.errors
import email.header
import functools
import hashlib
import html
import mimetypes
import pickle
import re
import subprocess
import sys
from dataclasses import dataclass, field
from email.headerregistry import HeaderRegistry
from email.policy import default as policy_default
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from gru_inbox.quoting import quote_start

TOKEN = re.compile(r'\b(GRU-\d{4}-\d{4,})\b', re.IGNORECASE)
PLUS_TOKEN = re.compile(r'\+(GRU-\d{4}-\d{4,})@', re.IGNORECASE)
MESSAGE_ID = re.compile(r'<[^<>\s]+>')
# a postal code followed by a commune name (signature, address line); the
# patterns start with a digit (what the regex engine scans for quickly),
# the look-behind after it says that no letter or digit precedes
POSTAL_CODE_CITY = re.compile(
    r'(\d(?<![\d\w]\d)\d{4})\s+(?:[A-ZÀ-Ýa-zà-ÿ][\w\'’ -]{2,})')
# a bare postal code of the Hauts-de-France departments
POSTAL_CODE_REGION = re.compile(
    r'((?:02|59|60|62|80)(?<![\d\w]\d\d)\d{3})(?![\d\w])')
FALLBACK_CHARSETS = ['utf-8', 'cp1252', 'latin-1']
AUTO_PRECEDENCE = {'bulk', 'junk', 'list', 'auto_reply'}
TNEF_TYPES = {'application/ms-tnef', 'application/vnd.ms-tnef'}


class _CachingHeaderRegistry(HeaderRegistry):
    """The header registry of email.policy.default that remembers the
    headers it parsed: the email package parses a header again at each
    look-up (Content-Type a dozen times per message). Parsed headers are
    immutable strings, so they can be shared."""

    @functools.lru_cache(maxsize=4096)
    def __call__(self, name, value):
        return super().__call__(name, value)


# email.policy.default with the caching registry
POLICY = policy_default.clone(header_factory=_CachingHeaderRegistry())


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = None

    @property
    def size(self):
        return len(self.data)


@dataclass
class ParsedMail:
    message_id: str = None
    in_reply_to: list = field(default_factory=list)
    references: list = field(default_factory=list)
    from_address: str = ''
    from_name: str = ''
    to: list = field(default_factory=list)
    cc: list = field(default_factory=list)
    delivered_to: list = field(default_factory=list)
    reply_to: str = ''
    subject: str = ''
    date: dt.datetime = None
    text: str = ''
    visible_text: str = ''
    history: str = ''
    html: str = None
    attachments: list = field(default_factory=list)
    oversize: list = field(default_factory=list)
    forwarded: list = field(default_factory=list)
    auto_reply: str = None
    bounce: bool = False
    bounced_addresses: list = field(default_factory=list)
    bounced_message_ids: list = field(default_factory=list)
    spam: bool = False
    postal_code: str = None
    tokens: list = field(default_factory=list)
    defects: list = field(default_factory=list)
    key: str = None

    @property
    def all_recipients(self):
        return self.to + self.cc + self.delivered_to

    def inline_images(self):
        """Return {Content-ID: (content type, data)} of the image parts the
        HTML can refer to as cid: (the parts over the size limit are not
        kept, so their references stay blocked)"""
        return {a.content_id: (a.content_type, a.data)
            for a in self.attachments
            if a.content_id and a.content_type.startswith('image/')}


class _TextExtractor(HTMLParser):
    "Turn HTML into readable text (for mails without a text part)"
    _block = {'p', 'div', 'br', 'tr', 'li', 'h1', 'h2', 'h3', 'h4',
        'blockquote', 'table'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {'script', 'style', 'head'}:
            self._skip += 1
        elif tag in self._block:
            self.parts.append('\n')

    def handle_endtag(self, tag):
        if tag in {'script', 'style', 'head'}:
            self._skip = max(0, self._skip - 1)
        elif tag in {'p', 'div', 'tr', 'li', 'h1', 'h2', 'h3', 'h4'}:
            self.parts.append('\n')

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(value):
    parser = _TextExtractor()
    try:
        parser.feed(value)
        parser.close()
    except Exception:  # hostile HTML may break html.parser in any way
        return html.unescape(re.sub(r'<[^>]+>', ' ', value))
    text = ''.join(parser.parts)
    text = re.sub(r'[ \t\xa0]+', ' ', text)
    text = re.sub(r'\n\s*\n\s*\n+', '\n\n', text)
    return text.strip()


def decode_text(part):
    """Return the text of part, repairing a missing or broken charset.

    get_content() is tried first; an unknown charset, or 8-bit bytes
    declared as ASCII, fall back to UTF-8, then Windows-1252."""
    charset = (part.get_content_charset() or '').lower()
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        text = None
    if text is not None and '\ufffd' not in text:
        return text
    raw = part.get_payload(decode=True) or b''
    candidates = [charset] if charset and charset != 'us-ascii' else []
    for name in candidates + FALLBACK_CHARSETS:
        try:
            return raw.decode(name)
        except (LookupError, UnicodeError, ValueError):
            # ValueError: a charset name with a NUL character
            continue
    return raw.decode('utf-8', 'replace')


def split_history(text):
    """Return (visible, history): the new text and the quoted history
    (reply header, '>' lines, forwarded original) folded away"""
    if not text:
        return '', ''
    start = quote_start(text)
    if start is None:
        start = len(text)
    lines = text[:start].split('\n')
    # trailing block of '>' quoted lines
    end = len(lines)
    while end and (lines[end - 1].startswith('>')
            or not lines[end - 1].strip()):
        end -= 1
    if end < len(lines) and any(l.startswith('>') for l in lines[end:]):
        visible = '\n'.join(lines[:end])
        history = '\n'.join(lines[end:]) + text[start:]
    else:
        visible = text[:start]
        history = text[start:]
    if not visible.strip():
        # a mail that is only a forward keeps its text visible
        return text.strip(), ''
    return visible.rstrip(), history.strip()


def find_postal_code(text):
    "Return the postal code given in text (signature first) or None"
    if not text:
        return None
    matches = POSTAL_CODE_CITY.findall(text)
    if matches:
        return matches[-1]
    matches = POSTAL_CODE_REGION.findall(text)
    if matches:
        return matches[-1]
    return None


def _message_ids(value):
    return MESSAGE_ID.findall(str(value or ''))


def _addresses(message, name):
    try:
        values = [str(v) for v in message.get_all(name) or []]
    except Exception:  # a hostile header may break the header registry
        values = _raw_values(message, name)
    try:
        return [a.lower() for _, a in getaddresses(values) if a]
    except Exception:  # a hostile address header may break getaddresses
        return []


def _raw_values(message, name):
    "Return the raw texts of the headers name of message"
    return [value for key, value in message.raw_items()
        if key.lower() == name.lower() and isinstance(value, str)]


def repair(value):
    "Return value with the raw 8-bit bytes of a header decoded"
    try:
        value.encode('utf-8')
        return value
    except UnicodeEncodeError:
        try:
            raw = value.encode('utf-8', 'surrogateescape')
        except UnicodeEncodeError:
            # a lone surrogate that is not an escaped byte
            return value.encode('utf-8', 'replace').decode('utf-8')
    for charset in FALLBACK_CHARSETS:
        try:
            return raw.decode(charset)
        except UnicodeError:
            continue


def _header(message, name):
    try:
        value = message.get(name)
    except Exception:  # a hostile header may break the header registry
        return ''
    if value is None:
        return ''
    value = str(value)
    if '\ufffd' in value:
        # raw 8-bit bytes in an undeclared charset: the parsed header
        # replaced them, the raw header still holds them to decode
        value = _raw_header(message, name) or value
    return repair(value).strip()


def header_text(message, name):
    """Return the text of header name of message, its raw 8-bit bytes
    decoded and without NUL characters"""
    return _header(message, name).replace('\x00', '')


def _raw_header(message, name):
    """Return the header name decoded from its raw bytes (UTF-8, else the
    fallback charsets such as cp1252) and its RFC 2047 words, or None"""
    for key, value in message.raw_items():
        if key.lower() != name.lower() or not isinstance(value, str):
            continue
        value = repair(value)
        if value is None:
            return None
        try:
            value = str(email.header.make_header(
                    email.header.decode_header(value)))
        except (UnicodeError, LookupError, email.errors.HeaderParseError):
            # hostile or broken encoded words: keep the raw text
            pass
        return ' '.join(value.split())
    return None


def auto_reply_reason(message):
    "Return why message is an automatic reply or None"
    auto_submitted = _header(message, 'Auto-Submitted').lower()
    if auto_submitted and auto_submitted != 'no':
        return 'Auto-Submitted: %s' % auto_submitted
    for name in ['X-Autoreply', 'X-Autorespond', 'X-Autoresponse']:
        if _header(message, name):
            return '%s: %s' % (name, _header(message, name))
    precedence = _header(message, 'Precedence').lower()
    if precedence in AUTO_PRECEDENCE:
        return 'Precedence: %s' % precedence
    if 'Return-Path' in message:
        return_path = _header(message, 'Return-Path')
        if return_path in {'', '<>'}:
            return 'Return-Path: <>'
    return None


def _parse_bounce(message, parsed):
    "Fill the bounce fields from a delivery status notification"
    if message.get_content_type() != 'multipart/report':
        return
    if (message.get_param('report-type') or '').lower() != 'delivery-status':
        return
    parsed.bounce = True
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == 'message/delivery-status':
            blocks = part.get_payload()
            if not isinstance(blocks, list):
                blocks = [blocks]
            for block in blocks:
                if not hasattr(block, 'get'):
                    continue
                action = str(block.get('Action', '')).strip().lower()
                recipient = str(block.get('Final-Recipient')
                    or block.get('Original-Recipient') or '')
                if ';' in recipient:
                    recipient = recipient.split(';', 1)[1]
                recipient = recipient.strip().strip('<>').lower()
                if recipient and action in {'failed', ''}:
                    if recipient not in parsed.bounced_addresses:
                        parsed.bounced_addresses.append(recipient)
        elif content_type in {'message/rfc822', 'text/rfc822-headers'}:
            if content_type == 'message/rfc822':
                original = part.get_content()
            else:
                original = email.message_from_string(
                    decode_text(part), policy=POLICY)
            for name in ['Message-ID']:
                parsed.bounced_message_ids.extend(
                    _message_ids(_header(original, name)))


def _filename(part, index):
    try:
        name = part.get_filename()
    except Exception:  # a hostile RFC 2231 file name may break decoding
        name = None
    if name:
        name = name.replace('/', '_').replace('\\', '_').strip()
    if not name:
        content_type = part.get_content_type()
        extension = mimetypes.guess_extension(content_type) or '.bin'
        if content_type == 'message/rfc822':
            extension = '.eml'
        name = 'part-%d%s' % (index, extension)
    return name[:200]


def _unpack_tnef(data):
    "Return the attachments of a winmail.dat and its text body"
    from tnefparse import TNEF
    tnef = TNEF(data)
    attachments = []
    for attachment in tnef.attachments:
        name = attachment.long_filename() or attachment.name
        if isinstance(name, bytes):
            name = name.decode('utf-8', 'replace')
        name = (name or 'attachment').strip('\x00') or 'attachment'
        content_type = mimetypes.guess_type(name)[0] \
            or 'application/octet-stream'
        attachments.append(Attachment(name, content_type, attachment.data))
    body = getattr(tnef, 'body', None)
    if isinstance(body, bytes):
        body = body.decode('cp1252', 'replace')
    return attachments, body or ''


def parse(raw, max_attachment_size=None):
    """Return the ParsedMail of the raw bytes.

    Attachments larger than max_attachment_size (bytes) are not returned
    but listed in oversize as (filename, size): they stay in the raw
    message only."""
    if isinstance(raw, str):
        raw = raw.encode('utf-8', 'surrogateescape')
    message = email.message_from_bytes(raw, policy=POLICY)
    parsed = ParsedMail()
    parsed.key = _header(message, 'Message-ID') and _message_ids(
        _header(message, 'Message-ID'))[:1]
    parsed.message_id = parsed.key[0] if parsed.key else None
    parsed.key = parsed.message_id or (
        'sha256:' + hashlib.sha256(raw).hexdigest())
    parsed.in_reply_to = _message_ids(_header(message, 'In-Reply-To'))
    parsed.references = _message_ids(_header(message, 'References'))
    name, address = '', ''
    try:
        from_header = message.get('From')
        if from_header is not None and from_header.addresses:
            name = from_header.addresses[0].display_name or ''
            address = from_header.addresses[0].addr_spec or ''
    except Exception:  # a hostile From may break the header registry
        try:
            name, address = parseaddr(' '.join(_raw_values(message, 'From')))
        except Exception:  # and parseaddr
            name, address = '', ''
    if '@' not in address:
        address = ''
    parsed.from_name = repair(name).strip()
    parsed.from_address = address.strip().lower()
    parsed.to = _addresses(message, 'To')
    parsed.cc = _addresses(message, 'Cc')
    parsed.delivered_to = _addresses(message, 'Delivered-To') + _addresses(
        message, 'X-Original-To')
    reply_to = _addresses(message, 'Reply-To')
    parsed.reply_to = reply_to[0] if reply_to else ''
    parsed.subject = ' '.join(_header(message, 'Subject').split())
    try:
        date = parsedate_to_datetime(_header(message, 'Date'))
        if date.tzinfo:
            date = date.astimezone(dt.timezone.utc).replace(tzinfo=None)
        parsed.date = date
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed.date = None
    parsed.spam = _header(message, 'X-Spam-Flag').upper() == 'YES'
    _parse_bounce(message, parsed)
    if not parsed.bounce:
        parsed.auto_reply = auto_reply_reason(message)
    parsed.defects = [type(d).__name__ for d in message.defects]

    body_parts = set()
    text_part = _get_body(message, ('plain',))
    html_part = _get_body(message, ('html',))
    if text_part is not None and text_part.get_content_type() != \
            'text/plain':
        text_part = None
    if html_part is not None and html_part.get_content_type() != 'text/html':
        html_part = None
    if message.get_content_maintype() != 'multipart' and not (
            text_part or html_part) and message.get_content_maintype() == \
            'text':
        text_part = message
    text = decode_text(text_part) if text_part is not None else ''
    if html_part is not None:
        parsed.html = decode_text(html_part)
        if not text:
            text = html_to_text(parsed.html)
    for part in (text_part, html_part):
        if part is not None:
            body_parts.add(id(part))

    tnef_bodies = []
    index = 0
    for part in _leaves(message):
        if id(part) in body_parts:
            continue
        content_type = part.get_content_type()
        if content_type in {'message/delivery-status',
                'text/rfc822-headers'}:
            continue
        index += 1
        disposition = (part.get_content_disposition() or '').lower()
        if content_type == 'message/rfc822':
            try:
                inner = part.get_content()
                inner_body = inner.get_body(preferencelist=('plain', 'html'))
                inner_text = decode_text(inner_body) if inner_body else ''
                if inner_body is not None and \
                        inner_body.get_content_type() == 'text/html':
                    inner_text = html_to_text(inner_text)
                parsed.forwarded.append({
                        'subject': _header(inner, 'Subject'),
                        'from': _header(inner, 'From'),
                        'date': _header(inner, 'Date'),
                        'text': inner_text,
                        })
                data = inner.as_bytes(policy=policy_default.clone(
                        linesep='\r\n'))
            except Exception:  # a hostile forwarded mail: kept raw
                data = part.get_payload(decode=True) or b''
            _add_attachment(parsed, Attachment(
                    _filename(part, index), content_type, data),
                max_attachment_size)
            continue
        if content_type.startswith('text/') and disposition != 'attachment' \
                and not part.get_filename():
            # an alternative body of a nested part: keep its text
            extra = decode_text(part)
            if content_type == 'text/html':
                extra = html_to_text(extra)
            if extra and extra.strip() and extra.strip() not in text:
                text = '\n\n'.join(filter(None, [text, extra]))
            continue
        try:
            data = part.get_content()
            if isinstance(data, str):
                # a file is kept as sent: the text decoded with a missing
                # or wrong charset would lose its accents
                data = part.get_payload(decode=True) or b''
            elif not isinstance(data, bytes):
                data = part.get_payload(decode=True) or b''
        except Exception:  # hostile charset or encoding: the raw bytes
            data = part.get_payload(decode=True) or b''
        filename = _filename(part, index)
        if content_type in TNEF_TYPES or filename.lower() == 'winmail.dat':
            try:
                unpacked, tnef_body = _unpack_tnef(data)
            except Exception:  # a hostile winmail.dat: kept as a file
                unpacked, tnef_body = None, ''
            if unpacked is not None:
                for attachment in unpacked:
                    _add_attachment(parsed, attachment, max_attachment_size)
                if tnef_body:
                    tnef_bodies.append(tnef_body)
                continue
        content_id = _header(part, 'Content-ID').strip('<>') or None
        inline = disposition == 'inline' or (
            disposition != 'attachment' and content_id is not None)
        _add_attachment(parsed, Attachment(filename, content_type, data,
                inline=inline, content_id=content_id), max_attachment_size)
    if not text.strip() and tnef_bodies:
        text = '\n'.join(tnef_bodies)
    text = text.replace('\r\n', '\n').strip()
    parsed.text = text
    parsed.visible_text, parsed.history = split_history(text)
    parsed.postal_code = find_postal_code(parsed.visible_text)
    tokens = []
    for value in [parsed.subject]:
        tokens.extend(t.upper() for t in TOKEN.findall(value))
    for address in parsed.all_recipients:
        tokens.extend(t.upper() for t in PLUS_TOKEN.findall(address))
    parsed.tokens = list(dict.fromkeys(tokens))
    strip_nul(parsed)
    return parsed


def _storable(value):
    """Return value without the NUL characters and the lone surrogates
    (undecodable bytes) PostgreSQL refuses in text"""
    if not value or not isinstance(value, str):
        return value
    if '\x00' in value:
        value = value.replace('\x00', '')
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        value = repair(value)
    return value


def strip_nul(parsed):
    """Remove the NUL characters and the lone surrogates PostgreSQL refuses
    in text from the parsed texts, addresses and file names (the raw email
    is stored untouched)"""
    for name in ['subject', 'from_name', 'from_address', 'reply_to',
            'message_id', 'key', 'auto_reply', 'text', 'visible_text',
            'history', 'html']:
        setattr(parsed, name, _storable(getattr(parsed, name)))
    for name in ['to', 'cc', 'delivered_to', 'in_reply_to', 'references',
            'bounced_addresses', 'bounced_message_ids']:
        setattr(parsed, name, [v for v in map(_storable, getattr(parsed, name))
                if v])
    for attachment in parsed.attachments:
        attachment.filename = _storable(attachment.filename) or 'attachment'
        attachment.content_type = _storable(attachment.content_type) \
            or 'application/octet-stream'
        if attachment.content_id:
            attachment.content_id = _storable(attachment.content_id) or None


def _get_body(message, preferencelist):
    "Return message.get_body(preferencelist) or None when the tree is broken"
    try:
        return message.get_body(preferencelist=preferencelist)
    except Exception:  # a multipart whose payload is text, not parts
        return None


def _leaves(part):
    "Yield the leaf parts without entering attached messages"
    content_type = part.get_content_type()
    if content_type in {'message/rfc822', 'message/delivery-status'}:
        yield part
    elif part.is_multipart():
        for sub in part.iter_parts():
            if hasattr(sub, 'get_content_type'):
                yield from _leaves(sub)
    else:
        yield part


def _add_attachment(parsed, attachment, max_size):
    if max_size and attachment.size > max_size:
        parsed.oversize.append((attachment.filename, attachment.size))
    else:
        parsed.attachments.append(attachment)


def strip_token(subject):
    "Return subject without our [GRU-...] token and reply prefixes"
    subject = TOKEN.sub('', subject or '').replace('[]', '')
    subject = re.sub(r'^\s*((re|tr|fwd?|aw)\s*:\s*)+', '', subject.strip(),
        flags=re.IGNORECASE)
    return ' '.join(subject.split())


def parse_many(raws, max_attachment_size=None):
    """Return the ParsedMail of each raw, or the exception that parsing it
    raised (run in the parser process of the gateway)"""
    result = []
    for raw in raws:
        try:
            result.append(parse(raw, max_attachment_size=max_attachment_size))
        except Exception as error:  # a hostile mail: quarantined with it
            result.append(error)
    return result


class BackgroundParser:
    """Parse the batches of mail in a child process while the gateway
    stores the previous batch: parsing takes about a third of the
    ingestion. One batch at a time is in the child: read the result of a
    batch before submitting the next one. Used as a context manager; with
    workers=0, or when the child fails, it parses in this process."""

    def __init__(self, workers=1):
        self.workers = workers
        self._child = None

    def __enter__(self):
        if self.workers > 0:
            try:
                self._child = subprocess.Popen([sys.executable, '-c',
                        'from gru_mail.parsing import _serve; _serve()'],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            except OSError:
                self._child = None
        return self

    def __exit__(self, *exc):
        child, self._child = self._child, None
        if child is not None:
            try:
                child.stdin.close()
                child.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                child.kill()
                child.wait()

    def submit(self, raws, max_attachment_size=None):
        """Start parsing raws; return a callable giving the list of
        parse_many"""
        if self._child is not None:
            try:
                pickle.dump((raws, max_attachment_size), self._child.stdin,
                    protocol=pickle.HIGHEST_PROTOCOL)
                self._child.stdin.flush()
            except (OSError, pickle.PickleError):
                # the child died or the batch cannot be sent: parse here
                self.__exit__()
        child = self._child
        if child is None:
            return lambda: parse_many(raws, max_attachment_size)

        def result():
            try:
                return pickle.load(child.stdout)
            except (EOFError, OSError, pickle.UnpicklingError):
                # the child died: parse here from now on
                self.__exit__()
                return parse_many(raws, max_attachment_size)
        return result


def _serve():
    "The loop of the parser process: pickled jobs in, results out"
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            raws, max_attachment_size = pickle.load(stdin)
        except EOFError:
            return
        pickle.dump(parse_many(raws, max_attachment_size), stdout,
            protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()

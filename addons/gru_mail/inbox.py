# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The email channel of the requests: ingestion, threading, noise, replies.

Incoming mail arrives through the inbound email rule action
'gru.inbox.request|from_inbound_email'; outgoing mail leaves through
Request.send_message (replies) and the acknowledgements.
"""
import datetime as dt
import logging
import mimetypes
import smtplib
import socket
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from sql import Cast
from sql.operators import Concat

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import Index, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.sendmail import get_smtp_server
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView

from gru_contact.tools import normalize_email
from gru_inbox.html import NOTE_HTML, sanitize_html, translate_note
from gru_inbox.inbox import OPEN_STATES

from .classify import (
    AUTO_REPLY, BOUNCE, DUPLICATE, LOOP, THREAD, Known, classify)
from .exceptions import MailboxError, MailSendError
from .parsing import parse

logger = logging.getLogger(__name__)
MAX_SEND_ATTEMPTS = 8


def _erased_key(column):
    "The message key of an erased mail: unique, telling nothing"
    return Concat('erased:', Cast(column.table.id, 'VARCHAR'))


def send_error_reason(error):
    """Return the translated reason of the SMTP sending error, for the
    agent: connection refused, server unreachable, authentication failed,
    recipient refused or another error (with its detail)"""
    try:
        uri = config.parse_uri(config.get('email', 'uri'))
        server = '%s:%s' % (uri.hostname, uri.port or (
                465 if uri.scheme.startswith('smtps') else 25))
    except (TypeError, ValueError, AttributeError):
        # no or a malformed [email] uri
        server = '?'
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return gettext('gru_mail.msg_send_authentication_failed',
            server=server, detail=_smtp_detail(error))
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return gettext('gru_mail.msg_send_recipient_refused',
            recipients=', '.join(error.recipients),
            detail='; '.join(_smtp_detail(e)
                for e in error.recipients.values()))
    if isinstance(error, ConnectionRefusedError):
        return gettext('gru_mail.msg_send_connection_refused',
            server=server)
    if not isinstance(error, smtplib.SMTPException) and isinstance(
            error, (socket.timeout, socket.gaierror, OSError)):
        return gettext('gru_mail.msg_send_unreachable',
            server=server, detail=str(error))
    return gettext('gru_mail.msg_send_failed',
        server=server, detail=_smtp_detail(error) or type(error).__name__)


def _smtp_detail(error):
    "Return the answer of the SMTP server held by error"
    if isinstance(error, tuple):
        code, text = error[:2]
    else:
        code = getattr(error, 'smtp_code', None)
        text = getattr(error, 'smtp_error', None)
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    if code is None and text is None:
        return str(error)
    return ' '.join(str(x) for x in [code, text] if x)


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    mailbox = fields.Many2One('gru.mail.mailbox', "Mailbox", readonly=True,
        ondelete='RESTRICT',
        help="The mailbox the request arrived at; its replies leave from "
        "it.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.channel.selection.append(('email', "Email"))
        cls._channel_icons['email'] = 'gru-channel-email'
        cls._reply_channels.add('email')

    @classmethod
    def _gdpr_to_erase(cls, domain):
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        Received = pool.get('gru.mail.received')
        Email = pool.get('inbound.email')
        to_erase = super()._gdpr_to_erase(domain)
        received_domain = ['OR',
            ('request', 'where', domain),
            ('message', 'where', [('request', 'where', domain)]),
            ]
        with without_check_access():
            emails = {r.inbound_email.id for r in Received.search(
                    received_domain) if r.inbound_email}
            requests = [str(r) for r in cls.search(domain)]
            for sub in grouped_slice(requests):
                emails.update(e.id for e in Email.search([
                            ('result', 'in', list(sub)),
                            ]))
        to_erase.extend([
                # the message-ids may hold the sender's name, the errors
                # and over-size notes his address and his file names
                (Message, [('request', 'where', domain)], False,
                    ['cc_address', 'history', 'mail_error',
                        'oversize_attachments', 'mail_message_id',
                        'mail_in_reply_to', 'mail_references'],
                    [None] * 7),
                (Received, received_domain, True,
                    ['from_address', 'subject', 'message_id', 'message_key',
                        'reason', 'oversize'],
                    [None, None, None, _erased_key, None, None]),
                # the raw .eml; its file leaves the store with the purge of
                # the unreferenced files
                (Email, [('id', 'in', sorted(emails))], True,
                    ['data', 'data_id'], [None, None]),
                ])
        return to_erase

    @classmethod
    def from_inbound_email(cls, email_, rule):
        """Inbound email rule action: create or update the request.
        The outcome is stored on the received mail of email_, if any."""
        pool = Pool()
        Mailbox = pool.get('gru.mail.mailbox')
        Received = pool.get('gru.mail.received')
        # a mailbox deactivated (not fetched any more) still owns its mail
        # (retry of a quarantined one, tests and demo feeding it directly)
        mailboxes = Mailbox.search([
                ('inbox', '=', email_.inbox.id),
                ('active', 'in', [True, False]),
                ], limit=1)
        if not mailboxes:
            raise MailboxError(gettext('gru_mail.msg_inbox_no_mailbox',
                    inbox=email_.inbox.rec_name))
        mailbox, = mailboxes
        parsed = parse(email_.data,
            max_attachment_size=mailbox.max_attachment_size * 1024)
        with Transaction().set_context(company=mailbox.company.id):
            outcome = cls._mail_ingest(mailbox, parsed)
        if parsed.oversize:
            outcome['oversize'] = '\n'.join(
                '%s (%d bytes)' % o for o in parsed.oversize)
        Received.set_outcome(email_, outcome)
        return outcome.get('request')

    @classmethod
    def _mail_known(cls, mailbox, parsed_mails):
        "Return what the database knows of parsed_mails, for classify"
        pool = Pool()
        Mailbox = pool.get('gru.mail.mailbox')
        Received = pool.get('gru.mail.received')
        Message = pool.get('gru.inbox.message')
        senders = {p.from_address for p in parsed_mails if p.from_address}
        loops = {m.address for m in Mailbox.search([
                    ('address', 'in', list(senders)),
                    ('active', 'in', [True, False]),
                    ])} if senders else set()
        keys = [p.key for p in parsed_mails]
        known_keys = {r.message_key for r in Received.search([
                    ('message_key', 'in', keys),
                    ('request', '!=', None),
                    ('state', 'in', ['processed', 'duplicate']),
                    ])} if keys else set()
        ids = {i for p in parsed_mails for i in p.in_reply_to + p.references}
        known_ids = {m.mail_message_id for m in Message.search([
                    ('mail_message_id', 'in', list(ids)),
                    ])} if ids else set()
        tokens = {t for p in parsed_mails for t in p.tokens}
        known_tokens = {r.reference for r in cls.search([
                    ('reference', 'in', list(tokens)),
                    ])} if tokens else set()
        attach = bool(mailbox.open_request_policy == 'attach'
            and mailbox.scheme)
        open_senders = set()
        if attach:
            looked_up = set()
            for parsed in parsed_mails:
                sender = parsed.from_address
                if (not sender or sender in looked_up or sender in loops
                        or parsed.spam or parsed.bounce
                        or parsed.auto_reply):
                    continue
                looked_up.add(sender)
                if cls._mail_open_request(mailbox, parsed):
                    open_senders.add(sender)
        return Known(mailbox_addresses=loops, message_keys=known_keys,
            message_ids=known_ids, references=known_tokens,
            open_request_senders=open_senders, attach=attach)

    @classmethod
    def _mail_classify(cls, mailbox, parsed_mails):
        "Return the Verdict of each parsed mail (see classify)"
        return classify(parsed_mails, cls._mail_known(mailbox, parsed_mails))

    @classmethod
    def _mail_ingest(cls, mailbox, parsed):
        """Ingest one parsed mail, as classified against the database;
        return the outcome as values of gru.mail.received"""
        pool = Pool()
        Received = pool.get('gru.mail.received')
        Message = pool.get('gru.inbox.message')
        verdict, = cls._mail_classify(mailbox, [parsed])
        if verdict.kind == LOOP:
            return {'state': 'ignored', 'outcome': 'loop',
                'reason': gettext('gru_mail.msg_outcome_loop',
                    address=parsed.from_address)}
        if verdict.kind == BOUNCE:
            request = cls._mail_bounce(parsed)
            return {'state': 'ignored', 'outcome': 'bounce',
                'request': request,
                'reason': ', '.join(parsed.bounced_addresses)}
        if verdict.kind == DUPLICATE:
            duplicate, = Received.search([
                    ('message_key', '=', parsed.key),
                    ('request', '!=', None),
                    ('state', 'in', ['processed', 'duplicate']),
                    ], order=[('id', 'ASC')], limit=1)
            request = duplicate.request
            request._mail_add_origin(mailbox.address)
            return {'state': 'duplicate', 'outcome': 'duplicate',
                'request': request, 'message': duplicate.message,
                'reason': gettext('gru_mail.msg_outcome_duplicate',
                    mailbox=duplicate.mailbox.address)}
        request, thread_reason = None, None
        if verdict.kind in {AUTO_REPLY, THREAD}:
            request, thread_reason = cls._mail_thread(parsed)
        values = cls._mail_message_values(mailbox, parsed)
        if verdict.kind == AUTO_REPLY:
            message = None
            if request:
                message = Message(request=request,
                    **dict(values, direction='note'))
                message.save()
            return {'state': 'ignored', 'outcome': 'auto_reply',
                'request': request, 'message': message,
                'reason': parsed.auto_reply}
        if (not request and verdict.kind == THREAD
                and mailbox.open_request_policy == 'attach'
                and not parsed.spam):
            request = cls._mail_open_request(mailbox, parsed)
        if request:
            message = Message(request=request, **values)
            message.save()
            message._mail_save_attachments(parsed)
            return {'state': 'processed', 'outcome': 'threaded',
                'request': request, 'message': message}
        outcome, = cls._mail_create_many(mailbox, [parsed], [thread_reason])
        return outcome

    @classmethod
    def _mail_request_values(cls, mailbox, parsed):
        """Return the intake values of the request opened by parsed, with
        what the mailbox knows (scheme, team, antenna) for the triage"""
        values = {
            'channel': 'email',
            'received_at': parsed.date or dt.datetime.now(),
            'subject': (parsed.subject or '')[:200] or None,
            'contact_email': normalize_email(parsed.from_address)
            and parsed.from_address or None,
            'contact_name': parsed.from_name[:200] or None,
            'contact_postal_code': parsed.postal_code,
            'scheme': mailbox.scheme,
            'team': mailbox.team,
            'origin_address': mailbox.address,
            'mailbox': mailbox,
            }
        if mailbox.antenna:
            values['antenna'] = mailbox.antenna
            values['antenna_reason'] = gettext(
                'gru_mail.msg_antenna_from_mailbox',
                mailbox=mailbox.address)
        if values['received_at'] > dt.datetime.now() + dt.timedelta(days=1):
            values['received_at'] = dt.datetime.now()
        return values

    @classmethod
    def _mail_note_thread_reasons(cls, requests, thread_reasons):
        "Note on the new requests why a reference was not followed"
        changed = []
        for request, thread_reason in zip(requests, thread_reasons):
            if thread_reason:
                request.triage_log = '\n'.join(
                    filter(None, [request.triage_log, thread_reason]))
                changed.append(request)
        if changed:
            cls.save(changed)

    @classmethod
    def _mail_create_many(cls, mailbox, parsed_mails, thread_reasons=None):
        """Open one request per parsed mail together (classified new or
        spam); return their outcomes as values of gru.mail.received"""
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        if thread_reasons is None:
            thread_reasons = [None] * len(parsed_mails)
        with Transaction().set_context(company=mailbox.company.id):
            requests = cls.intake_many([
                    (cls._mail_request_values(mailbox, parsed),
                        cls._mail_message_values(mailbox, parsed))
                    for parsed in parsed_mails])
            cls._mail_note_thread_reasons(requests, thread_reasons)
            messages = [r.messages[0] for r in requests]
            Message._mail_save_attachments_many(messages, parsed_mails)
            spams = [r for r, p in zip(requests, parsed_mails)
                if p.spam and r.state != 'cancelled']
            if spams:
                cls.do_cancel(spams, 'spam')
            outcomes = []
            for request, message, parsed, thread_reason in zip(
                    requests, messages, parsed_mails, thread_reasons):
                if parsed.spam:
                    outcome = 'spam'
                else:
                    outcome = 'created'
                    cls._mail_acknowledge(request, mailbox, parsed)
                values = {'state': 'processed', 'outcome': outcome,
                    'request': request, 'message': message,
                    'reason': thread_reason}
                if parsed.oversize:
                    values['oversize'] = '\n'.join(
                        '%s (%d bytes)' % o for o in parsed.oversize)
                outcomes.append(values)
        return outcomes

    @classmethod
    def _mail_message_values(cls, mailbox, parsed):
        body = parsed.visible_text
        for forwarded in parsed.forwarded:
            body = '\n\n'.join(filter(None, [body, gettext(
                            'gru_mail.msg_forwarded_header',
                            subject=forwarded['subject'],
                            sender=forwarded['from'],
                            date=forwarded['date']),
                        forwarded['text']]))
        oversize = '\n'.join('%s (%d bytes)' % o for o in parsed.oversize)
        return {
            'direction': 'in',
            'channel': 'email',
            # the mail is the usager's, not of the user fetching it
            'author': None,
            'date': parsed.date or dt.datetime.now(),
            'from_address': parsed.from_address or None,
            'to_address': ', '.join(parsed.to)[:250] or None,
            'cc_address': ', '.join(parsed.cc)[:250] or None,
            'subject': (parsed.subject or '')[:250] or None,
            'body': body,
            # remote content blocked, cid: images inline, at storage
            'body_html': sanitize_html(
                parsed.html, images=parsed.inline_images()),
            'history': parsed.history or None,
            'mail_message_id': parsed.message_id,
            'mail_in_reply_to': ' '.join(parsed.in_reply_to) or None,
            'mail_references': ' '.join(parsed.references) or None,
            'mailbox': mailbox,
            'oversize_attachments': oversize or None,
            }

    def _mail_add_origin(self, address):
        "Record that the mail also arrived at address"
        addresses = [a.strip() for a in (self.origin_address or '').split(',')
            if a.strip()]
        if address not in addresses:
            addresses.append(address)
            self.origin_address = ', '.join(addresses)
            self.save()

    @classmethod
    def _mail_thread(cls, parsed):
        """Return (request, reason): the request the mail replies to when
        its sender is the request's usager, or None and why a reference
        was not followed"""
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        candidates = []
        ids = parsed.in_reply_to + list(reversed(parsed.references))
        if ids:
            messages = Message.search([('mail_message_id', 'in', ids)])
            by_id = {m.mail_message_id: m.request for m in messages}
            candidates.extend(by_id[i] for i in ids if i in by_id)
        if parsed.tokens:
            by_reference = {r.reference: r for r in cls.search([
                        ('reference', 'in', parsed.tokens)])}
            candidates.extend(by_reference[t] for t in parsed.tokens
                if t in by_reference)
        seen, rejected = set(), []
        for request in candidates:
            while request.duplicate_of:
                request = request.duplicate_of
            if request.id in seen:
                continue
            seen.add(request.id)
            if request._mail_sender_matches(parsed.from_address):
                return request, None
            rejected.append(request.reference)
        if rejected:
            return None, gettext('gru_mail.msg_thread_sender_mismatch',
                sender=parsed.from_address or '?',
                requests=', '.join(rejected))
        return None, None

    def _mail_sender_matches(self, address):
        "Tell if address is the email of the request's usager or contact"
        key = normalize_email(address)
        if not key:
            return False
        keys = {normalize_email(self.contact_email)}
        if self.party:
            keys.update(normalize_email(m.value)
                for m in self.party.contact_mechanisms if m.type == 'email')
        return key in keys

    @classmethod
    def _mail_open_request(cls, mailbox, parsed):
        "Return the open request of the matched usager on mailbox's scheme"
        if not mailbox.scheme:
            return None
        probe = cls(contact_email=parsed.from_address,
            contact_name=parsed.from_name, contact_phone=None,
            contact_postal_code=None)
        party = cls.match_usager(probe)
        if not party:
            return None
        requests = cls.search([
                ('party', '=', party.id),
                ('scheme', '=', mailbox.scheme.id),
                ('state', 'in', ['new', 'qualified', 'in_progress',
                        'waiting']),
                ], order=[('received_at', 'DESC')], limit=1)
        if requests and requests[0]._mail_sender_matches(
                parsed.from_address):
            return requests[0]
        return None

    @classmethod
    def _mail_bounce(cls, parsed):
        """Mark the bounced addresses and note the failure on the request
        of the returned message; return that request"""
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        Message = pool.get('gru.inbox.message')
        now = dt.datetime.now()
        for address in parsed.bounced_addresses:
            mechanisms = [m for m in ContactMechanism.search([
                        ('type', '=', 'email'),
                        ('value', 'ilike', address),
                        ]) if normalize_email(m.value) == address]
            if mechanisms:
                ContactMechanism.write(mechanisms, {
                        'email_bouncing': True,
                        'email_bounced_at': now,
                        })
        request = None
        if parsed.bounced_message_ids:
            sent = Message.search([
                    ('mail_message_id', 'in', parsed.bounced_message_ids),
                    ('direction', '=', 'out'),
                    ])
            for message in sent:
                message.mail_state = 'bounced'
                message.mail_error = gettext('gru_mail.msg_bounced',
                    addresses=', '.join(parsed.bounced_addresses))
            Message.save(sent)
            if sent:
                request = sent[0].request
                note = Message(request=request, direction='note',
                    channel='email', date=now,
                    subject=parsed.subject[:250] or None,
                    body=gettext('gru_mail.msg_bounced',
                        addresses=', '.join(parsed.bounced_addresses))
                    + '\n\n' + parsed.text)
                note.save()
        return request

    @classmethod
    def _mail_acknowledge(cls, request, mailbox, parsed):
        "Queue the acknowledgement chosen by the triage rules (rate limited)"
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        ContactMechanism = pool.get('party.contact_mechanism')
        template = request.acknowledgement_template
        address = normalize_email(parsed.from_address)
        if not template or not address or parsed.auto_reply or parsed.spam:
            return None
        if ContactMechanism.search([
                    ('type', '=', 'email'),
                    ('value', 'ilike', address),
                    ('email_bouncing', '=', True),
                    ], limit=1):
            return None
        since = dt.datetime.now() - dt.timedelta(days=1)
        count = Message.search_count([
                ('is_acknowledgement', '=', True),
                ('to_address', '=', address),
                ('date', '>=', since),
                ])
        if count >= mailbox.acknowledgement_limit:
            request.triage_log = '\n'.join(filter(None, [
                        request.triage_log,
                        gettext('gru_mail.msg_acknowledgement_limited',
                            address=address)]))
            request.save()
            return None
        subject, body, missing = template.render(request.template_values())
        if missing:
            # never send a half-filled acknowledgement
            request.triage_log = '\n'.join(filter(None, [
                        request.triage_log,
                        gettext('gru_mail.msg_acknowledgement_unfilled',
                            template=template.rec_name,
                            placeholders=', '.join(
                                '${%s}' % n for n in missing))]))
            request.save()
            return None
        first_response_at = request.first_response_at
        message = Message(request=request, direction='out', channel='email',
            date=dt.datetime.now(), to_address=address,
            subject=subject or request.subject, body=body,
            is_acknowledgement=True, mailbox=mailbox)
        message._mail_prepare()
        message.save()
        if not first_response_at:
            # an acknowledgement is not an answer of an agent
            cls.write([request], {'first_response_at': None})
        return message

    def get_mailbox(self):
        "Return the mailbox the mail of the request leaves from"
        pool = Pool()
        Mailbox = pool.get('gru.mail.mailbox')
        if self.mailbox:
            return self.mailbox
        # sending needs no IMAP: a mailbox not fetched (inactive) still
        # sends, the active ones first
        domain = [
            ('company', '=', self.company.id),
            ('active', 'in', [True, False]),
            ]
        order = [('active', 'DESC'), ('id', 'ASC')]
        if self.scheme:
            mailboxes = Mailbox.search(domain + [
                    ('scheme', '=', self.scheme.id)], order=order, limit=1)
            if mailboxes:
                return mailboxes[0]
        mailboxes = Mailbox.search(domain + [('scheme', '=', None)],
            order=order, limit=1) or Mailbox.search(
                domain, order=order, limit=1)
        if not mailboxes:
            raise MailSendError(gettext('gru_mail.msg_no_mailbox',
                    request=self.rec_name))
        return mailboxes[0]

    def _send_email(self, message):
        "Send the outgoing message by SMTP from the request's mailbox"
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        if message.direction != 'out':
            return
        if not normalize_email(message.to_address):
            raise MailSendError(gettext('gru_mail.msg_send_no_address',
                    request=self.rec_name))
        message.mailbox = self.get_mailbox()
        message._mail_prepare()
        message.save()
        Message.send_mails([message])

    def _conversation_status(self, message):
        "The state of a mail not sent yet, or failed, in the thread"
        status = super()._conversation_status(message)
        if (message.channel == 'email' and message.direction == 'out'
                and message.mail_state in {'to_send', 'failed', 'bounced'}):
            states = message.fields_get(['mail_state'])['mail_state']
            status = dict(states['selection']).get(
                message.mail_state, message.mail_state)
        return status


class Message(metaclass=PoolMeta):
    __name__ = 'gru.inbox.message'

    cc_address = fields.Char("Cc")
    history = fields.Text("Quoted History", readonly=True,
        help="The quoted earlier messages, folded out of the body.")
    mailbox = fields.Many2One('gru.mail.mailbox', "Mailbox", readonly=True,
        ondelete='SET NULL')
    mail_message_id = fields.Char("Message-ID", readonly=True)
    mail_in_reply_to = fields.Char("In-Reply-To", readonly=True)
    mail_references = fields.Text("References", readonly=True)
    mail_state = fields.Selection([
            (None, ""),
            ('to_send', "To Send"),
            ('sent', "Sent"),
            ('failed', "Failed"),
            ('bounced', "Bounced"),
            ('cancelled', "Cancelled"),
            ], "Mail State", readonly=True, sort=False)
    mail_error = fields.Text("Mail Error", readonly=True,
        states={'invisible': ~Eval('mail_error')})
    mail_attempts = fields.Integer("Send Attempts", readonly=True)
    mail_next_attempt = fields.DateTime("Next Send Attempt", readonly=True)
    sent_at = fields.DateTime("Sent At", readonly=True)
    mail_answer = fields.Boolean("Answers the Request", readonly=True,
        help="Once sent, the mail marks its request as answered.")
    is_acknowledgement = fields.Boolean("Acknowledgement", readonly=True)
    oversize_attachments = fields.Text("Attachments Over the Limit",
        readonly=True,
        help="Too large to be stored: they remain in the raw email.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.mail_message_id, Index.Equality())),
                Index(t, (t.mail_state, Index.Equality()),
                    where=t.mail_state.in_(['to_send', 'failed'])),
                })
        cls._buttons.update({
                'send_mail': {
                    'invisible': ~Eval('mail_state').in_(
                        ['to_send', 'failed']),
                    'icon': 'tryton-email',
                    'depends': ['mail_state'],
                    },
                })

    @classmethod
    def default_mail_attempts(cls):
        return 0

    @classmethod
    def default_is_acknowledgement(cls):
        return False

    @classmethod
    def default_mail_answer(cls):
        return False

    @classmethod
    def copy(cls, messages, default=None):
        default = default.copy() if default is not None else {}
        for name in ['mail_message_id', 'mail_state', 'mail_error',
                'sent_at', 'mail_answer']:
            default.setdefault(name, None)
        return super().copy(messages, default=default)

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        if 'body_html' in fields_names:
            # the note of the blocked remote content is stored in English
            # and shown in the language of the reader
            note = None
            for values in result:
                body_html = values.get('body_html')
                if body_html and body_html.startswith(NOTE_HTML):
                    if note is None:
                        note = gettext(
                            'gru_mail.msg_external_content_blocked')
                    values['body_html'] = translate_note(body_html, note)
        return result

    def _mail_save_attachments(self, parsed):
        return self._mail_save_attachments_many([self], [parsed])

    @classmethod
    def _mail_save_attachments_many(cls, messages, parsed_mails):
        "Store the attachments of each parsed mail on its message"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        to_create = []
        for message, parsed in zip(messages, parsed_mails):
            names = set()
            for attachment in parsed.attachments:
                name, i = attachment.filename, 1
                while name in names:
                    i += 1
                    stem, dot, ext = attachment.filename.rpartition('.')
                    name = '%s (%d)%s%s' % (stem or ext, i, dot,
                        ext if stem else '')
                names.add(name)
                to_create.append({
                        'name': name,
                        'resource': str(message),
                        'type': 'data',
                        'data': attachment.data,
                        'description': gettext('gru_mail.msg_inline_image')
                        if attachment.inline else None,
                        })
        if not to_create:
            return []
        return Attachment.create(to_create)

    def _mail_subject(self):
        reference = self.request.reference or ''
        subject = self.subject or self.request.subject or ''
        if reference and reference not in subject:
            subject = '[%s] %s' % (reference, subject)
        return subject.strip()

    def _mail_prepare(self):
        "Set the headers of an outgoing mail before it is saved"
        mailbox = self.mailbox
        self.from_address = mailbox.address
        self.subject = self._mail_subject()
        if not getattr(self, 'mail_message_id', None):
            self.mail_message_id = make_msgid(
                idstring=(self.request.reference or 'gru').lower(),
                domain=mailbox.domain)
        known = [m for m in (self.request.messages or [])
            if getattr(m, 'mail_message_id', None) and m.id != getattr(
                self, 'id', None)]
        incoming = [m for m in known if m.direction == 'in']
        if incoming:
            self.mail_in_reply_to = incoming[-1].mail_message_id
        references = [m.mail_message_id for m in known
            if m.direction in {'in', 'out'}][-20:]
        self.mail_references = ' '.join(references) or None
        self.mail_state = 'to_send'
        self.mail_error = None
        if getattr(self, 'mail_attempts', None) is None:
            self.mail_attempts = 0

    def _mail_mime(self):
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        mailbox = self.mailbox
        msg = EmailMessage()
        msg['From'] = formataddr((mailbox.name, mailbox.address))
        msg['To'] = self.to_address
        msg['Reply-To'] = mailbox.plus_address(self.request.reference)
        msg['Subject'] = self.subject or ''
        msg['Date'] = format_datetime(
            (self.date or dt.datetime.now()).replace(
                tzinfo=dt.timezone.utc))
        msg['Message-ID'] = self.mail_message_id
        if self.mail_in_reply_to:
            msg['In-Reply-To'] = self.mail_in_reply_to
        if self.mail_references:
            msg['References'] = self.mail_references
        if self.is_acknowledgement:
            msg['Auto-Submitted'] = 'auto-replied'
            msg['X-Auto-Response-Suppress'] = 'All'
        msg['X-GRU-Reference'] = self.request.reference
        msg.set_content(self.body or '')
        for attachment in Attachment.search([
                    ('resource', '=', str(self))]):
            data = attachment.data or b''
            content_type = mimetypes.guess_type(attachment.name)[0] \
                or 'application/octet-stream'
            maintype, _, subtype = content_type.partition('/')
            msg.add_attachment(data, maintype=maintype, subtype=subtype,
                filename=attachment.name)
        return msg

    @classmethod
    @ModelView.button
    def send_mail(cls, messages):
        "Send the outgoing mails again now"
        cls.send_mails([m for m in messages
                if m.mail_state in {'to_send', 'failed'}])

    @classmethod
    def cancel_mails(cls, messages):
        "Never send the mails not sent yet (their usager is anonymised)"
        to_cancel = [m for m in messages
            if m.mail_state in {'to_send', 'failed'}]
        if to_cancel:
            cls.write(to_cancel, {
                    'mail_state': 'cancelled',
                    'mail_next_attempt': None,
                    })

    @classmethod
    def send_mails(cls, messages):
        """Send the outgoing mails by SMTP ([email] uri of trytond.conf);
        a failure is recorded on the message with its reason and retried
        later. Only a mail sent answers its request (mail_answer).
        A cancelled mail is never sent."""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        # the list may have been read before the mails were cancelled
        cancelled = set()
        for sub in grouped_slice([m.id for m in messages]):
            cancelled.update(m.id for m in cls.search([
                        ('id', 'in', list(sub)),
                        ('mail_state', '=', 'cancelled'),
                        ]))
        messages = [m for m in messages if m.id not in cancelled]
        server = None
        now = dt.datetime.now()
        for message in messages:
            try:
                if server is None:
                    server = get_smtp_server(strict=True)
                server.send_message(message._mail_mime(),
                    message.mailbox.address, [message.to_address])
            except (smtplib.SMTPException, OSError, ValueError) as error:
                # refused, unreachable or a message the server cannot take
                message.mail_attempts = (message.mail_attempts or 0) + 1
                message.mail_state = 'failed'
                message.mail_error = send_error_reason(error)[:2000]
                message.mail_next_attempt = now + dt.timedelta(
                    minutes=2 ** min(message.mail_attempts, 10))
                logger.warning("mail %s to %s failed: %s: %s",
                    message.mail_message_id, message.to_address,
                    type(error).__name__, error)
                if server is not None:
                    try:
                        server.quit()
                    except (smtplib.SMTPException, OSError):
                        pass
                    server = None
            else:
                message.mail_state = 'sent'
                message.mail_error = None
                message.mail_next_attempt = None
                message.sent_at = dt.datetime.now()
        if server is not None:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                pass
        cls.save(messages)
        to_answer = []
        for message in messages:
            if (message.mail_state == 'sent' and message.mail_answer
                    and message.request.state in OPEN_STATES
                    and message.request not in to_answer):
                to_answer.append(message.request)
        if to_answer:
            Request.answer(to_answer)

    @classmethod
    def send_pending_mails(cls):
        "Send the mails to send and retry the failed ones (scheduler)"
        now = dt.datetime.now()
        messages = cls.search([
                ('direction', '=', 'out'),
                ['OR',
                    ('mail_state', '=', 'to_send'),
                    [('mail_state', '=', 'failed'),
                        ('mail_attempts', '<', MAX_SEND_ATTEMPTS),
                        ['OR',
                            ('mail_next_attempt', '=', None),
                            ('mail_next_attempt', '<=', now),
                            ]],
                    ],
                ])
        if messages:
            cls.send_mails(messages)


class RequestVolume(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request.volume'

    count_email = fields.Integer("Email")


class ReplyFailed(ModelView):
    "Reply Not Sent"
    __string__ = "Reply Not Sent"
    __name__ = 'gru.inbox.request.reply.failed'

    message = fields.Many2One('gru.inbox.message', "Message", readonly=True)
    reason = fields.Text("Reason", readonly=True)
    attempts = fields.Integer("Send Attempts", readonly=True)
    next_attempt = fields.DateTime("Next Send Attempt", readonly=True)


class Reply(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request.reply'
    failed = StateView('gru.inbox.request.reply.failed',
        'gru_mail.request_reply_failed_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Retry Now", 'retry', 'tryton-refresh', default=True),
            ])
    retry = StateTransition()

    def _reply_defaults(self, request, channel):
        values = super()._reply_defaults(request, channel)
        if channel == 'email':
            values['to_address'] = request.contact_email or (
                request.party.email if request.party else None)
        return values

    def after_send(self, message):
        "A mail not sent keeps the request in its state"
        if message.channel == 'email' and message.mail_state == 'failed':
            if self.start.mark_answered:
                message.mail_answer = True
                message.save()
            self.failed.message = message
            return 'failed'
        return super().after_send(message)

    def default_failed(self, fields):
        message = self.failed.message
        return {
            'message': message.id,
            'reason': message.mail_error,
            'attempts': message.mail_attempts,
            'next_attempt': message.mail_next_attempt,
            }

    def transition_retry(self):
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        message = self.failed.message
        Message.send_mail([message])
        if message.mail_state == 'failed':
            return 'failed'
        return 'end'


class ContactMechanism(metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'

    email_bouncing = fields.Boolean("Bouncing",
        states={'invisible': Eval('type') != 'email'},
        help="Mail to this address came back as undeliverable.")
    email_bounced_at = fields.DateTime("Bounced At", readonly=True,
        states={'invisible': ~Eval('email_bouncing')})

    @classmethod
    def default_email_bouncing(cls):
        return False

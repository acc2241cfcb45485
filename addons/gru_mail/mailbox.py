# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""IMAP mailboxes and the gateway that ingests their mail exactly once.

For each message the gateway stores the raw mail as an inbound.email and a
gru.mail.received record unique on (mailbox, UIDVALIDITY, UID) and runs the
inbound email rules (our action creates or updates the request), each
message in a savepoint; the batch is committed and only then are its
messages moved on the server. A message already
recorded but still in the folder (crash between commit and move) is only
moved again. A message that fails is rolled back to a savepoint, recorded
as quarantined with its reason and moved to the quarantine folder.
"""
import datetime as dt
import hashlib
import logging
import os
import re
import time
from email.parser import BytesHeaderParser
from email.policy import default as policy_default

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from gru_base.model import ExportAccessMixin

from .exceptions import MailboxError, MailboxValidationError
from .imap import CONNECTION_ERRORS, IMAPAdapter
from .parsing import BackgroundParser, header_text, parse_many

logger = logging.getLogger(__name__)
_EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
BATCH = 50
GRU_ACTION = 'gru.inbox.request|from_inbound_email'
MAX_BACKOFF = 3600


class BigInteger(fields.Integer):
    "An integer stored on 64 bits (IMAP UIDs go up to 2**32 - 1)"
    _sql_type = 'BIGINT'


def message_key(raw):
    "Return the Message-ID of raw or a digest of it when it has none"
    try:
        headers = BytesHeaderParser(policy=policy_default).parsebytes(raw)
        # PostgreSQL refuses NUL in text: the key is stored
        value = str(headers.get('Message-ID') or '').replace(
            '\x00', '').strip()
    except Exception:  # a hostile header may break the header registry
        value = ''
    match = re.search(r'<[^<>\s]+>', value)
    if match:
        return match.group(0)[:250]
    return 'sha256:' + hashlib.sha256(raw).hexdigest()


class Mailbox(DeactivableMixin, ModelSQL, ModelView):
    "Mailbox"
    __string__ = "Mailbox"
    __name__ = 'gru.mail.mailbox'

    name = fields.Char("Name", required=True)
    address = fields.Char("Address", required=True,
        help="The email address of the mailbox: the sender of the replies.")
    company = fields.Many2One('company.company', "Company", required=True,
        ondelete='RESTRICT')
    host = fields.Char("Host", required=True)
    port = fields.Integer("Port", required=True)
    security = fields.Selection([
            ('ssl', "SSL/TLS"),
            ('starttls', "STARTTLS"),
            ('none', "None (tests only)"),
            ], "Security", required=True)
    login = fields.Char("Login", required=True)
    password = fields.Char("Password", strip=False,
        help="Readable only by the GRU administrators.")
    password_ref = fields.Char("Password Reference",
        help="Take the password from the server instead: "
        "'env:VARIABLE' or 'config:section:option' of trytond.conf.")
    folder = fields.Char("Folder", required=True)
    processed_folder = fields.Char("Processed Folder",
        help="Where the ingested messages are moved; "
        "empty: they stay and are flagged as read.")
    quarantine_folder = fields.Char("Quarantine Folder",
        help="Where the messages that could not be ingested are moved.")
    scheme = fields.Many2One('gru.scheme', "Scheme", ondelete='RESTRICT',
        help="The aid scheme of the requests arriving here.")
    team = fields.Many2One('gru.inbox.team', "Team", ondelete='RESTRICT')
    antenna = fields.Many2One('gru.antenna', "Antenna",
        ondelete='RESTRICT',
        help="Given at intake to the requests arriving here (the triage "
        "rules see it); empty: routed from the usager or the postal "
        "code.")
    inbox = fields.Many2One('inbound.email.inbox', "Inbound Rules",
        readonly=True, ondelete='RESTRICT',
        help="The inbound email inbox whose rules process the mail.")
    poll_interval = fields.Integer("Poll Interval", required=True,
        help="In seconds, when the server does not offer IDLE.",
        domain=[('poll_interval', '>=', 5)])
    max_attachment_size = fields.Integer("Attachment Size Limit",
        required=True, domain=[('max_attachment_size', '>', 0)],
        help="In kilobytes; larger files stay in the raw message and are "
        "flagged on the message.")
    open_request_policy = fields.Selection([
            ('new', "Open a New Request"),
            ('attach', "Attach to the Open Request"),
            ], "New Mail of a Usager with an Open Request", required=True,
        help="What a new mail (not a reply) of a known usager does when "
        "the usager has an open request on the mailbox's scheme.")
    acknowledgement_limit = fields.Integer("Acknowledgements per Day",
        required=True, domain=[('acknowledgement_limit', '>=', 0)],
        help="The most acknowledgements sent to one sender in 24 hours.")
    last_uidvalidity = BigInteger("Last UIDVALIDITY", readonly=True)
    last_uid = BigInteger("Last UID", readonly=True)
    last_fetch = fields.DateTime("Last Fetch", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    failure_count = fields.Integer("Failures", readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True)
    received = fields.One2Many('gru.mail.received', 'mailbox', "Received",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('address_unique', Unique(t, t.address),
                'gru_mail.msg_mailbox_address_unique'),
            ]
        cls._buttons.update({
                'fetch_now': {
                    'invisible': ~Eval('active'),
                    'icon': 'tryton-refresh',
                    'depends': ['active'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_security(cls):
        return 'ssl'

    @classmethod
    def default_port(cls):
        return 993

    @classmethod
    def default_folder(cls):
        return 'INBOX'

    @classmethod
    def default_processed_folder(cls):
        return 'GRU/Processed'

    @classmethod
    def default_quarantine_folder(cls):
        return 'GRU/Quarantine'

    @classmethod
    def default_poll_interval(cls):
        return 60

    @classmethod
    def default_max_attachment_size(cls):
        return 10 * 1024

    @classmethod
    def default_open_request_policy(cls):
        return 'new'

    @classmethod
    def default_acknowledgement_limit(cls):
        return 3

    @classmethod
    def default_failure_count(cls):
        return 0

    @fields.depends('security', 'port')
    def on_change_security(self):
        self.port = {'ssl': 993, 'starttls': 143, 'none': 143}.get(
            self.security, self.port)

    @classmethod
    def validate_fields(cls, mailboxes, field_names):
        super().validate_fields(mailboxes, field_names)
        for mailbox in mailboxes:
            if mailbox.address and not _EMAIL.match(mailbox.address):
                raise MailboxValidationError(gettext(
                        'gru_mail.msg_mailbox_address_invalid',
                        mailbox=mailbox.rec_name, address=mailbox.address))
            if mailbox.password_ref and not re.match(
                    r'^(env:\w+|config:[\w.]+:\w+)$', mailbox.password_ref):
                raise MailboxValidationError(gettext(
                        'gru_mail.msg_mailbox_password_ref_invalid',
                        mailbox=mailbox.rec_name,
                        reference=mailbox.password_ref))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('address'):
            values['address'] = values['address'].strip().lower()
        return values

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Inbox = pool.get('inbound.email.inbox')
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            if not values.get('inbox'):
                inbox, = Inbox.create([{
                            'name': values.get('name') or values.get(
                                'address') or '?',
                            'rules': [('create', [{
                                            'action': 'gru.inbox.request'
                                            '|from_inbound_email',
                                            }])],
                            }])
                values['inbox'] = inbox.id
        mailboxes = super().create(vlist)
        cls._update_scheme_checklist(mailboxes)
        return mailboxes

    @classmethod
    def write(cls, *args):
        super().write(*args)
        cls._update_scheme_checklist(sum(args[0:None:2], []))

    @classmethod
    def _update_scheme_checklist(cls, mailboxes):
        "Tick the \"create the mailbox\" task of the schemes served"
        Scheme = Pool().get('gru.scheme')
        schemes = {m.scheme for m in mailboxes if m.scheme}
        if schemes:
            Scheme.update_checklist(list(schemes))

    @classmethod
    def copy(cls, mailboxes, default=None):
        default = default.copy() if default is not None else {}
        for name in ['inbox', 'last_uidvalidity', 'last_uid', 'last_fetch',
                'last_error', 'next_attempt', 'received']:
            default.setdefault(name, None)
        default.setdefault('address', None)
        return super().copy(mailboxes, default=default)

    def get_password(self):
        "Return the password, from the reference when one is given"
        if self.password_ref:
            kind, _, name = self.password_ref.partition(':')
            if kind == 'env':
                value = os.environ.get(name)
            else:
                section, _, option = name.rpartition(':')
                value = config.get(section, option)
            if value is None:
                raise MailboxError(gettext(
                        'gru_mail.msg_mailbox_password_ref_missing',
                        mailbox=self.rec_name,
                        reference=self.password_ref))
            return value
        return self.password

    @property
    def domain(self):
        return self.address.rpartition('@')[2]

    def plus_address(self, token):
        "Return the address with token after a '+' (for the Reply-To)"
        local, _, domain = self.address.rpartition('@')
        return '%s+%s@%s' % (local.split('+', 1)[0], token, domain)

    def get_adapter(self):
        return IMAPAdapter(self.host, self.port, security=self.security,
            login=self.login, password=self.get_password(),
            timeout=config.getint('gru_mail', 'timeout', default=60))

    @classmethod
    @ModelView.button
    def fetch_now(cls, mailboxes):
        "Fetch the new mail now, each message in its own transaction"
        transaction = Transaction()
        for mailbox in mailboxes:
            with transaction.new_transaction() as new:
                mailbox = cls(mailbox.id)
                mailbox.fetch(commit=new.commit)

    @classmethod
    def fetch_due(cls, commit=None):
        "Fetch the active mailboxes whose next attempt is due (scheduler)"
        if commit is None:
            commit = Transaction().commit
        now = dt.datetime.now()
        mailboxes = cls.search([
                ('active', '=', True),
                ['OR',
                    ('next_attempt', '=', None),
                    ('next_attempt', '<=', now),
                    ],
                ])
        for mailbox in mailboxes:
            mailbox.fetch(commit=commit)

    def record_failure(self, error):
        "Record a connection failure and schedule the next attempt"
        self.failure_count = (self.failure_count or 0) + 1
        delay = min(self.poll_interval * 2 ** min(self.failure_count, 10),
            MAX_BACKOFF)
        self.next_attempt = dt.datetime.now() + dt.timedelta(seconds=delay)
        self.last_error = '%s: %s' % (type(error).__name__, error)
        self.save()
        logger.warning("mailbox %s (%s): %s, next attempt in %d s",
            self.name, self.address, self.last_error, delay)
        return delay

    def fetch(self, commit=None, adapter=None, dispatch=None):
        """Ingest the new mail of the mailbox. commit is called after each
        batch; it is the transaction's commit in production.
        dispatch(mailbox, adapter, uidvalidity, uids, counts), when given,
        has the waiting messages (uids) ingested by gateway workers
        (ingest_uids in other processes) instead of this one; it is used
        only with a processed folder.
        Return a dict of counts by received state."""
        if commit is None:
            commit = Transaction().commit
        counts = {}
        own = adapter is None
        try:
            if own:
                adapter = self.get_adapter().connect()
            for folder in [self.processed_folder, self.quarantine_folder]:
                adapter.ensure_folder(folder)
            uidvalidity = adapter.select(self.folder)
        except CONNECTION_ERRORS as error:
            self.record_failure(error)
            commit()
            if own and adapter is not None:
                adapter.logout()
            return counts
        try:
            new = self._waiting(adapter, uidvalidity, commit)
            if dispatch is not None and self.processed_folder and new:
                # the workers commit: read what they did in a new snapshot
                commit()
                dispatch(self, adapter, uidvalidity, new, counts)
                commit()
                self._note_last_uid(uidvalidity)
                self._send_pending(commit)
            else:
                self._ingest_uids(adapter, uidvalidity, new, commit, counts)
        except CONNECTION_ERRORS as error:
            self.record_failure(error)
            commit()
        else:
            self.failure_count = 0
            self.last_error = None
            self.next_attempt = dt.datetime.now() + dt.timedelta(
                seconds=self.poll_interval)
            self.last_fetch = dt.datetime.now()
            self.save()
            commit()
        finally:
            if own:
                adapter.logout()
        return counts

    def _waiting(self, adapter, uidvalidity, commit, uids=None):
        """Return the UIDs of the folder (or of uids) not yet recorded,
        after moving again those recorded (a crash between the commit and
        the move left them)"""
        pool = Pool()
        Received = pool.get('gru.mail.received')
        if self.last_uidvalidity != uidvalidity:
            if self.last_uidvalidity:
                logger.warning("mailbox %s: UIDVALIDITY changed from %s to "
                    "%s, messages are matched again by Message-ID",
                    self.address, self.last_uidvalidity, uidvalidity)
            self.last_uidvalidity = uidvalidity
            self.last_uid = 0
            self.save()
            commit()
        if uids is not None:
            uids = sorted(uids)
        elif self.processed_folder:
            uids = adapter.uids()
        else:
            uids = adapter.uids((self.last_uid or 0) + 1)
        known = {}
        for sub in _chunks(uids, 1000):
            for received in Received.search([
                        ('mailbox', '=', self.id),
                        ('uidvalidity', '=', uidvalidity),
                        ('uid', 'in', sub),
                        ]):
                known[received.uid] = received.state
        # a crash after the commit left these on the server: finish them
        self._server_action(adapter, known)
        return [u for u in uids if u not in known]

    def ingest_uids(self, adapter, uidvalidity, uids, commit):
        """Ingest the messages uids of the selected folder for the gateway
        (a worker process): as fetch, but the mailbox record is left to
        the gateway (its last UID, its state) and so is the sending of the
        queued mail. Return (counts, True when all uids are done)."""
        counts = {}
        if uidvalidity != self.last_uidvalidity:
            # the folder changed since the gateway listed it
            return counts, False
        new = self._waiting(adapter, uidvalidity, commit, uids=uids)
        return counts, self._ingest_uids(adapter, uidvalidity, new, commit,
            counts, shared=True)

    def _ingest_uids(self, adapter, uidvalidity, uids, commit, counts,
            shared=False):
        "Ingest the messages uids by batches; return False when stopped"
        batches = list(_chunks(uids, BATCH))
        # a worker (shared) parses itself: the workers fill the cores and
        # a parser process per chunk cost more than it saved (benchmark)
        workers = config.getint('gru_mail', 'parse_workers', default=1) \
            if len(batches) > 2 and not shared else 0
        max_size = self.max_attachment_size * 1024
        with BackgroundParser(workers) as parser:

            def prefetch(batch):
                raws = adapter.fetch(batch)
                messages = [(uid, raws[uid]) for uid in batch
                    if raws.get(uid) is not None]
                return messages, parser.submit(
                    [raw for _, raw in messages], max_size)
            following = prefetch(batches[0]) if batches else None
            for i in range(len(batches)):
                messages, parsed = following
                parsed = parsed()
                # fetch and parse the next batch while this one is stored
                if i + 1 < len(batches):
                    following = prefetch(batches[i + 1])
                done = self.ingest_many(uidvalidity, messages,
                    parsed=parsed)
                if not self._commit_batch(adapter, done, commit, counts,
                        shared=shared):
                    return False
        return True

    def _commit_batch(self, adapter, done, commit, counts, shared=False):
        """Commit the ingested batch, then move its messages on the server
        and send the mail it queued. Return False when the commit failed
        (the batch will be fetched again).
        shared: a worker of the gateway; the mailbox record (written by
        the gateway alone) is not written and the queued mail is sent by
        the gateway."""
        if done:
            # one commit for the batch, then only the server is changed: a
            # crash before the commit leaves the messages in the folder
            if not shared:
                self.last_uid = max([self.last_uid or 0] + list(done))
                self.save()
            try:
                commit()
            except (backend.DatabaseIntegrityError,
                    backend.DatabaseOperationalError):
                logger.error("mailbox %s: commit failed, the batch will be "
                    "fetched again", self.address, exc_info=True)
                Transaction().rollback()
                return False
            for state in done.values():
                counts[state] = counts.get(state, 0) + 1
            self._server_action(adapter, done)
            if not shared:
                self._send_pending(commit)
        return True

    def _send_pending(self, commit):
        "Send the mail queued for the mailbox (acknowledgements)"
        Message = Pool().get('gru.inbox.message')
        pending = Message.search([
                ('mailbox', '=', self.id),
                ('mail_state', '=', 'to_send'),
                ])
        if pending:
            Message.send_mails(pending)
            commit()

    def _note_last_uid(self, uidvalidity):
        "Set the last UID from the received mail (the workers recorded it)"
        Received = Pool().get('gru.mail.received')
        last = Received.search([
                ('mailbox', '=', self.id),
                ('uidvalidity', '=', uidvalidity),
                ], order=[('uid', 'DESC')], limit=1)
        if last:
            self.last_uid = max(self.last_uid or 0, last[0].uid)

    def _server_action(self, adapter, states):
        "Move (or flag) the messages already committed"
        quarantined = [u for u, s in states.items() if s == 'quarantined']
        others = [u for u, s in states.items() if s != 'quarantined']
        for uids, folder in [
                (others, self.processed_folder),
                (quarantined, self.quarantine_folder)]:
            if not uids:
                continue
            if folder:
                adapter.move(uids, folder)
            else:
                adapter.mark_seen(uids)

    def ingest_many(self, uidvalidity, messages, parsed=None):
        """Ingest messages, a list of (uid, raw), not committed; return
        the received state by uid. parsed: the result of parse_many for
        the raws when already parsed.
        The messages that each open a new request on their own are
        ingested together (Received.ingest_many); the others, and all of
        them when that fails, one by one in UID order."""
        pool = Pool()
        Received = pool.get('gru.mail.received')
        try:
            done, rest = Received.ingest_many(self, uidvalidity, messages,
                parsed=parsed)
        except Exception as error:  # a hostile mail fails its whole batch
            logger.info("mailbox %s: batch of %d messages ingested one by "
                "one: %s", self.address, len(messages), error, exc_info=True)
            done, rest = {}, messages
        for uid, raw in rest:
            done[uid] = self.ingest(uidvalidity, uid, raw)
        return done

    def ingest(self, uidvalidity, uid, raw):
        """Ingest one message (not committed); return the received state.
        A failure is undone and recorded as quarantined."""
        pool = Pool()
        Received = pool.get('gru.mail.received')
        try:
            received = Received.ingest(self, uidvalidity, uid, raw)
        except backend.DatabaseOperationalError:
            # not the mail: a concurrent update (another worker, a user);
            # the batch is undone and its messages fetched again
            raise
        except Exception as error:  # a hostile mail: quarantined with it
            logger.warning("mailbox %s UID %s: quarantined: %s",
                self.address, uid, error, exc_info=True)
            received = Received.quarantine(self, uidvalidity, uid, raw,
                error)
        return received.state


class Received(ExportAccessMixin, ModelSQL, ModelView):
    "Received Mail"
    __string__ = "Received Mail"
    __name__ = 'gru.mail.received'
    _rec_name = 'subject'

    mailbox = fields.Many2One('gru.mail.mailbox', "Mailbox", required=True,
        readonly=True, ondelete='RESTRICT')
    uidvalidity = BigInteger("UIDVALIDITY", required=True, readonly=True)
    uid = BigInteger("UID", required=True, readonly=True)
    message_id = fields.Char("Message-ID", readonly=True)
    message_key = fields.Char("Message Key", required=True, readonly=True,
        help="The Message-ID, or a digest of the message without one.")
    inbound_email = fields.Many2One('inbound.email', "Raw Email",
        readonly=True, ondelete='RESTRICT')
    date = fields.DateTime("Date", readonly=True)
    from_address = fields.Char("From", readonly=True)
    subject = fields.Char("Subject", readonly=True)
    state = fields.Selection([
            ('processed', "Processed"),
            ('duplicate', "Duplicate"),
            ('ignored', "Ignored"),
            ('quarantined', "Quarantined"),
            ], "State", required=True, readonly=True, sort=False)
    outcome = fields.Selection([
            (None, ""),
            ('created', "New Request"),
            ('threaded', "Added to a Request"),
            ('duplicate', "Already Received"),
            ('auto_reply', "Automatic Reply"),
            ('bounce', "Delivery Failure"),
            ('spam', "Spam"),
            ('loop', "Sent by a Mailbox"),
            ('no_rule', "No Matching Rule"),
            ], "Outcome", readonly=True, sort=False)
    reason = fields.Text("Reason", readonly=True)
    request = fields.Many2One('gru.inbox.request', "Request", readonly=True,
        ondelete='SET NULL')
    message = fields.Many2One('gru.inbox.message', "Message", readonly=True,
        ondelete='SET NULL')
    oversize = fields.Text("Attachments Over the Limit", readonly=True)
    retries = fields.Integer("Retries", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('uid_unique', Unique(t, t.mailbox, t.uidvalidity, t.uid),
                'gru_mail.msg_received_uid_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.message_key, Index.Equality())),
                # set_outcome: the received mail of a raw email
                Index(t, (t.inbound_email, Index.Equality())),
                Index(t, (t.state, Index.Equality()),
                    where=t.state == 'quarantined'),
                })
        cls._order = [('id', 'DESC')]
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state') != 'quarantined',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_retries(cls):
        return 0

    @classmethod
    def _new(cls, mailbox, uidvalidity, uid, raw):
        pool = Pool()
        Email = pool.get('inbound.email')
        email_ = Email(inbox=mailbox.inbox, data=raw, data_type='raw')
        email_.save()
        key = message_key(raw)
        try:
            # PostgreSQL refuses NUL in text: a hostile header may carry one
            headers = BytesHeaderParser(policy=policy_default).parsebytes(raw)
            subject = header_text(headers, 'Subject')[:250].replace(
                '\x00', '')
            from_ = header_text(headers, 'From')[:250].replace('\x00', '')
        except Exception:  # a hostile header may break the header registry
            subject = from_ = ''
        return cls(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid,
            message_key=key,
            message_id=key if not key.startswith('sha256:') else None,
            inbound_email=email_, subject=subject, from_address=from_,
            state='processed',
            date=dt.datetime.now())

    @classmethod
    def ingest(cls, mailbox, uidvalidity, uid, raw):
        """Store and process one message inside a savepoint.
        Raise the error when it fails (everything it wrote is undone)."""
        def run():
            received = cls._new(mailbox, uidvalidity, uid, raw)
            received.save()
            return cls._run_rules(received)
        return cls._in_savepoint(mailbox, run)

    @classmethod
    def ingest_many(cls, mailbox, uidvalidity, messages, parsed=None):
        """Store and process together, inside a savepoint, the messages
        (list of (uid, raw)) classified as opening a new request depending
        on no other one (classify.py) and whose first matching inbound
        rule is the GRU action.
        Return ({uid: state} of those, [(uid, raw)] of the others, in UID
        order, to be ingested one by one after them).
        Raise the error when it fails (everything it wrote is undone)."""
        pool = Pool()
        Email = pool.get('inbound.email')
        Request = pool.get('gru.inbox.request')
        rules = list(mailbox.inbox.rules)
        if parsed is None:
            parsed = parse_many([raw for _, raw in messages],
                max_attachment_size=mailbox.max_attachment_size * 1024)
        readable = [(uid, raw, p) for (uid, raw), p in zip(messages, parsed)
            if not isinstance(p, Exception)]
        # the whole batch is classified: a mail may depend on any other
        verdicts = Request._mail_classify(
            mailbox, [p for _, _, p in readable])
        fast = []
        independent = {uid for (uid, _, _), verdict in zip(
                readable, verdicts) if verdict.independent}
        parsed_by_uid = {uid: p for uid, _, p in readable}
        rest = []
        for uid, raw in messages:
            if uid in independent:
                email_ = Email(inbox=mailbox.inbox, data=raw,
                    data_type='raw')
                rule = cls._match_rule(email_, rules)
                if rule is not None and rule.action == GRU_ACTION:
                    fast.append((uid, raw, email_, rule, parsed_by_uid[uid]))
                    continue
            rest.append((uid, raw))
        rest.sort(key=lambda m: m[0])
        if not fast:
            return {}, rest

        def run():
            outcomes = Request._mail_create_many(
                mailbox, [c[-1] for c in fast])
            emails = []
            for (_, _, email_, rule, _), outcome in zip(fast, outcomes):
                email_.rule = rule
                email_.result = outcome['request']
                emails.append(email_)
            Email.save(emails)
            now = dt.datetime.now()
            vlist = []
            for (uid, raw, email_, rule, parsed), outcome in zip(
                    fast, outcomes):
                values = {
                    'mailbox': mailbox.id,
                    'uidvalidity': uidvalidity,
                    'uid': uid,
                    'message_key': parsed.key[:250],
                    'message_id': parsed.message_id,
                    'inbound_email': email_.id,
                    'subject': (parsed.subject or '')[:250],
                    'from_address': ('%s <%s>' % (
                            parsed.from_name, parsed.from_address)
                        if parsed.from_name and parsed.from_address
                        else parsed.from_address or parsed.from_name
                        )[:250],
                    'date': now,
                    }
                for name, value in outcome.items():
                    values[name] = getattr(value, 'id', value)
                vlist.append(values)
            return {r.uid: r.state for r in cls.create(vlist)}
        done = cls._in_savepoint(mailbox, run, name='gru_mail_batch')
        return done, rest

    @classmethod
    def _match_rule(cls, email_, rules=None):
        "Return the first inbound rule matching email_ (or None)"
        if rules is None:
            rules = email_.inbox.rules
        data = email_.as_dict()
        return next((r for r in rules if r.match(data)), None)

    @classmethod
    def _in_savepoint(cls, mailbox, func, name='gru_mail_ingest'):
        "Run func; on error undo all it wrote and raise"
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        cursor.execute('SAVEPOINT %s' % name)
        try:
            with transaction.set_context(company=mailbox.company.id):
                result = func()
        except Exception:  # undone here and raised again
            cursor.execute('ROLLBACK TO SAVEPOINT %s' % name)
            for cache in transaction.cache.values():
                cache.clear()
            raise
        else:
            cursor.execute('RELEASE SAVEPOINT %s' % name)
        return result

    @classmethod
    def _process(cls, received):
        cls._in_savepoint(received.mailbox,
            lambda: cls._run_rules(received))

    @classmethod
    def _run_rules(cls, received):
        """Run the first matching inbound rule on the raw email of received;
        our action stores its outcome on received (set_outcome).
        Return received as stored."""
        email_ = received.inbound_email
        email_.result = None
        rule = email_.rule = cls._match_rule(email_)
        received.reason = None
        if rule is None:
            received.state = 'ignored'
            received.outcome = 'no_rule'
            received.save()
        else:
            received.state = 'processed'
            received.outcome = None
            received.save()
            rule.run(email_)
        email_.save()
        return cls(received.id)

    @classmethod
    def set_outcome(cls, email_, outcome):
        """Store outcome (values of gru.mail.received) on the received
        mail of email_, if any"""
        records = cls.search([('inbound_email', '=', email_.id)])
        if records:
            cls.write(records, {name: getattr(value, 'id', value)
                    for name, value in outcome.items()})

    @classmethod
    def quarantine(cls, mailbox, uidvalidity, uid, raw, error):
        "Record the message that failed with the reason"
        reason = ('%s: %s' % (type(error).__name__, error)).replace(
            '\x00', '')
        try:
            received = cls._new(mailbox, uidvalidity, uid, raw)
        except Exception:  # the hostile mail broke _new: keep its key
            received = cls(mailbox=mailbox, uidvalidity=uidvalidity,
                uid=uid, message_key=message_key(raw),
                date=dt.datetime.now())
        received.state = 'quarantined'
        received.reason = reason[:2000]
        received.save()
        return received

    @classmethod
    @ModelView.button
    def retry(cls, records):
        "Process the quarantined mail again from its raw message"
        for received in records:
            if received.state != 'quarantined':
                continue
            if not received.inbound_email:
                raise MailboxError(gettext('gru_mail.msg_received_no_raw',
                        received=received.rec_name))
            received.retries = (received.retries or 0) + 1
            received.save()
            try:
                cls._process(received)
            except Exception as error:  # still hostile: stays quarantined
                received.reason = ('%s: %s' % (
                        type(error).__name__, error))[:2000]
                received.save()


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('gru.mail.mailbox|fetch_due', "Fetch the Mailboxes"),
                ('gru.inbox.message|send_pending_mails',
                    "Send the Pending Mails"),
                ])


def _chunks(values, size):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def wait_backoff(attempt, base=1, maximum=60):
    "Sleep before a new connection attempt (exponential backoff)"
    delay = min(base * 2 ** attempt, maximum)
    time.sleep(delay)
    return delay

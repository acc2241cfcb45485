# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The agent's screen of a request: the thread read in place, the reply
box beside it and the usager 360° panel.

The thread and the panel are HTML built here (every text escaped, the
message bodies sanitised by html.py) and shown read-only by the 'gru_html'
widget of config/sao/custom.js. The quoted history of a message is folded
in <details>. The reply box sends through the reply wizard
(gru.inbox.request.reply), as the Reply button does.
"""
import datetime as dt
import re
from html import escape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, check_access

from .html import sanitize_html, translate_note
from .quoting import quote_start

VOID_ELEMENTS = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img',
    'input', 'link', 'meta', 'source', 'track', 'wbr'}
BLOCK_ELEMENTS = {'p', 'div', 'blockquote', 'li', 'tr', 'td', 'pre',
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'ul', 'ol', 'dl', 'dd',
    'dt', 'section', 'article', 'header', 'footer'}
# the number of other requests, calls and letters listed in the panel
PANEL_LIMIT = 10


def _details(content, summary):
    return ('<details class="gru-quote"><summary>%s</summary>%s</details>'
        % (escape(summary), content))


def fold_text(text, history=None, summary="Quoted history"):
    """Return the plain text as HTML (escaped, its line breaks kept) with
    its quoted history folded in <details>: from the first reply header
    ("Le ... a écrit :", "De : ... Envoyé :", "--- Original Message ---")
    to the end, each block of '>' lines, and history (the history a channel
    already split from the text)"""
    text = text or ''
    tail = ''
    start = quote_start(text)
    if start is not None and text[:start].strip():
        tail = text[start:]
        text = text[:start]
    parts, quoted = [], []

    def flush_quoted():
        if quoted:
            parts.append(_details(
                    '<div class="gru-text">%s</div>'
                    % escape('\n'.join(quoted)), summary))
            del quoted[:]
    lines = []
    for line in text.split('\n'):
        if line.startswith('>'):
            if lines:
                parts.append('<div class="gru-text">%s</div>'
                    % escape('\n'.join(lines).strip('\n')))
                lines = []
            quoted.append(line)
        elif quoted and not line.strip():
            quoted.append(line)
        else:
            flush_quoted()
            lines.append(line)
    flush_quoted()
    if lines and '\n'.join(lines).strip():
        parts.append('<div class="gru-text">%s</div>'
            % escape('\n'.join(lines).strip('\n')))
    history = '\n'.join(filter(None, [tail.strip(), (history or '').strip()]))
    if history:
        parts.append(_details(
                '<div class="gru-text">%s</div>' % escape(history), summary))
    return ''.join(parts)


class _QuoteScanner(HTMLParser):
    """Find in a (well-formed, sanitised) HTML the outermost blockquotes
    and the innermost block whose text is a reply header"""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self._lines = [0]
        for line in html.split('\n')[:-1]:
            self._lines.append(self._lines[-1] + len(line) + 1)
        # open elements: [tag, start, start tag text, texts, has match]
        self.stack = []
        self.blockquotes = []
        self.header = None  # (start, [(tag, start tag text) of ancestors])

    def _offset(self):
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag in VOID_ELEMENTS:
            if tag == 'br':
                self.handle_data('\n')
            return
        self.stack.append(
            [tag, self._offset(), self.get_starttag_text(), [], False])

    def handle_startendtag(self, tag, attrs):
        if tag == 'br':
            self.handle_data('\n')

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS or not self.stack:
            return
        # nh3 gives well-formed HTML: the end tag closes the last element
        index = len(self.stack) - 1
        while index >= 0 and self.stack[index][0] != tag:
            index -= 1
        if index < 0:
            return
        ancestors = self.stack[:index]
        element = self.stack[index]
        del self.stack[index:]
        name, start, _, texts, has_match = element
        text = ''.join(texts)
        end = self._offset() + len('</%s>' % name)
        if name == 'blockquote' and not any(
                a[0] == 'blockquote' for a in ancestors):
            self.blockquotes.append((start, end))
        if (not has_match and name in BLOCK_ELEMENTS
                and quote_start(text) is not None):
            has_match = True
            if self.header is None or start < self.header[0]:
                self.header = (start, [(a[0], a[2]) for a in ancestors])
        if ancestors:
            ancestors[-1][3].append(
                text + ('\n' if name in BLOCK_ELEMENTS else ''))
            ancestors[-1][4] = ancestors[-1][4] or has_match

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][3].append(data)


def fold_html(html, summary="Quoted history"):
    """Return the sanitised html with its quoted history folded in
    <details>: from the first block holding a reply header to the end (the
    blocks around it closed before and opened again inside), and each
    outermost blockquote before it"""
    if not html:
        return html or ''
    scanner = _QuoteScanner(html)
    try:
        scanner.feed(html)
        scanner.close()
    except Exception:  # html.parser may fail on odd input: leave it
        return html
    result = html
    header = scanner.header
    if header is not None:
        start, ancestors = header
        if re.sub(r'<[^>]*>', '', html[:start]).strip():
            closing = ''.join('</%s>' % t for t, _ in reversed(ancestors))
            opening = ''.join(s for _, s in ancestors)
            result = (html[:start] + closing
                + '<details class="gru-quote"><summary>%s</summary>'
                % escape(summary)
                + opening + html[start:] + '</details>')
        else:
            header = None
    limit = header[0] if header is not None else len(html)
    for start, end in sorted(scanner.blockquotes, reverse=True):
        if end <= limit:
            result = (result[:start] + _details(result[start:end], summary)
                + result[end:])
    return result


def _user_datetime(value):
    "Return the datetime value (UTC) in the user's time zone, as text"
    if not value:
        return ''
    timezone = Transaction().context.get('timezone')
    if timezone:
        try:
            value = value.replace(tzinfo=dt.timezone.utc).astimezone(
                ZoneInfo(timezone))
        except Exception:
            pass
    return value.strftime('%d/%m/%Y %H:%M')


def _date(value):
    return value.strftime('%d/%m/%Y') if value else ''


def record_link(record, text=None):
    """Return an HTML link opening record in a tab of the web client (the
    gru_html widget; the href is sao's URL of the record)"""
    database = Transaction().database.name
    return ('<a href="#%s/model/%s/%d" data-gru-model="%s" data-gru-id="%d">'
        '%s</a>' % (escape(database), escape(record.__name__), record.id,
            escape(record.__name__), record.id,
            escape(text if text is not None else record.rec_name)))


def attachment_link(attachment):
    "Return the HTML link downloading attachment (the gru_html widget)"
    database = Transaction().database.name
    return ('<a href="#%s/model/ir.attachment/%d" class="gru-attachment" '
        'data-gru-attachment="%d">%s</a>' % (
            escape(database), attachment.id, attachment.id,
            escape(attachment.name or str(attachment.id))))


def section(key, title, rows, empty=None):
    """Return the HTML of a section of the usager panel: title and rows
    (HTML of each line, already escaped), or the text empty when no row"""
    if rows:
        body = '<ul>%s</ul>' % ''.join('<li>%s</li>' % r for r in rows)
    else:
        body = '<p class="gru-empty">%s</p>' % escape(empty or '')
    return ('<section class="gru-section gru-section-%s"><h3>%s</h3>%s'
        '</section>' % (escape(key), escape(title), body))


def _selection_label(Model, name, value):
    "Return the label of value of the selection field name, translated"
    selection = Model.fields_get([name])[name]['selection']
    if isinstance(selection, str):
        selection = getattr(Model, selection)()
    return dict(selection).get(value, value or '')


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    conversation_order = fields.Selection([
            ('oldest', "Oldest First"),
            ('newest', "Newest First"),
            ], "Conversation Order",
        help="The order of the messages of a request's conversation.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # only the user's display: it widens nothing he may see
        cls._preferences_fields.append('conversation_order')

    @classmethod
    def default_conversation_order(cls):
        return 'oldest'


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    conversation = fields.Function(fields.Text("Conversation"),
        'get_conversation')
    usager_overview = fields.Function(fields.Text("Usager 360°"),
        'get_usager_overview')
    draft_template = fields.Many2One('gru.scheme.template', "Template",
        ondelete='SET NULL',
        domain=[If(Bool(Eval('scheme')),
                ['OR',
                    ('scheme', '=', Eval('scheme', -1)),
                    ('scheme', '=', None),
                    ],
                [])],
        states={'readonly': Eval('state').in_(['closed', 'cancelled'])},
        help="Fills the answer with the template, its variables replaced.")
    draft_channel = fields.Selection('get_draft_channels', "Answer By",
        states={'readonly': Eval('state').in_(['closed', 'cancelled'])})
    draft_to = fields.Char("To",
        states={'readonly': Eval('state').in_(['closed', 'cancelled'])},
        help="Leave empty to answer to the usager's address.")
    draft_subject = fields.Char("Answer Subject",
        states={'readonly': Eval('state').in_(['closed', 'cancelled'])})
    draft_body = fields.Text("Answer",
        states={'readonly': Eval('state').in_(['closed', 'cancelled'])})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'send_reply': {
                    'invisible': ~Eval('state').in_(
                        ['new', 'qualified', 'in_progress', 'waiting',
                            'answered']),
                    'readonly': ~Bool(Eval('draft_body')),
                    'icon': 'tryton-email',
                    'depends': ['state', 'draft_body'],
                    },
                'toggle_conversation_order': {
                    'icon': 'tryton-switch',
                    },
                })

    @classmethod
    def view_attributes(cls):
        # the reply box is of no use on a closed or cancelled request
        return super().view_attributes() + [
            ('//group[@id="reply_box"]', 'states', {
                    'invisible': Eval('state').in_(['closed', 'cancelled']),
                    }),
            ]

    @classmethod
    def get_draft_channels(cls):
        pool = Pool()
        ReplyStart = pool.get('gru.inbox.request.reply.start')
        return [(None, '')] + ReplyStart.get_channels()

    @fields.depends('draft_template', 'draft_subject', 'draft_body',
        'subject', methods=['_draft_template_values'])
    def on_change_draft_template(self):
        if self.draft_template:
            subject, body, _ = self.draft_template.render(
                self._draft_template_values())
            self.draft_body = body
            if subject:
                self.draft_subject = subject

    @fields.depends('reference', 'subject', 'party', 'contact_name',
        'contact_email', 'contact_postal_code', 'received_at', 'scheme',
        'antenna')
    def _draft_template_values(self):
        return self.template_values()

    # The thread

    @classmethod
    def conversation_order(cls):
        "The order of the messages the user prefers: 'oldest' or 'newest'"
        pool = Pool()
        User = pool.get('res.user')
        user = Transaction().user
        if not user:
            return 'oldest'
        return User(user).conversation_order or 'oldest'

    @classmethod
    def get_conversation(cls, requests, name):
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Message = pool.get('gru.inbox.message')
        newest_first = cls.conversation_order() == 'newest'
        result = {}
        with check_access():
            messages = Message.search([
                    ('request', 'in', [r.id for r in requests]),
                    ], order=[('date', 'ASC'), ('id', 'ASC')])
            resources = [str(m) for m in messages] + [str(r) for r in requests]
            attachments = {}
            for attachment in Attachment.search([
                        ('resource', 'in', resources),
                        ], order=[('create_date', 'ASC'), ('id', 'ASC')]):
                attachments.setdefault(
                    str(attachment.resource), []).append(attachment)
        by_request = {}
        for message in messages:
            by_request.setdefault(message.request.id, []).append(message)
        for request in requests:
            thread = by_request.get(request.id, [])
            if newest_first:
                thread = list(reversed(thread))
            parts = []
            documents = attachments.get(str(request), [])
            if documents:
                parts.append('<div class="gru-documents"><strong>%s</strong> '
                    '%s</div>' % (
                        escape(gettext(
                                'gru_inbox.msg_conversation_documents')),
                        ', '.join(attachment_link(a) for a in documents)))
            for message in thread:
                parts.append(request._conversation_message(
                        message, attachments.get(str(message), [])))
            if not thread:
                parts.append('<p class="gru-empty">%s</p>' % escape(
                        gettext('gru_inbox.msg_conversation_empty')))
            result[request.id] = (
                '<div class="gru-thread gru-order-%s">%s</div>' % (
                    'newest' if newest_first else 'oldest', ''.join(parts)))
        return result

    def _conversation_message(self, message, attachments):
        "Return the HTML of message in the thread"
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        direction = _selection_label(Message, 'direction', message.direction)
        channel = _selection_label(Message, 'channel', message.channel)
        if message.direction == 'in':
            who = message.from_address or (
                self.party.rec_name if self.party else self.contact_name)
        else:
            who = message.author.rec_name if message.author else ''
            if message.to_address:
                who = gettext('gru_inbox.msg_conversation_to',
                    author=who, to=message.to_address)
        status = self._conversation_status(message)
        header = (
            '<header><span class="gru-direction">%s</span> · '
            '<span class="gru-channel">%s</span> · '
            '<span class="gru-who">%s</span> · '
            '<time>%s</time>%s <span class="gru-open">%s</span></header>' % (
                escape(direction), escape(channel), escape(who or ''),
                escape(_user_datetime(message.date)),
                (' · <span class="gru-status">%s</span>' % escape(status))
                if status else '',
                record_link(message,
                    gettext('gru_inbox.msg_conversation_open'))))
        subject = ('<div class="gru-subject">%s</div>' % escape(
                message.subject)) if message.subject else ''
        summary = gettext('gru_inbox.msg_conversation_quoted')
        if message.body_html:
            body = translate_note(sanitize_html(message.body_html),
                gettext('gru_inbox.msg_conversation_images_blocked'))
            body = fold_html(body, summary=summary)
        else:
            body = fold_text(message.body,
                history=getattr(message, 'history', None), summary=summary)
        links = ''
        if attachments:
            links = '<div class="gru-attachments"><strong>%s</strong> %s' \
                '</div>' % (
                    escape(gettext('gru_inbox.msg_conversation_attachments')),
                    ', '.join(attachment_link(a) for a in attachments))
        return ('<article class="gru-message gru-%s">%s%s'
            '<div class="gru-body">%s</div>%s</article>' % (
                escape(message.direction), header, subject, body, links))

    def _conversation_status(self, message):
        """Return the text of the state of the sending of message (the
        channel modules extend it) or ''"""
        return ''

    @classmethod
    @ModelView.button
    def toggle_conversation_order(cls, requests):
        "Switch the order of the thread for the user, remembered"
        pool = Pool()
        User = pool.get('res.user')
        order = cls.conversation_order()
        User.set_preferences({'conversation_order':
                'oldest' if order == 'newest' else 'newest'})

    # The reply box

    @classmethod
    @ModelView.button
    def send_reply(cls, requests):
        """Send the answer written in the reply box of each request by the
        reply wizard, as its Send button does, and empty the box"""
        pool = Pool()
        Reply = pool.get('gru.inbox.request.reply', type='wizard')
        for request in requests:
            if not request.draft_body:
                continue
            session_id, _, _ = Reply.create()
            try:
                with Transaction().set_context(
                        active_model=cls.__name__, active_id=request.id,
                        active_ids=[request.id]):
                    result = Reply.execute(session_id, {}, 'start')
                    data = {k: v
                        for k, v in result['view']['defaults'].items()
                        if '.' not in k}
                    values = request._reply_box_values()
                    channel = values.get('channel')
                    if channel and channel != data.get('channel'):
                        # the defaults of the channel chosen in the box
                        # (the usager's address of a mail...), not those of
                        # the channel proposed
                        data.update(Reply(session_id)._reply_defaults(
                                request, channel))
                    data.update(values)
                    Reply.execute(session_id, {'start': data}, 'send')
            finally:
                Reply.delete(session_id)
        cls.write(requests, {
                'draft_template': None,
                'draft_subject': None,
                'draft_body': None,
                'draft_to': None,
                })

    def _reply_box_values(self):
        "Return the values of the reply wizard given in the reply box"
        values = {'body': self.draft_body}
        if self.draft_channel:
            values['channel'] = self.draft_channel
        if self.draft_to:
            values['to_address'] = self.draft_to
        if self.draft_subject:
            values['subject'] = self.draft_subject
        if self.draft_template:
            values['template'] = self.draft_template.id
        return values

    # The usager 360°

    @classmethod
    def get_usager_overview(cls, requests, name):
        return {r.id: r.usager_overview_html() for r in requests}

    def usager_overview_html(self):
        """Return the HTML of the usager panel: the sections the user may
        see (the access rules apply to every search)"""
        parts = []
        for key, title, rows, empty in self._usager_sections():
            parts.append(section(key, title, rows, empty))
        return '<div class="gru-usager">%s</div>' % ''.join(parts)

    def _usager_sections(self):
        """Return the sections of the usager panel as (key, title, rows,
        text when empty); the channel modules add theirs. Each search runs
        with the user's access: a record he may not see is not listed"""
        sections = []
        party = self.party
        if not party:
            rows = [escape(v) for v in [self.contact_name,
                    self.contact_email, self.contact_phone,
                    self.contact_postal_code] if v]
            sections.append(('identity',
                    gettext('gru_inbox.msg_usager_identity'), rows,
                    gettext('gru_inbox.msg_usager_none')))
            return sections
        try:
            with check_access():
                sections.extend(self._usager_party_sections(party))
        except AccessError:
            sections.append(('identity',
                    gettext('gru_inbox.msg_usager_identity'), [],
                    gettext('gru_inbox.msg_usager_no_access')))
        return sections

    def _usager_party_sections(self, party):
        pool = Pool()
        Party = pool.get('party.party')
        Request = pool.get('gru.inbox.request')
        party = Party(party.id)
        identity = ['<strong>%s</strong>' % record_link(party)]
        birth = getattr(party, 'birth_date', None)
        if birth:
            identity.append(escape(gettext('gru_inbox.msg_usager_born',
                        date=_date(birth))))
        for mechanism in party.contact_mechanisms:
            identity.append(escape('%s : %s' % (
                        _selection_label(mechanism.__class__, 'type',
                            mechanism.type), mechanism.value or '')))
        for address in party.addresses:
            text = address.full_address.replace('\n', ', ').strip(', ')
            if text:
                identity.append(escape(text))
        sections = [('identity', gettext('gru_inbox.msg_usager_identity'),
                identity, None)]
        identifiers = [escape('%s : %s' % (
                    _selection_label(i.__class__, 'type', i.type)
                    if i.type else '', i.code))
            for i in party.identifiers]
        sections.append(('identifiers',
                gettext('gru_inbox.msg_usager_identifiers'), identifiers,
                gettext('gru_inbox.msg_usager_no_identifiers')))
        antenna = getattr(party, 'antenna', None)
        sections.append(('antenna', gettext('gru_inbox.msg_usager_antenna'),
                [escape(antenna.rec_name)] if antenna else [],
                gettext('gru_inbox.msg_usager_no_antenna')))
        others = Request.search([
                ('party', '=', party.id),
                ('id', '!=', self.id),
                ], order=[('received_at', 'DESC'), ('id', 'DESC')],
            limit=PANEL_LIMIT)
        rows = ['%s · %s · %s%s' % (
                record_link(r, r.reference or str(r.id)),
                escape(_selection_label(Request, 'state', r.state)),
                escape(_date(r.received_at)),
                (' · %s' % escape(r.subject)) if r.subject else '')
            for r in others]
        sections.append(('requests', gettext('gru_inbox.msg_usager_requests'),
                rows, gettext('gru_inbox.msg_usager_no_requests')))
        schemes = []
        for request in Request.search([('party', '=', party.id)],
                order=[('received_at', 'DESC'), ('id', 'DESC')]):
            if request.scheme and request.scheme not in schemes:
                schemes.append(request.scheme)
        sections.append(('schemes', gettext('gru_inbox.msg_usager_schemes'),
                [escape(s.rec_name) for s in schemes],
                gettext('gru_inbox.msg_usager_no_schemes')))
        return sections

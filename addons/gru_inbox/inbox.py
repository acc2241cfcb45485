# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The request (demande): one contact of a usager whatever its channel."
import datetime as dt

from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields,
    tree)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from gru_base.model import ExportAccessMixin, check_targets
from gru_contact.tools import normalize_email, normalize_phone
from gru_territory.exceptions import RoutingInputError

from .exceptions import RequestError
from .html import sanitize_html
from .scope import InMyAntennasMixin

PRIORITIES = [
    ('0', "Low"),
    ('1', "Normal"),
    ('2', "High"),
    ('3', "Urgent"),
    ]
STATES = [
    ('new', "New"),
    ('qualified', "Qualified"),
    ('in_progress', "In Progress"),
    ('waiting', "Waiting for the Usager"),
    ('answered', "Answered"),
    ('closed', "Closed"),
    ('cancelled', "Cancelled"),
    ]
OPEN_STATES = ['new', 'qualified', 'in_progress', 'waiting']
CANCEL_REASONS = [
    (None, ""),
    ('spam', "Spam"),
    ('duplicate', "Duplicate"),
    ('other', "Other"),
    ]


class Motive(tree(separator=' / '), DeactivableMixin, ModelSQL, ModelView):
    "Motive"
    __string__ = "Motive"
    __name__ = 'gru.inbox.motive'

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code")
    parent = fields.Many2One('gru.inbox.motive', "Parent",
        ondelete='RESTRICT')
    children = fields.One2Many('gru.inbox.motive', 'parent', "Children")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))


class Tag(DeactivableMixin, ModelSQL, ModelView):
    "Tag"
    __string__ = "Tag"
    __name__ = 'gru.inbox.tag'

    name = fields.Char("Name", required=True, translate=True)
    color = fields.Char("Color")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('name_unique', Unique(t, t.name),
                'gru_inbox.msg_tag_name_unique'),
            ]

    @classmethod
    def default_color(cls):
        return '#5b6f8c'


class Request(InMyAntennasMixin, ExportAccessMixin, Workflow, ModelSQL,
        ModelView):
    "Request"
    __string__ = "Request"
    __name__ = 'gru.inbox.request'
    _rec_name = 'reference'

    _closed = Eval('state').in_(['closed', 'cancelled'])

    reference = fields.Char("Reference", readonly=True)
    # the core's channels; each channel module adds its own in __setup__
    # (see doc/design.rst, Channels)
    channel = fields.Selection([
            ('web', "Web Form"),
            ('other', "Other"),
            ], "Channel", required=True,
        states={'readonly': Eval('state') != 'new'})
    channel_string = channel.translated('channel')
    channel_icon = fields.Function(fields.Char("Channel Icon"),
        'get_channel_icon')
    received_at = fields.DateTime("Received At", required=True,
        states={'readonly': Eval('state') != 'new'})
    subject = fields.Char("Subject", states={'readonly': _closed})
    party = fields.Many2One('party.party', "Usager", ondelete='RESTRICT',
        states={'readonly': _closed},
        context={'company': Eval('company', -1)}, depends={'company'})
    contact_name = fields.Char("Captured Name",
        states={'readonly': _closed},
        help="The name given when the usager is not known yet.")
    contact_email = fields.Char("Captured Email",
        states={'readonly': _closed})
    contact_phone = fields.Char("Captured Phone",
        states={'readonly': _closed})
    contact_postal_code = fields.Char("Captured Postal Code", size=5,
        states={'readonly': _closed})
    contact_commune = fields.Many2One('gru.commune', "Captured Commune",
        ondelete='SET NULL', states={'readonly': _closed},
        help="The commune of the usager when the channel knows it: it "
        "decides the antenna of a postal code shared by several communes.")
    antenna = fields.Many2One('gru.antenna', "Antenna", ondelete='RESTRICT',
        states={'readonly': _closed},
        help="Given by the channel, or routed from the usager or the "
        "postal code and commune at intake.")
    antenna_reason = fields.Char("Antenna Reason",
        states={'readonly': _closed},
        help="How the antenna was chosen, or why it was changed by hand.")
    scheme = fields.Many2One('gru.scheme', "Scheme", ondelete='RESTRICT',
        states={'readonly': _closed})
    motive = fields.Many2One('gru.inbox.motive', "Motive",
        ondelete='RESTRICT', states={'readonly': _closed})
    priority = fields.Selection(PRIORITIES, "Priority", required=True,
        sort=False, states={'readonly': _closed})
    tags = fields.Many2Many('gru.inbox.request-gru.inbox.tag', 'request',
        'tag', "Tags", states={'readonly': _closed})
    team = fields.Many2One('gru.inbox.team', "Team", ondelete='RESTRICT',
        states={'readonly': _closed})
    assignee = fields.Many2One('res.user', "Assigned To",
        ondelete='RESTRICT', states={'readonly': _closed})
    assignment_strategy = fields.Selection([
            (None, ""),
            ('manual', "Manual"),
            ('round_robin', "Round Robin"),
            ('least_loaded', "Least Loaded"),
            ], "Assignment Strategy", states={'readonly': _closed},
        help="Set by the triage rules; empty: the team's strategy.")
    assignment_log = fields.Text("Assignment Log", readonly=True)
    triage_log = fields.Text("Triage", readonly=True,
        help="Which triage rules fired and why.")
    acknowledgement_template = fields.Many2One('gru.scheme.template',
        "Acknowledgement Template", ondelete='SET NULL',
        states={'readonly': _closed})
    messages = fields.One2Many('gru.inbox.message', 'request', "Messages",
        states={'readonly': _closed})
    message_count = fields.Function(fields.Integer("Messages"),
        'get_message_count')
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    cancel_reason = fields.Selection(CANCEL_REASONS, "Cancel Reason",
        readonly=True)
    duplicate_of = fields.Many2One('gru.inbox.request', "Duplicate Of",
        readonly=True, ondelete='RESTRICT',
        states={'invisible': ~Eval('duplicate_of')})
    duplicates = fields.One2Many('gru.inbox.request', 'duplicate_of',
        "Merged Duplicates", readonly=True)
    first_response_at = fields.DateTime("First Response At", readonly=True)
    answered_at = fields.DateTime("Answered At", readonly=True)
    closed_at = fields.DateTime("Closed At", readonly=True)
    client_key = fields.Char("Client Key", readonly=True,
        help="The idempotency key given by the system that sent the "
        "request through the API.")
    origin_address = fields.Char("Origin Address", readonly=True,
        help="The mailbox or number the contact arrived at.")
    company = fields.Many2One('company.company', "Company", required=True,
        ondelete='RESTRICT', readonly=True)
    anonymized = fields.Boolean("Anonymised", readonly=True,
        help="The personal data of the request was erased (anonymisation "
        "of the usager or retention period); the statistics stay.")
    mine = fields.Function(fields.Boolean("Mine"), 'get_mine',
        searcher='search_mine')
    month = fields.Function(fields.Char("Month"), 'get_month')

    del _closed

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # the channel registry, fresh for each pool: the channel modules
        # add their icon and, when an answer can be sent on their channel
        # from the reply wizard, the channel to _reply_channels
        cls._channel_icons = {
            'web': 'gru-channel-web',
            'other': 'gru-channel-other',
            }
        cls._reply_channels = set()
        t = cls.__table__()
        cls._sql_constraints = [
            ('reference_unique', Unique(t, t.reference),
                'gru_inbox.msg_request_reference_unique'),
            ('client_key_unique', Unique(t, t.client_key),
                'gru_inbox.msg_request_client_key_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.antenna, Index.Equality()),
                    (t.state, Index.Equality()),
                    (t.received_at, Index.Range())),
                Index(t, (t.party, Index.Equality()),
                    (t.received_at, Index.Range())),
                Index(t, (t.assignee, Index.Equality()),
                    (t.state, Index.Equality())),
                # the volumes (reporting.py) count the requests of a period
                # by these columns: with them in the index PostgreSQL reads
                # only the index (index-only scan); it serves the order by
                # received_at too
                Index(t, (t.received_at, Index.Range()),
                    include=[t.company, t.channel, t.antenna, t.scheme,
                        t.state, t.id]),
                Index(t, (t.state, Index.Equality()),
                    where=t.state.in_(OPEN_STATES)),
                # the open requests by age (the overdue first): without it
                # PostgreSQL walks the received_at index through the closed
                # requests to find the few open ones
                Index(t, (t.received_at, Index.Range()),
                    (t.id, Index.Range()),
                    where=t.state.in_(OPEN_STATES)),
                })
        cls._order = [('received_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('new', 'qualified'),
            ('new', 'in_progress'),
            ('qualified', 'in_progress'),
            ('in_progress', 'waiting'),
            ('waiting', 'in_progress'),
            ('new', 'answered'),
            ('qualified', 'answered'),
            ('in_progress', 'answered'),
            ('waiting', 'answered'),
            ('answered', 'closed'),
            ('answered', 'in_progress'),
            ('closed', 'in_progress'),
            ('new', 'cancelled'),
            ('qualified', 'cancelled'),
            ('in_progress', 'cancelled'),
            ('waiting', 'cancelled'),
            ('cancelled', 'new'),
            }
        cls._buttons.update({
                'qualify': {
                    'invisible': Eval('state') != 'new',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'take': {
                    'invisible': ~Eval('state').in_(['new', 'qualified'])
                    & Bool(Eval('assignee')),
                    'icon': 'tryton-forward',
                    'depends': ['state', 'assignee'],
                    },
                'process': {
                    'invisible': ~Eval('state').in_(
                        ['new', 'qualified', 'waiting']),
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'wait': {
                    'invisible': Eval('state') != 'in_progress',
                    'icon': 'tryton-clock',
                    'depends': ['state'],
                    },
                'answer': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'answered',
                    'icon': 'tryton-close',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': ~Eval('state').in_(['answered', 'closed']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'create_usager': {
                    'invisible': Bool(Eval('party')) | ~(
                        Bool(Eval('contact_name'))
                        | Bool(Eval('contact_email'))
                        | Bool(Eval('contact_phone'))),
                    'icon': 'tryton-party',
                    'depends': ['party', 'contact_name', 'contact_email',
                        'contact_phone'],
                    },
                'assign_auto': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                'reply': {
                    'invisible': ~Eval('state').in_(
                        OPEN_STATES + ['answered']),
                    'icon': 'tryton-email',
                    'depends': ['state'],
                    },
                'merge': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'icon': 'tryton-link',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'new'

    @classmethod
    def default_anonymized(cls):
        return False

    @classmethod
    def default_priority(cls):
        return '1'

    @classmethod
    def default_channel(cls):
        return 'other'

    @classmethod
    def default_received_at(cls):
        return dt.datetime.now()

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @fields.depends('party', 'antenna', 'antenna_reason')
    def on_change_party(self):
        if self.party and getattr(self.party, 'antenna', None):
            self.antenna = self.party.antenna
            self.antenna_reason = gettext(
                'gru_inbox.msg_antenna_from_usager')

    @fields.depends('contact_postal_code', 'contact_commune', 'antenna',
        'party', 'antenna_reason', 'received_at')
    def on_change_contact_postal_code(self):
        if (self.contact_postal_code or self.contact_commune) \
                and not self.party:
            self.route_antenna()

    on_change_contact_commune = on_change_contact_postal_code

    def route_antenna(self):
        """Set the antenna and its reason from the territory routing
        (gru.territory.routing) of the captured postal code and commune, or
        of the usager's postal code, at the date of reception.
        Return the routing result or None when there is nothing to route."""
        pool = Pool()
        Routing = pool.get('gru.territory.routing')
        Antenna = pool.get('gru.antenna')
        commune = self.contact_commune
        postal_code = self.contact_postal_code
        if not (postal_code or commune) and self.party:
            postal_code = getattr(self.party, 'postal_code', None)
        if not (postal_code or commune):
            return None
        date = self.received_at.date() if self.received_at else None
        try:
            if postal_code:
                # the commune narrows a postal code shared by several
                # communes
                result = Routing.resolve(postal_code=postal_code,
                    commune=commune.name if commune else None, date=date)
            else:
                result = Routing.resolve(insee_code=commune.insee_code,
                    date=date)
        except RoutingInputError as exception:
            # a channel may capture a malformed postal code (OCR): the
            # request stays without antenna and says why
            if not self.antenna:
                self.antenna_reason = exception.message
            return None
        if result['antenna']:
            self.antenna = Antenna(result['antenna']['id'])
            self.antenna_reason = result['explanation']
        elif not self.antenna:
            self.antenna_reason = result['explanation']
        return result

    def get_rec_name(self, name):
        if self.subject:
            return '%s %s' % (self.reference or '', self.subject)
        return self.reference or ''

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('reference', operator, value),
            ('subject', operator, value),
            ]

    @classmethod
    def get_message_count(cls, requests, name):
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        message = Message.__table__()
        cursor = Transaction().connection.cursor()
        result = {r.id: 0 for r in requests}
        cursor.execute(*message.select(message.request, Count(message.id),
                where=message.request.in_(list(result)),
                group_by=[message.request]))
        result.update(cursor)
        return result

    @classmethod
    def fields_get(cls, fields_names=None, level=0):
        """Return the definition of the fields, those of a single field
        computed once per transaction (until it writes), user and
        language: trytond asks for the selection of a field this way for
        each record whose selection text it reads (sao reads three of
        them for each of the 100 requests of a form's batch)"""
        if not fields_names or len(fields_names) != 1 or level:
            return super().fields_get(fields_names, level=level)
        transaction = Transaction()
        key = (transaction.user, transaction.language, transaction.counter)
        memo = getattr(transaction, '_gru_request_fields', None)
        if memo is None or memo[0] != key:
            memo = transaction._gru_request_fields = (key, {})
        name, = fields_names
        if name not in memo[1]:
            memo[1][name] = super().fields_get([name])
        # a copy of the definition (its values are not changed in place)
        return {n: dict(d) for n, d in memo[1][name].items()}

    @classmethod
    def channels(cls):
        """Return the (channel, translated name) of the registered channels.

        Computed once per transaction and language: the selections of
        the drafts and replies ask for them for each record read (100
        requests in sao's batch of a form), and fields_get translates the
        whole field each time."""
        transaction = Transaction()
        key = transaction.language
        memo = getattr(transaction, '_gru_channels', None)
        if memo is None or memo[0] != key:
            memo = (key, [tuple(c) for c in cls.fields_get(
                        ['channel'])['channel']['selection']])
            transaction._gru_channels = memo
        return list(memo[1])

    @classmethod
    def channel_icon_of(cls, channel):
        "Return the name of the icon of channel (None if it has none)"
        return cls._channel_icons.get(channel)

    def get_channel_icon(self, name):
        return self.channel_icon_of(self.channel)

    def get_mine(self, name):
        return bool(self.assignee
            and self.assignee.id == Transaction().user)

    @classmethod
    def search_mine(cls, name, clause):
        _, operator, value = clause[:3]
        user = Transaction().user
        if (operator == '=') == bool(value):
            return [('assignee', '=', user)]
        return ['OR', ('assignee', '!=', user), ('assignee', '=', None)]

    def get_month(self, name):
        if self.received_at:
            return self.received_at.strftime('%Y-%m')

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Configuration = pool.get('gru.inbox.configuration')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('reference'):
            config = Configuration(1)
            sequence = config.get_multivalue(
                'request_sequence', company=values.get('company'))
            if not sequence:
                raise RequestError(gettext('gru_inbox.msg_no_sequence'))
            values['reference'] = sequence.get()
        for key in ['contact_email']:
            if values.get(key):
                values[key] = values[key].strip()
        return values

    @classmethod
    def _gdpr_to_erase(cls, domain):
        """Return the (Model, domain, resource, columns, values) of
        party.erase's to_erase that erase the personal data of the requests
        of domain and of their records; the channel modules extend it.
        What the statistics need stays: dates, channel, antenna, scheme,
        motive, state, team. The postal code goes with the rest: the
        antenna gives the territory."""
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        return [
            (cls, domain, True,
                ['subject', 'contact_name', 'contact_email', 'contact_phone',
                    'contact_postal_code', 'contact_commune',
                    'antenna_reason', 'triage_log', 'anonymized'],
                [gettext('gru_inbox.msg_request_anonymized_subject'),
                    None, None, None, None, None, None, None, True]),
            (Message, [('request', 'where', domain)], True,
                ['from_address', 'to_address', 'subject', 'body',
                    'body_html'],
                [None, None, None, None, None]),
            ]

    @classmethod
    def anonymize_contents(cls, requests):
        """Erase the personal data of requests and of their records as the
        anonymisation of their usager does (retention of the requests)"""
        from .party import erase_records
        for sub in grouped_slice(requests):
            erase_records(cls._gdpr_to_erase(
                    [('id', 'in', [r.id for r in sub])]))

    @classmethod
    def copy(cls, requests, default=None):
        default = default.copy() if default is not None else {}
        for name in ['reference', 'client_key', 'first_response_at',
                'answered_at', 'closed_at', 'duplicate_of', 'cancel_reason',
                'triage_log', 'assignment_log', 'anonymized']:
            default.setdefault(name, None)
        default.setdefault('messages', None)
        default.setdefault('duplicates', None)
        return super().copy(requests, default=default)

    @classmethod
    def check_modification(cls, mode, requests, values=None, external=False):
        super().check_modification(
            mode, requests, values=values, external=external)
        if external and mode in {'create', 'write'}:
            # a usager is seen through his requests: linking one's request
            # to another antenna's usager would reveal him
            check_targets(requests, ['party', 'duplicate_of'], values)
        if mode == 'delete':
            for request in requests:
                if request.state != 'new' or request.messages:
                    raise RequestError(gettext(
                            'gru_inbox.msg_request_delete',
                            request=request.rec_name))

    # Workflow

    @classmethod
    @ModelView.button
    @Workflow.transition('qualified')
    def qualify(cls, requests):
        for request in requests:
            if not (request.party or request.contact_email
                    or request.contact_phone or request.contact_name):
                raise RequestError(gettext(
                        'gru_inbox.msg_qualify_no_usager',
                        request=request.rec_name))
            if not request.antenna:
                raise RequestError(gettext(
                        'gru_inbox.msg_qualify_no_antenna',
                        request=request.rec_name))

    @classmethod
    @ModelView.button
    def take(cls, requests):
        "Assign to the current user and start processing"
        user = Transaction().user
        cls.write(requests, {'assignee': user})
        cls.log_assignment(requests, gettext(
                'gru_inbox.msg_assignment_taken'))
        cls.process([r for r in requests if r.state in {'new', 'qualified'}])

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def process(cls, requests):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('waiting')
    def wait(cls, requests):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('answered')
    def answer(cls, requests):
        now = dt.datetime.now()
        for request in requests:
            values = {'answered_at': now}
            if not request.first_response_at:
                values['first_response_at'] = now
            cls.write([request], values)

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, requests):
        cls.write(requests, {'closed_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def reopen(cls, requests):
        cls.write(requests, {'closed_at': None, 'answered_at': None})

    @classmethod
    @ModelView.button_action('gru_inbox.wizard_request_cancel')
    def cancel(cls, requests):
        pass

    @classmethod
    @Workflow.transition('cancelled')
    def do_cancel(cls, requests, reason, duplicate_of=None):
        values = {'cancel_reason': reason}
        if duplicate_of:
            values['duplicate_of'] = duplicate_of.id
        cls.write(requests, values)

    @classmethod
    @ModelView.button
    @Workflow.transition('new')
    def draft(cls, requests):
        cls.write(requests, {'cancel_reason': None, 'duplicate_of': None})

    @classmethod
    @ModelView.button_action('gru_inbox.wizard_request_merge')
    def merge(cls, requests):
        pass

    @classmethod
    @ModelView.button_action('gru_inbox.wizard_request_reply')
    def reply(cls, requests):
        pass

    @classmethod
    def merge_into(cls, duplicates, target):
        """Cancel duplicates as duplicates of target and move their messages
        to target; each moved message keeps its original request"""
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        duplicates = [d for d in duplicates if d != target]
        if not duplicates:
            return
        messages = [m for d in duplicates for m in d.messages]
        for message in messages:
            message.original_request = message.original_request \
                or message.request
            message.request = target
        Message.save(messages)
        cls.do_cancel(duplicates, 'duplicate', duplicate_of=target)

    @classmethod
    def on_incoming_message(cls, requests):
        "A new message of the usager reopens answered or waiting requests"
        to_reopen = [r for r in requests
            if r.state in {'waiting', 'answered', 'closed'}]
        if to_reopen:
            with Transaction().set_context(_check_access=False):
                cls.write(to_reopen, {
                        'closed_at': None, 'answered_at': None})
                # the transition is forced: the usager wrote again
                cls.write(to_reopen, {'state': 'in_progress'})

    @classmethod
    def on_outgoing_message(cls, requests, date):
        to_write = [r for r in requests if not r.first_response_at]
        if to_write:
            cls.write(to_write, {'first_response_at': date})

    @classmethod
    @ModelView.button
    def create_usager(cls, requests):
        "Create the usager from the captured contact data"
        pool = Pool()
        Party = pool.get('party.party')
        for request in requests:
            if request.party:
                continue
            party = Party(name=request.contact_name
                or request.contact_email or request.contact_phone)
            mechanisms = []
            if request.contact_email:
                mechanisms.append({'type': 'email',
                        'value': request.contact_email})
            if request.contact_phone:
                mechanisms.append({'type': 'phone',
                        'value': request.contact_phone})
            party.contact_mechanisms = mechanisms
            if request.contact_postal_code:
                party.addresses = [{
                        'postal_code': request.contact_postal_code}]
            party.save()
            request.party = party
            if not request.antenna and getattr(party, 'antenna', None):
                request.antenna = party.antenna
        cls.save(requests)

    def template_values(self):
        "Return the values of the ${variables} of the answer templates"
        pool = Pool()
        User = pool.get('res.user')
        party = self.party
        user = User(Transaction().user) if Transaction().user else None
        name = (party.name if party else self.contact_name) or ''
        return {
            'reference': self.reference or '',
            'subject': self.subject or '',
            'usager': name,
            'usager_name': name,
            'name': name,
            'email': (party.email if party else self.contact_email) or '',
            'received_date': self.received_at.strftime('%d/%m/%Y')
            if self.received_at else '',
            'scheme': self.scheme.name if self.scheme else '',
            'scheme_code': self.scheme.code if self.scheme else '',
            'antenna': self.antenna.name if self.antenna else '',
            'antenna_phone': (self.antenna.phone or '')
            if self.antenna else '',
            'antenna_email': (self.antenna.email or '')
            if self.antenna else '',
            'agent': user.name if user else '',
            'date': dt.date.today().strftime('%d/%m/%Y'),
            }

    def send_message(self, message):
        """Send the outgoing message (saved) through its channel: the
        channel module's _send_<channel> method; a channel without one
        records the message only (a call or a visit already happened)"""
        method = getattr(self, '_send_%s' % message.channel, None)
        if method is not None:
            method(message)

    # Assignment

    @classmethod
    @ModelView.button
    def assign_auto(cls, requests):
        pool = Pool()
        Team = pool.get('gru.inbox.team')
        for request in requests:
            Team.assign(request)
        cls.save(requests)

    @classmethod
    def log_assignment(cls, requests, text):
        now = dt.datetime.now().strftime('%Y-%m-%d %H:%M')
        for request in requests:
            line = '%s %s' % (now, text)
            request.assignment_log = '\n'.join(
                filter(None, [request.assignment_log, line]))
        cls.save(requests)

    # Intake

    @classmethod
    def intake(cls, values, message=None):
        """Create a request from a contact of any channel.

        values: the request's fields the channel knows (see intake_many).
        message: the first message (dict for gru.inbox.message) if any.
        Return the request (saved)."""
        request, = cls.intake_many([(values, message)])
        return request

    @classmethod
    def intake_many(cls, items):
        """Create the requests of items, a list of (values, message): the
        single entry of every channel (see doc/design.rst, Intake).

        values are fields of the request: channel, received_at, subject,
        party or the captured contact_name, contact_email, contact_phone,
        contact_postal_code, contact_commune, and what the channel knows:
        antenna, team, scheme, motive, priority, origin_address,
        client_key...; message is the first message (dict for
        gru.inbox.message) or None.
        The steps, in this order, for all the items together:
        1. prepare_intake: the channel modules complete the requests;
        2. the usager is matched and the antenna not given is routed;
        3. the triage rules see every value and may override the ones the
           channel gave (the triage log says so);
        4. assignment (a team given by the channel is kept);
        5. the requests and their first messages are saved at once (the
           service level modules compute the due dates on creation);
        6. the spams are cancelled and after_intake runs.
        Return the requests (saved), in the order of items."""
        pool = Pool()
        Rule = pool.get('gru.inbox.rule')
        Team = pool.get('gru.inbox.team')
        Message = pool.get('gru.inbox.message')
        Configuration = pool.get('gru.inbox.configuration')
        Matching = pool.get('gru.contact.matching')
        from .team import AssignmentBatch
        if not items:
            return []
        defaults = cls.default_get(
            ['state', 'priority', 'received_at', 'company'],
            with_rec_name=False)
        requests = []
        for values, message in items:
            values = dict(values)
            for name, value in defaults.items():
                values.setdefault(name, value)
            for name in ['party', 'antenna', 'antenna_reason', 'scheme',
                    'motive', 'team', 'assignee', 'assignment_strategy',
                    'assignment_log', 'triage_log', 'contact_name',
                    'contact_email', 'contact_phone', 'contact_postal_code',
                    'contact_commune', 'origin_address',
                    'acknowledgement_template', 'subject']:
                values.setdefault(name, None)
            values.setdefault('tags', [])
            request = cls(**values)
            if message:
                # the rules read these fields of the first message: a
                # channel that does not know them gives None
                message = dict({'from_address': None, 'to_address': None,
                        'subject': None, 'body': None}, **message)
                request.messages = [Message(**dict(message,
                            direction=message.get('direction', 'in'),
                            channel=message.get('channel', request.channel)))]
            else:
                request.messages = []
            requests.append(request)
        cls.prepare_intake(requests)
        # what the channel gave, before routing and triage
        given = [{n: getattr(r, n) for n in cls._intake_given()}
            for r in requests]

        emails, phones = set(), set()
        for request in requests:
            if not request.party:
                emails.add(request.contact_email)
                phones.add(request.contact_phone)
        known = Matching.known_keys(emails, phones)
        for request in requests:
            if not request.party:
                request.party = cls.match_usager(request, known=known)
            request.set_antenna()

        config = Configuration(1)
        rules = Rule.search([])
        batch = AssignmentBatch(since=min(
                [r.received_at for r in requests if r.received_at],
                default=None))
        spams = []
        for request, channel_values in zip(requests, given):
            message = request.messages[0] if request.messages else None
            _, spam = Rule.evaluate(request, message, rules=rules,
                config=config)
            request._log_overridden(channel_values)
            if spam:
                spams.append(request)
            else:
                Team.assign(request, at=request.received_at, batch=batch)
        cls.set_references(requests)
        cls.save(requests)
        batch.save()
        if spams:
            cls.do_cancel(spams, 'spam')
        cls.after_intake(requests)
        return requests

    @classmethod
    def prepare_intake(cls, requests):
        """Hook for the channel modules: complete the new requests (not
        saved) with what the channel knows before the usager is matched,
        the antenna routed, the rules applied and the requests assigned.
        The first message is in request.messages."""
        pass

    @classmethod
    def _intake_given(cls):
        "The fields a channel may give that the triage rules may override"
        return ['antenna', 'team', 'scheme']

    def _log_overridden(self, given):
        "Say in the triage log which values given before triage it changed"
        lines = []
        for name, value in given.items():
            if value and getattr(self, name) != value:
                new = getattr(self, name)
                lines.append(gettext('gru_inbox.msg_intake_overridden',
                        field=self.__class__.fields_get(
                            [name])[name]['string'],
                        value=value.rec_name,
                        new=new.rec_name if new else '-'))
        if lines:
            self.triage_log = '\n'.join(
                filter(None, [self.triage_log] + lines))

    @classmethod
    def set_references(cls, requests):
        """Number the new requests without a reference from the sequence of
        their company, many at once (else each takes its own on creation)"""
        pool = Pool()
        Configuration = pool.get('gru.inbox.configuration')
        config = Configuration(1)
        by_company = {}
        for request in requests:
            if request.id is None and not getattr(request, 'reference', None):
                company = getattr(request, 'company', None)
                by_company.setdefault(
                    company.id if company else None, []).append(request)
        for company, to_number in by_company.items():
            sequence = config.get_multivalue(
                'request_sequence', company=company)
            if not sequence:
                raise RequestError(gettext('gru_inbox.msg_no_sequence'))
            for request, reference in zip(
                    to_number, sequence.get_many(len(to_number))):
                request.reference = reference

    @classmethod
    def after_intake(cls, requests):
        """Hook for the modules acting on the new requests once saved
        (automatic acknowledgement...); it must not change what the
        triage, the assignment or the service levels depend on"""
        pass

    @classmethod
    def match_usager(cls, request, known=None):
        """Return the usager the matching policy of gru_contact assigns
        from the captured data, or None (the agent chooses among the
        proposals). known: the set of Matching.known_keys of many requests"""
        pool = Pool()
        Matching = pool.get('gru.contact.matching')
        Party = pool.get('party.party')
        if not (request.contact_email or request.contact_phone):
            return None
        # only an exact email or phone can start a certain match here
        if known is not None and not ({
                    normalize_email(request.contact_email)
                    if request.contact_email else None,
                    normalize_phone(request.contact_phone)
                    if request.contact_phone else None} & known):
            return None
        decision = Matching.resolve(
            email=request.contact_email, phone=request.contact_phone,
            name=request.contact_name,
            postal_code=request.contact_postal_code, limit=5)
        if decision['decision'] != 'assign':
            return None
        return Party(decision['party'])

    def set_antenna(self):
        """Complete the antenna not given by the channel: the usager's
        antenna of attachment, else the territory routing"""
        if self.antenna:
            if not self.antenna_reason:
                self.antenna_reason = gettext(
                    'gru_inbox.msg_antenna_from_channel',
                    channel=self.channel_string)
            return
        if self.party and getattr(self.party, 'antenna', None):
            self.antenna = self.party.antenna
            self.antenna_reason = gettext('gru_inbox.msg_antenna_from_usager')
            return
        self.route_antenna()


class RequestTag(ExportAccessMixin, ModelSQL):
    "Request - Tag"
    __string__ = "Request - Tag"
    __name__ = 'gru.inbox.request-gru.inbox.tag'
    request = fields.Many2One('gru.inbox.request', "Request", required=True,
        ondelete='CASCADE')
    tag = fields.Many2One('gru.inbox.tag', "Tag", required=True,
        ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('request')


class Message(ExportAccessMixin, ModelSQL, ModelView):
    "Message"
    __string__ = "Message"
    __name__ = 'gru.inbox.message'

    request = fields.Many2One('gru.inbox.request', "Request", required=True,
        ondelete='CASCADE')
    original_request = fields.Many2One('gru.inbox.request',
        "Original Request", readonly=True, ondelete='SET NULL',
        help="The request the message arrived on before a merge.")
    direction = fields.Selection([
            ('in', "Incoming"),
            ('out', "Outgoing"),
            ('note', "Internal Note"),
            ], "Direction", required=True)
    channel = fields.Selection('get_channels', "Channel", required=True)
    channel_icon = fields.Function(fields.Char("Channel Icon"),
        'get_channel_icon')
    date = fields.DateTime("Date", required=True)
    author = fields.Many2One('res.user', "Author", readonly=True)
    from_address = fields.Char("From")
    to_address = fields.Char("To")
    subject = fields.Char("Subject")
    body = fields.Text("Body")
    body_html = fields.Text("HTML Body", readonly=True,
        help="The HTML of the message, sanitised for display.")
    party = fields.Function(fields.Many2One('party.party', "Usager"),
        'get_party', searcher='search_party')
    antenna = fields.Function(fields.Many2One('gru.antenna', "Antenna"),
        'get_request_field')
    request_state = fields.Function(
        fields.Selection(STATES, "Request State"), 'get_request_field')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # trytond resets __access__ in Model.__setup__: add to it here
        cls.__access__.add('request')
        received = (Eval('direction') == 'in') & (Eval('id', -1) >= 0)
        for name in cls._received_fields() - {'request'}:
            field = getattr(cls, name)
            readonly = field.states.get('readonly')
            field.states = field.states.copy()
            field.states['readonly'] = (
                (readonly | received) if readonly is not None else received)
            field.depends = field.depends | {'direction'}
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.request, Index.Equality()),
                    (t.date, Index.Range())),
                })
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_direction(cls):
        return 'in'

    @classmethod
    def default_date(cls):
        return dt.datetime.now()

    @classmethod
    def default_channel(cls):
        return 'other'

    @classmethod
    def get_channels(cls):
        "The channels of the request, with those of the channel modules"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return Request.channels()

    def get_channel_icon(self, name):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return Request.channel_icon_of(self.channel)

    @classmethod
    def default_author(cls):
        user = Transaction().user
        return user or None

    def get_party(self, name):
        return self.request.party.id if self.request.party else None

    @classmethod
    def search_party(cls, name, clause):
        return [('request.party',) + tuple(clause[1:])]

    def get_request_field(self, name):
        if name == 'antenna':
            return self.request.antenna.id if self.request.antenna else None
        return self.request.state

    def get_rec_name(self, name):
        return '%s %s' % (self.date.strftime('%Y-%m-%d %H:%M'),
            self.subject or '')

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('body_html'):
            values['body_html'] = sanitize_html(values['body_html'])
        return values

    @classmethod
    def check_modification(cls, mode, messages, values=None, external=False):
        super().check_modification(
            mode, messages, values=values, external=external)
        if not external:
            # the gateways and the workflow (merge) write as the system
            return
        if mode == 'write':
            changed = set(values or {}) & cls._received_fields()
            if changed:
                for message in messages:
                    if message.direction == 'in':
                        # no name: the message may be out of the user's
                        # reach, the access rules are checked after this
                        raise RequestError(gettext(
                                'gru_inbox.msg_message_received_readonly'))
        elif mode == 'delete':
            for message in messages:
                if message.direction == 'in':
                    raise RequestError(gettext(
                            'gru_inbox.msg_message_received_delete'))

    @classmethod
    def _received_fields(cls):
        "The fields of what the usager sent, never changed once received"
        return {'request', 'direction', 'channel', 'date', 'from_address',
            'to_address', 'subject', 'body', 'body_html'}

    @classmethod
    def on_modification(cls, mode, messages, field_names=None):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        super().on_modification(mode, messages, field_names=field_names)
        if mode != 'create':
            return
        incoming = {m.request for m in messages if m.direction == 'in'}
        Request.on_incoming_message(
            [r for r in incoming if r.id is not None and r.id >= 0])
        outgoing = [m for m in messages if m.direction == 'out']
        for message in outgoing:
            Request.on_outgoing_message([message.request], message.date)

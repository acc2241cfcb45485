# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Reply letters merged from .docx templates and the outgoing register."
import datetime as dt

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from gru_base.model import ExportAccessMixin

from . import docx_merge
from .exceptions import LetterError, TemplateError

MERGE_FIELDS = [
    'reference', 'subject', 'usager', 'usager_name', 'name', 'email',
    'received_date', 'scheme', 'scheme_code', 'antenna', 'antenna_phone',
    'antenna_email', 'agent', 'date', 'usager_address', 'usager_street',
    'usager_postal_code', 'usager_city', 'antenna_street',
    'antenna_postal_code', 'antenna_city', 'antenna_letterhead',
    'letter_number', 'dossier_reference', 'salutation', 'body',
    ]


class Template(DeactivableMixin, ModelSQL, ModelView):
    "Reply Letter Template"
    __string__ = "Reply Letter Template"
    __name__ = 'gru.letter.template'

    name = fields.Char("Name", required=True)
    scheme = fields.Many2One('gru.scheme', "Scheme", ondelete='SET NULL',
        help="Leave empty for a template of every scheme.")
    data = fields.Binary("Word Document", filename='data_name',
        required=True, file_id='data_id',
        help="A .docx with merge fields such as {{usager_name}}.")
    data_id = fields.Char("Document ID", readonly=True)
    data_name = fields.Char("File Name")
    merge_fields = fields.Function(fields.Text("Merge Fields Used"),
        'get_merge_fields')
    available_fields = fields.Function(fields.Text("Available Merge Fields"),
        'get_available_fields')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_data_name(cls):
        return 'template.docx'

    def get_merge_fields(self, name):
        try:
            return ', '.join(docx_merge.placeholders(self.data))
        except Exception:
            return ''

    def get_available_fields(self, name):
        return ', '.join('{{%s}}' % f for f in MERGE_FIELDS)

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        if field_names and 'data' not in field_names:
            return
        for template in templates:
            try:
                names = docx_merge.placeholders(template.data)
            except Exception as exception:
                raise TemplateError(gettext(
                        'gru_letter.msg_template_invalid',
                        template=template.rec_name,
                        reason=str(exception)[:200])) from exception
            unknown = sorted(set(names) - set(MERGE_FIELDS))
            if unknown:
                raise TemplateError(gettext(
                        'gru_letter.msg_template_missing_fields',
                        template=template.rec_name,
                        fields=', '.join(unknown)))


class Outgoing(ExportAccessMixin, ModelSQL, ModelView):
    "Outgoing Letter"
    __string__ = "Outgoing Letter"
    __name__ = 'gru.letter.outgoing'
    _rec_name = 'number'

    number = fields.Char("Number", readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    request = fields.Many2One('gru.inbox.request', "Request", required=True,
        readonly=True, ondelete='RESTRICT')
    party = fields.Many2One('party.party', "Usager", readonly=True,
        ondelete='RESTRICT',
        context={'company': Eval('company', -1)}, depends={'company'})
    addressee = fields.Char("Addressee", readonly=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", readonly=True,
        ondelete='RESTRICT')
    template = fields.Many2One('gru.letter.template', "Template",
        readonly=True, ondelete='RESTRICT')
    message = fields.Many2One('gru.inbox.message', "Message", readonly=True,
        ondelete='SET NULL')
    author = fields.Many2One('res.user', "Author", readonly=True)
    docx = fields.Binary("Word Document", filename='docx_name',
        readonly=True, file_id='docx_id')
    docx_id = fields.Char("Word Document ID", readonly=True)
    docx_name = fields.Char("Word File Name", readonly=True)
    pdf = fields.Binary("PDF", filename='pdf_name', readonly=True,
        file_id='pdf_id', states={'invisible': ~Eval('pdf')})
    pdf_id = fields.Char("PDF ID", readonly=True)
    pdf_name = fields.Char("PDF File Name", readonly=True)
    missing_fields = fields.Char("Missing Merge Fields", readonly=True,
        states={'invisible': ~Eval('missing_fields')})
    company = fields.Many2One('company.company', "Company", required=True,
        readonly=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # a reply letter is seen by who sees its request
        cls.__access__.add('request')
        t = cls.__table__()
        cls._sql_constraints = [
            ('number_unique', Unique(t, t.number),
                'gru_letter.msg_no_sequence'),
            ]
        cls._sql_indexes.add(Index(t, (t.request, Index.Equality())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return dt.date.today()

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        YearSequence = pool.get('gru.letter.configuration.year')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            values['number'] = YearSequence.get_number(
                'outgoing', values.get('date') or dt.date.today())
        return values

    @classmethod
    def generate(cls, requests, template=None, body=None, pdf=True,
            message=None):
        """Write one reply letter per request from template (the default
        template of the configuration when None): the .docx, its PDF when
        LibreOffice is there, an outgoing message (or the given one) and an
        attachment on the request. Return the outgoing letters."""
        pool = Pool()
        Configuration = pool.get('gru.letter.configuration')
        Message = pool.get('gru.inbox.message')
        Attachment = pool.get('ir.attachment')
        if template is None:
            template = Configuration(1).reply_template
        source = template.data if template else \
            docx_merge.default_template()
        letters, attachments = [], []
        for request in requests:
            if not (request.party or request.contact_name):
                raise LetterError(gettext('gru_letter.msg_reply_no_usager',
                        request=request.rec_name))
            letter = cls(request=request, party=request.party,
                template=template, antenna=request.antenna,
                author=Transaction().user or None,
                company=request.company)
            letter.save()
            values = request.letter_values()
            values['letter_number'] = letter.number
            if body is not None:
                values['body'] = body
            data, missing = docx_merge.merge(source, values)
            letter.addressee = values['usager_name']
            letter.docx = data
            letter.docx_name = '%s.docx' % letter.number.replace('/', '-')
            letter.missing_fields = ', '.join(missing) or None
            if pdf:
                try:
                    converted = docx_merge.to_pdf(data)
                except Exception:
                    converted = None
                if converted:
                    letter.pdf = converted
                    letter.pdf_name = letter.docx_name[:-5] + '.pdf'
            if message is None:
                msg = Message(request=request, direction='out',
                    channel='letter',
                    to_address=', '.join(
                        values['usager_address'].splitlines())[:200] or None,
                    subject=values['subject'] or letter.number,
                    body=docx_merge.text_of(data))
                msg.save()
            else:
                msg = message
            letter.message = msg
            letters.append(letter)
            for name, content in [(letter.docx_name, letter.docx),
                    (letter.pdf_name, letter.pdf)]:
                if content:
                    attachments.append(Attachment(name=name,
                            resource=request, type='data', data=content))
        cls.save(letters)
        Attachment.save(attachments)
        return letters


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    letters = fields.One2Many('gru.letter', 'request', "Incoming Letters",
        readonly=True)
    outgoing_letters = fields.One2Many('gru.letter.outgoing', 'request',
        "Outgoing Letters", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'write_letter': {
                    'icon': 'tryton-print',
                    'depends': ['state'],
                    },
                })

    @classmethod
    @ModelView.button_action('gru_letter.wizard_reply')
    def write_letter(cls, requests):
        pass

    @classmethod
    def _gdpr_to_erase(cls, domain):
        from .party import letters_to_erase
        return super()._gdpr_to_erase(domain) + letters_to_erase(
            [('request', 'where', domain)], [('request', 'where', domain)])

    def letter_values(self):
        "Return the merge fields of the reply letters"
        pool = Pool()
        Message = pool.get('ir.message')
        values = self.template_values()
        party = self.party
        address = party.address_get() if party else None
        street = (address.street or '') if address else ''
        postal_code = (address.postal_code or '') if address else (
            self.contact_postal_code or '')
        city = (address.city or '') if address else ''
        lines = [l for l in street.splitlines() if l.strip()]
        lines.append(' '.join(filter(None, [postal_code, city])))
        antenna = self.antenna
        antenna_street = (antenna.street or '') if antenna else ''
        antenna_city = (antenna.city or '') if antenna else ''
        antenna_postal = (antenna.postal_code or '') if antenna else ''
        letterhead = [antenna.name] if antenna else []
        letterhead += [l for l in antenna_street.splitlines() if l.strip()]
        letterhead.append(' '.join(filter(None,
                    [antenna_postal, antenna_city])))
        if antenna and antenna.phone:
            letterhead.append(antenna.phone)
        if antenna and antenna.email:
            letterhead.append(antenna.email)
        reference = ''
        for letter in self.letters:
            if letter.reference:
                reference = letter.reference
        values.update({
                'usager_address': '\n'.join(l for l in lines if l.strip()),
                'usager_street': street,
                'usager_postal_code': postal_code,
                'usager_city': city,
                'antenna_street': antenna_street,
                'antenna_postal_code': antenna_postal,
                'antenna_city': antenna_city,
                'antenna_letterhead': '\n'.join(
                    l for l in letterhead if l.strip()),
                'dossier_reference': reference,
                'salutation': Message.gettext(
                    'gru_letter', 'msg_salutation', None),
                'body': '',
                'letter_number': '',
                })
        return values

    def send_message(self, message):
        "A reply on the letter channel is written as a reply letter"
        pool = Pool()
        Outgoing = pool.get('gru.letter.outgoing')
        super().send_message(message)
        if message.channel == 'letter' and message.direction == 'out' \
                and not Outgoing.search([('message', '=', message.id)]):
            Outgoing.generate([self], body=message.body or '',
                message=message)


class ReplyStart(ModelView):
    "Write Reply Letters"
    __string__ = "Write Reply Letters"
    __name__ = 'gru.letter.reply.start'

    template = fields.Many2One('gru.letter.template', "Template",
        help="Empty: the default template of the letter configuration.")
    body = fields.Text("Body",
        help="The text that replaces {{body}} in the template.")
    pdf = fields.Boolean("PDF",
        help="Also convert to PDF (needs LibreOffice on the server).")
    mark_answered = fields.Boolean("Mark as Answered")
    count = fields.Integer("Requests", readonly=True)


class Reply(Wizard):
    "Write Reply Letters"
    __name__ = 'gru.letter.reply'
    start = StateView('gru.letter.reply.start',
        'gru_letter.reply_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Write", 'write', 'tryton-ok', default=True),
            ])
    write = StateTransition()

    def default_start(self, fields):
        return {
            'pdf': bool(docx_merge.soffice()),
            'mark_answered': False,
            'count': len(self.records),
            }

    def transition_write(self):
        pool = Pool()
        Outgoing = pool.get('gru.letter.outgoing')
        Request = pool.get('gru.inbox.request')
        Outgoing.generate(self.records, template=self.start.template,
            body=self.start.body, pdf=self.start.pdf)
        if self.start.mark_answered:
            Request.answer([r for r in self.records
                    if r.state in {'new', 'qualified', 'in_progress',
                        'waiting'}])
        return 'end'

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Reply letters merged from the letter templates of the schemes (.docx
with ${variables}) and the outgoing register."""
import datetime as dt
import subprocess

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from gru_base.model import ExportAccessMixin

from . import docx_merge
from .exceptions import LetterError, PDFConverterError


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
    template = fields.Many2One('gru.scheme.template', "Template",
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
    missing_fields = fields.Char("Unfilled Variables", readonly=True,
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
    def generate(cls, requests, template=None, body=None, pdf=None,
            message=None):
        """Write one reply letter per request from template, a letter
        template of the schemes (the default template of the configuration
        when None): its .docx (or the default one) filled with the values
        of the request, ${body} being body or else the template's body
        filled; its PDF when pdf is True (an error when LibreOffice is
        missing or fails), or when LibreOffice is there and pdf is None; an
        outgoing message (or the given one) and an attachment on the
        request. Return the outgoing letters."""
        pool = Pool()
        Configuration = pool.get('gru.letter.configuration')
        Message = pool.get('gru.inbox.message')
        Attachment = pool.get('ir.attachment')
        default = Configuration(1).reply_template
        if pdf is None:
            pdf = bool(docx_merge.soffice())
        elif pdf and not docx_merge.soffice():
            raise PDFConverterError(gettext('gru_letter.msg_pdf_unavailable'))
        if template is None:
            template = default
        if template and template.document:
            source = template.document
        elif default and default.document:
            source = default.document
        else:
            source = docx_merge.default_template()
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
            values = request.template_values()
            subject, letter_body = values['subject'], body
            unfilled = []
            if template:
                template_subject, template_body, unfilled = template.render(
                    values)
                subject = template_subject or subject
                if letter_body is None:
                    letter_body = template_body
            if message is not None and message.subject:
                subject = message.subject
            # in the document, ${subject} is the subject of the letter
            values['subject'] = subject
            values['letter_number'] = letter.number
            values['body'] = letter_body or ''
            data, missing = docx_merge.merge(source, values)
            missing = sorted(set(missing) | set(unfilled))
            letter.addressee = values['usager_name']
            letter.docx = data
            letter.docx_name = '%s.docx' % letter.number.replace('/', '-')
            letter.missing_fields = ', '.join(missing) or None
            if pdf:
                try:
                    converted = docx_merge.to_pdf(data)
                except (OSError, subprocess.SubprocessError) as exception:
                    # the agent asked for a PDF: say why there is none
                    raise PDFConverterError(gettext(
                            'gru_letter.msg_pdf_failed',
                            letter=letter.number,
                            reason=docx_merge.failure_reason(exception))
                        ) from exception
                letter.pdf = converted
                letter.pdf_name = letter.docx_name[:-5] + '.pdf'
            if message is None:
                msg = Message(request=request, direction='out',
                    channel='letter',
                    to_address=', '.join(
                        values['usager_address'].splitlines())[:200] or None,
                    subject=subject or letter.number,
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

    def template_values(self):
        "Add the values of the variables of the letter templates"
        pool = Pool()
        Message = pool.get('ir.message')
        values = super().template_values()
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
                'letter_date': letter_date(),
                'salutation': Message.gettext(
                    'gru_letter', 'msg_salutation', None),
                })
        return values


def letter_date(date=None):
    """Return date (today) as written in a letter in the user's language:
    "6 décembre 2026", "1er mars 2026" in French"""
    pool = Pool()
    Date = pool.get('ir.date')
    Lang = pool.get('ir.lang')
    date = date or Date.today()
    lang = Lang.get()
    month = lang.strftime(date, '%B')
    if lang.code.startswith('fr'):
        day = '1er' if date.day == 1 else str(date.day)
        return '%s %s %s' % (day, month.lower(), date.year)
    return '%s %s %s' % (date.day, month, date.year)


class ReplyStart(ModelView):
    "Write Reply Letters"
    __string__ = "Write Reply Letters"
    __name__ = 'gru.letter.reply.start'

    schemes = fields.Many2Many('gru.scheme', None, None, "Schemes",
        readonly=True)
    template = fields.Many2One('gru.scheme.template', "Template",
        domain=[
            ('kind', '=', 'letter'),
            If(Bool(Eval('schemes')),
                ['OR',
                    ('scheme', 'in', Eval('schemes', [])),
                    ('scheme', '=', None),
                    ],
                []),
            ],
        help="A letter template of the schemes of the requests or of "
        "every scheme; empty: the default template of the letter "
        "configuration.")
    body = fields.Text("Body",
        help="The text that replaces ${body} in the template's document; "
        "empty: the body of the template.")
    pdf = fields.Boolean("PDF",
        states={
            'readonly': ~Eval('pdf_available', False),
            },
        help="Also convert to PDF (by LibreOffice on the server).")
    pdf_available = fields.Boolean("PDF Available", readonly=True)
    pdf_unavailable = fields.Char("PDF Unavailable", readonly=True,
        states={
            'invisible': Eval('pdf_available', False),
            })
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
        available = bool(docx_merge.soffice())
        return {
            'schemes': sorted({r.scheme.id for r in self.records
                    if r.scheme}),
            'pdf': available,
            'pdf_available': available,
            'pdf_unavailable': None if available else gettext(
                'gru_letter.msg_pdf_unavailable_short'),
            'mark_answered': False,
            'count': len(self.records),
            }

    def transition_write(self):
        pool = Pool()
        Outgoing = pool.get('gru.letter.outgoing')
        Request = pool.get('gru.inbox.request')
        Outgoing.generate(self.records, template=self.start.template,
            body=self.start.body or None, pdf=self.start.pdf)
        if self.start.mark_answered:
            Request.answer([r for r in self.records
                    if r.state in {'new', 'qualified', 'in_progress',
                        'waiting'}])
        return 'end'


class RequestReply(metaclass=PoolMeta):
    "The reply to a request: on the letter channel, the chosen template"
    __name__ = 'gru.inbox.request.reply'

    def transition_send(self):
        # the letter is written by the channel (Request._send_letter) when
        # the message is sent: it takes the template chosen here
        template = self.start.template
        if (self.start.channel == 'letter' and template
                and template.kind == 'letter'):
            with Transaction().set_context(
                    gru_letter_template=template.id):
                return super().transition_send()
        return super().transition_send()

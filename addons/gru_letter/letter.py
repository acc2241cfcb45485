# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The register of incoming letters: scan, OCR, extraction and validation."
import datetime as dt
import json
import re

from trytond.config import config
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSingleton, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, Id, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateView, Wizard

from gru_base.model import ExportAccessMixin, check_targets
from gru_contact.tools import normalize_email, parse_phone

from . import docx_merge, extraction, separator, tesseract
from .exceptions import LetterError, ScanError, UsagerCreationWarning

# the queue of the OCR tasks (trytond-worker --name gru_letter_ocr serves
# it alone) and the age after which the scheduler reads a letter whose task
# did not run (worker stopped, task failed)
OCR_QUEUE = 'gru_letter_ocr'
OCR_QUEUE_DELAY = dt.timedelta(minutes=10)


def has_worker():
    "Whether trytond-worker processes run the task queue ([queue] worker)"
    return config.getboolean('queue', 'worker', default=False)


STATES = [
    ('registered', "Registered"),
    ('to_validate', "To Validate"),
    ('validated', "Validated"),
    ('cancelled', "Cancelled"),
    ]
EXTRACTED = ['sender_name', 'sender_address', 'postal_code', 'commune',
    'letter_date', 'reference', 'email', 'phone', 'scheme']


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Letter Configuration"
    __string__ = "Letter Configuration"
    __name__ = 'gru.letter.configuration'

    incoming_sequence = fields.Many2One('ir.sequence',
        "Incoming Letter Sequence", required=True,
        domain=[('sequence_type', '=',
                Id('gru_letter', 'sequence_type_letter'))],
        help="The model of the yearly sequences of the incoming register; "
        "a copy restarting at 1 is made for each year.")
    outgoing_sequence = fields.Many2One('ir.sequence',
        "Outgoing Letter Sequence", required=True,
        domain=[('sequence_type', '=',
                Id('gru_letter', 'sequence_type_letter'))],
        help="The model of the yearly sequences of the outgoing register.")
    default_site = fields.Many2One('gru.antenna', "Default Reception Site",
        help="The site of the letters registered without one "
        "(the central service).")
    ocr_batch = fields.Integer("OCR Batch Size", required=True,
        help="How many letters the scheduler reads at each run.")
    blank_separator = fields.Boolean("Blank Page Separates",
        help="In a batch scan, a blank page also separates two letters.")
    reply_template = fields.Many2One('gru.scheme.template',
        "Default Reply Template", domain=[('kind', '=', 'letter')],
        help="The letter template of the letters written without one, as "
        "the reply of a request on the letter channel; its document "
        "should hold ${body}.")

    @classmethod
    def default_incoming_sequence(cls):
        return cls._default_sequence('sequence_letter_incoming')

    @classmethod
    def default_outgoing_sequence(cls):
        return cls._default_sequence('sequence_letter_outgoing')

    @staticmethod
    def _default_sequence(xml_id):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('gru_letter', xml_id)
        except KeyError:
            return None

    @classmethod
    def default_ocr_batch(cls):
        return 20

    @classmethod
    def default_blank_separator(cls):
        return False


class YearSequence(ModelSQL):
    "Letter Year Sequence"
    __string__ = "Letter Year Sequence"
    __name__ = 'gru.letter.configuration.year'

    direction = fields.Selection([
            ('incoming', "Incoming"),
            ('outgoing', "Outgoing"),
            ], "Direction", required=True)
    year = fields.Integer("Year", required=True)
    sequence = fields.Many2One('ir.sequence', "Sequence", required=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('year_unique', Unique(t, t.direction, t.year),
                'gru_letter.msg_no_sequence'),
            ]

    @classmethod
    def get_number(cls, direction, date):
        """Return the next chrono number of the register of direction for
        the year of date: the numbering restarts at 1 each year"""
        pool = Pool()
        Configuration = pool.get('gru.letter.configuration')
        Sequence = pool.get('ir.sequence')
        config = Configuration(1)
        model = getattr(config, '%s_sequence' % direction)
        if not model:
            raise LetterError(gettext('gru_letter.msg_no_sequence'))
        records = cls.search([
                ('direction', '=', direction),
                ('year', '=', date.year),
                ], limit=1)
        if records:
            sequence = records[0].sequence
        else:
            sequence, = Sequence.copy([model], default={
                    'name': '%s %s' % (model.name, date.year),
                    'number_next_internal': 1,
                    })
            cls.create([{
                        'direction': direction, 'year': date.year,
                        'sequence': sequence.id}])
        with Transaction().set_context(date=date):
            return sequence.get()


class Letter(ExportAccessMixin, Workflow, ModelSQL, ModelView):
    "Incoming Letter"
    __string__ = "Incoming Letter"
    __name__ = 'gru.letter'
    _rec_name = 'number'

    _readonly = Eval('state').in_(['validated', 'cancelled'])
    _extracted = {'readonly': Eval('state') != 'to_validate'}

    number = fields.Char("Number", readonly=True,
        help="The chrono number of the register, restarting each year.")
    received_date = fields.Date("Received On", required=True,
        states={'readonly': _readonly})
    site = fields.Many2One('gru.antenna', "Reception Site", required=True,
        ondelete='RESTRICT', states={'readonly': _readonly},
        help="The antenna or the central service that received the letter.")
    source = fields.Char("Source", readonly=True,
        help="Where the scan came from (drop folder, upload).")
    document = fields.Many2One('document.incoming', "Incoming Document",
        readonly=True, ondelete='RESTRICT')
    scan = fields.Function(fields.Binary("Scan", filename='scan_name'),
        'get_scan')
    scan_name = fields.Function(fields.Char("Scan Name"), 'get_scan')
    pages = fields.Integer("Pages", readonly=True)
    preview = fields.Binary("First Page", readonly=True,
        file_id='preview_id')
    preview_id = fields.Char("Preview ID", readonly=True)
    ocr_pdf = fields.Binary("Searchable PDF", readonly=True,
        filename='ocr_pdf_name', file_id='ocr_pdf_id')
    ocr_pdf_id = fields.Char("Searchable PDF ID", readonly=True)
    ocr_pdf_name = fields.Function(fields.Char("Searchable PDF Name"),
        'get_ocr_pdf_name')
    text = fields.Text("Text", readonly=True,
        help="The text read by the OCR (searchable).")
    ocr_confidence = fields.Float("OCR Confidence", digits=(3, 1),
        readonly=True, help="The mean confidence of the words read (0-100).")
    ocr_error = fields.Char("OCR Error", readonly=True,
        states={'invisible': ~Eval('ocr_error')})
    ocr_date = fields.DateTime("Read At", readonly=True)

    sender_name = fields.Char("Sender Name", states=_extracted)
    sender_name_confidence = fields.Integer("Confidence", readonly=True)
    sender_address = fields.Text("Sender Address", states=_extracted)
    sender_address_confidence = fields.Integer("Confidence", readonly=True)
    postal_code = fields.Char("Postal Code", size=5, states=_extracted)
    postal_code_confidence = fields.Integer("Confidence", readonly=True)
    commune = fields.Many2One('gru.commune', "Commune", ondelete='SET NULL',
        states=_extracted)
    commune_confidence = fields.Integer("Confidence", readonly=True)
    letter_date = fields.Date("Letter Date", states=_extracted,
        help="The date written on the letter.")
    letter_date_confidence = fields.Integer("Confidence", readonly=True)
    other_dates = fields.Char("Other Dates", readonly=True)
    reference = fields.Char("Dossier Reference", states=_extracted)
    reference_confidence = fields.Integer("Confidence", readonly=True)
    email = fields.Char("Email", states=_extracted)
    email_confidence = fields.Integer("Confidence", readonly=True)
    phone = fields.Char("Phone", states=_extracted)
    phone_confidence = fields.Integer("Confidence", readonly=True)
    scheme = fields.Many2One('gru.scheme', "Scheme", ondelete='SET NULL',
        states=_extracted)
    scheme_confidence = fields.Integer("Confidence", readonly=True)
    subject = fields.Char("Subject", states=_extracted)
    extraction_evidence = fields.Text("Extraction Evidence", readonly=True,
        help="What each field was read from, as the extraction reported "
        "it (JSON of [message, parameters] pairs per field).")
    evidence = fields.Function(fields.Text("Evidence",
            help="Why each field was read as it is: the lines it comes "
            "from, the corrections made, what was ignored."),
        'get_evidence')
    # the progress bars of sao show a ratio (0 to 1) as a percentage
    sender_name_ratio = fields.Function(fields.Float(
            "Sender Name Confidence", digits=(1, 2)), 'get_ratio')
    sender_address_ratio = fields.Function(fields.Float(
            "Sender Address Confidence", digits=(1, 2)), 'get_ratio')
    postal_code_ratio = fields.Function(fields.Float(
            "Postal Code Confidence", digits=(1, 2)), 'get_ratio')
    commune_ratio = fields.Function(fields.Float(
            "Commune Confidence", digits=(1, 2)), 'get_ratio')
    letter_date_ratio = fields.Function(fields.Float(
            "Letter Date Confidence", digits=(1, 2)), 'get_ratio')
    reference_ratio = fields.Function(fields.Float(
            "Reference Confidence", digits=(1, 2)), 'get_ratio')
    email_ratio = fields.Function(fields.Float(
            "Email Confidence", digits=(1, 2)), 'get_ratio')
    phone_ratio = fields.Function(fields.Float(
            "Phone Confidence", digits=(1, 2)), 'get_ratio')
    scheme_ratio = fields.Function(fields.Float(
            "Scheme Confidence", digits=(1, 2)), 'get_ratio')

    party = fields.Many2One('party.party', "Usager", ondelete='RESTRICT',
        states=_extracted,
        context={'company': Eval('company', -1)}, depends={'company'})
    match_score = fields.Integer("Matching Score", readonly=True)
    match_reasons = fields.Text("Matching", readonly=True)
    match_ratio = fields.Function(fields.Float(
            "Matching Score", digits=(1, 2)), 'get_ratio')
    request = fields.Many2One('gru.inbox.request', "Request",
        ondelete='RESTRICT',
        domain=[('party', '=', Eval('party', -1))],
        states={
            'readonly': Eval('state') != 'to_validate',
            },
        help="The open request of the usager the letter belongs to; "
        "leave empty to create a new request.")
    antenna = fields.Function(fields.Many2One('gru.antenna', "Antenna"),
        'get_antenna')
    reply_template = fields.Many2One('gru.scheme.template',
        "Reply Template", ondelete='SET NULL',
        domain=[
            ('kind', '=', 'letter'),
            If(Bool(Eval('scheme')),
                ['OR',
                    ('scheme', '=', Eval('scheme', -1)),
                    ('scheme', '=', None),
                    ],
                []),
            ],
        states={
            'invisible': Eval('state') != 'validated',
            },
        help="The letter template of the reply: those of the scheme of "
        "the letter and those of every scheme.")
    reply_pdf = fields.Boolean("PDF",
        states={
            'invisible': Eval('state') != 'validated',
            'readonly': ~Eval('pdf_available', False),
            },
        help="Also write the reply as PDF (by LibreOffice on the server).")
    pdf_available = fields.Function(fields.Boolean("PDF Available"),
        'get_pdf_available')
    pdf_unavailable = fields.Function(fields.Char("PDF",
            states={
                'invisible': (Eval('state') != 'validated')
                | Eval('pdf_available', False),
                }),
        'get_pdf_unavailable')
    outgoing_letters = fields.Function(fields.Many2Many(
            'gru.letter.outgoing', None, None, "Reply Letters",
            states={
                'invisible': Eval('state') != 'validated',
                }),
        'get_outgoing_letters')
    validated_by = fields.Many2One('res.user', "Validated By", readonly=True)
    validated_at = fields.DateTime("Validated At", readonly=True)
    company = fields.Many2One('company.company', "Company", required=True,
        readonly=True, ondelete='RESTRICT')
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)

    del _readonly, _extracted

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('number_unique', Unique(t, t.number),
                'gru_letter.msg_no_sequence'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    (t.received_date, Index.Range())),
                Index(t, (t.document, Index.Equality())),
                })
        cls._order = [('received_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('registered', 'to_validate'),
            ('to_validate', 'registered'),
            ('to_validate', 'validated'),
            ('registered', 'cancelled'),
            ('to_validate', 'cancelled'),
            ('cancelled', 'registered'),
            }
        cls._buttons.update({
                'validate_letter': {
                    'invisible': Eval('state') != 'to_validate',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'find_usager': {
                    'invisible': Eval('state') != 'to_validate',
                    'icon': 'tryton-search',
                    'depends': ['state'],
                    },
                'create_usager': {
                    'invisible': ((Eval('state') != 'to_validate')
                        | Bool(Eval('party'))),
                    'icon': 'tryton-add',
                    'depends': ['state', 'party'],
                    },
                'write_reply': {
                    'invisible': ((Eval('state') != 'validated')
                        | ~Eval('request')),
                    'readonly': ~Eval('reply_template'),
                    'icon': 'tryton-print',
                    'depends': ['state', 'request', 'reply_template'],
                    },
                'read_again': {
                    'invisible': Eval('state') != 'to_validate',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['registered', 'to_validate']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'registered'

    @classmethod
    def default_received_date(cls):
        return dt.date.today()

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_site(cls):
        pool = Pool()
        Configuration = pool.get('gru.letter.configuration')
        site = Configuration(1).default_site
        return site.id if site else None

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//separator[@id="reply"]', 'states', {
                    'invisible': Eval('state') != 'validated',
                    }),
            ('//group[@id="usager_buttons"]', 'states', {
                    'invisible': Eval('state') != 'to_validate',
                    }),
            ]

    @classmethod
    def default_reply_pdf(cls):
        return bool(docx_merge.soffice())

    def get_pdf_available(self, name):
        return bool(docx_merge.soffice())

    def get_pdf_unavailable(self, name):
        if not docx_merge.soffice():
            return gettext('gru_letter.msg_pdf_unavailable_short')

    def get_outgoing_letters(self, name):
        if self.request:
            return [l.id for l in self.request.outgoing_letters]
        return []

    def get_scan(self, name):
        if not self.document:
            return None
        if name == 'scan':
            return self.document.data
        return self.document.name

    def get_ratio(self, name):
        "The 0-100 confidence (or matching score) as a ratio for the bars"
        base = name[:-len('_ratio')]
        value = getattr(self, 'match_score' if base == 'match'
            else '%s_confidence' % base)
        return value / 100 if value is not None else None

    def get_evidence(self, name):
        "The evidence of the extraction in the language of the user"
        return evidence_text(self.extraction_evidence)

    def get_ocr_pdf_name(self, name):
        return '%s-ocr.pdf' % (self.number or 'letter')

    def get_antenna(self, name):
        if self.request and self.request.antenna:
            return self.request.antenna.id

    def get_rec_name(self, name):
        if self.sender_name:
            return '%s %s' % (self.number or '', self.sender_name)
        return self.number or ''

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('number', operator, value),
            ('sender_name', operator, value),
            ('reference', operator, value),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        YearSequence = pool.get('gru.letter.configuration.year')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            date = values.get('received_date') or dt.date.today()
            values['number'] = YearSequence.get_number('incoming', date)
        return values

    @classmethod
    def check_modification(cls, mode, letters, values=None, external=False):
        super().check_modification(
            mode, letters, values=values, external=external)
        if external and mode in {'create', 'write'}:
            check_targets(letters, ['party', 'request'], values)
        if mode == 'delete':
            for letter in letters:
                raise LetterError(gettext('gru_letter.msg_letter_delete',
                        letter=letter.rec_name))
        elif (mode == 'write' and external
                and set(values or {}) & cls._read_fields()
                and not Transaction().context.get('_gru_letter_reader')):
            # what the OCR read of the usager's letter is kept as read
            raise LetterError(gettext('gru_letter.msg_letter_text_readonly'))

    @classmethod
    def _read_fields(cls):
        "The fields of what was scanned and read, written by the system only"
        return {'text', 'pages', 'preview', 'ocr_pdf', 'ocr_confidence',
            'ocr_date', 'source', 'extraction_evidence'}

    @classmethod
    def copy(cls, letters, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'request', 'validated_by', 'validated_at']:
            default.setdefault(name, None)
        return super().copy(letters, default=default)

    # Registration

    @classmethod
    def register(cls, data, name, received_date=None, site=None,
            source=None, batch=False, blank=None):
        """Register the scan data (PDF, TIFF, JPEG or PNG) named name.

        A batch is split at the separator sheets (and at blank pages when
        blank is True) into one letter each. Return the letters, saved in
        state 'registered': the OCR runs later in the background."""
        pool = Pool()
        Configuration = pool.get('gru.letter.configuration')
        Incoming = pool.get('document.incoming')
        config = Configuration(1)
        try:
            pdf, pages = tesseract.to_pdf(data)
        except tesseract.OCRError as exception:
            raise ScanError(gettext('gru_letter.msg_scan_unreadable',
                    name=name, reason=str(exception))) from exception
        site = site or config.default_site
        if not site:
            raise LetterError(gettext('gru_letter.msg_no_site', name=name))
        base = re.sub(r'\.[A-Za-z0-9]{2,4}$', '', name) or 'scan'
        company = Transaction().context.get('company')
        document = Incoming(
            name='%s.pdf' % base, data=pdf, company=company,
            type='gru_letter_batch' if batch else 'gru_letter',
            source=source or 'gru_letter')
        document.save()
        if batch:
            if blank is None:
                blank = config.blank_separator
            documents = Incoming.split_at_separators(document, blank=blank)
            if not documents:
                raise ScanError(gettext('gru_letter.msg_split_no_letter',
                        name=name))
        else:
            documents = [document]
        letters = []
        for document in documents:
            count = (pages if document.data is pdf
                else tesseract.page_count(document.data))
            letters.append(cls(
                    received_date=received_date or dt.date.today(),
                    site=site, source=source, document=document,
                    pages=count, company=company))
        cls.save(letters)
        if has_worker():
            # one task a letter, read by the trytond-worker processes in
            # parallel once this transaction is committed
            with Transaction().set_context(
                    queue_name=OCR_QUEUE, queue_batch=1):
                cls.__queue__.process_ocr(letters)
        return letters

    # OCR (in the task queue when a worker runs, else by the scheduler;
    # never inside a user's click)

    @classmethod
    def process_ocr(cls, letters=None):
        """Read the registered letters with their OCR service and extract
        their fields. Called by the scheduler and by the queued tasks of
        register: with a worker the scheduler only reads the letters left
        behind (registered more than OCR_QUEUE_DELAY ago)."""
        pool = Pool()
        Configuration = pool.get('gru.letter.configuration')
        Incoming = pool.get('document.incoming')
        if letters is None:
            domain = [
                ('state', '=', 'registered'),
                ('document', '!=', None),
                ]
            if has_worker():
                domain.append(('create_date', '<',
                        dt.datetime.now() - OCR_QUEUE_DELAY))
            letters = cls.search(domain, order=[('id', 'ASC')],
                limit=Configuration(1).ocr_batch)
        documents = [l.document for l in letters
            if l.state == 'registered' and l.document
            and l.document.state in {'draft', 'processing'}]
        for document in documents:
            # one letter at a time: a slow scan does not hold the others
            if document.state == 'draft':
                Incoming.write([document], {'state': 'processing'})
            Incoming.proceed([document])

    def apply_ocr(self, parsed, ocr_pdf=None):
        "Store the OCR result and the extracted fields (not saved)"
        pool = Pool()
        Date = pool.get('ir.date')
        parsed = parsed or {}
        self.ocr_date = dt.datetime.now()
        self.ocr_error = parsed.get('error')
        self.text = (parsed.get('text') or '').replace('\f', '\n\n') or None
        self.ocr_confidence = parsed.get('confidence')
        if parsed.get('pages'):
            self.pages = parsed['pages']
        if ocr_pdf:
            self.ocr_pdf = ocr_pdf
            try:
                self.preview = tesseract.thumbnail(ocr_pdf)
            except Exception:
                self.preview = None
        elif self.document and self.document.data:
            self.preview = tesseract.thumbnail(self.document.data)
        if self.ocr_error:
            return
        values = self.extract(parsed.get('text') or '',
            parsed.get('lines') or [])
        for name, value in values.items():
            setattr(self, name, value)
        today = Date.today()
        if self.letter_date and self.letter_date > today:
            self.letter_date_confidence = min(
                self.letter_date_confidence or 0, 20)
        self.match_usager()

    @classmethod
    def extraction_context(cls):
        "Return (territory, schemes) for extraction.extract"
        pool = Pool()
        PostalCode = pool.get('gru.postal_code')
        Scheme = pool.get('gru.scheme')
        territory = {}
        for code in PostalCode.search([('active', '=', True)]):
            territory[code.code] = [c.name for c in code.communes]
        schemes = []
        for scheme in Scheme.search([('state', '!=', 'closed')]):
            keywords = [k.strip() for k in re.split(r'[,;\n]',
                    scheme.letter_keywords or '') if k.strip()]
            schemes.append((scheme.id, scheme.reference_regex(), keywords))
        return territory, schemes

    def extract(self, text, lines, context=None):
        "Return the values of the extracted fields and their confidence"
        pool = Pool()
        Commune = pool.get('gru.commune')
        territory, schemes = context or self.extraction_context()
        found = extraction.extract(text, lines, territory, schemes)
        values = {}
        for name in EXTRACTED:
            item = found.get(name) or {'value': None, 'confidence': 0}
            value = item['value']
            if name == 'commune' and value:
                communes = Commune.search([
                        ('name', '=', value),
                        ('postal_codes.code', '=',
                            found['postal_code']['value']),
                        ], limit=1)
                value = communes[0].id if communes else None
            elif name == 'letter_date' and value:
                value = dt.date.fromisoformat(value)
            values[name] = value
            values['%s_confidence' % name] = item['confidence'] \
                if value else 0
        values['extraction_evidence'] = json.dumps({
                name: found[name]['evidence'] for name in EXTRACTED
                if found.get(name, {}).get('evidence')},
            ensure_ascii=False) if found else None
        values['other_dates'] = ', '.join(
            dt.date.fromisoformat(d).strftime('%d/%m/%Y')
            for d in found.get('dates', [])) or None
        subject = re.search(r'^\s*objet\s*[:.]?\s*(.+)$', text,
            re.I | re.M)
        values['subject'] = subject.group(1).strip()[:200] if subject \
            else None
        return values

    def match_usager(self):
        """Set the usager when the matching policy of gru_contact assigns
        one; else show the proposed usagers with their reasons"""
        pool = Pool()
        Matching = pool.get('gru.contact.matching')
        decision = Matching.resolve(name=self.sender_name, email=self.email,
            phone=self.phone, postal_code=self.postal_code,
            street=self.sender_address, reference=self.reference, limit=3)
        candidates = decision['candidates']
        lines = [decision['explanation']] + [
            gettext('gru_letter.msg_match_reason',
                score=c['score'], reasons='; '.join(c['reasons']))
            + ' — %s' % c['name'] for c in candidates]
        if decision['decision'] == 'assign':
            self.party = decision['party']
        self.match_score = candidates[0]['score'] if candidates else 0
        self.match_reasons = '\n'.join(lines)

    # Workflow

    @classmethod
    @ModelView.button
    def find_usager(cls, letters):
        for letter in letters:
            letter.party = None
            letter.match_usager()
        cls.save(letters)

    @classmethod
    @ModelView.button
    def create_usager(cls, letters):
        """Create the usager of each letter from what was read: name,
        address (number, street, postal code, commune), email, phone and
        dossier number; no dialog: the agent checks the usager after"""
        pool = Pool()
        Party = pool.get('party.party')
        Warning = pool.get('res.user.warning')
        letters = [l for l in letters if not l.party]
        for letter in letters:
            if not letter.sender_name:
                raise LetterError(gettext(
                        'gru_letter.msg_create_usager_no_name',
                        letter=letter.rec_name))
            if (letter.match_score or 0) >= 50:
                key = Warning.format('gru_letter.create_usager', [letter])
                if Warning.check(key):
                    raise UsagerCreationWarning(key, gettext(
                            'gru_letter.msg_create_usager_similar',
                            letter=letter.rec_name,
                            score=letter.match_score))
        parties = Party.create([l._party_values() for l in letters])
        for letter, party in zip(letters, parties):
            letter.party = party
            letter.match_reasons = '\n'.join(filter(None, [
                        gettext('gru_letter.msg_usager_created_from_letter',
                            party=party.rec_name),
                        letter.match_reasons]))
        cls.save(letters)

    def _party_values(self):
        "Return the values of the usager created from the letter"
        pool = Pool()
        Country = pool.get('country.country')
        address = extraction.address_parts(
            self.sender_address, self.sender_name, self.postal_code)
        address.update({
                'postal_code': self.postal_code,
                'city': self.commune.name if self.commune else None,
                })
        if not any(address.values()):
            address = None
        elif self.postal_code:
            # the territory is French: the French address format applies
            countries = Country.search([('code', '=', 'FR')], limit=1)
            if countries:
                address['country'] = countries[0].id
        mechanisms = []
        if self.email and normalize_email(self.email):
            mechanisms.append({'type': 'email', 'value': self.email.strip()})
        if self.phone and parse_phone(self.phone):
            digits = re.sub(r'[^0-9]', '', self.phone)
            mobile = digits[-9:-8] in {'6', '7'}
            mechanisms.append({'type': 'mobile' if mobile else 'phone',
                    'value': self.phone.strip()})
        identifiers = []
        if self.reference:
            identifiers.append({'type': 'gru_pas_file',
                    'code': self.reference})
        values = {
            'name': self.sender_name,
            'is_person': True,
            'preferred_channel': 'letter',
            'contact_mechanisms': [('create', mechanisms)],
            'identifiers': [('create', identifiers)],
            }
        if address:
            values['addresses'] = [('create', [address])]
        return values

    @classmethod
    @ModelView.button
    def write_reply(cls, letters):
        """Write the reply letter of the request of each validated letter
        from its reply template, as .docx and PDF when asked"""
        pool = Pool()
        Outgoing = pool.get('gru.letter.outgoing')
        for letter in letters:
            if letter.state != 'validated' or not letter.request:
                continue
            if not letter.reply_template:
                raise LetterError(gettext(
                        'gru_letter.msg_reply_no_template',
                        letter=letter.rec_name))
            Outgoing.generate([letter.request],
                template=letter.reply_template, pdf=bool(letter.reply_pdf))

    @classmethod
    @ModelView.button
    @Workflow.transition('registered')
    def read_again(cls, letters):
        "Queue the letters for a new OCR pass with a fresh document"
        pool = Pool()
        Incoming = pool.get('document.incoming')
        for letter in letters:
            if letter.document:
                document, = Incoming.copy([letter.document], default={
                        'active': True, 'state': 'draft',
                        'ocr_pdf': None, 'parent': None})
                letter.document = document
        cls.save(letters)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, letters):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('registered')
    def draft(cls, letters):
        pass

    @classmethod
    @Workflow.transition('to_validate')
    def to_validate(cls, letters):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('validated')
    def validate_letter(cls, letters):
        """Create the request of each letter (or add the letter to the
        chosen request) with the usager and the antenna, routed by the
        triage rules"""
        # the staff of the reception site may not see the antenna the
        # usager is routed to, and so the validated letter: the letters were
        # checked by the button and a chosen request by the letter's rule,
        # the rest (request, state, scan) is written as the system
        with without_check_access():
            cls._validate_letters(letters)

    @classmethod
    def _validate_letters(cls, letters):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Attachment = pool.get('ir.attachment')
        now = dt.datetime.now()
        attachments = []
        for letter in letters:
            if not (letter.party or letter.sender_name):
                raise LetterError(gettext(
                        'gru_letter.msg_validate_no_contact',
                        letter=letter.rec_name))
            message = letter._message_values()
            if letter.request:
                request = letter.request
                Message.create([dict(message, request=request.id)])
                if not request.party and letter.party:
                    request.party = letter.party
                    request.save()
            else:
                request = Request.intake(letter._request_values(),
                    message=message)
            letter.request = request
            letter.validated_by = Transaction().user or None
            letter.validated_at = now
            data = letter.ocr_pdf or (letter.document.data
                if letter.document else None)
            if data:
                attachments.append(Attachment(
                        name='%s.pdf' % letter.number, resource=request,
                        type='data', data=data))
            # done here, not by the transition, to be written as the system
            letter.state = 'validated'
        cls.save(letters)
        cls.log(letters, 'transition', 'state:validated')
        Attachment.save(attachments)

    def _request_values(self):
        received = dt.datetime.combine(self.received_date, dt.time(9))
        return {
            'channel': 'letter',
            'received_at': received,
            'subject': self.subject or gettext(
                'gru_letter.msg_letter_subject', number=self.number),
            'party': self.party,
            'contact_name': self.sender_name,
            'contact_email': self.email,
            'contact_phone': self.phone,
            'contact_postal_code': self.postal_code,
            'contact_commune': self.commune,
            'scheme': self.scheme,
            'origin_address': self.site.name if self.site else None,
            'company': self.company,
            }

    def _message_values(self):
        return {
            'direction': 'in',
            'channel': 'letter',
            'date': dt.datetime.combine(self.received_date, dt.time(9)),
            'subject': self.subject or gettext(
                'gru_letter.msg_letter_subject', number=self.number),
            'from_address': ', '.join(filter(None, (
                        self.sender_address or self.sender_name or ''
                        ).splitlines()))[:200] or None,
            'body': self.text,
            }


class Quarantine(ExportAccessMixin, ModelSQL, ModelView):
    "Quarantined Scan"
    __string__ = "Quarantined Scan"
    __name__ = 'gru.letter.quarantine'

    name = fields.Char("File Name", required=True, readonly=True)
    path = fields.Char("Path", readonly=True,
        help="Where the file was moved in the quarantine folder.")
    reason = fields.Text("Reason", readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    data = fields.Binary("File", filename='name', readonly=True,
        file_id='data_id')
    data_id = fields.Char("File ID", readonly=True)
    site = fields.Many2One('gru.antenna', "Reception Site",
        ondelete='SET NULL')
    batch = fields.Boolean("Batch")
    state = fields.Selection([
            ('quarantined', "Quarantined"),
            ('retried', "Registered"),
            ('dismissed', "Dismissed"),
            ], "State", required=True, readonly=True)
    letters = fields.Function(fields.Many2Many('gru.letter', None, None,
            "Letters"), 'get_letters')
    letter_numbers = fields.Char("Letters", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state') != 'quarantined',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                'dismiss': {
                    'invisible': Eval('state') != 'quarantined',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'quarantined'

    @classmethod
    def default_date(cls):
        return dt.datetime.now()

    def get_letters(self, name):
        pool = Pool()
        Letter = pool.get('gru.letter')
        numbers = (self.letter_numbers or '').split()
        if not numbers:
            return []
        return [l.id for l in Letter.search([('number', 'in', numbers)])]

    @classmethod
    @ModelView.button
    def retry(cls, scans):
        "Register the file again (after the scanner or settings were fixed)"
        pool = Pool()
        Letter = pool.get('gru.letter')
        for scan in scans:
            try:
                letters = Letter.register(scan.data, scan.name,
                    site=scan.site, source='quarantine', batch=scan.batch)
            except ScanError as exception:
                raise ScanError(gettext(
                        'gru_letter.msg_quarantine_retry_failed',
                        name=scan.name, reason=exception.message)) \
                    from exception
            scan.state = 'retried'
            scan.letter_numbers = ' '.join(l.number for l in letters)
        cls.save(scans)

    @classmethod
    @ModelView.button
    def dismiss(cls, scans):
        cls.write(scans, {'state': 'dismissed'})


class SeparatorStart(ModelView):
    "Print Separator Sheets"
    __string__ = "Print Separator Sheets"
    __name__ = 'gru.letter.separator.start'

    count = fields.Integer("Sheets", required=True)
    title = fields.Char("Title", required=True)
    file = fields.Binary("Separator Sheets", filename='file_name',
        readonly=True)
    file_name = fields.Char("File Name", readonly=True)

    @fields.depends('count', 'title')
    def on_change_with_file(self):
        if self.count and self.title and 0 < self.count <= 100:
            return separator.separator_pdf(self.count, title=self.title)

    @fields.depends('count')
    def on_change_with_file_name(self):
        return 'separators.pdf'


class Separator(Wizard):
    "Print Separator Sheets"
    __name__ = 'gru.letter.separator'
    start = StateView('gru.letter.separator.start',
        'gru_letter.separator_start_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        count, title = 10, separator_title()
        return {
            'count': count,
            'title': title,
            'file': separator.separator_pdf(count, title=title),
            'file_name': 'separators.pdf',
            }


def evidence_text(data):
    """Return the evidence stored by the extraction (JSON of
    {field: [[kind, params]]}) as lines "Field: sentence" translated"""
    pool = Pool()
    Letter = pool.get('gru.letter')
    try:
        evidence = json.loads(data) if data else {}
    except ValueError:
        return None
    names = Letter.fields_get(list(evidence))
    lines = []
    for name in EXTRACTED:
        for kind, params in evidence.get(name, []):
            try:
                sentence = gettext('gru_letter.msg_evidence_%s' % kind,
                    **params)
            except (KeyError, ValueError):
                sentence = kind
            lines.append('%s: %s' % (
                    names.get(name, {}).get('string', name), sentence))
    return '\n'.join(lines) or None


def separator_title():
    pool = Pool()
    Message = pool.get('ir.message')
    return Message.gettext('gru_letter', 'msg_separator_title', None)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('gru.letter|process_ocr', "Read Scanned Letters"))

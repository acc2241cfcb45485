# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Letters as incoming documents, their split at separator sheets and the
local Tesseract backend of the OCR services."""
import io
import logging

from pypdf import PdfReader, PdfWriter

from trytond.config import config
from trytond.i18n import gettext
from trytond.model import fields
from trytond.modules.document_incoming.document import iter_pages
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import separator, tesseract
from .exceptions import ScanError

logger = logging.getLogger(__name__)


class Incoming(metaclass=PoolMeta):
    __name__ = 'document.incoming'

    ocr_pdf = fields.Binary("Searchable PDF", readonly=True,
        filename='name', file_id='ocr_pdf_id',
        states={'invisible': ~Eval('ocr_pdf')})
    ocr_pdf_id = fields.Char("Searchable PDF ID", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.type.selection.append(('gru_letter', "Postal Letter"))
        cls.type.selection.append(('gru_letter_batch', "Postal Letter Batch"))

    @classmethod
    def _get_results(cls):
        return super()._get_results() | {'gru.letter', 'document.incoming'}

    @classmethod
    def proceed(cls, documents, with_children=False):
        # the OCR writes what it read on the letters: the only writer of it
        with Transaction().set_context(_gru_letter_reader=True):
            return super().proceed(documents, with_children=with_children)

    @classmethod
    def copy(cls, documents, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('ocr_pdf')
        return super().copy(documents, default=default)

    def _process_gru_letter(self):
        "Store the OCR and the extracted fields on the registered letter"
        pool = Pool()
        Letter = pool.get('gru.letter')
        letters = Letter.search([('document', '=', self.id)], limit=1)
        if letters:
            letter, = letters
        else:
            # a document uploaded by hand: register it now
            # with the defaults of a new letter (state, dates, site...)
            values = Letter.default_get(
                list(Letter._fields), with_rec_name=False)
            values.update(document=self.id, company=self.company.id,
                pages=tesseract.page_count(self.data), source=self.source)
            letter = Letter(**values)
        if self.ocr_service is None and not self.parsed_data:
            from trytond.i18n import gettext
            parsed = {'error': gettext('gru_letter.msg_no_ocr_service')}
        else:
            parsed = self.parsed_data or {}
        letter.apply_ocr(parsed, self.ocr_pdf)
        if letter.state == 'registered':
            letter.state = 'to_validate'
        return letter

    def _process_gru_letter_batch(self):
        "Split the batch at its separators; the letters are its children"
        if self.active:
            self.split_at_separators(self)
        return self

    @classmethod
    def split_at_separators(cls, document, blank=False):
        """Split the PDF of document at its separator sheets (and blank
        pages when blank is True) the way the core split wizard does: the
        batch is deactivated and each letter becomes an active child of type
        'gru_letter'. Return the children."""
        try:
            reader = PdfReader(io.BytesIO(document.data))
            size = len(reader.pages)
            separators = set(separator.find_separators(document.data,
                    blank=blank))
        except Exception as exception:  # a hostile PDF: quarantined
            raise ScanError(gettext('gru_letter.msg_scan_unreadable',
                    name=document.name, reason=str(exception)[:200])) \
                from exception
        expression = separator.split_ranges(size, separators)
        if not expression:
            return []
        document.active = False
        document.save()
        children = []
        for pages in iter_pages(expression, size):
            pages = [i for i in pages if i not in separators]
            if not pages:
                continue
            writer = PdfWriter()
            for i in pages:
                writer.add_page(reader.pages[i])
            data = io.BytesIO()
            writer.write(data)
            child, = cls.copy([document], default={
                    'active': True,
                    'data': data.getvalue(),
                    'parent': document.id,
                    'type': 'gru_letter',
                    'name': '%s-%d.pdf' % (
                        document.name.rsplit('.', 1)[0], len(children) + 1),
                    })
            children.append(child)
        return children


class IncomingOCRService(metaclass=PoolMeta):
    __name__ = 'document.incoming.ocr.service'

    _tesseract = {
        'invisible': Eval('type') != 'gru_tesseract',
        }
    tesseract_language = fields.Char("Languages", states=_tesseract,
        help="The Tesseract languages, e.g. fra or fra+eng.")
    tesseract_orientation = fields.Boolean("Detect Orientation",
        states=_tesseract,
        help="Turn upside-down or sideways pages (Tesseract OSD).")
    tesseract_deskew = fields.Boolean("Deskew", states=_tesseract,
        help="Straighten pages scanned slightly askew.")
    del _tesseract

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.type.selection.append(('gru_tesseract', "Tesseract (local)"))

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//separator[@id="tesseract"]', 'states', {
                    'invisible': Eval('type') != 'gru_tesseract',
                    }),
            ]

    @classmethod
    def default_tesseract_language(cls):
        return config.get('gru_letter', 'tesseract_language', default='fra')

    @classmethod
    def default_tesseract_orientation(cls):
        return True

    @classmethod
    def default_tesseract_deskew(cls):
        return True

    def match_mime_type(self, mime_type):
        if self.type == 'gru_tesseract':
            return mime_type in (
                {tesseract.PDF_TYPE} | tesseract.IMAGE_TYPES)
        return super().match_mime_type(mime_type)

    def _process_gru_tesseract(self, document):
        """Read the scan with Tesseract; the searchable PDF is kept on the
        document. An unreadable scan gives the reason, not an exception, so
        that the letter can be corrected by hand or read again."""
        try:
            result = tesseract.ocr_document(document.data,
                lang=self.tesseract_language or 'fra',
                orientation=bool(self.tesseract_orientation),
                deskew=bool(self.tesseract_deskew),
                workers=config.getint('gru_letter', 'ocr_workers',
                    default=0) or None)
        except tesseract.OCRError as exception:
            from trytond.i18n import gettext
            logger.warning("OCR of %s failed: %s", document.name, exception)
            return {'error': gettext('gru_letter.msg_ocr_failed',
                    reason=str(exception))}
        document.ocr_pdf = result.pop('pdf')
        result['engine'] = 'tesseract'
        return result

    def _get_document_incoming_gru_tesseract(self, document):
        return {}

    def _send_feedback_gru_tesseract(self, document):
        # a local engine learns nothing from feedback
        pass

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The retention of the scans of the letters."
from sql import Null

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from gru_inbox.party import erase_records
from gru_inbox.retention import limit_datetime, references

from .party import letter_documents, letter_quarantines


class Policy(metaclass=PoolMeta):
    __name__ = 'gru.retention.policy'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('scan', "Letter Scans"))

    def _apply_scan(self, dry_run, run):
        """Delete the scans, first-page previews and searchable PDFs of the
        letters validated delete_after months ago, with their copies
        attached to the letter and its request; the register and the text
        read stay"""
        pool = Pool()
        Letter = pool.get('gru.letter')
        Incoming = pool.get('document.incoming')
        Quarantine = pool.get('gru.letter.quarantine')
        Attachment = pool.get('ir.attachment')
        limit = self.delete_limit()
        if limit is None:
            return {}
        letter = Letter.__table__()
        document = Incoming.__table__()
        cursor = Transaction().connection.cursor()
        has_file = ((letter.preview_id != Null) | (letter.preview != Null)
            | (letter.ocr_pdf_id != Null) | (letter.ocr_pdf != Null)
            | (document.file_id != Null) | (document.data != Null)
            | (document.ocr_pdf_id != Null) | (document.ocr_pdf != Null))
        cursor.execute(*letter.join(document, 'LEFT',
                condition=letter.document == document.id).select(
                letter.id,
                where=(letter.state == 'validated')
                & (letter.validated_at < limit_datetime(limit))
                & has_file,
                order_by=[letter.id]))
        letters = Letter.browse([i for i, in cursor])
        result = {'to_delete': len(letters)}
        if letters:
            result['details'] = gettext('gru_letter.msg_retention_scans',
                letters=references(letters, name='number'))
        if dry_run or not letters:
            return result
        ids = [l.id for l in letters]
        documents = sorted(letter_documents(letters))
        quarantines = sorted(letter_quarantines(letters))
        # the copies of the scan: attached to the letter by the incoming
        # document and to the request at the validation
        copies = [str(l) for l in letters]
        names = {(str(l.request), '%s.pdf' % l.number)
            for l in letters if l.request}
        attachments = Attachment.search([
                ('resource', 'in', copies
                    + sorted({r for r, _ in names})),
                ])
        Attachment.delete([a for a in attachments
                if str(a.resource) in copies
                or (str(a.resource), a.name) in names])
        erase_records([
                (Letter, [('id', 'in', ids)], False,
                    ['preview', 'preview_id', 'ocr_pdf', 'ocr_pdf_id'],
                    [None, None, None, None]),
                (Incoming, [('id', 'in', documents)], False,
                    ['data', 'file_id', 'ocr_pdf', 'ocr_pdf_id'],
                    [None, None, None, None]),
                (Quarantine, [('id', 'in', quarantines)], False,
                    ['data', 'data_id'], [None, None]),
                ])
        result['deleted'] = len(letters)
        return result

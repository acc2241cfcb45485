# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import without_check_access

from gru_contact.gdpr import archive_path
from gru_inbox.party import usager_family


def letter_domain(party):
    """The domain of the letters (in and out) of the usager party (an id
    or a list of ids)"""
    operator = 'in' if isinstance(party, (list, tuple, set)) else '='
    if operator == 'in':
        party = list(party)
    return ['OR',
        ('party', operator, party),
        ('request.party', operator, party),
        ]


def letter_quarantines(letters):
    "Return the ids of the quarantined scans registered again as letters"
    pool = Pool()
    Quarantine = pool.get('gru.letter.quarantine')
    numbers = [l.number for l in letters if l.number]
    ids = set()
    with without_check_access():
        for sub in grouped_slice(numbers):
            ids.update(q.id for q in Quarantine.search(['OR'] + [
                        ('letter_numbers', 'like', '%%%s%%' % n)
                        for n in sub])
                if set(q.letter_numbers.split()) & set(numbers))
    return ids


def letter_documents(letters):
    """Return the ids of the incoming documents holding the scans of
    letters: their document, those read before (read again) and the batch
    they were split from"""
    pool = Pool()
    Incoming = pool.get('document.incoming')
    ids = {l.document.id for l in letters if l.document}
    with without_check_access():
        for sub in grouped_slice([str(l) for l in letters]):
            ids.update(d.id for d in Incoming.search([
                        ('result', 'in', list(sub)),
                        ('active', 'in', [True, False]),
                        ]))
        for sub in grouped_slice(list(ids)):
            ids.update(d.parent.id for d in Incoming.search([
                        ('id', 'in', list(sub)),
                        ('parent', '!=', None),
                        ('active', 'in', [True, False]),
                        ]))
    return ids


def letters_to_erase(domain, outgoing_domain):
    """Return the to_erase tuples (see party.erase) of the letters of
    domain, their scans, and of the reply letters of outgoing_domain.
    The register keeps its numbers, dates, site, scheme and state."""
    pool = Pool()
    Letter = pool.get('gru.letter')
    Outgoing = pool.get('gru.letter.outgoing')
    Incoming = pool.get('document.incoming')
    Quarantine = pool.get('gru.letter.quarantine')
    with without_check_access():
        letters = Letter.search(domain)
        documents = letter_documents(letters)
        quarantines = letter_quarantines(letters)
    file_name = gettext('gru_letter.msg_letter_anonymized_file')
    return [
        (Letter, domain, True,
            ['text', 'sender_name', 'sender_address', 'postal_code',
                'commune', 'other_dates', 'reference', 'email', 'phone',
                'subject', 'match_reasons', 'ocr_error', 'preview',
                'preview_id', 'ocr_pdf', 'ocr_pdf_id',
                'extraction_evidence'],
            [None, None, None, None, None, None, None, None, None,
                gettext('gru_letter.msg_letter_anonymized_subject'),
                None, None, None, None, None, None, None]),
        # the files leave the store with the purge of the unreferenced
        # files
        (Incoming, [('id', 'in', sorted(documents))], True,
            ['name', 'data', 'file_id', 'parsed_data', 'ocr_pdf',
                'ocr_pdf_id'],
            [file_name, None, None, None, None, None]),
        (Quarantine, [('id', 'in', sorted(quarantines))], True,
            ['name', 'path', 'data', 'data_id'],
            [file_name, None, None, None]),
        (Outgoing, outgoing_domain, True,
            ['addressee', 'docx', 'docx_id', 'pdf', 'pdf_id',
                'missing_fields'],
            [None, None, None, None, None, None]),
        ]


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def gdpr_models(cls):
        return super().gdpr_models() | {
            'gru.letter', 'gru.letter.outgoing', 'document.incoming'}

    @classmethod
    def _gdpr_section_models(cls):
        return dict(super()._gdpr_section_models(), letters='gru.letter',
            reply_letters='gru.letter.outgoing')

    def _gdpr_letters(self):
        pool = Pool()
        Letter = pool.get('gru.letter')
        with without_check_access():
            return Letter.search(letter_domain(usager_family([self])),
                order=[('received_date', 'ASC'), ('id', 'ASC')])

    def _gdpr_outgoing_letters(self):
        pool = Pool()
        Outgoing = pool.get('gru.letter.outgoing')
        with without_check_access():
            return Outgoing.search(letter_domain(usager_family([self])),
                order=[('date', 'ASC'), ('id', 'ASC')])

    @staticmethod
    def _gdpr_letter_files(letter):
        "Return [(path, data)] of the scan and searchable PDF of letter"
        files = []
        folder = ['files', 'letters', letter.number or letter.id]
        if letter.document and letter.document.data:
            files.append((archive_path(*folder,
                        'scan-' + (letter.document.name or 'scan.pdf')),
                    letter.document.data))
        if letter.ocr_pdf:
            files.append((archive_path(*folder, letter.ocr_pdf_name),
                    letter.ocr_pdf))
        return files

    @staticmethod
    def _gdpr_outgoing_files(letter):
        files = []
        folder = ['files', 'reply_letters', letter.number or letter.id]
        for name, data in [
                (letter.docx_name or 'letter.docx', letter.docx),
                (letter.pdf_name or 'letter.pdf', letter.pdf)]:
            if data:
                files.append((archive_path(*folder, name), data))
        return files

    def _gdpr_sections(self):
        sections = super()._gdpr_sections()
        sections['letters'] = [{
                'number': l.number,
                'received_date': l.received_date,
                'site': l.site.rec_name if l.site else None,
                'state': l.state,
                'pages': l.pages,
                'sender_name': l.sender_name,
                'sender_address': l.sender_address,
                'postal_code': l.postal_code,
                'commune': l.commune.rec_name if l.commune else None,
                'letter_date': l.letter_date,
                'other_dates': l.other_dates,
                'reference': l.reference,
                'email': l.email,
                'phone': l.phone,
                'scheme': l.scheme.rec_name if l.scheme else None,
                'subject': l.subject,
                'text': l.text,
                # not the matching explanations: they name other usagers
                'match_score': l.match_score,
                'request': l.request.reference if l.request else None,
                'validated_at': l.validated_at,
                'files': [p for p, _ in self._gdpr_letter_files(l)],
                } for l in self._gdpr_letters()]
        sections['reply_letters'] = [{
                'number': l.number,
                'date': l.date,
                'request': l.request.reference,
                'addressee': l.addressee,
                'antenna': l.antenna.rec_name if l.antenna else None,
                'template': l.template.rec_name if l.template else None,
                'author': l.author.name if l.author else None,
                'files': [p for p, _ in self._gdpr_outgoing_files(l)],
                } for l in self._gdpr_outgoing_letters()]
        return sections

    def _gdpr_files(self):
        files = super()._gdpr_files()
        for letter in self._gdpr_letters():
            files.extend(self._gdpr_letter_files(letter))
        for letter in self._gdpr_outgoing_letters():
            files.extend(self._gdpr_outgoing_files(letter))
        return files


class Replace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        # the letters of a duplicate follow the usager that survives
        return super().fields_to_replace() + [
            ('gru.letter', 'party'),
            ('gru.letter.outgoing', 'party'),
            ]


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        # the letters of the usager's requests are erased with them; these
        # are his letters not validated into a request yet
        return super().to_erase(party_id) + letters_to_erase(
            letter_domain(party_id), letter_domain(party_id))

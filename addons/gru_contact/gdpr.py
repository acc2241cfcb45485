# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""GDPR: export of the personal data of a usager (access request) and
anonymisation (right to erasure, retention rule)."""
import datetime as dt
import decimal
import io
import json

import xlsxwriter

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import AnonymizeError


def _plain(value):
    "Return value as JSON and spreadsheet friendly"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ', '.join(str(_plain(v)) for v in value)
    return value


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    def gdpr_data(self):
        """Return the personal data of the usager as {section: [rows]},
        each row a dict of plain values; modules add their sections by
        extending _gdpr_sections."""
        return {name: [{k: _plain(v) for k, v in row.items()}
                for row in rows]
            for name, rows in self._gdpr_sections().items()}

    def _gdpr_sections(self):
        usager = {
            'code': self.code,
            'name': self.name,
            'person': self.is_person,
            'birth_date': self.birth_date,
            'preferred_channel': self.preferred_channel,
            'consent_email': self.consent_email,
            'consent_sms': self.consent_sms,
            'consent_date': self.consent_date,
            'antenna': self.antenna.rec_name if self.antenna else None,
            'antenna_override': self.antenna_override,
            'antenna_reason': self.antenna_reason,
            'last_contact_date': self.last_contact_date,
            'language': self.lang.name if self.lang else None,
            'created': self.create_date,
            'modified': self.write_date,
            }
        addresses = [{
                'street': a.street,
                'postal_code': a.postal_code,
                'city': a.city,
                'country': a.country.name if a.country else None,
                'active': a.active,
                } for a in self.addresses]
        mechanisms = [{
                'type': m.type_string,
                'value': m.value,
                'name': m.name,
                'comment': m.comment,
                'active': m.active,
                } for m in self._gdpr_contact_mechanisms()]
        identifiers = [{
                'type': i.type_string,
                'code': i.code,
                } for i in self.identifiers]
        return {
            'usager': [usager],
            'addresses': addresses,
            'contact_mechanisms': mechanisms,
            'identifiers': identifiers,
            }

    @classmethod
    def anonymize(cls, parties):
        """Erase the personal data of the parties through party.erase,
        keeping what statistics need"""
        pool = Pool()
        Erase = pool.get('party.erase', type='wizard')
        parties = [p for p in parties if not p.anonymized]
        active = [p for p in parties if p.active]
        if active:
            cls.write(active, {'active': False})
        for party in parties:
            session_id, _, _ = Erase.create()
            try:
                erase = Erase(session_id)
                erase.ask.party = party
                erase.transition_erase()
            finally:
                Erase.delete(session_id)
        if parties:
            # through the ORM to refresh the caches of the erased records
            cls.write(parties, {
                    'anonymized': True,
                    'anonymization_date': Pool().get('ir.date').today(),
                    })

    def _gdpr_contact_mechanisms(self):
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        # include the inactive ones: they are personal data too
        return ContactMechanism.search([
                ('party', '=', self.id),
                ('active', 'in', [True, False]),
                ], order=[('id', 'ASC')])


def gdpr_json(data):
    return json.dumps(data, indent=2, ensure_ascii=False).encode('utf-8')


def gdpr_xlsx(data):
    "Return the xlsx file of data with one sheet per section"
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {'in_memory': True})
    bold = workbook.add_format({'bold': True})
    for section, rows in data.items():
        sheet = workbook.add_worksheet(section[:31])
        columns = []
        for row in rows:
            for column in row:
                if column not in columns:
                    columns.append(column)
        for c, column in enumerate(columns):
            sheet.write(0, c, column, bold)
            sheet.set_column(c, c, max(12, len(column) + 2))
        for r, row in enumerate(rows, 1):
            for c, column in enumerate(columns):
                value = row.get(column)
                if isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif value is None:
                    sheet.write_blank(r, c, None)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, str(value))
    workbook.close()
    return output.getvalue()


class ExportResult(ModelView):
    "Export Personal Data"
    __name__ = 'gru.contact.export.result'
    __string__ = "Export Personal Data"

    party = fields.Many2One('party.party', "Usager", readonly=True)
    json_file = fields.Binary("JSON", filename='json_filename',
        readonly=True)
    json_filename = fields.Char("JSON File Name", readonly=True)
    xlsx_file = fields.Binary("Spreadsheet", filename='xlsx_filename',
        readonly=True)
    xlsx_filename = fields.Char("Spreadsheet File Name", readonly=True)


class Export(Wizard):
    "Export Personal Data"
    __name__ = 'gru.contact.export'
    start_state = 'result'
    result = StateView('gru.contact.export.result',
        'gru_contact.export_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_result(self, fields):
        party = self.record
        data = party.gdpr_data()
        name = 'usager-%s-%s' % (party.code or party.id,
            Pool().get('ir.date').today().isoformat())
        return {
            'party': party.id,
            'json_file': gdpr_json(data),
            'json_filename': name + '.json',
            'xlsx_file': gdpr_xlsx(data),
            'xlsx_filename': name + '.xlsx',
            }


class AnonymizeAsk(ModelView):
    "Anonymise Usagers"
    __name__ = 'gru.contact.anonymize.ask'
    __string__ = "Anonymise Usagers"

    parties = fields.Many2Many('party.party', None, None, "Usagers",
        required=True,
        domain=[('anonymized', '!=', True)],
        help="Their personal data is erased; the antenna, department, "
        "year of birth and history of contacts stay for statistics.")


class Anonymize(Wizard):
    "Anonymise Usagers"
    __name__ = 'gru.contact.anonymize'
    start_state = 'ask'
    ask = StateView('gru.contact.anonymize.ask',
        'gru_contact.anonymize_ask_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Anonymise", 'anonymize', 'tryton-clear', default=True),
            ])
    anonymize = StateTransition()

    def default_ask(self, fields):
        context = Transaction().context
        if context.get('active_model') == 'party.party':
            return {'parties': list(context.get('active_ids') or [])}
        return {}

    def transition_anonymize(self):
        pool = Pool()
        Party = pool.get('party.party')
        for party in self.ask.parties:
            if party.anonymized:
                raise AnonymizeError(gettext(
                        'gru_contact.msg_anonymize_already',
                        party=party.rec_name))
        Party.anonymize(list(self.ask.parties))
        return 'end'

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""GDPR: export of the personal data of a usager (right of access),
anonymisation (right to erasure) and the log of both."""
import datetime as dt
import decimal
import html
import io
import json
import re
import unicodedata
import zipfile

import xlsxwriter

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction, check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from gru_base.filestore import delete_unreferenced, referenced_files

from .exceptions import AnonymizeError, GdprAccessError

LOG_ACTIONS = [
    ('export', "Export"),
    ('anonymize', "Anonymisation"),
    ('retention', "Retention"),
    ]


def _plain(value):
    "Return value as JSON and spreadsheet friendly"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ', '.join(str(_plain(v)) for v in value)
    return value


def archive_path(*parts):
    """Return the path in the export archive of parts joined by slashes,
    each part without separator nor leading dot: safe in any unzipper"""
    cleaned = []
    for part in parts:
        part = unicodedata.normalize('NFC', str(part))
        part = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', '_', part).strip(' .')
        cleaned.append(part or '_')
    return '/'.join(cleaned)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__['gdpr_models'] = RPC(readonly=True, result=sorted)

    @classmethod
    def gdpr_models(cls):
        """Return the names of the models whose personal data the export
        and the anonymisation cover; every module holding personal data
        extends it"""
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            cls._gdpr_check_admin()
        return {
            'party.party', 'party.address', 'party.contact_mechanism',
            'party.identifier', 'gru.contact.duplicate',
            'ir.attachment', 'ir.note', 'ir.avatar',
            }

    @classmethod
    def _gdpr_check_admin(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        group = ModelData.get_id('gru_base', 'group_gru_admin')
        if group not in User.get_groups():
            raise GdprAccessError(gettext('gru_contact.msg_gdpr_admin_only'))

    def gdpr_data(self):
        """Return the personal data of the usager as {section: [rows]},
        each row a dict of plain values; modules add their sections by
        extending _gdpr_sections."""
        return {name: [{k: _plain(v) for k, v in row.items()}
                for row in rows]
            for name, rows in self._gdpr_sections().items()}

    def _gdpr_sections(self):
        """Return {section: [row dicts]} of the personal data of the usager;
        modules extend it with the sections of their records"""
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
        notes = [{
                'date': n.create_date,
                'message': n.message,
                } for n in self._gdpr_resources('ir.note')]
        attachments = [{
                'name': a.name,
                'type': a.type,
                'description': a.description,
                'link': a.link,
                'date': a.create_date,
                'file': (self._gdpr_attachment_path(a)
                    if a.type == 'data' else None),
                } for a in self._gdpr_resources('ir.attachment')]
        duplicates = [{
                'score': d.score,
                'reasons': d.reasons,
                'state': d.state,
                } for d in self._gdpr_duplicates()]
        return {
            'usager': [usager],
            'addresses': addresses,
            'contact_mechanisms': mechanisms,
            'identifiers': identifiers,
            'notes': notes,
            'attachments': attachments,
            'probable_duplicates': duplicates,
            }

    @classmethod
    def _gdpr_section_models(cls):
        """Return {section: model name}: the summary titles the section and
        its columns with the (translated) names of the model and fields"""
        return {
            'usager': 'party.party',
            'addresses': 'party.address',
            'contact_mechanisms': 'party.contact_mechanism',
            'identifiers': 'party.identifier',
            'notes': 'ir.note',
            'attachments': 'ir.attachment',
            'probable_duplicates': 'gru.contact.duplicate',
            }

    def _gdpr_files(self):
        """Return the list of (archive path, bytes) of the files of the
        usager, put in the export archive under files/; modules extend it"""
        files = []
        for attachment in self._gdpr_resources('ir.attachment'):
            if attachment.type == 'data' and attachment.data:
                files.append((self._gdpr_attachment_path(attachment),
                        attachment.data))
        for avatar in self._gdpr_resources('ir.avatar'):
            if avatar.image:
                files.append((archive_path('files', 'avatar',
                            '%s.png' % avatar.id), avatar.image))
        return files

    @staticmethod
    def _gdpr_attachment_path(attachment):
        return archive_path('files', 'attachments',
            '%s-%s' % (attachment.id, attachment.name or ''))

    def _gdpr_resources(self, model):
        "Return the records of model (a resource mixin) of the usager"
        Model = Pool().get(model)
        return Model.search([('resource', '=', str(self))],
            order=[('id', 'ASC')])

    def _gdpr_duplicates(self):
        Duplicate = Pool().get('gru.contact.duplicate')
        return Duplicate.search(['OR',
                ('party', '=', self.id),
                ('other', '=', self.id),
                ], order=[('id', 'ASC')])

    @classmethod
    def anonymize(cls, parties, action='anonymize'):
        """Erase the personal data of the parties through party.erase,
        keeping what statistics need; remove from the file store the files
        it leaves unreferenced and log each usager (action: 'anonymize' or
        'retention')"""
        pool = Pool()
        Erase = pool.get('party.erase', type='wizard')
        Log = pool.get('gru.contact.gdpr.log')
        parties = cls._gdpr_with_duplicates(parties)
        parties = [p for p in parties if not p.anonymized]
        if not parties:
            return
        files = referenced_files()
        cls._gdpr_before_anonymize(parties)
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
        # party.erase updates by SQL: forget what the records cached
        transaction = Transaction()
        for cache in transaction.cache.values():
            cache.clear()
        # through the ORM to refresh the caches of the erased records
        cls.write(parties, {
                'anonymized': True,
                'anonymization_date': Pool().get('ir.date').today(),
                })
        cls._gdpr_after_anonymize(parties)
        Log.log(action, parties)
        delete_unreferenced(files)

    @classmethod
    def _gdpr_with_duplicates(cls, parties):
        """Return parties with their duplicates: the records merged into
        them and those paired with them as probable duplicates not yet
        dismissed; they hold the same person's data"""
        pool = Pool()
        Duplicate = pool.get('gru.contact.duplicate')
        result = {p.id: p for p in parties}
        todo = list(result)
        while todo:
            ids, todo = todo, []
            others = cls.search([
                    ('replaced_by', 'in', ids),
                    ('active', 'in', [True, False]),
                    ])
            for duplicate in Duplicate.search([
                        ('state', '=', 'open'),
                        ['OR',
                            ('party', 'in', ids),
                            ('other', 'in', ids),
                            ],
                        ]):
                others.extend([duplicate.party, duplicate.other])
            for other in others:
                if other.id not in result:
                    result[other.id] = other
                    todo.append(other.id)
        return list(result.values())

    @classmethod
    def _gdpr_before_anonymize(cls, parties):
        """Called by anonymize before the erasure, the parties still
        holding their data: cancel what would reach them afterwards"""
        pass

    @classmethod
    def _gdpr_after_anonymize(cls, parties):
        """Called by anonymize after the erasure, before the unreferenced
        files are removed from the store"""
        pass

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


def gdpr_summary(party, data, files, date=None, user=None):
    """Return the HTML page, in the language of the transaction, that
    tells a usager what the archive holds"""
    pool = Pool()
    Party = pool.get('party.party')
    date = date or dt.datetime.now()
    models = Party._gdpr_section_models()
    yes, no = gettext('gru_contact.msg_gdpr_yes'), gettext(
        'gru_contact.msg_gdpr_no')

    def esc(value):
        return html.escape(str(value))

    def cell(value):
        if value is None or value == '':
            return ''
        if isinstance(value, bool):
            return yes if value else no
        return esc(value)

    def section_title(section):
        model = models.get(section)
        if model:
            try:
                return pool.get(model).__names__()['model']
            except KeyError:
                pass
        return section.replace('_', ' ').capitalize()

    def column_title(section, column):
        model = models.get(section)
        if model:
            try:
                Model = pool.get(model)
                if column in Model._fields:
                    return Model.__names__(field=column)['field']
            except KeyError:
                pass
        return column.replace('_', ' ').capitalize()

    title = gettext('gru_contact.msg_gdpr_summary_title')
    lines = [
        '<!DOCTYPE html>',
        '<html lang="%s">' % esc(Transaction().language or 'fr'),
        '<head><meta charset="utf-8"><title>%s</title>' % esc(title),
        '<style>body{font-family:sans-serif;margin:2em;max-width:60em}'
        'table{border-collapse:collapse;margin-bottom:1.5em}'
        'th,td{border:1px solid #999;padding:.3em .6em;text-align:left;'
        'vertical-align:top}th{background:#eee}'
        'td{white-space:pre-wrap}</style></head>',
        '<body>',
        '<h1>%s</h1>' % esc(title),
        '<p>%s</p>' % esc(gettext('gru_contact.msg_gdpr_summary_who',
                name=party.name or '', code=party.code or party.id)),
        '<p>%s</p>' % esc(gettext('gru_contact.msg_gdpr_summary_when',
                date=date.strftime('%d/%m/%Y %H:%M'),
                user=user.rec_name if user else '')),
        '<p>%s</p>' % esc(gettext('gru_contact.msg_gdpr_summary_intro')),
        '<ul>',
        ]
    for section, rows in data.items():
        lines.append('<li><a href="#%s">%s</a>: %s</li>' % (
                esc(section), esc(section_title(section)),
                esc(gettext('gru_contact.msg_gdpr_summary_count',
                        count=len(rows)))))
    lines.append('<li><a href="#files">%s</a>: %s</li>' % (
            esc(gettext('gru_contact.msg_gdpr_summary_files')),
            esc(gettext('gru_contact.msg_gdpr_summary_count',
                    count=len(files)))))
    lines.append('</ul>')
    for section, rows in data.items():
        lines.append('<h2 id="%s">%s (%s)</h2>' % (
                esc(section), esc(section_title(section)), len(rows)))
        if not rows:
            lines.append('<p>%s</p>' % esc(
                    gettext('gru_contact.msg_gdpr_summary_none')))
            continue
        columns = []
        for row in rows:
            for column in row:
                if column not in columns:
                    columns.append(column)
        lines.append('<table><tr>%s</tr>' % ''.join(
                '<th>%s</th>' % esc(column_title(section, c))
                for c in columns))
        for row in rows:
            lines.append('<tr>%s</tr>' % ''.join(
                    '<td>%s</td>' % cell(row.get(c)) for c in columns))
        lines.append('</table>')
    lines.append('<h2 id="files">%s (%s)</h2>' % (
            esc(gettext('gru_contact.msg_gdpr_summary_files')), len(files)))
    if files:
        lines.append('<p>%s</p>' % esc(
                gettext('gru_contact.msg_gdpr_summary_files_intro')))
        lines.append('<ul>')
        for path, content in files:
            lines.append('<li><a href="%s">%s</a> (%s)</li>' % (
                    esc(path), esc(path), esc(_size(len(content)))))
        lines.append('</ul>')
    else:
        lines.append('<p>%s</p>' % esc(
                gettext('gru_contact.msg_gdpr_summary_none')))
    lines.append('<p>%s</p>' % esc(
            gettext('gru_contact.msg_gdpr_summary_data_files')))
    lines.extend(['</body>', '</html>', ''])
    return '\n'.join(lines).encode('utf-8')


def _size(length):
    for unit in ['B', 'kB', 'MB']:
        if length < 1024 or unit == 'MB':
            return '%s %s' % (round(length, 1), unit)
        length /= 1024


def gdpr_archive(party, date=None, user=None):
    """Return the zip archive of the personal data of party: data.json,
    data.xlsx, summary.html and the files under files/"""
    data = party.gdpr_data()
    files = []
    seen = set()
    for path, content in party._gdpr_files():
        if not path.startswith('files/'):
            path = archive_path('files', path)
        base, n = path, 1
        while path in seen:
            n += 1
            stem, dot, ext = base.rpartition('.')
            path = ('%s-%s.%s' % (stem, n, ext) if dot and '/' not in ext
                else '%s-%s' % (base, n))
        seen.add(path)
        files.append((path, content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('summary.html', gdpr_summary(
                party, data, files, date=date, user=user))
        archive.writestr('data.json', gdpr_json(data))
        archive.writestr('data.xlsx', gdpr_xlsx(data))
        for path, content in files:
            archive.writestr(path, content)
    return output.getvalue()


class ExportResult(ModelView):
    "Export Personal Data"
    __name__ = 'gru.contact.export.result'
    __string__ = "Export Personal Data"

    party = fields.Many2One('party.party', "Usager", readonly=True)
    archive = fields.Binary("Archive", filename='archive_filename',
        readonly=True,
        help="A zip file with the summary to read (summary.html), the data "
        "as JSON and as a spreadsheet and the files.")
    archive_filename = fields.Char("Archive File Name", readonly=True)


class Export(Wizard):
    "Export Personal Data"
    __name__ = 'gru.contact.export'
    start_state = 'result'
    result = StateView('gru.contact.export.result',
        'gru_contact.export_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_result(self, fields):
        pool = Pool()
        Party = pool.get('party.party')
        User = pool.get('res.user')
        Log = pool.get('gru.contact.gdpr.log')
        transaction = Transaction()
        party = self.record
        if transaction.user:
            # only the usagers the agent may see (record rules)
            with check_access():
                Party.read([party.id], ['id'])
        now = dt.datetime.now()
        archive = gdpr_archive(party, date=now,
            user=User(transaction.user) if transaction.user else None)
        Log.log('export', [party])
        name = archive_path('usager-%s-%s.zip' % (party.code or party.id,
                now.date().isoformat()))
        return {
            'party': party.id,
            'archive': archive,
            'archive_filename': name,
            }


class Log(ModelSQL, ModelView):
    "GDPR Log"
    __name__ = 'gru.contact.gdpr.log'
    __string__ = "Personal Data Log"

    date = fields.DateTime("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True,
        ondelete='RESTRICT')
    party_id = fields.Integer("Usager ID", required=True, readonly=True,
        help="The identifier of the usager: it stays after the "
        "anonymisation.")
    party_code = fields.Char("Usager Code", readonly=True)
    action = fields.Selection(LOG_ACTIONS, "Action", required=True,
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def log(cls, action, parties):
        "Record action on the parties by the user of the transaction"
        user = Transaction().user
        now = dt.datetime.now()
        cls.create([{
                    'date': now,
                    'user': user or None,
                    'party_id': p.id,
                    'party_code': p.code,
                    'action': action,
                    } for p in parties])


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

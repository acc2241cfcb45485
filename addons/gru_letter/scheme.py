# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Column, Table
from sql.aggregate import Max
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.filestore import filestore
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from gru_scheme import placeholder

# The variables gru_letter adds to those of gru_scheme (content.VARIABLES)
# for the letter templates: their values come from the request
# (Request.template_values of reply.py)...
LETTER_VARIABLES = [
    'usager_address', 'usager_street', 'usager_postal_code', 'usager_city',
    'antenna_street', 'antenna_postal_code', 'antenna_city',
    'antenna_letterhead', 'dossier_reference', 'letter_date', 'salutation',
    ]
# ... and from the letter being written (Outgoing.generate), for the .docx
# document only: the body is the template's body (or the reply) once filled
DOCUMENT_VARIABLES = ['letter_number', 'body']


class Scheme(metaclass=PoolMeta):
    __name__ = 'gru.scheme'

    letter_keywords = fields.Text("Letter Keywords",
        help="Words or phrases, separated by commas or new lines, that "
        "point to this scheme in a letter (e.g. permis de conduire, "
        "auto-école).")


class Template(metaclass=PoolMeta):
    __name__ = 'gru.scheme.template'

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        if module == 'gru_letter':
            cls._migrate_letter_templates()

    @classmethod
    def _migrate_letter_templates(cls):
        """Move the former reply letter templates (gru.letter.template, .docx
        with {{fields}}) into letter templates of kind 'letter' written
        ${variables}, and point the outgoing letters and the configuration
        to them; then drop the former table"""
        pool = Pool()
        Configuration = pool.get('gru.letter.configuration')
        Outgoing = pool.get('gru.letter.outgoing')
        TableHandler = backend.TableHandler
        if not TableHandler.table_exist('gru_letter_template'):
            return
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        old = Table('gru_letter_template')
        table = cls.__table__()
        cursor.execute(*old.select(old.id, old.name, old.scheme, old.data,
                old.data_id, old.data_name, order_by=old.id))
        mapping = {}
        for id_, name, scheme, data, data_id, data_name in cursor.fetchall():
            if data is None and data_id:
                data = filestore.get(data_id,
                    prefix=transaction.database.name)
            if data is not None:
                data = bytes(data)
                try:
                    data = placeholder.docx_from_legacy(data)
                except ValueError:
                    # kept as it is: the form refuses it on the next save
                    pass
            cursor.execute(*table.insert([
                        table.name, table.kind, table.scheme, table.document,
                        table.document_name, table.create_uid,
                        table.create_date], [[
                            name, 'letter', scheme,
                            cls.document.sql_format(data),
                            data_name or 'template.docx', 0,
                            CurrentTimestamp()]]))
            cursor.execute(*table.select(Max(table.id)))
            mapping[id_], = cursor.fetchone()
        for Model, name in [
                (Outgoing, 'template'), (Configuration, 'reply_template')]:
            if not TableHandler.table_exist(Model._table):
                continue
            handler = TableHandler(Model)
            if not handler.column_exist(name):
                continue
            # the foreign key to the former table; the Many2One adds the
            # one to gru_scheme_template when its model registers, after
            handler.drop_fk(name)
            model = Model.__table__()
            column = Column(model, name)
            # through negative ids: an old id may be a new one too
            for old_id, new_id in mapping.items():
                cursor.execute(*model.update([column], [-new_id],
                        where=column == old_id))
            cursor.execute(*model.update([column], [-column],
                    where=column < 0))
        TableHandler.drop_table('gru.letter.template', 'gru_letter_template',
            cascade=backend.name == 'postgresql')

    @classmethod
    def available_variables_get(cls, kind=None):
        variables = super().available_variables_get(kind=kind)
        if kind == 'letter':
            variables += [(n, gettext('gru_letter.msg_variable_%s' % n))
                for n in LETTER_VARIABLES]
        return variables

    @classmethod
    def document_variables_get(cls, kind=None):
        variables = super().document_variables_get(kind=kind)
        if kind == 'letter':
            variables += [(n, gettext('gru_letter.msg_variable_%s' % n))
                for n in DOCUMENT_VARIABLES]
        return variables

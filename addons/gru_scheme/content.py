# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a scheme asks and says: required documents, processing steps,
answer and letter templates, FAQ and key messages."""
import string

from sql import Null
from sql.operators import Like

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import placeholder
from .exceptions import TemplateValidationError
from .sve import VARIABLES as SVE_VARIABLES

# The ${variables} the answer and letter templates may use: the only list,
# read by the check of the templates (Template.check_placeholders), their
# rendering (Template.render) and their form; the request gives their values
# (gru.inbox.request.template_values). Each is described by the message
# 'gru_scheme.msg_variable_<name>'. A module adds variables by extending
# Template.available_variables_get (or document_variables_get for those it
# fills when it writes the document) and the request's template_values.
VARIABLES = [
    'reference', 'subject', 'usager', 'usager_name', 'name', 'email',
    'received_date', 'scheme', 'scheme_code', 'antenna', 'antenna_phone',
    'antenna_email', 'agent', 'date',
    ] + SVE_VARIABLES


class DocumentType(DeactivableMixin, ModelSQL, ModelView):
    "Scheme Document Type"
    __string__ = "Scheme Document Type"
    __name__ = 'gru.scheme.document.type'

    name = fields.Char("Name", required=True)
    code = fields.Char("Code", required=True)
    description = fields.Text("Description",
        help="What the document is and which versions are accepted.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'gru_scheme.msg_list_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))


class Document(sequence_ordered(), ModelSQL, ModelView):
    "Scheme Required Document"
    __string__ = "Scheme Required Document"
    __name__ = 'gru.scheme.document'

    scheme = fields.Many2One('gru.scheme', "Scheme", required=True,
        ondelete='CASCADE')
    type = fields.Many2One('gru.scheme.document.type', "Type",
        required=True, ondelete='RESTRICT')
    mandatory = fields.Boolean("Mandatory")
    comment = fields.Text("Comment",
        help="What to check on the document for this scheme.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('scheme_type_unique', Unique(t, t.scheme, t.type),
                'gru_scheme.msg_document_type_unique'),
            ]

    @staticmethod
    def default_mandatory():
        return True

    def get_rec_name(self, name):
        return self.type.rec_name


class Step(sequence_ordered(), ModelSQL, ModelView):
    "Scheme Processing Step"
    __string__ = "Scheme Processing Step"
    __name__ = 'gru.scheme.step'

    scheme = fields.Many2One('gru.scheme', "Scheme", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    description = fields.Text("Description")
    duration = fields.Integer("Target Duration",
        domain=['OR',
            ('duration', '=', None),
            ('duration', '>=', 0),
            ],
        help="In working days.")
    role = fields.Many2One('gru.scheme.role', "Responsible Role",
        ondelete='RESTRICT')
    templates = fields.One2Many('gru.scheme.template', 'step', "Templates",
        readonly=True)


class Template(ModelSQL, ModelView):
    "Scheme Answer or Letter Template"
    __string__ = "Scheme Answer or Letter Template"
    __name__ = 'gru.scheme.template'

    scheme = fields.Many2One('gru.scheme', "Scheme", ondelete='CASCADE',
        help="Leave empty for a template of every scheme.")
    step = fields.Many2One('gru.scheme.step', "Step", ondelete='SET NULL',
        domain=[('scheme', '=', Eval('scheme', -1))],
        states={
            'invisible': ~Eval('scheme'),
            })
    kind = fields.Selection([
            ('email', "Email Answer"),
            ('letter', "Letter"),
            ], "Kind", required=True)
    name = fields.Char("Name", required=True)
    subject = fields.Char("Subject",
        help="Use ${variable} for what changes, e.g. ${reference}.")
    body = fields.Text("Body",
        states={
            'required': Eval('kind') != 'letter',
            },
        help="Use ${variable} for what changes, e.g. ${name}.")
    document = fields.Binary("Document", filename='document_name',
        states={
            'invisible': Eval('kind') != 'letter',
            },
        help="A word-processor model (.docx) of the letter, with "
        "${variable} placeholders as in the texts.")
    document_name = fields.Char("Document Name",
        states={
            'invisible': Eval('kind') != 'letter',
            })
    variables = fields.Function(fields.Char("Variables Used"),
        'get_variables')
    available_variables = fields.Function(fields.Text(
            "Available Variables",
            help="The ${variable} placeholders a template may use and what "
            "each one is replaced by: click a line to insert its variable "
            "in the subject or the body last edited."),
        'get_available_variables')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        cls._migrate_legacy_placeholders()

    @classmethod
    def _migrate_legacy_placeholders(cls):
        "Write ${x} the {{x}} placeholders stored in the templates"
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.select(table.id, table.subject, table.body,
                where=Like(table.subject, '%{{%')
                | Like(table.body, '%{{%')))
        for id_, subject, body in cursor.fetchall():
            cursor.execute(*table.update(
                    [table.subject, table.body],
                    [placeholder.from_legacy(subject),
                        placeholder.from_legacy(body)],
                    where=table.id == id_))
        cursor.execute(*table.select(table.id, table.document,
                where=table.document != Null))
        for id_, document in cursor.fetchall():
            try:
                data = placeholder.docx_from_legacy(bytes(document))
            except ValueError:
                # an unreadable document is left as it is: the form
                # refuses it on the next save
                continue
            if data != bytes(document):
                cursor.execute(*table.update(
                        [table.document], [cls.document.sql_format(data)],
                        where=table.id == id_))

    @staticmethod
    def default_kind():
        return 'email'

    def get_rec_name(self, name):
        # the pickers tell apart the templates of the same name
        if self.scheme:
            return '%s — %s' % (self.name, self.scheme.name)
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        domain = [bool_op,
            ('name', operator, operand, *extra),
            ('scheme.name', operator, operand, *extra),
            ('scheme.code', operator, operand, *extra),
            ]
        if (bool_op == 'OR' and isinstance(operand, str)
                and ' — ' in operand):
            # the rec_name typed or pasted whole
            template, scheme = operand.split(' — ', 1)
            if operator.endswith('like'):
                if not template.endswith('%'):
                    template += '%'
                if not scheme.startswith('%'):
                    scheme = '%' + scheme
            domain.append([
                    ('name', operator, template),
                    ('scheme.name', operator, scheme),
                    ])
        return domain

    def get_variables(self, name):
        return ', '.join(self.variable_names())

    def get_available_variables(self, name):
        lines = ['${%s}: %s' % (n, description)
            for n, description in self.available_variables_get(self.kind)]
        lines += ['${%s}: %s' % (n, description)
            for n, description in self.document_variables_get(self.kind)]
        return '\n'.join(lines)

    @classmethod
    def available_variables_get(cls, kind=None):
        """Return the [(name, description)] of the variables the templates
        of kind may use in their texts and document; the values come from
        gru.inbox.request.template_values. A module adds its variables by
        extending this method (and template_values)."""
        return [(n, gettext('gru_scheme.msg_variable_%s' % n))
            for n in VARIABLES]

    @classmethod
    def document_variables_get(cls, kind=None):
        """Return the [(name, description)] of the variables the document of
        the templates of kind may use besides the available ones: those the
        module writing the document fills (e.g. the letter number)"""
        return []

    def variable_names(self):
        names = []
        for text in [self.subject, self.body]:
            for name in self.placeholders(text):
                if name not in names:
                    names.append(name)
        for name in self.document_placeholders():
            if name not in names:
                names.append(name)
        return names

    @staticmethod
    def placeholders(text):
        "Return the names of the ${variables} still in text"
        return placeholder.names(text)

    def document_placeholders(self):
        "Return the names of the ${variables} of the document"
        if not self.document:
            return []
        try:
            return placeholder.docx_names(self.document)
        except ValueError:
            return []

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        if field_names and not (field_names & {
                    'subject', 'body', 'document', 'document_name', 'kind'}):
            return
        for template in templates:
            template.check_placeholders()

    def check_placeholders(self):
        """Check the placeholders of the texts and of the document: the one
        syntax ${variable} and only the variables available"""
        for text in [self.subject, self.body]:
            if text and not placeholder.is_valid(text):
                raise TemplateValidationError(gettext(
                        'gru_scheme.msg_template_invalid_placeholder',
                        template=self.name))
        if (self.document_name and self.document
                and not self.document_name.lower().endswith('.docx')):
            raise TemplateValidationError(gettext(
                    'gru_scheme.msg_template_document_format',
                    template=self.name,
                    filename=self.document_name))
        texts = [self.subject or '', self.body or '']
        document_names = []
        if self.document:
            try:
                texts += placeholder.docx_texts(self.document)
            except ValueError as exception:
                raise TemplateValidationError(gettext(
                        'gru_scheme.msg_template_document_invalid',
                        template=self.name,
                        reason=str(exception)[:200])) from exception
            document_names = placeholder.docx_names(self.document)
        legacy = []
        for text in texts:
            legacy += [n for n in placeholder.legacy_names(text)
                if n not in legacy]
        if legacy:
            raise TemplateValidationError(gettext(
                    'gru_scheme.msg_template_legacy_placeholder',
                    template=self.name,
                    placeholders=', '.join('{{%s}}' % n for n in legacy),
                    example=', '.join('${%s}' % n for n in legacy)))
        known = {n for n, _ in self.available_variables_get(self.kind)}
        in_document = known | {
            n for n, _ in self.document_variables_get(self.kind)}
        unknown = []
        for text in [self.subject, self.body]:
            unknown += [n for n in placeholder.names(text)
                if n not in known and n not in unknown]
        unknown += [n for n in document_names
            if n not in in_document and n not in unknown]
        if unknown:
            raise TemplateValidationError(gettext(
                    'gru_scheme.msg_template_unknown_variable',
                    template=self.name,
                    variables=', '.join('${%s}' % n for n in unknown),
                    available=', '.join('${%s}' % n for n in sorted(
                            known))))

    def render(self, values):
        """Return (subject, body, missing) with the available ${variables}
        replaced by values; the variables unknown or without value (None or
        empty) are kept and listed in missing"""
        known = {n for n, _ in self.available_variables_get(self.kind)}
        values = {k: str(v) for k, v in values.items()
            if k in known and v is not None and str(v) != ''}
        missing = []
        for text in [self.subject, self.body]:
            missing += [n for n in placeholder.names(text)
                if n not in values and n not in missing]
        subject = string.Template(self.subject or '').safe_substitute(values)
        body = string.Template(self.body or '').safe_substitute(values)
        return subject, body, missing


class Faq(sequence_ordered(), ModelSQL, ModelView):
    "Scheme FAQ Entry"
    __string__ = "Scheme FAQ Entry"
    __name__ = 'gru.scheme.faq'

    scheme = fields.Many2One('gru.scheme', "Scheme", required=True,
        ondelete='CASCADE')
    kind = fields.Selection([
            ('faq', "Question and Answer"),
            ('language', "Key Message"),
            ], "Kind", required=True,
        help="Key messages (éléments de langage) are the wording agents "
        "use on the phone and at the desk.")
    question = fields.Char("Question or Topic", required=True)
    answer = fields.Text("Answer", required=True)

    @staticmethod
    def default_kind():
        return 'faq'

    def get_rec_name(self, name):
        return self.question

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a scheme asks and says: required documents, processing steps,
answer and letter templates, FAQ and key messages."""
import string

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)
from trytond.pyson import Eval

from .exceptions import TemplateValidationError


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

    scheme = fields.Many2One('gru.scheme', "Scheme", required=True,
        ondelete='CASCADE')
    step = fields.Many2One('gru.scheme.step', "Step", ondelete='SET NULL',
        domain=[('scheme', '=', Eval('scheme', -1))])
    kind = fields.Selection([
            ('email', "Email Answer"),
            ('letter', "Letter"),
            ], "Kind", required=True)
    name = fields.Char("Name", required=True)
    subject = fields.Char("Subject",
        help="Use ${variable} for what changes, e.g. ${reference}.")
    body = fields.Text("Body", required=True,
        help="Use ${variable} for what changes, e.g. ${name}.")
    document = fields.Binary("Document", filename='document_name',
        states={
            'invisible': Eval('kind') != 'letter',
            },
        help="A word-processor model (.docx) of the letter.")
    document_name = fields.Char("Document Name",
        states={
            'invisible': Eval('kind') != 'letter',
            })
    variables = fields.Function(fields.Char("Variables"), 'get_variables')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @staticmethod
    def default_kind():
        return 'email'

    def get_variables(self, name):
        return ', '.join(self.variable_names())

    def variable_names(self):
        names = []
        for text in [self.subject, self.body]:
            for name in string.Template(text or '').get_identifiers():
                if name not in names:
                    names.append(name)
        return names

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        if field_names and not (field_names & {
                    'subject', 'body', 'document', 'document_name', 'kind'}):
            return
        for template in templates:
            for text in [template.subject, template.body]:
                if text and not string.Template(text).is_valid():
                    raise TemplateValidationError(gettext(
                            'gru_scheme.msg_template_invalid_placeholder',
                            template=template.name))
            if (template.document_name
                    and not template.document_name.lower().endswith(
                        ('.docx', '.odt'))):
                raise TemplateValidationError(gettext(
                        'gru_scheme.msg_template_document_format',
                        template=template.name,
                        filename=template.document_name))

    def render(self, values):
        """Return (subject, body, missing) with the ${variables} replaced by
        values; the variables without value are kept and listed in
        missing"""
        missing = [n for n in self.variable_names() if n not in values]
        values = {k: '' if v is None else str(v) for k, v in values.items()}
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

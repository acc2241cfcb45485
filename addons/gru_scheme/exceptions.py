# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class SchemeValidationError(ValidationError):
    pass


class SchemeReferencePatternError(SchemeValidationError):
    "The dossier-number pattern or link of a scheme is invalid"


class SchemeOpenError(UserError):
    "A scheme cannot open while its launch checklist is incomplete"


class CriterionValidationError(ValidationError):
    pass


class TemplateValidationError(ValidationError):
    pass

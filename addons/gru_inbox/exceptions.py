# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import ValidationError


class RequestError(UserError):
    pass


class ReplyUnfilledError(RequestError):
    "A reply still holds ${placeholders} nobody filled"


class RequestWarning(UserWarning):
    pass


class IntakeError(UserError):
    "The data given to the intake API is invalid"

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class RuleValidationError(ValidationError):
    pass


class VolumeContextError(UserError):
    "The context of the request volumes has a value of a wrong type"

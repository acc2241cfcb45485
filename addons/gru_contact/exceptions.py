# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class InvalidEmail(ValidationError):
    pass


class InvalidPhone(ValidationError):
    pass


class MatchingInputError(UserError):
    "The input given to the matching service is malformed"


class AnonymizeError(UserError):
    pass


class GdprAccessError(UserError):
    pass


class RetentionError(UserError):
    pass

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class CallInputError(UserError):
    "The IVR or the CTI sent a value the phone service cannot take"

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class CallError(UserError):
    pass


class ShareBasisError(ValidationError):
    "The share basis needs a module that is not activated"

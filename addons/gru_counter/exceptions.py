# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class CounterError(UserError):
    pass


class WalkInError(CounterError):
    "The walk-in cannot be recorded as entered"


class PermanenceValidationError(ValidationError):
    pass


class AttendanceContextError(UserError):
    "A period of the attendance is not a date"

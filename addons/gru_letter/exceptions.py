# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError


class LetterError(UserError):
    pass


class ScanError(LetterError):
    "The scan cannot be read"

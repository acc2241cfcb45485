# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError, UserWarning


class LetterError(UserError):
    pass


class ScanError(LetterError):
    "The scan cannot be read"


class PDFConverterError(LetterError):
    "The PDF of a letter cannot be written (LibreOffice missing or failing)"


class UsagerCreationWarning(UserWarning):
    "A usager resembling the sender of the letter exists"

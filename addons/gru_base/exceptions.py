# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError


class ApiKeyError(UserError):
    pass


class ApiInputError(UserError):
    "The input of an HTTP API call is invalid: answered as a JSON 4xx"

    def __init__(self, message, status=400, field=None, **extra):
        super().__init__(message)
        self.status = status
        self.extra = dict(extra, field=field)

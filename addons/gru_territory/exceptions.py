# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class RoutingInputError(UserError):
    "The input given to the routing service is malformed"


class PlanValidationError(ValidationError):
    pass


class PlanCoverageError(UserError):
    pass


class ImportDataError(UserError):
    pass

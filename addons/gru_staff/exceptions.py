# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class PositionValidationError(ValidationError):
    pass


class UnitValidationError(ValidationError):
    pass


class PlanApprovalError(UserError):
    pass


class OrgChartError(UserError):
    pass


class CompareError(UserError):
    pass

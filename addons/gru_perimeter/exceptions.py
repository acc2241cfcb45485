# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class ContourSourceError(UserError):
    "The source of the contours is missing or unreadable"


class MapError(UserError):
    "The map cannot be drawn"


class PlannerError(UserError):
    "The perimeter scenario cannot be computed or saved"


class AntennaColourError(ValidationError):
    pass

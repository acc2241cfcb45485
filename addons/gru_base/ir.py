# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.ir.resource import ResourceAccessMixin
from trytond.pool import PoolMeta

from .model import ExportAccessMixin


class Attachment(ExportAccessMixin, metaclass=PoolMeta):
    __name__ = 'ir.attachment'


class Note(ExportAccessMixin, metaclass=PoolMeta):
    __name__ = 'ir.note'


class Email(ExportAccessMixin, metaclass=PoolMeta):
    __name__ = 'ir.email'


class ModelLog(ExportAccessMixin, metaclass=PoolMeta):
    __name__ = 'ir.model.log'


class Avatar(ExportAccessMixin, ResourceAccessMixin, metaclass=PoolMeta):
    "An avatar (a usager's photo) is reached by who reaches its record"
    __name__ = 'ir.avatar'

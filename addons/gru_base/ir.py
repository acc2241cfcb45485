# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.ir.resource import ResourceAccessMixin
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

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


class Lang(metaclass=PoolMeta):
    __name__ = 'ir.lang'

    # trytond's French writes 06.12.2026; French usage 06/12/2026
    _date_formats = {'fr': ('%d.%m.%Y', '%d/%m/%Y')}

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        if module != 'gru_base':
            return
        # run at each activation or update of gru_base, which comes after
        # ir's: a format an administrator chose is kept
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for code, (default, usage) in cls._date_formats.items():
            cursor.execute(*table.update([table.date], [usage],
                    where=(table.code == code) & (table.date == default)))

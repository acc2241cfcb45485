# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'

    antenna = fields.Many2One('gru.antenna', "Antenna", ondelete='SET NULL',
        help="The antenna or service where the employee works.")
    function = fields.Char("Function",
        help="The job the employee holds, as written on the staff plan.")
    positions = fields.One2Many('gru.staff.position', 'occupant',
        "Positions", readonly=True)

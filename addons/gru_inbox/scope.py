# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"What the models attached to an antenna share about the user's antennas."
from trytond.model import fields
from trytond.pool import Pool


class InMyAntennasMixin:
    """A model with an antenna: in_my_antennas tells whether its antenna is
    one of the user's (the filter of the agents' lists)"""
    __slots__ = ()
    in_my_antennas = fields.Function(fields.Boolean("In My Antennas"),
        'get_in_my_antennas', searcher='search_in_my_antennas')

    def get_in_my_antennas(self, name):
        pool = Pool()
        User = pool.get('res.user')
        return bool(self.antenna
            and self.antenna.id in User.get_gru_antennas())

    @classmethod
    def search_in_my_antennas(cls, name, clause):
        pool = Pool()
        User = pool.get('res.user')
        _, operator, value = clause[:3]
        antennas = list(User.get_gru_antennas())
        if (operator == '=') == bool(value):
            return [('antenna', 'in', antennas)]
        return [('antenna', 'not in', antennas)]

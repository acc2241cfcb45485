# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The agents (res.user) at the counters."
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .exceptions import CounterError


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def counter_antenna(cls, user_id=None):
        """Return the id of the antenna where the user receives: the first
        of the antennas of his user form, else None"""
        user_id = user_id if user_id is not None else Transaction().user
        if not user_id:
            return None
        with without_check_access():
            antennas = cls(user_id).gru_antennas
        return antennas[0].id if antennas else None

    @classmethod
    def counter_all_antennas(cls):
        "Tell if the user may record visits at any antenna"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        if not Transaction().user:
            return True
        groups = set(cls.get_groups())
        return bool(groups & {
                ModelData.get_id('gru_inbox', 'group_supervisor'),
                ModelData.get_id('gru_base', 'group_gru_admin'),
                })

    @classmethod
    def check_counter_antenna(cls, antenna):
        """Raise CounterError unless the user may receive at antenna: one
        of his antennas (gru_inbox's scope A), or any for a supervisor or
        an administrator"""
        if antenna is None or cls.counter_all_antennas():
            return
        if antenna.id not in cls.get_gru_antennas():
            raise CounterError(gettext(
                    'gru_counter.msg_antenna_not_mine',
                    antenna=antenna.rec_name))

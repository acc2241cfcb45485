# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta

MODELS = {'gru.counter.visit', 'gru.counter.permanence'}


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def gru_scoped_models(cls):
        return super().gru_scoped_models() | MODELS

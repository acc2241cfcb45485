# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta

MODELS = {'gru.letter', 'gru.letter.quarantine'}


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def gru_scoped_models(cls):
        return super().gru_scoped_models() | MODELS

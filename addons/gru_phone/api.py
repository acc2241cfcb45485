# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The scope of the phone endpoints (routes.py) on the API keys."
from trytond.pool import PoolMeta


class ApiKey(metaclass=PoolMeta):
    __name__ = 'gru.api.key'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.scopes.selection.append(
            ('phone', "Toll-free line (IVR decision, CTI events)"))

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The scope of the routing endpoint (routes.py) on the API keys."
from trytond.pool import PoolMeta


class ApiKey(metaclass=PoolMeta):
    __name__ = 'gru.api.key'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.scopes.selection.append(('route', "Territory routing"))

    @classmethod
    def default_scopes(cls):
        # the IVR, the first consumer of the API, routes
        return super().default_scopes() + ['route']

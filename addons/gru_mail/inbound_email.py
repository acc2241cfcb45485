# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class Rule(metaclass=PoolMeta):
    __name__ = 'inbound.email.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection.append(
            ('gru.inbox.request|from_inbound_email',
                "Create or Update a GRU Request"))


class _LazyEmailDict(dict):
    "The dict of an email computed at the first look-up by a rule"

    def __init__(self, compute):
        super().__init__()
        self._compute = compute
        self._computed = False

    def _fill(self):
        if not self._computed:
            self._computed = True
            self.update(self._compute())

    def get(self, key, default=None):
        self._fill()
        return super().get(key, default)

    def __getitem__(self, key):
        self._fill()
        return super().__getitem__(key)

    def __contains__(self, key):
        self._fill()
        return super().__contains__(key)

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __len__(self):
        self._fill()
        return super().__len__()

    def keys(self):
        self._fill()
        return super().keys()

    def items(self):
        self._fill()
        return super().items()

    def values(self):
        self._fill()
        return super().values()


class Email(metaclass=PoolMeta):
    __name__ = 'inbound.email'

    def as_dict(self):
        # a rule without criteria, like the GRU mailbox rule, does not
        # look at the email: do not parse it for nothing
        compute = super().as_dict
        return _LazyEmailDict(compute)

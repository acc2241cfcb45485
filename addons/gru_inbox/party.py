# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    gru_requests = fields.One2Many('gru.inbox.request', 'party', "Requests",
        readonly=True,
        help="The requests of the usager; the access rules of the usagers "
        "follow them.")

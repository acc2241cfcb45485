# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The phone channel of the requests."
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    phone_calls = fields.One2Many('gru.phone.call', 'request', "Calls",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.channel.selection.append(('phone', "Phone"))
        cls._channel_icons['phone'] = 'gru-channel-phone'
        # an answer given by phone is recorded
        cls._reply_channels.add('phone')

    @classmethod
    def copy(cls, requests, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('phone_calls', None)
        return super().copy(requests, default=default)

    @classmethod
    def _gdpr_to_erase(cls, domain):
        pool = Pool()
        Call = pool.get('gru.phone.call')
        # the calls of the requests: what identifies the caller goes, the
        # times, antennas and outcome stay for the statistics
        return super()._gdpr_to_erase(domain) + [
            (Call, [('request', 'where', domain)], True,
                Call._gdpr_erased_columns(),
                Call._gdpr_erased_values()),
            ]


class RequestVolume(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request.volume'

    count_phone = fields.Integer("Phone")

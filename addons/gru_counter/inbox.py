# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The counter channel of the requests."
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    visits = fields.One2Many('gru.counter.visit', 'request', "Visits",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.channel.selection.append(('counter', "Counter"))
        cls._channel_icons['counter'] = 'gru-channel-counter'
        # an answer given at the counter is recorded
        cls._reply_channels.add('counter')

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/form/notebook/page[@name="visits"]', 'states', {
                    'invisible': Eval('channel') != 'counter',
                    }),
            ]

    @classmethod
    def _gdpr_to_erase(cls, domain):
        # the name given at the reception of the visits of the requests
        pool = Pool()
        Visit = pool.get('gru.counter.visit')
        return super()._gdpr_to_erase(domain) + [
            (Visit, [('request', 'where', domain)], True,
                ['name'], [None]),
            ]

    @classmethod
    def copy(cls, requests, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('visits', None)
        return super().copy(requests, default=default)


class RequestVolume(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request.volume'

    count_counter = fields.Integer("Counter")

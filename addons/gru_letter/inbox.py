# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The letter channel of the requests: its registration and its replies."
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.channel.selection.append(('letter', "Letter"))
        cls._channel_icons['letter'] = 'gru-channel-letter'
        cls._reply_channels.add('letter')

    def _send_letter(self, message):
        "An answer on the letter channel is written as a reply letter"
        pool = Pool()
        Outgoing = pool.get('gru.letter.outgoing')
        if message.direction == 'out' and not Outgoing.search(
                [('message', '=', message.id)]):
            Outgoing.generate([self], body=message.body or '',
                message=message)


class RequestVolume(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request.volume'

    count_letter = fields.Integer("Letter")

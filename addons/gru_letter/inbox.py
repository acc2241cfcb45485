# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The letter channel of the requests: its registration and its replies."
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.channel.selection.append(('letter', "Letter"))
        cls._channel_icons['letter'] = 'gru-channel-letter'
        cls._reply_channels.add('letter')

    def _send_letter(self, message):
        """An answer on the letter channel is written as a reply letter,
        from the letter template chosen in the reply (the context's
        gru_letter_template) or else the default one"""
        pool = Pool()
        Outgoing = pool.get('gru.letter.outgoing')
        Template = pool.get('gru.scheme.template')
        if message.direction == 'out' and not Outgoing.search(
                [('message', '=', message.id)]):
            template_id = Transaction().context.get('gru_letter_template')
            template = Template(template_id) if template_id else None
            Outgoing.generate([self], template=template,
                body=message.body or '', message=message)


class RequestVolume(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request.volume'

    count_letter = fields.Integer("Letter")

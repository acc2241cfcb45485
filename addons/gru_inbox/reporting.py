# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Volumes of requests by month, channel, antenna and scheme (SQL grouped)."
from sql import Literal, Null
from sql.aggregate import Count, Min
from sql.functions import DateTrunc, Function

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool

from .inbox import CHANNELS, STATES


class _SQLiteMonth(Function):
    __slots__ = ()
    _function = 'STRFTIME'


class RequestVolume(ModelSQL, ModelView):
    "Request Volume"
    __string__ = "Request Volume"
    __name__ = 'gru.inbox.request.volume'

    month = fields.Char("Month")
    channel = fields.Selection(CHANNELS, "Channel")
    antenna = fields.Many2One('gru.antenna', "Antenna")
    scheme = fields.Many2One('gru.scheme', "Scheme")
    state = fields.Selection(STATES, "State")
    count = fields.Integer("Requests")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'DESC'), ('count', 'DESC'), ('id', 'ASC')]

    @classmethod
    def month_column(cls, column):
        if backend.name == 'sqlite':
            return _SQLiteMonth('%Y-%m', column)
        from sql.functions import ToChar
        return ToChar(DateTrunc('month', column), 'YYYY-MM')

    @classmethod
    def table_query(cls):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        request = Request.__table__()
        # the month is computed in a sub-query and grouped by its column:
        # PostgreSQL does not see two parametrised TO_CHAR as the same
        # expression in SELECT and GROUP BY
        requests = request.select(
            request.id.as_('id'),
            request.create_date.as_('create_date'),
            cls.month_column(request.received_at).as_('month'),
            request.channel.as_('channel'),
            request.antenna.as_('antenna'),
            request.scheme.as_('scheme'),
            request.state.as_('state'))
        return requests.select(
            Min(requests.id).as_('id'),
            Literal(0).as_('create_uid'),
            Min(requests.create_date).as_('create_date'),
            Literal(None).as_('write_uid'),
            Literal(None).as_('write_date'),
            requests.month.as_('month'),
            requests.channel.as_('channel'),
            requests.antenna.as_('antenna'),
            requests.scheme.as_('scheme'),
            requests.state.as_('state'),
            Count(requests.id).as_('count'),
            group_by=[requests.month, requests.channel, requests.antenna,
                requests.scheme, requests.state])


class RequestTimeline(ModelSQL, ModelView):
    "Usager Timeline"
    __string__ = "Usager Timeline"
    __name__ = 'gru.inbox.timeline'

    date = fields.DateTime("Date")
    party = fields.Many2One('party.party', "Usager")
    request = fields.Many2One('gru.inbox.request', "Request")
    message = fields.Many2One('gru.inbox.message', "Message")
    channel = fields.Selection(CHANNELS, "Channel")
    direction = fields.Selection([
            ('in', "Incoming"),
            ('out', "Outgoing"),
            ('note', "Internal Note"),
            ], "Direction")
    subject = fields.Char("Subject")
    antenna = fields.Many2One('gru.antenna', "Antenna")
    scheme = fields.Many2One('gru.scheme', "Scheme")
    request_state = fields.Selection(STATES, "Request State")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        request = Request.__table__()
        message = Message.__table__()
        return message.join(request,
            condition=message.request == request.id
            ).select(
                message.id.as_('id'),
                message.date.as_('date'),
                request.party.as_('party'),
                request.id.as_('request'),
                message.id.as_('message'),
                message.channel.as_('channel'),
                message.direction.as_('direction'),
                message.subject.as_('subject'),
                request.antenna.as_('antenna'),
                request.scheme.as_('scheme'),
                request.state.as_('request_state'),
                message.create_uid.as_('create_uid'),
                message.create_date.as_('create_date'),
                message.write_uid.as_('write_uid'),
                message.write_date.as_('write_date'),
                where=request.party != Null)

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Volumes of requests over a period, grouped by the dimensions a graph
shows, and the usager timeline (SQL views)."""
import datetime as dt
import json

from sql import Cast, Column, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Function, ToChar

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.modelsql import convert_from
from trytond.pool import Pool
from trytond.pyson import Eval, If, In
from trytond.rpc import RPC
from trytond.transaction import Transaction

from gru_base.model import ExportAccessMixin

from .exceptions import VolumeContextError
from .inbox import STATES

# what a volume can be grouped by (gru_volume_dimensions of the context)
DIMENSIONS = ['month', 'channel', 'antenna', 'scheme', 'state']

# The colour of each channel, the same in every graph and list of the
# volumes (RequestVolume.parse_view puts them in the graphs, the lists ask
# RequestVolume.channel_colors; the channel modules add no colour of their
# own). Distinct hues that stay apart for
# the common colour-vision deficiencies; the grey is for "other" and for a
# channel missing from the table.
CHANNEL_COLORS = {
    'email': '#1F77B4',
    'letter': '#8C564B',
    'phone': '#2CA02C',
    'counter': '#FF7F0E',
    'web': '#9467BD',
    'other': '#7F7F7F',
    }
DEFAULT_CHANNEL_COLOR = '#7F7F7F'
# the width (px) of a column of the count of a channel in the lists
COUNT_WIDTH = 90


def channel_color(channel):
    "Return the colour (#RRGGBB) of the channel key"
    return CHANNEL_COLORS.get(channel, DEFAULT_CHANNEL_COLOR)


def month_label(month):
    """Return the label of a month 'YYYY-MM' in the language of the
    transaction: "janv. 2026" in French, "Jan 2026" in English"""
    if not month:
        return month
    try:
        year, number = month.split('-')
        number = int(number)
    except ValueError:
        return month
    if not 1 <= number <= 12:
        return month
    return gettext('gru_inbox.msg_volume_month_label',
        month=gettext('gru_inbox.msg_volume_month_%02d' % number),
        year=year)


class _SQLiteMonth(Function):
    __slots__ = ()
    _function = 'STRFTIME'


class RequestVolumeContext(ModelView):
    "Request Volume Context"
    __string__ = "Request Volume Context"
    __name__ = 'gru.inbox.request.volume.context'

    from_date = fields.Date("From Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ],
        help="The first day of reception counted.\n"
        "Leave empty to count from the first request.")
    to_date = fields.Date("To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ],
        help="The last day of reception counted.\n"
        "Leave empty to count up to the last request.")
    antenna = fields.Many2One('gru.antenna', "Antenna",
        help="Count only the requests of this antenna.")

    @classmethod
    def default_from_date(cls):
        Volume = Pool().get('gru.inbox.request.volume')
        return Volume.period()[0]

    @classmethod
    def default_to_date(cls):
        Volume = Pool().get('gru.inbox.request.volume')
        return Volume.period()[1]

    @classmethod
    def default_antenna(cls):
        return Transaction().context.get('antenna')


class RequestVolume(ModelSQL, ModelView):
    """Request Volume

    The requests received in the period of the context (from_date, to_date;
    by default the current month and the 11 before), of the company and
    antenna of the context, that the user may read (the record rules of the
    request are applied before counting), grouped by the dimensions listed
    in the context key gru_volume_dimensions (all of them by default).
    A row counts the requests and the requests of each channel; the columns
    of the dimensions not grouped are empty.
    """
    __string__ = "Request Volume"
    __name__ = 'gru.inbox.request.volume'

    month = fields.Char("Month")
    channel = fields.Selection('get_channels', "Channel")
    channel_name = fields.Char("Channel",
        help="The name of the channel, for the graphs.")
    antenna = fields.Many2One('gru.antenna', "Antenna")
    scheme = fields.Many2One('gru.scheme', "Scheme")
    state = fields.Selection(STATES, "State")
    count = fields.Integer("Requests")
    # one count per channel: each channel module adds its count_<channel>
    # (and its column in the list and the graph by month)
    count_web = fields.Integer("Web Form")
    count_other = fields.Integer("Other")
    # the labels the graphs show on their axis: a month by its name, an
    # empty scheme or antenna by a word instead of an unlabelled bar
    month_name = fields.Function(fields.Char("Month"), 'get_labels')
    antenna_name = fields.Function(fields.Char("Antenna"), 'get_labels')
    scheme_name = fields.Function(fields.Char("Scheme"), 'get_labels')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'DESC'), ('count', 'DESC'), ('id', 'ASC')]
        cls.__rpc__.update({
                'channel_colors': RPC(),
                })

    @classmethod
    def view_attributes(cls):
        dimensions = Eval('gru_volume_dimensions', DIMENSIONS)
        attributes = super().view_attributes()
        # the list shows the columns grouped by the action
        for name in DIMENSIONS:
            attributes.append(('/tree/field[@name="%s"]' % name,
                    'tree_invisible', ~In(name, dimensions)))
        attributes.append(('/tree/field[@name="month_name"]',
                'tree_invisible', ~In('month', dimensions)))
        for name, _ in cls.channel_counts():
            attributes.append(('/tree/field[@name="%s"]' % name,
                    'tree_invisible', In('channel', dimensions)))
        return attributes

    @classmethod
    def get_labels(cls, volumes, names):
        result = {n: {} for n in names}
        no_antenna = gettext('gru_inbox.msg_volume_no_antenna')
        no_scheme = gettext('gru_inbox.msg_volume_no_scheme')
        for volume in volumes:
            if 'month_name' in result:
                result['month_name'][volume.id] = month_label(volume.month)
            if 'antenna_name' in result:
                result['antenna_name'][volume.id] = (
                    volume.antenna.rec_name if volume.antenna
                    else no_antenna)
            if 'scheme_name' in result:
                result['scheme_name'][volume.id] = (
                    volume.scheme.rec_name if volume.scheme else no_scheme)
        return result

    @staticmethod
    def order_month_name(tables):
        table, _ = tables[None]
        return [table.month]

    @classmethod
    def parse_view(cls, tree, type, *args, **kwargs):
        """Give each channel its colour (CHANNEL_COLORS) in the graphs: the
        series of its count, and the slices of a graph by channel name (the
        color attribute of the x field holds the colour of each name as a
        JSON object, read by config/sao/custom.js)"""
        if type == 'graph':
            counts = dict(cls.channel_counts())
            for field in tree.xpath('//y/field'):
                channel = counts.get(field.get('name'))
                if channel and not field.get('color'):
                    field.set('color', channel_color(channel))
            for field in tree.xpath('//x/field[@name="channel_name"]'):
                field.set('color', json.dumps({name: channel_color(key)
                            for key, name in cls.get_channels()},
                        ensure_ascii=False, sort_keys=True))
        elif type == 'tree':
            for field in tree.xpath('//field'):
                # narrower than sao's default for numbers: the counts of
                # the six channels fit beside the antenna and the total at
                # 1,400 px with the menu open
                if field.get('name', '').startswith('count_') and not (
                        field.get('width')):
                    field.set('width', str(COUNT_WIDTH))
        return super().parse_view(tree, type, *args, **kwargs)

    @classmethod
    def channel_colors(cls):
        """Return the colour of each count by channel: {field name: colour},
        for the headers of the lists (config/sao/custom.js)"""
        return {name: channel_color(channel)
            for name, channel in cls.channel_counts()}

    @classmethod
    def last_twelve_months(cls):
        "Return the current month and the 11 before, up to today"
        today = Pool().get('ir.date').today()
        year, month = today.year, today.month - 11
        if month < 1:
            year, month = year - 1, month + 12
        return dt.date(year, month, 1), today

    @classmethod
    def period(cls):
        """Return the first and last days counted: those of the context
        (None for no bound) or the default period"""
        context = Transaction().context
        from_date, to_date = cls.last_twelve_months()
        if 'from_date' in context:
            from_date = cls._context_date('from_date')
        if 'to_date' in context:
            to_date = cls._context_date('to_date')
        return from_date, to_date

    @classmethod
    def _context_date(cls, name):
        """Return the date of the context key name: a date, an ISO date
        string or None; raise VolumeContextError for any other value"""
        value = Transaction().context[name]
        if isinstance(value, dt.datetime):
            return value.date()
        if value is None or isinstance(value, dt.date):
            return value
        if value == '':
            return None
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise VolumeContextError(gettext('gru_inbox.msg_volume_context_date',
                field=name, value=str(value)[:30]))

    @classmethod
    def dimensions(cls):
        "Return the names of the columns grouped, from the context"
        names = Transaction().context.get('gru_volume_dimensions') or []
        if isinstance(names, str):
            names = [names]
        elif not isinstance(names, (list, tuple)):
            # a wrong type groups by every dimension, as no value does
            names = []
        return [d for d in DIMENSIONS if d in names] or list(DIMENSIONS)

    @classmethod
    def get_channels(cls):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return Request.channels()

    @classmethod
    def channel_counts(cls):
        "Return the (field name, channel) of the counts by channel"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return [('count_' + c, c) for c, _ in Request.channels()
            if 'count_' + c in cls._fields]

    @classmethod
    def request_domain(cls):
        """Return the domain of the requests counted: the period, company
        and antenna of the context, and the read rules of the request"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        context = Transaction().context
        from_date, to_date = cls.period()
        domain = []
        if from_date:
            domain.append(('received_at', '>=',
                    dt.datetime.combine(from_date, dt.time.min)))
        if to_date:
            domain.append(('received_at', '<',
                    dt.datetime.combine(
                        to_date + dt.timedelta(days=1), dt.time.min)))
        if context.get('company'):
            domain.append(('company', '=', context['company']))
        if context.get('antenna'):
            domain.append(('antenna', '=', context['antenna']))
        # a volume counts only the requests the user may read: the view
        # groups them, so the rules of the request must apply before
        rule_domain = Rule.domain_get('gru.inbox.request', mode='read')
        if rule_domain:
            domain.append(rule_domain)
        return domain

    @classmethod
    def day_column(cls, column):
        "The key of the first grouping, from which the month is taken"
        if backend.name == 'sqlite':
            return _SQLiteMonth('%Y-%m', column)
        # a cast is cheap on each request, the month is taken once a day
        return Cast(column, 'DATE')

    @classmethod
    def month_column(cls, column):
        "The month (YYYY-MM) of the day_column"
        if backend.name == 'sqlite':
            return column
        return ToChar(column, 'YYYY-MM')

    @classmethod
    def table_query(cls):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        dimensions = cls.dimensions()
        tables, where = Request.search_domain(
            cls.request_domain(), active_test=False)
        request, _ = tables[None]

        # 1. the requests counted by day (or month on SQLite), channel and
        # the other dimensions: the index on received_at includes these
        # columns so PostgreSQL reads only the index
        keys = {'channel': request.channel}
        if 'month' in dimensions:
            keys['month'] = cls.day_column(request.received_at)
        for name in dimensions:
            if name not in keys:
                keys[name] = Column(request, name)
        days = convert_from(None, tables).select(
            *(c.as_(n) for n, c in keys.items()),
            # the smallest request id identifies a group: it is unique and
            # stays the same between the search and the read of the client
            Min(request.id).as_('id'),
            Count().as_('count'),
            where=where,
            group_by=list(keys.values()))

        # 2. the month of each day, in a column to group by: PostgreSQL
        # does not see two parametrised TO_CHAR as the same expression
        columns = [Column(days, n) for n in keys if n != 'month']
        if 'month' in dimensions:
            columns.append(cls.month_column(days.month).as_('month'))
        months = days.select(*columns, days.id, days.count)

        # 3. the groups of the dimensions asked
        return cls.group_counts(months)

    @classmethod
    def group_counts(cls, rows):
        """Return the query of the volumes from rows (a query of the
        columns id, count, channel and the other dimensions grouped):
        the groups of the dimensions asked, the others left empty, with
        the smallest id, the count and the count of each channel"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        dimensions = cls.dimensions()
        integer = cls.count.sql_type().base
        select = [Min(rows.id).as_('id')]
        for name in DIMENSIONS:
            if name in dimensions:
                column = Column(rows, name)
            else:
                column = Cast(Null, cls._fields[name].sql_type().base)
            select.append(column.as_(name))
        # the graphs show the key of a selection: give them its name
        if 'channel' in dimensions:
            names = Request.channels()
            column = Case(*((rows.channel == k, n) for k, n in names),
                else_=rows.channel)
        else:
            column = Cast(Null, cls.channel_name.sql_type().base)
        select.append(column.as_('channel_name'))
        select.append(Cast(Sum(rows.count), integer).as_('count'))
        for name, channel in cls.channel_counts():
            select.append(Cast(Coalesce(
                        Sum(rows.count, filter_=rows.channel == channel),
                        0), integer).as_(name))
        return rows.select(*select,
            group_by=[Column(rows, d) for d in dimensions])


class RequestTimeline(ExportAccessMixin, ModelSQL, ModelView):
    "Usager Timeline"
    __string__ = "Usager Timeline"
    __name__ = 'gru.inbox.timeline'

    date = fields.DateTime("Date")
    party = fields.Many2One('party.party', "Usager")
    request = fields.Many2One('gru.inbox.request', "Request", required=True)
    message = fields.Many2One('gru.inbox.message', "Message")
    channel = fields.Selection('get_channels', "Channel")
    channel_icon = fields.Function(fields.Char("Channel Icon"),
        'get_channel_icon')
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
        # a row is seen by who sees its request
        cls.__access__.add('request')
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def get_channels(cls):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return Request.channels()

    def get_channel_icon(self, name):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return Request.channel_icon_of(self.channel)

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

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Permanences (scheduled presence at a partner site) and off-site
operations (hors les murs) of the antennas."""
from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from gru_inbox.scope import InMyAntennasMixin

from .exceptions import PermanenceValidationError

# the background of each kind in the calendar
KIND_COLORS = {
    'permanence': '#1f618d',
    'off_site': '#a04000',
    }
KINDS = [
    ('permanence', "Permanence"),
    ('off_site', "Off-Site Operation"),
    ]


class Permanence(InMyAntennasMixin, ModelSQL, ModelView):
    "Permanence"
    __string__ = "Permanence"
    __name__ = 'gru.counter.permanence'

    kind = fields.Selection(KINDS, "Kind", required=True, sort=False,
        help="A permanence is a scheduled presence at a partner site; an "
        "off-site operation a one-off presence (forum, mobile antenna).")
    kind_string = kind.translated('kind')
    antenna = fields.Many2One('gru.antenna', "Antenna", required=True,
        ondelete='RESTRICT',
        help="The antenna whose agents hold the permanence.")
    place = fields.Char("Place", required=True,
        help="The partner site, e.g. \"France Services de Doullens\".")
    street = fields.Char("Address")
    commune = fields.Many2One('gru.commune', "Commune", ondelete='RESTRICT')
    start = fields.DateTime("Start", required=True)
    end = fields.DateTime("End", required=True)
    agents = fields.Many2Many('gru.counter.permanence-res.user',
        'permanence', 'user', "Agents")
    note = fields.Text("Note")
    visits = fields.One2Many('gru.counter.visit', 'permanence', "Visits",
        readonly=True)
    visit_count = fields.Function(fields.Integer("Visits"),
        'get_visit_count')
    company = fields.Many2One('company.company', "Company", required=True,
        ondelete='RESTRICT')
    calendar_color = fields.Function(fields.Char("Color"),
        'get_calendar_color')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                # the calendar and the permanences of an antenna by period
                Index(t, (t.antenna, Index.Equality()),
                    (t.start, Index.Range())),
                Index(t, (t.start, Index.Range())),
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_kind(cls):
        return 'permanence'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_antenna(cls):
        pool = Pool()
        User = pool.get('res.user')
        return User.counter_antenna()

    @classmethod
    def validate_fields(cls, permanences, field_names):
        super().validate_fields(permanences, field_names)
        if field_names & {'start', 'end'}:
            for permanence in permanences:
                if permanence.end <= permanence.start:
                    raise PermanenceValidationError(gettext(
                            'gru_counter.msg_permanence_dates',
                            permanence=permanence.rec_name))

    def get_calendar_color(self, name):
        return KIND_COLORS.get(self.kind)

    def get_rec_name(self, name):
        if self.start:
            return '%s, %s' % (self.place,
                self.start.strftime('%d/%m/%Y'))
        return self.place or ''

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('place', operator, value),
            ('commune.name', operator, value),
            ('antenna.name', operator, value),
            ]

    @classmethod
    def get_visit_count(cls, permanences, name):
        pool = Pool()
        Visit = pool.get('gru.counter.visit')
        visit = Visit.__table__()
        cursor = Transaction().connection.cursor()
        result = {p.id: 0 for p in permanences}
        cursor.execute(*visit.select(visit.permanence, Count(visit.id),
                where=visit.permanence.in_(list(result)),
                group_by=[visit.permanence]))
        result.update(cursor)
        return result

    @classmethod
    def current(cls, antenna, at, user=None):
        """Return the permanence of antenna held at datetime at (by user
        when given), or None"""
        domain = [
            ('antenna', '=', antenna.id if antenna else None),
            ('start', '<=', at),
            ('end', '>', at),
            ]
        if user is not None:
            domain.append(('agents', '=', user))
        permanences = cls.search(domain, order=[('start', 'DESC')], limit=1)
        return permanences[0] if permanences else None


class PermanenceUser(ModelSQL):
    "Permanence - Agent"
    __string__ = "Permanence - Agent"
    __name__ = 'gru.counter.permanence-res.user'

    permanence = fields.Many2One('gru.counter.permanence', "Permanence",
        required=True, ondelete='CASCADE')
    user = fields.Many2One('res.user', "Agent", required=True,
        ondelete='CASCADE')

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Antennas: the Region's local offices and the other reception sites."
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

KINDS = [
    ('antenna', "Antenna"),
    ('house', "Maison des habitants"),
    ('mobile', "Mobile Antenna"),
    ('permanence', "Permanence Site"),
    ('service', "Central Service"),
    ]
STATES = [
    ('planned', "Planned"),
    ('open', "Open"),
    ('closed', "Closed"),
    ]


class Antenna(DeactivableMixin, ModelSQL, ModelView):
    "Antenna"
    __string__ = "Antenna"
    __name__ = 'gru.antenna'

    name = fields.Char("Name", required=True, translate=False)
    code = fields.Char("Code", required=True, size=8)
    kind = fields.Selection(KINDS, "Kind", required=True)
    state = fields.Selection(STATES, "Status", required=True)
    seat = fields.Many2One('gru.commune', "Seat Commune",
        ondelete='RESTRICT')
    street = fields.Text("Street")
    postal_code = fields.Char("Postal Code", size=5)
    city = fields.Function(fields.Char("City"), 'on_change_with_city')
    phone = fields.Char("Phone")
    email = fields.Char("Email")
    opening_date = fields.Date("Opening Date")
    closing_date = fields.Date("Closing Date",
        domain=[
            If(Eval('closing_date') & Eval('opening_date'),
                ('closing_date', '>=', Eval('opening_date')),
                ()),
            ])
    manager_shared_with = fields.Many2One('gru.antenna',
        "Manager Shared With",
        domain=[('id', '!=', Eval('id', -1))],
        help="The antenna whose manager also manages this one "
        "(mutualised management). Requests overflow to it.")
    shared_antennas = fields.One2Many('gru.antenna', 'manager_shared_with',
        "Antennas Sharing the Manager", readonly=True)
    perimeters = fields.One2Many('gru.territory.plan.epci', 'antenna',
        "Perimeter (EPCI)", readonly=True,
        help="The EPCI assigned to the antenna in each territorial plan.")
    exceptions = fields.One2Many('gru.territory.plan.exception', 'antenna',
        "Commune Exceptions", readonly=True)
    plan = fields.Function(fields.Many2One('gru.territory.plan', "Plan"),
        'get_figures')
    population = fields.Function(fields.Integer("Population",
            help="The population served in the plan in force on the "
            "context date (today by default)."), 'get_figures')
    commune_count = fields.Function(fields.Integer("Communes"),
        'get_figures')
    postal_code_count = fields.Function(fields.Integer("Postal Codes"),
        'get_figures')
    postal_codes_served = fields.Function(fields.Text("Postal Codes Served"),
        'get_figures')
    communes_served = fields.Function(fields.Many2Many(
            'gru.commune', None, None, "Communes Served"), 'get_figures')
    comment = fields.Text("Comment")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'gru_territory.msg_antenna_code_unique'),
            ]
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def default_kind():
        return 'antenna'

    @staticmethod
    def default_state():
        return 'open'

    @fields.depends('seat')
    def on_change_with_city(self, name=None):
        return self.seat.name if self.seat else None

    @fields.depends('seat', 'postal_code')
    def on_change_seat(self):
        if self.seat and not self.postal_code and self.seat.postal_codes:
            self.postal_code = sorted(
                p.code for p in self.seat.postal_codes)[0]

    def get_rec_name(self, name):
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('name', operator, value),
            ('code', operator, value),
            ]

    @classmethod
    def get_figures(cls, antennas, names):
        pool = Pool()
        Routing = pool.get('gru.territory.routing')
        date = Transaction().context.get('date')
        table = Routing.get_table(date=date)
        result = {n: {} for n in names}
        for antenna in antennas:
            figures = table.antenna_figures(antenna.id) if table else None
            for name in names:
                if name == 'plan':
                    value = table.plan_id if table else None
                elif figures is None:
                    value = [] if name == 'communes_served' else None
                elif name == 'postal_codes_served':
                    value = ', '.join(figures['postal_codes'])
                elif name == 'postal_code_count':
                    value = len(figures['postal_codes'])
                elif name == 'communes_served':
                    value = list(figures['communes'])
                elif name == 'commune_count':
                    value = len(figures['communes'])
                else:
                    value = figures[name]
                result[name][antenna.id] = value
        return result

    @classmethod
    def on_modification(cls, mode, antennas, field_names=None):
        super().on_modification(mode, antennas, field_names=field_names)
        Pool().get('gru.territory.routing').clear_cache()

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Org units and positions of a staff plan."
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields, sequence_ordered, tree
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction

from .exceptions import PositionValidationError, UnitValidationError

UNIT_KINDS = [
    ('direction', "Direction"),
    ('department', "Department"),
    ('service', "Service"),
    ('sector', "Sector"),
    ('cell', "Cell"),
    ('network', "Antenna Network"),
    ('antenna', "Antenna"),
    ]
CATEGORIES = [
    ('A', "A"),
    ('B', "B"),
    ('C', "C"),
    ]
MANAGEMENT_LEVELS = [
    ('none', "None"),
    ('direction', "Manager de direction"),
    ('intermediate', "Manager intermédiaire"),
    ('proximity', "Manager de proximité"),
    ]
STATUSES = [
    ('filled', "Filled"),
    ('vacant', "Vacant"),
    ('frozen', "Frozen"),
    ('to_create', "To Create"),
    ('to_remove', "To Remove"),
    ]
# the statuses of a post that has to be staffed
OPEN_STATUSES = {'vacant', 'to_create'}


class Unit(tree(separator=' / '), sequence_ordered(), ModelSQL, ModelView):
    "Staff Plan Unit"
    __name__ = 'gru.staff.unit'

    plan = fields.Many2One('gru.staff.plan', "Plan", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    code = fields.Char("Code", size=16)
    kind = fields.Selection(UNIT_KINDS, "Kind", required=True)
    parent = fields.Many2One('gru.staff.unit', "Parent", ondelete='CASCADE',
        domain=[
            ('plan', '=', Eval('plan', -1)),
            ('id', '!=', Eval('id', -1)),
            ])
    children = fields.One2Many('gru.staff.unit', 'parent', "Children",
        domain=[('plan', '=', Eval('plan', -1))])
    antenna = fields.Many2One('gru.antenna', "Antenna", ondelete='RESTRICT',
        states={
            'invisible': Eval('kind') != 'antenna',
            },
        help="The antenna of the territory this unit staffs.")
    origin = fields.Many2One('gru.staff.unit', "Origin", ondelete='SET NULL',
        help="The unit of the previous plan this one continues.")
    positions = fields.One2Many('gru.staff.position', 'unit', "Positions",
        domain=[('plan', '=', Eval('plan', -1))])
    shared_positions = fields.One2Many('gru.staff.position.unit', 'unit',
        "Shared Positions", readonly=True,
        help="The positions of other units that also work for this one.")
    headcount = fields.Function(fields.Integer("Positions",
            help="The positions placed in the unit itself."),
        'get_figures')
    fte = fields.Function(fields.Numeric("FTE", digits=(16, 2),
            help="The full-time equivalent working for the unit, "
            "counting the shares of shared positions."), 'get_figures')
    vacancies = fields.Function(fields.Integer("Vacancies"), 'get_figures')
    manager = fields.Function(fields.Many2One('gru.staff.position',
            "Manager",
            help="A managing position placed in the unit or shared with it."),
        'get_figures')
    full_path = fields.Function(fields.Char("Full Path",
            help="The unit with its parent units."), 'get_full_path')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('plan', 'ASC'))

    def get_rec_name(self, name):
        # the units of a branch start with the same long parents: their own
        # name distinguishes them in lists, the path is in full_path
        return self.name

    def get_full_path(self, name):
        return super().get_rec_name(name)

    @staticmethod
    def default_kind():
        return 'service'

    @classmethod
    def default_plan(cls):
        return Transaction().context.get('plan')

    @classmethod
    def get_figures(cls, units, names):
        result = {n: {u.id: None for u in units} for n in names}
        for unit in units:
            placed = [p for p in unit.positions if p.status != 'to_remove']
            shared = [l for l in unit.shared_positions
                if l.position.status != 'to_remove']
            if 'headcount' in names:
                result['headcount'][unit.id] = len(placed)
            if 'vacancies' in names:
                result['vacancies'][unit.id] = len(
                    [p for p in placed if p.status in OPEN_STATUSES])
            if 'fte' in names:
                fte = sum((p.fte or 0) * p.main_share for p in placed)
                fte += sum((l.position.fte or 0) * (l.share or 0)
                    for l in shared)
                result['fte'][unit.id] = Decimal(fte).quantize(
                    Decimal('0.01'))
            if 'manager' in names:
                managers = [p for p in placed
                    if p.management_level != 'none']
                managers += [l.position for l in shared
                    if l.position.management_level != 'none']
                result['manager'][unit.id] = (
                    managers[0].id if managers else None)
        return result

    @classmethod
    def validate_fields(cls, units, field_names):
        super().validate_fields(units, field_names)
        if field_names & {'parent', 'plan'}:
            for unit in units:
                if unit.parent and unit.parent.plan != unit.plan:
                    raise UnitValidationError(gettext(
                            'gru_staff.msg_unit_parent_plan',
                            unit=unit.rec_name))

    @classmethod
    def copy(cls, units, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('positions', None)
        default.setdefault('shared_positions', None)
        default.setdefault('children', None)
        return super().copy(units, default=default)


class Position(ModelSQL, ModelView):
    "Staff Plan Position"
    __name__ = 'gru.staff.position'

    plan = fields.Many2One('gru.staff.plan', "Plan", required=True,
        ondelete='CASCADE')
    code = fields.Char("Code", size=16)
    title = fields.Char("Title", required=True,
        help="The title of the post, e.g. \"Responsable d'antenne\".")
    job_family = fields.Char("Job Family",
        help="The job family as the staff plan writes it, e.g. "
        "\"Gestionnaire administratif/ve et/ou financier/e\".")
    category = fields.Selection(CATEGORIES, "Category", required=True,
        help="The civil-service grade category.")
    management_level = fields.Selection(MANAGEMENT_LEVELS,
        "Management Level", required=True)
    fte = fields.Numeric("FTE", digits=(16, 2), required=True,
        domain=[('fte', '>', 0), ('fte', '<=', 1)],
        help="The full-time equivalent of the post.")
    unit = fields.Many2One('gru.staff.unit', "Unit", ondelete='SET NULL',
        domain=[('plan', '=', Eval('plan', -1))],
        help="Leave empty for an authorised post not placed yet.")
    extra_units = fields.One2Many('gru.staff.position.unit', 'position',
        "Shared With",
        help="The other units the post works for, with their share.")
    main_share = fields.Function(fields.Numeric("Main Share",
            digits=(16, 2)), 'get_main_share')
    shared = fields.Function(fields.Boolean("Shared"), 'get_shared',
        searcher='search_shared')
    hierarchical_manager = fields.Many2One('gru.staff.position',
        "Hierarchical Manager", ondelete='SET NULL',
        domain=[
            ('plan', '=', Eval('plan', -1)),
            ('id', '!=', Eval('id', -1)),
            ])
    functional_manager = fields.Many2One('gru.staff.position',
        "Functional Manager", ondelete='SET NULL',
        domain=[
            ('plan', '=', Eval('plan', -1)),
            ('id', '!=', Eval('id', -1)),
            ])
    status = fields.Selection(STATUSES, "Status", required=True)
    occupant = fields.Many2One('company.employee', "Occupant",
        ondelete='SET NULL',
        states={
            'required': Eval('status') == 'filled',
            })
    occupant_start = fields.Date("Occupied From",
        states={
            'invisible': ~Eval('occupant'),
            })
    occupant_end = fields.Date("Occupied Until",
        domain=[
            If(Bool(Eval('occupant_start')) & Bool(Eval('occupant_end')),
                ('occupant_end', '>=', Eval('occupant_start')),
                ()),
            ],
        states={
            'invisible': ~Eval('occupant'),
            },
        help="The known end of the occupation (retirement, mobility): "
        "the post becomes vacant after it.")
    origin = fields.Many2One('gru.staff.position', "Origin",
        ondelete='SET NULL',
        help="The position of the previous plan this one continues "
        "or transforms.")
    successors = fields.One2Many('gru.staff.position', 'origin',
        "Successors", readonly=True)
    need_date = fields.Function(fields.Date("Recruitment Needed From",
            help="When a recruitment is needed: now for a vacant post or "
            "a post to create, the day after the occupant leaves "
            "otherwise."),
        'get_need_date', searcher='search_need_date')
    department = fields.Function(fields.Many2One('gru.staff.unit',
            "Department"), 'get_department')
    comment = fields.Text("Comment")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('plan', 'ASC'), ('unit', 'ASC'), ('category', 'ASC'),
            ('title', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_plan(cls):
        return Transaction().context.get('plan')

    @staticmethod
    def default_category():
        return 'B'

    @staticmethod
    def default_management_level():
        return 'none'

    @staticmethod
    def default_fte():
        return Decimal(1)

    @staticmethod
    def default_status():
        return 'vacant'

    @fields.depends('occupant', 'status')
    def on_change_occupant(self):
        if self.occupant and self.status in OPEN_STATUSES:
            self.status = 'filled'
        elif not self.occupant and self.status == 'filled':
            self.status = 'vacant'

    def get_rec_name(self, name):
        label = '%s (%s)' % (self.title, self.category)
        if self.unit:
            label += ' - %s' % self.unit.name
        if self.code:
            label = '[%s] %s' % (self.code, label)
        return label

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('title', operator, value),
            ('code', operator, value),
            ('unit.name', operator, value),
            ('occupant.party.name', operator, value),
            ]

    def get_main_share(self, name):
        share = Decimal(1) - sum(
            (l.share or 0) for l in self.extra_units)
        return share.quantize(Decimal('0.01'))

    def get_shared(self, name):
        return bool(self.extra_units)

    @classmethod
    def search_shared(cls, name, clause):
        _, operator, value = clause[:3]
        shared = bool(value) if operator == '=' else not bool(value)
        return [('extra_units', '!=' if shared else '=', None)]

    def get_need_date(self, name):
        if self.status in OPEN_STATUSES:
            return self.plan.reference_date
        if (self.status == 'filled' and self.occupant_end):
            return self.occupant_end + dt.timedelta(days=1)

    @classmethod
    def search_need_date(cls, name, clause):
        pool = Pool()
        Date = pool.get('ir.date')
        _, operator, value = clause[:3]
        horizon = Transaction().context.get('need_horizon')
        if operator == '!=' and value is None:
            domain = ['OR',
                ('status', 'in', list(OPEN_STATUSES)),
                [('status', '=', 'filled'), ('occupant_end', '!=', None)],
                ]
            if horizon:
                domain[-1].append(('occupant_end', '<', horizon))
            return domain
        if operator == '=' and value is None:
            return [
                ('status', 'not in', list(OPEN_STATUSES)),
                ['OR',
                    ('status', '!=', 'filled'),
                    ('occupant_end', '=', None),
                    ],
                ]
        value = value or Date.today()
        return ['OR',
            [('status', 'in', list(OPEN_STATUSES)),
                ('plan.reference_date', operator, value)],
            [('status', '=', 'filled'),
                ('occupant_end', operator, value - dt.timedelta(days=1))],
            ]

    def get_department(self, name):
        unit = self.unit
        while unit and unit.parent and unit.kind != 'department':
            unit = unit.parent
        return unit.id if unit else None

    @classmethod
    def validate_fields(cls, positions, field_names):
        super().validate_fields(positions, field_names)
        if field_names & {'unit', 'plan', 'hierarchical_manager',
                'functional_manager', 'origin'}:
            for position in positions:
                for field in ['unit', 'hierarchical_manager',
                        'functional_manager']:
                    value = getattr(position, field)
                    if value and value.plan != position.plan:
                        raise PositionValidationError(gettext(
                                'gru_staff.msg_position_other_plan',
                                position=position.rec_name,
                                field=cls.__names__(field)['field']))
                if (position.origin
                        and position.origin.plan == position.plan):
                    raise PositionValidationError(gettext(
                            'gru_staff.msg_position_origin_plan',
                            position=position.rec_name))

    @classmethod
    def copy(cls, positions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('successors', None)
        return super().copy(positions, default=default)


class PositionUnit(ModelSQL, ModelView):
    "Staff Plan Position Shared Unit"
    __name__ = 'gru.staff.position.unit'

    position = fields.Many2One('gru.staff.position', "Position",
        required=True, ondelete='CASCADE')
    unit = fields.Many2One('gru.staff.unit', "Unit", required=True,
        ondelete='CASCADE',
        domain=[
            ('plan', '=', Eval('_parent_position.plan', -1)),
            ])
    share = fields.Numeric("Share", digits=(16, 2), required=True,
        domain=[('share', '>', 0), ('share', '<', 1)],
        help="The part of the post's time spent for this unit.")

    @staticmethod
    def default_share():
        return Decimal('0.5')

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        positions = {l.position for l in lines}
        for position in positions:
            total = sum((l.share or 0) for l in position.extra_units)
            if total >= 1:
                raise PositionValidationError(gettext(
                        'gru_staff.msg_position_share_total',
                        position=position.rec_name))
            units = [l.unit for l in position.extra_units]
            if (position.unit in units
                    or len(set(units)) != len(units)):
                raise PositionValidationError(gettext(
                        'gru_staff.msg_position_share_unit',
                        position=position.rec_name))
            for unit in units:
                if unit.plan != position.plan:
                    raise PositionValidationError(gettext(
                            'gru_staff.msg_position_other_plan',
                            position=position.rec_name,
                            field=cls.__names__('unit')['field']))

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Staff plans (organigrammes): versions, authorised posts and checks."
from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from .analysis import (
    PlanData, check_plan, planning_dates, recruitment_needs, staffing_timeline)
from .exceptions import PlanApprovalError
from .position import CATEGORIES

STATES = [
    ('draft', "Draft"),
    ('submitted', "Submitted"),
    ('approved', "Approved"),
    ('archived', "Archived"),
    ]
# the posts not to staff: not counted in the FTE of the antennas
CLOSED_STATUSES = {'frozen', 'to_remove'}


class Plan(Workflow, ModelSQL, ModelView):
    "Staff Plan"
    __name__ = 'gru.staff.plan'

    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One('company.company', "Company", required=True,
        states=_states)
    name = fields.Char("Name", required=True, states=_states)
    reference_date = fields.Date("Reference Date", required=True,
        states=_states,
        help="The date the plan describes or takes effect.")
    approving_body = fields.Char("Approving Body", states=_states,
        help="The body that approves the plan, e.g. "
        "\"Comité technique du 3 octobre 2022\".")
    authorised_posts = fields.Integer("Authorised Posts", required=True,
        states=_states, domain=[('authorised_posts', '>=', 0)])
    previous = fields.Many2One('gru.staff.plan', "Previous Version",
        ondelete='SET NULL', states=_states,
        domain=[
            ('id', '!=', Eval('id', -1)),
            ('company', '=', Eval('company', -1)),
            ],
        help="The plan whose positions are the origins of this one's.")
    authorisations = fields.One2Many('gru.staff.plan.authorisation', 'plan',
        "Authorised Posts per Job", states=_states,
        help="The posts the plan authorises per unit and job, "
        "compared with the positions placed.")
    units = fields.One2Many('gru.staff.unit', 'plan', "Units",
        states=_states, context={'plan': Eval('id', -1)},
        filter=[('parent', '=', None)])
    positions = fields.One2Many('gru.staff.position', 'plan', "Positions",
        states=_states, context={'plan': Eval('id', -1)})
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    headcount = fields.Function(fields.Integer("Positions"), 'get_checks')
    placed = fields.Function(fields.Integer("Placed Positions"),
        'get_checks')
    vacancy_count = fields.Function(fields.Integer("Vacancies"),
        'get_checks')
    check_report = fields.Function(fields.Text("Checks"), 'get_checks')
    planning_report = fields.Function(fields.Text("HR Planning",
            help="Posts and occupants month by month for a year and "
            "the recruitments needed."), 'get_planning_report')
    org_chart = fields.Binary("Org Chart", readonly=True,
        file_id='org_chart_id')
    org_chart_id = fields.Char("Org Chart ID", readonly=True)
    org_chart_svg = fields.Binary("Org Chart (SVG)", readonly=True,
        filename='org_chart_svg_name', file_id='org_chart_svg_id')
    org_chart_svg_id = fields.Char("Org Chart SVG ID", readonly=True)
    org_chart_svg_name = fields.Function(fields.Char("Org Chart Name"),
        'get_org_chart_svg_name')
    comment = fields.Text("Comment")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('reference_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'draft'),
            ('submitted', 'approved'),
            ('approved', 'archived'),
            ('archived', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['submitted', 'archived']),
                    'icon': If(Eval('state') == 'submitted',
                        'tryton-back', 'tryton-clear'),
                    'depends': ['state'],
                    },
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'archive': {
                    'invisible': Eval('state') != 'approved',
                    'icon': 'tryton-archive',
                    'depends': ['state'],
                    },
                'draw_org_chart': {
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_authorised_posts():
        return 0

    def get_org_chart_svg_name(self, name):
        return '%s.svg' % self.name

    @classmethod
    def get_checks(cls, plans, names):
        pool = Pool()
        Position = pool.get('gru.staff.position')
        result = {n: {} for n in names}
        for plan in plans:
            checks = check_plan(PlanData(plan))
            if 'headcount' in names:
                result['headcount'][plan.id] = checks['headcount']
            if 'placed' in names:
                result['placed'][plan.id] = checks['placed']
            if 'vacancy_count' in names:
                result['vacancy_count'][plan.id] = len(checks['vacancies'])
            if 'check_report' in names:
                result['check_report'][plan.id] = format_checks(
                    checks, Position)
        return result

    def get_planning_report(self, name):
        data = PlanData(self)
        lines = [gettext('gru_staff.msg_planning_header')]
        for row in staffing_timeline(
                data, planning_dates(self.reference_date, 12)):
            lines.append(gettext('gru_staff.msg_planning_month',
                    date=row['date'].strftime('%m/%Y'), posts=row['posts'],
                    occupied=row['occupied'], vacant=row['vacant'],
                    leaving=row['leaving']))
        needs = recruitment_needs(data)
        lines.append('')
        lines.append(gettext('gru_staff.msg_planning_needs',
                count=len(needs)))
        for need in needs:
            lines.append('- %s: %s (%s), %s%s' % (
                    need['date'].strftime('%d/%m/%Y') if need['date']
                    else '?', need['title'], need['category'],
                    need['unit'] or gettext('gru_staff.msg_out_not_placed'),
                    ' - %s' % need['occupant'] if need['occupant'] else ''))
        return '\n'.join(lines)

    @classmethod
    def check_plans(cls, plans):
        "Return {plan id: checks} (see analysis.check_plan)"
        return {p.id: check_plan(PlanData(p)) for p in plans}

    @classmethod
    def plan_in_force(cls, date=None):
        """Return the approved plan in force at date (today by default):
        the latest approved with a reference date on or before it, else
        the first approved; of the company of the context if any. Read
        without the user's model access: it only selects a plan."""
        pool = Pool()
        Date = pool.get('ir.date')
        if date is None:
            date = Date.today()
        domain = [('state', '=', 'approved')]
        company = Transaction().context.get('company')
        if company:
            domain.append(('company', '=', company))
        with without_check_access():
            plans = cls.search(domain + [('reference_date', '<=', date)],
                order=[('reference_date', 'DESC'), ('id', 'DESC')], limit=1)
            if not plans:
                plans = cls.search(domain,
                    order=[('reference_date', 'ASC'), ('id', 'DESC')],
                    limit=1)
        return plans[0] if plans else None

    @classmethod
    def antenna_fte(cls, date=None, plan=None, filled_only=False,
            titles=None, management=False):
        """Return {antenna id: Decimal FTE} of the posts of plan (default:
        the plan in force at date, see plan_in_force) working for the
        antennas: a unit works for its antenna or else for the one of its
        nearest parent with an antenna; a post counts its FTE times its
        main share in its unit and times each share in its other units.

        Every antenna of a unit of the plan is in the result (0 without
        post). The posts counted are those to staff (not frozen nor to
        remove), only the filled ones with filled_only; only those whose
        title or job family is in titles when titles is given; without
        the posts of a management level unless management is True.

        The figures are aggregates: read without the user's model access.
        """
        pool = Pool()
        Unit = pool.get('gru.staff.unit')
        Position = pool.get('gru.staff.position')
        PositionUnit = pool.get('gru.staff.position.unit')
        if plan is None:
            plan = cls.plan_in_force(date)
            if plan is None:
                return {}
        plan_id = int(plan)
        if titles is not None:
            titles = set(titles)
        cursor = Transaction().connection.cursor()

        unit = Unit.__table__()
        cursor.execute(*unit.select(unit.id, unit.parent, unit.antenna,
                where=unit.plan == plan_id))
        parents, antennas = {}, {}
        for unit_id, parent, antenna in cursor:
            parents[unit_id] = parent
            antennas[unit_id] = antenna

        def antenna_of(unit_id):
            seen = set()
            while unit_id and unit_id not in seen:
                seen.add(unit_id)
                if antennas.get(unit_id):
                    return antennas[unit_id]
                unit_id = parents.get(unit_id)
        unit_antenna = {u: antenna_of(u) for u in parents}

        position = Position.__table__()
        where = ((position.plan == plan_id)
            & ~position.status.in_(list(CLOSED_STATUSES)))
        if filled_only:
            where &= position.status == 'filled'
        if not management:
            where &= position.management_level == 'none'
        cursor.execute(*position.select(position.id, position.unit,
                position.fte, position.title, position.job_family,
                where=where))
        positions = {}
        for position_id, unit_id, fte, title, family in cursor:
            if titles is not None and not ({title, family} & titles):
                continue
            positions[position_id] = (unit_id, Decimal(str(fte or 0)))

        line = PositionUnit.__table__()
        extra = defaultdict(list)
        if positions:
            cursor.execute(*line.join(position,
                    condition=line.position == position.id
                    ).select(line.position, line.unit, line.share,
                    where=position.plan == plan_id))
            for position_id, unit_id, share in cursor:
                if position_id in positions:
                    extra[position_id].append(
                        (unit_id, Decimal(str(share or 0))))

        result = {a: Decimal(0) for a in unit_antenna.values() if a}
        for position_id, (unit_id, fte) in positions.items():
            shares = extra.get(position_id, [])
            main = Decimal(1) - sum(s for _, s in shares)
            if unit_antenna.get(unit_id):
                result[unit_antenna[unit_id]] += fte * main
            for unit_id, share in shares:
                if unit_antenna.get(unit_id):
                    result[unit_antenna[unit_id]] += fte * share
        return {a: v.quantize(Decimal('0.01')) for a, v in result.items()}

    @classmethod
    def copy(cls, plans, default=None):
        """Copy plans with their units and positions to start the next
        version: each copy links to the plan and each copied unit and
        position to the one it was copied from"""
        pool = Pool()
        Authorisation = pool.get('gru.staff.plan.authorisation')
        Unit = pool.get('gru.staff.unit')
        Position = pool.get('gru.staff.position')
        PositionUnit = pool.get('gru.staff.position.unit')
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        default.setdefault('units', None)
        default.setdefault('positions', None)
        default.setdefault('authorisations', None)
        default.setdefault('org_chart', None)
        default.setdefault('org_chart_svg', None)
        new_plans = []
        for plan in plans:
            values = default.copy()
            values.setdefault('previous', plan.id)
            new_plan, = super().copy([plan], default=values)
            new_plans.append(new_plan)

            units = Unit.search([('plan', '=', plan.id)],
                order=[('id', 'ASC')])
            new_units = Unit.copy(units, default={
                    'plan': new_plan.id,
                    'parent': None,
                    'origin': lambda d: d['id'],
                    })
            unit_map = {o.id: n.id for o, n in zip(units, new_units)}
            to_write = []
            for old, new in zip(units, new_units):
                if old.parent:
                    to_write.extend([[new],
                            {'parent': unit_map[old.parent.id]}])
            if to_write:
                Unit.write(*to_write)

            positions = Position.search([('plan', '=', plan.id)],
                order=[('id', 'ASC')])
            new_positions = Position.copy(positions, default={
                    'plan': new_plan.id,
                    'origin': lambda d: d['id'],
                    'unit': lambda d: unit_map.get(d['unit']),
                    'extra_units': None,
                    'hierarchical_manager': None,
                    'functional_manager': None,
                    })
            position_map = {o.id: n.id
                for o, n in zip(positions, new_positions)}
            to_write = []
            extra = []
            for old, new in zip(positions, new_positions):
                values = {}
                for field in ['hierarchical_manager', 'functional_manager']:
                    manager = getattr(old, field)
                    if manager:
                        values[field] = position_map[manager.id]
                if values:
                    to_write.extend([[new], values])
                for line in old.extra_units:
                    extra.append({
                            'position': new.id,
                            'unit': unit_map[line.unit.id],
                            'share': line.share,
                            })
            if to_write:
                Position.write(*to_write)
            if extra:
                PositionUnit.create(extra)
            Authorisation.copy(plan.authorisations, default={
                    'plan': new_plan.id,
                    'unit': lambda d: unit_map.get(d['unit']),
                    })
        return new_plans

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, plans):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('submitted')
    def submit(cls, plans):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, plans):
        for plan in plans:
            if not plan.positions:
                raise PlanApprovalError(gettext(
                        'gru_staff.msg_plan_approve_empty',
                        plan=plan.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('archived')
    def archive(cls, plans):
        pass

    @classmethod
    @ModelView.button
    def draw_org_chart(cls, plans):
        "Render the org chart of the plans as PNG and SVG"
        from .output import render_org_chart
        for plan in plans:
            svg, png = render_org_chart(PlanData(plan))
            # the picture is regenerated whatever the state of the plan
            cls.write([plan], {'org_chart': png, 'org_chart_svg': svg})


def format_checks(checks, Position):
    "Return the checks as a text for the plan form"
    def label(position_id):
        return Position(position_id).rec_name
    lines = [gettext('gru_staff.msg_check_total',
            headcount=checks['headcount'], authorised=checks['authorised'],
            placed=checks['placed'], fte=checks['fte'])]
    if checks['difference']:
        lines.append(gettext('gru_staff.msg_check_difference',
                difference=checks['difference']))
    lines.append(gettext('gru_staff.msg_check_categories',
            categories=', '.join('%s: %s' % (c, checks['by_category'][c])
                for c in sorted(checks['by_category']))))
    lines.append(gettext('gru_staff.msg_check_shared',
            count=len(checks['shared'])))
    for position_id in checks['unplaced']:
        lines.append(gettext('gru_staff.msg_check_unplaced',
                position=label(position_id)))
    for line in checks['authorisation_gaps']:
        lines.append(gettext('gru_staff.msg_check_authorisation_gap',
                job=line['title'] or line['job_family'] or '',
                authorised=line['quantity'], placed=line['placed']))
    lines.append(gettext('gru_staff.msg_check_vacancies',
            count=len(checks['vacancies'])))
    for position_id in checks['vacancies']:
        lines.append('- %s' % label(position_id))
    if checks['units_without_manager']:
        Unit = Pool().get('gru.staff.unit')
        lines.append(gettext('gru_staff.msg_check_no_manager',
                units=', '.join(Unit(u).name
                    for u in checks['units_without_manager'])))
    return '\n'.join(lines)


class Authorisation(ModelSQL, ModelView):
    "Staff Plan Authorised Posts"
    __name__ = 'gru.staff.plan.authorisation'

    plan = fields.Many2One('gru.staff.plan', "Plan", required=True,
        ondelete='CASCADE')
    unit = fields.Many2One('gru.staff.unit', "Unit", ondelete='CASCADE',
        domain=[('plan', '=', Eval('plan', -1))],
        help="Count the positions of this unit and its sub-units only.")
    title = fields.Char("Title",
        help="Count the positions with this title only.")
    job_family = fields.Char("Job Family",
        help="Count the positions of this job family only.")
    category = fields.Selection([(None, "")] + CATEGORIES, "Category")
    quantity = fields.Integer("Authorised", required=True,
        domain=[('quantity', '>=', 0)])
    placed = fields.Function(fields.Integer("Placed",
            help="The matching positions placed in a unit."), 'get_placed')
    gap = fields.Function(fields.Integer("Gap",
            help="Authorised minus placed."), 'get_placed')

    @classmethod
    def get_placed(cls, lines, names):
        result = {n: {} for n in names}
        plans = {l.plan for l in lines}
        by_id = {}
        for plan in plans:
            for line in check_plan(PlanData(plan))['authorisations']:
                by_id[line['id']] = line
        for line in lines:
            for name in names:
                result[name][line.id] = by_id[line.id][name]
        return result

    def get_rec_name(self, name):
        return '%s × %s' % (self.quantity,
            self.title or self.job_family or self.category or '')

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The perimeter planner: what-if scenarios moving EPCI between antennas,
their figures per antenna before and after, the optimiser's proposal of a
balanced assignment and its saving as a draft territorial plan."""
import datetime as dt
from collections import defaultdict

from sql import Literal, Null
from sql.aggregate import Count
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If, PYSONEncoder
from trytond.transaction import Transaction

from .balance import equity, format_improvement, optimise
from .exceptions import MapError, PlannerError

STATES = [
    ('draft', "Draft"),
    ('saved', "Saved"),
    ]
METHODS = [
    ('measured', "Measured"),
    ('estimated', "Estimated"),
    ]
# the contacts per inhabitant and year when nothing is measured: the
# report's 220,000 contacts a year for the 6,096,177 inhabitants of its
# map's table (DOMAIN.md)
REPORT_RATE = 220000 / 6096177


class Scenario(Workflow, ModelSQL, ModelView):
    "Perimeter Scenario"
    __string__ = "Perimeter Scenario"
    __name__ = 'gru.perimeter.scenario'

    _states = {'readonly': Eval('state') != 'draft'}

    name = fields.Char("Name", required=True, states=_states)
    base_plan = fields.Many2One('gru.territory.plan', "Base Plan",
        ondelete='RESTRICT', states=_states,
        domain=[('state', 'in', ['approved', 'draft'])],
        help="The territorial plan the scenario starts from; changing it "
        "loads its EPCI again.")
    start_date = fields.Date("In Force From", required=True, states=_states,
        help="The date the plan would start: the staff plan in force on "
        "that date gives the agent FTE of the antennas.")
    min_contacts = fields.Integer("Measured Contacts Needed", required=True,
        states=_states,
        domain=[('min_contacts', '>=', 0)],
        help="An EPCI with at least this number of contacts located in its "
        "communes over the last 12 months is counted on them; one with "
        "fewer is estimated from the regional rate and its population.")
    contacts_from = fields.Date("Contacts From", readonly=True)
    contacts_to = fields.Date("Contacts To", readonly=True)
    regional_rate = fields.Float("Contacts per 1,000 Inhabitants",
        digits=(16, 1), readonly=True,
        help="The located contacts of the last 12 months per 1,000 "
        "inhabitants of the region, or the report's rate when none is "
        "located.")
    lines = fields.One2Many('gru.perimeter.scenario.line', 'scenario',
        "EPCI", states=_states)
    antennas = fields.One2Many('gru.perimeter.scenario.antenna', 'scenario',
        "Antennas", readonly=True)
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    plan = fields.Many2One('gru.territory.plan', "Saved Plan", readonly=True,
        ondelete='SET NULL',
        help="The draft territorial plan saved from the scenario.")
    moved_count = fields.Function(fields.Integer("EPCI Moved"),
        'get_equity')
    gini_before = fields.Function(fields.Float("Gini Before",
            digits=(16, 3),
            help="The Gini coefficient of the expected contacts per FTE "
            "of the antennas in the base plan: 0 when all are equal."),
        'get_equity')
    gini_after = fields.Function(fields.Float("Gini After", digits=(16, 3),
            help="The Gini coefficient of the expected contacts per FTE "
            "of the antennas with the proposed antennas."), 'get_equity')
    max_min_before = fields.Function(fields.Float("Max/Min Before",
            digits=(16, 2),
            help="The largest expected contacts per FTE of an antenna "
            "divided by the smallest, in the base plan."), 'get_equity')
    max_min_after = fields.Function(fields.Float("Max/Min After",
            digits=(16, 2)), 'get_equity')
    improvement = fields.Function(fields.Char("Equity Index"),
        'get_equity')
    map = fields.Binary("Map", readonly=True,
        help="The proposed perimeters, drawn on demand by the button "
        "\"Draw the Map\" (the region takes seconds to draw) and cleared "
        "when the proposed antennas change.")
    comment = fields.Text("Comment")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'saved'),
            ('saved', 'draft'),
            }
        cls._buttons.update({
                'update_figures': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                'propose': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                'reset_proposal': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                'save_plan': {
                    'invisible': Eval('state') != 'draft',
                    'readonly': ~Eval('lines', [-1]),
                    'icon': 'tryton-save',
                    'depends': ['state', 'lines'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'saved',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'draw_map': {
                    'readonly': ~Eval('lines', [-1]),
                    'icon': 'tryton-refresh',
                    'depends': ['lines'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_min_contacts():
        return 30

    @classmethod
    def default_base_plan(cls):
        "The approved territorial plan in force today"
        return Pool().get('gru.territory.routing').plan_at()

    @classmethod
    def default_start_date(cls):
        "The first day of next month"
        today = Pool().get('ir.date').today()
        return (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)

    @classmethod
    def create(cls, vlist):
        scenarios = super().create(vlist)
        cls.load(scenarios)
        return scenarios

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        reload = []
        args = []
        for scenarios, values in zip(actions, actions):
            if set(values) - {'state', 'plan', 'comment', 'map'}:
                for scenario in scenarios:
                    if scenario.state != 'draft':
                        raise PlannerError(gettext(
                                'gru_perimeter.msg_scenario_saved',
                                scenario=scenario.rec_name))
            if 'base_plan' in values or 'start_date' in values:
                reload.extend(scenarios)
            if {'name', 'base_plan'} & set(values) and 'map' not in values:
                # the map shows both: drawn again on demand
                values = dict(values, map=None)
            args.extend((scenarios, values))
        super().write(*args)
        if reload:
            cls.load(cls.browse({s.id for s in reload}))

    @classmethod
    def copy(cls, scenarios, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        default.setdefault('plan', None)
        default.setdefault('antennas', None)
        return super().copy(scenarios, default=default)

    @classmethod
    def measured_contacts(cls, from_date, to_date):
        """Return {commune id: contacts} of the requests received from
        from_date to to_date (included) located in a commune: their captured
        commune, else the communes of their captured postal code or of
        their usager's, shared pro rata of the population. The counts are
        aggregates of every request, not only those the user may read."""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Party = pool.get('party.party')
        Commune = pool.get('gru.commune')
        Rel = pool.get('gru.commune-gru.postal_code')
        PostalCode = pool.get('gru.postal_code')
        request = Request.__table__()
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        where = ((request.received_at
                >= dt.datetime.combine(from_date, dt.time.min))
            & (request.received_at < dt.datetime.combine(
                    to_date + dt.timedelta(days=1), dt.time.min)))
        company = Transaction().context.get('company')
        if company:
            where &= request.company == company
        result = defaultdict(float)
        cursor.execute(*request.select(
                request.contact_commune, Count(request.id),
                where=where & (request.contact_commune != Null),
                group_by=[request.contact_commune]))
        for commune, count in cursor:
            result[commune] += count
        code = Coalesce(request.contact_postal_code, party.postal_code)
        cursor.execute(*request.join(party, 'LEFT',
                condition=request.party == party.id
                ).select(code, Count(request.id),
                where=where & (request.contact_commune == Null)
                & (code != Null),
                group_by=[code]))
        by_code = dict(cursor)
        if by_code:
            commune = Commune.__table__()
            rel = Rel.__table__()
            postal_code = PostalCode.__table__()
            cursor.execute(*rel.join(postal_code,
                    condition=rel.postal_code == postal_code.id
                    ).join(commune, condition=rel.commune == commune.id
                    ).select(postal_code.code, commune.id,
                    Coalesce(commune.population, 0),
                    where=postal_code.code.in_(list(by_code))
                    & (commune.active == Literal(True))))
            communes = defaultdict(list)
            for code_, commune_id, population in cursor:
                communes[code_].append((commune_id, population))
            for code_, count in by_code.items():
                shares = communes.get(code_)
                if not shares:
                    continue
                total = sum(p for _, p in shares)
                for commune_id, population in shares:
                    result[commune_id] += (count * population / total
                        if total else count / len(shares))
        return dict(result)

    @classmethod
    def load(cls, scenarios):
        """Fill the EPCI lines and the antennas of the scenarios from their
        base plan: the population, communes and expected contacts of each
        EPCI and the agent FTE of each antenna; keep the proposed antenna
        and the lock of the EPCI already there."""
        pool = Pool()
        Date = pool.get('ir.date')
        Commune = pool.get('gru.commune')
        Line = pool.get('gru.perimeter.scenario.line')
        Row = pool.get('gru.perimeter.scenario.antenna')
        StaffPlan = pool.get('gru.staff.plan')
        today = Date.today()
        from_date = today.replace(year=today.year - 1) + dt.timedelta(days=1) \
            if (today.month, today.day) != (2, 29) \
            else dt.date(today.year - 1, 3, 1)
        measured = None
        to_create, to_write, to_delete = [], [], []
        rows_create, rows_write, rows_delete = [], [], []
        for scenario in scenarios:
            plan = scenario.base_plan
            if not plan:
                raise PlannerError(gettext(
                        'gru_perimeter.msg_scenario_no_base_plan',
                        scenario=scenario.rec_name))
            if measured is None:
                measured = cls.measured_contacts(from_date, today)
            base = {l.epci.id: l for l in plan.epcis}
            exceptions = {e.commune.id: e.antenna.id
                for e in plan.exceptions}
            # (id, epci, population) of the active communes of the plan:
            # read in SQL, the region has thousands
            commune = Commune.__table__()
            where = commune.active == Literal(True)
            where &= commune.epci.in_(list(base) or [-1]) | commune.id.in_(
                list(exceptions) or [-1])
            cursor = Transaction().connection.cursor()
            cursor.execute(*commune.select(commune.id, commune.epci,
                    Coalesce(commune.population, 0), where=where))
            communes = cursor.fetchall()
            totals = defaultdict(float)
            for id_, epci, _ in communes:
                totals[epci] += measured.get(id_, 0)
            population = sum(p for _, _, p in communes)
            located = sum(totals.values())
            rate = located / population if located and population \
                else REPORT_RATE
            methods = {epci: 'measured'
                if located and total >= scenario.min_contacts and total > 0
                else 'estimated'
                for epci, total in totals.items() if epci is not None}

            figures = defaultdict(lambda: [0, 0, 0., 0.])
            fixed = defaultdict(lambda: [0, 0, 0.])
            for id_, epci, population_ in communes:
                if methods.get(epci) == 'measured':
                    contacts = measured.get(id_, 0)
                else:
                    contacts = rate * population_
                values = (population_, 1, contacts, measured.get(id_, 0))
                if id_ in exceptions:
                    target = fixed[exceptions[id_]]
                elif epci in base:
                    target = figures[epci]
                else:
                    continue
                for i, value in enumerate(values[:len(target)]):
                    target[i] += value

            existing = {l.epci.id: l for l in scenario.lines}
            for epci, base_line in base.items():
                pop, count, contacts, located_ = figures[epci]
                values = {
                    'sequence': base_line.sequence,
                    'current_antenna': base_line.antenna.id,
                    'population': pop,
                    'commune_count': count,
                    'expected_contacts': round(contacts, 1),
                    'measured_contacts': round(located_),
                    'contacts_method': methods.get(epci, 'estimated'),
                    }
                line = existing.pop(epci, None)
                if line:
                    to_write.extend(([line], values))
                else:
                    values.update({
                            'scenario': scenario.id,
                            'epci': epci,
                            'proposed_antenna': base_line.antenna.id,
                            })
                    to_create.append(values)
            to_delete.extend(existing.values())

            antennas = ({l.antenna.id for l in plan.epcis}
                | set(exceptions.values())
                | {l.proposed_antenna.id for l in scenario.lines
                    if l.proposed_antenna and l.epci.id in base})
            fte = StaffPlan.antenna_fte(date=scenario.start_date)
            rows = {r.antenna.id: r for r in scenario.antennas}
            for antenna in antennas:
                pop, count, contacts = fixed.get(antenna, (0, 0, 0.))
                values = {
                    'fte': float(fte.get(antenna, 0)),
                    'fixed_population': pop,
                    'fixed_communes': count,
                    'fixed_contacts': round(contacts, 1),
                    }
                row = rows.pop(antenna, None)
                if row:
                    rows_write.extend(([row], values))
                else:
                    values.update({
                            'scenario': scenario.id,
                            'antenna': antenna,
                            })
                    rows_create.append(values)
            rows_delete.extend(rows.values())
            super().write([scenario], {
                    'contacts_from': from_date,
                    'contacts_to': today,
                    'regional_rate': round(rate * 1000, 1),
                    })
        # the rows first: the new lines create the missing ones
        if rows_delete:
            Row.delete(rows_delete)
        if rows_write:
            Row.write(*rows_write)
        if rows_create:
            Row.create(rows_create)
        if to_delete:
            Line.delete(to_delete)
        if to_write:
            Line.write(*to_write)
        if to_create:
            Line.create(to_create)
        # the exceptions of the base plan may have changed
        cls.clear_map(scenarios)

    def _data(self):
        """Return (before, after, loads, fte, fixed): the assignments
        {epci: antenna} of the base plan and of the proposal, the expected
        contacts of each EPCI, the agent FTE and the contacts served by
        exception of each antenna"""
        before, after, loads = {}, {}, {}
        for line in self.lines:
            before[line.epci.id] = line.current_antenna.id
            after[line.epci.id] = line.proposed_antenna.id
            loads[line.epci.id] = line.expected_contacts or 0
        fte = {r.antenna.id: r.fte or 0 for r in self.antennas}
        fixed = {r.antenna.id: r.fixed_contacts or 0 for r in self.antennas}
        return before, after, loads, fte, fixed

    @classmethod
    def get_equity(cls, scenarios, names):
        lang = Pool().get('ir.lang').get()

        def number(value, digits):
            return lang.format('%%.%df' % digits, value)
        result = {n: {} for n in names}
        for scenario in scenarios:
            before, after, loads, fte, fixed = scenario._data()
            old = equity(before, loads, fte, fixed)
            new = equity(after, loads, fte, fixed)

            def rounded(value, digits):
                return round(value, digits) if value is not None else None
            values = {
                'moved_count': len([e for e in before
                        if before[e] != after[e]]),
                'gini_before': rounded(old['gini'], 3),
                'gini_after': rounded(new['gini'], 3),
                'max_min_before': rounded(old['max_min'], 2),
                'max_min_after': rounded(new['max_min'], 2),
                'improvement': format_improvement(old, new, number),
                }
            for name in names:
                result[name][scenario.id] = values[name]
        return result

    @classmethod
    def clear_map(cls, scenarios):
        """Forget the stored map of the scenarios (their proposal changed):
        the user draws it again when he wants to see it"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        ids = [s.id for s in scenarios]
        cursor.execute(*table.select(table.id,
                where=table.id.in_(ids or [-1]) & (table.map != Null)))
        drawn = cls.browse([i for i, in cursor])
        if drawn:
            cls.write(drawn, {'map': None})

    @classmethod
    @ModelView.button
    def draw_map(cls, scenarios):
        """Store the map of the proposed antennas of the scenarios: drawn
        on demand, the region takes seconds (not at each proposal nor at
        each reading of the form)"""
        pool = Pool()
        Map = pool.get('gru.perimeter.map')
        to_write = []
        for scenario in scenarios:
            assignment = {l.epci.id: l.proposed_antenna.id
                for l in scenario.lines}
            image = None
            if assignment:
                try:
                    image = Map.render(assignment=assignment,
                        plan=scenario.base_plan, format='png', width=1200,
                        title=scenario.name)
                except MapError:
                    # no contour imported yet: the figures without the map
                    pass
            to_write.extend(([scenario], {'map': image}))
        if to_write:
            cls.write(*to_write)

    @classmethod
    @ModelView.button
    def update_figures(cls, scenarios):
        cls.load(scenarios)

    @classmethod
    def check_fte(cls, scenario):
        "Raise when an antenna of the scenario has no agent FTE"
        antennas = {l.current_antenna for l in scenario.lines} | {
            l.proposed_antenna for l in scenario.lines}
        fte = {r.antenna: r.fte or 0 for r in scenario.antennas}
        missing = sorted(a.rec_name for a in antennas if fte.get(a, 0) <= 0)
        if missing:
            raise PlannerError(gettext(
                    'gru_perimeter.msg_scenario_antenna_no_fte',
                    scenario=scenario.rec_name,
                    antennas=', '.join(missing)))

    @classmethod
    def seats(cls, scenario):
        "Return {antenna id: EPCI id} of the seats of the scenario's antennas"
        seats = {}
        for row in scenario.antennas:
            seat = row.antenna.seat
            if seat and seat.epci:
                seats[row.antenna.id] = seat.epci.id
        return seats

    @classmethod
    @ModelView.button
    def propose(cls, scenarios):
        """Fill the proposed antennas with a balanced assignment computed
        from the base plan: the locked EPCI keep their proposed antenna"""
        pool = Pool()
        Map = pool.get('gru.perimeter.map')
        Line = pool.get('gru.perimeter.scenario.line')
        adjacency = None
        to_write = []
        for scenario in scenarios:
            if not scenario.lines:
                raise PlannerError(gettext(
                        'gru_perimeter.msg_scenario_no_line',
                        scenario=scenario.rec_name))
            cls.check_fte(scenario)
            if adjacency is None:
                adjacency = Map.epci_adjacency()
            before, _, loads, fte, fixed = scenario._data()
            locked = set()
            start = dict(before)
            for line in scenario.lines:
                if line.locked:
                    locked.add(line.epci.id)
                    start[line.epci.id] = line.proposed_antenna.id
            assignment, _ = optimise(start, loads, fte, adjacency,
                fixed=fixed, seats=cls.seats(scenario), locked=locked)
            by_antenna = defaultdict(list)
            for line in scenario.lines:
                antenna = assignment[line.epci.id]
                if line.proposed_antenna.id != antenna:
                    by_antenna[antenna].append(line)
            for antenna, lines in sorted(by_antenna.items()):
                to_write.extend((lines, {'proposed_antenna': antenna}))
        if to_write:
            Line.write(*to_write)

    @classmethod
    @ModelView.button
    def reset_proposal(cls, scenarios):
        "Give back to every EPCI that is not locked its antenna of the base"
        Line = Pool().get('gru.perimeter.scenario.line')
        lines = [l for s in scenarios for l in s.lines
            if not l.locked and l.proposed_antenna != l.current_antenna]
        by_antenna = defaultdict(list)
        for line in lines:
            by_antenna[line.current_antenna.id].append(line)
        to_write = []
        for antenna, lines in sorted(by_antenna.items()):
            to_write.extend((lines, {'proposed_antenna': antenna}))
        if to_write:
            Line.write(*to_write)

    def _plan_values(self):
        "Return the values of the draft territorial plan of the scenario"
        base = self.base_plan
        reasons = {l.epci.id: l.reason for l in base.epcis}
        lines = []
        for line in self.lines:
            if line.proposed_antenna != line.current_antenna:
                reason = gettext('gru_perimeter.msg_plan_line_moved',
                    scenario=self.rec_name,
                    antenna=line.current_antenna.rec_name)
            else:
                reason = reasons.get(line.epci.id)
            lines.append({
                    'sequence': line.sequence,
                    'epci': line.epci.id,
                    'antenna': line.proposed_antenna.id,
                    'reason': reason[:250] if reason else None,
                    })
        exceptions = [{
                'commune': e.commune.id,
                'antenna': e.antenna.id,
                'reason': e.reason,
                } for e in base.exceptions]
        comment = gettext('gru_perimeter.msg_plan_comment',
            scenario=self.rec_name, plan=base.rec_name,
            improvement=self.improvement or '',
            moved=self.moved_count or 0)
        return {
            'name': self.name,
            'start_date': self.start_date,
            'decision': None,
            'epcis': [('create', lines)],
            'exceptions': [('create', exceptions)],
            'comment': comment,
            }

    @classmethod
    @ModelView.button
    @Workflow.transition('saved')
    def save_plan(cls, scenarios):
        """Save each scenario as a draft territorial plan, dated and named
        after it, and return the action opening the plans"""
        pool = Pool()
        Plan = pool.get('gru.territory.plan')
        Action = pool.get('ir.action')
        ModelData = pool.get('ir.model.data')
        for scenario in scenarios:
            if not scenario.lines:
                raise PlannerError(gettext(
                        'gru_perimeter.msg_scenario_no_line',
                        scenario=scenario.rec_name))
        plans = Plan.create([s._plan_values() for s in scenarios])
        for scenario, plan in zip(scenarios, plans):
            scenario.plan = plan
        cls.save(scenarios)
        action = Action(Action.get_action_id(ModelData.get_id(
                    'gru_territory', 'act_plan_form'))).get_action_value()
        ids = [p.id for p in plans]
        action['res_id'] = ids
        action['pyson_domain'] = PYSONEncoder().encode([('id', 'in', ids)])
        if len(ids) == 1:
            # the form first
            action['views'] = list(reversed(action['views']))
        return action

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, scenarios):
        pass


class ScenarioLine(ModelSQL, ModelView):
    "Perimeter Scenario EPCI"
    __string__ = "Perimeter Scenario EPCI"
    __name__ = 'gru.perimeter.scenario.line'

    _states = {
        'readonly': Eval('scenario_state', 'draft') != 'draft',
        }

    scenario = fields.Many2One('gru.perimeter.scenario', "Scenario",
        required=True, ondelete='CASCADE')
    scenario_state = fields.Function(
        fields.Selection(STATES, "Scenario State"),
        'on_change_with_scenario_state')
    sequence = fields.Integer("Sequence")
    epci = fields.Many2One('gru.epci', "EPCI", required=True, readonly=True,
        ondelete='CASCADE')
    current_antenna = fields.Many2One('gru.antenna', "Current Antenna",
        required=True, readonly=True, ondelete='CASCADE',
        help="The antenna of the EPCI in the base plan.")
    proposed_antenna = fields.Many2One('gru.antenna', "Proposed Antenna",
        required=True, ondelete='CASCADE',
        domain=[('kind', '=', 'antenna')],
        states={
            'readonly': (_states['readonly'] | Bool(Eval('locked'))),
            },
        help="The antenna the scenario gives the EPCI: change it to see "
        "the figures, or let the optimiser propose it.")
    locked = fields.Boolean("Locked", states=_states,
        help="The optimiser leaves the EPCI with its proposed antenna.")
    moved = fields.Function(fields.Boolean("Moved"),
        'on_change_with_moved')
    population = fields.Integer("Population", readonly=True,
        help="The population of the EPCI's communes the EPCI's antenna "
        "serves (without the communes served by exception).")
    commune_count = fields.Integer("Communes", readonly=True)
    measured_contacts = fields.Integer("Located Contacts", readonly=True,
        help="The contacts of the last 12 months located in the EPCI's "
        "communes.")
    expected_contacts = fields.Float("Expected Contacts", digits=(16, 1),
        readonly=True,
        help="The located contacts when there are enough, else the "
        "regional rate times the population.")
    contacts_method = fields.Selection(METHODS, "Method", readonly=True)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('scenario_epci_unique', Unique(t, t.scenario, t.epci),
                'gru_perimeter.msg_scenario_epci_unique'),
            ]
        cls._order = [('sequence', 'ASC NULLS FIRST'), ('id', 'ASC')]
        cls.__access__.add('scenario')

    @fields.depends('scenario', '_parent_scenario.state')
    def on_change_with_scenario_state(self, name=None):
        return self.scenario.state if self.scenario else None

    @fields.depends('current_antenna', 'proposed_antenna')
    def on_change_with_moved(self, name=None):
        return bool(self.current_antenna and self.proposed_antenna
            and self.current_antenna != self.proposed_antenna)

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('moved'), 'success', '')),
            ]

    @classmethod
    def on_modification(cls, mode, lines, field_names=None):
        super().on_modification(mode, lines, field_names=field_names)
        if mode in {'create', 'write'} and (field_names is None
                or 'proposed_antenna' in field_names):
            pool = Pool()
            Row = pool.get('gru.perimeter.scenario.antenna')
            Scenario = pool.get('gru.perimeter.scenario')
            Row.ensure(lines)
            Scenario.clear_map(
                Scenario.browse({l.scenario.id for l in lines}))


class ScenarioAntenna(ModelSQL, ModelView):
    "Perimeter Scenario Antenna"
    __string__ = "Perimeter Scenario Antenna"
    __name__ = 'gru.perimeter.scenario.antenna'

    scenario = fields.Many2One('gru.perimeter.scenario', "Scenario",
        required=True, ondelete='CASCADE')
    antenna = fields.Many2One('gru.antenna', "Antenna", required=True,
        readonly=True, ondelete='CASCADE')
    fte = fields.Float("Agent FTE", digits=(16, 2), readonly=True,
        help="The agent FTE of the antenna in the staff plan in force on "
        "the scenario's date.")
    fixed_population = fields.Integer("Population by Exception",
        readonly=True,
        help="The population of the communes the antenna serves by "
        "exception to their EPCI: they stay with it.")
    fixed_communes = fields.Integer("Communes by Exception", readonly=True)
    fixed_contacts = fields.Float("Contacts by Exception", digits=(16, 1),
        readonly=True)
    epci_before = fields.Function(fields.Integer("EPCI Before"),
        'get_figures')
    epci_after = fields.Function(fields.Integer("EPCI After"),
        'get_figures')
    population_before = fields.Function(fields.Integer("Population Before"),
        'get_figures')
    population_after = fields.Function(fields.Integer("Population After"),
        'get_figures')
    communes_before = fields.Function(fields.Integer("Communes Before"),
        'get_figures')
    communes_after = fields.Function(fields.Integer("Communes After"),
        'get_figures')
    contacts_before = fields.Function(fields.Float("Contacts Before",
            digits=(16, 0), help="The expected contacts a year."),
        'get_figures')
    contacts_after = fields.Function(fields.Float("Contacts After",
            digits=(16, 0)), 'get_figures')
    per_fte_before = fields.Function(fields.Float("Contacts per FTE Before",
            digits=(16, 0)), 'get_figures')
    per_fte_after = fields.Function(fields.Float("Contacts per FTE After",
            digits=(16, 0)), 'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('scenario_antenna_unique', Unique(t, t.scenario, t.antenna),
                'gru_perimeter.msg_scenario_antenna_unique'),
            ]
        cls.__access__.add('scenario')

    @classmethod
    def ensure(cls, lines):
        "Create the missing rows of the proposed antennas of lines"
        pool = Pool()
        StaffPlan = pool.get('gru.staff.plan')
        existing = {(r.scenario.id, r.antenna.id) for r in cls.search([
                    ('scenario', 'in', list({l.scenario.id for l in lines})),
                    ])}
        missing = {(l.scenario, l.proposed_antenna) for l in lines
            if (l.scenario.id, l.proposed_antenna.id) not in existing}
        ftes = {}
        to_create = []
        for scenario, antenna in sorted(missing,
                key=lambda k: (k[0].id, k[1].id)):
            if scenario.start_date not in ftes:
                ftes[scenario.start_date] = StaffPlan.antenna_fte(
                    date=scenario.start_date)
            to_create.append({
                    'scenario': scenario.id,
                    'antenna': antenna.id,
                    'fte': float(ftes[scenario.start_date].get(antenna.id, 0)),
                    'fixed_population': 0,
                    'fixed_communes': 0,
                    'fixed_contacts': 0,
                    })
        if to_create:
            cls.create(to_create)

    @classmethod
    def get_figures(cls, rows, names):
        pool = Pool()
        Line = pool.get('gru.perimeter.scenario.line')
        scenarios = {r.scenario.id for r in rows}
        totals = defaultdict(lambda: defaultdict(float))
        for line in Line.search([('scenario', 'in', list(scenarios))]):
            for side, antenna in [
                    ('before', line.current_antenna),
                    ('after', line.proposed_antenna)]:
                key = (line.scenario.id, antenna.id)
                totals[key]['epci_' + side] += 1
                totals[key]['population_' + side] += line.population or 0
                totals[key]['communes_' + side] += line.commune_count or 0
                totals[key]['contacts_' + side] += (
                    line.expected_contacts or 0)
        result = {n: {} for n in names}
        for row in rows:
            figures = totals[(row.scenario.id, row.antenna.id)]
            values = {}
            for side in ['before', 'after']:
                values['epci_' + side] = int(figures['epci_' + side])
                values['population_' + side] = int(
                    figures['population_' + side]
                    + (row.fixed_population or 0))
                values['communes_' + side] = int(
                    figures['communes_' + side] + (row.fixed_communes or 0))
                contacts = (figures['contacts_' + side]
                    + (row.fixed_contacts or 0))
                values['contacts_' + side] = round(contacts)
                values['per_fte_' + side] = (round(contacts / row.fte)
                    if row.fte and row.fte > 0 else None)
            for name in names:
                result[name][row.id] = values[name]
        return result

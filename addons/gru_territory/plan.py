# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Territorial plans: the dated assignment of EPCI and communes to antennas."
from sql import Literal, Null
from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import (
    ModelSQL, ModelView, Unique, Workflow, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import PlanCoverageError

STATES = [
    ('draft', "Draft"),
    ('approved', "Approved"),
    ('archived', "Archived"),
    ]


class Plan(Workflow, ModelSQL, ModelView):
    "Territorial Plan"
    __string__ = "Territorial Plan"
    __name__ = 'gru.territory.plan'

    _states = {'readonly': Eval('state') != 'draft'}

    name = fields.Char("Name", required=True, states=_states)
    start_date = fields.Date("In Force From", required=True, states=_states,
        help="Routing uses the approved plan with the latest start date "
        "on or before the date of the contact.")
    decision = fields.Char("Decision", states=_states,
        help="The body and date that decided the plan, e.g. "
        "\"CT of 3 October 2022\".")
    epcis = fields.One2Many('gru.territory.plan.epci', 'plan', "EPCI",
        states=_states)
    exceptions = fields.One2Many('gru.territory.plan.exception', 'plan',
        "Commune Exceptions", states=_states,
        help="Communes served by another antenna than their EPCI's.")
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    uncovered_count = fields.Function(
        fields.Integer("Uncovered Communes",
            help="Active communes served by no antenna in this plan."),
        'get_uncovered_count')
    comment = fields.Text("Comment")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'approved'),
            ('approved', 'draft'),
            ('approved', 'archived'),
            ('archived', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': Eval('state') == 'draft',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'archive': {
                    'invisible': Eval('state') != 'approved',
                    'icon': 'tryton-archive',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    @classmethod
    def uncovered_communes(cls, plan):
        "Return the ids of the active communes without antenna in plan"
        pool = Pool()
        Commune = pool.get('gru.commune')
        PlanEpci = pool.get('gru.territory.plan.epci')
        PlanException = pool.get('gru.territory.plan.exception')
        commune = Commune.__table__()
        line = PlanEpci.__table__()
        exception = PlanException.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*commune.join(line, 'LEFT',
                condition=(line.epci == commune.epci)
                & (line.plan == plan.id)
                ).join(exception, 'LEFT',
                condition=(exception.commune == commune.id)
                & (exception.plan == plan.id)
                ).select(commune.id,
                where=(commune.active == Literal(True))
                & (line.id == Null) & (exception.id == Null)))
        return [i for i, in cursor]

    @classmethod
    def get_uncovered_count(cls, plans, name):
        return {p.id: len(cls.uncovered_communes(p)) for p in plans}

    @classmethod
    def copy(cls, plans, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        return super().copy(plans, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, plans):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, plans):
        pool = Pool()
        Commune = pool.get('gru.commune')
        for plan in plans:
            uncovered = cls.uncovered_communes(plan)
            if uncovered:
                names = ', '.join(c.rec_name
                    for c in Commune.browse(uncovered[:5]))
                raise PlanCoverageError(gettext(
                        'gru_territory.msg_plan_uncovered',
                        plan=plan.rec_name, count=len(uncovered),
                        communes=names))

    @classmethod
    @ModelView.button
    @Workflow.transition('archived')
    def archive(cls, plans):
        pass

    @classmethod
    def on_modification(cls, mode, plans, field_names=None):
        super().on_modification(mode, plans, field_names=field_names)
        Pool().get('gru.territory.routing').clear_cache()

    @classmethod
    def antenna_counts(cls, plan):
        "Return {antenna id: number of EPCI} for plan"
        pool = Pool()
        PlanEpci = pool.get('gru.territory.plan.epci')
        line = PlanEpci.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*line.select(line.antenna, Count(line.id),
                where=line.plan == plan.id, group_by=[line.antenna]))
        return dict(cursor)


class PlanEpci(sequence_ordered(), ModelSQL, ModelView):
    "Territorial Plan EPCI"
    __string__ = "Territorial Plan EPCI"
    __name__ = 'gru.territory.plan.epci'

    plan = fields.Many2One('gru.territory.plan', "Plan", required=True,
        ondelete='CASCADE')
    epci = fields.Many2One('gru.epci', "EPCI", required=True,
        ondelete='RESTRICT')
    antenna = fields.Many2One('gru.antenna', "Antenna", required=True,
        ondelete='RESTRICT')
    population = fields.Function(fields.Integer("Population"),
        'get_epci_figure')
    commune_count = fields.Function(fields.Integer("Communes"),
        'get_epci_figure')
    reason = fields.Char("Reason",
        help="Why the EPCI is given to this antenna.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('plan_epci_unique', Unique(t, t.plan, t.epci),
                'gru_territory.msg_plan_epci_unique'),
            ]

    @classmethod
    def get_epci_figure(cls, lines, names):
        pool = Pool()
        Epci = pool.get('gru.epci')
        epcis = Epci.browse({l.epci.id for l in lines})
        figures = Epci.get_figures(epcis, names)
        return {n: {l.id: figures[n][l.epci.id] for l in lines}
            for n in names}

    @classmethod
    def on_modification(cls, mode, lines, field_names=None):
        super().on_modification(mode, lines, field_names=field_names)
        Pool().get('gru.territory.routing').clear_cache()


class PlanException(ModelSQL, ModelView):
    "Territorial Plan Commune Exception"
    __string__ = "Territorial Plan Commune Exception"
    __name__ = 'gru.territory.plan.exception'

    plan = fields.Many2One('gru.territory.plan', "Plan", required=True,
        ondelete='CASCADE')
    commune = fields.Many2One('gru.commune', "Commune", required=True,
        ondelete='RESTRICT')
    antenna = fields.Many2One('gru.antenna', "Antenna", required=True,
        ondelete='RESTRICT')
    reason = fields.Char("Reason", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('plan_commune_unique', Unique(t, t.plan, t.commune),
                'gru_territory.msg_plan_commune_unique'),
            ]

    @classmethod
    def on_modification(cls, mode, lines, field_names=None):
        super().on_modification(mode, lines, field_names=field_names)
        Pool().get('gru.territory.routing').clear_cache()

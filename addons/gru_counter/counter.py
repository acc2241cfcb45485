# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The visits at the counters of the antennas: the waiting list of the day
(arrived, called, seen, left unseen) and its times."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from gru_base.model import ExportAccessMixin, check_targets
from gru_inbox.scope import InMyAntennasMixin

from .exceptions import CounterError
from .tools import iso_week, minutes_between

STATES = [
    ('arrived', "Arrived"),
    ('called', "Called"),
    ('seen', "Seen"),
    ('left', "Left Unseen"),
    ]
WAITING_STATES = ['arrived', 'called']


class Visit(InMyAntennasMixin, ExportAccessMixin, Workflow, ModelSQL,
        ModelView):
    "Visit"
    __string__ = "Visit"
    __name__ = 'gru.counter.visit'

    _done = Eval('state').in_(['seen', 'left'])

    company = fields.Many2One('company.company', "Company", required=True,
        ondelete='RESTRICT', readonly=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", required=True,
        ondelete='RESTRICT', states={'readonly': _done},
        help="The antenna whose counter or permanence receives the usager.")
    permanence = fields.Many2One('gru.counter.permanence', "Permanence",
        ondelete='RESTRICT', states={'readonly': _done},
        domain=[If(Eval('antenna'),
                ('antenna', '=', Eval('antenna', -1)), ())],
        help="Filled when the usager is received at a permanence or an "
        "off-site operation.")
    date = fields.Date("Date", readonly=True)
    week = fields.Char("Week", readonly=True,
        help="The ISO week of the arrival (YYYY-Www).")
    arrived_at = fields.DateTime("Arrived At", required=True,
        format='%H:%M',
        states={'readonly': _done})
    party = fields.Many2One('party.party', "Usager", ondelete='RESTRICT',
        states={'readonly': _done},
        context={'company': Eval('company', -1)}, depends={'company'},
        help="Empty while the usager is not identified.")
    name = fields.Char("Name Given", states={'readonly': _done},
        help="The name the usager gave at the reception.")
    motive = fields.Many2One('gru.inbox.motive', "Motive",
        ondelete='RESTRICT', states={'readonly': _done})
    scheme = fields.Many2One('gru.scheme', "Scheme", ondelete='RESTRICT',
        states={'readonly': _done})
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    called_at = fields.DateTime("Called At", readonly=True,
        format='%H:%M')
    seen_by = fields.Many2One('res.user', "Seen By", readonly=True,
        ondelete='RESTRICT')
    ended_at = fields.DateTime("Ended At", readonly=True,
        format='%H:%M',
        help="When the usager was seen to the end or left unseen.")
    waiting_time = fields.Integer("Waiting Time", readonly=True,
        help="In minutes, from the arrival until the usager was called "
        "(or left); empty for a walk-in recorded without the waiting list.")
    time_spent = fields.Integer("Time Spent", readonly=True,
        help="In minutes, with the agent.")
    waiting = fields.Function(fields.Integer("Waiting",
            help="In minutes: how long the usager has been waiting, or "
            "waited."),
        'get_waiting')
    request = fields.Many2One('gru.inbox.request', "Request", readonly=True,
        ondelete='SET NULL',
        help="The request of channel Counter recorded for the visit.")

    del _done

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                # the waiting list of the day of an antenna
                Index(t, (t.antenna, Index.Equality()),
                    (t.date, Index.Range())),
                # the attendance of a period (reporting.py)
                Index(t, (t.date, Index.Range())),
                # the visits of a usager (GDPR, merge)
                Index(t, (t.party, Index.Equality())),
                Index(t, (t.request, Index.Equality())),
                Index(t, (t.permanence, Index.Equality())),
                })
        cls._order = [('arrived_at', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('arrived', 'called'),
            ('called', 'arrived'),
            ('arrived', 'seen'),
            ('called', 'seen'),
            ('arrived', 'left'),
            ('called', 'left'),
            ('left', 'arrived'),
            }
        cls._buttons.update({
                'call': {
                    'invisible': Eval('state') != 'arrived',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'receive': {
                    'invisible': ~Eval('state').in_(WAITING_STATES),
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'leave': {
                    'invisible': ~Eval('state').in_(WAITING_STATES),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'wait': {
                    'invisible': ~Eval('state').in_(['called', 'left']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'arrived'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_arrived_at(cls):
        return dt.datetime.now().replace(second=0, microsecond=0)

    @classmethod
    def default_antenna(cls):
        pool = Pool()
        User = pool.get('res.user')
        return User.counter_antenna()

    @fields.depends('party', 'name')
    def on_change_party(self):
        if self.party and not self.name:
            self.name = self.party.name

    def get_rec_name(self, name):
        who = self.party.rec_name if self.party else (self.name or '?')
        if self.arrived_at:
            return '%s %s' % (self.arrived_at.strftime('%d/%m/%Y %H:%M'),
                who)
        return who

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('name', operator, value),
            ('party.rec_name', operator, value),
            ]

    def get_waiting(self, name):
        if self.state == 'arrived':
            return minutes_between(self.arrived_at, dt.datetime.now())
        return self.waiting_time

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # the times of the waiting list are to the minute (their format)
        for name in ['arrived_at', 'called_at', 'ended_at']:
            if values.get(name):
                values[name] = values[name].replace(
                    second=0, microsecond=0)
        return values

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if field_names is None or 'arrived_at' in field_names:
            arrived_at = getattr(self, 'arrived_at', None)
            date = arrived_at.date() if arrived_at else None
            if getattr(self, 'date', None) != date:
                values['date'] = date
            week = iso_week(arrived_at)
            if getattr(self, 'week', None) != week:
                values['week'] = week
        return values

    @classmethod
    def check_modification(cls, mode, visits, values=None, external=False):
        super().check_modification(
            mode, visits, values=values, external=external)
        if external and mode in {'create', 'write'}:
            # a usager is seen through the visits of one's antennas:
            # linking one's visit to another antenna's usager would reveal
            # him
            check_targets(visits, ['party'], values)
        if mode == 'delete':
            for visit in visits:
                if visit.state != 'arrived' or visit.request:
                    raise CounterError(gettext(
                            'gru_counter.msg_visit_delete',
                            visit=visit.rec_name))

    @classmethod
    def copy(cls, visits, default=None):
        default = default.copy() if default is not None else {}
        for name in ['called_at', 'seen_by', 'ended_at', 'waiting_time',
                'time_spent', 'request']:
            default.setdefault(name, None)
        default.setdefault('state', 'arrived')
        return super().copy(visits, default=default)

    # Workflow

    @classmethod
    @ModelView.button
    @Workflow.transition('called')
    def call(cls, visits):
        "Call the usager to the counter: his waiting ends"
        now = dt.datetime.now().replace(second=0, microsecond=0)
        for visit in visits:
            visit.called_at = now
            visit.seen_by = Transaction().user or None
            visit.waiting_time = minutes_between(visit.arrived_at, now)
        cls.save(visits)

    @classmethod
    @ModelView.button_action('gru_counter.wizard_walkin')
    def receive(cls, visits):
        "Receive the usager: the walk-in records his request"
        pass

    @classmethod
    @Workflow.transition('seen')
    def see(cls, visits, request, time_spent, at=None):
        """Mark the visits seen with request, time_spent minutes with the
        agent, ended at datetime at (now by default)"""
        at = at or dt.datetime.now().replace(second=0, microsecond=0)
        for visit in visits:
            if not visit.called_at:
                # received without being called: the agent started when
                # the time spent says, not before the arrival
                visit.called_at = max(visit.arrived_at,
                    at - dt.timedelta(minutes=time_spent or 0))
                visit.waiting_time = minutes_between(
                    visit.arrived_at, visit.called_at)
            visit.seen_by = visit.seen_by or Transaction().user or None
            visit.ended_at = at
            visit.time_spent = time_spent
            visit.request = request
            if request:
                visit.party = visit.party or request.party
                visit.motive = visit.motive or request.motive
                visit.scheme = visit.scheme or request.scheme
        cls.save(visits)

    @classmethod
    @ModelView.button
    @Workflow.transition('left')
    def leave(cls, visits):
        "The usager left before being seen"
        now = dt.datetime.now().replace(second=0, microsecond=0)
        for visit in visits:
            visit.ended_at = now
            if not visit.called_at:
                visit.waiting_time = minutes_between(visit.arrived_at, now)
        cls.save(visits)

    @classmethod
    @ModelView.button
    @Workflow.transition('arrived')
    def wait(cls, visits):
        "Back on the waiting list: not there when called, or came back"
        cls.write(visits, {
                'called_at': None, 'ended_at': None, 'waiting_time': None,
                'seen_by': None,
                })

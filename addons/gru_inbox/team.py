# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Teams, agents' availability and the assignment of requests."
import datetime as dt
import statistics

from sql import Null
from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .inbox import OPEN_STATES

STRATEGIES = [
    ('manual', "Manual"),
    ('round_robin', "Round Robin"),
    ('least_loaded', "Least Loaded"),
    ]
WEEKDAYS = [
    ('0', "Monday"),
    ('1', "Tuesday"),
    ('2', "Wednesday"),
    ('3', "Thursday"),
    ('4', "Friday"),
    ('5', "Saturday"),
    ('6', "Sunday"),
    ]


class Team(DeactivableMixin, ModelSQL, ModelView):
    "Team"
    __string__ = "Team"
    __name__ = 'gru.inbox.team'

    name = fields.Char("Name", required=True)
    kind = fields.Selection([
            ('antenna', "Antenna Team"),
            ('mobile', "Mobile Team"),
            ('instruction', "Instruction Team"),
            ('other', "Other"),
            ], "Kind", required=True)
    antenna = fields.Many2One('gru.antenna', "Antenna",
        states={'required': Eval('kind') == 'antenna'},
        help="The antenna whose requests the team handles.")
    manager = fields.Many2One('res.user', "Manager",
        help="Receives the escalations of the team's requests.")
    members = fields.Many2Many('gru.inbox.team-res.user', 'team', 'user',
        "Members")
    strategy = fields.Selection(STRATEGIES, "Assignment Strategy",
        required=True)
    last_assigned = fields.Many2One('res.user', "Last Assigned",
        readonly=True)

    @classmethod
    def default_kind(cls):
        return 'antenna'

    @classmethod
    def default_strategy(cls):
        return 'round_robin'

    @classmethod
    def team_of_antenna(cls, antenna, batch=None):
        if not antenna:
            return None
        if batch is not None and antenna.id in batch.teams:
            return batch.teams[antenna.id]
        teams = cls.search([
                ('antenna', '=', antenna.id),
                ('kind', '=', 'antenna'),
                ], limit=1)
        team = teams[0] if teams else None
        if batch is not None:
            batch.teams[antenna.id] = team
        return team

    def available_members(self, at, batch=None):
        pool = Pool()
        User = pool.get('res.user')
        members = [m for m in sorted(self.members, key=lambda u: u.id)
            if m.active]
        if batch is not None:
            return [m for m in members
                if User.is_available(m, at, absences=batch.absences(m))]
        return [m for m in members if User.is_available(m, at)]

    def pick(self, at, strategy=None, batch=None):
        "Return the member to assign at datetime at or None"
        strategy = strategy or self.strategy
        if strategy == 'manual':
            return None
        members = self.available_members(at, batch=batch)
        if not members:
            return None
        if strategy == 'least_loaded':
            loads = self.open_loads(members)
            if batch is not None:
                for user_id, count in batch.pending.items():
                    loads[user_id] = loads.get(user_id, 0) + count
            return min(members, key=lambda u: (loads.get(u.id, 0), u.id))
        # round robin: the next member after the last assigned
        last = self.last_assigned.id if self.last_assigned else None
        following = [m for m in members if last is None or m.id > last]
        return following[0] if following else members[0]

    @classmethod
    def open_loads(cls, users):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        request = Request.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*request.select(request.assignee, Count(request.id),
                where=request.assignee.in_([u.id for u in users])
                & request.state.in_(OPEN_STATES),
                group_by=[request.assignee]))
        return dict(cursor)

    @classmethod
    def assign(cls, request, at=None, strategy=None, batch=None):
        """Assign request to a team and an available agent.

        The team comes from the triage rules or the antenna; when no agent
        of the antenna's team is available, the request overflows to the
        team of the antenna sharing its manager, then to the mobile team of
        the information service. The request is not saved.
        batch (an AssignmentBatch) assigns many requests before they are
        saved: it caches the teams and absences, counts the requests given
        to each agent and saves the teams at its end."""
        pool = Pool()
        Configuration = pool.get('gru.inbox.configuration')
        config = batch.config if batch is not None else Configuration(1)
        at = at or dt.datetime.now()
        strategy = strategy or getattr(request, 'assignment_strategy', None)
        if request.assignee and request.team:
            return request.assignee
        chain = []
        if request.team:
            chain.append((request.team, 'msg_assignment_team'))
        else:
            team = cls.team_of_antenna(request.antenna, batch=batch)
            if team:
                chain.append((team, 'msg_assignment_team'))
        shared = request.antenna.manager_shared_with \
            if request.antenna else None
        if shared:
            team = cls.team_of_antenna(shared, batch=batch)
            if team:
                chain.append((team, 'msg_assignment_overflow_shared'))
        # antennas that share their manager with this one
        if request.antenna:
            for other in request.antenna.shared_antennas:
                team = cls.team_of_antenna(other, batch=batch)
                if team:
                    chain.append((team, 'msg_assignment_overflow_shared'))
        if config.mobile_team:
            chain.append(
                (config.mobile_team, 'msg_assignment_overflow_mobile'))
        seen = set()
        logs = []
        for team, message in chain:
            if batch is not None:
                # one instance per team in the batch: its last assignee
                team = batch.teams_by_id.setdefault(team.id, team)
            if team.id in seen:
                continue
            seen.add(team.id)
            if team.strategy == 'manual' and not strategy:
                request.team = team
                logs.append(gettext('gru_inbox.msg_assignment_manual',
                        team=team.name))
                break
            user = team.pick(at, strategy=strategy, batch=batch)
            if user:
                request.team = team
                request.assignee = user
                team.last_assigned = user
                if batch is not None:
                    batch.pending[user.id] = batch.pending.get(user.id, 0) + 1
                    batch.to_save[team.id] = team
                else:
                    team.save()
                logs.append(gettext('gru_inbox.' + message,
                        team=team.name, user=user.name))
                break
            logs.append(gettext('gru_inbox.msg_assignment_nobody',
                    team=team.name))
        else:
            # nobody available anywhere: the request waits in the last team
            # of the chain (the mobile team) so it is never unowned
            if chain:
                request.team = chain[-1][0]
                logs.append(gettext('gru_inbox.msg_assignment_queued',
                        team=request.team.name))
            else:
                logs.append(gettext('gru_inbox.msg_assignment_no_team'))
        now = at.strftime('%Y-%m-%d %H:%M')
        request.assignment_log = '\n'.join(filter(None,
                [request.assignment_log]
                + ['%s %s' % (now, l) for l in logs]))
        return request.assignee

    @classmethod
    def antenna_balance(cls, start, end):
        """Return how evenly requests are spread across antennas between
        start and end (dates): {'antennas': [{code, name, requests,
        population, per_10000}], 'coefficient_of_variation',
        'max_min_ratio'} computed on requests per 10,000 inhabitants (the
        load an antenna carries for the population it serves)."""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Antenna = pool.get('gru.antenna')
        request = Request.__table__()
        cursor = Transaction().connection.cursor()
        start_dt = dt.datetime.combine(start, dt.time.min)
        end_dt = dt.datetime.combine(end, dt.time.max)
        cursor.execute(*request.select(request.antenna, Count(request.id),
                where=(request.received_at >= start_dt)
                & (request.received_at <= end_dt)
                & (request.antenna != Null),
                group_by=[request.antenna]))
        counts = dict(cursor)
        rows = []
        with Transaction().set_context(date=end):
            antennas = Antenna.search([('kind', '=', 'antenna')])
            for antenna in antennas:
                population = antenna.population or 0
                count = counts.get(antenna.id, 0)
                rows.append({
                        'code': antenna.code,
                        'name': antenna.name,
                        'requests': count,
                        'population': population,
                        'per_10000': (count * 10000 / population
                            if population else 0.0),
                        })
        values = [r['per_10000'] for r in rows if r['population']]
        result = {'antennas': rows, 'coefficient_of_variation': None,
            'max_min_ratio': None}
        if len(values) > 1 and statistics.mean(values):
            result['coefficient_of_variation'] = (
                statistics.pstdev(values) / statistics.mean(values))
            if min(values):
                result['max_min_ratio'] = max(values) / min(values)
        return result


class AssignmentBatch:
    """The state shared by the assignment of many requests before they are
    saved (see Team.assign): teams and absences read once, the requests
    given to each agent counted, the teams' last assignee saved at the
    end."""

    def __init__(self, since=None):
        pool = Pool()
        Configuration = pool.get('gru.inbox.configuration')
        self.config = Configuration(1)
        self.since = since or dt.datetime.now()
        self.teams = {}
        self.teams_by_id = {}
        self.pending = {}
        self.to_save = {}
        self._absences = None

    def absences(self, user):
        "Return the (start, end) of the absences of user"
        pool = Pool()
        Absence = pool.get('gru.inbox.absence')
        if self._absences is None:
            self._absences = {}
            for absence in Absence.search([('end', '>', self.since)]):
                self._absences.setdefault(absence.user.id, []).append(
                    (absence.start, absence.end))
        return self._absences.get(user.id, [])

    def save(self):
        pool = Pool()
        Team = pool.get('gru.inbox.team')
        if self.to_save:
            Team.save(list(self.to_save.values()))
            self.to_save.clear()


class TeamMember(ModelSQL):
    "Team Member"
    __string__ = "Team Member"
    __name__ = 'gru.inbox.team-res.user'
    team = fields.Many2One('gru.inbox.team', "Team", required=True,
        ondelete='CASCADE')
    user = fields.Many2One('res.user', "User", required=True,
        ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # a membership is managed by who manages the team
        cls.__access__.add('team')


class Absence(ModelSQL, ModelView):
    "Absence"
    __string__ = "Absence"
    __name__ = 'gru.inbox.absence'

    user = fields.Many2One('res.user', "Agent", required=True,
        ondelete='CASCADE')
    start = fields.DateTime("Start", required=True)
    end = fields.DateTime("End", required=True,
        domain=[('end', '>=', Eval('start'))])
    reason = fields.Char("Reason")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start', 'DESC'), ('id', 'DESC')]

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The agents (res.user): antennas, teams, working time and scopes."
import datetime as dt

from trytond.model import ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .team import WEEKDAYS


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    gru_antennas = fields.Many2Many('res.user-gru.antenna', 'user',
        'antenna', "Antennas",
        help="The antennas the agent works for: their requests are "
        "visible to the agent.")
    gru_teams = fields.Many2Many('gru.inbox.team-res.user', 'user', 'team',
        "Teams")
    gru_absences = fields.One2Many('gru.inbox.absence', 'user', "Absences")
    working_days = fields.MultiSelection(WEEKDAYS, "Working Days",
        sort=False)
    work_start = fields.Time("Work Starts At")
    work_end = fields.Time("Work Ends At")

    @classmethod
    def default_working_days(cls):
        return ['0', '1', '2', '3', '4']

    def get_status_bar(self, name):
        status = super().get_status_bar(name)
        # the company module ends the header with the currency ("[EUR]"):
        # the GRU handles no money, it is noise to the agents
        company = getattr(self, 'company', None)
        if company and company.currency:
            suffix = ' [%s]' % company.currency.code
            if status.endswith(suffix):
                status = status[:-len(suffix)]
        return status

    @classmethod
    def default_work_start(cls):
        return dt.time(8, 30)

    @classmethod
    def default_work_end(cls):
        return dt.time(17, 30)

    @classmethod
    def is_available(cls, user, at, absences=None):
        """Tell if user works at datetime at and is not absent.
        absences: the (start, end) of user's absences when already read"""
        pool = Pool()
        Absence = pool.get('gru.inbox.absence')
        if user.working_days is not None and \
                str(at.weekday()) not in user.working_days:
            return False
        if user.work_start and at.time() < user.work_start:
            return False
        if user.work_end and at.time() >= user.work_end:
            return False
        if absences is not None:
            return not any(start <= at < end for start, end in absences)
        return not Absence.search([
                ('user', '=', user.id),
                ('start', '<=', at),
                ('end', '>', at),
                ], limit=1)

    @classmethod
    def get_gru_antennas(cls, user_id=None, teams=True):
        """Return the ids of the antennas whose requests user sees: his
        antennas, those of his teams (unless teams is False) and, for an
        antenna manager, the antennas sharing his antennas' manager"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        user_id = user_id if user_id is not None else Transaction().user
        if not user_id:
            return set()
        with Transaction().set_context(_check_access=False):
            user = cls(user_id)
            antennas = set(user.gru_antennas)
            if teams:
                antennas |= {t.antenna for t in user.gru_teams if t.antenna}
            manager_group = ModelData.get_id(
                'gru_inbox', 'group_antenna_manager')
            if manager_group in {g.id for g in user.groups}:
                for antenna in list(antennas):
                    antennas |= set(antenna.shared_antennas)
                    if antenna.manager_shared_with:
                        antennas.add(antenna.manager_shared_with)
            return {a.id for a in antennas}

    @classmethod
    def get_gru_schemes(cls, user_id=None):
        """Return the ids of the schemes user instructs (referent, backup or
        processing team, through his employees)"""
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        user_id = user_id if user_id is not None else Transaction().user
        if not user_id:
            return set()
        with Transaction().set_context(_check_access=False):
            user = cls(user_id)
            employees = [e.id for e in user.employees]
            if not employees:
                return set()
            schemes = Scheme.search(['OR',
                    ('referent', 'in', employees),
                    ('backup_referent', 'in', employees),
                    ('team', 'in', employees),
                    ])
            return {s.id for s in schemes}


class UserAntenna(ModelSQL):
    "User - Antenna"
    __string__ = "User - Antenna"
    __name__ = 'res.user-gru.antenna'
    user = fields.Many2One('res.user', "User", required=True,
        ondelete='CASCADE')
    antenna = fields.Many2One('gru.antenna', "Antenna", required=True,
        ondelete='CASCADE')

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Attendance of the counters and permanences: the visits of a period
counted per antenna, permanence or ISO week (SQL view)."""
import datetime as dt

from sql import Cast, Column, Literal, Null
from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.modelsql import convert_from
from trytond.pool import Pool
from trytond.pyson import Eval, If, In
from trytond.transaction import Transaction

from .exceptions import AttendanceContextError

# what the attendance can be grouped by (gru_attendance_dimensions of the
# context)
DIMENSIONS = ['week', 'antenna', 'permanence']
# the weeks counted by default: the current one and the 12 before
WEEKS = 13


class AttendanceContext(ModelView):
    "Attendance Context"
    __string__ = "Attendance Context"
    __name__ = 'gru.counter.attendance.context'

    from_date = fields.Date("From Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ],
        help="The first day of arrival counted.\n"
        "Leave empty to count from the first visit.")
    to_date = fields.Date("To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ],
        help="The last day of arrival counted.\n"
        "Leave empty to count up to the last visit.")
    antenna = fields.Many2One('gru.antenna', "Antenna",
        help="Count only the visits of this antenna.")

    @classmethod
    def default_from_date(cls):
        Attendance = Pool().get('gru.counter.attendance')
        return Attendance.period()[0]

    @classmethod
    def default_to_date(cls):
        Attendance = Pool().get('gru.counter.attendance')
        return Attendance.period()[1]

    @classmethod
    def default_antenna(cls):
        return Transaction().context.get('antenna')


class Attendance(ModelSQL, ModelView):
    """Attendance

    The visits arrived in the period of the context (from_date, to_date; by
    default the current ISO week and the 12 before), of the company and
    antenna of the context, that the user may read (the record rules of
    the visit apply before counting), grouped by the dimensions listed in
    the context key gru_attendance_dimensions (all of them by default); the
    columns of the dimensions not grouped are empty.
    """
    __string__ = "Attendance"
    __name__ = 'gru.counter.attendance'

    week = fields.Char("Week")
    antenna = fields.Many2One('gru.antenna', "Antenna")
    permanence = fields.Many2One('gru.counter.permanence', "Permanence")
    visits = fields.Integer("Visits")
    seen = fields.Integer("Seen")
    left_unseen = fields.Integer("Left Unseen")
    waiting = fields.Integer("Still Waiting",
        help="Arrived or called, not seen yet.")
    average_waiting = fields.Float("Average Waiting", digits=(16, 1),
        help="In minutes, over the visits called, seen or left.")
    average_time_spent = fields.Float("Average Time Spent", digits=(16, 1),
        help="In minutes, over the visits seen.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('week', 'DESC'), ('visits', 'DESC'), ('id', 'ASC')]

    @classmethod
    def view_attributes(cls):
        dimensions = Eval('gru_attendance_dimensions', DIMENSIONS)
        attributes = super().view_attributes()
        # the list shows the columns grouped by the action
        for name in DIMENSIONS:
            attributes.append(('/tree/field[@name="%s"]' % name,
                    'tree_invisible', ~In(name, dimensions)))
        return attributes

    @classmethod
    def last_weeks(cls):
        "Return the Monday 12 weeks before this week's and today"
        today = Pool().get('ir.date').today()
        monday = today - dt.timedelta(days=today.weekday())
        return monday - dt.timedelta(weeks=WEEKS - 1), today

    @classmethod
    def period(cls):
        """Return the first and last days counted: those of the context
        (None for no bound) or the default period"""
        context = Transaction().context
        from_date, to_date = cls.last_weeks()
        if 'from_date' in context:
            from_date = cls._context_date('from_date')
        if 'to_date' in context:
            to_date = cls._context_date('to_date')
        return from_date, to_date

    @classmethod
    def _context_date(cls, name):
        """Return the date of the context key name: a date, an ISO date
        string or None; raise AttendanceContextError for any other value"""
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
        raise AttendanceContextError(gettext(
                'gru_counter.msg_attendance_context_date',
                field=name, value=str(value)[:30]))

    @classmethod
    def dimensions(cls):
        "Return the names of the columns grouped, from the context"
        names = Transaction().context.get('gru_attendance_dimensions') or []
        if isinstance(names, str):
            names = [names]
        elif not isinstance(names, (list, tuple)):
            names = []
        return [d for d in DIMENSIONS if d in names] or list(DIMENSIONS)

    @classmethod
    def visit_domain(cls):
        """Return the domain of the visits counted: the period, company and
        antenna of the context, and the read rules of the visit"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        context = Transaction().context
        from_date, to_date = cls.period()
        domain = []
        if from_date:
            domain.append(('date', '>=', from_date))
        if to_date:
            domain.append(('date', '<=', to_date))
        if context.get('company'):
            domain.append(('company', '=', context['company']))
        if context.get('antenna'):
            domain.append(('antenna', '=', context['antenna']))
        # the view groups the visits: the rules of the visit must apply
        # before counting
        rule_domain = Rule.domain_get('gru.counter.visit', mode='read')
        if rule_domain:
            domain.append(rule_domain)
        return domain

    @classmethod
    def table_query(cls):
        pool = Pool()
        Visit = pool.get('gru.counter.visit')
        dimensions = cls.dimensions()
        tables, where = Visit.search_domain(
            cls.visit_domain(), active_test=False)
        visit, _ = tables[None]
        integer = cls.visits.sql_type().base
        float_ = cls.average_waiting.sql_type().base

        def count(condition):
            return Cast(Sum(Case((condition, Literal(1)), else_=Literal(0))),
                integer)

        # the smallest visit id identifies a group: unique and the same
        # between the search and the read of the client
        select = [Min(visit.id).as_('id')]
        for name in DIMENSIONS:
            if name in dimensions:
                column = Column(visit, name)
            else:
                column = Cast(Null, cls._fields[name].sql_type().base)
            select.append(column.as_(name))
        select += [
            Cast(Count(visit.id), integer).as_('visits'),
            count(visit.state == 'seen').as_('seen'),
            count(visit.state == 'left').as_('left_unseen'),
            count(visit.state.in_(['arrived', 'called'])).as_('waiting'),
            Cast(Avg(visit.waiting_time), float_).as_('average_waiting'),
            Cast(Avg(Case((visit.state == 'seen', visit.time_spent),
                        else_=Null)), float_).as_('average_time_spent'),
            ]
        return convert_from(None, tables).select(*select,
            where=where,
            group_by=[Column(visit, d) for d in dimensions])

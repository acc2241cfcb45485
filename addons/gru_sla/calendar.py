# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Business calendars: opening hours, public holidays and closures."
import datetime as dt

import holidays

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import timezone as tz

from .exceptions import CalendarError, CalendarValidationError

TIMEZONES = [(z, z) for z in tz.available_timezones()]
WEEKDAYS = [
    ('0', "Monday"),
    ('1', "Tuesday"),
    ('2', "Wednesday"),
    ('3', "Thursday"),
    ('4', "Friday"),
    ('5', "Saturday"),
    ('6', "Sunday"),
    ]
# The French subdivisions whose public holidays differ from the national
# ones (codes of the holidays package)
SUBDIVISIONS = [
    (None, ""),
    ('57', "Moselle"),
    ('6AE', "Alsace"),
    ('971', "Guadeloupe"),
    ('972', "Martinique"),
    ('973', "Guyane"),
    ('974', "La Réunion"),
    ('976', "Mayotte"),
    ]
# How far a computation looks for an open day before giving up
HORIZON = 3660


class NoWorkingTime(Exception):
    "The schedule has no open day within the horizon"


class Schedule:
    """The working time of a calendar.

    ranges: {weekday: [(start time, end time), ...]} in local time,
    closed: a function telling whether a date is closed (public holiday,
    closure), tzinfo: the time zone of the opening hours.
    The public methods take and return naive UTC datetimes, as Tryton
    stores them."""

    def __init__(self, ranges, closed, tzinfo):
        self.ranges = {}
        for weekday, day_ranges in ranges.items():
            merged = []
            for start, end in sorted(day_ranges):
                if end <= start:
                    continue
                if merged and start <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
                else:
                    merged.append((start, end))
            if merged:
                self.ranges[weekday] = merged
        self.closed = closed
        self.tzinfo = tzinfo

    def to_local(self, value):
        return value.replace(tzinfo=dt.timezone.utc).astimezone(
            self.tzinfo).replace(tzinfo=None)

    def to_utc(self, value):
        return value.replace(tzinfo=self.tzinfo).astimezone(
            dt.timezone.utc).replace(tzinfo=None)

    def is_open_day(self, date):
        return bool(self.ranges.get(date.weekday())) and not self.closed(date)

    def day_ranges(self, date):
        "Return the opening ranges of date as local datetimes"
        if not self.is_open_day(date):
            return []
        return [(dt.datetime.combine(date, s), dt.datetime.combine(date, e))
            for s, e in self.ranges[date.weekday()]]

    def next_open_day(self, date):
        "Return the first open day after date"
        for _ in range(HORIZON):
            date += dt.timedelta(days=1)
            if self.is_open_day(date):
                return date
        raise NoWorkingTime

    def _add_seconds(self, local, seconds):
        day = local.date()
        for _ in range(HORIZON):
            for start, end in self.day_ranges(day):
                if end <= local:
                    continue
                begin = max(start, local)
                available = (end - begin).total_seconds()
                if seconds <= available:
                    return begin + dt.timedelta(seconds=seconds)
                seconds -= available
            day += dt.timedelta(days=1)
        raise NoWorkingTime

    def add(self, start, seconds=0, days=0):
        """Return the moment when days working days then seconds working
        seconds have elapsed since start.

        A working day keeps the position in the day: 2 days from Tuesday
        10:00 is Thursday 10:00 when both days are open. A start outside
        the opening hours counts from the next opening."""
        local = self.to_local(start)
        if days:
            local = self._add_seconds(local, 0)
            day = local.date()
            offset = sum(
                (min(e, local) - s).total_seconds()
                for s, e in self.day_ranges(day) if s < local)
            for _ in range(days):
                day = self.next_open_day(day)
            local = dt.datetime.combine(day, dt.time.min)
            ranges = self.day_ranges(day)
            total = sum((e - s).total_seconds() for s, e in ranges)
            if offset >= total:
                local = ranges[-1][1]
            else:
                local = self._add_seconds(local, offset)
        if seconds or not days:
            local = self._add_seconds(local, seconds)
        return self.to_utc(local)

    def working_seconds(self, start, end):
        "Return the working seconds between start and end"
        if not start or not end or end <= start:
            return 0.
        start, end = self.to_local(start), self.to_local(end)
        total = 0.
        day = start.date()
        while day <= end.date():
            for begin, finish in self.day_ranges(day):
                begin, finish = max(begin, start), min(finish, end)
                if finish > begin:
                    total += (finish - begin).total_seconds()
            day += dt.timedelta(days=1)
        return total


class Calendar(DeactivableMixin, ModelSQL, ModelView):
    "Business Calendar"
    __string__ = "Business Calendar"
    __name__ = 'gru.sla.calendar'

    name = fields.Char("Name", required=True, translate=True)
    timezone = fields.Selection(TIMEZONES, "Time Zone", required=True,
        translate=False,
        help="The time zone of the opening hours.")
    public_holidays = fields.Boolean("French Public Holidays",
        help="Close on the French public holidays (1 January, Easter "
        "Monday, 1 and 8 May, Ascension, Whit Monday, 14 July, 15 August, "
        "1 and 11 November, Christmas).")
    holiday_subdivision = fields.Selection(SUBDIVISIONS,
        "Holidays of the Territory",
        states={'invisible': ~Eval('public_holidays')},
        help="Add the public holidays of a territory with its own "
        "(Alsace, Moselle, overseas departments); empty: national ones.")
    hours = fields.One2Many('gru.sla.calendar.hour', 'calendar',
        "Opening Hours")
    closures = fields.One2Many('gru.sla.calendar.closure', 'calendar',
        "Closures",
        help="The days the offices close besides the public holidays.")
    weekly_hours = fields.Function(fields.Float("Hours per Week",
            digits=(16, 2)), 'get_weekly_hours')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_timezone(cls):
        return 'Europe/Paris'

    @classmethod
    def default_public_holidays(cls):
        return True

    def get_weekly_hours(self, name):
        schedule = self._build_schedule()
        return round(sum(
                (dt.datetime.combine(dt.date.min, e)
                    - dt.datetime.combine(dt.date.min, s)).total_seconds()
                for ranges in schedule.ranges.values()
                for s, e in ranges) / 3600, 2)

    @classmethod
    def validate(cls, calendars):
        super().validate(calendars)
        for calendar in calendars:
            if not calendar.hours:
                raise CalendarValidationError(gettext(
                        'gru_sla.msg_calendar_no_hours',
                        calendar=calendar.rec_name))

    def _build_schedule(self):
        ranges = {}
        for hour in self.hours:
            ranges.setdefault(int(hour.weekday), []).append(
                (hour.start_time, hour.end_time))
        closures = [(c.start_date, c.end_date or c.start_date)
            for c in self.closures]
        public = None
        if self.public_holidays:
            public = holidays.France(subdiv=self.holiday_subdivision)

        def closed(date):
            if public is not None and date in public:
                return True
            return any(s <= date <= e for s, e in closures)
        return Schedule(ranges, closed, tz.get_tzinfo(self.timezone))

    def schedule(self):
        "Return the Schedule computing the working time of the calendar"
        schedule = self._build_schedule()
        if not schedule.ranges:
            raise CalendarError(gettext(
                    'gru_sla.msg_calendar_no_hours', calendar=self.rec_name))
        return schedule

    def add_working_time(self, start, hours=None, days=None):
        """Return the datetime when the working days then the working hours
        have elapsed since start (naive UTC datetimes)"""
        return self.add(self.schedule(), start,
            seconds=(hours or 0) * 3600, days=days or 0)

    def add(self, schedule, start, seconds=0, days=0):
        "Add working time with a schedule of the calendar"
        try:
            return schedule.add(start, seconds=seconds, days=days)
        except NoWorkingTime:
            raise CalendarError(gettext(
                    'gru_sla.msg_calendar_no_open_day',
                    calendar=self.rec_name, days=HORIZON))

    def working_seconds(self, start, end):
        "Return the working seconds between start and end (naive UTC)"
        return self.schedule().working_seconds(start, end)

    def is_open_day(self, date):
        return self._build_schedule().is_open_day(date)

    def format_datetime(self, value):
        "Return value (naive UTC) as local text of the calendar"
        if not value:
            return ''
        schedule = self._build_schedule()
        return schedule.to_local(value).strftime('%d/%m/%Y %H:%M')


class CalendarHour(ModelSQL, ModelView):
    "Business Calendar Opening Hours"
    __string__ = "Opening Hours"
    __name__ = 'gru.sla.calendar.hour'

    calendar = fields.Many2One('gru.sla.calendar', "Calendar",
        required=True, ondelete='CASCADE')
    weekday = fields.Selection(WEEKDAYS, "Day", required=True, sort=False)
    start_time = fields.Time("From", required=True)
    end_time = fields.Time("To", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('calendar')
        cls._order = [
            ('calendar', 'ASC'), ('weekday', 'ASC'), ('start_time', 'ASC'),
            ('id', 'ASC')]

    def get_rec_name(self, name):
        weekdays = dict(self.fields_get(['weekday'])['weekday']['selection'])
        return '%s %s-%s' % (weekdays.get(self.weekday, ''),
            self.start_time.strftime('%H:%M') if self.start_time else '',
            self.end_time.strftime('%H:%M') if self.end_time else '')

    @classmethod
    def validate_fields(cls, hours, field_names):
        super().validate_fields(hours, field_names)
        if field_names & {'calendar', 'weekday', 'start_time', 'end_time'}:
            cls.check_ranges(hours)

    @classmethod
    def check_ranges(cls, hours):
        for hour in hours:
            if hour.end_time <= hour.start_time:
                raise CalendarValidationError(gettext(
                        'gru_sla.msg_hour_end_before_start',
                        hours=hour.rec_name,
                        calendar=hour.calendar.rec_name))
            for other in hour.calendar.hours:
                if other.id == hour.id or other.weekday != hour.weekday:
                    continue
                if (other.start_time < hour.end_time
                        and hour.start_time < other.end_time):
                    raise CalendarValidationError(gettext(
                            'gru_sla.msg_hour_overlap',
                            hours=hour.rec_name, other=other.rec_name,
                            calendar=hour.calendar.rec_name))


class CalendarClosure(ModelSQL, ModelView):
    "Business Calendar Closure"
    __string__ = "Closure"
    __name__ = 'gru.sla.calendar.closure'

    calendar = fields.Many2One('gru.sla.calendar', "Calendar",
        required=True, ondelete='CASCADE')
    start_date = fields.Date("From", required=True)
    end_date = fields.Date("To",
        domain=[
            If(Eval('end_date') & Eval('start_date'),
                ('end_date', '>=', Eval('start_date')),
                ()),
            ],
        help="The last closed day; empty: the start day only.")
    name = fields.Char("Reason", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('calendar')
        cls._order = [
            ('calendar', 'ASC'), ('start_date', 'ASC'), ('id', 'ASC')]


class Antenna(metaclass=PoolMeta):
    __name__ = 'gru.antenna'

    calendar = fields.Many2One('gru.sla.calendar', "Business Calendar",
        ondelete='RESTRICT',
        help="The opening hours and closures that count the service "
        "levels of the antenna's requests; empty: the default calendar.")

    def get_sla_calendar(self):
        pool = Pool()
        Configuration = pool.get('gru.inbox.configuration')
        return self.calendar or Configuration(1).sla_calendar


class Configuration(metaclass=PoolMeta):
    __name__ = 'gru.inbox.configuration'

    sla_calendar = fields.Many2One('gru.sla.calendar',
        "Default Business Calendar",
        help="The calendar of the requests whose antenna has none.")

    @classmethod
    def default_sla_calendar(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('gru_sla', 'calendar_standard')
        except KeyError:
            return None

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The equitable share of the calls: the target share of each antenna, the
share measured per day and week, and the alert on a drift."""
import datetime as dt

from sql import Literal
from sql.aggregate import Count

from trytond.bus import notify
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .decision import share_gaps
from .exceptions import ShareBasisError

BASES = [
    ('agents', "Agents Present"),
    ('population', "Population Served"),
    # the staff plan of gru_staff (ConfigurationStaff), when activated
    ('posts', "Staff Plan Posts"),
    ]
# the module computing the weights of a basis, when not gru_phone
SHARE_BASIS_MODULES = {'posts': 'gru_staff'}
PERIODS = [
    ('day', "Day"),
    ('week', "Week"),
    ]


def period_bounds(period, date):
    "Return the (start, end) naive datetimes of the day or week of date"
    if period == 'week':
        start = date - dt.timedelta(days=date.weekday())
        end = start + dt.timedelta(days=7)
    else:
        start, end = date, date + dt.timedelta(days=1)
    return (dt.datetime.combine(start, dt.time()),
        dt.datetime.combine(end, dt.time()))


class Configuration(metaclass=PoolMeta):
    __name__ = 'gru.phone.configuration'

    share_basis = fields.Selection(BASES, "Share Basis",
        required=True,
        help="What the target share of calls of each antenna is "
        "proportional to.")
    share_basis_string = share_basis.translated('share_basis')
    drift_threshold = fields.Float("Drift Threshold", required=True,
        digits=(16, 1),
        domain=[('drift_threshold', '>', 0)],
        help="In points of percentage: the supervisors are alerted when "
        "the share of calls of an antenna over the week is this far from "
        "its target.")
    drift_minimum_calls = fields.Integer("Minimum Calls for an Alert",
        required=True, domain=[('drift_minimum_calls', '>=', 0)],
        help="No alert while the week counts fewer calls.")

    @classmethod
    def default_share_basis(cls):
        return 'population'

    @classmethod
    def validate_fields(cls, configurations, field_names):
        super().validate_fields(configurations, field_names)
        cls.check_share_basis(configurations, field_names)

    @classmethod
    def check_share_basis(cls, configurations, field_names=None):
        "A basis needs the module computing its weights"
        if field_names and 'share_basis' not in field_names:
            return
        for config in configurations:
            if not hasattr(config, '_share_weights_%s' % config.share_basis):
                raise ShareBasisError(gettext(
                        'gru_phone.msg_share_basis_module',
                        basis=config.share_basis_string,
                        module=SHARE_BASIS_MODULES.get(
                            config.share_basis, '')))

    @classmethod
    def default_drift_threshold(cls):
        return 10.

    @classmethod
    def default_drift_minimum_calls(cls):
        return 100

    def target_shares(self, date=None):
        """Return {antenna id: target share in points} of the antennas
        (kind antenna, open) from the configured basis; an antenna without
        weight gets none, all without weight: equal shares"""
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        Call = pool.get('gru.phone.call')
        # cached with the decision table (cleared when an antenna or the
        # configuration changes, else after 5 minutes)
        key = ('shares', self.share_basis, str(date))
        shares = Call._decision_cache.get(key)
        if shares is not None:
            return dict(shares)
        with without_check_access():
            antennas = [a.id for a in Antenna.search([
                        ('kind', '=', 'antenna'),
                        ('state', '=', 'open'),
                        ])]
        if not antennas:
            return {}
        weights = getattr(self, '_share_weights_%s' % self.share_basis)(
            antennas, date)
        total = sum(weights.get(a, 0) for a in antennas)
        if not total:
            shares = {a: 100. / len(antennas) for a in antennas}
        else:
            shares = {a: 100. * weights.get(a, 0) / total for a in antennas}
        Call._decision_cache.set(key, shares)
        return dict(shares)

    def _share_weights_population(self, antennas, date):
        pool = Pool()
        Routing = pool.get('gru.territory.routing')
        table = Routing.get_table(date=date)
        if table is None:
            return {}
        return {a: table.antenna_figures(a)['population'] for a in antennas}

    def _share_weights_agents(self, antennas, date):
        "The agents with a SIP account who are not away"
        pool = Pool()
        User = pool.get('res.user')
        UserAntenna = pool.get('res.user-gru.antenna')
        user = User.__table__()
        user_antenna = UserAntenna.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*user_antenna.join(user,
                condition=user_antenna.user == user.id).select(
                user_antenna.antenna, Count(user.id),
                where=(user.active == Literal(True))
                & (user.sip_user != None)  # noqa: E711
                & (user.phone_presence != 'away')
                & user_antenna.antenna.in_(antennas),
                group_by=[user_antenna.antenna]))
        return dict(cursor)


class ConfigurationStaff(metaclass=PoolMeta):
    __name__ = 'gru.phone.configuration'

    def _share_weights_posts(self, antennas, date):
        """The posts of the units of the antennas in the approved staff
        plan (the latest), but those to remove"""
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        Position = pool.get('gru.staff.position')
        with without_check_access():
            plans = Plan.search([('state', '=', 'approved')],
                order=[('id', 'DESC')], limit=1)
            if not plans:
                return {}
            positions = Position.search([
                    ('plan', '=', plans[0].id),
                    ('unit.antenna', 'in', antennas),
                    ('status', '!=', 'to_remove'),
                    ])
        weights = {}
        for position in positions:
            antenna = position.unit.antenna.id
            weights[antenna] = weights.get(antenna, 0) + 1
        return weights


class ShareContext(ModelView):
    "Share of Calls Context"
    __string__ = "Share of Calls Context"
    __name__ = 'gru.phone.share.context'

    period = fields.Selection(PERIODS, "Period", required=True)
    date = fields.Date("Date", required=True)

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period') or 'week'

    @classmethod
    def default_date(cls):
        return Transaction().context.get('date') \
            or Pool().get('ir.date').today()


class Share(ModelSQL, ModelView):
    "Share of Calls"
    __string__ = "Share of Calls"
    __name__ = 'gru.phone.share'

    antenna = fields.Many2One('gru.antenna', "Antenna", readonly=True)
    calls = fields.Integer("Calls", readonly=True)
    measured = fields.Function(fields.Float("Measured Share",
            digits=(16, 1), help="In percent of the period's calls."),
        'get_shares')
    target = fields.Function(fields.Float("Target Share", digits=(16, 1),
            help="In percent, from the basis of the configuration."),
        'get_shares')
    gap = fields.Function(fields.Float("Gap", digits=(16, 1),
            help="Target minus measured, in points: positive when the "
            "antenna is under its share."), 'get_shares')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('antenna', 'ASC'), ('id', 'ASC')]

    @classmethod
    def period(cls):
        context = Transaction().context
        date = context.get('date') or Pool().get('ir.date').today()
        if isinstance(date, str):
            date = dt.date.fromisoformat(date)
        return period_bounds(context.get('period') or 'week', date)

    @classmethod
    def table_query(cls):
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        Call = pool.get('gru.phone.call')
        antenna = Antenna.__table__()
        call = Call.__table__()
        start, end = cls.period()
        return antenna.join(call, 'LEFT',
            condition=(call.antenna == antenna.id)
            & (call.started_at >= start) & (call.started_at < end)
            ).select(
            antenna.id.as_('id'),
            antenna.id.as_('antenna'),
            Count(call.id).as_('calls'),
            where=(antenna.kind == 'antenna') & (antenna.state == 'open'),
            group_by=[antenna.id])

    @classmethod
    def get_shares(cls, shares, names):
        pool = Pool()
        Configuration = pool.get('gru.phone.configuration')
        start, _ = cls.period()
        targets = Configuration(1).target_shares(start.date())
        counts = cls.counts(*cls.period())
        total = sum(counts.get(a, 0) for a in targets)
        result = {n: {} for n in names}
        for share in shares:
            antenna = share.antenna.id
            measured = 100. * counts.get(antenna, 0) / total if total else 0.
            target = targets.get(antenna, 0.)
            values = {'measured': measured, 'target': target,
                'gap': target - measured}
            for name in names:
                result[name][share.id] = round(values[name], 1)
        return result

    @classmethod
    def counts(cls, start, end):
        "Return {antenna id: calls} of the calls started in [start, end)"
        pool = Pool()
        Call = pool.get('gru.phone.call')
        call = Call.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*call.select(call.antenna, Count(call.id),
                where=(call.started_at >= start) & (call.started_at < end)
                & (call.antenna != None),  # noqa: E711
                group_by=[call.antenna]))
        return dict(cursor)

    @classmethod
    def gaps(cls, antennas, at):
        """Return {antenna id: target - measured share} over the week of
        at, for the antennas (ids)"""
        pool = Pool()
        Configuration = pool.get('gru.phone.configuration')
        start, end = period_bounds('week', at.date())
        targets = Configuration(1).target_shares(at.date())
        if not targets:
            return {}
        gaps = share_gaps(targets, cls.counts(start, at))
        return {a: gaps[a] for a in antennas if a in gaps}

    @classmethod
    def check_drift(cls, date=None):
        """Alert the supervisors of the antennas whose share of the calls
        of the week (until date, today by default) is further from their
        target than the threshold: an alert record, a notification and an
        email to the supervisors with one; once per antenna and day"""
        pool = Pool()
        Configuration = pool.get('gru.phone.configuration')
        Alert = pool.get('gru.phone.share.alert')
        date = date or pool.get('ir.date').today()
        config = Configuration(1)
        start, _ = period_bounds('week', date)
        end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time())
        counts = cls.counts(start, end)
        targets = config.target_shares(date)
        total = sum(counts.get(a, 0) for a in targets)
        if not targets or total < (config.drift_minimum_calls or 0):
            return []
        gaps = share_gaps(targets, counts)
        alerted = {a.antenna.id for a in Alert.search([
                    ('date', '=', date)])}
        alerts = []
        for antenna, gap in sorted(gaps.items()):
            if abs(gap) <= config.drift_threshold or antenna in alerted:
                continue
            alerts.append(Alert(date=date, antenna=antenna,
                    target=round(targets[antenna], 1),
                    measured=round(targets[antenna] - gap, 1),
                    calls=counts.get(antenna, 0), total=total,
                    threshold=config.drift_threshold))
        Alert.save(alerts)
        if alerts:
            Alert.send(alerts)
        return alerts


class Alert(ModelSQL, ModelView):
    "Share of Calls Alert"
    __string__ = "Share of Calls Alert"
    __name__ = 'gru.phone.share.alert'

    date = fields.Date("Date", required=True, readonly=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", required=True,
        readonly=True, ondelete='CASCADE')
    target = fields.Float("Target Share", digits=(16, 1), readonly=True)
    measured = fields.Float("Measured Share", digits=(16, 1), readonly=True)
    calls = fields.Integer("Calls of the Antenna", readonly=True)
    total = fields.Integer("Calls of the Week", readonly=True)
    threshold = fields.Float("Threshold", digits=(16, 1), readonly=True)
    gap = fields.Function(fields.Float("Gap", digits=(16, 1)), 'get_gap')
    message = fields.Function(fields.Text("Message"), 'get_message')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    def get_gap(self, name):
        return round((self.target or 0) - (self.measured or 0), 1)

    def get_message(self, name=None):
        key = 'gru_phone.msg_drift_under' if self.get_gap(None) > 0 \
            else 'gru_phone.msg_drift_over'
        return gettext(key, antenna=self.antenna.rec_name,
            measured='%.1f' % self.measured, target='%.1f' % self.target,
            threshold='%.1f' % self.threshold, calls=self.calls,
            total=self.total)

    @classmethod
    def supervisors(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        group = ModelData.get_id('gru_inbox', 'group_supervisor')
        with without_check_access():
            return User.search([('groups', '=', group)])

    @classmethod
    def send(cls, alerts):
        "Notify the supervisors (bus) and email those with an address"
        pool = Pool()
        Email = pool.get('ir.email')
        supervisors = cls.supervisors()
        subject = gettext('gru_phone.msg_drift_subject')
        for alert in alerts:
            body = alert.get_message()
            for user in supervisors:
                notify(subject, body, user=user.id, priority=2)
        addresses = sorted({u.email for u in supervisors if u.email})
        if addresses:
            body = '\n\n'.join(a.get_message() for a in alerts)
            with without_check_access():
                Email.send(to=', '.join(addresses), subject=subject,
                    body=body, record=(cls.__name__, alerts[0].id))

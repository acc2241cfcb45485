# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Retention of the personal data in the three phases of the CNIL: active
base, intermediate archive, deletion.

A policy per kind of data gives the periods; ``Policy.apply`` runs the
active ones and records what it found and did in a ``gru.retention.run``.
Each kind is applied by ``Policy._apply_<kind>(dry_run, run)``: modules add
kinds to the selection in ``__setup__`` and the method by extension."""
import datetime as dt
import logging
import traceback

from sql import Column

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import StateAction, Wizard

from gru_base.filestore import (
    DEFAULT_MIN_AGE, delete_unreferenced, purge_orphan_files, referenced_files)

from .exceptions import RetentionError

logger = logging.getLogger(__name__)

DEFAULT_USAGER_MONTHS = 36
MAX_DETAILS = 100


def months_before(date, months):
    "Return the date months before date (the last day for a shorter month)"
    month = date.month - 1 - months
    year = date.year + month // 12
    month = month % 12 + 1
    for day in range(date.day, 28, -1):
        try:
            return date.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return date.replace(year=year, month=month, day=min(date.day, 28))


def _codes(records):
    codes = [r.code or str(r.id) for r in records[:MAX_DETAILS]]
    if len(records) > MAX_DETAILS:
        codes.append('…')
    return ', '.join(codes)


class Policy(DeactivableMixin, ModelSQL, ModelView):
    "Retention Policy"
    __name__ = 'gru.retention.policy'
    __string__ = "Retention Policy"

    name = fields.Char("Name", required=True, translate=True)
    kind = fields.Selection([
            ('usager', "Usagers"),
            ('orphan_files', "Orphaned Files"),
            ], "Kind", required=True,
        help="The kind of data the policy applies to.")
    archive_after = fields.Integer("Archive After (months)",
        domain=['OR',
            ('archive_after', '=', None),
            ('archive_after', '>=', 1),
            ],
        states={
            'invisible': Eval('kind') == 'orphan_files',
            },
        help="The intermediate archive: after how many months the data "
        "leaves the active base (kept out of the daily lists). "
        "Leave empty to skip this phase.")
    delete_after = fields.Integer("Delete After (months)",
        domain=['OR',
            ('delete_after', '=', None),
            ('delete_after', '>=', 0),
            ],
        help="After how many months the data is deleted or anonymised. "
        "Leave empty to never delete.")
    justification = fields.Text("Justification", translate=True,
        help="Why these periods: the purpose and the rule followed.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('kind', 'ASC'), ('id', 'ASC')]

    @classmethod
    def validate_fields(cls, policies, field_names):
        super().validate_fields(policies, field_names)
        cls.check_periods(policies, field_names)
        cls.check_unique_kind(policies, field_names)

    @classmethod
    def check_periods(cls, policies, field_names=None):
        if field_names and not (
                field_names & {'archive_after', 'delete_after'}):
            return
        for policy in policies:
            if (policy.archive_after is not None
                    and policy.delete_after is not None
                    and policy.archive_after >= policy.delete_after):
                raise RetentionError(gettext(
                        'gru_contact.msg_retention_archive_after_delete',
                        policy=policy.rec_name))

    @classmethod
    def check_unique_kind(cls, policies, field_names=None):
        if field_names and not (field_names & {'kind', 'active'}):
            return
        for policy in policies:
            if not policy.active:
                continue
            others = cls.search([
                    ('kind', '=', policy.kind),
                    ('id', '!=', policy.id),
                    ], limit=1)
            if others:
                raise RetentionError(gettext(
                        'gru_contact.msg_retention_kind_unique',
                        policy=policy.rec_name,
                        other=others[0].rec_name))

    @classmethod
    def default_kind(cls):
        return 'usager'

    def archive_limit(self, date=None):
        "Return the date before which the data goes to the archive or None"
        if self.archive_after is None:
            return None
        date = date or Pool().get('ir.date').today()
        return months_before(date, self.archive_after)

    def delete_limit(self, date=None):
        "Return the date before which the data is deleted or None"
        if self.delete_after is None:
            return None
        date = date or Pool().get('ir.date').today()
        return months_before(date, self.delete_after)

    @classmethod
    def usager_limit(cls, date=None):
        """Return the date before which the last contact of a usager is too
        old: the active 'usager' policy, 36 months without one"""
        policies = cls.search([('kind', '=', 'usager')], limit=1)
        date = date or Pool().get('ir.date').today()
        if policies and policies[0].delete_after is not None:
            return policies[0].delete_limit(date)
        return months_before(date, DEFAULT_USAGER_MONTHS)

    @classmethod
    def apply(cls, policies=None, dry_run=False):
        """Apply the policies (the active ones by default) and return the
        gru.retention.run recording it; with dry_run, only count and list
        the candidates. A kind that fails is recorded and the others run."""
        pool = Pool()
        Run = pool.get('gru.retention.run')
        Line = pool.get('gru.retention.run.line')
        transaction = Transaction()
        if policies is None:
            policies = cls.search([])
        run = Run(dry_run=dry_run)
        run.save()
        # the files the kinds clear leave the store at once, not after the
        # core's filestore queue delay: those referenced now and no more
        files = referenced_files() if not dry_run else None
        for policy in policies:
            line = Line(run=run, policy=policy, kind=policy.kind)
            savepoint = 'gru_retention_%s' % policy.id
            cursor = transaction.connection.cursor()
            cursor.execute('SAVEPOINT %s' % savepoint)
            try:
                with without_check_access():
                    result = getattr(policy, f'_apply_{policy.kind}')(
                        dry_run, run) or {}
            except Exception as exception:
                logger.exception("retention %s failed", policy.kind)
                cursor.execute('ROLLBACK TO SAVEPOINT %s' % savepoint)
                for cache in transaction.cache.values():
                    cache.clear()
                line.error = ''.join(traceback.format_exception_only(
                        exception)).strip() or repr(exception)
            else:
                cursor.execute('RELEASE SAVEPOINT %s' % savepoint)
                for name in ['to_archive', 'archived', 'to_delete',
                        'deleted', 'details']:
                    if name in result:
                        setattr(line, name, result[name])
            line.save()
        if files is not None:
            delete_unreferenced(files)
        run = Run(run.id)
        return run

    @classmethod
    def run_retention(cls):
        "Apply the active policies (scheduled task)"
        cls.apply(dry_run=False)

    def _apply_usager(self, dry_run, run):
        """Archive the usagers without contact since archive_after months
        and anonymise those without contact since delete_after months"""
        pool = Pool()
        Party = pool.get('party.party')
        Date = pool.get('ir.date')
        today = Date.today()
        protected = Party._retention_protected()
        result = {}
        details = []
        to_delete = []
        delete_limit = self.delete_limit(today)
        if delete_limit:
            to_delete = [p for p in Party.search(
                    Party._retention_domain(delete_limit),
                    order=[('id', 'ASC')])
                if p.id not in protected]
            result['to_delete'] = len(to_delete)
            if to_delete:
                details.append(gettext(
                        'gru_contact.msg_retention_usager_delete',
                        codes=_codes(to_delete)))
        archive_limit = self.archive_limit(today)
        if archive_limit:
            deleted = {p.id for p in to_delete}
            to_archive = [p for p in Party.search(
                    Party._retention_domain(archive_limit)
                    + [('archived', '!=', True)],
                    order=[('id', 'ASC')])
                if p.id not in protected and p.id not in deleted]
            result['to_archive'] = len(to_archive)
            if to_archive:
                details.append(gettext(
                        'gru_contact.msg_retention_usager_archive',
                        codes=_codes(to_archive)))
            if not dry_run and to_archive:
                Party.write(to_archive, {
                        'archived': True,
                        'archive_date': today,
                        })
                result['archived'] = len(to_archive)
        if not dry_run and to_delete:
            Party.anonymize(to_delete, action='retention')
            result['deleted'] = len(to_delete)
        result['details'] = '\n'.join(details)
        return result

    def _apply_orphan_files(self, dry_run, run):
        "Delete the files of the store no record references"
        min_age = DEFAULT_MIN_AGE
        if self.delete_after:
            min_age = max(min_age, dt.timedelta(days=30 * self.delete_after))
        files = purge_orphan_files(dry_run=dry_run, min_age=min_age)
        result = {'to_delete': len(files)}
        if not dry_run:
            result['deleted'] = len(files)
        if files:
            result['details'] = gettext(
                'gru_contact.msg_retention_orphan_files',
                files=', '.join(f for _, f in files[:MAX_DETAILS])
                + (', …' if len(files) > MAX_DETAILS else ''))
        return result


class Run(ModelSQL, ModelView):
    "Retention Run"
    __name__ = 'gru.retention.run'
    __string__ = "Retention Run"

    date = fields.DateTime("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    dry_run = fields.Boolean("Dry Run", readonly=True,
        help="Only the candidates were counted: nothing was changed.")
    lines = fields.One2Many('gru.retention.run.line', 'run', "Lines",
        readonly=True)
    failed = fields.Function(fields.Boolean("Failed",
            help="A kind of data could not be processed."), 'get_failed')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return dt.datetime.now()

    @classmethod
    def default_user(cls):
        return Transaction().user or None

    @classmethod
    def default_dry_run(cls):
        return False

    def get_failed(self, name):
        return any(line.error for line in self.lines)

    def get_rec_name(self, name):
        return self.date.strftime('%Y-%m-%d %H:%M:%S') if self.date else ''


class RunLine(ModelSQL, ModelView):
    "Retention Run Line"
    __name__ = 'gru.retention.run.line'
    __string__ = "Retention Run Line"

    run = fields.Many2One('gru.retention.run', "Run", required=True,
        ondelete='CASCADE', readonly=True)
    policy = fields.Many2One('gru.retention.policy', "Policy",
        ondelete='SET NULL', readonly=True)
    kind = fields.Selection('get_kinds', "Kind", readonly=True)
    to_archive = fields.Integer("To Archive", readonly=True)
    archived = fields.Integer("Archived", readonly=True)
    to_delete = fields.Integer("To Delete", readonly=True)
    deleted = fields.Integer("Deleted", readonly=True)
    details = fields.Text("Details", readonly=True)
    error = fields.Text("Error", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('run')

    @classmethod
    def get_kinds(cls):
        Policy = Pool().get('gru.retention.policy')
        return Policy.fields_get(['kind'])['kind']['selection']


class DryRun(Wizard):
    "Retention Dry Run"
    __name__ = 'gru.retention.dry_run'
    start_state = 'run'
    run = StateAction('gru_contact.act_retention_run_form')

    def do_run(self, action):
        pool = Pool()
        Policy = pool.get('gru.retention.policy')
        context = Transaction().context
        policies = None
        if (context.get('active_model') == Policy.__name__
                and context.get('active_ids')):
            policies = Policy.browse(context['active_ids'])
        run = Policy.apply(policies, dry_run=True)
        action['res_id'] = [run.id]
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', '=', run.id)])
        return action, {}


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def _retention_domain(cls, limit):
        "Return the domain of the usagers without contact since limit"
        return [
            ('anonymized', '!=', True),
            ('is_person', '=', True),
            ('active', 'in', [True, False]),
            ['OR',
                ('last_contact_date', '<', limit),
                [('last_contact_date', '=', None),
                    ('create_date', '<', dt.datetime.combine(
                            limit, dt.time()))],
                ],
            ]

    @classmethod
    def _retention_protected(cls):
        """Return the ids of the parties retention never touches: the staff
        and the companies of the installation"""
        pool = Pool()
        cursor = Transaction().connection.cursor()
        ids = set()
        for model in ['company.employee', 'company.company']:
            try:
                Model = pool.get(model)
            except KeyError:
                continue
            table = Model.__table__()
            column = Column(table, 'party')
            cursor.execute(*table.select(column, group_by=[column]))
            ids.update(i for i, in cursor if i)
        return ids

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Aid schemes (dispositifs), their configurable lists and launch checklist."
import re

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, Workflow, fields,
    sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.rpc import RPC
from trytond.transaction import Transaction

from . import reference as dossier_format
from .exceptions import SchemeOpenError, SchemeReferencePatternError

CHECKLIST_KINDS = [
    ('manual', "Ticked by Hand"),
    ('referent', "Referent and Backup Designated"),
    ('faq', "FAQ Written"),
    ('criteria', "Eligibility Criteria Defined"),
    ]
STATES = [
    ('draft', "Draft"),
    ('open', "Open"),
    ('closed', "Closed"),
    ]


class _NamedListMixin(DeactivableMixin):
    "A configurable list entry: a name and a unique code"
    __slots__ = ()
    name = fields.Char("Name", required=True)
    code = fields.Char("Code", required=True)
    description = fields.Text("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'gru_scheme.msg_list_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))


class Theme(_NamedListMixin, ModelSQL, ModelView):
    "Scheme Theme"
    __string__ = "Scheme Theme"
    __name__ = 'gru.scheme.theme'


class Directorate(_NamedListMixin, ModelSQL, ModelView):
    "Scheme Lead Directorate"
    __string__ = "Scheme Lead Directorate"
    __name__ = 'gru.scheme.directorate'


class Actor(_NamedListMixin, ModelSQL, ModelView):
    "Scheme Launch Actor"
    __string__ = "Scheme Launch Actor"
    __name__ = 'gru.scheme.actor'


class Role(_NamedListMixin, ModelSQL, ModelView):
    "Scheme Processing Role"
    __string__ = "Scheme Processing Role"
    __name__ = 'gru.scheme.role'


class ChecklistTemplate(
        sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Scheme Launch Checklist Template"
    __string__ = "Scheme Launch Checklist Template"
    __name__ = 'gru.scheme.checklist.template'

    actor = fields.Many2One('gru.scheme.actor', "Actor", required=True,
        ondelete='RESTRICT')
    name = fields.Char("Task", required=True)
    description = fields.Text("Description")
    kind = fields.Selection(CHECKLIST_KINDS, "Ticked", required=True,
        sort=False,
        help="By hand, or from the scheme when its data proves the task "
        "done.")

    @staticmethod
    def default_kind():
        return 'manual'

    def _task_values(self):
        return {
            'sequence': self.sequence,
            'actor': self.actor.id,
            'name': self.name,
            'description': self.description,
            'template': self.id,
            }


class Scheme(Workflow, ModelSQL, ModelView):
    "Aid Scheme"
    __string__ = "Aid Scheme"
    __name__ = 'gru.scheme'

    _states = {
        'readonly': Eval('state') == 'closed',
        }

    code = fields.Char("Code", required=True, states=_states)
    name = fields.Char("Name", required=True, states=_states)
    theme = fields.Many2One('gru.scheme.theme', "Theme", required=True,
        ondelete='RESTRICT', states=_states)
    directorate = fields.Many2One('gru.scheme.directorate',
        "Lead Directorate", required=True, ondelete='RESTRICT',
        states=_states)
    referent = fields.Many2One('company.employee', "Referent Instructor",
        ondelete='RESTRICT', states=_states,
        help="The instructor who answers for the scheme.")
    backup_referent = fields.Many2One('company.employee',
        "Backup Referent Instructor", ondelete='RESTRICT',
        domain=[('id', '!=', Eval('referent', -1))], states=_states)
    team = fields.Many2Many('gru.scheme-company.employee', 'scheme',
        'employee', "Processing Team", states=_states,
        help="The instructors who process the applications.")
    description = fields.Text("Public Description", states=_states,
        help="What the scheme offers, shown to users and agents.")
    opening_date = fields.Date("Opening Date",
        domain=[
            If(Eval('opening_date') & Eval('closing_date'),
                ('opening_date', '<=', Eval('closing_date')),
                ()),
            ], states=_states)
    closing_date = fields.Date("Closing Date",
        domain=[
            If(Eval('opening_date') & Eval('closing_date'),
                ('closing_date', '>=', Eval('opening_date')),
                ()),
            ], states=_states)
    reference_example = fields.Char("Example Dossier Number",
        states=_states,
        help="A dossier number of the scheme as the aid platform gives "
        "it, e.g. AID-2026-00123: the letters are kept, a number like "
        "2026 reads as a year, the other digits as so many digits.")
    reference_format = fields.Function(fields.Char("Dossier Number Format"),
        'on_change_with_reference_format')
    reference_test = fields.Function(fields.Char("Test a Dossier Number",
            help="Type a number to see whether the scheme recognises it."),
        'get_reference_test', setter='set_reference_test')
    reference_test_result = fields.Function(fields.Char("Test Result"),
        'on_change_with_reference_test_result')
    reference_pattern = fields.Char("Dossier Number Pattern",
        states={
            'readonly': (Eval('state') == 'closed')
            | Eval('reference_example'),
            },
        help="Built from the example; without example, a regular "
        "expression written by a specialist, e.g. HDF-[0-9]{4}-[0-9]{6}.")
    reference_link = fields.Char("Dossier Link", states=_states,
        help="The address of a dossier on the aid platform, with "
        "{reference} where the number goes, e.g. "
        "https://aides.hautsdefrance.fr/dossier/{reference}")
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    tasks = fields.One2Many('gru.scheme.task', 'scheme', "Launch Checklist",
        states=_states)
    checklist_progress = fields.Function(fields.Char("Checklist"),
        'on_change_with_checklist_progress')
    criteria = fields.One2Many('gru.scheme.criterion', 'scheme',
        "Eligibility Criteria", states=_states)
    data_fields = fields.One2Many('gru.scheme.data.field', 'scheme',
        "Request Data Fields", states=_states,
        help="The scheme-specific data asked in a request.")
    documents = fields.One2Many('gru.scheme.document', 'scheme',
        "Required Documents", states=_states)
    steps = fields.One2Many('gru.scheme.step', 'scheme', "Processing Steps",
        states=_states)
    templates = fields.One2Many('gru.scheme.template', 'scheme',
        "Answer and Letter Templates", states=_states)
    faqs = fields.One2Many('gru.scheme.faq', 'scheme',
        "FAQ and Key Messages", states=_states)
    comment = fields.Text("Comment")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'gru_scheme.msg_scheme_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]
        cls.__rpc__.update({
                'find_dossier_references': RPC(),
                })
        cls._transitions |= {
            ('draft', 'open'),
            ('open', 'closed'),
            ('closed', 'draft'),
            ('open', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': Eval('state') == 'draft',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'open': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'open',
                    'icon': 'tryton-close',
                    'depends': ['state'],
                    },
                'load_checklist': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-add',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    def get_rec_name(self, name):
        return '[%s] %s' % (self.code, self.name)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('code', operator, value),
            ('name', operator, value),
            ]

    @fields.depends('tasks')
    def on_change_with_checklist_progress(self, name=None):
        tasks = self.tasks or []
        done = sum(1 for t in tasks if t.done)
        return '%d / %d' % (done, len(tasks))

    @fields.depends('reference_example', 'reference_pattern')
    def on_change_reference_example(self):
        if self.reference_example:
            self.reference_pattern = dossier_format.pattern(
                self.reference_example)

    @fields.depends('reference_example')
    def on_change_with_reference_format(self, name=None):
        if self.reference_example:
            return dossier_format.describe(self.reference_example)

    def get_reference_test(self, name):
        return None

    @classmethod
    def set_reference_test(cls, schemes, name, value):
        "The test number is never stored"
        pass

    @fields.depends('reference_test', 'reference_example',
        'reference_pattern')
    def on_change_with_reference_test_result(self, name=None):
        return self.test_reference(self.reference_test)

    def test_reference(self, number):
        "Return '✓ ...' or '✗ reason' for the dossier number typed"
        number = (number or '').strip()
        if not number:
            return None
        if self.reference_example:
            matched, reason = dossier_format.check(
                self.reference_example, number)
        elif self.reference_pattern:
            try:
                matched = bool(re.fullmatch(self.reference_pattern, number))
            except re.error:
                matched = False
            reason = gettext('gru_scheme.msg_reference_check_ok' if matched
                else 'gru_scheme.msg_reference_check_pattern')
        else:
            return gettext('gru_scheme.msg_reference_check_no_format')
        return '%s %s' % ('✓' if matched else '✗', reason)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # the pattern always follows the example
        if values.get('reference_example'):
            values['reference_pattern'] = dossier_format.pattern(
                values['reference_example'])
        return values

    def _checklist_proof(self, kind):
        """Tell whether the data of the scheme proves done a task of kind,
        None when it is ticked by hand; a module adds a kind with a
        _checklist_proof_<kind> method"""
        method = getattr(self, '_checklist_proof_%s' % kind, None)
        if method is not None:
            return bool(method())

    def _checklist_proof_referent(self):
        return self.referent and self.backup_referent

    def _checklist_proof_faq(self):
        return self.faqs

    def _checklist_proof_criteria(self):
        return self.criteria

    @classmethod
    def update_checklist(cls, schemes):
        """Tick the tasks of the schemes being prepared that their data
        proves done (a task once done stays done)"""
        pool = Pool()
        Task = pool.get('gru.scheme.task')
        ticked = []
        for scheme in cls.browse(schemes):
            if scheme.state != 'draft':
                continue
            for task in scheme.tasks:
                if not task.done and scheme._checklist_proof(task.kind):
                    ticked.append(task)
        if ticked:
            Task.write(ticked, {'done': True})

    @classmethod
    def validate_fields(cls, schemes, field_names):
        super().validate_fields(schemes, field_names)
        cls.check_reference_pattern(schemes, field_names)

    @classmethod
    def check_reference_pattern(cls, schemes, field_names=None):
        if field_names and not (
                field_names & {'reference_pattern', 'reference_link'}):
            return
        for scheme in schemes:
            if scheme.reference_pattern:
                try:
                    regex = re.compile(scheme.reference_pattern)
                except re.error as exception:
                    raise SchemeReferencePatternError(gettext(
                            'gru_scheme.msg_scheme_reference_pattern_invalid',
                            scheme=scheme.rec_name,
                            pattern=scheme.reference_pattern,
                            error=str(exception)))
                if regex.fullmatch(''):
                    raise SchemeReferencePatternError(gettext(
                            'gru_scheme.msg_scheme_reference_pattern_empty',
                            scheme=scheme.rec_name,
                            pattern=scheme.reference_pattern))
            if scheme.reference_link:
                try:
                    link = scheme.reference_link.format(reference='X')
                except (KeyError, IndexError, ValueError):
                    link = None
                if (link is None
                        or '{reference}' not in scheme.reference_link
                        or not scheme.reference_link.startswith(
                            ('http://', 'https://'))):
                    raise SchemeReferencePatternError(gettext(
                            'gru_scheme.msg_scheme_reference_link_invalid',
                            scheme=scheme.rec_name,
                            link=scheme.reference_link))

    def reference_regex(self):
        "Return the compiled dossier-number pattern or None"
        if self.reference_pattern:
            return re.compile(self.reference_pattern)

    def reference_url(self, reference):
        "Return the aid platform address of the dossier reference"
        if self.reference_link:
            from urllib.parse import quote
            return self.reference_link.format(
                reference=quote(reference, safe=''))

    @classmethod
    def find_references(cls, text, schemes=None):
        """Return the dossier references found in text as a list of dicts
        {'scheme', 'reference', 'link', 'start', 'end'} in text order.

        The whole match is the reference unless the pattern has a group
        named 'reference'. Without schemes, every scheme with a pattern
        is tried."""
        if not text:
            return []
        if schemes is None:
            schemes = cls.search([('reference_pattern', '!=', None)])
        found, seen = [], set()
        for scheme in schemes:
            regex = scheme.reference_regex()
            if regex is None:
                continue
            for match in regex.finditer(text):
                if 'reference' in regex.groupindex:
                    reference = match.group('reference')
                    start, end = match.span('reference')
                else:
                    reference = match.group(0)
                    start, end = match.span()
                if not reference or (scheme.id, reference) in seen:
                    continue
                seen.add((scheme.id, reference))
                found.append({
                        'scheme': scheme,
                        'reference': reference,
                        'link': scheme.reference_url(reference),
                        'start': start,
                        'end': end,
                        })
        found.sort(key=lambda f: (f['start'], f['scheme'].id))
        return found

    @classmethod
    def find_dossier_references(cls, text):
        """Return the dossier references of text as a list of
        [scheme id, reference, link] (for the client and other modules)"""
        return [[f['scheme'].id, f['reference'], f['link']]
            for f in cls.find_references(text)]

    @classmethod
    def create(cls, vlist):
        schemes = super().create(vlist)
        cls._add_checklist([s for s in schemes if not s.tasks])
        cls._link_criteria(schemes)
        cls.update_checklist(schemes)
        return schemes

    @classmethod
    def write(cls, *args):
        super().write(*args)
        schemes = sum(args[0:None:2], [])
        cls._link_criteria(schemes)
        cls.update_checklist(schemes)

    @classmethod
    def _link_criteria(cls, schemes):
        "Link the criteria to the request data saved with them"
        Criterion = Pool().get('gru.scheme.criterion')
        Criterion.link_data_fields(
            [c for s in cls.browse(schemes) for c in s.criteria])

    @classmethod
    def _add_checklist(cls, schemes):
        "Add to schemes the tasks of the checklist templates they lack"
        pool = Pool()
        Template = pool.get('gru.scheme.checklist.template')
        Task = pool.get('gru.scheme.task')
        templates = Template.search([])
        to_create = []
        for scheme in schemes:
            existing = {t.template.id for t in scheme.tasks if t.template}
            for template in templates:
                if template.id in existing:
                    continue
                values = template._task_values()
                values['scheme'] = scheme.id
                to_create.append(values)
        if to_create:
            Task.create(to_create)
            cls.update_checklist(schemes)

    @classmethod
    def copy(cls, schemes, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('code', lambda data: data['code'] + ' (2)')
        default.setdefault('tasks', None)
        default.setdefault('opening_date', None)
        default.setdefault('closing_date', None)
        return super().copy(schemes, default=default)

    @classmethod
    @ModelView.button
    def load_checklist(cls, schemes):
        cls._add_checklist(schemes)

    def missing_for_opening(self):
        "Return the list of the human labels of what prevents opening"
        self.update_checklist([self])
        self = self.__class__(self.id)
        missing = []
        if not self.referent:
            missing.append(gettext('gru_scheme.msg_scheme_missing_referent'))
        if not self.tasks:
            missing.append(gettext('gru_scheme.msg_scheme_missing_checklist'))
        for task in self.tasks:
            if not task.done:
                missing.append('%s: %s' % (task.actor.name, task.name))
        return missing

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, schemes):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def open(cls, schemes):
        for scheme in schemes:
            missing = scheme.missing_for_opening()
            if missing:
                raise SchemeOpenError(gettext(
                        'gru_scheme.msg_scheme_open_incomplete',
                        scheme=scheme.rec_name,
                        missing='; '.join(missing)))
        today = Pool().get('ir.date').today()
        cls.write([s for s in schemes if not s.opening_date], {
                'opening_date': today,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, schemes):
        today = Pool().get('ir.date').today()
        cls.write([s for s in schemes
                if not s.closing_date or s.closing_date > today], {
                'closing_date': today,
                })

    def evaluate_eligibility(self, party, data=None, date=None):
        """Evaluate the eligibility criteria for party and the request data
        (see eligibility.evaluate_eligibility)"""
        from .eligibility import evaluate_eligibility
        return evaluate_eligibility(self, party, data=data, date=date)

    def is_open_at(self, date=None):
        "Tell whether the scheme accepts applications at date"
        if date is None:
            date = Pool().get('ir.date').today()
        return (self.state == 'open'
            and (not self.opening_date or self.opening_date <= date)
            and (not self.closing_date or date <= self.closing_date))


class SchemeEmployee(ModelSQL):
    "Scheme Processing Team Member"
    __string__ = "Scheme Processing Team Member"
    __name__ = 'gru.scheme-company.employee'

    scheme = fields.Many2One('gru.scheme', "Scheme", required=True,
        ondelete='CASCADE')
    employee = fields.Many2One('company.employee', "Employee",
        required=True, ondelete='CASCADE')


class Task(sequence_ordered(), ModelSQL, ModelView):
    "Scheme Launch Task"
    __string__ = "Scheme Launch Task"
    __name__ = 'gru.scheme.task'

    scheme = fields.Many2One('gru.scheme', "Scheme", required=True,
        ondelete='CASCADE')
    actor = fields.Many2One('gru.scheme.actor', "Actor", required=True,
        ondelete='RESTRICT')
    name = fields.Char("Task", required=True)
    description = fields.Text("Description")
    template = fields.Many2One('gru.scheme.checklist.template', "Template",
        readonly=True, ondelete='SET NULL')
    kind = fields.Function(fields.Selection('get_kinds', "Ticked"),
        'on_change_with_kind')
    done = fields.Boolean("Done",
        states={
            'readonly': Eval('kind', 'manual') != 'manual',
            },
        help="Ticked by hand, or from the data of the scheme when it "
        "proves the task done (see \"Ticked\").")
    done_date = fields.Date("Done On",
        states={
            'invisible': ~Eval('done'),
            })
    done_by = fields.Many2One('res.user', "Done By", readonly=True,
        states={
            'invisible': ~Eval('done'),
            })
    comment = fields.Text("Comment")

    @staticmethod
    def default_done():
        return False

    @classmethod
    def get_kinds(cls):
        Template = Pool().get('gru.scheme.checklist.template')
        return Template.fields_get(['kind'])['kind']['selection']

    @fields.depends('template', '_parent_template.kind')
    def on_change_with_kind(self, name=None):
        return self.template.kind if self.template else 'manual'

    @fields.depends('done', 'done_date')
    def on_change_done(self):
        if self.done and not self.done_date:
            self.done_date = Pool().get('ir.date').today()
        elif not self.done:
            self.done_date = None

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'done' in values:
            if values['done']:
                values.setdefault('done_by', Transaction().user or None)
                if not values.get('done_date'):
                    values['done_date'] = Pool().get('ir.date').today()
            else:
                values['done_by'] = None
                values['done_date'] = None
        return values

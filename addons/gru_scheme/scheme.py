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

from .exceptions import SchemeOpenError, SchemeReferencePatternError

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
    reference_pattern = fields.Char("Dossier Number Pattern",
        states=_states,
        help="A regular expression matching the dossier numbers of the "
        "scheme, e.g. HDF-[0-9]{4}-[0-9]{6}.")
    reference_link = fields.Char("Dossier Link", states=_states,
        help="The address of a dossier on the aid platform, with "
        "{reference} where the number goes, e.g. "
        "https://aides.hautsdefrance.fr/dossier/{reference}")
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    tasks = fields.One2Many('gru.scheme.task', 'scheme', "Launch Checklist",
        states=_states)
    checklist_progress = fields.Function(fields.Char("Checklist"),
        'get_checklist_progress')
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

    def get_checklist_progress(self, name):
        done = sum(1 for t in self.tasks if t.done)
        return '%d / %d' % (done, len(self.tasks))

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
        return schemes

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
    done = fields.Boolean("Done")
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

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The comparison of two staff plans."
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .analysis import CHANGE_KINDS, PlanData, compare_plans
from .exceptions import CompareError
from .output import committee_docx, describe_change, msg


def compare(old_plan, new_plan):
    "Return the changes from old_plan to new_plan (see compare_plans)"
    if old_plan == new_plan:
        raise CompareError(gettext('gru_staff.msg_compare_same',
                plan=new_plan.rec_name))
    return compare_plans(PlanData(old_plan), PlanData(new_plan))


def format_summary(comparison):
    """Return the summary of a comparison as text: the totals, then a
    line per department with its changes by kind (the changes it has), and
    the total line. Lines rather than a table: the result form and the
    clients show the text in a proportional font, where padded columns do
    not line up."""
    def counts(values):
        return ' · '.join(msg('summary_count', kind=msg('kind_%s' % k),
                count=values.get(k, 0))
            for k in CHANGE_KINDS if values.get(k, 0)) or '-'
    lines = [msg('comparison_totals', old=comparison['old_total'],
            new=comparison['new_total']), '']
    for department, values in sorted(comparison['summary'].items(),
            key=lambda d: d[0] or ''):
        lines.append(msg('summary_line',
                department=department or msg('not_placed'),
                counts=counts(values)))
    lines.append(msg('summary_line', department=msg('total'),
            counts=counts(comparison['totals'])))
    units = comparison['units']
    lines.append('')
    for kind in ['created', 'removed']:
        if units[kind]:
            lines.append(msg('units_%s' % kind,
                    units=', '.join(units[kind])))
    if units['renamed']:
        lines.append(msg('units_renamed', units=', '.join(
                    '%s → %s' % r for r in units['renamed'])))
    return '\n'.join(lines)


def format_changes(comparison):
    "Return the changes of a comparison as text, grouped by department"
    lines = []
    department = object()
    for change in comparison['changes']:
        if change['department'] != department:
            department = change['department']
            if lines:
                lines.append('')
            lines.append(department or msg('not_placed'))
        lines.append('- ' + describe_change(change))
    return '\n'.join(lines)


class CompareStart(ModelView):
    "Compare Staff Plans"
    __name__ = 'gru.staff.plan.compare.start'

    old_plan = fields.Many2One('gru.staff.plan', "Old Plan", required=True,
        domain=[('id', '!=', Eval('new_plan', -1))])
    new_plan = fields.Many2One('gru.staff.plan', "New Plan", required=True)


class CompareResult(ModelView):
    "Compare Staff Plans"
    __name__ = 'gru.staff.plan.compare.result'

    old_plan = fields.Many2One('gru.staff.plan', "Old Plan", readonly=True)
    new_plan = fields.Many2One('gru.staff.plan', "New Plan", readonly=True)
    summary = fields.Text("Summary", readonly=True)
    changes = fields.Text("Changes", readonly=True)
    report = fields.Binary("Report", filename='report_name', readonly=True)
    report_name = fields.Char("Report Name", readonly=True)


class Compare(Wizard):
    "Compare Staff Plans"
    __name__ = 'gru.staff.plan.compare'

    start = StateView('gru.staff.plan.compare.start',
        'gru_staff.plan_compare_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Compare", 'compare', 'tryton-ok', default=True),
            ])
    compare = StateTransition()
    result = StateView('gru.staff.plan.compare.result',
        'gru_staff.plan_compare_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        context = Transaction().context
        values = {}
        if context.get('active_model') == Plan.__name__:
            plan = Plan(context['active_id'])
            values['new_plan'] = plan.id
            if plan.previous:
                values['old_plan'] = plan.previous.id
        return values

    def transition_compare(self):
        return 'result'

    def default_result(self, fields):
        old, new = self.start.old_plan, self.start.new_plan
        comparison = compare(old, new)
        return {
            'old_plan': old.id,
            'new_plan': new.id,
            'summary': format_summary(comparison),
            'changes': format_changes(comparison),
            'report': committee_docx(PlanData(new), PlanData(old)),
            'report_name': '%s.docx' % new.name,
            }

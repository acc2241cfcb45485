# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Outputs of a staff plan: the staffing table (xlsx), the report to the
comité technique (docx) and the org chart (SVG and PNG through Graphviz)."""
import io
import math
import shutil
import subprocess
from collections import Counter, defaultdict
from html import escape

import xlsxwriter
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.report import Report

from .analysis import (
    CHANGE_KINDS, PlanData, check_plan, compare_plans, planning_dates,
    recruitment_needs, staffing_timeline)
from .exceptions import OrgChartError


class Labels:
    "The translated labels of the fields and selections used in outputs"

    def __init__(self):
        pool = Pool()
        Position = pool.get('gru.staff.position')
        Unit = pool.get('gru.staff.unit')
        Plan = pool.get('gru.staff.plan')
        self.position = Position.fields_get()
        self.unit = Unit.fields_get()
        self.plan = Plan.fields_get()

    def field(self, name, model='position'):
        return getattr(self, model)[name]['string']

    def selection(self, name, value, model='position'):
        return dict(getattr(self, model)[name]['selection']).get(
            value, value or '')


def msg(name, **kwargs):
    return gettext('gru_staff.msg_out_%s' % name, **kwargs)


POSITION_COLUMNS = ['code', 'title', 'category', 'job_family',
    'management_level', 'fte', 'unit', 'status', 'occupant',
    'occupant_start', 'occupant_end']


def _position_row(data, labels, position):
    row = []
    for name in POSITION_COLUMNS:
        if name in {'category', 'management_level', 'status'}:
            value = labels.selection(name, position[name])
        elif name == 'unit':
            value = data.unit_name(position['unit'])
            if position['extra']:
                value += ' + ' + ', '.join('%s (%s)' % (
                        data.unit_name(u), s) for u, s in position['extra'])
        elif name == 'occupant':
            value = position['occupant_name']
        elif name == 'fte':
            value = float(position['fte'] or 0)
        else:
            value = position[name]
        row.append(value)
    return row


def staffing_xlsx(data, labels=None):
    "Return the staffing table of the PlanData as xlsx bytes"
    labels = labels or Labels()
    checks = check_plan(data)
    content = io.BytesIO()
    book = xlsxwriter.Workbook(content, {
            'in_memory': True, 'default_date_format': 'dd/mm/yyyy'})
    title = book.add_format({'bold': True, 'font_size': 14})
    header = book.add_format({'bold': True, 'bg_color': '#D9E1F2',
            'border': 1, 'text_wrap': True, 'valign': 'top'})
    cell = book.add_format({'border': 1, 'valign': 'top',
            'text_wrap': True})
    date = book.add_format({'border': 1, 'valign': 'top',
            'num_format': 'dd/mm/yyyy'})
    total = book.add_format({'bold': True, 'border': 1, 'bg_color': '#F2F2F2'})
    warn = book.add_format({'border': 1, 'font_color': '#C00000',
            'bold': True})
    used_names = set()

    def sheet(name):
        base = ''.join(c for c in name if c not in '[]:*?/\\')
        if len(base) > 28:
            # at most 31 characters, a number added to a duplicate: cut
            # at a word and say so rather than in the middle of a word
            base = base[:27].rsplit(' ', 1)[0] + '…'
        name, i = base, 1
        while name.lower() in used_names:
            i += 1
            name = '%s %d' % (base[:25], i)
        used_names.add(name.lower())
        ws = book.add_worksheet(name)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_header('&L%s&R%s' % (data.name.replace('&', '&&'),
                '&D'))
        ws.set_footer('&C&P / &N')
        return ws

    def table(ws, row, headers, rows, widths=None, formats=None):
        ws.write_row(row, 0, headers, header)
        for j, width in enumerate(widths or []):
            ws.set_column(j, j, width)
        for values in rows:
            row += 1
            for j, value in enumerate(values):
                fmt = (formats or {}).get(j, cell)
                if hasattr(value, 'isoformat'):
                    ws.write_datetime(row, j, value, date)
                elif value is None:
                    ws.write_blank(row, j, None, fmt)
                else:
                    ws.write(row, j, value, fmt)
        return row

    # Summary
    ws = sheet(msg('summary'))
    ws.write(0, 0, data.name, title)
    ws.write(1, 0, '%s: %s' % (labels.field('reference_date', 'plan'),
            data.reference_date.strftime('%d/%m/%Y')))
    if data.approving_body:
        ws.write(2, 0, '%s: %s' % (labels.field('approving_body', 'plan'),
                data.approving_body))
    rows = [
        [msg('authorised'), checks['authorised']],
        [msg('positions'), checks['headcount']],
        [msg('placed'), checks['placed']],
        [msg('unplaced'), len(checks['unplaced'])],
        [msg('shared'), len(checks['shared'])],
        [msg('vacancies'), len(checks['vacancies'])],
        [labels.field('fte'), float(checks['fte'])],
        ]
    row = table(ws, 4, [msg('figure'), msg('value')], rows, [48, 14])
    row += 2
    rows = [[labels.selection('category', c), checks['by_category'][c]]
        for c in sorted(checks['by_category'])]
    rows.append([msg('total'), checks['headcount']])
    row = table(ws, row, [labels.field('category'), msg('positions')], rows,
        formats={})
    ws.set_row(row, None, total)
    row += 2
    rows = [[f, n] for f, n in sorted(checks['by_job_family'].items())]
    row = table(ws, row, [labels.field('job_family'), msg('positions')],
        rows)
    row += 2
    rows = [[a['title'] or a['job_family'] or '',
            data.unit_name(a['unit']) or '', a['quantity'], a['placed'],
            a['gap']] for a in checks['authorisations']]
    if rows:
        row = table(ws, row, [msg('authorisation'),
                labels.field('unit'), msg('authorised'), msg('placed'),
                msg('gap')], rows, formats={4: warn} if any(
                a['gap'] for a in checks['authorisations']) else None)
        row += 2
    if checks['units_without_manager']:
        ws.write(row, 0, msg('no_manager'), warn)
        for unit_id in checks['units_without_manager']:
            row += 1
            ws.write(row, 0, data.unit_name(unit_id))
        row += 2

    headers = [labels.field(n) for n in POSITION_COLUMNS]
    widths = [8, 40, 6, 36, 20, 6, 40, 12, 28, 12, 12]

    # A sheet per department
    for section in data.sections():
        positions = data.section_positions(section)
        ws = sheet(data.unit_name(section))
        ws.write(0, 0, data.unit_name(section), title)
        ws.repeat_rows(2)
        rows = []
        order = {u: i for i, (u, _) in enumerate(data.walk())}
        positions.sort(key=lambda p: (order.get(p['unit'], 0),
                p['category'], p['title'], p['id']))
        for position in positions:
            rows.append(_position_row(data, labels, position))
        row = table(ws, 2, headers, rows, widths)
        row += 1
        ws.write(row, 0, msg('total'), total)
        ws.write(row, 1, len(positions), total)
        counts = Counter(p['category'] for p in positions)
        for category in sorted(counts):
            row += 1
            ws.write(row, 0, labels.selection('category', category))
            ws.write(row, 1, counts[category])
        ws.autofilter(2, 0, 2 + len(rows), len(headers) - 1)

    # Not placed
    unplaced = [data.positions[i] for i in checks['unplaced']]
    if unplaced:
        ws = sheet(msg('unplaced'))
        ws.repeat_rows(0)
        table(ws, 0, headers, [_position_row(data, labels, p)
                for p in unplaced], widths)

    # Vacancies and recruitment needs
    ws = sheet(msg('vacancies'))
    ws.repeat_rows(0)
    needs = recruitment_needs(data)

    def reason(need):
        if need['reason'] == 'leaving':
            return msg('leaving')
        return labels.selection('status', need['reason'])
    rows = [[n['date'], n['title'], n['category'], n['unit'], reason(n),
            n['occupant']] for n in needs]
    table(ws, 0, [msg('need_date'), labels.field('title'),
            labels.field('category'), labels.field('unit'), msg('reason'),
            labels.field('occupant')], rows, [12, 40, 8, 40, 16, 28])

    # Staffing over time
    ws = sheet(msg('timeline'))
    timeline = staffing_timeline(data, planning_dates(data.reference_date, 24))
    table(ws, 0, [msg('month'), msg('positions'), msg('occupied'),
            msg('vacancies'), msg('leaving')],
        [[r['date'], r['posts'], r['occupied'], r['vacant'], r['leaving']]
            for r in timeline], [12, 12, 12, 12, 12])
    book.close()
    return content.getvalue()


def _docx_table(document, headers, rows):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = 'Table Grid'
    for cell, value in zip(table.rows[0].cells, headers):
        cell.text = str(value)
        for run in cell.paragraphs[0].runs:
            run.font.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values):
            if value is None:
                value = ''
            elif hasattr(value, 'strftime'):
                value = value.strftime('%d/%m/%Y')
            cell.text = str(value)
    return table


def committee_docx(data, previous=None, labels=None):
    """Return the report to the comité technique on the PlanData as docx
    bytes, with the comparison to the previous PlanData when given"""
    labels = labels or Labels()
    checks = check_plan(data)
    document = Document()
    style = document.styles['Normal']
    style.font.name = 'Calibri'
    style.font.size = Pt(10)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = (
        section.page_height, section.page_width)
    for side in ['left_margin', 'right_margin']:
        setattr(section, side, Cm(1.5))

    document.add_heading(data.name, 0)
    if data.approving_body:
        document.add_paragraph(data.approving_body)
    document.add_paragraph('%s: %s' % (
            labels.field('reference_date', 'plan'),
            data.reference_date.strftime('%d/%m/%Y')))

    document.add_heading(msg('summary'), 1)
    _docx_table(document, [msg('figure'), msg('value')], [
            [msg('authorised'), checks['authorised']],
            [msg('positions'), checks['headcount']],
            [msg('placed'), checks['placed']],
            [msg('shared'), len(checks['shared'])],
            [msg('vacancies'), len(checks['vacancies'])],
            ] + [[labels.selection('category', c), checks['by_category'][c]]
            for c in sorted(checks['by_category'])])
    if checks['authorisation_gaps'] or checks['unplaced']:
        document.add_heading(msg('checks'), 2)
        for line in checks['authorisation_gaps']:
            document.add_paragraph(gettext(
                    'gru_staff.msg_check_authorisation_gap',
                    job=line['title'] or line['job_family'] or '',
                    authorised=line['quantity'], placed=line['placed']),
                style='List Bullet')
        for position_id in checks['unplaced']:
            position = data.positions[position_id]
            document.add_paragraph(gettext('gru_staff.msg_check_unplaced',
                    position='%s (%s)' % (position['title'],
                        position['category'])), style='List Bullet')

    headers = [labels.field(n) for n in
        ['title', 'category', 'job_family', 'unit', 'status']]
    for section_id in data.sections():
        positions = data.section_positions(section_id)
        document.add_heading(data.unit_name(section_id), 1)
        by_unit = defaultdict(list)
        for position in positions:
            by_unit[position['unit']].append(position)
        for unit_id, depth in [(section_id, 0)] + list(
                data.walk(section_id)):
            if data.department(unit_id) != section_id:
                continue
            unit_positions = by_unit.get(unit_id)
            if not unit_positions:
                continue
            counts = Counter((p['title'], p['category'])
                for p in unit_positions)
            document.add_heading('%s (%s)' % (data.unit_name(unit_id),
                    len(unit_positions)), min(2 + depth, 4))
            rows = []
            for (title, category), count in sorted(counts.items()):
                sample = next(p for p in unit_positions
                    if (p['title'], p['category']) == (title, category))
                shared = ', '.join(data.unit_name(u)
                    for u, _ in sample['extra'])
                rows.append(['%s × %s' % (count, title), category,
                        sample['job_family'] or '',
                        shared and msg('shared_with', units=shared) or '',
                        ', '.join(sorted({labels.selection('status',
                                        p['status'])
                                    for p in unit_positions
                                    if (p['title'], p['category'])
                                    == (title, category)}))])
            _docx_table(document, headers, rows)
        document.add_paragraph(msg('section_total', count=len(positions)))

    if previous is not None:
        comparison = compare_plans(previous, data)
        document.add_heading(msg('comparison', plan=previous.name), 1)
        document.add_paragraph(msg('comparison_totals',
                old=comparison['old_total'], new=comparison['new_total']))
        kinds = [msg('kind_%s' % k) for k in CHANGE_KINDS]
        rows = []
        for department, counts in sorted(comparison['summary'].items()):
            rows.append([department or msg('not_placed')]
                + [counts.get(k, 0) for k in CHANGE_KINDS])
        rows.append([msg('total')]
            + [comparison['totals'][k] for k in CHANGE_KINDS])
        _docx_table(document, [msg('department')] + kinds, rows)
        for letter, (department, changes) in zip(
                'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                _group_changes(comparison['changes'])):
            document.add_heading('%s. %s' % (
                    letter, department or msg('not_placed')), 2)
            for change in changes:
                document.add_paragraph(describe_change(change),
                    style='List Bullet')
        units = comparison['units']
        for kind in ['created', 'removed']:
            if units[kind]:
                document.add_paragraph(msg('units_%s' % kind,
                        units=', '.join(units[kind])))
        if units['renamed']:
            document.add_paragraph(msg('units_renamed', units=', '.join(
                        '%s → %s' % r for r in units['renamed'])))
    content = io.BytesIO()
    document.save(content)
    return content.getvalue()


def _group_changes(changes):
    groups = defaultdict(list)
    for change in changes:
        groups[change['department']].append(change)
    return sorted(groups.items(), key=lambda g: g[0] or '\uffff')


def describe_change(change):
    "Return a sentence describing a change of the comparison"
    kind = change['kind']
    not_placed = msg('not_placed')
    values = {
        'old': change['old_label'], 'new': change['new_label'],
        'old_unit': change['old_unit'] or not_placed,
        'new_unit': change['new_unit'] or not_placed,
        'units': ', '.join(change.get('shared_units') or []),
        }
    text = msg('change_%s' % kind, **values)
    if kind == 'transformed' and change['moved']:
        text += ' ' + msg('change_and_moved', **values)
    if kind in {'transformed', 'moved', 'created'} and change['shared']:
        text += ' ' + msg('change_and_shared', **values)
    return text


def org_chart_dot(data):
    "Return the Graphviz source of the org chart of the PlanData"
    posts = defaultdict(Counter)
    shared = []
    for position in data.positions.values():
        key = (position['title'], position['category'])
        posts[position['unit']][key] += 1
        for unit_id, share in position['extra']:
            shared.append((position['unit'], unit_id, position['title']))
    lines = [
        'digraph staff_plan {',
        '  graph [rankdir=TB, splines=ortho, nodesep=0.3, ranksep=0.6, '
        'fontname="DejaVu Sans", label=<%s>, labelloc=t, fontsize=20];'
        % escape(data.name),
        '  node [shape=plain, fontname="DejaVu Sans", fontsize=10];',
        '  edge [arrowhead=none, color="#555555", fontname="DejaVu Sans"];',
        ]

    def node_label(unit_id, name, counts):
        rows = ['<tr><td bgcolor="#1F4E79"><font color="white"><b>%s'
            '</b> (%d)</font></td></tr>' % (escape(name),
                sum(counts.values()))]
        for (title, category), count in sorted(counts.items()):
            rows.append('<tr><td align="left">%d × %s (%s)</td></tr>' % (
                    count, escape(title), escape(category)))
        return ('<<table border="1" cellborder="0" cellspacing="0" '
            'cellpadding="3" bgcolor="#F5F8FC">%s</table>>' % ''.join(rows))

    for unit_id, _ in data.walk():
        lines.append('  u%d [label=%s];' % (unit_id,
                node_label(unit_id, data.unit_name(unit_id),
                    posts.get(unit_id, Counter()))))
        parent = data.units[unit_id]['parent']
        if parent:
            lines.append('  u%d -> u%d;' % (parent, unit_id))
    # stack the children of a wide unit (the antennas) in rows
    for unit_id in [None] + list(data.units):
        children = data.children(unit_id)
        if len(children) > 6:
            width = max(4, math.ceil(math.sqrt(len(children))))
            for first, second in zip(children, children[width:]):
                lines.append('  u%d -> u%d [style=invis];' % (first, second))
    if posts.get(None):
        lines.append('  unplaced [label=%s];' % node_label(
                None, msg('not_placed'), posts[None]).replace(
                '#1F4E79', '#C00000'))
    seen = Counter()
    for main, extra, title in shared:
        seen[(main, extra, title)] += 1
    for (main, extra, title), count in sorted(seen.items(),
            key=lambda s: (s[0][0] or 0, s[0][1], s[0][2])):
        source = 'u%d' % main if main else 'unplaced'
        lines.append('  %s -> u%d [style=dashed, color="#C55A11", '
            'constraint=false, dir=forward, arrowhead=normal, '
            'xlabel=<%s>, fontsize=8, fontcolor="#C55A11"];' % (
                source, extra, escape('%s%s' % (
                        '%d × ' % count if count > 1 else '',
                        msg('shared_post', title=title)))))
    lines.append('}')
    return '\n'.join(lines)


def render_org_chart(data, timeout=120):
    "Return (svg, png) bytes of the org chart of the PlanData"
    dot = shutil.which('dot')
    if not dot:
        raise OrgChartError(gettext('gru_staff.msg_org_chart_no_dot'))
    source = org_chart_dot(data).encode('utf-8')
    results = []
    for fmt in ['svg', 'png']:
        process = subprocess.run([dot, '-T%s' % fmt], input=source,
            capture_output=True, timeout=timeout)
        if process.returncode or not process.stdout:
            raise OrgChartError(gettext('gru_staff.msg_org_chart_failed',
                    error=process.stderr.decode('utf-8', 'replace')[:500]))
        results.append(process.stdout)
    return tuple(results)


class PlanReportMixin:
    "A report that builds its file itself instead of from a template"

    @classmethod
    def _execute(cls, records, header, data, action):
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        plan = Plan(records[0].id)
        return cls.render_plan(plan)

    @classmethod
    def render_plan(cls, plan):
        raise NotImplementedError


class StaffingTable(PlanReportMixin, Report):
    "Staffing Table"
    __name__ = 'gru.staff.plan.staffing_table'

    @classmethod
    def render_plan(cls, plan):
        return 'xlsx', staffing_xlsx(PlanData(plan))


class CommitteeReport(PlanReportMixin, Report):
    "Report to the Comité Technique"
    __name__ = 'gru.staff.plan.committee_report'

    @classmethod
    def render_plan(cls, plan):
        previous = PlanData(plan.previous) if plan.previous else None
        return 'docx', committee_docx(PlanData(plan), previous)


class OrgChartReport(PlanReportMixin, Report):
    "Org Chart"
    __name__ = 'gru.staff.plan.org_chart'

    @classmethod
    def render_plan(cls, plan):
        svg, _ = render_org_chart(PlanData(plan))
        return 'svg', svg

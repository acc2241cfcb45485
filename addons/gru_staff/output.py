# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Outputs of a staff plan: the staffing table (xlsx), the report to the
comité technique (docx) and the org chart (SVG and PNG through Graphviz)."""
import io
import textwrap
from collections import Counter, defaultdict

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
from .orgchart import (  # noqa: F401
    antenna_columns, antenna_departments, antenna_groups, network_totals,
    org_chart_dot, org_chart_layout, render_org_chart)
from .wording import (  # noqa: F401
    count_msg, format_number, french_elision, label_value, msg)


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


def wrapped_lines(text, width):
    "Return the number of lines of text wrapped in a column of width chars"
    return sum(max(1, len(textwrap.wrap(line, max(1, int(width)))))
        for line in str(text).split('\n'))


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
            'bold': True, 'valign': 'top'})
    bold = book.add_format({'bold': True})
    used_names = set()
    column_widths = {}

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
        widths = widths or column_widths.get(ws.name) or []
        column_widths[ws.name] = widths
        for j, width in enumerate(widths):
            ws.set_column(j, j, width)

        def height(values):
            # the wrapped texts fit their cells: 15 points a line
            lines = [wrapped_lines(v, widths[j] * 1.1 if j < len(widths)
                    else 10) for j, v in enumerate(values)
                if isinstance(v, str)]
            return 15 * max(lines or [1])
        ws.write_row(row, 0, headers, header)
        ws.set_row(row, height(headers))
        for values in rows:
            row += 1
            ws.set_row(row, height(values))
            for j, value in enumerate(values):
                fmt = (formats or {}).get(j, cell)
                if callable(fmt):
                    fmt = fmt(value)
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
    ws.write(1, 0, label_value(labels.field('reference_date', 'plan'),
            data.reference_date.strftime('%d/%m/%Y')))
    if data.approving_body:
        ws.write(2, 0, label_value(labels.field('approving_body', 'plan'),
                data.approving_body))
    rows = [
        [msg('authorised'), checks['authorised']],
        [msg('positions'), checks['headcount']],
        [msg('placed'), checks['placed']],
        [msg('unplaced'), len(checks['unplaced'])],
        [msg('shared'), len(checks['shared'])],
        [msg('vacancies'), len(checks['vacancies'])],
        [labels.field('fte'), msg('fte_count',
                count=format_number(checks['fte']))],
        ]
    row = table(ws, 4, [msg('figure'), msg('value')], rows,
        [48, 36, 14, 14, 10])
    row += 2
    rows = [[labels.selection('category', c), checks['by_category'][c]]
        for c in sorted(checks['by_category'])]
    rows.append([msg('total'), checks['headcount']])
    row = table(ws, row, [labels.field('category'), msg('positions')], rows,
        formats={0: lambda v: total if v == msg('total') else cell,
            1: lambda v: cell})
    ws.write(row, 0, rows[-1][0], total)
    ws.write(row, 1, rows[-1][1], total)
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
                msg('gap')], rows,
            # only the gaps are in red, not the zeros
            formats={4: lambda v: warn if v else cell})
        row += 2
    if checks['units_without_manager']:
        ws.write(row, 0, msg('no_manager'), bold)
        for unit_id in checks['units_without_manager']:
            row += 1
            ws.write(row, 0, data.unit_name(unit_id))
        row += 2

    headers = [labels.field(n) for n in POSITION_COLUMNS]
    widths = [8, 40, 11, 36, 20, 8, 40, 12, 28, 12, 12]

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


def _docx_table(document, headers, rows, widths=None):
    "Add a table with a bold header row, widths in cm"
    table = document.add_table(rows=1, cols=len(headers))
    table.style = 'Table Grid'
    table.autofit = not widths
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
    if widths:
        # the grid (read by LibreOffice) and the cells (read by Word)
        for column, width in zip(table.columns, widths):
            column.width = Cm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Cm(width)
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
    document.add_paragraph(label_value(
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
            for c in sorted(checks['by_category'])], [10, 4])
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
    departments = antenna_departments(data)
    for section_id in data.sections():
        positions = data.section_positions(section_id)
        document.add_heading(data.unit_name(section_id), 1)
        by_unit = defaultdict(list)
        for position in positions:
            by_unit[position['unit']].append(position)
        for unit_id, depth in [(section_id, 0)] + ordered_walk(
                data, section_id, departments):
            if data.department(unit_id) != section_id:
                continue
            unit_positions = by_unit.get(unit_id)
            if data.units[unit_id]['kind'] == 'network':
                # the totals of the antennas as the report prints them
                totals = network_totals(data, unit_id)
                document.add_heading('%s (%s)' % (data.unit_name(unit_id),
                        sum(t[0] for t in totals)), min(2 + depth, 4))
                _docx_table(document, [msg('count'), labels.field('title'),
                        labels.field('category'), msg('placed')], [
                        [count, title, category, placed]
                        for count, title, category, placed in totals],
                    [2.5, 12, 3, 4])
            if not unit_positions:
                continue

            # a row per job and units shared with: a shared post is not
            # counted with the unshared posts of the same job
            def job(p):
                return (p['title'], p['category'],
                    tuple(u for u, _ in p['extra']))
            counts = Counter(job(p) for p in unit_positions)
            document.add_heading('%s (%s)' % (data.unit_name(unit_id),
                    len(unit_positions)), min(2 + depth, 4))
            rows = []
            for key, count in sorted(counts.items(),
                    key=lambda c: (c[0][0], c[0][1], len(c[0][2]))):
                title, category, extra = key
                same = [p for p in unit_positions if job(p) == key]
                shared = ', '.join(data.unit_name(u) for u in extra)
                unit_text = data.unit_name(unit_id)
                if shared:
                    unit_text += ', ' + msg('shared_with', units=shared)
                rows.append(['%s × %s' % (count, title), category,
                        same[0]['job_family'] or '', unit_text,
                        ', '.join(sorted({labels.selection('status',
                                        p['status']) for p in same}))])
            _docx_table(document, headers, rows, [6, 2.5, 5.5, 7.5, 3.4])
        document.add_paragraph(count_msg('section_total', len(positions)))

    if previous is not None:
        comparison = compare_plans(previous, data)
        document.add_heading(msg('comparison', plan=previous.name), 1)
        _docx_table(document, [msg('figure'), msg('before'), msg('after')], [
                [msg('positions'), comparison['old_total'],
                    comparison['new_total']],
                [msg('authorised'), previous.authorised_posts,
                    data.authorised_posts]], [10, 4, 4])
        document.add_paragraph()
        kinds = [msg('kind_%s' % k) for k in CHANGE_KINDS]
        rows = []
        for department, counts in sorted(comparison['summary'].items()):
            rows.append([department or msg('not_placed')]
                + [counts.get(k, 0) for k in CHANGE_KINDS])
        rows.append([msg('total')]
            + [comparison['totals'][k] for k in CHANGE_KINDS])
        _docx_table(document, [msg('department')] + kinds, rows,
            [9.4] + [3] * len(kinds))
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


def ordered_walk(data, unit_id, departments=None):
    """Return data.walk(unit_id) with the units of a network ordered by
    department and shared manager"""
    result = []
    for child in data.children(unit_id):
        depth = 0
        result.append((child, depth))
        if data.units[child]['kind'] == 'network':
            for group in antenna_groups(data, data.children(child),
                    departments):
                for sub in group:
                    result.append((sub, 1))
                    result.extend((u, d + 2) for u, d in data.walk(sub))
        else:
            result.extend((u, d + 1) for u, d in ordered_walk(
                    data, child, departments))
    return result


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

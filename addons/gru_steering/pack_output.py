# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The files of the monthly steering pack: the workbook (xlsxwriter, one
sheet per topic with native charts on the sheet data) and the management
summary (python-docx, the charts drawn by matplotlib), in French formats:
"1 234", "85,3 %", "97 ETP", "janv. 2026"."""
import io

import xlsxwriter
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from trytond.i18n import gettext
from trytond.transaction import Transaction

from gru_inbox.reporting import channel_color
from gru_staff.output import _docx_table, wrapped_lines
from gru_staff.wording import french_elision, label_value

# the narrow no-break space between thousands and before a unit, as
# gru_staff.wording.format_number
NNBSP = '\u202f'
DASH = '–'
# the colours of the time shares: those of the channels in every graph
SHARE_COLORS = {
    'phone_share': channel_color('phone'),
    'counter_share': channel_color('counter'),
    'other_share': channel_color('other'),
    }
ACCENT = '#1F4E79'
SECOND = '#C55A11'
# xlsx number formats: separators shown as the reader's locale has them
# (a French spreadsheet shows "1 234,5" and "85,3 %")
XLSX_FORMATS = {
    'int': '#,##0',
    'dec1': '#,##0.0',
    'dec2': '#,##0.00',
    'dec3': '0.000',
    'pct': '0.0 %',
    }


# French formats

def number(value, digits=0):
    """Return the number written the French way with digits decimals:
    1 234,5 (narrow no-break space between thousands, decimal comma); a
    dash for None"""
    if value is None:
        return DASH
    text = '{:,.{}f}'.format(float(value), digits)
    if text.startswith('-') and not text.strip('-0.,'):
        text = text[1:]
    return text.replace(',', NNBSP).replace('.', ',')


def compact(value, digits=1):
    "Return number(value, digits) without a decimal part of zeros"
    text = number(value, digits)
    if ',' in text:
        text = text.rstrip('0').rstrip(',')
    return text


def percent(value, digits=1, signed=False):
    """Return the share value (a fraction: 0.853) as "85,3 %", with its
    sign when signed"""
    if value is None:
        return DASH
    text = number(value * 100, digits) + NNBSP + '%'
    if signed and value * 100 >= 10 ** -digits / 2:
        text = '+' + text
    return text


def points(value, digits=1):
    "Return a difference of percentages as '+2,5 pts'"
    if value is None:
        return DASH
    text = number(value, digits)
    if value > 0 and text.strip('0,'):
        text = '+' + text
    return text + NNBSP + gettext('gru_steering.msg_pack_points')


def msg(name, **kwargs):
    "Return the message msg_pack_<name> with the French elisions"
    text = gettext('gru_steering.msg_pack_%s' % name, **kwargs)
    if (Transaction().language or '').startswith('fr'):
        text = french_elision(text)
    return text


def count(name, value, digits=0):
    """Return the count with its unit, singular or plural: "1 départ",
    "2 demandes", "97 ETP" (msg_pack_<name>_one and _other)"""
    text = compact(value, digits) if digits else number(value)
    # French: the singular below 2 ("0 demande", "1,5 poste"), English
    # for 1 only
    if (Transaction().language or '').startswith('fr'):
        one = value is not None and abs(value) < 2
    else:
        one = value == 1
    return msg('%s_%s' % (name, 'one' if one else 'other'), count=text)


def fte(value):
    'Return a full-time equivalent as "97 ETP" or "12,5 ETP"'
    return count('fte', value or 0, 1)


def date_text(date):
    return date.strftime('%d/%m/%Y') if date else DASH


# The workbook

class Book:
    "A workbook of titled sheets with formatted tables and native charts"

    def __init__(self, title):
        self.content = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.content, {'in_memory': True})
        self.book.set_properties({'title': title})
        self.title = title
        add = self.book.add_format
        self.f_title = add({'bold': True, 'font_size': 14,
                'font_color': ACCENT})
        self.f_subtitle = add({'italic': True, 'font_color': '#595959'})
        self.f_section = add({'bold': True, 'font_size': 12})
        self.f_header = add({'bold': True, 'bg_color': '#D9E1F2',
                'border': 1, 'text_wrap': True, 'valign': 'top'})
        self.f_text = add({'border': 1, 'valign': 'top'})
        self.f_alert = add({'border': 1, 'font_color': '#C00000',
                'bold': True})
        self.f_numbers = {k: add({'border': 1, 'num_format': v})
            for k, v in XLSX_FORMATS.items()}

    def sheet(self, name, subtitle):
        ws = self.book.add_worksheet(name[:31])
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_header('&L%s&R&D' % self.title.replace('&', '&&'))
        ws.set_footer('&C&P / &N')
        ws.write(0, 0, name, self.f_title)
        ws.write(1, 0, subtitle, self.f_subtitle)
        ws.widths = {}
        return ws

    def table(self, ws, row, columns, rows, freeze=False):
        """Write the table at row: columns are (header, kind, width), kind
        'text' or a key of XLSX_FORMATS; the values of a 'pct' column are
        fractions. Return the rows of the first and last lines written."""
        heights = []
        for j, (header, kind, width) in enumerate(columns):
            # a column as wide as its widest header word or text value
            # (at most 45), at least its given width
            values = [len(str(r[j])) for r in rows
                if kind in {'text', 'alert'} and r[j] is not None]
            longest = max([len(w) for w in header.split()] + [width]
                + [min(v, 45) for v in values])
            width = max(ws.widths.get(j, 0), longest + 2)
            ws.widths[j] = width
            ws.set_column(j, j, width)
            heights.append(wrapped_lines(header, width * 1.1))
            ws.write(row, j, header, self.f_header)
        ws.set_row(row, 15 * max(heights))
        if freeze:
            ws.freeze_panes(row + 1, 1)
        first = row + 1
        for values in rows:
            row += 1
            for j, ((_, kind, _), value) in enumerate(zip(columns, values)):
                fmt = {'text': self.f_text, 'alert': self.f_alert}.get(
                    kind) or self.f_numbers[kind]
                if value is None:
                    ws.write_blank(row, j, None, fmt)
                elif kind == 'text' or kind == 'alert':
                    ws.write_string(row, j, str(value), fmt)
                else:
                    ws.write_number(row, j, float(value), fmt)
        return first, row

    def chart(self, ws, cell, kind, title, series, categories, subtype=None,
            y_format=None, size=(720, 340), **options):
        """Insert a native chart at cell: series are (name, [sheet, row0,
        col0, row1, col1] of values, colour or list of point colours)"""
        chart = self.book.add_chart(
            dict(type=kind, **({'subtype': subtype} if subtype else {})))
        for name, values, color in series:
            serie = {'name': name, 'categories': categories,
                'values': values}
            if isinstance(color, list):
                serie['points'] = [{'fill': {'color': c}} for c in color]
                if kind == 'pie':
                    serie['data_labels'] = {'percentage': True,
                        'category': True, 'separator': '\n',
                        'position': 'best_fit', 'leader_lines': True}
            elif color:
                if kind == 'line':
                    serie['line'] = {'color': color, 'width': 2.25}
                    serie['marker'] = {'type': 'circle', 'size': 5,
                        'fill': {'color': color},
                        'border': {'color': color}}
                else:
                    serie['fill'] = {'color': color}
            serie.update(options.get('serie', {}))
            chart.add_series(serie)
        chart.set_title({'name': title, 'name_font': {'size': 12}})
        if kind != 'pie':
            axis = {'num_format': XLSX_FORMATS.get(y_format or 'int'),
                'major_gridlines': {'visible': True,
                    'line': {'color': '#D9D9D9'}}}
            axis.update(options.get('y_axis', {}))
            if kind == 'bar':
                # the value axis of a bar chart is its x axis; the antennas
                # read from the top as in the table
                chart.set_x_axis(axis)
                chart.set_y_axis({'reverse': True})
            else:
                chart.set_y_axis(axis)
            chart.set_legend({'position': 'bottom'}
                if len(series) > 1 else {'none': True})
        else:
            chart.set_legend({'none': True})
        chart.set_size({'width': size[0], 'height': size[1]})
        ws.insert_chart(cell, chart)
        return chart

    def close(self):
        self.book.close()
        return self.content.getvalue()


def _cell(row, col):
    return xlsxwriter.utility.xl_rowcol_to_cell(row, col)


def pack_xlsx(data):
    "Return the workbook of the pack data as xlsx bytes"
    labels = data['labels']
    title = msg('title', month=data['month_long'])
    book = Book(title)
    period = msg('period', start=date_text(data['from_date']),
        end=date_text(data['to_date']))
    channels = data['channels']

    # Summary
    ws = book.sheet(msg('sheet_summary'), title)
    ws.write(2, 0, period, book.f_subtitle)
    rows = [(label, value, kind) for label, value, kind, _ in
        key_figures(data)]
    book.table(ws, 4, [(msg('figure'), 'text', 44), (msg('value'), 'text',
                14)], [], freeze=False)
    for i, (label, value, kind) in enumerate(rows):
        ws.write_string(5 + i, 0, label, book.f_text)
        if value is None:
            ws.write_blank(5 + i, 1, None, book.f_numbers[kind])
        else:
            ws.write_number(5 + i, 1, float(value), book.f_numbers[kind])

    # Volumes by month and channel, by antenna in the month
    name = msg('sheet_volumes')
    ws = book.sheet(name, period)
    columns = [(msg('month'), 'text', 12)] + [
        (n, 'int', 10) for _, n in channels] + [(msg('total'), 'int', 10)]
    first, last = book.table(ws, 3, columns, [
            [m['label']] + [m['counts'][c] for c, _ in channels]
            + [m['total']] for m in data['volume_months']], freeze=True)
    categories = [name, first, 0, last, 0]
    book.chart(ws, _cell(last + 2, 0), 'line', msg('chart_volumes'), [
            (channels[i][1], [name, first, 1 + i, last, 1 + i],
                channel_color(channels[i][0]))
            for i in range(len(channels))], categories)
    book.chart(ws, _cell(last + 2, len(columns) + 1), 'pie',
        msg('chart_channels', month=data['month_name']),
        [(data['month_name'], [name, last, 1, last, len(channels)],
          [channel_color(c) for c, _ in channels])],
        [name, 3, 1, 3, len(channels)], size=(480, 340))
    row = last + 21
    ws.write(row, 0, msg('volumes_antennas', month=data['month_name']),
        book.f_section)
    columns = [(labels['antenna'], 'text', 24)] + columns[1:]
    first, last = book.table(ws, row + 1, columns, [
            [a['name']] + [a['counts'][c] for c, _ in channels]
            + [a['total']] for a in data['volume_antennas']])
    if data['volume_antennas']:
        book.chart(ws, _cell(last + 2, 0), 'column',
            msg('chart_antennas', month=data['month_name']), [
                (channels[i][1], [name, first, 1 + i, last, 1 + i],
                    channel_color(channels[i][0]))
                for i in range(len(channels))],
            [name, first, 0, last, 0], subtype='stacked',
            size=(960, 380), serie={'gap': 60})

    # Experiment
    name = msg('sheet_experiment')
    ws = book.sheet(name, period)
    names = labels['experiment']
    columns = [(labels['antenna'], 'text', 24)] + [
        (names[f], kind, 10) for f, kind in [
            ('fte', 'dec2'), ('available_hours', 'dec1'),
            ('phone_share', 'pct'), ('counter_share', 'pct'),
            ('other_share', 'pct'), ('answered_calls', 'int'),
            ('contacts_phone', 'int'), ('contacts_counter', 'int'),
            ('visits', 'int'), ('permanences', 'int'),
            ('requests_answered', 'int')]]
    share = _share
    first, last = book.table(ws, 3, columns, [[r['name'], r['fte'],
                r['available_hours'], share(r['phone_share']),
                share(r['counter_share']), share(r['other_share']),
                r['answered_calls'], r['contacts_phone'],
                r['contacts_counter'], r['visits'], r['permanences'],
                r['requests_answered']] for r in data['experiment']],
        freeze=True)
    if data['experiment']:
        book.chart(ws, _cell(last + 2, 0), 'column', msg('chart_time'), [
                (names[f], [name, first, 3 + i, last, 3 + i],
                    SHARE_COLORS[f])
                for i, f in enumerate(
                    ['phone_share', 'counter_share', 'other_share'])],
            [name, first, 0, last, 0], subtype='percent_stacked',
            y_format='pct', size=(960, 380), serie={'gap': 60})
    row = last + 23
    ws.write(row, 0, msg('comparison'), book.f_section)
    ws.write(row + 1, 0, msg('comparison_note'), book.f_subtitle)
    comparison = labels['comparison']
    book.table(ws, row + 2, [(labels['antenna'], 'text', 24),
            (comparison['experiment_start'], 'text', 12),
            (comparison['measure'], 'text', 22),
            (comparison['before'], 'dec1', 10),
            (comparison['after'], 'dec1', 10),
            (comparison['difference'], 'dec1', 10)],
        [[r['name'], date_text(r['experiment_start']),
          labels['measures'][r['measure']], r['before'], r['after'],
          r['difference']] for r in data['comparison']])

    # Service levels
    name = msg('sheet_service')
    ws = book.sheet(name, period)
    service = labels['service_request']
    columns = [(labels['antenna'], 'text', 24)] + [
        (service[f], kind, 11) for f, kind in [
            ('count', 'int'), ('responded', 'int'),
            ('response_median', 'dec1'), ('within_sla', 'pct'),
            ('backlog', 'int'), ('backlog_30', 'int'),
            ('backlog_older', 'int')]]

    def service_row(r):
        return [r['name'], r['count'], r['responded'], r['response_median'],
            share(r['within_sla']), r['backlog'], r['backlog_30'],
            r['backlog_older']]
    first, last = book.table(ws, 3, columns,
        [service_row(r) for r in data['service_antennas']], freeze=True)
    if data['service_antennas']:
        book.chart(ws, _cell(3, len(columns) + 1), 'bar',
            msg('chart_sla'), [(service['within_sla'],
                    [name, first, 4, last, 4], ACCENT)],
            [name, first, 0, last, 0], y_format='pct',
            size=(560, max(300, 24 * (last - first + 1) + 90)),
            y_axis={'min': 0, 'max': 1})
    row = max(last + 3, 3 + 24)
    ws.write(row, 0, msg('by_channel'), book.f_section)
    columns[0] = (labels['channel'], 'text', 24)
    _, last = book.table(ws, row + 1, columns,
        [service_row(r) for r in data['service_channels']])
    row = last + 3
    ws.write(row, 0, msg('calls'), book.f_section)
    calls = labels['service_call']
    first, last = book.table(ws, row + 1, [(labels['antenna'], 'text', 24)]
        + [(calls[f], kind, 11) for f, kind in [
                ('calls', 'int'), ('offered', 'int'), ('answered', 'int'),
                ('answered_share', 'pct'), ('abandoned_share', 'pct'),
                ('wait_p50', 'int'), ('wait_p90', 'int')]],
        [[r['name'], r['calls'], r['offered'], r['answered'],
          share(r['answered_share']), share(r['abandoned_share']),
          r['wait_p50'], r['wait_p90']] for r in data['calls']])
    if data['calls']:
        book.chart(ws, _cell(last + 2, 0), 'column', msg('chart_calls'), [
                (calls['answered_share'], [name, first, 4, last, 4],
                    channel_color('phone')),
                (calls['abandoned_share'], [name, first, 5, last, 5],
                    SECOND)],
            [name, first, 0, last, 0], y_format='pct', size=(960, 360),
            y_axis={'min': 0, 'max': 1})

    # Equity
    name = msg('sheet_equity')
    ws = book.sheet(name, period)
    equity = labels['equity']
    first, last = book.table(ws, 3, [(labels['antenna'], 'text', 24)] + [
            (equity[f], kind, 11) for f, kind in [
                ('contacts', 'int'), ('fte', 'dec2'), ('per_fte', 'dec1'),
                ('contact_share', 'pct'), ('fte_share', 'pct'),
                ('gap', 'dec1'), ('alert', 'alert')]],
        [[r['name'], r['contacts'], r['fte'], r['per_fte'],
          share(r['contact_share']), share(r['fte_share']), r['gap'],
          msg('alert') if r['alert'] else '']
            for r in data['equity']], freeze=True)
    if data['equity']:
        book.chart(ws, _cell(3, 10), 'bar', msg('chart_per_fte'),
            [(equity['per_fte'], [name, first, 3, last, 3], ACCENT)],
            [name, first, 0, last, 0], y_format='int',
            size=(560, max(300, 24 * (last - first + 1) + 90)),
            serie={'gap': 50})
    row = max(last + 3, 3 + 24)
    ws.write(row, 0, msg('equity_trend'), book.f_section)
    months = labels['equity_month']
    first, last = book.table(ws, row + 1, [(msg('month'), 'text', 12),
            (months['contacts'], 'int', 11),
            (months['max_min'], 'dec2', 11), (months['gini'], 'dec3', 11),
            (months['alerts'], 'int', 11)],
        [[m['month_name'], m['contacts'], m['max_min'], m['gini'],
          m['alerts']] for m in data['equity_months']])
    if data['equity_months']:
        chart = book.chart(ws, _cell(last + 2, 0), 'line',
            msg('chart_equity_trend'), [(months['gini'],
                    [name, first, 3, last, 3], ACCENT)],
            [name, first, 0, last, 0], y_format='dec2', size=(960, 340))
        chart.add_series({'name': months['max_min'],
                'categories': [name, first, 0, last, 0],
                'values': [name, first, 2, last, 2],
                'y2_axis': True,
                'line': {'color': SECOND, 'width': 2.25,
                    'dash_type': 'dash'},
                'marker': {'type': 'square', 'size': 5,
                    'fill': {'color': SECOND},
                    'border': {'color': SECOND}}})
        chart.set_y2_axis({'num_format': XLSX_FORMATS['dec1']})
        chart.set_legend({'position': 'bottom'})

    # Staffing
    name = msg('sheet_staffing')
    ws = book.sheet(name, period)
    if data['plan_name']:
        ws.write(2, 0, label_value(msg('plan'), data['plan_name']),
            book.f_subtitle)
    staffing = labels['staffing']
    first, last = book.table(ws, 3, [(labels['antenna'], 'text', 24)] + [
            (staffing[f], kind, 11) for f, kind in [
                ('calls', 'int'), ('visits', 'int'),
                ('call_officers', 'int'), ('counter_officers', 'int'),
                ('needed', 'int'), ('authorised', 'dec2'),
                ('gap', 'dec2')]],
        [[r['antenna_name'], r['calls'], r['visits'], r['call_officers'],
          r['counter_officers'], r['needed'], r['authorised'],
          r['gap']] for r in data['staffing']], freeze=True)
    if data['staffing']:
        book.chart(ws, _cell(last + 2, 0), 'column', msg('chart_staffing'),
            [(staffing['needed'], [name, first, 5, last, 5], SECOND),
                (staffing['authorised'], [name, first, 6, last, 6],
                    ACCENT)],
            [name, first, 0, last, 0], y_format='int', size=(960, 360))
    return book.close()


def _share(value):
    "A share in % of the models as a fraction for the percent formats"
    return value / 100 if value is not None else None


def key_figures(data):
    """Return the key figures of the month: (label, value, xlsx kind, text
    of the summary)"""
    totals = data['totals']
    return [
        (msg('key_contacts'), totals['contacts'], 'int',
            number(totals['contacts'])),
        (msg('key_change', month=data['volume_months'][-2]['label']),
            totals['contacts_change'], 'pct',
            percent(totals['contacts_change'], signed=True)),
        (msg('key_within_sla'), totals['within_sla'], 'pct',
            percent(totals['within_sla'])),
        (msg('key_backlog'), totals['backlog'], 'int',
            number(totals['backlog'])),
        (msg('key_calls'), totals['calls'], 'int', number(totals['calls'])),
        (msg('key_answered'), totals['answered_share'], 'pct',
            percent(totals['answered_share'])),
        (msg('key_fte'), totals['fte'], 'dec1', fte(totals['fte'])),
        (msg('key_max_min'), totals['max_min'], 'dec2',
            number(totals['max_min'], 1)),
        (msg('key_gini'), totals['gini'], 'dec3',
            number(totals['gini'], 2)),
        (msg('key_needed'), totals['needed'], 'int',
            count('officer', totals['needed'])),
        (msg('key_authorised'), totals['authorised'], 'dec1',
            fte(totals['authorised'])),
        ]


# The pictures of the summary

def _figure(width=16, height=7.5):
    figure = Figure(figsize=(width / 2.54, height / 2.54), dpi=150)
    FigureCanvasAgg(figure)
    return figure


def _png(figure):
    content = io.BytesIO()
    figure.savefig(content, format='png', bbox_inches='tight')
    return content.getvalue()


def _style(axes, title):
    axes.set_title(title, fontsize=9, loc='left', fontweight='bold')
    axes.tick_params(labelsize=7)
    for side in ['top', 'right']:
        axes.spines[side].set_visible(False)
    axes.grid(axis='y', color='#D9D9D9', linewidth=0.6)
    axes.set_axisbelow(True)


def _number_axis(axis, digits=0, unit=''):
    axis.set_major_formatter(FuncFormatter(
            lambda v, _: number(v, digits) + unit))


def chart_volumes(data):
    "The requests by channel month by month (line)"
    figure = _figure()
    axes = figure.add_subplot()
    months = data['volume_months']
    x = range(len(months))
    for key, name in data['channels']:
        values = [m['counts'][key] for m in months]
        if any(values):
            axes.plot(x, values, label=name, color=channel_color(key),
                marker='o', markersize=3, linewidth=1.6)
    axes.set_xticks(list(x), [m['label'] for m in months], rotation=45,
        ha='right')
    _number_axis(axes.yaxis)
    axes.set_ylim(bottom=0)
    _style(axes, msg('chart_volumes'))
    axes.legend(fontsize=7, frameon=False, ncols=len(data['channels']),
        loc='upper center', bbox_to_anchor=(0.5, -0.22))
    return _png(figure)


def chart_channels(data):
    "The shares of the channels in the month (pie)"
    figure = _figure(10, 7.5)
    axes = figure.add_subplot()
    counts = data['volume_months'][-1]['counts']
    items = [(n, counts[k], channel_color(k)) for k, n in data['channels']
        if counts[k]]
    total = sum(v for _, v, _ in items)
    axes.pie([v for _, v, _ in items], colors=[c for _, _, c in items],
        labels=['%s\n%s' % (n, percent(v / total)) for n, v, _ in items],
        startangle=90, counterclock=False, textprops={'fontsize': 7},
        wedgeprops={'linewidth': 1, 'edgecolor': 'white'})
    axes.set_title(msg('chart_channels', month=data['month_name']),
        fontsize=9, loc='left', fontweight='bold')
    return _png(figure)


def chart_time(data):
    "The shares of the agents' time per antenna (stacked bars)"
    rows = data['experiment']
    figure = _figure(16, max(5, 1 + 0.55 * len(rows)))
    axes = figure.add_subplot()
    names = data['labels']['experiment']
    y = list(range(len(rows)))[::-1]
    left = [0] * len(rows)
    for field, color in SHARE_COLORS.items():
        values = [max(r[field] or 0, 0) for r in rows]
        axes.barh(y, values, left=left, color=color, label=names[field],
            height=0.6)
        left = [a + b for a, b in zip(left, values)]
    axes.set_yticks(y, [r['name'] for r in rows])
    _number_axis(axes.xaxis, unit=NNBSP + '%')
    _style(axes, msg('chart_time'))
    axes.grid(axis='y', visible=False)
    axes.grid(axis='x', color='#D9D9D9', linewidth=0.6)
    axes.legend(fontsize=7, frameon=False, ncols=3, loc='upper center',
        bbox_to_anchor=(0.5, -0.08))
    return _png(figure)


def chart_horizontal(rows, field, title, digits=0, unit='', color=ACCENT,
        labels=None):
    "The field of the rows per antenna (horizontal bars with values)"
    figure = _figure(16, max(4.5, 1 + 0.55 * len(rows)))
    axes = figure.add_subplot()
    y = list(range(len(rows)))[::-1]
    values = [r[field] or 0 for r in rows]
    bars = axes.barh(y, values, color=color, height=0.6)
    axes.bar_label(bars, labels=labels or [
            number(v, digits) + unit for v in values], fontsize=7,
        padding=3)
    axes.set_yticks(y, [r['name'] for r in rows])
    _number_axis(axes.xaxis, digits, unit)
    axes.set_xlim(right=max(values + [1]) * 1.15)
    _style(axes, title)
    axes.grid(axis='y', visible=False)
    axes.grid(axis='x', color='#D9D9D9', linewidth=0.6)
    return _png(figure)


def chart_equity_trend(data):
    "The Gini coefficient and max/min ratio month by month (lines)"
    figure = _figure(16, 6.5)
    axes = figure.add_subplot()
    months = [m for m in data['equity_months'] if m['gini'] is not None]
    labels = data['labels']['equity_month']
    x = range(len(months))
    axes.plot(x, [m['gini'] for m in months], color=ACCENT, marker='o',
        markersize=3, label=labels['gini'])
    axes.set_xticks(list(x), [m['month_name'] for m in months],
        rotation=45, ha='right')
    _number_axis(axes.yaxis, 2)
    axes.set_ylim(bottom=0)
    _style(axes, msg('chart_equity_trend'))
    right = axes.twinx()
    right.plot(x, [m['max_min'] for m in months], color=SECOND,
        linestyle='--', marker='s', markersize=3, label=labels['max_min'])
    _number_axis(right.yaxis, 1)
    right.set_ylim(bottom=0)
    right.tick_params(labelsize=7)
    right.spines['top'].set_visible(False)
    lines = axes.get_lines() + right.get_lines()
    axes.legend(lines, [l.get_label() for l in lines], fontsize=7,
        frameon=False, loc='upper center', bbox_to_anchor=(0.5, -0.25),
        ncols=2)
    return _png(figure)


def chart_staffing(data):
    "The officers needed beside the authorised posts per antenna"
    rows = data['staffing']
    figure = _figure(16, 7)
    axes = figure.add_subplot()
    labels = data['labels']['staffing']
    x = list(range(len(rows)))
    axes.bar([i - 0.2 for i in x], [r['needed'] for r in rows], 0.4,
        color=SECOND, label=labels['needed'])
    axes.bar([i + 0.2 for i in x], [float(r['authorised'] or 0)
            for r in rows], 0.4, color=ACCENT, label=labels['authorised'])
    if len(rows) > 6:
        axes.set_xticks(x, [r['antenna_name'] for r in rows], rotation=45,
            ha='right')
    else:
        axes.set_xticks(x, [r['antenna_name'] for r in rows])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _number_axis(axes.yaxis)
    _style(axes, msg('chart_staffing'))
    axes.legend(fontsize=7, frameon=False, ncols=2)
    return _png(figure)


# The management summary

def _picture(document, png, width=16):
    document.add_picture(io.BytesIO(png), width=Cm(width))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _texts(data):
    "Return the sentences of each topic written from the figures"
    totals = data['totals']
    texts = {}
    months = data['volume_months']
    counts = months[-1]['counts']
    total = months[-1]['total']
    shares = ', '.join('%s %s' % (n.lower(), percent(counts[k] / total))
        for k, n in sorted(data['channels'], key=lambda c: -counts[c[0]])
        if counts[k]) if total else DASH
    texts['volumes'] = [msg('text_volumes', contacts=count('request',
                total), month=data['month_name'],
            change=percent(totals['contacts_change'], signed=True),
            previous=months[-2]['label'], shares=shares)]

    experiment = [r for r in data['experiment']
        if r['phone_share'] is not None]
    texts['experiment'] = []
    if experiment:
        low = min(experiment, key=lambda r: r['phone_share'])
        high = max(experiment, key=lambda r: r['phone_share'])
        hours = sum(r['available_hours'] or 0 for r in experiment)
        phone = sum((r['phone_share'] or 0) * (r['available_hours'] or 0)
            for r in experiment) / hours / 100 if hours else None
        counter = sum((r['counter_share'] or 0) * (r['available_hours'] or 0)
            for r in experiment) / hours / 100 if hours else None
        texts['experiment'].append(msg('text_experiment',
                phone=percent(phone), counter=percent(counter),
                low=percent(low['phone_share'] / 100), low_antenna=low['name'],
                high=percent(high['phone_share'] / 100),
                high_antenna=high['name']))
    by_antenna = {}
    for row in data['comparison']:
        by_antenna.setdefault((row['name'], row['experiment_start']),
            {})[row['measure']] = row
    for (name, start), rows in sorted(by_antenna.items()):
        phone = rows.get('phone_share')
        contacts = rows.get('contacts')
        if phone and contacts:
            texts['experiment'].append(msg('text_comparison', antenna=name,
                    start=date_text(start),
                    before=percent(_share(phone['before'])),
                    after=percent(_share(phone['after'])),
                    contacts_before=number(contacts['before']),
                    contacts_after=number(contacts['after'])))

    texts['service'] = [msg('text_requests',
            within=percent(totals['within_sla']),
            backlog=count('open_request', totals['backlog']),
            older=number(totals['backlog_older']))]
    calls = [r for r in data['calls'] if r['offered']]
    if calls:
        waits = [r['wait_p90'] for r in calls if r['wait_p90'] is not None]
        texts['service'].append(msg('text_calls',
                calls=count('call', totals['offered']),
                answered=percent(totals['answered_share']),
                abandoned=percent(totals['abandoned_share']),
                wait=number(max(waits)) if waits else DASH))

    equity = [r for r in data['equity'] if r['per_fte'] is not None]
    texts['equity'] = []
    if equity:
        low = min(equity, key=lambda r: r['per_fte'])
        high = max(equity, key=lambda r: r['per_fte'])
        texts['equity'].append(msg('text_equity', low=number(low['per_fte']),
                low_antenna=low['name'], high=number(high['per_fte']),
                high_antenna=high['name'],
                ratio=number(totals['max_min'], 1),
                gini=number(totals['gini'], 2)))
        if totals['alerts']:
            texts['equity'].append(msg('text_alerts',
                    alerts=count('antenna_alert', totals['alerts']),
                    threshold=number(data['threshold'], 1),
                    antennas=', '.join(r['name'] for r in equity
                        if r['alert'])))

    staffing = data['staffing']
    texts['staffing'] = []
    if staffing:
        texts['staffing'].append(msg('text_staffing',
                needed=count('officer', totals['needed']),
                calls=number(sum(r['call_officers'] for r in staffing)),
                counter=number(sum(r['counter_officers'] for r in staffing)),
                authorised=fte(totals['authorised'])))
        short = [r for r in staffing
            if r['gap'] is not None and r['gap'] < 0]
        if short:
            texts['staffing'].append(msg('text_short', antennas=', '.join(
                        '%s (%s)' % (r['antenna_name'],
                            compact(r['gap'], 2)) for r in short)))
    return texts


def pack_docx(data):
    "Return the management summary of the pack data as docx bytes"
    labels = data['labels']
    texts = _texts(data)
    document = Document()
    style = document.styles['Normal']
    style.font.name = 'Calibri'
    style.font.size = Pt(10)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ['left_margin', 'right_margin']:
        setattr(section, side, Cm(2))
    for side in ['top_margin', 'bottom_margin']:
        setattr(section, side, Cm(1.8))
    document.core_properties.title = msg('title', month=data['month_long'])

    document.add_heading(msg('title', month=data['month_long']), 0)
    document.add_paragraph(msg('generated', start=date_text(
                data['from_date']), end=date_text(data['to_date']),
            date=date_text(data['generated_at'])))

    document.add_heading(msg('key_figures'), 1)
    _docx_table(document, [msg('figure'), msg('value')],
        [[label, text] for label, _, _, text in key_figures(data)],
        [11, 5])

    document.add_heading(msg('sheet_volumes'), 1)
    for text in texts['volumes']:
        document.add_paragraph(text)
    if data['volume_total']:
        _picture(document, chart_volumes(data))
        _picture(document, chart_channels(data), 10)

    document.add_heading(msg('sheet_experiment'), 1)
    for text in texts['experiment']:
        document.add_paragraph(text)
    if data['experiment']:
        _picture(document, chart_time(data))
        names = labels['experiment']
        _docx_table(document, [labels['antenna'], names['fte'],
                names['phone_share'], names['counter_share'],
                names['other_share'], names['contacts']],
            [[r['name'], compact(r['fte'], 2),
              percent(_share(r['phone_share'])),
              percent(_share(r['counter_share'])),
              percent(_share(r['other_share'])),
              number(r['contacts'])] for r in data['experiment']],
            [5.5, 1.5, 2.3, 2.3, 2.3, 2.1])

    document.add_heading(msg('sheet_service'), 1)
    for text in texts['service']:
        document.add_paragraph(text)
    if data['service_antennas']:
        rows = [r for r in data['service_antennas']
            if r['within_sla'] is not None]
        if rows:
            _picture(document, chart_horizontal(rows, 'within_sla',
                    msg('chart_sla'), 1, NNBSP + '%'))
        service = labels['service_request']
        _docx_table(document, [labels['antenna'], service['count'],
                service['response_median'], service['within_sla'],
                service['backlog']],
            [[r['name'], number(r['count']),
              number(r['response_median'], 1),
              percent(_share(r['within_sla'])), number(r['backlog'])]
                for r in data['service_antennas']], [6, 2.5, 3.5, 2.5, 2.5])
    if data['calls']:
        document.add_paragraph()
        calls = labels['service_call']
        _docx_table(document, [labels['antenna'], calls['offered'],
                calls['answered_share'], calls['abandoned_share'],
                calls['wait_p90']],
            [[r['name'], number(r['offered']),
              percent(_share(r['answered_share'])),
              percent(_share(r['abandoned_share'])),
              number(r['wait_p90'])] for r in data['calls']],
            [5.2, 2.4, 2.6, 3.2, 3.6])

    document.add_heading(msg('sheet_equity'), 1)
    for text in texts['equity']:
        document.add_paragraph(text)
    if data['equity']:
        _picture(document, chart_horizontal(data['equity'], 'per_fte',
                msg('chart_per_fte')))
        equity = labels['equity']
        _docx_table(document, [labels['antenna'], equity['contacts'],
                equity['fte'], equity['per_fte'], equity['gap']],
            [[r['name'], number(r['contacts']), compact(r['fte'], 2),
              number(r['per_fte']), points(r['gap'])]
                for r in data['equity']], [6, 2.5, 2.5, 3, 3])
        if any(m['gini'] is not None for m in data['equity_months']):
            _picture(document, chart_equity_trend(data))

    document.add_heading(msg('sheet_staffing'), 1)
    for text in texts['staffing']:
        document.add_paragraph(text)
    if data['staffing']:
        _picture(document, chart_staffing(data))
        staffing = labels['staffing']
        _docx_table(document, [labels['antenna'], staffing['call_officers'],
                staffing['counter_officers'], staffing['needed'],
                staffing['authorised'], staffing['gap']],
            [[r['antenna_name'], number(r['call_officers']),
              number(r['counter_officers']), number(r['needed']),
              compact(r['authorised'], 2), compact(r['gap'], 2)]
                for r in data['staffing']], [5.5, 2.3, 2.3, 2.3, 2.3, 2.3])

    if data.get('map'):
        document.add_heading(msg('map'), 1)
        _picture(document, data['map'])

    content = io.BytesIO()
    document.save(content)
    return content.getvalue()

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Export of a list of requests to xlsx, with a summary sheet and a chart."
import datetime as dt
import io
from collections import Counter

import xlsxwriter

from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.wizard import Button, StateTransition, StateView, Wizard


def export_labels():
    "Return the translated labels of the xlsx export of requests"
    pool = Pool()
    Message = pool.get('ir.message')
    Request = pool.get('gru.inbox.request')
    fields_ = Request.fields_get()

    def selection(name):
        return dict(fields_[name]['selection'])
    labels = {name: fields_[name]['string'] for name in [
            'reference', 'received_at', 'channel', 'state', 'antenna',
            'scheme', 'motive', 'party', 'subject', 'priority',
            'assignee']}
    labels.update({
            'channels': selection('channel'),
            'states': selection('state'),
            'priorities': selection('priority'),
            'month': fields_['month']['string'],
            })
    for key in ['requests', 'summary', 'title', 'total', 'count', 'chart']:
        labels[key] = Message.gettext('gru_inbox', 'msg_export_' + key, None)
    return labels


def requests_xlsx(requests, labels):
    """Return the xlsx bytes of requests: a 'Requests' sheet with one row
    per request and a 'Summary' sheet with totals by channel, antenna,
    state and month and a chart of the months"""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {'in_memory': True,
            'remove_timezone': True})
    bold = workbook.add_format({'bold': True, 'bg_color': '#dde4ee',
            'border': 1})
    date_format = workbook.add_format({'num_format': 'dd/mm/yyyy hh:mm'})
    total_format = workbook.add_format({'bold': True, 'top': 1})

    sheet = workbook.add_worksheet(labels['requests'])
    columns = ['reference', 'received_at', 'channel', 'state', 'antenna',
        'scheme', 'motive', 'party', 'subject', 'priority', 'assignee']
    for col, name in enumerate(columns):
        sheet.write(0, col, labels[name], bold)
    channels = labels['channels']
    states = labels['states']
    priorities = labels['priorities']
    for row, request in enumerate(requests, 1):
        sheet.write(row, 0, request.reference)
        sheet.write_datetime(row, 1, request.received_at, date_format)
        sheet.write(row, 2, channels.get(request.channel, request.channel))
        sheet.write(row, 3, states.get(request.state, request.state))
        sheet.write(row, 4, request.antenna.name if request.antenna else '')
        sheet.write(row, 5, request.scheme.name if request.scheme else '')
        sheet.write(row, 6, request.motive.rec_name if request.motive else '')
        sheet.write(row, 7, request.party.rec_name if request.party
            else (request.contact_name or request.contact_email or ''))
        sheet.write(row, 8, request.subject or '')
        sheet.write(row, 9, priorities.get(request.priority, ''))
        sheet.write(row, 10,
            request.assignee.name if request.assignee else '')
    sheet.autofilter(0, 0, len(requests), len(columns) - 1)
    sheet.freeze_panes(1, 0)
    for col, width in enumerate([16, 16, 12, 14, 30, 30, 24, 28, 40, 10,
                20]):
        sheet.set_column(col, col, width)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)

    summary = workbook.add_worksheet(labels['summary'])
    summary.write(0, 0, labels['title'], workbook.add_format(
            {'bold': True, 'font_size': 14}))
    summary.write(1, 0, labels['total'], total_format)
    summary.write(1, 1, len(requests), total_format)
    row = 3
    month_range = None
    for key, getter in [
            ('channel', lambda r: channels.get(r.channel, r.channel)),
            ('antenna', lambda r: r.antenna.name if r.antenna else '-'),
            ('state', lambda r: states.get(r.state, r.state)),
            ('month', lambda r: r.received_at.strftime('%Y-%m')),
            ]:
        counts = Counter(getter(r) for r in requests)
        summary.write(row, 0, labels[key], bold)
        summary.write(row, 1, labels['count'], bold)
        row += 1
        first = row
        items = sorted(counts.items()) if key == 'month' else \
            counts.most_common()
        for value, count in items:
            summary.write(row, 0, value)
            summary.write(row, 1, count)
            row += 1
        summary.write(row, 0, labels['total'], total_format)
        summary.write_formula(row, 1, '=SUM(B%d:B%d)' % (first + 1, row),
            total_format, len(requests))
        if key == 'month':
            month_range = (first, row - 1)
        row += 2
    summary.set_column(0, 0, 40)
    summary.set_column(1, 1, 12)
    if month_range and month_range[1] >= month_range[0]:
        chart = workbook.add_chart({'type': 'column'})
        chart.add_series({
                'name': labels['requests'],
                'categories': [labels['summary'], month_range[0], 0,
                    month_range[1], 0],
                'values': [labels['summary'], month_range[0], 1,
                    month_range[1], 1],
                })
        chart.set_title({'name': labels['chart']})
        chart.set_legend({'none': True})
        summary.insert_chart('D3', chart, {'x_scale': 1.6, 'y_scale': 1.4})
    workbook.close()
    return output.getvalue()


class ExportResult(ModelView):
    "Export Requests"
    __string__ = "Export Requests"
    __name__ = 'gru.inbox.request.export.result'

    file = fields.Binary("File", filename='filename', readonly=True)
    filename = fields.Char("File Name", readonly=True)
    count = fields.Integer("Requests", readonly=True)


class Export(Wizard):
    "Export Requests"
    __name__ = 'gru.inbox.request.export'
    start = StateTransition()
    result = StateView('gru.inbox.request.export.result',
        'gru_inbox.request_export_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_start(self):
        return 'result'

    def default_result(self, fields):
        requests = list(self.records)
        data = requests_xlsx(requests, export_labels())
        return {
            'file': data,
            'filename': 'demandes-%s.xlsx' % dt.date.today().isoformat(),
            'count': len(requests),
            }

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The org chart of a staff plan drawn by Graphviz as the report prints it:
the authorised total, the antennas' totals, the antennas by department and
shared manager."""
import json
import math
import shutil
import subprocess
from collections import Counter, defaultdict
from html import escape

from trytond.i18n import gettext
from trytond.pool import Pool

from .exceptions import OrgChartError
from .wording import count_msg, msg

DEPARTMENT_NAMES = {
    '02': "Aisne", '59': "Nord", '60': "Oise", '62': "Pas-de-Calais",
    '80': "Somme",
    }


def antenna_departments(data):
    """Return {unit id: department code} of the antenna units whose
    antenna has a seat commune"""
    pool = Pool()
    Antenna = pool.get('gru.antenna')
    antenna_units = defaultdict(list)
    for unit in data.units.values():
        if unit['antenna']:
            antenna_units[unit['antenna']].append(unit['id'])
    result = {}
    for antenna in Antenna.browse(list(antenna_units)):
        if antenna.seat and antenna.seat.department:
            for unit_id in antenna_units[antenna.id]:
                result[unit_id] = antenna.seat.department
    return result


def network_totals(data, unit_id):
    """Return the totals of a network of units (the antennas) as a list of
    (count, title, category, placed): the authorised posts of the unit
    when it has some, else the positions placed under it"""
    scope = data.subtree(unit_id)
    placed = Counter((p['title'], p['category'])
        for p in data.positions.values() if p['unit'] in scope)
    totals = []
    lines = [a for a in data.authorisations if a['unit'] == unit_id]
    for line in lines:
        count = sum(n for (title, category), n in placed.items()
            if (not line['title'] or title == line['title'])
            and (not line['category'] or category == line['category']))
        totals.append((line['quantity'], line['title'] or line['job_family']
                or '', line['category'] or '', count))
    if not lines:
        totals = [(n, title, category, n)
            for (title, category), n in placed.items()]
    order = {'A': 0, 'B': 1, 'C': 2}
    totals.sort(key=lambda t: (order.get(t[2], 9), -t[0], t[1]))
    return totals


def antenna_groups(data, unit_ids, departments=None):
    """Return the groups of units sharing a post (a shared manager), each
    ordered with the unit holding the post in the middle, sorted by
    department then name"""
    departments = departments or {}
    members = set(unit_ids)
    parent = {u: u for u in members}

    def find(u):
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u
    holders = Counter()
    for position in data.positions.values():
        if position['unit'] not in members:
            continue
        for unit_id, _ in position['extra']:
            if unit_id in members:
                parent[find(unit_id)] = find(position['unit'])
                holders[position['unit']] += 1
    groups = defaultdict(list)
    for unit_id in unit_ids:
        groups[find(unit_id)].append(unit_id)
    result = []
    for units in groups.values():
        # the holder of the shared posts in the middle: its dashed lines
        # go to its neighbours only
        units.sort(key=lambda u: data.unit_name(u))
        holder = max(units, key=lambda u: (holders[u], -units.index(u)))
        others = [u for u in units if u != holder]
        half = len(others) // 2
        result.append(others[:half] + [holder] + others[half:])

    def key(group):
        holder = group[(len(group) - 1) // 2]
        department = departments.get(holder) or ''
        return (department, data.unit_name(holder))
    result.sort(key=key)
    return result


def antenna_columns(data, unit_ids, departments=None, height=5):
    """Return the columns of the antennas of a network: (heading, groups)
    by department when the antennas have a seat, else by rows of height
    units, never splitting a group"""
    departments = departments or {}
    groups = antenna_groups(data, unit_ids, departments)
    columns = []
    if any(departments.get(u) for u in unit_ids):
        by_department = defaultdict(list)
        for group in groups:
            holder = group[(len(group) - 1) // 2]
            by_department[departments.get(holder) or ''].append(group)
        for code in sorted(by_department):
            heading = ('%s (%s)' % (DEPARTMENT_NAMES.get(code, code), code)
                if code else '')
            columns.append((heading, by_department[code]))
        return columns
    column = []
    for group in groups:
        if column and sum(map(len, column)) + len(group) > height:
            columns.append(('', column))
            column = []
        column.append(group)
    if column:
        columns.append(('', column))
    return columns


_FONTS = {}


def text_width(text, bold=False, size=10):
    """Return the width in points of text in DejaVu Sans, the font of the
    chart, measured with its metrics (Pillow) or else over-estimated"""
    key = (bold, size)
    if key not in _FONTS:
        try:
            from PIL import ImageFont
            _FONTS[key] = ImageFont.truetype(
                'DejaVuSans-Bold.ttf' if bold else 'DejaVuSans.ttf', size)
        except (ImportError, OSError):
            _FONTS[key] = None
    font = _FONTS[key]
    if font is None:
        return len(text) * size * (0.72 if bold else 0.66)
    return font.getlength(text)


def org_chart_dot(data):
    "Return the Graphviz source of the org chart of the PlanData"
    posts = defaultdict(Counter)
    shared_in = defaultdict(list)
    shared = []
    for position in data.positions.values():
        key = (position['title'], position['category'])
        posts[position['unit']][key] += 1
        for unit_id, share in position['extra']:
            shared.append((position['unit'], unit_id))
            shared_in[unit_id].append((position['title'],
                    position['category'], position['unit']))
    title = '<b>%s</b><br/>%s' % (escape(data.name), escape(msg(
                'authorised_total', count=data.authorised_posts)))
    lines = [
        'digraph staff_plan {',
        '  graph [rankdir=TB, splines=ortho, nodesep=0.35, ranksep=0.5, '
        'newrank=true, fontname="DejaVu Sans", label=<%s>, labelloc=t, '
        'fontsize=18];' % title,
        '  node [shape=plain, fontname="DejaVu Sans", fontsize=10];',
        '  edge [arrowhead=none, color="#555555", fontname="DejaVu Sans"];',
        ]

    def node_label(name, counts, extra_rows=(), color='#1F4E79',
            header_total=None):
        total = (sum(counts.values()) if header_total is None
            else header_total)
        # the cells as wide as the widest text measured in DejaVu Sans:
        # Graphviz measures a bit narrower than browsers draw
        texts = [(t, c) for t, c in extra_rows] + [('%d × %s (%s)' % (
                    count, title, category), None)
            for (title, category), count in sorted(counts.items())]
        width = max([text_width(name, bold=True)
                + text_width('\u00a0(%d)' % total)]
            + [text_width(t) for t, _ in texts])
        width = math.ceil(width) + 2 * 5 + 2
        rows = ['<tr><td bgcolor="%s" width="%d"><font color="white"><b>%s'
            '</b>\u00a0(%d)</font></td></tr>' % (color, width, escape(name),
                total)]
        for (title, category), count in sorted(counts.items()):
            rows.append('<tr><td align="left">%s</td></tr>' % escape(
                    '%d × %s (%s)' % (count, title, category)))
        for text, text_color in extra_rows:
            if text_color:
                rows.append('<tr><td align="left"><font color="%s">%s'
                    '</font></td></tr>' % (text_color, escape(text)))
            else:
                rows.append('<tr><td align="left">%s</td></tr>' % escape(
                        text))
        return ('<<table border="1" cellborder="0" cellspacing="0" '
            'cellpadding="5" bgcolor="#F5F8FC">%s</table>>' % ''.join(rows))

    def shared_rows(unit_id):
        return [(msg('shared_post', title='%s (%s)' % (title, category),
                    unit=data.unit_name(holder)), '#C55A11')
            for title, category, holder in sorted(shared_in[unit_id],
                key=lambda s: (s[0], s[2] or 0))]

    departments = antenna_departments(data)
    in_network = set()
    networks = [u for u in data.units
        if data.units[u]['kind'] == 'network' and len(data.children(u)) > 1]
    for unit_id in networks:
        in_network.update(data.children(unit_id))

    for unit_id, _ in data.walk():
        parent = data.units[unit_id]['parent']
        if unit_id in in_network:
            continue
        if unit_id in networks:
            totals = network_totals(data, unit_id)
            rows = [('%d × %s (%s)' % (count, title, category)
                    + (' — %s' % count_msg('placed_count', placed)
                        if placed != count else ''), None)
                for count, title, category, placed in totals]
            label = node_label(data.unit_name(unit_id),
                posts.get(unit_id, Counter()), rows,
                header_total=sum(t[0] for t in totals))
        else:
            label = node_label(data.unit_name(unit_id),
                posts.get(unit_id, Counter()), shared_rows(unit_id))
        lines.append('  u%d [label=%s];' % (unit_id, label))
        if parent:
            lines.append('  u%d -> u%d;' % (parent, unit_id))

    drawn = set()
    links = set(shared)
    for network in networks:
        for i, (heading, groups) in enumerate(antenna_columns(
                    data, data.children(network), departments)):
            units = [u for group in groups for u in group]
            lines.append('  subgraph cluster_n%d_%d {' % (network, i))
            lines.append('    style="rounded"; color="#9DB3CC"; '
                'margin=10; label="";')
            head = 'h%d_%d' % (network, i)
            lines.append('    %s [shape=box, style="rounded,filled", '
                'fillcolor="#DDE7F2", color="#9DB3CC", margin="0.12,0.06", '
                'label=<<b>%s</b>>];' % (head, escape(
                        heading or count_msg('antennas_count', len(units)))))
            previous = head
            for group in groups:
                for unit_id in group:
                    lines.append('    u%d [label=%s];' % (unit_id,
                            node_label(data.unit_name(unit_id),
                                posts.get(unit_id, Counter()),
                                shared_rows(unit_id))))
                for unit_id in group:
                    first = (int(previous[1:])
                        if previous.startswith('u') else None)
                    pair = {(first, unit_id), (unit_id, first)} & links
                    if first in group and pair:
                        # the dashed line between neighbours of a group
                        # points to the unit sharing the post
                        drawn.update(pair)
                        forward = (first, unit_id) in pair
                        back = (unit_id, first) in pair
                        lines.append('    u%d -> u%d [style=dashed, '
                            'color="#C55A11", dir=%s, arrowhead=normal, '
                            'arrowtail=normal];' % (first, unit_id,
                                'both' if forward and back
                                else 'forward' if forward else 'back'))
                    else:
                        lines.append('    %s -> u%d [style=invis];' % (
                                previous, unit_id))
                    previous = 'u%d' % unit_id
            lines.append('  }')
            lines.append('  u%d -> %s;' % (network, head))

    if posts.get(None):
        lines.append('  unplaced [label=%s];' % node_label(
                msg('not_placed'), posts[None], color='#C00000'))
    for main, extra in sorted(set(shared), key=lambda s: (s[0] or 0, s[1])):
        if (main, extra) in drawn:
            continue
        source = 'u%d' % main if main else 'unplaced'
        lines.append('  %s -> u%d [style=dashed, color="#C55A11", '
            'constraint=false, dir=forward, arrowhead=normal];' % (
                source, extra))
    lines.append('}')
    return '\n'.join(lines)


def org_chart_layout(data, timeout=120):
    """Return the laid out org chart from Graphviz's json output: nodes
    {name: (x0, y0, x1, y1, texts)}, edges [(tail, head, points)] and
    clusters {name: (x0, y0, x1, y1)} in points"""
    dot = shutil.which('dot')
    if not dot:
        raise OrgChartError(gettext('gru_staff.msg_org_chart_no_dot'))
    process = subprocess.run([dot, '-Tjson'],
        input=org_chart_dot(data).encode('utf-8'), capture_output=True,
        timeout=timeout)
    if process.returncode:
        raise OrgChartError(gettext('gru_staff.msg_org_chart_failed',
                error=process.stderr.decode('utf-8', 'replace')[:500]))
    graph = json.loads(process.stdout)
    nodes, names, clusters = {}, {}, {}
    for obj in graph.get('objects', []):
        if 'nodes' in obj or obj.get('name', '').startswith('cluster'):
            if 'bb' in obj:
                clusters[obj['name']] = tuple(map(float,
                        obj['bb'].split(',')))
            continue
        x, y = map(float, obj['pos'].split(','))
        w, h = float(obj['width']) * 72, float(obj['height']) * 72
        texts, face, bold = [], None, False
        for op in obj.get('_ldraw_', []):
            if op['op'] == 'F':
                face = (op['face'], op['size'])
            elif op['op'] == 't':
                bold = bool(op['fontchar'] & 1)
            elif op['op'] == 'T':
                texts.append((op['pt'][0], op['pt'][1], op['width'],
                        op['align'], op['text'], face, bold))
        nodes[obj['name']] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2,
            texts)
        names[obj['_gvid']] = obj['name']
    edges = []
    for edge in graph.get('edges', []):
        if edge.get('style') == 'invis' or 'pos' not in edge:
            continue
        points = []
        for item in edge['pos'].split():
            if item.startswith(('e,', 's,')):
                continue
            points.append(tuple(map(float, item.split(','))))
        edges.append((names[edge['tail']], names[edge['head']], points))
    return nodes, edges, clusters


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

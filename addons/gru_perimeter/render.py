# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Drawing of the perimeter map. The map is laid out once as a list of
shapes (a Canvas), then written as SVG text in pure Python or painted as
PNG with cairo (cairocffi): converting the SVG of 3,800 communes with
cairosvg took 7 to 12 s, painting them takes well under a second.
No Tryton here: the map model prepares a MapSpec."""
import functools
import io
import math
from xml.sax.saxutils import escape, quoteattr

__all__ = ['PALETTE', 'UNCOVERED', 'MapSpec', 'draw', 'draw_svg',
    'draw_png', 'text_width', 'overlap']

# Paul Tol's "bright", "light" and "muted" schemes, ordered so that
# neighbours in the list differ in hue and lightness; they stay apart for
# the common colour-vision deficiencies, and every perimeter also carries
# its antenna's name.
PALETTE = [
    '#4477AA', '#EE6677', '#228833', '#CCBB44', '#66CCEE', '#AA3377',
    '#EE8866', '#44BB99', '#BBCC33', '#77AADD', '#FFAABB', '#DDCC77',
    '#117733', '#882255', '#99DDFF', '#AAAA00', '#CC6677', '#44AA99',
    '#332288', '#EEDD88',
    ]
UNCOVERED = '#DDDDDD'
# the fills are tints: the borders and the labels stay readable on them
FILL_OPACITY = .8
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"

# approximate advance widths of DejaVu Sans, in em, when cairo is missing
_NARROW = set("ijlt.,:;'!|()[]f ")
_WIDE = set("mwMW@%")


@functools.lru_cache(maxsize=1)
def _measure_context():
    try:
        import cairocffi as cairo
    except (ImportError, OSError):
        return None
    return cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 1, 1))


@functools.lru_cache(maxsize=4096)
def text_width(text, size, bold=False):
    "Return the width in pixels of text at font size, in DejaVu Sans"
    context = _measure_context()
    if context is not None:
        import cairocffi as cairo
        context.select_font_face('DejaVu Sans', cairo.FONT_SLANT_NORMAL,
            cairo.FONT_WEIGHT_BOLD if bold else cairo.FONT_WEIGHT_NORMAL)
        context.set_font_size(size)
        return context.text_extents(text)[4]
    width = 0
    for char in text:
        if char in _NARROW:
            width += .34
        elif char in _WIDE:
            width += .92
        elif char.isupper() or char.isdigit():
            width += .68
        else:
            width += .6
    return width * size * (1.1 if bold else 1)


def overlap(a, b):
    "Return the area shared by the boxes (x, y, width, height) a and b"
    dx = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    dy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return dx * dy if dx > 0 and dy > 0 else 0


class MapSpec:
    """What the map shows.

    communes: [(polygons, antenna key or None, EPCI key, department)], the
    polygons in metres of a plane (y towards the north);
    antennas: [{'key', 'name', 'colour', 'seat': (x, y) or None,
    'population', 'communes', 'group'}] in the order of the legend
    (antennas of one group share a manager);
    links: [(antenna key, antenna key)] of the shared managers;
    labels: the translated words of the legend;
    number: the function formatting an integer."""

    def __init__(self, communes, antennas, links=(), title='', subtitle='',
            source='', labels=None, number=None):
        self.communes = communes
        self.antennas = antennas
        self.links = list(links)
        self.title = title
        self.subtitle = subtitle
        self.source = source
        self.labels = dict(DEFAULT_LABELS, **(labels or {}))
        self.number = number or (lambda n: '{:,}'.format(n))


DEFAULT_LABELS = {
    'antenna': "Antenna",
    'population': "Population",
    'communes': "Communes",
    'total': "Total",
    'seat': "Antenna seat",
    'shared': "Shared manager",
    'uncovered': "No antenna",
    'epci': "EPCI border",
    'department': "Department border",
    }


def _chain(edges):
    "Join the edges [(a, b)] into polylines [[a, b, c...]]"
    neighbours = {}
    for a, b in edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    lines = []

    def walk(start):
        line = [start]
        current = start
        while neighbours.get(current):
            following = neighbours[current].pop()
            neighbours[following].remove(current)
            line.append(following)
            current = following
        return line
    # open chains first (ends have an odd degree), then the loops
    for vertex in list(neighbours):
        if len(neighbours[vertex]) % 2:
            while neighbours[vertex]:
                lines.append(walk(vertex))
    for vertex in list(neighbours):
        while neighbours[vertex]:
            lines.append(walk(vertex))
    return lines


class Canvas:
    """The shapes of a picture in pixels, in painting order. A shape is a
    dict with its 'kind' (paths, polyline, line, circle, rect, text) and
    its style; 'cls' and 'data' only go to the SVG (for the tests)."""

    def __init__(self, width, height=0):
        self.width = width
        self.height = height
        self.shapes = []

    def add(self, kind, **style):
        style['kind'] = kind
        self.shapes.append(style)

    def to_svg(self):
        out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
            'height="%d" viewBox="0 0 %d %d" font-family=%s>' % (
                self.width, round(self.height), self.width,
                round(self.height), quoteattr(FONT)),
            '<rect width="100%" height="100%" fill="#ffffff"/>']
        for shape in self.shapes:
            out.append(getattr(self, '_svg_' + shape['kind'])(shape))
        out.append('</svg>')
        return '\n'.join(out)

    @staticmethod
    def _attrs(shape):
        attrs = []
        if shape.get('fill') is not None:
            attrs.append('fill="%s"' % shape['fill'])
        if shape.get('fill_opacity') is not None:
            attrs.append('fill-opacity="%s"' % shape['fill_opacity'])
        if shape.get('stroke'):
            attrs.append('stroke="%s" stroke-width="%.2f"' % (
                    shape['stroke'], shape['width']))
            if shape.get('stroke_opacity') is not None:
                attrs.append('stroke-opacity="%s"' % shape['stroke_opacity'])
            if shape.get('dash'):
                attrs.append('stroke-dasharray="%s"' % ' '.join(
                        '%.1f' % d for d in shape['dash']))
        if shape.get('cls'):
            attrs.append('class="%s"' % shape['cls'])
        for key, value in (shape.get('data') or {}).items():
            attrs.append('data-%s=%s' % (key, quoteattr(str(value))))
        return ' '.join(attrs)

    @staticmethod
    def _d(rings, close):
        return ''.join('M' + 'L'.join('%.1f %.1f' % p for p in ring)
            + ('Z' if close else '') for ring in rings)

    def _svg_paths(self, shape):
        # one path per item (a commune), the style on the group
        lines = ['<g %s fill-rule="evenodd" stroke-linejoin="round">'
            % self._attrs(shape)]
        lines.extend('<path d="%s"/>' % self._d(rings, True)
            for rings in shape['items'])
        lines.append('</g>')
        return '\n'.join(lines)

    def _svg_polyline(self, shape):
        return ('<path d="%s" fill="none" stroke-linejoin="round" '
            'stroke-linecap="round" %s/>' % (
                self._d(shape['lines'], False), self._attrs(shape)))

    def _svg_line(self, shape):
        return '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" %s/>' % (
            shape['x1'], shape['y1'], shape['x2'], shape['y2'],
            self._attrs(shape))

    def _svg_circle(self, shape):
        return '<circle cx="%.1f" cy="%.1f" r="%.1f" %s/>' % (
            shape['x'], shape['y'], shape['r'], self._attrs(shape))

    def _svg_rect(self, shape):
        return ('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
            'rx="%.1f" %s/>' % (shape['x'], shape['y'], shape['w'],
                shape['h'], shape.get('rx', 0), self._attrs(shape)))

    def _svg_text(self, shape):
        extra = ''
        if shape.get('bold'):
            extra += ' font-weight="bold"'
        if shape.get('anchor', 'start') != 'start':
            extra += ' text-anchor="%s"' % shape['anchor']
        return '<text x="%.1f" y="%.1f" font-size="%.1f"%s %s>%s</text>' % (
            shape['x'], shape['y'], shape['size'], extra,
            self._attrs(shape), escape(shape['text']))

    def to_png(self, scale=1):
        "Return the PNG bytes, scale times the size of the canvas"
        import cairocffi as cairo
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32,
            int(round(self.width * scale)), int(round(self.height * scale)))
        context = cairo.Context(surface)
        context.scale(scale, scale)
        context.set_source_rgb(1, 1, 1)
        context.paint()
        context.set_line_join(cairo.LINE_JOIN_ROUND)
        for shape in self.shapes:
            getattr(self, '_png_' + shape['kind'])(context, shape)
        output = io.BytesIO()
        surface.write_to_png(output)
        surface.finish()
        return output.getvalue()

    @staticmethod
    def _rgb(colour):
        colour = colour.lstrip('#')
        return tuple(int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4))

    def _fill_stroke(self, context, shape):
        import cairocffi as cairo
        if shape.get('fill') not in (None, 'none'):
            context.set_source_rgba(*self._rgb(shape['fill']),
                float(shape.get('fill_opacity') or 1))
            if shape.get('stroke'):
                context.fill_preserve()
            else:
                context.fill()
        if shape.get('stroke'):
            context.set_source_rgba(*self._rgb(shape['stroke']),
                float(shape.get('stroke_opacity') or 1))
            context.set_line_width(shape['width'])
            context.set_dash(shape.get('dash') or [])
            context.set_line_cap(cairo.LINE_CAP_ROUND
                if shape['kind'] == 'polyline' else cairo.LINE_CAP_BUTT)
            context.stroke()
        context.new_path()

    def _png_paths(self, context, shape):
        import cairocffi as cairo
        context.set_fill_rule(cairo.FILL_RULE_EVEN_ODD)
        for rings in shape['items']:
            for ring in rings:
                context.move_to(*ring[0])
                for point in ring[1:]:
                    context.line_to(*point)
                context.close_path()
            self._fill_stroke(context, shape)

    def _png_polyline(self, context, shape):
        for line in shape['lines']:
            context.move_to(*line[0])
            for point in line[1:]:
                context.line_to(*point)
        self._fill_stroke(context, dict(shape, fill=None))

    def _png_line(self, context, shape):
        context.move_to(shape['x1'], shape['y1'])
        context.line_to(shape['x2'], shape['y2'])
        self._fill_stroke(context, dict(shape, fill=None))

    def _png_circle(self, context, shape):
        context.arc(shape['x'], shape['y'], shape['r'], 0, 2 * math.pi)
        self._fill_stroke(context, shape)

    def _png_rect(self, context, shape):
        x, y, w, h = shape['x'], shape['y'], shape['w'], shape['h']
        r = min(shape.get('rx', 0), w / 2, h / 2)
        if r:
            context.new_sub_path()
            context.arc(x + w - r, y + r, r, -math.pi / 2, 0)
            context.arc(x + w - r, y + h - r, r, 0, math.pi / 2)
            context.arc(x + r, y + h - r, r, math.pi / 2, math.pi)
            context.arc(x + r, y + r, r, math.pi, 3 * math.pi / 2)
            context.close_path()
        else:
            context.rectangle(x, y, w, h)
        self._fill_stroke(context, shape)

    def _png_text(self, context, shape):
        import cairocffi as cairo
        context.select_font_face('DejaVu Sans', cairo.FONT_SLANT_NORMAL,
            cairo.FONT_WEIGHT_BOLD if shape.get('bold')
            else cairo.FONT_WEIGHT_NORMAL)
        context.set_font_size(shape['size'])
        x = shape['x']
        anchor = shape.get('anchor', 'start')
        if anchor != 'start':
            advance = context.text_extents(shape['text'])[4]
            x -= advance if anchor == 'end' else advance / 2
        context.set_source_rgb(*self._rgb(shape.get('fill') or '#111111'))
        context.move_to(x, shape['y'])
        context.show_text(shape['text'])
        context.new_path()


class _Frame:
    "Map metres to pixels"

    def __init__(self, bounds, x, y, width):
        xmin, ymin, xmax, ymax = bounds
        self.scale = width / max(xmax - xmin, 1)
        self.xmin, self.ymax = xmin, ymax
        self.x, self.y = x, y
        self.width = width
        self.height = (ymax - ymin) * self.scale

    def __call__(self, point):
        return (self.x + (point[0] - self.xmin) * self.scale,
            self.y + (self.ymax - point[1]) * self.scale)

    def points(self, points):
        "Return the pixels of points"
        scale, xmin, ymax, x0, y0 = (
            self.scale, self.xmin, self.ymax, self.x, self.y)
        return [(x0 + (px - xmin) * scale, y0 + (ymax - py) * scale)
            for px, py in points]


def draw(spec, width=1600):
    """Return the Canvas of the map and the boxes of the seat labels
    {antenna key: (x, y, width, height)}"""
    k = width / 1600
    margin = 20 * k
    header = 84 * k
    map_width = width * .64
    legend_x = margin + map_width + 28 * k
    legend_width = width - margin - legend_x
    points = [pt for polygons, _, _, _ in spec.communes
        for polygon in polygons for ring in polygon for pt in ring]
    if points:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        bounds = (min(xs), min(ys), max(xs), max(ys))
    else:
        bounds = (0, 0, 1, 1)
    frame = _Frame(bounds, margin, header, map_width)
    colour = {a['key']: a['colour'] for a in spec.antennas}
    canvas = Canvas(width)
    add = canvas.add

    # the communes by antenna, then the borders from the shared edges:
    # the commune borders drawn once each, thin and white, the EPCI
    # borders thicker, the department borders (and the region's outline)
    # thickest
    edges = {}
    by_colour = {}
    for polygons, antenna, epci, department in spec.communes:
        rings = []
        owner = (epci, department)
        for polygon in polygons:
            for ring in polygon:
                rings.append(frame.points(ring))
                previous = ring[-1]
                for point in ring:
                    edge = ((previous, point) if previous < point
                        else (point, previous))
                    previous = point
                    if edge in edges:
                        edges[edge].append(owner)
                    else:
                        edges[edge] = [owner]
        if rings:
            by_colour.setdefault(colour.get(antenna, UNCOVERED), []).append(
                rings)
    for fill, items in by_colour.items():
        add('paths', items=items, fill=fill, fill_opacity=FILL_OPACITY)
    commune_edges, epci_edges, department_edges = [], [], []
    for edge, owners in edges.items():
        if len(owners) == 1:
            department_edges.append(edge)
        elif owners[0][1] != owners[1][1]:
            department_edges.append(edge)
        elif owners[0][0] != owners[1][0]:
            epci_edges.append(edge)
        else:
            commune_edges.append(edge)
    for edges_, stroke, size, opacity in [
            (commune_edges, '#ffffff', .6 * k, .5),
            (epci_edges, '#3a3a3a', 1.1 * k, None),
            (department_edges, '#111111', 2.6 * k, None),
            ]:
        add('polyline', lines=[frame.points(line)
                for line in _chain(edges_)],
            stroke=stroke, width=size, stroke_opacity=opacity)

    # shared managers: a dashed link between the seats
    seats = {a['key']: frame(a['seat']) for a in spec.antennas
        if a.get('seat')}
    for one, other in spec.links:
        if one in seats and other in seats:
            (x1, y1), (x2, y2) = seats[one], seats[other]
            add('line', x1=x1, y1=y1, x2=x2, y2=y2, stroke='#000000',
                width=2.2 * k, dash=[7 * k, 4 * k], cls='shared-link')

    # seats and their labels, placed so that they do not overlap
    font = 13 * k
    radius = 5.5 * k
    obstacles = [(x - radius, y - radius, 2 * radius, 2 * radius)
        for x, y in seats.values()]
    area = (frame.x, frame.y, frame.width, frame.height)
    boxes = {}
    order = sorted((a for a in spec.antennas if a['key'] in seats),
        key=lambda a: -len(a['name']))
    for antenna in order:
        x, y = seats[antenna['key']]
        w = text_width(antenna['name'], font, bold=True) + 9 * k
        h = font + 7 * k
        gap = radius + 3 * k
        candidates = []
        for factor in [1, 2.2, 3.6]:
            g = gap * factor
            candidates += [
                (x + g, y - h / 2), (x - g - w, y - h / 2),
                (x - w / 2, y - g - h), (x - w / 2, y + g),
                (x + g, y - g - h + h / 3), (x + g, y + g - h / 3),
                (x - g - w, y - g - h + h / 3), (x - g - w, y + g - h / 3),
                ]
        # then stacked beside the seat, further and further, with a leader
        step = h + 4 * k
        for j in range(1, 9):
            for g in [gap, gap * 3]:
                for sign in [-1, 1]:
                    cy = y - h / 2 + sign * j * step
                    candidates += [(x + g, cy), (x - g - w, cy)]
        best, best_cost = None, None
        for cx, cy in candidates:
            box = (cx, cy, w, h)
            # a margin of 2 pixels between the labels
            padded = (cx - 2 * k, cy - 2 * k, w + 4 * k, h + 4 * k)
            cost = sum(overlap(padded, b) for b in boxes.values())
            cost += sum(overlap(box, o) for o in obstacles)
            inside = overlap(box, area)
            cost += (w * h - inside) * 4
            if best_cost is None or cost < best_cost - 1e-9:
                best, best_cost = box, cost
            if cost == 0:
                break
        boxes[antenna['key']] = best
    for antenna in spec.antennas:
        if antenna['key'] in seats:
            x, y = seats[antenna['key']]
            add('circle', x=x, y=y, r=radius, fill='#111111',
                stroke='#ffffff', width=2 * k, cls='seat')
    for antenna in spec.antennas:
        box = boxes.get(antenna['key'])
        if not box:
            continue
        bx, by, bw, bh = box
        x, y = seats[antenna['key']]
        nx, ny = min(max(x, bx), bx + bw), min(max(y, by), by + bh)
        if (nx - x) ** 2 + (ny - y) ** 2 > (radius * 3) ** 2:
            # a leader from the seat to its label moved away
            add('line', x1=x, y1=y, x2=nx, y2=ny, stroke='#111111',
                width=1.2 * k, cls='leader')
        add('rect', x=bx, y=by, w=bw, h=bh, rx=3 * k, fill='#ffffff',
            fill_opacity=.9, stroke=antenna['colour'], width=1.6 * k,
            cls='seat-label', data={'antenna': antenna['key']})
        add('text', x=bx + 4 * k, y=by + bh - 4.6 * k, size=font, bold=True,
            fill='#111111', text=antenna['name'])

    legend_height = _legend(canvas, spec, legend_x, header, legend_width, k)
    body = max(frame.height, legend_height)
    canvas.height = header + body + 44 * k
    add('text', x=margin, y=margin + 28 * k, size=28 * k, bold=True,
        fill='#111111', text=spec.title, cls='title')
    add('text', x=margin, y=margin + 54 * k, size=16 * k, fill='#333333',
        text=spec.subtitle, cls='subtitle')
    add('text', x=margin, y=canvas.height - 16 * k, size=12.5 * k,
        fill='#444444', text=spec.source, cls='source')
    return canvas, boxes


def draw_svg(spec, width=1600):
    """Return the SVG text of the map and the boxes of the seat labels
    {antenna key: (x, y, width, height)}"""
    canvas, boxes = draw(spec, width=width)
    return canvas.to_svg(), boxes


def draw_png(spec, width=1600):
    "Return the PNG bytes of the map"
    canvas, _ = draw(spec, width=width)
    return canvas.to_png()


def _legend(canvas, spec, x, y, width, k):
    "Add the legend to canvas and return its height"
    add = canvas.add
    font = 14 * k
    row = 23 * k
    bracket = 12 * k
    labels = spec.labels
    swatch_x = x + bracket + 4 * k
    name_x = swatch_x + 28 * k
    communes_right = x + width
    population_right = communes_right - max(96 * k,
        text_width(labels['communes'], font, bold=True) + 14 * k)
    name_room = population_right - max(100 * k,
        text_width(labels['population'], font, bold=True) + 14 * k) - name_x

    def text(tx, ty, value, **style):
        add('text', x=tx, y=ty, size=font, fill='#111111', text=value,
            **style)

    def rule(ty):
        add('line', x1=x, y1=ty, x2=communes_right, y2=ty,
            stroke='#111111', width=k)

    def swatch(ty, fill):
        add('rect', x=swatch_x, y=ty - font + k, w=20 * k, h=font,
            fill=fill, fill_opacity=FILL_OPACITY, stroke='#333333',
            width=.8 * k)
    cy = y + 16 * k
    text(name_x, cy, labels['antenna'], bold=True)
    text(population_right, cy, labels['population'], bold=True,
        anchor='end')
    text(communes_right, cy, labels['communes'], bold=True, anchor='end')
    cy += 8 * k
    rule(cy)
    groups = []
    for antenna in spec.antennas:
        if groups and groups[-1][0] == antenna.get('group') \
                and antenna.get('group') is not None:
            groups[-1][1].append(antenna)
        else:
            groups.append((antenna.get('group'), [antenna]))
    population = communes = 0
    for group, antennas in groups:
        top = cy + 4 * k
        for antenna in antennas:
            cy += row
            population += antenna['population'] or 0
            communes += antenna['communes'] or 0
            swatch(cy, antenna['colour'])
            name = antenna['name']
            while (text_width(name, font) > name_room and len(name) > 4):
                name = name[:-2].rstrip() + '…'
            text(name_x, cy, name, cls='legend-name')
            text(population_right, cy,
                spec.number(antenna['population'] or 0), anchor='end')
            text(communes_right, cy, spec.number(antenna['communes'] or 0),
                anchor='end')
        if len(antennas) > 1:
            bottom = cy + 4 * k
            add('polyline', lines=[[(x + bracket, top), (x + 2 * k, top),
                        (x + 2 * k, bottom), (x + bracket, bottom)]],
                stroke='#000000', width=1.8 * k, dash=[4 * k, 2.5 * k],
                cls='shared-group')
        cy += 5 * k
    cy += 6 * k
    rule(cy)
    cy += row
    text(name_x, cy, labels['total'], bold=True)
    text(population_right, cy, spec.number(population), bold=True,
        anchor='end')
    text(communes_right, cy, spec.number(communes), bold=True, anchor='end')

    # the symbols
    cy += 2 * row
    add('circle', x=swatch_x + 10 * k, y=cy - font / 3, r=5.5 * k,
        fill='#111111', stroke='#ffffff', width=2 * k)
    text(name_x, cy, labels['seat'])
    cy += row
    add('line', x1=swatch_x - 6 * k, y1=cy - font / 3, x2=swatch_x + 22 * k,
        y2=cy - font / 3, stroke='#000000', width=2.2 * k,
        dash=[7 * k, 4 * k])
    text(name_x, cy, labels['shared'])
    for stroke, size, label in [
            ('#3a3a3a', 1.1 * k, labels['epci']),
            ('#111111', 2.6 * k, labels['department']),
            ]:
        cy += row
        add('line', x1=swatch_x - 6 * k, y1=cy - font / 3,
            x2=swatch_x + 22 * k, y2=cy - font / 3, stroke=stroke,
            width=size)
        text(name_x, cy, label)
    if any(a is None for _, a, _, _ in spec.communes):
        cy += row
        swatch(cy, UNCOVERED)
        text(name_x, cy, labels['uncovered'])
    return cy - y + row

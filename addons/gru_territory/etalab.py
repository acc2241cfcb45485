# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Import of the official territory data published by Etalab in the npm
package @etalab/decoupage-administratif (communes.json and epci.json)."""
import json
import os
import time

from trytond import config
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import ImportDataError

PACKAGE = '@etalab/decoupage-administratif'
DEFAULT_REGION = '32'  # Hauts-de-France


def default_data_path():
    """Return the folder holding communes.json and epci.json:
    [gru_territory] etalab_path, else $GRU_ETALAB_PATH, else the copy the
    setup script installs under var/npm of the project."""
    path = config.get('gru_territory', 'etalab_path', default=None)
    if not path:
        path = os.environ.get('GRU_ETALAB_PATH')
    if not path:
        root = os.path.dirname(os.path.dirname(os.path.dirname(
                    os.path.abspath(__file__))))
        path = os.path.join(root, 'var', 'npm', 'node_modules',
            *PACKAGE.split('/'), 'data')
    return path


def load_files(path):
    "Return the communes and EPCI lists read from path"
    data = {}
    for name in ['communes', 'epci']:
        filename = os.path.join(path, name + '.json')
        try:
            with open(filename, encoding='utf-8') as fp:
                data[name] = json.load(fp)
        except FileNotFoundError:
            raise ImportDataError(gettext(
                    'gru_territory.msg_import_file_missing',
                    filename=filename))
        except (ValueError, UnicodeDecodeError) as exception:
            raise ImportDataError(gettext(
                    'gru_territory.msg_import_file_invalid',
                    filename=filename, error=str(exception)))
        if not isinstance(data[name], list):
            raise ImportDataError(gettext(
                    'gru_territory.msg_import_file_invalid',
                    filename=filename, error="not a JSON list"))
    return data['communes'], data['epci']


class _Counter(dict):
    def __missing__(self, key):
        return 0


def import_territory(path=None, region=None, progress=None):
    """Create or update communes, EPCI and postal codes of the region from
    the Etalab files in path.

    Idempotent: records are matched on their official codes (INSEE, SIREN,
    postal code) and only changed values are written; communes no longer
    published are deactivated, never deleted.
    Return a report {model: {'created', 'updated', 'deactivated',
    'unchanged'}} plus 'errors' (the rejected entries with their reason)
    and 'duration'.
    """
    pool = Pool()
    PostalCode = pool.get('gru.postal_code')
    Epci = pool.get('gru.epci')
    Commune = pool.get('gru.commune')
    Rel = pool.get('gru.commune-gru.postal_code')
    Routing = pool.get('gru.territory.routing')
    start = time.monotonic()
    path = path or default_data_path()
    region = region or config.get(
        'gru_territory', 'region', default=DEFAULT_REGION)
    if progress is None:
        def progress(step, done, total):
            pass

    communes_data, epci_data = load_files(path)
    report = {
        'postal_codes': _Counter(),
        'epci': _Counter(),
        'communes': _Counter(),
        'errors': [],
        }

    # Communes of the region, current ones only (delegated and associated
    # communes repeat the codes of their commune).
    communes = {}
    for entry in communes_data:
        if not isinstance(entry, dict):
            report['errors'].append(("communes.json", "not an object"))
            continue
        if (entry.get('region') != region
                or entry.get('type') != 'commune-actuelle'):
            continue
        code, name = entry.get('code'), entry.get('nom')
        if not code or not name:
            report['errors'].append(
                (str(code or name), "missing code or name"))
            continue
        communes[code] = entry
    progress('communes read', len(communes), len(communes))

    # EPCI with at least one member commune in the region
    epcis = {}
    commune2epci = {}
    outside = {}
    for entry in epci_data:
        members = entry.get('membres') or []
        inside = [m['code'] for m in members if m.get('code') in communes]
        if not inside:
            continue
        epcis[entry['code']] = entry
        outside[entry['code']] = len(members) - len(inside)
        for code in inside:
            commune2epci[code] = entry['code']

    # Postal codes
    codes = sorted({c for e in communes.values()
            for c in (e.get('codesPostaux') or [])})
    existing = {p.code: p for p in PostalCode.search(
            [('active', 'in', [True, False])])}
    to_create = [{'code': c} for c in codes if c not in existing]
    to_activate = [existing[c] for c in codes
        if c in existing and not existing[c].active]
    if to_create:
        for record in PostalCode.create(to_create):
            existing[record.code] = record
    if to_activate:
        PostalCode.write(to_activate, {'active': True})
    report['postal_codes']['created'] = len(to_create)
    report['postal_codes']['updated'] = len(to_activate)
    report['postal_codes']['unchanged'] = (
        len(codes) - len(to_create) - len(to_activate))
    progress('postal codes', len(codes), len(codes))

    # EPCI
    types = dict(Epci.fields_get(['type'])['type']['selection'])
    existing_epci = {e.siren: e for e in Epci.search(
            [('active', 'in', [True, False])])}
    to_create, to_write = [], []
    for siren, entry in sorted(epcis.items()):
        epci_type = entry.get('type')
        if epci_type not in types:
            report['errors'].append(
                (siren, "unknown EPCI type %r" % epci_type))
            continue
        values = {
            'name': entry.get('nom') or siren,
            'type': epci_type,
            'outside_communes': outside[siren],
            'active': True,
            }
        record = existing_epci.get(siren)
        if record is None:
            to_create.append(dict(values, siren=siren))
        else:
            changed = {k: v for k, v in values.items()
                if getattr(record, k) != v}
            if changed:
                to_write.extend(([record], changed))
    if to_create:
        for record in Epci.create(to_create):
            existing_epci[record.siren] = record
    if to_write:
        Epci.write(*to_write)
    report['epci']['created'] = len(to_create)
    report['epci']['updated'] = len(to_write) // 2
    report['epci']['unchanged'] = (
        len(epcis) - len(to_create) - len(to_write) // 2)
    gone = [e for s, e in existing_epci.items()
        if s not in epcis and e.active]
    if gone:
        Epci.write(gone, {'active': False})
    report['epci']['deactivated'] = len(gone)
    progress('EPCI', len(epcis), len(epcis))

    # Communes: current values read in bulk (instantiating thousands of
    # records one by one is slow) and compared to the published ones
    cursor = Transaction().connection.cursor()
    commune = Commune.__table__()
    rel = Rel.__table__()
    existing_communes = {}
    cursor.execute(*commune.select(commune.id, commune.insee_code,
            commune.name, commune.department, commune.epci,
            commune.population, commune.active))
    for id_, insee, name, department, epci, population, active in cursor:
        existing_communes[insee] = {
            'id': id_, 'name': name, 'department': department,
            'epci': epci, 'population': population, 'active': bool(active),
            'postal_codes': [],
            }
    by_id = {v['id']: v for v in existing_communes.values()}
    cursor.execute(*rel.select(rel.commune, rel.postal_code))
    for commune_id, postal_code_id in cursor:
        by_id[commune_id]['postal_codes'].append(postal_code_id)
    to_create, to_write = [], []
    total = len(communes)
    for i, (code, entry) in enumerate(sorted(communes.items()), 1):
        epci_code = commune2epci.get(code)
        epci = existing_epci[epci_code].id if epci_code in existing_epci \
            else None
        population = entry.get('population')
        if population is not None and not isinstance(population, int):
            report['errors'].append(
                (code, "population is not an integer: %r" % population))
            population = None
        postal_ids = sorted(existing[c].id
            for c in (entry.get('codesPostaux') or []))
        values = {
            'name': entry['nom'],
            'department': entry.get('departement') or code[:2],
            'epci': epci,
            'population': population,
            'active': True,
            }
        current = existing_communes.get(code)
        if current is None:
            values['insee_code'] = code
            values['postal_codes'] = [('add', postal_ids)]
            to_create.append(values)
        else:
            changed = {k: v for k, v in values.items() if current[k] != v}
            current_codes = sorted(current['postal_codes'])
            if current_codes != postal_ids:
                changed['postal_codes'] = [
                    ('remove', current_codes), ('add', postal_ids)]
            if changed:
                to_write.extend(([Commune(current['id'])], changed))
        if i % 500 == 0 or i == total:
            progress('communes', i, total)
    if to_create:
        Commune.create(to_create)
    if to_write:
        Commune.write(*to_write)
    report['communes']['created'] = len(to_create)
    report['communes']['updated'] = len(to_write) // 2
    report['communes']['unchanged'] = (
        total - len(to_create) - len(to_write) // 2)
    gone = [Commune(c['id']) for k, c in existing_communes.items()
        if k not in communes and c['active']]
    if gone:
        Commune.write(gone, {'active': False})
    report['communes']['deactivated'] = len(gone)

    Routing.clear_cache()
    report['duration'] = time.monotonic() - start
    for key in ['postal_codes', 'epci', 'communes']:
        report[key] = dict(report[key])
    return report


def format_report(report):
    lines = []
    for key, label in [
            ('communes', "Communes"),
            ('epci', "EPCI"),
            ('postal_codes', "Postal codes"),
            ]:
        counts = report[key]
        lines.append('%s: %s' % (label, ', '.join('%s %s' % (
                            counts.get(k, 0), k)
                    for k in ['created', 'updated', 'deactivated',
                        'unchanged'])))
    for code, reason in report['errors']:
        lines.append('rejected %s: %s' % (code, reason))
    lines.append('duration: %.1f s' % report['duration'])
    return '\n'.join(lines)


class ImportStart(ModelView):
    "Import Territory Data"
    __string__ = "Import Territory Data"
    __name__ = 'gru.territory.import.start'

    path = fields.Char("Data Folder", required=True,
        help="The 'data' folder of the npm package "
        "@etalab/decoupage-administratif (communes.json, epci.json).")

    @staticmethod
    def default_path():
        return default_data_path()


class ImportResult(ModelView):
    "Import Territory Data"
    __string__ = "Import Territory Data"
    __name__ = 'gru.territory.import.result'

    report = fields.Text("Report", readonly=True)


class Import(Wizard):
    "Import Territory Data"
    __string__ = "Import Territory Data"
    __name__ = 'gru.territory.import'
    start = StateView('gru.territory.import.start',
        'gru_territory.import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView('gru.territory.import.result',
        'gru_territory.import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_import_(self):
        self._report = import_territory(path=self.start.path)
        return 'result'

    def default_result(self, fields):
        return {'report': format_report(self._report)}

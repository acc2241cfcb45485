#!/usr/bin/env python3
"""Check the 2022 antenna perimeter of the Hauts-de-France GRU.

Usage: python3 check_perimeter.py /path/to/decoupage-administratif/data

The data folder is the ``data`` directory of the npm package
``@etalab/decoupage-administratif@6.0.0`` (communes.json, epci.json).
Reads antennas.csv, perimeter_2022.csv and perimeter_exceptions_2022.csv
from the folder of this script. Standard library only.

Verifies that every region-32 'commune-actuelle' belongs to exactly one
antenna (EPCI assignment, then commune-level exceptions) and prints the
per-antenna table. Exit status 1 on any inconsistency.
"""
import csv
import json
import os
import sys

REGION = '32'
HERE = os.path.dirname(os.path.abspath(__file__))


def read_csv(name):
    with open(os.path.join(HERE, name), encoding='utf-8', newline='') as f:
        return list(csv.DictReader(f))


def main(data_dir):
    errors = []
    with open(os.path.join(data_dir, 'communes.json'), encoding='utf-8') as f:
        communes = {c['code']: c for c in json.load(f)
            if c.get('region') == REGION and c['type'] == 'commune-actuelle'}
    with open(os.path.join(data_dir, 'epci.json'), encoding='utf-8') as f:
        epcis = {e['code']: e for e in json.load(f)}

    antennas = read_csv('antennas.csv')
    codes = [a['code'] for a in antennas]
    if len(set(codes)) != len(codes):
        errors.append('duplicate antenna code')
    perimeter = read_csv('perimeter_2022.csv')
    exceptions = read_csv('perimeter_exceptions_2022.csv')

    # EPCI having at least one member in the region
    regional_epci = {code for code, e in epcis.items()
        if any(m['code'] in communes for m in e['membres'])}
    assigned_epci = [p['epci_siren'] for p in perimeter]
    if len(set(assigned_epci)) != len(assigned_epci):
        errors.append('EPCI assigned twice in perimeter_2022.csv')
    for code in sorted(regional_epci - set(assigned_epci)):
        errors.append(
            'EPCI %s (%s) has no antenna' % (code, epcis[code]['nom']))
    for code in sorted(set(assigned_epci) - regional_epci):
        errors.append('EPCI %s is not a region %s EPCI' % (code, REGION))

    assignment = {}  # insee -> list of antenna codes
    for p in perimeter:
        if p['antenna_code'] not in codes:
            errors.append('unknown antenna %s' % p['antenna_code'])
        for m in epcis.get(p['epci_siren'], {'membres': []})['membres']:
            if m['code'] in communes:  # only the Hauts-de-France members
                assignment.setdefault(m['code'], []).append(p['antenna_code'])
    for x in exceptions:
        if x['insee'] not in communes:
            errors.append('exception on unknown commune %s' % x['insee'])
        elif x['antenna_code'] not in codes:
            errors.append('unknown antenna %s' % x['antenna_code'])
        else:
            assignment[x['insee']] = [x['antenna_code']]

    for insee in sorted(communes):
        got = assignment.get(insee, [])
        if len(got) != 1:
            errors.append('commune %s %s has %d antennas: %s' % (
                    insee, communes[insee]['nom'], len(got), got))

    stats = {c: [0, 0] for c in codes}
    for insee, got in assignment.items():
        if insee in communes and len(got) == 1:
            stats[got[0]][0] += 1
            stats[got[0]][1] += communes[insee].get('population', 0)

    def num(v):
        return int(v) if v else None

    def fmt(v):
        return '' if v is None else str(v)

    header = ('code', 'communes', 'population', 'report_communes',
        'report_population', 'diff_communes', 'diff_population')
    rows = []
    for a in antennas:
        n, pop = stats[a['code']]
        rc, rp = num(a['report_communes']), num(a['report_population'])
        rows.append((a['code'], n, pop, rc, rp,
                None if rc is None else n - rc,
                None if rp is None else pop - rp))
    rows.append(('TOTAL', sum(r[1] for r in rows), sum(r[2] for r in rows),
            None, None, None, None))
    widths = [max(len(fmt(r[i])) for r in rows + [header])
        for i in range(len(header))]
    line = '  '.join('=' * w for w in widths)
    print(line)
    print('  '.join(h.ljust(w) for h, w in zip(header, widths)))
    print(line)
    for r in rows:
        if r[0] == 'TOTAL':
            print(line)
        print('  '.join(fmt(v).ljust(w) if i == 0 else fmt(v).rjust(w)
                for i, (v, w) in enumerate(zip(r, widths))).rstrip())
    print(line)
    print()
    print('region %s communes: %d, assigned exactly once: %d' % (
            REGION, len(communes),
            sum(1 for i in communes if len(assignment.get(i, [])) == 1)))
    print('EPCI with members in region %s: %d, assigned: %d' % (
            REGION, len(regional_epci), len(set(assigned_epci))))
    for e in errors:
        print('ERROR:', e)
    return 1 if errors else 0


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))

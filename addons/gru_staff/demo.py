# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The two staff plans of the report to the comité technique of
3 October 2022 (source plan of 9 May 2022 and target plan), 97 posts each,
with their units, shared posts and transformation links.

Used by the demo loaders (scripts/demo_data/20_staff.py for the plans,
40_scheme.py for the referent instructors, 20_staff.py and 60_inbox.py for
the employees of the demo logins) and the tests.
See doc/design.rst for how the report's figures were read.
"""
import datetime as dt
import random
from decimal import Decimal

from trytond.pool import Pool

SOURCE_NAME = "Organigramme source CT du 09/05/2022"
TARGET_NAME = "Organigramme cible CT du 03/10/2022"

GAF = "Gestionnaire administratif/ve et/ou financier/e"
CT = "Conseiller téléphonique"
MD = "Manager de direction"
MI = "Manager intermédiaire"
MP = "Manager de proximité"
ADVISER = "Conseiller technique"

# key: (title, category, management level, job family)
JOBS = {
    'DIR': ("Directeur/trice", 'A', 'direction', MD),
    'HEAD_DEP': ("Responsable de département", 'A', 'direction', MD),
    'HEAD_SRV': ("Responsable de service", 'A', 'intermediate', MI),
    'DEPUTY': ("Responsable de service adjoint", 'A', 'intermediate', MI),
    'HEAD_SEC': ("Responsable de secteur", 'A', 'proximity', MP),
    'R': ("Responsable d'antenne", 'A', 'proximity', MP),
    'CTIR': ("Conseiller/ère technique information et animation des "
        "réseaux", 'A', 'none', ADVISER),
    'CTSI': ("Conseiller/ère technique SI", 'A', 'none', ADVISER),
    'CAF': ("Cadre administratif et financier", 'A', 'none',
        "Cadre administratif et financier"),
    'CM': ("Chargé/e de mission", 'A', 'none', "Chargé/e de mission"),
    'RPG': ("Responsable de projet GRU", 'A', 'none',
        "Responsable de projet"),
    'GA': ("Gestionnaire administratif/ve", 'B', 'none', GAF),
    'GAF': ("Gestionnaire administratif/ve et/ou financier/e", 'B', 'none',
        GAF),
    'GAFS': ("Gestionnaire administratif/ve et financier/ère", 'B', 'none',
        GAF),
    'ASSIST': ("Assistant/e de direction", 'B', 'none',
        "Assistant de direction"),
    'CI': ("Chargé/e d'information", 'B', 'none', CT),
    'GRP': ("Gestionnaire de relations publiques", 'B', 'none',
        "Gestionnaire de relations publiques"),
    'INSTR': ("Gestionnaire instructeur/rice", 'B', 'none', GAF),
    'GESI': ("Gestionnaire d'études et de système d'information", 'B',
        'none', "Gestionnaire d'études et de SI"),
    'GED': ("Gestionnaire d'études et de dispositifs", 'B', 'none',
        "Gestionnaire d'études et de SI"),
    }

DIRECTION = "Direction des antennes régionales et de la relation aux usagers"

# units: (key, name, kind, parent, antenna code)
SOURCE_UNITS = [
    ('D', DIRECTION, 'direction', None, None),
    ('DIA', "Département Information et accompagnement", 'department',
        'D', None),
    ('SADA', "Service appui au développement des antennes", 'service',
        'DIA', None),
    ('ANT', "Antennes régionales de proximité", 'network', 'DIA', None),
    ('DGA', "Département Gestion des aides individuelles", 'department',
        'D', None),
    ('SIN', "Service instruction des aides individuelles", 'service',
        'DGA', None),
    ('SFAM', "Secteur instruction des aides aux familles", 'sector', 'SIN',
        None),
    ('SJEU', "Secteur instruction des aides à la jeunesse", 'sector', 'SIN',
        None),
    ('SAF', "Secteur administratif et financier", 'sector', 'DGA', None),
    ] + [(code, name, 'antenna', 'ANT', antenna) for code, name, antenna in [
            ('AMI', "Antenne d'Amiens", 'AMI'),
            ('MDD', "Antenne de Montdidier", 'MDD'),
            ('SOI', "Antenne de Soissons", 'SOI'),
            ('CHT', "Antenne de Château-Thierry", 'CHT'),
            ('LAO', "Antenne de Laon", 'LAO'),
            ('STQ', "Antenne de Saint-Quentin", 'STQ'),
            ('CAM', "Antenne de Cambrai", 'CAM'),
            ('VAL', "Antenne de Valenciennes", 'VAL'),
            ('CLE', "Antenne de Clermont", 'CLE'),
            ('GRA', "Antenne de Grandvilliers", 'GRA'),
            ('ABB', "Antenne d'Abbeville", 'ABB'),
            ('ARR', "Antenne d'Arras", 'ARR'),
            ('FOU', "Antenne de Fourmies", 'SAT'),
            ('FRE', "Antenne de Frévent", 'FRE'),
            ('CAL', "Antenne de Calais", 'CAL'),
            ('MTR', "Antenne de Montreuil-sur-Mer", 'MTR'),
            ('HAZ', "Antenne d'Hazebrouck", 'HAZ'),
            ]]

# units: (key, name, kind, parent, antenna code, origin key)
TARGET_UNITS = [
    ('D', DIRECTION, 'direction', None, None, 'D'),
    ('DPT', "Département Proximité avec les territoires et usagers",
        'department', 'D', None, 'DIA'),
    ('SIA', "Service Information et accompagnement", 'service', 'DPT', None,
        'SADA'),
    ('ANT', "Antennes de la Région", 'network', 'DPT', None, 'ANT'),
    ('DGA', "Département Gestion des aides aux usagers", 'department', 'D',
        None, 'DGA'),
    ('SIN', "Service Instruction", 'service', 'DGA', None, 'SIN'),
    ('CSI', "Cellule système d'information DARRU", 'cell', 'DGA', None,
        None),
    ('SAF', "Secteur administratif et financier", 'sector', 'DGA', None,
        'SAF'),
    ] + [(code, name, 'antenna', 'ANT', antenna, origin)
        for code, name, antenna, origin in [
            ('AMI', "Antenne d'Amiens", 'AMI', 'AMI'),
            ('MDD', "Antenne de Montdidier", 'MDD', 'MDD'),
            ('CAM', "Antenne de Cambrai", 'CAM', 'CAM'),
            ('VAL', "Antenne du Valenciennois", 'VAL', 'VAL'),
            ('SAT', "Antenne Sambre – Avesnois – Thiérache", 'SAT', 'FOU'),
            ('ABB', "Antenne d'Abbeville", 'ABB', 'ABB'),
            ('HAZ', "Antenne d'Hazebrouck", 'HAZ', 'HAZ'),
            ('CAL', "Antenne du Calaisis", 'CAL', 'CAL'),
            ('CLE', "Antenne de Clermont", 'CLE', 'CLE'),
            ('GRA', "Antenne de Grandvilliers", 'GRA', 'GRA'),
            ('VDO', "Antenne de la Vallée de l'Oise", 'VDO', None),
            ('STQ', "Antenne de Saint-Quentin", 'STQ', 'STQ'),
            ('LAO', "Antenne de Laon", 'LAO', 'LAO'),
            ('ARR', "Antenne d'Arras", 'ARR', 'ARR'),
            ('BMN', "Antenne du Bassin minier", 'BMN', None),
            ('SOI', "Antenne de Soissons", 'SOI', 'SOI'),
            ('CHT', "Antenne de Château-Thierry", 'CHT', 'CHT'),
            ('FRE', "Antenne de Frévent", 'FRE', 'FRE'),
            ('MTR', "Antenne de Montreuil", 'MTR', 'MTR'),
            ]]


def _posts(unit, job, count=1, shared=()):
    "Return count position specs keyed '<unit>-<job><n>'"
    return [('%s-%s%d' % (unit, job, i), job, unit, tuple(shared))
        for i in range(1, count + 1)]


def source_positions():
    "Return the positions of the source plan: (key, job, unit, shared)"
    specs = (_posts('D', 'DIR') + _posts('D', 'CTIR') + _posts('D', 'CTSI')
        + _posts('D', 'GA')
        + _posts('DIA', 'HEAD_DEP')
        + _posts('SADA', 'HEAD_SRV') + _posts('SADA', 'GA', 3)
        + _posts('SADA', 'CM') + _posts('SADA', 'CI', 3)
        + _posts('DGA', 'HEAD_DEP') + _posts('DGA', 'GAF')
        + _posts('SIN', 'HEAD_SRV')
        + _posts('SFAM', 'HEAD_SEC') + _posts('SFAM', 'INSTR', 6)
        + _posts('SJEU', 'HEAD_SEC') + _posts('SJEU', 'INSTR', 15)
        + _posts('SAF', 'HEAD_SEC') + _posts('SAF', 'GAFS', 2))
    specs += (_posts('AMI', 'R', shared=['MDD']) + _posts('AMI', 'GA')
        + _posts('AMI', 'CI', 7)
        + _posts('MDD', 'GA', 2) + _posts('MDD', 'CI')
        + _posts('SOI', 'R', shared=['CHT']) + _posts('SOI', 'GA')
        + _posts('SOI', 'CI')
        + _posts('CAM', 'R', shared=['VAL']) + _posts('CAM', 'GA')
        + _posts('CAM', 'CI')
        + _posts('VAL', 'GA', 2) + _posts('VAL', 'CI')
        + _posts('CHT', 'GA') + [('CHT-GA2', 'GA', 'CHT', ('SOI',))]
        + _posts('LAO', 'GA', 2) + _posts('LAO', 'CI')
        + _posts('CLE', 'R', shared=['GRA']) + _posts('CLE', 'GA')
        + _posts('CLE', 'CI')
        + _posts('GRA', 'GA', 2)
        + _posts('STQ', 'R', shared=['LAO']) + _posts('STQ', 'GA')
        + _posts('STQ', 'CI'))
    for unit in ['ABB', 'ARR', 'FOU', 'FRE', 'CAL', 'MTR', 'HAZ']:
        specs += _posts(unit, 'R') + _posts(unit, 'GA') + _posts(unit, 'CI')
    return specs


def target_positions():
    """Return the positions of the target plan:
    (key, job, unit, shared, origin key)"""
    specs = []

    def add(unit, job, origins, shared=(), start=1):
        for i, origin in enumerate(origins, start):
            specs.append(('%s-%s%d' % (unit or 'NP', job, i), job, unit,
                    tuple(shared), origin))

    add('D', 'DIR', ['D-DIR1'])
    add('D', 'CTIR', ['D-CTIR1'])
    add('D', 'CAF', ['SFAM-HEAD_SEC1'])
    add('D', 'GA', ['D-GA1'])
    add('DPT', 'HEAD_DEP', ['DIA-HEAD_DEP1'])
    add('DPT', 'ASSIST', ['SADA-CI3'])
    add('SIA', 'HEAD_SRV', ['SADA-HEAD_SRV1'])
    add('SIA', 'GA', ['SADA-GA1', 'SADA-GA2', 'SADA-GA3'])
    add('SIA', 'CI', ['AMI-CI%d' % i for i in range(2, 8)] + ['SADA-CI1'])
    add('DGA', 'HEAD_DEP', ['DGA-HEAD_DEP1'])
    add('DGA', 'ASSIST', ['DGA-GAF1'])
    add('SIN', 'HEAD_SRV', ['SIN-HEAD_SRV1'])
    add('SIN', 'DEPUTY', [None])
    add('SIN', 'GESI', ['SJEU-INSTR15'])
    add('SIN', 'GED', ['SJEU-INSTR12', 'SJEU-INSTR13', 'SJEU-INSTR14'])
    add('SIN', 'INSTR', ['SFAM-INSTR%d' % i for i in range(1, 7)]
        + ['SJEU-INSTR%d' % i for i in range(1, 12)])
    add('CSI', 'CTSI', ['D-CTSI1'])
    add('CSI', 'RPG', ['SADA-CM1'])
    add('SAF', 'HEAD_SEC', ['SAF-HEAD_SEC1'])
    add('SAF', 'GAFS', ['SAF-GAFS1', 'SAF-GAFS2'])

    add('AMI', 'R', ['AMI-R1'], ['MDD'])
    add('AMI', 'GA', ['AMI-GA1'])
    add('AMI', 'CI', ['AMI-CI1'])
    add('MDD', 'GA', ['MDD-GA1', 'MDD-GA2'])
    add('VAL', 'GRP', ['VAL-GA1', 'VAL-GA2'])
    add('SAT', 'R', ['FOU-R1'])
    add('SAT', 'GA', ['FOU-GA1'])
    add('SAT', 'CI', ['FOU-CI1'])
    add('SAT', 'GRP', ['VAL-CI1'])
    add('CAL', 'R', ['CAL-R1'])
    add('CAL', 'GRP', ['CAL-GA1', 'CAL-CI1'])
    add('CLE', 'R', ['CLE-R1'], ['VDO', 'GRA'])
    add('GRA', 'GA', ['GRA-GA1', 'GRA-GA2'])
    add('VDO', 'GRP', ['MDD-CI1'])
    add('LAO', 'GRP', ['LAO-GA1', 'LAO-GA2'])
    add('ARR', 'R', ['ARR-R1'], ['BMN'])
    add('BMN', 'GRP', ['LAO-CI1', 'SADA-CI2'])
    add('CAM', 'R', ['CAM-R1'], ['VAL'])
    add('STQ', 'R', ['STQ-R1'], ['LAO'])
    add('SOI', 'R', ['SOI-R1'], ['CHT'])
    add('CHT', 'GA', ['CHT-GA1'])
    add('CHT', 'GA', ['CHT-GA2'], ['SOI'], start=2)
    add('FRE', 'GA', ['FRE-GA1'])
    add('FRE', 'CI', ['FRE-CI1'])
    add('MTR', 'R', ['MTR-R1'], ['FRE'])
    for unit in ['CAM', 'ABB', 'HAZ', 'CLE', 'STQ', 'ARR', 'SOI', 'MTR']:
        add(unit, 'GA', ['%s-GA1' % unit])
        add(unit, 'CI', ['%s-CI1' % unit])
    for unit in ['ABB', 'HAZ']:
        add(unit, 'R', ['%s-R1' % unit])
    # the twelfth antenna manager authorised but placed in no antenna
    add(None, 'R', ['FRE-R1'])
    return specs


# authorised posts: (unit key, job key, quantity)
SOURCE_AUTHORISATIONS = [
    ('ANT', 'R', 12), ('ANT', 'GA', 22), ('ANT', 'CI', 21),
    ('SADA', 'GA', 3), ('SADA', 'CI', 3),
    ('SIN', 'INSTR', 21),
    ]
TARGET_AUTHORISATIONS = [
    ('ANT', 'R', 12), ('ANT', 'GA', 17), ('ANT', 'CI', 11),
    ('ANT', 'GRP', 10),
    ('SIA', 'GA', 3), ('SIA', 'CI', 7),
    ('SIN', 'INSTR', 17), ('SIN', 'GED', 3), ('SIN', 'GESI', 1),
    ]

FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma",
    "Claire", "Nathalie", "Isabelle", "Sophie", "Céline", "Aurélie",
    "Sandrine", "Valérie", "Hélène", "Laure", "Pauline", "Marion",
    "Thomas", "Nicolas", "Julien", "Maxime", "Antoine", "Pierre", "Hugo",
    "Lucas", "Mathieu", "Sébastien", "Olivier", "François", "Damien",
    "Guillaume", "Romain", "Benoît", "Jérôme", "Cédric", "Vincent", "Yann",
    ]
LAST_NAMES = [
    "Lefebvre", "Dubois", "Leroy", "Lemaire", "Delattre", "Dupont",
    "Caron", "Lefèvre", "Duhamel", "Fournier", "Deschamps", "Vasseur",
    "Carpentier", "Delcourt", "Lecomte", "Dufour", "Bernard", "Petit",
    "Lambert", "Roussel", "Mercier", "Duval", "Dumont", "Vandamme",
    "Delannoy", "Wattez", "Lemoine", "Cousin", "Poulain", "Masson",
    "Lenoir", "Hennebert", "Delahaye", "Boulanger", "Descamps", "Leclercq",
    "Martin", "Morel", "Gallet", "Degand",
    ]

SOURCE_DATE = dt.date(2022, 5, 9)
TARGET_DATE = dt.date(2022, 10, 3)
# source posts without occupant
SOURCE_VACANT = {'SJEU-INSTR9', 'SADA-CI2', 'HAZ-CI1', 'GRA-GA2',
    'LAO-CI1'}
# target posts: new jobs to recruit, frozen ones
TARGET_TO_CREATE = {'SIN-DEPUTY1', 'VDO-GRP1', 'BMN-GRP1', 'BMN-GRP2'}
TARGET_FROZEN = {'NP-R1'}
# occupants leaving in the target plan: key -> end date
TARGET_LEAVING = {
    'SAF-GAFS2': dt.date(2023, 3, 31),
    'ABB-CI1': dt.date(2023, 6, 30),
    'SIN-INSTR4': dt.date(2023, 1, 31),
    'SIA-CI3': dt.date(2023, 8, 31),
    'MTR-GA1': dt.date(2022, 12, 31),
    }


def _antennas():
    Antenna = Pool().get('gru.antenna')
    return {a.code: a.id for a in Antenna.search(
            [('active', 'in', [True, False])])}


def _create_units(Unit, plan, specs, antennas, origins=None):
    units = {}
    for spec in specs:
        key, name, kind, parent, antenna = spec[:5]
        values = {
            'plan': plan.id, 'name': name, 'code': key, 'kind': kind,
            'sequence': len(units) + 1,
            'parent': units[parent].id if parent else None,
            'antenna': antennas.get(antenna) if antenna else None,
            }
        if origins is not None and spec[5]:
            values['origin'] = origins[spec[5]].id
        unit, = Unit.create([values])
        units[key] = unit
    return units


def _create_positions(plan, units, specs, origins=None):
    pool = Pool()
    Position = pool.get('gru.staff.position')
    values = []
    for spec in specs:
        key, job, unit, shared = spec[:4]
        title, category, level, family = JOBS[job]
        position = {
            'plan': plan.id, 'code': key, 'title': title,
            'category': category, 'management_level': level,
            'job_family': family, 'fte': Decimal(1),
            'unit': units[unit].id if unit else None,
            'status': 'vacant',
            }
        if shared:
            share = (Decimal(1) / (len(shared) + 1)).quantize(
                Decimal('0.01'))
            position['extra_units'] = [('create', [
                        {'unit': units[u].id, 'share': share}
                        for u in shared])]
        if origins is not None and spec[4]:
            position['origin'] = origins[spec[4]].id
        values.append(position)
    positions = Position.create(values)
    return {s[0]: p for s, p in zip(specs, positions)}


def _set_managers(plan, units, positions):
    "Set the hierarchical managers from the tree and the functional ones"
    pool = Pool()
    Position = pool.get('gru.staff.position')
    heads = {}
    for position in positions.values():
        if position.unit and position.management_level != 'none':
            heads.setdefault(position.unit.id, position)
            for line in position.extra_units:
                heads.setdefault(line.unit.id, position)

    def head_of(unit, exclude):
        while unit:
            head = heads.get(unit.id)
            if head and head != exclude:
                return head
            unit = unit.parent
    info_head = heads.get(units['SIA' if 'SIA' in units else 'SADA'].id)
    to_write = []
    for position in positions.values():
        values = {}
        manager = head_of(position.unit, position) if position.unit else None
        if manager:
            values['hierarchical_manager'] = manager.id
        if (position.job_family == CT and info_head
                and position.unit and position.unit.kind == 'antenna'):
            values['functional_manager'] = info_head.id
        if values:
            to_write.extend([[position], values])
    if to_write:
        Position.write(*to_write)


def _authorise(plan, units, specs):
    Authorisation = Pool().get('gru.staff.plan.authorisation')
    Authorisation.create([{
                'plan': plan.id, 'unit': units[unit].id,
                'title': JOBS[job][0], 'category': JOBS[job][1],
                'quantity': quantity}
            for unit, job, quantity in specs])


def build_report_plans(company):
    """Create the source and target plans of the report for company
    (unless they exist) and return them"""
    pool = Pool()
    Plan = pool.get('gru.staff.plan')
    Unit = pool.get('gru.staff.unit')
    existing = {p.name: p for p in Plan.search([
                ('name', 'in', [SOURCE_NAME, TARGET_NAME]),
                ('company', '=', company.id)])}
    if SOURCE_NAME in existing and TARGET_NAME in existing:
        return existing[SOURCE_NAME], existing[TARGET_NAME]
    antennas = _antennas()

    source, = Plan.create([{
                'company': company.id, 'name': SOURCE_NAME,
                'reference_date': SOURCE_DATE,
                'approving_body': "Comité technique du 9 mai 2022",
                'authorised_posts': 97,
                }])
    source_units = _create_units(Unit, source, SOURCE_UNITS, antennas)
    source_positions_ = _create_positions(
        source, source_units, source_positions())
    _set_managers(source, source_units, source_positions_)
    _authorise(source, source_units, SOURCE_AUTHORISATIONS)

    target, = Plan.create([{
                'company': company.id, 'name': TARGET_NAME,
                'reference_date': TARGET_DATE,
                'approving_body': "Comité technique du 3 octobre 2022",
                'authorised_posts': 97,
                'previous': source.id,
                }])
    target_units = _create_units(Unit, target, TARGET_UNITS, antennas,
        origins=source_units)
    target_positions_ = _create_positions(
        target, target_units, target_positions(), origins=source_positions_)
    _set_managers(target, target_units, target_positions_)
    _authorise(target, target_units, TARGET_AUTHORISATIONS)
    return source, target


def staff_report_plans(source, target, seed=2022):
    """Create employees with synthetic French names occupying the posts of
    the plans built by build_report_plans (unless already staffed):
    most are filled, a few are vacant, some occupants leave in 2023"""
    pool = Pool()
    Employee = pool.get('company.employee')
    Party = pool.get('party.party')
    Position = pool.get('gru.staff.position')
    if Position.search([('plan', '=', source.id), ('occupant', '!=', None)],
            limit=1):
        return []
    rng = random.Random(seed)
    names = set()
    while len(names) < len(source.positions):
        names.add('%s %s' % (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)))
    names = sorted(names)
    rng.shuffle(names)
    positions = sorted(source.positions, key=lambda p: p.code)
    parties = Party.create([{'name': n} for n in names[:len(positions)]])
    employees = Employee.create([{
                'party': party.id, 'company': source.company.id,
                'start_date': dt.date(2015 + i % 7, 1 + i % 12, 1),
                'antenna': (p.unit.antenna.id
                    if p.unit and p.unit.antenna else None),
                'function': p.title,
                } for i, (party, p) in enumerate(zip(parties, positions))])
    to_write = []
    by_position = {}
    for employee, position in zip(employees, positions):
        if position.code in SOURCE_VACANT:
            continue
        by_position[position.id] = employee
        to_write.extend([[position], {
                    'status': 'filled', 'occupant': employee.id,
                    'occupant_start': employee.start_date}])
    Position.write(*to_write)

    to_write = []
    for position in target.positions:
        key = position.code
        if key in TARGET_TO_CREATE:
            values = {'status': 'to_create'}
        elif key in TARGET_FROZEN:
            values = {'status': 'frozen'}
        elif position.origin and position.origin.id in by_position:
            employee = by_position[position.origin.id]
            values = {'status': 'filled', 'occupant': employee.id,
                'occupant_start': (TARGET_DATE
                    if position.title != position.origin.title
                    else employee.start_date),
                'occupant_end': TARGET_LEAVING.get(key)}
        else:
            values = {'status': 'vacant'}
        to_write.extend([[position], values])
    Position.write(*to_write)
    return employees


def approve_report_plans(source, target):
    """Approve the source plan then the target plan (the comité technique
    of 3 October 2022 gave its opinion; the target is in force since):
    the plan in force today is the target, whose units include the new
    antennas (Bassin minier, Vallée de l'Oise) the territorial plan of
    June 2022 routes contacts to; the source stays approved for the dates
    before the target's"""
    Plan = Pool().get('gru.staff.plan')
    for plan in [source, target]:
        if Plan(plan.id).state == 'draft':
            Plan.submit([plan])
        if Plan(plan.id).state == 'submitted':
            Plan.approve([plan])


def _post_number(code):
    "Return the sort key of a post code: 'SIN-INSTR12' after 'SIN-INSTR2'"
    prefix = code.rstrip('0123456789')
    return (prefix, int(code[len(prefix):] or 0))


def post_occupants(company, codes, plan_name=TARGET_NAME):
    """Return {post code: employee} of the occupied posts among codes of the
    plan named plan_name of company"""
    Position = Pool().get('gru.staff.position')
    positions = Position.search([
            ('plan.name', '=', plan_name),
            ('plan.company', '=', company.id),
            ('code', 'in', list(codes)),
            ('occupant', '!=', None),
            ])
    return {p.code: p.occupant for p in positions}


def instruction_employees(company, plan_name=TARGET_NAME):
    """Return the employees occupying the instructor posts of the Service
    Instruction of the plan named plan_name of company, in the order of the
    posts ('SIN-INSTR1' first), without those who leave their post: the
    referent instructors of the demo schemes"""
    Position = Pool().get('gru.staff.position')
    positions = Position.search([
            ('plan.name', '=', plan_name),
            ('plan.company', '=', company.id),
            ('unit.code', '=', 'SIN'),
            ('title', '=', JOBS['INSTR'][0]),
            ('occupant', '!=', None),
            ('occupant_end', '=', None),
            ])
    employees = []
    for position in sorted(positions, key=lambda p: _post_number(p.code)):
        if position.occupant not in employees:
            employees.append(position.occupant)
    return employees


def link_user(user, employee, rename=True):
    """Make employee the only employee of user, in the employee's company,
    and name user after him when rename; return True when user changed"""
    User = Pool().get('res.user')
    values = {}
    others = [e.id for e in user.employees if e != employee]
    if others or employee not in user.employees:
        values['employees'] = [('remove', others), ('add', [employee.id])]
    if user.employee != employee:
        values['employee'] = employee.id
    if employee.company not in user.companies:
        values['companies'] = [('add', [employee.company.id])]
    if user.company != employee.company:
        values['company'] = employee.company.id
    if rename and user.name != employee.party.name:
        values['name'] = employee.party.name
    if values:
        User.write([user], values)
    return bool(values)

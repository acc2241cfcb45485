# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Checks, comparison and HR planning of staff plans.

The functions work on a PlanData snapshot read in a few queries so that
plans of thousands of positions are checked, compared and exported fast.
"""
import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from sql import Column

from trytond.pool import Pool
from trytond.transaction import Transaction

from .position import OPEN_STATUSES

POSITION_FIELDS = [
    'code', 'title', 'job_family', 'category', 'management_level', 'fte',
    'unit', 'status', 'occupant', 'occupant_start', 'occupant_end', 'origin',
    'hierarchical_manager', 'functional_manager']
UNIT_FIELDS = ['name', 'code', 'kind', 'parent', 'sequence', 'antenna',
    'origin']
CHANGE_KINDS = ['created', 'removed', 'transformed', 'moved', 'shared']


class PlanData:
    "A snapshot of a staff plan: units, positions, authorisations"

    def __init__(self, plan):
        pool = Pool()
        Unit = pool.get('gru.staff.unit')
        Position = pool.get('gru.staff.position')
        PositionUnit = pool.get('gru.staff.position.unit')
        Authorisation = pool.get('gru.staff.plan.authorisation')
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        self.id = plan.id
        self.name = plan.name
        self.reference_date = plan.reference_date
        self.approving_body = plan.approving_body
        self.authorised_posts = plan.authorised_posts or 0
        cursor = Transaction().connection.cursor()

        # read with SQL: plans have thousands of positions
        unit = Unit.__table__()
        cursor.execute(*unit.select(
                unit.id, *[Column(unit, f) for f in UNIT_FIELDS],
                where=unit.plan == plan.id))
        self.units = {r[0]: dict(zip(['id'] + UNIT_FIELDS, r))
            for r in cursor}

        position = Position.__table__()
        employee = Employee.__table__()
        party = Party.__table__()
        cursor.execute(*position.join(employee, 'LEFT',
                condition=position.occupant == employee.id
                ).join(party, 'LEFT',
                condition=employee.party == party.id
                ).select(position.id,
                *[Column(position, f) for f in POSITION_FIELDS],
                party.name,
                where=position.plan == plan.id))
        self.positions = {}
        for row in cursor:
            values = dict(zip(['id'] + POSITION_FIELDS, row))
            values['occupant_name'] = row[-1]
            values['fte'] = Decimal(str(values['fte'] or 0))
            for name in ['occupant_start', 'occupant_end']:
                if isinstance(values[name], str):
                    values[name] = dt.date.fromisoformat(values[name])
            values['extra'] = []
            self.positions[values['id']] = values

        line = PositionUnit.__table__()
        cursor.execute(*line.join(position,
                condition=line.position == position.id
                ).select(line.position, line.unit, line.share,
                where=position.plan == plan.id,
                order_by=[line.id]))
        for position_id, unit_id, share in cursor:
            self.positions[position_id]['extra'].append(
                (unit_id, Decimal(str(share or 0))))
        self.authorisations = Authorisation.search_read(
            [('plan', '=', plan.id)],
            fields_names=['unit', 'title', 'job_family', 'category',
                'quantity'])
        self._children = defaultdict(list)
        for unit in sorted(self.units.values(),
                key=lambda u: (u['sequence'] or 0, u['name'], u['id'])):
            self._children[unit['parent']].append(unit['id'])

    def children(self, unit_id):
        "Return the ids of the sub-units of unit_id (None for the roots)"
        return self._children.get(unit_id, [])

    def walk(self, unit_id=None, depth=0):
        "Yield (unit id, depth) of the tree under unit_id, in order"
        for child in self.children(unit_id):
            yield child, depth
            yield from self.walk(child, depth + 1)

    def subtree(self, unit_id):
        return {unit_id} | {u for u, _ in self.walk(unit_id)}

    def department(self, unit_id):
        """Return the unit id of the section a unit belongs to: its nearest
        department, or its root"""
        unit = self.units.get(unit_id)
        while unit and unit['kind'] != 'department' and unit['parent']:
            unit = self.units[unit['parent']]
        return unit['id'] if unit else None

    def sections(self):
        """Return the ids of the sections of the plan (a sheet or chapter
        each): the roots then every department, in tree order"""
        roots = self.children(None)
        departments = [u for u, _ in self.walk()
            if self.units[u]['kind'] == 'department'
            and u not in roots]
        return roots + departments

    def section_positions(self, section):
        "Return the positions of a section (not those of sub-departments)"
        return [p for p in self.positions.values()
            if p['unit'] and self.department(p['unit']) == section]

    def unit_name(self, unit_id):
        return self.units[unit_id]['name'] if unit_id else None

    def family(self, position):
        return position['job_family'] or position['title']


def check_plan(data):
    "Return the checks of a plan as a dictionary"
    positions = list(data.positions.values())
    placed = [p for p in positions if p['unit']]
    by_unit = Counter(p['unit'] for p in placed)
    managed = set()
    for position in positions:
        if position['management_level'] != 'none':
            managed.add(position['unit'])
            managed.update(u for u, _ in position['extra'])
    authorisations = []
    for line in data.authorisations:
        scope = data.subtree(line['unit']) if line['unit'] else None
        count = 0
        for position in placed:
            if scope is not None and position['unit'] not in scope:
                continue
            if line['title'] and position['title'] != line['title']:
                continue
            if (line['job_family']
                    and position['job_family'] != line['job_family']):
                continue
            if line['category'] and position['category'] != line['category']:
                continue
            count += 1
        authorisations.append(dict(line, placed=count,
                gap=line['quantity'] - count))
    fte = sum((p['fte'] or 0) for p in positions)
    return {
        'headcount': len(positions),
        'authorised': data.authorised_posts,
        'difference': data.authorised_posts - len(positions),
        'placed': len(placed),
        'fte': Decimal(fte).quantize(Decimal('0.01')),
        'by_category': dict(Counter(p['category'] for p in positions)),
        'by_unit': {data.unit_name(u): n for u, n in by_unit.items()},
        'by_unit_id': dict(by_unit),
        'by_job_family': dict(Counter(data.family(p) for p in positions)),
        'shared': sorted(p['id'] for p in positions if p['extra']),
        'unplaced': sorted(p['id'] for p in positions if not p['unit']),
        'authorisations': authorisations,
        'authorisation_gaps': [a for a in authorisations if a['gap']],
        'vacancies': sorted(p['id'] for p in positions
            if p['status'] in OPEN_STATUSES),
        'frozen': sorted(p['id'] for p in positions
            if p['status'] == 'frozen'),
        'units_without_manager': [u for u, _ in data.walk()
            if u not in managed],
        }


def _job(position):
    return (position['title'], position['category'],
        position['job_family'])


def compare_plans(old, new):
    """Return the changes from the PlanData old to the PlanData new:
    created, removed, transformed (with their origin), moved and shared
    positions, the unit changes and a summary per department"""
    unit_origin = {u['id']: u['origin'] for u in new.units.values()
        if u['origin'] in old.units}

    def mapped(unit_id):
        return unit_origin.get(unit_id) if unit_id else None

    changes = []
    matched = set()
    for position in new.positions.values():
        origin = old.positions.get(position['origin'])
        department = new.unit_name(new.department(position['unit']))
        change = {
            'new': position['id'], 'old': None,
            'department': department,
            'new_unit': new.unit_name(position['unit']),
            'old_unit': None,
            'new_label': '%s (%s)' % (position['title'],
                position['category']),
            'old_label': None,
            'moved': False, 'shared': False,
            }
        if not origin:
            change['kind'] = 'created'
            change['shared'] = bool(position['extra'])
            changes.append(change)
            continue
        matched.add(origin['id'])
        change['old'] = origin['id']
        change['old_unit'] = old.unit_name(origin['unit'])
        change['old_label'] = '%s (%s)' % (origin['title'],
            origin['category'])
        moved = (mapped(position['unit']) != origin['unit']
            or (position['unit'] is None) != (origin['unit'] is None))
        old_extra = {u for u, _ in origin['extra']}
        new_extra = {mapped(u) or ('new', u) for u, _ in position['extra']}
        shared = bool(position['extra']) and old_extra != new_extra
        change['moved'] = moved
        change['shared'] = shared
        change['shared_units'] = [new.unit_name(u)
            for u, _ in position['extra']]
        if _job(position) != _job(origin):
            change['kind'] = 'transformed'
        elif moved:
            change['kind'] = 'moved'
        elif shared:
            change['kind'] = 'shared'
        else:
            continue
        changes.append(change)
    for position in old.positions.values():
        if position['id'] in matched:
            continue
        changes.append({
                'kind': 'removed', 'old': position['id'], 'new': None,
                'department': old.unit_name(old.department(position['unit'])),
                'old_unit': old.unit_name(position['unit']),
                'new_unit': None,
                'old_label': '%s (%s)' % (position['title'],
                    position['category']),
                'new_label': None, 'moved': False, 'shared': False,
                })
    kind_order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    changes.sort(key=lambda c: (c['department'] or '',
            kind_order[c['kind']], c['new_label'] or c['old_label'],
            c['new'] or 0, c['old'] or 0))

    summary = defaultdict(Counter)
    for change in changes:
        summary[change['department'] or ''][change['kind']] += 1
    totals = Counter(c['kind'] for c in changes)

    continued = {u['origin'] for u in new.units.values()} & set(old.units)
    units = {
        'created': [u['name'] for u in new.units.values()
            if u['origin'] not in old.units],
        'removed': [u['name'] for u in old.units.values()
            if u['id'] not in continued],
        'renamed': [(old.units[u['origin']]['name'], u['name'])
            for u in new.units.values()
            if u['origin'] in old.units
            and old.units[u['origin']]['name'] != u['name']],
        }
    return {
        'old_total': len(old.positions),
        'new_total': len(new.positions),
        'changes': changes,
        'summary': {d: dict(c) for d, c in summary.items()},
        'totals': {k: totals.get(k, 0) for k in CHANGE_KINDS},
        'units': units,
        }


def occupied_on(position, date):
    if not position['occupant']:
        return False
    start = position['occupant_start'] or dt.date.min
    end = position['occupant_end'] or dt.date.max
    return start <= date <= end


def month_starts(start, count):
    "Return count first days of months from the month of start"
    dates = []
    year, month = start.year, start.month
    for _ in range(count):
        dates.append(dt.date(year, month, 1))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return dates


def planning_dates(start, count):
    "Return start then the first days of the count - 1 following months"
    return [start] + month_starts(start, count)[1:]


def staffing_timeline(data, dates):
    """Return per date the posts, the occupied posts, the vacant ones and
    the occupants leaving before the next date"""
    positions = [p for p in data.positions.values()
        if p['status'] not in {'frozen', 'to_remove'}]
    timeline = []
    for i, date in enumerate(dates):
        next_date = dates[i + 1] if i + 1 < len(dates) else None
        occupied = sum(1 for p in positions if occupied_on(p, date))
        leaving = 0
        if next_date:
            leaving = sum(1 for p in positions
                if p['occupant_end']
                and date <= p['occupant_end'] < next_date)
        timeline.append({
                'date': date,
                'posts': len(positions),
                'occupied': occupied,
                'vacant': len(positions) - occupied,
                'leaving': leaving,
                })
    return timeline


def recruitment_needs(data, horizon=None):
    """Return the posts to staff, sorted by the date the recruitment is
    needed: open posts now, occupied posts the day after the occupant
    leaves (before horizon when given)"""
    needs = []
    for position in data.positions.values():
        if position['status'] in OPEN_STATUSES:
            date = data.reference_date
            reason = position['status']
        elif position['status'] == 'filled' and position['occupant_end']:
            date = position['occupant_end'] + dt.timedelta(days=1)
            reason = 'leaving'
        else:
            continue
        if horizon and date > horizon:
            continue
        needs.append({
                'position': position['id'],
                'date': date,
                'reason': reason,
                'title': position['title'],
                'category': position['category'],
                'unit': data.unit_name(position['unit']),
                'occupant': position['occupant_name'],
                })
    needs.sort(key=lambda n: (n['date'] or dt.date.min, n['unit'] or '',
            n['title']))
    return needs

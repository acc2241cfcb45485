# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The order of the targets of a call, apart from the database: the
models (phone.py) read what is static once (DecisionTable, cached) and the
presence of the agents in one query, then ask plan_targets."""


class DecisionTable:
    """What the decision needs that changes rarely: the antennas with their
    calendar and siblings, the overflow team and the central service"""
    __slots__ = ('antennas', 'siblings', 'schedules', 'calendar_of',
        'default_calendar', 'overflow_team', 'overflow_name',
        'overflow_calendar', 'central')

    def __init__(self):
        # antenna id: {'id', 'code', 'name'}
        self.antennas = {}
        # antenna id: [antenna ids sharing its manager, both directions]
        self.siblings = {}
        # calendar id: gru_sla Schedule
        self.schedules = {}
        # antenna id: calendar id
        self.calendar_of = {}
        self.default_calendar = None
        self.overflow_team = None
        self.overflow_name = None
        self.overflow_calendar = None
        self.central = None

    def schedule_of(self, antenna_id):
        calendar = self.calendar_of.get(antenna_id) or self.default_calendar
        return self.schedules.get(calendar)

    def is_open(self, antenna_id, at):
        "Tell if the antenna's calendar is open at (naive UTC)"
        return is_open(self.schedule_of(antenna_id), at)

    def overflow_open(self, at):
        calendar = self.overflow_calendar or self.default_calendar
        return is_open(self.schedules.get(calendar), at)


def is_open(schedule, at):
    """Tell if schedule (a gru_sla Schedule) is open at the naive UTC
    datetime at; no schedule: always open"""
    if schedule is None:
        return True
    local = schedule.to_local(at)
    return any(start <= local < end
        for start, end in schedule.day_ranges(local.date()))


def plan_targets(table, routed, at, present, team_present):
    """Return the ordered targets of a call routed to the antenna id routed
    at the naive UTC datetime at, as a list of dicts {'step', 'antenna'
    (id or None), 'code', 'name', 'users', 'open'}, and whether the routed
    antenna is open.

    present: {antenna id: [sip users available]}; team_present: the sip
    users of the overflow team available. The order: the routed antenna,
    the antennas sharing its manager, the overflow team, the central
    service; a target is kept when it is open with someone present; an
    antenna is never offered twice. A call routed to the central service
    (out of region, unknown place) starts with it."""
    targets = []
    seen = set()

    def antenna_step(step, antenna_id):
        if antenna_id is None or antenna_id in seen:
            return
        seen.add(antenna_id)
        antenna = table.antennas.get(antenna_id)
        if antenna is None or not antenna.get('open', True):
            return
        if not table.is_open(antenna_id, at):
            return
        users = present.get(antenna_id) or []
        if users:
            targets.append({
                    'step': step, 'antenna': antenna_id,
                    'code': antenna['code'], 'name': antenna['name'],
                    'users': list(users),
                    })

    routed_open = routed is not None and table.is_open(routed, at)
    if routed is not None and routed == table.central:
        antenna_step('central', routed)
    else:
        antenna_step('antenna', routed)
        for sibling in sorted(table.siblings.get(routed, ()),
                key=lambda a: table.antennas.get(a, {}).get('code') or ''):
            antenna_step('sibling', sibling)
    if table.overflow_team and team_present and table.overflow_open(at):
        targets.append({
                'step': 'overflow', 'antenna': None,
                'code': table.overflow_name, 'name': table.overflow_name,
                'users': list(team_present),
                })
    antenna_step('central', table.central)
    # an agent is offered once, at his first target
    offered = set()
    for target in targets:
        target['users'] = [u for u in target['users']
            if not (u in offered or offered.add(u))]
    targets = [t for t in targets if t['users']]
    return targets, routed_open


def share_gaps(targets, counts):
    """Return {antenna id: target share - measured share} (in points of
    percentage) of the antennas of targets ({antenna id: target share in
    points}); counts: {antenna id: calls}"""
    total = sum(counts.get(a, 0) for a in targets)
    gaps = {}
    for antenna, target in targets.items():
        measured = 100. * counts.get(antenna, 0) / total if total else 0.
        gaps[antenna] = target - measured
    return gaps


def furthest_under(candidates, gaps, default):
    """Return the candidate antenna furthest under its share (the largest
    gap), default when the gaps do not tell them apart"""
    known = [c for c in candidates if c in gaps]
    if not known:
        return default
    best = max(known, key=lambda c: (round(gaps[c], 6), c == default))
    if default in gaps and round(gaps[best], 6) == round(gaps[default], 6):
        return default
    return best

# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pure functions of the perimeter planner: the equity figures of an
assignment of EPCI to antennas (contacts per FTE, Gini coefficient,
max/min ratio) and the optimiser that moves boundary EPCI between
neighbouring antennas to balance the contacts per FTE, keeping each
antenna's perimeter contiguous."""
from collections import defaultdict, deque

# an improvement of the dispersion below this is no improvement: it
# stops the search on rounding noise
EPSILON = 1e-12


def gini(values):
    """Return the Gini coefficient of the values (>= 0): the mean absolute
    difference of all pairs over twice the mean; 0 when all are equal,
    (n - 1) / n when one holds everything; None without a positive
    total"""
    values = sorted(values)
    n = len(values)
    total = sum(values)
    if not n or total <= 0:
        return None
    if any(v < 0 for v in values):
        raise ValueError("values must not be negative")
    weighted = sum((2 * i - n + 1) * v for i, v in enumerate(values))
    return weighted / (n * total)


def max_min_ratio(values):
    """Return the ratio of the largest to the smallest value, None without
    values or when the smallest is 0"""
    values = list(values)
    if not values or min(values) <= 0:
        return None
    return max(values) / min(values)


def antenna_loads(assignment, loads, fixed=None):
    """Return {antenna: load}: the loads of the EPCI of assignment
    ({epci: antenna}) summed by antenna, plus the fixed loads
    ({antenna: load}, the communes served by exception)"""
    result = defaultdict(float)
    for antenna, load in (fixed or {}).items():
        result[antenna] += load
    for epci, antenna in assignment.items():
        result[antenna] += loads.get(epci, 0)
    return dict(result)


def rates(assignment, loads, fte, fixed=None):
    """Return {antenna: load per FTE} of the antennas of fte with a
    positive FTE"""
    totals = antenna_loads(assignment, loads, fixed)
    return {a: totals.get(a, 0) / f for a, f in fte.items() if f and f > 0}


def equity(assignment, loads, fte, fixed=None):
    """Return {'rates', 'gini', 'max_min'}: the load per FTE of the
    antennas with an FTE, the Gini coefficient and the max/min ratio of
    these rates"""
    values = rates(assignment, loads, fte, fixed)
    return {
        'rates': values,
        'gini': gini(values.values()),
        'max_min': max_min_ratio(values.values()),
        }


def _term(load, fte, mean):
    "The squared relative deviation of an antenna's load per FTE"
    return (load / (fte * mean) - 1) ** 2


def dispersion(assignment, loads, fte, fixed=None):
    """Return the dispersion that the optimiser minimises: the sum over
    the antennas with an FTE of the squared relative deviation of their
    load per FTE from the regional load per FTE"""
    totals = antenna_loads(assignment, loads, fixed)
    staffed = {a: float(f) for a, f in fte.items() if f and f > 0}
    total_fte = sum(staffed.values())
    total_load = sum(totals.get(a, 0) for a in staffed)
    if not total_fte or total_load <= 0:
        return 0.
    mean = total_load / total_fte
    return sum(_term(totals.get(a, 0), f, mean) for a, f in staffed.items())


def _stays_connected(epci, members, adjacency):
    """Return True when removing epci from members (a set holding it)
    leaves its neighbours in members connected to each other through
    members: the move does not cut the perimeter in two"""
    neighbours = [n for n in adjacency.get(epci, ()) if n in members
        and n != epci]
    if len(neighbours) <= 1:
        return True
    targets = set(neighbours)
    start = min(neighbours)
    seen = {start}
    queue = deque([start])
    targets.discard(start)
    while queue and targets:
        current = queue.popleft()
        for other in adjacency.get(current, ()):
            if other == epci or other in seen or other not in members:
                continue
            seen.add(other)
            targets.discard(other)
            queue.append(other)
    return not targets


def components(members, adjacency):
    "Return the number of connected pieces of the set of EPCI members"
    members = set(members)
    seen = set()
    count = 0
    for start in sorted(members):
        if start in seen:
            continue
        count += 1
        seen.add(start)
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for other in adjacency.get(current, ()):
                if other in members and other not in seen:
                    seen.add(other)
                    queue.append(other)
    return count


def optimise(assignment, loads, fte, adjacency, fixed=None, seats=None,
        locked=(), max_moves=500, min_gain=0.002):
    """Return (assignment, moves): a balanced assignment {epci: antenna}
    and the list of the moves (epci, from antenna, to antenna) in the order
    they were made.

    Start from assignment and move the boundary EPCI (adjacent to an EPCI
    of another antenna) to that antenna, the move that lowers the most the
    dispersion of the loads per FTE (the sum of the squared relative
    deviations from the regional load per FTE) first. When no single move
    lowers it, try a chain of two: an EPCI to a neighbouring antenna which
    gives one of its own to a third (or back to the first), so the load
    passes through an antenna already balanced. Stop when no move lowers
    the dispersion by min_gain of the starting dispersion (the long tail of
    moves that change little is not worth the change of perimeter for the
    users) or after max_moves moves. A move never:
    - takes an antenna's seat EPCI (seats: {antenna: epci}) or a locked
      EPCI,
    - takes the last EPCI of an antenna,
    - cuts the perimeter of an antenna in more pieces than it had,
    - involves an antenna without a positive FTE (its load per FTE is not
      defined) or an EPCI without neighbours (an island, a missing
      contour).
    loads: {epci: expected contacts}, fte: {antenna: FTE}, adjacency:
    {epci: set of neighbouring epci}, fixed: {antenna: load} served by
    exception. The result is deterministic: ties are broken by the ids.
    """
    assignment = dict(assignment)
    seats = seats or {}
    frozen = set(locked) | {e for e in seats.values() if e is not None}
    staffed = {a: float(f) for a, f in fte.items() if f and f > 0}
    totals = antenna_loads(assignment, loads, fixed)
    total_fte = sum(staffed.values())
    total_load = sum(totals.get(a, 0) for a in staffed)
    if not total_fte or total_load <= 0:
        return assignment, []
    mean = total_load / total_fte
    threshold = max(EPSILON, min_gain * sum(
            _term(totals.get(a, 0), f, mean) for a, f in staffed.items()))
    members = defaultdict(set)
    for epci, antenna in assignment.items():
        members[antenna].add(epci)
    # the symmetric adjacency restricted to the EPCI of the assignment
    neighbours = defaultdict(set)
    for epci, others in adjacency.items():
        if epci not in assignment:
            continue
        for other in others:
            if other in assignment and other != epci:
                neighbours[epci].add(other)
                neighbours[other].add(epci)

    def gain(changes):
        "The fall of the dispersion when the totals change by changes"
        return sum(
            _term(totals.get(a, 0), staffed[a], mean)
            - _term(totals.get(a, 0) + d, staffed[a], mean)
            for a, d in changes.items())

    def movable(epci):
        return (epci not in frozen and assignment[epci] in staffed
            and loads.get(epci, 0) and neighbours[epci])

    def targets(epci, owner=None):
        "The staffed antennas next to epci but its owner"
        owner = owner if owner is not None else assignment[epci]
        return sorted({assignment[n] for n in neighbours[epci]}
            & set(staffed) - {owner})

    def singles():
        for epci in sorted(assignment):
            if not movable(epci):
                continue
            source = assignment[epci]
            if len(members[source]) <= 1:
                continue
            load = loads[epci]
            for target in targets(epci):
                yield gain({source: -load, target: load}), epci, target

    def valid(chain):
        "The chain of moves keeps every perimeter in as many pieces"
        changed = defaultdict(lambda: (set(), set()))
        for epci, source, target in chain:
            changed[source][1].add(epci)
            changed[target][0].add(epci)
        for antenna, (added, removed) in changed.items():
            after = (members[antenna] | added) - removed
            if not after:
                return False
            if len(chain) == 1 and not added:
                epci, = removed
                if not _stays_connected(epci, members[antenna], neighbours):
                    return False
            elif components(after, neighbours) > components(
                    members[antenna], neighbours):
                return False
        return True

    def apply(chain):
        for epci, source, target in chain:
            load = loads.get(epci, 0)
            members[source].discard(epci)
            members[target].add(epci)
            totals[source] -= load
            totals[target] = totals.get(target, 0) + load
            assignment[epci] = target
            moves.append((epci, source, target))

    moves = []
    while len(moves) < max_moves:
        candidates = sorted((-g, e, t) for g, e, t in singles()
            if g > threshold)
        for _, epci, target in candidates:
            chain = [(epci, assignment[epci], target)]
            if valid(chain):
                apply(chain)
                break
        else:
            if len(moves) + 2 > max_moves:
                break
            chain = _best_chain(assignment, loads, members, staffed,
                singles, movable, targets, gain, valid, threshold)
            if not chain:
                break
            apply(chain)
    return assignment, moves


def _best_chain(assignment, loads, members, staffed, singles, movable,
        targets, gain, valid, threshold):
    """Return the best valid chain of two moves [(e1, a, b), (e2, b, c)]
    lowering the dispersion by more than threshold, or None"""
    candidates = []
    for _, first, middle in singles():
        source = assignment[first]
        load = loads[first]
        for second in sorted(members[middle]):
            if second == first or not movable(second):
                continue
            for target in targets(second, owner=middle):
                changes = defaultdict(float)
                changes[source] -= load
                changes[middle] += load - loads[second]
                changes[target] += loads[second]
                value = gain(changes)
                if value > threshold:
                    candidates.append((-value, first, middle, second,
                            target))
    candidates.sort()
    for _, first, middle, second, target in candidates:
        chain = [(first, assignment[first], middle),
            (second, middle, target)]
        if valid(chain):
            return chain
    return None


def format_improvement(before, after, number=None):
    """Return the plain text of the change of the equity index, e.g.
    "Gini 0.31 → 0.12, max/min 3.4 → 1.6" (None without figures); number
    formats a value with digits decimals (default: a point)"""
    if number is None:
        def number(value, digits):
            return '%.*f' % (digits, value)
    parts = []
    for label, key, digits in [
            ("Gini", 'gini', 2), ("max/min", 'max_min', 1)]:
        old, new = before.get(key), after.get(key)
        if old is None and new is None:
            continue
        parts.append('%s %s → %s' % (label,
                '–' if old is None else number(old, digits),
                '–' if new is None else number(new, digits)))
    return ', '.join(parts) or None

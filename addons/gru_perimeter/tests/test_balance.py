# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The optimiser of the perimeter planner on small fixtures: it improves
the equity, keeps the perimeters contiguous, the seats and the locked EPCI
where they are, and gives the same answer every time."""
import random
import time
import unittest

from gru_perimeter.balance import (
    components, dispersion, equity, gini, max_min_ratio, optimise)


def grid(width, height):
    """Return the adjacency of a grid of width x height cells numbered
    from 1 row by row (4 neighbours)"""
    adjacency = {}
    for y in range(height):
        for x in range(width):
            cell = y * width + x + 1
            neighbours = set()
            for dx, dy in [(1, 0), (-1, 0), (0, 1), (0, -1)]:
                if 0 <= x + dx < width and 0 <= y + dy < height:
                    neighbours.add((y + dy) * width + x + dx + 1)
            adjacency[cell] = neighbours
    return adjacency


def regions(assignment):
    result = {}
    for epci, antenna in assignment.items():
        result.setdefault(antenna, set()).add(epci)
    return result


class BalanceTestCase(unittest.TestCase):
    "Test the perimeter optimiser"

    def setUp(self):
        # a 4 x 3 grid: antenna 'A' holds the left half (8 cells), 'B'
        # the third column, 'C' the fourth; equal FTE, equal loads
        #   1  2  3  4
        #   5  6  7  8
        #   9 10 11 12
        self.adjacency = grid(4, 3)
        self.assignment = {}
        for cell in self.adjacency:
            column = (cell - 1) % 4
            self.assignment[cell] = 'A' if column < 2 else (
                'B' if column == 2 else 'C')
        self.loads = {cell: 10. for cell in self.adjacency}
        self.fte = {'A': 1, 'B': 1, 'C': 1}
        self.seats = {'A': 5, 'B': 7, 'C': 8}

    def test_indices(self):
        "Gini, max/min and rates of an assignment"
        self.assertEqual(gini([3, 3, 3]), 0)
        self.assertAlmostEqual(gini([1, 2, 4]), 2 / 7)
        self.assertIsNone(gini([]))
        self.assertEqual(max_min_ratio([4, 2, 1]), 4)
        self.assertIsNone(max_min_ratio([2, 0]))
        figures = equity(self.assignment, self.loads, self.fte)
        self.assertEqual(figures['rates'], {'A': 60, 'B': 30, 'C': 30})
        self.assertEqual(figures['max_min'], 2)
        self.assertAlmostEqual(figures['gini'], 2 * 30 / (3 * 120))
        # the fixed loads (communes by exception) count
        figures = equity(self.assignment, self.loads, self.fte,
            fixed={'B': 30})
        self.assertEqual(figures['rates']['B'], 60)

    def test_improves(self):
        "The optimiser balances the loads per FTE"
        before = equity(self.assignment, self.loads, self.fte)
        assignment, moves = optimise(self.assignment, self.loads, self.fte,
            self.adjacency, seats=self.seats)
        after = equity(assignment, self.loads, self.fte)
        # 120 contacts for 3 FTE: 40 each, 4 cells each
        self.assertEqual(after['rates'], {'A': 40, 'B': 40, 'C': 40})
        self.assertEqual(after['gini'], 0)
        self.assertLess(after['gini'], before['gini'])
        # one move A -> B, then a chain A -> B -> C: no single move from
        # the balanced B helps C
        self.assertEqual(moves, [(2, 'A', 'B'), (1, 'A', 'B'), (11, 'B', 'C')])
        self.assertLess(
            dispersion(assignment, self.loads, self.fte),
            dispersion(self.assignment, self.loads, self.fte))
        # every move is from the antenna the EPCI had
        for epci, source, target in moves:
            self.assertEqual(self.assignment[epci], source)
            self.assertEqual(assignment[epci], target)

    def test_contiguous(self):
        "Every perimeter stays in one piece"
        assignment, _ = optimise(self.assignment, self.loads, self.fte,
            self.adjacency, seats=self.seats)
        for antenna, members in regions(assignment).items():
            self.assertEqual(components(members, self.adjacency), 1,
                (antenna, members))

    def test_donor_not_cut(self):
        """A move that would cut the donor in two is not made even if it
        balances better: a corridor 1-2-3 of 'A' with 'A' needing to give"""
        #   1  2  3
        #   4  5  6
        adjacency = grid(3, 2)
        assignment = {1: 'A', 2: 'A', 3: 'A', 4: 'B', 5: 'B', 6: 'B'}
        loads = {1: 10, 2: 30, 3: 10, 4: 5, 5: 5, 6: 5}
        fte = {'A': 1, 'B': 1}
        result, moves = optimise(assignment, loads, fte, adjacency,
            seats={'A': 1, 'B': 4})
        # moving 2 (30) is the best balance but cuts 1 from 3
        self.assertEqual(result[2], 'A')
        self.assertEqual(result[3], 'B')
        for members in regions(result).values():
            self.assertEqual(components(members, adjacency), 1)

    def test_seats_and_locks(self):
        "The seats and the locked EPCI stay put"
        locked = {6, 10}
        assignment, moves = optimise(self.assignment, self.loads, self.fte,
            self.adjacency, seats=self.seats, locked=locked)
        for epci in locked | set(self.seats.values()):
            self.assertEqual(assignment[epci], self.assignment[epci])
        self.assertFalse({e for e, _, _ in moves} & locked)
        # everything locked: nothing moves
        assignment, moves = optimise(self.assignment, self.loads, self.fte,
            self.adjacency, locked=set(self.adjacency))
        self.assertEqual(moves, [])
        self.assertEqual(assignment, self.assignment)

    def test_islands_and_unstaffed(self):
        """An EPCI without neighbour stays, an antenna without FTE neither
        gives nor takes"""
        adjacency = dict(self.adjacency)
        # 2 and 6 lose their contour: no neighbour
        for cell in (2, 6):
            for other in adjacency.pop(cell):
                adjacency[other] = adjacency[other] - {cell}
        assignment, moves = optimise(self.assignment, self.loads, self.fte,
            adjacency, seats=self.seats)
        self.assertEqual(assignment[2], 'A')
        self.assertEqual(assignment[6], 'A')
        fte = {'A': 1, 'B': 1, 'C': 0}
        assignment, moves = optimise(self.assignment, self.loads, fte,
            self.adjacency, seats=self.seats)
        for epci, source, target in moves:
            self.assertNotIn('C', (source, target))

    def test_budget(self):
        "The moves stop at the budget"
        assignment, moves = optimise(self.assignment, self.loads, self.fte,
            self.adjacency, seats=self.seats, max_moves=1)
        self.assertEqual(len(moves), 1)

    def test_deterministic(self):
        "The same input gives the same moves, whatever the order of dicts"
        first = optimise(self.assignment, self.loads, self.fte,
            self.adjacency, seats=self.seats)
        shuffled = list(self.assignment.items())
        random.Random(3).shuffle(shuffled)
        adjacency = {k: set(sorted(v, reverse=True))
            for k, v in reversed(list(self.adjacency.items()))}
        second = optimise(dict(shuffled), self.loads, self.fte, adjacency,
            seats=self.seats)
        self.assertEqual(first, second)

    def test_large(self):
        """On a region of 92 EPCI and 19 antennas with unequal loads the
        optimiser improves the Gini in well under 10 s, keeping the
        perimeters contiguous"""
        rng = random.Random(17)
        adjacency = grid(10, 10)
        cells = sorted(adjacency)[:92]
        adjacency = {c: {n for n in adjacency[c] if n in cells}
            for c in cells}
        # 19 seats spread, each cell to the nearest seat (by BFS)
        seats = {'A%02d' % i: c for i, c in enumerate(
                sorted(rng.sample(cells, 19)))}
        assignment = {}
        frontier = [(c, a) for a, c in sorted(seats.items())]
        while frontier:
            following = []
            for cell, antenna in frontier:
                if cell in assignment:
                    continue
                assignment[cell] = antenna
                following.extend((n, antenna)
                    for n in sorted(adjacency[cell]))
            frontier = following
        loads = {c: rng.lognormvariate(7, 1) for c in cells}
        fte = {a: rng.choice([1, 1.5, 2, 3]) for a in seats}
        before = equity(assignment, loads, fte)
        start = time.perf_counter()
        result, moves = optimise(assignment, loads, fte, adjacency,
            seats=seats)
        elapsed = time.perf_counter() - start
        after = equity(result, loads, fte)
        self.assertLess(elapsed, 10)
        self.assertLess(after['gini'], before['gini'])
        self.assertLess(after['max_min'], before['max_min'])
        for antenna, members in regions(result).items():
            self.assertLessEqual(components(members, adjacency),
                components(regions(assignment)[antenna], adjacency))

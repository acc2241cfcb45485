# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import math
import unittest
from fractions import Fraction

from ..erlang import (
    agents_needed, average_speed_of_answer, erlang_b, erlang_c, service_level,
    staffing)


def erlang_c_direct(load, agents):
    """The textbook formula, summed exactly with fractions: an independent
    computation to check the recursion against"""
    load = Fraction(load)
    term = Fraction(1)
    total = Fraction(0)
    for k in range(agents):
        total += term
        term = term * load / (k + 1)
    # term is now load ** agents / agents!
    top = term * agents / (agents - load)
    return float(top / (total + top))


class ErlangTestCase(unittest.TestCase):
    "Test the Erlang C model"

    def test_erlang_b_published(self):
        "Erlang B of published tables"
        # 1 Erlang on 1 line blocks half of the arrivals
        self.assertAlmostEqual(erlang_b(1, 1), 0.5)
        # Erlang B table: 5 Erlangs on 10 lines, B = 1.84 %
        self.assertAlmostEqual(erlang_b(5, 10), 0.018385, places=5)

    def test_erlang_c_against_direct_sum(self):
        "The recursion gives the exact formula's value"
        for load, agents in [(2, 3), (10, 11), (10, 13), (7.5, 9),
                (42, 50), (0.3, 1)]:
            with self.subTest(load=load, agents=agents):
                self.assertAlmostEqual(erlang_c(load, agents),
                    erlang_c_direct(load, agents), places=12)

    def test_textbook_example(self):
        """The classic example: 100 calls in 30 minutes, 180 s of handling,
        80 % answered within 20 s needs 14 agents (13 answer 79.6 %)"""
        rate = 100 / 1800  # calls per second
        result = agents_needed(rate, 180, 0.8, 20)
        self.assertEqual(result.agents, 14)
        self.assertAlmostEqual(result.traffic, 10)
        # the published figures: Pw 17.4 %, SL 88.8 %, ASA 7.8 s,
        # occupancy 71.4 %
        self.assertAlmostEqual(result.wait_probability, 0.1741, places=4)
        self.assertAlmostEqual(result.service_level, 0.8884, places=4)
        self.assertAlmostEqual(result.average_speed, 7.8, places=1)
        self.assertAlmostEqual(result.occupancy, 10 / 14)
        # 13 agents just miss the target: 79.6 %
        fewer = staffing(rate, 180, 13, 20)
        self.assertAlmostEqual(fewer.service_level, 0.7956, places=4)
        # the same service level from the direct formula
        direct = 1 - erlang_c_direct(10, 14) * math.exp(-4 * 20 / 180)
        self.assertAlmostEqual(result.service_level, direct, places=12)

    def test_large_centre_no_overflow(self):
        "A thousand Erlangs: no factorial overflow"
        result = agents_needed(1000 / 180, 180, 0.8, 20)
        self.assertGreater(result.agents, 1000)
        self.assertLess(result.agents, 1100)
        self.assertGreaterEqual(result.service_level, 0.8)
        self.assertAlmostEqual(erlang_c(1000, result.agents),
            erlang_c_direct(1000, result.agents), places=9)

    def test_unstable_and_empty(self):
        "Too few agents never answer in time; no load needs no agent"
        self.assertEqual(erlang_c(5, 5), 1.0)
        self.assertEqual(service_level(5, 4, 180, 20), 0.0)
        self.assertEqual(average_speed_of_answer(5, 5, 180), math.inf)
        result = agents_needed(0, 180, 0.8, 20)
        self.assertEqual(result.agents, 0)
        self.assertEqual(result.service_level, 1.0)

    def test_max_occupancy(self):
        "An occupancy ceiling adds agents"
        result = agents_needed(100 / 1800, 180, 0.8, 20, max_occupancy=0.7)
        self.assertEqual(result.agents, 15)
        self.assertLessEqual(result.occupancy, 0.7)

    def test_wait_probability_monotonic(self):
        "More agents, less waiting"
        values = [erlang_c(10, n) for n in range(11, 20)]
        self.assertEqual(values, sorted(values, reverse=True))

    def test_invalid(self):
        with self.assertRaises(ValueError):
            agents_needed(1, 1, 1.5, 20)
        with self.assertRaises(ValueError):
            agents_needed(-1, 1, 0.8, 20)

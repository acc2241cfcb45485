# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The Erlang C queue model (M/M/N): waiting probability, service level,
average speed of answer and the agents needed for a service target.

Pure Python, no model: the Erlang B recursion
B(0) = 1, B(k) = A.B(k-1) / (k + A.B(k-1)) stays within [0, 1] for any
traffic, so no factorial or power is ever computed and large call centres
(hundreds of agents) do not overflow.
"""
import math
from collections import namedtuple

Staffing = namedtuple('Staffing', [
        'agents',            # number of agents
        'traffic',           # offered load A in Erlangs
        'wait_probability',  # Erlang C: share of arrivals who wait
        'service_level',     # share answered within the target time
        'average_speed',     # average waiting time (same unit as handling)
        'occupancy',         # share of the agents' time busy: A / N
        ])

# a safety bound for agents_needed: no antenna staffs more
MAX_AGENTS = 10000


def traffic(rate, handling_time):
    """Return the offered load in Erlangs of rate arrivals per unit of time
    each keeping an agent handling_time (the same unit of time)"""
    if rate < 0 or handling_time < 0:
        raise ValueError("rate and handling time must not be negative")
    return rate * handling_time


def erlang_b(load, agents):
    "Return the blocking probability of Erlang B for load Erlangs"
    if load < 0 or agents < 0:
        raise ValueError("load and agents must not be negative")
    blocking = 1.0
    for k in range(1, int(agents) + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(load, agents):
    """Return the probability that an arrival waits (Erlang C): 1 when the
    agents cannot carry the load"""
    if agents <= load:
        return 1.0
    if load == 0:
        return 0.0
    blocking = erlang_b(load, agents)
    return agents * blocking / (agents - load * (1 - blocking))


def service_level(load, agents, handling_time, target_time):
    """Return the share of arrivals answered within target_time
    (P(wait <= t)), handling_time and target_time in the same unit"""
    if agents <= load:
        return 0.0
    if load == 0:
        return 1.0
    wait = erlang_c(load, agents)
    return 1 - wait * math.exp(
        -(agents - load) * target_time / handling_time)


def average_speed_of_answer(load, agents, handling_time):
    "Return the average wait (in the unit of handling_time), inf if unstable"
    if agents <= load:
        return math.inf
    if load == 0:
        return 0.0
    return erlang_c(load, agents) * handling_time / (agents - load)


def staffing(rate, handling_time, agents, target_time):
    "Return the Staffing of agents for rate arrivals of handling_time"
    load = traffic(rate, handling_time)
    return Staffing(
        agents=agents,
        traffic=load,
        wait_probability=erlang_c(load, agents) if agents else (
            1.0 if load else 0.0),
        service_level=service_level(
            load, agents, handling_time, target_time) if agents else (
            0.0 if load else 1.0),
        average_speed=average_speed_of_answer(
            load, agents, handling_time) if agents else (
            math.inf if load else 0.0),
        occupancy=load / agents if agents else 0.0)


def agents_needed(rate, handling_time, target_share, target_time,
        max_occupancy=None):
    """Return the Staffing with the fewest agents that answer target_share
    (0 to 1) of the arrivals within target_time, and keep the occupancy at
    most max_occupancy when given.

    rate is in arrivals per unit of time, handling_time and target_time in
    that unit (e.g. calls per second and seconds). No arrival needs no
    agent.
    """
    if not 0 <= target_share < 1:
        raise ValueError("the target share must be in [0, 1)")
    if target_time < 0:
        raise ValueError("the target time must not be negative")
    load = traffic(rate, handling_time)
    if load == 0:
        return staffing(rate, handling_time, 0, target_time)
    agents = max(1, math.floor(load) + 1)
    if max_occupancy:
        agents = max(agents, math.ceil(load / max_occupancy))
    while agents <= MAX_AGENTS:
        result = staffing(rate, handling_time, agents, target_time)
        if result.service_level >= target_share:
            return result
        agents += 1
    raise ValueError("more than %s agents needed" % MAX_AGENTS)

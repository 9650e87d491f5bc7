"""Routes with start times, their independent score, and the least schedule of fixed sequences.

Why a module of its own: every solver (the search, OR-Tools) reports its routes through
``earliest_schedule`` and is judged by ``score``, which must not share code with them. The
scorer was verified on published solutions: six BRKGA route files of Kummer et al. (GECCO
2020, instances A1, A6, A7, A8, E1, F1; A8, E1 and F1 with tardiness) rescheduled by
``earliest_schedule`` give exactly the cost, distance, tardiness and maximum tardiness they
print (to their 6 significant digits), and the MIP of their repository states the same
semantics (gap on start times, lower service index first, tardiness per service).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from benchmarks.engines.hhcrsp.instance import TOL, HhcrspInstance


class Visit(NamedTuple):
    """One service performed: patient node, service type, start time."""

    patient: int
    service: int
    start: float


Routes = list[list[Visit]]


@dataclass(frozen=True)
class Score:
    """The three cost terms of a solution and whatever makes it infeasible."""

    distance: float
    total_tardiness: float
    max_tardiness: float
    errors: tuple[str, ...]

    @property
    def objective(self) -> float:
        """The literature's objective: (distance + total tardiness + maximum tardiness) / 3."""
        return (self.distance + self.total_tardiness + self.max_tardiness) / 3

    @property
    def feasible(self) -> bool:
        return not self.errors


def score(inst: HhcrspInstance, routes: Routes) -> Score:
    """Independent check and score in double precision of routes with start times.

    Checked: one route per vehicle at most, each required (patient, service) exactly once and
    nothing else, qualification, travel and processing times between consecutive visits
    (vehicles leave the depot at time 0 or later), no start before the window opens, the two
    services of a double-service patient on different vehicles and synchronised (same start)
    or within their [min, max] gap. Tardiness is counted per service, so both services of a
    double-service patient count (Mankowska's z_is), and the maximum is over services too.
    """
    errors: list[str] = []
    if len(routes) > inst.n_vehicles:
        errors.append(f"{len(routes)} routes for {inst.n_vehicles} vehicles")
    seen: dict[tuple[int, int], tuple[int, float]] = {}
    distance = total = worst = 0.0
    for v, route in enumerate(routes):
        here, free = 0, 0.0
        for visit in route:
            i, s, t = visit.patient, visit.service, float(visit.start)
            if i not in inst.patients or not 0 <= s < inst.n_services or not inst.required[i, s]:
                errors.append(f"vehicle {v}: ({i}, {s}) is not a required service")
                continue
            if (i, s) in seen:
                errors.append(f"({i}, {s}) performed twice")
            seen[(i, s)] = (v, t)
            if v < inst.n_vehicles and not inst.qualified[v, s]:
                errors.append(f"vehicle {v} is not qualified for service {s} (patient {i})")
            if not math.isfinite(t):
                errors.append(f"({i}, {s}) has start {t}")
                continue
            arrive = free + inst.dist[here, i]
            if t < arrive - TOL:
                errors.append(f"vehicle {v}: ({i}, {s}) starts at {t:.4f}, arrival {arrive:.4f}")
            if t < inst.earliest[i] - TOL:
                errors.append(f"({i}, {s}) starts at {t:.4f}, before {inst.earliest[i]:g}")
            late = max(0.0, t - inst.latest[i])
            total += late
            worst = max(worst, late)
            distance += inst.dist[here, i]
            free = t + inst.proc[i, min(v, inst.n_vehicles - 1), s]
            here = i
        distance += inst.dist[here, 0]
    for i, s in inst.tasks():
        if (i, s) not in seen:
            errors.append(f"({i}, {s}) not performed")
    for i in inst.double:
        s1, s2 = inst.services(i)
        if (i, s1) not in seen or (i, s2) not in seen:
            continue
        (v1, t1), (v2, t2) = seen[(i, s1)], seen[(i, s2)]
        if v1 == v2:
            errors.append(f"patient {i}: both services on vehicle {v1}")
        gap = t2 - t1
        lo, hi = inst.min_gap[i], inst.max_gap[i]
        if not lo - TOL <= gap <= hi + TOL:
            errors.append(f"patient {i}: gap {gap:.4f} outside [{lo:g}, {hi:g}]")
    return Score(distance, total, worst, tuple(errors))


def earliest_schedule(
    inst: HhcrspInstance, sequences: list[list[tuple[int, int]]]
) -> Routes | None:
    """The least start times of fixed visit sequences (None if the sequences deadlock).

    Start times are a simple temporal network: route precedences, window openings and the
    double-service gaps are difference constraints, so the earliest schedule is their least
    solution (label correcting); tardiness is non-decreasing in every start time, so no other
    schedule of the same sequences costs less. A deadlock is a positive cycle.
    """
    where: dict[tuple[int, int], tuple[int, int]] = {}
    for v, seq in enumerate(sequences):
        for k, task in enumerate(seq):
            where[task] = (v, k)
    start = [[0.0] * len(seq) for seq in sequences]
    links = []
    for i in inst.double:
        s1, s2 = inst.services(i)
        if (i, s1) in where and (i, s2) in where:
            links.append((where[(i, s1)], where[(i, s2)], inst.min_gap[i], inst.max_gap[i]))
    n_tasks = sum(len(seq) for seq in sequences)
    for _ in range(n_tasks + 2):
        for v, seq in enumerate(sequences):
            here, free, times = 0, 0.0, start[v]
            for k, (i, s) in enumerate(seq):
                t = max(times[k], free + inst.dist[here, i], inst.earliest[i])
                times[k] = t
                free = t + inst.proc[i, v, s]
                here = i
        changed = False
        for (v1, k1), (v2, k2), lo, hi in links:
            t1, t2 = start[v1][k1], start[v2][k2]
            if t2 < t1 + lo - 1e-9:
                start[v2][k2] = t1 + lo
                changed = True
            elif t1 < t2 - hi - 1e-9:
                start[v1][k1] = t2 - hi
                changed = True
        if not changed:
            return [
                [Visit(i, s, t) for (i, s), t in zip(seq, start[v], strict=True)]
                for v, seq in enumerate(sequences)
            ]
    return None


@dataclass(frozen=True)
class SolveResult:
    """What every solver returns: routes with their least start times and their score."""

    routes: Routes
    score: Score
    seconds: float
    iterations: int
    method: str
    history: tuple[tuple[float, float], ...] = ()  # (seconds, objective) at each new best

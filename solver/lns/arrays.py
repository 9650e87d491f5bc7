"""The day as the LNS engine's arrays: an ``Instance`` and the construction's routes."""

from __future__ import annotations

import numpy as np

from solver.construct import BREAK, Construction
from solver.instance import Instance
from solver.lns.search import DayArrays


def day_arrays(
    inst: Instance, builder: Construction
) -> tuple[DayArrays, list[list[int]], list[int]]:
    """The engine's arrays, the construction's routes (tasks per vehicle) and, per route,
    how many visits come before its break."""
    m, K = inst.n_tasks, len(inst.vehicles)
    eligible = np.zeros((m, K), dtype=bool)
    for t, ks in enumerate(inst.task_vehicles):
        eligible[t, list(ks)] = True
    veh = inst.vehicles
    b = [v.rest_break for v in veh]
    pair = [-1 if (w := inst.partner(t)) is None else w for t in range(m)]
    pred = [-1 if (p := inst.predecessor_task(t)) is None else p for t in range(m)]
    gap = [0.0] * m
    for t in range(m):
        if pred[t] >= 0:
            visit = inst.problem.visits[inst.task_visit[t]]
            gap[t] = float(inst.task_svc[pred[t]] + visit.min_gap_min)
    day = DayArrays(
        travel=np.asarray(inst.travel, dtype=float),
        loc=np.asarray(inst.task_loc, dtype=np.int64),
        lo=np.asarray(inst.lo, dtype=float),
        hi=np.asarray(inst.hi, dtype=float),
        svc=np.asarray(inst.task_svc, dtype=float),
        penalty=np.asarray(inst.task_penalty, dtype=float),
        movable=movable_tasks(pair, pred),
        charge=continuity_charges(inst),
        eligible=eligible,
        v_start_loc=np.array([v.start_loc for v in veh], dtype=np.int64),
        v_end_loc=np.array([v.end_loc for v in veh], dtype=np.int64),
        v_start=np.array([v.start for v in veh], dtype=float),
        v_end=np.array([v.end for v in veh], dtype=float),
        v_max=np.array([v.max_visits if v.max_visits is not None else 10**6 for v in veh]),
        v_frozen=np.array([r.frozen for r in builder.routes], dtype=bool),
        b_has=np.array([x is not None for x in b], dtype=bool),
        b_lo=np.array([x.earliest if x else 0 for x in b], dtype=float),
        b_hi=np.array([x.latest if x else 0 for x in b], dtype=float),
        b_dur=np.array([x.duration if x else 0 for x in b], dtype=float),
        lo0=np.asarray(inst.lo0, dtype=float),
        hi0=np.asarray(inst.hi0, dtype=float),
        pair=np.asarray(pair, dtype=np.int64),
        pred=np.asarray(pred, dtype=np.int64),
        gap=np.asarray(gap, dtype=float),
        group=linked_groups(pair, pred),
    )
    routes = builder.task_routes()
    gaps = []
    for r in builder.routes:
        tasks_before = 0
        for e in r.el:
            if e == BREAK:
                break
            if e >= 0:
                tasks_before += 1
        gaps.append(tasks_before)
    return day, routes, gaps


def continuity_charges(inst: Instance) -> np.ndarray:
    """``Instance.charge`` for every task and vehicle, as the (m, K) matrix the kernels read."""
    m, K = inst.n_tasks, len(inst.vehicles)
    out = np.zeros((m, K))
    cost = float(inst.continuity_cost)
    for t in range(m):  # row by row in numpy: the construction of a 2,000-visit day is a second
        preferred, familiar = inst.task_preferred[t], inst.task_familiar[t]
        if preferred is None and not familiar:
            continue
        out[t, :] = cost
        for k, weight in familiar.items():
            out[t, k] = cost * (1.0 - weight)
        if preferred is not None:
            out[t, preferred] = 0.0
    return out


def movable_tasks(pair: list[int], pred: list[int]) -> np.ndarray:
    """Which tasks the search may take out and put back.

    Every single visit, and every double-handed pair that neither follows nor precedes
    another visit, moves. A pair that is a predecessor or a follower stays where the
    construction put it (moving it would tie its one minute to another route's cut as well;
    these are few: 17 of 75 pairs on the suite's paired-gapped day, 1 of 80 on the
    2,000-visit one), and so does a single visit with such a pair among its followers
    (taking it out would take the pair out too). A follower of a pair that stays moves: its
    predecessor's minute is fixed and it only needs to start late enough after it."""
    m = len(pair)
    followers: list[list[int]] = [[] for _ in range(m)]
    for t, p in enumerate(pred):
        if p >= 0:
            followers[p].append(t)
    out = np.ones(m, dtype=bool)
    for t in range(m):
        if pair[t] >= 0 and (pred[t] >= 0 or followers[t] or followers[pair[t]]):
            out[t] = False
    # a task stays if anything after it (followers, theirs, …) stays: chains are acyclic
    changed = True
    while changed:
        changed = False
        for t in range(m):
            if out[t] and any(not out[f] for f in followers[t]):
                out[t] = False
                changed = True
    return out


def linked_groups(pair: list[int], pred: list[int]) -> np.ndarray:
    """A group id per task: tasks joined by pairs and gaps share one; unlinked tasks -1."""
    m = len(pair)
    root = list(range(m))

    def find(t: int) -> int:
        while root[t] != t:
            root[t] = root[root[t]]
            t = root[t]
        return t

    for t in range(m):
        for other in (pair[t], pred[t]):
            if other >= 0:
                root[find(t)] = find(other)
    linked = [pair[t] >= 0 or pred[t] >= 0 for t in range(m)]
    for t in range(m):
        if pred[t] >= 0:
            linked[pred[t]] = True
    return np.array([find(t) if linked[t] else -1 for t in range(m)], dtype=np.int64)

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
    # predecessors may have had their windows cut for a follower: they stay where they are
    preds = inst.predecessors()
    day = DayArrays(
        travel=np.asarray(inst.travel, dtype=float),
        loc=np.asarray(inst.task_loc, dtype=np.int64),
        lo=np.asarray(inst.lo, dtype=float),
        hi=np.asarray(inst.hi, dtype=float),
        svc=np.asarray(inst.task_svc, dtype=float),
        penalty=np.asarray(inst.task_penalty, dtype=float),
        movable=np.array([not inst.linked(t) and t not in preds for t in range(m)], dtype=bool),
        preferred=np.array([-1 if p is None else p for p in inst.task_preferred], dtype=np.int64),
        continuity=float(inst.continuity_cost),
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

"""One call from a ``Problem`` to a ``Rota``: eligibility, construction, local search, times.

Phases and their share of the time limit: eligibility and construction run first (a few
seconds on a 1,100-visit day); OR-Tools' guided local search gets what is left of the limit,
starting from the construction; the final order of each route is re-timed by
``solver.schedule``. If the search cannot start from the construction or returns nothing, the
construction itself is the answer, so a solve always returns a rota.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from scheduler.domain.model import Problem, Rota, Route, Stop
from solver.construct import BREAK, Construction, order_key
from solver.instance import Instance, build_instance
from solver.reasons import explain_left_out
from solver.routing import Progress, build_model, routes_and_starts, search
from solver.schedule import TimedStop, schedule_route


@dataclass(frozen=True)
class SolveOptions:
    """How long and how to search. ``seed`` breaks ties in the construction order."""

    time_limit_s: float = 30.0
    seed: int = 0
    continuity_cost: int = 20
    local_search: bool = True
    log: bool = False
    #: With ``initial``: keep each visit with its clinician and place unless moving it saves at
    #: least this many minutes of travel (minimal change); None searches freely.
    minimal_change_min: int | None = None
    #: "lns": the day's own ruin-and-recreate engine (solver.lns) improves the construction;
    #: "ortools": OR-Tools' guided local search builds and improves its own routes.
    engine: str = "lns"
    #: Bound the LNS by this many iterations instead of the clock (reproducible runs).
    max_iterations: int | None = None


ProgressFn = Callable[[Progress], None]


def _order(inst: Instance, seed: int) -> list[int]:
    """The construction order; the seed shuffles visits whose sort keys tie."""
    order = list(inst.tasks_of_visit)
    random.Random(seed).shuffle(order)
    return sorted(order, key=lambda v: order_key(inst, v))


_REPAIR_RESERVE_S = 1.5


def _score(inst: Instance, routes: list[list[int]]) -> int:
    """The search's own objective for a set of routes: penalties of what is out + travel."""
    placed = {t for r in routes for t in r}
    penalty = sum(p for t, p in enumerate(inst.task_penalty) if t not in placed)
    T = inst.travel
    travel = 0
    for k, seq in enumerate(routes):
        if not seq:
            continue
        veh = inst.vehicles[k]
        locs = [veh.start_loc, *(inst.task_loc[t] for t in seq), veh.end_loc]
        travel += sum(T[a][b] for a, b in itertools.pairwise(locs))
    return penalty + travel


def _day_arrays(inst: Instance, builder: Construction):
    """The instance and the construction's routes as the LNS engine's arrays."""
    import numpy as np

    from solver.lns import DayArrays

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


def _keep_linked_times(
    inst: Instance, kept: list[list[int]], starts: dict[str, datetime]
) -> set[int]:
    """Fix each linked visit of the previous plan to the minute it started, if that is still
    within its window and the whole linked group (pair, or predecessor and follower) can be
    fixed; the previous rota satisfied their synchronisation and gaps, so the fixed minutes
    do too. Returns the tasks so fixed."""
    problem = inst.problem
    placed = {t for seq in kept for t in seq}
    minute: dict[int, int] = {}
    for t in placed:
        when = starts.get(problem.visits[inst.task_visit[t]].visit_id)
        if when is not None:
            m = problem.minute(when)
            if inst.lo[t] <= m <= inst.hi[t]:
                minute[t] = m
    fixed: set[int] = set()
    for t in placed:
        if not inst.linked(t):
            continue
        group = {t}
        partner = inst.partner(t)
        if partner is not None:
            group.add(partner)
        pred = inst.predecessor_task(t)
        if pred is not None:
            group.update(inst.tasks_of_visit[inst.task_visit[pred]])
        if all(g in minute for g in group):
            fixed.update(group)
    for t in fixed:
        inst.lo[t] = inst.hi[t] = minute[t]
    return fixed


def _drop_orphans(inst: Instance, routes: list[list[int]]) -> list[list[int]]:
    """Remove a pair half whose partner is out, and a follower whose predecessor is out."""
    routes = [list(r) for r in routes]
    while True:
        placed = {t for r in routes for t in r}
        orphans = set()
        for t in placed:
            partner = inst.partner(t)
            pred = inst.predecessor_task(t)
            if (partner is not None and partner not in placed) or (
                pred is not None
                and not all(x in placed for x in inst.tasks_of_visit[inst.task_visit[pred]])
            ):
                orphans.add(t)
        if not orphans:
            return routes
        routes = [[t for t in r if t not in orphans] for r in routes]


def _task_routes(inst: Instance, initial: dict[str, list[str]]) -> list[list[int]]:
    """Visit ids per clinician → task ids per vehicle, each half of a pair on its own route."""
    problem = inst.problem
    routes: list[list[int]] = [[] for _ in inst.vehicles]
    used: set[int] = set()
    for cid, visit_ids in initial.items():
        k = problem.shift_index.get(cid)
        if k is None:
            continue
        for vid in visit_ids:
            v = problem.visit_index.get(vid)
            for t in inst.tasks_of_visit.get(v, []) if v is not None else []:
                if t not in used and k in inst.task_vehicles[t]:
                    routes[k].append(t)
                    used.add(t)
                    break
    return _drop_orphans(inst, routes)


def _timelines(inst: Instance, routes: list[list[int]]) -> list[list[TimedStop]] | None:
    timelines = []
    for k, seq in enumerate(routes):
        stops = schedule_route(inst, k, seq)
        if stops is None:
            return None
        timelines.append(stops)
    return timelines


def _to_rota(inst: Instance, timelines: list[list[TimedStop]], meta: dict) -> Rota:
    problem = inst.problem
    routes: list[Route] = []
    placed_visits: set[int] = set()
    ends: dict[int, int] = {}
    for k, stops in enumerate(timelines):
        if not any(s.task is not None for s in stops):
            continue
        out = []
        for s in stops:
            vid = None
            if s.task is not None:
                v = inst.task_visit[s.task]
                placed_visits.add(v)
                ends[v] = max(ends.get(v, s.end), s.end)
                vid = problem.visits[v].visit_id
            out.append(
                Stop(
                    kind="visit" if vid is not None else "break",
                    visit_id=vid,
                    arrive=problem.at(s.arrive),
                    start=problem.at(s.start),
                    end=problem.at(s.end),
                    travel_min=s.travel,
                )
            )
        routes.append(Route(problem.shifts[k].clinician_id, tuple(out)))
    task_routes = [[s.task for s in stops if s.task is not None] for stops in timelines]
    unassigned = []
    for v in range(len(problem.visits)):
        if v in placed_visits:
            continue
        if v in inst.eligibility.refused:
            unassigned.append(inst.eligibility.refused[v])
        else:
            unassigned.append(explain_left_out(inst, v, placed_visits, task_routes, ends))
    return Rota(tuple(routes), tuple(unassigned), meta)


def solve(
    problem: Problem,
    options: SolveOptions | None = None,
    *,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    initial: dict[str, list[str]] | None = None,
    initial_starts: dict[str, datetime] | None = None,
) -> Rota:
    """Plan the day. Never raises for an infeasible day: what cannot be placed is explained.

    ``initial`` (clinician id → visit ids in order) starts from an existing plan: its routes
    are kept where they are still feasible and the construction inserts what is missing.
    With ``local_search=False`` that is a minimal-change re-plan. ``initial_starts`` (visit id
    → start) keeps linked visits (double-handed pairs, gap-linked visits) at the minutes they
    had, where those are still inside their windows; others are re-inserted."""
    options = options or SolveOptions()
    if options.engine == "lns" and options.local_search:
        from solver.lns import warm_up

        warm_up()  # numba's compiled engine, loaded before the clock starts (see its docstring)
    t0 = time.monotonic()
    continuity = options.continuity_cost
    minimal = initial is not None and options.minimal_change_min is not None
    if minimal:
        # re-inserted linked visits keep their clinician unless that costs the threshold
        continuity = max(continuity, options.minimal_change_min)
    inst = build_instance(problem, continuity_cost=continuity)
    if initial is not None:
        kept = _task_routes(inst, initial)
        pinned_times = _keep_linked_times(inst, kept, initial_starts or {})
        # Other linked visits (pair halves, followers) are re-inserted by the construction,
        # which alone can give a pair a common minute and a follower its gap; each prefers
        # the clinician it had, at the continuity cost.
        for k, seq in enumerate(kept):
            for t in seq:
                if inst.linked(t):
                    inst.task_preferred[t] = k
        kept = [[t for t in seq if not inst.linked(t) or t in pinned_times] for seq in kept]
        while True:  # dropping an infeasible route can orphan the other half of a pair
            builder = Construction.from_routes(inst, kept, drop_infeasible=True)
            again = _drop_orphans(inst, builder.task_routes())
            if again == kept:
                break
            kept = again
    else:
        builder = Construction(inst)
    builder.run(_order(inst, options.seed))
    relocated = 0
    if minimal:
        relocated = builder.relocate_if_worth(options.minimal_change_min)
    # What the construction left out gets a second chance by moving one planned visit aside
    # (about 1.5 s on the sample day; it is what places the last priority-1 doses there).
    out = [t for v in _order(inst, options.seed) for t in inst.tasks_of_visit[v]]
    moved_aside = builder.insert_by_moving_one([t for t in out if t not in builder.placed])
    if minimal:
        relocated += moved_aside
    routes = builder.task_routes()
    construction_placed = len(builder.placed)
    if progress is not None:
        progress(Progress(time.monotonic() - t0, -1, construction_placed, 0))
    phase = "construction"
    timelines = _timelines(inst, routes)
    if timelines is None:  # pragma: no cover - the construction keeps routes feasible
        raise AssertionError("construction produced a route that cannot be timed")
    reserve = min(_REPAIR_RESERVE_S, 0.1 * options.time_limit_s)
    deadline = t0 + options.time_limit_s - reserve
    free_search = options.local_search and not minimal
    stopped = should_stop is not None and should_stop()
    if (
        options.engine == "lns"
        and free_search
        and not stopped
        and inst.n_tasks
        and (options.max_iterations is not None or deadline - time.monotonic() > 0.2)
    ):
        from solver.lns import improve

        day, start_routes, gaps = _day_arrays(inst, builder)

        def report(_s: float, best: float, placed: int, iterations: int) -> None:
            if progress is not None:
                progress(Progress(time.monotonic() - t0, int(best), placed, iterations))

        result = improve(
            day, start_routes, gaps, deadline - time.monotonic(), seed=options.seed,
            should_stop=should_stop, progress=report, max_iterations=options.max_iterations,
        )  # fmt: skip
        found = _drop_orphans(inst, result.routes)
        repair = Construction.from_routes(inst, found)
        repair.run(_order(inst, options.seed))
        repair.keep_continuity()
        repaired = repair.task_routes()
        repaired_timelines = _timelines(inst, repaired)
        if repaired_timelines is not None and _score(inst, repaired) <= _score(inst, routes):
            timelines = repaired_timelines
            phase = f"lns({result.iterations} iterations)+repair"
    elif free_search and not stopped and inst.n_tasks and deadline - time.monotonic() > 0.2:
        frozen_out = {
            t for t in range(inst.n_tasks) if t not in builder.placed and inst.linked(t)
        }
        model = build_model(inst, frozen_out)
        assignment = search(
            model, deadline, progress=progress, should_stop=should_stop, log=options.log
        )
        if assignment is not None:
            found, _ = routes_and_starts(model, assignment)
            found = _drop_orphans(inst, found)
            inst.reopen_windows({t for r in found for t in r})
            repair = Construction.from_routes(inst, found)
            repair.run(_order(inst, options.seed))
            repair.keep_continuity()
            repaired = repair.task_routes()
            repaired_timelines = _timelines(inst, repaired)
            if repaired_timelines is not None and _score(inst, repaired) < _score(inst, routes):
                timelines = repaired_timelines
                phase = "local_search+repair"
    meta = {
        "solver": f"construction+{options.engine}",
        "final_phase": phase,
        "seed": options.seed,
        "time_limit_s": options.time_limit_s,
        "construction_tasks_placed": construction_placed,
        "warm_start": initial is not None,
        "minimal_change_relocations": relocated,
        "tasks_total": inst.n_tasks,
        "solve_seconds": round(time.monotonic() - t0, 2),
    }
    return _to_rota(inst, timelines, meta)

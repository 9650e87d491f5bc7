"""One call from a ``Problem`` to a ``SolveResult``: construct, improve, repair and choose.

1. **Construct** (``_construct``): eligibility and tasks (``solver.instance``), cheapest
   insertion in priority order (``solver.construct``), from scratch or from an earlier plan
   (``solver.warm_start``), then a second chance for what is left out by moving one planned
   visit aside. A few seconds on a 1,100-visit day; it always gives a rota.
2. **Improve** (``_improve``), unless this is a minimal-change re-plan: the chosen engine
   searches from there until its budget is spent (the time left of ``time_limit_s`` less a
   reserve for the repair, or ``max_iterations``) or a stopping rule says so:
   ``"lns"`` is this project's ruin and recreate (``solver.lns``), ``"ortools"`` OR-Tools'
   guided local search on the decoupled windows (``solver.routing``).
3. **Repair and choose** (``_repair_and_choose``): the task windows the LNS ended with (it
   re-times pairs and re-cuts followers) replace the construction's, a pair half or
   follower the search left alone is removed, the construction re-inserts what it can,
   visits move to their preferred clinician where that is cheap, and the search's routes are
   kept only if they score no worse than the construction's. Every route is then timed by
   the one timing rule (``solver.schedule`` → ``scheduler.domain.timing``).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from dataclasses import dataclass

from scheduler.domain.model import Problem
from solver.construct import Construction, order_key
from solver.instance import Instance, build_instance
from solver.lns import day_arrays, improve, warm_up
from solver.lns.parallel import Partner, improve_together
from solver.options import SolveOptions
from solver.output import Timelines, timelines, to_rota
from solver.progress import Phase, Progress, ProgressFn
from solver.result import SolveResult
from solver.routing import build_model, routes_and_starts, search
from solver.stop import (
    Budget,
    MaxIterations,
    MaxRuntime,
    SearchStatus,
    StoppingCriterion,
    stop_requested,
)
from solver.warm_start import WarmStart, construction_from, drop_orphans

#: Seconds of the time limit kept back from the search for the repair pass (at most 10 %).
REPAIR_RESERVE_S = 1.5


def solve(
    problem: Problem,
    options: SolveOptions | None = None,
    *,
    stop: StoppingCriterion | None = None,
    progress: ProgressFn | None = None,
    warm_start: WarmStart | None = None,
) -> SolveResult:
    """Plan the day. Never raises for an infeasible day: what cannot be placed is explained.

    ``warm_start`` starts from an earlier plan: its routes are kept where they are still
    feasible and the construction inserts what is missing; with ``improve=False`` (or
    ``minimal_change_min``) that is a minimal-change re-plan. ``stop`` ends the search early
    (a Stop button: ``StopWhen(flag)``); the best rota so far is returned.
    """
    options = options or SolveOptions()
    if options.engine == "lns" and options.improve:
        warm_up()  # numba's compiled engine, loaded before the clock starts (see its docstring)
    t0 = time.monotonic()
    # the second search's process starts now, so that its start-up overlaps the construction
    partner = Partner.start() if _wants_partner(options, warm_start) else None
    try:
        start = _construct(problem, options, warm_start)
        if progress is not None:
            progress(Progress(time.monotonic() - t0, None, start.placed, 0, "construction"))
        found = _improve(start, options, t0, stop, progress, partner)
    finally:
        if partner is not None:
            partner.close()
    chosen = _repair_and_choose(start, found, options)
    return SolveResult(
        rota=to_rota(start.inst, chosen.timelines),
        objective=_score(start.inst, chosen.routes),
        iterations=found.iterations if found is not None else 0,
        runtime_s=round(time.monotonic() - t0, 2),
        phase=chosen.phase,
        engine=options.engine,
        seed=options.seed,
        time_limit_s=options.time_limit_s,
        tasks_total=start.inst.n_tasks,
        construction_tasks_placed=start.placed,
        warm_start=warm_start is not None,
        minimal_change_relocations=start.relocated,
        stopped_early=found.stopped if found is not None else start.stopped,
    )


def _wants_partner(options: SolveOptions, warm: WarmStart | None) -> bool:
    """A second search is worth its process when the LNS will search for a while."""
    if options.workers < 2 or options.engine != "lns" or not options.improve:
        return False
    if warm is not None and options.minimal_change_min is not None:
        return False
    return options.max_iterations is not None or options.time_limit_s >= PARTNER_MIN_S


#: Below this time limit a second search would spend most of it starting up.
PARTNER_MIN_S = 4.0


# --- 1. construct ---------------------------------------------------------------------------


@dataclass
class _Start:
    """The construction's answer, which every later phase must beat."""

    inst: Instance
    builder: Construction
    routes: list[list[int]]
    timelines: Timelines
    placed: int
    relocated: int
    minimal: bool
    stopped: bool = False


def _order(inst: Instance, seed: int) -> list[int]:
    """The construction order; the seed shuffles visits whose sort keys tie."""
    order = list(inst.tasks_of_visit)
    random.Random(seed).shuffle(order)
    return sorted(order, key=lambda v: order_key(inst, v))


def _construct(problem: Problem, options: SolveOptions, warm: WarmStart | None) -> _Start:
    threshold = options.minimal_change_min if warm is not None else None
    minimal = threshold is not None
    continuity = options.continuity_cost
    if threshold is not None:
        # re-inserted linked visits keep their clinician unless that costs the threshold
        continuity = max(continuity, threshold)
    inst = build_instance(problem, continuity_cost=continuity)
    builder = construction_from(inst, warm) if warm is not None else Construction(inst)
    builder.run(_order(inst, options.seed))
    relocated = 0
    if threshold is not None:
        relocated = builder.relocate_if_worth(threshold)
    # What the construction left out gets a second chance by moving one planned visit aside
    # (about 1.5 s on the sample day; it is what places the last priority-1 doses there).
    # The order is taken afresh: the construction has narrowed some windows since.
    out = [t for v in _order(inst, options.seed) for t in inst.tasks_of_visit[v]]
    moved_aside = builder.insert_by_moving_one([t for t in out if t not in builder.placed])
    if minimal:
        relocated += moved_aside
    routes = builder.task_routes()
    timed = timelines(inst, routes)
    if timed is None:  # pragma: no cover - the construction keeps routes feasible
        raise AssertionError("construction produced a route that cannot be timed")
    return _Start(inst, builder, routes, timed, len(builder.placed), relocated, minimal)


# --- 2. improve -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """Routes an engine found (None if it found none), its iterations, whether a stopping
    rule ended it, whether cut windows must be re-opened before the repair, and the task
    windows the routes were made with if the engine moved them (the LNS re-times pairs and
    re-cuts followers)."""

    routes: list[list[int]] | None
    iterations: int
    phase: Phase
    stopped: bool
    reopen_windows: bool
    windows: tuple[list[int], list[int]] | None = None


def _budget(options: SolveOptions, t0: float) -> tuple[Budget, bool]:
    """The search's budget, and whether there is enough of it to start at all."""
    if options.max_iterations is not None:
        return MaxIterations(options.max_iterations), True
    reserve = min(REPAIR_RESERVE_S, 0.1 * options.time_limit_s)
    seconds = t0 + options.time_limit_s - reserve - time.monotonic()
    return MaxRuntime(max(0.0, seconds)), seconds > 0.2


def _improve(
    start: _Start,
    options: SolveOptions,
    t0: float,
    stop: StoppingCriterion | None,
    progress: ProgressFn | None,
    partner: Partner | None = None,
) -> _Found | None:
    """The engine's search from the construction, or None when there is none to run."""
    inst = start.inst
    if not options.improve or start.minimal or not inst.n_tasks:
        return None
    if stop_requested(stop, SearchStatus(time.monotonic() - t0, 0, math.inf)):
        start.stopped = True
        return None
    budget, worth_it = _budget(options, t0)
    if not worth_it:
        return None
    if options.engine == "lns":
        return _improve_lns(start, options, budget, t0, stop, progress, partner)
    return _improve_ortools(start, options, budget, t0, stop, progress)


def _improve_lns(
    start: _Start,
    options: SolveOptions,
    budget: Budget,
    t0: float,
    stop: StoppingCriterion | None,
    progress: ProgressFn | None,
    partner: Partner | None,
) -> _Found:
    day, routes, gaps = day_arrays(start.inst, start.builder)

    def report(_s: float, best: float, placed: int, iterations: int) -> None:
        if progress is not None:
            progress(Progress(time.monotonic() - t0, int(best), placed, iterations, "lns"))

    if partner is not None:
        result = improve_together(
            day, routes, gaps, budget, partner, stop=stop, seed=options.seed, progress=report
        )
    else:
        result = improve(day, routes, gaps, budget, stop=stop, seed=options.seed, progress=report)
    return _Found(result.routes, result.iterations, "lns", result.stopped, False, result.windows)


def _improve_ortools(
    start: _Start,
    options: SolveOptions,
    budget: Budget,
    t0: float,
    stop: StoppingCriterion | None,
    progress: ProgressFn | None,
) -> _Found:
    inst, builder = start.inst, start.builder
    frozen_out = {t for t in range(inst.n_tasks) if t not in builder.placed and inst.linked(t)}
    model = build_model(inst, frozen_out)
    seconds = budget.seconds if isinstance(budget, MaxRuntime) else options.time_limit_s
    limit = budget.iterations if isinstance(budget, MaxIterations) else None
    found = search(
        model, seconds, stop=stop, progress=progress, since=t0, log=options.log,
        solution_limit=limit,
    )  # fmt: skip
    routes = routes_and_starts(model, found.assignment)[0] if found.assignment else None
    return _Found(routes, found.solutions, "ortools", found.stopped, True)


# --- 3. repair and choose -------------------------------------------------------------------


@dataclass(frozen=True)
class _Chosen:
    routes: list[list[int]]
    timelines: Timelines
    phase: Phase


def _repair_and_choose(start: _Start, found: _Found | None, options: SolveOptions) -> _Chosen:
    """The search's routes, repaired, if they score no worse than the construction's (the
    LNS searched from them, so it wins ties; OR-Tools' own routes must be strictly better);
    else the construction's."""
    construction = _Chosen(start.routes, start.timelines, "construction")
    if found is None or found.routes is None:
        return construction
    inst = start.inst
    kept = list(inst.lo), list(inst.hi)  # the construction's windows, if it stays the answer
    if found.windows is not None:
        # the search's routes hold only with the windows it gave pairs and followers
        inst.lo[:], inst.hi[:] = found.windows
    routes = drop_orphans(inst, found.routes)
    if found.reopen_windows:
        inst.reopen_windows({t for r in routes for t in r})
    repair = Construction.from_routes(inst, routes)
    repair.run(_order(inst, options.seed))
    repair.keep_continuity()
    repaired = repair.task_routes()
    timed = timelines(inst, repaired)
    new, old = _score(inst, repaired), _score(inst, start.routes)
    if timed is not None and (new < old or (new == old and found.phase == "lns")):
        return _Chosen(repaired, timed, found.phase)
    inst.lo[:], inst.hi[:] = kept
    return construction


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

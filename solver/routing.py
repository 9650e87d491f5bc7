"""The OR-Tools routing model of an ``Instance``, and the search from a first rota.

Modelling choices (each measured or forced by OR-Tools' semantics):

- Integer matrices registered with ``RegisterTransitMatrix`` (no Python callbacks in the
  search's inner loop). Time transit = travel + service at the origin; arc cost = travel.
- A time dimension whose cumul is the visit *start*, windows as cumul ranges, shift start/end
  as the ranges of the vehicle's start and end nodes, waiting as slack.
- Breaks with ``SetBreakIntervalsOfVehicle``; node visit transits are indexed by routing
  *index*, built through the manager.
- Skills, pins and reachability as the domain of each node's vehicle variable (never
  empty: visits no one can make have no node at all).
- Optional visits as one-node disjunctions whose penalty grows with priority; priority 1 is
  worth more than all other visits together, so it is dropped only when nothing can hold it.
- No cross-route side constraints at all. Double-handed halves get a fixed common start
  minute from the construction, and followers a window cut after their predecessor's, so
  timing holds by windows alone. Posting "both halves active together" as a solver
  constraint made restoring the first rota time out on a 1,100-visit day with breaks
  (measured), so a half left alone by the search is removed afterwards
  (``solver.solve``) and the repair pass re-inserts whole pairs.
- Continuity of care as a soft same-vehicle constraint between the visit and the preferred
  clinician's start node.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solver.instance import Instance
from solver.progress import Progress, ProgressFn
from solver.stop import SearchStatus, StoppingCriterion, stop_requested


@dataclass
class RoutingModel:
    inst: Instance
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    n_tasks: int


@dataclass(frozen=True)
class RoutingSearch:
    """The best assignment OR-Tools found (None if none in time), the solutions it went
    through, and whether a stopping rule ended it."""

    assignment: pywrapcp.Assignment | None
    solutions: int
    stopped: bool


def build_model(
    inst: Instance, frozen_out: set[int] | frozenset[int] = frozenset()
) -> RoutingModel:
    """The routing model; tasks in ``frozen_out`` stay unperformed (linked tasks that the
    construction could not place: only a pass that knows their partner may place them)."""
    n = inst.n_tasks
    V = len(inst.vehicles)
    node_loc = np.array(
        inst.task_loc + [x for v in inst.vehicles for x in (v.start_loc, v.end_loc)],
        dtype=np.int64,
    )
    svc = np.array(inst.task_svc + [0] * (2 * V), dtype=np.int64)
    travel = np.asarray(inst.problem.travel.minutes, dtype=np.int64)[np.ix_(node_loc, node_loc)]
    starts = [n + 2 * k for k in range(V)]
    ends = [n + 2 * k + 1 for k in range(V)]
    manager = pywrapcp.RoutingIndexManager(n + 2 * V, V, starts, ends)
    routing = pywrapcp.RoutingModel(manager)

    cost_cb = routing.RegisterTransitMatrix(travel.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    time_cb = routing.RegisterTransitMatrix((travel + svc[:, None]).tolist())
    horizon = max([v.end for v in inst.vehicles] + inst.hi + [0]) + 1
    routing.AddDimension(time_cb, horizon, horizon, False, "Time")
    tdim = routing.GetDimensionOrDie("Time")

    for k, veh in enumerate(inst.vehicles):
        tdim.CumulVar(routing.Start(k)).SetRange(veh.start, veh.end)
        tdim.CumulVar(routing.End(k)).SetRange(veh.start, veh.end)

    solver = routing.solver()
    for t in range(n):
        index = manager.NodeToIndex(t)
        tdim.CumulVar(index).SetRange(inst.lo[t], inst.hi[t])
        # SetAllowedVehiclesForIndex cannot be called from Python in OR-Tools 9.15 (no
        # absl::Span caster); restricting the vehicle variable (-1 = unperformed) is the
        # equivalent, and routing's vehicle-var filter honours it in local search.
        allowed = inst.task_vehicles[t] if t not in frozen_out else ()
        routing.VehicleVar(index).SetValues([-1, *allowed])
        routing.AddDisjunction([index], inst.task_penalty[t])
        pref = inst.task_preferred[t]
        if pref is not None and inst.continuity_cost > 0:
            routing.AddSoftSameVehicleConstraint([routing.Start(pref), index], inst.continuity_cost)
    visit_transits = [int(svc[manager.IndexToNode(i)]) for i in range(routing.Size())] + [0] * V
    for k, veh in enumerate(inst.vehicles):
        b = veh.rest_break
        if b is None:
            continue
        interval = solver.FixedDurationIntervalVar(
            b.earliest, b.latest, b.duration, False, f"break-{k}"
        )
        tdim.SetBreakIntervalsOfVehicle([interval], k, visit_transits)

    if any(v.max_visits is not None for v in inst.vehicles):
        ones = [1] * n + [0] * (2 * V)
        count_cb = routing.RegisterUnaryTransitVector(ones)
        caps = [v.max_visits if v.max_visits is not None else n + 1 for v in inst.vehicles]
        routing.AddDimensionWithVehicleCapacity(count_cb, 0, caps, True, "Visits")

    return RoutingModel(inst, manager, routing, tdim, n)


def search_parameters(
    time_limit_s: float, *, log: bool = False, solution_limit: int | None = None
) -> pywrapcp.DefaultRoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    params.log_search = log
    if solution_limit is not None:
        params.solution_limit = max(1, solution_limit)
    return params


def search(
    model: RoutingModel,
    seconds: float,
    *,
    stop: StoppingCriterion | None = None,
    progress: ProgressFn | None = None,
    since: float | None = None,
    log: bool = False,
    solution_limit: int | None = None,
) -> RoutingSearch:
    """Parallel cheapest insertion, then guided local search for ``seconds``, until ``stop``
    says so (asked at each solution and between moves) or after ``solution_limit``
    solutions. Returns the best assignment (None if none was found in time) and how many
    solutions it went through. ``since`` is the monotonic time the whole solve started, for
    the seconds in ``progress``.

    The search starts from OR-Tools' own first solution rather than from the construction's
    routes: restoring a 1,100-visit rota with breaks through ``ReadAssignmentFromRoutes`` and
    ``SolveFromAssignmentWithParameters`` took 5 s and then failed (measured with OR-Tools
    9.15), while parallel cheapest insertion on the decoupled windows placed more visits than
    the construction within the same budget.
    """
    routing, manager = model.routing, model.manager
    params = search_parameters(max(0.1, seconds), log=log, solution_limit=solution_limit)
    t0 = time.monotonic()
    since = t0 if since is None else since
    count = [0]
    reported = [0.0]
    best = [math.inf]
    stopped = [False]

    def status() -> SearchStatus:
        return SearchStatus(time.monotonic() - t0, count[0], best[0])

    def on_solution() -> None:
        count[0] += 1
        now = time.monotonic()
        best[0] = min(best[0], routing.CostVar().Value())
        if stop_requested(stop, status()):
            stopped[0] = True
            routing.solver().FinishCurrentSearch()
        if progress is None or now - reported[0] < 1.0:
            return
        reported[0] = now
        placed = sum(
            1
            for t in range(model.n_tasks)
            if routing.NextVar(manager.NodeToIndex(t)).Value() != manager.NodeToIndex(t)
        )
        cost = routing.CostVar().Value()
        progress(Progress(now - since, cost, placed, count[0], "ortools"))

    routing.AddAtSolutionCallback(on_solution)
    if stop is not None:
        # A first solution on a full day can take longer than a coordinator waits for Stop:
        # also ask between moves, at most every 0.2 s (each ask is a call into Python).
        asked = [0.0]

        def stop_now() -> bool:
            now = time.monotonic()
            if now - asked[0] < 0.2:
                return False
            asked[0] = now
            stopped[0] = stop(status())
            return stopped[0]

        routing.AddSearchMonitor(routing.solver().CustomLimit(stop_now))
    assignment = routing.SolveWithParameters(params)
    return RoutingSearch(assignment, count[0], stopped[0])


def routes_and_starts(model: RoutingModel, assignment) -> tuple[list[list[int]], dict[int, int]]:
    """Task ids per vehicle, and each placed task's start minute, from an assignment."""
    routing, manager, tdim = model.routing, model.manager, model.time
    routes: list[list[int]] = []
    starts: dict[int, int] = {}
    for k in range(len(model.inst.vehicles)):
        index = assignment.Value(routing.NextVar(routing.Start(k)))
        seq: list[int] = []
        while not routing.IsEnd(index):
            t = manager.IndexToNode(index)
            seq.append(t)
            starts[t] = assignment.Min(tdim.CumulVar(index))
            index = assignment.Value(routing.NextVar(index))
        routes.append(seq)
    return routes, starts

"""The HHCRSP as an OR-Tools routing model, and OR-Tools' search on it.

Why it exists: a second, general-purpose solver on the same problem, to polish the search's
result or to compare with it. One node per (patient, service); vehicle-dependent service time
through per-vehicle transit matrices (``AddDimensionWithVehicleTransits``, time = travel +
service at the origin, scaled by ``SCALE`` and rounded); skills as the domain of each node's
vehicle variable (``SetAllowedVehiclesForIndex`` cannot be called from Python in OR-Tools
9.15); tardiness as soft upper bounds of the start cumuls; simultaneous / gap constraints and
"different vehicles" posted on the cumul and vehicle variables with ``solver().Add``; the
maximum tardiness as the global span of a zero-transit dimension whose cumul is at least each
visit's tardiness.

Measured (OR-Tools 9.15, one core): from its own first solution it fails on A1 (no first
solution), is 12 % above the optimum on A4 and 124 % on B1 after 10 s (its local search moves
one node at a time and the cross-route constraints reject most moves); started from a search
solution it does improve it (e.g. E2 815.3 -> 806.5 in 10 s), but giving it the last quarter
of a 20 s budget was worse than letting the search run (mean gap on C3, D2, E2, E5: -1.6 %
against -3.1 %). So it is kept as an option (``polish`` seconds at the end of ``solve``, or
``solve_ortools`` alone), off by default.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from benchmarks.engines.hhcrsp.instance import HhcrspInstance
from benchmarks.engines.hhcrsp.schedule import Routes, SolveResult, earliest_schedule, score

SCALE = 100


@dataclass
class RoutingHhcrsp:
    """The OR-Tools model of an instance: one routing node per (patient, service)."""

    inst: HhcrspInstance
    tasks: list[tuple[int, int]]
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    index: dict[tuple[int, int], int]


def build_routing_model(inst: HhcrspInstance, *, max_tardiness: bool = True) -> RoutingHhcrsp:
    """Travel cost and a time dimension scaled by ``SCALE`` (rounded to the nearest unit);
    the cumul of a node is the service start. See the module docstring for each choice."""
    tasks = inst.tasks()
    node = [0] + [i for i, _s in tasks]
    n = len(node)
    nv = inst.n_vehicles
    d = np.rint(inst.dist[np.ix_(node, node)] * SCALE).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(n, nv, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(d.tolist()))
    callbacks: dict[bytes, int] = {}
    per_vehicle = []
    for v in range(nv):
        p = np.array([0.0] + [inst.proc[i, v, s] for i, s in tasks])
        key = p.tobytes()
        if key not in callbacks:
            transit = d + np.rint(p * SCALE).astype(np.int64)[:, None]
            callbacks[key] = routing.RegisterTransitMatrix(transit.tolist())
        per_vehicle.append(callbacks[key])
    horizon = int(SCALE * (inst.latest.max() + inst.proc.max() * len(tasks) + inst.dist.max() * n))
    routing.AddDimensionWithVehicleTransits(per_vehicle, horizon, horizon, True, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    solver = routing.solver()
    index: dict[tuple[int, int], int] = {}
    for k, (i, s) in enumerate(tasks):
        idx = manager.NodeToIndex(k + 1)
        index[(i, s)] = idx
        time_dim.CumulVar(idx).SetRange(math.ceil(inst.earliest[i] * SCALE - 1e-9), horizon)
        time_dim.SetCumulVarSoftUpperBound(idx, round(inst.latest[i] * SCALE), 1)
        # SetAllowedVehiclesForIndex is not callable from Python in OR-Tools 9.15.
        routing.VehicleVar(idx).SetValues([v for v in range(nv) if inst.qualified[v, s]])
    for i in inst.double:
        s1, s2 = inst.services(i)
        a, b = index[(i, s1)], index[(i, s2)]
        ta, tb = time_dim.CumulVar(a), time_dim.CumulVar(b)
        lo, hi = round(inst.min_gap[i] * SCALE), round(inst.max_gap[i] * SCALE)
        if hi == 0:
            solver.Add(ta == tb)
        else:
            solver.Add(tb - ta >= lo)
            solver.Add(tb - ta <= hi)
        solver.Add(routing.VehicleVar(a) != routing.VehicleVar(b))
    if max_tardiness:
        # Maximum tardiness as a global span: a zero-transit dimension whose cumul never
        # decreases along a route and is at least each visit's tardiness, so the largest route
        # end cumul (the global span, start cumuls being 0) is the maximum tardiness.
        zero = routing.RegisterUnaryTransitVector([0] * n)
        routing.AddDimension(zero, horizon, horizon, True, "Late")
        late = routing.GetDimensionOrDie("Late")
        for (i, _s), idx in index.items():
            solver.Add(late.CumulVar(idx) >= time_dim.CumulVar(idx) - round(inst.latest[i] * SCALE))
        late.SetGlobalSpanCostCoefficient(1)
    for v in range(nv):
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
    return RoutingHhcrsp(inst, tasks, manager, routing, time_dim, index)


def solve_ortools(
    inst: HhcrspInstance,
    time_limit: float = 60.0,
    *,
    initial: Routes | None = None,
    max_tardiness: bool = True,
    log: bool = False,
) -> SolveResult | None:
    """OR-Tools alone (parallel cheapest insertion, then guided local search), or from
    ``initial`` routes. Start times are recomputed as the least schedule of the routes."""
    t0 = time.monotonic()
    model = build_routing_model(inst, max_tardiness=max_tardiness)
    routing, manager = model.routing, model.manager
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    remaining = max(0.1, time_limit - (time.monotonic() - t0))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    params.log_search = log
    if initial is None:
        solution = routing.SolveWithParameters(params)
    else:
        routing.CloseModelWithParameters(params)
        given = [[manager.IndexToNode(model.index[(x.patient, x.service)]) for x in r]
                 for r in initial]  # fmt: skip
        assignment = routing.ReadAssignmentFromRoutes(given, True)
        if assignment is None:
            return None
        solution = routing.SolveFromAssignmentWithParameters(assignment, params)
    if solution is None:
        return None
    sequences = []
    for v in range(inst.n_vehicles):
        idx = solution.Value(routing.NextVar(routing.Start(v)))
        seq = []
        while not routing.IsEnd(idx):
            seq.append(model.tasks[manager.IndexToNode(idx) - 1])
            idx = solution.Value(routing.NextVar(idx))
        sequences.append(seq)
    routes = earliest_schedule(inst, sequences)
    if routes is None:
        return None
    return SolveResult(routes, score(inst, routes), time.monotonic() - t0, 0, "ortools")

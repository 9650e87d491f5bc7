"""Plain VRPTW (Solomon / Gehring-Homberger), to measure the routing engine against the field.

The literature's objective: minimise total Euclidean distance in double precision with the
instance's fleet, capacities and time windows (travel time = distance, service at the
customer). OR-Tools needs integers, so distances are scaled by ``SCALE`` and rounded *up*
for the time dimension (a route feasible in integers is then feasible in reals) and to the
nearest for the cost; the distance reported is recomputed in double precision from the routes.
``dimacs=True`` uses the DIMACS convention instead (distances truncated to one decimal), in
which the 1,000-customer best-known values are stated.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

SCALE = 1000


@dataclass(frozen=True)
class VrptwInstance:
    name: str
    vehicles: int
    capacity: int
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray

    @property
    def n(self) -> int:
        return len(self.x)

    def distances(self, *, dimacs: bool = False) -> np.ndarray:
        d = np.hypot(self.x[:, None] - self.x[None, :], self.y[:, None] - self.y[None, :])
        return np.floor(d * 10) / 10 if dimacs else d


def read_solomon(path: str | Path) -> VrptwInstance:
    """The Solomon/SINTEF text format (name, VEHICLE block, CUSTOMER table; depot first)."""
    lines = [line.split() for line in Path(path).read_text().splitlines()]
    name = lines[0][0]
    vehicles = capacity = None
    rows = []
    for i, parts in enumerate(lines):
        if parts[:1] == ["NUMBER"]:
            vehicles, capacity = (int(v) for v in lines[i + 1][:2])
        if len(parts) == 7 and all(p.replace(".", "").isdigit() for p in parts):
            rows.append([float(p) for p in parts])
    if vehicles is None or capacity is None or not rows:
        raise ValueError(f"{path}: not a Solomon-format VRPTW instance")
    a = np.array(rows)
    return VrptwInstance(
        name, vehicles, capacity, a[:, 1], a[:, 2], a[:, 3].astype(int),
        a[:, 4], a[:, 5], a[:, 6],
    )  # fmt: skip


@dataclass(frozen=True)
class VrptwResult:
    routes: list[list[int]]
    distance: float
    seconds: float

    @property
    def vehicles(self) -> int:
        return sum(1 for r in self.routes if r)


def route_distance(inst: VrptwInstance, routes: list[list[int]], *, dimacs: bool = False) -> float:
    d = inst.distances(dimacs=dimacs)
    total = 0.0
    for r in routes:
        if r:
            path = [0, *r, 0]
            total += sum(d[a, b] for a, b in itertools.pairwise(path))
    return total


def feasibility_errors(
    inst: VrptwInstance, routes: list[list[int]], *, dimacs: bool = False
) -> list[str]:
    """Independent check in double precision: each customer once, capacity, windows, fleet."""
    d = inst.distances(dimacs=dimacs)
    errors = []
    seen = sorted(c for r in routes for c in r)
    if seen != list(range(1, inst.n)):
        errors.append("customers are not each visited exactly once")
    if sum(1 for r in routes if r) > inst.vehicles:
        errors.append("more routes than vehicles")
    for k, r in enumerate(routes):
        if sum(inst.demand[c] for c in r) > inst.capacity:
            errors.append(f"route {k + 1} exceeds capacity")
        t, here = 0.0, 0
        for c in r:
            t = max(t + d[here, c], inst.ready[c])
            if t > inst.due[c] + 1e-6:
                errors.append(f"route {k + 1} reaches {c} at {t:.2f}, after {inst.due[c]}")
            t += inst.service[c]
            here = c
        if r and t + d[here, 0] > inst.due[0] + 1e-6:
            errors.append(f"route {k + 1} returns at {t + d[here, 0]:.2f}, after {inst.due[0]}")
    return errors


ENGINES = ("sisr", "ortools")


def solve_vrptw(
    inst: VrptwInstance,
    time_limit_s: float,
    *,
    dimacs: bool = False,
    engine: str = "sisr",
    seed: int = 0,
) -> VrptwResult:
    """Routes for a plain VRPTW within ``time_limit_s``.

    ``sisr`` (the default) is this project's ruin-and-recreate engine (``benchmarks.engines.sisr``);
    ``ortools`` is OR-Tools' parallel cheapest insertion then guided local search, kept so the
    two can be compared on the same instances (benchmarks/vrptw.py --engine).
    """
    if engine == "sisr":
        return _solve_sisr(inst, time_limit_s, dimacs=dimacs, seed=seed)
    if engine != "ortools":
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    return _solve_ortools(inst, time_limit_s, dimacs=dimacs)


def _solve_sisr(
    inst: VrptwInstance, time_limit_s: float, *, dimacs: bool, seed: int
) -> VrptwResult:
    from benchmarks.engines.sisr import sisr, warm_up

    warm_up()  # numba's compiled code is loaded once per process, before the clock starts
    t0 = time.monotonic()
    d = inst.distances(dimacs=dimacs)
    result = sisr(
        d, inst.ready, inst.due, inst.service, inst.demand, inst.capacity, inst.vehicles,
        time_limit_s, seed=seed,
    )  # fmt: skip
    return VrptwResult(
        result.routes, route_distance(inst, result.routes, dimacs=dimacs), time.monotonic() - t0
    )


def _solve_ortools(inst: VrptwInstance, time_limit_s: float, *, dimacs: bool) -> VrptwResult:
    t0 = time.monotonic()
    d = inst.distances(dimacs=dimacs)
    cost = np.rint(d * SCALE).astype(np.int64)
    transit = (
        np.ceil(d * SCALE - 1e-6).astype(np.int64)
        + np.rint(inst.service * SCALE).astype(np.int64)[:, None]
    )
    manager = pywrapcp.RoutingIndexManager(inst.n, inst.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost.tolist()))
    horizon = math.ceil(inst.due[0] * SCALE)
    routing.AddDimension(
        routing.RegisterTransitMatrix(transit.tolist()), horizon, horizon, False, "Time"
    )
    tdim = routing.GetDimensionOrDie("Time")
    for c in range(1, inst.n):
        tdim.CumulVar(manager.NodeToIndex(c)).SetRange(
            math.ceil(inst.ready[c] * SCALE), math.floor(inst.due[c] * SCALE)
        )
    demand = routing.RegisterUnaryTransitVector([int(q) for q in inst.demand])
    routing.AddDimensionWithVehicleCapacity(
        demand, 0, [inst.capacity] * inst.vehicles, True, "Load"
    )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(max(0.1, time_limit_s - (time.monotonic() - t0)) * 1000))
    solution = routing.SolveWithParameters(params)
    routes: list[list[int]] = []
    if solution is not None:
        for k in range(inst.vehicles):
            index = solution.Value(routing.NextVar(routing.Start(k)))
            seq = []
            while not routing.IsEnd(index):
                seq.append(manager.IndexToNode(index))
                index = solution.Value(routing.NextVar(index))
            routes.append(seq)
    return VrptwResult(routes, route_distance(inst, routes, dimacs=dimacs), time.monotonic() - t0)


def write_solution(path: Path, result: VrptwResult, *, dimacs: bool = False) -> None:
    """CVRPLIB form: ``Route #1: 5 3 7`` lines and a ``Cost`` line."""
    lines = [
        f"Route #{i}: {' '.join(map(str, r))}"
        for i, r in enumerate((r for r in result.routes if r), 1)
    ]
    cost = f"{result.distance:.1f}" if dimacs else f"{result.distance:.2f}"
    path.write_text("\n".join([*lines, f"Cost {cost}"]) + "\n")

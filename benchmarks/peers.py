"""Peers for the classic VRPTW benchmark: PyVRP and VROOM on the same instances and budget.

Both take integer data, so distances are scaled by ``SCALE`` exactly as ``benchmarks.engines.vrptw`` does:
the travel *time* is rounded up (a route that is feasible in integers is then feasible in real
numbers) and the travel *cost* to the nearest integer. Neither peer's own objective is
reported: the distance is recomputed in double precision from the routes
(``benchmarks.engines.vrptw.route_distance``) and the routes go through ``feasibility_errors`` in the
benchmark, as ours do. The fleet is the instance's ``vehicles`` with its capacity.

- PyVRP 0.14: ``ProblemData`` with one depot, one client per customer, one vehicle type of
  ``inst.vehicles`` vehicles; ``pyvrp.solve(data, stop=MaxRuntime(t))`` (hybrid genetic /
  iterated local search, one thread).
- VROOM (pyvroom 1.15): ``vroom.Input`` with a custom integer matrix used as durations (its
  cost is then the travel time, i.e. the distance), one job per customer with its window,
  service and demand, ``inst.vehicles`` vehicles with the depot's window and the capacity;
  ``solve(exploration_level=5, nb_threads=1, timeout=t)``. VROOM's objective is lexicographic
  (assign as many jobs as it can, then minimise cost); a job it leaves out makes the solution
  infeasible here, and that is reported, not hidden.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

import numpy as np

from benchmarks.engines.vrptw import VrptwInstance, VrptwResult, route_distance

SCALE = 1000


def _integer_data(inst: VrptwInstance, dimacs: bool):
    d = inst.distances(dimacs=dimacs)
    cost = np.rint(d * SCALE).astype(np.int64)
    duration = np.ceil(d * SCALE - 1e-6).astype(np.int64)
    np.fill_diagonal(duration, 0)
    ready = [math.ceil(r * SCALE - 1e-6) for r in inst.ready]
    due = [math.floor(x * SCALE + 1e-6) for x in inst.due]
    service = [round(s * SCALE) for s in inst.service]
    return cost, duration, ready, due, service


def solve_pyvrp(
    inst: VrptwInstance, time_limit_s: float, dimacs: bool = False, *, seed: int = 0
) -> VrptwResult:
    """PyVRP with the instance's fleet; routes as customer indices (1..n-1)."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    t0 = time.monotonic()
    cost, duration, ready, due, service = _integer_data(inst, dimacs)
    locations = [pyvrp.Location(float(x), float(y)) for x, y in zip(inst.x, inst.y, strict=True)]
    depot = pyvrp.Depot(0, tw_early=ready[0], tw_late=due[0])
    clients = [
        pyvrp.Client(
            c,
            delivery=[int(inst.demand[c])],
            service_duration=service[c],
            tw_early=ready[c],
            tw_late=due[c],
        )
        for c in range(1, inst.n)
    ]
    vehicle = pyvrp.VehicleType(
        num_available=inst.vehicles,
        capacity=[int(inst.capacity)],
        tw_early=ready[0],
        tw_late=due[0],
    )
    data = pyvrp.ProblemData(locations, clients, [depot], [vehicle], [cost], [duration])
    budget = max(0.1, time_limit_s - (time.monotonic() - t0))
    result = pyvrp.solve(data, stop=MaxRuntime(budget), seed=seed, collect_stats=False)
    routes = [[act.idx + 1 for act in route if act.is_client()] for route in result.best.routes()]
    return VrptwResult(routes, route_distance(inst, routes, dimacs=dimacs), time.monotonic() - t0)


def solve_vroom(
    inst: VrptwInstance,
    time_limit_s: float,
    dimacs: bool = False,
    *,
    exploration_level: int = 5,
    threads: int = 1,
) -> VrptwResult:
    """VROOM with the instance's fleet; routes as customer indices (1..n-1).

    Jobs VROOM leaves unassigned are simply absent from the routes (and the benchmark's
    feasibility check then says so)."""
    import vroom

    t0 = time.monotonic()
    cost, duration, ready, due, service = _integer_data(inst, dimacs)
    problem = vroom.Input()
    # VROOM's cost is the travel duration by default; give it the rounded distance as cost and
    # the rounded-up distance as duration, so the time windows stay safe in real numbers.
    problem.set_durations_matrix("car", duration.astype(np.uint32))
    problem.set_costs_matrix("car", cost.astype(np.uint32))
    for k in range(inst.vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                k + 1,
                start=0,
                end=0,
                capacity=[int(inst.capacity)],
                time_window=vroom.TimeWindow(ready[0], due[0]),
            )
        )
    for c in range(1, inst.n):
        problem.add_job(
            vroom.Job(
                c,
                location=c,
                default_service=service[c],
                delivery=[int(inst.demand[c])],
                time_windows=[vroom.TimeWindow(ready[c], due[c])],
            )
        )
    budget = max(0.1, time_limit_s - (time.monotonic() - t0))
    solution = problem.solve(
        exploration_level=exploration_level,
        nb_threads=threads,
        timeout=timedelta(seconds=budget),
    )
    routes = vroom_routes(solution)
    return VrptwResult(routes, route_distance(inst, routes, dimacs=dimacs), time.monotonic() - t0)


def vroom_routes(solution: Any) -> list[list[int]]:
    """Job ids per vehicle, in the order driven, from a VROOM solution."""
    frame = solution.routes
    jobs = frame[frame["type"] == "job"]
    routes: dict[int, list[int]] = {}
    for vid, jid in zip(jobs["vehicle_id"], jobs["id"], strict=True):
        routes.setdefault(int(vid), []).append(int(jid))
    return [routes[v] for v in sorted(routes)]

"""The ruin-and-recreate engine (benchmarks.engines.sisr): feasible, optimal on tiny cases, fleet-bound."""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.engines.sisr import SisrParams, sisr, warm_up
from benchmarks.engines.vrptw import VrptwInstance, feasibility_errors, route_distance


def random_instance(seed: int, n: int, vehicles: int, capacity: int = 30) -> VrptwInstance:
    rng = np.random.default_rng(seed)
    x = np.concatenate([[50.0], rng.uniform(0, 100, n)])
    y = np.concatenate([[50.0], rng.uniform(0, 100, n)])
    ready = np.concatenate([[0.0], rng.uniform(0, 300, n)])
    due = np.concatenate([[1000.0], ready[1:] + rng.uniform(30, 200, n)])
    demand = np.concatenate([[0], rng.integers(1, 10, n)])
    service = np.concatenate([[0.0], np.full(n, 10.0)])
    return VrptwInstance("rand", vehicles, capacity, x, y, demand, ready, due, service)


def run(inst: VrptwInstance, seconds: float = 0.3, **kw):
    return sisr(
        inst.distances(), inst.ready, inst.due, inst.service, inst.demand, inst.capacity,
        inst.vehicles, seconds, **kw,
    )  # fmt: skip


def exhaustive_optimum(inst: VrptwInstance) -> float:
    """Best total distance over every partition into ≤ fleet routes and every order."""
    customers = tuple(range(1, inst.n))

    d = inst.distances()

    def route_ok(order) -> float:
        if sum(inst.demand[c] for c in order) > inst.capacity:
            return np.inf
        t, here = 0.0, 0
        for c in order:
            t = max(t + d[here, c], inst.ready[c])
            if t > inst.due[c] + 1e-9:
                return np.inf
            t, here = t + inst.service[c], c
        return 0.0 if t + d[here, 0] <= inst.due[0] + 1e-9 else np.inf

    @cache
    def best_route(subset: frozenset) -> float:
        best = np.inf
        for order in itertools.permutations(sorted(subset)):
            if route_ok(order) == 0.0:
                best = min(best, route_distance(inst, [list(order)]))
        return best

    @cache
    def best_cover(left: frozenset, routes: int) -> float:
        if not left:
            return 0.0
        if routes == 0:
            return np.inf
        first = min(left)
        rest = sorted(left - {first})
        best = np.inf
        for k in range(len(rest) + 1):
            for extra in itertools.combinations(rest, k):
                group = frozenset((first, *extra))
                cost = best_route(group)
                if cost < np.inf:
                    best = min(best, cost + best_cover(left - group, routes - 1))
        return best

    return best_cover(frozenset(customers), inst.vehicles)


def setup_module() -> None:
    warm_up()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6), vehicles=st.integers(1, 3))
def test_matches_exhaustive_search_on_tiny_instances(seed, n, vehicles):
    """On ≤ 6 customers the engine finds the optimum whenever every customer can be served."""
    inst = random_instance(seed, n, vehicles)
    optimum = exhaustive_optimum(inst)
    result = run(inst, 0.2, seed=seed)
    errors = feasibility_errors(inst, result.routes)
    if optimum == np.inf:  # someone cannot be served: the rest must still be feasible
        assert errors == ["customers are not each visited exactly once"]
    else:
        assert errors == []
        assert route_distance(inst, result.routes) == pytest.approx(optimum, abs=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_forty_customers_feasible_within_the_fleet(seed):
    """Every kept state is feasible in double precision, on no more routes than vehicles."""
    inst = random_instance(seed, 40, 12)
    result = run(inst, 0.5, seed=seed)
    assert feasibility_errors(inst, result.routes) == []
    assert sum(1 for r in result.routes if r) <= inst.vehicles
    assert result.cost == pytest.approx(route_distance(inst, result.routes))


def test_a_customer_that_fits_nowhere_is_left_out_not_forced_in():
    """A window that closes before anyone can arrive leaves that customer out, the rest served."""
    inst = random_instance(7, 10, 4)
    due = inst.due.copy()
    due[3] = 1.0  # 1 minute after the depot opens: unreachable
    inst = VrptwInstance(inst.name, inst.vehicles, inst.capacity, inst.x, inst.y, inst.demand,
                         inst.ready.copy(), due, inst.service)  # fmt: skip
    inst.ready[3] = 0.0
    result = run(inst)
    served = sorted(c for r in result.routes for c in r)
    assert 3 not in served and len(served) == inst.n - 2
    kept = VrptwInstance(inst.name, inst.vehicles, inst.capacity, inst.x, inst.y, inst.demand,
                         inst.ready, inst.due + 0, inst.service)  # fmt: skip
    errors = feasibility_errors(kept, result.routes)
    assert errors == ["customers are not each visited exactly once"]


def test_a_fleet_too_small_serves_what_it_can():
    """With one vehicle of small capacity the engine serves a subset and never overloads it."""
    inst = random_instance(11, 15, 1, capacity=20)
    result = run(inst)
    route = result.routes[0]
    assert sum(inst.demand[c] for c in route) <= 20
    assert len(route) < 15
    assert not [e for e in feasibility_errors(inst, result.routes) if "exactly once" not in e]


def test_starts_from_given_routes_and_never_ends_worse():
    """A feasible starting solution is kept as the incumbent: the answer is no longer."""
    inst = random_instance(5, 30, 10)
    singles = [[c] for c in range(1, inst.n)]
    # one route per customer is feasible when the fleet allows it
    big = VrptwInstance(inst.name, inst.n, 10**6, inst.x, inst.y, inst.demand, inst.ready,
                        inst.due, inst.service)  # fmt: skip
    assert feasibility_errors(big, singles) == []
    result = run(big, 0.3, initial=singles, params=SisrParams(chunk_iterations=50))
    assert feasibility_errors(big, result.routes) == []
    assert route_distance(big, result.routes) <= route_distance(big, singles) + 1e-9

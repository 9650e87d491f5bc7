"""The day's ruin-and-recreate engine (solver.lns): never worse, the linked visits it may
not move untouched, every route it keeps is timed by solver.schedule with the windows it
hands back, the rota passes the checker, and an iteration budget gives the same routes for
the same seed. (How it moves pairs and followers: tests/solver/lns/test_linked.py.)"""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.domain.check import check
from scheduler.domain.problem import build_problem
from scheduler.domain.synth import generate_service, service_day_visits
from scheduler.domain.travel import Geodesic
from solver import MaxIterations, MaxRuntime, SolveOptions, solve
from solver.construct import Construction
from solver.instance import build_instance
from solver.lns import day_arrays, improve, warm_up
from solver.output import timelines, to_rota
from solver.solve import _order, _score

DAY = date(2027, 4, 6)


@pytest.fixture(scope="module")
def day_problem():
    warm_up()
    service = generate_service(45, 11, DAY)
    return build_problem(service_day_visits(service, DAY), list(service.shifts), Geodesic())


def constructed(problem):
    inst = build_instance(problem)
    builder = Construction(inst)
    builder.run(_order(inst, 0))
    return inst, builder


def test_improves_the_construction_and_every_route_can_be_timed(day_problem):
    inst, builder = constructed(day_problem)
    day, routes, gaps = day_arrays(inst, builder)
    result = improve(day, routes, gaps, MaxRuntime(2.0), seed=1)
    assert result.iterations > 100
    assert result.cost <= result.start_cost
    assert _score(inst, result.routes) <= _score(inst, routes)
    assert result.windows is not None
    inst.lo[:], inst.hi[:] = result.windows  # pairs' minutes and cuts as the search left them
    timed = timelines(inst, result.routes)
    assert timed is not None  # the break rule agrees with solver.schedule
    assert check(day_problem, to_rota(inst, timed)).violations == ()


def test_linked_visits_it_may_not_move_stay_with_their_clinician(day_problem):
    """Pairs that precede or follow another visit (and what they hang on) stay put, at
    their minute; the rest of the linked visits are movable."""
    inst, builder = constructed(day_problem)
    day, routes, gaps = day_arrays(inst, builder)
    assert (day.pair >= 0).any() and (day.pred >= 0).any()
    assert day.movable[day.pair >= 0].any() and day.movable[day.pred >= 0].any()
    before = {t: k for k, seq in enumerate(routes) for t in seq if not day.movable[t]}
    result = improve(day, routes, gaps, MaxRuntime(1.0), seed=2)
    after = {t: k for k, seq in enumerate(result.routes) for t in seq}
    assert all(after.get(t) == k for t, k in before.items())
    assert result.windows is not None
    lo, hi = result.windows
    assert all((lo[t], hi[t]) == (inst.lo[t], inst.hi[t]) for t in before if day.pair[t] >= 0)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_default_solve_passes_the_checker(day_problem, seed):
    result = solve(day_problem, SolveOptions(time_limit_s=4, seed=seed))
    assert result.engine == "lns" and result.summary()["solver"] == "construction+lns"
    assert check(day_problem, result.rota).violations == ()
    ortools = solve(day_problem, SolveOptions(time_limit_s=4, seed=seed, engine="ortools"))
    assert ortools.engine == "ortools"
    assert check(day_problem, ortools.rota).violations == ()


def test_an_iteration_budget_is_met_exactly_and_repeats(day_problem):
    """MaxIterations runs exactly that many iterations whatever the clock, so the same
    seed gives the same routes (a chunk of the search is 200 iterations: 450 is not one)."""
    inst, builder = constructed(day_problem)
    day, routes, gaps = day_arrays(inst, builder)
    first = improve(day, routes, gaps, MaxIterations(450), seed=3)
    again = improve(day, routes, gaps, MaxIterations(450), seed=3)
    other = improve(day, routes, gaps, MaxIterations(450), seed=4)
    assert first.iterations == again.iterations == 450
    assert first.routes == again.routes and first.cost == again.cost
    assert other.routes != first.routes

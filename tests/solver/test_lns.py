"""The day's ruin-and-recreate engine (solver.lns): never worse, linked visits untouched,
every route it keeps is timed by solver.schedule, and the rota passes the checker."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.domain.check import check
from scheduler.domain.problem import build_problem
from scheduler.domain.synth import generate_service, service_day_visits
from scheduler.domain.travel import Geodesic
from solver import SolveOptions, solve
from solver.construct import Construction
from solver.instance import build_instance
from solver.lns import improve, warm_up
from solver.pipeline import _day_arrays, _order, _score, _timelines, _to_rota

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
    day, routes, gaps = _day_arrays(inst, builder)
    result = improve(day, routes, gaps, 2.0, seed=1)
    assert result.iterations > 100
    assert result.cost <= result.start_cost
    assert _score(inst, result.routes) <= _score(inst, routes)
    timelines = _timelines(inst, result.routes)
    assert timelines is not None  # the break rule agrees with solver.schedule
    assert check(day_problem, _to_rota(inst, timelines, {})).violations == ()


def test_linked_visits_stay_with_their_clinician(day_problem):
    inst, builder = constructed(day_problem)
    day, routes, gaps = _day_arrays(inst, builder)
    before = {t: k for k, seq in enumerate(routes) for t in seq if not day.movable[t]}
    assert before, "the synthetic day should have double-handed or gap-linked visits"
    result = improve(day, routes, gaps, 1.0, seed=2)
    after = {t: k for k, seq in enumerate(result.routes) for t in seq}
    assert all(after.get(t) == k for t, k in before.items())


@pytest.mark.parametrize("seed", [0, 1])
def test_the_default_solve_passes_the_checker(day_problem, seed):
    rota = solve(day_problem, SolveOptions(time_limit_s=4, seed=seed))
    assert rota.meta["solver"] == "construction+lns"
    assert check(day_problem, rota).violations == ()
    ortools = solve(day_problem, SolveOptions(time_limit_s=4, seed=seed, engine="ortools"))
    assert check(day_problem, ortools).violations == ()

"""Two cooperating searches (solver.lns.parallel): the partner really searches, an iteration
budget gives the same rota however the processes run, Stop reaches the partner, and a partner
that dies leaves a search that still answers. Every rota goes through the checker."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.domain.check import check
from scheduler.domain.model import Problem
from scheduler.domain.problem import build_problem
from scheduler.domain.synth import generate_service, service_day_visits
from scheduler.domain.travel import Geodesic
from solver import MaxIterations, SolveOptions, StopWhen, solve
from solver.construct import Construction
from solver.instance import build_instance
from solver.lns import day_arrays, warm_up
from solver.lns.parallel import Partner, improve_together
from solver.solve import _order

DAY = date(2027, 4, 6)


@pytest.fixture(scope="module")
def day_problem() -> Problem:
    warm_up()
    service = generate_service(45, 11, DAY)
    return build_problem(service_day_visits(service, DAY), list(service.shifts), Geodesic())


def _lines(problem: Problem, options: SolveOptions) -> tuple[list[tuple[str, ...]], int]:
    result = solve(problem, options)
    assert check(problem, result.rota).violations == ()
    lines = [
        (r.clinician_id, *(f"{s.visit_id}@{s.start.isoformat()}" for s in r.stops))
        for r in result.rota.routes
    ]
    return lines, result.iterations


def test_an_iteration_budget_gives_the_same_rota_with_two_searches(day_problem):
    options = SolveOptions(time_limit_s=0, max_iterations=600, seed=4, workers=2)
    first, iterations = _lines(day_problem, options)
    second, _ = _lines(day_problem, options)
    assert first == second
    # both searches ran their full budget: the partner took part in every epoch
    assert iterations == 2 * 600


def test_the_partner_changes_the_answer_so_it_really_searches(day_problem):
    one, it_one = _lines(day_problem, SolveOptions(max_iterations=600, seed=4, workers=1))
    two, it_two = _lines(day_problem, SolveOptions(max_iterations=600, seed=4, workers=2))
    assert it_one == 600 and it_two == 1200
    assert one != two


def test_stop_reaches_both_searches(day_problem):
    seen: list[int] = []

    def progress(p) -> None:
        seen.append(p.iterations)

    result = solve(
        day_problem,
        SolveOptions(max_iterations=50_000_000, seed=1, workers=2),
        stop=StopWhen(lambda: len(seen) >= 3),
        progress=progress,
    )
    assert result.stopped_early
    assert result.iterations < 2 * 50_000_000
    assert check(day_problem, result.rota).violations == ()


def test_a_partner_that_dies_leaves_a_search_that_answers(day_problem):
    inst = build_instance(day_problem)
    builder = Construction(inst)
    builder.run(_order(inst, 0))
    day, routes, gaps = day_arrays(inst, builder)
    with Partner.start() as partner:
        assert partner._process is not None
        partner._process.kill()
        result = improve_together(day, routes, gaps, MaxIterations(400), partner)
    assert not partner.alive
    assert result.iterations == 400  # this search's own budget, alone
    assert result.cost <= result.start_cost


def test_workers_must_be_at_least_one():
    with pytest.raises(ValueError, match="workers"):
        SolveOptions(workers=0)

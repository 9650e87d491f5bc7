"""The search moves double-handed pairs and followers (solver.lns.linked): small days where
the construction's greedy placement of a pair or a follower is poor and only moving it
helps; the pair's halves start together, the follower keeps its gap, the windows the
search hands back time every route, and every rota passes the independent checker. An
iteration budget still gives the same routes and windows for the same seed."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scheduler.domain.check import check
from scheduler.domain.model import Problem, Rota
from scheduler.domain.problem import build_problem
from scheduler.domain.synth import generate_service, service_day_visits
from scheduler.domain.travel import Geodesic
from solver import MaxIterations, SolveOptions, solve
from solver.construct import Construction
from solver.instance import Instance, build_instance
from solver.lns import day_arrays, improve, warm_up
from solver.lns.arrays import linked_groups, movable_tasks
from solver.output import timelines, to_rota
from solver.solve import _order, _score
from tests.support.factories import make_problem, shift, visit


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    warm_up()


def _constructed(problem: Problem) -> tuple[Instance, Construction]:
    inst = build_instance(problem)
    builder = Construction(inst)
    builder.run(_order(inst, 0))
    return inst, builder


def _starts(rota: Rota) -> dict[str, list[tuple[str, datetime]]]:
    """Per visit id, (clinician, start) of each attendant."""
    out: dict[str, list[tuple[str, datetime]]] = {}
    for route in rota.routes:
        for stop in route.stops:
            if stop.visit_id is not None:
                out.setdefault(stop.visit_id, []).append((route.clinician_id, stop.start))
    return out


def _pair_day() -> Problem:
    """A pair near A and B's base, two long single visits right at that base.

    The construction places the pair first (double-handed before single) on A and B at
    09:00, the cheapest for it alone; then A and B are busy when the singles must start, and
    C and D, who start at 09:30 across the map, cannot reach them in time: both are left
    out. Better: the singles on A and B, the pair on C and D as soon as they get there."""
    visits = [
        visit("P", 2, 0, "09:00", "11:00", 60, staff=2, priority=1),
        visit("S1", 0, 1, "09:00", "09:10", 170, priority=1),
        visit("S2", 0, 1, "09:00", "09:10", 170, priority=1),
    ]
    shifts = [
        shift("A", "08:00", "16:00", base=(0, 0)),
        shift("B", "08:00", "16:00", base=(0, 0)),
        shift("C", "09:30", "16:00", base=(6, 0)),
        shift("D", "09:30", "16:00", base=(6, 0)),
    ]
    return make_problem(visits, shifts)


def _follower_day() -> Problem:
    """A follower placed where it blocks a later visit.

    V1 (near A's base) is followed by V2; the construction puts both on A (the cheapest for
    V2 then), so S, a priority-2 visit at A's base that must start 09:40–09:50, finds A busy
    and goes to B across the map (48 min in all). Better: V2 on B, S on A (30 min)."""
    visits = [
        visit("V1", 1, 0, "09:00", "09:05", 30, priority=1),
        visit("V2", 2, 1, "09:30", "10:00", 60, priority=1, after_visit="V1", min_gap_min=0),
        visit("S", 0, 1, "09:40", "09:50", 60, priority=2),
    ]
    shifts = [
        shift("A", "08:00", "16:00", base=(0, 0)),
        shift("B", "08:00", "16:00", base=(4, 0)),
    ]
    return make_problem(visits, shifts)


def _construction_rota(problem: Problem) -> Rota:
    inst, builder = _constructed(problem)
    timed = timelines(inst, builder.task_routes())
    assert timed is not None
    return to_rota(inst, timed)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_search_moves_a_pair_to_other_clinicians(seed):
    problem = _pair_day()
    before = _starts(_construction_rota(problem))
    assert {c for c, _ in before["P"]} == {"A", "B"}  # the construction's poor choice
    assert "S1" not in before and "S2" not in before

    result = solve(problem, SolveOptions(max_iterations=2000, seed=seed, workers=1))
    assert check(problem, result.rota).violations == ()
    after = _starts(result.rota)
    (c1, s1), (c2, s2) = after["P"]
    assert {c1, c2} == {"C", "D"} and s1 == s2  # moved, both halves at one minute
    assert s1 != before["P"][0][1]  # and re-timed: C and D get there at 09:42
    assert {c for c, _ in after["S1"] + after["S2"]} == {"A", "B"}
    assert result.rota.unassigned == ()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_search_moves_a_follower_and_keeps_its_gap(seed):
    problem = _follower_day()
    before = _starts(_construction_rota(problem))
    assert before["V1"][0][0] == before["V2"][0][0] == "A"
    assert before["S"][0][0] == "B"

    result = solve(problem, SolveOptions(max_iterations=2000, seed=seed, workers=1))
    assert check(problem, result.rota).violations == ()
    after = _starts(result.rota)
    assert after["V2"][0][0] == "B" and after["S"][0][0] == "A"
    v1 = next(s for r in result.rota.routes for s in r.stops if s.visit_id == "V1")
    assert after["V2"][0][1] >= v1.end  # min_gap_min is 0: no earlier than V1's end


def test_the_kernel_hands_back_windows_that_time_its_routes():
    """Straight from ``improve``: the routes need the windows it returns (the day's own
    cut windows would not time them), and with them every route times and checks."""
    problem = _pair_day()
    inst, builder = _constructed(problem)
    day, routes, gaps = day_arrays(inst, builder)
    result = improve(day, routes, gaps, MaxIterations(2000), seed=0)
    assert _score(inst, result.routes) < _score(inst, routes)
    assert timelines(inst, result.routes) is None  # the construction's 09:00 is stale
    assert result.windows is not None
    inst.lo[:], inst.hi[:] = result.windows
    a, b = inst.tasks_of_visit[0]
    assert inst.lo[a] == inst.hi[a] == inst.lo[b] == inst.hi[b]
    timed = timelines(inst, result.routes)
    assert timed is not None
    assert check(problem, to_rota(inst, timed)).violations == ()


DAY = date(2027, 4, 6)


@pytest.fixture(scope="module")
def service_day() -> Problem:
    service = generate_service(45, 11, DAY)
    return build_problem(service_day_visits(service, DAY), list(service.shifts), Geodesic())


def test_on_a_generated_day_pairs_and_followers_move_and_the_rota_checks(service_day):
    inst, builder = _constructed(service_day)
    day, routes, gaps = day_arrays(inst, builder)
    result = improve(day, routes, gaps, MaxIterations(4000), seed=5)
    assert result.windows is not None
    before = {t: k for k, seq in enumerate(routes) for t in seq}
    after = {t: k for k, seq in enumerate(result.routes) for t in seq}
    pairs = [t for t in range(inst.n_tasks) if day.pair[t] > t and day.movable[t]]
    followers = [t for t in range(inst.n_tasks) if day.pred[t] >= 0 and day.movable[t]]
    assert pairs and followers
    moved = [t for t in pairs if (before.get(t), before.get(int(day.pair[t])))
             != (after.get(t), after.get(int(day.pair[t])))]  # fmt: skip
    assert moved, "some pair should end on other clinicians"
    inst.lo[:], inst.hi[:] = result.windows
    timed = timelines(inst, result.routes)
    assert timed is not None
    assert check(service_day, to_rota(inst, timed)).violations == ()


def test_an_iteration_budget_repeats_with_pairs_present(service_day):
    inst, builder = _constructed(service_day)
    day, routes, gaps = day_arrays(inst, builder)
    assert (day.movable & (day.pair >= 0)).any()
    first = improve(day, routes, gaps, MaxIterations(1200), seed=3)
    again = improve(day, routes, gaps, MaxIterations(1200), seed=3)
    assert first.routes == again.routes and first.windows == again.windows
    assert first.cost == again.cost
    # and through the whole solve, with two cooperating searches
    options = SolveOptions(max_iterations=600, seed=4, workers=2)
    one, two = solve(service_day, options), solve(service_day, options)
    assert _starts(one.rota) == _starts(two.rota)
    assert check(service_day, one.rota).violations == ()


def test_which_linked_tasks_the_search_may_move():
    """Free pairs, followers and their predecessors move; a pair in a gap chain stays, and
    so does a single visit such a pair follows; a follower of a pair that stays moves."""
    # tasks: 0/1 a free pair; 2 → 3 a single and its follower; 4/5 a pair that 6 follows;
    # 7 a single that the pair 8/9 follows
    pair = [1, 0, -1, -1, 5, 4, -1, -1, 9, 8]
    pred = [-1, -1, -1, 2, -1, -1, 4, -1, 7, 7]
    assert movable_tasks(pair, pred).tolist() == [
        True, True, True, True, False, False, True, False, False, False,
    ]  # fmt: skip
    groups = linked_groups([*pair, -1], [*pred, -1]).tolist()
    assert groups[10] == -1 and len({groups[0], groups[2], groups[4], groups[7]}) == 4
    assert groups[0] == groups[1] and groups[4] == groups[5] == groups[6]
    assert groups[7] == groups[8] == groups[9]


def test_a_pair_that_is_out_is_put_back_at_a_minute_of_its_own_window():
    """Routes handed in without the pair (the caller took it out): its construction minute,
    09:00, no longer binds it; the search places it on C and D when they can get there."""
    problem = _pair_day()
    inst, builder = _constructed(problem)
    day, routes, gaps = day_arrays(inst, builder)
    a, b = inst.tasks_of_visit[0]
    without = [[t for t in seq if t not in (a, b)] for seq in routes]
    result = improve(day, without, gaps, MaxIterations(500), seed=0)
    assert result.windows is not None
    inst.lo[:], inst.hi[:] = result.windows
    on = {t: k for k, seq in enumerate(result.routes) for t in seq}
    assert {on[a], on[b]} == {2, 3}  # C and D
    assert inst.lo[a] == inst.hi[a] == inst.lo[b] == inst.hi[b] > 9 * 60
    timed = timelines(inst, result.routes)
    assert timed is not None
    assert check(problem, to_rota(inst, timed)).violations == ()

"""HHCRSP (Mankowska et al. 2014): reader, independent scorer, least schedule, solvers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from benchmarks.engines.hhcrsp import (
    HhcrspInstance,
    Visit,
    build_routing_model,
    earliest_schedule,
    parse_arc_routes,
    read_instance,
    read_solution,
    score,
    solve,
    solve_ortools,
    write_solution,
)

DATA = Path(__file__).resolve().parents[4] / "shared" / "hhcrsp"
needs_data = pytest.mark.skipif(
    not (DATA / "mankowska").is_dir(), reason="shared/hhcrsp not beside the repository"
)


def instance_file(k: int, n: int = 10) -> Path:
    kind = "CPLEX" if n < 100 else "VNS"
    return DATA / "mankowska" / f"Instanz{kind}_HCSRP_{n}_{k}.txt"


def best_published() -> dict[str, dict[str, str]]:
    with (DATA / "mankowska_best_known.csv").open() as f:
        return {r["instance"]: r for r in csv.DictReader(f)}


# -- a hand-made instance ---------------------------------------------------------------------


def tiny() -> HhcrspInstance:
    """Depot at (0, 0) = nodes 0 and 5; patients 1..4 on a line; 2 vehicles, 2 services.

    Patient 1 (x=3): service 0, window [0, 10].      Patient 2 (x=6): service 0, [0, 5].
    Patient 3 (x=4): services 0 and 1 simultaneous, window [20, 30].
    Patient 4 (x=8): services 0 then 1 with a gap in [5, 10], window [0, 40].
    Vehicle 0 does service 0 only, vehicle 1 both; processing time 2 (vehicle 1: 3).
    """
    xs = np.array([0.0, 3, 6, 4, 8, 0])
    ys = np.zeros(6)
    dist = np.abs(xs[:, None] - xs[None, :])
    required = np.zeros((6, 2), dtype=bool)
    required[0] = required[5] = True
    required[1, 0] = required[2, 0] = True
    required[3] = required[4] = True
    proc = np.zeros((6, 2, 2))
    proc[1:5, 0, :] = 2.0
    proc[1:5, 1, :] = 3.0
    return HhcrspInstance(
        name="tiny",
        n_nodes=6,
        n_vehicles=2,
        n_services=2,
        required=required,
        double=(3, 4),
        qualified=np.array([[True, False], [True, True]]),
        x=xs,
        y=ys,
        dist=dist,
        proc=proc,
        min_gap=np.array([0.0, 0, 0, 0, 5, 0]),
        max_gap=np.array([0.0, 0, 0, 0, 10, 0]),
        earliest=np.array([0.0, 0, 0, 20, 0, 0]),
        latest=np.array([100.0, 10, 5, 30, 40, 100]),
    )


def good_routes() -> list[list[Visit]]:
    """Vehicle 0: 0 -> 1 -> 2 -> 3 -> 4 -> 0; vehicle 1: 0 -> 3 -> 4 -> 0.

    Vehicle 0: patient 1 at 3 (ends 5), patient 2 at 5+3 = 8 (3 late), patient 3 at 20 (ends
    22), patient 4 (service 0) at 22 + 4 = 26. Vehicle 1: patient 3 at 20 (ends 23), patient
    4 (service 1) at max(23 + 4, 26 + 5) = 31. Distance: 3+3+2+4+8 = 20 and 4+4+8 = 16.
    """
    return [
        [Visit(1, 0, 3.0), Visit(2, 0, 8.0), Visit(3, 0, 20.0), Visit(4, 0, 26.0)],
        [Visit(3, 1, 20.0), Visit(4, 1, 31.0)],
    ]


def test_scorer_on_a_hand_made_solution():
    sc = score(tiny(), good_routes())
    assert sc.errors == ()
    assert sc.distance == pytest.approx(36.0)
    assert sc.total_tardiness == pytest.approx(3.0)  # patient 2 starts at 8, window closes at 5
    assert sc.max_tardiness == pytest.approx(3.0)
    assert sc.objective == pytest.approx((36 + 3 + 3) / 3)


def test_scorer_counts_tardiness_of_both_services():
    """Delaying the simultaneous patient 3 to 33 makes both its services 3 late."""
    routes = good_routes()
    routes[0][2] = Visit(3, 0, 33.0)
    routes[0][3] = Visit(4, 0, 39.0)
    routes[1] = [Visit(3, 1, 33.0), Visit(4, 1, 44.0)]
    sc = score(tiny(), routes)
    assert sc.errors == ()
    assert sc.total_tardiness == pytest.approx(3 + 3 + 3 + 4)  # patients 2, 3 (x2), 4 (s1)
    assert sc.max_tardiness == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r[0].__setitem__(0, Visit(1, 0, 2.0)), "arrival"),  # travel takes 3
        (lambda r: r[0].__setitem__(2, Visit(3, 0, 19.0)), "before 20"),  # window opens at 20
        (lambda r: r[1].__setitem__(0, Visit(3, 1, 21.0)), "gap"),  # not simultaneous
        (lambda r: r[1].__setitem__(1, Visit(4, 1, 37.0)), "gap"),  # 11 > max gap 10
        (lambda r: r[0].pop(), "not performed"),
        (lambda r: r[1].append(Visit(1, 0, 50.0)), "twice"),
        (lambda r: r[0].append(Visit(3, 1, 60.0)), "not qualified"),
        (lambda r: r.__setitem__(slice(None), [r[0] + r[1], []]), "both services"),
        (lambda r: r[0].append(Visit(2, 1, 60.0)), "not a required service"),
    ],
)
def test_scorer_rejects(change, message):
    routes = good_routes()
    change(routes)
    sc = score(tiny(), routes)
    assert not sc.feasible
    assert any(message in e for e in sc.errors), sc.errors


def test_earliest_schedule_is_the_least_one():
    inst = tiny()
    seqs = [[(v.patient, v.service) for v in r] for r in good_routes()]
    routes = earliest_schedule(inst, seqs)
    assert routes is not None
    assert [[v.start for v in r] for r in routes] == [[3, 8, 20, 26], [20, 31]]


def test_earliest_schedule_detects_a_deadlock():
    """Both vehicles visit patients 3 and 4 in opposite orders: 3 waits for 4 and 4 for 3;
    and one vehicle cannot do both simultaneous services of patient 3."""
    inst = tiny()
    assert earliest_schedule(inst, [[(3, 0), (4, 0)], [(4, 1), (3, 1)]]) is None
    assert earliest_schedule(inst, [[(4, 0)], [(3, 0), (3, 1)]]) is None


def test_earliest_schedule_applies_the_max_gap():
    """Vehicle 1 reaches patient 4 at 27 (after patient 3 at 20-23), so with a gap of at most
    10 service 0 cannot start before 17 although vehicle 0 could be there at 8."""
    inst = tiny()
    routes = earliest_schedule(inst, [[(4, 0)], [(3, 1), (4, 1)]])
    assert routes is not None
    assert [[v.start for v in r] for r in routes] == [[17], [20, 27]]


def test_solver_on_the_tiny_instance_is_optimal_and_feasible():
    """Brute force over all orders is small here: the search must reach its optimum."""
    result = solve(tiny(), 1.0, stall=0.5)
    assert result.score.feasible, result.score.errors
    assert result.score.objective == pytest.approx(brute_force(tiny()), abs=1e-6)


def brute_force(inst: HhcrspInstance) -> float:
    import itertools

    tasks = inst.tasks()
    best = float("inf")
    for assign in itertools.product(range(inst.n_vehicles), repeat=len(tasks)):
        if any(not inst.qualified[v, s] for v, (_i, s) in zip(assign, tasks, strict=True)):
            continue
        groups = [[t for t, v in zip(tasks, assign, strict=True) if v == k] for k in (0, 1)]
        for p0 in itertools.permutations(groups[0]):
            for p1 in itertools.permutations(groups[1]):
                routes = earliest_schedule(inst, [list(p0), list(p1)])
                if routes is not None:
                    sc = score(inst, routes)
                    if sc.feasible:
                        best = min(best, sc.objective)
    return best


# -- the real instances -----------------------------------------------------------------------


@needs_data
def test_reader_on_a1():
    inst = read_instance(instance_file(1))
    assert (inst.n_nodes, inst.n_vehicles, inst.n_services) == (12, 3, 6)
    assert inst.dist.shape == (12, 12) and inst.proc.shape == (12, 3, 6)
    assert list(inst.patients) == list(range(1, 11))
    np.testing.assert_allclose(inst.dist[0], inst.dist[11])  # the depot twice
    assert inst.dist[0, 4] == pytest.approx(7.28011)
    assert inst.double == (8, 9, 10)
    assert inst.services(8) == (4, 5) and inst.is_simultaneous(8)
    assert inst.services(9) == (0, 3) and (inst.min_gap[9], inst.max_gap[9]) == (51, 102)
    assert inst.services(1) == (3,)
    assert inst.qualified[0].tolist() == [True, True, True, False, False, False]
    assert (inst.earliest[1], inst.latest[1]) == (345, 465)
    assert inst.proc[3, 2, 0] == 14 and inst.proc[0].sum() == 0
    assert len(inst.tasks()) == 13


@needs_data
def test_reader_refuses_a_truncated_file(tmp_path):
    text = instance_file(1).read_text().replace("mind\n", "")
    bad = tmp_path / "bad.txt"
    bad.write_text(text)
    with pytest.raises(ValueError, match="mind"):
        read_instance(bad)


# Two of the route files published by Kummer et al. with their GECCO 2020 BRKGA
# (github.com/afkummer/gecco2020-brkga, solutions/routes, MIT licence), header included.
A8_BRKGA = """# Solution for ../instances-HHCRSP/InstanzCPLEX_HCSRP_10_8.txt
# Cost = 232.049 Dist = 653.268 Tard = 26.5071 TMax = 16.3711
0 6
0 10 0 1
10 4 0 1
4 6 0 2
6 9 0 0
9 5 0 0
5 0 0 0
1 2
0 8 1 5
8 0 1 0
2 8
0 8 2 4
8 10 2 3
10 7 2 3
7 1 2 4
1 3 2 4
3 2 2 4
2 9 2 3
9 0 2 0
"""
A1_BRKGA = """# Solution for ../instances-HHCRSP/InstanzCPLEX_HCSRP_10_1.txt
# Cost = 226.978 Dist = 680.934 Tard = 0 TMax = 0
0 6
0 10 0 2
10 3 0 1
3 5 0 2
5 9 0 0
9 7 0 2
7 0 0 0
1 3
0 8 1 4
8 2 1 4
2 0 1 0
2 7
0 8 2 5
8 10 2 5
10 6 2 4
6 1 2 3
1 9 2 3
9 4 2 3
4 0 2 0
"""


@needs_data
@pytest.mark.parametrize(
    ("k", "text", "printed"),
    [(8, A8_BRKGA, (232.049, 653.268, 26.5071, 16.3711)), (1, A1_BRKGA, (226.978, 680.934, 0, 0))],
)
def test_scorer_reproduces_published_solutions(k, text, printed):
    inst = read_instance(instance_file(k))
    routes = earliest_schedule(inst, parse_arc_routes(text, inst.n_vehicles))
    assert routes is not None, "the published solution deadlocks"
    sc = score(inst, routes)
    assert sc.feasible, sc.errors
    cost, dist, tard, tmax = printed
    assert sc.objective == pytest.approx(cost, abs=1e-3)
    assert sc.distance == pytest.approx(dist, abs=1e-3)
    assert sc.total_tardiness == pytest.approx(tard, abs=1e-4)
    assert sc.max_tardiness == pytest.approx(tmax, abs=1e-4)
    # ... and the value in the table of published results (rounded to 2 decimals there).
    assert round(sc.objective, 2) == float(best_published()[f"A{k}"]["brkga_gecco2020"])


@needs_data
def test_solver_on_the_a_set_is_feasible_and_near_the_optima(tmp_path):
    """A1-A10 (solved to optimality by CPLEX in Mankowska et al.) at 1.5 s each."""
    best = best_published()
    for k in range(1, 11):
        inst = read_instance(instance_file(k))
        result = solve(inst, 1.5, stall=1.0)
        assert result.score.feasible, (k, result.score.errors)
        assert result.seconds < 3.0
        assert sorted((v.patient, v.service) for r in result.routes for v in r) == inst.tasks()
        assert result.score.objective <= float(best[f"A{k}"]["best"]) * 1.01 + 0.01, k
        path = tmp_path / f"A{k}.sol"
        write_solution(path, inst, result)
        again = score(inst, read_solution(path, inst.n_vehicles))
        assert again.feasible and again.objective == pytest.approx(result.score.objective)


@needs_data
def test_ortools_model_gives_feasible_routes():
    """The routing model alone (A2) and started from given routes (A3)."""
    inst = read_instance(instance_file(2))
    model = build_routing_model(inst)
    assert model.routing.nodes() == len(inst.tasks()) + 1
    alone = solve_ortools(inst, 2.0)
    assert alone is not None and alone.score.feasible, alone and alone.score.errors
    inst3 = read_instance(instance_file(3))
    start = solve(inst3, 1.0, stall=0.5)
    polished = solve_ortools(inst3, 2.0, initial=start.routes)
    assert polished is not None and polished.score.feasible
    # OR-Tools keeps its best by its own integer (x100, rounded) objective: equal up to rounding.
    assert polished.score.objective <= start.score.objective * 1.005

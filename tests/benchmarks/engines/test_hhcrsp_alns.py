"""The HHCRSP search's parts (benchmarks.engines.hhcrsp.alns): state, insertion, removal, loop."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchmarks.engines.hhcrsp import earliest_schedule, read_instance, score, solve
from benchmarks.engines.hhcrsp.alns.destroy import Destroy
from benchmarks.engines.hhcrsp.alns.insertion import Repair
from benchmarks.engines.hhcrsp.alns.search import Budget, Roulette
from benchmarks.engines.hhcrsp.alns.state import full_schedule, task_tables, to_routes

DATA = Path(__file__).resolve().parents[4] / "shared" / "hhcrsp" / "mankowska"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="shared/hhcrsp not beside the repository")


def parts(name: str = "InstanzCPLEX_HCSRP_25_2", seed: int = 0):
    inst = read_instance(DATA / f"{name}.txt")
    tb = task_tables(inst)
    rng = random.Random(seed)
    return inst, tb, Repair(inst, tb, rng), Destroy(inst, tb, rng)


def sequences(tb, st):
    return [[tb.tasks[t] for t in route] for route in st.routes]


def test_first_solution_has_the_least_schedule_and_its_cost():
    inst, tb, repair, _ = parts()
    st = repair.construct(sorted(inst.patients, key=lambda i: inst.earliest[i]))
    routes = to_routes(tb, st)
    sc = score(inst, routes)
    assert sc.feasible, sc.errors
    assert st.cost / 3 == pytest.approx(sc.objective)
    least = earliest_schedule(inst, sequences(tb, st))
    assert least is not None
    assert [float(v.start) for r in routes for v in r] == pytest.approx(
        [float(v.start) for r in least for v in r]
    )


def test_removal_then_insertion_keeps_the_state_exact():
    inst, tb, repair, destroy = parts()
    st = repair.construct(sorted(inst.patients, key=lambda i: inst.earliest[i]))
    for op in destroy.operators:
        cand = st.copy()
        removed = op(cand, 5)
        assert len(removed) == len(set(removed)) == 5
        destroy.remove(cand, removed)
        assert all(cand.veh[t] == -1 for i in removed for t in tb.of_patient[i])
        assert all(repair.insert_patient(cand, i, 0.0) for i in removed)
        cost = cand.cost
        full_schedule(tb, cand)
        assert cand.cost == pytest.approx(cost)  # incremental costs equal the recomputed ones
        sc = score(inst, to_routes(tb, cand))
        assert sc.feasible, sc.errors
        assert cand.cost / 3 == pytest.approx(sc.objective)
    assert st.cost / 3 == pytest.approx(score(inst, to_routes(tb, st)).objective)  # untouched


def test_a_trial_insertion_is_undone():
    inst, tb, repair, destroy = parts()
    st = repair.construct(sorted(inst.patients, key=lambda i: inst.earliest[i]))
    i = next(p for p in inst.patients if not inst.is_double(p))
    destroy.remove(st, [i])
    before = (st.copy().routes, st.veh[:], st.start[:], st.cost)
    (t,) = tb.of_patient[i]
    assert repair.try_insert(st, [(t, tb.allowed[t][0], 0)]) is not None
    assert (st.routes, st.veh, st.start, st.cost) == before


def test_an_iteration_budget_ignores_the_clock():
    budget = Budget(t0=0.0, time_limit=1e-9, stall=0.0, iterations=4)
    assert [budget.progress(it, last_best=0.0) for it in range(5)] == [0, 0.25, 0.5, 0.75, None]


def test_roulette_moves_weights_towards_mean_rewards():
    roulette = Roulette(2)
    roulette.scores, roulette.uses = [33.0, 0.0], [1, 0]
    roulette.update()
    assert roulette.weights == [pytest.approx(0.8 + 0.2 * 33), 1.0]
    assert roulette.scores == [0.0, 0.0] and roulette.uses == [0, 0]


def test_a_seed_and_an_iteration_limit_give_the_same_solution():
    inst = read_instance(DATA / "InstanzCPLEX_HCSRP_50_1.txt")
    first = solve(inst, 0.01, seed=3, iterations=150)
    again = solve(inst, 60.0, seed=3, iterations=150)
    assert first.iterations == again.iterations == 150
    assert first.routes == again.routes
    assert first.score.feasible and first.score.objective == again.score.objective

"""One timing rule everywhere: the LNS kernel's route timing (solver.lns.kernel.recompute),
the solver's final timing (solver.schedule) and a hand edit's re-timing
(scheduler.domain.retime) all agree with scheduler.domain.timing."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest

from scheduler.domain.check import check
from scheduler.domain.problem import build_problem
from scheduler.domain.retime import retime
from scheduler.domain.synth import generate_service, service_day_visits
from scheduler.domain.timing import Task, simulate
from scheduler.domain.travel import Geodesic
from solver import SolveOptions, solve
from solver.construct import Construction
from solver.instance import build_instance
from solver.lns import day_arrays
from solver.lns.kernel import recompute
from tests.support.factories import make_problem, shift, visit

DAY = date(2027, 2, 9)


@pytest.fixture(scope="module")
def constructed():
    service = generate_service(30, 4, DAY)
    problem = build_problem(service_day_visits(service, DAY), list(service.shifts), Geodesic())
    inst = build_instance(problem)
    builder = Construction(inst)
    builder.run()
    return inst, builder


def _kernel_times(day, routes, k, seq, gap):
    """The kernel's start times and verdict for ``seq`` on vehicle ``k`` with the break in
    gap ``gap``."""
    m, K = len(day.loc), len(day.v_start)
    R = np.zeros((K, m + 1), dtype=np.int64)
    lens = np.zeros(K, dtype=np.int64)
    bgap = np.zeros(K, dtype=np.int64)
    R[k, : len(seq)] = seq
    lens[k], bgap[k] = len(seq), gap
    E, L = np.zeros(m), np.zeros(m)
    route_of, pos_of, rcost = np.full(m, -1, dtype=np.int64), np.zeros(m, np.int64), np.zeros(K)
    f = np.float64
    ok = recompute(
        k, R, lens, bgap, E, L, route_of, pos_of, rcost, day.travel.astype(f), day.loc,
        day.lo.astype(f), day.hi.astype(f), day.svc.astype(f), day.charge.astype(f),
        day.v_start_loc, day.v_end_loc, day.v_start.astype(f),
        day.v_end.astype(f), day.b_has, day.b_lo.astype(f), day.b_hi.astype(f),
        day.b_dur.astype(f),
    )  # fmt: skip
    return [E[t] for t in seq], bool(ok)


def test_the_kernel_times_every_route_as_the_rule_does(constructed):
    """Routes of the construction and random re-orderings of them, with the break in every
    gap: the kernel's starts equal the rule's, and it calls a route feasible exactly when
    the rule finds nothing late."""
    inst, builder = constructed
    day, routes, _ = day_arrays(inst, builder)
    rng = random.Random(5)
    T = inst.travel
    compared = feasible = 0
    for k, seq in enumerate(routes):
        if not seq:
            continue
        orders = [list(seq)] + [rng.sample(seq, len(seq)) for _ in range(3)]
        for order in orders:
            gaps = range(len(order) + 1) if inst.vehicles[k].rest_break else [0]
            for gap in gaps:
                tasks = [Task(t, inst.task_loc[t], inst.lo[t], inst.hi[t], inst.task_svc[t])
                         for t in order]  # fmt: skip
                workday = inst.vehicles[k].workday
                stops, late = simulate(
                    workday, tasks, lambda a, b: T[a][b], gap if workday.rest else None
                )
                starts, ok = _kernel_times(day, routes, k, order, gap)
                assert starts == [s.start for s in stops if s.key is not None]
                assert ok == (late == 0)
                compared += 1
                feasible += ok
    assert compared > 100 and 0 < feasible < compared  # both verdicts were exercised


def test_a_hand_edit_that_changes_nothing_retimes_the_solvers_rota_identically():
    """Re-timing every route of a solved day in its own order (what an edit does to the
    routes it touches) gives back the solver's times to the minute."""
    visits = [visit(f"V{i}", i % 5, i // 5, f"{8 + i % 6:02d}:00", f"{9 + i % 6:02d}:30")
              for i in range(18)]  # fmt: skip
    shifts = [shift("N1", "07:30", "15:30", brk=(30, "11:30", "13:30")),
              shift("N2", "07:30", "15:30", base=(4, 3), brk=(30, "12:00", "14:00"))]  # fmt: skip
    problem = make_problem(visits, shifts)
    rota = solve(problem, SolveOptions(time_limit_s=1.0)).rota
    assert check(problem, rota).violations == ()
    again = retime(problem, rota, {r.clinician_id: list(r.visit_ids) for r in rota.routes})
    assert check(problem, again).violations == ()
    assert {r.clinician_id: r.stops for r in again.routes} == {
        r.clinician_id: r.stops for r in rota.routes
    }

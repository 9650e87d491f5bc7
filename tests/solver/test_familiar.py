"""Continuity beyond one preferred nurse: a visit goes to a clinician the patient knows
(``Visit.familiar_clinicians``) rather than to a nearer stranger when the familiarity waives
more of the continuity charge than the detour costs, and to the stranger when it does not.
Every rota goes through the independent checker."""

from __future__ import annotations

import pytest

from scheduler.domain.check import check
from scheduler.domain.model import InvariantError
from solver import SolveOptions, solve
from solver.instance import build_instance
from tests.support.factories import MIN_PER_CELL, make_problem, shift, visit

COST = 20  # SolveOptions.continuity_cost's default


def _day(familiar: tuple[tuple[str, float], ...], preferred: str | None = "AWAY"):
    """One visit at the door of NEAR (a stranger to the patient); KNOWN is based two cells
    further on (a detour of 4 cells there and back); the patient's preferred nurse (AWAY) is
    not on shift today."""
    v = visit("V", 5, 0, "09:00", "12:00", familiar_clinicians=familiar,
              preferred_clinician=preferred, patient_id="P")  # fmt: skip
    return make_problem([v], [shift("NEAR", "08:00", "16:00", base=(5, 0)),
                              shift("KNOWN", "08:00", "16:00", base=(7, 0))])  # fmt: skip


def _who(problem, iterations: int = 300) -> str:
    rota = solve(problem, SolveOptions(max_iterations=iterations, seed=1)).rota
    report = check(problem, rota)
    assert report.ok, [str(v) for v in report.violations]
    [route] = [r for r in rota.routes if r.visit_ids]
    return route.clinician_id


def test_the_detour_is_cheaper_than_the_charge_in_this_day():
    assert 4 * MIN_PER_CELL < COST < 4 * MIN_PER_CELL + 0.7 * COST  # what the cases rely on


def test_a_nurse_she_knows_well_takes_the_visit_over_a_nearer_stranger():
    assert _who(_day((("KNOWN", 1.0),))) == "KNOWN"


def test_a_nurse_she_barely_knows_does_not_justify_the_detour():
    assert _who(_day((("KNOWN", 0.3),))) == "NEAR"


def test_without_familiar_nurses_the_nearest_takes_it():
    assert _who(_day(())) == "NEAR"


def test_the_charge_is_graded_by_familiarity():
    inst = build_instance(_day((("KNOWN", 0.25),), preferred="NEAR"), continuity_cost=COST)
    near, known = (inst.problem.shift_index[c] for c in ("NEAR", "KNOWN"))
    assert (inst.charge(0, near), inst.charge(0, known)) == (0.0, 0.75 * COST)
    # a patient with no preference at all is charged nothing anywhere
    plain = build_instance(_day((), preferred=None), continuity_cost=COST)
    assert plain.charge(0, near) == plain.charge(0, known) == 0.0


def test_weights_outside_zero_to_one_are_refused():
    with pytest.raises(InvariantError, match="familiar_clinicians"):
        visit("V", 0, 0, "09:00", "10:00", familiar_clinicians=(("K", 1.5),))


def test_the_kernels_matrix_is_instance_charge_everywhere():
    from solver.lns.arrays import continuity_charges

    inst = build_instance(_day((("KNOWN", 0.25),), preferred="NEAR"), continuity_cost=COST)
    matrix = continuity_charges(inst)
    assert matrix.tolist() == [[inst.charge(t, k) for k in range(len(inst.vehicles))]
                               for t in range(inst.n_tasks)]  # fmt: skip
    assert matrix.max() > 0  # the case has a charge to compare

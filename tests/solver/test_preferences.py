"""The patient's own rules in the solver: an excluded clinician never gets the visit, a
request for a female carer goes to a female clinician who holds the skills, in both engines
and for both halves of a pair; and when the rules leave nobody, the reason says so in words.
Every rota goes through the independent checker."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler.domain.check import check
from scheduler.domain.model import Problem, Reason, Rota, Shift
from solver import SolveOptions, solve
from tests.support.factories import make_problem, shift, visit

ENGINES = ("lns", "ortools")


def _nurse(cid: str, gender: str, base: tuple[int, int], skills=("RN", "IV", "OBS"), **kw) -> Shift:
    return replace(shift(cid, "07:00", "15:00", base=base, skills=skills, **kw), gender=gender)


def _solve(problem: Problem, engine: str = "lns", seconds: float = 2.0) -> Rota:
    """Our engine by an iteration budget (the same rota on every run and under any load),
    OR-Tools by its clock (it has no such budget here)."""
    options = (SolveOptions(max_iterations=500, seed=1) if engine == "lns"
               else SolveOptions(time_limit_s=seconds, engine="ortools"))  # fmt: skip
    rota = solve(problem, options).rota
    report = check(problem, rota)
    assert report.ok, [str(v) for v in report.violations]
    return rota


def _on(rota: Rota, vid: str) -> list[str]:
    return sorted(r.clinician_id for r in rota.routes if vid in r.visit_ids)


def _reasons(rota: Rota) -> dict[str, tuple[Reason, str]]:
    return {u.visit_id: (u.code, u.reason) for u in rota.unassigned}


def _day(without: str = "") -> Problem:
    """Six clinicians, three of them women; only ANN is a woman with IV, and she is based
    across the patch. CLOSE is based at XCL's door, but XCL's patient excluded him.
    ``without``: a clinician left off the day."""
    nurses = [
        _nurse("MAX", "M", (1, 1)),
        _nurse("CLOSE", "M", (0, 6)),
        _nurse("SAM", "", (2, 2)),  # gender not stated: never counts as either
        _nurse("ANN", "F", (9, 9)),
        _nurse("BEA", "F", (1, 2), skills=("OBS",)),  # a woman, but no IV
        _nurse("CAT", "F", (3, 1), skills=("OBS",)),
    ]
    visits = [
        visit("FIV", 1, 1, "09:00", "11:00", skills={"IV"}, priority=1, carer_gender="F",
              patient_id="PF", excluded_clinicians=frozenset({"SAM"})),
        visit("FOBS", 1, 1, "12:00", "14:00", 20, skills={"OBS"}, patient_id="PF",
              carer_gender="F"),
        visit("FPAIR", 2, 1, "08:00", "10:00", 30, skills={"OBS"}, staff=2, carer_gender="F",
              patient_id="PP"),
        visit("XCL", 0, 6, "09:00", "10:00", skills={"IV"}, priority=1, patient_id="PX",
              excluded_clinicians=frozenset({"CLOSE"})),
        visit("XCL2", 0, 6, "13:00", "14:00", skills={"IV"}, patient_id="PX",
              excluded_clinicians=frozenset({"CLOSE"})),
        visit("NEAR", 0, 5, "09:00", "12:00", skills={"IV"}),
        visit("M1", 2, 3, "08:00", "12:00", skills={"IV"}),
        visit("M2", 3, 2, "10:00", "14:00", skills={"OBS"}),
    ]  # fmt: skip
    return make_problem(visits, [n for n in nurses if n.clinician_id != without])


@pytest.mark.parametrize("engine", ENGINES)
def test_the_only_woman_with_iv_takes_the_dose_and_the_excluded_nurse_never_does(engine):
    day = _day()
    rota = _solve(day, engine)
    assert rota.unassigned == ()
    assert _on(rota, "FIV") == ["ANN"]  # the only female clinician with IV, across the patch
    assert set(_on(rota, "FOBS")) <= {"ANN", "BEA", "CAT"}
    assert len(_on(rota, "FPAIR")) == 2 and set(_on(rota, "FPAIR")) <= {"ANN", "BEA", "CAT"}
    for vid in ("XCL", "XCL2"):
        assert _on(rota, vid) and "CLOSE" not in _on(rota, vid)
    # without the refusal, the nurse at the door takes XCL: the rule is what kept him off
    free = replace(day, visits=tuple(replace(v, excluded_clinicians=frozenset())
                                     if v.patient_id == "PX" else v for v in day.visits))  # fmt: skip
    assert "CLOSE" in _on(_solve(free, engine), "XCL")


def test_when_no_woman_with_the_skills_is_on_shift_the_reason_says_so():
    rota = _solve(_day(without="ANN"))
    code, why = _reasons(rota)["FIV"]
    assert code == Reason.NO_QUALIFIED
    assert why == ("none of the 3 clinician(s) with skills IV on shift today may take it: the "
                   "patient asked for a female carer; on shift: 0 female clinicians with IV; "
                   "excluded by the patient: SAM; add a shift the patient accepts or review "
                   "the request")  # fmt: skip
    assert "FOBS" not in _reasons(rota)  # BEA and CAT may still take the obs


def test_a_patient_who_excluded_every_iv_nurse_is_told_who():
    day = _day()
    everyone = frozenset({"MAX", "CLOSE", "SAM", "ANN"})
    day = replace(day, visits=tuple(replace(v, excluded_clinicians=everyone) if v.visit_id == "XCL"
                                    else v for v in day.visits))  # fmt: skip
    code, why = _reasons(_solve(day))["XCL"]
    assert code == Reason.NO_QUALIFIED
    assert "excluded by the patient: ANN;CLOSE;MAX;SAM" in why


def test_a_pin_the_patients_request_contradicts_is_refused_in_words():
    day = _day()
    day = replace(day, visits=tuple(replace(v, pinned_clinician="MAX") if v.visit_id == "FIV"
                                    else v for v in day.visits))  # fmt: skip
    code, why = _reasons(_solve(day))["FIV"]
    assert code == Reason.PIN_UNQUALIFIED
    assert why == ("pinned to MAX, but the patient asked for a female carer; MAX is male; "
                   "remove the pin or pin a clinician the patient accepts")


def test_a_fully_booked_woman_is_named_with_the_request():
    """ANN may make one visit; two patients ask for a woman with IV: one dose is left out,
    and its reason says the request is why nobody else could."""
    nurses = [_nurse("ANN", "F", (0, 0), max_visits=1), _nurse("MAX", "M", (0, 0))]
    visits = [visit(v, 1, 1, "09:00", "10:00", skills={"IV"}, carer_gender="F", patient_id=v)
              for v in ("D1", "D2")]  # fmt: skip
    rota = _solve(make_problem(visits, nurses))
    (left,) = rota.unassigned
    assert left.code == Reason.CAPACITY
    assert "(ANN) has reached their max_visits limit; the patient asked for a female carer; " \
           "on shift: 1 female clinician with IV" in left.reason

"""The checker's rules of the patient's own: no visit to a clinician the patient excluded,
every attendant of the carer gender asked for, and no ``no_lone_after_dark`` patient visited
alone after civil dusk. Each is stated in the checker itself; each fault is one change to a
valid hand-made day and is reported under exactly its rule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler.domain.check import check
from scheduler.domain.model import Rota, Shift
from scheduler.domain.problem import build_problem
from scheduler.domain.retime import retime
from tests.support.check_day import (
    Fault,
    assert_fault_reported,
    found,
    lines,
    problem,
    shifts_with,
    valid_rota,
    visits_with,
)
from tests.support.factories import at, grid, visit


def genders(**by_id: str) -> tuple[Shift, ...]:
    """The valid day's shifts with these clinicians' genders stated."""
    return tuple(replace(s, gender=by_id.get(s.clinician_id, "")) for s in shifts_with("N1"))


# The valid day: N1 makes A, PAIR (with N2) and FOLLOW; N2 makes PAIR and PIN.
FAULTS: dict[str, Fault] = {
    "A goes to N1, whom its patient excluded": (
        problem(visits=visits_with("A", excluded_clinicians=frozenset({"N1", "N7"}))),
        lambda r: r, {("excluded", "N1", "A")},
    ),
    "PAIR's patient excluded N2, one of its two": (
        problem(visits=visits_with("PAIR", excluded_clinicians=frozenset({"N2"}))),
        lambda r: r, {("excluded", "N2", "PAIR")},
    ),
    "A's patient asked for a female carer; N1 has stated none": (
        problem(visits=visits_with("A", carer_gender="F")),
        lambda r: r, {("carer_gender", "N1", "A")},
    ),
    "PAIR's patient asked for female carers; N1 is, N2 is male": (
        problem(genders(N1="F", N2="M"), visits_with("PAIR", carer_gender="F")),
        lambda r: r, {("carer_gender", "N2", "PAIR")},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", FAULTS)
def test_each_broken_patient_rule_is_reported_under_its_own_name(name):
    assert_fault_reported(*FAULTS[name])


def test_the_messages_say_who_and_why():
    day = problem(genders(N1="M"),
                  visits_with("A", carer_gender="F", excluded_clinicians=frozenset({"N1"})))
    assert lines(check(day, valid_rota())) == [
        "excluded: visit A goes to N1, whom the patient has excluded",
        "carer_gender: visit A goes to N1 (male); the patient asked for a female carer",
    ]


def test_the_rules_are_kept_when_the_clinicians_fit():
    visits = visits_with("PAIR", carer_gender="F", excluded_clinicians=frozenset({"H1"}))
    assert check(problem(genders(N1="F", N2="F"), visits), valid_rota()).ok


# -- no lone visit after dark: a November evening in Hertfordshire (dusk about 16:40) ------


def _evening(*, staff: int, start: str = "17:00", end: str = "17:30"):
    """One flagged visit, two nurses; the rota made by the domain's timing rule (``retime``),
    every other rule kept."""
    v = visit("EVE", 2, 2, start, end, 20, staff=staff,
              risk_flags=frozenset({"no_lone_after_dark", "dog"}))  # fmt: skip
    nurses = [Shift(c, c, frozenset({"RN"}), at("12:00"), at("20:00"), grid(0, 0), grid(0, 0))
              for c in ("N1", "N2")]  # fmt: skip
    day = build_problem([v], nurses)
    order = {"N1": ["EVE"], "N2": ["EVE"]} if staff == 2 else {"N1": ["EVE"]}
    return day, retime(day, Rota(()), order)


def test_a_lone_visit_after_dark_is_flagged():
    day, rota = _evening(staff=1)
    report = check(day, rota)
    assert found(report) == {("after_dark", "N1", "EVE")}
    assert lines(report) == [
        "after_dark: visit EVE: N1 alone 17:00–17:20 after dark with a patient flagged "
        "no_lone_after_dark"
    ]


def test_the_same_visit_double_handed_or_in_the_light_is_clean():
    assert check(*_evening(staff=2)).ok
    assert check(*_evening(staff=1, start="14:00", end="15:00")).ok


def test_a_visit_that_runs_past_dusk_is_flagged_though_it_starts_in_the_light():
    day, rota = _evening(staff=1, start="16:25", end="16:25")
    assert found(check(day, rota)) == {("after_dark", "N1", "EVE")}

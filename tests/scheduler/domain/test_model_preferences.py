"""The patient's rules in the domain model: what a visit and a shift may say about them, and
the one question eligibility asks (``Shift.qualified_for``: skills, and not ruled out by the
patient), with the words that say why not."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler.domain.model import (
    InvariantError,
    Shift,
    flag_words,
    patient_objection,
    patient_rules_note,
    shift_problems,
    visit_problems,
)
from scheduler.domain.problem import build_problem
from tests.support.factories import at, grid, visit


def _shift(cid: str, gender: str = "", skills=("RN", "IV")) -> Shift:
    return Shift(cid, cid, frozenset(skills), at("08:00"), at("16:00"), grid(0, 0), grid(0, 0),
                 gender=gender)  # fmt: skip


def test_visit_problems_name_every_broken_patient_rule():
    problems = visit_problems(
        "V1", duration_min=30, staff=1, pinned_clinician="C1",
        excluded_clinicians=frozenset({"C1"}), carer_gender="female",
        risk_flags=frozenset({"two_staff", "cat"}),
    )  # fmt: skip
    assert problems == [
        ("pinned_clinician", "C1 is excluded by the patient"),
        ("carer_gender", "'female' is not F or M (empty: no request)"),
        ("risk_flags", "'cat' is not a known risk flag (known: aggression, dog, "
                       "infection_control, no_lone_after_dark, oxygen, smoker, two_staff)"),
        ("staff", "1: the patient's risk flag two_staff needs 2"),
    ]
    assert visit_problems("V1", duration_min=30, staff=2, carer_gender="M",
                          risk_flags=frozenset({"two_staff", "dog"})) == []
    assert shift_problems(at("08:00"), at("16:00"), gender="X") == [
        ("gender", "'X' is not F or M (empty: not stated)")
    ]


def test_a_visit_or_shift_breaking_them_is_refused_on_construction():
    with pytest.raises(InvariantError, match="visit A, staff: 1: the patient's risk flag two_staff"):
        visit("A", 1, 1, "09:00", "10:00", risk_flags=frozenset({"two_staff"}))
    with pytest.raises(InvariantError, match="shift of N1, gender"):
        _shift("N1", gender="f")


def test_qualified_for_asks_skills_and_the_patients_rules():
    v = visit("A", 1, 1, "09:00", "10:00", skills={"IV"}, carer_gender="F",
              excluded_clinicians=frozenset({"N2"}))  # fmt: skip
    ann, bea, carl, dee, eve = (_shift("N1", "F"), _shift("N2", "F"), _shift("N3", "M"),
                                _shift("N4", ""), _shift("N5", "F", skills=("RN",)))  # fmt: skip
    assert [s.qualified_for(v) for s in (ann, bea, carl, dee, eve)] == [True, False, False, False,
                                                                        False]  # fmt: skip
    assert [s.holds_skills(v) for s in (ann, bea, carl, dee, eve)] == [True] * 4 + [False]
    assert patient_objection(v, ann) is None
    assert patient_objection(v, bea) == "excluded by the patient: N2"
    assert patient_objection(v, carl) == "the patient asked for a female carer; N3 is male"
    assert patient_objection(v, dee) == "the patient asked for a female carer; N4 has no gender stated"
    plain = replace(v, carer_gender="", excluded_clinicians=frozenset())
    assert all(s.qualified_for(plain) for s in (ann, bea, carl, dee))


def test_the_rules_note_counts_what_the_patient_leaves_on_shift():
    v = visit("A", 1, 1, "09:00", "10:00", skills={"IV"}, carer_gender="F",
              excluded_clinicians=frozenset({"N3", "N9"}))  # fmt: skip
    day = build_problem([v], [_shift("N1", "M"), _shift("N2", ""), _shift("N3", "M"),
                              _shift("N4", "F", skills=("RN",))])  # fmt: skip
    assert patient_rules_note(day, v) == (
        "the patient asked for a female carer; on shift: 0 female clinicians with IV; "
        "excluded by the patient: N3"
    )
    assert patient_rules_note(day, replace(v, carer_gender="", excluded_clinicians=frozenset())) == ""


def test_flags_in_plain_words_planning_flags_first():
    assert flag_words(frozenset({"dog", "no_lone_after_dark", "oxygen", "two_staff"})) == [
        "no lone visit after dark", "two staff must attend", "dog in the home",
        "oxygen in use: no smoking or naked flames",
    ]  # fmt: skip

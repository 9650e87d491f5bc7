"""Continuity across days (scheduler.domain.continuity): scores from hand-made histories, the
preferred clinician each visit gets, and the stay's measure on hand-made stays."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from scheduler.domain.continuity import (
    HALF_LIFE_DAYS,
    Attendance,
    attendances,
    caseload_continuity,
    learned_preferences,
    ranked,
    scores,
    stay_continuity,
    stay_of,
)
from scheduler.domain.model import Rota, Route, Stop
from tests.support.factories import DATE, at, shift, visit


def seen(days_ago: int, patient: str, clinician: str, times: int = 1) -> list[Attendance]:
    return [Attendance(DATE - timedelta(days=days_ago), patient, clinician)] * times


# --- scores ----------------------------------------------------------------------------------


def test_a_visit_yesterday_counts_one_and_halves_every_half_life():
    history = seen(1, "P", "A") + seen(1 + round(HALF_LIFE_DAYS), "P", "B") + seen(3, "Q", "A")
    s = scores(history, DATE)
    assert s["P"]["A"] == pytest.approx(1.0)
    assert s["P"]["B"] == pytest.approx(0.5)
    assert s["Q"]["A"] == pytest.approx(0.5 ** (2 / HALF_LIFE_DAYS))
    assert scores(history, DATE, half_life_days=1.0)["P"]["B"] == pytest.approx(0.5**7)


def test_recent_beats_old_and_frequent_beats_rare():
    recent = seen(1, "P", "NEW") + seen(6, "P", "OLD")
    assert ranked(recent, DATE)["P"] == ["NEW", "OLD"]
    frequent = seen(1, "P", "ONCE") + seen(4, "P", "OFTEN", times=2)
    assert ranked(frequent, DATE)["P"] == ["OFTEN", "ONCE"]
    # The same visits a day earlier: frequency still wins; both fade alike.
    assert ranked([replace(a, day=a.day - timedelta(days=1)) for a in frequent], DATE)["P"][0] == (
        "OFTEN"
    )


def test_only_days_before_the_planning_day_count_and_ties_are_deterministic():
    history = seen(0, "P", "TODAY") + seen(-1, "P", "TOMORROW") + seen(1, "P", "B")
    assert ranked(history, DATE)["P"] == ["B"]
    tie = seen(2, "P", "Z") + seen(2, "P", "A")
    assert ranked(tie, DATE)["P"] == ["A", "Z"]
    # Equal scores (1 x 1 yesterday, 4 x 0.25 two half-lives earlier): the more recent first.
    a = seen(1, "P", "RECENT", times=1)
    b = seen(1 + 2 * round(HALF_LIFE_DAYS), "P", "EARLIER", times=4)  # 4 x 0.25 = 1
    assert ranked(a + b, DATE)["P"] == ["RECENT", "EARLIER"]
    with pytest.raises(ValueError, match="half-life"):
        scores(history, DATE, half_life_days=0)


# --- the preferred clinician ------------------------------------------------------------------

IV = ("RN", "IV", "OBS")


def test_the_best_scored_clinician_on_shift_and_qualified_is_preferred():
    v = visit("V1", 0, 0, "09:00", "10:00", patient_id="P", skills={"IV"})
    shifts = [shift("A", "07:00", "15:00", skills=IV), shift("B", "07:00", "15:00", skills=IV)]
    history = seen(1, "P", "A", 2) + seen(1, "P", "B")
    [out] = learned_preferences([v], shifts, history, DATE)
    assert out.preferred_clinician == "A"
    # A off shift today: the next best who is on.
    [out] = learned_preferences([v], shifts[1:], history, DATE)
    assert out.preferred_clinician == "B"
    # A on shift but without the visit's skill (an HCA): never chosen.
    hca = shift("A", "07:00", "15:00", skills=("OBS", "PHLEB"))
    [out] = learned_preferences([v], [hca, shifts[1]], history, DATE)
    assert out.preferred_clinician == "B"


def test_hours_exclusions_and_gender_requests_rule_a_clinician_out():
    history = seen(1, "P", "EARLY", 5) + seen(1, "P", "LATE", 2) + seen(2, "P", "NIGHT")
    shifts = [
        shift("EARLY", "07:00", "15:00", skills=IV),
        shift("LATE", "14:30", "22:30", skills=IV),
        shift("NIGHT", "21:00", "31:30", skills=IV),
    ]
    dose = lambda vid, a, b, **kw: visit(vid, 0, 0, a, b, patient_id="P", skills={"IV"}, **kw)  # noqa: E731
    day = [
        dose("D06", "29:30", "30:30"),  # 05:30-06:30 tomorrow: the night's
        dose("D14", "13:30", "14:30"),  # early (till 15:00) or late (from 14:30)
        dose("D22", "21:30", "22:30"),  # late or night
        dose("D10", "09:30", "10:30", excluded_clinicians=frozenset({"EARLY"})),
    ]
    out = {
        v.visit_id: v.preferred_clinician for v in learned_preferences(day, shifts, history, DATE)
    }
    assert out == {"D06": "NIGHT", "D14": "EARLY", "D22": "LATE", "D10": None}
    # The window's end is not enough: the visit must fit before the shift ends.
    late_end = dose("D1450", "14:50", "15:10", duration=30)
    [v] = learned_preferences([late_end], shifts, history, DATE)
    assert v.preferred_clinician == "LATE"
    # Gender: a clinician of the other (or an unstated) gender is never preferred.
    female = [replace(shifts[0], gender="M"), replace(shifts[1], gender="F"), shifts[2]]
    [v] = learned_preferences(
        [dose("G", "14:00", "14:40", carer_gender="F")], female, history, DATE
    )
    assert v.preferred_clinician == "LATE"


def test_without_a_usable_history_the_named_nurse_then_nobody():
    named = visit("V", 0, 0, "09:00", "10:00", patient_id="P", preferred_clinician="N")
    shifts = [shift("N", "07:00", "15:00"), shift("X", "07:00", "15:00")]
    [v] = learned_preferences([named], shifts, seen(1, "P", "GONE"), DATE)
    assert v.preferred_clinician == "N"
    [v] = learned_preferences([named], shifts[1:], [], DATE)  # named nurse off today
    assert v.preferred_clinician is None
    # History wins over the named nurse; a pinned visit is left alone; order is kept.
    pinned = visit("PIN", 0, 0, "09:00", "10:00", patient_id="P", pinned_clinician="N")
    other = visit("O", 0, 0, "11:00", "12:00", patient_id="Q")
    out = learned_preferences([named, pinned, other], shifts, seen(1, "P", "X"), DATE)
    assert [v.visit_id for v in out] == ["V", "PIN", "O"]
    assert [v.preferred_clinician for v in out] == ["X", None, None]
    assert out[1] is pinned


def test_attendances_are_read_from_a_rota_one_per_clinician():
    v1 = visit("V1", 0, 0, "09:00", "10:00", patient_id="P")
    v2 = visit("V2", 0, 0, "11:00", "12:00", patient_id="Q", staff=2)

    def stop(vid: str | None, start: str) -> Stop:
        return Stop(
            "visit" if vid else "break",
            vid,
            at(start),
            at(start),
            at(start) + timedelta(minutes=30),
            0,
        )

    rota = Rota(
        (
            Route("A", (stop("V1", "09:00"), stop(None, "10:00"), stop("V2", "11:00"))),
            Route("B", (stop("V2", "11:00"),)),
        )
    )
    got = attendances(rota, [v1, v2], DATE)
    assert got == [
        Attendance(DATE, "P", "A"),
        Attendance(DATE, "Q", "A"),
        Attendance(DATE, "Q", "B"),
    ]


# --- the stay's measure ----------------------------------------------------------------------


def test_top2_and_top3_shares_of_a_hand_made_stay():
    day = date(2026, 11, 20)
    stay = (
        [Attendance(day, "P", "A")] * 5
        + [Attendance(day, "P", "B")] * 3
        + [Attendance(day, "P", "C"), Attendance(day, "P", "D")]
    )
    short = [Attendance(day, "Q", "A")] * 2
    p, q = stay_continuity(stay + short)
    assert (p.patient_id, p.attendances, p.clinicians) == ("P", 10, 4)
    assert p.top2 == pytest.approx(0.8) and p.top3 == pytest.approx(0.9)
    assert (q.top2, q.top3, q.clinicians) == (1.0, 1.0, 1)
    whole = caseload_continuity([p, q])
    assert whole.patients == 2 and whole.attendances == 12
    assert whole.top3_visits == pytest.approx((9 + 2) / 12)  # visit-weighted
    assert whole.top2_visits == pytest.approx((8 + 2) / 12)
    assert whole.top3_patients == pytest.approx((0.9 + 1.0) / 2)  # patient-weighted
    assert whole.clinicians_per_patient == pytest.approx(2.5)
    assert caseload_continuity([]).top3_visits == 1.0
    assert whole.as_dict()["top3_visit_weighted"] == round(11 / 12, 4)


def test_a_stay_from_its_counts_is_the_same_measure_as_from_its_attendances():
    day = date(2026, 11, 20)
    stay = [Attendance(day, "P", c) for c in "AAAAABBBCD"]
    (from_list,) = stay_continuity(stay)
    assert stay_of("P", {"A": 5, "B": 3, "C": 1, "D": 1, "E": 0}) == from_list
    with pytest.raises(ValueError):
        stay_of("P", {"A": 0})

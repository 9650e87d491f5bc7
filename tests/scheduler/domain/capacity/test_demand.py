"""The demand a day asks of a roster: who may do each visit, when its minutes may fall, how
much work it is, what each shift kind can give per hour, and the Hall requirements."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.domain.capacity.demand import (
    Allowances,
    ShiftHours,
    day_demand,
    grades_for,
    interval_shortfalls,
    travel_by_hour,
)
from scheduler.domain.capacity.scenario import paid_minutes
from scheduler.domain.localtime import at_local
from scheduler.domain.model import Location, Visit, Window
from scheduler.domain.synth import SHIFT_TYPES

DAY = date(2026, 11, 23)
HERE = Location(51.75, -0.34)


def visit(vid: str, start: tuple[int, int], end: tuple[int, int], minutes: int,
          skills: set[str], staff: int = 1, priority: int = 2) -> Visit:  # fmt: skip
    return Visit(vid, vid.split("-")[0], HERE,
                 Window(at_local(DAY, *start), at_local(DAY, *end)), minutes,
                 frozenset(skills), staff=staff, priority=priority)  # fmt: skip


def tiny_day() -> list[Visit]:
    return [
        visit("P1-abx", (9, 30), (10, 30), 30, {"IV"}, priority=1),
        visit("P2-abx", (9, 30), (10, 30), 30, {"IV"}, priority=1),
        visit("P3-care", (8, 0), (12, 0), 20, {"OBS"}, staff=2),
        visit("P4-review", (9, 0), (17, 0), 45, {"AP"}),
        visit("P5-picc", (19, 30), (20, 30), 30, {"IV", "PICC"}, priority=1),
    ]


def test_who_may_do_a_visit_is_every_grade_holding_its_skills():
    assert grades_for({"OBS"}) == {"HCA", "RN5", "RN6", "AP"}
    assert grades_for({"IV"}) == {"RN5", "RN6", "AP"}
    assert grades_for({"IV", "PICC"}) == {"RN6", "AP"}
    assert grades_for({"AP"}) == {"AP"}
    assert grades_for({"IV"}, {"X": frozenset({"IV"}), "Y": frozenset({"OBS"})}) == {"X"}
    assert grades_for({"surgery"}) == frozenset()


def test_a_tiny_day_is_grouped_by_who_when_and_how_long():
    demand = day_demand(tiny_day(), DAY, "tiny")
    by_grades = {g.grades: g for g in demand.groups}
    assert len(demand.groups) == 4  # the two 09:30 doses are one group
    doses = by_grades[frozenset({"RN5", "RN6", "AP"})]
    assert (doses.visit_min, doses.clinician_visits, doses.critical) == (60, 2, 2)
    # a dose may start 09:30–10:30 and lasts 30 min: its minutes fall in 09:00–11:00
    assert (doses.first_hour, doses.last_hour) == (9, 10)
    care = by_grades[frozenset({"HCA", "RN5", "RN6", "AP"})]
    assert (care.visit_min, care.clinician_visits) == (40, 2)  # double-handed counts twice
    assert (care.first_hour, care.last_hour) == (8, 12)  # 08:00 to 12:20
    review = by_grades[frozenset({"AP"})]
    assert (review.first_hour, review.last_hour) == (9, 17)  # 09:00 to 17:45
    assert demand.visit_min == 60 + 40 + 45 + 30
    assert demand.clinician_visits == 6
    # work is on-site minutes plus the travel allowance per clinician-visit
    allow = Allowances(0.8, 10.0, {9: 20.0})
    assert doses.work(allow) == 60 + 2 * (20 + 10) / 2  # mean allowance over hours 9 and 10
    assert care.work(allow) == 40 + 2 * (20 + 4 * 10) / 5


def test_a_visit_is_only_for_shifts_that_can_reach_it_and_get_back():
    picc = next(g for g in day_demand(tiny_day(), DAY).groups if g.grades == {"RN6", "AP"})
    sh = ShiftHours.of()
    # 19:30–20:30, 30 min, 10 min from base: not the long day (ends 20:00), not the night
    # (starts 21:00), but the late shift (14:30–22:30) in 19:00–21:00
    assert list(picc.hours_on(*sh.spans["long"], 10)) == []
    assert list(picc.hours_on(*sh.spans["night"], 10)) == []
    assert list(picc.hours_on(*sh.spans["late"], 10)) == [19, 20]
    assert list(picc.hours_on(*sh.spans["late"], 151)) == []  # 2.5 h each way: too far


def test_each_shift_kind_gives_its_paid_minutes_over_its_hours():
    sh = ShiftHours.of()
    for kind in SHIFT_TYPES:
        assert abs(sum(sh.minutes[kind].values()) - paid_minutes(kind)) <= 2, kind
    assert sh.at("early", 7) == 60 and sh.at("early", 12) < 60  # the break's window
    assert sh.at("early", 20) == 0 and sh.at("night", 24) == 60
    assert sh.at("late", 14) == 30  # 14:30 start


def test_the_model_free_check_finds_a_roster_too_small():
    demand = day_demand(tiny_day(), DAY, "tiny")
    allow = Allowances(0.8, 10.0)
    gaps = interval_shortfalls({"early": {"HCA": 3}}, [demand], allow)
    assert gaps and all(day == "tiny" for day, *_ in gaps)
    assert any(grades == {"AP"} for *_, grades in gaps)  # nobody for the review
    big = {k: {"AP": 3} for k in SHIFT_TYPES}
    assert interval_shortfalls(big, [demand], allow) == []


def test_travel_by_hour_shrinks_sparse_hours_toward_the_mean():
    samples = [{9: (100.0, 10), 25: (60.0, 2)}, {9: (100.0, 10)}]
    tr = travel_by_hour(samples, prior=12.0, weight=20.0)
    overall = 260 / 22
    assert tr[9] == pytest.approx((200 + 20 * overall) / 40)
    assert tr[25] == pytest.approx((60 + 20 * overall) / 22)
    assert tr[14] == pytest.approx(overall)  # no visits then: the mean
    assert travel_by_hour([], prior=12.0)[9] == 12.0
    with pytest.raises(ValueError):
        Allowances(1.5)

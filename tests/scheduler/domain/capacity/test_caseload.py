"""The month as a caseload across days (MonthSpec(caseload=True)): the same admissions and
patients as the month, persistent staff, a named nurse for the stay, regimen changes."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, time, timedelta

from scheduler.domain.capacity.admissions import MonthCensus, MonthSpec, course, month_census
from scheduler.domain.capacity.scenario import Census, Scenario, sample_scenario
from scheduler.domain.capacity.staff import StaffPool
from scheduler.domain.careplan import CarePlanItem
from scheduler.domain.localtime import local

ROSTER = {
    "early": {"HCA": 2, "RN5": 3, "RN6": 2, "AP": 1},
    "long": {"RN5": 1},
    "late": {"RN5": 2, "RN6": 1},
    "night": {"RN6": 1, "RN5": 1},
}
SMALL = Scenario("Small caseload", date(2026, 11, 23), Census((30,)), ROSTER)
SPEC = MonthSpec(days=14, census=30, caseload=True)


def _who(stay):
    p = stay.patient
    return (p.patient_id, p.location, p.address, stay.admitted, stay.discharged)


def span(item: CarePlanItem) -> tuple[date, date]:
    """An item's first and last day (a caseload's items always have both)."""
    assert item.start_date is not None and item.end_date is not None
    return item.start_date, item.end_date


def pool_of(census: MonthCensus) -> StaffPool:
    assert census.staff is not None
    return census.staff


def test_the_same_admissions_and_patients_as_the_month():
    month = month_census(SMALL, MonthSpec(days=14, census=30), seed=2)
    caseload = month_census(SMALL, SPEC, seed=2)
    assert [_who(s) for s in caseload.stays] == [_who(s) for s in month.stays]
    for a, b in zip(month.stays, caseload.stays, strict=True):
        first = lambda items: [(i.regimen, i.frequency, i.first_time) for i in items][:1]  # noqa: E731
        assert first(b.careplans) == first(a.careplans) or not a.careplans
        for item in b.careplans:  # every item inside the stay
            first_day, last_day = span(item)
            assert b.admitted <= first_day <= last_day < b.discharged
    assert month.staff is None and caseload.staff is not None
    assert MonthSpec(caseload=True).key() != MonthSpec().key()
    assert MonthSpec().key() == MonthSpec(caseload=False).key()


def test_same_seed_same_caseload_and_another_seed_another():
    a, b = month_census(SMALL, SPEC, seed=5), month_census(SMALL, SPEC, seed=5)
    assert a.stays == b.stays and a.staff == b.staff
    for d in (1, 6, 14):
        assert a.day(d) == b.day(d)
    c = month_census(SMALL, SPEC, seed=6)
    assert [_who(s) for s in c.stays] != [_who(s) for s in a.stays]
    assert c.staff != a.staff


def test_persistent_staff_keep_their_ids_and_names_and_the_roster_is_met():
    census = month_census(SMALL, SPEC, seed=1)
    names: dict[str, str] = {}
    worked: Counter[str] = Counter()
    for d in range(1, 15):
        visits, shifts = census.day(d)
        assert Counter((s.role) for s in shifts) == sum(
            (Counter(r) for r in ROSTER.values()), Counter()
        )
        for s in shifts:
            assert names.setdefault(s.clinician_id, s.name) == s.name
            assert local(s.start).date() == census.date_of(d)
            worked[s.clinician_id] += 1
        pool_ids = {m.clinician_id for m in pool_of(census).members}
        assert {s.clinician_id for s in shifts} <= pool_ids
        assert {v.preferred_clinician for v in visits} - {None} <= pool_ids
    assert len(worked) == len(pool_of(census).members)
    assert max(worked.values()) <= 10 < 14, "nobody works every day"


def test_a_named_nurse_for_the_stay_from_the_day_nurses():
    census = month_census(sample_scenario(), MonthSpec(days=7, census=250, caseload=True), seed=0)
    staff = pool_of(census).by_id()
    named = [s for s in census.stays if s.patient.preferred_clinician]
    assert 0.5 < len(named) / len(census.stays) < 0.7  # about 60 %, as synth._prefer names
    for s in named:
        nurse = staff[s.patient.preferred_clinician or ""]
        assert nurse.role in ("RN5", "RN6") and nurse.kind in ("early", "long")
        if any(
            c.line == "picc" and c.regimen in ("iv_antibiotic", "iv_fluids") for c in s.careplans
        ):
            assert nurse.role == "RN6", "a PICC line needs a PICC-trained nurse"
    # The name travels with the patient's visits every day of the stay.
    d = 3
    visits, _ = census.day(d)
    pref = {s.patient.patient_id: s.patient.preferred_clinician for s in census.present(d)}
    assert all(v.preferred_clinician == pref[v.patient_id] for v in visits)


def test_regimen_changes_during_stays():
    census = month_census(sample_scenario(), MonthSpec(days=28, census=250, caseload=True), 0)
    oral = slower = stopped = 0
    for s in census.stays:
        last = s.discharged - timedelta(days=1)
        iv = [span(c) for c in s.careplans if c.regimen == "iv_antibiotic"]
        freq = [c.frequency for c in s.careplans if c.regimen == "iv_antibiotic"]
        if len(iv) == 2:  # q6h/q8h, then q12h from the day after the first ends
            assert freq[0] in ("q6h", "q8h") and freq[1] == "q12h"
            assert iv[1][0] == iv[0][1] + timedelta(days=1)
            assert iv[1][1] == last and iv[0][1] >= s.admitted + timedelta(days=1)
            slower += 1
        elif len(iv) == 1 and iv[0][1] < last:  # stepped down to oral: no more IV visits
            assert iv[0][1] >= s.admitted + timedelta(days=1), "at least 2 days of IV"
            oral += 1
        stopped += sum(span(c)[1] < last for c in s.careplans if c.regimen == "iv_fluids")
        for c in s.careplans:
            if c.regimen not in ("iv_antibiotic", "iv_fluids"):
                assert span(c) == (s.admitted, last)
    assert oral > 50 and slower > 10 and stopped > 10, (oral, slower, stopped)

    # A changed regimen changes the days' visits: the day after the switch has no IV dose.
    def iv_end(stay) -> date | None:
        iv = [span(c)[1] for c in stay.careplans if c.regimen == "iv_antibiotic"]
        return iv[0] if len(iv) == 1 else None

    switched = next(
        s
        for s in census.stays
        if s.admitted >= census.start
        and (e := iv_end(s)) is not None
        and e < s.discharged - timedelta(days=1)
    )
    end = iv_end(switched)
    assert end is not None
    d = (end - census.start).days + 1
    pid = switched.patient.patient_id

    def doses(day: int) -> int:
        return sum(v.patient_id == pid and "IV" in v.skills for v in census.day(day)[0])

    assert doses(d) > 0 and doses(d + 1) == 0


def test_course_splits_and_ends_items_within_the_stay_and_draws_alike():
    items = [
        CarePlanItem("P1", "iv_antibiotic", "q8h", time(6, 0)),
        CarePlanItem("P1", "iv_fluids", "1", time(8, 0), run_hours=4),
        CarePlanItem("P1", "obs", "2"),
    ]
    start = date(2026, 11, 23)
    seen: Counter[int] = Counter()
    for k in range(300):
        out = course(items, start, 6, random.Random(k))
        assert all(start <= span(c)[0] <= span(c)[1] <= start + timedelta(days=5) for c in out)
        assert out[-1] == CarePlanItem(
            "P1", "obs", "2", start_date=start, end_date=start + timedelta(days=5)
        )
        seen[len([c for c in out if c.regimen == "iv_antibiotic"])] += 1
        # One stay's draws never depend on what it was given: the next draw is the same.
        a, b = random.Random(k), random.Random(k)
        course(items, start, 6, a)
        course([items[2], items[1], items[0]], start, 6, b)
        assert a.random() == b.random()
    assert seen[1] and seen[2]
    # A one-day stay changes nothing.
    assert all(c.end_date == start for c in course(items, start, 1, random.Random(0)))

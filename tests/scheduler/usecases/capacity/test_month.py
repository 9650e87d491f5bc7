"""A simulated month (scheduler.usecases.capacity.month): the census model, the days it makes, the
solved month, its report and its resumable results file."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, timedelta
from statistics import mean

import pytest

from scheduler.domain.capacity.admissions import MonthSpec, StayModel, month_census
from scheduler.domain.capacity.metrics import DayMetrics
from scheduler.domain.capacity.scenario import Census, Scenario, sample_scenario
from scheduler.domain.careplan import expand
from scheduler.domain.localtime import local
from scheduler.usecases.capacity import month as month_mod
from scheduler.usecases.capacity.month import plan_month, simulate_month, write_month

TINY_ROSTER = {
    "early": {"HCA": 1, "RN5": 2, "RN6": 1, "AP": 1},
    "late": {"RN5": 1, "RN6": 1},
    "night": {"RN6": 1},
}
TINY = Scenario("Tiny service", date(2026, 11, 23), Census((15,)), TINY_ROSTER)
TINY_SPEC = MonthSpec(days=4, census=15)


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """The tiny month solved once (1 s a day, in this process), with a count of solves."""
    out = tmp_path_factory.mktemp("month")
    calls: list[int] = []
    real = month_mod.solve_month_day

    def counting(task):
        calls.append(task.day)
        return real(task)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(month_mod, "solve_month_day", counting)
        result = simulate_month(TINY, out, spec=TINY_SPEC, seed=3, time_limit_s=1.0, workers=1)
    return result, out, calls


# --- the census model (no solving) -------------------------------------------------------


def test_census_evolves_by_admissions_and_discharges():
    census = month_census(TINY, MonthSpec(days=20, census=15), seed=1)
    for d in range(1, 21):
        assert census.census(d) == census.census(d - 1) + census.admissions(d) - census.discharges(
            d
        )
    ids = [s.patient.patient_id for s in census.stays]
    assert len(ids) == len(set(ids)), "patient ids are unique over the month"
    for s in census.stays:
        length = (s.discharged - s.admitted).days
        assert 1 <= length <= StayModel().max_days
        for item in s.careplans:  # care runs from the admission day to the day before discharge
            assert item.patient_id == s.patient.patient_id
            assert (item.start_date, item.end_date) == (s.admitted, s.discharged - timedelta(1))
    assert sum(bool(s.careplans) for s in census.stays) > 0.9 * len(census.stays)
    # Warm start: day 1 opens near the steady census, with stays admitted before the month.
    assert census.census(1) > 5
    assert any(s.admitted < TINY.day for s in census.present(1))


def test_admissions_by_weekday_stays_and_littles_law():
    """Over half a year at census 250: the admission rates, the mean stay and the mean census are
    the model's (mean census = admissions a day x mean stay)."""
    spec = MonthSpec(days=182, census=250)
    census = month_census(TINY, spec, seed=0)
    by_weekday: dict[int, list[int]] = {}
    for d in range(1, spec.days + 1):
        by_weekday.setdefault(census.date_of(d).weekday(), []).append(census.admissions(d))
    for wd, counts in by_weekday.items():
        want = spec.admissions_mean(wd)
        assert mean(counts) == pytest.approx(want, rel=0.12), (wd, mean(counts), want)
    assert mean(by_weekday[0]) > 1.4 * mean(by_weekday[6]), "weekday-heavy admissions"
    assert spec.stay.mean() == pytest.approx(6.0, abs=0.1)
    stays = [(s.discharged - s.admitted).days for s in census.stays if s.admitted >= TINY.day]
    assert mean(stays) == pytest.approx(spec.stay.mean(), rel=0.05)
    daily = [census.census(d) for d in range(1, spec.days + 1)]
    assert mean(daily) == pytest.approx(250, rel=0.05)


def test_each_days_visits_are_its_patients_care_plans_expanded():
    census = month_census(TINY, TINY_SPEC, seed=3)
    seen_clinicians: Counter[str] = Counter()
    for d in range(1, TINY_SPEC.days + 1):
        day = census.date_of(d)
        here = census.present(d)
        visits, shifts = census.day(d)
        expected = expand([s.patient for s in here], [c for s in here for c in s.careplans], day)
        assert [v.visit_id for v in visits] == [v.visit_id for v in expected]
        assert {v.patient_id for v in visits} <= {s.patient.patient_id for s in here}
        assert len(visits) == len(census.visits(d))
        assert len(shifts) == sum(sum(r.values()) for r in TINY_ROSTER.values())
        assert all(local(s.start).date() == day for s in shifts)
        seen_clinicians.update(s.role for s in shifts)
    assert set(seen_clinicians) == {"HCA", "RN5", "RN6", "AP"}


def test_same_seed_same_month_and_a_longer_month_extends_a_shorter_one():
    a = plan_month(TINY, MonthSpec(days=6, census=15), seed=5)
    b = plan_month(TINY, MonthSpec(days=6, census=15), seed=5)
    assert a.table() == b.table()
    longer = plan_month(TINY, MonthSpec(days=9, census=15), seed=5)
    assert longer.table()[:6] == a.table()
    other = plan_month(TINY, MonthSpec(days=6, census=15), seed=6)
    assert [r.visits for r in other.rows] != [r.visits for r in a.rows]
    visits_a, _ = month_census(TINY, MonthSpec(days=6, census=15), 5).day(4)
    visits_b, _ = month_census(TINY, MonthSpec(days=6, census=15), 5).day(4)
    assert visits_a == visits_b


def test_weekend_roster_scale():
    spec = MonthSpec(days=7, census=15, weekend_staff=2.0)
    census = month_census(TINY, spec, seed=0)
    saturday = next(d for d in range(1, 8) if census.date_of(d).weekday() == 5)
    assert census.roster_scenario(1).roster == TINY.roster  # a Monday
    assert census.roster_scenario(saturday).roster["early"]["RN5"] == 4
    _, shifts = census.day(saturday)
    assert len(shifts) == 2 * sum(sum(r.values()) for r in TINY_ROSTER.values())


def test_sample_service_month_volume():
    """The sample service's month (census 250, 30 days): about 34,000 visits."""
    result = plan_month(sample_scenario(), MonthSpec(days=30, census=250), seed=0)
    t = result.totals
    assert 30_000 <= t.visits <= 38_000
    assert 225 <= t.mean_census <= 275
    assert t.admissions == sum(r.admissions for r in result.rows)
    assert 900 <= t.admissions <= 1_600


# --- the solved month --------------------------------------------------------------------


def test_every_day_solved_and_checked(solved):
    result, _, calls = solved
    assert sorted(calls) == [1, 2, 3, 4]
    assert result.complete and len(result.rows) == 4
    for r in result.rows:
        m = r.metrics
        assert m.violations == 0, f"day {r.day}: the checker found violations"
        assert m.visits == r.visits, "the solver saw exactly the day's expanded visits"
        assert 0 <= m.placed <= m.visits and 0 <= m.p1_placed <= m.p1_total
        assert m.utilisation and m.solve_s > 0
    assert [r.weekday for r in result.rows] == ["Mon", "Tue", "Wed", "Thu"]


def test_totals_agree_with_rows(solved):
    result, _, _ = solved
    t = result.totals
    ms = [r.metrics for r in result.rows]
    assert t.visits == sum(r.visits for r in result.rows) == t.visits_solved
    assert t.placed == sum(m.placed for m in ms)
    assert t.p1_total == sum(m.p1_total for m in ms)
    assert t.placed_rate == pytest.approx(t.placed / t.visits)
    assert t.p1_on_time == pytest.approx(t.p1_placed / t.p1_total)
    assert t.mean_census == pytest.approx(mean(r.census for r in result.rows))
    assert t.violations == 0 and t.days_solved == 4
    visits = [r.visits for r in result.rows]  # least-squares slope by hand for 4 points
    xbar, ybar = 1.5, mean(visits)
    slope = sum((i - xbar) * (v - ybar) for i, v in enumerate(visits)) / 5.0
    assert t.visits_slope == pytest.approx(slope)


def test_month_files(solved, tmp_path):
    result, _, _ = solved
    csv_path, json_path = write_month(result, tmp_path)
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert [int(r["visits"]) for r in rows] == [r.visits for r in result.rows]
    assert {"date", "weekday", "census", "admissions", "discharges", "placed_rate", "p1_on_time",
            "travel_share", "utilisation_RN5", "overtime_h", "solve_s", "violations",
            "visits_7d"} <= set(rows[0])  # fmt: skip
    assert rows[0]["visits_7d"] == "", "no 7-day mean before a week has passed"
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["totals"]["visits"] == result.totals.visits
    assert data["complete"] is True and len(data["rows"]) == 4
    assert data["model"]["admissions_per_day"] == pytest.approx(15 / StayModel().mean(), abs=0.01)


def test_resume_solves_only_what_is_missing(solved):
    result, out, _ = solved
    calls: list[int] = []

    def count(task):
        calls.append(task.day)
        raise AssertionError("a solved day was solved again")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(month_mod, "solve_month_day", count)
        again = simulate_month(TINY, out, spec=TINY_SPEC, seed=3, time_limit_s=1.0, workers=1)
    assert calls == [] and again.table() == result.table()
    # One more day: only day 5 is solved (the first four days are the same days).
    extra: list[int] = []
    real = month_mod.solve_month_day

    def one(task):
        extra.append(task.day)
        return real(task)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(month_mod, "solve_month_day", one)
        longer = simulate_month(TINY, out, spec=MonthSpec(days=5, census=15), seed=3,
                                time_limit_s=1.0, workers=1)  # fmt: skip
    assert extra == [5] and longer.complete
    assert [r.metrics for r in longer.rows[:4]] == [r.metrics for r in result.rows]


def test_a_stored_day_that_no_longer_matches_is_solved_again(tmp_path):
    """Results are re-used only for the same day: if how days are made changed (here: a stored
    day whose visit count differs), that day is solved again."""
    spec = MonthSpec(days=2, census=10)
    census = month_census(TINY, spec, seed=0)
    solves: list[int] = []

    def fake(task):  # what the solver would report, without solving
        solves.append(task.day)
        n = len(census.visits(task.day))
        return DayMetrics(n, n, 0, 0, 0, 0, 1.0, 0.0, 0, 0.0).as_dict()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(month_mod, "solve_month_day", fake)
        simulate_month(TINY, tmp_path, spec=spec, time_limit_s=1.0, workers=1)
        lines = (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines]
        rows[0]["metrics"]["visits"] += 1  # day 1 as an older model made it
        (tmp_path / "results.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
        )
        again = simulate_month(TINY, tmp_path, spec=spec, time_limit_s=1.0, workers=1)
    assert solves == [1, 2, 1]
    metrics = again.rows[0].metrics
    assert again.complete and metrics is not None and metrics.visits == again.rows[0].visits

"""The capacity sweep on the caseload model (sweep(caseload=CaseloadSweep(...))): each census
point is days of the caseload month ``hah simulate --caseload`` runs at that census, every
day checked, continuity over the stays reported, learned days planned in order and resumable;
and the sweep, the month and the coordinator's planned days agree day for day."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

import scheduler.usecases.capacity.caseload_points as points_mod
import scheduler.usecases.plan_days as plan_days_mod
from scheduler.domain.capacity.admissions import MonthSpec, month_census
from scheduler.domain.capacity.caseload_sweep import CaseloadSweep
from scheduler.domain.capacity.metrics import DayMetrics
from scheduler.domain.capacity.scenario import Census, Scenario
from scheduler.domain.capacity.summary import ServiceLevel
from scheduler.domain.continuity import caseload_continuity, stay_continuity
from scheduler.usecases.capacity.month import simulate_month
from scheduler.usecases.capacity.sweep import sweep, write_sweep
from scheduler.usecases.plan_days import plan_days

ROSTER = {
    "early": {"HCA": 1, "RN5": 2, "RN6": 1, "AP": 1},
    "late": {"RN5": 1, "RN6": 1},
    "night": {"RN6": 1, "RN5": 1},
}
TINY = Scenario("Tiny caseload", date(2026, 11, 23), Census((12,)), ROSTER)
LIMIT = 0.5  # seconds per day: these wards have 40-60 visits a day


def _rows(out) -> list[dict]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text("utf-8").splitlines()]


def test_the_caseload_model_refuses_what_it_cannot_run():
    with pytest.raises(ValueError, match="days per census point"):
        CaseloadSweep(days=0)
    with pytest.raises(ValueError, match="days per census point"):
        CaseloadSweep(days=29)
    with pytest.raises(ValueError, match="fixed or learned"):
        CaseloadSweep(continuity="sticky")  # type: ignore[arg-type]
    assert CaseloadSweep().days == 7 and CaseloadSweep().spec(250) == MonthSpec(
        days=7, census=250, caseload=True
    )


def test_a_caseload_point_is_days_of_the_caseload_month_checked_and_resumable(tmp_path,
                                                                             monkeypatch):  # fmt: skip
    model = CaseloadSweep(days=2)
    calls: list[str] = []
    real = points_mod.solve_month_day

    def counting(task, history=None):
        calls.append(task.key())
        return real(task, history)

    monkeypatch.setattr(points_mod, "solve_month_day", counting)
    result = sweep(TINY, tmp_path, sizes=[8, 12], seeds=range(2), time_limit_s=LIMIT,
                   workers=1, caseload=model)  # fmt: skip
    assert result.caseload == model and len(calls) == 2 * 2 * 2
    assert [s.census for s in result.summaries] == [8, 12]
    rows = _rows(tmp_path)
    assert all(r["key"].startswith("month|") for r in rows), "a caseload month's own days"
    for s in result.summaries:
        assert s.days == 2 * 2 and s.violations == 0, "every day checked by the checker"
        assert s.on_ward is not None and s.continuity is not None
        ward = [month_census(TINY, model.spec(s.census), seed).census(d)
                for seed in (0, 1) for d in (1, 2)]  # fmt: skip
        assert s.on_ward.mean == pytest.approx(sum(ward) / 4), "the days' own census"
        assert (s.on_ward.min, s.on_ward.max) == (min(ward), max(ward))
        assert 0 < s.continuity.top2_visits <= s.continuity.top3_visits <= 1
    level = ServiceLevel()
    for s in result.summaries:
        stored = [r for r in rows if r["key"].split("|")[2] == model.spec(s.census).key()]
        assert len(stored) == 4
        assert s.days_ok == sum(level.day_ok(DayMetrics.from_dict(r["metrics"])) for r in stored)
        seen = sum(len(r["metrics"]["attendances"]) for r in stored)
        assert s.continuity is not None and s.continuity.attendances == seen
    # The files say it: continuity and the ward per census, the model in summary.json.
    write_sweep(result, tmp_path)
    data = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert data["caseload"] == {"days": 2, "continuity": "fixed"}
    for row, s in zip(data["rows"], result.summaries, strict=True):
        assert s.continuity is not None and s.on_ward is not None
        assert row["continuity_top3_visit_weighted"] == round(s.continuity.top3_visits, 4)
        assert row["on_ward_max"] == s.on_ward.max
    header = (tmp_path / "summary.csv").read_text("utf-8").splitlines()[0]
    assert "continuity_top3_visit_weighted" in header and "on_ward_mean" in header
    # Run again: every day comes from the store, nothing is solved twice.
    calls.clear()
    again = sweep(TINY, tmp_path, sizes=[8, 12], seeds=range(2), time_limit_s=LIMIT,
                  workers=1, caseload=model)  # fmt: skip
    assert calls == [] and again.summaries == result.summaries


def test_learned_points_plan_each_months_days_in_order_and_resume(tmp_path, monkeypatch):
    model = CaseloadSweep(days=3, continuity="learned")
    calls: list[tuple[int, int, int, int]] = []
    real = points_mod.solve_learned_day

    def recording(item):
        t = item.task
        calls.append((t.spec.census, t.seed, t.day, len(item.history)))
        return real(item)

    monkeypatch.setattr(points_mod, "solve_learned_day", recording)
    part = sweep(TINY, tmp_path, sizes=[8, 12], seeds=range(1), time_limit_s=LIMIT, workers=1,
                 caseload=model, should_stop=lambda: len(calls) >= 4)  # fmt: skip
    assert [c[2] for c in calls] == [1, 1, 2, 2], "waves: day 1 of every month, then day 2"
    assert all(h == 0 for *_, d, h in calls if d == 1)
    rows = {(r["key"].split("|")[2], r["key"].split("|")[4]): r for r in _rows(tmp_path)}
    for census, _, d, history in calls:
        if d == 2:
            day1 = rows[(model.spec(census).key(), "1")]
            assert history == len(day1["metrics"]["attendances"]), "day 2 read its own day 1"
    assert sum(s.days for s in part.summaries) == 4
    # Resumed: only the day-3s are solved, each from its month's two stored days.
    calls.clear()
    whole = sweep(TINY, tmp_path, sizes=[8, 12], seeds=range(1), time_limit_s=LIMIT,
                  workers=1, caseload=model)  # fmt: skip
    assert sorted(c[:3] for c in calls) == [(8, 0, 3), (12, 0, 3)]
    for census, _, _, history in calls:
        stored = [rows[(model.spec(census).key(), str(d))] for d in (1, 2)]
        assert history == sum(len(r["metrics"]["attendances"]) for r in stored)
    assert [s.days for s in whole.summaries] == [3, 3]
    assert all(s.violations == 0 and s.continuity is not None for s in whole.summaries)


# --- agreement: the sweep, the month and the coordinator's days are the same days -----------


class Recorder:
    """Every day planned through ``plan_days.plan_caseload_day`` (the sweep's, the month's and
    the coordinator's days all are), as the visits and shifts its problem was built from."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.days: list[tuple[list, list]] = []
        real = plan_days_mod.build_problem

        def build(visits, shifts, *args, **kwargs):
            self.days.append((list(visits), list(shifts)))
            return real(visits, shifts, *args, **kwargs)

        monkeypatch.setattr(plan_days_mod, "build_problem", build)

    def take(self) -> list[tuple[list, list]]:
        out, self.days = self.days, []
        return out


def _bare(visits) -> list[tuple]:
    """What a day is without who is preferred (learned preferences follow the solves)."""
    return [(v.visit_id, v.patient_id, v.window, v.duration_min, v.skills, v.priority)
            for v in visits]  # fmt: skip


def test_day_d_is_the_same_day_in_the_sweep_the_month_and_plan_days(tmp_path, monkeypatch):
    seed, census = 2, 12
    month = month_census(TINY, MonthSpec(days=3, census=census, caseload=True), seed)
    expected = [month.day(d) for d in (1, 2)]
    assert expected[0][0] and expected[0][1], "days with visits and shifts"
    rec = Recorder(monkeypatch)
    sweep(TINY, tmp_path / "sweep", sizes=[census], seeds=[seed], time_limit_s=LIMIT,
          workers=1, caseload=CaseloadSweep(days=2))  # fmt: skip
    swept = rec.take()
    simulate_month(TINY, tmp_path / "month", spec=MonthSpec(days=3, census=census,
                   caseload=True), seed=seed, time_limit_s=LIMIT, workers=1)  # fmt: skip
    simulated = rec.take()[:2]
    plan_days(month, [1, 2], "fixed", time_limit_s=LIMIT)
    planned = rec.take()
    for name, got in (("sweep", swept), ("simulate", simulated), ("plan_days", planned)):
        assert len(got) == 2, name
        for d, ((visits, shifts), (want_v, want_s)) in enumerate(zip(got, expected,
                                                                     strict=True), 1):  # fmt: skip
            assert visits == want_v, f"{name} day {d}: other visits than MonthCensus.day"
            assert shifts == want_s, f"{name} day {d}: other shifts than MonthCensus.day"
    # A one-day draw of the same census is another day: the comparison can tell them apart.
    from scheduler.domain.capacity.days import census_day

    assert _bare(census_day(TINY, census, seed)[0]) != _bare(expected[0][0])
    # Learned: the same visits and shifts, only who is preferred follows the days before.
    sweep(TINY, tmp_path / "learned", sizes=[census], seeds=[seed], time_limit_s=LIMIT,
          workers=1, caseload=CaseloadSweep(days=2, continuity="learned"))  # fmt: skip
    simulate_month(TINY, tmp_path / "learned-month", spec=MonthSpec(days=2, census=census,
                   caseload=True), seed=seed, time_limit_s=LIMIT, continuity="learned")  # fmt: skip
    both = rec.take()
    for (visits, shifts), (want_v, want_s) in zip(both, expected + expected, strict=True):
        assert _bare(visits) == _bare(want_v) and shifts == want_s


def test_a_sweep_and_a_month_share_their_stored_days(tmp_path, monkeypatch):
    """The same day has the same key: a month run where a sweep ran solves nothing again."""
    sweep(TINY, tmp_path, sizes=[12], seeds=[1], time_limit_s=LIMIT, workers=1,
          caseload=CaseloadSweep(days=2))  # fmt: skip
    rec = Recorder(monkeypatch)
    result = simulate_month(TINY, tmp_path, spec=MonthSpec(days=3, census=12, caseload=True),
                            seed=1, time_limit_s=LIMIT, workers=1)  # fmt: skip
    assert len(rec.take()) == 1, "only day 3 was solved; days 1 and 2 were the sweep's"
    assert result.complete and result.totals.violations == 0


@pytest.mark.parametrize("continuity", ["fixed", "learned"])
def test_a_points_continuity_is_plan_days_on_the_same_days(tmp_path, monkeypatch, continuity):
    """Solved by an iteration budget (the same rota from the same day and seed), the sweep's
    continuity at a census point is plan_days' over the same caseload days."""
    real = plan_days_mod.plan_day

    def budgeted(problem, options=None, **kwargs):
        return real(problem, replace(options, max_iterations=300), **kwargs)

    monkeypatch.setattr(plan_days_mod, "plan_day", budgeted)
    model = CaseloadSweep(days=3, continuity=continuity)
    result = sweep(TINY, tmp_path, sizes=[12], seeds=[0, 3], time_limit_s=LIMIT, workers=1,
                   caseload=model)  # fmt: skip
    point = result.summaries[0]
    runs = [plan_days(month_census(TINY, model.spec(12), s), [1, 2, 3], continuity,
                      time_limit_s=LIMIT) for s in (0, 3)]  # fmt: skip
    for run in runs:
        assert run.violations == 0 and len(run.days) == 3
    pooled = caseload_continuity([st for run in runs for st in stay_continuity(run.history)])
    assert point.continuity == pooled
    assert point.days == 6 and point.violations == 0
    assert point.visits.mean == pytest.approx(sum(r.visits for r in runs) / 6)

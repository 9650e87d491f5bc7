"""The simulated month as a caseload (scheduler.usecases.capacity.month with
MonthSpec(caseload=True)): who saw whom stored with each day, continuity over the stays in the
report, and learned continuity planned day after day, resumable."""

from __future__ import annotations

import json
from datetime import date

import pytest

from scheduler.domain.capacity.admissions import MonthSpec
from scheduler.domain.capacity.scenario import Census, Scenario
from scheduler.usecases.capacity import month as month_mod
from scheduler.usecases.capacity.month import simulate_month, write_month

ROSTER = {
    "early": {"HCA": 1, "RN5": 2, "RN6": 1, "AP": 1},
    "late": {"RN5": 1, "RN6": 1},
    "night": {"RN6": 1, "RN5": 1},
}
TINY = Scenario("Tiny caseload", date(2026, 11, 23), Census((12,)), ROSTER)
SPEC = MonthSpec(days=3, census=12, caseload=True)


def _rows(out) -> list[dict]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_a_caseload_month_stores_who_saw_whom_and_reports_continuity(tmp_path):
    result = simulate_month(TINY, tmp_path, spec=SPEC, seed=1, time_limit_s=1.0, workers=1)
    assert result.complete and result.totals.violations == 0
    rows = _rows(tmp_path)
    assert len(rows) == 3
    seen = [(p, c) for r in rows for p, c in r["metrics"]["attendances"]]
    for r, day in zip(rows, result.rows, strict=True):
        m = r["metrics"]
        assert day.metrics is not None and m["violations"] == 0
        assert len(m["attendances"]) >= m["placed"] == day.metrics.placed
    c = result.continuity
    assert c is not None and result.continuity_model == "fixed"
    assert c.patients == len({p for p, _ in seen}) and c.attendances == len(seen)
    assert 0 < c.top2_visits <= c.top3_visits <= 1
    clinicians = {cid for _, cid in seen}
    assert all(cid.startswith("S") for cid in clinicians), "the persistent staff's own ids"
    _, json_path = write_month(result, tmp_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["continuity"]["model"] == "fixed"
    assert data["continuity"]["top3_visit_weighted"] == round(c.top3_visits, 4)
    assert data["model"]["caseload"] is True


def test_learned_days_are_planned_in_order_from_the_days_before_and_resume(tmp_path):
    real = month_mod.solve_month_day
    calls: list[tuple[int, int]] = []

    def recording(task, history=None):
        calls.append((task.day, len(history or [])))
        return real(task, history)

    stop_after = {"n": 2}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(month_mod, "solve_month_day", recording)
        part = simulate_month(
            TINY, tmp_path, spec=SPEC, seed=1, time_limit_s=1.0, continuity="learned",
            should_stop=lambda: len(calls) >= stop_after["n"],
        )  # fmt: skip
    assert [d for d, _ in calls] == [1, 2] and not part.complete
    rows = _rows(tmp_path)
    day1 = rows[0]["metrics"]["attendances"]
    assert calls[0][1] == 0 and calls[1][1] == len(day1), "day 2 read day 1's rota"
    assert all(r["key"].endswith("|learned") for r in rows)
    # Resumed: only day 3 is solved, from the two stored days' attendances.
    calls.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(month_mod, "solve_month_day", recording)
        whole = simulate_month(
            TINY, tmp_path, spec=SPEC, seed=1, time_limit_s=1.0, continuity="learned"
        )
    stored = sum(len(r["metrics"]["attendances"]) for r in rows)
    assert calls == [(3, stored)]
    assert whole.complete and whole.totals.violations == 0
    assert whole.continuity is not None and whole.continuity_model == "learned"
    # The fixed month of the same caseload is a different result (its own keys).
    fixed = simulate_month(TINY, tmp_path, spec=SPEC, seed=1, time_limit_s=1.0, workers=1)
    assert fixed.continuity_model == "fixed"
    assert len(_rows(tmp_path)) == 6


def test_learned_continuity_needs_the_caseload_model(tmp_path):
    with pytest.raises(ValueError, match="caseload"):
        simulate_month(TINY, tmp_path, spec=MonthSpec(days=2, census=12), continuity="learned")
    with pytest.raises(ValueError, match="fixed or learned"):
        simulate_month(TINY, tmp_path, spec=SPEC, continuity="sticky")  # type: ignore[arg-type]
    assert not (tmp_path / "results.jsonl").exists()

"""The roster question on the caseload model (smallest_roster_cp / smallest_roster with
caseload=…): the model's demand is the caseload point's days, whoever staffs them; every
candidate is verified on those days (each checked: 0 violations) with its own persistent
staff; the answer file says which days it was judged on."""

from __future__ import annotations

import json
from datetime import date

from scheduler.cli import main
from scheduler.domain.capacity.admissions import month_census
from scheduler.domain.capacity.caseload_sweep import CaseloadSweep
from scheduler.domain.capacity.demand import day_demand
from scheduler.domain.capacity.scenario import Census, Scenario, scenario_toml
from scheduler.usecases.capacity.roster import smallest_roster
from scheduler.usecases.capacity.roster_cp import caseload_demand, smallest_roster_cp

ROSTER = {
    "early": {"HCA": 1, "RN5": 2, "RN6": 1, "AP": 1},
    "late": {"RN5": 1, "RN6": 1},
    "night": {"RN6": 1, "RN5": 1},
}
TINY = Scenario("Tiny caseload", date(2026, 11, 23), Census((8,)), ROSTER)
LEAN = {"early": {"RN6": 2, "AP": 1}, "late": {"RN6": 1}, "night": {"RN6": 1}}


def _rows(out) -> list[dict]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text("utf-8").splitlines()]


def test_the_models_demand_is_the_points_days_whoever_staffs_them():
    model = CaseloadSweep(days=3)
    demand = caseload_demand(TINY, 8, (0, 1), model)
    assert [d.label for d in demand] == [f"seed {s} day {d}" for s in (0, 1) for d in (1, 2, 3)]
    lean = TINY.with_roster(LEAN)
    for i, (s, d) in enumerate((s, d) for s in (0, 1) for d in (1, 2, 3)):
        month = month_census(lean, model.spec(8), s)
        visits, shifts = month.day(d)
        assert month.staff is not None, "the caseload's persistent staff"
        assert {x.clinician_id for x in shifts} <= {m.clinician_id for m in month.staff.members}
        assert demand[i] == day_demand(visits, month.date_of(d), f"seed {s} day {d}"), (
            "the candidate's own staff work the very visits the model was given"
        )
    assert demand[0] != demand[1], "each day its own work"


def test_cp_sat_verifies_every_candidate_on_the_caseload_days(tmp_path):
    model = CaseloadSweep(days=2)
    search = smallest_roster_cp(TINY, 8, tmp_path, seeds=(0,), time_limit_s=0.5, max_rounds=2,
                                workers=1, caseload=model)  # fmt: skip
    assert search.candidates and search.caseload == model
    for c in search.candidates:
        assert c.trial.days == 2 and c.trial.carries == (c.trial.days_ok == 2)
        assert set(c.failed_days) <= {"0/1", "0/2"}
        assert len(c.failed_days) == c.trial.days - c.trial.days_ok
    rows = _rows(tmp_path)
    assert rows and all(r["key"].startswith("profiled|month|") for r in rows)
    for r in rows:
        m = r["metrics"]
        assert m["violations"] == 0, "every verification day through the checker"
        assert len(m["profile"]["unplaced"]) == m["visits"] - m["placed"]
        assert m["attendances"], "a caseload day: who saw whom"
    rosters = {json.dumps(c.trial.roster, sort_keys=True) for c in search.candidates}
    assert len(rows) == 2 * len(rosters), "each roster's two days, solved once"


def test_the_old_search_judges_rosters_on_the_caseload_days(tmp_path):
    start = {"early": {"RN6": 4, "HCA": 2, "AP": 2}, "late": {"RN6": 2}, "night": {"RN6": 2}}
    s = Scenario("Tiny caseload", TINY.day, Census((6,)), start)
    search = smallest_roster(s, 6, tmp_path, seeds=(0,), time_limit_s=0.5, max_trials=4,
                             workers=1, caseload=CaseloadSweep(days=2))  # fmt: skip
    assert search.trials and all(t.days == 2 for t in search.trials)
    rows = _rows(tmp_path)
    assert all(r["key"].startswith("month|") and r["metrics"]["violations"] == 0 for r in rows)
    assert len(rows) == 2 * len(search.trials)


def test_the_cli_answers_the_roster_question_on_the_caseload_model(tmp_path, capsys):
    scen = tmp_path / "tiny.toml"
    scen.write_text(scenario_toml(TINY), encoding="utf-8")
    out = tmp_path / "out"
    code = main(["capacity", "roster", "--census", "8", "--scenario", str(scen),
                 "--time-limit", "0.5", "--rounds", "1", "--workers", "1", "--caseload",
                 "--caseload-days", "2", "--out", str(out)])  # fmt: skip
    assert code == 0
    data = json.loads((out / "roster_8.json").read_text("utf-8"))
    assert data["caseload"] == {"days": 2, "continuity": "fixed"} and data["seeds"] == [0]
    assert all(c["trial"]["days"] == 2 for c in data["candidates"])
    printed = capsys.readouterr()
    assert "days: caseload model, 2 day(s) per seed, fixed continuity" in printed.err
    bad = tmp_path / "bad"
    assert main(["capacity", "roster", "--census", "8", "--continuity", "learned",
                 "--out", str(bad)]) == 2  # fmt: skip
    assert "--continuity: needs --caseload" in capsys.readouterr().err and not bad.exists()

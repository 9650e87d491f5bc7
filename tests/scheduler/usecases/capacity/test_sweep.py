"""Capacity sweeps and the roster search: simulated days are what the scenario says, every
solved day goes through the independent checker, results are resumable, and the answers
(largest census carried, smallest roster) follow from the measured days."""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest

import scheduler.usecases.capacity.sweep as sweep_mod
from scheduler.cli import main
from scheduler.domain.capacity.days import census_day
from scheduler.domain.capacity.metrics import DayMetrics, measure
from scheduler.domain.capacity.scenario import (
    Census,
    Scenario,
    load_scenario,
    roster_of,
    sample_scenario,
    scenario_toml,
    shift_kind,
)
from scheduler.domain.capacity.summary import ServiceLevel, largest_census, summarise
from scheduler.domain.check import check
from scheduler.domain.errors import InputError
from scheduler.domain.problem import build_problem
from scheduler.domain.synth import RegimenMix
from scheduler.usecases.capacity.executor import run_all, worker_pid
from scheduler.usecases.capacity.roster import smallest_roster
from scheduler.usecases.capacity.sweep import DayTask, by_census, sweep
from solver import SolveOptions, solve

SMALL_ROSTER = {"early": {"RN6": 2, "HCA": 1, "AP": 1}, "late": {"RN6": 1}, "night": {"RN6": 1}}


def tiny(roster=None, sizes=(6, 12)) -> Scenario:
    base = sample_scenario()
    return Scenario("tiny", base.day, Census(tuple(sizes)), roster or SMALL_ROSTER)


# --- scenarios and days ----------------------------------------------------------------------


def test_the_sample_scenario_is_the_bundled_roster():
    s = sample_scenario()
    assert s.clinicians() == 129  # sample_data/clinicians.csv
    assert set(s.roster) == {"early", "long", "late", "night"}
    assert s.paid_hours() > 900


def test_scenario_toml_round_trips(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(scenario_toml(sample_scenario()))
    again = load_scenario(path)
    assert again.roster == sample_scenario().roster
    assert again.key() == sample_scenario().key()


def test_a_bad_scenario_lists_every_problem_by_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('date = "soon"\n[census]\nsizes = [0]\n[roster]\nweekend = { RN5 = 1 }\n'
                    'early = { Matron = 2, RN5 = -1 }\n[travel]\ncircuity = 0.5\n')  # fmt: skip
    with pytest.raises(InputError) as err:
        load_scenario(path)
    text = "\n".join(str(i) for i in err.value.issues)
    for key in ("date", "census.sizes", "roster.weekend", "roster.early.Matron",
                "roster.early.RN5", "travel.circuity"):  # fmt: skip
        assert key in text, key


def test_a_simulated_day_has_the_census_and_the_roster():
    s = tiny()
    visits, shifts = census_day(s, 12, seed=3)
    assert len({v.patient_id for v in visits}) <= 12
    assert roster_of(shifts) == s.roster
    assert Counter(shift_kind(x) for x in shifts) == Counter(
        {k: sum(v.values()) for k, v in s.roster.items()}
    )
    again = census_day(s, 12, seed=3)
    assert [v.visit_id for v in again[0]] == [v.visit_id for v in visits]
    other = census_day(s, 12, seed=4)[0]
    assert [v.location for v in other] != [v.location for v in visits]


def test_a_q6h_heavy_mix_makes_more_time_critical_visits():
    base = sample_scenario()
    q6 = Scenario("q6h", base.day, Census((80,), RegimenMix(0.82, (("q6h", 1.0),))), base.roster)
    q24 = Scenario("q24h", base.day, Census((80,), RegimenMix(0.82, (("q24h", 1.0),))),
                   base.roster)  # fmt: skip
    p1 = [sum(v.priority == 1 for v in census_day(sc, 80, 0)[0]) for sc in (q6, q24)]
    assert p1[0] > 2 * p1[1]


def test_day_metrics_agree_with_the_rota():
    visits, shifts = census_day(tiny(), 12, seed=1)
    problem = build_problem(visits, shifts, cache_dir=False)
    rota = solve(problem, SolveOptions(time_limit_s=1)).rota
    report = check(problem, rota)
    m = measure(problem, rota, report, 1.0)
    assert m.violations == len(report.violations) == 0
    placed = {v for r in rota.routes for v in r.visit_ids}
    assert m.placed == len(placed) and m.visits == len(visits)
    assert m.p1_total == sum(v.priority == 1 for v in visits)
    paid: dict[str, float] = {}
    busy: dict[str, int] = {}
    by_id = {v.visit_id: v for v in visits}
    for sh in shifts:
        paid[sh.role] = (
            paid.get(sh.role, 0)
            + (sh.end - sh.start).total_seconds() / 60
            - (sh.rest_break.duration_min if sh.rest_break else 0)
        )
    for r in rota.routes:
        sh = next(s for s in shifts if s.clinician_id == r.clinician_id)
        work = sum(by_id[v].duration_min for v in r.visit_ids)
        busy[sh.role] = busy.get(sh.role, 0) + work
    for role, u in m.utilisation.items():
        assert u >= busy.get(role, 0) / paid[role] - 1e-6  # visits alone, before driving
        assert u <= 1.0
    assert m.travel_min == report.kpis["travel_min_total"]


# --- answers from summaries ------------------------------------------------------------------


def _m(p1_placed: int, p1_total: int = 10, placed: int = 100) -> DayMetrics:
    return DayMetrics(100, placed, p1_total, p1_placed, 0, 0, 1000.0, 0.0, 0, 1.0, {"RN5": 0.5})


def test_the_largest_census_needs_every_smaller_one_to_carry_too():
    s = tiny()
    level = ServiceLevel(1.0, 0.98, 0.95)
    results = {
        DayTask(s, 50, 0, 1): _m(10), DayTask(s, 50, 1, 1): _m(10),
        DayTask(s, 100, 0, 1): _m(10), DayTask(s, 100, 1, 1): _m(9),
        DayTask(s, 150, 0, 1): _m(10), DayTask(s, 150, 1, 1): _m(10),
    }  # fmt: skip
    summaries = summarise(by_census(results), level)
    assert [x.days_ok for x in summaries] == [2, 1, 2]
    assert largest_census(summaries, level) == 50
    lenient = ServiceLevel(1.0, 0.98, 0.5)
    assert largest_census(summarise(by_census(results), lenient), lenient) == 150
    assert largest_census(summarise([(50, _m(9))], level), level) is None


# --- sweeps ----------------------------------------------------------------------------------


def test_a_sweep_measures_every_day_and_resumes_without_solving_again(tmp_path, monkeypatch):
    s = tiny(sizes=(5, 40))
    calls = []
    real = sweep_mod.solve_day

    def counting(task):
        calls.append(task.key())
        return real(task)

    monkeypatch.setattr(sweep_mod, "solve_day", counting)
    seen = []
    first = sweep(s, tmp_path, seeds=range(2), time_limit_s=1, workers=1,
                  should_stop=lambda: len(calls) >= 3, progress=lambda d, t: seen.append(d))  # fmt: skip
    assert sum(x.days for x in first.summaries) == 3
    assert len(calls) == 3  # stopped early; what was solved is kept
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 3 and seen[-1] == 3
    result = sweep(s, tmp_path, seeds=range(2), time_limit_s=1, workers=1)
    assert len(calls) == 4  # only the missing day was solved
    assert [x.days for x in result.summaries] == [2, 2]
    assert all(x.violations == 0 for x in result.summaries)
    small, big = result.summaries
    assert big.visits.mean > 4 * small.visits.mean
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert {r["census"] for r in rows} == {5, 40}
    level = ServiceLevel()
    for summary in (small, big):
        days = [DayMetrics.from_dict(r["metrics"]) for r in rows if r["census"] == summary.census]
        assert summary.days_ok == sum(level.day_ok(m) for m in days)
    assert small.placed.mean > big.placed.mean  # six clinicians: five patients, not forty


def test_the_cli_sweep_writes_a_summary_and_refuses_bad_sizes(tmp_path, capsys):
    scen = tmp_path / "tiny.toml"
    text = scenario_toml(tiny())
    scen.write_text(text)
    out = tmp_path / "out"
    code = main(["capacity", "sweep", "--scenario", str(scen), "--sizes", "4,8", "--seeds", "1",
                 "--time-limit", "1", "--workers", "1", "--out", str(out), "--no-plot"])  # fmt: skip
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [r["census"] for r in summary["rows"]] == [4, 8]
    assert summary["largest_census"] in (None, 4, 8)
    assert "Answer:" in capsys.readouterr().out
    bad = tmp_path / "bad"
    assert main(["capacity", "sweep", "--sizes", "10,x", "--out", str(bad)]) == 2
    assert not bad.exists()


def test_the_roster_search_finds_a_smaller_roster_that_still_carries(tmp_path):
    start = {"early": {"RN6": 4, "HCA": 3, "AP": 2}, "late": {"RN6": 3}, "night": {"RN6": 2}}
    s = tiny(roster=start)
    search = smallest_roster(s, 6, tmp_path, seeds=(0,), time_limit_s=1, max_trials=10,
                             workers=1)  # fmt: skip
    best = search.best_trial
    assert best is not None and best.carries
    assert best.clinicians < sum(sum(r.values()) for r in start.values())
    assert all(t.days == 1 for t in search.trials)
    assert len(search.trials) <= 10
    failing = [t for t in search.trials if not t.carries]
    assert all(t.days_ok < t.days for t in failing)


# --- Ray ---------------------------------------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("HAH_REQUIRE_RAY") != "1" and not __import__("importlib").util.find_spec("ray"),
    reason="Ray is an optional extra (pip install -e '.[ray]'); CI installs it",
)
def test_the_same_sweep_runs_on_a_local_ray_instance(tmp_path):
    pids = run_all(range(3), worker_pid, ray_address="local")
    assert len(pids) == 3 and all(pid != os.getpid() for _, pid in pids)
    s = tiny(sizes=(5,))
    result = sweep(s, tmp_path, seeds=range(2), time_limit_s=1, ray_address="local")
    assert result.summaries[0].days == 2 and result.summaries[0].violations == 0
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 2


def test_sample_toml_is_printed_by_the_cli(capsys):
    assert main(["capacity", "scenario"]) == 0
    text = capsys.readouterr().out
    assert "[roster]" in text and "night" in text
    assert text == scenario_toml(sample_scenario())


def test_the_local_pool_runs_tasks_in_other_processes():
    done = []
    pids = run_all(range(4), worker_pid, workers=2, on_result=lambda t, r: done.append(t))
    assert sorted(done) == [0, 1, 2, 3]
    assert all(pid != os.getpid() for _, pid in pids)

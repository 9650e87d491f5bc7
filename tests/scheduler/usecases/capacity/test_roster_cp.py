"""The roster question by CP-SAT: the covering model picks the cheaper cell, never returns a
roster short of the demand, and the verification loop solves real days (every rota through
the independent checker) and tightens when one fails."""

from __future__ import annotations

import itertools
import json
from datetime import date

from scheduler.cli import main
from scheduler.domain.capacity.days import census_day, census_visits
from scheduler.domain.capacity.demand import (
    Allowances,
    DayDemand,
    day_demand,
    interval_shortfalls,
)
from scheduler.domain.capacity.metrics import DayMetrics
from scheduler.domain.capacity.scenario import Census, Scenario, sample_scenario, scenario_toml
from scheduler.domain.capacity.summary import ServiceLevel
from scheduler.domain.check import check
from scheduler.domain.localtime import at_local
from scheduler.domain.model import Location, Visit, Window
from scheduler.domain.problem import build_problem
from scheduler.usecases.capacity.roster_cp import (
    census_demand,
    cheapest_roster,
    covers,
    smallest_roster_cp,
)
from solver import SolveOptions, solve

DAY = date(2026, 11, 23)
HERE = Location(51.75, -0.34)


def obs(vid: str, start: int, end: int) -> Visit:
    return Visit(vid, vid, HERE, Window(at_local(DAY, start), at_local(DAY, end)), 20,
                 frozenset({"OBS"}))  # fmt: skip


def morning() -> DayDemand:
    """Observations between 09:00 and 13:00: an early shift (450 paid minutes) and a long
    day (660) could each make them."""
    return day_demand([obs(f"P{i}", 9, 13) for i in range(6)], DAY, "morning")


def test_the_model_picks_the_cheaper_cell_that_covers_the_same_work():
    allow = Allowances(0.8, 10.0)
    cells = [("early", "HCA"), ("long", "HCA")]
    answer = cheapest_roster([morning()], allow, cells=cells, time_limit_s=5)
    assert answer is not None and answer.optimal
    assert set(answer.roster) == {"early"}  # 6 × 30 min fit one early HCA's morning
    assert answer.paid_hours == 7.5
    # with only long days allowed, the same work costs a long day
    only_long = cheapest_roster([morning()], allow, cells=[("long", "HCA")], time_limit_s=5)
    assert only_long is not None and only_long.paid_hours == 11.0
    # an AP could do it too, at the same paid hours; the service's mix decides the grade
    cells = [("early", "AP"), ("early", "HCA")]
    for grade in ("AP", "HCA"):
        got = cheapest_roster([morning()], allow, cells=cells, time_limit_s=5,
                              mix={"early": {grade: 3}})  # fmt: skip
        assert got is not None and got.mixed and got.roster == {"early": {grade: 1}}


def test_a_roster_short_of_the_demand_is_never_returned():
    allow = Allowances(0.8, 10.0)
    # forty observations in four hours are more than one early HCA, or two, can make
    busy = day_demand([obs(f"P{i}", 9, 13) for i in range(40)], DAY, "busy")
    assert cheapest_roster([busy], allow, cells=[("early", "HCA")], max_per_cell=2) is None
    # nobody on any shift may make an AP review: no roster of HCAs covers it
    review = Visit("R", "R", HERE, Window(at_local(DAY, 9), at_local(DAY, 17)), 45,
                   frozenset({"AP"}))  # fmt: skip
    assert cheapest_roster([day_demand([review], DAY)], allow, cells=[("early", "HCA")]) is None
    # a census: the answer covers every day, and passes the model-free check too
    scenario = sample_scenario()
    days = census_demand(scenario, 40, (0, 1))
    answer = cheapest_roster(days, allow, time_limit_s=5)
    assert answer is not None
    assert covers(answer.roster, days, allow)
    assert interval_shortfalls(answer.roster, days, allow) == []
    assert answer.bound_hours <= answer.paid_hours + 1e-6
    # and one clinician fewer in its largest cell no longer covers some day, or the model
    # was not at its fewest paid hours (it reports whether it proved them)
    kind, role = max(((k, r) for k, v in answer.roster.items() for r in v),
                     key=lambda c: answer.roster[c[0]][c[1]])  # fmt: skip
    less = {k: dict(v) for k, v in answer.roster.items()}
    less[kind][role] -= 1
    assert not covers(less, days, allow) or not answer.optimal


def test_the_census_days_the_model_sees_are_the_days_verified():
    scenario = sample_scenario()
    visits = census_visits(scenario, 30, 2)
    solved, _ = census_day(scenario, 30, 2)
    assert [(v.visit_id, v.window, v.skills) for v in visits] == [
        (v.visit_id, v.window, v.skills) for v in solved
    ]


def tiny() -> Scenario:
    base = sample_scenario()
    roster = {"early": {"RN6": 2, "HCA": 1, "AP": 1}, "late": {"RN6": 1}, "night": {"RN6": 1}}
    return Scenario("tiny", base.day, Census((8,)), roster)


def test_verification_solves_checked_days_and_tightens_when_one_fails(tmp_path):
    # A cap of 1 and no travel allowance: the model's first roster has no time to drive, so
    # real days fail and the loop must tighten (cuts or a lower cap) before one carries.
    search = smallest_roster_cp(tiny(), 8, tmp_path, seeds=(0, 1), time_limit_s=1,
                                utilisation=1.0, prior_travel_min=0.0, step=0.2,
                                max_rounds=4, workers=1)  # fmt: skip
    cands = search.candidates
    assert cands, search.stopped
    first = cands[0]
    assert not first.trial.carries and first.failed_days
    for before, after in itertools.pairwise(cands):
        if not before.trial.carries:  # tightened: more cuts or a lower cap
            assert after.cuts > before.cuts or after.utilisation < before.utilisation
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    # every candidate on both days, each roster solved once: a round may propose a roster
    # an earlier round had (the store answers it without solving again)
    rosters = {json.dumps(c.trial.roster, sort_keys=True) for c in cands}
    assert len(rows) == 2 * len(rosters)
    assert {(r["key"].split("|")[1], r["seed"]) for r in rows} == {
        (k, s) for k in {r["key"].split("|")[1] for r in rows} for s in (0, 1)
    }
    level = ServiceLevel()
    for row in rows:
        m = row["metrics"]
        assert m["violations"] == 0  # the independent checker's count (plan_day checks)
        assert "profile" in m and set(m["profile"]) >= {"travel_by_hour", "unplaced"}
        unplaced = m["visits"] - m["placed"]
        assert len(m["profile"]["unplaced"]) == unplaced
    for c in cands:
        assert c.trial.days == 2 and c.trial.days_ok <= 2
        assert c.trial.carries == (c.trial.days_ok == 2)
    best = search.best_trial
    if best is not None:
        # the best roster's days, solved again here and checked by the checker
        visits, shifts = census_day(tiny().with_roster(best.roster), 8, 0)
        problem = build_problem(visits, shifts, cache_dir=False)
        rota = solve(problem, SolveOptions(time_limit_s=1)).rota
        assert not check(problem, rota).violations
        m = next(r["metrics"] for r in rows if r["seed"] == 0
                 and r["key"].startswith("profiled|" + tiny().with_roster(best.roster).key()))  # fmt: skip
        assert level.day_ok(DayMetrics.from_dict(m))


def test_the_cli_answers_the_roster_question_by_cp_sat(tmp_path, capsys):
    scen = tmp_path / "tiny.toml"
    scen.write_text(scenario_toml(tiny()))
    out = tmp_path / "out"
    code = main(["capacity", "roster", "--census", "6", "--scenario", str(scen), "--seeds", "1",
                 "--time-limit", "1", "--rounds", "2", "--workers", "1", "--out", str(out)])  # fmt: skip
    assert code == 0
    data = json.loads((out / "roster_6.json").read_text())
    assert data["method"] == "cp-sat" and data["candidates"]
    assert all(c["trial"]["days"] == 1 for c in data["candidates"])
    text = capsys.readouterr().out
    assert "Answer:" in text
    assert main(["capacity", "roster", "--census", "6", "--utilisation", "2",
                 "--out", str(tmp_path / "bad")]) == 2  # fmt: skip

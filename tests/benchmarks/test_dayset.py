"""The day-suite generator (``benchmarks/dayset``) and its benchmark (``bench_suite.py``).

The generator must be deterministic per seed, write days the product reads without error,
and show each axis of its spec in what it writes; the suite's specs must be distinct and span
the issue's range; the benchmark must run end to end on a tiny day, every rota checked.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from benchmarks.dayset import DaySpec, generate, staffing_figures, write_day
from benchmarks.dayset.geo import GEO_DIR
from benchmarks.dayset.suite import SUITE, pick
from scheduler.domain.formats.day import read_day
from scheduler.domain.problem import build_problem
from scheduler.domain.travel import Geodesic

pytestmark = pytest.mark.skipif(
    not (GEO_DIR / "uk_outcode_centroids_gibbs.csv").exists(),
    reason=f"postcode-district centroids not found in {GEO_DIR}",
)

BASE = DaySpec("test", 77, 250)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_same_seed_makes_the_same_day_and_another_seed_another():
    assert generate(BASE) == generate(BASE)
    assert generate(BASE) != generate(replace(BASE, seed=78))


def test_a_written_day_is_read_by_read_day_and_builds_a_problem(tmp_path):
    info = write_day(BASE, tmp_path)
    visits, shifts = read_day(tmp_path / "visits.csv", tmp_path / "clinicians.csv")
    problem = build_problem(visits, shifts, Geodesic())
    assert len(problem.visits) == info["figures"]["visits"] >= BASE.n_visits
    assert len(problem.shifts) == info["figures"]["clinicians"]
    assert json.loads((tmp_path / "spec.json").read_text())["spec"]["seed"] == BASE.seed
    # Synthetic people only: invented ids and syllable names.
    assert all(s.clinician_id.startswith("K") for s in shifts)
    assert all(v.patient_id.startswith("Q") for v in visits)


def test_the_visit_count_is_near_the_target():
    for n in (250, 900):
        visits, _ = generate(replace(BASE, n_visits=n))
        assert n <= len(visits) <= n + 8


@pytest.mark.parametrize("ratio", [0.8, 1.0, 1.3])
def test_staffing_ratio_is_what_the_spec_asks(ratio):
    visits, clinicians = generate(replace(BASE, n_visits=400, staffing=ratio))
    got = staffing_figures(visits, clinicians)["staffing"]
    assert abs(got - ratio) <= 0.06 * ratio, got


def test_double_handed_gap_linked_pinned_and_preferred_shares_show():
    spec = replace(BASE, n_visits=500, double_handed=0.12, gap_linked=0.18, pinned=0.05,
                   preferred=0.3)  # fmt: skip
    visits, clinicians = generate(spec)
    n = len(visits)
    ids = {c["clinician_id"] for c in clinicians}
    assert sum(v["staff"] == "2" for v in visits) == pytest.approx(0.12 * n, abs=2)
    assert sum(bool(v["after_visit"]) for v in visits) == pytest.approx(0.18 * n, abs=2)
    assert sum(bool(v["pinned_clinician"]) for v in visits) == pytest.approx(0.05 * n, abs=2)
    assert sum(bool(v["preferred_clinician"]) for v in visits) == pytest.approx(0.3 * n, abs=3)
    assert {v["pinned_clinician"] for v in visits} - {""} <= ids
    assert {v["preferred_clinician"] for v in visits} - {""} <= ids
    # A gap its follower's window can honour: follower's window end ≥ leader start + dur + gap.
    by_id = {v["visit_id"]: v for v in visits}
    for v in visits:
        if v["after_visit"]:
            a = by_id[v["after_visit"]]
            earliest = datetime.fromisoformat(a["window_start"]).timestamp() / 60 + int(
                a["duration_min"]
            ) + int(v["min_gap_min"])
            assert datetime.fromisoformat(v["window_end"]).timestamp() / 60 >= earliest


def _dawn_share(visits: list[dict[str, str]]) -> float:
    """Share of patients with timed doses whose first dose window opens before 08:00."""
    first: dict[str, datetime] = {}
    for v in visits:
        if v["priority"] == "1":
            t = datetime.fromisoformat(v["window_start"])
            first[v["patient_id"]] = min(first.get(v["patient_id"], t), t)
    return sum(t.hour < 8 for t in first.values()) / len(first)


def test_a_dawn_rush_spec_puts_more_first_doses_before_eight():
    calm, _ = generate(replace(BASE, n_visits=500, dawn_rush=0.05))
    rush, _ = generate(replace(BASE, n_visits=500, dawn_rush=0.8))
    assert _dawn_share(rush) > _dawn_share(calm) + 0.4


def test_rural_patients_lie_farther_from_their_district_than_urban_ones():
    visits, _ = generate(replace(BASE, n_visits=600, geography=(0.4, 0.3, 0.3), rural_km=10.0))
    km = {s: [float(v["km_from_centroid"]) for v in visits if v["setting"] == s]
          for s in ("urban", "town", "rural")}  # fmt: skip
    assert statistics.median(km["rural"]) > 2 * statistics.median(km["urban"])
    assert statistics.median(km["town"]) > statistics.median(km["urban"])


def test_base_layouts_show_in_the_start_places():
    def starts(layout: str) -> set[tuple[str, str]]:
        _, cs = generate(replace(BASE, base_layout=layout, n_bases=4))  # type: ignore[arg-type]
        return {(c["start_lat"], c["start_lon"]) for c in cs}

    assert len(starts("hub")) == 1
    assert 2 <= len(starts("bases")) <= 4
    homes = starts("home")
    assert len(homes) > 10


def test_the_shift_mix_and_regimen_mix_show():
    _, cs = generate(replace(BASE, n_visits=600,
                             shift_mix={"long_day": 1.0}))  # fmt: skip
    assert {(c["shift_start"][11:], c["shift_end"][11:]) for c in cs} == {("07:30", "20:00")}
    only_iv, _ = generate(replace(BASE, regimen_mix={"iv_q8h": 1.0}))
    with_iv = {v["patient_id"] for v in only_iv if v["visit_type"] == "IV dose (q8h)"}
    assert with_iv == {v["patient_id"] for v in only_iv}  # every patient's main treatment
    only_obs, _ = generate(replace(BASE, regimen_mix={"obs": 1.0}))
    assert not any(v["priority"] == "1" for v in only_obs)  # no timed doses at all


def test_the_suite_is_distinct_and_spans_the_issue_axes():
    assert len(SUITE) >= 10
    assert len({s.name for s in SUITE}) == len({s.seed for s in SUITE}) == len(SUITE)
    specs = [json.dumps({**s.to_json(), "name": "", "seed": 0, "note": ""}, sort_keys=True)
             for s in SUITE]  # fmt: skip
    assert len(set(specs)) == len(SUITE)
    assert all(250 <= s.n_visits <= 2000 for s in SUITE)
    assert all(0.8 <= s.staffing <= 1.3 for s in SUITE)
    assert min(s.n_visits for s in SUITE) == 250 and max(s.n_visits for s in SUITE) == 2000
    assert {s.base_layout for s in SUITE} == {"hub", "bases", "home"}
    assert any(s.n_visits == 1000 and s.staffing <= 0.85 for s in SUITE)
    assert any(s.dawn_rush >= 0.5 for s in SUITE)
    assert any(s.double_handed >= 0.1 and s.gap_linked >= 0.1 for s in SUITE)
    assert any(s.geography[2] >= 0.5 for s in SUITE)
    assert pick("rural-400")[0].name == "rural-400"
    with pytest.raises(KeyError):
        pick("no-such-day")


def test_bench_suite_runs_end_to_end_on_a_tiny_day(tmp_path, monkeypatch):
    """Ours and greedy (and VROOM, which is a bench dependency) on a 40-visit day with a 1 s
    limit: every rota is checked, ours and greedy clean, VROOM's repaired rota clean too."""
    from benchmarks import bench_suite

    tiny = replace(BASE, name="tiny", n_visits=40, staffing=1.3)
    monkeypatch.setattr(bench_suite, "pick", lambda names: [tiny])
    solvers = "ours,greedy"
    try:
        import vroom  # noqa: F401

        solvers += ",vroom1"
    except ImportError:
        pass
    results, out = tmp_path / "RESULTS.md", tmp_path / "runs.json"
    rc = bench_suite.main(["--days", "tiny", "--time-limit", "1", "--solvers", solvers,
                           "--results", str(results), "--json", str(out),
                           "--out", str(tmp_path / "days")])  # fmt: skip
    assert rc == 0
    days = json.loads(out.read_text())
    assert [r["solver"] for r in days[0]["runs"]] == solvers.split(",")
    for r in days[0]["runs"]:
        assert r["violations"] == 0, (r["solver"], r["violation_kinds"])
        assert r["kpis"]["visits_total"] == days[0]["figures"]["visits"]
    text = results.read_text()
    assert "<!-- day_suite:begin -->" in text and "seed 77" in text
    assert not math.isnan(bench_suite.per_visit(days[0]["runs"][0]))


def test_vroom_repaired_to_the_real_rules_checks_clean(tmp_path):
    """Repair takes out what breaks pairing, pins and gaps (cascading): nothing is left for
    the checker to find, on a day heavy in all three; unrepaired, VROOM breaks only those."""
    pytest.importorskip("vroom", reason="pyvroom is not installed (pip install pyvroom==1.15.2)")
    from benchmarks.hah_vroom import UNMODELLED_RULES, solve_vroom
    from scheduler.domain.check import check

    spec = replace(BASE, n_visits=150, double_handed=0.2, gap_linked=0.25, pinned=0.1)
    write_day(spec, tmp_path)
    visits, shifts = read_day(tmp_path / "visits.csv", tmp_path / "clinicians.csv")
    problem = build_problem(visits, shifts, Geodesic())
    raw = check(problem, solve_vroom(problem, 1.0))
    assert {v.rule for v in raw.violations} <= UNMODELLED_RULES
    repaired = solve_vroom(problem, 1.0, threads=2, repair=True)
    report = check(problem, repaired)
    assert report.violations == (), [str(v) for v in report.violations]
    placed = {vid for r in repaired.routes for vid in r.visit_ids}
    by_id = {v.visit_id: v for v in problem.visits}
    for vid in placed:
        after = by_id[vid].after_visit
        assert after is None or after in placed  # the cascade

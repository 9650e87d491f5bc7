"""The command line on whole days: the bundled sample and a day the project has never seen."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.domain.careplan import write_clinicians_csv, write_visits_csv
from scheduler.domain.check import check
from scheduler.domain.formats.day import read_day
from scheduler.domain.formats.rota import read_matrix, read_rota
from scheduler.domain.localtime import local
from scheduler.domain.model import Location, Reason
from scheduler.domain.problem import build_problem
from scheduler.domain.samples import SAMPLE_DIR
from scheduler.domain.synth import generate_service, service_day_visits

SAMPLE = SAMPLE_DIR


def recheck(visits_csv: Path, clinicians_csv: Path, out: Path):
    """Re-read everything from disk and run the checker on what was written."""
    visits, shifts = read_day(visits_csv, clinicians_csv)
    problem = build_problem(visits, shifts, matrix=read_matrix(out))
    return problem, check(problem, read_rota(out, problem))


@pytest.mark.slow
def test_sample_day_demo_places_every_priority_one_visit(tmp_path, capsys):
    """`hah demo` at its 60 s default: a readable rota, 0 violations, every IV dose placed."""
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["priority1_unassigned"] == 0
    assert summary["violations"] == 0
    assert summary["visits_assigned"] >= 0.97 * summary["visits_total"]
    html = (out / "rota.html").read_text()
    assert "Hospital at Home rota" in html and "<svg" in html
    _problem, report = recheck(SAMPLE / "visits.csv", SAMPLE / "clinicians.csv", out)
    assert report.violations == ()
    assert main(["check", "--visits", str(SAMPLE / "visits.csv"), "--clinicians",
                 str(SAMPLE / "clinicians.csv"), "--rota", str(out)]) == 0  # fmt: skip
    assert "Visits placed" in capsys.readouterr().out


def unseen_day(folder: Path) -> tuple[Path, Path, dict]:
    """Another seed and size, with every optional column used: pins (one to a clinician who
    cannot make it), visit limits, shifts ending at home, preferences."""
    day = date(2027, 2, 9)
    service = generate_service(70, 99, day)
    visits = service_day_visits(service, day)
    shifts = list(service.shifts)
    from dataclasses import replace

    shifts[0] = replace(shifts[0], max_visits=3, end_location=Location(51.85, -0.25))
    night = next(s for s in shifts if local(s.start).hour == 21)
    early = next(s for s in shifts if local(s.start).hour == 7 and "IV" in s.skills)
    day_dose = next(
        v for v in visits if v.priority == 1 and local(v.window.start).hour in (9, 10, 11)
    )
    obs = next(v for v in visits if v.visit_type == "NEWS2 observations")
    visits = [
        replace(v, pinned_clinician=night.clinician_id) if v is day_dose
        else replace(v, pinned_clinician=early.clinician_id) if v is obs and local(obs.window.start).hour < 15
        else v
        for v in visits
    ]  # fmt: skip
    write_visits_csv(visits, folder / "visits.csv")
    write_clinicians_csv(shifts, folder / "clinicians.csv")
    return folder / "visits.csv", folder / "clinicians.csv", {
        "bad_pin": day_dose.visit_id, "night": night.clinician_id, "limited": shifts[0].clinician_id,
    }  # fmt: skip


def test_a_day_never_seen_solves_cleanly_with_honest_reasons(tmp_path):
    """Every optional column in use; 0 violations; the impossible pin is explained as such."""
    v_csv, c_csv, facts = unseen_day(tmp_path)
    out = tmp_path / "out"
    assert main(["solve", "--visits", str(v_csv), "--clinicians", str(c_csv), "--out", str(out),
                 "--time-limit", "15", "--seed", "3", "--export-matrix", "--quiet"]) == 0  # fmt: skip
    problem, report = recheck(v_csv, c_csv, out)
    assert report.violations == ()
    rows = {r["visit_id"]: r for r in csv.DictReader((out / "unassigned.csv").open())}
    assert rows[facts["bad_pin"]]["code"] == Reason.PIN_OFF_SHIFT.value
    assert facts["night"] in rows[facts["bad_pin"]]["reason"]
    assert all(r["reason"] and r["code"] != Reason.OTHER.value for r in rows.values())
    limited = read_rota(out, problem).route_of(facts["limited"])
    assert limited is None or len(limited.visit_ids) <= 3


def test_an_iteration_budget_gives_the_same_rota_and_a_time_limit_says_it_may_not(tmp_path, capsys):
    """`--iterations N --seed S` twice (two cooperating searches each time): the same rota
    file, byte for byte, checked; a time-limited run says that another run may differ."""
    v_csv, c_csv, _ = unseen_day(tmp_path)
    written = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["solve", "--visits", str(v_csv), "--clinicians", str(c_csv), "--out",
                     str(out), "--iterations", "300", "--seed", "5", "--workers", "2",
                     "--export-matrix", "--quiet"]) == 0  # fmt: skip
        assert recheck(v_csv, c_csv, out)[1].violations == ()
        written.append((out / "rota.csv").read_bytes())
    assert written[0] == written[1]
    assert "another run may give another rota" not in capsys.readouterr().out
    out = tmp_path / "timed"
    assert main(["solve", "--visits", str(v_csv), "--clinicians", str(c_csv), "--out", str(out),
                 "--time-limit", "2", "--export-matrix", "--quiet"]) == 0  # fmt: skip
    assert recheck(v_csv, c_csv, out)[1].violations == ()
    assert "another run may give another rota" in capsys.readouterr().out

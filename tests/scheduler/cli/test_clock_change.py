"""The command line on the October clock-change night: files in, rota out, checked, re-planned.

The day is tests/scheduler/domain/formats/data/clock/october_*.csv: two 21:00–07:30 nights
(11.5 h) and a visit in each of the two 01:xx hours, written with their offsets.
"""

from __future__ import annotations

import csv

import pytest

from scheduler.cli import main
from scheduler.domain.formats.day import read_day
from scheduler.domain.formats.rota import read_matrix, read_rota
from scheduler.domain.localtime import parse_contract
from scheduler.domain.problem import build_problem
from tests.support.formats import DATA

CLOCK = DATA / "clock"
DAY = ["--visits", str(CLOCK / "october_visits.csv"), "--clinicians",
       str(CLOCK / "october_clinicians.csv")]  # fmt: skip


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    out = tmp_path_factory.mktemp("october") / "rota"
    assert main(["solve", *DAY, "--out", str(out), "--iterations", "200", "--seed", "1",
                 "--export-matrix", "--quiet"]) == 0  # fmt: skip
    return out


def test_hah_solve_writes_local_times_with_offsets_only_in_the_repeated_hour(solved):
    rows = list(csv.DictReader((solved / "rota.csv").open()))
    starts = {r["visit_id"]: r["start"] for r in rows if r["kind"] == "visit"}
    assert set(starts) == {"V1", "V2", "V3", "V4", "V5"}
    assert starts["V2"].startswith("2026-10-25T01:") and starts["V2"].endswith("+01:00")
    assert starts["V3"].startswith("2026-10-25T01:") and starts["V3"].endswith("+00:00")
    for vid in ("V1", "V4", "V5"):
        assert "+" not in starts[vid] and "Z" not in starts[vid]
    assert parse_contract(starts["V3"]) > parse_contract(starts["V2"])


def test_hah_check_reads_it_back_and_finds_no_violation(solved, capsys):
    assert main(["check", *DAY, "--rota", str(solved)]) == 0
    assert "feasible: 0 violations" in capsys.readouterr().err
    visits, shifts = read_day(CLOCK / "october_visits.csv", CLOCK / "october_clinicians.csv")
    problem = build_problem(visits, shifts, matrix=read_matrix(solved))
    assert read_rota(solved, problem).assigned_visit_ids == {"V1", "V2", "V3", "V4", "V5"}


def test_now_in_the_repeated_hour_needs_its_offset(solved, tmp_path, capsys):
    """``--now 2026-10-25T01:30`` could be either 01:30: refused (exit 2) naming the flag and
    both offsets; with an offset the re-plan runs and keeps the visits already made."""
    out = tmp_path / "replan"
    assert main(["replan", *DAY, "--rota", str(solved), "--now", "2026-10-25T01:30",
                 "--out", str(out)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "--now" in err and "happens twice" in err and "2026-10-25T01:30+00:00" in err
    assert not out.exists()
    assert main(["replan", *DAY, "--rota", str(solved), "--now", "2026-10-25T01:30+00:00",
                 "--out", str(out), "--time-limit", "2"]) == 0  # fmt: skip
    assert "re-planned at 01:30" in capsys.readouterr().out
    assert main(["check", *DAY, "--rota", str(out)]) == 0


def test_now_the_clocks_skip_is_refused(solved, tmp_path, capsys):
    assert main(["replan", *DAY, "--rota", str(solved), "--now", "2026-03-29T01:30",
                 "--out", str(tmp_path / "x")]) == 2  # fmt: skip
    assert "does not exist" in capsys.readouterr().err

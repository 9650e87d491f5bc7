"""Writing a rota's files with the contract's layout, all or nothing (``formats.solution``)."""

from __future__ import annotations

import json

import pytest

from scheduler.domain.formats.rota import read_matrix
from scheduler.domain.formats.solution import write_solution
from scheduler.domain.model import Rota, Unassigned
from tests.support.formats import small_problem, small_rota


def test_written_files_have_the_contract_layout(tmp_path):
    """Exact headers, times without seconds, seq 1..n per clinician, sorted-key JSON."""
    problem = small_problem()
    summary = {"b": 1, "a": [1, 2]}
    write_solution(tmp_path, problem, small_rota(problem), summary, export_matrix=True)
    rota = (tmp_path / "rota.csv").read_text().splitlines()
    assert rota[0] == "clinician_id,seq,kind,visit_id,arrive,start,end,travel_min"
    assert rota[1] == "N1,1,visit,V1,2026-11-23T08:00,2026-11-23T08:00,2026-11-23T08:30,4"
    assert rota[3] == "N1,3,break,,2026-11-23T11:00,2026-11-23T11:00,2026-11-23T11:30,0"
    assert rota[4].startswith("H1,1,visit,V4,")
    unassigned = (tmp_path / "unassigned.csv").read_text().splitlines()
    assert unassigned[0] == "visit_id,reason,code"
    assert unassigned[1].endswith(",qualified_clinicians_fully_booked")
    assert (tmp_path / "summary.json").read_text().strip() == json.dumps(
        summary, indent=2, sort_keys=True
    )
    n = len(problem.travel)
    assert (tmp_path / "locations.csv").read_text().splitlines()[0] == "index,lat,lon"
    matrix_lines = (tmp_path / "travel_min.csv").read_text().splitlines()
    assert len(matrix_lines) == n and all(len(line.split(",")) == n for line in matrix_lines)


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    """An unserialisable summary aborts before any file reaches a new output folder."""
    problem = small_problem()
    out = tmp_path / "out"
    with pytest.raises(TypeError):
        write_solution(out, problem, small_rota(problem), {"bad": object()}, export_matrix=True)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_an_existing_folder_as_it_was(tmp_path):
    """Over an earlier run's output, a failed write changes no file and adds none."""
    problem = small_problem()
    write_solution(tmp_path / "out", problem, small_rota(problem), {"run": 1})
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    empty = Rota((), tuple(Unassigned(v.visit_id, "x") for v in problem.visits))
    with pytest.raises(TypeError):
        write_solution(tmp_path / "out", problem, empty, {"run": {1, 2}}, export_matrix=True)
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_rerun_without_the_matrix_removes_the_stale_one(tmp_path):
    """A later run without --export-matrix must not leave another run's matrix to be read."""
    problem = small_problem()
    write_solution(tmp_path, problem, small_rota(problem), {}, export_matrix=True)
    assert read_matrix(tmp_path) is not None
    write_solution(tmp_path, problem, small_rota(problem), {})
    assert read_matrix(tmp_path) is None

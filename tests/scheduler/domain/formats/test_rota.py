"""Reading a rota and an exported matrix back, refusing hand-edited damage (``formats.rota``)."""

from __future__ import annotations

import pytest

from scheduler.domain.errors import InputError
from scheduler.domain.formats.rota import read_matrix, read_rota
from scheduler.domain.formats.solution import write_solution
from tests.support.formats import small_problem, small_rota


def test_solution_round_trips_through_the_files(tmp_path):
    """write_solution then read_rota/read_matrix give back the same routes, reasons, matrix."""
    problem = small_problem()
    rota = small_rota(problem)
    out = tmp_path / "new" / "out"
    written = write_solution(out, problem, rota, {"visits_total": 5}, export_matrix=True)
    assert sorted(p.name for p in written) == sorted(p.name for p in out.iterdir())
    back = read_rota(out, problem)
    assert back.routes == rota.routes and back.unassigned == rota.unassigned
    matrix = read_matrix(out)
    assert matrix is not None and matrix.model_name == "exported"
    assert (matrix.minutes == problem.travel.minutes).all()
    assert matrix.locations == problem.travel.locations


def test_no_matrix_files_means_none(tmp_path):
    """read_matrix returns None when neither matrix file is there."""
    assert read_matrix(tmp_path) is None


def test_a_matrix_with_a_row_missing_is_refused(tmp_path):
    """travel_min.csv must have n rows for the n rows of locations.csv."""
    problem = small_problem()
    write_solution(tmp_path, problem, small_rota(problem), {}, export_matrix=True)
    lines = (tmp_path / "travel_min.csv").read_text().splitlines()
    (tmp_path / "travel_min.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InputError) as err:
        read_matrix(tmp_path)
    assert [(i.file, i.row) for i in err.value.issues] == [("travel_min.csv", None)]
    assert f"{len(lines)}×{len(lines)}" in err.value.issues[0].message


def test_a_matrix_with_a_short_row_is_refused_at_that_row(tmp_path):
    """A row of travel_min.csv with one number too few is named by its row."""
    problem = small_problem()
    write_solution(tmp_path, problem, small_rota(problem), {}, export_matrix=True)
    lines = (tmp_path / "travel_min.csv").read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]
    (tmp_path / "travel_min.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        read_matrix(tmp_path)
    assert [(i.file, i.row) for i in err.value.issues] == [("travel_min.csv", 3)]


def test_a_matrix_cell_that_is_not_whole_minutes_is_refused(tmp_path):
    """Negative or fractional minutes are refused with row and column."""
    problem = small_problem()
    write_solution(tmp_path, problem, small_rota(problem), {}, export_matrix=True)
    lines = (tmp_path / "travel_min.csv").read_text().splitlines()
    cells = lines[1].split(",")
    cells[2], cells[3] = "-4", "2.5"
    lines[1] = ",".join(cells)
    (tmp_path / "travel_min.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        read_matrix(tmp_path)
    assert {(i.row, i.column) for i in err.value.issues} == {(2, "3"), (2, "4")}


def test_half_a_matrix_is_refused(tmp_path):
    """locations.csv without travel_min.csv is an error, not silently ignored."""
    problem = small_problem()
    write_solution(tmp_path, problem, small_rota(problem), {}, export_matrix=True)
    (tmp_path / "travel_min.csv").unlink()
    with pytest.raises(InputError, match=r"travel_min\.csv: file not found"):
        read_matrix(tmp_path)


def _edit_rota(tmp_path, old: str, new: str):
    problem = small_problem()
    write_solution(tmp_path, problem, small_rota(problem), {})
    text = (tmp_path / "rota.csv").read_text()
    assert old in text
    (tmp_path / "rota.csv").write_text(text.replace(old, new, 1))
    with pytest.raises(InputError) as err:
        read_rota(tmp_path, problem)
    return {(i.file, i.row, i.column) for i in err.value.issues}


def test_rota_with_a_bad_kind_is_refused(tmp_path):
    """A hand-edited rota.csv with an unknown stop kind names its row and column."""
    assert _edit_rota(tmp_path, ",break,", ",lunch,") == {("rota.csv", 4, "kind")}


def test_rota_rows_out_of_order_are_refused(tmp_path):
    """seq must run 1, 2, … per clinician in file order."""
    assert _edit_rota(tmp_path, "N1,2,", "N1,3,") == {
        ("rota.csv", 3, "seq"),
        ("rota.csv", 4, "seq"),
    }


def test_rota_with_a_bad_time_is_refused(tmp_path):
    """An unparsable time in rota.csv names its row and column."""
    found = _edit_rota(tmp_path, "2026-11-23T08:30", "half eight")
    assert found == {("rota.csv", 2, "end")}


def test_rota_missing_a_column_is_refused(tmp_path):
    """rota.csv without travel_min is refused at the header."""
    problem = small_problem()
    write_solution(tmp_path, problem, small_rota(problem), {})
    lines = (tmp_path / "rota.csv").read_text().splitlines()
    (tmp_path / "rota.csv").write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    with pytest.raises(InputError) as err:
        read_rota(tmp_path, problem)
    assert [(i.file, i.row, i.column) for i in err.value.issues] == [("rota.csv", 1, "travel_min")]

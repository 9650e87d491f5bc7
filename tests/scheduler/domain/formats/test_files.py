"""Reading the contract's files honestly, refusing bad ones precisely, writing atomically.

The corpus lives in tests/scheduler/domain/formats/data/: ``good/`` holds a day with every optional column (and the
same visits saved by Excel), ``bad/`` one defect per file, derived from the good pair.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from scheduler.cli import main
from scheduler.domain.errors import InputError
from scheduler.domain.formats.files import (
    read_clinicians,
    read_day,
    read_matrix,
    read_rota,
    read_visits,
    write_solution,
)
from scheduler.domain.model import Reason, Rota, Route, Stop, TravelMatrix, Unassigned
from scheduler.domain.problem import build_problem, distinct_locations

DATA = Path(__file__).parent / "data"
GOOD = DATA / "good"
GOOD_V, GOOD_C = GOOD / "visits.csv", GOOD / "clinicians.csv"
BAD = DATA / "bad"


# -- good input ----------------------------------------------------------------------------


def test_every_column_of_a_good_day_is_read():
    """Optional columns, extras, defaults and the break become the right model values."""
    visits, shifts = read_day(GOOD_V, GOOD_C)
    v = {x.visit_id: x for x in visits}
    s = {x.clinician_id: x for x in shifts}
    assert [x.visit_id for x in visits] == ["V1", "V2", "V3", "V4", "V5"]
    assert v["V1"].window.start == datetime(2026, 11, 23, 7, 30)
    assert v["V1"].window.end == datetime(2026, 11, 23, 8, 30)
    assert v["V1"].location.lat == pytest.approx(51.905)
    assert v["V1"].location.lon == pytest.approx(-0.21)
    assert v["V1"].duration_min == 30 and v["V1"].priority == 1
    assert v["V1"].preferred_clinician == "N1" and v["V1"].pinned_clinician is None
    assert v["V1"].visit_type == "IV antibiotic dose (q8h)"
    assert v["V1"].address == "1 Rowan Close SG1"
    assert v["V2"].skills == {"IV", "PICC"} and v["V2"].pinned_clinician == "N2"
    assert v["V3"].after_visit == "V2" and v["V3"].min_gap_min == 240
    assert v["V4"].staff == 2 and v["V4"].patient_id == "P3"
    assert v["V5"].priority == 3 and v["V5"].skills == frozenset()
    assert v["V1"].staff == 1 and v["V1"].min_gap_min == 0 and v["V1"].after_visit is None

    n1, n2, h1 = s["N1"], s["N2"], s["H1"]
    assert n1.name == "Alex Example" and n1.skills == {"RN", "IV", "OBS"}
    assert n1.start == datetime(2026, 11, 23, 7) and n1.end == datetime(2026, 11, 23, 15)
    assert n1.rest_break is not None and n1.rest_break.duration_min == 30
    assert n1.rest_break.window.start == datetime(2026, 11, 23, 11)
    assert n1.rest_break.window.end == datetime(2026, 11, 23, 13, 30)
    assert n1.max_visits == 10 and n1.role == "RN5" and n1.base == "Stevenage"
    assert n1.end_location == n1.start_location
    assert n2.end_location.lat == pytest.approx(51.8)
    assert n2.end_location.lon == pytest.approx(-0.2)
    assert n2.max_visits is None and n2.rest_break.duration_min == 60
    assert h1.rest_break is None and h1.role == "HCA" and h1.max_visits is None


def test_a_break_without_its_window_may_start_anywhere_in_the_shift(tmp_path):
    """break_min alone gives a break window equal to the shift."""
    lines = GOOD_C.read_text().splitlines()
    lines[3] = lines[3].replace(",,,,,,,HCA", ",,,20,,,,HCA")
    path = tmp_path / "clinicians.csv"
    path.write_text("\n".join(lines) + "\n")
    h1 = {s.clinician_id: s for s in read_clinicians(path)}["H1"]
    assert h1.rest_break is not None and h1.rest_break.duration_min == 20
    assert (h1.rest_break.window.start, h1.rest_break.window.end) == (h1.start, h1.end)


def test_an_excel_utf8_bom_is_not_part_of_the_first_column():
    """'CSV UTF-8' from Excel starts with a BOM; visit_id is still found and read."""
    assert (GOOD / "visits_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_visits(GOOD / "visits_bom.csv") == read_visits(GOOD_V)


def test_semicolons_and_decimal_commas_read_like_the_original():
    """A European-locale file (';' separator, '51,905') gives the same visits as the plain one."""
    assert b";51,9050;" in (GOOD / "visits_semicolon.csv").read_bytes()
    assert read_visits(GOOD / "visits_semicolon.csv") == read_visits(GOOD_V)


def test_excel_bom_semicolons_and_decimal_commas_together():
    """BOM + semicolons + decimal commas together, through read_day."""
    plain, _ = read_day(GOOD_V, GOOD_C)
    excel, _ = read_day(GOOD / "visits_excel.csv", GOOD_C)
    assert excel == plain


def test_unknown_preferred_clinician_and_extra_columns_are_accepted(tmp_path):
    """An unknown preferred_clinician is not an error; an unknown column is ignored."""
    lines = GOOD_V.read_text().splitlines()
    lines[0] += ",ward_note"
    lines[1] = lines[1].replace(",N1,", ",NOBODY,") + ",anything at all"
    path = tmp_path / "visits.csv"
    path.write_text("\n".join(lines) + "\n")
    visits, _ = read_day(path, GOOD_C)
    assert visits[0].preferred_clinician == "NOBODY"


def test_seconds_in_times_are_kept(tmp_path):
    """Seconds are allowed in times (rounding is the solver's business, not the reader's)."""
    path = tmp_path / "visits.csv"
    path.write_text(GOOD_V.read_text().replace("2026-11-23T07:30,", "2026-11-23T07:30:45,", 1))
    assert read_visits(path)[0].window.start == datetime(2026, 11, 23, 7, 30, 45)


# -- bad input: one defect per file --------------------------------------------------------

V, C = "visits", "clinicians"
CASES = [
    # (file under bad/, which role it plays, row, column, words in the message)
    ("visits_missing_column.csv", V, 1, "window_end", "required column is missing"),
    ("clinicians_missing_column.csv", C, 1, "shift_end", "required column is missing"),
    ("visits_bad_time.csv", V, 2, "window_start", "YYYY-MM-DDTHH:MM"),
    ("visits_date_only.csv", V, 3, "window_start", "no time of day"),
    ("clinicians_bad_time.csv", C, 2, "shift_start", "YYYY-MM-DDTHH:MM"),
    ("visits_window_reversed.csv", V, 3, "window_end", "before it starts"),
    ("clinicians_shift_reversed.csv", C, 2, "shift_end", "before it starts"),
    ("visits_zero_duration.csv", V, 4, "duration_min", "positive"),
    ("visits_negative_duration.csv", V, 4, "duration_min", "positive"),
    ("visits_fraction_duration.csv", V, 4, "duration_min", "whole number"),
    ("visits_staff_three.csv", V, 5, "staff", "1 or 2"),
    ("visits_priority_four.csv", V, 5, "priority", "1, 2 or 3"),
    ("visits_duplicate_id.csv", V, 6, "visit_id", "repeats row 2"),
    ("clinicians_duplicate_id.csv", C, 4, "clinician_id", "repeats row 2"),
    ("visits_missing_id.csv", V, 4, "visit_id", "empty"),
    ("visits_lat_off_map.csv", V, 2, "lat", "off the map"),
    ("visits_lon_off_map.csv", V, 5, "lon", "off the map"),
    ("visits_null_island.csv", V, 2, "lat", "missing geocode"),
    ("clinicians_null_island.csv", C, 4, "start_lat", "missing geocode"),
    ("visits_swapped.csv", V, 6, "lat", "are lat and lon swapped?"),
    ("visits_unknown_pin.csv", V, 2, "pinned_clinician", "'GHOST' is not in clinicians.csv"),
    ("visits_unknown_after.csv", V, 4, "after_visit", "'V99' does not exist"),
    ("visits_cycle.csv", V, 3, "after_visit", "cycle"),
    ("visits_cycle.csv", V, 4, "after_visit", "cycle"),
    ("visits_self_follow.csv", V, 6, "after_visit", "cannot follow itself"),
    ("visits_gap_without_after.csv", V, 2, "min_gap_min", "after_visit"),
    ("clinicians_half_end.csv", C, 4, "end_lon", "both"),
    ("clinicians_long_break.csv", C, 4, "break_min", "longer than the shift"),
    ("clinicians_break_outside.csv", C, 2, "break_earliest", "outside the shift"),
    ("clinicians_max_visits_negative.csv", C, 2, "max_visits", "at least 0"),
    ("visits_empty.csv", V, None, None, "empty"),
    ("clinicians_empty.csv", C, None, None, "empty"),
    ("visits_header_only.csv", V, None, None, "no data rows"),
    ("clinicians_header_only.csv", C, None, None, "no data rows"),
]


@pytest.mark.parametrize(
    ("name", "which", "row", "column", "words"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES]
)
def test_each_bad_file_is_refused_with_file_row_column_and_why(name, which, row, column, words):
    """Each file in tests/scheduler/domain/formats/data/bad is refused with its defect named exactly where it is."""
    visits = BAD / name if which == V else GOOD_V
    clinicians = BAD / name if which == C else GOOD_C
    with pytest.raises(InputError) as err:
        read_day(visits, clinicians)
    hits = [i for i in err.value.issues if i.file == name and i.row == row and i.column == column]
    assert hits, [str(i) for i in err.value.issues]
    assert any(words in i.message for i in hits), [str(i) for i in hits]


def test_every_bad_file_is_covered_by_a_case():
    """No file in the bad corpus is left untested (the 'several' file has its own test)."""
    tested = {c[0] for c in CASES} | {"visits_several.csv"}
    assert {p.name for p in BAD.iterdir()} == tested


def test_a_self_follow_is_reported_once_with_its_column():
    """after_visit naming the visit itself gives one issue on after_visit, not a bare one."""
    with pytest.raises(InputError) as err:
        read_day(BAD / "visits_self_follow.csv", GOOD_C)
    assert [(i.row, i.column) for i in err.value.issues] == [(6, "after_visit")]


def test_several_problems_in_one_file_are_all_reported():
    """A file with three defects yields all three issues, not just the first."""
    with pytest.raises(InputError) as err:
        read_day(BAD / "visits_several.csv", GOOD_C)
    found = {(i.file, i.row, i.column) for i in err.value.issues}
    assert found == {
        ("visits_several.csv", 2, "duration_min"),
        ("visits_several.csv", 3, "staff"),
        ("visits_several.csv", 5, "window_end"),
    }


def test_problems_in_both_files_arrive_in_one_error():
    """read_day collects the clinicians' and the visits' problems into a single InputError."""
    with pytest.raises(InputError) as err:
        read_day(BAD / "visits_several.csv", BAD / "clinicians_half_end.csv")
    files = {i.file for i in err.value.issues}
    assert files == {"visits_several.csv", "clinicians_half_end.csv"}
    assert len(err.value.issues) == 4
    assert "clinicians_half_end.csv, row 4, column end_lon:" in str(err.value)


def test_cross_checks_also_cover_rows_with_other_problems(tmp_path):
    """A row with a bad duration AND an unknown pin gets both issues in the same pass."""
    text = BAD.joinpath("visits_unknown_pin.csv").read_text().splitlines()
    text[1] = text[1].replace(",30,IV,", ",0,IV,")
    path = tmp_path / "visits.csv"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(InputError) as err:
        read_day(path, GOOD_C)
    assert {(i.row, i.column) for i in err.value.issues} == {
        (2, "duration_min"),
        (2, "pinned_clinician"),
    }


def test_read_visits_alone_raises_for_its_own_file():
    """read_visits/read_clinicians raise InputError on their own file's problems."""
    with pytest.raises(InputError, match=r"visits_zero_duration\.csv, row 4, column duration_min"):
        read_visits(BAD / "visits_zero_duration.csv")
    with pytest.raises(InputError, match=r"clinicians_half_end\.csv, row 4, column end_lon"):
        read_clinicians(BAD / "clinicians_half_end.csv")


def test_cli_refuses_bad_input_with_exit_2_and_writes_nothing(tmp_path, capsys):
    """`hah solve` on a bad file exits 2, names the problem on stderr, leaves no output."""
    out = tmp_path / "out"
    code = main(
        ["solve", "--visits", str(BAD / "visits_zero_duration.csv"), "--clinicians", str(GOOD_C),
         "--out", str(out), "--time-limit", "1", "--quiet"]
    )  # fmt: skip
    assert code == 2
    assert "visits_zero_duration.csv, row 4, column duration_min" in capsys.readouterr().err
    assert not out.exists()


# -- writing and reading back ----------------------------------------------------------------


def _problem():
    """The good day with an explicit, made-up travel matrix (10 min + 3 × index distance)."""
    visits, shifts = read_day(GOOD_V, GOOD_C)
    places = distinct_locations(visits, shifts)[0]
    n = len(places)
    minutes = np.array([[0 if i == j else 10 + 3 * abs(i - j) for j in range(n)] for i in range(n)])
    return build_problem(visits, shifts, matrix=TravelMatrix(tuple(places), minutes, "test"))


def _rota(problem) -> Rota:
    t = datetime(2026, 11, 23, 8, 0)
    stop = Stop("visit", "V1", t, t, t.replace(minute=30), 4)
    brk = Stop(
        "break", None, t.replace(hour=11), t.replace(hour=11), t.replace(hour=11, minute=30), 0
    )
    v4 = Stop(
        "visit",
        "V4",
        t.replace(hour=9),
        t.replace(hour=9, minute=5),
        t.replace(hour=9, minute=35),
        12,
    )
    rest = [
        Unassigned(v.visit_id, 'because, "quoted"', Reason.CAPACITY)
        for v in problem.visits
        if v.visit_id in ("V2", "V3", "V5")
    ]
    return Rota((Route("N1", (stop, v4, brk)), Route("H1", (v4,))), tuple(rest))


def test_solution_round_trips_through_the_files(tmp_path):
    """write_solution then read_rota/read_matrix give back the same routes, reasons, matrix."""
    problem = _problem()
    rota = _rota(problem)
    out = tmp_path / "new" / "out"
    written = write_solution(out, problem, rota, {"visits_total": 5}, export_matrix=True)
    assert sorted(p.name for p in written) == sorted(p.name for p in out.iterdir())
    back = read_rota(out, problem)
    assert back.routes == rota.routes and back.unassigned == rota.unassigned
    matrix = read_matrix(out)
    assert matrix is not None and matrix.model_name == "exported"
    assert (matrix.minutes == problem.travel.minutes).all()
    assert matrix.locations == problem.travel.locations


def test_written_files_have_the_contract_layout(tmp_path):
    """Exact headers, times without seconds, seq 1..n per clinician, sorted-key JSON."""
    problem = _problem()
    summary = {"b": 1, "a": [1, 2]}
    write_solution(tmp_path, problem, _rota(problem), summary, export_matrix=True)
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
    problem = _problem()
    out = tmp_path / "out"
    with pytest.raises(TypeError):
        write_solution(out, problem, _rota(problem), {"bad": object()}, export_matrix=True)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_an_existing_folder_as_it_was(tmp_path):
    """Over an earlier run's output, a failed write changes no file and adds none."""
    problem = _problem()
    write_solution(tmp_path / "out", problem, _rota(problem), {"run": 1})
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    empty = Rota((), tuple(Unassigned(v.visit_id, "x") for v in problem.visits))
    with pytest.raises(TypeError):
        write_solution(tmp_path / "out", problem, empty, {"run": {1, 2}}, export_matrix=True)
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_rerun_without_the_matrix_removes_the_stale_one(tmp_path):
    """A later run without --export-matrix must not leave another run's matrix to be read."""
    problem = _problem()
    write_solution(tmp_path, problem, _rota(problem), {}, export_matrix=True)
    assert read_matrix(tmp_path) is not None
    write_solution(tmp_path, problem, _rota(problem), {})
    assert read_matrix(tmp_path) is None


def test_no_matrix_files_means_none(tmp_path):
    """read_matrix returns None when neither matrix file is there."""
    assert read_matrix(tmp_path) is None


def test_a_matrix_with_a_row_missing_is_refused(tmp_path):
    """travel_min.csv must have n rows for the n rows of locations.csv."""
    problem = _problem()
    write_solution(tmp_path, problem, _rota(problem), {}, export_matrix=True)
    lines = (tmp_path / "travel_min.csv").read_text().splitlines()
    (tmp_path / "travel_min.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InputError) as err:
        read_matrix(tmp_path)
    assert [(i.file, i.row) for i in err.value.issues] == [("travel_min.csv", None)]
    assert f"{len(lines)}×{len(lines)}" in err.value.issues[0].message


def test_a_matrix_with_a_short_row_is_refused_at_that_row(tmp_path):
    """A row of travel_min.csv with one number too few is named by its row."""
    problem = _problem()
    write_solution(tmp_path, problem, _rota(problem), {}, export_matrix=True)
    lines = (tmp_path / "travel_min.csv").read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]
    (tmp_path / "travel_min.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        read_matrix(tmp_path)
    assert [(i.file, i.row) for i in err.value.issues] == [("travel_min.csv", 3)]


def test_a_matrix_cell_that_is_not_whole_minutes_is_refused(tmp_path):
    """Negative or fractional minutes are refused with row and column."""
    problem = _problem()
    write_solution(tmp_path, problem, _rota(problem), {}, export_matrix=True)
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
    problem = _problem()
    write_solution(tmp_path, problem, _rota(problem), {}, export_matrix=True)
    (tmp_path / "travel_min.csv").unlink()
    with pytest.raises(InputError, match=r"travel_min\.csv: file not found"):
        read_matrix(tmp_path)


def _edit_rota(tmp_path, old: str, new: str):
    problem = _problem()
    write_solution(tmp_path, problem, _rota(problem), {})
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
    problem = _problem()
    write_solution(tmp_path, problem, _rota(problem), {})
    lines = (tmp_path / "rota.csv").read_text().splitlines()
    (tmp_path / "rota.csv").write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    with pytest.raises(InputError) as err:
        read_rota(tmp_path, problem)
    assert [(i.file, i.row, i.column) for i in err.value.issues] == [("rota.csv", 1, "travel_min")]


def test_corpus_files_are_untouched_by_reading(tmp_path):
    """Reading never rewrites an input (the corpus stays byte-identical)."""
    copy = tmp_path / "v.csv"
    shutil.copy(GOOD_V, copy)
    before = copy.read_bytes()
    read_day(copy, GOOD_C)
    assert copy.read_bytes() == before

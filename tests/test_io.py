"""Reading the contract's files honestly, refusing bad ones precisely, writing atomically."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.errors import InputError
from scheduler.io import read_day, read_matrix, read_rota, write_solution
from scheduler.model import Reason, Rota, Route, Stop, Unassigned
from scheduler.problem import build_problem

DATA = Path(__file__).parent / "data"
GOOD_V, GOOD_C = DATA / "good" / "visits.csv", DATA / "good" / "clinicians.csv"
BAD = DATA / "bad"


def test_every_column_of_a_good_day_is_read():
    """Optional columns, extras, defaults and the break become the right model values."""
    visits, shifts = read_day(GOOD_V, GOOD_C)
    v = {x.visit_id: x for x in visits}
    s = {x.clinician_id: x for x in shifts}
    assert v["V2"].skills == {"IV", "PICC"} and v["V2"].pinned_clinician == "N2"
    assert v["V3"].after_visit == "V2" and v["V3"].min_gap_min == 240
    assert v["V4"].staff == 2 and v["V5"].priority == 3 and v["V5"].skills == frozenset()
    assert v["V1"].preferred_clinician == "N1" and v["V1"].visit_type.startswith("IV antibiotic")
    assert v["V1"].window.start == datetime(2026, 11, 23, 7, 30)
    assert s["N1"].rest_break.duration_min == 30 and s["N1"].max_visits == 10
    assert s["N1"].end_location == s["N1"].start_location
    assert s["N2"].end_location.lat == pytest.approx(51.8)
    assert s["H1"].rest_break is None and s["H1"].role == "HCA"


def test_excel_bom_semicolons_and_decimal_commas_read_like_the_original():
    """Excel's 'CSV UTF-8' in a European locale gives the same visits as the plain file."""
    plain, _ = read_day(GOOD_V, GOOD_C)
    excel, _ = read_day(DATA / "good" / "visits_excel.csv", GOOD_C)
    assert excel == plain


CASES = [
    ("visits_missing_column.csv", "visits", 1, "window_end", "required column is missing"),
    ("visits_bad_time.csv", "visits", 2, "window_start", "YYYY-MM-DDTHH:MM"),
    ("visits_window_reversed.csv", "visits", 3, "window_end", "before it starts"),
    ("visits_zero_duration.csv", "visits", 4, "duration_min", "positive"),
    ("visits_negative_duration.csv", "visits", 4, "duration_min", "positive"),
    ("visits_fraction_duration.csv", "visits", 4, "duration_min", "whole number"),
    ("visits_staff_three.csv", "visits", 5, "staff", "1 or 2"),
    ("visits_priority_four.csv", "visits", 5, "priority", "1, 2 or 3"),
    ("visits_duplicate_id.csv", "visits", 6, "visit_id", "repeats row 2"),
    ("visits_lat_off_map.csv", "visits", 2, "lat", "off the map"),
    ("visits_null_island.csv", "visits", 2, "lat", "geocoded"),
    ("visits_swapped.csv", "visits", 6, "lat", "swapped"),
    ("visits_unknown_pin.csv", "visits", 2, "pinned_clinician", "'GHOST'"),
    ("visits_unknown_after.csv", "visits", 4, "after_visit", "'V99' does not exist"),
    ("visits_gap_without_after.csv", "visits", 2, "min_gap_min", "after_visit"),
    ("visits_empty.csv", "visits", None, None, "empty"),
    ("visits_header_only.csv", "visits", None, None, "no data rows"),
    ("clinicians_shift_reversed.csv", "clinicians", 2, "shift_end", "before it starts"),
    ("clinicians_duplicate_id.csv", "clinicians", 4, "clinician_id", "repeats row 2"),
    ("clinicians_half_end.csv", "clinicians", 4, "end_lon", "both"),
    ("clinicians_long_break.csv", "clinicians", 4, "break_min", "longer than the shift"),
]


@pytest.mark.parametrize(("name", "which", "row", "column", "words"), CASES)
def test_each_bad_file_is_refused_with_file_row_column_and_why(name, which, row, column, words):
    """The corpus in tests/data/bad: one defect per file, reported exactly where it is."""
    visits = BAD / name if which == "visits" else GOOD_V
    clinicians = BAD / name if which == "clinicians" else GOOD_C
    with pytest.raises(InputError) as err:
        read_day(visits, clinicians)
    hits = [i for i in err.value.issues if i.file == name and i.row == row and i.column == column]
    assert hits, [str(i) for i in err.value.issues]
    assert any(words in i.message for i in hits), [str(i) for i in hits]


def test_several_problems_are_all_reported(tmp_path):
    """A file with three defects yields three issues, not just the first."""
    text = GOOD_V.read_text().splitlines()
    text[1] = text[1].replace(",30,IV,", ",0,IV,")
    text[2] = text[2].replace(",1,1,,N2,", ",5,1,,N2,")
    text[4] = text[4].replace("2026-11-23T12:00", "2026-11-23T08:00")
    bad = tmp_path / "visits.csv"
    bad.write_text("\n".join(text) + "\n")
    with pytest.raises(InputError) as err:
        read_day(bad, GOOD_C)
    columns = {(i.row, i.column) for i in err.value.issues}
    assert {(2, "duration_min"), (3, "staff"), (5, "window_end")} <= columns


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


def _problem():
    visits, shifts = read_day(GOOD_V, GOOD_C)
    return build_problem(visits, shifts, cache_dir=False)


def _rota(problem) -> Rota:
    t = datetime(2026, 11, 23, 8, 0)
    stop = Stop("visit", "V1", t, t, t.replace(minute=30), 4)
    brk = Stop(
        "break", None, t.replace(hour=11), t.replace(hour=11), t.replace(hour=11, minute=30), 0
    )
    rest = [Unassigned(v.visit_id, "because", Reason.CAPACITY) for v in problem.visits[1:]]
    return Rota((Route("N1", (stop, brk)),), tuple(rest))


def test_solution_round_trips_through_the_files(tmp_path):
    """write_solution then read_rota gives back the same routes and unassigned visits."""
    problem = _problem()
    rota = _rota(problem)
    write_solution(tmp_path / "out", problem, rota, {"visits_total": 5}, export_matrix=True)
    back = read_rota(tmp_path / "out", problem)
    assert back.routes == rota.routes and back.unassigned == rota.unassigned
    matrix = read_matrix(tmp_path / "out")
    assert matrix is not None
    assert (matrix.minutes == problem.travel.minutes).all()


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    """An unserialisable summary aborts before any file reaches the output folder."""
    problem = _problem()
    out = tmp_path / "out"
    with pytest.raises(TypeError):
        write_solution(out, problem, _rota(problem), {"bad": object()})
    assert not out.exists() or not any(out.iterdir())
    assert [p.name for p in tmp_path.iterdir()] in ([], ["out"])


def test_a_matrix_that_does_not_match_its_places_is_refused(tmp_path):
    """travel_min.csv must be n×n for the n rows of locations.csv."""
    problem = _problem()
    write_solution(tmp_path, problem, _rota(problem), {}, export_matrix=True)
    lines = (tmp_path / "travel_min.csv").read_text().splitlines()
    (tmp_path / "travel_min.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InputError, match=r"travel_min\.csv"):
        read_matrix(tmp_path)


def test_rota_with_a_bad_kind_is_refused(tmp_path):
    """A hand-edited rota.csv with an unknown stop kind names its row and column."""
    problem = _problem()
    write_solution(tmp_path, problem, _rota(problem), {})
    text = (tmp_path / "rota.csv").read_text().replace(",break,", ",lunch,")
    (tmp_path / "rota.csv").write_text(text)
    with pytest.raises(InputError) as err:
        read_rota(tmp_path, problem)
    assert any(i.row == 3 and i.column == "kind" for i in err.value.issues)


def test_corpus_files_are_untouched_by_reading(tmp_path):
    """Reading never rewrites an input (the corpus stays byte-identical)."""
    copy = tmp_path / "v.csv"
    shutil.copy(GOOD_V, copy)
    before = copy.read_bytes()
    read_day(copy, GOOD_C)
    assert copy.read_bytes() == before

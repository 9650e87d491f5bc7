"""Reading a day's files honestly and refusing bad ones precisely (``formats.day``).

The corpus lives in tests/scheduler/domain/formats/data/: ``good/`` holds a day with every optional column (and the
same visits saved by Excel), ``bad/`` one defect per file, derived from the good pair.
"""

from __future__ import annotations

import shutil

import pytest

from scheduler.cli import main
from scheduler.domain.errors import InputError
from scheduler.domain.formats.day import (
    read_clinician_file,
    read_clinicians,
    read_day,
    read_visits,
)
from scheduler.domain.formats.tabular import CsvSource
from tests.support.factories import when
from tests.support.formats import BAD, GOOD, GOOD_C, GOOD_V

# -- good input ----------------------------------------------------------------------------


def test_every_column_of_a_good_day_is_read():
    """Optional columns, extras, defaults and the break become the right model values."""
    visits, shifts = read_day(GOOD_V, GOOD_C)
    v = {x.visit_id: x for x in visits}
    s = {x.clinician_id: x for x in shifts}
    assert [x.visit_id for x in visits] == ["V1", "V2", "V3", "V4", "V5"]
    assert v["V1"].window.start == when("2026-11-23T07:30")
    assert v["V1"].window.end == when("2026-11-23T08:30")
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
    assert n1.start == when("2026-11-23T07:00") and n1.end == when("2026-11-23T15:00")
    assert n1.rest_break is not None and n1.rest_break.duration_min == 30
    assert n1.rest_break.window.start == when("2026-11-23T11:00")
    assert n1.rest_break.window.end == when("2026-11-23T13:30")
    assert n1.max_visits == 10 and n1.role == "RN5" and n1.base == "Stevenage"
    assert n1.end_location == n1.start_location
    assert n2.end_location.lat == pytest.approx(51.8)
    assert n2.end_location.lon == pytest.approx(-0.2)
    assert n2.max_visits is None
    assert n2.rest_break is not None and n2.rest_break.duration_min == 60
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
    assert read_visits(path)[0].window.start == when("2026-11-23T07:30:45")


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


def test_corpus_files_are_untouched_by_reading(tmp_path):
    """Reading never rewrites an input (the corpus stays byte-identical)."""
    copy = tmp_path / "v.csv"
    shutil.copy(GOOD_V, copy)
    before = copy.read_bytes()
    read_day(copy, GOOD_C)
    assert copy.read_bytes() == before


# -- bytes and a name read exactly like a path ---------------------------------------------


def _outcome(visits, clinicians):
    """What read_day gives: the visits and shifts, or every issue (file, row, column, why)."""
    try:
        return read_day(visits, clinicians)
    except InputError as err:
        return [(i.file, i.row, i.column, i.message) for i in err.issues]


CORPUS = sorted([*GOOD.glob("visits*.csv"), *BAD.iterdir()])


@pytest.mark.parametrize("path", CORPUS, ids=[f"{p.parent.name}/{p.name}" for p in CORPUS])
def test_bytes_and_a_name_read_like_the_path(path):
    """Every corpus file, read from memory under its name, gives the very same visits and
    shifts, or the very same issues, as read from disk."""
    visits, clinicians = (GOOD_V, path) if path.name.startswith("clinicians") else (path, GOOD_C)
    from_disk = _outcome(visits, clinicians)
    in_memory = _outcome(
        CsvSource(visits.name, visits.read_bytes()), CsvSource.from_path(clinicians)
    )
    assert in_memory == from_disk
    if path.parent == BAD:
        assert any(issue[0] == path.name for issue in from_disk)


@pytest.mark.parametrize("path", CORPUS, ids=[f"{p.parent.name}/{p.name}" for p in CORPUS])
def test_clinicians_read_beforehand_give_what_the_file_gives(path):
    """clinicians.csv read once beforehand (``read_clinician_file``, as a day planned from
    the caseload does) gives read_day the very same visits and shifts, or the very same
    issues in the same order (the pin cross-check included), as the file itself."""
    visits, clinicians = (GOOD_V, path) if path.name.startswith("clinicians") else (path, GOOD_C)
    assert _outcome(visits, read_clinician_file(clinicians)) == _outcome(visits, clinicians)


def test_read_visits_and_read_clinicians_take_bytes_too():
    assert read_visits(CsvSource("v.csv", GOOD_V.read_bytes())) == read_visits(GOOD_V)
    assert read_clinicians(CsvSource("c.csv", GOOD_C.read_bytes())) == read_clinicians(GOOD_C)


def test_issues_name_the_source_as_given():
    """The name a source carries (an upload's, say) is the one every issue names."""
    data = (BAD / "visits_several.csv").read_bytes()
    with pytest.raises(InputError) as err:
        read_day(CsvSource("Monday visits (v2).csv", data), GOOD_C)
    assert {i.file for i in err.value.issues} == {"Monday visits (v2).csv"}
    assert "Monday visits (v2).csv, row 2, column duration_min:" in str(err.value)


def test_unreadable_sources_are_named():
    """A missing path, bytes that are not UTF-8 and empty bytes: one issue each, by name."""
    with pytest.raises(InputError) as err:
        read_day(
            CsvSource("visits from excel.csv", "visit_id;lat\nV1;51,9\n".encode("utf-16")),
            GOOD.parent / "nowhere" / "clinicians.csv",
        )
    assert [(i.file, i.row, i.column, i.message) for i in err.value.issues] == [
        ("clinicians.csv", None, None, "file not found"),
        (
            "visits from excel.csv",
            None,
            None,
            "is not UTF-8 text; save it as 'CSV UTF-8' and retry",
        ),
    ]
    with pytest.raises(InputError, match=r"^empty\.csv: the file is empty$"):
        read_visits(CsvSource("empty.csv", b""))

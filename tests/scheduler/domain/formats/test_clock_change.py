"""The clock-change nights from file to domain and back (``formats``, ``localtime``).

tests/scheduler/domain/formats/data/clock/ holds a night on each of 2026's clock changes in
Europe/London: 24→25 October (back an hour at 02:00 BST) and 28→29 March (forward an hour
at 01:00 GMT), each with two 21:00–07:30 night shifts. In October two visits fall in the hour
that happens twice, each written with its offset, as the contract asks.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.domain.careplan import visits_csv_text, write_clinicians_csv
from scheduler.domain.errors import InputError
from scheduler.domain.formats.day import read_clinicians, read_day, read_visits
from scheduler.domain.formats.rota import read_plan_order, read_rota
from scheduler.domain.formats.solution import write_solution
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.localtime import hm
from scheduler.domain.model import Rota, Route, Stop
from scheduler.domain.problem import build_problem
from tests.support.factories import when
from tests.support.formats import DATA

CLOCK = DATA / "clock"
OCT_V, OCT_C = CLOCK / "october_visits.csv", CLOCK / "october_clinicians.csv"
MAR_V, MAR_C = CLOCK / "march_visits.csv", CLOCK / "march_clinicians.csv"


def _with_cell(source, row: int, old: str, new: str) -> CsvSource:
    """``source`` with ``old`` replaced by ``new`` in spreadsheet row ``row`` only."""
    lines = source.read_text().splitlines()
    assert old in lines[row - 1]
    lines[row - 1] = lines[row - 1].replace(old, new)
    return CsvSource.from_text("\n".join(lines) + "\n", source.name)


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


@pytest.mark.parametrize(
    ("clinicians", "minutes"), [(OCT_C, 690), (MAR_C, 570)], ids=["october", "march"]
)
def test_a_21_to_0730_night_lasts_its_real_length(clinicians, minutes):
    """21:00–07:30 is 11.5 h (690 min) when the clocks go back and 9.5 h (570 min) when they
    go forward: the shift as read from clinicians.csv, and as the solver's minutes see it."""
    shifts = read_clinicians(clinicians)
    assert {_minutes(s.end - s.start) for s in shifts} == {minutes}
    assert {(hm(s.start), hm(s.end)) for s in shifts} == {("21:00", "07:30")}
    visits = read_visits(clinicians.with_name(clinicians.name.replace("clinicians", "visits")))
    problem = build_problem(visits, shifts)
    assert problem.minute(shifts[0].start) == 21 * 60  # minute 0 is the local midnight before
    assert problem.minute(shifts[0].end) - problem.minute(shifts[0].start) == minutes


def test_the_repeated_hour_is_read_as_two_moments_by_its_offsets():
    """V2 at 01:00+01:00 (the first 01:00) and V3 at 01:15+00:00 (the second): one real hour
    and a quarter apart, though the clocks show 01:00 and 01:15."""
    v = {x.visit_id: x for x in read_visits(OCT_V)}
    assert v["V2"].window.start == when("2026-10-25T00:00Z")
    assert v["V3"].window.start == when("2026-10-25T01:15Z")
    assert _minutes(v["V3"].window.start - v["V2"].window.start) == 75
    assert (hm(v["V2"].window.start), hm(v["V3"].window.start)) == ("01:00", "01:15")
    # 03:00 on the October morning is GMT: 06:00 BST the evening before, + 6 h, + 1.
    assert _minutes(v["V4"].window.start - v["V1"].window.start) == 6.5 * 60


@pytest.mark.parametrize(
    ("source", "text", "row", "column"),
    [
        (OCT_V, "2026-10-25T01:00+01:00", 3, "window_start"),
        (OCT_C, "2026-10-25T04:00", 3, "break_latest"),
    ],
    ids=["visit", "break"],
)
def test_a_time_the_clocks_repeat_needs_its_offset(source, text, row, column):
    """A local time in October's repeated hour without an offset is refused on its file, row
    and column, naming the two offsets it could have."""
    upload = _with_cell(source, row, text, "2026-10-25T01:30")
    with pytest.raises(InputError) as err:
        read_day(upload, OCT_C) if source == OCT_V else read_day(OCT_V, upload)
    [issue] = err.value.issues
    assert (issue.file, issue.row, issue.column) == (source.name, row, column)
    assert "happens twice" in issue.message
    assert "2026-10-25T01:30+01:00" in issue.message and "2026-10-25T01:30+00:00" in issue.message


def test_a_time_the_clocks_skip_is_refused():
    """01:30 on the March night never happens: refused by file, row and column."""
    with pytest.raises(InputError) as err:
        read_day(MAR_V, _with_cell(MAR_C, 2, "2026-03-29T00:00", "2026-03-29T01:30"))
    [issue] = err.value.issues
    assert (issue.file, issue.row, issue.column) == ("march_clinicians.csv", 2, "break_earliest")
    assert "does not exist" in issue.message and "go forward" in issue.message


def test_offsets_are_honoured_and_z_is_utc():
    """An offset in the text says which moment it is, whatever the local clock showed."""
    v = {x.visit_id: x for x in read_visits(_with_cell(OCT_V, 2, "2026-10-24T21:30", "2026-10-24T20:30Z"))}
    assert v["V1"].window.start == when("2026-10-24T21:30")  # 20:30 UTC is 21:30 BST


@pytest.mark.parametrize(("visits", "clinicians"), [(OCT_V, OCT_C), (MAR_V, MAR_C)],
                         ids=["october", "march"])  # fmt: skip
def test_a_day_written_back_reads_as_the_same_moments(tmp_path, visits, clinicians):
    """read → write (visits.csv, clinicians.csv) → read keeps every moment; the repeated
    hour is written with its offset and nothing else is."""
    v, s = read_day(visits, clinicians)
    (tmp_path / "visits.csv").write_text(visits_csv_text(v))
    write_clinicians_csv(s, tmp_path / "clinicians.csv")
    again = read_day(tmp_path / "visits.csv", tmp_path / "clinicians.csv")
    assert again == (v, s)
    text = (tmp_path / "visits.csv").read_text()
    with_offset = {line.split(",")[0] for line in text.splitlines() if "+0" in line}
    assert with_offset == ({"V2", "V3"} if visits == OCT_V else set())


def test_a_rota_in_the_repeated_hour_round_trips_through_rota_csv(tmp_path):
    """rota.csv writes the repeated hour with offsets (local time otherwise) and reads back
    the same stops; a warm start reads the same starts."""
    v, s = read_day(OCT_V, OCT_C)
    problem = build_problem(v, s)
    first, second = when("2026-10-25T01:05+01:00"), when("2026-10-25T01:20+00:00")
    stops = (
        Stop("visit", "V2", first - timedelta(minutes=10), first, first + timedelta(minutes=30), 10),
        Stop("visit", "V3", second, second, second + timedelta(minutes=30), 12),
    )
    rota = Rota((Route("N1", stops),))
    write_solution(tmp_path, problem, rota, {})
    text = (tmp_path / "rota.csv").read_text()
    assert "N1,1,visit,V2,2026-10-25T00:55,2026-10-25T01:05+01:00,2026-10-25T01:35+01:00,10" in text
    assert "N1,2,visit,V3,2026-10-25T01:20+00:00,2026-10-25T01:20+00:00,2026-10-25T01:50+00:00,12" in text
    assert read_rota(tmp_path, problem).routes == rota.routes
    assert read_plan_order(tmp_path).starts == {"V2": first, "V3": second}

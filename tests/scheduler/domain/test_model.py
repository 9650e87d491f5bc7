"""The domain owns the invariants of its values once, and the file reader agrees with it.

Each invariant broken by a value built in code raises ``InvariantError`` with the very message
the reader of visits.csv / clinicians.csv reports on that field's column.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.day import (
    SHIFT_FIELD_COLUMNS,
    VISIT_FIELD_COLUMNS,
    read_clinicians,
    read_visits,
)
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.model import (
    Break,
    InvariantError,
    Location,
    Problem,
    Shift,
    Stop,
    TravelMatrix,
    Visit,
    Window,
    shift_problems,
    visit_problems,
)
from tests.support.factories import at

T = at("08:00")
HERE = Location(51.9, -0.2)
VISIT = Visit("V1", "P1", HERE, Window(T, at("09:00")), 30)
SHIFT = Shift("N1", "Alex", frozenset({"RN"}), at("07:00"), at("15:00"), HERE, HERE)

VISIT_ROW = {
    "visit_id": "V1", "patient_id": "P1", "lat": "51.9", "lon": "-0.2",
    "window_start": "2026-11-23T08:00", "window_end": "2026-11-23T09:00", "duration_min": "30",
    "skills": "", "staff": "1", "priority": "2", "after_visit": "", "min_gap_min": "",
}  # fmt: skip
OTHER_VISIT = {**VISIT_ROW, "visit_id": "V2", "window_start": "2026-11-23T07:00"}
SHIFT_ROW = {
    "clinician_id": "N1", "name": "Alex", "skills": "RN", "shift_start": "2026-11-23T07:00",
    "shift_end": "2026-11-23T15:00", "start_lat": "51.9", "start_lon": "-0.2", "break_min": "",
    "break_earliest": "", "break_latest": "", "max_visits": "",
}  # fmt: skip


def _csv(name: str, *rows: dict[str, str]) -> CsvSource:
    header = list(rows[0])
    lines = [",".join(header), *(",".join(r[c] for c in header) for r in rows)]
    return CsvSource.from_text("\n".join(lines) + "\n", name)


def _issues(read, source: CsvSource) -> list[InputIssue]:
    with pytest.raises(InputError) as err:
        read(source)
    return err.value.issues


def _raised(build) -> InvariantError:
    with pytest.raises(InvariantError) as err:
        build()
    return err.value


# (what is broken, the Visit built in code, the visits.csv cells that say the same)
VISIT_CASES = [
    ("zero duration", lambda: replace(VISIT, duration_min=0), {"duration_min": "0"}),
    ("negative duration", lambda: replace(VISIT, duration_min=-5), {"duration_min": "-5"}),
    ("three staff", lambda: replace(VISIT, staff=3), {"staff": "3"}),
    ("no staff", lambda: replace(VISIT, staff=0), {"staff": "0"}),
    ("priority 4", lambda: replace(VISIT, priority=4), {"priority": "4"}),
    ("priority 0", lambda: replace(VISIT, priority=0), {"priority": "0"}),
    (
        "negative gap",
        lambda: replace(VISIT, after_visit="V2", min_gap_min=-5),
        {"after_visit": "V2", "min_gap_min": "-5"},
    ),
    ("self follow", lambda: replace(VISIT, after_visit="V1"), {"after_visit": "V1"}),
]


@pytest.mark.parametrize(("what", "build", "cells"), VISIT_CASES, ids=[c[0] for c in VISIT_CASES])
def test_a_visit_built_in_code_fails_as_its_row_is_reported(what, build, cells):
    err = _raised(build)
    assert str(err) == f"visit V1, {err.field}: {err.message}"  # names the visit and the field
    issues = _issues(read_visits, _csv("visits.csv", {**VISIT_ROW, **cells}, OTHER_VISIT))
    column = VISIT_FIELD_COLUMNS.get(err.field, err.field)
    assert [(i.row, i.column, i.message) for i in issues] == [(2, column, err.message)]


# (what is broken, the value built in code, the column it is reported on, the cells)
PART_CASES = [
    (
        "reversed window",
        lambda: Window(T, at("07:00")),
        "window_end",
        {"window_end": "2026-11-23T07:00"},
    ),
    ("latitude off the map", lambda: Location(151.9, -0.2), "lat", {"lat": "151.9"}),
    ("longitude off the map", lambda: Location(51.9, -200.0), "lon", {"lon": "-200.0"}),
]


@pytest.mark.parametrize(
    ("what", "build", "column", "cells"), PART_CASES, ids=[c[0] for c in PART_CASES]
)
def test_a_window_or_place_built_in_code_fails_as_its_cell_is_reported(what, build, column, cells):
    err = _raised(build)
    assert str(err) == err.message
    issues = _issues(read_visits, _csv("visits.csv", {**VISIT_ROW, **cells}))
    assert [(i.row, i.column, i.message) for i in issues] == [(2, column, err.message)]


SHIFT_CASES = [
    (
        "reversed shift",
        lambda: replace(SHIFT, end=at("06:00")),
        {"shift_end": "2026-11-23T06:00"},
    ),
    (
        "empty shift",
        lambda: replace(SHIFT, end=SHIFT.start),
        {"shift_end": "2026-11-23T07:00"},
    ),
    ("negative max_visits", lambda: replace(SHIFT, max_visits=-1), {"max_visits": "-1"}),
    (
        "break outside the shift",
        lambda: replace(
            SHIFT, rest_break=Break(30, Window(at("16:00"), at("17:00")))
        ),
        {
            "break_min": "30",
            "break_earliest": "2026-11-23T16:00",
            "break_latest": "2026-11-23T17:00",
        },
    ),
]


@pytest.mark.parametrize(("what", "build", "cells"), SHIFT_CASES, ids=[c[0] for c in SHIFT_CASES])
def test_a_shift_built_in_code_fails_as_its_row_is_reported(what, build, cells):
    err = _raised(build)
    assert str(err) == f"shift of N1, {err.field}: {err.message}"
    issues = _issues(read_clinicians, _csv("clinicians.csv", {**SHIFT_ROW, **cells}))
    column = SHIFT_FIELD_COLUMNS[err.field]
    assert [(i.row, i.column, i.message) for i in issues] == [(2, column, err.message)]


def test_every_broken_invariant_is_listed_and_the_first_one_raised():
    """The function lists them all (the reader reports them all); construction the first."""
    problems = visit_problems(
        "V1", duration_min=0, staff=3, priority=4, min_gap_min=-1, after_visit="V1"
    )
    assert [field for field, _ in problems] == [
        "duration_min", "staff", "priority", "min_gap_min", "after_visit",
    ]  # fmt: skip
    err = _raised(
        lambda: replace(
            VISIT, duration_min=0, staff=3, priority=4, min_gap_min=-1, after_visit="V1"
        )
    )
    assert (err.field, err.message) == problems[0]
    row = {**VISIT_ROW, "duration_min": "0", "staff": "3", "priority": "4", "after_visit": "V1",
           "min_gap_min": "-1"}  # fmt: skip
    issues = _issues(read_visits, _csv("visits.csv", row))
    assert [(i.column, i.message) for i in issues] == problems


def test_fields_the_reader_could_not_parse_are_not_checked():
    """``None`` is an unknown field (its cell is already refused), never a broken rule."""
    assert (
        visit_problems(None, duration_min=None, staff=None, priority=None, min_gap_min=None) == []
    )
    assert shift_problems(None, T, max_visits=None) == []


def test_invariant_errors_are_value_errors():
    """Callers that catch ValueError (as before) still catch them."""
    with pytest.raises(ValueError, match="3 is not 1 or 2"):
        replace(VISIT, staff=3)
    with pytest.raises(ValueError, match="the shift ends"):
        replace(SHIFT, end=SHIFT.start)


@pytest.mark.parametrize(
    "build",
    [
        lambda naive: Window(naive, at("09:00")),
        lambda naive: replace(SHIFT, end=naive),
        lambda naive: Stop("visit", "V1", naive, at("08:00"), at("08:30"), 0),
        lambda naive: Problem((), (), TravelMatrix((), np.zeros((0, 0))), (), (), (), naive),
    ],
    ids=["window", "shift", "stop", "problem origin"],
)
def test_a_naive_moment_is_refused_with_a_clear_error(build):
    """The domain holds instants: a ``datetime`` without a zone could be any of two (or no)
    moments on a clock-change night, so it is refused, saying how to read one."""
    with pytest.raises(InvariantError, match=r"has no time zone.*from_local"):
        build(datetime(2026, 11, 23, 8, 0))


def test_an_aware_moment_in_another_zone_is_kept_as_utc():
    """Every moment ends up in UTC (one tzinfo), so subtracting two is elapsed time even if
    they were built in Europe/London, where Python would subtract wall-clock readings."""
    zone = ZoneInfo("Europe/London")
    evening = datetime(2026, 10, 24, 21, 0, tzinfo=zone)
    morning = datetime(2026, 10, 25, 7, 30, tzinfo=zone)
    assert morning - evening == timedelta(hours=10, minutes=30)  # Python's wall-clock answer
    shift = replace(SHIFT, start=evening, end=morning, rest_break=None)
    assert shift.start.tzinfo is UTC and shift.end - shift.start == timedelta(hours=11, minutes=30)
    assert shift.label() == "21:00–07:30"

"""A day's input (``docs/formats.md``): read, validate and cross-check visits.csv and
clinicians.csv.

Readers collect every problem in both files before refusing them (``InputError``), naming
file, row and column, so that a coordinator fixes her spreadsheet in one pass. Each file is a
path or a ``CsvSource`` (bytes and the name to report them under, e.g. an upload's).

The rules a ``Visit`` or a ``Shift`` keeps are the domain's (``visit_problems``,
``shift_problems``, ``window_problems`` in ``scheduler.domain.model``); this module reports
each broken one on its column. It adds only what is about a typed file: cells that are not
numbers or times, repeated ids, 0, 0 and far-away places, half an end place, a break longer
than its shift, a gap without the visit it follows, and the cross-checks between rows.

The patient's preferences and risks (``excluded_clinicians``, ``carer_gender``,
``access_notes``, ``risk_flags``; a clinician's ``gender``) are optional columns, read by
``formats.preferences`` and judged by the domain's rules like every other field; a lone
visit of a ``no_lone_after_dark`` patient whose window reaches into the dark is refused with
the fix (``risks.after_dark_problem``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats import preferences
from scheduler.domain.formats.tabular import RowReader, Source, Table, read_table
from scheduler.domain.model import (
    Break,
    Location,
    Shift,
    Visit,
    Window,
    shift_problems,
    visit_problems,
    window_problems,
)
from scheduler.domain.risks import after_dark_problem

CLINICIAN_COLUMNS = (
    "clinician_id", "name", "skills", "shift_start", "shift_end", "start_lat", "start_lon",
)  # fmt: skip
VISIT_COLUMNS = (
    "visit_id", "patient_id", "lat", "lon", "window_start", "window_end", "duration_min", "skills",
)  # fmt: skip
FAR_KM = 500.0
#: The longest ids (docs/formats.md): what the web app's status and account columns hold.
MAX_VISIT_ID, MAX_CLINICIAN_ID = 128, 64

#: The column of clinicians.csv that each field of ``shift_problems`` is reported on.
SHIFT_FIELD_COLUMNS = {
    "end": "shift_end",
    "rest_break": "break_earliest",
    "max_visits": "max_visits",
    "gender": "gender",
}
#: The same for visits.csv: ``visit_problems`` fields are named as their columns, and a
#: reversed window is reported where it ends.
VISIT_FIELD_COLUMNS = {"window": "window_end"}

Record = TypeVar("Record", Visit, Shift)


def checked_break(row: RowReader, minutes: int, start: datetime, end: datetime,
                  earliest: datetime, latest: datetime, noun: str) -> Break | None:  # fmt: skip
    """The unpaid break of a shift (``noun``: "shift", "duty"), or ``None`` with the row's
    complaint: a window that ends before it starts, or a break longer than the shift."""
    reversed_break = window_problems(earliest, latest, what="the break window")
    if reversed_break:
        row.complain("break_latest", reversed_break[0][1])
        return None
    if (end - start).total_seconds() / 60 < minutes:
        row.complain("break_min", f"a {minutes} min break is longer than the {noun}")
        return None
    return Break(minutes, Window(earliest, latest))


def flag_far(table: Table, points: list[tuple[int, str, Location]], issues: list[InputIssue]):
    """A point hundreds of km from the rest is a typo or swapped lat/lon (each point: its
    row, the column it is reported on, the place)."""
    if len(points) < 3:
        return
    mid = Location(
        statistics.median(p.lat for _, _, p in points),
        statistics.median(p.lon for _, _, p in points),
    )
    for rownum, col, p in points:
        dlat = math.radians(p.lat - mid.lat)
        dlon = math.radians(p.lon - mid.lon) * math.cos(math.radians(mid.lat))
        km = 6371 * math.hypot(dlat, dlon)
        if km > FAR_KM:
            issues.append(
                InputIssue(
                    table.file,
                    rownum,
                    col,
                    f"{p.lat}, {p.lon} is {km:.0f} km from the rest of the day — "
                    "are lat and lon swapped?",
                )
            )


def _duplicates(table: Table, column: str, issues: list[InputIssue]) -> None:
    first: dict[str, int] = {}
    for rownum, cells in table.rows:
        value = cells.get(column, "")
        if not value:
            continue
        if value in first:
            issues.append(
                InputIssue(table.file, rownum, column, f"{value!r} repeats row {first[value]}")
            )
        else:
            first[value] = rownum


def _clinician(row: RowReader) -> Shift | None:
    cid = row.text("clinician_id", max_chars=MAX_CLINICIAN_ID)
    name = row.text("name")
    skills = row.skills("skills")
    start = row.moment("shift_start")
    end = row.moment("shift_end")
    here = row.location("start_lat", "start_lon")
    has_end = [bool(row.cells.get(c)) for c in ("end_lat", "end_lon")]
    there = here
    if any(has_end) and not all(has_end):
        row.complain(
            "end_lat" if not has_end[0] else "end_lon", "give both end_lat and end_lon, or neither"
        )
    elif all(has_end):
        there = row.location("end_lat", "end_lon")
    break_min = row.integer("break_min", required=False, default=0, minimum=0)
    b_from = row.moment("break_earliest", required=False) or start
    b_to = row.moment("break_latest", required=False) or end
    rest = None
    if break_min and start and end and end > start and b_from and b_to:
        rest = checked_break(row, break_min, start, end, b_from, b_to, "shift")
    max_visits = row.integer("max_visits", required=False)
    gender = preferences.gender(row.cells.get("gender", ""))
    problems = shift_problems(start, end, rest_break=rest, max_visits=max_visits, gender=gender)
    for field, why in problems:
        row.complain(SHIFT_FIELD_COLUMNS[field], why)
    if not row.ok or not (cid and name and start and end and here and there):
        return None
    return Shift(
        clinician_id=cid,
        name=name,
        skills=skills,
        start=start,
        end=end,
        start_location=here,
        end_location=there,
        rest_break=rest,
        max_visits=max_visits,
        role=row.cells.get("role", ""),
        base=row.cells.get("base", ""),
        gender=gender,
    )


def _visit(row: RowReader) -> Visit | None:
    vid = row.text("visit_id", max_chars=MAX_VISIT_ID)
    pid = row.text("patient_id")
    where = row.location("lat", "lon")
    w_from = row.moment("window_start")
    w_to = row.moment("window_end")
    for _, why in window_problems(w_from, w_to):
        row.complain(VISIT_FIELD_COLUMNS["window"], why)
    duration = row.integer("duration_min", what="a whole number of minutes")
    staff = row.integer("staff", required=False, default=1)
    priority = row.integer("priority", required=False, default=2)
    gap = row.integer("min_gap_min", required=False, default=0)
    after = row.cells.get("after_visit") or None
    pin = row.cells.get("pinned_clinician") or None
    excluded = preferences.id_list(row.cells.get("excluded_clinicians", ""))
    carer = preferences.gender(row.cells.get("carer_gender", ""))
    flags = preferences.flags(row.cells.get("risk_flags", ""))
    familiar = preferences.weighted_ids(row.cells.get("familiar_clinicians", ""))
    if isinstance(familiar, str):
        row.complain("familiar_clinicians", familiar)
        familiar = ()
    problems = visit_problems(
        vid,
        duration_min=duration,
        staff=staff,
        priority=priority,
        min_gap_min=gap,
        after_visit=after,
        pinned_clinician=pin,
        excluded_clinicians=excluded,
        carer_gender=carer,
        risk_flags=flags,
        familiar_clinicians=familiar,
    )
    for field, why in problems:
        row.complain(VISIT_FIELD_COLUMNS.get(field, field), why)
    if row.cells.get("min_gap_min") and not after:
        row.complain("min_gap_min", "a minimum gap needs after_visit: the visit it follows")
    if not row.ok or not (vid and pid and where and w_from and w_to):
        return None
    assert duration is not None and staff is not None and priority is not None
    visit = Visit(
        visit_id=vid,
        patient_id=pid,
        location=where,
        window=Window(w_from, w_to),
        duration_min=duration,
        skills=row.skills("skills"),
        staff=staff,
        priority=priority,
        preferred_clinician=row.cells.get("preferred_clinician") or None,
        pinned_clinician=pin,
        after_visit=after,
        min_gap_min=gap or 0,
        visit_type=row.cells.get("visit_type", ""),
        address=row.cells.get("address", ""),
        excluded_clinicians=excluded,
        carer_gender=carer,
        access_notes=row.cells.get("access_notes", ""),
        risk_flags=flags,
        familiar_clinicians=familiar,
    )
    dark = after_dark_problem(visit)
    if dark is not None:
        row.complain(VISIT_FIELD_COLUMNS["window"], dark)
        return None
    return visit


def _shift_places(s: Shift) -> Iterable[tuple[str, Location]]:
    yield "start_lat", s.start_location
    if s.end_location != s.start_location:
        yield "end_lat", s.end_location


def _visit_places(v: Visit) -> Iterable[tuple[str, Location]]:
    yield "lat", v.location


def _read_records(
    source: Source,
    columns: tuple[str, ...],
    id_column: str,
    parse: Callable[[RowReader], Record | None],
    places: Callable[[Record], Iterable[tuple[str, Location]]],
    issues: list[InputIssue],
) -> tuple[tuple[Record, ...], Table | None]:
    """Shared reading loop: duplicates, one parser per row, far-away points, all issues.

    Returns the records built from rows without issues, and the raw table (``None`` when the
    file could not be read at all) for cross-checks on every row.
    """
    table = read_table(source, columns, issues)
    records: list[Record] = []
    if table is not None:
        _duplicates(table, id_column, issues)
        points: list[tuple[int, str, Location]] = []
        for rownum, cells in table.rows:
            record = parse(RowReader(table, rownum, cells, issues))
            if record is not None:
                records.append(record)
                points.extend((rownum, col, where) for col, where in places(record))
        flag_far(table, points, issues)
    return tuple(records), table


def _raise_if(issues: list[InputIssue], before: int) -> None:
    if len(issues) > before:
        raise InputError(issues)


def read_clinicians(source: Source, issues: list[InputIssue] | None = None) -> tuple[Shift, ...]:
    """Shifts from clinicians.csv; raises ``InputError`` unless ``issues`` collects them."""
    own: list[InputIssue] = [] if issues is None else issues
    before = len(own)
    shifts, _ = _read_records(
        source, CLINICIAN_COLUMNS, "clinician_id", _clinician, _shift_places, own
    )
    if issues is None:
        _raise_if(own, before)
    return shifts


@dataclass(frozen=True)
class ClinicianFile:
    """clinicians.csv read once: its shifts (the rows without problems), its table (for the
    visits' cross-checks) and every problem found, nothing raised yet. ``read_day`` takes it
    in place of the file, so a caller that needs the shifts before the visits exist (a day
    planned from the caseload learns each visit's continuity from the staff on shift) reads
    the file once and is refused exactly as ``read_day`` of the file would refuse it."""

    shifts: tuple[Shift, ...]
    table: Table | None
    issues: tuple[InputIssue, ...]


def read_clinician_file(source: Source) -> ClinicianFile:
    """clinicians.csv as a ``ClinicianFile``: read and checked, its problems kept, not raised."""
    issues: list[InputIssue] = []
    shifts, table = _read_records(
        source, CLINICIAN_COLUMNS, "clinician_id", _clinician, _shift_places, issues
    )
    return ClinicianFile(shifts, table, tuple(issues))


def read_visits(source: Source, issues: list[InputIssue] | None = None) -> tuple[Visit, ...]:
    """Visits from visits.csv; raises ``InputError`` unless ``issues`` collects them."""
    own: list[InputIssue] = [] if issues is None else issues
    before = len(own)
    visits, _ = _read_records(source, VISIT_COLUMNS, "visit_id", _visit, _visit_places, own)
    if issues is None:
        _raise_if(own, before)
    return visits


def _cross_check(visits: Table, clinicians: Table | None, issues: list[InputIssue]) -> None:
    """Pins, after_visit references and after_visit cycles, on every row of the file.

    Rows with other problems are checked too, so that one pass reports everything. Pins are
    only checked when clinicians.csv could be read (its problems are reported already).
    """
    name = visits.file
    first_row: dict[str, int] = {}
    for rownum, cells in visits.rows:
        if cells.get("visit_id"):
            first_row.setdefault(cells["visit_id"], rownum)
    known = None
    if clinicians is not None:
        known = {c["clinician_id"] for _, c in clinicians.rows if c.get("clinician_id")}
    follows: dict[str, str] = {}
    for rownum, cells in visits.rows:
        vid, pin, after = (
            cells.get(c, "") for c in ("visit_id", "pinned_clinician", "after_visit")
        )
        if pin and clinicians is not None and known is not None and pin not in known:
            issues.append(
                InputIssue(name, rownum, "pinned_clinician", f"{pin!r} is not in {clinicians.file}")
            )
        if after and after not in first_row:
            issues.append(
                InputIssue(name, rownum, "after_visit", f"visit {after!r} does not exist")
            )
        elif after and vid and after != vid and first_row.get(vid) == rownum:
            follows[vid] = after
    for start in follows:
        seen, cur = {start}, follows.get(start)
        while cur is not None:
            if cur == start:
                issues.append(
                    InputIssue(
                        name,
                        first_row[start],
                        "after_visit",
                        f"visit {start} follows itself through a cycle of after_visit "
                        f"({' → '.join(_cycle(follows, start))})",
                    )
                )
                break
            if cur in seen:
                break
            seen.add(cur)
            cur = follows.get(cur)


def _cycle(follows: dict[str, str], start: str) -> list[str]:
    chain, cur = [start], follows[start]
    while cur != start:
        chain.append(cur)
        cur = follows[cur]
    return [*chain, start]


def read_day(
    visits_source: Source, clinicians_source: Source | ClinicianFile
) -> tuple[tuple[Visit, ...], tuple[Shift, ...]]:
    """Both files, cross-checked; one ``InputError`` listing every problem in either.
    clinicians.csv may come already read (``read_clinician_file``): it is not read again."""
    if not isinstance(clinicians_source, ClinicianFile):
        clinicians_source = read_clinician_file(clinicians_source)
    issues: list[InputIssue] = list(clinicians_source.issues)
    shifts, c_table = clinicians_source.shifts, clinicians_source.table
    visits, v_table = _read_records(
        visits_source, VISIT_COLUMNS, "visit_id", _visit, _visit_places, issues
    )
    if v_table is not None:
        _cross_check(v_table, c_table, issues)
    _raise_if(issues, 0)
    return visits, shifts

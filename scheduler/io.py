"""The contract's files (``docs/formats.md``): read and validate a day, write and read a rota.

Readers collect every problem in both files before refusing them (``InputError``), naming
file, row and column, so that a coordinator fixes her spreadsheet in one pass. Writers are
atomic: all files are serialised into a temporary folder beside the output and moved in only
when all of them are ready, so a refused or failed run leaves nothing half written.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import statistics
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import numpy as np

from scheduler.errors import InputError, InputIssue
from scheduler.model import (
    Break,
    Location,
    Problem,
    Reason,
    Rota,
    Route,
    Shift,
    Stop,
    TravelMatrix,
    Unassigned,
    Visit,
    Window,
)
from scheduler.tabular import RowReader, Table, read_table

CLINICIAN_COLUMNS = (
    "clinician_id", "name", "skills", "shift_start", "shift_end", "start_lat", "start_lon",
)  # fmt: skip
VISIT_COLUMNS = (
    "visit_id", "patient_id", "lat", "lon", "window_start", "window_end", "duration_min", "skills",
)  # fmt: skip
ROTA_COLUMNS = ("clinician_id", "seq", "kind", "visit_id", "arrive", "start", "end", "travel_min")
TIME_FORMAT = "%Y-%m-%dT%H:%M"
FAR_KM = 500.0


def _location(row: RowReader, lat_col: str, lon_col: str, *, required: bool = True):
    lat = row.number(lat_col, required=required)
    lon = row.number(lon_col, required=required)
    if lat is None or lon is None:
        return None
    if not -90 <= lat <= 90:
        row.complain(lat_col, f"latitude {lat} is off the map (must be between -90 and 90)")
        return None
    if not -180 <= lon <= 180:
        row.complain(lon_col, f"longitude {lon} is off the map (must be between -180 and 180)")
        return None
    if lat == 0 and lon == 0:
        row.complain(lat_col, "0, 0 is not a place in the service: the address was not geocoded")
        return None
    return Location(lat, lon)


def _flag_far(table: Table, points: list[tuple[int, str, Location]], issues: list[InputIssue]):
    """A point hundreds of km from the rest is a typo or swapped lat/lon."""
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
    cid = row.text("clinician_id")
    name = row.text("name")
    skills = row.skills("skills")
    start = row.moment("shift_start")
    end = row.moment("shift_end")
    here = _location(row, "start_lat", "start_lon")
    has_end = [bool(row.cells.get(c)) for c in ("end_lat", "end_lon")]
    there = here
    if any(has_end) and not all(has_end):
        row.complain(
            "end_lat" if not has_end[0] else "end_lon", "give both end_lat and end_lon, or neither"
        )
    elif all(has_end):
        there = _location(row, "end_lat", "end_lon")
    if start and end and end <= start:
        row.complain("shift_end", f"the shift ends ({end:%Y-%m-%dT%H:%M}) before it starts")
    break_min = row.integer("break_min", required=False, default=0, minimum=0)
    b_from = row.moment("break_earliest", required=False) or start
    b_to = row.moment("break_latest", required=False) or end
    rest = None
    if break_min and start and end and end > start and b_from and b_to:
        if b_to < b_from:
            row.complain("break_latest", "the break window ends before it starts")
        elif (end - start).total_seconds() / 60 < break_min:
            row.complain("break_min", f"a {break_min} min break is longer than the shift")
        elif b_to < start or b_from > end:
            row.complain("break_earliest", "the break window lies outside the shift")
        else:
            rest = Break(break_min, Window(b_from, b_to))
    max_visits = row.integer("max_visits", required=False, minimum=0)
    if not row.ok or not (cid and name and start and end and here and there):
        return None
    try:
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
        )
    except ValueError as exc:
        row.complain(None, str(exc))
        return None


def _read_records(path, columns, id_column, parse, place, lat_column, issues):
    """Shared reading loop: duplicates, one parser per row, far-away points, all issues."""
    own = issues is None
    issues = [] if issues is None else issues
    before = len(issues)
    table = read_table(path, columns, issues)
    records: list = []
    if table is not None:
        _duplicates(table, id_column, issues)
        points = []
        for rownum, cells in table.rows:
            record = parse(RowReader(table, rownum, cells, issues))
            if record is not None:
                records.append(record)
                points.append((rownum, lat_column, place(record)))
        _flag_far(table, points, issues)
    if own and len(issues) > before:
        raise InputError(issues)
    return tuple(records)


def read_clinicians(path: str | Path, issues: list[InputIssue] | None = None) -> tuple[Shift, ...]:
    """Shifts from clinicians.csv; raises ``InputError`` unless ``issues`` collects them."""
    return _read_records(
        path,
        CLINICIAN_COLUMNS,
        "clinician_id",
        _clinician,
        lambda s: s.start_location,
        "start_lat",
        issues,
    )


def _visit(row: RowReader) -> Visit | None:
    vid = row.text("visit_id")
    pid = row.text("patient_id")
    where = _location(row, "lat", "lon")
    w_from = row.moment("window_start")
    w_to = row.moment("window_end")
    if w_from and w_to and w_to < w_from:
        row.complain(
            "window_end", f"the window ends ({w_to:%H:%M}) before it starts ({w_from:%H:%M})"
        )
    duration = row.integer("duration_min", what="a whole number of minutes")
    if duration is not None and duration <= 0:
        row.complain("duration_min", f"{duration} is not a positive number of minutes")
    staff = row.integer("staff", required=False, default=1)
    if staff not in (None, 1, 2):
        row.complain("staff", f"{staff} is not 1 or 2 (2 = double-handed)")
    priority = row.integer("priority", required=False, default=2)
    if priority not in (None, 1, 2, 3):
        row.complain("priority", f"{priority} is not 1, 2 or 3")
    gap = row.integer("min_gap_min", required=False, default=0, minimum=0)
    after = row.cells.get("after_visit") or None
    if row.cells.get("min_gap_min") and not after:
        row.complain("min_gap_min", "a minimum gap needs after_visit: the visit it follows")
    if not row.ok or not (vid and pid and where and w_from and w_to):
        return None
    try:
        return Visit(
            visit_id=vid,
            patient_id=pid,
            location=where,
            window=Window(w_from, w_to),
            duration_min=duration,
            skills=row.skills("skills"),
            staff=staff,
            priority=priority,
            preferred_clinician=row.cells.get("preferred_clinician") or None,
            pinned_clinician=row.cells.get("pinned_clinician") or None,
            after_visit=after,
            min_gap_min=gap or 0,
            visit_type=row.cells.get("visit_type", ""),
            address=row.cells.get("address", ""),
        )
    except ValueError as exc:
        row.complain(None, str(exc))
        return None


def read_visits(path: str | Path, issues: list[InputIssue] | None = None) -> tuple[Visit, ...]:
    """Visits from visits.csv; raises ``InputError`` unless ``issues`` collects them."""
    return _read_records(
        path, VISIT_COLUMNS, "visit_id", _visit, lambda v: v.location, "lat", issues
    )


def _row_numbers(path: Path, column: str) -> dict[str, int]:
    issues: list[InputIssue] = []
    table = read_table(path, (column,), issues)
    return {} if table is None else {c[column]: r for r, c in table.rows}


def read_day(visits_path: str | Path, clinicians_path: str | Path):
    """Both files, cross-checked; one ``InputError`` listing every problem in either."""
    issues: list[InputIssue] = []
    shifts = read_clinicians(clinicians_path, issues)
    visits = read_visits(visits_path, issues)
    name = Path(visits_path).name
    rows = _row_numbers(Path(visits_path), "visit_id")
    clinician_ids = {s.clinician_id for s in shifts}
    visit_ids = {v.visit_id for v in visits}
    clinicians_ok = not any(i.file == Path(clinicians_path).name for i in issues)
    for v in visits:
        row = rows.get(v.visit_id)
        if v.pinned_clinician and clinicians_ok and v.pinned_clinician not in clinician_ids:
            issues.append(
                InputIssue(
                    name,
                    row,
                    "pinned_clinician",
                    f"{v.pinned_clinician!r} is not in {Path(clinicians_path).name}",
                )
            )
        if v.after_visit and v.after_visit not in visit_ids:
            issues.append(
                InputIssue(name, row, "after_visit", f"visit {v.after_visit!r} does not exist")
            )
    follows = {v.visit_id: v.after_visit for v in visits if v.after_visit in visit_ids}
    for start in follows:
        seen, cur = {start}, follows.get(start)
        while cur is not None:
            if cur == start:
                issues.append(
                    InputIssue(
                        name,
                        rows.get(start),
                        "after_visit",
                        f"visit {start} follows itself through a chain of after_visit",
                    )
                )
                break
            if cur in seen:
                break
            seen.add(cur)
            cur = follows.get(cur)
    if issues:
        raise InputError(issues)
    return visits, shifts


# -- writing ---------------------------------------------------------------------------------


def _fmt(t: datetime) -> str:
    return t.strftime(TIME_FORMAT)


def _csv(rows: Iterable[Iterable], header: Iterable[str] | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def solution_files(
    problem: Problem, rota: Rota, summary: dict, *, export_matrix: bool
) -> dict[str, str]:
    """Every output file's text, built in memory first so that writing cannot half-fail."""
    rota_rows = []
    for route in rota.routes:
        for seq, s in enumerate(route.stops, start=1):
            rota_rows.append(
                [
                    route.clinician_id,
                    seq,
                    s.kind,
                    s.visit_id or "",
                    _fmt(s.arrive),
                    _fmt(s.start),
                    _fmt(s.end),
                    s.travel_min,
                ]
            )
    files = {
        "rota.csv": _csv(rota_rows, ROTA_COLUMNS),
        "unassigned.csv": _csv(
            ([u.visit_id, u.reason, str(u.code.value)] for u in rota.unassigned),
            ("visit_id", "reason", "code"),
        ),
        "summary.json": json.dumps(summary, indent=2, sort_keys=True) + "\n",
    }
    if export_matrix:
        files["locations.csv"] = _csv(
            ([i, f"{p.lat:.6f}", f"{p.lon:.6f}"] for i, p in enumerate(problem.travel.locations)),
            ("index", "lat", "lon"),
        )
        files["travel_min.csv"] = _csv(problem.travel.minutes.tolist())
    return files


def write_solution(
    out_dir: str | Path, problem: Problem, rota: Rota, summary: dict, *, export_matrix: bool = False
) -> list[Path]:
    """Write the contract's output files into ``out_dir``, all or nothing."""
    out = Path(out_dir)
    files = solution_files(problem, rota, summary, export_matrix=export_matrix)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        out.mkdir(exist_ok=True)
        written = []
        for name in files:
            os.replace(staging / name, out / name)
            written.append(out / name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# -- reading a rota back ---------------------------------------------------------------------


def read_rota(out_dir: str | Path, problem: Problem) -> Rota:
    """A rota from ``rota.csv`` and ``unassigned.csv``, as written by any tool."""
    out = Path(out_dir)
    issues: list[InputIssue] = []
    routes: dict[str, list[tuple[int, Stop]]] = {}
    table = read_table(out / "rota.csv", ROTA_COLUMNS, issues, allow_empty=True)
    if table is not None:
        for rownum, cells in table.rows:
            row = RowReader(table, rownum, cells, issues)
            cid = row.text("clinician_id")
            seq = row.integer("seq", minimum=1)
            kind = row.text("kind")
            if kind not in (None, "visit", "break"):
                row.complain("kind", f"{kind!r} is not 'visit' or 'break'")
            vid = cells.get("visit_id") or None
            if kind == "visit" and not vid:
                row.complain("visit_id", "a visit row needs its visit_id")
            times = [row.moment(c) for c in ("arrive", "start", "end")]
            travel = row.integer("travel_min", minimum=0)
            if not row.ok:
                continue
            try:
                stop = Stop(kind, vid if kind == "visit" else None, *times, travel)
            except ValueError as exc:
                row.complain(None, str(exc))
                continue
            routes.setdefault(cid, []).append((seq, stop))
            if len(routes[cid]) != seq:
                row.complain("seq", f"expected seq {len(routes[cid])} for {cid}, found {seq}")
    unassigned: list[Unassigned] = []
    table = read_table(out / "unassigned.csv", ("visit_id", "reason"), issues, allow_empty=True)
    if table is not None:
        for rownum, cells in table.rows:
            row = RowReader(table, rownum, cells, issues)
            vid = row.text("visit_id")
            reason = cells.get("reason", "")
            try:
                code = Reason(cells.get("code") or Reason.OTHER.value)
            except ValueError:
                code = Reason.OTHER
            if vid:
                unassigned.append(Unassigned(vid, reason, code))
    if issues:
        raise InputError(issues)
    return Rota(
        tuple(Route(cid, tuple(s for _, s in stops)) for cid, stops in routes.items()),
        tuple(unassigned),
    )


def read_matrix(out_dir: str | Path) -> TravelMatrix | None:
    """The exported matrix (``locations.csv`` + ``travel_min.csv``), or None if absent."""
    out = Path(out_dir)
    loc_path, min_path = out / "locations.csv", out / "travel_min.csv"
    if not (loc_path.exists() and min_path.exists()):
        return None
    issues: list[InputIssue] = []
    table = read_table(loc_path, ("index", "lat", "lon"), issues)
    places: list[Location] = []
    if table is not None:
        for rownum, cells in table.rows:
            row = RowReader(table, rownum, cells, issues)
            idx = row.integer("index", minimum=0)
            where = _location(row, "lat", "lon")
            if idx is not None and idx != len(places):
                row.complain("index", f"expected index {len(places)}, found {idx}")
            if row.ok and where is not None:
                places.append(where)
    try:
        minutes = np.loadtxt(min_path, delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as exc:
        issues.append(
            InputIssue(min_path.name, None, None, f"not a matrix of whole minutes ({exc})")
        )
        minutes = None
    if minutes is not None and minutes.shape != (len(places), len(places)):
        issues.append(
            InputIssue(
                min_path.name,
                None,
                None,
                f"is {minutes.shape[0]}×{minutes.shape[1]} but locations.csv has {len(places)} places",
            )
        )
    if issues:
        raise InputError(issues)
    return TravelMatrix(tuple(places), minutes, "exported")

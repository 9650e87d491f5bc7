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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.tabular import RowReader, Table, read_table
from scheduler.domain.model import (
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

CLINICIAN_COLUMNS = (
    "clinician_id", "name", "skills", "shift_start", "shift_end", "start_lat", "start_lon",
)  # fmt: skip
VISIT_COLUMNS = (
    "visit_id", "patient_id", "lat", "lon", "window_start", "window_end", "duration_min", "skills",
)  # fmt: skip
ROTA_COLUMNS = ("clinician_id", "seq", "kind", "visit_id", "arrive", "start", "end", "travel_min")
TIME_FORMAT = "%Y-%m-%dT%H:%M"
MATRIX_FILES = ("locations.csv", "travel_min.csv")
FAR_KM = 500.0


def _moment(row: RowReader, column: str, *, required: bool = True) -> datetime | None:
    """A local date-time; a bare date (which Python would read as midnight) is refused."""
    value = row.cells.get(column, "")
    moment = row.moment(column, required=required)
    if moment is not None and len(value) <= 10:
        row.complain(column, f"{value!r} has no time of day; write it as YYYY-MM-DDTHH:MM")
        return None
    return moment


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
        row.complain(
            lat_col, "0, 0 is a missing geocode: the address was never turned into coordinates"
        )
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
    start = _moment(row, "shift_start")
    end = _moment(row, "shift_end")
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
    b_from = _moment(row, "break_earliest", required=False) or start
    b_to = _moment(row, "break_latest", required=False) or end
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


def _read_records(path, columns, id_column, parse, places, issues):
    """Shared reading loop: duplicates, one parser per row, far-away points, all issues.

    Returns the records built from rows without issues, and the raw table (``None`` when the
    file could not be read at all) for cross-checks on every row.
    """
    table = read_table(path, columns, issues)
    records: list = []
    if table is not None:
        _duplicates(table, id_column, issues)
        points = []
        for rownum, cells in table.rows:
            record = parse(RowReader(table, rownum, cells, issues))
            if record is not None:
                records.append(record)
                points.extend((rownum, col, where) for col, where in places(record))
        _flag_far(table, points, issues)
    return tuple(records), table


def _raise_if(issues: list[InputIssue], before: int) -> None:
    if len(issues) > before:
        raise InputError(issues)


def _shift_places(s: Shift):
    yield "start_lat", s.start_location
    if s.end_location != s.start_location:
        yield "end_lat", s.end_location


def read_clinicians(path: str | Path, issues: list[InputIssue] | None = None) -> tuple[Shift, ...]:
    """Shifts from clinicians.csv; raises ``InputError`` unless ``issues`` collects them."""
    own: list[InputIssue] = [] if issues is None else issues
    before = len(own)
    shifts, _ = _read_records(
        path, CLINICIAN_COLUMNS, "clinician_id", _clinician, _shift_places, own
    )
    if issues is None:
        _raise_if(own, before)
    return shifts


def _visit(row: RowReader) -> Visit | None:
    vid = row.text("visit_id")
    pid = row.text("patient_id")
    where = _location(row, "lat", "lon")
    w_from = _moment(row, "window_start")
    w_to = _moment(row, "window_end")
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
    if after is not None and after == vid:
        row.complain("after_visit", f"visit {vid} cannot follow itself")
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
    own: list[InputIssue] = [] if issues is None else issues
    before = len(own)
    visits, _ = _read_records(
        path, VISIT_COLUMNS, "visit_id", _visit, lambda v: [("lat", v.location)], own
    )
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
        if pin and known is not None and pin not in known:
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
    visits_path: str | Path, clinicians_path: str | Path
) -> tuple[tuple[Visit, ...], tuple[Shift, ...]]:
    """Both files, cross-checked; one ``InputError`` listing every problem in either."""
    issues: list[InputIssue] = []
    shifts, c_table = _read_records(
        clinicians_path, CLINICIAN_COLUMNS, "clinician_id", _clinician, _shift_places, issues
    )
    visits, v_table = _read_records(
        visits_path, VISIT_COLUMNS, "visit_id", _visit, lambda v: [("lat", v.location)], issues
    )
    if v_table is not None:
        _cross_check(v_table, c_table, issues)
    _raise_if(issues, 0)
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
    """Write the contract's output files into ``out_dir``, all or nothing.

    Every file is serialised in memory and written into a temporary folder beside ``out_dir``
    first; only then are they moved in (a new ``out_dir`` is the temporary folder renamed).
    Any exception before that (e.g. a summary value JSON cannot hold) leaves ``out_dir`` as
    it was. Without ``export_matrix``, a matrix left by an earlier run is removed so that
    ``hah check`` never pairs this rota with another day's travel times.
    """
    out = Path(out_dir).absolute()
    files = solution_files(problem, rota, summary, export_matrix=export_matrix)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        if not out.exists():
            umask = os.umask(0)
            os.umask(umask)
            staging.chmod(0o777 & ~umask)
            staging.rename(out)
        else:
            for name in files:
                os.replace(staging / name, out / name)
        if not export_matrix:
            for stale in MATRIX_FILES:
                (out / stale).unlink(missing_ok=True)
        return [out / name for name in files]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# -- reading a rota back ---------------------------------------------------------------------


@dataclass(frozen=True)
class PreviousPlan:
    """A previous rota as a warm start needs it: each clinician's visits in order, and when
    each visit started (so linked visits can keep their times)."""

    routes: dict[str, list[str]]
    starts: dict[str, datetime]


def read_plan_order(out_dir: str | Path) -> PreviousPlan:
    """The previous plan in ``rota.csv`` of ``out_dir``.

    Deliberately tolerant of a changed day: visits or clinicians that are no longer there are
    kept in the answer and simply ignored by the solver, which is what a warm start needs.
    Only the file's own shape (columns, seq numbers, visit rows, times) is checked.
    """
    path = Path(out_dir) / "rota.csv"
    issues: list[InputIssue] = []
    if not path.is_file():
        raise InputError(
            [InputIssue(str(path), None, None, "no rota.csv in the --from-rota folder")]
        )
    table = read_table(path, ROTA_COLUMNS, issues, allow_empty=True)
    plan: dict[str, list[tuple[int, str]]] = {}
    starts: dict[str, datetime] = {}
    if table is not None:
        for rownum, cells in table.rows:
            row = RowReader(table, rownum, cells, issues)
            cid = row.text("clinician_id")
            seq = row.integer("seq", minimum=1)
            start = _moment(row, "start")
            if cells.get("kind") == "visit" and cid and seq is not None:
                vid = cells.get("visit_id")
                if not vid:
                    row.complain("visit_id", "a visit row needs its visit_id")
                    continue
                plan.setdefault(cid, []).append((seq, vid))
                if start is not None:
                    starts[vid] = start
    if issues:
        raise InputError(issues)
    return PreviousPlan({cid: [v for _, v in sorted(rows)] for cid, rows in plan.items()}, starts)


def plan_changes(before: dict[str, list[str]], rota: Rota) -> dict[str, int]:
    """How a new rota differs from a previous plan, visit by visit.

    ``moved``: planned before and now with another clinician; ``reordered``: same clinician,
    different place in her order (relative to the visits both plans share); ``dropped``:
    planned before, not placed now; ``added``: placed now, not planned before; ``kept``: same
    clinician and same relative order.
    """
    was = {vid: cid for cid, vids in before.items() for vid in vids}
    now = {s.visit_id: r.clinician_id for r in rota.routes for s in r.stops if s.visit_id}
    moved = sum(1 for vid, cid in was.items() if vid in now and now[vid] != cid)
    dropped = sum(1 for vid in was if vid not in now)
    added = sum(1 for vid in now if vid not in was)
    reordered = 0
    for r in rota.routes:
        mine = [s.visit_id for s in r.stops if s.visit_id and was.get(s.visit_id) == r.clinician_id]
        old = [v for v in before.get(r.clinician_id, []) if v in set(mine)]
        reordered += sum(1 for a, b in zip(mine, old, strict=True) if a != b)
    same = sum(1 for vid, cid in was.items() if now.get(vid) == cid)
    return {
        "kept": same - reordered,
        "reordered": reordered,
        "moved": moved,
        "dropped": dropped,
        "added": added,
    }


def read_rota(out_dir: str | Path, problem: Problem) -> Rota:
    """A rota from ``rota.csv`` and ``unassigned.csv``, as written by any tool."""
    out = Path(out_dir)
    issues: list[InputIssue] = []
    routes: dict[str, list[Stop]] = {}
    last_seq: dict[str, int] = {}
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
            if kind == "break" and vid:
                row.complain("visit_id", f"a break row has no visit_id (found {vid!r})")
            times = [_moment(row, c) for c in ("arrive", "start", "end")]
            travel = row.integer("travel_min", minimum=0)
            if cid is not None and seq is not None:
                expected = last_seq.get(cid, 0) + 1
                if seq != expected:
                    row.complain(
                        "seq",
                        f"expected seq {expected} for {cid} (rows in route order), found {seq}",
                    )
                last_seq[cid] = seq
            if not row.ok:
                continue
            try:
                stop = Stop(kind, vid if kind == "visit" else None, *times, travel)
            except ValueError as exc:
                row.complain(None, str(exc))
                continue
            routes.setdefault(cid, []).append(stop)
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
        tuple(Route(cid, tuple(stops)) for cid, stops in routes.items()),
        tuple(unassigned),
    )


def read_matrix(out_dir: str | Path) -> TravelMatrix | None:
    """The exported matrix (``locations.csv`` + ``travel_min.csv``), or None if both are absent.

    travel_min.csv must be n rows of n whole, non-negative minutes for the n places of
    locations.csv (indexed 0, 1, … in order); anything else is refused by file, row, column.
    """
    out = Path(out_dir)
    loc_path, min_path = out / MATRIX_FILES[0], out / MATRIX_FILES[1]
    present = [loc_path.exists(), min_path.exists()]
    if not any(present):
        return None
    issues: list[InputIssue] = []
    if not all(present):
        there, missing = (loc_path, min_path) if present[0] else (min_path, loc_path)
        issues.append(
            InputIssue(missing.name, None, None, f"file not found (it goes with {there.name})")
        )
        raise InputError(issues)
    table = read_table(loc_path, ("index", "lat", "lon"), issues)
    places: list[Location] = []
    if table is not None:
        for rownum, cells in table.rows:
            row = RowReader(table, rownum, cells, issues)
            idx = row.integer("index", minimum=0)
            where = _location(row, "lat", "lon")
            if idx is not None and idx != rownum - 2:
                row.complain("index", f"expected index {rownum - 2}, found {idx}")
            if row.ok and where is not None:
                places.append(where)
    n = len(places)
    rows = _matrix_rows(min_path, issues)
    if rows is not None and table is not None and len(table.rows) == n:
        if len(rows) != n:
            issues.append(
                InputIssue(
                    min_path.name,
                    None,
                    None,
                    f"has {len(rows)} rows but locations.csv has {n} places (it must be {n}×{n})",
                )
            )
        for rownum, values in enumerate(rows, start=1):
            if len(values) != n:
                issues.append(
                    InputIssue(
                        min_path.name, rownum, None, f"has {len(values)} numbers, expected {n}"
                    )
                )
    if issues:
        raise InputError(issues)
    return TravelMatrix(tuple(places), np.array(rows, dtype=np.int64).reshape(n, n), "exported")


def _matrix_rows(path: Path, issues: list[InputIssue]) -> list[list[int]] | None:
    """travel_min.csv as rows of whole minutes (no header); ``None`` if any cell is bad."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(InputIssue(path.name, None, None, f"cannot be read ({exc})"))
        return None
    rows: list[list[int]] = []
    ok = True
    for rownum, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not cells or not any(c.strip() for c in cells):
            continue
        values = []
        for col, cell in enumerate(cells, start=1):
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            if not value.is_integer() or value < 0:
                issues.append(
                    InputIssue(
                        path.name,
                        rownum,
                        str(col),
                        f"{cell.strip()!r} is not a whole, non-negative number of minutes",
                    )
                )
                ok = False
                continue
            values.append(int(value))
        rows.append(values)
    if not rows:
        issues.append(InputIssue(path.name, None, None, "the file is empty"))
        return None
    return rows if ok else None

"""Reading back what ``scheduler.domain.formats.solution`` writes: a rota (``read_rota``),
a previous plan's order for a warm start (``read_plan_order``, ``PreviousPlan``, and
``plan_changes``, how a new rota differs from it), and an exported travel matrix
(``read_matrix``). Problems are refused by file, row and column, as for a day's input.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.solution import LOCATION_COLUMNS, MATRIX_FILES, ROTA_COLUMNS
from scheduler.domain.formats.tabular import RowReader, read_table
from scheduler.domain.model import (
    Location,
    Problem,
    Reason,
    Rota,
    Route,
    Stop,
    TravelMatrix,
    Unassigned,
)


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
            start = row.moment("start")
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
            times = [row.moment(c) for c in ("arrive", "start", "end")]
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
            assert cid is not None and travel is not None
            arrive, start, end = times
            assert arrive is not None and start is not None and end is not None
            try:
                stop = Stop(
                    "visit" if kind == "visit" else "break",
                    vid if kind == "visit" else None,
                    arrive,
                    start,
                    end,
                    travel,
                )
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
    table = read_table(loc_path, LOCATION_COLUMNS, issues)
    places: list[Location] = []
    if table is not None:
        for rownum, cells in table.rows:
            row = RowReader(table, rownum, cells, issues)
            idx = row.integer("index", minimum=0)
            where = row.location("lat", "lon")
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

"""Importing a day's two CSV files, and re-building its ``Problem`` from what was stored.

The uploaded files are validated by the very readers the command line uses
(``scheduler.domain.formats.day.read_day``), straight from memory under the names they were
uploaded as, so a coordinator sees the same "file, row, column: why" messages as
``hah solve`` would print. Nothing is written to disk.
Nothing is stored unless both files are clean, and a day larger than the service's limits
(``DayLimits``: ``HAH_MAX_VISITS``, ``HAH_MAX_SHIFTS``) is refused before it is even parsed,
so an upload of a whole county's year cannot hold a worker for minutes or make a board of
a hundred megabytes. The stored bytes are read back the same way
whenever a page or a job needs the day, with a small per-process cache keyed by import id
(imports never change once stored), keyed by a hash of the files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.day import ClinicianFile, read_clinician_file, read_day
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.localtime import local
from scheduler.domain.model import Problem, Shift, Visit
from scheduler.domain.problem import build_problem
from web.models import Day, DayImport, User
from web.services import audit
from web.services.memo import ProcessCache
from web.services.minimise import problem_with_travel


@dataclass(frozen=True)
class DayLimits:
    """The largest day an import may hold (far above a real day: the sample day has 1,070
    visits and 52 shifts)."""

    visits: int = 5000
    shifts: int = 500


def _records(data: bytes, limit: int) -> int:
    """How many data rows a CSV file has, counted exactly only when a cheap count of its
    lines says it may be over ``limit`` (a quoted cell may hold a line break)."""
    if data.count(b"\n") <= limit:
        return min(limit, max(0, data.count(b"\n")))
    text = data.decode("utf-8-sig", errors="replace")
    return max(0, sum(1 for row in csv.reader(io.StringIO(text)) if row) - 1)


def check_size(upload: Upload, limit: int, what: str, setting: str, fallback: str) -> None:
    """Refuse (``InputError``) a file with more than ``limit`` rows, before reading it."""
    n = _records(upload.data, limit)
    if n > limit:
        raise InputError([InputIssue(
            _safe_name(upload.name, fallback), None, None,
            f"{n:,} {what}: a day may hold at most {limit:,} ({setting}); "
            "is this the right file?",
        )])  # fmt: skip


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the coordinator gave it and its bytes."""

    name: str
    data: bytes


#: The longest file name kept (the columns hold 255 characters).
MAX_NAME = 120


def _safe_name(name: str, fallback: str) -> str:
    """The upload's name as stored and shown: ``secure_filename``, at most ``MAX_NAME``
    characters, its extension kept (a longer one was refused by PostgreSQL: a 500)."""
    cleaned = secure_filename(name or "") or fallback
    if len(cleaned) > MAX_NAME:
        stem, dot, ext = cleaned.rpartition(".")
        ext = f".{ext[:10]}" if dot and stem else ""
        cleaned = cleaned[: MAX_NAME - len(ext)] + ext
    return cleaned


def _source(upload: Upload, fallback: str) -> CsvSource:
    """An upload as the readers take it, named as it is stored and shown (``_safe_name``)."""
    return CsvSource(_safe_name(upload.name, fallback), upload.data)


def read_staff(clinicians: Upload) -> ClinicianFile:
    """The staff file read once, under the name it is stored and shown as, its problems kept
    for ``import_day`` to report (``staff=``) rather than raised."""
    return read_clinician_file(_source(clinicians, "clinicians.csv"))


def _read(visits: Upload, clinicians: Upload, staff: ClinicianFile | None = None
          ) -> tuple[tuple[Visit, ...], tuple[Shift, ...]]:  # fmt: skip
    """Both files through ``scheduler.domain.formats.day.read_day`` (the staff file as
    ``staff`` when it was read already: ``read_staff``); raises ``InputError`` with every
    issue, each naming the file as the coordinator uploaded it."""
    return read_day(_source(visits, "visits.csv"),
                    staff if staff is not None else _source(clinicians, "clinicians.csv"))


def visits_from_careplans(day: date, patients: Upload, careplans: Upload,
                          limits: DayLimits | None = None) -> Upload:  # fmt: skip
    """The day's visits.csv expanded from care plans (as ``hah visits`` does), so a
    coordinator can import patients.csv + careplans.csv + the date instead of visits.csv.
    Raises ``InputError`` naming the uploaded files, rows and columns (or, for a caseload
    of more patients than a day may have visits, the limit)."""
    from scheduler.domain.careplan import expand, read_caseload, visits_csv_text

    limits = limits or DayLimits()
    check_size(patients, limits.visits, "patients", "HAH_MAX_VISITS", "patients.csv")
    check_size(careplans, 10 * limits.visits, "care plan rows", "HAH_MAX_VISITS",
               "careplans.csv")  # fmt: skip

    plans_file = _source(careplans, "careplans.csv")
    people, plans = read_caseload(_source(patients, "patients.csv"), plans_file)
    visits = expand(people, plans, day)
    if not visits:
        why = f"no care plan has a visit on {day:%Y-%m-%d}"
        raise InputError([InputIssue(plans_file.name, None, None, why)])
    return Upload(f"visits from {plans_file.name}", visits_csv_text(visits).encode("utf-8"))


def _date_issues(day: date, shifts: tuple[Shift, ...], clinicians_name: str) -> list[InputIssue]:
    """A day whose shifts all start on another date is almost surely the wrong file: refusing
    it keeps nurses from being sent yesterday's plan."""
    if shifts and not any(local(s.start).date() == day for s in shifts):
        first = local(min(s.start for s in shifts))
        return [
            InputIssue(
                clinicians_name,
                None,
                "shift_start",
                f"no shift starts on {day:%Y-%m-%d} (the first starts {first:%Y-%m-%d %H:%M});"
                " choose the right date or file",
            )
        ]
    return []


def import_day(
    session: Session,
    day: date,
    visits: Upload,
    clinicians: Upload,
    user: User | None,
    ip: str = "",
    *,
    limits: DayLimits | None = None,
    staff: ClinicianFile | None = None,
) -> DayImport:
    """Validate and store a day's files; raises ``InputError`` (and stores nothing) if any
    issue is found, or the day is larger than ``limits``. The refusal is audited by the
    caller, whose transaction is rolled back. ``staff`` is ``clinicians`` as the caller
    already read it (``read_staff(clinicians)``), so it is not parsed a second time."""
    limits = limits or DayLimits()
    check_size(visits, limits.visits, "visits", "HAH_MAX_VISITS", "visits.csv")
    check_size(clinicians, limits.shifts, "shifts", "HAH_MAX_SHIFTS", "clinicians.csv")
    v, s = _read(visits, clinicians, staff)
    too_many = [
        InputIssue(_safe_name(up.name, name), None, None,
                   f"{n:,} {what}: a day may hold at most {limit:,} ({setting})")
        for up, name, n, limit, what, setting in (
            (visits, "visits.csv", len(v), limits.visits, "visits", "HAH_MAX_VISITS"),
            (clinicians, "clinicians.csv", len(s), limits.shifts, "shifts", "HAH_MAX_SHIFTS"),
        ) if n > limit
    ]  # fmt: skip
    if too_many:
        raise InputError(too_many)
    issues = _date_issues(day, s, _safe_name(clinicians.name, "clinicians.csv"))
    if issues:
        raise InputError(issues)
    row = session.scalar(select(Day).where(Day.date == day))
    if row is None:
        row = Day(date=day)
        session.add(row)
        session.flush()
    imp = DayImport(
        day_id=row.id,
        visits_name=_safe_name(visits.name, "visits.csv"),
        visits_csv=visits.data,
        clinicians_name=_safe_name(clinicians.name, "clinicians.csv"),
        clinicians_csv=clinicians.data,
        visits_count=len(v),
        clinicians_count=len(s),
        patients_count=len({x.patient_id for x in v}),
        created_by_id=user.id if user else None,
    )
    session.add(imp)
    session.flush()
    audit.record(
        session,
        user,
        "import",
        f"{day:%Y-%m-%d}: import {imp.id}, {len(v)} visits ({imp.visits_name}), "
        f"{len(s)} shifts ({imp.clinicians_name})",
        ip,
    )
    _DAYS.put(("day", content_key(imp)), (v, s))
    return imp


def get_day(session: Session, day: date) -> Day | None:
    return session.scalar(select(Day).where(Day.date == day))


def all_days(session: Session) -> list[Day]:
    return list(session.scalars(select(Day).order_by(Day.date.desc())))


def latest_import(session: Session, day: Day) -> DayImport | None:
    return session.scalar(
        select(DayImport).where(DayImport.day_id == day.id).order_by(DayImport.id.desc()).limit(1)
    )


# --- re-building a day from what was stored ------------------------------------------------

#: Days' inputs and problems by the hash of their files (``content_key``).
_DAYS: ProcessCache = ProcessCache(8)


def content_key(imp: DayImport) -> str:
    """The cache key of an import: a hash of its files, never its row id (two databases, or a
    test run after another, reuse ids for different files)."""
    h = hashlib.sha256()
    kept = getattr(imp, "purged_travel", None)
    parts = (imp.visits_name, imp.visits_csv, imp.clinicians_name, imp.clinicians_csv,
             *((json.dumps(kept),) if kept else ()))  # fmt: skip
    for part in parts:
        data = part.encode() if isinstance(part, str) else bytes(part)
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def day_inputs(imp: DayImport) -> tuple[tuple[Visit, ...], tuple[Shift, ...]]:
    """The visits and shifts of a stored import (read again by ``scheduler.domain.formats``)."""
    return _DAYS.get_or_make(
        ("day", content_key(imp)),
        lambda: _read(
            Upload(imp.visits_name, imp.visits_csv),
            Upload(imp.clinicians_name, imp.clinicians_csv),
        ),
    )


def problem_for(imp: DayImport) -> Problem:
    """The solvable, checkable day of an import: its inputs plus the travel matrix (the
    geodesic model, cached on disk by ``scheduler.domain.travel``). An import whose personal
    data was purged (``web.services.retention``) keeps the drives its rotas were timed with,
    so it rebuilds with those (``web.services.minimise.problem_with_travel``)."""
    kept = getattr(imp, "purged_travel", None)
    if kept:
        return _DAYS.get_or_make(("problem", content_key(imp)),
                                 lambda: problem_with_travel(*day_inputs(imp), kept))  # fmt: skip
    return _DAYS.get_or_make(("problem", content_key(imp)), lambda: build_problem(*day_inputs(imp)))

"""The roster: who is on shift each planning day, from the e-roster's export or entered.

Issue 14: tomorrow's visits follow from the caseload and "the staff on shift imported from
the e-roster export or entered". ``import_roster`` stores an export (read by
``scheduler.domain.formats.eroster``, every problem by file, row and column, nothing stored
unless it is clean) and replaces every stored duty of the period it covers, in the caller's
one transaction: the roster system is the source of truth for those days, and a re-import a
week later gives exactly what it says, sick and study rows included (they put nobody on
shift). ``add_duty`` and ``remove_duty`` change one day by hand (a bank nurse booked today, a
nurse off); ``shifts_for`` gives a day's duties as the ``Shift`` values a day is planned with
(``caseload_day.plan_from_roster``). Each change is audited, naming clinicians by id only.

Writers take the roster's lock first (``_lock``: a PostgreSQL advisory lock, SQLite's write
lock), so two imports or entries at once are one after the other instead of a unique
violation. No Flask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.eroster import MAX_DAYS, Duty, duty_from_cells, read_eroster
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.geocode import Gazetteer
from scheduler.domain.model import Break, Location, Shift, Window, format_skills
from web.models import RosterDuty, RosterImport, User
from web.services import audit
from web.services.days import DayLimits, Upload, _safe_name, check_size

#: The PostgreSQL advisory lock key every roster writer takes ("ROSTER" in ASCII).
LOCK_KEY = 0x524F53544552


class RosterError(Exception):
    """A change refused: every ``(field, why)`` and the status it answers as (422 a bad
    value, 404 no such duty, 409 the day's roster does not allow it)."""

    def __init__(self, problems: list[tuple[str, str]], status: int = 422):
        if not problems:
            raise ValueError("a RosterError needs at least one problem")
        self.problems = problems
        self.status = status
        super().__init__("; ".join(f"{f}: {why}" if f else why for f, why in problems))


@dataclass(frozen=True)
class Imported:
    """An import stored, and the warnings to show (a base at its district's centre)."""

    row: RosterImport
    warnings: tuple[InputIssue, ...]
    skipped: tuple[tuple[str, int], ...]


def _lock(session: Session) -> None:
    """The roster's write lock for the rest of the transaction (see the module)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        return
    raw = connection.connection.driver_connection
    if raw is not None and not getattr(raw, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:  # a write statement takes SQLite's write lock (and holds it to the commit)
        session.execute(delete(RosterDuty).where(RosterDuty.id < 0))


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _moment(stamp: datetime) -> datetime:
    return stamp.replace(tzinfo=UTC)


def _row(duty: Duty, source: str, user: User | None, import_id: int | None = None,
         note: str = "") -> RosterDuty:  # fmt: skip
    s = duty.shift
    rest = s.rest_break
    return RosterDuty(
        day=duty.day, clinician_id=s.clinician_id, name=s.name, role=s.role,
        skills=sorted(s.skills), gender=s.gender, starts_at=_naive(s.start),
        ends_at=_naive(s.end), break_min=rest.duration_min if rest else 0,
        break_earliest=_naive(rest.window.start) if rest else None,
        break_latest=_naive(rest.window.end) if rest else None,
        lat=s.start_location.lat, lon=s.start_location.lon, base=s.base,
        duty_code=duty.code[:32], source=source, import_id=import_id, note=note,
        created_by_id=user.id if user else None,
    )  # fmt: skip


def shift_of(row: RosterDuty) -> Shift:
    """A stored duty as the domain's ``Shift`` (what clinicians.csv would give)."""
    rest = None
    if row.break_min and row.break_earliest is not None and row.break_latest is not None:
        rest = Break(row.break_min, Window(_moment(row.break_earliest), _moment(row.break_latest)))
    here = Location(row.lat, row.lon)
    return Shift(clinician_id=row.clinician_id, name=row.name, skills=frozenset(row.skills),
                 start=_moment(row.starts_at), end=_moment(row.ends_at), start_location=here,
                 end_location=here, rest_break=rest, role=row.role, base=row.base,
                 gender=row.gender)  # fmt: skip


def duties_for(session: Session, day: date) -> list[RosterDuty]:
    """The planning day's stored duties, by start then clinician id."""
    query = select(RosterDuty).where(RosterDuty.day == day)
    return list(session.scalars(query.order_by(RosterDuty.starts_at, RosterDuty.clinician_id)))


def shifts_for(session: Session, day: date) -> list[Shift]:
    """The staff on shift on planning ``day``, as the shifts a day is planned with."""
    return [shift_of(r) for r in duties_for(session, day)]


def imports(session: Session, limit: int = 10) -> list[RosterImport]:
    return list(session.scalars(select(RosterImport).order_by(RosterImport.id.desc())
                                .limit(limit)))  # fmt: skip


def days_held(session: Session, first: date, last: date) -> dict[date, int]:
    """How many duties each planning day from ``first`` to ``last`` holds (days with any)."""
    rows = session.execute(select(RosterDuty.day, func.count(RosterDuty.id))
                           .where(RosterDuty.day >= first, RosterDuty.day <= last)
                           .group_by(RosterDuty.day)).all()  # fmt: skip
    return {d: n for d, n in rows}


def import_roster(session: Session, upload: Upload, user: User | None, ip: str = "", *,
                  limits: DayLimits | None = None,
                  gazetteer: Gazetteer | None = None) -> Imported:  # fmt: skip
    """Store the export and replace the stored duties of its period (first to last date),
    in the caller's transaction; raises ``InputError`` (nothing stored) naming the file, row
    and column of every problem, or a day of more duties than ``HAH_MAX_SHIFTS``."""
    limits = limits or DayLimits()
    name = _safe_name(upload.name, "eroster.csv")
    check_size(upload, limits.shifts * MAX_DAYS, "rows", "HAH_MAX_SHIFTS per day",
               "eroster.csv")  # fmt: skip
    export = read_eroster(CsvSource(name, upload.data), gazetteer=gazetteer)
    counts = {day: len(export.shifts_on(day)) for day in export.days()}
    crowded = [InputIssue(name, None, "date", f"{day}: {n:,} duties; a day may hold at most "
                          f"{limits.shifts:,} (HAH_MAX_SHIFTS)")
               for day, n in counts.items() if n > limits.shifts]  # fmt: skip
    if crowded:
        raise InputError(crowded)
    _lock(session)
    period = (RosterDuty.day >= export.first, RosterDuty.day <= export.last)
    replaced = session.scalar(select(func.count(RosterDuty.id)).where(*period)) or 0
    entered = session.scalar(select(func.count(RosterDuty.id))
                             .where(*period, RosterDuty.source == "entered")) or 0  # fmt: skip
    session.execute(delete(RosterDuty).where(*period))
    row = RosterImport(file_name=name, first_day=export.first, last_day=export.last,
                       duties_count=len(export.duties), skipped_count=export.skipped_rows,
                       replaced_count=replaced, replaced_entered=entered,
                       created_by_id=user.id if user else None)  # fmt: skip
    session.add(row)
    session.flush()
    session.add_all(_row(d, "import", user, row.id) for d in export.duties)
    session.flush()
    skipped = ", ".join(f"{code or '(none)'} {n}" for code, n in export.skipped)
    audit.record(session, user, "roster_import",
                 f"{name}: {export.first} to {export.last}: {len(export.duties)} duties on "
                 f"{len({d.day for d in export.duties})} days, roster import {row.id}; "
                 f"{export.skipped_rows} rows not working ({skipped or 'none'}); replaced "
                 f"{replaced} stored duties ({entered} entered on the web)", ip)  # fmt: skip
    return Imported(row, export.warnings, export.skipped)


def refuse_import(session: Session, err: InputError, user: User | None, ip: str = "") -> None:
    """A refused export: nothing of it is kept (the transaction is rolled back) but the
    refusal is, audited and committed, whether the page or the API was handed the file."""
    session.rollback()
    audit.record(session, user, "roster_refused",
                 f"{len(err.issues)} issue(s) in {err.issues[0].file}", ip)  # fmt: skip
    session.commit()


def _problems(err: InputError) -> list[tuple[str, str]]:
    return [(i.column or "", i.message) for i in err.issues]


def add_duty(session: Session, day: date, fields: Mapping[str, str], user: User | None,
             ip: str = "", *, note: str = "", gazetteer: Gazetteer | None = None,
             warnings: list[InputIssue] | None = None) -> RosterDuty:  # fmt: skip
    """Enter one duty for planning ``day`` (the export's columns: ``staff_id``, ``name``,
    ``grade``, ``start``, ``end``, base…); the export's checks, then: not a second duty of
    hers that day (409), not overlapping her duty the day before or after (409)."""
    try:
        duty = duty_from_cells(fields, day, file="the duty", gazetteer=gazetteer,
                               warnings=warnings)  # fmt: skip
    except InputError as err:
        raise RosterError(_problems(err)) from None
    s = duty.shift
    _lock(session)
    near = (RosterDuty.day >= day - timedelta(days=1), RosterDuty.day <= day + timedelta(days=1))
    mine = session.scalars(select(RosterDuty).where(RosterDuty.clinician_id == s.clinician_id,
                                                    *near))  # fmt: skip
    for other in mine:
        theirs = shift_of(other)
        if other.day == day:
            raise RosterError([("staff_id", f"{s.clinician_id} already has a duty on {day} "
                                f"({theirs.label()}): remove it first")], 409)  # fmt: skip
        if s.start < theirs.end and theirs.start < s.end:
            raise RosterError([("start", f"{s.clinician_id}'s duty {s.label()} overlaps her "
                                f"duty of {other.day} ({theirs.label()})")], 409)  # fmt: skip
    row = _row(duty, "entered", user, note=note[:1000])
    session.add(row)
    session.flush()
    audit.record(session, user, "roster_add",
                 f"{day}: {s.clinician_id} ({s.role or 'no grade'}) on shift {s.label()} "
                 f"({format_skills(s.skills)}), entered", ip)  # fmt: skip
    return row


def remove_duty(session: Session, day: date, clinician_id: str, user: User | None,
                ip: str = "") -> RosterDuty:  # fmt: skip
    """Take ``clinician_id``'s duty off planning ``day`` (404 when she has none). A day
    already imported for planning keeps its files; plan it again to use the change."""
    _lock(session)
    row = session.scalar(select(RosterDuty).where(RosterDuty.day == day,
                                                  RosterDuty.clinician_id == clinician_id))
    if row is None:
        raise RosterError([("staff_id", f"{clinician_id or '(empty)'} has no duty on {day}")],
                          404)  # fmt: skip
    label = shift_of(row).label()
    session.delete(row)
    session.flush()
    audit.record(session, user, "roster_remove",
                 f"{day}: {clinician_id} taken off the roster ({label}, {row.source})", ip)
    return row

"""A day planned from the caseload, and a patient's visits on the days planned.

``plan_from_caseload`` expands the plans active on the day (``caseload_for`` → the domain's
``expand``: doses by the wall clock, a dose after midnight on the day's night shift) into
the day's visits.csv and imports it with the staff on shift through
``web.services.days.import_day``: the same checks, the same stored files, so the board,
Generate and Publish work on it unchanged, and any other day (today, live and published)
is left alone. ``plan_from_roster`` does the same with the staff the stored roster has on
shift that day (``web.services.roster``) instead of an uploaded file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.domain.careplan import clinicians_csv_text, expand, visits_csv_text
from scheduler.domain.continuity import learned_preferences
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.model import Shift
from web.models import Day, DayImport, RotaVersion, User
from web.services import audit
from web.services.caseload import caseload_for
from web.services.days import (
    DayLimits,
    Upload,
    day_inputs,
    import_day,
    latest_import,
    read_staff,
)
from web.services.roster import shifts_for
from web.services.rotas import latest_published, version_rota, versions
from web.services.stays import history_before

#: How the expanded visits file is named on the board ("import 7: 212 visits (caseload-…)").
FILE_NAME = "caseload-{day:%Y-%m-%d}.csv"
#: How the stored roster's staff on shift are named as the day's clinicians file.
ROSTER_NAME = "roster-{day:%Y-%m-%d}.csv"


def caseload_visits(session: Session, day: date, shifts: Sequence[Shift] = ()) -> Upload:
    """The day's visits.csv expanded from the caseload; ``InputError`` when it has none.

    With the day's ``shifts``, each visit's continuity is learned from the published days
    before (``continuity.learned_preferences`` over ``stays.history_before``): the nurse who
    saw the patient most and most lately, among those on shift who could make the visit, is
    preferred, the patient's other top nurses are familiar; a patient with no history keeps
    her fixed named nurse."""
    patients, items = caseload_for(session, day)
    visits = expand(patients, items, day)
    if not visits:
        why = (f"no care plan on the caseload has a visit on {day:%Y-%m-%d}: admit patients, "
               "or choose another day")  # fmt: skip
        raise InputError([InputIssue("caseload", None, None, why)])
    if shifts:
        visits = learned_preferences(visits, shifts, history_before(session, day), day)
    return Upload(FILE_NAME.format(day=day), visits_csv_text(visits).encode("utf-8"))


def plan_from_caseload(session: Session, day: date, clinicians: Upload, user: User | None,
                       ip: str = "", *, limits: DayLimits | None = None) -> DayImport:  # fmt: skip
    """Import ``day`` from the caseload and the staff on shift (clinicians.csv or the
    e-roster's export in its columns); raises ``InputError`` (nothing stored) naming the
    file, row and column of every problem, as an import of files does. The staff file is
    read once: its shifts choose each visit's continuity, and the import reports its
    problems from that same reading."""
    staff = read_staff(clinicians)
    visits = caseload_visits(session, day, staff.shifts)
    imp = import_day(session, day, visits, clinicians, user, ip, limits=limits, staff=staff)
    audit.record(session, user, "caseload_plan_day",
                 f"{day:%Y-%m-%d}: import {imp.id}, {imp.visits_count} visits for "
                 f"{imp.patients_count} patients from the caseload", ip)  # fmt: skip
    return imp


def days_with_visits(session: Session, patient_id: str, since: date) -> list[date]:
    """The days from ``since`` whose latest import holds visits of the patient: planned with
    her details as they were then (a change of them reaches a day only when it is planned
    again)."""
    out = []
    for d in session.scalars(select(Day).where(Day.date >= since).order_by(Day.date)):
        imp = latest_import(session, d)
        if imp is not None and any(v.patient_id == patient_id for v in day_inputs(imp)[0]):
            out.append(d.date)
    return out


def plan_from_roster(session: Session, day: date, user: User | None, ip: str = "", *,
                     limits: DayLimits | None = None) -> DayImport:  # fmt: skip
    """Import ``day`` from the caseload with the staff the stored roster has on shift that
    planning day, written as the day's clinicians.csv (``roster-<date>.csv``): the import is
    then exactly one with that file, and says where its staff came from. ``InputError``
    when the roster has nobody on shift that day, or the day is refused."""
    shifts = shifts_for(session, day)
    if not shifts:
        why = (f"nobody is on shift on {day:%Y-%m-%d} in the stored roster: import the "
               "e-roster's export or enter the day's duties on the roster page, or choose a "
               "clinicians file")  # fmt: skip
        raise InputError([InputIssue("roster", None, None, why)])
    staff = Upload(ROSTER_NAME.format(day=day), clinicians_csv_text(shifts).encode("utf-8"))
    return plan_from_caseload(session, day, staff, user, ip, limits=limits)


@dataclass(frozen=True)
class PlannedVisit:
    """One of a patient's visits on a planned day, and who makes it in the version shown."""

    visit_id: str
    visit_type: str
    window_start: datetime
    window_end: datetime
    start: datetime | None = None
    clinicians: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedDay:
    date: date
    #: "published version 2", "draft 14", or "" while no rota was generated.
    version: str
    visits: tuple[PlannedVisit, ...]


def _shown(session: Session, day: Day) -> RotaVersion | None:
    """The version a patient's day is read from: the latest published, else the newest."""
    found = versions(session, day)
    return latest_published(session, day) or (found[0] if found else None)


def planned_visits(session: Session, patient_id: str, since: date,
                   limit: int = 3) -> list[PlannedDay]:  # fmt: skip
    """The patient's visits on the next ``limit`` imported days from ``since`` that hold
    any, with who makes each (clinician id and name) in the version shown."""
    days = session.scalars(select(Day).where(Day.date >= since).order_by(Day.date)).all()
    out: list[PlannedDay] = []
    for d in days:
        version = _shown(session, d)
        imp = session.get(DayImport, version.import_id) if version else latest_import(session, d)
        if imp is None:
            continue
        visits, shifts = day_inputs(imp)
        mine = [v for v in visits if v.patient_id == patient_id]
        if not mine:
            continue
        names = {s.clinician_id: s.name for s in shifts}
        who: dict[str, list[str]] = {}
        starts: dict[str, datetime] = {}
        if version is not None:
            for route in version_rota(version).routes:
                for stop in route.stops:
                    if stop.visit_id is not None:
                        who.setdefault(stop.visit_id, []).append(
                            f"{route.clinician_id} {names.get(route.clinician_id, '')}".strip())
                        starts[stop.visit_id] = stop.start
        label = "" if version is None else (
            f"published version {version.number}" if version.status == "published"
            else f"draft {version.id}")  # fmt: skip
        out.append(PlannedDay(d.date, label, tuple(
            PlannedVisit(v.visit_id, v.visit_type, v.window.start, v.window.end,
                         starts.get(v.visit_id), tuple(who.get(v.visit_id, ())))
            for v in sorted(mine, key=lambda v: (v.window.start, v.visit_id)))))  # fmt: skip
        if len(out) == limit:
            break
    return out

"""Retention: personal data this scheduling tool holds is purged once its period is over, and
what the service's history is made of stays.

The clinical record is the trust's (its EPR); what this tool holds are working copies made to
plan visits: the day's uploaded files and the caseload's patient records. So:

- **a day's uploads** (``DayImport`` files, and a live-day event's amended files and form),
  ``Retention.uploads_days`` after the service day, are replaced by a minimised copy
  (``web.services.minimise``: no addresses, access notes, names or patient preferences;
  places coarsened to 0.01°) that keeps the drives the import's rotas were timed with, so
  the day's board, history, figures and the nurses' old routes still open, and every stored
  rota re-checks exactly as it did. ``purged_at`` marks it (the board says so). The stored
  roster's duties of those days (``RosterDuty``, from the e-roster's export) lose what an
  upload's clinicians lose: the name (the id instead), the gender, the note, the exact base;
- **a discharged patient's record**, ``Retention.discharged_days`` after the last discharge
  (and only while no stay is open or starts later), loses name, NHS number, address,
  postcode, access notes, preferences, risk flags, the exact place (coarsened as above) and
  the discharge notes, and keeps the service id, the stays' dates and the plan history (what
  was given when). A new admission fills the details in again;
- **the audit log is never purged**: it names patients by the service id only.

``purge`` is idempotent and safe beside the running app and other purges, on SQLite and
PostgreSQL: each row is read, minimised, and written back in a transaction of its own by an
``UPDATE … WHERE purged_at IS NULL`` (a patient also ``AND updated_at =`` what was read, so
a re-admission at that moment wins), so two purges never both count a row and nothing is
held locked while a day is rebuilt. A run that purges anything (and every run of ``hah web
purge``) adds one ``retention_purge`` audit entry with the counts; a dry run changes
nothing. Nothing here prints or logs patient data: counts only.

``hah web purge`` runs it by hand; every ``hah worker`` runs it ``FIRST_S`` after it starts
and then every ``EVERY_S`` (``Scheduled``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, or_, select, update

from scheduler.domain.careplan import clinicians_csv_text, visits_csv_text
from scheduler.domain.errors import InputError
from scheduler.domain.formats.day import read_clinicians, read_visits
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.localtime import local
from web.models import Admission, Day, DayEvent, DayImport, Patient, RosterDuty, RotaVersion
from web.services import audit, clock
from web.services.days import problem_for
from web.services.minimise import coarse, minimise_day, minimise_inputs
from web.services.rotas import version_rota

if TYPE_CHECKING:
    from web.db import Database

log = logging.getLogger(__name__)

#: A worker's first pass, seconds after it starts (not at once: a worker restarted by a
#: deploy need not purge before its first job, and a short-lived test worker never does).
FIRST_S = 600.0
#: Between a worker's passes: retention is counted in days, an hour late is no matter.
EVERY_S = 3600.0
#: The form fields of a live-day event that place a home (an urgent referral's).
FORM_PLACE = ("lat", "lon")
FORM_TEXT = ("address",)


@dataclass(frozen=True)
class Retention:
    """How long personal data is kept, in days (None: kept for good): a day's uploads after
    the service day (``HAH_RETAIN_UPLOADS_DAYS``), a patient's record after her last
    discharge (``HAH_RETAIN_DISCHARGED_DAYS``)."""

    uploads_days: int | None = 30
    discharged_days: int | None = 30

    def cutoffs(self, today: date) -> tuple[date | None, date | None]:
        """The first day still kept, of uploads and of discharges: data of a day (or a
        discharge) before it is due."""
        def back(n: int | None) -> date | None:
            return None if n is None else today - timedelta(days=n)

        return back(self.uploads_days), back(self.discharged_days)


@dataclass(frozen=True)
class Purged:
    """What a run purged (or, dry, would purge): counts only, never whose."""

    uploads_before: date | None
    discharged_before: date | None
    imports: int = 0
    events: int = 0
    patients: int = 0
    #: imports whose files no longer read (older readers were laxer): emptied, not minimised
    emptied: int = 0
    #: the stored roster's duties of those days, minimised
    roster: int = 0
    dry_run: bool = False

    @property
    def total(self) -> int:
        return self.imports + self.events + self.patients + self.emptied + self.roster

    def sentence(self) -> str:
        would = "would be " if self.dry_run else ""
        if self.uploads_before is None:
            up = "uploads kept (HAH_RETAIN_UPLOADS_DAYS=off)"
        else:
            up = (f"uploads of days before {self.uploads_before}: {self.imports} import(s) and "
                  f"{self.events} live-day event(s) {would}minimised")  # fmt: skip
            if self.emptied:
                up += f", {self.emptied} unreadable import(s) {would}emptied"
            if self.roster:
                up += f", {self.roster} roster duty(ies) {would}minimised"
        if self.discharged_before is None:
            pat = "patients kept (HAH_RETAIN_DISCHARGED_DAYS=off)"
        else:
            pat = (f"patients discharged before {self.discharged_before}: {self.patients} "
                   f"{would}purged")  # fmt: skip
        return f"{'dry run: ' if self.dry_run else ''}{up}; {pat}"


# --- what is due --------------------------------------------------------------------------


def _due_patients(cutoff: date):
    """Patients with a stay, none open, none discharged on or after ``cutoff``, unpurged."""
    recent = exists().where(Admission.patient_id == Patient.id,
                            or_(Admission.discharged_on.is_(None),
                                Admission.discharged_on >= cutoff))  # fmt: skip
    stayed = exists().where(Admission.patient_id == Patient.id)
    return and_(Patient.purged_at.is_(None), stayed, ~recent)


def due(session, policy: Retention, today: date) -> tuple[list[int], list[int], list[int]]:
    """The ids of the imports, live-day events and patients due (row ids, never shown)."""
    uploads, discharged = policy.cutoffs(today)
    imports: list[int] = []
    events: list[int] = []
    patients: list[int] = []
    if uploads is not None:
        imports = list(session.scalars(
            select(DayImport.id).join(Day, DayImport.day_id == Day.id)
            .where(Day.date < uploads, DayImport.purged_at.is_(None)).order_by(DayImport.id)))
        events = list(session.scalars(
            select(DayEvent.id).join(Day, DayEvent.day_id == Day.id)
            .where(Day.date < uploads, DayEvent.purged_at.is_(None)).order_by(DayEvent.id)))
    if discharged is not None:
        patients = list(session.scalars(
            select(Patient.id).where(_due_patients(discharged)).order_by(Patient.id)))
    return imports, events, patients  # fmt: skip


def due_roster(session, policy: Retention, today: date) -> list[int]:
    """The ids of the stored roster's duties of days before the uploads' cutoff, unpurged."""
    uploads, _ = policy.cutoffs(today)
    if uploads is None:
        return []
    old = select(RosterDuty.id).where(RosterDuty.day < uploads, RosterDuty.purged_at.is_(None))
    return list(session.scalars(old.order_by(RosterDuty.id)))


# --- one row at a time --------------------------------------------------------------------


def purge_import(db: Database, import_id: int, stamp: datetime) -> str | None:
    """Minimise one import (``"minimised"``), or empty it if its files no longer read
    (``"emptied"``); None when another purge did it first."""
    with db.session() as s:
        imp = s.get(DayImport, import_id)
        if imp is None or imp.purged_at is not None:
            return None
        try:
            problem = problem_for(imp)
        except (InputError, ValueError):
            values: dict[str, Any] = {"visits_csv": b"", "clinicians_csv": b"",
                                      "purged_travel": None}  # fmt: skip
            outcome = "emptied"
        else:
            versions = s.scalars(select(RotaVersion).where(RotaVersion.import_id == import_id))
            day = minimise_day(problem, [version_rota(v) for v in versions])
            values = {"visits_csv": day.visits_csv, "clinicians_csv": day.clinicians_csv,
                      "purged_travel": [list(leg) for leg in day.travel]}  # fmt: skip
            outcome = "minimised"
        s.rollback()  # the reading is over: the write below is a transaction of its own
        changed = s.execute(
            update(DayImport).where(DayImport.id == import_id, DayImport.purged_at.is_(None))
            .values(**values, purged_at=stamp)).rowcount  # type: ignore[attr-defined]  # fmt: skip
        s.commit()
    return outcome if changed else None


def _minimised_file(data: bytes | None, which: str) -> bytes | None:
    """One of an event's amended files minimised alone (None stays None: the event did not
    change that file); a file that no longer reads is dropped (b"")."""
    if data is None:
        return None
    source = CsvSource(f"{which}.csv", bytes(data))
    try:
        if which == "visits":
            visits, _, _ = minimise_inputs(read_visits(source), ())
            return visits_csv_text(visits).encode("utf-8")
        _, shifts, _ = minimise_inputs((), read_clinicians(source))
        return clinicians_csv_text(shifts).encode("utf-8")
    except (InputError, ValueError):
        return b""


def minimised_form(inputs: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An event's stored inputs with the form's address blanked and its place coarsened."""
    if inputs is None:
        return None
    form = dict(inputs.get("form") or {})
    for name in FORM_TEXT:
        if name in form:
            form[name] = ""
    try:
        lat, lon = coarse(float(form["lat"]), float(form["lon"]))
        form["lat"], form["lon"] = f"{lat:.2f}", f"{lon:.2f}"
    except (KeyError, TypeError, ValueError):
        for name in FORM_PLACE:
            if name in form:
                form[name] = ""
    return {**inputs, "form": form}


def purge_event(db: Database, event_id: int, stamp: datetime) -> bool:
    with db.session() as s:
        ev = s.get(DayEvent, event_id)
        if ev is None or ev.purged_at is not None:
            return False
        values = {"visits_csv": _minimised_file(ev.visits_csv, "visits"),
                  "clinicians_csv": _minimised_file(ev.clinicians_csv, "clinicians"),
                  "inputs": minimised_form(ev.inputs)}  # fmt: skip
        s.rollback()
        changed = s.execute(
            update(DayEvent).where(DayEvent.id == event_id, DayEvent.purged_at.is_(None))
            .values(**values, purged_at=stamp)).rowcount  # type: ignore[attr-defined]  # fmt: skip
        s.commit()
    return bool(changed)


def purge_patient(db: Database, row_id: int, cutoff: date, stamp: datetime) -> bool:
    """Blank one patient's personal fields (and her stays' discharge notes) if she is still
    due when written: unpurged, unchanged since read, no stay open or discharged since
    ``cutoff``."""
    with db.session() as s:
        p = s.get(Patient, row_id)
        if p is None or p.purged_at is not None:
            return False
        seen, (lat, lon) = p.updated_at, coarse(p.lat, p.lon)
        s.rollback()
        changed = s.execute(
            update(Patient)
            .where(Patient.id == row_id, Patient.updated_at == seen, _due_patients(cutoff))
            .values(name="", nhs_number=None, address="", postcode="", access_notes="",
                    lat=lat, lon=lon, risk_flags=[], excluded_clinicians=[], carer_gender="",
                    preferred_clinician=None, purged_at=stamp, updated_at=stamp)
        ).rowcount  # type: ignore[attr-defined]  # fmt: skip
        if changed:
            s.execute(update(Admission).where(Admission.patient_id == row_id)
                      .values(discharge_note=""))  # fmt: skip
        s.commit()
    return bool(changed)


def purge_roster(db: Database, duty_ids: list[int], stamp: datetime) -> int:
    """Minimise the roster's duties (as an upload's clinicians: the name becomes the id, no
    gender, no note, the base coarsened), each by a guarded ``UPDATE``; how many it did."""
    done = 0
    with db.session() as s:
        for duty_id in duty_ids:
            row = s.get(RosterDuty, duty_id)
            if row is None or row.purged_at is not None:
                continue
            lat, lon = coarse(row.lat, row.lon)
            done += s.execute(
                update(RosterDuty).where(RosterDuty.id == duty_id, RosterDuty.purged_at.is_(None))
                .values(name=row.clinician_id, gender="", note="", lat=lat, lon=lon,
                        purged_at=stamp)).rowcount  # type: ignore[attr-defined]  # fmt: skip
        s.commit()
    return done


# --- a run --------------------------------------------------------------------------------


def purge(db: Database, policy: Retention, now: datetime, *, dry_run: bool = False,
          source: str = "cli", audit_nothing: bool = True) -> Purged:  # fmt: skip
    """Purge what ``policy`` says is due at ``now`` (the service clock: an aware moment).

    With ``dry_run`` only counts what is due. Otherwise one ``retention_purge`` audit entry
    records the run's counts (from ``source``: ``cli`` or ``worker``), unless nothing was
    purged and ``audit_nothing`` is off (a worker's hourly pass)."""
    today = local(now).date()
    uploads, discharged = policy.cutoffs(today)
    with db.session() as s:
        imports, events, patients = due(s, policy, today)
        duties = due_roster(s, policy, today)
    if dry_run:
        return Purged(uploads, discharged, len(imports), len(events), len(patients),
                      roster=len(duties), dry_run=True)  # fmt: skip
    stamp = clock.to_stamp(now)
    outcomes = [purge_import(db, i, stamp) for i in imports]
    done = Purged(
        uploads, discharged,
        imports=outcomes.count("minimised"),
        events=sum(purge_event(db, i, stamp) for i in events),
        patients=sum(purge_patient(db, i, discharged, stamp) for i in patients)
        if discharged is not None else 0,
        emptied=outcomes.count("emptied"),
        roster=purge_roster(db, duties, stamp),
    )  # fmt: skip
    if done.total or audit_nothing:
        with db.session() as s:
            audit.record(s, None, "retention_purge", done.sentence(), source)
            s.commit()
    log.info("retention purge", extra={"imports": done.imports, "events": done.events,
                                       "patients": done.patients, "emptied": done.emptied,
                                       "roster": done.roster})
    return done


class Scheduled:
    """``purge`` in a daemon thread of a ``hah worker``: first ``first_s`` after start, then
    every ``every_s``; the service clock and the periods from ``environ`` (``HAH_NOW``,
    ``HAH_RETAIN_*``). A failed pass is logged by its kind only (an error's text could
    quote a row) and tried again next time."""

    def __init__(self, db: Database, policy: Retention, environ: Mapping[str, str], *,
                 first_s: float = FIRST_S, every_s: float = EVERY_S):  # fmt: skip
        self.db, self.policy, self.environ = db, policy, environ
        self.first_s, self.every_s = first_s, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="retention")

    def start(self) -> Scheduled:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        wait = self.first_s
        while not self._stop.wait(wait):
            wait = self.every_s
            try:
                purge(self.db, self.policy, clock.now(self.environ), source="worker",
                      audit_nothing=False)  # fmt: skip
            except Exception as exc:
                log.warning("retention pass failed: %s", type(exc).__name__)

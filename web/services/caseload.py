"""The caseload: admit a patient with a plan, add, change or stop a regimen, discharge; and
the caseload of any day as the domain's patients and care plan items, for ``expand``.

A plan's history is kept, never rewritten: a regimen change from a date ``D`` ends the old
item on ``D - 1`` and adds its successor from ``D`` (``replaces_id``); an item that had not
started by then is withdrawn (ended the day before its start: never active), since ending
it on ``D`` would give both regimens' doses on ``D``. A stop ends an item after a last day;
a discharge on ``D`` ends every item on ``D`` (that day's visits still happen) and closes
the admission. So the visits of any day, past or future, follow from the rows alone
(``caseload_for``).

Each change is audited (``web.services.audit``) in the caller's transaction, naming the
patient by the service's id only, never by name or NHS number. A refusal is a
``CaseloadError`` naming the field and why; nothing is stored (the caller rolls back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, selectinload

from scheduler.domain import careplan
from scheduler.domain.careplan import INTERVAL_H, CarePlanItem, care_item_cells, expand
from scheduler.domain.localtime import local
from scheduler.domain.model import Location
from web.models import Admission, Patient, PlanItem, User, utcnow
from web.services import audit
from web.services.caseload_input import (
    ITEM_FIELDS,
    CaseloadError,
    PatientDetails,
    Problem,
    plan_item,
    text,
)

DAY = timedelta(days=1)
NOTE_MAX = 2000


def find_patient(session: Session, patient_id: str) -> Patient | None:
    return session.scalar(select(Patient).where(Patient.patient_id == patient_id))


def open_admission(patient: Patient) -> Admission | None:
    """The stay the patient is on the caseload by (not yet discharged), if any."""
    return next((a for a in patient.admissions if a.discharged_on is None), None)


def _on_caseload(patient: Patient) -> Admission:
    adm = open_admission(patient)
    if adm is None:
        last = max((a.discharged_on for a in patient.admissions if a.discharged_on), default=None)
        why = f"{patient.patient_id} is not on the caseload" + (
            f" (discharged on {last})" if last else ""
        )
        raise CaseloadError([("patient_id", why + ": admit them again first")], 409)
    return adm


def describe(item: CarePlanItem | PlanItem) -> str:
    """``iv_antibiotic q8h 06:00`` : an item's regimen in the audit's and the pages' words."""
    parts = [item.regimen, item.frequency, item.first_time.strftime("%H:%M")
             if item.first_time else "", "PICC" if item.line == "picc" else ""]  # fmt: skip
    return " ".join(p for p in parts if p)


def domain_item(row: PlanItem, patient_id: str) -> CarePlanItem:
    """A stored item as the domain's ``CarePlanItem`` of patient ``patient_id``."""
    return CarePlanItem(
        patient_id=patient_id, regimen=row.regimen, frequency=row.frequency,
        first_time=row.first_time, tolerance_min=row.tolerance_min,
        duration_min=row.duration_min, run_hours=row.run_hours, line=row.line,
        start_date=row.start_date, end_date=row.end_date, priority=row.priority, staff=row.staff,
    )  # fmt: skip


def domain_patient(row: Patient) -> careplan.Patient:
    """A stored patient as the domain's ``Patient`` (what ``expand`` gives each visit)."""
    return careplan.Patient(
        patient_id=row.patient_id, location=Location(row.lat, row.lon), address=row.address,
        preferred_clinician=row.preferred_clinician, nhs_number=row.nhs_number or "",
        name=row.name, postcode=row.postcode, access_notes=row.access_notes,
        risk_flags=frozenset(row.risk_flags or ()),
        excluded_clinicians=frozenset(row.excluded_clinicians or ()),
        carer_gender=row.carer_gender,
    )  # fmt: skip


def _new_row(item: CarePlanItem, adm: Admission, patient: Patient, user: User | None,
             replaces: PlanItem | None = None) -> PlanItem:  # fmt: skip
    if item.start_date is None:  # plan_item and the importer always give one
        raise ValueError("a stored plan item needs its start date")
    row = PlanItem(
        admission_id=adm.id, patient_id=patient.id, regimen=item.regimen,
        frequency=item.frequency, first_time=item.first_time, tolerance_min=item.tolerance_min,
        duration_min=item.duration_min, run_hours=item.run_hours, line=item.line,
        start_date=item.start_date, end_date=item.end_date, priority=item.priority,
        staff=item.staff, replaces_id=replaces.id if replaces is not None else None,
        end_reason="", created_by_id=user.id if user else None,
    )  # fmt: skip
    adm.items.append(row)
    return row


def _end(row: PlanItem, last_day: date, reason: str, user: User | None) -> None:
    """End ``row`` after ``last_day``; one that would not have started by then is withdrawn
    (its end the day before its start: never active)."""
    row.end_date = last_day if last_day >= row.start_date else row.start_date - DAY
    row.end_reason = reason
    row.ended_by_id = user.id if user else None
    row.ended_at = utcnow()


def _record(session: Session, user: User | None, action: str, patient: Patient, what: str,
            ip: str) -> None:  # fmt: skip
    audit.record(session, user, action, f"{patient.patient_id}: {what}", ip)


def _apply(patient: Patient, d: PatientDetails) -> None:
    patient.nhs_number = d.nhs_number or None
    patient.name, patient.address, patient.postcode = d.name, d.address, d.postcode
    patient.lat, patient.lon, patient.access_notes = d.lat, d.lon, d.access_notes
    patient.risk_flags = list(d.risk_flags)
    patient.excluded_clinicians = list(d.excluded_clinicians)
    patient.carer_gender, patient.preferred_clinician = d.carer_gender, d.preferred_clinician
    # Always written, even with nothing changed: a retention purge of this patient at the
    # same moment then sees the row changed and leaves it (web.services.retention).
    patient.purged_at, patient.updated_at = None, utcnow()


def admission_problems(session: Session, details: PatientDetails,
                       admitted_on: date) -> list[Problem]:  # fmt: skip
    """Why the patient cannot be admitted on ``admitted_on`` now (already on the caseload,
    not yet discharged by then, an NHS number another patient holds), or nothing."""
    problems: list[Problem] = []
    patient = find_patient(session, details.patient_id)
    if patient is not None:
        adm = open_admission(patient)
        last = max((a.discharged_on for a in patient.admissions if a.discharged_on), default=None)
        if adm is not None:
            problems.append(("patient_id", f"{patient.patient_id} is already on the caseload "
                             f"(admitted {adm.admitted_on}): change their plan on their page"))
        elif last is not None and admitted_on <= last:
            problems.append(("admitted_on", f"{patient.patient_id} was discharged on {last}: "
                             "a new stay starts after that"))  # fmt: skip
    return problems + nhs_number_problems(session, details)


def nhs_number_problems(session: Session, details: PatientDetails) -> list[Problem]:
    """An NHS number is one person's: the problem when another patient holds this one."""
    if not details.nhs_number:
        return []
    other = session.scalar(select(Patient).where(Patient.nhs_number == details.nhs_number))
    if other is not None and other.patient_id != details.patient_id:
        return [("nhs_number", f"is already the NHS number of patient {other.patient_id}")]
    return []


def admit(session: Session, details: PatientDetails, items: Sequence[CarePlanItem],
          admitted_on: date, user: User | None, ip: str = "") -> Admission:  # fmt: skip
    """Put a patient on the caseload from ``admitted_on`` with a first plan (a patient known
    from an earlier stay is admitted again, their details brought up to date). Raises
    ``CaseloadError``: 409 when already on the caseload or the NHS number is another's."""
    problems = admission_problems(session, details, admitted_on)
    if problems:
        raise CaseloadError(problems, 409)
    early = [i for i in items if i.start_date is not None and i.start_date < admitted_on]
    if early:
        raise CaseloadError([("items", f"{describe(early[0])} starts on {early[0].start_date}, "
                                       f"before the admission ({admitted_on})")])  # fmt: skip
    patient = find_patient(session, details.patient_id)
    if patient is None:
        patient = Patient(patient_id=details.patient_id)
        session.add(patient)
    _apply(patient, details)
    adm = Admission(admitted_on=admitted_on, discharge_note="",
                    created_by_id=user.id if user else None)  # fmt: skip
    patient.admissions.append(adm)
    try:
        session.flush()
    except IntegrityError:
        raise CaseloadError([("patient_id", f"{details.patient_id} (or this NHS number) was "
                              "admitted by someone else a moment ago: reload")], 409) from None
    for item in items:
        _new_row(item, adm, patient, user)
    session.flush()
    plan = "; ".join(describe(i) for i in items) or "no plan items yet"
    _record(session, user, "caseload_admit", patient,
            f"admitted {admitted_on} (admission {adm.id}): {plan}", ip)  # fmt: skip
    return adm


def _not_before(field: str, day: date, today: date | None, problems: list[Problem]) -> None:
    if today is not None and day < today:
        problems.append((field, f"{day} is in the past (today is {today}): the plan of a day "
                                "gone by stays as it was"))  # fmt: skip


def add_item(session: Session, patient: Patient, item: CarePlanItem, user: User | None,
             ip: str = "", *, today: date | None = None) -> PlanItem:  # fmt: skip
    """Add a regimen to the patient's current stay (from its start date, never before the
    admission nor, with ``today``, in the past)."""
    adm = _on_caseload(patient)
    start = item.start_date or (today or adm.admitted_on)
    problems: list[Problem] = []
    if start < adm.admitted_on:
        problems.append(("start_date", f"{start} is before the admission ({adm.admitted_on})"))
    _not_before("start_date", start, today, problems)
    if problems:
        raise CaseloadError(problems)
    row = _new_row(replace(item, start_date=start), adm, patient, user)
    session.flush()
    _record(session, user, "caseload_plan_add", patient,
            f"plan item {row.id} added: {describe(row)} from {start}"
            + (f" to {row.end_date}" if row.end_date else ""), ip)  # fmt: skip
    return row


def _item(session: Session, adm: Admission, item_id: int) -> PlanItem:
    row = session.scalar(select(PlanItem).where(PlanItem.id == item_id,
                                                PlanItem.admission_id == adm.id)
                         .with_for_update())  # fmt: skip
    if row is None:
        raise CaseloadError([("item_id", f"no plan item {item_id} in this stay")], 404)
    return row


def _successor(session: Session, row: PlanItem) -> PlanItem | None:
    return session.scalar(select(PlanItem).where(PlanItem.replaces_id == row.id).limit(1))


def next_dose_time(patient: careplan.Patient, old: CarePlanItem, frequency: str,
                   from_date: date) -> time | None:  # fmt: skip
    """The first dose time of an antibiotic schedule every ``frequency`` from ``from_date``
    that keeps its interval from the old schedule's last dose of the day before (q8h
    06:00/14:00/22:00 to q12h: 18:00, twelve hours after the 06:00 that ends the day
    before's plan); ``None`` when the old one gave no dose that day."""
    doses = expand([patient], [old], from_date - DAY) if old.active_on(from_date - DAY) else []
    if not doses or frequency not in INTERVAL_H:
        return None
    last = max(v.window.start + (v.window.end - v.window.start) / 2 for v in doses)
    nxt = local(last + timedelta(hours=INTERVAL_H[frequency]))
    return time(nxt.hour, nxt.minute)


def change_item(session: Session, patient: Patient, item_id: int, from_date: date,
                changes: Mapping[str, Any], user: User | None, ip: str = "", *,
                today: date | None = None) -> PlanItem:  # fmt: skip
    """Change a regimen from ``from_date``: the old item ends the day before (withdrawn if it
    had not started) and a new one with ``changes`` applied (careplans.csv's columns; a
    key given empty clears it) starts on ``from_date``, pointing back at it. An antibiotic
    given a new frequency but no first dose time keeps its interval from the last dose of
    the day before (``next_dose_time``). Returns the new item."""
    adm = _on_caseload(patient)
    old = _item(session, adm, item_id)
    problems: list[Problem] = [(k, f"is not a field of a plan item ({', '.join(ITEM_FIELDS)})")
                               for k in changes if k not in ITEM_FIELDS]  # fmt: skip
    _not_before("from_date", from_date, today, problems)
    if from_date < adm.admitted_on:
        problems.append(("from_date", f"{from_date} is before the admission "
                                      f"({adm.admitted_on})"))  # fmt: skip
    later = _successor(session, old)
    if later is not None:
        raise CaseloadError([("item_id", f"plan item {old.id} was already changed: item "
                              f"{later.id} replaces it; change that one")], 409)  # fmt: skip
    if old.end_date is not None and old.end_date < from_date:
        raise CaseloadError([("from_date", f"plan item {old.id} ends on {old.end_date}: nothing "
                              f"of it is left to change from {from_date}")], 409)  # fmt: skip
    if problems:
        raise CaseloadError(problems)
    before = domain_item(old, patient.patient_id)
    cells = care_item_cells(before) | {k: text(v) for k, v in changes.items()}
    cells["start_date"] = f"{from_date:%Y-%m-%d}"
    if (cells["regimen"] == "iv_antibiotic" and not text(changes.get("first_time"))
            and cells["frequency"] != before.frequency):
        keep = next_dose_time(domain_patient(patient), before, cells["frequency"], from_date)
        cells["first_time"] = keep.strftime("%H:%M") if keep else cells["first_time"]
    new = plan_item(cells, patient.patient_id)
    if replace(before, start_date=None) == replace(new, start_date=None):
        raise CaseloadError([("", f"nothing changes: plan item {old.id} is already "
                                  f"{describe(old)}")])  # fmt: skip
    _end(old, from_date - DAY, "changed", user)
    row = _new_row(new, adm, patient, user, replaces=old)
    session.flush()
    _record(session, user, "caseload_plan_change", patient,
            f"plan item {old.id} ({describe(old)}) changed from {from_date}: item {row.id} "
            f"{describe(row)}", ip)  # fmt: skip
    return row


def stop_item(session: Session, patient: Patient, item_id: int, last_day: date,
              user: User | None, ip: str = "", *,
              today: date | None = None) -> PlanItem:  # fmt: skip
    """Stop a regimen after ``last_day`` (its last day given; the day before its start to
    withdraw it). With ``today``, no earlier than yesterday: a day gone by stays as it was."""
    adm = _on_caseload(patient)
    row = _item(session, adm, item_id)
    if row.end_date is not None and row.end_date <= last_day:
        raise CaseloadError([("last_day", f"plan item {row.id} already ends on "
                              f"{row.end_date}")], 409)  # fmt: skip
    problems: list[Problem] = []
    if today is not None:
        _not_before("last_day", last_day + DAY, today, problems)
    if problems:
        raise CaseloadError(problems)
    _end(row, last_day, "stopped", user)
    session.flush()
    _record(session, user, "caseload_plan_stop", patient,
            f"plan item {row.id} ({describe(row)}) stopped: last day {last_day}", ip)  # fmt: skip
    return row


def discharge(session: Session, patient: Patient, on: date, note: str, user: User | None,
              ip: str = "") -> Admission:  # fmt: skip
    """Discharge on ``on``: every item of the stay ends on ``on`` at the latest (that day's
    visits still happen; one not started by then is withdrawn) and the admission closes."""
    adm = _on_caseload(patient)
    problems: list[Problem] = []
    if on < adm.admitted_on:
        problems.append(("discharged_on", f"{on} is before the admission ({adm.admitted_on})"))
    if len(note) > NOTE_MAX:
        problems.append(("note", f"is {len(note):,} characters long; at most {NOTE_MAX:,}"))
    if problems:
        raise CaseloadError(problems)
    ended = 0
    for row in adm.items:
        if row.end_date is None or row.end_date > on:
            _end(row, on, "discharged", user)
            ended += 1
    adm.discharged_on, adm.discharge_note = on, note
    adm.discharged_by_id, adm.discharged_at = (user.id if user else None), utcnow()
    session.flush()
    _record(session, user, "caseload_discharge", patient,
            f"discharged on {on} (admission {adm.id}): {ended} plan item(s) ended", ip)
    return adm


# --- reading the caseload --------------------------------------------------------------------


def _active_admission(day: date):
    return (Admission.admitted_on <= day) & or_(Admission.discharged_on.is_(None),
                                                Admission.discharged_on >= day)  # fmt: skip


def caseload_for(session: Session, day: date
                 ) -> tuple[tuple[careplan.Patient, ...], tuple[CarePlanItem, ...]]:  # fmt: skip
    """The caseload of ``day`` as the domain sees it: the patients admitted that day and the
    plan items active on it, in patient then item order (``expand``'s visit ids and order
    then never depend on the database)."""
    rows = session.execute(
        select(PlanItem, Patient)
        .join(Admission, PlanItem.admission_id == Admission.id)
        .join(Patient, Admission.patient_id == Patient.id)
        .where(_active_admission(day), PlanItem.start_date <= day,
               or_(PlanItem.end_date.is_(None), PlanItem.end_date >= day))
        .order_by(Patient.patient_id, PlanItem.id)
    ).all()  # fmt: skip
    patients: dict[str, careplan.Patient] = {}
    items: list[CarePlanItem] = []
    for row, patient in rows:
        if patient.patient_id not in patients:
            patients[patient.patient_id] = domain_patient(patient)
        items.append(domain_item(row, patient.patient_id))
    return tuple(patients.values()), tuple(items)


@dataclass(frozen=True)
class CaseloadEntry:
    """One patient on the caseload list: their stay and the items active on the day."""

    patient: Patient
    admission: Admission
    today: tuple[PlanItem, ...]
    later: tuple[PlanItem, ...]


def active_caseload(session: Session, day: date) -> list[CaseloadEntry]:
    """Every stay open on ``day`` or after it (admitted, not discharged before ``day``), by
    patient id, with the items active on ``day`` and those still to start."""
    stays = session.scalars(
        select(Admission).join(Patient, Admission.patient_id == Patient.id)
        .where(or_(Admission.discharged_on.is_(None), Admission.discharged_on >= day))
        .options(contains_eager(Admission.patient), selectinload(Admission.items))
        .order_by(Patient.patient_id)
    ).all()  # fmt: skip
    out = []
    for adm in stays:
        now = tuple(r for r in adm.items if r.start_date <= day
                    and (r.end_date is None or r.end_date >= day))  # fmt: skip
        later = tuple(r for r in adm.items if r.start_date > day
                      and (r.end_date is None or r.end_date >= r.start_date))  # fmt: skip
        out.append(CaseloadEntry(adm.patient, adm, now, later))
    return out


def successors(session: Session, patient: Patient) -> dict[int, int]:
    """Which item replaced which (old id → new id), over all the patient's stays."""
    rows = session.execute(select(PlanItem.replaces_id, PlanItem.id).where(
        PlanItem.patient_id == patient.id, PlanItem.replaces_id.is_not(None))).all()  # fmt: skip
    return {old: new for old, new in rows if old is not None}

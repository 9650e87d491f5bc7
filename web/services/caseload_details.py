"""A patient's own details changed after admission: name, NHS number, address and postcode,
the place, access notes (key safe, dog, parking), risk flags, the requested carer gender,
excluded clinicians and the named nurse (``preferred_clinician``). The service's patient id
never changes: visits, rotas and the audit log name her by it.

**The admission's rules, not a copy of them.** The change is laid over the stored details
and the whole is checked by ``caseload_input.patient_details``, the admit form's own check
(``careplan.patient_from_cells``: the NHS number's check digit, the postcode, the place,
flags, gender, excluded and preferred clinicians, plus the database's limits), and the NHS
number must be no other patient's (``caseload.nhs_number_problems``, as at admission). So a
value refused at admission is refused here in the same words, on the same field.

**A new postcode places her again**, offline, as admission does (``HAH_POSTCODE_FILE``,
``web.services.postcodes``): when the postcode changes and no new place is given (a form
sends the stored one back, pre-filled: that is not a new place), lat and lon are left empty
for the postcode file to fill; a postcode the file lacks goes to its district's centre with
a warning, and without a postcode file she is refused with what to give. Emptying lat and
lon also places her from her postcode.

**Nothing is overwritten unseen.** The row is written by an ``UPDATE … WHERE purged_at IS
NULL AND updated_at =`` what was read, so a retention purge (``web.services.retention``) or
another coordinator's change at that moment is never undone: 409, reload. A page passes the
``updated_at`` it was drawn from (``seen``), so a change made since it was opened is a 409
too. A patient whose personal details were purged has nothing to change (409): admitting her
again enters them afresh. Correcting a discharged patient's details does not postpone their
purge: it is due by the discharge date, and a purge that finds the row changed since it read
it leaves it to its next pass.

**Audited** (``caseload_details_change``) with the names of the fields changed, never their
values: patient data is never logged. Nothing changed is no change: nothing written, nothing
audited.

**What reaches the visits.** A day planned from the caseload after the change carries it
(``caseload_day.caseload_visits`` reads the row); a day imported before keeps what it was
planned with, so ``already_planned`` names those days from today holding her visits when a
field a visit carries changed, for the coordinator to plan them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.domain.geocode import Gazetteer
from web.models import Patient, User, utcnow
from web.services import audit
from web.services.caseload import nhs_number_problems
from web.services.caseload_day import days_with_visits
from web.services.caseload_input import (
    CaseloadError,
    PatientDetails,
    Problem,
    patient_details,
    text,
)

#: What a coordinator may change: every detail but the service's patient id (patients.csv's
#: columns, ``PATIENT_COLUMNS``), in the order the form shows them.
EDITABLE = ("nhs_number", "name", "address", "postcode", "lat", "lon", "access_notes",
            "risk_flags", "excluded_clinicians", "carer_gender", "preferred_clinician")  # fmt: skip
#: The details every visit of hers carries (``expand``): a day already planned holds the old.
ON_VISITS = frozenset({"lat", "lon", "address", "access_notes", "risk_flags",
                       "excluded_clinicians", "carer_gender", "preferred_clinician"})  # fmt: skip
ACTION = "caseload_details_change"


@dataclass(frozen=True)
class DetailsChange:
    """What a change did: the fields changed (in ``EDITABLE``'s order; empty: nothing
    changed), what placing her noticed (a district-centre fallback), and the days from today
    already planned with her visits as they were."""

    changed: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    already_planned: tuple[date, ...] = ()


def stored_cells(patient: Patient) -> dict[str, str]:
    """The stored details as the text a form shows (and ``patient_details`` reads back to
    the same details): lists joined by ``;``, a place to its last digit."""
    return {
        "patient_id": patient.patient_id, "nhs_number": patient.nhs_number or "",
        "name": patient.name, "address": patient.address, "postcode": patient.postcode,
        "lat": repr(patient.lat), "lon": repr(patient.lon), "access_notes": patient.access_notes,
        "risk_flags": ";".join(patient.risk_flags or ()),
        "excluded_clinicians": ";".join(patient.excluded_clinicians or ()),
        "carer_gender": patient.carer_gender,
        "preferred_clinician": patient.preferred_clinician or "",
    }  # fmt: skip


def _stored(patient: Patient) -> PatientDetails:
    return PatientDetails(
        patient_id=patient.patient_id, lat=patient.lat, lon=patient.lon,
        nhs_number=patient.nhs_number or "", name=patient.name, address=patient.address,
        postcode=patient.postcode, access_notes=patient.access_notes,
        risk_flags=tuple(sorted(patient.risk_flags or ())),
        excluded_clinicians=tuple(sorted(patient.excluded_clinicians or ())),
        carer_gender=patient.carer_gender, preferred_clinician=patient.preferred_clinician,
    )  # fmt: skip


def _squashed(postcode: Any) -> str:
    return text(postcode).upper().replace(" ", "")


def _new_place(changes: Mapping[str, Any], patient: Patient) -> bool:
    """Whether ``changes`` give a place other than the stored one (one that does not read
    as a number counts as given: the rules then name it)."""
    for field, stored in (("lat", patient.lat), ("lon", patient.lon)):
        raw = text(changes.get(field))
        if field not in changes or not raw:
            continue
        try:
            if float(raw) != stored:
                return True
        except ValueError:
            return True
    return False


def _refuse_unchangeable(patient: Patient, changes: Mapping[str, Any],
                         seen: datetime | None) -> None:  # fmt: skip
    pid = patient.patient_id
    if patient.purged_at is not None:
        raise CaseloadError([("patient_id", f"{pid}'s personal details were purged on "
                              f"{patient.purged_at:%Y-%m-%d} (retention, after the last "
                              "discharge): there is nothing to change; admitting them again "
                              "enters the details afresh")], 409)  # fmt: skip
    if seen is not None and seen != patient.updated_at:
        raise CaseloadError([("", f"{pid}'s details were changed since this page was opened: "
                                  "reload it to see them, then make the change again")], 409)
    problems: list[Problem] = [
        (k, f"is not a detail of a patient ({', '.join(EDITABLE)})")
        for k in changes if k not in EDITABLE and k != "patient_id"
    ]  # fmt: skip
    if "patient_id" in changes and text(changes["patient_id"]) != pid:
        problems.append(("patient_id", "is the service's id of the patient and never changes "
                                       "(visits, rotas and the audit log name her by it)"))
    if problems:
        raise CaseloadError(problems)


def change_details(session: Session, patient: Patient, changes: Mapping[str, Any],
                   user: User | None, ip: str = "", *,
                   gazetteer: Gazetteer | None = None,
                   seen: datetime | None = None,
                   today: date | None = None) -> DetailsChange:  # fmt: skip
    """Change the patient's details: each key of ``changes`` (``EDITABLE``; a value given
    empty clears it) over the stored ones, checked as at admission (422 naming each field),
    the NHS number no other patient's (409), a new postcode placed by ``gazetteer``. Stored
    only if the row is still as read (and, with ``seen``, as the page showed it) and not
    purged, else 409; audited by field name. With ``today``, the days from it already
    planned with her visits are returned when a detail they carry changed."""
    _refuse_unchangeable(patient, changes, seen)
    fields: dict[str, Any] = {**stored_cells(patient),
                              **{k: v for k, v in changes.items() if k in EDITABLE}}  # fmt: skip
    moved = "postcode" in changes and _squashed(changes["postcode"]) != _squashed(patient.postcode)
    if moved and _squashed(changes["postcode"]) and not _new_place(changes, patient):
        fields["lat"] = fields["lon"] = ""  # placed from the new postcode, as at admission
    details = patient_details(fields, gazetteer)
    before = _stored(patient)
    changed = tuple(f for f in EDITABLE if getattr(details, f) != getattr(before, f))
    if not changed:
        return DetailsChange(())
    clash = nhs_number_problems(session, details)
    if clash:
        raise CaseloadError(clash, 409)
    _write(session, patient, details)
    audit.record(session, user, ACTION,
                 f"{patient.patient_id}: details changed: {', '.join(changed)}", ip)  # fmt: skip
    stale: tuple[date, ...] = ()
    if today is not None and ON_VISITS.intersection(changed):
        stale = tuple(days_with_visits(session, patient.patient_id, today))
    return DetailsChange(changed, details.warnings, stale)


def _write(session: Session, patient: Patient, d: PatientDetails) -> None:
    """The row rewritten only while it is as read and unpurged (else 409, nothing stored)."""
    try:
        written = session.execute(
            update(Patient)
            .where(Patient.id == patient.id, Patient.purged_at.is_(None),
                   Patient.updated_at == patient.updated_at)
            .values(nhs_number=d.nhs_number or None, name=d.name, address=d.address,
                    postcode=d.postcode, lat=d.lat, lon=d.lon, access_notes=d.access_notes,
                    risk_flags=list(d.risk_flags), excluded_clinicians=list(d.excluded_clinicians),
                    carer_gender=d.carer_gender, preferred_clinician=d.preferred_clinician,
                    updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]  # fmt: skip
    except IntegrityError:
        raise CaseloadError([("nhs_number", "was given to another patient a moment ago: "
                              "reload")], 409) from None  # fmt: skip
    if not written:
        raise CaseloadError([("", f"{patient.patient_id}'s details were changed or purged a "
                                  "moment ago: reload, then make the change again")], 409)
    session.expire(patient)

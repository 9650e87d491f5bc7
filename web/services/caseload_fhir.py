"""FHIR R4 in the web app: a trust's bundle into the caseload, a published day out as
``Appointment`` resources.

``import_bundle`` is the FHIR twin of ``caseload_import.import_caseload``: the bundle is
read by the domain's reader (``scheduler.domain.formats.fhir.read_bundle``: every problem by
file, entry and element path, as ``hah fhir import`` names them), patients whose address has
no geolocation are placed from their postcode by the web's postcode file in that same pass,
and the patients and items then go through the very ``admit_caseload`` the CSV files do (the
admit form's checks, the caseload's state), a problem there named by the patient's entry
too. All or nothing, audited as the CSV import is, and bounded by ``HAH_MAX_VISITS`` as
every upload is.

``day_appointments`` is ``appointments_bundle`` of a day's published rota, the patients' NHS
numbers taken from the caseload (a visit of a patient not on it goes by its patient id).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.domain.careplan import Patient as DomainPatient
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.fhir import appointments_bundle, read_bundle
from scheduler.domain.formats.fhir.issues import BundleIssue
from scheduler.domain.formats.tabular import CsvSource
from scheduler.domain.geocode import Gazetteer
from web.db import get_or_fail
from web.models import Admission, Day, DayImport, Patient, RotaVersion, User
from web.services import audit
from web.services.caseload import domain_patient
from web.services.caseload_import import admit_caseload
from web.services.days import DayLimits, Upload, _safe_name, day_inputs, problem_for
from web.services.rotas import version_rota

#: The name a bundle is reported under when the upload gives none.
BUNDLE_NAME = "bundle.json"
#: Where each of the admit form's fields lives in a UK Core ``Patient`` (its problems found
#: after reading, by ``admit_caseload``, are reported there); anything else on ``id``.
PATIENT_PATHS = {
    "patient_id": "id", "nhs_number": "identifier", "name": "name", "address": "address",
    "postcode": "address.postalCode", "lat": "address.extension (geolocation)",
    "lon": "address.extension (geolocation)", "access_notes": "extension (access-notes)",
    "risk_flags": "extension (risk-flag)", "excluded_clinicians": "extension (excluded-clinician)",
    "carer_gender": "extension (carer-gender)",
}  # fmt: skip


def _resources(data: bytes, resource_type: str) -> int:
    """How many resources of a type the bundle holds, by a scan of its bytes (the bundle is
    not parsed for this: an upper bound, exact unless a resource nests another)."""
    pattern = rb'"resourceType"\s*:\s*"' + resource_type.encode() + rb'"'
    return len(re.findall(pattern, data))


def check_bundle_size(source: CsvSource, limits: DayLimits) -> None:
    """Refuse (``InputError``) a bundle of more patients than a day may have visits, or more
    requests than ten a patient, before it is read, as ``days.check_size`` does a CSV file."""
    issues: list[InputIssue] = []
    bounds = (("Patient", "patients", limits.visits),
              ("ServiceRequest", "service requests", 10 * limits.visits))  # fmt: skip
    for kind, what, limit in bounds:
        n = _resources(source.data, kind)
        if n > limit:
            issues.append(BundleIssue(source.name, None, None, f"{n:,} {what}: an import may "
                                      f"hold at most {limit:,} (HAH_MAX_VISITS); is this the "
                                      "right file?"))  # fmt: skip
    if issues:
        raise InputError(issues)


def _issue_at(file: str, entries: dict[str, int]) -> Callable[[str, str, str], InputIssue]:
    def issue(pid: str, field: str, why: str) -> InputIssue:
        path = PATIENT_PATHS.get(field, "id")
        return BundleIssue(file, entries.get(pid), f"Patient/{pid} {path}", why)

    return issue


def import_bundle(session: Session, upload: Upload, on: date, user: User | None,
                  ip: str = "", *, limits: DayLimits | None = None,
                  gazetteer: Gazetteer | None = None,
                  warnings: list[InputIssue] | None = None) -> list[Admission]:  # fmt: skip
    """Admit every patient of the FHIR bundle ``upload`` with the plan items of her active
    care plans; raises ``InputError`` with every problem (nothing stored: the caller rolls
    back). A patient without a geolocation is placed from her postcode by ``gazetteer`` (a
    district-centre fallback goes to ``warnings``) and refused, saying a postcode file is
    needed, when there is none. A stay starts on ``on``, or earlier with an earlier item."""
    source = CsvSource(_safe_name(upload.name, BUNDLE_NAME), upload.data)
    check_bundle_size(source, limits or DayLimits())
    entries: dict[str, int] = {}
    people, plans = read_bundle(source, place=True, gazetteer=gazetteer, warnings=warnings,
                                entries=entries)  # fmt: skip
    admitted = admit_caseload(session, people, plans, on, user, ip, source=source.name,
                              issue=_issue_at(source.name, entries))  # fmt: skip
    audit.record(session, user, "caseload_import",
                 f"{len(admitted)} patients admitted with {len(plans)} plan items from "
                 f"{source.name} (FHIR bundle)", ip)  # fmt: skip
    return admitted


class NotPublished(LookupError):
    """The day has no published rota (or not the version asked for): nothing to export."""


def published_version(session: Session, day: Day, number: int | None = None) -> RotaVersion:
    """The day's latest published version, or its published version ``number``; raises
    ``NotPublished`` (a draft is never exported: it is not what the nurses work to)."""
    query = select(RotaVersion).where(RotaVersion.day_id == day.id,
                                      RotaVersion.status == "published")  # fmt: skip
    if number is not None:
        query = query.where(RotaVersion.number == number)
    found = session.scalar(query.order_by(RotaVersion.number.desc()).limit(1))
    if found is None:
        raise NotPublished(f"no published version {number} of {day.date:%Y-%m-%d}" if number
                           else f"no rota has been published for {day.date:%Y-%m-%d}")  # fmt: skip
    return found


def caseload_patients(session: Session, patient_ids: set[str]) -> dict[str, DomainPatient]:
    """The caseload's record of each of ``patient_ids`` it holds, as the domain's patients."""
    if not patient_ids:
        return {}
    rows = session.scalars(select(Patient).where(Patient.patient_id.in_(sorted(patient_ids))))
    return {row.patient_id: domain_patient(row) for row in rows}


def day_appointments(session: Session, version: RotaVersion, made_at: datetime | None = None
                     ) -> dict[str, Any]:  # fmt: skip
    """The placed visits of ``version`` as a FHIR R4 bundle of ``Appointment`` resources (JSON
    form), validated by the FHIR model; ``made_at`` (aware) is its ``timestamp``."""
    imp = get_or_fail(session, DayImport, version.import_id)
    visits, _ = day_inputs(imp)
    known = caseload_patients(session, {v.patient_id for v in visits})
    stamp = made_at.astimezone(UTC) if made_at is not None else None
    return appointments_bundle(version_rota(version), problem_for(imp), patients=known,
                               timestamp=stamp)  # fmt: skip

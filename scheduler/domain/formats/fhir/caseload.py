"""``caseload_bundle``: patients and care plan items written as the FHIR R4 bundle
``read_bundle`` reads back to the same objects (the synthetic bundles are made with it).

One ``Patient`` per patient, one ``CarePlan`` per patient with items (its ``period`` spans
the items' dates when every item has them), one ``ServiceRequest`` per item, coded with both
the project's regimen code and, where there is one, its SNOMED CT concept. The Patient's id
is the patient id (so it must be a FHIR id: letters, digits, ``-`` and ``.``); references
are ``ResourceType/id``.

What a bundle does not carry is refused rather than dropped: an item's ``tolerance_min``,
``duration_min``, ``priority`` and ``staff`` (the care plan's defaults apply on reading) and
a patient's ``preferred_clinician`` (continuity is learned from the rotas, issue 14).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time
from typing import Any

from scheduler.domain.careplan import INTERVAL_H, CarePlanItem, Patient
from scheduler.domain.formats.fhir.codes import (
    ACCESS_NOTES_URL,
    CARER_GENDER_URL,
    CARER_GENDERS,
    EXCLUDED_CLINICIAN_URL,
    GEOLOCATION_URL,
    LINE_URL,
    NHS_NUMBER_SYSTEM,
    REGIMEN_LABELS,
    REGIMEN_SNOMED,
    REGIMEN_SYSTEM,
    RISK_FLAG_URL,
    SNOMED_REGIMENS,
    SNOMED_SYSTEM,
)
from scheduler.domain.formats.fhir.patients import is_located

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_GENDER_CODES = {v: k for k, v in CARER_GENDERS.items()}


def _fhir_id(text: str, what: str) -> str:
    if not FHIR_ID.match(text):
        raise ValueError(f"{what} {text!r} is not a FHIR id (letters, digits, '-' and '.', at most 64)")
    return text


def _patient(p: Patient) -> dict[str, Any]:
    if p.preferred_clinician:
        raise ValueError(f"patient {p.patient_id}: a FHIR bundle does not carry preferred_clinician")
    address: dict[str, Any] = {"use": "home"}
    parts = [s for s in p.address.split(", ") if s]
    if len(parts) > 1:
        address["line"], address["city"] = parts[:-1], parts[-1]
    elif parts:
        address["line"] = parts
    if p.postcode:
        address["postalCode"] = p.postcode
    if is_located(p):
        address["extension"] = [{"url": GEOLOCATION_URL, "extension": [
            {"url": "latitude", "valueDecimal": p.location.lat},
            {"url": "longitude", "valueDecimal": p.location.lon},
        ]}]  # fmt: skip
    resource: dict[str, Any] = {"resourceType": "Patient", "id": _fhir_id(p.patient_id, "patient id")}
    if p.nhs_number:
        resource["identifier"] = [{"system": NHS_NUMBER_SYSTEM, "value": p.nhs_number}]
    if p.name:
        given, _, family = p.name.rpartition(" ")
        name: dict[str, Any] = {"use": "official", "text": p.name, "family": family}
        if given:
            name["given"] = given.split(" ")
        resource["name"] = [name]
    resource["address"] = [address]
    extensions: list[dict[str, Any]] = []
    if p.access_notes:
        extensions.append({"url": ACCESS_NOTES_URL, "valueString": p.access_notes})
    extensions += [{"url": RISK_FLAG_URL, "valueCode": f} for f in sorted(p.risk_flags)]
    extensions += [{"url": EXCLUDED_CLINICIAN_URL, "valueString": c} for c in sorted(p.excluded_clinicians)]
    if p.carer_gender:
        extensions.append({"url": CARER_GENDER_URL, "valueCode": _GENDER_CODES[p.carer_gender]})
    if extensions:
        resource["extension"] = extensions
    return resource


def _clock(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}:00"


def _repeat(item: CarePlanItem) -> dict[str, Any] | None:
    repeat: dict[str, Any] = {}
    if item.regimen == "iv_antibiotic":
        repeat.update(frequency=1, period=INTERVAL_H[item.frequency], periodUnit="h")
    elif item.frequency:
        repeat.update(frequency=int(item.frequency), period=1, periodUnit="d")
    if item.first_time is not None and item.regimen in ("iv_antibiotic", "iv_fluids"):
        repeat["timeOfDay"] = [_clock(item.first_time)]
    if item.run_hours is not None:
        repeat.update(duration=item.run_hours, durationUnit="h")
    if item.start_date or item.end_date:
        bounds = {}
        if item.start_date:
            bounds["start"] = item.start_date.isoformat()
        if item.end_date:
            bounds["end"] = item.end_date.isoformat()
        repeat["boundsPeriod"] = bounds
    return repeat or None


def _request(item: CarePlanItem, rid: str, plan_id: str) -> dict[str, Any]:
    dropped = [f for f in ("tolerance_min", "duration_min", "priority", "staff") if getattr(item, f) is not None]
    if dropped:
        raise ValueError(f"patient {item.patient_id}, {item.regimen}: a FHIR bundle does not carry {', '.join(dropped)}")
    codings = [{"system": REGIMEN_SYSTEM, "code": item.regimen, "display": REGIMEN_LABELS[item.regimen]}]
    if item.regimen in REGIMEN_SNOMED:
        code = REGIMEN_SNOMED[item.regimen]
        codings.append({"system": SNOMED_SYSTEM, "code": code, "display": SNOMED_REGIMENS[code][1]})
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest", "id": rid, "status": "active", "intent": "order",
        "basedOn": [{"reference": f"CarePlan/{plan_id}"}],
        "code": {"coding": codings, "text": REGIMEN_LABELS[item.regimen]},
        "subject": {"reference": f"Patient/{item.patient_id}"},
    }  # fmt: skip
    repeat = _repeat(item)
    if repeat is not None:
        resource["occurrenceTiming"] = {"repeat": repeat}
    if item.line != "peripheral":
        resource["extension"] = [{"url": LINE_URL, "valueCode": item.line}]
    return resource


def _span(days: list[date | None], pick: Any) -> str | None:
    return pick(d for d in days if d is not None).isoformat() if days and all(days) else None


def caseload_bundle(patients: Sequence[Patient], items: Sequence[CarePlanItem]) -> dict[str, Any]:
    """The caseload as a FHIR R4 ``Bundle`` (type ``collection``) in JSON form (``json.dumps``
    writes it). Raises ``ValueError`` for what FHIR would not carry (see the module's
    docstring) and for an item of a patient not in ``patients``."""
    known = {p.patient_id for p in patients}
    entries: list[dict[str, Any]] = [{"resource": _patient(p)} for p in patients]
    by_patient: dict[str, list[CarePlanItem]] = {}
    for item in items:
        if item.patient_id not in known:
            raise ValueError(f"an item of patient {item.patient_id!r}, who is not among the patients")
        by_patient.setdefault(item.patient_id, []).append(item)
    for pid, own in by_patient.items():
        plan_id = _fhir_id(f"cp-{pid}", "care plan id")
        requests = [_request(item, _fhir_id(f"sr-{pid}-{k}", "request id"), plan_id) for k, item in enumerate(own, 1)]
        plan: dict[str, Any] = {
            "resourceType": "CarePlan", "id": plan_id, "status": "active", "intent": "plan",
            "subject": {"reference": f"Patient/{pid}"},
            "activity": [{"reference": {"reference": f"ServiceRequest/{r['id']}"}} for r in requests],
        }  # fmt: skip
        start = _span([i.start_date for i in own], min)
        end = _span([i.end_date for i in own], max)
        if start or end:
            plan["period"] = {k: v for k, v in (("start", start), ("end", end)) if v}
        entries.append({"resource": plan})
        entries += [{"resource": r} for r in requests]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}

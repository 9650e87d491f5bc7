"""Small FHIR R4 resources written by hand, as a trust's export would hold them, for the
bundle reader's tests: each builder gives one valid resource (JSON form), and keyword
arguments replace or add elements, so a test shows only what it breaks."""

from __future__ import annotations

import json
from typing import Any

from scheduler.domain.formats.fhir.codes import GEOLOCATION_URL, NHS_NUMBER_SYSTEM, SNOMED_SYSTEM
from scheduler.domain.formats.tabular import CsvSource

#: Test-range NHS numbers with correct check digits (and one with a wrong one).
NHS = ("9990000018", "9990000026", "9990000034")
BAD_NHS = "9990000019"


def geolocation(lat: float, lon: float) -> dict[str, Any]:
    return {"url": GEOLOCATION_URL, "extension": [
        {"url": "latitude", "valueDecimal": lat}, {"url": "longitude", "valueDecimal": lon},
    ]}  # fmt: skip


def patient(pid: str = "pat-1", nhs: str = NHS[0], **kw: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": nhs}],
        "name": [{"use": "official", "family": "Testperson", "given": ["Ada"]}],
        "address": [{"use": "home", "line": ["1 Rowan Close"], "city": "St Albans",
                     "postalCode": "AL1 3XY", "extension": [geolocation(51.752, -0.339)]}],
    }  # fmt: skip
    resource.update(kw)
    return resource


def care_plan(cid: str = "cp-1", subject: str = "Patient/pat-1", requests: tuple[str, ...] = ("sr-1",), **kw: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "CarePlan", "id": cid, "status": "active", "intent": "plan",
        "subject": {"reference": subject},
        "period": {"start": "2026-11-23", "end": "2026-11-28"},
        "activity": [{"reference": {"reference": f"ServiceRequest/{r}"}} for r in requests],
    }  # fmt: skip
    resource.update(kw)
    return resource


def antibiotic(rid: str = "sr-1", subject: str = "Patient/pat-1", *, repeat: dict | None = None, **kw: Any) -> dict[str, Any]:
    """An IV antibiotic every 8 hours from 06:00, coded in SNOMED CT."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest", "id": rid, "status": "active", "intent": "order",
        "subject": {"reference": subject},
        "code": {"coding": [{"system": SNOMED_SYSTEM, "code": "281790008"}]},
        "occurrenceTiming": {"repeat": repeat if repeat is not None else
                             {"frequency": 1, "period": 8, "periodUnit": "h", "timeOfDay": ["06:00:00"]}},
    }  # fmt: skip
    resource.update(kw)
    return resource


def request(rid: str, code: str, repeat: dict | None = None, subject: str = "Patient/pat-1", **kw: Any) -> dict[str, Any]:
    """A ServiceRequest coded with SNOMED CT ``code``, ``repeat`` as its timing (if any)."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest", "id": rid, "status": "active", "intent": "order",
        "subject": {"reference": subject},
        "code": {"coding": [{"system": SNOMED_SYSTEM, "code": code}]},
    }  # fmt: skip
    if repeat is not None:
        resource["occurrenceTiming"] = {"repeat": repeat}
    resource.update(kw)
    return resource


def bundle(*resources: dict[str, Any], **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Bundle", "type": "collection",
                           "entry": [{"resource": r} for r in resources]}  # fmt: skip
    out.update(kw)
    return out


def source(data: dict[str, Any] | str, name: str = "bundle.json") -> CsvSource:
    """A bundle (JSON form, or text) as the bytes an upload hands the reader."""
    text = data if isinstance(data, str) else json.dumps(data)
    return CsvSource.from_text(text, name)


def one_patient(*extra: dict[str, Any], **patient_kw: Any) -> CsvSource:
    """pat-1, her care plan cp-1 and its antibiotic sr-1, and ``extra`` resources."""
    return source(bundle(patient(**patient_kw), care_plan(), antibiotic(), *extra))


def parsed_resources(data: dict[str, Any] | str) -> list[Any]:
    """A bundle (JSON form, or text) parsed with the FHIR R4 model as a receiver would, and
    its entries' resources (each its own model class: ``Appointment``, ``Patient``…)."""
    from fhir.resources.R4B.bundle import Bundle

    parsed = Bundle.model_validate_json(data) if isinstance(data, str) else Bundle.model_validate(data)
    out: list[Any] = [e.resource for e in parsed.entry or []]
    assert all(r is not None for r in out)
    return out

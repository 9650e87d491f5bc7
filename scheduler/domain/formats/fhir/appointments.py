"""``appointments_bundle``: a day's rota as FHIR R4 ``Appointment`` resources, for the
trust's record or a patient-facing app.

One Appointment per placed visit: ``booked``, from its start to its end (aware ISO times in
the service's zone with their offset, so ``01:30+01:00`` and ``01:30+00:00`` on the October
night are two moments), ``minutesDuration``, the visit's window as ``requestedPeriod``, the
visit's priority (1 time-critical … 3 flexible, as ``Appointment.priority`` counts), its type
as ``serviceType`` and ``description``, and as participants the patient (``Patient/<patient
id>``, with her NHS number as the reference's identifier when it is known) and every
clinician who makes it (``Practitioner/<clinician id>``: two for a double-handed visit).
The service's own ids travel as identifiers (``codes.VISIT_ID_SYSTEM``…), so an id that is
not a FHIR id (``[A-Za-z0-9-.]{1,64}``) is still carried: the resource id is then derived
from it, and the reference is by identifier alone.

Left out on purpose: unassigned visits (they are in ``unassigned.csv`` with their reasons),
breaks, and a visit's access notes (a key safe's code does not belong in a bundle sent on).
The result is validated with the FHIR model before it is returned.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from scheduler.domain.careplan import Patient
from scheduler.domain.formats.fhir.caseload import FHIR_ID
from scheduler.domain.formats.fhir.codes import (
    CLINICIAN_ID_SYSTEM,
    NHS_NUMBER_SYSTEM,
    PATIENT_ID_SYSTEM,
    VISIT_ID_SYSTEM,
)
from scheduler.domain.localtime import local, utc
from scheduler.domain.model import Problem, Rota, Stop

#: The namespace of the entries' ``urn:uuid`` full URLs (uuid5 of a visit id and its start):
#: the same rota always gives the same bundle.
_NAMESPACE = uuid.UUID("5d0f1c3e-3b9e-5f6a-9a43-6a1d2b7c8e90")


def instant(moment: datetime) -> str:
    """An aware moment as FHIR's ``instant``: local time to the second, with its offset."""
    return local(utc(moment)).isoformat(timespec="seconds")


def _resource_id(service_id: str) -> str:
    if FHIR_ID.match(service_id):
        return service_id
    return "x-" + hashlib.sha256(service_id.encode("utf-8")).hexdigest()[:40]


def _reference(kind: str, service_id: str, system: str, display: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"identifier": {"system": system, "value": service_id}}
    if FHIR_ID.match(service_id):
        ref["reference"] = f"{kind}/{service_id}"
    if display:
        ref["display"] = display
    return ref


def appointments_bundle(
    rota: Rota,
    problem: Problem,
    *,
    patients: Mapping[str, Patient] | Iterable[Patient] = (),
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """The rota's placed visits as a FHIR R4 ``Bundle`` (type ``collection``) of
    ``Appointment`` resources, in start order, in JSON form (``json.dumps`` writes it).

    ``patients`` (by patient id, or any iterable of ``careplan.Patient``) adds each known
    patient's NHS number to her reference; ``timestamp`` (aware) is the bundle's
    ``timestamp``, when it was made (left out when not given, so a rota always gives the
    same bundle). Raises ``ValueError`` for a rota that names a visit or clinician the
    problem does not have."""
    known = patients if isinstance(patients, Mapping) else {p.patient_id: p for p in patients}
    shifts = {s.clinician_id: s for s in problem.shifts}
    visits = problem.visit_index
    made: dict[str, tuple[Stop, list[str]]] = {}
    for route in rota.routes:
        if route.clinician_id not in shifts:
            raise ValueError(f"the rota has a route for {route.clinician_id}, who has no shift")
        for stop in route.stops:
            if stop.visit_id is None:
                continue
            if stop.visit_id not in visits:
                raise ValueError(f"the rota has visit {stop.visit_id}, which is not in the day")
            _, who = made.setdefault(stop.visit_id, (stop, []))
            who.append(route.clinician_id)
    entries = []
    for vid, (stop, who) in sorted(made.items(), key=lambda kv: (kv[1][0].start, kv[0])):
        visit = problem.visits[visits[vid]]
        patient_ref = _reference("Patient", visit.patient_id, PATIENT_ID_SYSTEM)
        person = known.get(visit.patient_id)
        if person is not None and person.nhs_number:
            patient_ref["identifier"] = {"system": NHS_NUMBER_SYSTEM, "value": person.nhs_number}
        participants = [{"actor": patient_ref, "required": "required", "status": "accepted"}]
        participants += [
            {"actor": _reference("Practitioner", cid, CLINICIAN_ID_SYSTEM, shifts[cid].name),
             "required": "required", "status": "accepted"}
            for cid in sorted(who)
        ]  # fmt: skip
        label = visit.visit_type or "Home visit"
        resource: dict[str, Any] = {
            "resourceType": "Appointment",
            "id": _resource_id(vid),
            "identifier": [{"system": VISIT_ID_SYSTEM, "value": vid}],
            "status": "booked",
            "serviceType": [{"text": label}],
            "priority": visit.priority,
            "description": label,
            "start": instant(stop.start),
            "end": instant(stop.end),
            "minutesDuration": visit.duration_min,
            "requestedPeriod": [{"start": instant(visit.window.start), "end": instant(visit.window.end)}],
            "participant": participants,
        }
        full_url = uuid.uuid5(_NAMESPACE, f"{vid}@{instant(stop.start)}").urn
        entries.append({"fullUrl": full_url, "resource": resource})
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    if timestamp is not None:
        bundle["timestamp"] = instant(timestamp)
    if entries:
        bundle["entry"] = entries
    _validate(bundle)
    return bundle


def _validate(bundle: dict[str, Any]) -> None:
    """The FHIR model's verdict on what is handed out: a failure here is this module's bug."""
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(bundle)
    except ValueError as exc:  # pydantic's ValidationError: not the caller's input at fault
        raise RuntimeError(f"appointments_bundle made an invalid bundle: {exc}") from exc

"""``read_bundle``: a FHIR R4 bundle of UK Core ``Patient``, ``CarePlan`` and
``ServiceRequest`` resources as the caseload: patients and their care plan items, exactly
what ``patients.csv`` and ``careplans.csv`` hold, ready for ``careplan.expand``.

All or nothing, as every reader of the contract: every problem of every resource is found in
one pass and raised together as an ``InputError`` of ``BundleIssue``s (file, entry, element
path, why); nothing is returned from a bundle with a problem.
"""

from __future__ import annotations

from typing import NamedTuple

from scheduler.domain.careplan import CarePlanItem, Patient
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.fhir.bundle import load
from scheduler.domain.formats.fhir.patients import Placer, read_patient, unlocated
from scheduler.domain.formats.fhir.plans import read_plans, read_requests
from scheduler.domain.formats.tabular import Source
from scheduler.domain.geocode import Gazetteer


class Caseload(NamedTuple):
    """What a bundle holds: unpacks as ``patients, items``."""

    patients: tuple[Patient, ...]
    items: tuple[CarePlanItem, ...]

    @property
    def unlocated(self) -> list[str]:
        """Ids of the patients the bundle gave a postcode but no place for
        (``patients.locate`` places them)."""
        return unlocated(self.patients)


def read_bundle(
    source: Source,
    *,
    place: bool = False,
    gazetteer: Gazetteer | None = None,
    warnings: list[InputIssue] | None = None,
    entries: dict[str, int] | None = None,
) -> Caseload:
    """The patients and care plan items in the bundle at ``source`` (a path, or a
    ``CsvSource``: the bytes and the name problems are reported under).

    With ``place`` (or a ``gazetteer``), every patient comes out placed: one whose address has
    no geolocation is placed from her postcode by ``gazetteer`` (the trust's postcode file,
    ``scheduler.domain.geocode``), a district-centre fallback appended to ``warnings`` by
    entry and path; one it cannot place, or any such patient when there is no gazetteer, is
    a problem of her entry. Without, she is returned ``UNLOCATED`` (``Caseload.unlocated``).
    ``entries``, when given, receives each patient's entry index by patient id, so that a
    later check of the caller's (already on the caseload…) can name the entry too.

    Raises ``InputError`` listing every problem: the file (not JSON, not a Bundle), a resource
    the FHIR R4 model refuses, and what the caseload needs (a valid NHS number, an address to
    visit, a regimen it knows, how often and from when).
    """
    bundle = load(source)
    placer = None
    if place or gazetteer is not None:
        placer = Placer(gazetteer, [] if warnings is None else warnings)
    patients: list[Patient] = []
    seen_nhs: dict[str, str] = {}
    for entry in bundle.of_type("Patient"):
        if entry.model is None:
            continue
        patient = read_patient(entry, bundle, placer)
        if patient is None:
            continue
        if patient.nhs_number in seen_nhs:
            bundle.complain(entry, "identifier", f"the NHS number is also {seen_nhs[patient.nhs_number]}'s: one person, one Patient")
            continue
        seen_nhs[patient.nhs_number] = entry.label
        patients.append(patient)
        if entries is not None:
            entries[patient.patient_id] = entry.index
    items = read_requests(bundle, read_plans(bundle))
    planned = {i.patient_id for i in items}
    for entry in bundle.of_type("Patient"):
        model = entry.model
        if model is None or entry.id not in planned:
            continue
        if model.deceasedBoolean or model.deceasedDateTime is not None:
            field = "deceasedBoolean" if model.deceasedBoolean else "deceasedDateTime"
            bundle.complain(entry, field, "the patient has died, but has an active care plan: close the plan before the visits are planned")
    if bundle.issues:
        raise InputError(bundle.issues)
    return Caseload(tuple(patients), tuple(items))

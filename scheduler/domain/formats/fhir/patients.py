"""UK Core ``Patient`` resources as the caseload's ``careplan.Patient``.

Read: the NHS number (the ``identifier`` of system ``https://fhir.nhs.uk/Id/nhs-number``,
required and checked by its modulus-11 digit), the name, the address where the visits happen
(``temp`` before ``home`` before any other, never ``old`` or ``billing``: line and city as
the display address, ``postalCode`` as the postcode) with its place from HL7's
``geolocation`` extension on that address, and the project's extensions for access notes,
risk flags, excluded clinicians and a requested carer gender (``codes``).

A patient whose address has no geolocation gets ``UNLOCATED`` (0, 0: the project's mark of a
missing geocode, which every CSV reader refuses) and keeps her postcode: the caller places her
from it (``locate``) before her visits are planned, or ``read_patient`` does, given a
``Placer`` (the trust's postcode file): then a postcode it cannot place is a problem of her
entry's ``postalCode``, and a district-centre fallback a warning there, both without the
postcode itself, as every problem of a Patient.

The service's patient id is the resource's ``id`` (what the care plans' ``subject`` names),
never the NHS number, which stays out of visit ids, file names and logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as _field
from typing import Any

from scheduler.domain import nhs_number
from scheduler.domain.careplan import Patient
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.fhir.bundle import Bundle, Entry
from scheduler.domain.formats.fhir.codes import (
    ACCESS_NOTES_URL,
    CARER_GENDER_URL,
    CARER_GENDERS,
    CLINICIAN_ID_SYSTEM,
    EXCLUDED_CLINICIAN_URL,
    GEOLOCATION_URL,
    NHS_NUMBER_SYSTEM,
    RISK_FLAG_URL,
)
from scheduler.domain.formats.fhir.issues import BundleIssue
from scheduler.domain.geocode import Gazetteer, PostcodeError
from scheduler.domain.model import Location, location_problems

#: The place of a patient the bundle gave only a postcode for: 0, 0, which the CSV readers
#: refuse as a missing geocode, so a patient never placed cannot slip into a day unnoticed.
UNLOCATED = Location(0.0, 0.0)
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_FLAG = re.compile(r"^[a-z][a-z0-9_]*$")
_ADDRESS_USES = {"temp": 0, "home": 1, None: 2, "work": 3}


def is_located(patient: Patient) -> bool:
    """Whether the bundle placed the patient (else only her postcode is known)."""
    return patient.location != UNLOCATED


def normal_postcode(text: str) -> str | None:
    """A UK postcode in its usual form (``AL1 3XY``: upper case, one space before the last
    three characters), or ``None`` when ``text`` is not shaped like one."""
    found = _POSTCODE.match(re.sub(r"\s+", "", text).upper())
    return f"{found.group(1)} {found.group(2)}" if found else None


def _name(model: Any) -> str:
    names = list(model.name or [])
    if not names:
        return ""
    best = next((n for n in names if n.use == "official"), None) or next(
        (n for n in names if n.use == "usual"), names[0]
    )
    if best.text:
        return best.text.strip()
    return " ".join([*(best.given or []), best.family or ""]).strip()


def _nhs(model: Any, entry: Entry, bundle: Bundle) -> str:
    for i, ident in enumerate(model.identifier or []):
        if ident.system == NHS_NUMBER_SYSTEM:
            checked = nhs_number.normalise(ident.value or "")
            if isinstance(checked, nhs_number.Refused):
                bundle.complain(entry, f"identifier[{i}].value", f"the NHS number {checked.reason}")
                return ""
            return checked
    bundle.complain(entry, "identifier", f"has no NHS number (an identifier with system {NHS_NUMBER_SYSTEM})")
    return ""


def _address(model: Any) -> tuple[int, Any] | None:
    """The address the visits go to, with its index: by use, then order."""
    usable = [(i, a) for i, a in enumerate(model.address or []) if a.use in _ADDRESS_USES]
    if not usable:
        return None
    return min(usable, key=lambda ia: (_ADDRESS_USES[ia[1].use], ia[0]))


def _geolocation(address: Any, path: str, entry: Entry, bundle: Bundle) -> Location | None:
    for i, ext in enumerate(address.extension or []):
        if ext.url != GEOLOCATION_URL:
            continue
        values: dict[str, float] = {}
        for part in ext.extension or []:
            if part.url in ("latitude", "longitude") and part.valueDecimal is not None:
                values[part.url] = float(part.valueDecimal)
        where = f"{path}.extension[{i}]"
        if set(values) != {"latitude", "longitude"}:
            bundle.complain(entry, where, "a geolocation needs both a latitude and a longitude (valueDecimal)")
            return None
        lat, lon = values["latitude"], values["longitude"]
        problems = location_problems(lat, lon)
        for field, why in problems:
            bundle.complain(entry, f"{where} {'latitude' if field == 'lat' else 'longitude'}", why)
        if problems:
            return None
        if lat == 0 and lon == 0:
            bundle.complain(entry, where, "0, 0 is a missing geocode: give the address's real place, or leave the extension out and the postcode is used")
            return None
        return Location(lat, lon)
    return None


def _extensions(model: Any, entry: Entry, bundle: Bundle) -> dict[str, Any]:
    notes: list[str] = []
    flags: set[str] = set()
    excluded: set[str] = set()
    gender = ""
    for i, ext in enumerate(model.extension or []):
        where = f"extension[{i}]"
        if ext.url == ACCESS_NOTES_URL:
            if ext.valueString and ext.valueString.strip():
                notes.append(ext.valueString.strip())
        elif ext.url == RISK_FLAG_URL:
            code = (ext.valueCode or "").strip().lower()
            if not _FLAG.match(code):
                bundle.complain(entry, f"{where}.valueCode", f"{ext.valueCode!r} is not a risk flag code (lower case, e.g. no_lone_after_dark)")
            else:
                flags.add(code)
        elif ext.url == EXCLUDED_CLINICIAN_URL:
            cid = _clinician(ext)
            if cid:
                excluded.add(cid)
            else:
                bundle.complain(entry, where, "an excluded clinician needs valueString (her clinician id) or valueReference (Practitioner/<id>)")
        elif ext.url == CARER_GENDER_URL:
            code = (ext.valueCode or "").strip().lower()
            if code not in CARER_GENDERS:
                bundle.complain(entry, f"{where}.valueCode", f"{ext.valueCode!r} is not female or male")
            else:
                gender = CARER_GENDERS[code]
    return {
        "access_notes": "\n".join(notes),
        "risk_flags": frozenset(flags),
        "excluded_clinicians": frozenset(excluded),
        "carer_gender": gender,
    }


def _clinician(ext: Any) -> str:
    if ext.valueString and ext.valueString.strip():
        return ext.valueString.strip()
    ref = ext.valueReference
    if ref is None:
        return ""
    if ref.reference and ref.reference.startswith("Practitioner/"):
        return ref.reference.removeprefix("Practitioner/")
    if ref.identifier is not None and ref.identifier.system == CLINICIAN_ID_SYSTEM:
        return (ref.identifier.value or "").strip()
    return ""


#: What a patient without a geolocation is told when there is no postcode file to place her.
NO_POSTCODE_FILE = ("has no geolocation extension: give a postcode file to place it from its "
                    "postcode (hah fhir import --postcodes FILE, or HAH_POSTCODE_FILE for the "
                    "web app), or add the geolocation")  # fmt: skip


@dataclass(frozen=True)
class Placer:
    """How ``read_patient`` places a patient whose address has no geolocation: from her
    postcode by ``gazetteer`` (the trust's postcode file), a district-centre fallback
    appended to ``warnings`` (a ``BundleIssue`` of her entry); with no gazetteer she is
    refused (``NO_POSTCODE_FILE``), so nobody leaves the reader unplaced."""

    gazetteer: Gazetteer | None
    warnings: list[InputIssue] = _field(default_factory=list)


def _placed(postcode: str, path: str, entry: Entry, bundle: Bundle, placer: Placer) -> Location | None:
    """Her place from her postcode, or ``None`` with the problem reported; the words never
    repeat the postcode (the entry and path say whose it is)."""
    where = f"{path}.postalCode"
    gazetteer = placer.gazetteer
    if gazetteer is None:
        bundle.complain(entry, path, NO_POSTCODE_FILE)
        return None
    source = gazetteer.source or "the postcode file"
    try:
        placed = gazetteer.locate(postcode)
    except PostcodeError:
        bundle.complain(entry, where, f"neither the postcode nor its district is in {source}: "
                        "correct the postcode, or add the geolocation")  # fmt: skip
        return None
    if placed.precision == "district":
        note = (f"is not in {source}: placed at the centre of its postcode district, which may "
                "be kilometres from the door; check the postcode")  # fmt: skip
    elif placed.note:
        note = f"is a terminated postcode in {source}: placed at its last known point"
    else:
        return placed.location
    placer.warnings.append(BundleIssue(bundle.file, entry.index, f"{entry.label} {where}", note))
    return placed.location


def read_patient(entry: Entry, bundle: Bundle, placer: Placer | None = None) -> Patient | None:
    """The patient of a validated ``Patient`` entry, or ``None`` with its problems reported;
    with ``placer``, one whose address has no geolocation is placed from her postcode."""
    model = entry.model
    before = len(bundle.issues)
    nhs = _nhs(model, entry, bundle)
    chosen = _address(model)
    location, postcode, display = None, "", ""
    if chosen is None:
        bundle.complain(entry, "address", "has no address (a home or temporary one) to visit")
    else:
        i, address = chosen
        path = f"address[{i}]"
        location = _geolocation(address, path, entry, bundle)
        if address.postalCode:
            postcode = normal_postcode(address.postalCode) or ""
            if not postcode:
                bundle.complain(entry, f"{path}.postalCode", "is not shaped like a UK postcode (e.g. AL1 3XY)")
        has_geolocation = any(e.url == GEOLOCATION_URL for e in address.extension or [])
        if not address.postalCode and not has_geolocation:
            bundle.complain(entry, f"{path}.postalCode", "the address has neither a postcode nor a geolocation: the visits cannot be placed")
        elif placer is not None and not has_geolocation and postcode:
            location = _placed(postcode, path, entry, bundle, placer)
        lines = [line.strip() for line in address.line or [] if line and line.strip()]
        if address.city:
            lines.append(address.city.strip())
        display = ", ".join(lines) or (address.text or "").strip()
    extras = _extensions(model, entry, bundle)
    if len(bundle.issues) > before or entry.id is None:
        return None
    return Patient(
        patient_id=entry.id,
        location=location or UNLOCATED,
        address=display,
        nhs_number=nhs,
        name=_name(model),
        postcode=postcode,
        **extras,
    )


def locate(
    patients: Sequence[Patient],
    geocode: Callable[[str], Location | None],
    *,
    file: str = "bundle",
) -> tuple[Patient, ...]:
    """``patients`` with each one the bundle left ``UNLOCATED`` placed by ``geocode`` (a
    postcode → a place, e.g. the trust's postcode file; ``None``: not known). Raises
    ``InputError`` naming every patient it could not place, by id and postcode."""
    out: list[Patient] = []
    issues: list[InputIssue] = []
    for p in patients:
        if is_located(p):
            out.append(p)
            continue
        where = geocode(p.postcode) if p.postcode else None
        if where is None:
            issues.append(InputIssue(file, None, f"Patient/{p.patient_id} address.postalCode", "the postcode could not be placed" if p.postcode else "has no postcode to place her by"))
        else:
            out.append(replace(p, location=where))
    if issues:
        raise InputError(issues)
    return tuple(out)


def unlocated(patients: Iterable[Patient]) -> list[str]:
    """The ids of the patients still waiting for a place from their postcode."""
    return [p.patient_id for p in patients if not is_located(p)]

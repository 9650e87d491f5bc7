"""What a coordinator types about a patient, read and checked: a form's or a JSON body's
fields in, a ``PatientDetails`` and domain ``CarePlanItem`` values out, or a
``CaseloadError`` naming every field and why.

Plan items go through ``scheduler.domain.careplan.care_item_from_cells``, the very checks a
careplans.csv row gets, and numbers and places through the domain's ``RowReader``, so a
refusal on a page reads as it would for a file. Values may be text (a form) or JSON numbers,
lists and nulls (the API): each is turned into the text a cell would hold first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from scheduler.domain.careplan import (
    CAREPLAN_FIELDS,
    CarePlanItem,
    Patient,
    care_item_from_cells,
    patient_from_cells,
)
from scheduler.domain.geocode import Gazetteer

Problem = tuple[str, str]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: What a patient may carry: patients.csv's columns.
PATIENT_COLUMNS = ("patient_id", "lat", "lon", "nhs_number", "name", "address", "postcode",
                   "access_notes", "risk_flags", "excluded_clinicians", "carer_gender",
                   "preferred_clinician")  # fmt: skip
#: The longest text each free field keeps (the columns hold these; a page shows them whole).
LIMITS = {"patient_id": 64, "name": 200, "address": 1000, "access_notes": 2000}
#: The fields a plan item may carry in a form or a body: careplans.csv's, less patient_id.
ITEM_FIELDS = tuple(f for f in CAREPLAN_FIELDS if f != "patient_id")


class CaseloadError(Exception):
    """Refused: every ``(field, why)`` found (``field`` empty when the whole request is
    wrong), and the HTTP status it answers as (422 bad values, 404 nothing there, 409 a
    state that does not allow it)."""

    def __init__(self, problems: Sequence[Problem], status: int = 422):
        if not problems:
            raise ValueError("a CaseloadError needs at least one problem")
        self.problems = list(problems)
        self.status = status
        super().__init__("; ".join(f"{f}: {why}" if f else why for f, why in self.problems))


@dataclass(frozen=True)
class PatientDetails:
    """A patient as admitted: the columns of ``web.models.Patient``, checked."""

    patient_id: str
    lat: float
    lon: float
    nhs_number: str = ""
    name: str = ""
    address: str = ""
    postcode: str = ""
    access_notes: str = ""
    risk_flags: tuple[str, ...] = ()
    excluded_clinicians: tuple[str, ...] = ()
    carer_gender: str = ""
    preferred_clinician: str | None = None
    #: What reading it noticed without refusing it (a postcode placed at its district's
    #: centre): shown to the coordinator, never stored.
    warnings: tuple[str, ...] = ()


def text(value: Any) -> str:
    """A field's value as the text a cell would hold (``None``: empty; a list: ``a;b``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, list | tuple):
        return ";".join(text(v) for v in value)
    return str(value).strip()


def tags(value: Any) -> list[str]:
    """A list field (risk flags, clinician ids): a JSON list, or text split at ``;``/``,``."""
    parts = value if isinstance(value, list | tuple) else text(value).replace(",", ";").split(";")
    return [p for p in (text(v) for v in parts) if p]


def parse_date(value: Any, field: str, problems: list[Problem]) -> date | None:
    """``YYYY-MM-DD``, or ``None`` (empty) with a problem for anything else."""
    raw = text(value)
    if not raw:
        return None
    try:
        if len(raw) != 10:  # fromisoformat would take 20261124 too
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        problems.append((field, f"{raw!r} is not a date; write it as YYYY-MM-DD"))
        return None


def _limit_problems(cells: Mapping[str, str], excluded: Sequence[str]) -> list[Problem]:
    """What the database's columns cannot hold, beyond the domain's rules: an id too long or
    of other characters, free text longer than its column, a clinician id over 64."""
    problems: list[Problem] = []
    pid = cells.get("patient_id", "")
    if len(pid) > LIMITS["patient_id"]:
        problems.append(("patient_id", f"is {len(pid)} characters long; at most "
                                       f"{LIMITS['patient_id']}"))  # fmt: skip
    elif pid and not _ID.match(pid):
        problems.append(("patient_id", f"{pid!r}: use letters, digits, '-', '_' or '.' (as P0001)"))
    for name in ("name", "address", "access_notes"):
        if len(cells.get(name, "")) > LIMITS[name]:
            problems.append((name, f"is {len(cells[name]):,} characters long; at most "
                                   f"{LIMITS[name]:,}"))  # fmt: skip
    for cid in excluded:
        if len(cid) > 64:
            problems.append(("excluded_clinicians", f"{cid[:20]!r}…: a clinician id has at "
                                                    "most 64 characters"))  # fmt: skip
    if len(cells.get("preferred_clinician", "")) > 64:
        problems.append(("preferred_clinician", "a clinician id has at most 64 characters"))
    return problems


def _details(patient: Patient, warnings: Sequence[str] = ()) -> PatientDetails:
    return PatientDetails(
        patient_id=patient.patient_id, lat=patient.location.lat, lon=patient.location.lon,
        nhs_number=patient.nhs_number, name=patient.name, address=patient.address,
        postcode=patient.postcode, access_notes=patient.access_notes,
        risk_flags=tuple(sorted(patient.risk_flags)),
        excluded_clinicians=tuple(sorted(patient.excluded_clinicians)),
        carer_gender=patient.carer_gender, preferred_clinician=patient.preferred_clinician,
        warnings=tuple(warnings),
    )  # fmt: skip


def patient_details(
    fields: Mapping[str, Any], gazetteer: Gazetteer | None = None
) -> PatientDetails:
    """The patient fields of a form or body, checked by the rules a patients.csv row gets
    (``careplan.patient_from_cells``: the place or the postcode placed by ``gazetteer``, the
    NHS number's check digit, flags, gender, excluded and preferred clinicians) plus the
    database's own limits; raises ``CaseloadError`` with each problem."""
    cells = {k: text(fields.get(k)) for k in PATIENT_COLUMNS}
    problems = _limit_problems(cells, tags(fields.get("excluded_clinicians")))
    patient, found, warnings = patient_from_cells(cells, gazetteer=gazetteer)
    problems += found
    if problems or patient is None:
        raise CaseloadError(problems or [("patient_id", "is empty")])
    return _details(patient, warnings)


def read_patient_details(patient: Patient) -> PatientDetails:
    """A patient ``careplan.read_patients`` read from patients.csv, whose rules are the very
    ones ``patient_details`` applies (``careplan.patient_from_cells``), so only the
    database's limits are left to check; raises ``CaseloadError`` with each problem. A
    reader with rules of its own (a FHIR bundle's) goes through ``patient_details``."""
    cells = {"patient_id": patient.patient_id, "name": patient.name, "address": patient.address,
             "access_notes": patient.access_notes,
             "preferred_clinician": patient.preferred_clinician or ""}  # fmt: skip
    problems = _limit_problems(cells, sorted(patient.excluded_clinicians))
    if problems:
        raise CaseloadError(problems)
    return _details(patient)


def plan_item(
    fields: Mapping[str, Any], patient_id: str, *, prefix: str = "", start: date | None = None
) -> CarePlanItem:
    """One plan item of a form or body (careplans.csv's columns), checked by the domain's
    rules; ``start`` is its start date when none is given. Each problem's field is
    ``prefix`` + the column (``items[0].frequency``); raises ``CaseloadError``."""
    cells = {k: text(fields.get(k)) for k in ITEM_FIELDS}
    cells["patient_id"] = patient_id
    if not cells["start_date"] and start is not None:
        cells["start_date"] = f"{start:%Y-%m-%d}"
    item, problems = care_item_from_cells(cells)
    if item is not None and item.start_date is None:
        problems.append(("start_date", "is empty: the first day of the regimen (YYYY-MM-DD)"))
    if problems or item is None:
        raise CaseloadError([(prefix + f, why) for f, why in problems])
    return item


def plan_items(
    rows: Sequence[Mapping[str, Any]], patient_id: str, start: date, field: str = "items"
) -> list[CarePlanItem]:
    """The plan items of an admission (rows with no regimen are blank lines of a form and
    skipped), each starting on ``start`` unless it says otherwise and never before it;
    raises ``CaseloadError`` with every problem of every row."""
    problems: list[Problem] = []
    items: list[CarePlanItem] = []
    for n, row in enumerate(rows):
        if not isinstance(row, Mapping):
            problems.append((f"{field}[{n}]", "is not an object of careplans.csv's columns"))
            continue
        if not any(text(row.get(k)) for k in ITEM_FIELDS):
            continue
        try:
            item = plan_item(row, patient_id, prefix=f"{field}[{n}].", start=start)
        except CaseloadError as err:
            problems += err.problems
            continue
        if item.start_date is not None and item.start_date < start:
            problems.append((f"{field}[{n}].start_date", f"{item.start_date} is before the "
                                                         f"admission ({start})"))  # fmt: skip
        items.append(item)
    if problems:
        raise CaseloadError(problems)
    return items

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

from scheduler.domain.careplan import CAREPLAN_FIELDS, CarePlanItem, care_item_from_cells
from scheduler.domain.errors import InputIssue
from scheduler.domain.formats.tabular import RowReader, Table
from web.services.caseload_nhs import nhs_number_problem
from web.services.caseload_nhs import normalise as normalise_nhs

Problem = tuple[str, str]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TAG = re.compile(r"^[a-z][a-z0-9_]*$")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
GENDERS = {"": "", "f": "F", "female": "F", "m": "M", "male": "M"}
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


def postcode_problem(raw: str) -> tuple[str, str | None]:
    """The postcode in its usual form (``al13hd`` → ``AL1 3HD``), and why not, if not one."""
    squeezed = re.sub(r"\s+", "", raw).upper()
    m = _POSTCODE.match(squeezed)
    if not m:
        return raw, f"{raw!r} is not a UK postcode (as AL1 3HD)"
    return f"{m.group(1)} {m.group(2)}", None


def patient_details(fields: Mapping[str, Any]) -> PatientDetails:
    """The patient fields of a form or body, checked; raises ``CaseloadError`` with each."""
    problems: list[Problem] = []
    cells = {k: text(fields.get(k)) for k in ("patient_id", "lat", "lon")}
    issues: list[InputIssue] = []
    row = RowReader(Table("patient", list(cells)), 0, cells, issues)
    pid = row.text("patient_id", max_chars=LIMITS["patient_id"])
    if pid and not _ID.match(pid):
        row.complain("patient_id", f"{pid!r}: use letters, digits, '-', '_' or '.' (as P0001)")
    place = row.location("lat", "lon")
    problems += [(i.column or "", i.message) for i in issues]
    nhs = text(fields.get("nhs_number"))
    if nhs:
        why = nhs_number_problem(nhs)
        if why:
            problems.append(("nhs_number", why))
        nhs = normalise_nhs(nhs)
    free = {}
    for name in ("name", "address", "access_notes"):
        free[name] = text(fields.get(name))
        if len(free[name]) > LIMITS[name]:
            problems.append((name, f"is {len(free[name]):,} characters long; at most "
                                   f"{LIMITS[name]:,}"))  # fmt: skip
    postcode = text(fields.get("postcode"))
    if postcode:
        postcode, why = postcode_problem(postcode)
        if why:
            problems.append(("postcode", why))
    flags = [f.lower() for f in tags(fields.get("risk_flags"))]
    for flag in flags:
        if not _TAG.match(flag) or len(flag) > 40:
            problems.append(("risk_flags", f"{flag!r} is not a flag: lower-case words "
                             "joined by '_' (as two_staff, no_lone_after_dark)"))
    excluded = tags(fields.get("excluded_clinicians"))
    for cid in excluded:
        if len(cid) > 64:
            problems.append(("excluded_clinicians", f"{cid[:20]!r}…: a clinician id has at "
                                                    "most 64 characters"))  # fmt: skip
    gender = text(fields.get("carer_gender")).lower()
    if gender not in GENDERS:
        problems.append(("carer_gender", f"{gender!r}: F (female), M (male) or empty (either)"))
    preferred = text(fields.get("preferred_clinician")) or None
    if preferred is not None and len(preferred) > 64:
        problems.append(("preferred_clinician", "a clinician id has at most 64 characters"))
    if preferred is not None and preferred in excluded:
        problems.append(("preferred_clinician", f"{preferred} is also among the excluded "
                                                "clinicians"))  # fmt: skip
    if problems or pid is None or place is None:
        raise CaseloadError(problems or [("patient_id", "is empty")])
    return PatientDetails(
        patient_id=pid, lat=place.lat, lon=place.lon, nhs_number=nhs, name=free["name"],
        address=free["address"], postcode=postcode, access_notes=free["access_notes"],
        risk_flags=tuple(dict.fromkeys(flags)), excluded_clinicians=tuple(dict.fromkeys(excluded)),
        carer_gender=GENDERS.get(gender, ""), preferred_clinician=preferred,
    )  # fmt: skip


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

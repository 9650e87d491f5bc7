"""The trust's exports into the caseload: patients.csv + careplans.csv, all or nothing.

Both files are read by the domain's readers (``scheduler.domain.careplan.read_caseload``),
so every problem is named by file, row and column as a day's import names them. The
readers' rules are the admit form's (``careplan.patient_from_cells``: the NHS number's
check digit, the postcode, the flags), so each patient is then checked only for what the
database holds (``caseload_input.read_patient_details``: lengths, the id's characters) and
against the caseload (already on it, an NHS number another patient holds, twice in the
file), each problem on the patient's row. Only when nothing is wrong is anyone admitted,
each by ``caseload.admit`` (audited one by one, then the import as a whole).

A patient's stay starts on the import's date, or on their earliest plan item's start when
that is earlier (a caseload exported mid-stay); an item without a start date starts on the
import's date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from scheduler.domain.careplan import CarePlanItem, Patient, read_caseload
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.tabular import read_table
from scheduler.domain.geocode import Gazetteer
from web.models import Admission, User
from web.services import audit
from web.services.caseload import admission_problems, admit
from web.services.caseload_input import (
    CaseloadError,
    PatientDetails,
    patient_details,
    read_patient_details,
)
from web.services.days import DayLimits, Upload, _source, check_size


def _fields(p: Patient) -> dict[str, object]:
    return {
        "patient_id": p.patient_id, "lat": p.location.lat, "lon": p.location.lon,
        "nhs_number": p.nhs_number, "name": p.name, "address": p.address,
        "postcode": p.postcode, "access_notes": p.access_notes,
        "risk_flags": sorted(p.risk_flags), "excluded_clinicians": sorted(p.excluded_clinicians),
        "carer_gender": p.carer_gender, "preferred_clinician": p.preferred_clinician,
    }  # fmt: skip


def _checked(p: Patient, validated: bool) -> PatientDetails:
    """The admit form's checks of ``p``: only the database's limits when ``validated``
    (read by ``careplan.read_patients``, whose rules are the form's), else all of them."""
    return read_patient_details(p) if validated else patient_details(_fields(p))


def import_caseload(session: Session, patients: Upload, careplans: Upload, on: date,
                    user: User | None, ip: str = "", *, limits: DayLimits | None = None,
                    gazetteer: Gazetteer | None = None,
                    warnings: list[InputIssue] | None = None) -> list[Admission]:  # fmt: skip
    """Admit every patient of ``patients`` with their plan items from ``careplans``; raises
    ``InputError`` with every problem (nothing stored: the caller rolls back). Rows given by
    postcode are placed by ``gazetteer``; a district-centre fallback goes to ``warnings``."""
    limits = limits or DayLimits()
    check_size(patients, limits.visits, "patients", "HAH_MAX_VISITS", "patients.csv")
    check_size(careplans, 10 * limits.visits, "care plan rows", "HAH_MAX_VISITS",
               "careplans.csv")  # fmt: skip
    pfile, cfile = _source(patients, "patients.csv"), _source(careplans, "careplans.csv")
    people, plans = read_caseload(pfile, cfile, gazetteer=gazetteer, warnings=warnings)
    table = read_table(pfile, ("patient_id",), [])
    rows = {cells["patient_id"]: n for n, cells in (table.rows if table else [])}
    admitted = admit_caseload(session, people, plans, on, user, ip, source=pfile.name,
                              rows=rows, columns=set(table.columns if table else ()),
                              validated=True)  # fmt: skip
    audit.record(session, user, "caseload_import",
                 f"{len(admitted)} patients admitted with {len(plans)} plan items from "
                 f"{pfile.name} and {cfile.name}", ip)  # fmt: skip
    return admitted


#: Where a reader puts a patient's problem: (patient id, field, why) → the issue to report.
IssueAt = Callable[[str, str, str], InputIssue]


def admit_caseload(session: Session, people: Sequence[Patient], plans: Sequence[CarePlanItem],
                   on: date, user: User | None, ip: str = "", *, source: str,
                   rows: Mapping[str, int] | None = None, columns: set[str] | None = None,
                   issue: IssueAt | None = None,
                   validated: bool = False) -> list[Admission]:  # fmt: skip
    """Admit ``people`` with their ``plans`` (domain values, from any reader: the CSV files
    here, a FHIR bundle), all or nothing: every problem is an ``InputIssue`` of ``source``
    at the patient's row (``rows``: patient id → row) and column (a field not among
    ``columns`` is reported on ``patient_id``), or, from a reader whose places are not rows
    and columns, whatever ``issue`` makes of (patient id, field, why). ``validated``: the
    people were read by ``careplan.read_patients``, which applied the admit form's rules
    already, so each is not checked by them a second time (only the database's limits)."""
    rows, columns = rows or {}, columns or set()
    by_patient: dict[str, list[CarePlanItem]] = defaultdict(list)
    for item in plans:
        by_patient[item.patient_id].append(replace(item, start_date=item.start_date or on))
    issues: list[InputIssue] = []
    staged: list[tuple[PatientDetails, list[CarePlanItem], date]] = []
    nhs_rows: dict[str, int | None] = {}

    def complain(pid: str, field: str, why: str) -> None:
        if issue is not None:
            issues.append(issue(pid, field, why))
            return
        issues.append(InputIssue(source, rows.get(pid),
                                 field if field in columns else "patient_id", why))  # fmt: skip

    for person in people:
        try:
            details = _checked(person, validated)
        except CaseloadError as err:
            for field, why in err.problems:
                complain(person.patient_id, field, why)
            continue
        items = by_patient.get(person.patient_id, [])
        starts = [i.start_date for i in items if i.start_date is not None]
        admitted_on = min([on, *starts])
        for field, why in admission_problems(session, details, admitted_on):
            complain(person.patient_id, field, why)
        if details.nhs_number:
            first = nhs_rows.setdefault(details.nhs_number, rows.get(person.patient_id))
            if first != rows.get(person.patient_id):
                complain(person.patient_id, "nhs_number", f"repeats row {first}")
        staged.append((details, items, admitted_on))
    if issues:
        raise InputError(issues)
    admitted = []
    for details, items, when in staged:
        try:
            admitted.append(admit(session, details, items, when, user, ip))
        except CaseloadError as err:  # admitted by someone else since the check above
            raise InputError([
                issue(details.patient_id, "patient_id", why) if issue is not None
                else InputIssue(source, rows.get(details.patient_id), "patient_id", why)
                for _, why in err.problems]) from None  # fmt: skip
    return admitted

"""The caseload's JSON API: patients (list, admit, read, change their details), their care plan
(add, change, stop a regimen), discharge, and a day planned from the caseload.

The same session cookie, roles and ``X-CSRF-Token`` as the rest of ``/api``
(``web.api``); the same services as the pages (``web.services.caseload``). A refusal names
each field and why: ``{"error": "…", "problems": [{"field": "nhs_number", "why": "…"}]}``
with 422 (a bad value), 404 (no such patient or item) or 409 (the caseload's state does not
allow it: already admitted, discharged, changed already); a day's files refused answer 422
with ``issues`` (file, row, column, message) as an import does. Reads of a patient's record
are audited (``web.reads``). Documented in ``web.openapi_caseload``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, jsonify, request, url_for

from scheduler.domain.errors import InputError
from scheduler.domain.localtime import stamp
from web.caseload import today
from web.errors import json_object
from web.models import Patient, PlanItem
from web.reads import reads_patient_data
from web.security import client_ip, current_user, db_session, roles
from web.services import audit
from web.services.caseload import (
    active_caseload,
    add_item,
    admit,
    change_item,
    discharge,
    find_patient,
    open_admission,
    stop_item,
    successors,
)
from web.services.caseload import describe as describe_item
from web.services.caseload_day import plan_from_caseload, plan_from_roster, planned_visits
from web.services.caseload_details import EDITABLE, change_details
from web.services.caseload_input import (
    CaseloadError,
    Problem,
    parse_date,
    patient_details,
    plan_item,
    plan_items,
    text,
)
from web.services.days import Upload
from web.services.postcodes import gazetteer_or_none
from web.services.roster import duties_for
from web.views import day_limits, parse_day

bp = Blueprint("caseload_api", __name__, url_prefix="/api")

ACTIONS = ("add", "change", "stop")


def _refused(err: CaseloadError):
    db_session().rollback()
    problems = [{"field": f, "why": why} for f, why in err.problems]
    message = "; ".join(f"{f}: {why}" if f else why for f, why in err.problems)
    return jsonify(error=message, problems=problems), err.status


def _patient_or_404(pid: str) -> Patient:
    patient = find_patient(db_session(), pid)
    if patient is None:
        abort(404, description=f"no patient {pid} on the caseload")
    return patient


def _day(value: Any, field: str, problems: list[Problem], default: date | None) -> date | None:
    return parse_date(value, field, problems) or default


def item_json(row: PlanItem, replaced_by: dict[int, int], day: date) -> dict[str, Any]:
    return {
        "id": row.id, "regimen": row.regimen, "frequency": row.frequency,
        "first_time": row.first_time.strftime("%H:%M") if row.first_time else None,
        "tolerance_min": row.tolerance_min, "duration_min": row.duration_min,
        "run_hours": row.run_hours, "line": row.line, "start_date": f"{row.start_date}",
        "end_date": f"{row.end_date}" if row.end_date else None, "priority": row.priority,
        "staff": row.staff, "replaces_id": row.replaces_id, "replaced_by": replaced_by.get(row.id),
        "end_reason": row.end_reason, "summary": describe_item(row),
        "active": row.start_date <= day and (row.end_date is None or row.end_date >= day),
    }  # fmt: skip


def patient_json(patient: Patient, *, planned: bool = True) -> dict[str, Any]:
    """A patient's record: details, every stay with its plan items (history included), and
    their visits on the days planned."""
    s, day = db_session(), today()
    replaced_by = successors(s, patient)
    out: dict[str, Any] = {
        "patient_id": patient.patient_id, "nhs_number": patient.nhs_number,
        "name": patient.name, "address": patient.address, "postcode": patient.postcode,
        "lat": patient.lat, "lon": patient.lon, "access_notes": patient.access_notes,
        "risk_flags": list(patient.risk_flags or ()),
        "excluded_clinicians": list(patient.excluded_clinicians or ()),
        "carer_gender": patient.carer_gender, "preferred_clinician": patient.preferred_clinician,
        "on_caseload": open_admission(patient) is not None,
        # retention removed the personal details after the last discharge (UTC)
        "purged_at": patient.purged_at.isoformat(timespec="seconds") + "Z"
        if patient.purged_at else None,
        "stays": [{"admission_id": a.id, "admitted_on": f"{a.admitted_on}",
                   "discharged_on": f"{a.discharged_on}" if a.discharged_on else None,
                   "discharge_note": a.discharge_note,
                   "items": [item_json(i, replaced_by, day) for i in a.items]}
                  for a in patient.admissions],
    }  # fmt: skip
    if planned:
        out["planned"] = [
            {"date": f"{d.date}", "version": d.version or None, "visits": [
                {"visit_id": v.visit_id, "visit_type": v.visit_type,
                 "window_start": stamp(v.window_start), "window_end": stamp(v.window_end),
                 "start": stamp(v.start) if v.start else None, "clinicians": list(v.clinicians)}
                for v in d.visits]}
            for d in planned_visits(s, patient.patient_id, day)
        ]  # fmt: skip
    return out


@bp.route("/patients")
@roles("coordinator")
@reads_patient_data
def patients():
    """The caseload on ``?on=YYYY-MM-DD`` (default today): each stay open that day or later,
    with the regimens active that day."""
    problems: list[Problem] = []
    day = _day(request.args.get("on"), "on", problems, today())
    if problems or day is None:
        return _refused(CaseloadError(problems, 400))
    return jsonify(on=f"{day}", patients=[
        {"patient_id": e.patient.patient_id, "name": e.patient.name,
         "postcode": e.patient.postcode, "admitted_on": f"{e.admission.admitted_on}",
         "discharged_on": f"{e.admission.discharged_on}" if e.admission.discharged_on else None,
         "regimens": [describe_item(i) for i in e.today],
         "starting_later": [{"regimen": describe_item(i), "start_date": f"{i.start_date}"}
                            for i in e.later]}
        for e in active_caseload(db_session(), day)])  # fmt: skip


@bp.route("/patients", methods=["POST"])
@roles("coordinator")
def admit_patient():
    """Admit: the patient's fields, ``admitted_on`` (default today) and ``items`` (plan items
    in careplans.csv's columns) → 201 with the record."""
    s, body = db_session(), json_object()
    problems: list[Problem] = []
    admitted_on = _day(body.get("admitted_on"), "admitted_on", problems, today())
    details = None
    try:
        details = patient_details(body, gazetteer_or_none())
    except CaseloadError as err:
        problems += err.problems
    rows = body.get("items", [])
    if not isinstance(rows, list):
        problems.append(("items", "is not a list of plan items"))
        rows = []
    items = []
    try:
        items = plan_items(rows, text(body.get("patient_id")) or "?", admitted_on or today())
    except CaseloadError as err:
        problems += err.problems
    try:
        if problems or details is None or admitted_on is None:
            raise CaseloadError(problems)
        admit(s, details, items, admitted_on, current_user(), client_ip())
    except CaseloadError as err:
        return _refused(err)
    s.commit()
    patient = _patient_or_404(details.patient_id)
    response = jsonify({**patient_json(patient, planned=False), "warnings": list(details.warnings)})
    response.headers["Location"] = url_for("caseload_api.patient", pid=patient.patient_id)
    return response, 201


@bp.route("/patients/<pid>")
@roles("coordinator")
@reads_patient_data
def patient(pid: str):
    return jsonify(patient_json(_patient_or_404(pid)))


@bp.route("/patients/<pid>", methods=["PATCH"])
@roles("coordinator")
def change_patient(pid: str):
    """Her details: the fields sent (``EDITABLE``; one sent empty or null is cleared), the
    rest kept → 200 with the record, ``changed`` (field names), ``warnings`` and
    ``already_planned`` (days from today planned with her details as they were)."""
    s, patient, body = db_session(), _patient_or_404(pid), json_object()
    try:
        if not body:
            raise CaseloadError([("", f"send the details to change: {', '.join(EDITABLE)}")])
        done = change_details(s, patient, body, current_user(), client_ip(),
                              gazetteer=gazetteer_or_none(), today=today())  # fmt: skip
    except CaseloadError as err:
        return _refused(err)
    s.commit()
    return jsonify({**patient_json(patient, planned=False), "changed": list(done.changed),
                    "warnings": list(done.warnings),
                    "already_planned": [f"{d}" for d in done.already_planned]})  # fmt: skip


def _item_id(body: dict[str, Any], problems: list[Problem]) -> int:
    value = body.get("item_id")
    if type(value) is not int or value < 1:
        problems.append(("item_id", "is not a plan item's id (a whole number)"))
        return 0
    return value


@bp.route("/patients/<pid>/careplan", methods=["POST"])
@roles("coordinator")
def careplan(pid: str):
    """``action``: ``add`` (``item``), ``change`` (``item_id``, ``from_date``, ``changes``:
    careplans.csv's columns; one given empty is cleared) or ``stop`` (``item_id``,
    ``last_day``) → 201 (add, change) or 200 (stop) with ``item`` and the record."""
    s, patient, body = db_session(), _patient_or_404(pid), json_object()
    action = body.get("action")
    problems: list[Problem] = []
    day = today()
    try:
        if action not in ACTIONS:
            raise CaseloadError([("action", f"{action!r} is not one of {', '.join(ACTIONS)}")])
        if action == "add":
            fields = body.get("item")
            if not isinstance(fields, dict):
                raise CaseloadError([("item", "is not an object of careplans.csv's columns")])
            item = plan_item(fields, patient.patient_id, prefix="item.", start=day)
            row = add_item(s, patient, item, current_user(), client_ip(), today=day)
        else:
            item_id = _item_id(body, problems)
            field = "from_date" if action == "change" else "last_day"
            when = parse_date(body.get(field), field, problems)
            if when is None and not any(f == field for f, _ in problems):
                problems.append((field, "is empty: a date, YYYY-MM-DD"))
            changes = body.get("changes", {})
            if action == "change" and not isinstance(changes, dict):
                problems.append(("changes", "is not an object of careplans.csv's columns"))
            if problems or when is None:
                raise CaseloadError(problems)
            if action == "change":
                row = change_item(s, patient, item_id, when, changes, current_user(),
                                  client_ip(), today=day)  # fmt: skip
            else:
                row = stop_item(s, patient, item_id, when, current_user(), client_ip(), today=day)
    except CaseloadError as err:
        return _refused(err)
    s.commit()
    answer = item_json(row, successors(s, patient), day)
    return jsonify(item=answer, patient=patient_json(patient, planned=False)), (
        200 if action == "stop" else 201)  # fmt: skip


@bp.route("/patients/<pid>/discharge", methods=["POST"])
@roles("coordinator")
def discharge_patient(pid: str):
    """``discharged_on`` (default today) and ``note``: every regimen ends that day."""
    s, patient, body = db_session(), _patient_or_404(pid), json_object()
    problems: list[Problem] = []
    on = _day(body.get("discharged_on"), "discharged_on", problems, today())
    try:
        if problems or on is None:
            raise CaseloadError(problems)
        discharge(s, patient, on, text(body.get("note")), current_user(), client_ip())
    except CaseloadError as err:
        return _refused(err)
    s.commit()
    return jsonify(patient_json(patient, planned=False))


@bp.route("/days/<date>/plan-from-caseload", methods=["POST"])
@roles("coordinator")
def plan_day(date: str):
    """The day's visits from the caseload with the staff on shift: a multipart upload
    ``clinicians`` (clinicians.csv or the e-roster's export in its columns), a JSON body with
    ``clinicians_csv`` (the file's text) and ``clinicians_name``, or neither: the stored
    roster's staff that day (``web.roster_api``) → 201 with the import."""
    s, day = db_session(), parse_day(date)
    upload = None
    if request.files.get("clinicians") and request.files["clinicians"].filename:
        f = request.files["clinicians"]
        upload = Upload(f.filename or "clinicians.csv", f.read())
    elif not request.mimetype.startswith("multipart/"):
        body = json_object()
        if isinstance(body.get("clinicians_csv"), str) and body["clinicians_csv"]:
            upload = Upload(text(body.get("clinicians_name")) or "clinicians.csv",
                            body["clinicians_csv"].encode("utf-8"))  # fmt: skip
    if upload is None and not duties_for(s, day):
        return _refused(CaseloadError([("clinicians", (
            "send the staff on shift: a file 'clinicians' or clinicians_csv in a JSON body, "
            f"or store the roster first (POST /api/roster): nobody is on shift on {day} in "
            "the stored roster"))]))  # fmt: skip
    try:
        if upload is None:
            imp = plan_from_roster(s, day, current_user(), client_ip(), limits=day_limits())
        else:
            imp = plan_from_caseload(s, day, upload, current_user(), client_ip(),
                                     limits=day_limits())  # fmt: skip
    except InputError as err:
        s.rollback()
        name = upload.name if upload is not None else "the stored roster"
        audit.record(s, current_user(), "caseload_refused", f"{day}: plan from the caseload: "
                     f"{len(err.issues)} issue(s) in {name}", client_ip())  # fmt: skip
        s.commit()
        issues = [{"file": i.file, "row": i.row, "column": i.column, "message": i.message}
                  for i in err.issues]  # fmt: skip
        return jsonify(error=f"not planned: {len(issues)} problem(s)", issues=issues), 422
    s.commit()
    return jsonify(date=f"{day}", import_id=imp.id, visits=imp.visits_count,
                   patients=imp.patients_count, shifts=imp.clinicians_count,
                   visits_name=imp.visits_name, clinicians_name=imp.clinicians_name,
                   staff_from="file" if upload is not None else "roster",
                   day_url=url_for("api.day", date=f"{day}")), 201  # fmt: skip

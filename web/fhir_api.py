"""FHIR R4 through the JSON API: a trust's bundle of ``Patient``, ``CarePlan`` and
``ServiceRequest`` resources into the caseload, and a day's published rota out as a bundle
of ``Appointment`` resources (``web.services.caseload_fhir``).

Coordinators only, with the session cookie and ``X-CSRF-Token`` of the rest of ``/api``. A
refused bundle answers 422 with ``issues`` (file, row: the entry's index, column: the
resource and element path, message), as a day's files refused do; the export is a read of
patient data, audited (``web.reads``). The coordinator's day page links to the export and
the caseload page posts the import form to ``web.caseload``. Documented in
``web.openapi_fhir``.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, jsonify, request

from scheduler.domain.errors import InputError, InputIssue
from web.caseload import today
from web.errors import valid_id
from web.reads import reads_patient_data
from web.security import client_ip, current_user, db_session, roles
from web.services import audit
from web.services.caseload_fhir import (
    BUNDLE_NAME,
    NotPublished,
    day_appointments,
    import_bundle,
    published_version,
)
from web.services.caseload_input import CaseloadError, Problem, parse_date
from web.services.clock import now
from web.services.days import Upload, get_day
from web.services.postcodes import gazetteer_or_none
from web.views import day_limits, parse_day

bp = Blueprint("fhir_api", __name__, url_prefix="/api")

#: What a FHIR bundle is sent as (``application/fhir+json`` is FHIR's own media type).
FHIR_JSON = "application/fhir+json"


def _refused(err: CaseloadError):
    """As the caseload API refuses: each field and why."""
    return jsonify(error="; ".join(f"{f}: {why}" if f else why for f, why in err.problems),
                   problems=[{"field": f, "why": why} for f, why in err.problems]), err.status


def issue_json(issue: InputIssue) -> dict:
    return {"file": issue.file, "row": issue.row, "column": issue.column,
            "message": issue.message, "text": str(issue)}  # fmt: skip


def _bundle_upload() -> Upload | None:
    """The bundle sent: a multipart file ``bundle``, or the request's body itself."""
    if request.mimetype.startswith("multipart/"):
        f = request.files.get("bundle")
        return Upload(f.filename or BUNDLE_NAME, f.read()) if f and f.filename else None
    data = request.get_data()
    return Upload(BUNDLE_NAME, data) if data.strip() else None


@bp.route("/caseload/import-fhir", methods=["POST"])
@roles("coordinator")
def import_fhir():
    """A FHIR R4 bundle into the caseload, all or nothing: 201 with who was admitted (and any
    postcode placed at its district's centre in ``warnings``); 422 with every issue."""
    s = db_session()
    problems: list[Problem] = []
    on = parse_date(request.values.get("on"), "on", problems) or today()
    upload = _bundle_upload()
    if upload is None:
        problems.append(("bundle", "send the bundle: a file 'bundle', or the Bundle as the "
                                   f"body ({FHIR_JSON})"))  # fmt: skip
    if problems or upload is None:
        return _refused(CaseloadError(problems))
    warnings: list[InputIssue] = []
    try:
        admitted = import_bundle(s, upload, on, current_user(), client_ip(), limits=day_limits(),
                                 gazetteer=gazetteer_or_none(), warnings=warnings)  # fmt: skip
    except InputError as err:
        s.rollback()
        name = err.issues[0].file if err.issues else upload.name
        audit.record(s, current_user(), "caseload_refused",
                     f"caseload FHIR import: {len(err.issues)} issue(s) in {name}",
                     client_ip())  # fmt: skip
        s.commit()
        issues = [issue_json(i) for i in err.issues]
        return jsonify(error=f"not imported: {len(issues)} problem(s)", issues=issues), 422
    s.commit()
    return jsonify(on=f"{on}", patients=len(admitted),
                   plan_items=sum(len(a.items) for a in admitted),
                   admitted=[{"patient_id": a.patient.patient_id, "admitted_on": f"{a.admitted_on}"}
                             for a in admitted],
                   warnings=[issue_json(w) for w in warnings]), 201  # fmt: skip


@bp.route("/days/<date>/appointments.fhir.json")
@roles("coordinator")
@reads_patient_data
def day_appointments_fhir(date: str):
    """The day's published rota (the latest, or ``?version=N``, a published number) as a FHIR
    R4 bundle of ``Appointment`` resources, a download; 404 while nothing is published."""
    s, day = db_session(), parse_day(date)
    d = get_day(s, day)
    if d is None:
        abort(404, description=f"no day {day:%Y-%m-%d}")
    number = None
    if request.args.get("version"):
        number = valid_id(request.args["version"])
        if number is None:
            abort(400, description="version is a published version's number (1, 2, …)")
    try:
        version = published_version(s, d, number)
    except NotPublished as err:
        abort(404, description=str(err))
    bundle = day_appointments(s, version, now(current_app.config))
    name = f"appointments-{day:%Y-%m-%d}-v{version.number}.fhir.json"
    response: Response = current_app.response_class(
        json.dumps(bundle, ensure_ascii=False), mimetype=FHIR_JSON,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
    return response

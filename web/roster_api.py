"""The roster's JSON API, beside the caseload's (``web.caseload_api``): the e-roster's export
uploaded, a planning day's duties listed, one duty added or removed.

The same session cookie, roles and ``X-CSRF-Token`` as the rest of ``/api``. A refused
upload answers 422 with ``issues`` (file, row, column, message), as a day's import does; a
refused duty 422 (a bad value), 404 (no such duty) or 409 (she has a duty that day, or one
that overlaps) with ``problems`` (each field and why). A day planned from the caseload with
the stored roster is ``POST /api/days/{date}/plan-from-caseload`` without a file
(``web.caseload_api``). Documented in ``web.openapi_caseload``. No patient data here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, jsonify, request, url_for

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.localtime import stamp
from web.errors import json_object
from web.models import RosterDuty
from web.roster import DUTY_FIELDS, imported_message
from web.security import client_ip, current_user, db_session, roles
from web.services.caseload_input import text
from web.services.days import Upload
from web.services.postcodes import gazetteer_or_none
from web.services.roster import (
    RosterError,
    add_duty,
    days_held,
    duties_for,
    import_roster,
    refuse_import,
    remove_duty,
    shift_of,
)
from web.views import day_limits, parse_day

bp = Blueprint("roster_api", __name__, url_prefix="/api")


def issue_json(i: InputIssue) -> dict[str, Any]:
    return {"file": i.file, "row": i.row, "column": i.column, "message": i.message}


def duty_json(row: RosterDuty) -> dict[str, Any]:
    """A stored duty in the export's terms; times as local stamps with their offset."""
    s = shift_of(row)
    rest = s.rest_break
    return {
        "day": f"{row.day}", "staff_id": row.clinician_id, "name": row.name,
        "grade": row.role, "skills": sorted(row.skills), "gender": row.gender,
        "start": stamp(s.start), "end": stamp(s.end), "label": s.label(),
        "break_min": rest.duration_min if rest else 0,
        "break_earliest": stamp(rest.window.start) if rest else None,
        "break_latest": stamp(rest.window.end) if rest else None,
        "base": row.base, "base_lat": row.lat, "base_lon": row.lon,
        "duty_code": row.duty_code, "source": row.source, "note": row.note,
        "import_id": row.import_id,
    }  # fmt: skip


def _refused(err: RosterError):
    db_session().rollback()
    problems = [{"field": f, "why": why} for f, why in err.problems]
    return jsonify(error=str(err), problems=problems), err.status


def _upload() -> Upload | None:
    f = request.files.get("roster")
    if f is not None and f.filename:
        return Upload(f.filename, f.read())
    if request.mimetype.startswith("multipart/"):
        return None
    body = json_object()
    if isinstance(body.get("roster_csv"), str) and body["roster_csv"]:
        return Upload(text(body.get("roster_name")) or "eroster.csv", body["roster_csv"].encode())
    return None


@bp.route("/roster", methods=["POST"])
@roles("coordinator")
def upload_roster():
    """The e-roster's export: a multipart file ``roster``, or JSON ``roster_csv`` (the text)
    and ``roster_name`` → 201; the stored duties of its first to last date replaced."""
    s = db_session()
    upload = _upload()
    if upload is None:
        return _refused(RosterError([("roster", "send the e-roster's export: a file 'roster' "
                                      "or roster_csv in a JSON body")]))  # fmt: skip
    try:
        got = import_roster(s, upload, current_user(), client_ip(), limits=day_limits(),
                            gazetteer=gazetteer_or_none())  # fmt: skip
    except InputError as err:
        refuse_import(s, err, current_user(), client_ip())
        return jsonify(error=f"not imported: {len(err.issues)} problem(s)",
                       issues=[issue_json(i) for i in err.issues]), 422  # fmt: skip
    s.commit()
    row = got.row
    held = days_held(s, row.first_day, row.last_day)
    return jsonify(
        import_id=row.id, file=row.file_name, first=f"{row.first_day}", last=f"{row.last_day}",
        duties=row.duties_count, skipped_rows=row.skipped_count,
        skipped={code: n for code, n in got.skipped}, replaced=row.replaced_count,
        replaced_entered=row.replaced_entered,
        days={f"{d}": held.get(d, 0) for d in _days(row.first_day, row.last_day)},
        warnings=[issue_json(w) for w in got.warnings], message=imported_message(got),
    ), 201  # fmt: skip


def _days(first: date, last: date) -> list[date]:
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


@bp.route("/days/<date>/roster")
@roles("coordinator")
def day_roster(date: str):
    """The planning day's staff on shift, by start."""
    day = parse_day(date)
    duties = duties_for(db_session(), day)
    return jsonify(date=f"{day}", count=len(duties), duties=[duty_json(d) for d in duties])


@bp.route("/days/<date>/roster", methods=["POST"])
@roles("coordinator")
def add_day_duty(date: str):
    """One duty entered: the export's columns (``staff_id``, ``name``, ``grade``, ``start``,
    ``end``, ``base_lat``/``base_lon`` or ``base_postcode``…) and ``note`` → 201."""
    s, day, body = db_session(), parse_day(date), json_object()
    fields = {f: text(body.get(f)) for f in DUTY_FIELDS}
    try:
        row = add_duty(s, day, fields, current_user(), client_ip(), note=text(body.get("note")),
                       gazetteer=gazetteer_or_none())  # fmt: skip
    except RosterError as err:
        return _refused(err)
    s.commit()
    response = jsonify(duty=duty_json(row))
    response.headers["Location"] = url_for("roster_api.day_roster", date=f"{day}")
    return response, 201


@bp.route("/days/<date>/roster/remove", methods=["POST"])
@roles("coordinator")
def remove_day_duty(date: str):
    """``staff_id``'s duty taken off the planning day → 200 with it; 404 when she has none."""
    s, day, body = db_session(), parse_day(date), json_object()
    try:
        row = remove_duty(s, day, text(body.get("staff_id")), current_user(), client_ip())
        removed = duty_json(row)
    except RosterError as err:
        return _refused(err)
    s.commit()
    return jsonify(removed=removed)

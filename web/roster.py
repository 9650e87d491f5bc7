"""The roster pages under the caseload: the e-roster's export uploaded, a planning day's staff
on shift, one duty added (a bank nurse booked today) or removed (a nurse off).

Views parse the form and call ``web.services.roster``, where every rule lives. A refused
upload is the import-refused page with each problem by file, row and column (422); a refused
duty is this page again with each field's problem and what was typed kept. Staff data, no
patient data: nothing here is a read to audit; every change is audited by the service.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler.domain.errors import InputError
from scheduler.domain.formats.eroster import NOT_WORKING
from scheduler.domain.synth import ROLE_SKILLS
from web.caseload import today
from web.security import client_ip, current_user, db_session, roles
from web.services.caseload_input import parse_date
from web.services.days import Upload
from web.services.postcodes import gazetteer_or_none
from web.services.roster import (
    Imported,
    RosterError,
    add_duty,
    days_held,
    duties_for,
    import_roster,
    imports,
    refuse_import,
    remove_duty,
    shift_of,
)
from web.views import day_limits

bp = Blueprint("roster", __name__, url_prefix="/coordinator/caseload/roster")

#: The fields of the add-a-duty form: the export's columns (``date`` is the page's day).
DUTY_FIELDS = ("staff_id", "name", "grade", "skills", "gender", "start", "end", "break_min",
               "break_earliest", "break_latest", "base", "base_lat", "base_lon",
               "base_postcode", "duty_code")  # fmt: skip
#: How many days of the week ahead the page counts duties for.
AHEAD = 14


def imported_message(got: Imported) -> str:
    """What an import did, in words (the page's flash and the API's ``message``)."""
    row = got.row
    days = (row.last_day - row.first_day).days + 1
    skipped = ", ".join(f"{code or '(no code)'} {n}" for code, n in got.skipped)
    return (f"Imported {row.file_name}: {row.duties_count} duties from {row.first_day} to "
            f"{row.last_day} ({days} day{'s' if days != 1 else ''}); {row.skipped_count} rows "
            f"of leave, sickness or study skipped{f' ({skipped})' if skipped else ''}; "
            f"replaced {row.replaced_count} stored duties ({row.replaced_entered} entered on "
            "the web).")  # fmt: skip


def _page(day: date, *, form: dict | None = None, problems: list | None = None,
          status: int = 200):  # fmt: skip
    s = db_session()
    duties = duties_for(s, day)
    held = days_held(s, day, day + timedelta(days=AHEAD - 1))
    week = [(day + timedelta(days=n), held.get(day + timedelta(days=n), 0)) for n in range(AHEAD)]
    return render_template(
        "caseload/roster.html", day=day, duties=[(d, shift_of(d)) for d in duties], week=week,
        imports=imports(s), form=form or {}, problems=problems or [], fields=DUTY_FIELDS,
        grades=list(ROLE_SKILLS), not_working=sorted(NOT_WORKING), today=today(),
    ), status  # fmt: skip


def _day_from(value: str | None, problems: list) -> date:
    return parse_date(value, "date", problems) or today() + timedelta(days=1)


@bp.route("")
@roles("coordinator")
def page():
    """A planning day's staff on shift (``?date=YYYY-MM-DD``, default tomorrow)."""
    problems: list = []
    day = _day_from(request.args.get("date"), problems)
    return _page(day, problems=problems, status=400 if problems else 200)


def _back(day: date) -> Response:
    db_session().commit()
    return redirect(url_for("roster.page", date=f"{day:%Y-%m-%d}"), code=303)


@bp.route("/import", methods=["POST"])
@roles("coordinator")
def upload():
    """The e-roster's export: its period's duties replaced, all or nothing."""
    s = db_session()
    f = request.files.get("roster")
    if f is None or not f.filename:
        why = "Choose the e-roster's export (CSV: one row per duty)."
        return render_template("coordinator/import_refused.html", problems=[why], issues=[],
                               date=""), 400  # fmt: skip
    upload = Upload(f.filename, f.read())
    try:
        got = import_roster(s, upload, current_user(), client_ip(), limits=day_limits(),
                            gazetteer=gazetteer_or_none())  # fmt: skip
    except InputError as err:
        refuse_import(s, err, current_user(), client_ip())
        return render_template("coordinator/import_refused.html", problems=[],
                               issues=err.issues, date=""), 422  # fmt: skip
    flash(imported_message(got), "ok")
    for warning in got.warnings:
        flash(str(warning), "warn")
    return _back(got.row.first_day)


@bp.route("/add", methods=["POST"])
@roles("coordinator")
def add():
    """One duty entered for the page's day; refused: the page again, the form kept."""
    s = db_session()
    problems: list = []
    day = _day_from(request.form.get("date"), problems)
    fields = {f: request.form.get(f, "") for f in DUTY_FIELDS}
    try:
        if problems:
            raise RosterError(problems, 400)
        row = add_duty(s, day, fields, current_user(), client_ip(),
                       note=request.form.get("note", "").strip(),
                       gazetteer=gazetteer_or_none())  # fmt: skip
    except RosterError as err:
        s.rollback()
        return _page(day, form=request.form, problems=err.problems, status=err.status)
    flash(f"{row.clinician_id} {row.name} is on shift on {day}: {shift_of(row).label()}.", "ok")
    return _back(day)


@bp.route("/remove", methods=["POST"])
@roles("coordinator")
def remove():
    s = db_session()
    problems: list = []
    day = _day_from(request.form.get("date"), problems)
    staff_id = request.form.get("staff_id", "").strip()
    try:
        if problems:
            raise RosterError(problems, 400)
        row = remove_duty(s, day, staff_id, current_user(), client_ip())
    except RosterError as err:
        s.rollback()
        return _page(day, problems=err.problems, status=err.status)
    flash(f"{row.clinician_id} {row.name} is off the roster on {day}.", "ok")
    return _back(day)

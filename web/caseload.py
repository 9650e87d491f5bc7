"""The coordinator's caseload pages: who is on the caseload and on what regimens, admit a
patient with a plan, change her details, change or stop a regimen from a date, discharge;
the trust's exports imported in bulk; a day (tomorrow by default) planned from the caseload.

Views parse the form and call ``web.services.caseload`` (and its ``_import``/``_day``
neighbours), where every rule lives. A refusal is the page again with each field's problem in
words and a 4xx; a page showing a patient's record is a read, audited (``web.reads``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.localtime import local
from web.reads import describe, reads_patient_data, record_read
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
from web.services.caseload_details import EDITABLE, change_details, stored_cells
from web.services.caseload_fhir import import_bundle
from web.services.caseload_import import import_caseload
from web.services.caseload_input import (
    ITEM_FIELDS,
    CaseloadError,
    Problem,
    parse_date,
    patient_details,
    plan_item,
    plan_items,
)
from web.services.clock import now
from web.services.days import Upload
from web.services.postcodes import gazetteer_or_none
from web.views import day_limits

bp = Blueprint("caseload", __name__, url_prefix="/coordinator/caseload")

#: Blank plan item rows on the admit form (a stay rarely starts with more regimens).
ADMIT_ROWS = 4
PATIENT_FIELDS = ("patient_id", "nhs_number", "name", "address", "postcode", "lat", "lon",
                  "access_notes", "risk_flags", "excluded_clinicians", "carer_gender",
                  "preferred_clinician")  # fmt: skip
LABELS = {"patient_id": "Patient id", "nhs_number": "NHS number", "lat": "Latitude",
          "lon": "Longitude", "access_notes": "Access notes", "risk_flags": "Risk flags",
          "excluded_clinicians": "Excluded clinicians", "carer_gender": "Carer's gender",
          "preferred_clinician": "Preferred clinician", "admitted_on": "Admitted on",
          "from_date": "From", "last_day": "Last day", "discharged_on": "Discharged on",
          "item_id": "Plan item"}  # fmt: skip


def today() -> date:
    """The service's today, Europe/London (``HAH_TODAY`` fixes it for demos and tests)."""
    fixed = current_app.config.get("HAH_TODAY")
    if fixed:
        return date.fromisoformat(str(fixed))
    return local(now(current_app.config)).date()


def words(field: str) -> str:
    """A problem's field as the page names it: ``items[1].frequency`` → plan item 2, frequency."""
    if field.startswith("items["):
        n, _, rest = field[6:].partition("].")
        return f"Plan item {int(n) + 1}" + (f", {rest.replace('_', ' ')}" if rest else "")
    return LABELS.get(field, field.replace("_", " ").capitalize())


@bp.app_template_filter("problem")
def _problem(problem: Problem) -> str:
    field, why = problem
    return f"{words(field)}: {why}" if field else why


def _date_field(name: str, default: date, problems: list[Problem]) -> date:
    return parse_date(request.form.get(name), name, problems) or default


def _upload(field: str) -> Upload | None:
    f = request.files.get(field)
    if f is None or not f.filename:
        return None
    return Upload(f.filename, f.read())


@bp.route("/")
@roles("coordinator")
@reads_patient_data
def index():
    day = today()
    return render_template("caseload/index.html", entries=active_caseload(db_session(), day),
                           today=day, tomorrow=day + timedelta(days=1),
                           describe=describe_item)  # fmt: skip


@bp.route("/admit")
@roles("coordinator")
def admit_form():
    return render_template("caseload/admit.html", form={}, problems=[], rows=ADMIT_ROWS,
                           today=today(), item_fields=ITEM_FIELDS)  # fmt: skip


def _item_rows() -> list[dict[str, str]]:
    return [{f: request.form.get(f"items-{n}-{f}", "") for f in ITEM_FIELDS}
            for n in range(ADMIT_ROWS)]  # fmt: skip


@bp.route("/admit", methods=["POST"])
@roles("coordinator")
def admit_post():
    s = db_session()
    problems: list[Problem] = []
    admitted_on = _date_field("admitted_on", today(), problems)
    details = None
    try:
        details = patient_details({f: request.form.get(f, "") for f in PATIENT_FIELDS},
                                  gazetteer_or_none())
    except CaseloadError as err:
        problems += err.problems
    items = []
    try:
        items = plan_items(_item_rows(), request.form.get("patient_id", "").strip() or "?",
                           admitted_on)  # fmt: skip
    except CaseloadError as err:
        problems += err.problems
    status = 422
    if not problems and details is not None:
        try:
            admit(s, details, items, admitted_on, current_user(), client_ip())
        except CaseloadError as err:
            s.rollback()
            problems, status = err.problems, err.status
        else:
            s.commit()
            flash(f"Admitted {details.patient_id} from {admitted_on} with {len(items)} plan "
                  f"item{'s' if len(items) != 1 else ''}.", "ok")  # fmt: skip
            for warning in details.warnings:
                flash(f"Postcode: {warning}", "warn")
            return redirect(url_for("caseload.patient", pid=details.patient_id), code=303)
    return render_template("caseload/admit.html", form=request.form, problems=problems,
                           rows=ADMIT_ROWS, today=today(), item_fields=ITEM_FIELDS), status


def _patient_page(pid: str, problems: list[Problem] | None = None, status: int = 200,
                  details_form: Mapping[str, str] | None = None):  # fmt: skip
    """The patient's page; ``details_form``: the details form as it was sent (refused), shown
    open with what was typed, instead of the stored details."""
    s = db_session()
    patient = find_patient(s, pid)
    if patient is None:
        abort(404)
    day = today()
    page = render_template(
        "caseload/patient.html", patient=patient, current=open_admission(patient),
        stays=list(reversed(patient.admissions)), replaced_by=successors(s, patient),
        planned=planned_visits(s, patient.patient_id, day), problems=problems or [],
        today=day, tomorrow=day + timedelta(days=1), describe=describe_item,
        details=details_form or stored_cells(patient), details_open=details_form is not None,
        seen=(details_form or {}).get("seen") or patient.updated_at.isoformat(),
    )  # fmt: skip
    return page, status


@bp.route("/patients/<pid>")
@roles("coordinator")
@reads_patient_data
def patient(pid: str):
    return _patient_page(pid)


def _refused(pid: str, err: CaseloadError, details_form: Mapping[str, str] | None = None):
    """The patient page again with the problems (and the read it is, audited)."""
    db_session().rollback()
    page = _patient_page(pid, err.problems, err.status, details_form)
    record_read(current_user(), describe("caseload.patient", {"pid": pid}))
    return page


def _patient_or_404(pid: str):
    patient = find_patient(db_session(), pid)
    if patient is None:
        abort(404)
    return patient


def _done(pid: str, message: str) -> Response:
    db_session().commit()
    flash(message, "ok")
    return redirect(url_for("caseload.patient", pid=pid), code=303)


def _seen() -> datetime | None:
    """When the patient's row was last written, as the page the form came from showed it."""
    try:
        return datetime.fromisoformat(request.form.get("seen", ""))
    except ValueError:
        return None


@bp.route("/patients/<pid>/details", methods=["POST"])
@roles("coordinator")
def details(pid: str):
    """Her details as the form sends them, pre-filled: a field emptied is cleared; a new
    postcode with the place left as it was places her again from the postcode."""
    s, patient = db_session(), _patient_or_404(pid)
    fields = {f: request.form.get(f, "") for f in EDITABLE}
    try:
        done = change_details(s, patient, fields, current_user(), client_ip(),
                              gazetteer=gazetteer_or_none(), seen=_seen(), today=today())
    except CaseloadError as err:
        return _refused(pid, err, {**fields, "seen": request.form.get("seen", "")})
    if not done.changed:
        return _done(pid, "Nothing changed: the details are as they were.")
    s.commit()
    flash(f"Details changed: {', '.join(words(f) for f in done.changed)}.", "ok")
    for warning in done.warnings:
        flash(f"Postcode: {warning}", "warn")
    if done.already_planned:
        days = ", ".join(f"{d}" for d in done.already_planned)
        flash(f"Already planned with the details as they were: {days}. Plan "
              f"{'it' if len(done.already_planned) == 1 else 'them'} again from the caseload "
              "for the change to reach the visits.", "warn")  # fmt: skip
    return redirect(url_for("caseload.patient", pid=pid), code=303)


@bp.route("/patients/<pid>/plan", methods=["POST"])
@roles("coordinator")
def add(pid: str):
    s, patient = db_session(), _patient_or_404(pid)
    try:
        fields = {f: request.form.get(f, "") for f in ITEM_FIELDS}
        item = plan_item(fields, patient.patient_id, start=today())
        row = add_item(s, patient, item, current_user(), client_ip(), today=today())
    except CaseloadError as err:
        return _refused(pid, err)
    return _done(pid, f"Added plan item {row.id}: {describe_item(row)} from {row.start_date}.")


@bp.route("/patients/<pid>/plan/<int:item_id>/change", methods=["POST"])
@roles("coordinator")
def change(pid: str, item_id: int):
    """A blank field keeps its value; the change takes effect from the date given."""
    s, patient = db_session(), _patient_or_404(pid)
    problems: list[Problem] = []
    when = parse_date(request.form.get("from_date"), "from_date", problems)
    if when is None and not problems:
        problems.append(("from_date", "is empty: the first day of the new regimen"))
    changes = {f: v for f in ITEM_FIELDS if f != "start_date"
               and (v := request.form.get(f, "").strip())}  # fmt: skip
    try:
        if problems or when is None:
            raise CaseloadError(problems)
        row = change_item(s, patient, item_id, when, changes, current_user(), client_ip(),
                          today=today())  # fmt: skip
    except CaseloadError as err:
        return _refused(pid, err)
    return _done(pid, f"Plan item {item_id} changed from {when}: now item {row.id}, "
                      f"{describe_item(row)}.")  # fmt: skip


@bp.route("/patients/<pid>/plan/<int:item_id>/stop", methods=["POST"])
@roles("coordinator")
def stop(pid: str, item_id: int):
    s, patient = db_session(), _patient_or_404(pid)
    problems: list[Problem] = []
    last = parse_date(request.form.get("last_day"), "last_day", problems)
    try:
        if problems or last is None:
            raise CaseloadError(problems or [("last_day", "is empty: the last day it is given")])
        stop_item(s, patient, item_id, last, current_user(), client_ip(), today=today())
    except CaseloadError as err:
        return _refused(pid, err)
    return _done(pid, f"Plan item {item_id} stopped: its last day is {last}.")


@bp.route("/patients/<pid>/discharge", methods=["POST"])
@roles("coordinator")
def discharge_post(pid: str):
    s, patient = db_session(), _patient_or_404(pid)
    problems: list[Problem] = []
    on = _date_field("discharged_on", today(), problems)
    try:
        if problems:
            raise CaseloadError(problems)
        discharge(s, patient, on, request.form.get("note", "").strip(), current_user(),
                  client_ip())  # fmt: skip
    except CaseloadError as err:
        return _refused(pid, err)
    return _done(pid, f"{pid} discharged on {on}: every regimen ends that day.")


def _files_refused(err: InputError, what: str, names: str, raw_date: str, *, fhir: bool = False):
    s = db_session()
    s.rollback()
    audit.record(s, current_user(), "caseload_refused",
                 f"{what}: {len(err.issues)} issue(s) in {names}", client_ip())  # fmt: skip
    s.commit()
    return render_template("coordinator/import_refused.html", problems=[], issues=err.issues,
                           date=raw_date, fhir=fhir), 422  # fmt: skip


@bp.route("/import", methods=["POST"])
@roles("coordinator")
def bulk_import():
    """patients.csv + careplans.csv into the caseload, all or nothing."""
    s = db_session()
    patients, careplans = _upload("patients"), _upload("careplans")
    problems: list[Problem] = []
    on = _date_field("on", today(), problems)
    if patients is None or careplans is None:
        problems.append(("", "Choose both files: patients.csv and careplans.csv."))
    if problems or patients is None or careplans is None:
        return render_template("coordinator/import_refused.html", problems=[
            _problem(p) for p in problems], issues=[], date=""), 400  # fmt: skip
    warnings: list[InputIssue] = []
    try:
        admitted = import_caseload(s, patients, careplans, on, current_user(), client_ip(),
                                   limits=day_limits(), gazetteer=gazetteer_or_none(),
                                   warnings=warnings)  # fmt: skip
    except InputError as err:
        return _files_refused(err, "caseload import", f"{patients.name}, {careplans.name}", "")
    s.commit()
    flash(f"Admitted {len(admitted)} patients from {patients.name} and {careplans.name}.", "ok")
    for warning in warnings:
        flash(str(warning), "warn")
    return redirect(url_for("caseload.index"), code=303)


@bp.route("/import-fhir", methods=["POST"])
@roles("coordinator")
def bulk_import_fhir():
    """A FHIR R4 bundle (Patient, CarePlan, ServiceRequest) into the caseload, all or
    nothing; every problem named by entry and element path."""
    s = db_session()
    bundle = _upload("bundle")
    problems: list[Problem] = []
    on = _date_field("on", today(), problems)
    if bundle is None:
        problems.append(("", "Choose the bundle: the trust's FHIR R4 export (JSON)."))
    if problems or bundle is None:
        return render_template("coordinator/import_refused.html", problems=[
            _problem(p) for p in problems], issues=[], date=""), 400  # fmt: skip
    warnings: list[InputIssue] = []
    try:
        admitted = import_bundle(s, bundle, on, current_user(), client_ip(), limits=day_limits(),
                                 gazetteer=gazetteer_or_none(), warnings=warnings)  # fmt: skip
    except InputError as err:
        name = err.issues[0].file if err.issues else bundle.name
        return _files_refused(err, "caseload FHIR import", name, "", fhir=True)
    s.commit()
    items = sum(len(a.items) for a in admitted)
    flash(f"Admitted {len(admitted)} patients with {items} plan items from {bundle.name} "
          "(FHIR bundle).", "ok")  # fmt: skip
    for warning in warnings:
        flash(str(warning), "warn")
    return redirect(url_for("caseload.index"), code=303)


@bp.route("/plan-day", methods=["POST"])
@roles("coordinator")
def plan_day():
    """A day's visits from the caseload, with the staff on shift: clinicians.csv (or the
    e-roster's export in its columns) when a file is chosen, else the stored roster's staff
    that day (``web.roster``); imported as any day is: the board, Generate and Publish follow."""
    s = db_session()
    problems: list[Problem] = []
    day = _date_field("date", today() + timedelta(days=1), problems)
    staff = _upload("clinicians")
    if problems:
        return render_template("coordinator/import_refused.html", problems=[
            _problem(p) for p in problems], issues=[], date=f"{day}"), 400  # fmt: skip
    try:
        if staff is None:
            imp = plan_from_roster(s, day, current_user(), client_ip(), limits=day_limits())
        else:
            imp = plan_from_caseload(s, day, staff, current_user(), client_ip(),
                                     limits=day_limits())  # fmt: skip
    except InputError as err:
        name = staff.name if staff is not None else "the stored roster"
        return _files_refused(err, f"{day}: plan from the caseload", name, f"{day}")
    s.commit()
    source = "" if staff is not None else " (staff from the stored roster)"
    flash(f"Planned {day} from the caseload: {imp.visits_count} visits for "
          f"{imp.patients_count} patients and {imp.clinicians_count} shifts{source}.", "ok")
    return redirect(url_for("coordinator.day", date=f"{day:%Y-%m-%d}"), code=303)

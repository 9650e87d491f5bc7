"""The rota coordinator's pages: import a day, generate a rota, read the board, publish.

Views only parse the request, call ``web.services`` and render; every rule (what a valid
import is, when a rota may be published) lives in the services.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.domain.errors import InputError
from scheduler.domain.model import Shift
from web.board_sections import board_sections
from web.board_stays import stays_section
from web.db import get_or_fail
from web.errors import valid_id
from web.models import Day, DayImport, RotaVersion, SolveJob
from web.reads import reads_patient_data
from web.security import client_ip, current_user, db_session, roles, signed_in_user
from web.services import audit
from web.services.days import (
    Upload,
    all_days,
    day_inputs,
    get_day,
    import_day,
    latest_import,
    visits_from_careplans,
)
from web.services.edits import Edit, EditError, accept, preview
from web.services.jobs import (
    ACTIVE,
    KEEP_PLAN_MIN,
    JobError,
    job_status,
    request_stop,
    start_job,
)
from web.services.rebase import RebaseError, rebase_draft
from web.services.rebase import describe as describe_conflict
from web.services.rotas import (
    PublishConflict,
    PublishRefused,
    latest_published,
    made_from,
    versions,
)
from web.services.rotas import publish_version as publish_draft
from web.services.statuses import latest_statuses
from web.services.stays import day_stays
from web.views import (
    KEEP_PLAN_MAX,
    day_limits,
    import_or_404,
    parse_day,
    runner,
    submit,
    time_limit_from,
)

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


@bp.route("/")
@roles("coordinator")
def index():
    s = db_session()
    days = []
    for day in all_days(s):
        imp = latest_import(s, day)
        pub = latest_published(s, day)
        days.append({"day": day, "import": imp, "published": pub})
    return render_template("coordinator/index.html", days=days)


def _upload(field: str) -> Upload | None:
    f = request.files.get(field)
    if f is None or not f.filename:
        return None
    return Upload(f.filename, f.read())


@bp.route("/import", methods=["POST"])
@roles("coordinator")
def import_files():
    s = db_session()
    raw_date = request.form.get("date", "")
    visits, clinicians = _upload("visits"), _upload("clinicians")
    patients, careplans = _upload("patients"), _upload("careplans")
    problems = []
    try:
        day = datetime.strptime(raw_date, "%Y-%m-%d").date()
    except ValueError:
        day = None
        problems.append("Choose the date of the day (YYYY-MM-DD).")
    from_plans = visits is None and (patients is not None or careplans is not None)
    if from_plans and (patients is None or careplans is None):
        problems.append("To import from care plans, choose both patients.csv and careplans.csv.")
    elif visits is None and not from_plans:
        problems.append("Choose the visits file (visits.csv), or patients.csv and careplans.csv.")
    if clinicians is None:
        problems.append("Choose the clinicians file (clinicians.csv).")
    if problems or day is None or clinicians is None:  # either None is listed in problems
        return render_template("coordinator/import_refused.html", problems=problems,
                               issues=[], date=raw_date), 400  # fmt: skip
    try:
        if visits is None:
            if patients is None or careplans is None:  # refused above, as a problem
                abort(400)
            visits = visits_from_careplans(day, patients, careplans, day_limits())
        imp = import_day(s, day, visits, clinicians, current_user(), client_ip(),
                         limits=day_limits())  # fmt: skip
    except InputError as err:
        s.rollback()
        audit.record(
            s, current_user(), "import_refused",
            f"{day:%Y-%m-%d}: {len(err.issues)} issue(s) in "
            + ", ".join(u.name for u in (visits, patients, careplans, clinicians) if u),
            client_ip(),
        )  # fmt: skip
        s.commit()
        return render_template("coordinator/import_refused.html", problems=[],
                               issues=err.issues, date=raw_date), 422  # fmt: skip
    s.commit()
    flash(
        f"Imported {imp.visits_count} visits for {imp.patients_count} patients and "
        f"{imp.clinicians_count} shifts.",
        "ok",
    )
    return redirect(url_for("coordinator.day", date=f"{day:%Y-%m-%d}"))


@bp.route("/day/<date>")
@roles("coordinator")
@reads_patient_data
def day(date: str):
    s = db_session()
    d = get_day(s, parse_day(date))
    if d is None:
        abort(404)
    imp = latest_import(s, d)
    all_versions = versions(s, d)
    selected = None
    if "version" in request.args:
        wanted = valid_id(request.args["version"])
        selected = next((v for v in all_versions if v.id == wanted), None)
        if selected is None:
            abort(404)
    else:
        selected = latest_published(s, d) or (all_versions[0] if all_versions else None)
    return _render_day(s, d, imp, all_versions, selected)


def render_board(s, d, selected, *, status=200, **extra):
    """The day board of ``d`` showing ``selected`` (default: the latest published version)."""
    all_versions = versions(s, d)
    if selected is None:
        selected = latest_published(s, d) or (all_versions[0] if all_versions else None)
    return _render_day(s, d, latest_import(s, d), all_versions, selected, status=status, **extra)


def _render_day(s, d, imp, all_versions, selected, pending=None, edit_error=None, status=200,
                live_error=None, publish_conflict=None):  # fmt: skip
    """The day board; ``pending`` is an edit's preview awaiting the coordinator's decision."""
    from web.live import live_context

    job = s.scalar(
        select(SolveJob).where(SolveJob.day_id == d.id).order_by(SolveJob.id.desc()).limit(1)
    )
    sections = None
    shifts: tuple[Shift, ...] = ()
    statuses = latest_statuses(s, d)
    live = live_context(s, d, selected, statuses)
    stays = stays_html = None
    if selected is not None:
        _, shifts = day_inputs(get_or_fail(s, DayImport, selected.import_id))
        sections = board_sections(s, f"{d.date:%Y-%m-%d}", selected, statuses,
                                  live["stop_states"])  # fmt: skip
        stays = day_stays(s, d.date, selected)
        if stays is not None:
            stays_html = stays_section(stays, f"{d.date:%Y-%m-%d}", selected, shifts,
                                       request.args)  # fmt: skip
    return render_template(
        "coordinator/day.html",
        live_error=live_error,
        **live,
        board_sections=sections,
        stays=stays,
        stays_html=stays_html,
        pending=pending,
        edit_error=edit_error,
        publish_conflict=publish_conflict,
        made_from=made_from(s, selected) if selected is not None else None,
        clinicians=sorted(shifts, key=lambda x: (x.start, x.clinician_id)),
        day=d,
        imp=imp,
        versions=all_versions,
        selected=selected,
        job=job_status(job) if job is not None else None,
        job_active=job is not None and job.state in ACTIVE,
        default_seconds=current_app.config["HAH_SOLVE_SECONDS"],
        max_seconds=current_app.config["HAH_MAX_SOLVE_SECONDS"],
        tile_url=current_app.config["HAH_TILE_URL"],
        tile_attribution=current_app.config["HAH_TILE_ATTRIBUTION"],
    ), status


@bp.route("/day/<date>/generate", methods=["POST"])
@roles("coordinator")
def generate(date: str):
    s = db_session()
    d = get_day(s, parse_day(date))
    if d is None:
        abort(404)
    imp = import_or_404(s, d)
    try:
        job = start_job(s, d, imp, current_user(), time_limit_from(request.form.get("seconds")),
                        client_ip())  # fmt: skip
    except JobError as err:
        s.commit()  # keeps an abandoned job marked failed
        flash(str(err), "error")
        return redirect(url_for("coordinator.day", date=date))
    s.commit()
    refused = submit(runner(), s, job)
    if refused:
        flash(refused, "error")
    return redirect(url_for("coordinator.day", date=date))


@bp.route("/jobs/<int:job_id>/stop", methods=["POST"])
@roles("coordinator")
def stop(job_id: int):
    s = db_session()
    job = s.get(SolveJob, job_id) or abort(404)
    d = job.day_id
    try:
        done = request_stop(s, job, current_user(), client_ip())
        s.commit()
    except JobError as err:
        flash(str(err), "error")
    else:
        if done == "cancelled":
            runner().cancel(job.id, job.attempt)
            flash("Cancelled: the job had not started.", "ok")
        elif done == "stopped":
            flash("Stopped: its worker had stopped reporting, so no rota was kept.", "ok")
        else:
            flash("Stopping: the best rota found so far will be kept as a draft.", "ok")
    return redirect(url_for("coordinator.day", date=f"{get_or_fail(s, Day, d).date:%Y-%m-%d}"))


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@roles("coordinator")
def publish_version(version_id: int):
    """Publish a draft. One made from an older published version is refused with what the
    newer one changed and an offer to rebase; one generated afresh while a version is
    published asks to confirm replacing it (``confirm_replace``: that version's number);
    publishing a published version again just says so."""
    s = db_session()
    version = s.get(RotaVersion, version_id) or abort(404)
    d = get_or_fail(s, Day, version.day_id)
    date = f"{d.date:%Y-%m-%d}"
    confirm = request.form.get("confirm_replace", type=int)
    try:
        done = publish_draft(s, version, current_user(), client_ip(), confirm_replace=confirm)
    except PublishConflict as err:
        s.commit()  # the refusal's audit entry
        conflict = describe_conflict(s, version)
        if conflict is not None:
            return render_board(s, d, version, status=409, publish_conflict=conflict)
        flash("Not published: " + err.reasons[0], "error")
        return redirect(url_for("coordinator.day", date=date, version=version_id))
    except PublishRefused as err:
        s.commit()  # the refusal's audit entry
        flash("Not published: " + "; ".join(err.reasons[:10])
              + (f" … and {len(err.reasons) - 10} more" if len(err.reasons) > 10 else ""),
              "error")  # fmt: skip
        return redirect(url_for("coordinator.day", date=date, version=version_id))
    s.commit()
    if done.already:
        flash(f"Version {version_id} is already published as number {done.number}: "
              "nothing changed.", "ok")  # fmt: skip
    else:
        flash(f"Published as version {done.number}: nurses now see it."
              + (f" It replaces version {done.replaced} entirely." if done.replaced else ""),
              "ok")  # fmt: skip
    return redirect(url_for("coordinator.day", date=date, version=version_id))


@bp.route("/versions/<int:version_id>/rebase", methods=["POST"])
@roles("coordinator")
def rebase(version_id: int):
    """Re-apply a draft made from an older published version onto the latest one: a new
    draft made from the latest, or the conflicts on the board (409), nothing stored."""
    s, version, d = _version_and_day(version_id)
    try:
        draft, plan = rebase_draft(s, version, current_user(), client_ip())
    except RebaseError as err:
        s.rollback()
        conflict = describe_conflict(s, version)
        if conflict is None:
            flash("Not rebased: " + "; ".join(err.conflicts), "error")
            return redirect(url_for("coordinator.day", date=f"{d.date:%Y-%m-%d}",
                                    version=version_id))  # fmt: skip
        return render_board(s, d, version, status=409, publish_conflict=conflict)
    s.commit()
    flash(f"Draft {draft.id}: draft {version_id}'s changes re-applied on published version "
          f"{plan.latest.number} ({'; '.join(plan.merge.applied[:5])}). The checker finds "
          "nothing wrong: publish it when it is right.", "ok")  # fmt: skip
    return redirect(url_for("coordinator.day", date=f"{d.date:%Y-%m-%d}", version=draft.id),
                    code=303)  # fmt: skip


def _version_and_day(version_id: int) -> tuple[Session, RotaVersion, Day]:
    s = db_session()
    version = s.get(RotaVersion, version_id) or abort(404)
    return s, version, get_or_fail(s, Day, version.day_id)


@bp.route("/versions/<int:version_id>/edit", methods=["POST"])
@roles("coordinator")
def edit(version_id: int):
    """Move, swap, unassign, lock: checked first. With no new violation the change becomes a
    new draft at once; otherwise the board shows what it breaks and asks (``confirm``)."""
    s, version, d = _version_and_day(version_id)
    date = f"{d.date:%Y-%m-%d}"
    user = signed_in_user()
    try:
        change = Edit.from_form(request.form)
        pv = preview(s, version, change, user.username)
    except EditError as err:
        return _render_day(s, d, latest_import(s, d), versions(s, d), version,
                           edit_error=str(err), status=422)  # fmt: skip
    if pv.new_violations and request.form.get("confirm") != "1":
        # 200: the page answered; it asks a question (the API answers 409 instead)
        return _render_day(s, d, latest_import(s, d), versions(s, d), version, pending=pv)
    draft, pv = accept(s, version, change, user, client_ip())
    s.commit()
    if pv.new_violations:
        flash(f"Kept as draft {draft.id} with {len(pv.new_violations)} new violation(s): "
              "it cannot be published until they are fixed.", "error")  # fmt: skip
    else:
        flash(f"Draft {draft.id}: {pv.description}. The checker finds nothing new.", "ok")
    return redirect(url_for("coordinator.day", date=date, version=draft.id), code=303)


@bp.route("/versions/<int:version_id>/reoptimise", methods=["POST"])
@roles("coordinator")
def reoptimise(version_id: int):
    """Re-solve from this version: locks stay, and unless the coordinator asks for a free
    search, a visit moves only when that saves at least ``keep_plan_min`` minutes."""
    s, version, d = _version_and_day(version_id)
    date = f"{d.date:%Y-%m-%d}"
    keep = None
    if request.form.get("free") != "1":
        try:
            keep = min(max(1, int(request.form.get("keep_plan_min") or KEEP_PLAN_MIN)),
                       KEEP_PLAN_MAX)
        except ValueError:
            keep = KEEP_PLAN_MIN
    try:
        job = start_job(s, d, import_or_404(s, d), current_user(),
                        time_limit_from(request.form.get("seconds")), client_ip(),
                        base=version, keep_plan_min=keep)  # fmt: skip
    except JobError as err:
        s.rollback()
        flash(str(err), "error")
        return redirect(url_for("coordinator.day", date=date, version=version_id))
    s.commit()
    refused = submit(runner(), s, job)
    if refused:
        flash(refused, "error")
    return redirect(url_for("coordinator.day", date=date, version=version_id))

"""The JSON API: days, solve jobs (start, poll, stop), rota versions, routes, statuses.

Shaped after Timefold's job API: POST a solve → job id, GET its status and best-so-far,
POST …/stop to keep the best found. The same session cookie and roles as the pages apply;
POSTs need the ``X-CSRF-Token`` header (the pages' scripts send it from the ``csrf-token``
meta tag). The contract is the hand-written ``openapi.json`` (``web/openapi.py``), and a
test keeps it and the routes in step.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.db import get_or_fail
from web.errors import json_object, valid_id
from web.models import Day, DayImport, RotaVersion, SolveJob
from web.openapi import document
from web.reads import reads_patient_data
from web.security import client_ip, current_user, db_session, public, roles, signed_in_user
from web.services.days import all_days, day_inputs, get_day, latest_import
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
    board,
    latest_published,
    made_from,
    version_rota,
    versions,
)
from web.services.rotas import publish_version as publish_draft
from web.services.statuses import latest_statuses, may_view_route
from web.views import (
    KEEP_PLAN_MAX,
    import_or_404,
    parse_day,
    reap_now,
    runner,
    submit,
    time_limit_from,
)

bp = Blueprint("api", __name__, url_prefix="/api")


def _error(status: int, message: str, **extra):
    return jsonify(error=message, **extra), status


@bp.route("/openapi.json")
@public
def openapi():
    return jsonify(document())


@bp.route("/me")
@roles("coordinator", "nurse", "ops")
def me():
    u = signed_in_user()
    return jsonify(username=u.username, role=u.role, clinician_id=u.clinician_id)


def _version_summary(v: RotaVersion) -> dict:
    return {
        "id": v.id,
        "status": v.status,
        "number": v.number,
        "import_id": v.import_id,
        "created_at": v.created_at.isoformat(timespec="seconds") + "Z",
        "published_at": v.published_at.isoformat(timespec="seconds") + "Z"
        if v.published_at
        else None,
        "visits_assigned": v.kpis.get("visits_assigned"),
        "visits_total": v.kpis.get("visits_total"),
        "violations": len(v.violations),
    }


def _day_or_404(date: str) -> tuple[Session, Day]:
    s = db_session()
    d = get_day(s, parse_day(date))
    if d is None:
        abort(404)
    return s, d


@bp.route("/days")
@roles("coordinator", "ops")
def days():
    s = db_session()
    out = []
    for d in all_days(s):
        imp = latest_import(s, d)
        pub = latest_published(s, d)
        out.append(
            {
                "date": f"{d.date:%Y-%m-%d}",
                "visits": imp.visits_count if imp else None,
                "patients": imp.patients_count if imp else None,
                "shifts": imp.clinicians_count if imp else None,
                "published_number": pub.number if pub else None,
            }
        )
    return jsonify(days=out)


@bp.route("/days/<date>")
@roles("coordinator", "ops")
def day(date: str):
    s, d = _day_or_404(date)
    imp = latest_import(s, d)
    jobs = s.scalars(
        select(SolveJob).where(SolveJob.day_id == d.id).order_by(SolveJob.id.desc()).limit(10)
    )
    return jsonify(
        date=f"{d.date:%Y-%m-%d}",
        import_id=imp.id if imp else None,
        visits=imp.visits_count if imp else None,
        shifts=imp.clinicians_count if imp else None,
        # retention minimised the import's files (no addresses, notes, names; places coarse)
        purged_at=imp.purged_at.isoformat(timespec="seconds") + "Z"
        if imp and imp.purged_at else None,
        versions=[_version_summary(v) for v in versions(s, d)],
        jobs=[job_status(j) for j in jobs],
    )


@bp.route("/days/<date>/jobs", methods=["POST"])
@roles("coordinator")
def create_job(date: str):
    s, d = _day_or_404(date)
    body = json_object()
    seconds = time_limit_from(body.get("time_limit_s", current_app.config["HAH_SOLVE_SECONDS"]))
    try:
        job = start_job(s, d, import_or_404(s, d), current_user(), seconds, client_ip())
    except JobError as err:
        s.commit()  # keeps an abandoned job marked failed
        return _error(409, str(err))
    s.commit()
    refused = submit(runner(), s, job)
    if refused:
        return _error(503, refused)
    return jsonify(job_status(job)), 202


@bp.route("/jobs/<int:job_id>")
@roles("coordinator")
def job(job_id: int):
    reap_now()
    j = db_session().get(SolveJob, job_id) or abort(404)
    return jsonify(job_status(j))


@bp.route("/jobs/<int:job_id>/stop", methods=["POST"])
@roles("coordinator")
def stop_job(job_id: int):
    s = db_session()
    j = s.get(SolveJob, job_id) or abort(404)
    try:
        done = request_stop(s, j, current_user(), client_ip())
    except JobError as err:
        return _error(409, str(err))
    s.commit()
    if done == "cancelled":
        runner().cancel(j.id, j.attempt)
    return jsonify(job_status(j)), 202 if j.state in ACTIVE else 200


@bp.route("/versions/<int:version_id>")
@roles("coordinator", "ops")
@reads_patient_data
def version(version_id: int):
    s = db_session()
    v = s.get(RotaVersion, version_id) or abort(404)
    base = made_from(s, v)
    return jsonify(
        **_version_summary(v),
        rota=v.rota,
        kpis=v.kpis,
        violation_list=v.violations,
        made_from=None if base is None else {"id": base.id, "number": base.number},
    )


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@roles("coordinator")
def publish_version(version_id: int):
    """Publish a draft: 200 with its number (``already_published`` when it was published
    before: nothing changes); 409 with ``reasons`` when refused, and a ``conflict`` when it
    was not made from the day's latest published version (made from an older one: what that
    one changed and whether a rebase can re-apply the draft; made afresh: how many visits
    change, and ``confirm_replace`` to send to replace it)."""
    s = db_session()
    v = s.get(RotaVersion, version_id) or abort(404)
    body = request.get_json(silent=True)
    confirm = body.get("confirm_replace") if isinstance(body, dict) else None
    if confirm is not None and (not isinstance(confirm, int) or isinstance(confirm, bool)):
        return _error(422, "confirm_replace must be the number of the published version to "
                      "replace")  # fmt: skip
    try:
        done = publish_draft(s, v, current_user(), client_ip(), confirm_replace=confirm)
    except PublishRefused as err:
        s.commit()  # keeps the refusal's audit entry
        conflict = describe_conflict(s, v) if isinstance(err, PublishConflict) else None
        return _error(409, "not published", reasons=err.reasons, conflict=conflict)
    s.commit()
    if done.already:
        message = f"version {v.id} is already published as number {done.number}"
    else:
        message = f"published as version {done.number}" + (
            f", replacing version {done.replaced} entirely" if done.replaced else ""
        )
    answer = {"number": done.number, "already_published": done.already,
              "replaced": done.replaced, "message": message}  # fmt: skip
    return jsonify(_version_summary(v) | answer)


@bp.route("/versions/<int:version_id>/rebase", methods=["POST"])
@roles("coordinator")
def rebase_version(version_id: int):
    """Re-apply a draft made from an older published version onto the latest one: 201 with
    the new draft (made from the latest), 409 with ``conflicts`` (nothing stored)."""
    s = db_session()
    v = s.get(RotaVersion, version_id) or abort(404)
    try:
        draft, plan = rebase_draft(s, v, current_user(), client_ip())
    except RebaseError as err:
        s.rollback()
        return _error(409, "not rebased", conflicts=err.conflicts,
                      conflict=describe_conflict(s, v))  # fmt: skip
    s.commit()
    return jsonify(version=_version_summary(draft), applied=list(plan.merge.applied),
                   made_from={"id": plan.latest.id, "number": plan.latest.number}), 201  # fmt: skip


@bp.route("/versions/<int:version_id>/edits", methods=["POST"])
@roles("coordinator")
def edit_version(version_id: int):
    """A hand change, checked first: 200 with the new draft when the checker finds nothing
    new (or ``confirm`` is true), 409 with the new violations otherwise (nothing stored);
    ``preview: true`` only reports what it would do."""
    s = db_session()
    v = s.get(RotaVersion, version_id) or abort(404)
    body = json_object()
    user = signed_in_user()
    try:
        change = Edit.from_form(body)
        pv = preview(s, v, change, user.username)
    except EditError as err:
        return _error(422, str(err))
    answer = {"description": pv.description, "new_violations": pv.new_violations,
              "kpis": pv.kpis}  # fmt: skip
    if body.get("preview") is True:
        return jsonify(accepted=False, **answer)
    if pv.new_violations and body.get("confirm") is not True:
        return _error(409, "the change breaks rules; send confirm: true to keep it as a draft",
                      **answer)  # fmt: skip
    draft, _ = accept(s, v, change, user, client_ip())
    s.commit()
    return jsonify(accepted=True, version=_version_summary(draft), **answer)


@bp.route("/versions/<int:version_id>/reoptimise", methods=["POST"])
@roles("coordinator")
def reoptimise_version(version_id: int):
    """Re-solve from a version keeping its locks; ``keep_plan_min`` (default 15, null for a
    free search) is the saving a visit's move must make."""
    s = db_session()
    v = s.get(RotaVersion, version_id) or abort(404)
    body = json_object()
    keep = body.get("keep_plan_min", KEEP_PLAN_MIN)
    if keep is not None and (type(keep) is not int or not 1 <= keep <= KEEP_PLAN_MAX):
        return _error(422, f"keep_plan_min must be a whole number of minutes from 1 to "
                           f"{KEEP_PLAN_MAX}, or null")  # fmt: skip
    d = get_or_fail(s, Day, v.day_id)
    try:
        job = start_job(s, d, import_or_404(s, d), current_user(),
                        time_limit_from(body.get("time_limit_s")), client_ip(),
                        base=v, keep_plan_min=keep)  # fmt: skip
    except JobError as err:
        s.commit()
        return _error(409, str(err))
    s.commit()
    refused = submit(runner(), s, job)
    if refused:
        return _error(503, refused)
    return jsonify(job_status(job)), 202


@bp.route("/days/<date>/routes/<cid>")
@roles("coordinator", "nurse", "ops")
@reads_patient_data
def route(date: str, cid: str):
    if not may_view_route(signed_in_user(), cid):
        abort(404)
    s, d = _day_or_404(date)
    pub = latest_published(s, d)
    if pub is None:
        return _error(404, "no rota has been published for this day")
    visits, shifts = day_inputs(get_or_fail(s, DayImport, pub.import_id))
    data = board(visits, shifts, version_rota(pub), latest_statuses(s, d), only=cid)
    mine = next((r for r in data["routes"] if r["clinician_id"] == cid), None)
    if mine is None:
        return _error(404, f"{cid} has no route in published version {pub.number}")
    mine = {k: v for k, v in mine.items() if k != "bars"}
    return jsonify(date=date, version=pub.number, route=mine)


@bp.route("/days/<date>/statuses")
@roles("coordinator", "ops")
@reads_patient_data
def statuses(date: str):
    s, d = _day_or_404(date)
    rows = [
        {"visit_id": vid, "clinician_id": cid, **st}
        for (vid, cid), st in sorted(latest_statuses(s, d).items())
    ]
    return jsonify(date=date, statuses=rows)


@bp.route("/versions/<int:version_id>/diff")
@roles("coordinator", "ops")
@reads_patient_data
def version_diff(version_id: int):
    """What changed from ``?from=ID`` (default: the version it was made from, else the latest
    published before it) to this version; both must be of the same day."""
    from web.services.diffs import diff_json, diff_rotas, previous_version

    s = db_session()
    new = s.get(RotaVersion, version_id) or abort(404)
    old_id = valid_id(request.args["from"]) if "from" in request.args else None
    if "from" in request.args and old_id is None:
        return _error(404, "from must be a version id")
    old = previous_version(s, new) if old_id is None else s.get(RotaVersion, old_id)
    if old_id is not None and (old is None or old.day_id != new.day_id):
        return _error(404, f"version {old_id} is not a version of the same day")
    if old is None:
        return jsonify(to=_version_summary(new), **{"from": None}, diff=None,
                       message="nothing earlier to compare with; pass ?from=ID")  # fmt: skip
    visits = {v.visit_id: v for v in day_inputs(get_or_fail(s, DayImport, old.import_id))[0]}
    visits |= {v.visit_id: v for v in day_inputs(get_or_fail(s, DayImport, new.import_id))[0]}
    result = diff_rotas(version_rota(old), version_rota(new), visits)
    return jsonify(to=_version_summary(new), **{"from": _version_summary(old)},
                   diff=diff_json(result), message="")  # fmt: skip


@bp.route("/figures")
@roles("ops")
def figures():
    """The ops lead's figures for the Monday–Sunday week of ``?week=YYYY-MM-DD`` (any day of
    it; default this week): per day and totals (``web.services.figures``)."""
    from datetime import datetime

    from web.services.figures import week_figures
    from web.views import today

    text = request.args.get("week", "").strip()
    try:
        when = datetime.strptime(text, "%Y-%m-%d").date() if text else today()
    except ValueError:
        return _error(400, "week must be a date, YYYY-MM-DD")
    return jsonify(week_figures(db_session(), when))


@bp.route("/days/<date>/routes/<cid>/version")
@roles("coordinator", "nurse", "ops")
def route_version(date: str, cid: str):
    """The latest published version number of a day and a fingerprint of the clinician's
    stops in it (``web.services.route_changes``): what the nurse page polls to say "your
    route has changed". Both null while nothing is published."""
    from web.services.route_changes import fingerprint, her_stops

    if not may_view_route(signed_in_user(), cid):
        abort(404)
    s = db_session()
    d = get_day(s, parse_day(date))
    pub = latest_published(s, d) if d is not None else None
    if pub is None:
        return jsonify(date=date, version=None, fingerprint=None)
    return jsonify(date=date, version=pub.number, fingerprint=fingerprint(her_stops(pub.rota, cid)))


@bp.route("/capacity", methods=["POST"])
@roles("ops")
def capacity_start():
    """Start a capacity sweep, or with ``"kind": "month"`` a simulated month
    (``web.services.capacity.parse_params`` / ``parse_month_params`` say the body): 202 with
    the run's status, 422 with every problem of the parameters, 409 while another runs."""
    from web.capacity import start_from
    from web.services.capacity import run_status

    body = json_object()
    if not body:
        return _error(
            400,
            "send a JSON object: sizes, seeds, time_limit_s, … (or kind: month, "
            "days, census, mean_stay_days, time_limit_s, …)",
        )
    run, status, messages = start_from(body)
    if run is None:
        return _error(status, "; ".join(messages), reasons=messages)
    return jsonify(run_status(run)), 202


@bp.route("/capacity/<int:run_id>")
@roles("ops")
def capacity_run(run_id: int):
    """A capacity run's kind and progress (days solved of days asked for) and, once it has
    ended, its results: per census and the answer for a sweep, totals and days for a month."""
    from web.models import CapacityRun
    from web.services.capacity import run_status

    reap_now()
    run = db_session().get(CapacityRun, run_id) or abort(404)
    return jsonify(run_status(run))


@bp.route("/capacity/<int:run_id>/stop", methods=["POST"])
@roles("ops")
def capacity_stop(run_id: int):
    """Ask a capacity run to stop: the days solved so far are kept (and a later run of the
    same scenario resumes from them). 202 with the status; 409 if it has already ended."""
    from web.capacity import capacity_runner
    from web.models import CapacityRun
    from web.services.capacity import CapacityError, request_stop, run_status

    s = db_session()
    run = s.get(CapacityRun, run_id) or abort(404)
    try:
        done = request_stop(s, run, current_user(), client_ip())
    except CapacityError as err:
        return _error(409, str(err))
    s.commit()
    if done == "cancelled":
        capacity_runner().cancel(run.id, run.attempt)
    return jsonify(run_status(run)), 202

"""The nurse's phone page: her published route for the day, and buttons to report on visits.

Small server-rendered HTML (no framework) that works at 360×740 and on a poor signal; the
map is an enhancement drawn by ``static/nurse.js``. A nurse can only ever open her own
route: ``may_view_route`` answers 404 for anyone else's, so a guessed URL does not even
confirm that a clinician id exists. Coordinators and ops leads may open any route (to see
what a nurse sees), but only the nurse herself can report statuses.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from web.models import DayImport
from web.security import client_ip, current_user, db_session, roles
from web.services.days import day_inputs, get_day
from web.services.rotas import board, latest_published, rota_from_json
from web.services.statuses import (
    LABELS,
    REASONS,
    StatusError,
    latest_statuses,
    may_view_route,
    set_status,
)
from web.views import parse_day, today

bp = Blueprint("nurse", __name__, url_prefix="/nurse")


@bp.route("/")
@roles("nurse")
def index():
    user = current_user()
    if user.role != "nurse" or not user.clinician_id:
        flash("Only a nurse account has a route of its own.", "error")
        return redirect(url_for("auth.login"))
    return redirect(url_for("nurse.route", date=f"{today():%Y-%m-%d}", cid=user.clinician_id))


def _route_or_404(date: str, cid: str):
    """The day, its latest published version and this clinician's view of it (or 404)."""
    if not may_view_route(current_user(), cid):
        abort(404)
    s = db_session()
    d = get_day(s, parse_day(date))
    version = latest_published(s, d) if d is not None else None
    return s, d, version


@bp.route("/route/<date>/<cid>")
@roles("nurse", "coordinator", "ops")
def route(date: str, cid: str):
    s, d, version = _route_or_404(date, cid)
    mine = None
    shift = None
    if version is not None:
        visits, shifts = day_inputs(s.get(DayImport, version.import_id))
        shift = next((x for x in shifts if x.clinician_id == cid), None)
        rota = rota_from_json(version.rota)
        data = board(visits, shifts, rota, latest_statuses(s, d))
        mine = next((r for r in data["routes"] if r["clinician_id"] == cid), None)
        if mine is not None:
            line = next(x for x in data["map"]["routes"] if x["clinician_id"] == cid)
            mine["map"] = {"routes": [line], "unassigned": []}
    return render_template(
        "nurse/route.html",
        date=date,
        cid=cid,
        day=d,
        version=version,
        shift=shift,
        route=mine,
        labels=LABELS,
        reasons=REASONS,
        can_report=current_user().role == "nurse",
        tile_url=current_app.config["HAH_TILE_URL"],
        tile_attribution=current_app.config["HAH_TILE_ATTRIBUTION"],
    )


@bp.route("/route/<date>/<cid>/visits/<vid>/status", methods=["POST"])
@roles("nurse")
def status(date: str, cid: str, vid: str):
    s, d, version = _route_or_404(date, cid)
    if d is None or version is None:
        abort(404)
    reason = request.form.get("reason", "")
    note = request.form.get("note", "").strip()
    if note:
        reason = f"{reason}: {note}" if reason else note
    try:
        set_status(s, d, current_user(), cid, vid, request.form.get("status", ""), reason,
                   client_ip())  # fmt: skip
    except StatusError as err:
        s.rollback()
        flash(str(err), "error")
        return redirect(url_for("nurse.route", date=date, cid=cid) + f"#v-{vid}", code=303)
    s.commit()
    flash(f"{vid}: {LABELS[request.form['status']]}", "ok")
    return redirect(url_for("nurse.route", date=date, cid=cid) + f"#v-{vid}", code=303)

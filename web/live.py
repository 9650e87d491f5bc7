"""The live day, from the coordinator's board and the API: events in, proposals out.

Pages: an event form posts to ``/coordinator/day/<date>/events`` and the board opens at its
proposals; accepting one makes a draft from the published version, which the board shows
with what changed and who to tell, ready to publish. "Who could take this visit?" lists the
clinicians who could, best first, each feasible or with the rule it breaks, and moves the
visit in one click (through the ordinary checked edit). The same through ``/api``.
An event is stored at once and its proposals worked out by a worker (``event_jobs``, on the
``<prefix>-live`` queue, or a thread): the request waits a few seconds for them, and the
board, or an API client, follows the event until they are ready.
Views only parse, call ``web.services.events`` / ``live_board`` and render or answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, request, url_for
from sqlalchemy.orm import Session

from scheduler.domain.errors import InputError
from scheduler.domain.localtime import contract_text, hm
from scheduler.domain.who_could_take import ruled_out, who_could_take
from web.db import get_or_fail
from web.errors import json_object, valid_id
from web.models import ACTIVE_STATES, Day, DayEvent, DayImport, RotaVersion, User
from web.reads import reads_patient_data
from web.security import client_ip, current_user, db_session, roles
from web.services import clock
from web.services.clock import from_stamp
from web.services.days import get_day, problem_for
from web.services.events import EventError, accept, events_of, input_issues, propose, warning
from web.services.live_board import (
    STATE_LABELS,
    counts,
    open_flags,
    urgent_response,
    visit_states,
)
from web.services.rotas import latest_published, version_rota
from web.services.statuses import latest_statuses
from web.views import parse_day, reap_now, submit

bp = Blueprint("live", __name__)


def _day_or_404(s: Session, date: str) -> Day:
    d = get_day(s, parse_day(date))
    if d is None:
        abort(404)
    return d


def _form() -> dict[str, Any]:
    """A JSON object (400 for any other JSON) or the form's fields."""
    if request.is_json:
        return json_object()
    return request.form.to_dict()


@bp.app_template_filter("event_label")
def _event_label(kind: str) -> str:
    from web.services.events import LABELS

    return LABELS.get(kind, kind)


# --- pages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """An event refused before anything was queued (or the queue unreachable): the message
    for the page, the API's error and the amended file's issues, and the status to answer."""

    message: str
    issues: list[dict[str, Any]] | None = None
    status: int = 422


def event_runner():
    return current_app.extensions["hah_event_runner"]


def take_event(s: Session, d: Day, form: Mapping[str, Any], user: User | None,
               wait_s: float | None = None) -> DayEvent | Refused:  # fmt: skip
    """Take an event from the page, the API or a nurse's phone: refused at once for what can
    be found without solving, else stored, committed and handed to the event runner, then
    waited for up to ``wait_s`` (``HAH_EVENT_WAIT_S``) so a quick answer comes back with the
    request; otherwise the event is returned still queued or running, to be polled."""
    try:
        e = propose(s, d, str(form.get("kind", "")), form, clock.now(current_app.config),
                    user, client_ip())  # fmt: skip
    except EventError as err:
        s.rollback()
        return Refused(str(err))
    except InputError as err:
        s.rollback()
        return Refused("the amended day is refused: "
                       + "; ".join(str(i) for i in err.issues[:5]), input_issues(err))  # fmt: skip
    s.commit()
    runner = event_runner()
    refused = submit(runner, s, e)
    if refused:
        return Refused(refused, status=503)
    wait = current_app.config["HAH_EVENT_WAIT_S"] if wait_s is None else wait_s
    if wait > 0:
        runner.wait(e.id, wait)
        s.refresh(e)
    return e


@bp.route("/coordinator/day/<date>/events", methods=["POST"])
@roles("coordinator")
def event(date: str):
    from web.coordinator import render_board

    s = db_session()
    d = _day_or_404(s, date)
    taken = take_event(s, d, _form(), current_user())
    if isinstance(taken, Refused):
        return render_board(s, d, None, live_error=taken.message, status=taken.status)
    return redirect(url_for("coordinator.day", date=date, event=taken.id) + "#live", code=303)


@bp.route("/coordinator/events/<int:event_id>/accept", methods=["POST"])
@roles("coordinator")
def accept_page(event_id: int):
    s = db_session()
    e = s.get(DayEvent, event_id) or abort(404)
    date = f"{get_or_fail(s, Day, e.day_id).date:%Y-%m-%d}"
    try:
        index = int(request.form.get("proposal", "0"))
        draft = accept(s, e, index, current_user(), confirm=request.form.get("confirm") == "1",
                       ip=client_ip())  # fmt: skip
    except (EventError, ValueError) as err:
        s.rollback()
        flash(f"Not accepted: {err}", "error")
        return redirect(url_for("coordinator.day", date=date, event=event_id) + "#live", code=303)
    s.commit()
    flash(f"Draft {draft.id} made from the published rota: check what changed and who to tell, "
          "then publish it.", "ok")  # fmt: skip
    return redirect(url_for("coordinator.day", date=date, version=draft.id) + "#changes", code=303)


@bp.route("/coordinator/day/<date>/who")
@roles("coordinator")
@reads_patient_data
def who(date: str):
    from flask import render_template

    s = db_session()
    d = _day_or_404(s, date)
    version = _version_arg(s, d)
    vid = request.args.get("visit_id", "").strip()
    options, visit, ruled = _options(s, version, vid)
    return render_template("coordinator/who.html", day=d, version=version, visit=visit,
                           options=options, ruled_out=ruled,
                           now=clock.now(current_app.config))  # fmt: skip


def _version_arg(s: Session, d: Day) -> RotaVersion:
    wanted = valid_id(request.args["version"]) if "version" in request.args else None
    if "version" in request.args and wanted is None:
        abort(404)
    version = s.get(RotaVersion, wanted) if wanted else latest_published(s, d)
    if version is None or version.day_id != d.id:
        abort(404)
    return version


def _options(s: Session, version: RotaVersion, vid: str
             ) -> tuple[list[dict[str, Any]], Any, tuple[str, ...]]:  # fmt: skip
    """The ways to take ``vid``, the visit, and who the patient's own rules leave out."""
    imp = get_or_fail(s, DayImport, version.import_id)
    problem = problem_for(imp)
    if vid not in problem.visit_index:
        abort(404)
    visit = problem.visits[problem.visit_index[vid]]
    ruled = ruled_out(problem, vid)
    if visit.staff > 1:
        return [], visit, ruled
    rota = version_rota(version)
    names = {sh.clinician_id: sh.name for sh in problem.shifts}
    options = who_could_take(problem, rota, vid, clock.now(current_app.config), limit=12)
    return [
        {"clinician_id": o.clinician_id, "name": names.get(o.clinician_id, ""),
         "position": o.position + 1, "start": hm(o.start),
         "travel_added_min": o.travel_added_min, "pushed": [list(p) for p in o.pushed],
         "feasible": o.feasible, "breaks": list(o.breaks), "spends": list(o.spends)}
        for o in options
    ], visit, ruled  # fmt: skip


def live_context(s: Session, d: Day, selected: RotaVersion | None,
                 statuses: dict | None = None) -> dict:  # fmt: skip
    """What the board adds for the live day: the clock, each stop's state (``stop_states``,
    which ``web.board_sections`` draws), the open flags, the events with their proposals, the
    2-hour response."""
    now = clock.now(current_app.config)
    published = latest_published(s, d)
    flags = open_flags(s, d, published)
    state_counts: list[dict] = []
    states: dict = {}
    if selected is not None:
        rota = version_rota(selected)
        at_risk = {f["visit_id"] for f in flags} if selected is published else set()
        if statuses is None:
            statuses = latest_statuses(s, d)
        states = visit_states(rota, statuses, now, at_risk)
        state_counts = counts(states)
    events = events_of(s, d)
    wanted = request.args.get("event", type=int)
    made_by = None
    if selected is not None:
        source = next((e for e in events if e.draft_version_id == selected.id), None)
        if source is not None and source.accepted is not None:
            made_by = source.proposals[source.accepted]
    return {
        "state_labels": STATE_LABELS,
        "made_by": made_by,
        "now": now,
        "clock_fixed": clock.is_fixed(current_app.config),
        "live_published": published,
        "flags": flags,
        "state_counts": state_counts,
        "stop_states": states,
        "events": list(reversed(events))[:12],
        "open_event": next((e for e in events if e.id == wanted), None),
        "response": urgent_response(s, d),
        "warning": warning,
    }


# --- the API -----------------------------------------------------------------------------------


def _event_json(e: DayEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "state": e.state,
        "url": url_for("live.api_event_get", event_id=e.id),
        "error": e.error or None,
        "attempt": e.attempt,
        "at": contract_text(from_stamp(e.at)),
        "detail": e.detail,
        "base_version_id": e.base_version_id,
        "seconds": e.seconds,
        "accepted": e.accepted,
        "draft_version_id": e.draft_version_id,
        "proposals": [{k: v for k, v in p.items() if k != "rota"} for p in e.proposals],
    }


@bp.route("/api/days/<date>/events", methods=["POST"])
@roles("coordinator")
def api_event(date: str):
    """201 with the proposals when the worker answered within ``HAH_EVENT_WAIT_S`` (or the
    event failed: its ``state`` and ``error`` say so); else 202 with the event still queued
    or running and its ``url`` (also the ``Location``) to poll."""
    s = db_session()
    d = _day_or_404(s, date)
    taken = take_event(s, d, _form(), current_user())
    if isinstance(taken, Refused):
        body: dict[str, Any] = {"error": taken.message}
        if taken.issues is not None:
            body = {"error": "the amended day is refused", "issues": taken.issues}
        return jsonify(body), taken.status
    body = _event_json(taken)
    return jsonify(body), 202 if taken.state in ACTIVE_STATES else 201, {"Location": body["url"]}


@bp.route("/api/events/<int:event_id>")
@roles("coordinator")
@reads_patient_data
def api_event_get(event_id: int):
    """An event's state and, once ready, its proposals (what the board's page polls)."""
    reap_now()
    e = db_session().get(DayEvent, event_id) or abort(404)
    return jsonify(_event_json(e))


@bp.route("/api/events/<int:event_id>/accept", methods=["POST"])
@roles("coordinator")
def api_accept(event_id: int):
    s = db_session()
    e = s.get(DayEvent, event_id) or abort(404)
    body = _form()
    try:
        index = int(body.get("proposal", 0))
        draft = accept(s, e, index, current_user(), confirm=bool(body.get("confirm")),
                       ip=client_ip())  # fmt: skip
    except (EventError, ValueError, TypeError) as err:
        s.rollback()
        return jsonify(error=str(err)), 409 if isinstance(err, EventError) else 422
    s.commit()
    return jsonify(draft_version_id=draft.id, violations=draft.violations,
                   diff=url_for("api.version_diff", version_id=draft.id)), 201  # fmt: skip


@bp.route("/api/days/<date>/live")
@roles("coordinator", "ops")
@reads_patient_data
def api_live(date: str):
    s = db_session()
    d = _day_or_404(s, date)
    now = clock.now(current_app.config)
    published = latest_published(s, d)
    flags = open_flags(s, d, published)
    states: dict = {}
    if published is not None:
        states = visit_states(version_rota(published), latest_statuses(s, d), now,
                              {f["visit_id"] for f in flags})  # fmt: skip
    return jsonify(
        now=contract_text(now),
        published_version=published.id if published else None,
        states=[{"visit_id": v, "clinician_id": c, "state": st} for (v, c), st in states.items()],
        counts=counts(states),
        at_risk=flags,
        events=[_event_json(e) for e in events_of(s, d)],
        urgent_response=urgent_response(s, d),
    )


@bp.route("/api/versions/<int:version_id>/who-could-take/<vid>")
@roles("coordinator")
@reads_patient_data
def api_who(version_id: int, vid: str):
    s = db_session()
    version = s.get(RotaVersion, version_id) or abort(404)
    options, visit, ruled = _options(s, version, vid)
    if visit.staff > 1:
        return jsonify(error=f"{vid} is double-handed: a re-plan places it"), 422
    return jsonify(visit_id=vid, options=options, ruled_out=list(ruled))

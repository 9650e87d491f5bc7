"""The nurse's phone page: her published route for the day, buttons to report on visits, her
private calendar link and its iCalendar feed.

Small server-rendered HTML (no framework) that works at 360×740 and on a poor signal; the
map (``static/map.js``) and the "your route has changed" poll (``static/nurse.js``) are
enhancements. A nurse can only ever open her own route: ``may_view_route`` answers 404 for
anyone else's, so a guessed URL does not even confirm that a clinician id exists.
Coordinators and ops leads may open any route (to see what a nurse sees), but only the nurse
herself can report statuses, and only her own opening of the page counts as her having seen
it (``web.services.route_changes``).

Which day ``/nurse/`` opens: the service day on which her current shift started, so a night
nurse at 02:00 still lands on the previous day's route while that shift runs; otherwise
today. ``HAH_NOW`` (``YYYY-MM-DDTHH:MM``, local time or with an offset; tests and demos)
fixes the clock; without it ``HAH_TODAY`` fixes the day as before.

The calendar feed (``/calendar/<token>.ics``) is public: calendar apps cannot sign in, so the
unguessable token in the link is the credential (``web.services.calendar``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session

from scheduler.domain.localtime import parse_contract
from scheduler.domain.model import Shift
from web.db import get_or_fail
from web.models import Day, DayImport, RotaVersion, local
from web.reads import reads_patient_data, record_read
from web.security import client_ip, db_session, public, roles, signed_in_user
from web.services import calendar as cal
from web.services import clock
from web.services.days import day_inputs, get_day, latest_import
from web.services.rotas import board, latest_published, version_rota
from web.services.route_changes import fingerprint, her_stops, record_view, views_of
from web.services.statuses import (
    LABELS,
    REASONS,
    StatusError,
    latest_statuses,
    may_view_route,
    set_status,
)
from web.views import parse_day, today

# No url_prefix: the calendar feed lives at /calendar/…, outside /nurse/.
bp = Blueprint("nurse", __name__)

#: How far back the calendar feed reaches (days before the service day).
CALENDAR_DAYS_BACK = 7
NOT_FOUND = ("Not found\n", 404, {"Content-Type": "text/plain; charset=utf-8"})


# --- which day -------------------------------------------------------------------------------


def _now() -> datetime | None:
    """Now, as an aware UTC moment like every rota time; ``HAH_NOW`` if set (local wall-clock
    time, or with an offset: in the hour the clocks repeat it needs one), None when
    ``HAH_TODAY`` fixes the day instead (a demo's sample day has no real clock)."""
    fixed = current_app.config.get("HAH_NOW")
    if fixed:
        return parse_contract(str(fixed))
    if current_app.config.get("HAH_TODAY"):
        return None
    return datetime.now(UTC)


def _shift_on(s: Session, day: Day, cid: str) -> Shift | None:
    """Her shift on a day: from the import of the published rota, else the latest import."""
    version = latest_published(s, day)
    imp = s.get(DayImport, version.import_id) if version else latest_import(s, day)
    if imp is None:
        return None
    _visits, shifts = day_inputs(imp)
    return next((x for x in shifts if x.clinician_id == cid), None)


def service_day(s: Session, cid: str | None) -> date:
    """The day whose route she should see now: yesterday's while a shift of hers that started
    yesterday is still running (a night shift), else today."""
    now = _now()
    if now is None:
        return today()
    if cid:
        yesterday = get_day(s, local(now).date() - timedelta(days=1))
        if yesterday is not None:
            shift = _shift_on(s, yesterday, cid)
            if shift is not None and shift.start <= now < shift.end:
                return yesterday.date
    return local(now).date()


@bp.route("/nurse/")
@roles("nurse")
def index():
    user = signed_in_user()
    if user.role != "nurse" or not user.clinician_id:
        flash("Only a nurse account has a route of its own.", "error")
        return redirect(url_for("auth.login"))
    day = service_day(db_session(), user.clinician_id)
    return redirect(url_for("nurse.route", date=f"{day:%Y-%m-%d}", cid=user.clinician_id))


# --- the route page --------------------------------------------------------------------------


def _route_or_404(date: str, cid: str) -> tuple[Session, Day | None, RotaVersion | None]:
    """The day, its latest published version and this clinician's view of it (or 404)."""
    if not may_view_route(signed_in_user(), cid):
        abort(404)
    s = db_session()
    d = get_day(s, parse_day(date))
    version = latest_published(s, d) if d is not None else None
    return s, d, version


def _tabs(s: Session, cid: str, shown: date) -> list[dict]:
    """The "Today" and "Tomorrow" tabs (Tomorrow only a link once it is published)."""
    first = service_day(s, cid)
    tabs = []
    for label, d in (("Today", first), ("Tomorrow", first + timedelta(days=1))):
        row = get_day(s, d)
        published = row is not None and latest_published(s, row) is not None
        tabs.append({
            "label": label, "date": f"{d:%Y-%m-%d}", "current": d == shown,
            "link": label == "Today" or published or d == shown,
            "note": "" if published or label == "Today" else "not published yet",
        })  # fmt: skip
    return tabs


@bp.route("/nurse/route/<date>/<cid>")
@roles("nurse", "coordinator", "ops")
@reads_patient_data
def route(date: str, cid: str):
    s, d, version = _route_or_404(date, cid)
    user = signed_in_user()
    own = user.role == "nurse" and user.clinician_id == cid
    mine = None
    shift = None
    changes = None
    seen_by = None
    stops = her_stops(version.rota, cid) if version is not None else []
    if d is not None and version is not None:  # a version implies its day
        visits, shifts = day_inputs(get_or_fail(s, DayImport, version.import_id))
        shift = next((x for x in shifts if x.clinician_id == cid), None)
        rota = version_rota(version)
        data = board(visits, shifts, rota, latest_statuses(s, d), only=cid)
        mine = next((r for r in data["routes"] if r["clinician_id"] == cid), None)
        if mine is not None:
            line = next(x for x in data["map"]["routes"] if x["clinician_id"] == cid)
            mine["map"] = {"routes": [line], "unassigned": []}
        if own:
            changes = record_view(s, user, d, version)
            s.commit()
        else:
            views = views_of(s, cid, d)
            seen_by = views[0] if views else None
    shown = parse_day(date)
    return render_template(
        "nurse/route.html",
        date=date,
        shown=shown,
        cid=cid,
        day=d,
        version=version,
        shift=shift,
        route=mine,
        labels=LABELS,
        reasons=REASONS,
        can_report=user.role == "nurse",
        own=own,
        changes=changes,
        marks=changes.marks() if changes else {},
        seen_by=seen_by,
        since_at=local(changes.since_at) if changes and changes.since_at else None,
        seen_at=local(seen_by.at) if seen_by else None,
        tabs=_tabs(s, cid, shown),
        watch={
            "url": url_for("api.route_version", date=date, cid=cid),
            "version": version.number if version else "",
            "fingerprint": fingerprint(stops) if version else "",
        },
        tile_url=current_app.config["HAH_TILE_URL"],
        tile_attribution=current_app.config["HAH_TILE_ATTRIBUTION"],
    )


@bp.route("/nurse/route/<date>/<cid>/visits/<vid>/status", methods=["POST"])
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
        set_status(s, d, signed_in_user(), cid, vid, request.form.get("status", ""), reason,
                   client_ip(), at=clock.stamp(current_app.config))  # fmt: skip
    except StatusError as err:
        s.rollback()
        flash(str(err), "error")
        return redirect(url_for("nurse.route", date=date, cid=cid) + f"#v-{vid}", code=303)
    s.commit()
    flash(f"{vid}: {LABELS[request.form['status']]}", "ok")
    return redirect(url_for("nurse.route", date=date, cid=cid) + f"#v-{vid}", code=303)


@bp.route("/nurse/route/<date>/<cid>/late", methods=["POST"])
@roles("nurse")
def late(date: str, cid: str):
    """She is running late: the coordinator's board flags what is now at risk at once; the
    fixes and re-plans are worked out by a worker, for the coordinator (she does not wait)."""
    from web.live import Refused, take_event

    s, d, version = _route_or_404(date, cid)
    user = signed_in_user()
    if d is None or version is None or user.clinician_id != cid:
        abort(404)
    form = {"kind": "late", "clinician_id": cid, "minutes": request.form.get("minutes", ""),
            "reported_by": f"{user.username} (nurse)"}  # fmt: skip
    event = take_event(s, d, form, user, wait_s=0)
    if isinstance(event, Refused):
        flash(event.message, "error")
        return redirect(url_for("nurse.route", date=date, cid=cid), code=303)
    risky = len(event.detail["at_risk"])
    flash(f"The coordinator has been told you are {event.detail['minutes']} min late"
          + (f"; {risky} of your visits may miss their window: wait for the updated route."
             if risky else "; your visits still fit their windows."), "ok")  # fmt: skip
    return redirect(url_for("nurse.route", date=date, cid=cid), code=303)


# --- her calendar ----------------------------------------------------------------------------


def _calendar_page(token: str | None = None):
    user = signed_in_user()
    link = cal.active_link(db_session(), user) if user.clinician_id else None
    url = url_for("nurse.calendar_feed", token=token, _external=True) if token else None
    return render_template(
        "nurse/calendar.html",
        has_route=user.role == "nurse" and bool(user.clinician_id),
        link=link,
        created_at=local(link.created_at) if link else None,
        url=url,
        webcal=("webcal://" + url.split("://", 1)[1]) if url else None,
        days_back=CALENDAR_DAYS_BACK,
    )


@bp.route("/nurse/calendar")
@roles("nurse")
def calendar():
    return _calendar_page()


@bp.route("/nurse/calendar", methods=["POST"])
@roles("nurse")
def calendar_create():
    """Make her link (replacing any older one) and show it, this once."""
    user = signed_in_user()
    if user.role != "nurse" or not user.clinician_id:
        flash("Only a nurse account with a route has a calendar.", "error")
        return redirect(url_for("nurse.calendar"), code=303)
    s = db_session()
    token = cal.create_link(s, user, client_ip())
    s.commit()
    return _calendar_page(token)


@bp.route("/nurse/calendar/revoke", methods=["POST"])
@roles("nurse")
def calendar_revoke():
    s = db_session()
    n = cal.revoke_links(s, signed_in_user(), client_ip())
    s.commit()
    flash("Your calendar link no longer works." if n else "You had no calendar link.", "ok")
    return redirect(url_for("nurse.calendar"), code=303)


@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """Her published visits as iCalendar; the same bare 404 for every bad token."""
    s = db_session()
    user = cal.owner_of(s, token)
    if user is None or not user.clinician_id:  # owner_of refuses one without a clinician id
        return NOT_FOUND
    since = service_day(s, user.clinician_id) - timedelta(days=CALENDAR_DAYS_BACK)
    events = cal.events_for(s, user.clinician_id, since)
    record_read(user, f"nurse.calendar_feed cid={user.clinician_id}")
    body = cal.render(events, f"H@H visits ({user.clinician_id})")
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'inline; filename="visits.ics"'},
    )

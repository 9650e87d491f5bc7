"""Small helpers shared by the blueprints (date parsing in URLs, 404s, the app's job runner)."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, current_app
from sqlalchemy.orm import Session

from web.models import Day, DayImport
from web.services.days import latest_import


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` from a URL, or 404 (a malformed date names no page)."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        abort(404)


def import_or_404(session: Session, day: Day) -> DayImport:
    """The day's latest import, or 404 (nothing was ever imported for it)."""
    imp = latest_import(session, day)
    if imp is None:
        abort(404)
    return imp


def today() -> date:
    """The service day nurses see: ``HAH_TODAY`` if set (demos, tests), else the real date."""
    fixed = current_app.config.get("HAH_TODAY")
    return parse_day(fixed) if fixed else date.today()


def day_limits():
    """The largest day an import may hold (``HAH_MAX_VISITS``, ``HAH_MAX_SHIFTS``)."""
    from web.services.days import DayLimits

    return DayLimits(int(current_app.config["HAH_MAX_VISITS"]),
                     int(current_app.config["HAH_MAX_SHIFTS"]))  # fmt: skip


def runner():
    return current_app.extensions["hah_runner"]


#: The largest "keep the plan" saving a re-optimisation takes: a day's minutes (more is no
#: different, and the job row's integer column must hold it).
KEEP_PLAN_MAX = 24 * 60


def reap_now() -> None:
    """Take back the jobs and runs of dead workers (``web.services.reaper``), at most every
    few seconds per process: called when a status is asked for, so the page tells the truth
    even while no worker is up to reap. Only with the queue (with ``thread`` the process
    that would re-run the job is this one, and a job it lost died with an earlier one)."""
    from web.services.reaper import Throttled

    if current_app.config.get("HAH_JOB_RUNNER") != "queue":
        return
    reaper = current_app.extensions.setdefault("hah_reaper", Throttled())
    found = [current_app.extensions.get(k) for k in ("hah_runner", "hah_capacity_runner",
                                                     "hah_event_runner")]
    reaper(current_app.extensions["hah_db"], [r for r in found if hasattr(r, "work")])


def submit(the_runner, session: Session, row) -> str | None:
    """Hand a committed job or run to its runner; None when queued, else why it could not be
    (the queue unreachable), with the row marked failed so the day is not left locked."""
    from web.models import utcnow
    from web.services.runners import QueueUnavailable

    try:
        the_runner.submit(row.id, row.attempt)
    except QueueUnavailable as err:
        row.state, row.finished_at = "failed", utcnow()
        row.error = f"not started: {err}; try again when it is back"
        session.commit()
        return f"Not started: {err}. Try again in a minute; if it persists, tell the admin."
    return None


def time_limit_from(value) -> float:
    """The requested search time, clamped to 1 s … ``HAH_MAX_SOLVE_SECONDS``."""
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond any float
        seconds = current_app.config["HAH_SOLVE_SECONDS"]
    if seconds != seconds:  # NaN
        seconds = current_app.config["HAH_SOLVE_SECONDS"]
    return min(max(seconds, 1.0), current_app.config["HAH_MAX_SOLVE_SECONDS"])

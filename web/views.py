"""Small helpers shared by the blueprints (date parsing in URLs, the app's job runner)."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, current_app


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` from a URL, or 404 (a malformed date names no page)."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        abort(404)


def today() -> date:
    """The service day nurses see: ``HAH_TODAY`` if set (demos, tests), else the real date."""
    fixed = current_app.config.get("HAH_TODAY")
    return parse_day(fixed) if fixed else date.today()


def runner():
    return current_app.extensions["hah_runner"]


def time_limit_from(value) -> float:
    """The requested search time, clamped to 1 s … ``HAH_MAX_SOLVE_SECONDS``."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = current_app.config["HAH_SOLVE_SECONDS"]
    if seconds != seconds:  # NaN
        seconds = current_app.config["HAH_SOLVE_SECONDS"]
    return min(max(seconds, 1.0), current_app.config["HAH_MAX_SOLVE_SECONDS"])

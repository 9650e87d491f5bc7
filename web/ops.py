"""The ops lead's pages: the week's and a day's figures, demand against supply, the audit log.

``/ops/`` shows a Monday–Sunday week (``?week=YYYY-MM-DD``, any day of it; default the week
of ``web.views.today()``), one row per day and the totals; ``/ops/day/<date>`` one day in
detail. The figures are ``web.services.figures`` (its docstring says how each is counted).

Capacity questions ("how many patients can we take with how many nurses?") start from
these figures; the scenario sweeps of the capacity issue will hang off this blueprint (and
the marked "capacity" section of ``ops/index.html``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request

from web.security import db_session, roles
from web.services import audit
from web.services.days import all_days, latest_import
from web.services.figures import day_figures, monday_of, week_figures
from web.services.rotas import latest_published
from web.views import parse_day, today

bp = Blueprint("ops", __name__, url_prefix="/ops")


def capacity_rows(s) -> list[dict]:
    """One row per day: demand (patients, visits) against supply (shifts) and the outcome."""
    rows = []
    for day in all_days(s):
        imp = latest_import(s, day)
        pub = latest_published(s, day)
        k = pub.kpis if pub is not None else {}
        rows.append(
            {
                "date": f"{day.date:%Y-%m-%d}",
                "patients": imp.patients_count if imp else None,
                "visits": imp.visits_count if imp else None,
                "shifts": imp.clinicians_count if imp else None,
                "published": pub.number if pub is not None else None,
                "assigned": k.get("visits_assigned"),
                "unassigned": k.get("visits_unassigned"),
                "priority1_unassigned": k.get("priority1_unassigned"),
                "clinicians_used": k.get("clinicians_used"),
                "travel_min": k.get("travel_min_total"),
                "utilisation": k.get("utilisation"),
            }
        )
    return rows


@bp.route("/")
@roles("ops")
def index():
    week = request.args.get("week", "").strip()
    start = monday_of(parse_day(week) if week else today())
    s = db_session()
    return render_template(
        "ops/index.html",
        week=week_figures(s, start),
        prev_week=f"{start - timedelta(days=7):%Y-%m-%d}",
        next_week=f"{start + timedelta(days=7):%Y-%m-%d}",
        this_week=f"{monday_of(today()):%Y-%m-%d}",
        rows=capacity_rows(s),
    )


@bp.route("/day/<date>")
@roles("ops")
def day(date: str):
    when = parse_day(date)
    s = db_session()
    figures = day_figures(s, when)
    return render_template(
        "ops/day.html",
        f=figures,
        response=figures.get("urgent_response"),
        week=f"{monday_of(when):%Y-%m-%d}",
        prev_day=f"{when - timedelta(days=1):%Y-%m-%d}",
        next_day=f"{when + timedelta(days=1):%Y-%m-%d}",
    )


@bp.route("/audit")
@roles("ops")
def audit_log():
    return render_template("ops/audit.html", entries=audit.recent(db_session(), 300))

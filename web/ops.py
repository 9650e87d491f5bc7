"""The ops lead's pages: how many patients, visits and nurses each day, and the audit log.

Capacity questions ("how many patients can we take with how many nurses?") start from
these figures; the scenario sweeps of the capacity issue will hang off this blueprint.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from web.security import db_session, roles
from web.services import audit
from web.services.days import all_days, latest_import
from web.services.rotas import latest_published

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
    return render_template("ops/index.html", rows=capacity_rows(db_session()))


@bp.route("/audit")
@roles("ops")
def audit_log():
    return render_template("ops/audit.html", entries=audit.recent(db_session(), 300))

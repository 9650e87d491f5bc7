"""What nurses report from the doorstep: arrived, done, or could not complete (and why).

A status is only accepted for a visit on the reporting nurse's own route in the day's
latest published rota, so a phone can neither touch another nurse's patients nor a visit
the coordinator has since moved. Rows are appended, never updated: the latest is the
current status and the rest is the history a governance review may need.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.models import VISIT_STATES, Day, User, VisitStatus, local
from web.services import audit
from web.services.rotas import latest_published

LABELS = {"arrived": "Arrived", "done": "Done", "not_completed": "Could not complete"}
REASONS = (
    "Patient not at home",
    "Patient declined",
    "Patient admitted / deteriorated (escalated)",
    "Could not get into the property",
    "Equipment or medication missing",
    "Ran out of time",
    "Other",
)


class StatusError(ValueError):
    """A status report that cannot be accepted, with a reason the nurse can act on."""


def may_view_route(user: User, clinician_id: str) -> bool:
    """Nurses see only their own route; coordinators, ops leads and admins see every route."""
    if user.role == "nurse":
        return bool(user.clinician_id) and user.clinician_id == clinician_id
    return user.role in ("coordinator", "ops", "admin")


def latest_statuses(session: Session, day: Day) -> dict[tuple[str, str], dict[str, Any]]:
    """(visit id, clinician id) → the latest report on it."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    rows = session.scalars(
        select(VisitStatus).where(VisitStatus.day_id == day.id).order_by(VisitStatus.id)
    )
    for row in rows:
        out[(row.visit_id, row.clinician_id)] = {
            "status": row.status,
            "label": LABELS.get(row.status, row.status),
            "reason": row.reason,
            "at": local(row.at).strftime("%H:%M"),
        }
    return out


def set_status(
    session: Session,
    day: Day,
    user: User,
    clinician_id: str,
    visit_id: str,
    status: str,
    reason: str = "",
    ip: str = "",
    at: datetime | None = None,
) -> VisitStatus:
    """Record a nurse's report on one of her visits (see the module docstring for the rules)."""
    if user.role != "nurse" or user.clinician_id != clinician_id:
        raise StatusError("only the nurse on this route can report on its visits")
    if status not in VISIT_STATES:
        raise StatusError(f"unknown status {status!r}")
    reason = " ".join(reason.split())[:500]
    if status == "not_completed" and not reason:
        raise StatusError("say why the visit could not be completed")
    version = latest_published(session, day)
    if version is None:
        raise StatusError("no rota has been published for this day")
    on_route = any(
        r["clinician_id"] == clinician_id and any(s.get("visit_id") == visit_id for s in r["stops"])
        for r in version.rota.get("routes", [])
    )
    if not on_route:
        raise StatusError(f"visit {visit_id} is not on your route in the published rota")
    row = VisitStatus(
        day_id=day.id,
        visit_id=visit_id,
        clinician_id=clinician_id,
        status=status,
        reason=reason if status == "not_completed" else "",
        user_id=user.id,
        **({"at": at} if at is not None else {}),
    )
    session.add(row)
    audit.record(
        session,
        user,
        "visit_status",
        f"{day.date:%Y-%m-%d} {visit_id} ({clinician_id}): {status}"
        + (f" — {reason}" if row.reason else ""),
        ip,
    )
    return row

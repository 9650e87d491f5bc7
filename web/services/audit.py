"""The audit log: one row per thing done that a governance review may ask about."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.models import AuditLog, User


def record(
    session: Session, user: User | None, action: str, detail: str = "", ip: str = ""
) -> AuditLog:
    """Add an entry (committed with the caller's transaction, so a refused change and its
    audit entry cannot part ways)."""
    entry = AuditLog(
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else "",
        action=action,
        detail=detail[:4000],
        ip=ip[:64],
    )
    session.add(entry)
    return entry


def recent(session: Session, limit: int = 200) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)))

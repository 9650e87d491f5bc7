"""What changed between two stored versions of a day: the domain's diff
(``scheduler.domain.diff``) as the API's JSON, and which stored versions to compare."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.domain.diff import ClinicianVisit, RotaDiff, diff_rotas, shift_words
from web.models import RotaVersion
from web.services.rotas import time_to_json

__all__ = ["diff_json", "diff_rotas", "newest_version", "previous_version", "shift_words"]

# --- as JSON (the API) -----------------------------------------------------------------------

def _t(value: datetime | None) -> str | None:
    """As the rota's own JSON stores times: local, with the offset."""
    return time_to_json(value) if value is not None else None


def _cv_json(row: ClinicianVisit) -> dict[str, Any]:
    return {
        "visit_id": row.visit_id,
        "patient_id": row.patient_id,
        "old_start": _t(row.old_start),
        "new_start": _t(row.new_start),
        "shift_min": row.shift_min,
        "others": list(row.others),
        "unassigned": row.unassigned,
    }


def diff_json(diff: RotaDiff) -> dict[str, Any]:
    """The diff as plain JSON (local date-times with their offset, like the rota's own
    JSON)."""
    s = diff.summary
    return {
        "summary": {
            "added": s.added,
            "dropped": s.dropped,
            "moved": s.moved,
            "retimed": s.retimed,
            "changed": s.changed,
            "unchanged": s.unchanged,
            "clinicians_affected": s.clinicians_affected,
            "assigned_old": s.assigned_old,
            "assigned_new": s.assigned_new,
        },
        "changes": [
            {
                "visit_id": c.visit_id,
                "patient_id": c.patient_id,
                "kinds": list(c.kinds),
                "old_clinicians": list(c.old_clinicians),
                "new_clinicians": list(c.new_clinicians),
                "old_start": _t(c.old_start),
                "new_start": _t(c.new_start),
                "shift_min": c.shift_min,
                "reason": c.reason,
                "text": c.describe(),
            }
            for c in diff.changes
        ],
        "clinicians": [
            {
                "clinician_id": c.clinician_id,
                "gains": [_cv_json(r) for r in c.gains],
                "losses": [_cv_json(r) for r in c.losses],
                "retimed": [_cv_json(r) for r in c.retimed],
            }
            for c in diff.clinicians
        ],
    }


# --- which stored versions to compare --------------------------------------------------------


def previous_version(session: Session, version: RotaVersion) -> RotaVersion | None:
    """What ``version`` is naturally compared with: the version it was made from
    (``parent_id``) if that is of the same day; else, for published number *n*, the
    published number *n − 1*; for a draft, the latest version published before it was made
    (the one nurses saw then). None when there is nothing earlier."""
    if version.parent_id is not None:
        parent = session.get(RotaVersion, version.parent_id)
        if parent is not None and parent.day_id == version.day_id and parent.id != version.id:
            return parent
    q = select(RotaVersion).where(
        RotaVersion.day_id == version.day_id,
        RotaVersion.status == "published",
        RotaVersion.id != version.id,
    )
    if version.status == "published" and version.number is not None:
        q = q.where(RotaVersion.number < version.number)
    else:
        q = q.where(RotaVersion.id < version.id)
    return session.scalar(q.order_by(RotaVersion.number.desc()).limit(1))


def newest_version(session: Session, day_id: int) -> RotaVersion | None:
    return session.scalar(
        select(RotaVersion)
        .where(RotaVersion.day_id == day_id)
        .order_by(RotaVersion.id.desc())
        .limit(1)
    )

"""What changed on a nurse's route since she last opened it.

When a nurse opens her own route, the stops she sees (visit id, start and end) and the
published version number are stored in her ``RouteView`` for that day (one row per nurse and
day, overwritten each time). When a later version moves, adds or drops one of her visits, the
next time she opens the page the difference is shown to her once, in words. A short
``fingerprint`` of the same stops lets the open page poll for a change cheaply.

Only the nurse herself leaves a view: a coordinator or ops lead looking at her route must not
make her miss a change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.domain.localtime import hm
from web.models import Day, RotaVersion, RouteView, User, utcnow
from web.services.rotas import time_from_json, time_to_json


def _canonical(stamp: str) -> str:
    """A stored time in the form ``time_to_json`` writes now, whichever form it was stored in
    (versions stored before offsets were kept hold naive local times): so the same time
    compares equal and fingerprints the same."""
    return time_to_json(time_from_json(stamp))


def her_stops(rota: dict[str, Any], clinician_id: str) -> list[dict[str, str]]:
    """The visits of one clinician's route in a stored rota (``rota_to_json``), in order."""
    for route in rota.get("routes", []):
        if route.get("clinician_id") == clinician_id:
            return [
                {"visit_id": s["visit_id"], "start": _canonical(s["start"]),
                 "end": _canonical(s["end"])}
                for s in route.get("stops", [])
                if s.get("kind") == "visit"
            ]  # fmt: skip
    return []


def fingerprint(stops: list[dict[str, str]]) -> str:
    """A short hash of a route's visits and times: equal exactly when the route is the same."""
    data = json.dumps([[s["visit_id"], s["start"], s["end"]] for s in stops], separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _hm(stamp: str) -> str:
    """``2026-11-23T09:30:00+00:00`` (or a stored naive local time) → ``09:30``, local."""
    return hm(time_from_json(stamp))


@dataclass
class RouteChanges:
    """The difference between the route she saw (``before``) and the one she sees now."""

    since_number: int
    number: int
    since_at: datetime | None = None
    added: list[dict[str, str]] = field(default_factory=list)  # visit_id, start
    removed: list[dict[str, str]] = field(default_factory=list)  # visit_id, start (as it was)
    retimed: list[dict[str, str]] = field(default_factory=list)  # visit_id, before, after
    reordered: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.retimed or self.reordered)

    def marks(self) -> dict[str, str]:
        """Visit id → a short note to show on that stop ("New", "Was 09:00")."""
        out = {a["visit_id"]: "New" for a in self.added}
        out.update({r["visit_id"]: f"Was {r['before']}" for r in self.retimed})
        return out

    def lines(self) -> list[str]:
        """One sentence per change, for the banner."""
        out = [f"New visit {a['visit_id']} at {a['start']}" for a in self.added]
        out += [f"Removed {r['visit_id']} (was at {r['start']})" for r in self.removed]
        out += [f"{r['visit_id']} moved from {r['before']} to {r['after']}" for r in self.retimed]
        if self.reordered and not self.retimed:
            out.append("The order of your visits changed")
        return out


def compare(
    before: list[dict[str, str]], after: list[dict[str, str]], since_number: int, number: int
) -> RouteChanges:
    """What changed between two lists of stops (as ``her_stops`` gives them)."""
    old = {s["visit_id"]: s for s in before}
    new = {s["visit_id"]: s for s in after}
    changes = RouteChanges(since_number=since_number, number=number)
    changes.added = [
        {"visit_id": s["visit_id"], "start": _hm(s["start"])}
        for s in after
        if s["visit_id"] not in old
    ]
    changes.removed = [
        {"visit_id": s["visit_id"], "start": _hm(s["start"])}
        for s in before
        if s["visit_id"] not in new
    ]
    for s in after:
        o = old.get(s["visit_id"])
        if o is not None and (_canonical(o["start"]), _canonical(o["end"])) != (
            _canonical(s["start"]), _canonical(s["end"])
        ):
            changes.retimed.append(
                {"visit_id": s["visit_id"], "before": _hm(o["start"]), "after": _hm(s["start"])}
            )
    kept_old = [s["visit_id"] for s in before if s["visit_id"] in new]
    kept_new = [s["visit_id"] for s in after if s["visit_id"] in old]
    changes.reordered = kept_old != kept_new
    return changes


def last_view(session: Session, user: User, day: Day) -> RouteView | None:
    return session.scalar(
        select(RouteView).where(RouteView.user_id == user.id, RouteView.day_id == day.id)
    )


def record_view(
    session: Session, user: User, day: Day, version: RotaVersion
) -> RouteChanges | None:
    """Store that ``user`` (the nurse herself) now sees ``version`` of her route on ``day``;
    return what changed since she last looked, or None when nothing did (or she never had).

    The caller commits. Two tabs opening the route at once are fine: the loser of the race to
    insert the day's row updates it instead.
    """
    if user.role != "nurse" or not user.clinician_id or version.number is None:
        return None
    stops = her_stops(version.rota, user.clinician_id)
    previous = last_view(session, user, day)
    changes = None
    if previous is not None and previous.version_number < version.number:
        changes = compare(list(previous.seen or []), stops, previous.version_number,
                          version.number)  # fmt: skip
        changes.since_at = previous.at
    if previous is None:
        try:
            with session.begin_nested():
                session.add(RouteView(user_id=user.id, day_id=day.id,
                                      version_number=version.number, seen=stops))  # fmt: skip
            return None
        except IntegrityError:
            previous = last_view(session, user, day)
            if previous is None:  # pragma: no cover - the row vanished again
                return None
    if previous.version_number <= version.number:
        previous.version_number = version.number
        previous.seen = stops
        previous.at = utcnow()
    return changes if changes else None


def views_of(session: Session, clinician_id: str, day: Day) -> list[RouteView]:
    """The nurses' views of one clinician's route on a day (for a coordinator to see whether
    she has opened the latest version)."""
    return list(
        session.scalars(
            select(RouteView)
            .join(User, User.id == RouteView.user_id)
            .where(User.clinician_id == clinician_id, RouteView.day_id == day.id)
            .order_by(RouteView.at.desc())
        )
    )

"""A nurse's private calendar link: an iCalendar (RFC 5545) feed of her published visits.

The link's token is the credential (calendar apps cannot sign in), so:

- it is 256 random bits, shown to the nurse once; only its SHA-256 is stored
  (``CalendarToken.token_hash``), so a copy of the database cannot rebuild a working link;
- a nurse has at most one live link: making a new one revokes the old, and revoking is
  audited; a revoked, unknown or malformed token gets the same 404 as any other;
- the feed holds what she needs to plan her day and no more: visit type, times, address and
  the patient id that is on her route page anyway.

The feed is written by hand (no dependency): text escaping, 75-octet line folding and CRLF
line ends as RFC 5545 asks; times are UTC (``20261025T003000Z``), which every calendar app
shows in its own zone and which, unlike a local time with ``TZID``, stays one moment in the
hour the clocks repeat in October (``X-WR-TIMEZONE`` names the service's zone for display).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.db import get_or_fail
from web.models import CalendarToken, Day, DayImport, User, utcnow
from web.services import audit
from web.services.days import day_inputs
from web.services.rotas import latest_published, time_from_json

TOKEN_BYTES = 32
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
PRODID = "-//Hospital at Home//Visit scheduler//EN"
TZID = "Europe/London"


# --- links -----------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_link(session: Session, user: User) -> CalendarToken | None:
    return session.scalar(
        select(CalendarToken)
        .where(CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None))
        .order_by(CalendarToken.id.desc())
        .limit(1)
    )


def _revoke_all(session: Session, user: User) -> int:
    rows = list(
        session.scalars(
            select(CalendarToken).where(
                CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None)
            )
        )
    )
    now = utcnow()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def create_link(session: Session, user: User, ip: str = "") -> str:
    """A new private link for ``user`` (any older one stops working); returns the token,
    which is not stored and cannot be shown again. The caller commits."""
    replaced = _revoke_all(session, user)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(CalendarToken(user_id=user.id, token_hash=hash_token(token)))
    audit.record(session, user, "calendar_link_created",
                 "new calendar link" + (" (the previous one was revoked)" if replaced else ""),
                 ip)  # fmt: skip
    return token


def revoke_links(session: Session, user: User, ip: str = "", by: User | None = None) -> int:
    """Stop ``user``'s calendar link working; returns how many were live. Audited (when one
    was). The caller commits."""
    n = _revoke_all(session, user)
    if n:
        audit.record(session, by or user, "calendar_link_revoked",
                     f"calendar link of {user.username} revoked", ip)  # fmt: skip
    return n


def owner_of(session: Session, token: str) -> User | None:
    """The nurse a live token belongs to, or None (malformed, unknown, revoked, or the
    account is disabled or no longer a nurse with a clinician id)."""
    if not _TOKEN_RE.match(token or ""):
        return None
    row = session.scalar(
        select(CalendarToken).where(
            CalendarToken.token_hash == hash_token(token), CalendarToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or user.role != "nurse" or not user.clinician_id:
        return None
    return user


# --- the feed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str
    description: str
    lat: float
    lon: float
    sequence: int
    modified: datetime | None


def events_for(session: Session, clinician_id: str, since: date) -> list[Event]:
    """One event per visit on the clinician's route in the latest published version of every
    day from ``since`` on."""
    out: list[Event] = []
    days = session.scalars(select(Day).where(Day.date >= since).order_by(Day.date))
    for day in days:
        version = latest_published(session, day)
        if version is None:
            continue
        route = next(
            (r for r in version.rota.get("routes", []) if r["clinician_id"] == clinician_id), None
        )
        if route is None:
            continue
        visits, _shifts = day_inputs(get_or_fail(session, DayImport, version.import_id))
        by_id = {v.visit_id: v for v in visits}
        for stop in route["stops"]:
            if stop["kind"] != "visit" or stop["visit_id"] not in by_id:
                continue
            v = by_id[stop["visit_id"]]
            where = v.address or f"{v.location.lat:.5f}, {v.location.lon:.5f}"
            details = [f"Patient {v.patient_id}", f"Visit {v.visit_id}",
                       f"Window {v.window.label()}", f"{v.duration_min} min"]  # fmt: skip
            if v.staff == 2:
                details.append("Double-handed")
            if v.priority == 1:
                details.append("Time-critical")
            details.append(f"Rota version {version.number}")
            out.append(
                Event(
                    uid=f"{day.date:%Y%m%d}-{v.visit_id}-{clinician_id}@hah-scheduler",
                    start=time_from_json(stop["start"]),
                    end=time_from_json(stop["end"]),
                    summary=v.visit_type or "Home visit",
                    location=where,
                    description="\n".join(details),
                    lat=v.location.lat,
                    lon=v.location.lon,
                    sequence=version.number or 0,
                    modified=version.published_at,
                )
            )
    return out


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped;
    other control characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(c for c in value if c == "\n" or c == "\t" or ord(c) >= 32)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets (RFC 5545 3.1), never inside a
    UTF-8 character; continuation lines begin with one space."""
    pieces: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, 74  # the leading space counts
        current.append(ch)
        size += n
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def _utc(moment: datetime) -> str:
    """A DATE-TIME in UTC (form 2 of RFC 5545 3.3.5); a naive moment is a stored stamp,
    which is UTC already."""
    return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime("%Y%m%dT%H%M%SZ")


def render(events: list[Event], calendar_name: str, now: datetime | None = None) -> str:
    """The iCalendar document (CRLF line ends, folded lines)."""
    stamp = _utc(now or utcnow())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(calendar_name)}",
        f"X-WR-TIMEZONE:{TZID}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT30M",
        "X-PUBLISHED-TTL:PT30M",
    ]
    for e in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(e.uid)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(e.start)}",
            f"DTEND:{_utc(e.end)}",
            f"SUMMARY:{escape_text(e.summary)}",
            f"LOCATION:{escape_text(e.location)}",
            f"GEO:{e.lat:.6f};{e.lon:.6f}",
            f"DESCRIPTION:{escape_text(e.description)}",
            f"SEQUENCE:{e.sequence}",
            *([f"LAST-MODIFIED:{_utc(e.modified)}"] if e.modified else []),
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)

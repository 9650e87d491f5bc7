"""Server-side sessions: the rows of ``user_sessions`` behind every signed-in cookie.

The cookie holds only a random 256-bit token; a row stores its SHA-256 (so a copy of the
database cannot be turned back into working cookies) and the session's values. A session
lives while its row says so: not revoked (sign-out, a password change, an admin), not past
``expires_at`` (the absolute end, fixed when it began) and seen within the idle timeout. So
signing out ends every copy of a cookie, at once and across restarts, which a signed cookie
alone cannot do.

Plain SQLAlchemy, no Flask: the Flask side is ``web.sessions``; the account actions
(``web.services.accounts``, for the admin page and ``hah users``) revoke through here too.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from web.models import UserSession, utcnow

#: ``last_seen_at`` is written at most this often per session: the idle timeout is counted in
#: tens of minutes, and a write on every request of 150 nurses would be a write per request.
TOUCH_EVERY = timedelta(minutes=1)
#: How long a dead row (revoked, expired or idle) is kept before ``purge`` deletes it: long
#: enough to see in the database why someone was signed out.
KEEP_DEAD = timedelta(days=1)


@dataclass(frozen=True)
class Timeouts:
    """How long a session may live: ``absolute`` from its start, ``idle`` since last seen."""

    absolute: timedelta
    idle: timedelta

    @classmethod
    def from_config(cls, config: dict) -> Timeouts:
        """From the app's settings (``HAH_SESSION_ABSOLUTE_H``, ``HAH_SESSION_IDLE_MIN``)."""
        return cls(absolute=timedelta(hours=float(config["HAH_SESSION_ABSOLUTE_H"])),
                   idle=timedelta(minutes=float(config["HAH_SESSION_IDLE_MIN"])))  # fmt: skip


def new_token() -> str:
    """A fresh cookie value: 32 random bytes (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_live(row: UserSession, timeouts: Timeouts, now: datetime | None = None) -> bool:
    """Whether ``row`` still stands: not revoked, not past its end, not idle too long."""
    now = now or utcnow()
    return (
        row.revoked_at is None
        and now < row.expires_at
        and now < row.last_seen_at + timeouts.idle
    )


def find_live(session: Session, token: str, timeouts: Timeouts) -> UserSession | None:
    """The live row of a cookie's ``token``, or ``None`` (unknown, revoked, expired, idle)."""
    if not token or len(token) > 128:
        return None
    row = session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    if row is None or not is_live(row, timeouts):
        return None
    return row


def create(
    session: Session,
    *,
    user_id: int | None,
    via: str,
    ip: str,
    data: dict,
    timeouts: Timeouts,
) -> tuple[str, UserSession]:
    """A new row (``user_id`` ``None``: an anonymous visitor's, for the sign-in form's CSRF
    token); returns the cookie's token, which is stored nowhere but in the cookie."""
    now = utcnow()
    token = new_token()
    row = UserSession(
        token_hash=hash_token(token),
        user_id=user_id,
        data=data,
        via=via[:20],
        ip=ip[:64],
        created_at=now,
        last_seen_at=now,
        expires_at=now + timeouts.absolute,
        revoked_at=None,
        revoked_reason="",
    )
    session.add(row)
    session.flush()
    return token, row


def revoke(session: Session, row_id: int, reason: str) -> None:
    """End one session (its cookie stops working at the next request)."""
    session.execute(
        update(UserSession)
        .where(UserSession.id == row_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason[:40])
    )


def revoke_user(session: Session, user_id: int, reason: str, *, keep: int | None = None) -> int:
    """End every open session of a user (but ``keep``, a row id, if given); how many."""
    where = [UserSession.user_id == user_id, UserSession.revoked_at.is_(None)]
    if keep is not None:
        where.append(UserSession.id != keep)
    result = session.execute(
        update(UserSession).where(*where).values(revoked_at=utcnow(), revoked_reason=reason[:40])
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_counts(session: Session, timeouts: Timeouts) -> dict[int, int]:
    """user id → how many live sessions it has (for the admin page)."""
    now = utcnow()
    rows = session.execute(
        select(UserSession.user_id, func.count(UserSession.id))
        .where(
            UserSession.user_id.is_not(None),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
            UserSession.last_seen_at > now - timeouts.idle,
        )
        .group_by(UserSession.user_id)
    )
    return {int(uid): int(n) for uid, n in rows if uid is not None}


def touch(session: Session, row_id: int, data: dict | None) -> None:
    """Mark a session seen now, storing its values when they changed (``data``)."""
    values: dict = {"last_seen_at": utcnow()}
    if data is not None:
        values["data"] = data
    session.execute(update(UserSession).where(UserSession.id == row_id).values(**values))


def purge(session: Session, timeouts: Timeouts) -> int:
    """Delete the rows dead for more than ``KEEP_DEAD``: revoked, past their end or idle
    (anonymous visitors' rows mostly end this way). Run at each sign-in; how many."""
    cutoff = utcnow() - KEEP_DEAD
    result = session.execute(
        delete(UserSession).where(
            or_(
                UserSession.revoked_at < cutoff,
                UserSession.expires_at < cutoff,
                UserSession.last_seen_at < cutoff - timeouts.idle,
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)

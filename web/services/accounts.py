"""The account lifecycle: disable, re-enable, reset a password, sign out everywhere, change
one's own password, and the list an admin reads.

One module for the admin page, the ``/api/users`` API and ``hah users …``, so each way of
doing a thing does the same thing: every action revokes the sessions it must (at once: a
session is a row, ``web.services.sessions``) and is written to the audit log, without a
password in it. ``actor`` is the admin who acted, ``None`` from the command line.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from web.models import AuditLog, User, utcnow
from web.services import audit
from web.services import sessions as store
from web.services.users import DEFAULT_HASH, UserError, check_password

#: The audit actions that are a sign-in (by password, or by single sign-on).
SIGN_IN_ACTIONS = ("login", "login_oidc")


class NoSuchAccount(LookupError):
    """No account has that username."""


@dataclass(frozen=True)
class Account:
    """One line of the admin's list."""

    username: str
    role: str
    clinician_id: str | None
    active: bool
    must_change_password: bool
    last_sign_in: datetime | None
    open_sessions: int

    def as_json(self) -> dict:
        return {
            "username": self.username,
            "role": self.role,
            "clinician_id": self.clinician_id,
            "active": self.active,
            "must_change_password": self.must_change_password,
            "last_sign_in": None if self.last_sign_in is None
            else self.last_sign_in.isoformat(timespec="seconds") + "Z",
            "open_sessions": self.open_sessions,
        }  # fmt: skip


def find(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise NoSuchAccount(f"no account {username.strip()[:80]!r}")
    return user


def list_accounts(session: Session, timeouts: store.Timeouts) -> list[Account]:
    """Every account by username, with its last sign-in (from the audit log, which keeps it
    longer than the sessions table does) and how many sessions it has open now."""
    rows = session.execute(
        select(AuditLog.user_id, func.max(AuditLog.at))
        .where(AuditLog.action.in_(SIGN_IN_ACTIONS), AuditLog.user_id.is_not(None))
        .group_by(AuditLog.user_id)
    )
    last = {uid: at for uid, at in rows}
    counts = store.open_counts(session, timeouts)
    found = []
    for u in session.scalars(select(User).order_by(User.username)):
        seen, n = last.get(u.id), counts.get(u.id, 0)
        found.append(Account(u.username, u.role, u.clinician_id, u.active,
                             u.must_change_password, seen, n))  # fmt: skip
    return found


def _record(session: Session, actor: User | None, action: str, user: User, detail: str, ip: str):
    audit.record(session, actor, action, f"{user.username}{detail}", ip or "cli")


def disable(session: Session, username: str, *, actor: User | None = None, ip: str = "") -> int:
    """Disable an account: it can no longer sign in and its open sessions end now. Returns
    how many were ended. An admin cannot disable herself (no locking the last door)."""
    user = find(session, username)
    if actor is not None and actor.id == user.id:
        raise UserError("you cannot disable your own account")
    user.active = False
    ended = store.revoke_user(session, user.id, "disabled")
    _record(session, actor, "user_disable", user, f" ({ended} sessions ended)", ip)
    return ended


def enable(session: Session, username: str, *, actor: User | None = None, ip: str = "") -> None:
    user = find(session, username)
    user.active = True
    _record(session, actor, "user_enable", user, "", ip)


def _generated_password(username: str) -> str:
    """A temporary password that the policy accepts: 16 random URL-safe characters."""
    while True:
        candidate = secrets.token_urlsafe(12)
        try:
            check_password(candidate, username)
        except UserError:
            continue
        return candidate


def reset_password(
    session: Session,
    username: str,
    password: str | None = None,
    *,
    actor: User | None = None,
    ip: str = "",
    hash_method: str = DEFAULT_HASH,
) -> str:
    """Give an account a temporary password (``password``, which must pass the policy, or
    one made here), to be changed at the next sign-in; its sessions end now. Returns the
    temporary password (to hand over once; it is stored only as a hash)."""
    user = find(session, username)
    if password is None:
        password = _generated_password(user.username)
    else:
        check_password(password, user.username)
    user.password_hash = generate_password_hash(password, method=hash_method)
    user.must_change_password = True
    ended = store.revoke_user(session, user.id, "password_reset")
    _record(session, actor, "user_reset", user, f" ({ended} sessions ended)", ip)
    return password


def sign_out_everywhere(
    session: Session, username: str, *, actor: User | None = None, ip: str = ""
) -> int:
    """End every open session of an account (a lost phone); how many."""
    user = find(session, username)
    ended = store.revoke_user(session, user.id, "admin")
    _record(session, actor, "user_sign_out", user, f" ({ended} sessions ended)", ip)
    return ended


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    *,
    ip: str = "",
    hash_method: str = DEFAULT_HASH,
) -> int:
    """A user's own change: ``current`` must be right and ``new`` pass the policy (and not
    be ``current``). Clears a forced change and ends every session of the user: the caller
    starts a fresh one for the request that asked (``web.auth.begin_session``). Returns how
    many sessions were ended."""
    if not check_password_hash(user.password_hash, current):
        raise UserError("the current password is wrong")
    if new == current:
        raise UserError("the new password must differ from the current one")
    check_password(new, user.username)
    user.password_hash = generate_password_hash(new, method=hash_method)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    ended = store.revoke_user(session, user.id, "password_changed")
    audit.record(session, user, "password_change", f"{ended} sessions ended", ip)
    return ended

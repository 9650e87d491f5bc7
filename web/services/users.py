"""Accounts and sign-in: password hashes, one answer for every failure, a guessing limit.

Sign-in never says whether a username exists: an unknown user, a wrong password and a
disabled account all get the same message, and an unknown user still costs a hash check so
the answer's timing gives nothing away either. Failures are counted per IP and username in
the database (``LoginFailure``) so the limit holds across worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from web.models import ROLES, LoginFailure, User, utcnow

LOGIN_FAILED = "Unknown username or wrong password."
LOGIN_LIMITED = "Too many failed sign-ins. Wait a few minutes and try again."
_DUMMY_HASH = generate_password_hash("not a password", method="pbkdf2:sha256:1000")


class UserError(ValueError):
    """A user cannot be created as asked (unknown role, nurse without clinician id…)."""


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    clinician_id: str | None = None,
    hash_method: str = "scrypt",
) -> User:
    """A new account. A nurse must name her clinician id: it is what limits her to her route."""
    username = username.strip()
    if not username or len(username) > 80:
        raise UserError("a username is 1 to 80 characters")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if role == "nurse" and not clinician_id:
        raise UserError("a nurse account needs the clinician_id of her shifts")
    if len(password) < 8:
        raise UserError("a password is at least 8 characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} exists already")
    user = User(
        username=username,
        password_hash=generate_password_hash(password, method=hash_method),
        role=role,
        clinician_id=clinician_id or None,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None
    limited: bool = False


def recent_failures(session: Session, ip: str, username: str, window_s: int) -> int:
    since = utcnow() - timedelta(seconds=window_s)
    return (
        session.scalar(
            select(func.count(LoginFailure.id)).where(
                LoginFailure.ip == ip, LoginFailure.username == username, LoginFailure.at >= since
            )
        )
        or 0  # COUNT always answers a row; scalar() is typed as if it might not
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    ip: str,
    *,
    max_failures: int = 5,
    window_s: int = 300,
) -> LoginResult:
    """Check a sign-in, counting failures; refuse without checking once the limit is hit."""
    username = username.strip()[:80]
    if recent_failures(session, ip, username, window_s) >= max_failures:
        return LoginResult(None, LOGIN_LIMITED, limited=True)
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password) and user.active
    if not ok:
        session.add(LoginFailure(ip=ip[:64], username=username))
        cutoff = utcnow() - timedelta(seconds=max(window_s, 3600))
        session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
        return LoginResult(None, LOGIN_FAILED)
    session.execute(
        delete(LoginFailure).where(LoginFailure.ip == ip, LoginFailure.username == username)
    )
    return LoginResult(user, None)

"""Accounts and sign-in: password hashes, a password policy, one answer for every failure,
guessing limits.

Sign-in never says whether a username exists: an unknown user, a wrong password and a
disabled account all get the same message, and an unknown user still costs a hash check of
the same kind and cost as a real one (the configured method, scrypt by default), so the
answer's timing gives nothing away either (it took 12 ms against 148 ms when the dummy hash
was a fast PBKDF2). Failures are counted in the database (``LoginFailure``), so the limits
hold across worker processes: per address and username (``max_failures``: guessing one
account), per address alone (``max_failures_per_ip``: one address trying a few passwords
on many accounts, "password spraying") and per username alone
(``max_failures_per_account``: one account guessed at from many addresses).

The password policy (``password_problems``), applied wherever a password is set
(``create_user``, so ``hah users add`` and the demo accounts): at least ``MIN_LENGTH``
characters, not one character repeated, not a run such as ``abcdefghijkl``, not the username,
and not a known-bad password (``data/common_passwords.txt``), even with digits or symbols
around it or the usual letter swaps (``P@ssw0rd2024!``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from web.models import ROLES, LoginFailure, User, utcnow

LOGIN_FAILED = "Unknown username or wrong password."
LOGIN_LIMITED = "Too many failed sign-ins. Wait a few minutes and try again."
DEFAULT_HASH = "scrypt"  # werkzeug's; what create_user and the dummy hash use unless told
MIN_LENGTH, MAX_LENGTH = 12, 1024
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common_passwords.txt"
_LEET = str.maketrans({"@": "a", "4": "a", "8": "b", "3": "e", "6": "g", "1": "i", "!": "i",
                       "0": "o", "$": "s", "5": "s", "7": "t", "+": "t", "2": "z"})  # fmt: skip
_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")  # digits and symbols before or after a word


class UserError(ValueError):
    """A user cannot be created as asked (unknown role, nurse without clinician id, a
    password the policy refuses…)."""


@cache
def common_passwords() -> frozenset[str]:
    """The known-bad list, lower-cased (``#`` lines are comments)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def _is_run(text: str) -> bool:
    """``abcdefghijklm``, ``mlkjihgfedcba``, ``123456789012``: each character the one after
    (or before) the last, digits going round from 9 to 0."""
    if text.isdigit():
        steps = {(int(b) - int(a)) % 10 for a, b in pairwise(text)}
        return len(text) > 2 and steps in ({1}, {9})
    steps = {ord(b) - ord(a) for a, b in pairwise(text)}
    return len(text) > 2 and steps in ({1}, {-1})


def password_problems(password: str, username: str = "") -> list[str]:
    """Why ``password`` may not be used (nothing: it may). Every reason at once."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"a password is at least {MIN_LENGTH} characters (a few words work well)")
    if len(password) > MAX_LENGTH:
        problems.append(f"a password is at most {MAX_LENGTH} characters")
    lower = password.lower()
    if password and len(set(lower)) == 1:
        problems.append("a password is not one character repeated")
    elif _is_run(lower):
        problems.append("a password is not a run of characters such as abcdef or 123456")
    name = username.strip().lower()
    if len(name) >= 3 and name in lower:
        problems.append("a password does not contain the username")
    core = _AROUND.sub("", lower)
    candidates = {lower, core, lower.translate(_LEET), core.translate(_LEET),
                  _AROUND.sub("", lower.translate(_LEET))}  # fmt: skip
    if candidates & common_passwords() or " ".join(lower.split()) in common_passwords():
        problems.append("that password is one of the most common (a breach list has it): "
                        "choose another")  # fmt: skip
    return problems


def check_password(password: str, username: str = "") -> None:
    """Raise ``UserError`` with every reason the policy refuses ``password`` for."""
    problems = password_problems(password, username)
    if problems:
        raise UserError("; ".join(problems))


@cache
def _dummy_hash(method: str) -> str:
    """A hash of a random password made with ``method``: what an unknown username is checked
    against, so that it costs what a real account's check costs."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    clinician_id: str | None = None,
    hash_method: str = DEFAULT_HASH,
) -> User:
    """A new account. A nurse must name her clinician id: it is what limits her to her route.
    The password must pass ``password_problems``."""
    username = username.strip()
    if not username or len(username) > 80:
        raise UserError("a username is 1 to 80 characters")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if role == "nurse" and not clinician_id:
        raise UserError("a nurse account needs the clinician_id of her shifts")
    check_password(password, username)
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
    #: "" (not limited), "account" (this address, this username), "address" (any username)
    #: or "username" (this username from any address)
    limited_by: str = ""

    @property
    def limited(self) -> bool:
        return bool(self.limited_by)


def recent_failures(
    session: Session, ip: str | None, username: str | None, window_s: int
) -> int:
    """Failed sign-ins in the last ``window_s`` seconds from ``ip`` (any address when it is
    ``None``) for ``username`` (any username when it is ``None``)."""
    since = utcnow() - timedelta(seconds=window_s)
    where = [LoginFailure.at >= since]
    if ip is not None:
        where.append(LoginFailure.ip == ip[:64])
    if username is not None:
        where.append(LoginFailure.username == username)
    return (
        session.scalar(select(func.count(LoginFailure.id)).where(*where))
        or 0  # COUNT always answers a row; scalar() is typed as if it might not
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    ip: str,
    *,
    max_failures: int = 5,
    max_failures_per_ip: int = 20,
    max_failures_per_account: int = 50,
    window_s: int = 300,
    hash_method: str = DEFAULT_HASH,
) -> LoginResult:
    """Check a sign-in, counting failures; refuse without checking once a limit is hit:
    ``max_failures`` from this address for this username, ``max_failures_per_ip`` from this
    address for all usernames together, ``max_failures_per_account`` for this username from
    all addresses together (guesses spread over many addresses). An unknown username is
    checked against a dummy hash made with ``hash_method`` (the method accounts are made
    with), so it takes as long."""
    username = username.strip()[:80]
    if recent_failures(session, ip, username, window_s) >= max_failures:
        return LoginResult(None, LOGIN_LIMITED, limited_by="account")
    if recent_failures(session, ip, None, window_s) >= max_failures_per_ip:
        return LoginResult(None, LOGIN_LIMITED, limited_by="address")
    if username and recent_failures(session, None, username, window_s) >= max_failures_per_account:
        return LoginResult(None, LOGIN_LIMITED, limited_by="username")
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        check_password_hash(_dummy_hash(hash_method), password)
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password) and user.active
    if not ok:
        session.add(LoginFailure(ip=ip[:64], username=username))
        cutoff = utcnow() - timedelta(seconds=max(window_s, 3600))
        session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
        return LoginResult(None, LOGIN_FAILED)
    session.execute(
        delete(LoginFailure).where(LoginFailure.ip == ip[:64], LoginFailure.username == username)
    )
    return LoginResult(user, None)

"""Signing in and out.

One message for every failed sign-in, in the same time (no telling which usernames exist),
limits of ``LOGIN_MAX_FAILURES`` failures per IP and username and ``LOGIN_MAX_FAILURES_PER_IP``
per IP per ``LOGIN_WINDOW_S`` (counted in the database), a fresh session on success (no
fixation), ``next`` only ever a path on this site, and sign-out by POST only so that a link
on another site cannot sign a nurse out mid-round.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from web import sessions
from web.models import User
from web.security import client_ip, current_user, db_session, public, roles, signed_in_user
from web.services import accounts, audit
from web.services.users import UserError, authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")

HOME = {
    "coordinator": "coordinator.index",
    "nurse": "nurse.index",
    "ops": "ops.index",
    "admin": "coordinator.index",
}


def home_url(role: str) -> str:
    return url_for(HOME.get(role, "auth.login"))


#: Whitespace and control characters: browsers drop tabs and newlines anywhere in a URL and
#: spaces and controls around it, so ``/\t/evil.example/`` is ``//evil.example/`` to them.
_UNSEEN = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def _safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else ``None``.

    ``/nurse/`` yes; no to anything that, percent-decoded (repeatedly) and with whitespace
    and control characters removed, starts with ``//`` or a backslash (browsers read ``\\``
    as ``/``), does not start with ``/``, or has a scheme or a host: ``//evil``, ``/\\evil``,
    ``https://…``, ``/%09/evil.example/``, ``/%2F%2Fevil``. A target holding whitespace or a
    control character itself is refused too: no path this app makes has one.
    """
    if not target or _UNSEEN.search(target):
        return None
    decoded = target
    for _ in range(4):  # %252F → %2F → /
        decoded, before = unquote(decoded), decoded
        if decoded == before:
            break
    seen = _UNSEEN.sub("", decoded).replace("\\", "/")
    if not seen.startswith("/") or seen.startswith("//"):
        return None
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "GET":
        user = current_user()
        if user is not None:
            return redirect(home_url(user.role))
        return render_template("auth/login.html",
                               next=_safe_next(request.args.get("next")) or "")  # fmt: skip
    s = db_session()
    username = request.form.get("username", "")
    result = authenticate(
        s,
        username,
        request.form.get("password", ""),
        client_ip(),
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        max_failures_per_ip=current_app.config["LOGIN_MAX_FAILURES_PER_IP"],
        max_failures_per_account=current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        window_s=current_app.config["LOGIN_WINDOW_S"],
        hash_method=current_app.config["PASSWORD_HASH_METHOD"],
    )
    if result.user is None:
        by = {"account": " (this address, this username)", "address": " (this address)",
              "username": " (this username, all addresses)"}  # fmt: skip
        audit.record(
            s, None, "login_limited" if result.limited else "login_failed",
            f"username {username.strip()[:80]!r}{by.get(result.limited_by, '')}", client_ip(),
        )  # fmt: skip
        s.commit()
        status = 429 if result.limited else 401
        return (
            render_template(
                "auth/login.html",
                error=result.error,
                next=_safe_next(request.form.get("next")) or "",
            ),
            status,
        )
    user = result.user
    audit.record(s, user, "login", "", client_ip())
    s.commit()
    begin_session(user, via="password")
    return redirect(_safe_next(request.form.get("next")) or home_url(user.role))


def begin_session(user: User, *, via: str) -> None:
    """Start a fresh session for ``user`` (no fixation: nothing of the old one is kept), signed
    in ``via`` "password" or "oidc". Every way of signing in ends here: the session's row
    before (an anonymous visitor's, or another account's) is revoked and a new row and token
    are made (``web.sessions.begin``)."""
    sessions.begin(user.id, via, {"uid": user.id, "role": user.role, "via": via})


@bp.route("/password", methods=["GET", "POST"])
@roles("coordinator", "nurse", "ops")
def change_password():
    """Every signed-in user's own change: current password, the new one twice. On success
    every other session of hers ends and this one goes on under a new token."""
    user = signed_in_user()
    forced = user.must_change_password
    if request.method == "GET":
        return render_template("auth/password.html", forced=forced)
    new = request.form.get("new", "")
    s = db_session()
    try:
        if new != request.form.get("again", ""):
            raise UserError("the two new passwords differ")
        accounts.change_password(
            s, user, request.form.get("current", ""), new, ip=client_ip(),
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
        )  # fmt: skip
    except UserError as err:
        s.rollback()
        page = render_template("auth/password.html", forced=forced, error=f"Not changed: {err}.")
        return page, 422
    s.commit()  # before the new session's row is written (SQLite: one writer at a time)
    begin_session(user, via=sessions.current_via() or "password")
    flash("Password changed. Any other sign-in of yours has ended.", "ok")
    return redirect(home_url(user.role))


@bp.route("/logout", methods=["POST"])
@roles("coordinator", "nurse", "ops")
def logout():
    s = db_session()
    audit.record(s, current_user(), "logout", "", client_ip())
    s.commit()
    sessions.end("logout")  # the row is revoked: every copy of the cookie stops working
    return redirect(url_for("auth.login"))

"""Signing in and out.

One message for every failed sign-in (no telling which usernames exist), a limit of
``LOGIN_MAX_FAILURES`` failures per IP and username per ``LOGIN_WINDOW_S`` (counted in the
database), a fresh session on success (no fixation), and sign-out by POST only so that a
link on another site cannot sign a nurse out mid-round.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from web.security import client_ip, current_user, db_session, public, roles
from web.services import audit
from web.services.users import authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")

HOME = {
    "coordinator": "coordinator.index",
    "nurse": "nurse.index",
    "ops": "ops.index",
    "admin": "coordinator.index",
}


def home_url(role: str) -> str:
    return url_for(HOME.get(role, "auth.login"))


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: ``/x`` yes, ``//evil``, ``/\\evil`` or ``https://…`` no."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "GET":
        user = current_user()
        if user is not None:
            return redirect(home_url(user.role))
        return render_template("auth/login.html", next=request.args.get("next", ""))
    s = db_session()
    username = request.form.get("username", "")
    result = authenticate(
        s,
        username,
        request.form.get("password", ""),
        client_ip(),
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        window_s=current_app.config["LOGIN_WINDOW_S"],
    )
    if result.user is None:
        audit.record(
            s, None, "login_limited" if result.limited else "login_failed",
            f"username {username.strip()[:80]!r}", client_ip(),
        )  # fmt: skip
        s.commit()
        status = 429 if result.limited else 401
        return (
            render_template(
                "auth/login.html", error=result.error, next=request.form.get("next", "")
            ),
            status,
        )
    user = result.user
    audit.record(s, user, "login", "", client_ip())
    s.commit()
    session.clear()
    session["uid"] = user.id
    session["role"] = user.role
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")) or home_url(user.role))


@bp.route("/logout", methods=["POST"])
@roles("coordinator", "nurse", "ops")
def logout():
    s = db_session()
    audit.record(s, current_user(), "logout", "", client_ip())
    s.commit()
    session.clear()
    return redirect(url_for("auth.login"))

"""Sign-in state, role checks, CSRF and security headers, wired in one place.

- Every view carries ``@roles(...)`` or ``@public``; ``check_every_view_guarded`` refuses
  to start an app with a view that has neither, so a new route cannot ship unguarded.
- Sessions are rows in the database (``web.sessions``): the cookie is a token only, so
  sign-out, a password change or an admin ends every copy of it at once.
- An account whose password an admin reset must change it before anything else
  (``_check_must_change``).
- CSRF: a random token per session, required on every POST/PUT/PATCH/DELETE, from the form
  field ``csrf_token`` or the ``X-CSRF-Token`` header (for ``fetch``); compared in constant
  time. Own code rather than Flask-WTF because the app has no WTForms forms.
- Headers: a Content-Security-Policy without inline scripts or styles (all JS is in
  ``web/static/*.js``), no framing, no sniffing, no referrer leaking patient URLs.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, current_app, g, jsonify, redirect, request, session, url_for
from sqlalchemy.orm import Session

from web.config import tile_origin
from web.db import Database
from web.models import User

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
GUARD_ATTR = "_hah_guard"
#: Answered without a session or a user (files, probes, metrics): no cookie is read or set.
SESSIONLESS = frozenset({"static", "health.healthz", "health.readyz", "health.metrics"})


def db_session() -> Session:
    """The request's SQLAlchemy session (opened lazily, closed at teardown)."""
    if "db_session" not in g:
        database: Database = current_app.extensions["hah_db"]
        g.db_session = database.session()
    return g.db_session


def current_user() -> User | None:
    return g.get("user")


def signed_in_user() -> User:
    """The user of a view behind ``@roles``, which has already turned anonymous requests away
    (so ``None`` here is a programming error: a view without ``@roles``)."""
    user = current_user()
    if user is None:
        raise RuntimeError("signed_in_user() outside a view guarded by @roles")
    return user


def client_ip() -> str:
    return request.remote_addr or "unknown"


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def roles(*allowed: str) -> Callable:
    """Only signed-in users with one of ``allowed`` roles (admin always) may call the view.

    Anonymous: a redirect to sign in (401 JSON for the API). Wrong role: 403.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            user = current_user()
            if user is None:
                if _wants_json():
                    return jsonify(error="sign in first"), 401
                # Come back here after signing in, but only to pages (a POST cannot be replayed).
                back = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("auth.login", next=back))
            if user.role != "admin" and user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, GUARD_ATTR, ("roles", allowed))
        return wrapper

    return decorator


def public(view: Callable) -> Callable:
    """Marks a view as deliberately open to everyone (sign-in page, OpenAPI document)."""
    setattr(view, GUARD_ATTR, ("public", ()))
    return view


def _session_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_token() -> str:
    """The session's token masked with a fresh one-time pad (``m.<pad>.<token xor pad>``),
    so that it differs in every response and a compressed page cannot leak it (BREACH)."""
    raw = _session_token().encode()
    pad = secrets.token_bytes(len(raw))
    masked = bytes(a ^ b for a, b in zip(raw, pad, strict=True))
    return f"m.{base64.urlsafe_b64encode(pad).decode()}.{base64.urlsafe_b64encode(masked).decode()}"


def _unmask(sent: str) -> str:
    if not sent.startswith("m."):
        return sent  # the bare session token (scripts that read the session's own value)
    try:
        _, pad64, masked64 = sent.split(".")
        pad, masked = base64.urlsafe_b64decode(pad64), base64.urlsafe_b64decode(masked64)
    except ValueError:
        return ""
    if len(pad) != len(masked):
        return ""
    return bytes(a ^ b for a, b in zip(masked, pad, strict=True)).decode(errors="replace")


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    return bool(expected) and bool(sent) and hmac.compare_digest(str(expected), _unmask(str(sent)))


def _load_user() -> None:
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    user = db_session().get(User, uid)
    if user is None or not user.active or session.get("role") != user.role:
        session.clear()  # deleted, disabled or re-roled since sign-in: sign in again
        return
    g.user = user


#: Open to an account that must choose a new password first: that page itself, and signing
#: out (the sessionless endpoints never get this far).
WHILE_MUST_CHANGE = frozenset({"auth.change_password", "auth.logout"})


def _check_must_change():
    """While an account's password must be changed (an admin reset it), every page sends it
    to the change-password page and the API answers 403, so a temporary password is good
    for nothing but choosing a new one."""
    user = current_user()
    if user is None or not user.must_change_password or request.endpoint in WHILE_MUST_CHANGE:
        return None
    if _wants_json():
        return jsonify(error="password change required: choose a new password at "
                       + url_for("auth.change_password")), 403  # fmt: skip
    return redirect(url_for("auth.change_password"))


def _check_csrf():
    if request.method in UNSAFE_METHODS and not _csrf_ok():
        if _wants_json():
            return jsonify(error="CSRF token missing or invalid"), 400
        return (
            "CSRF token missing or invalid: reload the page and try again.",
            400,
            {"Content-Type": "text/plain; charset=utf-8"},
        )
    return None


def _csp(app: Flask) -> str:
    img = ["'self'", "data:"]
    origin = tile_origin(app.config.get("HAH_TILE_URL", ""))
    if origin:
        img.append(origin)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(img)}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_security(app: Flask) -> None:
    """Register the hooks: load the user, check CSRF, set headers, close the DB session."""
    policy = _csp(app)

    @app.before_request
    def _before():
        if request.endpoint in SESSIONLESS:
            return None  # public files and probes: no session, no database
        _load_user()
        return _check_csrf() or _check_must_change()

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", policy)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "no-referrer")
        h.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.path.startswith("/static/"):
            h.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def _close(exc):
        s = g.pop("db_session", None)
        if s is not None:
            if exc is not None:
                s.rollback()
            s.close()

    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user


def check_every_view_guarded(app: Flask) -> None:
    """Refuse to build an app with a view that is neither ``@roles`` nor ``@public``."""
    loose = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], GUARD_ATTR)
    ]
    if loose:
        raise RuntimeError(f"views without @roles or @public: {', '.join(sorted(loose))}")

"""Flask's session, kept in the database (``user_sessions``) instead of a signed cookie.

The cookie ``hah_session`` (HttpOnly, SameSite=Lax, Secure unless ``HAH_SECURE_COOKIES=0``)
holds only a random 256-bit token; ``web.services.sessions`` keeps the row it names. A
signed cookie could not be ended: a copy taken before sign-out kept working after it, and
across restarts. Now each request looks its row up and a session ends when the row says so.

- Signed in (``begin``): a new row and a new token every time, the old row revoked (no
  fixation: a token planted before sign-in is worth nothing after it).
- Anonymous visitors: the sign-in form needs a CSRF token, so a row without a user is made
  the first time a session is written to (not for a visitor who only reads), and purged
  once idle (``web.services.sessions.purge``, run at each sign-in).
- ``last_seen_at`` is written at most once a minute per session (``TOUCH_EVERY``), and the
  values (``data``) only when they changed, so a busy ward does not cost a write a request.
- The sessionless endpoints (``web.security.SESSIONLESS``: static files and probes) get a
  session that reads nothing from the table and writes nothing to it, nor a cookie.

Flask's test client's ``session_transaction`` goes through ``open_session`` and
``save_session`` too, so a test can put a value in a real server-side session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, Request, Response, current_app, session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict
from werkzeug.exceptions import HTTPException

from web.models import utcnow
from web.services import sessions as store


class ServerSession(CallbackDict, SessionMixin):
    """The session's values, and which row they belong to (``row_id``; ``None`` until the
    first write of an anonymous visitor)."""

    def __init__(self, initial: dict | None = None, **state: Any) -> None:
        def on_update(self: ServerSession) -> None:
            self.modified = True

        super().__init__(initial, on_update)
        self.modified = False
        self.token: str | None = state.get("token")
        self.row_id: int | None = state.get("row_id")
        self.user_id: int | None = state.get("user_id")
        self.via: str = state.get("via", "")
        self.expires_at: datetime | None = state.get("expires_at")
        #: the static files and probes: nothing read, nothing written
        self.sessionless: bool = state.get("sessionless", False)
        #: the request sent a cookie (which may now need deleting)
        self.had_cookie: bool = state.get("had_cookie", False)
        #: ``last_seen_at`` is older than ``TOUCH_EVERY``: write it at the end of the request
        self.due: bool = state.get("due", False)
        #: a new token to send (a session begun or rotated in this request)
        self.fresh: bool = False
        #: the row was ended in this request (sign-out): delete the cookie, nothing to save
        self.ended: bool = False


def timeouts(app: Flask) -> store.Timeouts:
    return store.Timeouts.from_config(app.config)


def _sessionless(app: Flask, request: Request) -> bool:
    """Whether the request is for an endpoint answered without a session. The URL is not yet
    matched when a session is opened, so it is matched here (a few microseconds)."""
    from web.security import SESSIONLESS

    adapter = app.create_url_adapter(request)
    if adapter is None:
        return False
    try:
        rule, _ = adapter.match(return_rule=True)
    except HTTPException:
        return False
    return rule.endpoint in SESSIONLESS


class DatabaseSessionInterface(SessionInterface):
    """Sessions as rows of ``user_sessions``, named by the cookie's token."""

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if _sessionless(app, request):
            return ServerSession(sessionless=True)
        token = request.cookies.get(self.get_cookie_name(app), "")
        if not token:
            return ServerSession()
        with app.extensions["hah_db"].session() as s:
            row = store.find_live(s, token, timeouts(app))
            if row is None:
                return ServerSession(had_cookie=True)
            data = dict(row.data or {})
            # Who is signed in is the row's, never a value in the data: only begin() sets it.
            data.pop("uid", None)
            if row.user_id is not None:
                data["uid"] = row.user_id
            return ServerSession(
                data,
                token=token,
                row_id=row.id,
                user_id=row.user_id,
                via=row.via,
                expires_at=row.expires_at,
                had_cookie=True,
                due=utcnow() - row.last_seen_at >= store.TOUCH_EVERY,
            )

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession) or session.sessionless:
            return
        if session.ended or (session.row_id is None and not session):
            if session.had_cookie or session.ended:
                self._delete_cookie(app, response)
            return
        database = app.extensions["hah_db"]
        if session.row_id is None:  # an anonymous visitor's first write
            data = {k: v for k, v in session.items() if k != "uid"}
            with database.session() as s:
                token, row = store.create(s, user_id=None, via="", ip=_ip(), data=data,
                                          timeouts=timeouts(app))  # fmt: skip
                s.commit()
                session.token, session.row_id = token, row.id
            self._set_cookie(app, session, response)
            return
        if not session:  # cleared (an account disabled or re-roled since): end the row
            with database.session() as s:
                store.revoke(s, session.row_id, "cleared")
                s.commit()
            self._delete_cookie(app, response)
            return
        if session.modified or session.due:
            with database.session() as s:
                store.touch(s, session.row_id, dict(session) if session.modified else None)
                s.commit()
        if session.fresh:
            self._set_cookie(app, session, response)

    def _set_cookie(self, app: Flask, session: ServerSession, response: Response) -> None:
        response.set_cookie(
            self.get_cookie_name(app),
            session.token or "",
            # Signed in: the cookie ends with the session (the browser may forget it sooner,
            # the server never later). Anonymous: a browser-session cookie.
            expires=session.expires_at if session.user_id is not None else None,
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )

    def _delete_cookie(self, app: Flask, response: Response) -> None:
        response.delete_cookie(
            self.get_cookie_name(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )


def _ip() -> str:
    from web.security import client_ip

    return client_ip()


def _current() -> ServerSession:
    current = session._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(current, ServerSession):
        raise RuntimeError("the app's session interface is not DatabaseSessionInterface")
    return current


def begin(user_id: int, via: str, values: dict) -> None:
    """Start a signed-in session in this request: revoke the current row (if any), make a
    new row and token holding ``values``, and purge long-dead rows. The new cookie is sent
    with the response."""
    current = _current()
    app = current_app
    limits = timeouts(app)
    with app.extensions["hah_db"].session() as s:
        if current.row_id is not None:
            store.revoke(s, current.row_id, "rotated")
        store.purge(s, limits)
        token, row = store.create(s, user_id=user_id, via=via, ip=_ip(), data=dict(values),
                                  timeouts=limits)  # fmt: skip
        s.commit()
        current.clear()
        current.update(values)
        current.token, current.row_id, current.user_id = token, row.id, user_id
        current.via, current.expires_at = via, row.expires_at
    current.fresh, current.ended, current.modified = True, False, False


def end(reason: str) -> None:
    """End this request's session now (sign-out): its row is revoked, the cookie deleted."""
    current = _current()
    if current.row_id is not None:
        with current_app.extensions["hah_db"].session() as s:
            store.revoke(s, current.row_id, reason)
            s.commit()
    current.clear()
    current.row_id, current.user_id, current.token = None, None, None
    current.ended = True


def current_row_id() -> int | None:
    """The row of this request's session (to keep it when revoking a user's others)."""
    return _current().row_id


def current_via() -> str:
    return _current().via

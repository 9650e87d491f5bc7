"""Server-side sessions (``web.sessions``): a cookie is only a token for a ``user_sessions`` row,
and a session ends when its row says so.

The defect these tests pin down: the session was a signed cookie, so a copy of it taken
before sign-out still worked after it (an attacker measured 35 minutes later, and across a
restart). Each test below copies a cookie into a second client, as a thief would, and checks
that it stops working when it must. Times are moved in the database, never waited for.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.support.web import PASSWORD, csrf, login
from web.models import User, UserSession, utcnow
from web.services import sessions as store

COOKIE = "hah_session"


def cookie_of(client) -> str:
    found = client.get_cookie(COOKIE)
    assert found is not None, "no session cookie"
    return found.value


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie_of(client))
    return thief


def signed_in(client) -> bool:
    r = client.get("/api/me")
    assert r.status_code in (200, 401), r.status_code
    return r.status_code == 200


def row_of(db, client) -> UserSession:
    db.expire_all()
    row = db.scalar(select(UserSession).where(
        UserSession.token_hash == store.hash_token(cookie_of(client))))  # fmt: skip
    assert row is not None
    return row


def test_the_cookie_holds_a_token_and_the_row_only_its_hash(as_role, db, users):
    c = as_role("nurse")
    token = cookie_of(c)
    assert len(token) >= 43 and "." not in token  # 32 random bytes, no signed payload
    row = row_of(db, c)
    assert row.token_hash == store.hash_token(token) != token
    assert row.user_id == users["nurse"].id and row.via == "password"
    assert row.data["role"] == "nurse" and token not in str(row.data)
    header = next(h for h in c.get("/auth/login").headers.getlist("Set-Cookie") or [""])
    assert header == ""  # a signed-in page view sends no new cookie: the token stays the same


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, as_role, db):
    nurse = as_role("nurse")
    thief = copy_of(app, nurse)
    assert signed_in(thief)  # a copy works while the session lives (it is a bearer token)
    r = nurse.post("/auth/logout", data={"csrf_token": csrf(nurse)})
    assert r.status_code == 302
    assert not signed_in(thief)
    assert not signed_in(nurse)
    assert thief.get("/nurse/").status_code == 302  # pages: back to sign in
    revoked = db.scalars(select(UserSession).where(UserSession.revoked_reason == "logout"))
    assert len(list(revoked)) == 1


def test_a_restarted_app_keeps_live_sessions_and_ended_ones_ended(app, as_role, db_url, tmp_path):
    from web import create_app

    live, ended = as_role("nurse"), as_role("coord")
    live_cookie, ended_cookie = cookie_of(live), cookie_of(ended)
    ended.post("/auth/logout", data={"csrf_token": csrf(ended)})
    again = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "another-key",
                        "INSTANCE_DIR": tmp_path / "again", "HAH_JOB_RUNNER": "thread"})  # fmt: skip
    try:
        a, b = again.test_client(), again.test_client()
        a.set_cookie(COOKIE, live_cookie)
        b.set_cookie(COOKIE, ended_cookie)
        assert a.get("/api/me").get_json()["username"] == "nurse"
        assert b.get("/api/me").status_code == 401
    finally:
        again.extensions["hah_db"].dispose()


def test_sign_in_rotates_the_token_so_a_planted_one_is_worth_nothing(app, client, users, db):
    """Session fixation: an attacker's pre-login token, planted in a nurse's browser, is not
    signed in after she signs in; her browser has a new token."""
    client.get("/auth/login")
    planted = cookie_of(client)
    attacker = app.test_client()
    attacker.set_cookie(COOKIE, planted)
    before_csrf = csrf(client)
    assert login(client, "nurse").status_code == 302
    assert cookie_of(client) != planted
    assert signed_in(client) and not signed_in(attacker)
    db.expire_all()
    old = db.scalar(select(UserSession).where(UserSession.token_hash == store.hash_token(planted)))
    assert old is not None and old.revoked_at is not None and old.revoked_reason == "rotated"
    assert csrf(client) != before_csrf  # nothing of the anonymous session is kept


def test_a_value_written_into_the_data_does_not_sign_anyone_in(app, client, users):
    """Who is signed in is the row's ``user_id``, set only by begin_session: a ``uid`` in
    the session's values (here written straight into it) is ignored."""
    with client.session_transaction() as sess:
        sess["uid"] = users["admin"].id
        sess["role"] = "admin"
    assert not signed_in(client)


def test_idle_sessions_end(as_role, db, app):
    c = as_role("nurse")
    row = row_of(db, c)
    idle = timedelta(minutes=app.config["HAH_SESSION_IDLE_MIN"])
    row.last_seen_at = utcnow() - idle + timedelta(minutes=2)
    db.commit()
    assert signed_in(c)  # still within the timeout (and now marked seen)
    row = row_of(db, c)
    assert utcnow() - row.last_seen_at < timedelta(seconds=30)
    row.last_seen_at = utcnow() - idle - timedelta(seconds=1)
    db.commit()
    assert not signed_in(c)
    assert c.get("/nurse/").status_code == 302


def test_a_session_ends_at_its_absolute_end_however_active(as_role, db):
    c = as_role("coord")
    row = row_of(db, c)
    assert timedelta(hours=11.9) < row.expires_at - row.created_at <= timedelta(hours=12)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert not signed_in(c)


def test_activity_is_written_at_most_once_a_minute(as_role, db):
    c = as_role("nurse")
    seen = utcnow() - timedelta(seconds=20)
    row = row_of(db, c)
    row.last_seen_at = seen
    db.commit()
    for _ in range(3):
        assert signed_in(c)
    assert row_of(db, c).last_seen_at == seen  # not written: seen less than a minute ago
    row = row_of(db, c)
    row.last_seen_at = utcnow() - timedelta(seconds=61)
    db.commit()
    assert signed_in(c)
    assert utcnow() - row_of(db, c).last_seen_at < timedelta(seconds=30)


def test_probes_and_static_files_never_touch_the_sessions_table(app, as_role, monkeypatch):
    c = as_role("nurse")

    def refuse(*args, **kwargs):
        raise AssertionError("the sessions table was used")

    for name in ("find_live", "create", "touch", "revoke", "purge"):
        monkeypatch.setattr(store, name, refuse)
    for url in ("/healthz", "/static/app.css"):
        r = c.get(url)
        assert r.status_code == 200, url
        assert "Set-Cookie" not in r.headers, url


def test_a_disabled_account_is_signed_out_at_once(app, as_role, db, users):
    c = as_role("nurse")
    thief = copy_of(app, c)
    user = db.get(User, users["nurse"].id)
    user.active = False  # even disabled behind the app's back (not through the admin page)
    db.commit()
    assert not signed_in(c) and not signed_in(thief)
    user.active = True
    db.commit()
    assert not signed_in(thief)  # the row was ended, not merely refused while disabled


def test_anonymous_visitors_get_a_row_only_when_their_session_is_written(app, db, users):
    count = lambda: db.scalar(select(func.count(UserSession.id)))  # noqa: E731
    c = app.test_client()
    c.get("/api/openapi.json")  # reads no session value that needs keeping
    assert count() == 0 and c.get_cookie(COOKIE) is None
    c.get("/auth/login")  # the form's CSRF token: the visitor's first write
    assert count() == 1
    row = row_of(db, c)
    assert row.user_id is None and "csrf" in row.data


def test_long_dead_rows_are_purged_at_sign_in(app, client, db, users):
    old = utcnow() - timedelta(days=2)
    for reason, revoked, expires in (("logout", old, utcnow() + timedelta(hours=1)),
                                     ("", None, old)):  # fmt: skip
        db.add(UserSession(token_hash=store.hash_token(reason or "expired"), user_id=None,
                           data={}, via="", ip="", created_at=old, last_seen_at=old,
                           expires_at=expires, revoked_at=revoked, revoked_reason=reason))
    recent = UserSession(token_hash=store.hash_token("recent"), user_id=None, data={}, via="",
                         ip="", created_at=utcnow(), last_seen_at=utcnow(),
                         expires_at=utcnow() + timedelta(hours=1), revoked_at=utcnow(),
                         revoked_reason="logout")  # fmt: skip
    db.add(recent)
    db.commit()
    assert login(client, "nurse").status_code == 302
    db.expire_all()
    hashes = set(db.scalars(select(UserSession.token_hash)))
    assert store.hash_token("logout") not in hashes and store.hash_token("expired") not in hashes
    assert store.hash_token("recent") in hashes  # dead less than a day: kept to look at


def test_session_transaction_reaches_the_server_side_session(as_role, db):
    """tests/support/web.csrf writes through Flask's session_transaction: it must land in the
    row, and the app must accept the token."""
    c = as_role("coord")
    token = csrf(c)
    assert row_of(db, c).data["csrf"] == token
    assert c.post("/auth/logout", data={"csrf_token": token}).status_code == 302


def test_a_wrong_password_still_answers_as_before(client, users):
    client.get("/auth/login")
    r = client.post("/auth/login", data={"username": "nurse", "password": PASSWORD + "x",
                                         "csrf_token": csrf(client)})  # fmt: skip
    assert r.status_code == 401 and not signed_in(client)

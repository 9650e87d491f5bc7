"""Signing in: one message for every failure, the guessing limit, cookies and headers."""

from __future__ import annotations

import pytest

from tests.support.web import PASSWORD, csrf, login, text_of


def test_login_page_is_public_and_root_redirects_there(client):
    assert client.get("/auth/login").status_code == 200
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/login")


@pytest.mark.parametrize(
    ("user", "home"),
    [
        ("coord", "/coordinator/"),
        ("nurse", "/nurse/"),
        ("ops", "/ops/"),
        ("admin", "/coordinator/"),
    ],
)
def test_each_role_lands_on_its_home(app, users, user, home):
    c = app.test_client()
    r = login(c, user)
    assert r.status_code == 302 and r.headers["Location"] == home


def test_unknown_user_and_wrong_password_get_the_same_answer(client, users):
    unknown = login(client, "nobody")
    wrong = login(client, "coord", "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert text_of(unknown) == text_of(wrong)
    assert "Unknown username or wrong password." in text_of(wrong)


def test_disabled_account_cannot_sign_in(client, users, db):
    users["ops"].active = False
    db.commit()
    assert login(client, "ops").status_code == 401


def test_fifth_failure_locks_that_username_from_that_ip(app, users):
    c = app.test_client()
    for _ in range(5):
        assert login(c, "coord", "guess").status_code == 401
    limited = login(c, "coord", PASSWORD)  # even the right password is refused now
    assert limited.status_code == 429
    assert "Too many failed sign-ins" in text_of(limited)
    assert login(c, "ops").status_code == 302  # other usernames are not locked


def test_the_limit_counts_only_recent_failures(app, users, db):
    from datetime import timedelta

    from sqlalchemy import update

    from web.models import LoginFailure

    c = app.test_client()
    for _ in range(5):
        login(c, "coord", "guess")
    db.execute(update(LoginFailure).values(at=LoginFailure.at - timedelta(minutes=6)))
    db.commit()
    assert login(c, "coord").status_code == 302


def test_success_clears_the_failures(app, users):
    c = app.test_client()
    for _ in range(4):
        login(c, "coord", "guess")
    assert login(c, "coord").status_code == 302
    c2 = app.test_client()
    for _ in range(4):
        assert login(c2, "coord", "guess").status_code == 401  # counting restarted


def test_failed_and_successful_sign_ins_are_audited(client, users, db):
    from sqlalchemy import select

    from web.models import AuditLog

    login(client, "coord", "guess")
    login(client, "coord")
    actions = db.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["login_failed", "login"]


OFF_SITE = ["//evil.example/x", "/%09/evil.example/", "/\t/evil.example/", "/\n/evil.example",
            "/\\evil.example", "\\\\evil.example", "/%5Cevil.example", "/%2F%2Fevil.example",
            "%2F%2Fevil.example", "/%252F%252Fevil.example", " //evil.example", "/%20/evil.example",
            "https://evil.example/", "http:/evil.example", "javascript:alert(1)",
            "/\x00/evil.example", "/%00/evil.example", "evil.example", "/\u3000/evil.example",
            "/%E3%80%80/evil.example"]  # fmt: skip


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_leaves_the_site(client, users, target):
    """``next=/%09/evil.example/`` redirected off-site: browsers drop the tab."""
    client.get("/auth/login")
    form = {"username": "coord", "password": PASSWORD, "csrf_token": csrf(client)}
    r = client.post("/auth/login", data=form | {"next": target})
    if "\x00" in target:  # refused before sign-in: no field may hold a NUL (web.errors)
        assert r.status_code == 400
    else:
        assert r.status_code == 302 and r.headers["Location"] == "/coordinator/"


@pytest.mark.parametrize("target", ["/ops/audit", "/coordinator/day/2026-11-23?version=3",
                                    "/nurse/route/2026-11-23/C%20002", "/x?next=//y"])  # fmt: skip
def test_next_goes_to_a_path_on_this_site(client, users, target):
    client.get("/auth/login")
    form = {"username": "coord", "password": PASSWORD, "csrf_token": csrf(client)}
    r = client.post("/auth/login", data=form | {"next": target})
    assert r.headers["Location"] == target


def test_the_sign_in_page_does_not_carry_an_off_site_next(client):
    page = client.get("/auth/login?next=/%09/evil.example/").get_data(as_text=True)
    assert "evil.example" not in page


def test_one_address_spraying_many_usernames_is_stopped(app, users):
    """Three guesses at each of many accounts never hit the per-username limit; the
    per-address one stops them (and only that address)."""
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 6
    sprayer, other = app.test_client(), app.test_client()
    sprayer.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    other.environ_base["REMOTE_ADDR"] = "10.2.2.2"
    for name in ("coord", "nurse", "nurse2", "ops", "admin", "ghost"):
        assert login(sprayer, name, "Summer2025!").status_code == 401
    limited = login(sprayer, "ops")  # the right password, from the spraying address
    assert limited.status_code == 429 and "Too many failed sign-ins" in text_of(limited)
    assert login(other, "ops").status_code == 302


def test_the_per_address_limit_is_read_from_the_environment(db_url, tmp_path, monkeypatch):
    from web import create_app

    monkeypatch.setenv("HAH_LOGIN_MAX_FAILURES_PER_IP", "7")
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "k",
                      "INSTANCE_DIR": tmp_path / "i"})  # fmt: skip
    assert app.config["LOGIN_MAX_FAILURES_PER_IP"] == 7
    app.extensions["hah_db"].dispose()


def test_next_parameter_only_goes_to_this_site(client, users):
    client.get("/auth/login")
    token = csrf(client)
    form = {"username": "coord", "password": PASSWORD, "csrf_token": token}
    r = client.post("/auth/login", data=form | {"next": "//evil.example/x"})
    assert r.headers["Location"] == "/coordinator/"
    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    client.get("/auth/login")
    form["csrf_token"] = csrf(client)
    r = client.post("/auth/login", data=form | {"next": "/ops/audit"})
    assert r.headers["Location"] == "/ops/audit"


def test_logout_needs_post_and_ends_the_session(as_role):
    c = as_role("coord")
    assert c.get("/auth/logout").status_code == 405
    r = c.post("/auth/logout", data={"csrf_token": csrf(c)})
    assert r.status_code == 302
    assert c.get("/coordinator/").status_code == 302  # back to sign-in


def test_session_cookie_flags(app, users):
    c = app.test_client()
    r = login(c, "coord")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # TESTING turns Secure off


def test_secure_cookie_outside_testing(db_url, tmp_path, monkeypatch):
    from web import create_app

    monkeypatch.delenv("HAH_SECURE_COOKIES", raising=False)
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "k", "INSTANCE_DIR": tmp_path})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    r = app.test_client().get("/auth/login")
    assert "Secure" in r.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in r.headers
    app.extensions["hah_db"].dispose()


def test_security_headers_and_a_csp_without_inline_script(client):
    r = client.get("/auth/login")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "no-referrer"


def test_tile_server_is_allowed_by_the_csp_only_when_configured(db_url, tmp_path):
    from web import create_app

    app = create_app(
        {
            "DATABASE_URL": db_url,
            "TESTING": True,
            "SECRET_KEY": "k",
            "INSTANCE_DIR": tmp_path,
            "HAH_TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
        }
    )
    csp = app.test_client().get("/auth/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tiles.example.org" in csp
    app.extensions["hah_db"].dispose()


def test_a_changed_role_ends_the_session(as_role, users, db):
    c = as_role("ops")
    users["ops"].role = "nurse"
    db.commit()
    assert c.get("/ops/").status_code == 302  # signed out: must sign in again


def test_behind_a_proxy_the_sign_in_limit_counts_clients_not_the_proxy(db_url, tmp_path, users):
    """With HAH_PROXY_HOPS=1 the client's address comes from X-Forwarded-For, so one client
    guessing passwords locks out herself, not everyone behind the proxy; without it a forged
    header is ignored."""
    from tests.support.web import login
    from web import create_app
    from web.security import client_ip

    def app_with(hops: int):
        return create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "k",
                           "INSTANCE_DIR": tmp_path / "i", "HAH_PROXY_HOPS": hops,
                           "LOGIN_MAX_FAILURES": 2})  # fmt: skip

    proxied = app_with(1)
    a, b = proxied.test_client(), proxied.test_client()
    a.environ_base["HTTP_X_FORWARDED_FOR"] = "10.0.0.1"
    b.environ_base["HTTP_X_FORWARDED_FOR"] = "10.0.0.2"
    for _ in range(3):
        login(a, "coord", "wrong")
    assert login(a, "coord").status_code != 302  # client A is locked out
    assert login(b, "coord").status_code == 302  # client B, behind the same proxy, is not
    direct = app_with(0)
    with direct.test_request_context(headers={"X-Forwarded-For": "10.0.0.9"}):
        assert client_ip() != "10.0.0.9"  # the forged header is not trusted
    proxied.extensions["hah_db"].dispose()
    direct.extensions["hah_db"].dispose()

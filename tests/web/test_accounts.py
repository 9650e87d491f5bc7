"""The account lifecycle (``web.services.accounts``): the admin page and ``/api/users``, the
change-password page, the forced change after a reset, ``hah users …``, and the per-account
sign-in limit. Each admin action must end the account's sessions at once: a copy of a cookie
taken before it is refused after it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from scheduler.cli import main
from tests.support.web import PASSWORD, csrf, login, text_of
from tests.web.test_sessions import copy_of, signed_in
from web.models import AuditLog, User

NEW = "a brand new phrase for rounds"
TEMP = "temporary phrase to change"


def user(db, name: str) -> User:
    db.expire_all()
    found = db.scalar(select(User).where(User.username == name))
    assert found is not None
    return found


def audit_details(db) -> str:
    db.expire_all()
    return " ".join(f"{e.action} {e.detail}" for e in db.scalars(select(AuditLog)))


# --- the admin page ---------------------------------------------------------------------------


def test_the_accounts_page_lists_every_account(as_role, users):
    nurse = as_role("nurse")
    nurse.get("/nurse/")
    page = as_role("admin").get("/admin/accounts/")
    assert page.status_code == 200
    text = text_of(page)
    assert "nurse nurse C002 yes no" in text  # username, role, clinician, active, must change
    assert re.search(r"nurse nurse C002 yes no \d{4}-\d\d-\d\d \d\d:\d\d 1 ", text), text
    assert "ops ops — yes no never 0" in text
    for forms in ("Disable", "Re-enable", "Sign out everywhere", "Reset password"):
        assert forms in text or forms == "Re-enable"
    assert as_role("coord").get("/admin/accounts/").status_code == 403


def test_disable_from_the_page_needs_csrf_and_ends_every_session(app, as_role, db):
    admin, nurse = as_role("admin"), as_role("nurse")
    thief = copy_of(app, nurse)
    r = admin.post("/admin/accounts/nurse/disable", data={})
    assert r.status_code == 400 and user(db, "nurse").active  # no token: nothing done
    r = admin.post("/admin/accounts/nurse/disable", data={"csrf_token": csrf(admin)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/accounts/")
    assert not user(db, "nurse").active
    assert not signed_in(nurse) and not signed_in(thief)
    assert "nurse disabled; 1 open sessions ended." in text_of(admin.get("/admin/accounts/"))
    c = app.test_client()
    r = login(c, "nurse")
    assert r.status_code == 401 and "Unknown username or wrong password." in text_of(r)
    r = admin.post("/admin/accounts/nurse/enable", data={"csrf_token": csrf(admin)})
    assert user(db, "nurse").active
    assert login(app.test_client(), "nurse").status_code == 302
    assert not signed_in(thief)  # re-enabling does not bring an ended session back
    assert "user_disable nurse (1 sessions ended)" in audit_details(db)
    assert "user_enable nurse" in audit_details(db)


def test_an_admin_cannot_disable_herself(as_role, db):
    admin = as_role("admin")
    r = admin.post("/admin/accounts/admin/disable", data={"csrf_token": csrf(admin)})
    assert r.status_code == 302 and user(db, "admin").active
    assert "you cannot disable your own account" in text_of(admin.get("/admin/accounts/"))


def test_sign_out_everywhere_from_the_page(app, as_role, db):
    admin, phone, laptop = as_role("admin"), as_role("nurse"), as_role("nurse")
    r = admin.post("/admin/accounts/nurse/sign-out", data={"csrf_token": csrf(admin)})
    assert r.status_code == 302
    assert not signed_in(phone) and not signed_in(laptop) and signed_in(admin)
    assert user(db, "nurse").active  # she may sign in again
    assert login(app.test_client(), "nurse").status_code == 302


def test_reset_from_the_page_forces_a_change_at_the_next_sign_in(app, as_role, db):
    admin, nurse = as_role("admin"), as_role("nurse")
    thief = copy_of(app, nurse)
    r = admin.post("/admin/accounts/nurse/reset", data={"csrf_token": csrf(admin), "password":
                                                        "short"})  # fmt: skip
    assert "Not done: a password is at least 12 characters" in text_of(admin.get(r.headers["Location"]))
    assert not user(db, "nurse").must_change_password and signed_in(nurse)
    r = admin.post("/admin/accounts/nurse/reset", data={"csrf_token": csrf(admin),
                                                        "password": TEMP})  # fmt: skip
    assert r.status_code == 302 and user(db, "nurse").must_change_password
    assert not signed_in(nurse) and not signed_in(thief)
    assert TEMP not in audit_details(db)
    assert TEMP not in admin.get("/admin/accounts/").get_data(as_text=True)
    assert login(app.test_client(), "nurse").status_code == 401  # the old password is gone

    c = app.test_client()
    assert login(c, "nurse", TEMP).status_code == 302
    for page in ("/nurse/", "/", "/nurse/route/2026-11-23/C002"):
        r = c.get(page)
        assert r.status_code == 302 and r.headers["Location"].endswith("/auth/password"), page
    r = c.get("/api/me")
    assert r.status_code == 403 and "password change required" in r.get_json()["error"]
    assert "Your password was reset" in text_of(c.get("/auth/password"))
    assert c.get("/static/app.css").status_code == 200
    r = c.post("/auth/password", data={"csrf_token": csrf(c), "current": TEMP, "new": NEW,
                                       "again": NEW})  # fmt: skip
    assert r.status_code == 302
    assert c.get("/api/me").status_code == 200
    assert "/auth/password" not in c.get("/nurse/").headers.get("Location", "")
    u = user(db, "nurse")
    assert not u.must_change_password and u.password_changed_at is not None


def test_sign_out_still_works_while_a_change_is_forced(app, as_role, db):
    admin = as_role("admin")
    admin.post("/admin/accounts/nurse/reset", data={"csrf_token": csrf(admin), "password": TEMP})
    c = app.test_client()
    login(c, "nurse", TEMP)
    assert c.post("/auth/logout", data={"csrf_token": csrf(c)}).status_code == 302
    assert not signed_in(c)


# --- the API ----------------------------------------------------------------------------------


def test_the_users_api(app, as_role, db):
    admin, nurse = as_role("admin"), as_role("nurse")
    h = {"X-CSRF-Token": csrf(admin)}
    listed = admin.get("/api/users").get_json()["users"]
    assert {u["username"] for u in listed} == {"admin", "coord", "nurse", "nurse2", "ops"}
    row = next(u for u in listed if u["username"] == "nurse")
    assert row["open_sessions"] == 1 and row["active"] and row["clinician_id"] == "C002"
    assert row["last_sign_in"].endswith("Z")
    assert as_role("coord").get("/api/users").status_code == 403
    assert nurse.post("/api/users/ops/disable", headers={"X-CSRF-Token": csrf(nurse)}).status_code == 403
    assert admin.post("/api/users/nurse/disable").status_code == 400  # no CSRF header
    assert admin.post("/api/users/nobody/disable", headers=h).get_json() == {"error": "not found"}
    assert admin.post("/api/users/nurse/disable", data="[]", headers=h,
                      content_type="application/json").status_code == 400  # fmt: skip
    r = admin.post("/api/users/nurse/disable", headers=h)
    assert r.status_code == 200 and r.get_json()["user"]["active"] is False
    assert r.get_json()["user"]["open_sessions"] == 0 and not signed_in(nurse)
    assert admin.post("/api/users/admin/disable", headers=h).status_code == 422
    assert admin.post("/api/users/nurse/enable", headers=h).get_json()["user"]["active"] is True
    for body in ({}, {"password": 5}, {"password": "password"}):
        r = admin.post("/api/users/nurse/reset", json=body, headers=h)
        assert r.status_code == 422 and r.get_json()["error"], body
    r = admin.post("/api/users/nurse/reset", json={"password": TEMP}, headers=h)
    assert r.status_code == 200 and r.get_json()["user"]["must_change_password"] is True
    assert TEMP not in r.get_data(as_text=True)
    c = as_role("coord")
    r = admin.post("/api/users/coord/sign-out", headers=h)
    assert r.status_code == 200 and "2 sessions ended" in r.get_json()["message"]  # both coords
    assert not signed_in(c)


# --- changing one's own password --------------------------------------------------------------


def test_change_password_ends_the_other_sessions_and_rotates_this_one(app, as_role, db):
    phone, laptop = as_role("nurse"), as_role("nurse")
    copied = copy_of(app, phone)  # a copy of the very session that changes the password
    r = phone.post("/auth/password", data={"csrf_token": csrf(phone), "current": PASSWORD,
                                           "new": NEW, "again": NEW})  # fmt: skip
    assert r.status_code == 302
    assert signed_in(phone)  # goes on, under a new token
    assert not signed_in(laptop) and not signed_in(copied)
    assert login(app.test_client(), "nurse").status_code == 401
    assert login(app.test_client(), "nurse", NEW).status_code == 302
    assert NEW not in audit_details(db) and PASSWORD not in audit_details(db)


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("wrong current password", NEW, NEW, "the current password is wrong"),
        (PASSWORD, NEW, NEW + "!", "the two new passwords differ"),
        (PASSWORD, "short", "short", "at least 12 characters"),
        (PASSWORD, "nurse is my password", "nurse is my password", "contain the username"),
        (PASSWORD, PASSWORD, PASSWORD, "must differ"),
    ],
)
def test_change_password_refusals(as_role, db, current, new, again, message):
    c = as_role("nurse")
    before = user(db, "nurse").password_hash
    r = c.post("/auth/password", data={"csrf_token": csrf(c), "current": current, "new": new,
                                       "again": again})  # fmt: skip
    assert r.status_code == 422 and message in text_of(r)
    assert user(db, "nurse").password_hash == before and signed_in(c)


# --- the command line -------------------------------------------------------------------------


def test_command_line_lifecycle(app, as_role, db, db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    nurse = as_role("nurse")
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^nurse\s+nurse\s+C002\s+yes\s+no\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+1$", out, re.M)

    assert main(["users", "sign-out", "nurse"]) == 0
    assert "1 sessions ended" in capsys.readouterr().out and not signed_in(nurse)

    nurse = as_role("nurse")
    assert main(["users", "disable", "nurse"]) == 0
    assert "disabled nurse; 1 open sessions ended" in capsys.readouterr().out
    assert not signed_in(nurse) and login(app.test_client(), "nurse").status_code == 401
    assert main(["users", "enable", "nurse"]) == 0
    assert login(app.test_client(), "nurse").status_code == 302
    capsys.readouterr()

    monkeypatch.setenv("HAH_TEMP", TEMP)
    assert main(["users", "reset", "nurse", "--password-env", "HAH_TEMP"]) == 0
    out = capsys.readouterr().out
    assert TEMP not in out and "must be changed" in out
    assert user(db, "nurse").must_change_password
    monkeypatch.setenv("HAH_TEMP", "short")
    assert main(["users", "reset", "nurse", "--password-env", "HAH_TEMP"]) == 2
    assert "at least 12" in capsys.readouterr().err

    assert main(["users", "reset", "ops"]) == 0
    out = capsys.readouterr().out
    made = re.search(r"temporary password \(shown once\): (\S+)", out)
    assert made and login(app.test_client(), "ops", made.group(1)).status_code == 302
    assert made.group(1) not in audit_details(db)
    assert "cli" in {e.ip for e in db.scalars(select(AuditLog))}

    for command in ("disable", "enable", "sign-out", "reset"):
        assert main(["users", command, "nobody"]) == 2
        assert "no account 'nobody'" in capsys.readouterr().err


# --- the per-account sign-in limit ------------------------------------------------------------


def test_the_per_account_limit_holds_across_addresses(app, users, db):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 3
    for n in range(3):
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = f"127.0.1.{n + 1}"
        assert login(c, "nurse", "not her password").status_code == 401
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "127.0.1.99"
    r = login(c, "nurse")  # the right password, from a fresh address: still refused
    assert r.status_code == 429 and "Too many failed sign-ins" in text_of(r)
    assert "(this username, all addresses)" in audit_details(db)
    assert login(c, "nurse2").status_code == 302  # other accounts are not affected

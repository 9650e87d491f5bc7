"""``web.admin`` and ``hah users add``: accounts are made from the command line."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.cli import main
from tests.support.web import login
from web import admin
from web.services.users import UserError


def test_users_add_makes_an_account_that_can_sign_in(app, db_url):
    uid = admin.users_add("sister", "nurse", "a long password", clinician_id="C002",
                        database_url=db_url)  # fmt: skip
    assert uid > 0
    c = app.test_client()
    r = login(c, "sister", "a long password")
    assert r.status_code == 302 and r.headers["Location"] == "/nurse/"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x", "nurse", "a long password"), "clinician_id"),
        (("x", "surgeon", "a long password"), "role must be"),
        (("x", "ops", "short"), "at least 12"),
        (("x", "ops", "password"), "most common"),
        (("x", "ops", "aaaaaaaaaaaa"), "one character repeated"),
    ],
)
def test_users_add_refuses_bad_accounts(db_url, args, message):
    with pytest.raises(UserError, match=message):
        admin.users_add(*args, database_url=db_url)


def test_users_add_refuses_a_taken_name(db_url):
    admin.users_add("lead", "ops", "a long password", database_url=db_url)
    with pytest.raises(UserError, match="exists"):
        admin.users_add("lead", "coordinator", "a long password", database_url=db_url)


def test_command_line_users_add(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("HAH_NEW_PASSWORD", "a long password")
    assert main(["users", "add", "ann", "--role", "coordinator",
                     "--password-env", "HAH_NEW_PASSWORD"]) == 0  # fmt: skip
    assert "added ann (coordinator)" in capsys.readouterr().out
    assert main(["users", "add", "ann", "--role", "coordinator",
                     "--password-env", "HAH_NEW_PASSWORD"]) == 2  # fmt: skip
    assert "exists" in capsys.readouterr().err


def test_serve_runs_gunicorn_with_workers_and_no_migration_in_them(db_url, monkeypatch):
    """``hah serve`` is gunicorn: several gthread workers, the master migrating once, each
    worker's app built with migration off."""
    calls: dict[str, Any] = {}

    def fake_run(self):
        calls["cfg"] = {k: self.cfg.settings[k].get() for k in
                        ("bind", "workers", "threads", "worker_class", "accesslog")}  # fmt: skip
        calls["app"] = self.load()

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setattr("gunicorn.app.base.BaseApplication.run", fake_run)
    assert main(["serve", "--port", "8123", "--workers", "3", "--threads", "5"]) == 0
    cfg = calls["cfg"]
    assert cfg["bind"] == ["127.0.0.1:8123"] and (cfg["workers"], cfg["threads"]) == (3, 5)
    assert cfg["worker_class"] == "gthread" and cfg["accesslog"] is None
    assert calls["app"].config["HAH_MIGRATE"] is False
    assert calls["app"].url_map.bind("x").match("/api/openapi.json")
    calls["app"].extensions["hah_db"].dispose()


def test_the_development_server_is_behind_dev(db_url, monkeypatch):
    calls: dict[str, Any] = {}

    def fake_run_simple(host, port, app, **kw):
        calls.update(host=host, port=port, app=app, **kw)

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setattr("werkzeug.serving.run_simple", fake_run_simple)
    assert main(["serve", "--dev", "--port", "8123"]) == 0
    assert calls["port"] == 8123 and calls["host"] == "127.0.0.1" and calls["threaded"]
    assert calls["app"].url_map.bind("x").match("/api/openapi.json")
    calls["app"].extensions["hah_db"].dispose()

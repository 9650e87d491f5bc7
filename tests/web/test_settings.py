"""docs/web.md's settings table and the code agree, both ways: every documented variable is
read, and every variable the code reads is documented.

Issue 12 found two documented settings never read: ``HAH_CAPACITY_WORKERS`` (in the capacity
section; the app looked it up in its configuration, where nothing put it) and
``HAH_PASSWORD_HASH_METHOD`` (read into the configuration, used by nothing). Each now has a
test that it changes what it says it changes.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.web import TESTS

ROOT = TESTS.parent
#: Read by the code but not settings of a deployment: set by one process for another, or
#: by tests.
INTERNAL = {"HAH_WORKER_PID", "HAH_RUNNER", "HAH_CAPACITY_RUNNER", "PROMETHEUS_MULTIPROC_DIR"}


def documented() -> set[str]:
    text = (ROOT / "docs" / "web.md").read_text()
    table = text.split("## Settings (environment)", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def read_by_code() -> set[str]:
    """Variables the product reads from the environment: ``os.environ.get("X")`` and the
    config helpers (``_flag``, ``_int``, ``env_float``)."""
    pattern = re.compile(
        r"(?:environ(?:\.get)?\(|environ\[|_flag\(|_int\(|_int_env\(|env_float\()\s*\"([A-Z][A-Z0-9_]+)\""
    )
    names: set[str] = set()
    for folder in ("web", "scheduler/cli"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(pattern.findall(path.read_text()))
    return names


def test_every_documented_setting_is_read_and_every_setting_read_is_documented():
    docs, code = documented(), read_by_code()
    assert docs - code == set(), "documented but never read"
    assert (code - INTERNAL) - docs == set(), "read but not in docs/web.md's settings table"


def test_each_setting_of_the_app_reaches_its_configuration(monkeypatch):
    """Set to a value unlike its default, each app setting changes ``from_env``'s answer."""
    from web import config

    values = {
        "DATABASE_URL": ("DATABASE_URL", "sqlite:////tmp/elsewhere.sqlite3"),
        "SECRET_KEY": ("SECRET_KEY", "k" * 32),
        "HAH_TILE_URL": ("HAH_TILE_URL", "https://tiles.example/{z}/{x}/{y}.png"),
        "HAH_TILE_ATTRIBUTION": ("HAH_TILE_ATTRIBUTION", "© someone"),
        "HAH_SECURE_COOKIES": ("SESSION_COOKIE_SECURE", False, "0"),
        "HAH_JOB_RUNNER": ("HAH_JOB_RUNNER", "thread"),
        "HAH_REDIS_URL": ("HAH_REDIS_URL", "redis://10.0.0.9:6380/2"),
        "HAH_QUEUE_PREFIX": ("HAH_QUEUE_PREFIX", "trust2"),
        "HAH_SOLVE_SECONDS": ("HAH_SOLVE_SECONDS", 45.0, "45"),
        "HAH_MAX_SOLVE_SECONDS": ("HAH_MAX_SOLVE_SECONDS", 90.0, "90"),
        "HAH_MAX_VISITS": ("HAH_MAX_VISITS", 1234, "1234"),
        "HAH_MAX_SHIFTS": ("HAH_MAX_SHIFTS", 77, "77"),
        "HAH_CAPACITY_WORKERS": ("HAH_CAPACITY_WORKERS", 3, "3"),
        "HAH_RAY_ADDRESS": ("HAH_RAY_ADDRESS", "auto"),
        "HAH_TODAY": ("HAH_TODAY", "2026-01-02"),
        "HAH_NOW": ("HAH_NOW", "2026-01-02T10:00"),
        "HAH_MIGRATE": ("HAH_MIGRATE", False, "0"),
        "HAH_LOGIN_MAX_FAILURES": ("LOGIN_MAX_FAILURES", 9, "9"),
        "HAH_LOGIN_WINDOW_S": ("LOGIN_WINDOW_S", 99, "99"),
        "HAH_PROXY_HOPS": ("HAH_PROXY_HOPS", 2, "2"),
        "HAH_PASSWORD_HASH_METHOD": ("PASSWORD_HASH_METHOD", "pbkdf2:sha256:5000"),
        "HAH_METRICS_TOKEN": ("HAH_METRICS_TOKEN", "t0ken"),
        "HAH_OIDC_ISSUER": ("HAH_OIDC_ISSUER", "https://idp.example/realms/trust"),
        "HAH_OIDC_CLIENT_ID": ("HAH_OIDC_CLIENT_ID", "hah-scheduler"),
        "HAH_OIDC_CLIENT_SECRET": ("HAH_OIDC_CLIENT_SECRET", "s3cret"),
        "HAH_OIDC_NAME": ("HAH_OIDC_NAME", "NHS Care Identity"),
        "HAH_OIDC_SCOPES": ("HAH_OIDC_SCOPES", "openid profile"),
        "HAH_OIDC_USERNAME_CLAIM": ("HAH_OIDC_USERNAME_CLAIM", "preferred_username"),
        "HAH_LOGIN_MAX_FAILURES_PER_ACCOUNT": ("LOGIN_MAX_FAILURES_PER_ACCOUNT", 7, "7"),
        "HAH_SESSION_ABSOLUTE_H": ("HAH_SESSION_ABSOLUTE_H", 8.0, "8"),
        "HAH_SESSION_IDLE_MIN": ("HAH_SESSION_IDLE_MIN", 45.0, "45"),
        "HAH_RETAIN_UPLOADS_DAYS": ("HAH_RETAIN_UPLOADS_DAYS", 90, "90"),
        "HAH_RETAIN_DISCHARGED_DAYS": ("HAH_RETAIN_DISCHARGED_DAYS", None, "off"),
    }
    for name, (key, want, *raw) in values.items():
        monkeypatch.setenv(name, raw[0] if raw else str(want))
        assert config.from_env()[key] == want, name
        monkeypatch.delenv(name)


def test_the_process_settings_reach_their_processes(monkeypatch):
    """The settings of the serving and worker processes (not the app's configuration)."""
    import importlib

    from web import logs, serving
    from web.services import runners

    monkeypatch.setenv("HAH_WEB_WORKERS", "5")
    monkeypatch.setenv("HAH_WEB_THREADS", "7")
    monkeypatch.setenv("HAH_WEB_TIMEOUT_S", "33")
    o = serving.options("127.0.0.1", 8000)
    assert (o["workers"], o["threads"], o["timeout"]) == (5, 7, 33)
    monkeypatch.setenv("HAH_MIGRATE", "0")
    assert serving.options("127.0.0.1", 8000)["on_starting"].__closure__[0].cell_contents is False
    for name, value in (("HAH_HEARTBEAT_S", "2"), ("HAH_JOB_DEAD_S", "11"),
                        ("HAH_JOB_ATTEMPTS", "4"), ("HAH_SOLVE_GRACE_S", "50")):  # fmt: skip
        monkeypatch.setenv(name, value)
    reloaded = importlib.reload(runners)
    try:
        assert (reloaded.HEARTBEAT_S, reloaded.DEAD_S, reloaded.ATTEMPTS,
                reloaded.SOLVE_GRACE_S) == (2.0, 11.0, 4, 50)  # fmt: skip
    finally:
        for name in ("HAH_HEARTBEAT_S", "HAH_JOB_DEAD_S", "HAH_JOB_ATTEMPTS", "HAH_SOLVE_GRACE_S"):
            monkeypatch.delenv(name)
        importlib.reload(runners)
    monkeypatch.setenv("HAH_LOG_FORMAT", "text")
    assert isinstance(logs.formatter(), logs.TextFormatter)
    monkeypatch.setenv("HAH_LOG_LEVEL", "WARNING")
    assert logs.gunicorn_logconfig()["root"]["level"] == "WARNING"
    from scheduler.cli import build_parser

    monkeypatch.setenv("HAH_QUEUE_WORKERS", "3")
    assert build_parser().parse_args(["up"]).queue_workers == 3


def test_capacity_workers_reach_the_run(monkeypatch, tmp_path, backend, db_url):
    """``HAH_CAPACITY_WORKERS`` sets a run's process pool (it was documented, never read)."""
    from tests.support.web import csrf, login
    from tests.web.test_capacity_web import TINY
    from web import create_app
    from web.db import Database, upgrade
    from web.models import CapacityRun
    from web.services.users import create_user

    monkeypatch.setenv("HAH_CAPACITY_WORKERS", "3")
    upgrade(db_url)
    db = Database(db_url)
    with db.session() as s:
        create_user(s, "ops", "correct horse battery", "ops", hash_method="pbkdf2:sha256:1000")
        s.commit()

    class Held:  # a runner that keeps the run queued: only its parameters matter here
        def submit(self, row_id, attempt=None):
            pass

    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "x",
                      "INSTANCE_DIR": tmp_path, "HAH_JOB_RUNNER": "thread",
                      "HAH_CAPACITY_RUNNER": Held()})  # fmt: skip
    c = app.test_client()
    assert login(c, "ops").status_code == 302
    r = c.post("/api/capacity", json={"sizes": [8], "seeds": 1, "time_limit_s": 1,
                                      "scenario": TINY}, headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 202, r.get_json()
    with db.session() as s:
        run = s.get(CapacityRun, r.get_json()["id"])
        assert run is not None and run.params["workers"] == 3
    app.extensions["hah_db"].dispose()
    db.dispose()


def test_the_password_hash_method_reaches_new_accounts(monkeypatch, tmp_path):
    from web.admin import users_add
    from web.db import Database
    from web.models import User

    url = f"sqlite:///{tmp_path / 'u.sqlite3'}"
    monkeypatch.setenv("HAH_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
    uid = users_add("ann", "ops", "correct horse battery", database_url=url)
    db = Database(url)
    with db.session() as s:
        user = s.get(User, uid)
        assert user is not None and user.password_hash.startswith("pbkdf2:sha256:1000$")
    db.dispose()
    assert Path(url.split("///")[1]).exists()

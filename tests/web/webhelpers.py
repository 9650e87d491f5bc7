"""Helpers shared by the web tests (kept out of conftest.py so test modules can import them).

SQLAlchemy, Alembic and Playwright are project dependencies, so nothing here is skipped for
want of a package.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
IO_DATA = Path(__file__).parent.parent / "data" / "io"
DAY = "2026-11-23"
PASSWORD = "correct horse battery"
FAST_HASH = "pbkdf2:sha256:1000"  # tests only: the app's default is scrypt
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_url() -> str | None:
    """The PostgreSQL server to run the web tests on as well, if one was asked for."""
    for name in ("HAH_TEST_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgresql", "postgres:")):
            return url
    if os.environ.get("HAH_TEST_POSTGRES") == "1":
        return LOCAL_PG
    return None


def csrf(client) -> str:
    """The session's CSRF token (made if the session has none yet, as a page render would)."""
    with client.session_transaction() as sess:
        if not sess.get("csrf"):
            sess["csrf"] = uuid.uuid4().hex
        return sess["csrf"]


def login(client, username: str, password: str = PASSWORD):
    client.get("/auth/login")
    return client.post(
        "/auth/login",
        data={"username": username, "password": password, "csrf_token": csrf(client)},
    )


def small_files() -> tuple[bytes, bytes]:
    return (DATA / "visits.csv").read_bytes(), (DATA / "clinicians.csv").read_bytes()


def nurse_visits(rota, cid: str) -> list[str]:
    route = rota.route_of(cid)
    return list(route.visit_ids) if route else []


def text_of(response) -> str:
    """Page text without tags, whitespace collapsed: for asserting what a person reads."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def assert_checker_clean(db, version_id: int):
    """Re-check a stored version from scratch: its rota against its own import's day."""
    from scheduler.domain.check import check
    from web.models import DayImport, RotaVersion
    from web.services.days import problem_for
    from web.services.rotas import rota_from_json

    db.expire_all()
    version = db.get(RotaVersion, version_id)
    problem = problem_for(db.get(DayImport, version.import_id))
    report = check(problem, rota_from_json(version.rota))
    assert report.ok, [str(v) for v in report.violations]
    assert version.violations == []
    return version, report


# --- a real browser ---------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"  # screenshots (ignored by git)
#: Without the last two flags Chromium stalls on this closed network (no update servers).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]  # fmt: skip

#: Locally a missing Chromium is a skip that says so; under CI (HAH_REQUIRE_BROWSER=1, set by
#: .ci/run after installing it) the browser tests must run.
needs_browser = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None and os.environ.get("HAH_REQUIRE_BROWSER") != "1",
    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)",
)


@contextmanager
def live_server(app):
    """The app on 127.0.0.1 at a free port, served by Werkzeug in a thread; yields its URL."""
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join(5)

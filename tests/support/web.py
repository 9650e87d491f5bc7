"""Helpers shared by the web tests (kept out of conftest.py so test modules can import them).

SQLAlchemy, Alembic and Playwright are project dependencies, so nothing here is skipped for
want of a package.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent.parent
DATA = TESTS / "web" / "data"
IO_DATA = TESTS / "scheduler" / "domain" / "formats" / "data"
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


def post_json(client, url: str, body: dict):
    """A JSON POST with the session's CSRF token, as the app's own pages send it."""
    return client.post(url, json=body, headers={"X-CSRF-Token": csrf(client)})


def wait_done(client, job_id: int, timeout: float = 120.0) -> dict:
    """The job's status once it has finished (done, failed or stopped)."""
    deadline = time.monotonic() + timeout
    status: dict = {}
    while time.monotonic() < deadline:
        status = client.get(f"/api/jobs/{job_id}").get_json()
        if status["state"] in ("done", "failed", "stopped"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} never finished: {status}")


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
ARTIFACTS = TESTS / "web" / "artifacts"  # screenshots (ignored by git)
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


def shifted(text: str, days: int) -> str:
    """Every ``YYYY-MM-DD`` in ``text`` moved by ``days`` (to make another day of the same
    small day: same places, same travel, so its rota stays checker-clean)."""
    from datetime import date, timedelta

    return re.sub(
        r"\d{4}-\d{2}-\d{2}",
        lambda m: f"{date.fromisoformat(m.group(0)) + timedelta(days=days):%Y-%m-%d}",
        text,
    )


def with_genders(text: str, female: frozenset[str] = frozenset(
        {"C001", "C003", "C005", "C007", "C009", "C011", "C012"})) -> str:  # fmt: skip
    """clinicians.csv text with a ``gender`` column: ``F`` for the ids in ``female``, ``M`` for
    the rest. The default gives the small day of tests/web/data two female IV nurses at every
    hour a dose may fall (C003 and C005 by day, C005 and C009 late, C009 and C011 at 22:00,
    C011 and C012 at night), so a patient who asks for a female nurse and must not be seen
    alone after dark can still have every dose."""
    lines = text.rstrip("\n").split("\n")
    out = [lines[0] + ",gender"]
    out += [f"{line},{'F' if line.split(',')[0] in female else 'M'}" for line in lines[1:]]
    return "\n".join(out) + "\n"


def eroster_of(clinicians_text: str) -> str:
    """clinicians.csv's shifts as an e-roster export (``scheduler.domain.formats.eroster``):
    one duty a row, dated by its start, skills left to the grade where they are its own."""
    from scheduler.domain.formats.day import read_clinicians
    from scheduler.domain.formats.eroster import duty_cells, eroster_text
    from scheduler.domain.formats.tabular import CsvSource

    shifts = read_clinicians(CsvSource.from_text(clinicians_text, "clinicians.csv"))
    return eroster_text(duty_cells(s) for s in shifts)


def import_day_moved(db, users, days: int):
    """The small day moved by ``days``, imported by the coordinator."""
    from datetime import date, timedelta

    from web.services.days import Upload, import_day

    v, c = small_files()
    when = date.fromisoformat(DAY) + timedelta(days=days)
    imp = import_day(db, when, Upload("visits.csv", shifted(v.decode(), days).encode()),
                     Upload("clinicians.csv", shifted(c.decode(), days).encode()),
                     users["coord"])  # fmt: skip
    db.commit()
    return imp


def publish_moved(db, users, imp, small_rota, days: int):
    """The session's rota moved by ``days``, published for ``imp``; returns the version."""
    import json

    from web.services.rotas import publish, rota_from_json, rota_to_json, save_draft

    rota = rota_from_json(json.loads(shifted(json.dumps(rota_to_json(small_rota)), days)))
    version = save_draft(db, imp, rota, users["coord"])
    assert version.violations == [], version.violations
    publish(db, version, users["coord"])
    db.commit()
    return version


# --- publishing: edits of a published rota, coordinators over HTTP ----------------------------


def clean_moves(problem, rota, count: int = 2, *, disjoint: bool = True):
    """``count`` moves of unlinked visits to another clinician, each clean on ``rota`` by the
    checker; with ``disjoint`` no two touch the same clinician (so each can be re-applied
    after the others), else every move takes the same visit, each to someone else (so
    they conflict)."""
    from scheduler.domain.check import check
    from web.services.edits import Edit, EditError, apply_edit

    followed = {v.after_visit for v in problem.visits if v.after_visit}
    by_id = {v.visit_id: v for v in problem.visits}

    def unlinked(vid: str) -> bool:
        v = by_id[vid]
        return v.staff == 1 and v.after_visit is None and vid not in followed

    def clean(vid: str, to: str):
        edit = Edit("move", vid, to_clinician=to)
        try:
            new, _, _ = apply_edit(problem, rota, [], edit)
        except EditError:
            return None
        return edit if check(problem, new).ok else None

    found: list = []
    used: set[str] = set()
    for r in rota.routes:
        if disjoint and r.clinician_id in used:
            continue
        for vid in (v for v in r.visit_ids if unlinked(v)):
            same = []
            for other in rota.routes:
                if other.clinician_id == r.clinician_id or other.clinician_id in used:
                    continue
                edit = clean(vid, other.clinician_id)
                if edit is None:
                    continue
                if disjoint:
                    found.append(edit)
                    used |= {r.clinician_id, other.clinician_id}
                    break
                same.append(edit)
            if not disjoint and len(same) >= count:
                return same[:count]
            if disjoint and r.clinician_id in used:
                break
        if len(found) == count:
            return found
    raise AssertionError(f"no {count} clean {'disjoint ' if disjoint else ''}moves on this rota")


class Http:
    """A signed-in browser session against a live server, by the standard library only (for
    tests that need real concurrent requests): JSON in and out, the CSRF header from the
    page's meta tag, errors answered as (status, body) rather than raised."""

    def __init__(self, base: str, username: str, password: str = PASSWORD):
        import http.cookiejar
        import urllib.request

        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self._open("GET", "/auth/login")[1]
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, page
        token = found.group(1)
        form = f"username={username}&password={password.replace(' ', '+')}&csrf_token={token}"
        self._open("POST", "/auth/login", form.encode(), "application/x-www-form-urlencoded")
        home = self._open("GET", "/coordinator/")[1]
        meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', home)
        assert meta, f"{username} is not signed in: {home[:200]}"
        self.csrf = meta.group(1)

    def _open(self, method: str, path: str, body: bytes | None = None,
              kind: str = "application/json") -> tuple[int, str]:  # fmt: skip
        import urllib.error
        import urllib.request

        req = urllib.request.Request(self.base + path, data=body, method=method)
        req.add_header("Content-Type", kind)
        if getattr(self, "csrf", None):
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(req, timeout=60) as res:
                return res.status, res.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def post(self, path: str, body: dict | None = None) -> tuple[int, Any]:
        """(status, the JSON answer, or the text when it is not JSON: a 500's HTML page)"""
        import json

        status, text = self._open("POST", path, json.dumps(body or {}).encode())
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

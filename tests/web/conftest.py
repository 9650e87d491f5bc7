"""Fixtures for the web app's tests: a fresh migrated database per test, users, a small day.

The database is a temporary SQLite file by default. With ``HAH_TEST_POSTGRES=1`` (the local
server ``postgresql://postgres@127.0.0.1:5432/test``) or a ``DATABASE_URL`` /
``HAH_TEST_DATABASE_URL`` naming PostgreSQL, every test that uses ``app`` runs on both: on
PostgreSQL each test gets its own schema (``search_path``), so tests and the spawned solve
worker share it and parallel runs never collide. An unreachable server is a skip that says
so, not a failure.

The small day (``data/visits.csv``, ``data/clinicians.csv``: 69 visits, 12 shifts) was made
by ``python -m scheduler.domain.synth --patients 12 --seed 7 --date 2026-11-23``; a rota for it is
solved once per test session and re-used wherever a test needs a published version.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

from scheduler.domain.check import check
from scheduler.domain.formats.day import read_day
from scheduler.domain.problem import build_problem
from tests.support.web import DATA, DAY, FAST_HASH, PASSWORD, login, postgres_url, small_files


def pytest_generate_tests(metafunc):
    """Every test using the ``backend`` fixture (via ``app``) runs on SQLite, and on
    PostgreSQL too when it is asked for."""
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"] + (["postgresql"] if postgres_url() else [])
        metafunc.parametrize("backend", backends)


@pytest.fixture
def db_url(backend, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'hah.sqlite3'}"
        return
    import sqlalchemy as sa

    from web.db import normalise_url

    url = postgres_url()
    assert url is not None  # the postgresql backend is only parametrised when there is one
    base = normalise_url(url)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        engine = sa.create_engine(base, connect_args={"connect_timeout": 3})
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # any driver or network error means: no server to test on
        message = f"PostgreSQL unreachable at {base.split('@')[-1]}: {exc}"
        if os.environ.get("HAH_TEST_POSTGRES") == "1":
            pytest.fail(message + " (HAH_TEST_POSTGRES=1 asks for it: start the server)")
        pytest.skip(message)
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    _drop_schema(engine, schema)
    engine.dispose()


def _drop_schema(engine, schema: str, attempts: int = 10) -> None:
    """Drop a test's schema, again if PostgreSQL picks the drop as a deadlock's victim: a
    work horse whose worker a test killed ends itself only at its next heartbeat
    (``runners.Lease``), and a beat that lands mid-drop locks a table the drop is taking."""
    import sqlalchemy as sa

    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            return
        except sa.exc.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)


@pytest.fixture
def app(db_url, tmp_path):
    from web import create_app

    app = create_app(
        {
            "DATABASE_URL": db_url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "INSTANCE_DIR": tmp_path / "instance",
            "HAH_TODAY": DAY,
            "HAH_TILE_URL": "",
            # In process: the queue-backed path (Redis, `hah worker`) has its own tests.
            "HAH_JOB_RUNNER": "thread",
        }
    )
    yield app
    from web.services.runners import ThreadRunner

    events = app.extensions.get("hah_event_runner")
    if isinstance(events, ThreadRunner):  # events a test did not wait for end before the db
        events.drain()
    app.extensions["hah_db"].dispose()


@pytest.fixture
def db(app):
    """A session on the app's database, for arranging and asserting outside requests."""
    s = app.extensions["hah_db"].session()
    yield s
    s.close()


@pytest.fixture
def users(db):
    """One account per role, plus a second nurse: username → user."""
    from web.services.users import create_user

    made = {}
    for name, role, cid in [
        ("coord", "coordinator", None),
        ("nurse", "nurse", "C002"),
        ("nurse2", "nurse", "C003"),
        ("ops", "ops", None),
        ("admin", "admin", None),
    ]:
        made[name] = create_user(db, name, PASSWORD, role, clinician_id=cid, hash_method=FAST_HASH)
    db.commit()
    return made


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def as_role(app, users):
    """``as_role("coord")`` → a test client signed in as that user."""

    def make(username: str):
        c = app.test_client()
        r = login(c, username)
        assert r.status_code == 302, r.get_data(as_text=True)
        return c

    return make


@pytest.fixture(scope="session")
def small_rota():
    """A checker-clean rota of the small day, solved once for the whole session. Bounded by
    iterations, not the clock, so every test worker gets the same rota (the same seed gives
    the same rota) and a test never depends on how busy the machine was."""
    from solver import SolveOptions, solve

    visits, shifts = read_day(DATA / "visits.csv", DATA / "clinicians.csv")
    problem = build_problem(visits, shifts)
    rota = solve(problem, SolveOptions(time_limit_s=60, max_iterations=2000)).rota
    report = check(problem, rota)
    assert report.ok, report.violations
    return rota


@pytest.fixture
def day_import(db, users):
    """The small day imported by the coordinator."""
    from datetime import date

    from web.services.days import Upload, import_day

    v, c = small_files()
    imp = import_day(
        db, date.fromisoformat(DAY), Upload("visits.csv", v), Upload("clinicians.csv", c),
        users["coord"],
    )  # fmt: skip
    db.commit()
    return imp


@pytest.fixture
def draft(db, day_import, small_rota, users):
    from web.services.rotas import save_draft

    version = save_draft(db, day_import, small_rota, users["coord"])
    db.commit()
    return version


@pytest.fixture
def published(db, draft, users):
    from web.services.rotas import publish

    publish(db, draft, users["coord"])
    db.commit()
    return draft


@pytest.fixture
def browser():
    """Headless Chromium (``tests.support.browser.chromium``), closed after the test."""
    from tests.support.browser import chromium

    with chromium() as b:
        yield b


#: A trust's postcode file, as tests write it: two St Albans postcodes (ONSPD columns).
ONSPD = "pcds,lat,long,doterm\nAL1 3HD,51.752000,-0.336000,\nAL1 3JB,51.754000,-0.334000,\n"


@pytest.fixture
def postcode_file(app, tmp_path):
    """``HAH_POSTCODE_FILE`` pointed at ``ONSPD`` written for the test, and unset after."""
    path = tmp_path / "ONSPD_AL.csv"
    path.write_text(ONSPD, encoding="utf-8")
    app.config["HAH_POSTCODE_FILE"] = str(path)
    yield path
    app.config["HAH_POSTCODE_FILE"] = ""

"""Production serving for real: ``hah serve`` (gunicorn, several workers), ``hah db upgrade``,
``hah up``, the probes, static caching, structured logs, a reload and a restart during a job.

Issue 12's defects each have their test: ``hah serve`` was Werkzeug's one-process server
(now gunicorn with several workers; Werkzeug only behind ``--dev``); with ``-w 4`` on a
fresh database every worker migrated at once and gunicorn refused to boot (now the master
migrates once, and migrations wait for each other); a graceful reload left a job queued for
good and the day locked (now the job lives on the queue, not in a web process).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.support.queue import (
    ROOT,
    Http,
    child_pids,
    free_port,
    prepare_day,
    service,
    wait_http,
    wait_state,
)
from tests.support.web import DAY, PASSWORD


@pytest.fixture
def svc(db_url, tmp_path):
    with service(db_url, tmp_path / "svc", HAH_HEARTBEAT_S="1", HAH_JOB_DEAD_S="10") as s:
        yield s


def _serve(svc, *args: str, name: str = "web"):
    port = free_port()
    proc = svc.start(name, "serve", "--port", str(port), *args)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/healthz", 90, proc, svc)
    return proc, base


def _workers_of(master_pid: int, n: int, timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while len(kids := child_pids(master_pid)) < n:
        assert time.monotonic() < deadline, f"{len(kids)} workers, not {n}"
        time.sleep(0.2)
    return kids


def test_hah_serve_is_gunicorn_with_several_workers_and_caches_static_files(svc):
    proc, base = _serve(svc, "--workers", "2", "--threads", "2")
    c = Http(base)
    r = c.get("/healthz")
    assert r.status == 200 and r.json() == {"status": "ok"}
    assert r.headers.get("Server", "").startswith("gunicorn")
    assert len(_workers_of(proc.pid, 2)) == 2
    ready = c.get("/readyz")
    assert ready.status == 200 and ready.json()["database"] == "ok", ready.body
    page = c.get("/auth/login").body.decode()
    css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', page)
    assert css, "static URLs carry the file's hash"
    r = c.get(css.group(1))
    assert r.status == 200 and r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers.get("ETag")
    r = c.get("/static/app.css")
    assert r.headers["Cache-Control"] == "public, max-age=3600"
    etag = r.headers["ETag"]
    assert c.get("/static/app.css", headers={"If-None-Match": etag}).status == 304
    assert c.get("/auth/login").headers["Cache-Control"] == "no-store"  # pages never cached


def test_the_development_server_only_behind_dev(svc):
    _proc, base = _serve(svc, "--dev", name="dev")
    assert Http(base).get("/healthz").headers.get("Server", "").startswith("Werkzeug")


def test_four_workers_boot_on_a_fresh_database(svc, db_url):
    """Before: every worker migrated a fresh database at once and gunicorn refused to boot.
    Now ``hah serve`` migrates once in its master; and gunicorn started by hand on the WSGI
    module, where each of 4 workers migrates, boots too (migrations wait for each other)."""
    from web.db import current_revision, head_revision

    proc, base = _serve(svc, "--workers", "4", "--threads", "1")
    assert len(_workers_of(proc.pid, 4)) == 4
    assert Http(base).get("/readyz").status == 200
    assert current_revision(db_url) == head_revision()
    assert "Traceback" not in svc.log_of(proc)


def test_gunicorn_by_hand_with_four_migrating_workers_boots(svc, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the PostgreSQL lock is covered by test_upgrades_at_once")
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - the process keeps it
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}",
         "--no-control-socket", "web.wsgi:app"],
        cwd=ROOT, env=svc.env(DATABASE_URL=fresh, HAH_MIGRATE="1"), stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    svc.procs.append(proc)
    proc._hah_log = tmp_path / "gunicorn.log"  # type: ignore[attr-defined]
    wait_http(f"http://127.0.0.1:{port}/readyz", 90, proc, svc)
    assert len(_workers_of(proc.pid, 4)) == 4


def test_upgrades_at_once(svc, db_url):
    """Four ``hah db upgrade`` on one fresh database at the same moment: all succeed (the
    PostgreSQL advisory lock, the SQLite file lock), and the schema is at head."""
    from web.db import current_revision, head_revision

    procs = [svc.start(f"upgrade-{i}", "db", "upgrade") for i in range(4)]
    for p in procs:
        assert p.wait(120) == 0, svc.log_of(p)
    assert current_revision(db_url) == head_revision()
    check = svc.start("current", "db", "current")
    assert check.wait(60) == 0 and f"code {head_revision()}" in svc.log_of(check)


def test_readyz_says_what_is_down(svc, tmp_path, db_url):
    from web import create_app

    prepare_day(db_url, ())
    down = create_app(svc.app_config(tmp_path) | {"HAH_REDIS_URL": "redis://127.0.0.1:1/0"})
    r = down.test_client().get("/readyz")
    assert r.status_code == 503 and r.get_json()["queue"].startswith("unreachable")
    assert down.test_client().get("/healthz").status_code == 200  # alive all the same
    down.extensions["hah_db"].dispose()
    empty = create_app(svc.app_config(tmp_path) | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "HAH_MIGRATE": False})
    r = empty.test_client().get("/readyz")
    assert r.status_code == 503 and "hah db upgrade" in r.get_json()["database"]
    empty.extensions["hah_db"].dispose()


def test_a_generate_when_the_queue_is_down_is_refused_and_leaves_the_day_free(svc, tmp_path,
                                                                            db_url):  # fmt: skip
    from tests.support.web import csrf, login
    from web import create_app

    prepare_day(db_url)
    app = create_app(svc.app_config(tmp_path) | {"HAH_REDIS_URL": "redis://127.0.0.1:1/0"})
    c = app.test_client()
    assert login(c, "coord").status_code == 302
    r = c.post(f"/api/days/{DAY}/jobs", json={"time_limit_s": 2},
               headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
    assert r.status_code == 503 and "queue is unreachable" in r.get_json()["error"]
    r = c.post(f"/api/days/{DAY}/jobs", json={"time_limit_s": 2},
               headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
    assert r.status_code == 503  # refused again for the same reason, not "still queued"
    app.extensions["hah_db"].dispose()


def test_a_reload_during_a_job_loses_nothing(svc, db_url):
    """gunicorn reloaded (SIGHUP: new workers, old ones finish) while a job runs and another
    waits: both are solved, once each, requests are answered throughout, and the day then
    takes a new Generate. Before, a job queued in a web process stayed queued for good and
    the day refused Generate."""
    from datetime import date, timedelta

    prepare_day(db_url, (0, 1))
    proc, base = _serve(svc, "--workers", "2", "--threads", "2")
    svc.worker()
    c = Http(base).sign_in("coord", PASSWORD)
    day2 = (date.fromisoformat(DAY) + timedelta(days=1)).isoformat()
    first = c.post(f"/api/days/{DAY}/jobs", {"time_limit_s": 6}).json()
    second = c.post(f"/api/days/{day2}/jobs", {"time_limit_s": 2}).json()
    wait_state(lambda: c.get(f"/api/jobs/{first['id']}").json(), {"running"}, 60)
    old = set(child_pids(proc.pid))
    proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while set(child_pids(proc.pid)) & old:  # the old workers are replaced
        assert c.get("/healthz").status == 200
        assert time.monotonic() < deadline
        time.sleep(0.2)
    for job in (first, second):
        done = wait_state(lambda j=job: c.get(f"/api/jobs/{j['id']}").json(),
                          {"done", "failed", "stopped"}, 120)  # fmt: skip
        assert done["state"] == "done" and done["attempt"] == 1, done
    jobs = c.get(f"/api/days/{DAY}").json()["jobs"]
    assert [j["id"] for j in jobs] == [first["id"]]
    assert c.post(f"/api/days/{DAY}/jobs", {"time_limit_s": 1}).status == 202


def test_logs_are_json_by_route_without_patient_data(svc, db_url):
    """Every line the web server and a worker write is JSON; requests are logged by their
    route, never their raw path; no visit id, patient id, name or address appears."""
    from tests.support.web import DATA, small_files

    prepare_day(db_url)
    proc, base = _serve(svc, "--workers", "1", "--threads", "2")
    worker = svc.worker()
    c = Http(base).sign_in("coord", PASSWORD)
    job = c.post(f"/api/days/{DAY}/jobs", {"time_limit_s": 2}).json()
    done = wait_state(lambda: c.get(f"/api/jobs/{job['id']}").json(), {"done", "failed"}, 90)
    assert c.get(f"/api/days/{DAY}/routes/C002").status in (200, 404)
    assert c.get(f"/coordinator/day/{DAY}").status == 200
    assert c.get(f"/api/versions/{done['rota_version_id']}/who-could-take/P0001-abx-1230").status
    time.sleep(1.5)
    text = svc.log_of(proc) + svc.log_of(worker)
    lines = [x for x in text.splitlines() if x.strip()]
    records = [json.loads(x) for x in lines]  # every line parses
    paths = {r.get("path") for r in records if r.get("msg") == "request"}
    assert "/api/days/<date>/routes/<cid>" in paths and "/api/jobs/<int:job_id>" in paths
    visits, clinicians = small_files()
    secrets = set()
    for row in visits.decode().splitlines()[1:]:
        cells = row.split(",")
        secrets |= {cells[0], cells[1]}
        secrets |= set(re.findall(r'"([^"]+)"', row))  # the address
    for row in clinicians.decode().splitlines()[1:]:
        secrets.add(row.split(",")[1])  # the clinician's name
    secrets |= {DAY, "C002"}
    leaked = sorted(s for s in secrets if s and s in text)
    assert leaked == [], leaked[:10]
    assert (DATA / "visits.csv").exists()


def test_metrics_count_requests_jobs_and_solve_seconds_and_are_not_public(svc, tmp_path,
                                                                        db_url):  # fmt: skip
    from tests.support.web import csrf, login
    from web import create_app

    prepare_day(db_url)
    app = create_app(svc.app_config(tmp_path) | {"HAH_METRICS_TOKEN": "s3cret"})
    c = app.test_client()
    assert login(c, "coord").status_code == 302
    svc.worker()
    job = c.post(f"/api/days/{DAY}/jobs", json={"time_limit_s": 1},
                 headers={"X-CSRF-Token": csrf(c)}).get_json()  # fmt: skip
    wait_state(lambda: c.get(f"/api/jobs/{job['id']}").get_json(), {"done"}, 90)
    body = c.get("/metrics").get_data(as_text=True)  # from loopback
    assert 'hah_http_requests_total{endpoint="/api/jobs/<int:job_id>",method="GET",status="200"}' \
        in body
    assert 'hah_http_request_seconds_bucket{endpoint="/api/jobs/<int:job_id>"' in body
    assert 'hah_jobs{kind="solve",state="done"} 1.0' in body
    assert 'hah_jobs{kind="capacity",state="running"} 0.0' in body
    assert "hah_solve_seconds_count 1.0" in body and 'hah_solve_seconds_bucket{le="+Inf"} 1.0' in body
    assert "hah_queue_workers 1.0" in body
    away = {"REMOTE_ADDR": "10.1.2.3"}
    assert c.get("/metrics", environ_base=away).status_code == 404
    assert c.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 404
    ok = c.get("/metrics", environ_base=away, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and b"hah_jobs" in ok.data
    assert c.get("/metrics", environ_base=away,
                 headers={"Authorization": "Bearer wrong"}).status_code == 404  # fmt: skip
    app.extensions["hah_db"].dispose()


def test_hah_up_starts_the_service_and_a_restart_mid_job_loses_nothing(svc, db_url):
    """The README's one command: ``hah up`` migrates, serves and works jobs. Stopped while a
    job runs (its worker given 1 s to finish, then killed), then started again: the job is
    re-queued and solved once, and the day takes a new Generate."""
    prepare_day(db_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ("up", "--port", str(port), "--workers", "2", "--threads", "2", "--grace", "1")
    up = svc.start("up-1", *args)
    wait_http(base + "/readyz", 120, up, svc)
    c = Http(base).sign_in("coord", PASSWORD)
    quick = c.post(f"/api/days/{DAY}/jobs", {"time_limit_s": 1}).json()
    assert wait_state(lambda: c.get(f"/api/jobs/{quick['id']}").json(), {"done", "failed"},
                      120)["state"] == "done"  # fmt: skip
    job = c.post(f"/api/days/{DAY}/jobs", {"time_limit_s": 15}).json()
    wait_state(lambda: c.get(f"/api/jobs/{job['id']}").json(), {"running"}, 60)
    up.send_signal(signal.SIGTERM)
    assert up.wait(60) == 0, svc.log_of(up)

    up = svc.start("up-2", *args)
    wait_http(base + "/readyz", 120, up, svc)
    c = Http(base).sign_in("coord", PASSWORD)
    done = wait_state(lambda: c.get(f"/api/jobs/{job['id']}").json(), {"done", "failed"}, 120)
    assert done["state"] == "done" and done["attempt"] == 2, done
    assert c.post(f"/api/days/{DAY}/jobs", {"time_limit_s": 1}).status == 202
    up.send_signal(signal.SIGTERM)
    assert up.wait(60) == 0

"""Background solves: a job runs in a worker process, reports progress, can be stopped
keeping the best so far, and every rota it stores passes the independent checker."""

from __future__ import annotations

import time

from tests.support.web import DAY, assert_checker_clean, csrf, text_of


def _wait_for_state(c, job_id: int, states: set[str], timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = c.get(f"/api/jobs/{job_id}").get_json()
        if status["state"] in states:
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} never reached {states}: {status}")


def test_generate_solves_in_the_background_and_stores_a_checked_draft(app, as_role, db,
                                                                      day_import):  # fmt: skip
    c = as_role("coord")
    r = c.post(f"/coordinator/day/{DAY}/generate", data={"csrf_token": csrf(c), "seconds": "3"})
    assert r.status_code == 302
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-active="1"' in page and "Stop and keep the best so far" in page
    job_id = int(page.split('data-status-url="/api/jobs/')[1].split('"')[0])
    first = c.get(f"/api/jobs/{job_id}").get_json()
    assert first["state"] in ("queued", "running") and first["seconds_left"] <= 3
    assert app.extensions["hah_runner"].wait(job_id, 90)
    status = c.get(f"/api/jobs/{job_id}").get_json()
    assert status["state"] == "done", status
    assert status["tasks_total"] == 69 and status["tasks_placed"] >= 60
    assert status["seconds_left"] is None and status["error"] is None
    version, report = assert_checker_clean(db, status["rota_version_id"])
    assert version.status == "draft" and report.kpis["visits_assigned"] >= 60
    board = c.get(f"/coordinator/day/{DAY}")
    assert f"Version {version.id} (draft)" in text_of(board)


def test_stop_keeps_the_best_rota_so_far(app, as_role, db, day_import):
    c = as_role("coord")
    r = c.post(f"/api/days/{DAY}/jobs", json={"time_limit_s": 60},
               headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
    assert r.status_code == 202
    job_id = r.get_json()["id"]
    _wait_for_state(c, job_id, {"running"})
    deadline = time.monotonic() + 30
    while c.get(f"/api/jobs/{job_id}").get_json()["best_cost"] is None:
        assert time.monotonic() < deadline, "no progress reported by the search"
        time.sleep(0.2)  # the search has reported a best-so-far: stop now
    t0 = time.monotonic()
    stop = c.post(f"/coordinator/jobs/{job_id}/stop", data={"csrf_token": csrf(c)})
    assert stop.status_code == 302
    assert app.extensions["hah_runner"].wait(job_id, 60)
    assert time.monotonic() - t0 < 30  # far sooner than the 60 s limit
    status = c.get(f"/api/jobs/{job_id}").get_json()
    assert status["state"] == "stopped" and status["stop_requested"]
    assert_checker_clean(db, status["rota_version_id"])


def test_one_job_at_a_time_per_day(as_role, db, day_import):
    from web.models import SolveJob

    db.add(SolveJob(day_id=day_import.day_id, import_id=day_import.id, state="running",
                    time_limit_s=30))  # fmt: skip
    db.commit()
    c = as_role("coord")
    r = c.post(f"/api/days/{DAY}/jobs", json={}, headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 409 and "still running" in r.get_json()["error"]
    r = c.post(f"/coordinator/day/{DAY}/generate", data={"csrf_token": csrf(c), "seconds": "2"})
    assert "still running" in text_of(c.get(r.headers["Location"]))


def test_stopping_a_finished_job_is_refused(as_role, db, day_import):
    from web.models import SolveJob

    job = SolveJob(day_id=day_import.day_id, import_id=day_import.id, state="done",
                   time_limit_s=30)  # fmt: skip
    db.add(job)
    db.commit()
    c = as_role("coord")
    r = c.post(f"/api/jobs/{job.id}/stop", headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 409


def test_the_worker_reports_failures_on_the_job(db_url, db, day_import):
    """A day the solver cannot even start on ends as a failed job with the error, not a hang."""
    from web.models import DayImport, SolveJob
    from web.services.jobs import run_job

    imp = db.get(DayImport, day_import.id)
    imp.visits_csv = b"not,a,visits,file\n1,2,3,4\n"  # bypasses validation on purpose
    job = SolveJob(day_id=imp.day_id, import_id=imp.id, state="queued", time_limit_s=1)
    db.add(job)
    db.commit()
    run_job(db_url, job.id)
    db.expire_all()
    job = db.get(SolveJob, job.id)
    assert job.state == "failed" and "InputError" in job.error


def test_a_job_stopped_while_queued_never_starts(db_url, db, day_import):
    """Stop pressed before the worker picked the job up: it ends stopped, with no draft and
    no start time, and the solver is never run."""
    from web.models import DayImport, SolveJob
    from web.services.jobs import run_job

    imp = db.get(DayImport, day_import.id)
    job = SolveJob(day_id=imp.day_id, import_id=imp.id, state="queued", time_limit_s=1,
                   stop_requested=True)  # fmt: skip
    db.add(job)
    db.commit()
    run_job(db_url, job.id)
    db.expire_all()
    job = db.get(SolveJob, job.id)
    assert job.state == "stopped" and job.finished_at is not None
    assert job.started_at is None and job.rota_version_id is None


def test_time_limits_are_clamped(app):
    from web.views import time_limit_from

    with app.app_context():
        assert time_limit_from("0") == 1.0
        assert time_limit_from("100000") == app.config["HAH_MAX_SOLVE_SECONDS"]
        assert time_limit_from("nan") == app.config["HAH_SOLVE_SECONDS"]
        assert time_limit_from("abc") == app.config["HAH_SOLVE_SECONDS"]


def test_an_abandoned_job_does_not_block_the_day(as_role, db, day_import):
    """A job whose worker died (no heartbeat long past its limit) is failed, not waited for."""
    from datetime import timedelta

    from web.models import SolveJob, utcnow

    lost = SolveJob(day_id=day_import.day_id, import_id=day_import.id, state="running",
                    time_limit_s=30, heartbeat_at=utcnow() - timedelta(hours=2))  # fmt: skip
    db.add(lost)
    db.commit()
    c = as_role("coord")
    assert c.get(f"/api/jobs/{lost.id}").get_json()["stale"] is True
    r = c.post(f"/api/days/{DAY}/jobs", json={"time_limit_s": 1},
               headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
    assert r.status_code == 202
    new_id = r.get_json()["id"]
    c.application.extensions["hah_runner"].wait(new_id, 60)
    db.expire_all()
    assert db.get(SolveJob, lost.id).state == "failed"
    assert "abandoned" in db.get(SolveJob, lost.id).error


def test_the_thread_runner_solves_the_same_way(db_url, db, day_import):
    """The in-process runner (single-process demos) stores a checked draft too."""
    from web.models import SolveJob
    from web.services.jobs import make_runner

    job = SolveJob(day_id=day_import.day_id, import_id=day_import.id, state="queued",
                   time_limit_s=2)  # fmt: skip
    db.add(job)
    db.commit()
    runner = make_runner("thread", db_url)
    runner.submit(job.id)
    assert runner.wait(job.id, 60)
    db.expire_all()
    job = db.get(SolveJob, job.id)
    assert job.state == "done", job.error
    assert_checker_clean(db, job.rota_version_id)

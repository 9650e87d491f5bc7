"""The job queue for real: Redis, ``hah worker`` processes, faults.

Each defect of issue 12 that this fixes has its test here: two solves at once under several
web processes (now: as many as there are workers), two Generates at once making two jobs for
one day (now: the database's index makes one), a killed worker leaving its job "running" for
ever and Stop doing nothing (now: re-queued within a minute, and Stop works in every state),
a reload leaving a job queued for good (now: the queue outlives the web processes).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import date, timedelta

import pytest

from tests.support.queue import alive, child_pids, prepare_day, service, wait_state
from tests.support.web import DAY, assert_checker_clean, csrf

DAY2 = (date.fromisoformat(DAY) + timedelta(days=1)).isoformat()


@pytest.fixture
def svc(db_url, tmp_path):
    """This test's service: a queue prefix on the real Redis, its processes, its logs."""
    with service(db_url, tmp_path / "svc", HAH_HEARTBEAT_S="1", HAH_JOB_DEAD_S="10") as s:
        yield s


@pytest.fixture
def qapp(svc, tmp_path, db_url):
    """The app with the queue runner, over a database with the small day and a coordinator."""
    from web import create_app

    prepare_day(db_url, (0, 1))
    app = create_app(svc.app_config(tmp_path))
    yield app
    app.extensions["hah_db"].dispose()


@pytest.fixture
def coord(qapp):
    from tests.support.web import login

    c = qapp.test_client()
    assert login(c, "coord").status_code == 302
    return c


def _job(c, job_id: int) -> dict:
    return c.get(f"/api/jobs/{job_id}").get_json()


def _generate(c, day: str = DAY, seconds: float = 3):
    return c.post(f"/api/days/{day}/jobs", json={"time_limit_s": seconds},
                  headers={"X-CSRF-Token": csrf(c)})  # fmt: skip


def _drafts_of(db_url: str, job_id: int) -> int:
    """How many rota versions a job stored (each job stores exactly one)."""
    from sqlalchemy import func, select

    from web.db import Database
    from web.models import AuditLog

    db = Database(db_url)
    try:
        with db.session() as s:
            return int(s.scalar(select(func.count(AuditLog.id)).where(
                AuditLog.action == "solve_done", AuditLog.detail.like(f"job {job_id} %"))) or 0)
    finally:
        db.dispose()


def test_generate_is_solved_by_a_queue_worker(svc, qapp, coord, db, db_url):
    svc.worker()
    r = _generate(coord)
    assert r.status_code == 202, r.get_json()
    job = r.get_json()
    assert job["state"] == "queued" and job["attempt"] == 1
    done = wait_state(lambda: _job(coord, job["id"]), {"done", "failed"}, 90)
    assert done["state"] == "done", done
    assert done["tasks_total"] == 69 and done["tasks_placed"] >= 60
    assert_checker_clean(db, done["rota_version_id"])
    assert _drafts_of(db_url, job["id"]) == 1
    ready = coord.get("/readyz").get_json()
    assert ready == {"ready": True, "database": "ok", "queue": "ok"}


def test_two_generates_at_once_make_one_job(svc, qapp, db, db_url):
    """Two coordinators press Generate for the same day at the same instant (two threads,
    two sessions, both past the "is the day busy?" read before either inserts): exactly one
    job, the other refused by the database's index, on SQLite and on PostgreSQL."""
    from tests.support.web import login
    from web.models import SolveJob

    clients = []
    for _ in range(2):
        c = qapp.test_client()
        assert login(c, "coord").status_code == 302
        clients.append(c)
    barrier = threading.Barrier(2)
    answers: list[int] = []
    import web.services.jobs as jobs

    real_select = jobs.select
    first = threading.local()

    def slow_select(*args, **kwargs):  # both requests read "no active job", then both insert
        stmt = real_select(*args, **kwargs)
        if not getattr(first, "done", False):
            first.done = True
            barrier.wait(10)
        return stmt

    jobs.select = slow_select
    try:
        threads = [threading.Thread(target=lambda c=c: answers.append(_generate(c).status_code))
                   for c in clients]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        jobs.select = real_select
    assert sorted(answers) == [202, 409], answers
    db.expire_all()
    assert db.query(SolveJob).filter(SolveJob.state.in_(("queued", "running"))).count() == 1


def test_the_database_refuses_a_second_active_job_for_a_day(db, day_import):
    """The rule is the schema's (migration 0005), not only the code's: a second queued or
    running job for a day cannot be stored by any process; finished ones do not count."""
    from sqlalchemy.exc import IntegrityError

    from web.models import CapacityRun, SolveJob

    db.add(SolveJob(day_id=day_import.day_id, import_id=day_import.id, state="done",
                    time_limit_s=1))  # fmt: skip
    db.add(SolveJob(day_id=day_import.day_id, import_id=day_import.id, state="running",
                    time_limit_s=1))  # fmt: skip
    db.commit()
    db.add(SolveJob(day_id=day_import.day_id, import_id=day_import.id, state="queued",
                    time_limit_s=1))  # fmt: skip
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    db.add(CapacityRun(state="running", params={}))
    db.add(CapacityRun(state="failed", params={}))
    db.commit()
    db.add(CapacityRun(state="queued", params={}))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_one_worker_runs_one_solve_at_a_time_whichever_web_process_asked(svc, qapp, coord,
                                                                       db):  # fmt: skip
    """Two days generated at once (as two web processes would): with one worker the second
    waits on the queue, so the two solves never overlap (before, each web process ran its
    own, and two solves shared two cores)."""
    from web.models import SolveJob

    first, second = _generate(coord, DAY, 3).get_json(), _generate(coord, DAY2, 3).get_json()
    svc.worker()
    for j in (first, second):
        assert wait_state(lambda j=j: _job(coord, j["id"]), {"done", "failed"}, 120)["state"] \
            == "done"
    db.expire_all()
    a, b = (db.get(SolveJob, j["id"]) for j in (first, second))
    assert a.finished_at <= b.started_at or b.finished_at <= a.started_at, (a, b)


def test_kill_9_of_a_worker_mid_solve_requeues_its_job_within_a_minute(svc, qapp, coord, db,
                                                                      db_url):  # fmt: skip
    """A worker killed with SIGKILL mid-solve, with the default heartbeat and timeout: its
    orphaned work horse ends itself, the job is re-queued (attempt 2) within a minute of the
    kill, another worker solves it, one draft is stored and the day takes a new Generate."""
    worker = svc.worker("w1", HAH_HEARTBEAT_S="5", HAH_JOB_DEAD_S="30")
    job = _generate(coord, DAY, 20).get_json()
    wait_state(lambda: _job(coord, job["id"]), {"running"}, 60)
    time.sleep(2)
    horses = child_pids(worker.pid)
    assert horses, "the worker forks a work horse for the job"
    os.kill(worker.pid, signal.SIGKILL)  # the worker only: its horse is orphaned
    worker.wait(10)
    killed = time.monotonic()
    deadline = time.monotonic() + 15
    while any(alive(h) for h in horses):  # the horse sees its parent gone and ends itself
        assert time.monotonic() < deadline, "the orphaned work horse kept solving"
        time.sleep(0.2)
    svc.worker("w2", HAH_HEARTBEAT_S="5", HAH_JOB_DEAD_S="30")
    back = wait_state(lambda: _job(coord, job["id"]), {"queued", "done", "failed"}, 60)
    assert time.monotonic() - killed < 60
    assert back["state"] != "failed", back
    done = wait_state(lambda: _job(coord, job["id"]), {"done", "failed"}, 90)
    assert done["state"] == "done" and done["attempt"] == 2, done
    assert _drafts_of(db_url, job["id"]) == 1
    assert_checker_clean(db, done["rota_version_id"])
    assert _generate(coord, DAY, 1).status_code == 202  # the day is not locked


def test_a_killed_work_horse_is_requeued_and_a_second_death_fails_the_job(svc, qapp, coord):
    """The process doing the solve killed (the kernel's OOM killer picks the largest): the
    worker survives, the job is re-queued and, killed again, ends failed with the reason,
    and the day is free."""
    worker = svc.worker()
    job = _generate(coord, DAY, 30).get_json()
    for attempt in (1, 2):
        wait_state(lambda: _job(coord, job["id"]), {"running"}, 60)
        deadline = time.monotonic() + 20
        while not child_pids(worker.pid):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        for horse in child_pids(worker.pid):
            os.kill(horse, signal.SIGKILL)
        if attempt == 1:
            back = wait_state(lambda: _job(coord, job["id"]), {"queued", "running"}, 30)
            deadline = time.monotonic() + 30
            while _job(coord, job["id"])["attempt"] != 2:
                assert time.monotonic() < deadline, "not re-queued"
                time.sleep(0.2)
            assert back["state"] in ("queued", "running")
    failed = wait_state(lambda: _job(coord, job["id"]), {"failed"}, 40)
    assert "stopped reporting" in failed["error"] and failed["attempt"] == 2
    assert worker.poll() is None  # the worker itself lives on
    assert _generate(coord, DAY, 1).status_code == 202


def test_stop_works_in_every_state(svc, qapp, coord, db, db_url):
    """Queued: cancelled at once and never run, even when a worker comes; running: the
    worker stops keeping the best so far; dead (its worker gone): marked stopped at once."""
    from redis import Redis
    from rq.job import Job

    from web.models import SolveJob, utcnow

    queued = _generate(coord, DAY, 3).get_json()
    r = coord.post(f"/api/jobs/{queued['id']}/stop", headers={"X-CSRF-Token": csrf(coord)})
    assert r.status_code == 200 and r.get_json()["state"] == "cancelled"
    rq_job = Job.fetch(f"{svc.prefix}-solve-{queued['id']}-1", connection=Redis.from_url(
        svc.env()["HAH_REDIS_URL"]))  # fmt: skip
    assert rq_job.get_status() == "canceled"

    svc.worker()
    running = _generate(coord, DAY, 60).get_json()  # the day is free again
    deadline = time.monotonic() + 60
    while _job(coord, running["id"])["best_cost"] is None:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    t0 = time.monotonic()
    r = coord.post(f"/api/jobs/{running['id']}/stop", headers={"X-CSRF-Token": csrf(coord)})
    assert r.status_code == 202
    stopped = wait_state(lambda: _job(coord, running["id"]), {"stopped", "done", "failed"}, 60)
    assert stopped["state"] == "stopped" and stopped["rota_version_id"] is not None
    assert time.monotonic() - t0 < 30
    assert _job(coord, queued["id"])["state"] == "cancelled"  # the worker never ran it

    db.expire_all()
    dead = SolveJob(day_id=db.get(SolveJob, running["id"]).day_id, import_id=db.get(
        SolveJob, running["id"]).import_id, state="running", attempt=1, time_limit_s=30,
        heartbeat_at=utcnow() - timedelta(minutes=5))  # fmt: skip
    db.add(dead)
    db.commit()
    r = coord.post(f"/api/jobs/{dead.id}/stop", headers={"X-CSRF-Token": csrf(coord)})
    assert r.status_code == 200 and r.get_json()["state"] == "stopped"
    assert "stopped reporting" in r.get_json()["error"]
    assert _drafts_of(db_url, queued["id"]) == 0


def test_a_job_queued_while_no_worker_runs_starts_when_one_comes(svc, qapp, coord):
    """Nothing lives in a web process: a job queued with every worker down waits on Redis
    and is solved by the first worker started."""
    job = _generate(coord, DAY, 2).get_json()
    time.sleep(1)
    assert _job(coord, job["id"])["state"] == "queued"
    svc.worker()
    assert wait_state(lambda: _job(coord, job["id"]), {"done", "failed"}, 90)["state"] == "done"


def test_a_queued_job_the_queue_lost_is_sent_again(svc, qapp, coord):
    """Redis emptied (restarted without persistence) while a job waited: the reaper finds the
    job queued in the database but not on the queue, and sends it again."""
    from redis import Redis

    job = _generate(coord, DAY, 2).get_json()
    redis = Redis.from_url(svc.env()["HAH_REDIS_URL"])
    for key in redis.scan_iter(f"*{svc.prefix}*"):
        redis.delete(key)
    svc.worker()
    assert wait_state(lambda: _job(coord, job["id"]), {"done", "failed"}, 90)["state"] == "done"


@pytest.mark.parametrize("ray", ["", "local"])
def test_a_capacity_run_on_the_queue(svc, tmp_path, db_url, ray):
    """A tiny sweep from the ops API, run by a queue worker: in its process pool, or on Ray
    when the service is configured for it (``HAH_RAY_ADDRESS``, as the command line's
    ``--ray``)."""
    from web import create_app

    if ray and os.environ.get("HAH_REQUIRE_RAY") != "1":
        pytest.importorskip("ray", reason="Ray is an optional extra; CI installs it")
    prepare_day(db_url, ())
    qapp = create_app(svc.app_config(tmp_path) | {"HAH_RAY_ADDRESS": ray})
    from tests.support.web import login
    from tests.web.test_capacity_web import TINY
    from web.db import Database
    from web.services.users import create_user

    db = Database(db_url)
    with db.session() as s:
        create_user(s, "ops", "correct horse battery", "ops", hash_method="pbkdf2:sha256:1000")
        s.commit()
    db.dispose()
    c = qapp.test_client()
    assert login(c, "ops").status_code == 302
    svc.worker()
    r = c.post("/api/capacity", json={"sizes": [8], "seeds": 1, "time_limit_s": 1,
                                      "scenario": TINY}, headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 202, r.get_json()
    run_id = r.get_json()["id"]
    done = wait_state(lambda: c.get(f"/api/capacity/{run_id}").get_json(),
                      {"done", "failed"}, 180)  # fmt: skip
    assert done["state"] == "done" and done["results"]["violations"] == 0, done
    assert done["ray"] == (ray or None)
    page = c.get(f"/ops/capacity/{run_id}").get_data(as_text=True)
    assert ("Ray (local)" in page) == bool(ray)
    qapp.extensions["hah_db"].dispose()


def test_a_solve_past_its_limit_and_grace_is_killed_and_the_next_day_runs(svc, qapp, coord,
                                                                         monkeypatch):  # fmt: skip
    """No runaway holds a worker (issue 12: a 5 s Generate ran 509 s and blocked every other
    day's job): the queue kills a solve once it is ``HAH_SOLVE_GRACE_S`` past its time limit,
    the job ends failed with the reason, and the worker goes on to the next day's job. Here
    the grace is 0 s, so a 1 s solve (plus building and checking the day) overruns."""
    from web.services import runners

    monkeypatch.setattr(runners, "SOLVE_GRACE_S", 0)
    runaway = _generate(coord, DAY, 1).get_json()
    monkeypatch.setattr(runners, "SOLVE_GRACE_S", 300)
    after = _generate(coord, DAY2, 1).get_json()
    svc.worker()
    failed = wait_state(lambda: _job(coord, runaway["id"]), {"failed", "done"}, 90)
    assert failed["state"] == "failed" and "JobTimeoutException" in failed["error"], failed
    assert wait_state(lambda: _job(coord, after["id"]), {"done", "failed"}, 90)["state"] == "done"
    assert _generate(coord, DAY, 1).status_code == 202  # the day is free


# --- live-day events: their proposals worked out by a queue worker ---------------------------


@pytest.fixture
def live(qapp, db, small_rota):
    """The small day published, the service clock at 08:00, the request not waiting for the
    worker (so each test sees the event queued, then follows it)."""
    from tests.support.web import publish_moved
    from web.models import DayImport, User
    from web.services.days import get_day

    day = get_day(db, date.fromisoformat(DAY))
    assert day is not None
    imp = db.query(DayImport).filter_by(day_id=day.id).one()
    users = {"coord": db.query(User).filter_by(username="coord").one()}
    version = publish_moved(db, users, imp, small_rota, 0)
    qapp.config.update(HAH_NOW=f"{DAY}T08:00", HAH_EVENT_WAIT_S=0)
    return version


def _event(c, event_id: int) -> dict:
    return c.get(f"/api/events/{event_id}").get_json()


def _absent(c, live) -> dict:
    """The busiest clinician off sick at 08:00: a re-plan of most of the day."""
    from web.services.rotas import rota_from_json

    rota = rota_from_json(live.rota)
    busiest = max(rota.routes, key=lambda r: len(r.visit_ids)).clinician_id
    r = c.post(f"/api/days/{DAY}/events", json={"kind": "absent", "clinician_id": busiest},
               headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
    assert r.status_code == 202, r.get_json()
    body = r.get_json()
    assert body["state"] == "queued" and body["attempt"] == 1 and body["proposals"] == []
    return body


def _answers_of(db_url: str, event_id: int) -> int:
    """How many times an event's proposals were stored (each event's exactly once)."""
    from sqlalchemy import func, select

    from web.db import Database
    from web.models import AuditLog

    db = Database(db_url)
    try:
        with db.session() as s:
            return int(s.scalar(select(func.count(AuditLog.id)).where(
                AuditLog.action == "live_proposals",
                AuditLog.detail.like(f"% event {event_id} %"))) or 0)  # fmt: skip
    finally:
        db.dispose()


def _kill_mid_event(c, worker, event_id: int) -> None:
    """SIGKILL the work horse answering the event while it is running."""
    wait_state(lambda: _event(c, event_id), {"running"}, 60)
    horses = child_pids(worker.pid)
    assert horses, "the worker forks a work horse for the event"
    assert _event(c, event_id)["state"] == "running"
    for horse in horses:
        os.kill(horse, signal.SIGKILL)


def test_an_events_proposals_are_worked_out_by_a_queue_worker(svc, qapp, coord, db, db_url,
                                                              live):  # fmt: skip
    """The web process only stores the event; a ``hah worker`` (on the ``-live`` queue
    alone here) answers it; the proposals are accepted into a checker-clean draft."""
    svc.worker("live", queues=("live",))
    event = _absent(coord, live)
    ready = wait_state(lambda: _event(coord, event["id"]), {"ready", "failed"}, 90)
    assert ready["state"] == "ready" and ready["proposals"], ready
    assert _answers_of(db_url, event["id"]) == 1
    ok = coord.post(f"/api/events/{event['id']}/accept", json={"proposal": 0, "confirm": True},
                    headers={"X-CSRF-Token": csrf(coord)})  # fmt: skip
    assert ok.status_code == 201, ok.get_json()
    assert_checker_clean(db, ok.get_json()["draft_version_id"])


def test_a_work_horse_killed_mid_event_is_requeued_then_failed(svc, qapp, coord, db, db_url,
                                                               live):  # fmt: skip
    """The process working out an event killed: re-queued under attempt 2 by the reaper, as
    a solve job is; killed again, the event fails with the reason and cannot be accepted;
    the worker lives on and answers the next event."""
    worker = svc.worker()
    event = _absent(coord, live)
    _kill_mid_event(coord, worker, event["id"])
    deadline = time.monotonic() + 40
    while _event(coord, event["id"])["attempt"] != 2:
        assert time.monotonic() < deadline, "not re-queued"
        time.sleep(0.2)
    _kill_mid_event(coord, worker, event["id"])
    failed = wait_state(lambda: _event(coord, event["id"]), {"failed"}, 40)
    assert "stopped reporting" in failed["error"] and failed["attempt"] == 2
    assert failed["proposals"] == [] and _answers_of(db_url, event["id"]) == 0
    refused = coord.post(f"/api/events/{event['id']}/accept", json={"proposal": 0},
                         headers={"X-CSRF-Token": csrf(coord)})  # fmt: skip
    assert refused.status_code == 409 and "failed" in refused.get_json()["error"]
    assert worker.poll() is None
    again = _absent(coord, live)
    ready = wait_state(lambda: _event(coord, again["id"]), {"ready", "failed"}, 90)
    assert ready["state"] == "ready" and ready["attempt"] == 1, ready


def test_a_worker_killed_mid_event_has_it_answered_by_another(svc, qapp, coord, db, db_url,
                                                              live):  # fmt: skip
    """The work horse killed once: another attempt answers the event, once, and its
    proposal is accepted into a checker-clean draft."""
    worker = svc.worker()
    event = _absent(coord, live)
    _kill_mid_event(coord, worker, event["id"])
    ready = wait_state(lambda: _event(coord, event["id"]), {"ready", "failed"}, 90)
    assert ready["state"] == "ready" and ready["attempt"] == 2, ready
    assert _answers_of(db_url, event["id"]) == 1
    ok = coord.post(f"/api/events/{event['id']}/accept", json={"proposal": 0, "confirm": True},
                    headers={"X-CSRF-Token": csrf(coord)})  # fmt: skip
    assert ok.status_code == 201, ok.get_json()
    assert_checker_clean(db, ok.get_json()["draft_version_id"])

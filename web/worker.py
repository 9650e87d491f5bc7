"""``hah worker``: a process that takes solves, re-optimisations and capacity runs off the Redis
queue and runs them, on this machine or any other that reaches the same Redis and database.

It is RQ's forking worker: each job runs in a fresh fork (its "work horse") of a process
that has already imported the solver, so a job starts at once, its memory is returned when
it ends, and a crash takes only that job down. The queues are ``<prefix>-live`` (live-day
events' proposals: first, since a coordinator is waiting on them), ``<prefix>-solve`` and
``<prefix>-capacity``; ``--queue`` narrows them, so a machine can be kept for solves, or a
worker kept for the live day so an urgent referral never waits behind a long Generate. A
worker also runs the reaper (``web.services.reaper``) every few seconds: rows whose worker
was killed are re-queued or failed within ``HAH_JOB_DEAD_S`` plus a few seconds; and
retention's purge (``web.services.retention.Scheduled``) ten minutes after it starts, then
hourly.

Settings from the environment (docs/web.md): ``DATABASE_URL``, ``HAH_REDIS_URL``,
``HAH_QUEUE_PREFIX``, ``HAH_CAPACITY_WORKERS`` / ``HAH_RAY_ADDRESS`` (in the run's
parameters), ``HAH_HEARTBEAT_S``, ``HAH_JOB_DEAD_S``, ``HAH_JOB_ATTEMPTS``,
``HAH_RETAIN_UPLOADS_DAYS`` / ``HAH_RETAIN_DISCHARGED_DAYS``,
``HAH_LOG_LEVEL`` / ``HAH_LOG_FORMAT``. A worker never migrates: it waits for ``hah db
upgrade`` (or the web's) to bring the database to the code's revision, and refuses to work
on a database newer than its code.

Signals are RQ's: SIGTERM or SIGINT once finishes the job in hand and exits (a warm
shutdown); twice kills the job, which the reaper then re-queues.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time

log = logging.getLogger("web.worker")

QUEUES = ("live", "solve", "capacity")


def _wait_for_schema(url: str, timeout_s: float) -> bool:
    from web.db import current_revision, head_revision

    head = head_revision()
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            have = current_revision(url)
        except Exception as exc:  # database not up yet
            have = f"unreachable ({type(exc).__name__})"
        if have == head:
            return True
        if time.monotonic() > deadline:
            log.error("database is at revision %s, the code needs %s: run `hah db upgrade`",
                      have, head)  # fmt: skip
            return False
        time.sleep(1.0)


def _preload() -> None:
    """Import (and so compile-load) the solver once in the parent, so forks start at once."""
    import scheduler.usecases.capacity.sweep
    import scheduler.usecases.plan_day  # noqa: F401
    import web.services.capacity.worker
    import web.services.event_jobs
    import web.services.events
    import web.services.jobs
    import web.tasks  # noqa: F401


def run(queues: tuple[str, ...] = QUEUES, *, burst: bool = False, name: str | None = None,
        schema_wait_s: float = 120.0) -> int:  # fmt: skip
    """Work until told to stop (or, with ``burst``, until the queues are empty)."""
    from rq import Queue, Worker

    from web import logs
    from web.config import queue_settings, retention
    from web.db import Database
    from web.services.capacity.worker import make_capacity_runner
    from web.services.event_jobs import make_event_runner
    from web.services.jobs import make_runner
    from web.services.reaper import Background
    from web.services.retention import Scheduled
    from web.tasks import database_url

    logs.configure()
    url = database_url()
    if not _wait_for_schema(url, schema_wait_s):
        return 2
    from redis import Redis

    settings = queue_settings()
    redis = Redis.from_url(settings.redis_url)  # its own: RQ sets its blocking timeouts on it
    _preload()
    os.environ["HAH_WORKER_PID"] = str(os.getpid())  # the horses watch their parent
    db = Database(url)
    reaper = Background(db, [make_runner("queue", url, settings),
                             make_capacity_runner("queue", url, settings),
                             make_event_runner("queue", url, settings)]).start()  # fmt: skip
    purger = Scheduled(db, retention(), os.environ).start()
    names = [settings.queue_name(q) for q in queues]
    worker = Worker(
        [Queue(n, connection=redis) for n in names],
        connection=redis,
        name=name or f"{socket.gethostname()}.{os.getpid()}",
        job_monitoring_interval=5,
    )
    log.info("worker ready", extra={"queue": ",".join(names), "worker": worker.name})
    try:
        worker.work(burst=burst, logging_level=os.environ.get("HAH_LOG_LEVEL", "INFO").upper(),
                    with_scheduler=False)  # fmt: skip
    finally:
        reaper.stop()
        purger.stop()
        db.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m web.worker")
    p.add_argument("--queue", action="append", choices=QUEUES)
    p.add_argument("--burst", action="store_true")
    args = p.parse_args(argv)
    return run(tuple(args.queue or QUEUES), burst=args.burst)


if __name__ == "__main__":
    sys.exit(main())

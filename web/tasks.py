"""What a ``hah worker`` runs for each job it takes off the queue (RQ imports these by name:
``web.tasks.solve``, ``web.tasks.capacity`` and ``web.tasks.live``).

Only ids travel through Redis: the job's row, and the attempt the worker is handed. The
database URL is the worker's own (``DATABASE_URL`` in its environment), never put on the
queue, so a password in it is not stored in Redis and a worker on another machine can
reach the same database by another address.
"""

from __future__ import annotations

import os

from web.services.capacity.worker import run_capacity
from web.services.event_jobs import run_event
from web.services.jobs import run_job


def database_url() -> str:
    """The worker's database: ``DATABASE_URL``, else the same default SQLite file as the app."""
    from web.config import default_database_url

    return os.environ.get("DATABASE_URL") or default_database_url()


def _forked() -> bool:
    """Inside a work horse forked by a ``hah worker`` (which names itself in
    ``HAH_WORKER_PID``): the horse ends itself if that worker dies."""
    return os.environ.get("HAH_WORKER_PID") == str(os.getppid())


def solve(job_id: int, attempt: int) -> None:
    run_job(database_url(), int(job_id), int(attempt), watch_parent=_forked())


def capacity(run_id: int, attempt: int) -> None:
    run_capacity(database_url(), int(run_id), int(attempt), watch_parent=_forked())


def live(event_id: int, attempt: int) -> None:
    run_event(database_url(), int(event_id), int(attempt), watch_parent=_forked())

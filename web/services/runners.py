"""Running background work off the request thread: solve jobs and capacity runs alike.

A row in the database (a ``SolveJob`` or a ``CapacityRun``) carries the work's state; a
runner is handed its id and runs the worker for it, one at a time in submission order (the
machine has two cores and each solve or sweep already uses them). Two kinds:

- ``ProcessRunner`` (default): each piece of work in a fresh Python process,
  ``python -m <worker module> ID``. A new interpreter rather than ``multiprocessing``:
  forking a threaded web server is unsafe, and ``spawn`` re-imports the server's
  ``__main__``, which re-runs any launcher script without a ``__name__`` guard. OR-Tools'
  memory and any crash stay out of the web server. The database URL travels in the
  environment, not on the command line, so a password in it does not show in ``ps``. A
  process that dies without reporting leaves its row failed, with the exit code.
- ``ThreadRunner``: the same worker function in a thread of the web process (a demo on one
  process, tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from web.models import utcnow

if TYPE_CHECKING:
    from web.db import Database


@dataclass(frozen=True)
class Work:
    """What a runner runs: the worker function (``work(db_url, id)``, never raises), the
    module that runs it as a process, the row class it reports into, and a name for errors."""

    run: Callable[[str, int], None]
    module: str
    model: type
    what: str


class Runner:
    """Runs submitted work one at a time, in submission order, off the request thread."""

    def __init__(self, db_url: str, work: Work, max_concurrent: int = 1):
        self.db_url = db_url
        self.work = work
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._threads: dict[int, threading.Thread] = {}

    def submit(self, row_id: int) -> None:
        thread = threading.Thread(target=self._guarded, args=(row_id,), daemon=True,
                                  name=f"{self.work.what}-{row_id}")  # fmt: skip
        self._threads[row_id] = thread
        thread.start()

    def _guarded(self, row_id: int) -> None:
        with self._slots:
            self._run(row_id)

    def _run(self, row_id: int) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def wait(self, row_id: int, timeout: float | None = None) -> bool:
        """Block until the work has finished (tests, shutdown); True if it did."""
        thread = self._threads.get(row_id)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()


class ThreadRunner(Runner):
    def _run(self, row_id: int) -> None:
        self.work.run(self.db_url, row_id)


class ProcessRunner(Runner):
    def _run(self, row_id: int) -> None:
        paths = [p or os.getcwd() for p in sys.path]
        env = dict(os.environ, HAH_WORKER_DATABASE_URL=self.db_url,
                   PYTHONPATH=os.pathsep.join(paths))  # fmt: skip
        proc = subprocess.run([sys.executable, "-m", self.work.module, str(row_id)], env=env)
        if proc.returncode != 0:
            mark_crashed(self.db_url, self.work, row_id, proc.returncode)


def mark_crashed(db_url: str, work: Work, row_id: int, exitcode: int | None) -> None:
    """A worker that died without reporting (killed, out of memory) leaves a failed row."""
    from web.db import Database

    db = Database(db_url)
    try:
        with db.session() as s:
            row = s.get(work.model, row_id)
            if row is not None and row.state in ("queued", "running"):
                row.state = "failed"
                row.error = f"the {work.what} process ended with exit code {exitcode}"
                row.finished_at = utcnow()
                s.commit()
    finally:
        db.dispose()


def claim(row: Any) -> bool:
    """A worker's first step on its row (a ``SolveJob`` or ``CapacityRun``): False, with the
    row stopped, if Stop was pressed while it was queued; else the row is running from now.
    The caller commits."""
    if row.stop_requested:
        row.state, row.finished_at = "stopped", utcnow()
        return False
    row.state = "running"
    row.started_at = row.heartbeat_at = utcnow()
    return True


def record_failure(db: Database, model: type, row_id: int, exc: BaseException) -> None:
    """A worker's last word when its work raised: the row failed, with the error, because the
    row is the only place a coordinator or ops lead sees it."""
    with db.session() as s:
        row = s.get(model, row_id)
        if row is not None:
            row.state = "failed"
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
            row.finished_at = utcnow()
            s.commit()


def make(kind: str, db_url: str, work: Work) -> Runner:
    """``HAH_JOB_RUNNER``'s choice: "process" (default) or "thread"."""
    if kind == "thread":
        return ThreadRunner(db_url, work)
    if kind == "process":
        return ProcessRunner(db_url, work)
    raise ValueError(f"HAH_JOB_RUNNER must be 'process' or 'thread', not {kind!r}")


class StopFlag:
    """A worker's ``should_stop``: the row's ``stop_requested`` read at most every
    ``every_s`` seconds (the search asks far more often than the database should be asked),
    and sticky once set. With ``heartbeat_s`` it also stamps the row's ``heartbeat_at`` that
    often, so a long quiet stretch (a big sweep between two finished days) does not look
    like an abandoned worker."""

    def __init__(self, db, model: type, row_id: int, every_s: float = 0.5,
                 heartbeat_s: float | None = None):  # fmt: skip
        self.db, self.model, self.row_id = db, model, row_id
        self.every_s, self.heartbeat_s = every_s, heartbeat_s
        self._read = 0.0
        self._beat = time.monotonic()
        self.stopped = False

    def beat(self) -> None:
        """Say the worker was alive now (its progress report stamped the row itself)."""
        self._beat = time.monotonic()

    def __call__(self) -> bool:
        now = time.monotonic()
        if self.stopped or now - self._read < self.every_s:
            return self.stopped
        self._read = now
        with self.db.session() as s:
            row = s.get(self.model, self.row_id)
            self.stopped = bool(row.stop_requested)
            if self.heartbeat_s is not None and now - self._beat >= self.heartbeat_s:
                self._beat = now
                row.heartbeat_at = utcnow()
                s.commit()
        return self.stopped

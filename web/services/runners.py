"""Running background work off the request: solve jobs and capacity runs alike.

A row in the database (a ``SolveJob`` or a ``CapacityRun``) carries the work's state; the web
request only creates the row and hands its id to a runner. Two kinds (``HAH_JOB_RUNNER``):

- ``QueueRunner`` (``queue``, the default): the id goes onto a Redis queue (RQ) and a
  ``hah worker`` process, on this machine or another, runs it. How many solves run at once
  is how many workers there are, whichever web process took the request.
- ``ThreadRunner`` (``thread``): the same worker function in a thread of the web process, one
  at a time per process (tests, a demo on one process).

Whichever runs it, a worker owns a row only for the *attempt* it was handed (``claim``): it
stamps ``heartbeat_at`` every few seconds from a thread (``Lease``), and writes its result
only while the row is still running under its attempt (``owns``). The reaper
(``web.services.reaper``) takes back a row whose heartbeats stopped (the worker was killed,
its machine lost): re-queued under the next attempt, or failed after the last. A worker
presumed dead that comes back finds its attempt superseded and stores nothing, so a job is
never done twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from web.models import ACTIVE_STATES, utcnow

if TYPE_CHECKING:
    from web.db import Database

log = logging.getLogger(__name__)


def env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


#: A worker stamps its row this often (seconds) while it works (``HAH_HEARTBEAT_S``).
HEARTBEAT_S = env_float("HAH_HEARTBEAT_S", 5.0)
#: A running row silent for this long has lost its worker: killed, or its machine lost
#: (``HAH_JOB_DEAD_S``).
DEAD_S = env_float("HAH_JOB_DEAD_S", 30.0)
#: How many times a job is handed to a worker before a lost one counts as failed
#: (``HAH_JOB_ATTEMPTS``).
ATTEMPTS = int(env_float("HAH_JOB_ATTEMPTS", 2))
#: Beyond its own time limit, how long a solve may run before the queue kills it: the
#: construction of a big day, re-building the day, checking and storing the rota
#: (``HAH_SOLVE_GRACE_S``).
SOLVE_GRACE_S = int(env_float("HAH_SOLVE_GRACE_S", 300))


@dataclass(frozen=True)
class Work:
    """What a runner runs: the worker function (``run(db_url, id, attempt)``, never raises),
    the row class it reports into, a name for messages and queues (``solve``, ``capacity``),
    the task an RQ worker imports (``module.function`` taking ``(id, attempt)``) and the most
    seconds a row's work may take before the queue kills it."""

    run: Callable[[str, int, int | None], None]
    model: Any
    what: str
    task: str
    timeout: Callable[[Any], int]


@dataclass(frozen=True)
class QueueSettings:
    """Where the queue is: the Redis URL and a prefix for its queue and job names (several
    services, or test runs, may share one Redis)."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    prefix: str = "hah"

    def queue_name(self, what: str) -> str:
        return f"{self.prefix}-{what}"

    def job_id(self, what: str, row_id: int, attempt: int) -> str:
        return f"{self.prefix}-{what}-{row_id}-{attempt}"

    def redis(self):
        """A client for the queue's Redis, one per URL and process (redis-py's pool is
        thread-safe and starts afresh in a forked child)."""
        client = _CLIENTS.get(self.redis_url)
        if client is None:
            from redis import Redis

            client = Redis.from_url(self.redis_url, socket_connect_timeout=3, socket_timeout=10)
            _CLIENTS[self.redis_url] = client
        return client


_CLIENTS: dict[str, Any] = {}


class QueueUnavailable(RuntimeError):
    """The job queue (Redis) cannot be reached: nothing was queued."""


class Runner:
    """Hands rows to workers. ``submit`` after the row is committed (the worker must see it)."""

    def __init__(self, db_url: str, work: Work):
        self.db_url = db_url
        self.work = work

    def submit(self, row_id: int, attempt: int | None = None) -> None:  # pragma: no cover
        raise NotImplementedError

    def cancel(self, row_id: int, attempt: int) -> None:
        """Take a queued row off the queue (its state is already ``cancelled``): best effort,
        since a worker that picks it up anyway finds it cancelled and does nothing."""

    def pending(self, row_id: int, attempt: int) -> bool:
        """Whether the queue still holds the row's attempt (waiting or being worked on)."""
        return True

    def wait(self, row_id: int, timeout: float | None = None) -> bool:
        """Block until the row's work has ended (tests, shutdown); True if it did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        from web.db import Database

        db = Database(self.db_url)
        try:
            while True:
                with db.session() as s:
                    row = s.get(self.work.model, row_id)
                    if row is None or row.state not in ACTIVE_STATES:
                        return True
                if deadline is not None and time.monotonic() > deadline:
                    return False
                time.sleep(0.2)
        finally:
            db.dispose()


class ThreadRunner(Runner):
    """The worker function in a thread of this process, one at a time, in submission order."""

    def __init__(self, db_url: str, work: Work, max_concurrent: int = 1):
        super().__init__(db_url, work)
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._threads: dict[int, threading.Thread] = {}

    def submit(self, row_id: int, attempt: int | None = None) -> None:
        thread = threading.Thread(target=self._guarded, args=(row_id, attempt), daemon=True,
                                  name=f"{self.work.what}-{row_id}")  # fmt: skip
        self._threads[row_id] = thread
        thread.start()

    def _guarded(self, row_id: int, attempt: int | None) -> None:
        with self._slots:
            self.work.run(self.db_url, row_id, attempt)

    def pending(self, row_id: int, attempt: int) -> bool:
        thread = self._threads.get(row_id)
        return thread is None or thread.is_alive()  # another process's thread: assume so

    def wait(self, row_id: int, timeout: float | None = None) -> bool:
        thread = self._threads.get(row_id)
        if thread is None:
            return super().wait(row_id, timeout)
        thread.join(timeout)
        return not thread.is_alive()

    def drain(self, timeout: float = 120.0) -> bool:
        """Wait for every thread this runner started (a test's end, before its database
        goes, so no work outlives it); True if they all ended."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads.values()):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads.values())


class QueueRunner(Runner):
    """RQ on Redis: ``submit`` enqueues ``work.task(row_id, attempt)`` on the queue
    ``<prefix>-<what>``, under the job id ``<prefix>-<what>-<row>-<attempt>``."""

    def __init__(self, db_url: str, work: Work, settings: QueueSettings):
        super().__init__(db_url, work)
        self.settings = settings
        self._redis: Any = None

    @property
    def redis(self):
        if self._redis is None:
            self._redis = self.settings.redis()
        return self._redis

    def _attempt_of(self, row_id: int) -> tuple[int, int]:
        from web.db import Database

        db = Database(self.db_url)
        try:
            with db.session() as s:
                row = s.get(self.work.model, row_id)
                if row is None:
                    raise LookupError(f"{self.work.model.__name__} {row_id} does not exist")
                return int(row.attempt), self.work.timeout(row)
        finally:
            db.dispose()

    def submit(self, row_id: int, attempt: int | None = None) -> None:
        from redis.exceptions import RedisError
        from rq import Queue

        known, timeout = self._attempt_of(row_id)
        attempt = known if attempt is None else attempt
        try:
            Queue(self.settings.queue_name(self.work.what), connection=self.redis).enqueue_call(
                func=self.work.task,
                args=(row_id, attempt),
                job_id=self.settings.job_id(self.work.what, row_id, attempt),
                timeout=timeout,
                result_ttl=3600,
                failure_ttl=7 * 86400,
                description=f"{self.work.what} {row_id} attempt {attempt}",
            )
        except RedisError as exc:
            raise QueueUnavailable(f"the job queue is unreachable ({type(exc).__name__})") from exc

    def cancel(self, row_id: int, attempt: int) -> None:
        from redis.exceptions import RedisError
        from rq.exceptions import InvalidJobOperation, NoSuchJobError
        from rq.job import Job

        # Gone already, or started: either way the worker's claim finds the row cancelled.
        with contextlib.suppress(NoSuchJobError, InvalidJobOperation, RedisError):
            Job.fetch(self.settings.job_id(self.work.what, row_id, attempt),
                      connection=self.redis).cancel()  # fmt: skip

    def pending(self, row_id: int, attempt: int) -> bool:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        try:
            job = Job.fetch(self.settings.job_id(self.work.what, row_id, attempt),
                            connection=self.redis)  # fmt: skip
        except NoSuchJobError:
            return False
        return job.get_status() in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED,
                                    JobStatus.SCHEDULED)  # fmt: skip


def make(kind: str, db_url: str, work: Work, queue: QueueSettings | None = None) -> Runner:
    """``HAH_JOB_RUNNER``'s choice: "queue" (default: RQ on Redis) or "thread"."""
    if kind == "thread":
        return ThreadRunner(db_url, work)
    if kind == "queue":
        return QueueRunner(db_url, work, queue or QueueSettings())
    raise ValueError(f"HAH_JOB_RUNNER must be 'queue' or 'thread', not {kind!r}")


# --- a worker's hold on its row ----------------------------------------------------------------


def claim(db: Database, model: Any, row_id: int, attempt: int | None) -> int | None:
    """A worker's first step: the row's attempt it now owns (the row is running from now),
    or None when there is nothing to do: the row is gone, no longer queued (cancelled,
    finished, taken by another attempt), or Stop was pressed while it waited (then it ends
    ``stopped``, never having started)."""
    now = utcnow()
    with db.session() as s:
        row = s.get(model, row_id)
        if row is None or row.state != "queued":
            return None
        if attempt is None:
            attempt = int(row.attempt)
        if row.attempt != attempt:
            return None
        if row.stop_requested:
            row.state, row.finished_at = "stopped", now
            s.commit()
            return None
        done = s.execute(
            update(model)
            .where(model.id == row_id, model.attempt == attempt, model.state == "queued")
            .values(state="running", started_at=now, heartbeat_at=now, error="")
        )
        s.commit()
        return attempt if done.rowcount == 1 else None  # type: ignore[attr-defined]


def owns(session, model: Any, row_id: int, attempt: int) -> bool:
    """In the caller's transaction: the row is still running under ``attempt``, and from
    now until the caller commits no reaper can take it (the row is write-locked)."""
    done = session.execute(
        update(model)
        .where(model.id == row_id, model.attempt == attempt, model.state == "running")
        .values(heartbeat_at=utcnow())
    )
    return done.rowcount == 1


class Lease:
    """Heartbeats for a claimed row, from a daemon thread, every ``every_s`` seconds.

    ``lost`` turns true when a beat finds the row no longer running under this attempt (the
    reaper took it back, or Stop found it dead); then the work should stop and store nothing.
    With ``watch_parent`` (an RQ work horse) the process also ends itself when the worker
    that forked it has died, so no orphan solves on unseen.
    """

    def __init__(self, db: Database, model: Any, row_id: int, attempt: int,
                 every_s: float = HEARTBEAT_S, watch_parent: bool = False):  # fmt: skip
        self.db, self.model, self.row_id, self.attempt = db, model, row_id, attempt
        self.every_s = every_s
        self.lost = False
        self._parent = os.getppid() if watch_parent else None
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, daemon=True, name=f"lease-{model.__tablename__}-{row_id}"
        )

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(self.every_s + 5)

    def beat(self) -> bool:
        with self.db.session() as s:
            ok = owns(s, self.model, self.row_id, self.attempt)
            s.commit()
        if not ok:
            self.lost = True
        return ok

    def _loop(self) -> None:
        while not self._done.wait(self.every_s):
            if self._parent is not None and os.getppid() != self._parent:
                log.error("worker died: abandoning %s %s", self.model.__tablename__, self.row_id)
                os._exit(70)  # the reaper re-queues the row once its heartbeats stop
            try:
                if not self.beat():
                    return
            except Exception:  # a database hiccup: the next beat tries again
                log.warning("heartbeat of %s %s failed", self.model.__tablename__, self.row_id,
                            exc_info=True)  # fmt: skip


def record_failure(db: Database, model: Any, row_id: int, attempt: int | None,
                   exc: BaseException) -> None:  # fmt: skip
    """A worker's last word when its work raised: the row failed, with the error's kind and
    message, because the row is the only place a coordinator or ops lead sees it. Written
    only while the row is still the worker's (not re-queued or stopped meanwhile)."""
    with db.session() as s:
        row = s.get(model, row_id)
        if row is None or row.state not in ACTIVE_STATES:
            return
        if attempt is not None and row.attempt != attempt:
            return
        row.state = "failed"
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        row.finished_at = utcnow()
        s.commit()


class StopFlag:
    """A worker's ``should_stop``: the row's ``stop_requested`` read at most every
    ``every_s`` seconds (the search asks far more often than the database should be asked),
    sticky once set, and true as soon as the worker's lease is lost."""

    def __init__(self, db, model: Any, row_id: int, every_s: float = 0.5,
                 lease: Lease | None = None):  # fmt: skip
        self.db, self.model, self.row_id = db, model, row_id
        self.every_s = every_s
        self.lease = lease
        self._read = 0.0
        self.stopped = False

    def beat(self) -> None:
        """Kept for callers that report progress; the lease's thread does the heartbeats."""

    def __call__(self) -> bool:
        if self.lease is not None and self.lease.lost:
            self.stopped = True
        now = time.monotonic()
        if self.stopped or now - self._read < self.every_s:
            return self.stopped
        self._read = now
        with self.db.session() as s:
            row = s.get(self.model, self.row_id)
            self.stopped = row is None or bool(row.stop_requested) or row.state != "running"
        return self.stopped


@dataclass
class Owned:
    """A worker's hold on one row for one attempt: the database, the attempt it claimed,
    and the lease that keeps the row alive while it works."""

    db: Database
    model: Any
    row_id: int
    attempt: int
    lease: Lease

    def still_ours(self, session, what: str) -> bool:
        """Before storing a result (in ``session``'s transaction): the lease not lost and the
        row still running under this attempt; said in the log when not."""
        if self.lease.lost or not owns(session, self.model, self.row_id, self.attempt):
            log.warning("%s %s: no longer ours; nothing stored", what, self.row_id)
            return False
        return True


@contextlib.contextmanager
def owned_work(db_url: str, model: Any, row_id: int, attempt: int | None, *, what: str,
               watch_parent: bool = False) -> Iterator[Owned | None]:  # fmt: skip
    """What every worker does around its work: claim the row for ``attempt`` (``None``
    inside: nothing to do), keep a lease on it while the block runs, and if the block
    raises, record the row failed with the reason (the row is the only place a coordinator
    or ops lead sees it) rather than raise; the database is closed at the end."""
    from web.db import Database

    db = Database(db_url)
    claimed: int | None = None
    try:
        claimed = claim(db, model, row_id, attempt)
        if claimed is None:
            yield None
            return
        with Lease(db, model, row_id, claimed, watch_parent=watch_parent) as lease:
            yield Owned(db, model, row_id, claimed, lease)
    except Exception as exc:
        log.exception("%s %s failed", what, row_id)
        record_failure(db, model, row_id, claimed, exc)
    finally:
        db.dispose()

"""The reaper: jobs and capacity runs whose worker is gone are taken back, so nothing is lost,
nothing runs twice and no day stays locked.

- A **running** row with no heartbeat for ``dead_s`` (its worker was killed, its machine
  lost; a live worker stamps it every few seconds) is re-queued under its next attempt, to
  be solved afresh by another worker (a capacity run resumes from the days it had solved),
  or, once it has had ``attempts`` attempts or Stop was pressed, ends ``failed`` (or
  ``stopped``) with the reason. The worker presumed dead, if it comes back, finds its
  attempt superseded and stores nothing (``runners.owns``).
- A **queued** row that the queue no longer holds (Redis lost it, or the web process died
  between committing the row and queueing it) is queued again under the same attempt.

Every ``hah worker`` runs it every few seconds; the web runs it too when a job's or run's
status is asked for (at most every few seconds per process), so a page shows the truth
even while no worker is up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from web.models import utcnow
from web.services import runners

if TYPE_CHECKING:
    from web.db import Database

log = logging.getLogger(__name__)

#: How often a worker (or a web process asked for a status) reaps, at most.
REAP_EVERY_S = 5.0


def reap(db: Database, all_runners: Iterable[runners.Runner], *, dead_s: float | None = None,
         attempts: int | None = None,
         now: datetime | None = None) -> dict[str, list[int]]:  # fmt: skip
    """One pass over every kind of work; returns the ids re-queued, failed and re-sent."""
    dead_s = runners.DEAD_S if dead_s is None else dead_s
    attempts = runners.ATTEMPTS if attempts is None else attempts
    now = now or utcnow()
    cutoff = now - timedelta(seconds=dead_s)
    done: dict[str, list[int]] = {"requeued": [], "failed": [], "resent": []}
    for runner in all_runners:
        model: Any = runner.work.model
        what = runner.work.what
        with db.session() as s:
            rows = s.scalars(select(model).where(model.state == "running")).all()
            dead = [(r.id, r.attempt, bool(r.stop_requested)) for r in rows
                    if (r.heartbeat_at or r.started_at or r.created_at) < cutoff]  # fmt: skip
            queued = [(r.id, r.attempt) for r in s.scalars(
                select(model).where(model.state == "queued")).all()
                if (r.heartbeat_at or r.created_at) < cutoff]  # fmt: skip
        for row_id, attempt, stop in dead:
            again = attempt < attempts and not stop
            values = (
                {"state": "queued", "attempt": attempt + 1, "started_at": None,
                 "heartbeat_at": now,
                 "error": f"re-queued: its worker stopped reporting (attempt {attempt})"}
                if again else
                {"state": "stopped" if stop else "failed", "finished_at": now,
                 "error": f"its worker stopped reporting (killed, or its machine lost) "
                          f"on attempt {attempt} of {attempts}"}
            )  # fmt: skip
            with db.session() as s:
                changed = s.execute(
                    update(model)
                    .where(model.id == row_id, model.attempt == attempt,
                           model.state == "running",
                           (model.heartbeat_at < cutoff) | model.heartbeat_at.is_(None))
                    .values(**values)
                ).rowcount  # type: ignore[attr-defined]
                s.commit()
            if not changed:
                continue  # it beat just now, or someone else reaped it
            if again:
                done["requeued"].append(row_id)
                log.warning("re-queued a %s whose worker died", what,
                            extra={"kind": what, "job_id": row_id, "attempt": attempt + 1})
                _submit(runner, row_id, attempt + 1)
            else:
                done["failed"].append(row_id)
                log.warning("a %s's worker died; not retried", what,
                            extra={"kind": what, "job_id": row_id, "attempt": attempt})
        for row_id, attempt in queued:
            try:
                if runner.pending(row_id, attempt):
                    continue
            except Exception:  # the queue unreachable: try next time
                log.warning("reaper: queue unreachable", exc_info=True)
                break
            with db.session() as s:
                s.execute(update(model).where(model.id == row_id, model.state == "queued")
                          .values(heartbeat_at=now))  # fmt: skip
                s.commit()
            done["resent"].append(row_id)
            log.warning("re-sent a queued %s the queue had lost", what,
                        extra={"kind": what, "job_id": row_id, "attempt": attempt})
            _submit(runner, row_id, attempt)
    return done


def _submit(runner: runners.Runner, row_id: int, attempt: int) -> None:
    try:
        runner.submit(row_id, attempt)
    except runners.QueueUnavailable:
        log.warning("reaper: could not queue; the next pass sends it", exc_info=True)


class Throttled:
    """``reap`` at most every ``every_s`` seconds in this process, never concurrently (the web
    calls it on status requests; only one of several threads at a time does the work)."""

    def __init__(self, every_s: float = REAP_EVERY_S):
        self.every_s = every_s
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, db: Database, all_runners: Iterable[runners.Runner]) -> None:
        now = time.monotonic()
        if now - self._last < self.every_s or not self._lock.acquire(blocking=False):
            return
        try:
            self._last = now
            reap(db, all_runners)
        except Exception:
            log.warning("reaper pass failed", exc_info=True)
        finally:
            self._lock.release()


class Background:
    """``reap`` every ``every_s`` seconds in a daemon thread (a ``hah worker``)."""

    def __init__(self, db: Database, all_runners: list[runners.Runner],
                 every_s: float = REAP_EVERY_S):  # fmt: skip
        self.db, self.runners, self.every_s = db, all_runners, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="reaper")

    def start(self) -> Background:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                reap(self.db, self.runners)
            except Exception:
                log.warning("reaper pass failed", exc_info=True)

"""Background solves: a job row in the database, a worker that solves and reports into it.

The web request only creates a ``SolveJob`` row and hands its id to a runner; the worker
(``run_job``) builds the day from the stored import and plans it with the same use case as
``hah solve`` (``scheduler.usecases.plan_day``: the solver, then the independent checker),
with a progress callback that writes the best-so-far into the row (at most once a second)
and a stopping rule that reads the row's ``stop_requested`` flag (at most twice a second),
and stores the rota as a draft ``RotaVersion``. Because all state goes through the database,
any web process can show progress or stop any job, and a page polling ``/api/jobs/<id>``
sees the same numbers as the coordinator's board.

Runners (``web.services.runners``): by default the job goes onto a Redis queue and a ``hah
worker`` process (on this machine or another) solves it, so the web processes only answer
pages and as many solves run at once as there are workers; or in a thread of the web process
(tests, a single-process demo).

The database holds the rules, whichever process asks: one active (queued or running) job per
day is a partial unique index (migration 0005), so two Generates at once make one job and
the other is refused; a running job whose worker stopped sending heartbeats is taken back by
the reaper (``web.services.reaper``); Stop works in every active state (a queued job is
cancelled, a running one stops keeping the best so far, a dead one is marked stopped).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.domain.model import Problem
from scheduler.usecases.plan_day import Progress, default_workers
from web.models import ACTIVE_STATES, Day, DayImport, RotaVersion, SolveJob, User, utcnow
from web.services import audit, runners

log = logging.getLogger(__name__)

#: Cooperating searches per solve job (``HAH_SOLVE_WORKERS``, 1 or 2; default one per core,
#: two at most): a coordinator waiting for a rota gets both cores of a two-core server.
SOLVE_WORKERS = max(1, min(2, int(runners.env_float("HAH_SOLVE_WORKERS", default_workers()))))

ACTIVE = ACTIVE_STATES
#: "Keep the plan": in a re-optimisation a visit changes clinician or place only when that
#: saves at least this many minutes of travel.
KEEP_PLAN_MIN = 15
#: Kept for callers of the old name: a job silent this long past its limit was "abandoned".
#: Liveness is now the heartbeat (``runners.DEAD_S``).
STALE_GRACE_S = 600


class JobError(ValueError):
    """A solve cannot be started or stopped as asked."""


def _busy_message(busy: SolveJob) -> str:
    return f"job {busy.id} is still {busy.state} for this day; wait or stop it"


def start_job(
    session: Session,
    day: Day,
    imp: DayImport,
    user: User | None,
    time_limit_s: float,
    ip: str = "",
    *,
    base: RotaVersion | None = None,
    keep_plan_min: int | None = None,
    dead_s: float = runners.DEAD_S,
) -> SolveJob:
    """A queued job for the day's latest import; refuses a second job for a day still solving.

    A running job whose worker has gone silent (no heartbeat for ``dead_s``) is marked
    failed first, so a worker lost in a crash cannot block the day. The insert is checked by
    the database's one-active-job-per-day index, so of two requests at once exactly one
    makes a job. The caller commits, then hands ``job.id`` to a runner.
    """
    if base is not None and base.import_id != imp.id:
        raise JobError(f"version {base.id} was made from older files: generate afresh")
    now = utcnow()
    active = session.scalars(
        select(SolveJob).where(SolveJob.day_id == day.id, SolveJob.state.in_(ACTIVE))
    ).all()
    busy = None
    for old in active:
        if is_stale(old, now, dead_s):
            old.state, old.finished_at = "failed", now
            old.error = "abandoned: its worker stopped reporting (killed, or its machine lost)"
        else:
            busy = old
    if busy is not None:
        raise JobError(_busy_message(busy))
    session.flush()
    job = SolveJob(
        day_id=day.id,
        import_id=imp.id,
        state="queued",
        attempt=1,
        time_limit_s=float(time_limit_s),
        created_by_id=user.id if user else None,
        base_version_id=base.id if base is not None else None,
        keep_plan_min=keep_plan_min if base is not None else None,
    )
    session.add(job)
    try:
        session.flush()
    except IntegrityError:
        # Another request made the day's job between our read and our insert. (No savepoint:
        # SQLite's driver mishandles them; the whole transaction goes, and the caller's
        # commit of nothing is harmless.)
        session.rollback()
        raise JobError("another job for this day has just been started; wait or stop it"
                       ) from None  # fmt: skip
    what = (
        ""
        if base is None
        else f", re-optimising version {base.id}"
        + (f" keeping the plan (moves only for ≥ {keep_plan_min} min)" if keep_plan_min else "")
    )
    audit.record(
        session, user, "solve_start",
        f"{day.date:%Y-%m-%d}: job {job.id} on import {imp.id}, {time_limit_s:g} s{what}", ip,
    )  # fmt: skip
    return job


def request_stop(session: Session, job: SolveJob, user: User | None, ip: str = "",
                 *, dead_s: float = runners.DEAD_S) -> str:  # fmt: skip
    """Stop a job in any active state; returns what was done.

    - queued: ``cancelled`` at once (the caller takes it off the queue; a worker that picks
      it up anyway finds it cancelled);
    - running: the worker's stop flag, so it keeps the best rota so far as a draft;
    - running but dead (no heartbeat for ``dead_s``): ``stopped`` at once, with nothing kept.
    """
    if job.state not in ACTIVE:
        raise JobError(f"job {job.id} has already finished ({job.state})")
    now = utcnow()
    job.stop_requested = True
    if job.state == "queued":
        job.state, job.finished_at = "cancelled", now
        job.error = "cancelled before a worker started it"
        done = "cancelled"
    elif is_stale(job, now, dead_s):
        job.state, job.finished_at = "stopped", now
        job.error = "stopped: its worker had stopped reporting, so no rota was kept"
        done = "stopped"
    else:
        done = "stopping"
    audit.record(session, user, "solve_stop", f"job {job.id}: {done}", ip)
    return done


def last_sign_of_life(row: Any) -> datetime | None:
    """When a job or run last showed it was alive (a heartbeat, or its creation)."""
    return row.heartbeat_at or row.started_at or row.created_at


def is_stale(job: Any, now: datetime, dead_s: float = runners.DEAD_S) -> bool:
    """Running, but no heartbeat for ``dead_s``: its worker was killed or its machine lost.
    (A queued job is waiting for a worker, which is not a fault of the job.)"""
    last = last_sign_of_life(job)
    return job.state == "running" and last is not None and (now - last).total_seconds() > dead_s


def _seconds(a: datetime | None, b: datetime) -> float | None:
    return None if a is None else max(0.0, (b - a).total_seconds())


def job_status(job: SolveJob) -> dict[str, Any]:
    """What the polling page shows: state, best cost, visit slots placed, seconds left."""
    now = utcnow()
    elapsed = _seconds(job.started_at, job.finished_at or now)
    left = None
    if job.state == "running" and elapsed is not None:
        left = round(max(0.0, job.time_limit_s - elapsed), 1)
    elif job.state == "queued":
        left = job.time_limit_s
    return {
        "id": job.id,
        "state": job.state,
        "stop_requested": job.stop_requested,
        "time_limit_s": job.time_limit_s,
        "elapsed_s": None if elapsed is None else round(elapsed, 1),
        "seconds_left": left,
        "best_cost": job.best_cost,
        "tasks_placed": job.tasks_placed,
        "tasks_total": job.tasks_total,
        "rota_version_id": job.rota_version_id,
        "error": job.error or None,
        "stale": is_stale(job, now),
        "attempt": job.attempt,
    }


# --- the worker ------------------------------------------------------------------------------


def run_job(db_url: str, job_id: int, attempt: int | None = None, *,
            watch_parent: bool = False) -> None:  # fmt: skip
    """Solve one job end to end (in a queue worker or a thread); never raises.

    ``attempt`` is the attempt the worker was handed (None: the row's current one); the
    worker claims the row for it, keeps a lease on it (heartbeats) while solving, and stores
    the draft only if the row is still its own. Imports of the use case are local so the web
    process itself never loads the solver (and OR-Tools) when the queue is used.
    """
    from scheduler.usecases.plan_day import SolveOptions, StopWhen, WarmStart, plan_day
    from web.db import get_or_fail
    from web.services.days import problem_for
    from web.services.rotas import save_draft

    t0 = time.monotonic()
    with runners.owned_work(db_url, SolveJob, job_id, attempt, what="solve job",
                            watch_parent=watch_parent) as work:  # fmt: skip
        if work is None:
            return
        db, owned, lease = work.db, work.attempt, work.lease
        with db.session() as s:
            job = get_or_fail(s, SolveJob, job_id)
            imp = get_or_fail(s, DayImport, job.import_id)
            time_limit = job.time_limit_s
            problem = problem_for(imp)
            job.tasks_total = sum(v.staff for v in problem.visits)
            base = s.get(RotaVersion, job.base_version_id) if job.base_version_id else None
            plan = _base_plan(problem, base) if base is not None else None
            keep_plan_min = job.keep_plan_min
            s.commit()

        last = {"progress": 0.0}
        should_stop = runners.StopFlag(db, SolveJob, job_id, lease=lease)

        def progress(p: Progress) -> None:
            now = time.monotonic()
            if now - last["progress"] < 1.0:
                return
            last["progress"] = now
            with db.session() as s:
                if not runners.owns(s, SolveJob, job_id, owned):
                    return
                row = get_or_fail(s, SolveJob, job_id)
                if p.objective is not None:
                    row.best_cost = int(p.objective)
                row.tasks_placed = int(p.tasks_placed)
                s.commit()

        options = SolveOptions(time_limit_s=time_limit, workers=SOLVE_WORKERS)
        stop = StopWhen(should_stop)
        if plan is None:
            rota = plan_day(problem, options, progress=progress, stop=stop).rota
            note, locks, parent_id = f"generated ({time_limit:g} s)", None, None
        else:
            options = replace(options, minimal_change_min=keep_plan_min)
            rota = plan_day(
                plan.problem, options, progress=progress, stop=stop,
                warm_start=WarmStart(plan.routes, plan.starts),
            ).rota  # fmt: skip
            on = {(v, r.clinician_id) for r in rota.routes for v in r.visit_ids}
            locks = [x for x in plan.locks if (x["visit_id"], x["clinician_id"]) in on]
            note = f"re-optimised around {len(locks)} lock(s), " + (
                f"keeping the plan (moves only for ≥ {keep_plan_min} min saved)"
                if keep_plan_min else "free search"
            )  # fmt: skip
            parent_id = plan.version_id
        with db.session() as s:
            if not work.still_ours(s, "solve job"):
                return
            job = get_or_fail(s, SolveJob, job_id)
            imp = get_or_fail(s, DayImport, job.import_id)
            user = s.get(User, job.created_by_id) if job.created_by_id else None
            parent = s.get(RotaVersion, parent_id) if parent_id else None
            version = save_draft(s, imp, rota, user, parent=parent, note=note, locks=locks)
            job.rota_version_id = version.id
            job.tasks_placed = sum(len(r.visit_ids) for r in rota.routes)
            job.state = "stopped" if (job.stop_requested or should_stop()) else "done"
            job.finished_at = job.heartbeat_at = utcnow()
            audit.record(
                s, user, "solve_done",
                f"job {job.id} {job.state}: draft {version.id}, "
                f"{version.kpis.get('visits_assigned')}/{version.kpis.get('visits_total')} "
                f"visits, {len(version.violations)} violations",
            )  # fmt: skip
            s.commit()
            log.info("solve job finished", extra={"job_id": job_id, "state": job.state,
                     "seconds": round(time.monotonic() - t0, 1), "attempt": owned})  # fmt: skip


@dataclass(frozen=True)
class _Plan:
    """A version to re-optimise: its routes and starts, and the day with its locks as pins."""

    version_id: int
    problem: Problem
    routes: dict[str, list[str]]
    starts: dict[str, datetime]
    locks: list[dict[str, str]]


def _base_plan(problem: Problem, version: RotaVersion) -> _Plan:
    """Locks become pins (a double-handed visit locked to two clinicians keeps its first lock
    as the pin and its other half is kept where it is by the warm start), so the search can
    move anything except them."""
    from web.services.rotas import version_rota

    rota = version_rota(version)
    locks = [dict(x) for x in version.rota.get("locks", [])]
    pins: dict[str, str] = {}
    for x in locks:
        pins.setdefault(x["visit_id"], x["clinician_id"])
    visits = tuple(
        replace(v, pinned_clinician=pins[v.visit_id]) if v.visit_id in pins else v
        for v in problem.visits
    )
    starts: dict[str, datetime] = {}
    for r in rota.routes:
        for st in r.stops:
            if st.visit_id is not None:
                starts[st.visit_id] = st.start
    return _Plan(
        version.id,
        replace(problem, visits=visits),
        {r.clinician_id: list(r.visit_ids) for r in rota.routes},
        starts,
        locks,
    )


def job_timeout(job: SolveJob) -> int:
    """The most seconds the queue lets a solve run before killing it: its time limit plus
    ``runners.SOLVE_GRACE_S`` (a 5 s Generate can never run for minutes and hold a worker)."""
    return int(job.time_limit_s + runners.SOLVE_GRACE_S)


WORK = runners.Work(run_job, SolveJob, "solve", "web.tasks.solve", job_timeout)


def make_runner(kind: str, db_url: str,
                queue: runners.QueueSettings | None = None) -> runners.Runner:  # fmt: skip
    """The app's solve-job runner (``HAH_JOB_RUNNER``: "queue" or "thread")."""
    return runners.make(kind, db_url, WORK, queue)

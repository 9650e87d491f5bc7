"""Background solves: a job row in the database, a worker that solves and reports into it.

The web request only creates a ``SolveJob`` row and hands its id to a runner; the worker
(``run_job``) builds the day from the stored import and plans it with the same use case as
``hah solve`` (``scheduler.usecases.plan_day``: the solver, then the independent checker),
with a progress callback that writes the best-so-far into the row (at most once a second)
and a stopping rule that reads the row's ``stop_requested`` flag (at most twice a second),
and stores the rota as a draft ``RotaVersion``. Because all
state goes through the database, any web process can show progress or stop any job, and a
page polling ``/api/jobs/<id>`` sees the same numbers as the coordinator's board.

Runners (``web.services.runners``): by default each job is solved in a separate Python
process, so the search's memory and any crash stay out of the web server and the server keeps
answering while the search holds a core; or in a thread (a demo on one process). Either way
one job at a time: the machine has two cores, so a second concurrent solve would only slow
both.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.domain.model import Problem
from scheduler.usecases.plan_day import Progress
from web.models import Day, DayImport, RotaVersion, SolveJob, User, utcnow
from web.services import audit, runners

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
#: "Keep the plan": in a re-optimisation a visit changes clinician or place only when that
#: saves at least this many minutes of travel.
KEEP_PLAN_MIN = 15
#: Grace beyond a job's own time limit before a silent active job counts as abandoned (its
#: worker died with the server, say). Generous: before the first rota on a
#: 1,100-visit day the worker can be silent for a while.
STALE_GRACE_S = 600


class JobError(ValueError):
    """A solve cannot be started or stopped as asked."""


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
) -> SolveJob:
    """A queued job for the day's latest import; refuses a second job for a day still solving.

    An active job that has been silent far past its time limit is marked failed first, so a
    worker lost in a server restart cannot block the day for ever. The caller commits, then
    hands ``job.id`` to a runner (the worker must see the row).
    """
    now = utcnow()
    active = session.scalars(
        select(SolveJob).where(SolveJob.day_id == day.id, SolveJob.state.in_(ACTIVE))
    ).all()
    busy = None
    for old in active:
        if is_stale(old, now):
            old.state, old.finished_at = "failed", now
            old.error = "abandoned: its worker stopped reporting (server restarted?)"
        else:
            busy = old
    if busy is not None:
        raise JobError(f"job {busy.id} is still {busy.state} for this day; wait or stop it")
    job = SolveJob(
        day_id=day.id,
        import_id=imp.id,
        state="queued",
        time_limit_s=float(time_limit_s),
        created_by_id=user.id if user else None,
        base_version_id=base.id if base is not None else None,
        keep_plan_min=keep_plan_min if base is not None else None,
    )
    if base is not None and base.import_id != imp.id:
        raise JobError(f"version {base.id} was made from older files: generate afresh")
    session.add(job)
    session.flush()
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


def request_stop(session: Session, job: SolveJob, user: User | None, ip: str = "") -> None:
    """Ask the worker to stop; it keeps the best rota found so far and stores it as a draft."""
    if job.state not in ACTIVE:
        raise JobError(f"job {job.id} has already finished ({job.state})")
    job.stop_requested = True
    audit.record(session, user, "solve_stop", f"job {job.id}", ip)


def is_stale(job: SolveJob, now: datetime) -> bool:
    """Active, but no sign of life for longer than its time limit plus ``STALE_GRACE_S``."""
    last = job.heartbeat_at or job.created_at
    return (
        job.state in ACTIVE
        and last is not None
        and (now - last).total_seconds() > job.time_limit_s + STALE_GRACE_S
    )


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
    stale = is_stale(job, now)
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
        "stale": stale,
    }


# --- the worker ------------------------------------------------------------------------------


def run_job(db_url: str, job_id: int) -> None:
    """Solve one job end to end (in a worker process or thread); never raises.

    Imports of the use case are local so the web process itself never loads the solver (and
    OR-Tools) when the process runner is used.
    """
    from scheduler.usecases.plan_day import SolveOptions, StopWhen, WarmStart, plan_day
    from web.db import Database, get_or_fail
    from web.services.days import problem_for
    from web.services.rotas import save_draft

    db = Database(db_url)
    try:
        with db.session() as s:
            job = s.get(SolveJob, job_id)
            if job is None:
                return
            if not runners.claim(job):
                s.commit()
                return
            imp = get_or_fail(s, DayImport, job.import_id)
            time_limit = job.time_limit_s
            s.commit()
            problem = problem_for(imp)
            job.tasks_total = sum(v.staff for v in problem.visits)
            base = s.get(RotaVersion, job.base_version_id) if job.base_version_id else None
            plan = _base_plan(problem, base) if base is not None else None
            keep_plan_min = job.keep_plan_min
            s.commit()

        last = {"progress": 0.0}
        should_stop = runners.StopFlag(db, SolveJob, job_id)

        def progress(p: Progress) -> None:
            now = time.monotonic()
            if now - last["progress"] < 1.0:
                return
            last["progress"] = now
            with db.session() as s:
                row = get_or_fail(s, SolveJob, job_id)
                if p.objective is not None:
                    row.best_cost = int(p.objective)
                row.tasks_placed = int(p.tasks_placed)
                row.heartbeat_at = utcnow()
                s.commit()

        options = SolveOptions(time_limit_s=time_limit)
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
    except Exception as exc:  # the job row is the only place a coordinator sees errors
        log.exception("solve job %s failed", job_id)
        runners.record_failure(db, SolveJob, job_id, exc)
    finally:
        db.dispose()


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
    from web.services.rotas import rota_from_json

    rota = rota_from_json(version.rota)
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


def make_runner(kind: str, db_url: str) -> runners.Runner:
    """The app's solve-job runner (``HAH_JOB_RUNNER``: "process" or "thread")."""
    return runners.make(kind, db_url, runners.Work(run_job, "web.worker", SolveJob, "solver"))

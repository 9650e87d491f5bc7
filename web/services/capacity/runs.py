"""Starting, stopping and watching capacity runs: one at a time across the whole service (a
sweep keeps the machine's cores busy, and a second would only slow both; the database's
partial unique index on ``lane`` enforces it, whichever process asks), an abandoned run
failed when its worker stops sending heartbeats, a new run re-using an earlier run's folder
when the scenario and time limit match (so re-running a stopped sweep solves only the days
not yet solved)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from web.models import ACTIVE_STATES, CapacityRun, User, utcnow
from web.services import audit, runners
from web.services.capacity.params import SAMPLE, kind_of
from web.services.jobs import is_stale as _job_is_stale

ACTIVE = ACTIVE_STATES


class CapacityError(ValueError):
    """A run cannot be started or stopped as asked (another is active, it has finished)."""


def is_stale(run: CapacityRun, now: datetime, dead_s: float = runners.DEAD_S) -> bool:
    """Running, but no heartbeat for ``dead_s``: its worker was killed or its machine lost."""
    return _job_is_stale(run, now, dead_s)


def active_run(session: Session) -> CapacityRun | None:
    """The run in progress, after failing any abandoned one (its worker died)."""
    now = utcnow()
    busy = None
    for run in session.scalars(select(CapacityRun).where(CapacityRun.state.in_(ACTIVE))):
        if is_stale(run, now):
            run.state, run.finished_at = "failed", now
            run.error = "abandoned: its worker stopped reporting (killed, or its machine lost)"
        else:
            busy = run
    session.flush()
    return busy


def _busy(busy: CapacityRun) -> str:
    return f"capacity run {busy.id} is still {busy.state}; wait for it or stop it first"


def _results_dir(session: Session, params: Mapping[str, Any], base: Path, run_id: int) -> str:
    """An earlier run's folder for the same scenario and time limit (its days are re-used),
    else a new one named after this run."""
    earlier = session.scalars(
        select(CapacityRun).where(CapacityRun.results_dir != "").order_by(CapacityRun.id.desc())
    )
    for old in earlier:
        p = old.params or {}
        if (
            p.get("scenario_key") == params["scenario_key"]
            and p.get("time_limit_s") == params["time_limit_s"]
            and Path(old.results_dir).parent == base
        ):
            return old.results_dir
    # A random tail too: several databases (tests, a demo) may share one instance folder.
    return str(base / f"run-{run_id}-{secrets.token_hex(3)}")


def start_run(
    session: Session,
    params: dict[str, Any],
    user: User | None,
    results_base: Path,
    ip: str = "",
) -> CapacityRun:
    """A queued run of validated ``params`` (``parse_params`` or ``parse_month_params``);
    refuses while another run (sweep or month) is active. The caller commits, then hands
    ``run.id`` to a runner."""
    busy = active_run(session)
    if busy is not None:
        raise CapacityError(_busy(busy))
    run = CapacityRun(
        state="queued",
        attempt=1,
        params=dict(params),
        progress_done=0,
        progress_total=days_asked(params),
        created_by_id=user.id if user else None,
    )
    session.add(run)
    try:
        session.flush()
    except IntegrityError:  # another request started one between our read and our insert
        session.rollback()
        raise CapacityError("another capacity run has just been started; wait for it or "
                            "stop it first") from None  # fmt: skip
    run.results_dir = _results_dir(session, params, Path(results_base), run.id)
    if kind_of(params) == "month":
        what = (f"month of {params['days']} day(s), census {params['census']}, mean stay "
                f"{params['mean_stay_days']:g} days")  # fmt: skip
    else:
        what = f"sizes {params['sizes']}, {params['seeds']} seed(s)"
    if params.get("caseload"):
        per = (f"{params['caseload_days']} day(s) per seed, " if "caseload_days" in params
               else "")  # fmt: skip
        what += f", caseload model ({per}{params.get('continuity', 'fixed')} continuity)"
    audit.record(
        session, user, "capacity_start",
        f"run {run.id}: {params['scenario_name']}, {what}, "
        f"{params['time_limit_s']:g} s per day", ip,
    )  # fmt: skip
    return run


def days_asked(params: Mapping[str, Any]) -> int:
    """The days a run solves: a month's days; a sweep's sizes × seeds, each seed a month of
    ``caseload_days`` days on the caseload model."""
    if kind_of(params) == "month":
        return int(params["days"])
    per_seed = int(params.get("caseload_days", 1)) if params.get("caseload") else 1
    return len(params["sizes"]) * int(params["seeds"]) * per_seed


def request_stop(session: Session, run: CapacityRun, user: User | None, ip: str = "",
                 *, dead_s: float = runners.DEAD_S) -> str:  # fmt: skip
    """Stop a run in any active state (returns what was done): a queued one is cancelled, a
    running one asked to stop (the days solved so far are kept and summarised), a dead one
    (no heartbeat for ``dead_s``) marked stopped at once."""
    if run.state not in ACTIVE:
        raise CapacityError(f"capacity run {run.id} has already finished ({run.state})")
    now = utcnow()
    run.stop_requested = True
    if run.state == "queued":
        run.state, run.finished_at = "cancelled", now
        run.error = "cancelled before a worker started it"
        done = "cancelled"
    elif is_stale(run, now, dead_s):
        run.state, run.finished_at = "stopped", now
        run.error = "stopped: its worker had stopped reporting"
        done = "stopped"
    else:
        done = "stopping"
    audit.record(session, user, "capacity_stop", f"run {run.id}: {done}", ip)
    return done


def recent_runs(session: Session, limit: int = 50) -> list[CapacityRun]:
    return list(session.scalars(select(CapacityRun).order_by(CapacityRun.id.desc()).limit(limit)))


def _seconds(a: datetime | None, b: datetime) -> float | None:
    return None if a is None else max(0.0, (b - a).total_seconds())


def run_status(run: CapacityRun) -> dict[str, Any]:
    """What the polling page shows, and the results once the run has ended."""
    now = utcnow()
    p = run.params or {}
    elapsed = _seconds(run.started_at, run.finished_at or now)
    total, done = run.progress_total or 0, run.progress_done or 0
    left = None
    if run.state in ACTIVE:
        per_day = float(p.get("time_limit_s", 30)) + 1.0
        left = round((total - done) * per_day / max(1, int(p.get("workers", 1))), 1)
    kind = kind_of(p)
    shown: dict[str, Any] = {
        "scenario_name": p.get("scenario_name"),
        "sample": p.get("scenario") == SAMPLE,
    }
    if kind == "month":
        shown |= {k: p.get(k) for k in ("start", "days", "census", "mean_stay_days", "seed")}
    else:
        shown |= {"sizes": p.get("sizes"), "seeds": p.get("seeds")}
    if p.get("caseload"):
        shown |= {"caseload": True, "continuity": p.get("continuity", "fixed")}
        if kind == "sweep":
            shown["caseload_days"] = p.get("caseload_days")
    shown |= {"time_limit_s": p.get("time_limit_s"), "level": p.get("level")}
    return {
        "id": run.id,
        "kind": kind,
        "state": run.state,
        "stop_requested": run.stop_requested,
        "done": done,
        "total": total,
        "percent": round(100 * done / total, 1) if total else 0.0,
        "elapsed_s": None if elapsed is None else round(elapsed, 1),
        "estimate_s_left": left,
        "error": run.error or None,
        "stale": is_stale(run, now),
        "attempt": run.attempt,
        "ray": p.get("ray_address") or None,
        "created_at": run.created_at.isoformat(timespec="seconds") + "Z",
        "params": shown,
        "results": run.results,
    }

"""The worker side of a capacity run: read the row, sweep (or simulate the month) through
the use cases in ``scheduler.usecases.capacity``, write progress (at most once a second) and
the results back, and honour the row's ``stop_requested`` flag between days. A run on the
caseload model passes its model and continuity through to the use case (``sweep(caseload=…)``,
``simulate_month(spec with caseload, continuity=…)``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from scheduler.domain.capacity.scenario import Scenario
from web.db import get_or_fail
from web.models import CapacityRun, User, utcnow
from web.services import audit, runners
from web.services.capacity.params import (
    caseload_of,
    kind_of,
    level_of,
    month_spec_of,
    scenario_from_text,
)
from web.services.capacity.results import serialise, serialise_month

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
ShouldStop = Callable[[], bool]


def _sweep(
    scenario: Scenario, folder: Path, params: Mapping[str, Any], progress: Progress,
    should_stop: ShouldStop,
) -> tuple[dict[str, Any], int, str]:  # fmt: skip
    """A sweep run's work: (results, days solved, what the audit log says)."""
    from scheduler.usecases.capacity.sweep import sweep

    result = sweep(
        scenario, folder, sizes=params["sizes"], seeds=range(int(params["seeds"])),
        time_limit_s=float(params["time_limit_s"]), level=level_of(params),
        workers=int(params.get("workers", 1)), ray_address=params.get("ray_address") or None,
        progress=progress, should_stop=should_stop, caseload=caseload_of(params),
    )  # fmt: skip
    results = serialise(result)
    done = sum(c.days for c in result.summaries)
    return results, done, f"largest census carried {result.largest}"


def _month(
    scenario: Scenario, folder: Path, params: Mapping[str, Any], progress: Progress,
    should_stop: ShouldStop,
) -> tuple[dict[str, Any], int, str]:  # fmt: skip
    """A month run's work: (results, days solved, what the audit log says)."""
    from scheduler.usecases.capacity.month import simulate_month

    result = simulate_month(
        scenario, folder, spec=month_spec_of(params), seed=int(params.get("seed", 0)),
        time_limit_s=float(params["time_limit_s"]), level=level_of(params),
        workers=int(params.get("workers", 1)), ray_address=params.get("ray_address") or None,
        progress=progress, should_stop=should_stop,
        continuity=params.get("continuity", "fixed") if params.get("caseload") else "fixed",
    )  # fmt: skip
    t = result.totals
    return serialise_month(result), t.days_solved, f"{t.days_ok} day(s) at the service level"


def run_capacity(db_url: str, run_id: int, attempt: int | None = None, *,
                 watch_parent: bool = False) -> None:  # fmt: skip
    """Sweep (or simulate the month of) one run end to end (in a queue worker or a thread);
    never raises. Claimed, leased and stored only while owned, as ``run_job`` does; a run
    re-queued after its worker died resumes from the days already in its folder."""
    with runners.owned_work(db_url, CapacityRun, run_id, attempt, what="capacity run",
                            watch_parent=watch_parent) as work:  # fmt: skip
        if work is None:
            return
        db, owned, lease = work.db, work.attempt, work.lease
        with db.session() as s:
            run = get_or_fail(s, CapacityRun, run_id)
            params = dict(run.params)
            folder = Path(run.results_dir)

        scenario = scenario_from_text(params["scenario"])
        last = {"progress": 0.0}
        should_stop = runners.StopFlag(db, CapacityRun, run_id, lease=lease)

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last["progress"] < 1.0 and done < total:
                return
            last["progress"] = now
            with db.session() as s:
                if not runners.owns(s, CapacityRun, run_id, owned):
                    return
                run = get_or_fail(s, CapacityRun, run_id)
                run.progress_done, run.progress_total = int(done), int(total)
                s.commit()

        sweep_or_month = _month if kind_of(params) == "month" else _sweep
        results, done, said = sweep_or_month(scenario, folder, params, progress, should_stop)
        with db.session() as s:
            if not work.still_ours(s, "capacity run"):
                return
            run = get_or_fail(s, CapacityRun, run_id)
            run.results = results
            run.progress_done = done
            run.state = "stopped" if (run.stop_requested or should_stop.stopped) else "done"
            run.finished_at = run.heartbeat_at = utcnow()
            user = s.get(User, run.created_by_id) if run.created_by_id else None
            audit.record(
                s, user, "capacity_done",
                f"run {run.id} {run.state}: {run.progress_done}/{run.progress_total} days, "
                f"{said}, {run.results['violations']} violations",
            )  # fmt: skip
            s.commit()


def run_timeout(run: CapacityRun) -> int:
    """The most seconds the queue lets a run take: every day at its time limit plus a
    minute, one after another, and the solve grace once."""
    p = run.params or {}
    days = int(run.progress_total or 1)
    return int(days * (float(p.get("time_limit_s", 30)) + 60) + runners.SOLVE_GRACE_S)


WORK = runners.Work(run_capacity, CapacityRun, "capacity", "web.tasks.capacity", run_timeout)


def make_capacity_runner(kind: str, db_url: str,
                         queue: runners.QueueSettings | None = None) -> runners.Runner:  # fmt: skip
    """``HAH_JOB_RUNNER``'s choice for capacity runs too: "queue" (default) or "thread"."""
    return runners.make(kind, db_url, WORK, queue)

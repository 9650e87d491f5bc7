"""Use case: census sweeps — how many patients a roster carries.

Solve simulated days at each census size and seed (``solve_day``: the day made by
``domain.capacity.days``, planned and checked by ``plan_day``, measured by
``domain.capacity.metrics``), summarise them (``domain.capacity.summary``) and answer. Every
finished day goes at once to ``results.jsonl`` (``store.ResultStore``), so an interrupted
sweep keeps what it solved and a re-run solves only the rest. The sweep's files are
``summary.csv``/``summary.json`` and the charts (``write_sweep``, ``sweep_charts``).

``sweep(…, caseload=CaseloadSweep(days, continuity))`` runs the census points on the
caseload model instead (``caseload_points``; ``domain.capacity.caseload_sweep`` says what a
point is and why 7 days): each (size, seed) is the first days of the caseload month
``hah simulate --caseload`` runs at that target census, so the ops lead's sweep, the month
and the coordinator's planned days are the same days; the summaries add continuity over the
stays.

Nothing here prints: progress is reported only through the ``progress(done, total)``
callback (the command line draws it, the web app stores it on the run).
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.domain.capacity.caseload_sweep import CaseloadSweep
from scheduler.domain.capacity.days import census_day
from scheduler.domain.capacity.metrics import DayMetrics, measure
from scheduler.domain.capacity.scenario import Scenario
from scheduler.domain.capacity.summary import (
    CensusSummary,
    ServiceLevel,
    SweepResult,
    carries,
    largest_census,
    summarise,
)
from scheduler.domain.formats.tabular import neutralise
from scheduler.usecases.capacity.caseload_points import PointDay, point_summaries, solve_points
from scheduler.usecases.capacity.executor import run_all
from scheduler.usecases.capacity.month import MonthDayTask
from scheduler.usecases.capacity.store import ResultStore

if TYPE_CHECKING:
    from scheduler.domain.model import Problem
    from scheduler.usecases.plan_day import DayPlan

Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class DayTask:
    """One simulated day to solve; equal (and hashed) by what decides its result."""

    scenario: Scenario
    census: int
    seed: int
    time_limit_s: float

    def key(self) -> str:
        return f"{self.scenario.key()}|{self.census}|{self.seed}|{self.time_limit_s:g}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DayTask) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


def plan_task(task: DayTask) -> tuple[Problem, DayPlan]:
    """Make and plan (solve and check) one simulated day."""
    # Imported here: a process that only reads results (the web app) never loads the solver.
    from scheduler.domain.problem import build_problem
    from scheduler.domain.travel import Geodesic
    from scheduler.usecases.plan_day import SolveOptions, plan_day

    visits, shifts = census_day(task.scenario, task.census, task.seed)
    # cache_dir=False: no travel cache (build_problem's annotation omits False; travel_matrix,
    # which it passes it to, takes it).
    problem = build_problem(visits, shifts, Geodesic(circuity=task.scenario.circuity),
                            cache_dir=False)  # fmt: skip
    return problem, plan_day(problem, SolveOptions(time_limit_s=task.time_limit_s,
                                                   seed=task.seed))  # fmt: skip


def solve_day(task: DayTask) -> dict:
    """Make, plan (solve and check) and measure one simulated day (runs in a worker process
    or Ray task)."""
    problem, plan = plan_task(task)
    return measure(problem, plan.rota, plan.report, plan.result.runtime_s).as_dict()


def by_census(results: dict[DayTask, DayMetrics]) -> list[tuple[int, DayMetrics]]:
    """(census, metrics) of every solved day, for ``summary.summarise``."""
    return [(task.census, m) for task, m in results.items()]


def evaluate(
    tasks: Iterable[DayTask],
    store: ResultStore,
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    solve: Callable[[DayTask], dict] | None = None,
) -> dict[DayTask, DayMetrics]:
    """Metrics for every task: from the store where known, else solved (and stored).
    ``progress(done, total)`` is called once at the start and after every day solved.
    ``solve`` (default ``solve_day``) may store more beside the metrics (a module-level
    function: worker processes import it)."""
    tasks = list(dict.fromkeys(tasks))
    have = {t: m for t in tasks if (m := store.get(t)) is not None}
    todo = [t for t in tasks if t not in have]
    if progress is not None:
        progress(len(have), len(tasks))

    def got(task: DayTask, metrics: dict) -> None:
        store.add(task, metrics)
        have[task] = DayMetrics.from_dict(metrics)
        if progress is not None:
            progress(len(have), len(tasks))

    run_all(todo, solve or solve_day, workers=workers, ray_address=ray_address, on_result=got,
            should_stop=should_stop)  # fmt: skip
    return have


def sweep(
    scenario: Scenario,
    out: Path,
    *,
    sizes: Iterable[int] | None = None,
    seeds: Iterable[int] = range(5),
    time_limit_s: float = 30.0,
    level: ServiceLevel | None = None,
    refine_to: int | None = None,
    workers: int | None = None,
    ray_address: str | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    caseload: CaseloadSweep | None = None,
) -> SweepResult:
    """Solve every (size, seed) day, then (``refine_to``) bisect between the largest size
    that carries and the next that does not until they are ``refine_to`` patients apart.

    With ``caseload`` each (size, seed) is ``caseload.days`` days of a caseload month at that
    target census instead of one day (``caseload_points``: persistent staff, named nurses,
    regimen changes, ``fixed`` or ``learned`` continuity), and every summary adds the
    patients on the ward and continuity over the stays.

    ``progress(done, total)`` counts days: those of the sizes asked for, then (refining)
    each bisection's days added to both."""
    level = level or ServiceLevel()
    sizes = sorted(set(sizes or scenario.census.sizes))
    seeds = tuple(seeds)
    store = ResultStore(out)
    t0 = time.monotonic()
    results: dict[DayTask, DayMetrics] = {}
    point_days: dict[MonthDayTask, PointDay] = {}

    def solve_sizes(ns: list[int], prog: Progress | None) -> list[CensusSummary]:
        """Solve (or read back) the days of census sizes ``ns``; the summaries so far."""
        if caseload is None:
            tasks = [DayTask(scenario, n, s, time_limit_s) for n in ns for s in seeds]
            results.update(evaluate(tasks, store, workers=workers, ray_address=ray_address,
                                    progress=prog, should_stop=should_stop))  # fmt: skip
            return summarise(by_census(results), level)
        days = solve_points(scenario, ns, seeds, caseload, time_limit_s, store,
                            workers=workers, ray_address=ray_address, progress=prog,
                            should_stop=should_stop)  # fmt: skip
        point_days.update((d.task, d) for d in days)
        return point_summaries(point_days.values(), level)

    summaries = solve_sizes(sizes, progress)
    largest = largest_census(summaries, level)
    refined: list[int] = []
    stopped = should_stop is not None and should_stop()
    while refine_to and not stopped and largest is not None:
        above = [s.census for s in summaries if s.census > largest]
        if not above or min(above) - largest <= refine_to:
            break
        mid = (largest + min(above)) // 2
        refined.append(mid)
        summaries = solve_sizes([mid], _after(progress, len(results) + len(point_days)))
        largest = largest_census(summaries, level)
        stopped = should_stop is not None and should_stop()
    return SweepResult(scenario, level, seeds, time_limit_s, summaries, largest, refined,
                       time.monotonic() - t0, caseload)  # fmt: skip


def _after(progress: Progress | None, before: int) -> Progress | None:
    """``progress`` for a later batch of days, counting the ``before`` days already done."""
    if progress is None:
        return None
    return lambda done, total: progress(before + done, before + total)


# --- the sweep's files -------------------------------------------------------------------


def summary_rows(result: SweepResult) -> list[dict]:
    """One row per census: what ``summary.csv`` holds and ``summary.json`` lists."""
    return [_row(s, result.level) for s in result.summaries]


def _row(s: CensusSummary, level: ServiceLevel) -> dict:
    row = {
        "census": s.census, "days": s.days, "visits_mean": round(s.visits.mean, 1),
        "p1_on_time_mean": round(s.p1_on_time.mean, 4),
        "p1_on_time_min": round(s.p1_on_time.min, 4),
        "placed_mean": round(s.placed.mean, 4), "placed_min": round(s.placed.min, 4),
        "travel_share_mean": round(s.travel_share.mean, 4),
        "overtime_h_mean": round(s.overtime_h.mean, 2),
        "overtime_h_max": round(s.overtime_h.max, 2),
        "days_ok": s.days_ok, "carries": carries(s, level),
        "violations": s.violations, "solve_s_mean": round(s.solve_s, 1),
    }  # fmt: skip
    for g, sp in s.utilisation.items():
        row[f"util_{g}_mean"] = round(sp.mean, 4)
        row[f"util_{g}_lo"] = round(sp.lo, 4)
        row[f"util_{g}_hi"] = round(sp.hi, 4)
    if s.on_ward is not None:  # a caseload point: its census is the target mean
        row.update(on_ward_mean=round(s.on_ward.mean, 1), on_ward_min=round(s.on_ward.min),
                   on_ward_max=round(s.on_ward.max))  # fmt: skip
    if s.continuity is not None:
        c = s.continuity.as_dict()
        row.update({f"continuity_{k}": v for k, v in c.items()})
    return row


def write_sweep(result: SweepResult, out: Path) -> list[Path]:
    """``summary.csv`` (a row per census) and ``summary.json`` (the sweep and its rows; a
    caseload sweep's rows add the patients on the ward and ``continuity_*``, the figures of
    ``CaseloadContinuity.as_dict``, and ``caseload`` says its days and continuity model)."""
    rows = summary_rows(result)
    fields = list(dict.fromkeys(k for r in rows for k in r))
    tmp = out / "summary.csv.tmp"
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows({k: neutralise(v) for k, v in r.items()} for r in rows)
    tmp.replace(out / "summary.csv")
    data = {
        "scenario": result.scenario.name, "scenario_key": result.scenario.key(),
        "roster": result.scenario.roster, "clinicians": result.scenario.clinicians(),
        "service_level": asdict(result.level), "seeds": list(result.seeds),
        "time_limit_s": result.time_limit_s, "largest_census": result.largest,
        "refined_sizes": result.refined, "seconds": round(result.seconds, 1),
        "caseload": asdict(result.caseload) if result.caseload else None, "rows": rows,
    }  # fmt: skip
    (out / "summary.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return [out / "summary.csv", out / "summary.json"]


def sweep_charts(result: SweepResult, out: Path) -> list[Path]:
    """``capacity`` and ``utilisation`` charts as PNG and SVG; none without matplotlib."""
    try:
        from scheduler.domain.capacity import plots
    except ImportError:  # matplotlib missing
        return []
    made = []
    charts = (("capacity", plots.capacity_curve), ("utilisation", plots.utilisation_by_grade))
    for name, fn in charts:
        for ext in ("png", "svg"):
            path = out / f"{name}.{ext}"
            fn(result, path)
            made.append(path)
    return made

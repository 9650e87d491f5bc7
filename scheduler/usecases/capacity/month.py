"""Use case: a simulated month — every day of admissions and discharges planned and checked.

``hah simulate --days 30`` answers "what does a month on this roster look like?". The month's
census comes from the admissions model (``domain.capacity.admissions``: who is on the ward
each day and their visits); each day is solved and checked by ``plan_day`` and measured as in
a census sweep; the report is ``domain.capacity.month_report`` (the month day by day and in
total, with its trend).

Census evolution does not depend on what the solver achieves, so the month is generated
first and its days solved in parallel (``executor.run_all``). A task carries only
(scenario, model, seed, day): each worker rebuilds the month from the seed, which is cheaper
to send than a day's visits and gives the same day. Every solved day is appended to
``results.jsonl`` in the output folder (``store.ResultStore``), keyed by the scenario, the
model, the seed, the day and the time limit, so an interrupted month resumes where it
stopped. ``month.csv`` (one row a day) and ``month.json`` (totals and rows) are the report
(``write_month``). Nothing here prints: progress goes to the ``progress(done, total)``
callback.

**The month as a caseload** (issue 14): with ``MonthSpec(caseload=True)`` the month has
persistent staff, named nurses for the stay and regimen changes (``admissions``), each day is
planned by ``plan_days.plan_caseload_day``, its attendances (who saw whom) are stored with its
metrics, and the report gives per-stay continuity (``domain.continuity``: the share of a
stay's visits by its 2 or 3 most frequent clinicians), the same measure the coordinator's
days report. ``continuity="learned"`` plans each day's preferences from the days before, as
``hah plan`` would: the days depend on each other, so they are solved one after another in
this process (``workers`` and Ray are not used), and a resumed month reads the stored days'
attendances back as the history. The daily model stays the default: its days are
independent (solved in parallel), and every stored result and capacity figure so far is
its.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from scheduler.domain.capacity.admissions import MonthCensus, MonthSpec, month_census
from scheduler.domain.capacity.metrics import DayMetrics, measure
from scheduler.domain.capacity.month_report import MonthResult, month_rows
from scheduler.domain.capacity.scenario import Scenario
from scheduler.domain.capacity.summary import ServiceLevel
from scheduler.domain.continuity import Attendance, caseload_continuity, stay_continuity
from scheduler.domain.formats.tabular import neutralise
from scheduler.usecases.capacity.executor import run_all
from scheduler.usecases.capacity.store import ResultStore

if TYPE_CHECKING:
    from scheduler.usecases.plan_day import DayPlan

#: A caseload month's continuity model (``plan_days.ContinuityModel``, not imported here: a
#: process that only reads results never loads the solver).
Continuity = Literal["fixed", "learned"]


@dataclass(frozen=True, eq=False)
class MonthDayTask:
    """One day of a month to solve; equal (and hashed) by what decides its result. ``census``
    is the day's census, for the results file only."""

    scenario: Scenario
    spec: MonthSpec
    seed: int
    day: int
    time_limit_s: float
    census: int = 0
    continuity: Continuity = "fixed"  # "learned": planned from the days before (in order)

    def key(self) -> str:
        key = (
            f"month|{self.scenario.key()}|{self.spec.key()}|{self.seed}|{self.day}|"
            f"{self.time_limit_s:g}"
        )
        return key if self.continuity == "fixed" else f"{key}|{self.continuity}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MonthDayTask) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


_CACHE: dict[str, MonthCensus] = {}


def _census_for(task: MonthDayTask) -> MonthCensus:
    key = f"{task.scenario.key()}|{task.spec.key()}|{task.spec.days}|{task.seed}"
    if key not in _CACHE:
        _CACHE.clear()  # one month per worker at a time
        _CACHE[key] = month_census(task.scenario, task.spec, task.seed)
    return _CACHE[key]


def solve_month_day(task: MonthDayTask, history: list[Attendance] | None = None) -> dict:
    """Rebuild, plan (solve and check) and measure one day of the month (in a worker process
    or Ray task). A caseload's day also returns its attendances (``"attendances"``: patient
    and clinician ids), and a learned one reads ``history`` (the days before)."""
    if task.spec.caseload:
        return _solve_caseload_day(task, history or [])
    # Imported here: a process that only reads results (the web app) never loads the solver.
    from scheduler.domain.problem import build_problem
    from scheduler.domain.travel import Geodesic
    from scheduler.usecases.plan_day import SolveOptions, plan_day

    visits, shifts = _census_for(task).day(task.day)
    # cache_dir=False: no travel cache (build_problem's annotation omits False; travel_matrix,
    # which it passes it to, takes it).
    problem = build_problem(
        visits,
        shifts,
        Geodesic(circuity=task.scenario.circuity),
        cache_dir=False,
    )
    options = SolveOptions(time_limit_s=task.time_limit_s, seed=1_000 * task.seed + task.day)
    plan = plan_day(problem, options)
    return measure(problem, plan.rota, plan.report, plan.result.runtime_s).as_dict()


def _solve_caseload_day(task: MonthDayTask, history: list[Attendance]) -> dict:
    return caseload_day(task, history)[1]


def caseload_day(task: MonthDayTask, history: list[Attendance]) -> tuple[DayPlan, dict]:
    """Plan a caseload month's day (``plan_days.plan_caseload_day``, checked there) and what
    is stored of it: its metrics, preferences kept and attendances. The plan too, for a
    caller that measures more of the rota (the roster model's profile)."""
    from scheduler.usecases.plan_day import SolveOptions
    from scheduler.usecases.plan_days import day_options, plan_caseload_day

    census = _census_for(task)
    cost = SolveOptions().continuity_cost  # the solver's default charge, as for any day
    options = day_options(census, task.day, task.time_limit_s, cost)
    plan, day = plan_caseload_day(census, task.day, task.continuity, history, options)
    return plan, {
        **day.metrics.as_dict(),
        "preferred_total": day.preferred_total,
        "preferred_kept": day.preferred_kept,
        "attendances": [[a.patient_id, a.clinician_id] for a in day.attendances],
    }


def _attendances(census: MonthCensus, d: int, raw: dict | None) -> list[Attendance]:
    day = census.date_of(d)
    return [Attendance(day, p, c) for p, c in (raw or {}).get("attendances", [])]


def plan_month(scenario: Scenario, spec: MonthSpec | None = None, seed: int = 0) -> MonthResult:
    """The month's census and visits day by day, without solving (fast: a few seconds)."""
    spec = spec or MonthSpec()
    census = month_census(scenario, spec, seed)
    return MonthResult(scenario, spec, seed, 0.0, month_rows(census, {}))


def simulate_month(
    scenario: Scenario,
    out: Path,
    *,
    spec: MonthSpec | None = None,
    seed: int = 0,
    time_limit_s: float = 40.0,
    level: ServiceLevel | None = None,
    workers: int | None = None,
    ray_address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    continuity: Continuity = "fixed",
) -> MonthResult:
    """Generate the month, solve every day not already in ``out/results.jsonl`` (in
    parallel; a learned caseload's days in order, in this process), and return the month.
    Days not solved (``should_stop``) have no metrics. ``progress(done, total)`` counts days
    of the month: once at the start, then per day. ``continuity`` is ``fixed`` or, for a
    caseload (``spec.caseload``), ``learned`` (module docstring)."""
    spec = spec or MonthSpec()
    if continuity not in ("fixed", "learned"):
        raise ValueError(f"continuity must be fixed or learned, not {continuity!r}")
    if continuity == "learned" and not spec.caseload:
        raise ValueError("learned continuity needs the caseload model (persistent staff)")
    t0 = time.monotonic()
    census = month_census(scenario, spec, seed)
    store = ResultStore(Path(out))
    tasks = [
        MonthDayTask(scenario, spec, seed, d, time_limit_s, census.census(d), continuity)
        for d in range(1, spec.days + 1)
    ]
    have: dict[int, DayMetrics] = {}
    seen: dict[int, list[Attendance]] = {}
    for t in tasks:
        m = store.get(t)
        # A stored day is re-used only if it is still the same day (a change to how days are
        # made would otherwise pair old results with new days).
        if m is not None and m.visits == len(census.visits(t.day)):
            have[t.day] = m
            seen[t.day] = _attendances(census, t.day, store.raw(t))
        elif continuity == "learned":
            break  # a learned day stands on the days before: re-plan from here on
    todo = [t for t in tasks if t.day not in have]
    if progress is not None:
        progress(len(have), len(tasks))

    def got(task: MonthDayTask, metrics: dict) -> None:
        store.add(task, metrics)
        have[task.day] = DayMetrics.from_dict(metrics)
        seen[task.day] = _attendances(census, task.day, metrics)
        if progress is not None:
            progress(len(have), len(tasks))

    if continuity == "learned":
        for t in todo:
            if should_stop is not None and should_stop():
                break
            got(t, solve_month_day(t, [a for d in sorted(seen) for a in seen[d]]))
    else:
        run_all(
            todo,
            solve_month_day,
            workers=workers,
            ray_address=ray_address,
            on_result=got,
            should_stop=should_stop,
        )
    stays = None
    if spec.caseload:
        stays = caseload_continuity(stay_continuity(a for d in sorted(seen) for a in seen[d]))
    return MonthResult(
        scenario,
        spec,
        seed,
        time_limit_s,
        month_rows(census, have),
        level or ServiceLevel(),
        time.monotonic() - t0,
        continuity=stays,
        continuity_model=continuity,
    )


# --- the month's files ----------------------------------------------------------------------


def write_month(result: MonthResult, out: Path) -> list[Path]:
    """``month.csv`` (a row a day) and ``month.json`` (the month, its totals and rows)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = result.table()
    with (out / "month.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(
            f, fieldnames=list(rows[0]) if rows else ["day"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(
            {k: "" if v is None else neutralise(v) for k, v in r.items()} for r in rows
        )
    data = {
        "scenario": result.scenario.name,
        "scenario_key": result.scenario.key(),
        "roster": result.scenario.roster,
        "seed": result.seed,
        "time_limit_s": result.time_limit_s,
        "model": {
            **asdict(result.spec),
            "mean_stay_days": round(result.spec.stay.mean(), 3),
            "admissions_per_day": round(result.spec.census / result.spec.stay.mean(), 2),
        },
        "service_level": asdict(result.level),
        "complete": result.complete,
        "seconds": round(result.seconds, 1),
        "totals": _jsonable(result.totals.as_dict()),
        "rows": rows,
    }
    if result.continuity is not None:  # a caseload's month: continuity over the stays
        data["continuity"] = {"model": result.continuity_model, **result.continuity.as_dict()}
    (out / "month.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return [out / "month.csv", out / "month.json"]


def _jsonable(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def month_charts(result: MonthResult, out: Path) -> list[Path]:
    """``month.png`` and ``month.svg``; ``ImportError`` without matplotlib."""
    from scheduler.domain.capacity.plots import month_series

    made = []
    for ext in ("png", "svg"):
        month_series(result, out / f"month.{ext}")
        made.append(out / f"month.{ext}")
    return made

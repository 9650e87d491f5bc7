"""Use case: plan one day — the solver's rota, judged by the independent checker.

Every way of planning a day goes through here: ``hah solve`` and ``hah demo``
(``plan_day_files``: files in, the contract's files out), the web app's solve jobs and the
capacity runs (``plan_day`` on a day they built). So every rota the product makes is checked
the same way, and ``summary.json`` is written by one function.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scheduler.domain.check import CheckReport, check
from scheduler.domain.diff import plan_changes
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.day import read_day
from scheduler.domain.formats.rota import read_plan_order
from scheduler.domain.formats.solution import write_solution
from scheduler.domain.model import Problem, Rota
from scheduler.domain.problem import build_problem
from scheduler.domain.travel import TravelModel, model_from_options
from solver import (
    Progress,
    ProgressFn,
    SolveOptions,
    SolveResult,
    StoppingCriterion,
    StopWhen,
    WarmStart,
    solve,
)
from solver.options import default_workers

#: What callers of this use case need of the solver's API, so they need not import it.
__all__ = [
    "DayPlan",
    "Progress",
    "ProgressFn",
    "SolveOptions",
    "SolveResult",
    "StopWhen",
    "StoppingCriterion",
    "WarmStart",
    "default_workers",
    "plan_day",
    "plan_day_files",
    "summary_of",
    "travel_model",
]


@dataclass(frozen=True)
class DayPlan:
    """A solved day: the problem, how the solver did, and the checker's verdict."""

    problem: Problem
    result: SolveResult
    report: CheckReport
    #: With a previous plan: how many visits were kept, re-ordered, moved, dropped, added.
    changes: Mapping[str, int] | None = None

    @property
    def rota(self) -> Rota:
        return self.result.rota


def plan_day(
    problem: Problem,
    options: SolveOptions | None = None,
    *,
    stop: StoppingCriterion | None = None,
    progress: ProgressFn | None = None,
    warm_start: WarmStart | None = None,
) -> DayPlan:
    """Solve the day and check the rota (never raises for an infeasible day)."""
    result = solve(problem, options, stop=stop, progress=progress, warm_start=warm_start)
    return DayPlan(problem, result, check(problem, result.rota))


def summary_of(
    report: CheckReport, result: SolveResult, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """summary.json: the contract's keys first, then every KPI the checker computed, then
    how the solver made the rota (``extra`` adds to that section)."""
    return {
        **contract_figures(report, result.runtime_s),
        "kpis": dict(report.kpis),
        "solver": {**result.summary(), **(extra or {})},
    }


def contract_figures(report: CheckReport, seconds: float) -> dict[str, Any]:
    """summary.json's keys the contract asks for (the checker's figures and the seconds the
    answer took), and the checker's violation count."""
    k = report.kpis
    keys = ("visits_total", "visits_assigned", "visits_unassigned", "priority1_unassigned",
            "travel_min_total", "clinicians_used")  # fmt: skip
    return {**{key: k[key] for key in keys}, "solve_seconds": seconds,
            "violations": len(report.violations)}  # fmt: skip


def travel_model(roads: str | None) -> TravelModel:
    """The travel model for ``--roads FILE`` (geodesic without one); a bad map file is an
    input error naming the file, not a crash halfway through a solve."""
    try:
        model = model_from_options(roads)
        if roads is not None:
            graph = getattr(model, "graph", None)
            if graph is not None:
                graph()  # parse the map now
        return model
    except (ValueError, FileNotFoundError) as exc:
        raise InputError([InputIssue(str(roads), None, None, str(exc))]) from exc


#: Seconds of a command's time limit kept for checking the rota and writing the files.
WRITE_RESERVE_S = 0.3


def plan_day_files(
    visits: Path,
    clinicians: Path,
    out: Path,
    options: SolveOptions,
    *,
    roads: str | None = None,
    export_matrix: bool = False,
    from_rota: Path | None = None,
    progress: ProgressFn | None = None,
    clock_started: float | None = None,
) -> DayPlan:
    """``hah solve``: read and validate the day (``InputError`` names file, row and column,
    and nothing is written), plan it, and write rota.csv, unassigned.csv and summary.json
    (with ``export_matrix`` also the travel matrix) into ``out``, all or nothing.

    ``from_rota`` warm-starts from the rota in that folder; ``summary.json`` then says how
    the new rota differs from it (``plan_changes``).

    ``options.time_limit_s`` counts from ``clock_started`` (``time.monotonic``; default: this
    call), so reading the files, checking and writing the answer come out of it, not on top."""
    started = time.monotonic() if clock_started is None else clock_started
    if options.minimal_change_min is not None and from_rota is None:
        raise InputError([InputIssue("--minimal-change", None, None, "needs --from-rota DIR")])
    day_visits, shifts = read_day(visits, clinicians)
    before = read_plan_order(from_rota) if from_rota is not None else None
    problem = build_problem(day_visits, shifts, travel_model(roads))
    warm = WarmStart(before.routes, before.starts) if before is not None else None
    left = options.time_limit_s - (time.monotonic() - started) - WRITE_RESERVE_S
    options = replace(options, time_limit_s=max(0.0, left))
    plan = plan_day(problem, options, progress=progress, warm_start=warm)
    summary = summary_of(plan.report, plan.result)
    changes = None
    if before is not None:
        changes = plan_changes(before.routes, plan.rota)
        summary["plan_changes"] = changes
    write_solution(out, problem, plan.rota, summary, export_matrix=export_matrix)
    return DayPlan(problem, plan.result, plan.report, changes)

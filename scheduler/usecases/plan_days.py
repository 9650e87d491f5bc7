"""Use case: plan a caseload's consecutive days, each from the rotas of the days before.

A Hospital at Home service plans tomorrow in the evening from the caseload and from who has
been seeing whom. This runs that for ``N`` days of a caseload (a ``Caseload``: the simulated
one is ``MonthCensus`` with ``MonthSpec(caseload=True)``: persistent staff, named nurses,
admissions, regimen changes, discharges), one day after another, with one of two continuity
models:

- ``fixed``: today's: each visit carries its patient's one named nurse for the stay (about
  60 % of patients have one), whoever has been visiting;
- ``learned``: each visit's preferred clinician learned from the run's earlier rotas
  (``domain.continuity.learned_preferences``: recency- and frequency-weighted, only someone
  on shift who could make it), falling back to the named nurse.

Every day is solved and checked by ``plan_day`` (the independent checker's report of every
rota is kept), measured as a capacity day (``capacity.metrics.measure``), and its
attendances (who saw whom) become the next day's history. The answer has per-day figures
(visits, placed, priority-1 placed, travel, violations, preferences kept) and per-stay
continuity over the run (``domain.continuity.stay_continuity``). Same caseload, seed and
options: the same days, the same solver seeds, for both models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from scheduler.domain.capacity.metrics import DayMetrics, measure
from scheduler.domain.continuity import (
    HALF_LIFE_DAYS,
    Attendance,
    CaseloadContinuity,
    StayContinuity,
    attendances,
    caseload_continuity,
    learned_preferences,
    stay_continuity,
)
from scheduler.domain.model import Shift, Visit
from scheduler.domain.problem import build_problem
from scheduler.domain.travel import TravelModel
from scheduler.usecases.plan_day import DayPlan, SolveOptions, plan_day

ContinuityModel = Literal["fixed", "learned"]
MODELS: tuple[ContinuityModel, ...] = ("fixed", "learned")


class Caseload(Protocol):
    """Days of a caseload, 1-based: each day's visits (preferred clinician: the patient's
    fixed named nurse, if any) and shifts, its date, the travel model, and a seed for the
    solver. ``MonthCensus`` is one."""

    @property
    def seed(self) -> int: ...

    def date_of(self, d: int) -> date: ...

    def day(self, d: int) -> tuple[list[Visit], list[Shift]]: ...

    def travel_model(self) -> TravelModel: ...


@dataclass(frozen=True)
class CaseloadDay:
    """One planned day of the run: its measures and who saw whom."""

    day: int  # 1-based, as MonthCensus counts
    date: date
    metrics: DayMetrics
    attendances: tuple[Attendance, ...]
    preferred_total: int  # placed visits naming a preferred clinician (the checker's count)
    preferred_kept: int  # of those, made by that clinician


@dataclass(frozen=True)
class CaseloadRun:
    """The run's days and the per-stay continuity over them."""

    model: ContinuityModel
    days: tuple[CaseloadDay, ...]

    @property
    def history(self) -> list[Attendance]:
        return [a for d in self.days for a in d.attendances]

    def stays(self, patients: Iterable[str] | None = None) -> list[StayContinuity]:
        """Per-stay continuity over the run, for every patient seen (or only ``patients``)."""
        out = stay_continuity(self.history)
        if patients is None:
            return out
        keep = set(patients)
        return [s for s in out if s.patient_id in keep]

    def continuity(self, patients: Iterable[str] | None = None) -> CaseloadContinuity:
        return caseload_continuity(self.stays(patients))

    @property
    def visits(self) -> int:
        return sum(d.metrics.visits for d in self.days)

    @property
    def placed(self) -> int:
        return sum(d.metrics.placed for d in self.days)

    @property
    def p1_total(self) -> int:
        return sum(d.metrics.p1_total for d in self.days)

    @property
    def p1_placed(self) -> int:
        return sum(d.metrics.p1_placed for d in self.days)

    @property
    def violations(self) -> int:
        return sum(d.metrics.violations for d in self.days)

    @property
    def travel_min(self) -> int:
        return sum(d.metrics.travel_min for d in self.days)

    @property
    def travel_per_visit(self) -> float:
        """Driving minutes per placed visit over the run (drives back to base included)."""
        return self.travel_min / self.placed if self.placed else 0.0


def day_visits(
    caseload: Caseload,
    d: int,
    model: ContinuityModel,
    history: Sequence[Attendance] = (),
    *,
    half_life_days: float = HALF_LIFE_DAYS,
) -> tuple[list[Visit], list[Shift]]:
    """Day ``d``'s visits (with the model's preferred clinicians) and shifts."""
    if model not in MODELS:
        raise ValueError(f"continuity model must be one of {', '.join(MODELS)}, not {model!r}")
    visits, shifts = caseload.day(d)
    if model == "learned":
        visits = learned_preferences(
            visits, shifts, history, caseload.date_of(d), half_life_days=half_life_days
        )
    return visits, shifts


def plan_caseload_day(
    caseload: Caseload,
    d: int,
    model: ContinuityModel,
    history: Sequence[Attendance],
    options: SolveOptions,
    *,
    half_life_days: float = HALF_LIFE_DAYS,
) -> tuple[DayPlan, CaseloadDay]:
    """Build day ``d`` (preferences from ``history`` for ``learned``), solve and check it,
    and measure it."""
    visits, shifts = day_visits(caseload, d, model, history, half_life_days=half_life_days)
    # cache_dir=False: no travel cache on disk (build_problem passes it to travel_matrix).
    problem = build_problem(visits, shifts, caseload.travel_model(), cache_dir=False)
    plan = plan_day(problem, options)
    k = plan.report.kpis
    day = CaseloadDay(
        d,
        caseload.date_of(d),
        measure(problem, plan.rota, plan.report, plan.result.runtime_s),
        tuple(attendances(plan.rota, problem.visits, caseload.date_of(d))),
        int(k["preferred_total"]),
        int(k["preferred_kept"]),
    )
    return plan, day


def day_options(
    caseload: Caseload, d: int, time_limit_s: float, continuity_cost: int
) -> SolveOptions:
    """The solver's options for day ``d``: the month's per-day seed, whatever the model."""
    return SolveOptions(
        time_limit_s=time_limit_s, seed=1_000 * caseload.seed + d, continuity_cost=continuity_cost
    )


def plan_days(
    caseload: Caseload,
    days: Iterable[int],
    model: ContinuityModel,
    *,
    time_limit_s: float = 20.0,
    continuity_cost: int = SolveOptions().continuity_cost,
    half_life_days: float = HALF_LIFE_DAYS,
    history: Sequence[Attendance] = (),
    progress: Callable[[int, int], None] | None = None,
) -> CaseloadRun:
    """Plan ``days`` (1-based, in order) of ``caseload`` one after another with ``model``; each
    learned day reads ``history`` (attendances before the run, e.g. published rotas) and the
    run's earlier days. ``progress(done, total)`` after each day."""
    todo = list(days)
    seen = list(history)
    out: list[CaseloadDay] = []
    for i, d in enumerate(todo):
        options = day_options(caseload, d, time_limit_s, continuity_cost)
        _, day = plan_caseload_day(caseload, d, model, seen, options, half_life_days=half_life_days)
        out.append(day)
        seen.extend(day.attendances)
        if progress is not None:
            progress(i + 1, len(todo))
    return CaseloadRun(model, tuple(out))

"""Use case: solve the days of a caseload sweep's census points, and what they measure.

A caseload census point (``domain.capacity.caseload_sweep``) is ``days`` days of a caseload
month per seed; each day is a ``month.MonthDayTask`` exactly as ``hah simulate --caseload``
makes it (the same key, so a sweep and a month share stored days) and is planned by
``month.solve_month_day``, which plans it through ``plan_days.plan_caseload_day`` as the
coordinator's days are. Every rota goes through the independent checker there.

- **fixed** continuity: the days are independent, so every day of every point is solved in
  parallel (``executor.run_all``), as a plain sweep's;
- **learned**: a day's preferences are learned from the days before it in the same month, so
  the days go in waves: day 1 of every (census, seed) month in parallel, then day 2 of each
  from its own day 1, and so on. A month's days are so solved in order, each from the days
  before (as ``simulate_month`` and ``plan_days`` do), while different months still share
  the cores.

Each solved day is stored at once (``store.ResultStore``) with its attendances; a stored day
is re-used only while it is still the same day (its visit count), and for learned continuity
only with every earlier day of its month (a day stands on the days before). The point's
continuity is taken over each seed's month on its own (patient ids are the month's own) and
pooled over the stays: ``continuity.caseload_continuity``.

The roster search (``roster_cp``, ``roster``) judges candidate rosters on the same days;
its ``ProfiledMonthDayTask``s are stored apart and add the rota's profile
(``profile.day_profile``: travel by hour, the visits left unplaced) for the CP-SAT model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from scheduler.domain.capacity.admissions import month_census
from scheduler.domain.capacity.caseload_sweep import CaseloadSweep
from scheduler.domain.capacity.metrics import DayMetrics
from scheduler.domain.capacity.scenario import Scenario
from scheduler.domain.capacity.summary import (
    CensusSummary,
    ServiceLevel,
    summarise,
    with_caseload,
)
from scheduler.domain.continuity import (
    Attendance,
    CaseloadContinuity,
    StayContinuity,
    caseload_continuity,
    stay_continuity,
)
from scheduler.usecases.capacity.executor import run_all
from scheduler.usecases.capacity.month import MonthDayTask, caseload_day, solve_month_day
from scheduler.usecases.capacity.profile import day_profile
from scheduler.usecases.capacity.store import ResultStore

Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class ProfiledMonthDayTask(MonthDayTask):
    """A caseload day solved for the roster model: stored apart from a sweep's and a
    month's days (its result adds the travel and unplaced-visit profile)."""

    def key(self) -> str:
        return "profiled|" + super().key()


def solve_profiled_month_day(task: MonthDayTask, history: list[Attendance] | None = None
                             ) -> dict:  # fmt: skip
    """Plan and measure one caseload day (as ``month.solve_month_day``) and add its profile
    (``profile.day_profile``)."""
    plan, raw = caseload_day(task, history or [])
    on = task.scenario.day + timedelta(days=task.day - 1)
    return {**raw, "profile": day_profile(plan.problem, plan, on)}


def solve_point_day(task: MonthDayTask, history: list[Attendance] | None = None) -> dict:
    """One day of a point, profiled or not as its task says (in a worker or Ray task)."""
    if isinstance(task, ProfiledMonthDayTask):
        return solve_profiled_month_day(task, history)
    return solve_month_day(task, history)


@dataclass(frozen=True)
class LearnedDay:
    """A learned day to solve with its month's attendances before it (what a worker needs:
    ``run_all`` hands each task alone to a module-level function)."""

    task: MonthDayTask
    history: tuple[Attendance, ...]


def solve_learned_day(item: LearnedDay) -> dict:
    """Plan one learned day from the history it carries (in a worker process or Ray task)."""
    return solve_point_day(item.task, list(item.history))


@dataclass(frozen=True)
class PointDay:
    """A solved day of a census point: its task (the point is ``task.spec.census``, the
    patients on the ward that day ``task.census``), its metrics and who saw whom."""

    task: MonthDayTask
    metrics: DayMetrics
    attendances: tuple[Attendance, ...]


def point_tasks(
    scenario: Scenario, census: int, seed: int, model: CaseloadSweep, time_limit_s: float,
    *, profiled: bool = False,
) -> list[MonthDayTask]:  # fmt: skip
    """The days of census point ``census`` for ``seed``: ``hah simulate --caseload --census
    census --seed seed``'s first ``model.days`` days (``profiled``: for the roster model)."""
    spec = model.spec(census)
    month = month_census(scenario, spec, seed)
    kind = ProfiledMonthDayTask if profiled else MonthDayTask
    return [
        kind(scenario, spec, seed, d, time_limit_s, month.census(d), model.continuity)
        for d in range(1, spec.days + 1)
    ]


def _attendances(task: MonthDayTask, raw: dict | None) -> tuple[Attendance, ...]:
    """Who saw whom on a stored or solved day (the month's day ``d`` is its start + d − 1)."""
    on = task.scenario.day + timedelta(days=task.day - 1)
    return tuple(Attendance(on, p, c) for p, c in (raw or {}).get("attendances", []))


def solve_points(
    scenario: Scenario,
    sizes: Iterable[int],
    seeds: Sequence[int],
    model: CaseloadSweep,
    time_limit_s: float,
    store: ResultStore,
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    profiled: bool = False,
) -> list[PointDay]:
    """Every day of every (size, seed) point: from the store where still the same day, else
    solved (and stored at once). ``progress(done, total)`` once at the start, then per day.
    ``profiled``: the roster model's days (``ProfiledMonthDayTask``), their stored results
    with the profile (``store.raw``)."""
    months: list[list[MonthDayTask]] = []
    expected: dict[MonthDayTask, int] = {}
    for n in sorted(set(sizes)):
        for s in seeds:
            tasks = point_tasks(scenario, n, s, model, time_limit_s, profiled=profiled)
            month = month_census(scenario, tasks[0].spec, s)
            expected.update((t, len(month.visits(t.day))) for t in tasks)
            months.append(tasks)
    have: dict[MonthDayTask, PointDay] = {}
    for tasks in months:
        for t in tasks:
            m = store.get(t)
            if m is not None and m.visits == expected[t]:
                have[t] = PointDay(t, m, _attendances(t, store.raw(t)))
            elif model.continuity == "learned":
                break  # a learned day stands on the days before: solved again from here
    total = sum(len(tasks) for tasks in months)
    if progress is not None:
        progress(len(have), total)

    def got(task: MonthDayTask, raw: dict) -> None:
        store.add(task, raw)
        have[task] = PointDay(task, DayMetrics.from_dict(raw), _attendances(task, raw))
        if progress is not None:
            progress(len(have), total)

    def stopped() -> bool:
        return should_stop is not None and should_stop()

    if model.continuity == "fixed":
        todo = [t for tasks in months for t in tasks if t not in have]
        run_all(todo, solve_point_day, workers=workers, ray_address=ray_address,
                on_result=got, should_stop=should_stop)  # fmt: skip
        return [have[t] for tasks in months for t in tasks if t in have]
    for d in range(1, model.days + 1):
        if stopped():
            break
        wave = []
        for tasks in months:
            t = tasks[d - 1]
            if t in have or not all(b in have for b in tasks[: d - 1]):
                continue
            history = tuple(a for b in tasks[: d - 1] for a in have[b].attendances)
            wave.append(LearnedDay(t, history))
        run_all(wave, solve_learned_day, workers=workers, ray_address=ray_address,
                on_result=lambda item, raw: got(item.task, raw),
                should_stop=should_stop)  # fmt: skip
    return [have[t] for tasks in months for t in tasks if t in have]


def point_continuity(days: Iterable[PointDay]) -> dict[int, CaseloadContinuity]:
    """Continuity over the stays of each census point: each seed's month's stays from its own
    solved days, pooled over the point's seeds (visit-weighted and patient means)."""
    by_month: dict[tuple[int, int], list[Attendance]] = {}
    for day in days:
        by_month.setdefault((day.task.spec.census, day.task.seed), []).extend(day.attendances)
    stays: dict[int, list[StayContinuity]] = {}
    for (census, _), seen in sorted(by_month.items()):
        stays.setdefault(census, []).extend(stay_continuity(seen))
    return {census: caseload_continuity(s) for census, s in stays.items()}


def point_summaries(days: Iterable[PointDay], level: ServiceLevel) -> list[CensusSummary]:
    """One summary per census point, as a plain sweep's (``summary.summarise`` over every
    day of the point), with its patients on the ward per day and continuity over its stays."""
    days = list(days)
    on_ward: dict[int, list[int]] = {}
    for day in days:
        on_ward.setdefault(day.task.spec.census, []).append(day.task.census)
    summaries = summarise([(d.task.spec.census, d.metrics) for d in days], level)
    return with_caseload(summaries, on_ward, point_continuity(days))

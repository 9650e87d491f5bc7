"""Census sweeps: solve simulated days at each census size and seed; summarise; answer.

Every finished day is appended at once to ``results.jsonl`` in the output folder, keyed by
the scenario's hash, the census, the seed and the time limit, so an interrupted sweep keeps
what it solved and a re-run solves only the rest (and a roster search re-uses any roster it
has already tried).
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

from scheduler.domain.capacity.days import census_day
from scheduler.domain.capacity.metrics import DayMetrics, measure
from scheduler.domain.capacity.scenario import Scenario
from scheduler.usecases.capacity.executor import run_all

RESULTS = "results.jsonl"


@dataclass(frozen=True)
class ServiceLevel:
    """What "carries" means: in at least ``share_of_days`` of simulated days, at least
    ``p1_on_time`` of time-critical visits are on time and ``placed`` of all visits are
    placed. The default is the issue's: every priority-1 dose on time in 95 % of days (and
    98 % of all visits placed, so a roster search cannot pass by dropping observations)."""

    p1_on_time: float = 1.0
    placed: float = 0.98
    share_of_days: float = 0.95

    def day_ok(self, m: DayMetrics) -> bool:
        return m.p1_on_time >= self.p1_on_time - 1e-9 and m.placed_rate >= self.placed - 1e-9

    def text(self) -> str:
        return (f"{100 * self.p1_on_time:g} % of priority-1 visits on time and "
                f"{100 * self.placed:g} % of all visits placed on "
                f"{100 * self.share_of_days:g} % of days")  # fmt: skip


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


def solve_day(task: DayTask) -> dict:
    """Make, solve and measure one simulated day (runs in a worker process or Ray task)."""
    from scheduler.domain.problem import build_problem
    from scheduler.domain.travel import Geodesic
    from solver.pipeline import SolveOptions, solve

    visits, shifts = census_day(task.scenario, task.census, task.seed)
    problem = build_problem(visits, shifts, Geodesic(circuity=task.scenario.circuity),
                            cache_dir=False)  # fmt: skip
    t0 = time.monotonic()
    rota = solve(problem, SolveOptions(time_limit_s=task.time_limit_s, seed=task.seed))
    return measure(problem, rota, time.monotonic() - t0).as_dict()


class ResultStore:
    """``results.jsonl``: one line per solved day; the last line for a key wins."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / RESULTS
        self.known: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    self.known[row["key"]] = row
                except (json.JSONDecodeError, KeyError):
                    continue  # a line cut short by an interruption

    def get(self, task: DayTask) -> DayMetrics | None:
        row = self.known.get(task.key())
        return DayMetrics.from_dict(row["metrics"]) if row else None

    def add(self, task: DayTask, metrics: dict) -> None:
        row = {
            "key": task.key(),
            "scenario": task.scenario.name,
            "census": task.census,
            "seed": task.seed,
            "time_limit_s": task.time_limit_s,
            "metrics": metrics,
        }
        self.known[row["key"]] = row
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()


class ProgressBar:
    """``[#####.....] 12/30 days · 4:10 elapsed · ~6:00 left`` on one line of stderr."""

    def __init__(self, total: int, already: int = 0, label: str = "days", stream=None):
        self.total, self.done, self.label = total, already, label
        self.already = already
        self.stream = stream if stream is not None else sys.stderr
        self.t0 = time.monotonic()
        self.draw()

    def step(self, n: int = 1) -> None:
        self.done += n
        self.draw()

    def draw(self) -> None:
        width = 30
        frac = self.done / self.total if self.total else 1.0
        bar = "#" * round(width * frac) + "." * (width - round(width * frac))
        spent = time.monotonic() - self.t0
        new = self.done - self.already
        left = spent / new * (self.total - self.done) if new else None
        eta = f" · ~{_clock(left)} left" if left is not None and self.done < self.total else ""
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {self.label} · "
                          f"{_clock(spent)} elapsed{eta}   ")  # fmt: skip
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def evaluate(
    tasks: Iterable[DayTask],
    store: ResultStore,
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    bar: bool = False,
) -> dict[DayTask, DayMetrics]:
    """Metrics for every task: from the store where known, else solved (and stored)."""
    tasks = list(dict.fromkeys(tasks))
    have = {t: m for t in tasks if (m := store.get(t)) is not None}
    todo = [t for t in tasks if t not in have]
    shown = ProgressBar(len(tasks), len(have)) if bar and todo else None
    if progress is not None:
        progress(len(have), len(tasks))

    def got(task: DayTask, metrics: dict) -> None:
        store.add(task, metrics)
        have[task] = DayMetrics.from_dict(metrics)
        if shown is not None:
            shown.step()
        if progress is not None:
            progress(len(have), len(tasks))

    run_all(todo, solve_day, workers=workers, ray_address=ray_address, on_result=got,
            should_stop=should_stop)  # fmt: skip
    return have


# --- summaries -------------------------------------------------------------------------------


def _quantile(values: list[float], q: float) -> float:
    xs = sorted(values)
    if not xs:
        return math.nan
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass(frozen=True)
class Spread:
    mean: float
    lo: float  # 10th percentile
    hi: float  # 90th percentile
    min: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(mean(values), _quantile(values, 0.1), _quantile(values, 0.9), min(values),
                   max(values))  # fmt: skip


@dataclass(frozen=True)
class CensusSummary:
    census: int
    days: int
    visits: Spread
    p1_on_time: Spread
    placed: Spread
    travel_share: Spread
    overtime_h: Spread
    utilisation: dict[str, Spread]
    days_ok: int
    violations: int
    solve_s: float

    @property
    def ok_share(self) -> float:
        return self.days_ok / self.days if self.days else 0.0


def summarise(results: dict[DayTask, DayMetrics], level: ServiceLevel) -> list[CensusSummary]:
    by_size: dict[int, list[DayMetrics]] = {}
    for task, m in results.items():
        by_size.setdefault(task.census, []).append(m)
    out = []
    for n in sorted(by_size):
        ms = by_size[n]
        grades = sorted({g for m in ms for g in m.utilisation})
        out.append(
            CensusSummary(
                census=n,
                days=len(ms),
                visits=Spread.of([m.visits for m in ms]),
                p1_on_time=Spread.of([m.p1_on_time for m in ms]),
                placed=Spread.of([m.placed_rate for m in ms]),
                travel_share=Spread.of([m.travel_share for m in ms]),
                overtime_h=Spread.of([m.overtime_h for m in ms]),
                utilisation={g: Spread.of([m.utilisation.get(g, 0.0) for m in ms]) for g in grades},
                days_ok=sum(level.day_ok(m) for m in ms),
                violations=sum(m.violations for m in ms),
                solve_s=mean(m.solve_s for m in ms),
            )
        )
    return out


def carries(summary: CensusSummary, level: ServiceLevel) -> bool:
    return summary.ok_share >= level.share_of_days - 1e-9


def largest_census(summaries: list[CensusSummary], level: ServiceLevel) -> int | None:
    """The largest census at which the service level holds, it holding at every smaller
    census swept too (a roster that fails at 200 but passes at 250 by luck does not carry
    250). None if it fails at the smallest."""
    best = None
    for s in sorted(summaries, key=lambda s: s.census):
        if not carries(s, level):
            break
        best = s.census
    return best


@dataclass
class SweepResult:
    scenario: Scenario
    level: ServiceLevel
    seeds: tuple[int, ...]
    time_limit_s: float
    summaries: list[CensusSummary]
    largest: int | None
    refined: list[int] = field(default_factory=list)
    seconds: float = 0.0


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
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    bar: bool = False,
) -> SweepResult:
    """Solve every (size, seed) day, then (``refine_to``) bisect between the largest size
    that carries and the next that does not until they are ``refine_to`` patients apart."""
    level = level or ServiceLevel()
    sizes = sorted(set(sizes or scenario.census.sizes))
    seeds = tuple(seeds)
    store = ResultStore(out)
    t0 = time.monotonic()
    tasks = [DayTask(scenario, n, s, time_limit_s) for n in sizes for s in seeds]
    results = evaluate(tasks, store, workers=workers, ray_address=ray_address,
                       progress=progress, should_stop=should_stop, bar=bar)  # fmt: skip
    summaries = summarise(results, level)
    largest = largest_census(summaries, level)
    refined: list[int] = []
    stopped = should_stop is not None and should_stop()
    while refine_to and not stopped and largest is not None:
        above = [s.census for s in summaries if s.census > largest]
        if not above or min(above) - largest <= refine_to:
            break
        mid = (largest + min(above)) // 2
        refined.append(mid)
        more = evaluate([DayTask(scenario, mid, s, time_limit_s) for s in seeds], store,
                        workers=workers, ray_address=ray_address, bar=bar)  # fmt: skip
        results.update(more)
        summaries = summarise(results, level)
        largest = largest_census(summaries, level)
        stopped = should_stop is not None and should_stop()
    return SweepResult(scenario, level, seeds, time_limit_s, summaries, largest, refined,
                       time.monotonic() - t0)  # fmt: skip

"""A simulated month: admissions, lengths of stay and discharges; every day planned and checked.

``hah simulate --days 30`` answers "what does a month on this roster look like?": patients are
admitted by day of week, stay for a drawn number of days and are discharged; each day the
care plans of the patients on the ward are expanded into that day's visits, the scenario's
roster is put on shift, the day is solved by the real solver and measured (and checked by the
independent checker) as in a census sweep. The report is the month day by day and in total,
with its trend.

The model, and why:

- **Admissions** on each day are Poisson with a day-of-week mean: referrals come mostly on
  weekdays (``WEEKDAY_WEIGHTS``: Monday–Friday 1.1–1.15, Saturday and Sunday 0.7, relative to
  the mean day), as in acute referral pathways where the weekend has fewer consultants to
  refer. Poisson because admissions are many independent referrals.
- **Length of stay** is a discretised lognormal (``StayModel``): mean 6 days, coefficient of
  variation 0.6, one to 28 days. Hospital-at-home / virtual-ward stays are typically 5–7 days
  and right-skewed (most IV-antibiotic courses run 5–14 days; a few patients stay weeks). It
  is drawn at admission, and so is independent of the day's solve.
- **Rates from Little's law**: mean census = admissions per day × mean length of stay, so
  the mean admissions per day are ``census / mean stay`` (about 42 a day for 250 patients
  and 6 days). The census then fluctuates around the target as a real one does (Poisson
  arrivals; fewer admissions at the weekend make it dip early in the week).
- **Warm start**: the month is preceded by a burn-in as long as the longest stay, run
  through the same model from an empty ward, so day 1 opens with a steady-state census and
  residual stays of every length (no hand-made "initial census").
- **Partial days**: a stay of ``L`` days, admitted on day ``a``, is discharged on day
  ``a + L``; its care-plan items run ``start_date = a`` to ``end_date = a + L − 1``. The
  admission day's afternoon and the discharge day's morning together make one day of care,
  and it is counted whole on the admission day's planning day (07:00 to 07:00, see
  ``scheduler.domain.careplan``). A stay of ``L`` days is so exactly ``L`` planning days of visits,
  Little's law holds for the census of every day, and the month's visit volume is right; what
  is approximate is only the hour of the first and last visits of a stay.
- **Staff**: the scenario's roster every day (optionally scaled at weekends with
  ``weekend_staff``), based near that day's patients, with named nurses chosen afresh each
  day (``days.staff_for``).
- **Patients** are ``synth.new_patient`` with the scenario's regimen mix; ids ``M00001``…
  are unique over the burn-in and month.

Census evolution does not depend on what the solver achieves, so the month is generated
first and its days solved in parallel (``executor.run_all``). A task carries only
(scenario, model, seed, day): each worker rebuilds the month from the seed, which is cheaper
to send than a day's visits and gives the same day. Every solved day is appended to
``results.jsonl`` in the output folder (``sweep.ResultStore``), keyed by the scenario, the
model, the seed, the day and the time limit, so an interrupted month resumes where it
stopped. ``month.csv`` (one row a day) and ``month.json`` (totals and rows) are the report.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from scheduler.domain.capacity.days import staff_for
from scheduler.domain.capacity.metrics import DayMetrics, measure
from scheduler.domain.capacity.scenario import Scenario, load_scenario, roster_text, sample_scenario
from scheduler.domain.careplan import CarePlanItem, Patient, expand
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.model import Shift, Visit
from scheduler.domain.synth import new_patient
from scheduler.usecases.capacity.executor import run_all
from scheduler.usecases.capacity.sweep import ProgressBar, ResultStore, ServiceLevel

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Relative admissions by day of week (Monday first); normalised to a mean of 1.
WEEKDAY_WEIGHTS = (1.15, 1.15, 1.10, 1.10, 1.10, 0.70, 0.70)


@dataclass(frozen=True)
class StayModel:
    """Length of stay in days: a lognormal with this mean and coefficient of variation,
    rounded to whole days and kept within 1..``max_days``."""

    mean_days: float = 6.0
    cv: float = 0.6
    max_days: int = 28

    def __post_init__(self) -> None:
        if not 1 <= self.max_days <= 366:
            raise ValueError("the longest stay must be 1 to 366 days")
        if not 1.0 <= self.mean_days <= self.max_days:
            raise ValueError(f"the mean stay must be between 1 and {self.max_days} days")
        if not 0.0 < self.cv <= 3.0:
            raise ValueError("the coefficient of variation must be in (0, 3]")

    def pmf(self) -> tuple[float, ...]:
        """P(stay = k days) for k = 1..max_days."""
        sigma = math.sqrt(math.log(1 + self.cv**2))
        mu = math.log(self.mean_days) - sigma**2 / 2

        def cdf(x: float) -> float:
            return 0.5 * (1 + math.erf((math.log(x) - mu) / (sigma * math.sqrt(2))))

        edges = [0.0] + [cdf(k + 0.5) for k in range(1, self.max_days)] + [1.0]
        mass = [b - a for a, b in itertools.pairwise(edges)]
        total = sum(mass)
        return tuple(m / total for m in mass)

    def mean(self) -> float:
        """The mean of the whole-day distribution actually drawn from (used in Little's law)."""
        return sum(k * p for k, p in enumerate(self.pmf(), start=1))


@dataclass(frozen=True)
class MonthSpec:
    """What the month simulates (with the scenario and a seed)."""

    days: int = 30
    census: int = 250
    stay: StayModel = field(default_factory=StayModel)
    weekday_weights: tuple[float, ...] = WEEKDAY_WEIGHTS
    weekend_staff: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 366:
            raise ValueError("days must be 1 to 366")
        if not 1 <= self.census <= 2000:
            raise ValueError("census must be 1 to 2000 patients")
        if len(self.weekday_weights) != 7 or min(self.weekday_weights) < 0:
            raise ValueError("seven weekday weights, each ≥ 0")
        if sum(self.weekday_weights) <= 0:
            raise ValueError("at least one weekday weight > 0")
        if not 0.0 <= self.weekend_staff <= 3.0:
            raise ValueError("weekend staff scale must be 0 to 3")

    def admissions_mean(self, weekday: int) -> float:
        """Mean admissions on a day of week (0 = Monday): census / mean stay × its weight."""
        w = self.weekday_weights
        return self.census / self.stay.mean() * w[weekday] * 7 / sum(w)

    def key(self) -> str:
        """A short hash of everything that changes the month's days except their number (a
        longer month re-uses a shorter one's days: day ``d`` does not depend on later days)."""
        data = {
            "census": self.census,
            "stay": asdict(self.stay),
            "weekdays": list(self.weekday_weights),
            "weekend_staff": self.weekend_staff,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Stay:
    patient: Patient
    careplans: tuple[CarePlanItem, ...]
    admitted: date
    discharged: date  # the first day not on the ward; care runs to the day before

    def present(self, day: date) -> bool:
        return self.admitted <= day < self.discharged


@dataclass(frozen=True)
class MonthCensus:
    """Every stay that touches the month; day ``d`` (1-based) is ``start + d − 1``."""

    scenario: Scenario
    spec: MonthSpec
    seed: int
    stays: tuple[Stay, ...]

    @property
    def start(self) -> date:
        return self.scenario.day

    def date_of(self, d: int) -> date:
        return self.start + timedelta(days=d - 1)

    def present(self, d: int) -> list[Stay]:
        day = self.date_of(d)
        return [s for s in self.stays if s.present(day)]

    def census(self, d: int) -> int:
        return len(self.present(d))

    def admissions(self, d: int) -> int:
        day = self.date_of(d)
        return sum(s.admitted == day for s in self.stays)

    def discharges(self, d: int) -> int:
        day = self.date_of(d)
        return sum(s.discharged == day for s in self.stays)

    def roster_scenario(self, d: int) -> Scenario:
        """The scenario with the day's roster (weekend scale applied on Saturday and Sunday)."""
        if self.spec.weekend_staff == 1.0 or self.date_of(d).weekday() < 5:
            return self.scenario
        k = self.spec.weekend_staff
        return self.scenario.with_roster(
            {
                kind: {r: round(n * k) for r, n in roles.items()}
                for kind, roles in self.scenario.roster.items()
            }
        )

    def visits(self, d: int) -> list[Visit]:
        """Day ``d``'s visits without named nurses (the same visits as ``day``'s)."""
        here = self.present(d)
        careplans = [c for s in here for c in s.careplans]
        return expand([s.patient for s in here], careplans, self.date_of(d))

    def day(self, d: int) -> tuple[list[Visit], list[Shift]]:
        """Day ``d``'s visits (its patients' care plans expanded) and shifts."""
        day = self.date_of(d)
        here = self.present(d)
        patients = [s.patient for s in here]
        careplans = [c for s in here for c in s.careplans]
        rng = random.Random(9_000_011 * self.seed + 7_919 * d + 17)
        shifts, patients = staff_for(self.roster_scenario(d), patients, careplans, rng, day)
        return expand(patients, careplans, day), shifts


def month_census(scenario: Scenario, spec: MonthSpec, seed: int = 0) -> MonthCensus:
    """The month's stays: a burn-in of ``stay.max_days`` days from an empty ward, then
    ``spec.days`` days. Admissions day by day, so a day never depends on later days."""
    counts = np.random.default_rng([seed, 2026, 1])  # admissions and lengths of stay
    people = random.Random(1_000_033 * seed + 5)  # who they are and their care plans
    pmf = np.array(spec.stay.pmf())
    stays: list[Stay] = []
    n = 0
    first = scenario.day - timedelta(days=spec.stay.max_days)
    for offset in range(spec.stay.max_days + spec.days):
        day = first + timedelta(days=offset)
        for _ in range(int(counts.poisson(spec.admissions_mean(day.weekday())))):
            n += 1
            length = int(counts.choice(len(pmf), p=pmf)) + 1
            pid = f"M{n:05d}"
            patient, items = new_patient(people, pid, scenario.census.mix)
            last = day + timedelta(days=length - 1)
            items = tuple(replace(c, start_date=day, end_date=last) for c in items)
            stays.append(Stay(patient, items, day, day + timedelta(days=length)))
    # Stays over before day 1 are dropped (day 1's discharges, discharged on day 1, are kept).
    keep = tuple(s for s in stays if s.discharged >= scenario.day)
    return MonthCensus(scenario, spec, seed, keep)


# --- solving ------------------------------------------------------------------------------


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

    def key(self) -> str:
        return (
            f"month|{self.scenario.key()}|{self.spec.key()}|{self.seed}|{self.day}|"
            f"{self.time_limit_s:g}"
        )

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


def solve_month_day(task: MonthDayTask) -> dict:
    """Rebuild, solve and measure one day of the month (in a worker process or Ray task)."""
    from scheduler.domain.problem import build_problem
    from scheduler.domain.travel import Geodesic
    from solver.pipeline import SolveOptions, solve

    visits, shifts = _census_for(task).day(task.day)
    problem = build_problem(
        visits, shifts, Geodesic(circuity=task.scenario.circuity), cache_dir=False
    )
    t0 = time.monotonic()
    options = SolveOptions(time_limit_s=task.time_limit_s, seed=1_000 * task.seed + task.day)
    rota = solve(problem, options)
    return measure(problem, rota, time.monotonic() - t0).as_dict()


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthDay:
    day: int  # 1-based
    date: date
    census: int
    admissions: int
    discharges: int
    visits: int  # generated (expanded) visits
    metrics: DayMetrics | None  # None: not solved (yet)

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.date.weekday()]


def _slope(ys: list[float]) -> float:
    """Least-squares slope per step of ``ys`` (0 for fewer than two points)."""
    n = len(ys)
    if n < 2:
        return 0.0
    xbar, ybar = (n - 1) / 2, sum(ys) / n
    sxx = sum((i - xbar) ** 2 for i in range(n))
    return sum((i - xbar) * (y - ybar) for i, y in enumerate(ys)) / sxx


def rolling_mean(values: list[float | None], window: int = 7) -> list[float | None]:
    """The trailing ``window``-day mean, None until a full window of known values exists."""
    out: list[float | None] = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        ok = len(chunk) == window and all(v is not None for v in chunk)
        out.append(sum(chunk) / window if ok else None)  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class MonthTotals:
    days: int
    days_solved: int
    visits: int  # over all days
    placed: int  # over solved days
    visits_solved: int
    p1_total: int
    p1_placed: int
    mean_census: float
    admissions: int
    discharges: int
    overtime_h: float
    violations: int
    days_ok: int  # solved days meeting the service level
    solve_s: float
    visits_slope: float  # visits per day, per day (least squares)
    placed_slope: float  # placed share per day (fraction per day)
    p1_slope: float

    @property
    def placed_rate(self) -> float:
        return self.placed / self.visits_solved if self.visits_solved else math.nan

    @property
    def p1_on_time(self) -> float:
        return self.p1_placed / self.p1_total if self.p1_total else math.nan

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(placed_rate=self.placed_rate, p1_on_time=self.p1_on_time)
        return d


@dataclass
class MonthResult:
    scenario: Scenario
    spec: MonthSpec
    seed: int
    time_limit_s: float
    rows: list[MonthDay]
    level: ServiceLevel = field(default_factory=ServiceLevel)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return all(r.metrics is not None for r in self.rows)

    @property
    def totals(self) -> MonthTotals:
        solved = [r for r in self.rows if r.metrics is not None]
        ms = [r.metrics for r in solved]
        return MonthTotals(
            days=len(self.rows),
            days_solved=len(solved),
            visits=sum(r.visits for r in self.rows),
            placed=sum(m.placed for m in ms),
            visits_solved=sum(m.visits for m in ms),
            p1_total=sum(m.p1_total for m in ms),
            p1_placed=sum(m.p1_placed for m in ms),
            mean_census=sum(r.census for r in self.rows) / len(self.rows) if self.rows else 0.0,
            admissions=sum(r.admissions for r in self.rows),
            discharges=sum(r.discharges for r in self.rows),
            overtime_h=round(sum(m.overtime_h for m in ms), 2),
            violations=sum(m.violations for m in ms),
            days_ok=sum(self.level.day_ok(m) for m in ms),
            solve_s=round(sum(m.solve_s for m in ms), 1),
            visits_slope=_slope([r.visits for r in self.rows]),
            placed_slope=_slope([m.placed_rate for m in ms]),
            p1_slope=_slope([m.p1_on_time for m in ms]),
        )

    def grades(self) -> list[str]:
        return sorted({g for r in self.rows if r.metrics for g in r.metrics.utilisation})

    def table(self) -> list[dict]:
        """One dict a day: what ``month.csv`` holds (rates as fractions)."""
        grades = self.grades()
        visits_7 = rolling_mean([float(r.visits) for r in self.rows])
        placed_7 = rolling_mean([r.metrics.placed_rate if r.metrics else None for r in self.rows])
        p1_7 = rolling_mean([r.metrics.p1_on_time if r.metrics else None for r in self.rows])
        out = []
        for i, r in enumerate(self.rows):
            m = r.metrics
            row = {
                "day": r.day,
                "date": r.date.isoformat(),
                "weekday": r.weekday,
                "census": r.census,
                "admissions": r.admissions,
                "discharges": r.discharges,
                "visits": r.visits,
                "solved": m is not None,
                "placed": m.placed if m else None,
                "placed_rate": round(m.placed_rate, 5) if m else None,
                "p1_total": m.p1_total if m else None,
                "p1_placed": m.p1_placed if m else None,
                "p1_on_time": round(m.p1_on_time, 5) if m else None,
                "travel_share": round(m.travel_share, 5) if m else None,
            }
            for g in grades:
                row[f"utilisation_{g}"] = m.utilisation.get(g) if m else None
            row.update(
                {
                    "overtime_h": m.overtime_h if m else None,
                    "solve_s": m.solve_s if m else None,
                    "violations": m.violations if m else None,
                    "service_level_met": self.level.day_ok(m) if m else None,
                    "visits_7d": _r(visits_7[i], 1),
                    "placed_rate_7d": _r(placed_7[i], 5),
                    "p1_on_time_7d": _r(p1_7[i], 5),
                }
            )
            out.append(row)
        return out


def _r(x: float | None, nd: int) -> float | None:
    return None if x is None else round(x, nd)


def _rows(census: MonthCensus, metrics: dict[int, DayMetrics]) -> list[MonthDay]:
    rows = []
    for d in range(1, census.spec.days + 1):
        rows.append(
            MonthDay(
                d,
                census.date_of(d),
                census.census(d),
                census.admissions(d),
                census.discharges(d),
                len(census.visits(d)),
                metrics.get(d),
            )
        )
    return rows


def plan_month(scenario: Scenario, spec: MonthSpec | None = None, seed: int = 0) -> MonthResult:
    """The month's census and visits day by day, without solving (fast: a few seconds)."""
    spec = spec or MonthSpec()
    census = month_census(scenario, spec, seed)
    return MonthResult(scenario, spec, seed, 0.0, _rows(census, {}))


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
    bar: bool = False,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> MonthResult:
    """Generate the month, solve every day not already in ``out/results.jsonl`` (in
    parallel), and return the month. Days not solved (``should_stop``) have no metrics."""
    spec = spec or MonthSpec()
    t0 = time.monotonic()
    census = month_census(scenario, spec, seed)
    store = ResultStore(Path(out))
    tasks = [
        MonthDayTask(scenario, spec, seed, d, time_limit_s, census.census(d))
        for d in range(1, spec.days + 1)
    ]
    have: dict[int, DayMetrics] = {}
    for t in tasks:
        m = store.get(t)  # type: ignore[arg-type]
        # A stored day is re-used only if it is still the same day (a change to how days are
        # made would otherwise pair old results with new days).
        if m is not None and m.visits == len(census.visits(t.day)):
            have[t.day] = m
    todo = [t for t in tasks if t.day not in have]
    shown = ProgressBar(len(tasks), len(have)) if bar and todo else None
    if progress is not None:
        progress(len(have), len(tasks))

    def got(task: MonthDayTask, metrics: dict) -> None:
        store.add(task, metrics)  # type: ignore[arg-type]
        have[task.day] = DayMetrics.from_dict(metrics)
        if shown is not None:
            shown.step()
        if progress is not None:
            progress(len(have), len(tasks))

    run_all(
        todo,
        solve_month_day,
        workers=workers,
        ray_address=ray_address,
        on_result=got,
        should_stop=should_stop,
    )
    return MonthResult(
        scenario,
        spec,
        seed,
        time_limit_s,
        _rows(census, have),
        level or ServiceLevel(),
        time.monotonic() - t0,
    )


# --- output -------------------------------------------------------------------------------


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
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
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
    (out / "month.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return [out / "month.csv", out / "month.json"]


def _jsonable(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def _pct(x: float | None) -> str:
    return "   –  " if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:5.1f}%"


def print_month(result: MonthResult, file=None) -> None:
    file = file if file is not None else sys.stdout
    t = result.totals
    grades = result.grades()
    say = lambda s="": print(s, file=file)  # noqa: E731
    head = (
        f"{'day':>3} {'date':<10} {'wd':<3} {'census':>6} {'in':>3} {'out':>3} "
        f"{'visits':>6} {'placed':>7} {'P1 ok':>7} {'travel':>6} "
        + " ".join(f"{g:>6}" for g in grades)
        + f" {'over h':>6} {'viol':>4} {'7d visits':>9}"
    )
    say(head)
    for row, r in zip(result.table(), result.rows, strict=True):
        m = r.metrics
        util = " ".join(_pct(m.utilisation.get(g) if m else None) for g in grades)
        over = f"{m.overtime_h:6.1f}" if m else "     –"
        viol = f"{m.violations:>4}" if m else "   –"
        week = f"{row['visits_7d']:9.0f}" if row["visits_7d"] is not None else "        –"
        say(
            f"{r.day:>3} {r.date.isoformat():<10} {r.weekday:<3} {r.census:>6} "
            f"{r.admissions:>3} {r.discharges:>3} {r.visits:>6} "
            f"{_pct(m.placed_rate if m else None):>7} {_pct(m.p1_on_time if m else None):>7} "
            f"{_pct(m.travel_share if m else None):>6} {util} "
            f"{over} {viol} {week}"
        )
    say()
    say(
        f"{result.scenario.name}, {t.days} days from {result.scenario.day.isoformat()} "
        f"(seed {result.seed}, {result.time_limit_s:g} s per day): mean census "
        f"{t.mean_census:.0f} patients, {t.admissions} admitted, {t.discharges} discharged"
    )
    say(
        f"visits: {t.visits:,} in the month ({t.visits / max(t.days, 1):,.0f} a day); "
        f"trend {t.visits_slope:+.1f} visits/day per day"
    )
    if t.days_solved:
        say(
            f"placed: {t.placed:,}/{t.visits_solved:,} ({_pct(t.placed_rate).strip()}), "
            f"trend {100 * t.placed_slope:+.2f} points/day; priority-1 on time: "
            f"{t.p1_placed:,}/{t.p1_total:,} ({_pct(t.p1_on_time).strip()})"
        )
        say(
            f"days meeting the service level ({result.level.text()}): {t.days_ok}/"
            f"{t.days_solved}; overtime estimate {t.overtime_h:,.0f} clinician-hours; "
            f"checker violations {t.violations}"
        )
    if not result.complete:
        say(f"{t.days - t.days_solved} day(s) not solved yet: run again to resume")


# --- command line (registered by scheduler.cli) ---------------------------------------------


def add_simulate_parser(sub) -> None:
    """``hah simulate``: register on the main command's subparsers."""
    p = sub.add_parser(
        "simulate", help="simulate a month of admissions and discharges, solving every day"
    )
    p.add_argument("--days", type=int, default=30, help="days to simulate (default 30)")
    p.add_argument("--scenario", help="scenario TOML (default: the bundled sample service)")
    p.add_argument("--census", type=int, default=250, help="mean patients on the ward (250)")
    p.add_argument("--mean-stay", type=float, default=6.0, help="mean length of stay, days (6)")
    p.add_argument(
        "--weekend-staff",
        type=float,
        default=1.0,
        help="roster scale on Saturday and Sunday (default 1: the same roster)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=40.0, help="seconds per day (40)")
    p.add_argument("--workers", type=int, default=None, help="local processes (default: cores)")
    p.add_argument(
        "--ray",
        metavar="ADDRESS",
        default=None,
        help="run the solves on Ray: 'local' or a cluster address (extra: ray)",
    )
    p.add_argument("--out", default="month_out", help="output folder (resumable)")
    p.add_argument("--plot", action="store_true", help="also draw month.png and month.svg")
    p.set_defaults(func=cmd_simulate)


def _refuse(flag: str, why: str) -> InputError:
    return InputError([InputIssue(flag, None, None, why)])


def cmd_simulate(args: argparse.Namespace) -> int:
    if args.time_limit <= 0:
        raise _refuse("--time-limit", "seconds per day, more than 0")
    if args.workers is not None and args.workers < 1:
        raise _refuse("--workers", "at least 1")
    try:
        stay = StayModel(mean_days=args.mean_stay)
    except ValueError as exc:
        raise _refuse("--mean-stay", str(exc)) from exc
    try:
        spec = MonthSpec(
            days=args.days, census=args.census, stay=stay, weekend_staff=args.weekend_staff
        )
    except ValueError as exc:
        flag = next(
            (f for f in ("--days", "--census") if str(exc).startswith(f[2:])), "--weekend-staff"
        )
        raise _refuse(flag, str(exc)) from exc
    scenario = load_scenario(args.scenario) if args.scenario else sample_scenario()
    out = Path(args.out)
    print(
        f"{scenario.name}: {spec.days} days from {scenario.day.isoformat()}, census "
        f"{spec.census} (about {spec.census / spec.stay.mean():.1f} admissions a day, mean "
        f"stay {spec.stay.mean():.1f} days); roster {roster_text(scenario.roster)}; "
        f"{args.time_limit:g} s per day",
        file=sys.stderr,
    )
    try:
        result = simulate_month(
            scenario,
            out,
            spec=spec,
            seed=args.seed,
            time_limit_s=args.time_limit,
            workers=args.workers,
            ray_address=args.ray,
            bar=True,
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: solved days are kept in {out / 'results.jsonl'}; run the same "
            "command again to resume",
            file=sys.stderr,
        )
        return 130
    written = write_month(result, out)
    if args.plot:
        try:
            from scheduler.domain.capacity.plots import month_series
        except ImportError:
            print("--plot needs matplotlib: pip install -e '.[bench]'", file=sys.stderr)
        else:
            for ext in ("png", "svg"):
                month_series(result, out / f"month.{ext}")
                written.append(out / f"month.{ext}")
    print_month(result)
    print(f"wrote {', '.join(str(p) for p in written)} in {result.seconds:.0f} s")
    return 0

"""What many measured days say together: the service level, the spread of each measure per
census, and the answer "the largest census this roster carries".

Pure data and functions over ``DayMetrics``, so the answer can be recomputed from stored
results (``results.jsonl``, the web app's stored runs) and drawn (``plots``) without solving
anything, and tested without a solver. The use cases (``scheduler.usecases.capacity``) solve
the days and call these.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import mean

from scheduler.domain.capacity.caseload_sweep import CaseloadSweep
from scheduler.domain.capacity.metrics import DayMetrics
from scheduler.domain.capacity.scenario import Scenario
from scheduler.domain.continuity import CaseloadContinuity


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


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile, linear between order statistics (NaN for no values)."""
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
        return cls(mean(values), quantile(values, 0.1), quantile(values, 0.9), min(values),
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
    #: A caseload point's (``caseload_sweep``): continuity over its stays, and the patients
    #: on the ward per day (its census is the target mean). None for one-day draws.
    continuity: CaseloadContinuity | None = None
    on_ward: Spread | None = None

    @property
    def ok_share(self) -> float:
        return self.days_ok / self.days if self.days else 0.0


def summarise(days: Iterable[tuple[int, DayMetrics]], level: ServiceLevel) -> list[CensusSummary]:
    """One summary per census, smallest first, from (census, metrics) pairs of solved days."""
    by_size: dict[int, list[DayMetrics]] = {}
    for census, m in days:
        by_size.setdefault(census, []).append(m)
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


def with_caseload(
    summaries: Sequence[CensusSummary],
    on_ward: Mapping[int, Sequence[int]],
    continuity: Mapping[int, CaseloadContinuity],
) -> list[CensusSummary]:
    """Caseload points' summaries: ``summarise``'s, each with its census point's patients on
    the ward per day solved and its continuity over the stays (by census point)."""
    out = []
    for s in summaries:
        ward = on_ward.get(s.census)
        spread = Spread.of([float(n) for n in ward]) if ward else None
        out.append(replace(s, on_ward=spread, continuity=continuity.get(s.census)))
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
    #: How the census points were run on the caseload model; None: one-day draws.
    caseload: CaseloadSweep | None = None

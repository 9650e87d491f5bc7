"""The report of a simulated month: each day's census and measures, the month's totals and
trends, and the day-by-day table that ``month.csv``, ``month.json``, the web page and the
month chart all show.

Pure data over the admissions model (``admissions``) and measured days (``metrics``), so a
month can be reported before any day is solved (``plan_month``), part-solved, or rebuilt
from stored results, and every view of it shows the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date

from scheduler.domain.capacity.admissions import WEEKDAYS, MonthCensus, MonthSpec
from scheduler.domain.capacity.metrics import DayMetrics
from scheduler.domain.capacity.scenario import Scenario
from scheduler.domain.capacity.summary import ServiceLevel
from scheduler.domain.continuity import CaseloadContinuity


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
        chunk = [v for v in values[max(0, i - window + 1) : i + 1] if v is not None]
        out.append(sum(chunk) / window if len(chunk) == window else None)
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
    #: A caseload's month (``MonthSpec.caseload``): continuity over the stays' solved days,
    #: and the model that planned them (``fixed`` named nurse or ``learned``).
    continuity: CaseloadContinuity | None = None
    continuity_model: str = "fixed"

    @property
    def complete(self) -> bool:
        return all(r.metrics is not None for r in self.rows)

    @property
    def totals(self) -> MonthTotals:
        ms = [r.metrics for r in self.rows if r.metrics is not None]
        return MonthTotals(
            days=len(self.rows),
            days_solved=len(ms),
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


def month_rows(census: MonthCensus, metrics: Mapping[int, DayMetrics]) -> list[MonthDay]:
    """The month day by day: census, admissions, discharges and visits from ``census``, and
    each day's metrics where ``metrics`` has them (by 1-based day)."""
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

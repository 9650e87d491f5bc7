"""A run's results as JSON for ``CapacityRun.results``, and rebuilt from it for the charts:
a sweep's summaries per census with the sentence an ops lead reads (``answer``), a month's
totals and one row a day (``month_summary``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from scheduler.domain.capacity.caseload_sweep import CaseloadSweep
from scheduler.domain.capacity.month_report import MonthResult, MonthTotals
from scheduler.domain.capacity.scenario import Scenario, roster_text
from scheduler.domain.capacity.summary import (
    CensusSummary,
    ServiceLevel,
    Spread,
    SweepResult,
    carries,
)
from scheduler.domain.continuity import CaseloadContinuity
from web.models import CapacityRun
from web.services.capacity.params import kind_of, scenario_from_text
from web.services.capacity.runs import ACTIVE


def _finite(x: float) -> float | None:
    return x if isinstance(x, int | float) and math.isfinite(x) else None


def _spread(s: Spread) -> dict[str, float | None]:
    return {k: _finite(v) for k, v in asdict(s).items()}


def answer(largest: int | None, sizes: list[int], level: ServiceLevel, swept: bool = True) -> str:
    """The sentence an ops lead reads: how many patients this roster carries."""
    if not sizes:
        return "No simulated day was solved, so there is no answer yet."
    how = f"the service level ({level.text()})"
    if largest is None:
        return (f"This roster does not carry even the smallest census swept ({min(sizes)} "
                f"patients) at {how}.")  # fmt: skip
    if largest >= max(sizes):
        more = " or more: it held at every census swept; sweep larger sizes to find its limit"
        return f"This roster carries {largest} patients{more} at {how}."
    return f"This roster carries {largest} patients at {how}."


def _continuity(c: CaseloadContinuity | None) -> dict[str, Any] | None:
    """Continuity over the stays as stored: its fields unrounded, so ``sweep_result_of``
    gives the very figures back."""
    return None if c is None else asdict(c)


def _continuity_back(d: Mapping[str, Any] | None) -> CaseloadContinuity | None:
    return None if d is None else CaseloadContinuity(
        **{k: d[k] for k in CaseloadContinuity.__dataclass_fields__})  # fmt: skip


def serialise(result: SweepResult) -> dict[str, Any]:
    """The sweep as JSON for ``CapacityRun.results``: per census the days solved, the spread
    (mean, 10th/90th percentiles lo/hi, min, max) of each measure, utilisation per grade,
    days meeting the service level, checker violations; the largest census carried. On the
    caseload model (``caseload``: days per seed, continuity) each census adds ``on_ward`` (the
    patients on the ward per day: the census is the target mean) and ``continuity`` over the
    stays (``CaseloadContinuity``'s fields: ``top3_visits`` is the headline)."""
    sizes = [s.census for s in result.summaries]
    census = []
    for s in result.summaries:
        census.append(
            {
                "census": s.census,
                "days": s.days,
                "visits": _spread(s.visits),
                "p1_on_time": _spread(s.p1_on_time),
                "placed": _spread(s.placed),
                "travel_share": _spread(s.travel_share),
                "overtime_h": _spread(s.overtime_h),
                "utilisation": {g: _spread(v) for g, v in sorted(s.utilisation.items())},
                "days_ok": s.days_ok,
                "ok_share": _finite(s.ok_share),
                "carries": carries(s, result.level),
                "violations": s.violations,
                "solve_s": _finite(round(s.solve_s, 2)),
                "on_ward": _spread(s.on_ward) if s.on_ward is not None else None,
                "continuity": _continuity(s.continuity),
            }
        )
    sc = result.scenario
    return {
        "scenario": sc.name,
        "roster": roster_text(sc.roster),
        "clinicians": sc.clinicians(),
        "paid_hours": round(sc.paid_hours(), 1),
        "level": asdict(result.level),
        "level_text": result.level.text(),
        "seeds": list(result.seeds),
        "time_limit_s": result.time_limit_s,
        "census": census,
        "largest": result.largest,
        "refined": list(result.refined),
        "seconds": round(result.seconds, 1),
        "violations": sum(s.violations for s in result.summaries),
        "answer": answer(result.largest, sizes, result.level),
        "caseload": asdict(result.caseload) if result.caseload is not None else None,
    }


def _spread_back(d: Mapping[str, Any]) -> Spread:
    return Spread(
        **{k: math.nan if d.get(k) is None else d[k] for k in Spread.__dataclass_fields__}
    )


def sweep_result_of(run: CapacityRun) -> SweepResult:
    """A ``SweepResult`` rebuilt from a finished run's stored results (for the charts)."""
    r = run.results or {}
    summaries = [
        CensusSummary(
            census=c["census"],
            days=c["days"],
            visits=_spread_back(c["visits"]),
            p1_on_time=_spread_back(c["p1_on_time"]),
            placed=_spread_back(c["placed"]),
            travel_share=_spread_back(c["travel_share"]),
            overtime_h=_spread_back(c["overtime_h"]),
            utilisation={g: _spread_back(v) for g, v in c["utilisation"].items()},
            days_ok=c["days_ok"],
            violations=c["violations"],
            solve_s=c.get("solve_s") or 0.0,
            continuity=_continuity_back(c.get("continuity")),
            on_ward=_spread_back(c["on_ward"]) if c.get("on_ward") else None,
        )
        for c in r.get("census", [])
    ]
    caseload = r.get("caseload")
    return SweepResult(
        scenario=scenario_from_text(run.params.get("scenario")),
        level=ServiceLevel(**r.get("level", run.params["level"])),
        seeds=tuple(r.get("seeds", range(run.params.get("seeds", 1)))),
        time_limit_s=float(r.get("time_limit_s", run.params.get("time_limit_s", 30))),
        summaries=summaries,
        largest=r.get("largest"),
        refined=list(r.get("refined", [])),
        seconds=float(r.get("seconds", 0.0)),
        caseload=CaseloadSweep(**caseload) if caseload else None,
    )


# --- month runs -----------------------------------------------------------------------------


#: What a stored day of a month holds (``MonthResult.table`` without utilisation per grade).
MONTH_ROW_KEYS = (
    "day", "date", "weekday", "census", "admissions", "discharges", "visits", "solved",
    "placed", "placed_rate", "p1_total", "p1_placed", "p1_on_time", "travel_share",
    "overtime_h", "solve_s", "violations", "service_level_met", "visits_7d",
    "placed_rate_7d", "p1_on_time_7d",
)  # fmt: skip


def _json_value(v: Any) -> Any:
    return _finite(v) if isinstance(v, float) else v


def _pct1(x: float | None) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:.1f} %"


def month_summary(t: MonthTotals, level: ServiceLevel, start: str) -> str:
    """The sentence an ops lead reads about a simulated month."""
    if not t.days:
        return "No day was simulated."
    first = date.fromisoformat(start).strftime("%d %b %Y") if start else "the first day"
    head = (f"Over {t.days} simulated day{'s' if t.days != 1 else ''} from {first}: "
            f"{t.visits:,} visits, mean census {t.mean_census:.1f} patients.")  # fmt: skip
    if not t.days_solved:
        return head + " No day was solved."
    solved = "" if t.days_solved == t.days else f" (on the {t.days_solved} days solved)"
    good = (f"{100 * level.p1_on_time:g} % of priority-1 on time and {100 * level.placed:g} % "
            "placed")  # fmt: skip
    return (
        f"{head} {_pct1(t.placed_rate)} of visits placed and {_pct1(t.p1_on_time)} of "
        f"priority-1 visits on time{solved}; {t.days_ok} of {t.days_solved} days met the "
        f"service level ({good}); the independent checker found {t.violations} "
        f"violation{'' if t.violations == 1 else 's'}."
    )


def serialise_month(result: MonthResult) -> dict[str, Any]:
    """The month as JSON for ``CapacityRun.results``: ``totals`` (``MonthTotals.as_dict``;
    rates as fractions, null when unknown), ``rows`` (one a day, ``MONTH_ROW_KEYS``, metrics
    null for a day not solved), the roster, the service level and the summary sentence; on
    the caseload model (``caseload`` true), ``continuity`` over the stays: its model and
    ``CaseloadContinuity``'s fields."""
    t = result.totals
    c = result.continuity
    continuity = None if c is None else {"model": result.continuity_model, **asdict(c)}
    totals = {k: _json_value(v) for k, v in t.as_dict().items()}
    rows = [{k: _json_value(row.get(k)) for k in MONTH_ROW_KEYS} for row in result.table()]
    sc = result.scenario
    return {
        "kind": "month",
        "scenario": sc.name,
        "start": sc.day.isoformat(),
        "roster": roster_text(sc.roster),
        "clinicians": sc.clinicians(),
        "paid_hours": round(sc.paid_hours(), 1),
        "level": asdict(result.level),
        "days": result.spec.days,
        "census": result.spec.census,
        "mean_stay_days": round(result.spec.stay.mean(), 3),
        "seed": result.seed,
        "time_limit_s": result.time_limit_s,
        "complete": result.complete,
        "seconds": round(result.seconds, 1),
        "violations": t.violations,
        "totals": totals,
        "rows": rows,
        "summary": month_summary(t, result.level, sc.day.isoformat()),
        "caseload": result.spec.caseload,
        "continuity": continuity,
    }


@dataclass(frozen=True)
class _StoredDay:
    date: date


@dataclass
class StoredMonth:
    """A ``MonthResult`` as far as ``plots.month_series`` reads one: the scenario (its name),
    the service level, the totals, the days' dates (``rows``), ``complete`` and ``table()``."""

    scenario: Scenario
    level: ServiceLevel
    totals: MonthTotals
    rows: list[_StoredDay]
    complete: bool
    stored_rows: list[dict[str, Any]] = field(default_factory=list)

    def table(self) -> list[dict[str, Any]]:
        return self.stored_rows


def month_result_of(run: CapacityRun) -> StoredMonth:
    """What the month chart is drawn from, rebuilt from a month run's stored results."""
    r = run.results or {}
    stored = r.get("totals", {})
    values: dict[str, Any] = {
        k: math.nan if stored.get(k) is None else stored[k]
        for k in MonthTotals.__dataclass_fields__
    }
    totals = MonthTotals(**values)
    rows = list(r.get("rows", []))
    return StoredMonth(
        scenario=scenario_from_text(run.params.get("scenario")),
        level=ServiceLevel(**r.get("level", run.params["level"])),
        totals=totals,
        rows=[_StoredDay(date.fromisoformat(x["date"])) for x in rows],
        complete=bool(r.get("complete", all(x.get("solved") for x in rows))),
        stored_rows=rows,
    )


def has_results(run: CapacityRun) -> bool:
    """Whether an ended run has results to chart (per census for a sweep, days for a month)."""
    if run.state in ACTIVE or not run.results:
        return False
    return bool(run.results.get("rows" if kind_of(run.params) == "month" else "census"))

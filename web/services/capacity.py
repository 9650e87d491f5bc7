"""Capacity sweeps and simulated months from the ops page: a run row in the database, a worker
that sweeps (or simulates) into it.

The same pattern as solve jobs (``web.services.jobs``): the request validates the parameters
and creates a ``CapacityRun``; a runner hands its id to a worker (by default a separate
interpreter, ``python -m web.capacity_worker RUN_ID``) which calls
``scheduler.usecases.capacity.sweep.sweep`` with a ``progress`` callback that writes days
solved into the row (at most once a second) and a ``should_stop`` that reads the row's
``stop_requested`` flag, then stores the sweep's summaries (``serialise``) in the row. Every
simulated day is checked by the independent checker inside the sweep
(``scheduler.domain.capacity.metrics.measure``); the summaries carry its violation count.

Day results go to ``results.jsonl`` in the run's folder under the instance directory. A new
run whose scenario and time limit match an earlier run's re-uses that run's folder, so
re-running a stopped (or finished) sweep solves only the days not yet solved.

A run is a sweep or a **month** (``params["kind"] == "month"``; rows without a kind are
sweeps): a month run calls ``scheduler.usecases.capacity.month.simulate_month`` the same
way (progress is days of the month solved) and stores the month's totals and one row a day
(``serialise_month``); ``month_result_of`` rebuilds from them what
``scheduler.domain.capacity.plots.month_series`` draws. Month days are keyed apart from
sweep days in ``results.jsonl``, so the two kinds may share a folder.

One run at a time across the whole service: a sweep keeps the machine's cores busy, and a
second would only slow both. Nothing here imports Flask.
"""

from __future__ import annotations

import io
import logging
import math
import re
import secrets
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.domain.capacity.month_report import MonthResult, MonthTotals
from scheduler.domain.capacity.scenario import Scenario, load_scenario, roster_text, sample_scenario
from scheduler.domain.capacity.summary import (
    CensusSummary,
    ServiceLevel,
    Spread,
    SweepResult,
    carries,
)
from scheduler.domain.errors import InputError
from web.models import CapacityRun, User, utcnow
from web.services import audit, runners
from web.services.jobs import STALE_GRACE_S

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
SAMPLE = "sample"
CHARTS = ("capacity", "utilisation")
MONTH_CHARTS = ("month",)
KINDS = ("sweep", "month")
MAX_SIZES = 20
LIMITS = {"size": (1, 600), "seeds": (1, 10), "time_limit_s": (1, 120)}
DEFAULTS = {"seeds": 3, "time_limit_s": 30.0, "p1_percent": 100.0, "placed_percent": 98.0,
            "days_percent": 95.0}  # fmt: skip
MONTH_LIMITS = {"days": (1, 60), "census": (1, 600), "mean_stay_days": (1, 28),
                "time_limit_s": (1, 120), "p1_percent": (0, 100),
                "placed_percent": (0, 100)}  # fmt: skip
MONTH_DEFAULTS = {"days": 30, "census": 250, "mean_stay_days": 6.0, "time_limit_s": 30.0,
                  "p1_percent": 100.0, "placed_percent": 98.0}  # fmt: skip


class CapacityError(ValueError):
    """A run cannot be started or stopped as asked (another is active, it has finished)."""


class ParamsError(ValueError):
    """The sweep's parameters are not valid; ``messages`` says every problem at once."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


# --- parameters ------------------------------------------------------------------------------


def sample_toml() -> str:
    from scheduler.domain.capacity.scenario import scenario_toml

    return scenario_toml(sample_scenario())


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def scenario_from_text(text: str | None) -> Scenario:
    """``"sample"``, nothing, or the sample's own TOML: the sample service; anything else is
    TOML read as ``hah capacity`` reads a scenario file (every problem reported at once, as an
    ``InputError`` whose issues are named ``scenario``)."""
    text = (text or "").replace("\r\n", "\n")
    if not text.strip() or text.strip() == SAMPLE:
        return sample_scenario()
    with tempfile.TemporaryDirectory(prefix="hah-scenario-") as tmp:
        path = Path(tmp) / "scenario.toml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_scenario(path)
        except InputError as err:
            for issue in err.issues:
                object.__setattr__(issue, "file", "scenario")
            raise InputError(err.issues) from None


def _number(raw: Any, name: str, lo: float, hi: float, problems: list[str], *,
            whole: bool = False) -> float | None:  # fmt: skip
    what = "a whole number" if whole else "a number"
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = float(str(raw).strip()) if not isinstance(raw, int | float) else float(raw)
    except (TypeError, ValueError):
        problems.append(f"{name}: {what} from {lo:g} to {hi:g}, not {raw!r}")
        return None
    if not math.isfinite(value) or not lo <= value <= hi or (whole and value != int(value)):
        problems.append(f"{name}: {what} from {lo:g} to {hi:g}, not {raw!r}")
        return None
    return value


def _scenario_param(data: Mapping[str, Any], problems: list[str]) -> tuple[str, Scenario | None]:
    """The scenario as stored ("sample" or the TOML text) and read, or its problems."""
    text = str(data.get("scenario") or "").replace("\r\n", "\n")
    is_sample = (
        not text.strip() or text.strip() == SAMPLE or _squash(text) == _squash(sample_toml())
    )
    scenario = None
    try:
        scenario = scenario_from_text(SAMPLE if is_sample else text)
    except InputError as err:
        for issue in err.issues:
            where = f"scenario {issue.column}" if issue.column else "scenario"
            problems.append(f"{where}: {issue.message}")
    return (SAMPLE if is_sample else text), scenario


def kind_of(params: Mapping[str, Any] | None) -> str:
    """A run's kind: "month", or "sweep" (rows from before months had no kind)."""
    return "month" if (params or {}).get("kind") == "month" else "sweep"


def parse_any(data: Mapping[str, Any], workers: int = 1) -> dict[str, Any]:
    """``parse_params`` or ``parse_month_params`` by ``kind`` ("sweep", the default, or
    "month")."""
    kind = data.get("kind")
    if kind is None or (isinstance(kind, str) and kind.strip() in ("", "sweep")):
        return parse_params(data, workers)
    if isinstance(kind, str) and kind.strip() == "month":
        return parse_month_params(data, workers)
    raise ParamsError([f"kind: 'sweep' or 'month', not {kind!r}"])


def parse_month_params(data: Mapping[str, Any], workers: int = 1) -> dict[str, Any]:
    """The stored parameters of a month run, or ``ParamsError`` with every problem.

    ``days``: days to simulate (1–60); ``census``: the target (mean) census (1–600 patients);
    ``mean_stay_days``: mean length of stay (1–28 days); ``time_limit_s``: the solver's time per
    day (1–120 s); ``p1_percent``, ``placed_percent``: when a day meets the service level
    (default 100 and 98); ``scenario``: TOML text, or empty / "sample" for the sample service.
    """
    problems: list[str] = []

    def field_(name: str, label: str, whole: bool = False):
        raw = data.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raw = MONTH_DEFAULTS[name]
        return _number(raw, label, *MONTH_LIMITS[name], problems, whole=whole)

    days = field_("days", "days to simulate", whole=True)
    census = field_("census", "target census (patients)", whole=True)
    stay = field_("mean_stay_days", "mean length of stay (days)")
    limit = field_("time_limit_s", "seconds per day")
    p1 = field_("p1_percent", "priority-1 on time %")
    placed = field_("placed_percent", "visits placed %")
    stored, scenario = _scenario_param(data, problems)
    if problems:
        raise ParamsError(problems)
    return {
        "kind": "month",
        "scenario": stored,
        "scenario_name": scenario.name,
        "scenario_key": scenario.key(),
        "start": scenario.day.isoformat(),
        "days": int(days),
        "census": int(census),
        "mean_stay_days": float(stay),
        "seed": 0,
        "time_limit_s": float(limit),
        "level": {
            "p1_on_time": p1 / 100,
            "placed": placed / 100,
            "share_of_days": DEFAULTS["days_percent"] / 100,
        },
        "workers": max(1, int(workers)),
    }


def month_spec_of(params: Mapping[str, Any]):
    """The ``MonthSpec`` of a month run's parameters."""
    from scheduler.domain.capacity.admissions import MonthSpec, StayModel

    stay = StayModel(mean_days=float(params["mean_stay_days"]))
    return MonthSpec(days=int(params["days"]), census=int(params["census"]), stay=stay)


def parse_params(data: Mapping[str, Any], workers: int = 1) -> dict[str, Any]:
    """The stored parameters of a run from a form or a JSON body, or ``ParamsError``.

    ``sizes`` (required): census sizes, a list or "150, 200 250"; ``seeds``: how many
    simulated days per size (1–10, seeds 0…n−1); ``time_limit_s``: the solver's time per day
    (1–120 s); ``p1_percent``, ``placed_percent``, ``days_percent``: the service level;
    ``scenario``: TOML text, or empty / "sample" for the sample service.
    """
    problems: list[str] = []
    raw_sizes = data.get("sizes")
    sizes: list[int] = []
    lo, hi = LIMITS["size"]
    if raw_sizes is None or (isinstance(raw_sizes, str) and not raw_sizes.strip()):
        problems.append(f"census sizes: required, e.g. 150, 200, 250 (each {lo}–{hi} patients)")
    else:
        items = raw_sizes if isinstance(raw_sizes, list) else re.split(r"[\s,;]+", str(raw_sizes))
        items = [x for x in items if not (isinstance(x, str) and not x.strip())]
        bad = []
        for x in items:
            ok = isinstance(x, int) and not isinstance(x, bool)
            if isinstance(x, str) and re.fullmatch(r"\d+", x.strip()):
                x, ok = int(x), True
            if ok and lo <= x <= hi:
                sizes.append(int(x))
            else:
                bad.append(str(x))
        if bad:
            problems.append(f"census sizes: whole numbers of patients from {lo} to {hi}, "
                            f"not {', '.join(bad)}")  # fmt: skip
        elif not sizes:
            problems.append("census sizes: give at least one")
        sizes = sorted(set(sizes))
        if len(sizes) > MAX_SIZES:
            problems.append(f"census sizes: at most {MAX_SIZES} different sizes")

    def field(name: str, label: str, lo: float, hi: float, whole: bool = False):
        raw = data.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raw = DEFAULTS[name]
        return _number(raw, label, lo, hi, problems, whole=whole)

    seeds = field("seeds", "seeds (simulated days per size)", *LIMITS["seeds"], whole=True)
    limit = field("time_limit_s", "seconds per day", *LIMITS["time_limit_s"])
    p1 = field("p1_percent", "priority-1 on time %", 0, 100)
    placed = field("placed_percent", "visits placed %", 0, 100)
    days = field("days_percent", "share of days %", 1, 100)
    stored, scenario = _scenario_param(data, problems)
    if problems:
        raise ParamsError(problems)
    return {
        "scenario": stored,
        "scenario_name": scenario.name,
        "scenario_key": scenario.key(),
        "sizes": sizes,
        "seeds": int(seeds),
        "time_limit_s": float(limit),
        "level": {"p1_on_time": p1 / 100, "placed": placed / 100, "share_of_days": days / 100},
        "workers": max(1, int(workers)),
    }


def level_of(params: Mapping[str, Any]) -> ServiceLevel:
    return ServiceLevel(**params["level"])


# --- starting and stopping -------------------------------------------------------------------


def is_stale(run: CapacityRun, now: datetime) -> bool:
    """Active, but silent for longer than a day's time limit plus the jobs' grace."""
    last = run.heartbeat_at or run.created_at
    limit = float(run.params.get("time_limit_s", 30)) if run.params else 30.0
    return (
        run.state in ACTIVE
        and last is not None
        and (now - last).total_seconds() > limit + STALE_GRACE_S
    )


def active_run(session: Session) -> CapacityRun | None:
    """The run in progress, after failing any abandoned one (its worker died)."""
    now = utcnow()
    busy = None
    for run in session.scalars(select(CapacityRun).where(CapacityRun.state.in_(ACTIVE))):
        if is_stale(run, now):
            run.state, run.finished_at = "failed", now
            run.error = "abandoned: its worker stopped reporting (server restarted?)"
        else:
            busy = run
    return busy


def _results_dir(session: Session, params: Mapping[str, Any], base: Path, run_id: int) -> str:
    """An earlier run's folder for the same scenario and time limit (its days are re-used),
    else a new one named after this run."""
    earlier = session.scalars(
        select(CapacityRun).where(CapacityRun.results_dir != "").order_by(CapacityRun.id.desc())
    )
    for old in earlier:
        p = old.params or {}
        if (
            p.get("scenario_key") == params["scenario_key"]
            and p.get("time_limit_s") == params["time_limit_s"]
            and Path(old.results_dir).parent == base
        ):
            return old.results_dir
    # A random tail too: several databases (tests, a demo) may share one instance folder.
    return str(base / f"run-{run_id}-{secrets.token_hex(3)}")


def start_run(
    session: Session,
    params: dict[str, Any],
    user: User | None,
    results_base: Path,
    ip: str = "",
) -> CapacityRun:
    """A queued run of validated ``params`` (``parse_params`` or ``parse_month_params``);
    refuses while another run (sweep or month) is active. The caller commits, then hands
    ``run.id`` to a runner."""
    busy = active_run(session)
    if busy is not None:
        raise CapacityError(
            f"capacity run {busy.id} is still {busy.state}; wait for it or stop it first"
        )
    run = CapacityRun(
        state="queued",
        params=dict(params),
        progress_done=0,
        progress_total=(
            int(params["days"])
            if kind_of(params) == "month"
            else len(params["sizes"]) * int(params["seeds"])
        ),
        created_by_id=user.id if user else None,
    )
    session.add(run)
    session.flush()
    run.results_dir = _results_dir(session, params, Path(results_base), run.id)
    if kind_of(params) == "month":
        what = (f"month of {params['days']} day(s), census {params['census']}, mean stay "
                f"{params['mean_stay_days']:g} days")  # fmt: skip
    else:
        what = f"sizes {params['sizes']}, {params['seeds']} seed(s)"
    audit.record(
        session, user, "capacity_start",
        f"run {run.id}: {params['scenario_name']}, {what}, "
        f"{params['time_limit_s']:g} s per day", ip,
    )  # fmt: skip
    return run


def request_stop(session: Session, run: CapacityRun, user: User | None, ip: str = "") -> None:
    """Ask the worker to stop; the days solved so far are kept and summarised."""
    if run.state not in ACTIVE:
        raise CapacityError(f"capacity run {run.id} has already finished ({run.state})")
    run.stop_requested = True
    audit.record(session, user, "capacity_stop", f"run {run.id}", ip)


def recent_runs(session: Session, limit: int = 50) -> list[CapacityRun]:
    return list(session.scalars(select(CapacityRun).order_by(CapacityRun.id.desc()).limit(limit)))


def _seconds(a: datetime | None, b: datetime) -> float | None:
    return None if a is None else max(0.0, (b - a).total_seconds())


def run_status(run: CapacityRun) -> dict[str, Any]:
    """What the polling page shows, and the results once the run has ended."""
    now = utcnow()
    p = run.params or {}
    elapsed = _seconds(run.started_at, run.finished_at or now)
    total, done = run.progress_total or 0, run.progress_done or 0
    left = None
    if run.state in ACTIVE:
        per_day = float(p.get("time_limit_s", 30)) + 1.0
        left = round((total - done) * per_day / max(1, int(p.get("workers", 1))), 1)
    kind = kind_of(p)
    shown: dict[str, Any] = {
        "scenario_name": p.get("scenario_name"),
        "sample": p.get("scenario") == SAMPLE,
    }
    if kind == "month":
        shown |= {k: p.get(k) for k in ("start", "days", "census", "mean_stay_days", "seed")}
    else:
        shown |= {"sizes": p.get("sizes"), "seeds": p.get("seeds")}
    shown |= {"time_limit_s": p.get("time_limit_s"), "level": p.get("level")}
    return {
        "id": run.id,
        "kind": kind,
        "state": run.state,
        "stop_requested": run.stop_requested,
        "done": done,
        "total": total,
        "percent": round(100 * done / total, 1) if total else 0.0,
        "elapsed_s": None if elapsed is None else round(elapsed, 1),
        "estimate_s_left": left,
        "error": run.error or None,
        "stale": is_stale(run, now),
        "created_at": run.created_at.isoformat(timespec="seconds") + "Z",
        "params": shown,
        "results": run.results,
    }


# --- results: stored as JSON, rebuilt for the charts -----------------------------------------


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


def serialise(result: SweepResult) -> dict[str, Any]:
    """The sweep as JSON for ``CapacityRun.results``: per census the days solved, the spread
    (mean, 10th/90th percentiles lo/hi, min, max) of each measure, utilisation per grade,
    days meeting the service level, checker violations; the largest census carried."""
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
        )
        for c in r.get("census", [])
    ]
    return SweepResult(
        scenario=scenario_from_text(run.params.get("scenario")),
        level=ServiceLevel(**r.get("level", run.params["level"])),
        seeds=tuple(r.get("seeds", range(run.params.get("seeds", 1)))),
        time_limit_s=float(r.get("time_limit_s", run.params.get("time_limit_s", 30))),
        summaries=summaries,
        largest=r.get("largest"),
        refined=list(r.get("refined", [])),
        seconds=float(r.get("seconds", 0.0)),
    )


# --- month runs: stored as JSON, rebuilt for the chart ---------------------------------------

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
    null for a day not solved), the roster, the service level and the summary sentence."""
    t = result.totals
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
    totals = MonthTotals(
        **{
            k: math.nan if stored.get(k) is None else stored[k]
            for k in MonthTotals.__dataclass_fields__
        }
    )
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


def charts_available() -> bool:
    try:
        import scheduler.domain.capacity.plots  # noqa: F401
    except ImportError:
        return False
    return True


def chart_svg(run: CapacityRun, name: str) -> bytes:
    """One of ``CHARTS`` for a finished sweep, or of ``MONTH_CHARTS`` for a finished month,
    drawn by ``scheduler.domain.capacity.plots`` as SVG."""
    from scheduler.domain.capacity import plots  # matplotlib, Agg, no pyplot state

    buf = io.BytesIO()
    if name == "month":
        plots.month_series(month_result_of(run), buf, fmt="svg")
    else:
        draw = {"capacity": plots.capacity_curve, "utilisation": plots.utilisation_by_grade}[name]
        draw(sweep_result_of(run), buf, fmt="svg")
    return buf.getvalue()


def charts_of(run: CapacityRun) -> tuple[str, ...]:
    """The charts a run of this kind has."""
    return MONTH_CHARTS if kind_of(run.params) == "month" else CHARTS


# --- the worker ------------------------------------------------------------------------------


def _sweep(scenario: Scenario, folder: Path, params: Mapping[str, Any], progress, should_stop):
    """A sweep run's work: (results, days solved, what the audit log says)."""
    from scheduler.usecases.capacity.sweep import sweep

    result = sweep(
        scenario, folder, sizes=params["sizes"], seeds=range(int(params["seeds"])),
        time_limit_s=float(params["time_limit_s"]), level=level_of(params),
        workers=int(params.get("workers", 1)), progress=progress, should_stop=should_stop,
    )  # fmt: skip
    results = serialise(result)
    done = sum(c.days for c in result.summaries)
    return results, done, f"largest census carried {result.largest}"


def _month(scenario: Scenario, folder: Path, params: Mapping[str, Any], progress, should_stop):
    """A month run's work: (results, days solved, what the audit log says)."""
    from scheduler.usecases.capacity.month import simulate_month

    result = simulate_month(
        scenario, folder, spec=month_spec_of(params), seed=int(params.get("seed", 0)),
        time_limit_s=float(params["time_limit_s"]), level=level_of(params),
        workers=int(params.get("workers", 1)), progress=progress, should_stop=should_stop,
    )  # fmt: skip
    t = result.totals
    return serialise_month(result), t.days_solved, f"{t.days_ok} day(s) at the service level"


def run_capacity(db_url: str, run_id: int) -> None:
    """Sweep (or simulate the month of) one run end to end (in a worker process or thread);
    never raises."""
    from web.db import Database

    db = Database(db_url)
    try:
        with db.session() as s:
            run = s.get(CapacityRun, run_id)
            if run is None:
                return
            if run.stop_requested:
                run.state, run.finished_at = "stopped", utcnow()
                s.commit()
                return
            run.state = "running"
            run.started_at = run.heartbeat_at = utcnow()
            params = dict(run.params)
            folder = Path(run.results_dir)
            s.commit()

        scenario = scenario_from_text(params["scenario"])
        last = {"progress": 0.0}
        should_stop = runners.StopFlag(db, CapacityRun, run_id, heartbeat_s=10.0)

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last["progress"] < 1.0 and done < total:
                return
            last["progress"] = now
            should_stop.beat()
            with db.session() as s:
                run = s.get(CapacityRun, run_id)
                run.progress_done, run.progress_total = int(done), int(total)
                run.heartbeat_at = utcnow()
                s.commit()

        work = _month if kind_of(params) == "month" else _sweep
        results, done, said = work(scenario, folder, params, progress, should_stop)
        with db.session() as s:
            run = s.get(CapacityRun, run_id)
            run.results = results
            run.progress_done = done
            run.state = "stopped" if (run.stop_requested or should_stop.stopped) else "done"
            run.finished_at = run.heartbeat_at = utcnow()
            user = s.get(User, run.created_by_id) if run.created_by_id else None
            audit.record(
                s, user, "capacity_done",
                f"run {run.id} {run.state}: {run.progress_done}/{run.progress_total} days, "
                f"{said}, {run.results['violations']} violations",
            )  # fmt: skip
            s.commit()
    except Exception as exc:  # the run row is the only place an ops lead sees errors
        log.exception("capacity run %s failed", run_id)
        with db.session() as s:
            run = s.get(CapacityRun, run_id)
            if run is not None:
                run.state = "failed"
                run.error = f"{type(exc).__name__}: {exc}"[:2000]
                run.finished_at = utcnow()
                s.commit()
    finally:
        db.dispose()


def make_capacity_runner(kind: str, db_url: str) -> runners.Runner:
    """``HAH_JOB_RUNNER``'s choice for capacity runs too: "process" (default) or "thread";
    as a process, ``python -m web.capacity_worker RUN_ID``."""
    work = runners.Work(run_capacity, "web.capacity_worker", CapacityRun, "capacity")
    return runners.make(kind, db_url, work)

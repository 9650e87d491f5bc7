"""The parameters of a capacity run, from a form or a JSON body: every problem reported at
once (``ParamsError``), the scenario read as ``hah capacity`` reads a scenario file, the result
a plain dict stored in ``CapacityRun.params``.

A sweep's parameters say which census sizes to simulate, how many seeded days each and the
service level; a month's say how many days, the target census and the mean length of stay.
Either may run on the caseload model (``caseload``: persistent staff, named nurses for the
stay, regimen changes) with ``continuity`` fixed or learned, as ``hah capacity sweep
--caseload`` and ``hah simulate --caseload`` do; a caseload sweep's census point is then
``caseload_days`` days of a caseload month per seed (``domain.capacity.caseload_sweep``).
Stored only when on, so a plain run's parameters are as they always were.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from scheduler.domain.capacity.admissions import MonthSpec, StayModel
from scheduler.domain.capacity.caseload_sweep import (
    CONTINUITY,
    DEFAULT_DAYS,
    MAX_DAYS,
    CaseloadSweep,
)
from scheduler.domain.capacity.scenario import (
    Scenario,
    sample_scenario,
    scenario_toml,
)
from scheduler.domain.capacity.scenario import (
    scenario_from_text as read_scenario,
)
from scheduler.domain.capacity.summary import ServiceLevel
from scheduler.domain.errors import InputError

SAMPLE = "sample"
MAX_SIZES = 20
LIMITS = {"size": (1, 600), "seeds": (1, 10), "time_limit_s": (1, 120)}
DEFAULTS = {"seeds": 3, "time_limit_s": 30.0, "p1_percent": 100.0, "placed_percent": 98.0,
            "days_percent": 95.0}  # fmt: skip
MONTH_LIMITS = {"days": (1, 60), "census": (1, 600), "mean_stay_days": (1, 28),
                "time_limit_s": (1, 120), "p1_percent": (0, 100),
                "placed_percent": (0, 100)}  # fmt: skip
MONTH_DEFAULTS = {"days": 30, "census": 250, "mean_stay_days": 6.0, "time_limit_s": 30.0,
                  "p1_percent": 100.0, "placed_percent": 98.0}  # fmt: skip
#: What a form's checkbox or a JSON body may say for "on" and "off".
YES, NO = ("on", "true", "1", "yes"), ("", "off", "false", "0", "no")


class ParamsError(ValueError):
    """The sweep's parameters are not valid; ``messages`` says every problem at once."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


def sample_toml() -> str:
    """The sample service's scenario as TOML: what the ops page's form starts from."""
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
    return read_scenario(text, "scenario")


def _shown(raw: Any) -> str:
    """A refused value as a message quotes it: at most 40 characters of it."""
    text = repr(raw) if not isinstance(raw, int) or abs(raw) < 10**40 else f"{str(raw)[:40]}…"
    return text if len(text) <= 40 else text[:40] + "…"


def _number(raw: Any, name: str, lo: float, hi: float, problems: list[str], *,
            whole: bool = False) -> float:  # fmt: skip
    """``raw`` as a number within [lo, hi], or NaN with the problem added to ``problems`` (the
    caller raises ``ParamsError`` before any NaN is used)."""
    what = "a whole number" if whole else "a number"
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = float(str(raw).strip()) if not isinstance(raw, int | float) else float(raw)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond any float
        problems.append(f"{name}: {what} from {lo:g} to {hi:g}, not {_shown(raw)}")
        return math.nan
    if not math.isfinite(value) or not lo <= value <= hi or (whole and value != int(value)):
        problems.append(f"{name}: {what} from {lo:g} to {hi:g}, not {_shown(raw)}")
        return math.nan
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


def _caseload_param(data: Mapping[str, Any], problems: list[str], *,
                    days: bool) -> dict[str, Any]:  # fmt: skip
    """The caseload model's stored parameters (empty when off): ``caseload`` (a checkbox or
    a JSON boolean), ``continuity`` (fixed, the default, or learned, which needs the caseload
    model) and, for a sweep (``days``), ``caseload_days`` per census point."""
    raw = data.get("caseload")
    on: bool | None = None
    if raw is None or isinstance(raw, bool):
        on = bool(raw)
    elif isinstance(raw, str) and raw.strip().lower() in YES + NO:
        on = raw.strip().lower() in YES
    else:
        problems.append(f"caseload model: on or off (true or false), not {_shown(raw)}")
    cont = data.get("continuity")
    if cont is None or (isinstance(cont, str) and not cont.strip()):
        cont = "fixed"
    if not isinstance(cont, str) or cont.strip() not in CONTINUITY:
        problems.append(f"continuity: fixed or learned, not {_shown(cont)}")
        cont = "fixed"
    cont = cont.strip()
    if cont == "learned" and on is False:
        problems.append("continuity: learned continuity needs the caseload model "
                        "(persistent staff across days)")  # fmt: skip
    if not on:
        return {}
    out: dict[str, Any] = {"caseload": True, "continuity": cont}
    if days:
        raw_days = data.get("caseload_days")
        if raw_days is None or (isinstance(raw_days, str) and not raw_days.strip()):
            raw_days = DEFAULT_DAYS
        n = _number(raw_days, "days per census point (caseload model)", 1, MAX_DAYS, problems,
                    whole=True)  # fmt: skip
        out["caseload_days"] = int(n) if math.isfinite(n) else DEFAULT_DAYS
    return out


def caseload_of(params: Mapping[str, Any]) -> CaseloadSweep | None:
    """A sweep run's caseload model from its stored parameters; None for one-day draws."""
    if not params.get("caseload"):
        return None
    return CaseloadSweep(int(params.get("caseload_days", DEFAULT_DAYS)),
                         params.get("continuity", "fixed"))  # fmt: skip


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
    (default 100 and 98); ``scenario``: TOML text, or empty / "sample" for the sample service;
    ``caseload`` (on / off) and ``continuity`` (fixed / learned): the caseload model.
    """
    problems: list[str] = []

    def field_(name: str, label: str, whole: bool = False) -> float:
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
    caseload = _caseload_param(data, problems, days=False)
    if problems or scenario is None:
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
        **caseload,
    }


def month_spec_of(params: Mapping[str, Any]) -> MonthSpec:
    """The ``MonthSpec`` of a month run's parameters (on the caseload model if asked)."""
    stay = StayModel(mean_days=float(params["mean_stay_days"]))
    return MonthSpec(days=int(params["days"]), census=int(params["census"]), stay=stay,
                     caseload=bool(params.get("caseload")))  # fmt: skip


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
            size: int | None = None
            if isinstance(x, int) and not isinstance(x, bool):
                size = x
            elif isinstance(x, str) and re.fullmatch(r"\d{1,9}", x.strip()):
                size = int(x)
            if size is not None and lo <= size <= hi:
                sizes.append(size)
            else:
                bad.append(x if isinstance(x, str) and len(x) <= 40 else _shown(x))
        if bad:
            problems.append(f"census sizes: whole numbers of patients from {lo} to {hi}, "
                            f"not {', '.join(bad)}")  # fmt: skip
        elif not sizes:
            problems.append("census sizes: give at least one")
        sizes = sorted(set(sizes))
        if len(sizes) > MAX_SIZES:
            problems.append(f"census sizes: at most {MAX_SIZES} different sizes")

    def field(name: str, label: str, lo: float, hi: float, whole: bool = False) -> float:
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
    caseload = _caseload_param(data, problems, days=True)
    if problems or scenario is None:
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
        **caseload,
    }


def level_of(params: Mapping[str, Any]) -> ServiceLevel:
    """The service level a run is judged by, from its stored parameters."""
    return ServiceLevel(**params["level"])

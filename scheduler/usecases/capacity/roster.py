"""Use case: the smallest roster that carries a census — a search over rosters, each judged
by solving.

A roster is judged the only honest way: solve ``len(seeds)`` simulated days of the census on
it and ask whether the service level holds (``summary.ServiceLevel``). Judging is expensive
(a solve per seed), so the search is short and greedy, in three steps:

1. **Grow** (only if the starting roster fails): scale every cell up by ``grow`` until it
   carries, so the search starts from a feasible roster.
2. **Scale down**: bisect a common factor ``f`` (each cell ``ceil(f × count)``) between the
   last factor that failed and the last that carried, a few evaluations, so the bulk of the
   slack goes at once and every grade and shift keeps its share.
3. **Trim**: take one clinician at a time from the cell that costs most paid hours, keeping
   each removal that still carries, until a full pass removes nobody (or the evaluation
   budget is spent). This is where the mix changes: a surplus of HCAs on lates goes, the
   night RN6s that carry the q6h doses stay.

"Smallest" therefore means a local minimum in paid hours, found by search rather than by
hand; it is not a proof of optimality, and the answer says how many rosters were tried.
Every evaluation is stored (the results file is keyed by the roster's hash), so a search
interrupted and re-run repeats no solve. ``write_search`` writes ``roster_<census>.json``.

With ``caseload`` a roster is judged on a caseload sweep's census point instead
(``caseload_points``): each seed a caseload month of ``caseload.days`` days on that roster's
persistent staff, every day of it counting toward the service level.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from scheduler.domain.capacity.caseload_sweep import CaseloadSweep
from scheduler.domain.capacity.metrics import DayMetrics
from scheduler.domain.capacity.scenario import Roster, Scenario, clean_roster, paid_minutes
from scheduler.domain.capacity.summary import ServiceLevel
from scheduler.usecases.capacity.caseload_points import solve_points
from scheduler.usecases.capacity.store import ResultStore
from scheduler.usecases.capacity.sweep import DayTask, evaluate


@dataclass(frozen=True)
class Trial:
    roster: Roster
    paid_hours: float
    clinicians: int
    days_ok: int
    days: int
    carries: bool
    step: str


@dataclass
class RosterSearch:
    census: int
    level: ServiceLevel
    seeds: tuple[int, ...]
    start: Roster
    best: Roster | None
    trials: list[Trial] = field(default_factory=list)
    caseload: CaseloadSweep | None = None  # the days judged: caseload months' days

    @property
    def best_trial(self) -> Trial | None:
        ok = [t for t in self.trials if t.carries]
        return min(ok, key=lambda t: (t.paid_hours, t.clinicians)) if ok else None


def scale(roster: Roster, f: float) -> Roster:
    return clean_roster({k: {r: math.ceil(n * f - 1e-9) for r, n in roles.items()}
                         for k, roles in roster.items()})  # fmt: skip


def _hours(roster: Roster) -> float:
    return sum(n * paid_minutes(k) / 60 for k, roles in roster.items() for n in roles.values())


def smallest_roster(
    scenario: Scenario,
    census: int,
    out: Path,
    *,
    seeds: tuple[int, ...] = (0, 1, 2),
    time_limit_s: float = 20.0,
    level: ServiceLevel | None = None,
    max_trials: int = 40,
    grow: float = 1.15,
    workers: int | None = None,
    ray_address: str | None = None,
    log: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    caseload: CaseloadSweep | None = None,
) -> RosterSearch:
    level = level or ServiceLevel()
    store = ResultStore(out)
    result = RosterSearch(census, level, tuple(seeds), scenario.roster, None, caseload=caseload)
    tried: dict[str, Trial] = {}

    def judge(roster: Roster, step: str) -> Trial:
        roster = clean_roster(roster)
        sc = scenario.with_roster(roster)
        if sc.key() in tried:
            return tried[sc.key()]
        if caseload is None:
            tasks = [DayTask(sc, census, s, time_limit_s) for s in seeds]
            got: list[DayMetrics] = list(evaluate(tasks, store, workers=workers,
                                                  ray_address=ray_address).values())  # fmt: skip
            asked = len(tasks)
        else:
            got = [d.metrics for d in solve_points(sc, [census], seeds, caseload, time_limit_s,
                                                   store, workers=workers,
                                                   ray_address=ray_address)]  # fmt: skip
            asked = len(seeds) * caseload.days
        ok = sum(level.day_ok(m) for m in got)
        trial = Trial(roster, _hours(roster), sc.clinicians(), ok, len(got),
                      len(got) == asked and ok / asked >= level.share_of_days - 1e-9,
                      step)  # fmt: skip
        tried[sc.key()] = trial
        result.trials.append(trial)
        if log is not None:
            log(
                f"{step:>10}: {trial.clinicians:3d} clinicians, {trial.paid_hours:6.0f} paid h, "
                f"{ok}/{asked} days ok → {'carries' if trial.carries else 'fails'}"
            )
        return trial

    def budget() -> bool:
        return len(result.trials) < max_trials and not (should_stop and should_stop())

    # 1. grow until it carries
    current = clean_roster(scenario.roster)
    first = judge(current, "start")
    while not first.carries and budget():
        current = scale(current, grow)
        first = judge(current, "grow")
    if not first.carries:
        return result
    # 2. bisect a common factor
    lo, hi = 0.3, 1.0  # lo: assumed to fail; hi: carries
    while hi - lo > 0.05 and budget():
        mid = (lo + hi) / 2
        trial = judge(scale(current, mid), f"scale {mid:.2f}")
        if trial.carries:
            hi = mid
        else:
            lo = mid
    current = scale(current, hi) if hi < 1.0 else current
    # 3. trim one clinician at a time, dearest cells first
    improved = True
    while improved and budget():
        improved = False
        cells = sorted(
            ((k, r) for k, roles in current.items() for r in roles),
            key=lambda c: -current[c[0]][c[1]] * paid_minutes(c[0]),
        )
        for kind, role in cells:
            if not budget():
                break
            trial_roster = {k: dict(v) for k, v in current.items()}
            trial_roster[kind][role] -= 1
            trial = judge(trial_roster, f"-1 {kind} {role}")
            if trial.carries:
                current = clean_roster(trial_roster)
                improved = True
    best = result.best_trial
    result.best = best.roster if best else None
    return result


def write_search(search: RosterSearch, out: Path) -> Path:
    """``roster_<census>.json``: the service level, the start, the best roster and every
    roster tried."""
    best = search.best_trial
    data = {
        "census": search.census, "service_level": asdict(search.level),
        "seeds": list(search.seeds), "start": search.start,
        "caseload": asdict(search.caseload) if search.caseload else None,
        "best": best.roster if best else None,
        "best_paid_hours": best.paid_hours if best else None,
        "trials": [asdict(t) for t in search.trials],
    }  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"roster_{search.census}.json"
    path.write_text(json.dumps(data, indent=2), "utf-8")
    return path

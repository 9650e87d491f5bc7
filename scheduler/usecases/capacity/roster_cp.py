"""Use case: the smallest roster for a census, by a CP-SAT covering model checked by solving.

The old answer (``roster.py``, ``--method search``) judged every roster it tried by solving
days, so it could afford ~24 rosters in 8 minutes and stopped at a local minimum. Choosing
how many clinicians of each grade to put on each shift kind is a small integer covering
problem, which is what OR-Tools' CP-SAT is strong at; routing the day is what the solver is
strong at. So each does its part:

1. **Demand** (``domain.capacity.demand``): for each of ``seeds`` simulated days of the
   census, the work by who may do it and the hours it may be done in.
2. **Model** (``cheapest_roster``): integer clinicians per (shift kind, grade) cell; for each
   day, each work group's minutes (on site + travel allowance) shared out over the shift
   kinds that could make it and the hours each could (out from base, in the window, back by
   the shift's end), and in every hour on every shift kind, for every set of grades, the
   work only they may do at most ``utilisation`` × the minutes they can give (less the
   break). Minimise paid hours (``paid_minutes`` per shift kind). Every day's demand is
   covered, not their mean: days are added as they bind (solve for the heaviest day, test
   the answer on the others, add one it misses). Paid hours depend on the shift kinds
   only, so then each kind's headcount is split into grades as near as the days allow to
   the service's own mix on that kind (the scenario's roster): left to itself CP-SAT
   answers with all advanced practitioners (each can make any visit), and the cheapest
   grades that just cover the skills fail real routes (the specialists end up crossing the
   county). Seconds per round.
3. **Verify** (``smallest_roster_cp``): solve the very same days on the model's roster with
   the real solver, every rota checked by the independent checker (``plan_day``), and judge
   them with the ``ServiceLevel``. The solved rotas also calibrate the model: travel minutes
   per clinician-visit by hour (the drive back to base included) replace the prior
   allowance. If days fail only on a few time-critical visits, those visits become cuts
   (their work added to that day's demand in their hours, for the grades that may make
   them); if they fail broadly, the utilisation cap comes down a step. If the days carry,
   the cap goes halfway toward the last failure to look for a smaller roster. Every
   candidate is kept with its model answer and its days.

The answer is the smallest candidate that carried. The model is a relaxation (a visit may
be split across hours, geography is only in the travel allowance), which is why nothing is
believed until real solves of the days agree.

**On the caseload model** (``caseload=CaseloadSweep(days, continuity)``, ``hah capacity
roster --caseload``) the days are a caseload sweep's census point (``caseload_points``):
``days`` days of each seed's caseload month. Their visits do not depend on the roster
(``caseload_demand``), so the model's demand is the same whatever it proposes; each
candidate is verified on those days with its own persistent staff (``ProfiledMonthDayTask``,
learned days in order), and a failed day is named "seed/day".
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ortools.sat.python import cp_model

from scheduler.domain.capacity.admissions import month_census
from scheduler.domain.capacity.caseload_sweep import CaseloadSweep
from scheduler.domain.capacity.days import census_visits
from scheduler.domain.capacity.demand import (
    HOURS,
    PRIOR_TRAVEL_MIN,
    Allowances,
    Cell,
    DayDemand,
    ShiftHours,
    WorkGroup,
    day_demand,
    travel_by_hour,
)
from scheduler.domain.capacity.metrics import DayMetrics, measure
from scheduler.domain.capacity.scenario import (
    MAX_ON_SHIFT,
    Roster,
    Scenario,
    clean_roster,
    paid_minutes,
)
from scheduler.domain.capacity.summary import ServiceLevel
from scheduler.domain.synth import ROLE_SKILLS, SHIFT_TYPES
from scheduler.usecases.capacity.caseload_points import point_tasks, solve_points
from scheduler.usecases.capacity.profile import day_profile
from scheduler.usecases.capacity.roster import Trial, scale
from scheduler.usecases.capacity.store import ResultStore
from scheduler.usecases.capacity.sweep import DayTask, evaluate, plan_task

# --- the model ---------------------------------------------------------------------------

#: In the grade stage an hour of a grade holding s skills costs GRADE_PREMIUM + s: an AP
#: hour (6 skills) is 56/52 of an HCA's (2), so grades break ties between rosters of equal
#: paid hours and can trade at most a few hours in a hundred against them.
GRADE_PREMIUM = 50


@dataclass(frozen=True)
class CoverAnswer:
    """The model's roster: the fewest paid hours that cover every day's demand under the
    allowances. ``optimal`` is CP-SAT's proof; otherwise the best it found in its time."""

    roster: Roster
    paid_hours: float
    optimal: bool
    seconds: float
    bound_hours: float  # CP-SAT's lower bound: no covering roster has fewer paid hours
    mixed: bool = False  # split into grades after the service's mix (else as CP-SAT found)


def _hours_of(roster: Roster) -> float:
    return sum(n * paid_minutes(k) / 60 for k, roles in roster.items() for n in roles.values())


def _cells(cells: Sequence[Cell] | None) -> list[Cell]:
    return list(cells) if cells is not None else [(k, r) for k in SHIFT_TYPES for r in ROLE_SKILLS]


class _Flows:
    """The covering model for some days: cell counts ``n`` (variables, or fixed to test a
    roster), and per day each work group's minutes shared out over the shift kinds that
    could make it and the hours each could make it in (``w[d, g, k, h]``;
    ``WorkGroup.hours_on``: out from base, in its window, back by the shift's end). In each
    hour, on each shift kind, for every set S of grades that is a union of the groups'
    grade sets, the work only S may do is at most the cap × the minutes S's clinicians on
    that kind give (Hall's theorem: exactly "it can be shared out among the grades allowed
    to do it", with no variable per grade)."""

    def __init__(
        self,
        days: Sequence[DayDemand],
        allowances: Allowances,
        cells: Sequence[Cell],
        sh: ShiftHours,
        max_per_cell: int,
        fixed: Roster | None = None,
    ) -> None:
        self.m = m = cp_model.CpModel()
        grades = sorted({r for _, r in cells})

        def bounds(c: Cell) -> tuple[int, int]:
            if fixed is None:
                return 0, max_per_cell
            v = fixed.get(c[0], {}).get(c[1], 0)
            return v, v

        self.n = n = {c: m.new_int_var(*bounds(c), f"n[{c[0]},{c[1]}]") for c in cells}
        self.w: dict[tuple[int, int, str, int], cp_model.IntVar] = {}
        self.groups: list[list[WorkGroup]] = [list(d.groups) for d in days]
        self.feasible = True
        u = math.floor(10_000 * allowances.utilisation + 1e-9)  # rounded down: more staff
        families = {g.grades & set(grades) for day in days for g in day.groups}
        unions: set[frozenset[str]] = set()
        for f in families:
            unions |= {f | x for x in unions} | {f}
        kinds = sorted({k for k, _ in cells})
        for d, day in enumerate(days):
            load: dict[tuple[str, int], list[tuple[frozenset[str], cp_model.IntVar]]] = {}
            for g, group in enumerate(day.groups):
                work = group.work(allowances)
                allowed = group.grades & set(grades)
                reach = allowances.travel_over(group.hours)
                slots = [(k, h) for k in kinds for h in group.hours_on(*sh.spans[k], reach)
                         if sh.at(k, h) > 0 and any((k, r) in n for r in allowed)]  # fmt: skip
                if not slots:
                    self.feasible = self.feasible and work <= 0  # nobody could ever make it
                    continue
                parts = []
                for k, h in slots:
                    x = m.new_int_var(0, work, f"w[{d},{g},{k},{h}]")
                    parts.append(x)
                    self.w[(d, g, k, h)] = x
                    load.setdefault((k, h), []).append((allowed, x))
                m.add(sum(parts) >= work)  # ≥, not =: a covering roster is easier to find
            for (k, h), xs in load.items():
                for s in unions:
                    inside = [x for f, x in xs if f <= s]
                    staff = [n[(k, r)] for r in s if (k, r) in n]
                    if inside:
                        m.add(10_000 * sum(inside) <= u * sh.at(k, h) * sum(staff))

    def roster(self, solver: cp_model.CpSolver) -> Roster:
        out: Roster = {}
        for (k, r), var in self.n.items():
            if (count := int(solver.value(var))) > 0:
                out.setdefault(k, {})[r] = count
        return clean_roster(out)


def _solve(model: _Flows, objective, time_limit_s: float, gap: float,
           hint: Roster | None = None) -> cp_model.CpSolver | None:  # fmt: skip
    if not model.feasible:
        return None
    model.m.minimize(objective)
    if hint is not None:
        model.m.clear_hints()
        for (k, r), var in model.n.items():
            model.m.add_hint(var, hint.get(k, {}).get(r, 0))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.relative_gap_limit = gap
    return solver if solver.solve(model.m) in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def covers(roster: Roster, days: Sequence[DayDemand], allowances: Allowances, *,
           cells: Sequence[Cell] | None = None, shift_hours: ShiftHours | None = None,
           time_limit_s: float = 5.0) -> bool:  # fmt: skip
    """Can ``roster`` carry every day's work under the allowances (the model's constraints,
    the counts fixed)? A day not settled in the time counts as not."""
    sh = shift_hours or ShiftHours.of()
    cs = _cells(cells)
    cs += [(k, r) for k, roles in roster.items() for r in roles if (k, r) not in cs]
    for day in days:
        model = _Flows([day], allowances, cs, sh, MAX_ON_SHIFT, fixed=roster)
        if _solve(model, 0, time_limit_s, 0.0) is None:
            return False
    return True


def cheapest_roster(
    days: Sequence[DayDemand],
    allowances: Allowances,
    *,
    cells: Sequence[Cell] | None = None,
    max_per_cell: int = MAX_ON_SHIFT,
    shift_hours: ShiftHours | None = None,
    time_limit_s: float = 10.0,
    gap: float = 0.005,
    mix: Roster | None = None,
) -> CoverAnswer | None:
    """The roster of fewest paid hours that carries every day's work under the allowances,
    or None when no roster of the allowed ``cells`` (default: every shift kind × grade, at
    most ``max_per_cell`` each) can, or CP-SAT found none in the time. A roster is returned
    only if it carries every day (each is tested, ``covers``).

    1. **Paid hours** (``_Flows``, minimising paid minutes in units of their common
       divisor). Days are added as they bind: solved for the heaviest day, the answer
       tested on the others, a day it does not carry added, and again. CP-SAT solves a
       one- or two-day model in about a second but wanders on five at once (the shares of
       work per hour are many interchangeable variables); a solution within ``gap`` (0.5 %)
       of its bound is taken.
    2. **Grades** (``mix``; ``_split``). Paid hours alone leave many rosters tied, and
       CP-SAT's pick among them is a roster of advanced practitioners (each can make any
       visit), which no service could hire; the cheapest grades that just cover the skills
       fail real routes instead (specialists crossing the county, APs' reviews left out).
       Paid hours depend on the shift kinds only, so each kind's headcount is kept and split
       into grades as near as the days allow to ``mix``'s shares on that kind (the service's
       own roster), tested on every day. If no split is found in the time, the first
       stage's roster stands (``mixed`` False)."""
    sh = shift_hours or ShiftHours.of()
    cells = _cells(cells)
    t0 = time.monotonic()
    if not days:
        return CoverAnswer({}, 0.0, True, 0.0, 0.0)
    unit = math.gcd(*(round(paid_minutes(k)) for k, _ in cells))
    units = {c: round(paid_minutes(c[0])) // unit for c in cells}
    work = [sum(g.work(allowances) for g in d.groups) for d in days]
    active = [max(range(len(days)), key=lambda i: work[i])]
    hint: Roster | None = None
    per = time_limit_s / 4
    while True:
        model = _Flows([days[i] for i in active], allowances, cells, sh, max_per_cell)
        paid = sum(v * units[c] for c, v in model.n.items())
        solver = _solve(model, paid, per, gap, hint)
        if solver is None and hint is not None:
            # From the last answer (short of the added day) CP-SAT may find nothing in the
            # time; from a roster a third larger it finds a covering one at once.
            solver = _solve(model, paid, 2 * per, gap, scale(hint, 4 / 3))
        if solver is None:
            return None
        roster = model.roster(solver)
        optimal = solver.best_objective_bound >= solver.objective_value * (1 - gap) - 1e-9
        bound = solver.best_objective_bound * unit / 60  # on fewer days: a bound on all
        missing = _short(roster, days, allowances, cells, sh, skip=active)
        if missing:
            if time.monotonic() - t0 > 3 * time_limit_s:
                return None
            active.append(max(missing, key=lambda i: work[i]))
            hint = roster
            continue
        # 2. Grades. Paid hours depend on the shift kinds only, so with each kind's headcount
        # fixed the hours stay; the split into grades is as near the service's own mix on
        # that kind as the binding days allow, then any other day it does not carry.
        grade_days, mixed = list(active), False
        while mix is not None and time.monotonic() - t0 < 2 * time_limit_s:
            split = _split(days, grade_days, allowances, cells, sh, roster, mix, per)
            if split is None:
                break
            missing = _short(split, days, allowances, cells, sh, skip=grade_days)
            if not missing:
                roster, mixed = split, True
                break
            grade_days.append(max(missing, key=lambda i: work[i]))
        return CoverAnswer(roster, _hours_of(roster), optimal, time.monotonic() - t0, bound,
                           mixed)  # fmt: skip


def _short(roster: Roster, days: Sequence[DayDemand], allowances: Allowances,
           cells: list[Cell], sh: ShiftHours, skip: Sequence[int]) -> list[int]:  # fmt: skip
    """The days ``roster`` does not carry, of those not in ``skip`` (the days it was solved
    for, which it carries by construction)."""
    return [i for i, d in enumerate(days) if i not in skip
            and not covers(roster, [d], allowances, cells=cells, shift_hours=sh)]  # fmt: skip


def _split(days: Sequence[DayDemand], active: list[int], allowances: Allowances,
           cells: list[Cell], sh: ShiftHours, roster: Roster, mix: Roster,
           time_limit_s: float) -> Roster | None:  # fmt: skip
    """Each shift kind's headcount as in ``roster``, split into grades as near as the
    ``active`` days allow to ``mix``'s shares of that kind (the service's own roster; a kind
    it lacks takes its overall shares): the fewest clinicians away from those shares, in
    hundredths. None if CP-SAT found no split."""
    model = _Flows([days[i] for i in active], allowances, cells, sh, MAX_ON_SHIFT)
    overall: dict[str, int] = {}
    for roles in mix.values():
        for r, n in roles.items():
            overall[r] = overall.get(r, 0) + n
    off = []
    for k in sorted({k for k, _ in cells}):
        count = sum(roster.get(k, {}).values())
        on_k = {c: v for c, v in model.n.items() if c[0] == k}
        model.m.add(sum(on_k.values()) == count)
        shares = mix.get(k) or overall
        total = sum(shares.values()) or 1
        for (_, r), v in on_k.items():
            want = round(100 * count * shares.get(r, 0) / total)
            d = model.m.new_int_var(0, 100 * MAX_ON_SHIFT, f"off[{k},{r}]")
            model.m.add(d >= 100 * v - want)
            model.m.add(d >= want - 100 * v)
            off.append(d)
    solver = _solve(model, sum(off), time_limit_s, 0.0)
    return model.roster(solver) if solver is not None else None


# --- a verification day: metrics plus what calibrates and tightens the model -------------


@dataclass(frozen=True, eq=False)
class ProfiledDayTask(DayTask):
    """A day solved for the roster model: stored apart from a sweep's days (its results
    carry the travel and unplaced-visit profile as well as the metrics)."""

    def key(self) -> str:
        return "profiled|" + super().key()


def solve_profiled_day(task: DayTask) -> dict:
    """Solve and measure the day (as ``sweep.solve_day``) and add its profile
    (``profile.day_profile``): travel by hour and the visits left unplaced."""
    problem, plan = plan_task(task)
    out = measure(problem, plan.rota, plan.report, plan.result.runtime_s).as_dict()
    out["profile"] = day_profile(problem, plan, task.scenario.day)
    return out


def _travel_sample(profile: Mapping) -> dict[int, tuple[float, int]]:
    return {int(h): (float(m), int(c)) for h, (m, c) in profile["travel_by_hour"].items()}


def _cuts(profile: Mapping) -> dict[str, WorkGroup]:
    """A failed day's unplaced visits as extra work, by visit (so a visit failing again adds
    nothing more: the utilisation step is what tightens further)."""
    return {
        u["visit_id"]: WorkGroup(frozenset(u["grades"]), u["start_lo"], u["start_hi"],
                                 u["duration"], u["visit_min"], u["staff"],
                                 int(u["priority"] == 1))
        for u in profile["unplaced"]
        if u["grades"]
    }  # fmt: skip


# --- the loop ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One round: the allowances the model was given, its answer, and the real days."""

    round: int
    utilisation: float
    travel_min: float  # the mean allowance per clinician-visit over the day's hours
    cuts: int  # unplaced visits added as extra work so far
    model_paid_hours: float
    model_optimal: bool
    model_s: float
    model_bound_hours: float
    model_mixed: bool  # split into grades after the service's mix
    trial: Trial
    #: The days that missed the service level: their seeds, or on the caseload model
    #: "seed/day" (the caseload month's seed and day).
    failed_days: tuple[int | str, ...]
    unplaced: int  # visits left unplaced over the days
    p1_unplaced: int


@dataclass
class CpRosterSearch:
    """What ``smallest_roster_cp`` did: every candidate, the best one that carried."""

    census: int
    level: ServiceLevel
    seeds: tuple[int, ...]
    start: Roster
    time_limit_s: float
    candidates: list[Candidate] = field(default_factory=list)
    seconds: float = 0.0
    stopped: str = ""
    caseload: CaseloadSweep | None = None  # the days verified: caseload months' days

    @property
    def trials(self) -> list[Trial]:
        return [c.trial for c in self.candidates]

    @property
    def best_trial(self) -> Trial | None:
        ok = [t for t in self.trials if t.carries]
        return min(ok, key=lambda t: (t.paid_hours, t.clinicians)) if ok else None

    @property
    def best(self) -> Roster | None:
        best = self.best_trial
        return best.roster if best else None


def census_demand(scenario: Scenario, census: int, seeds: Sequence[int]) -> list[DayDemand]:
    """The work of each simulated day (the days ``DayTask(…, census, seed)`` solves)."""
    return [day_demand(census_visits(scenario, census, s), scenario.day, f"seed {s}")
            for s in seeds]  # fmt: skip


def caseload_demand(scenario: Scenario, census: int, seeds: Sequence[int],
                    model: CaseloadSweep) -> list[DayDemand]:  # fmt: skip
    """The work of each day of a caseload census point (``caseload_points.point_tasks``'s
    days), seed by seed and day by day: the month's visits do not depend on the roster
    (admissions, stays and care plans come before the staff), so the days the model sees
    are the days verified on any candidate."""
    out = []
    for s in seeds:
        month = month_census(scenario, model.spec(census), s)
        out += [day_demand(month.visits(d), month.date_of(d), f"seed {s} day {d}")
                for d in range(1, model.days + 1)]  # fmt: skip
    return out


def _labels(seeds: Sequence[int], model: CaseloadSweep | None) -> list[int | str]:
    """Each verification day's name: its seed, or "seed/day" on the caseload model."""
    if model is None:
        return list(seeds)
    return [f"{s}/{d}" for s in seeds for d in range(1, model.days + 1)]


def _verify(sc: Scenario, census: int, seeds: Sequence[int], model: CaseloadSweep | None,
            time_limit_s: float, store: ResultStore, **run) -> list[tuple[DayMetrics | None,
                                                                     dict | None]]:  # fmt: skip
    """Solve (or read back) the verification days of roster scenario ``sc``, in the order of
    ``_labels``: each day's metrics and stored result with its profile, (None, None) for a
    day not solved (stopped)."""
    if model is None:
        tasks = [ProfiledDayTask(sc, census, s, time_limit_s) for s in seeds]
        got = evaluate(tasks, store, solve=solve_profiled_day, **run)
        return [(got[t], store.raw(t)) if t in got else (None, None) for t in tasks]
    days = {d.task: d for d in solve_points(sc, [census], seeds, model, time_limit_s, store,
                                            profiled=True, **run)}  # fmt: skip
    month_days = [t for s in seeds for t in point_tasks(sc, census, s, model, time_limit_s,
                                                        profiled=True)]  # fmt: skip
    return [(days[t].metrics, store.raw(t)) if t in days else (None, None) for t in month_days]


def smallest_roster_cp(
    scenario: Scenario,
    census: int,
    out: Path,
    *,
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    time_limit_s: float = 12.0,
    level: ServiceLevel | None = None,
    utilisation: float = 0.85,
    step: float = 0.03,
    max_rounds: int = 6,
    budget_s: float | None = None,
    model_time_limit_s: float = 10.0,
    keep_mix: bool = True,
    prior_travel_min: float = PRIOR_TRAVEL_MIN,
    cells: Sequence[Cell] | None = None,
    workers: int | None = None,
    ray_address: str | None = None,
    log: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    caseload: CaseloadSweep | None = None,
) -> CpRosterSearch:
    """Model, verify, tighten or loosen, repeat (see the module's docstring).

    With ``caseload`` the days are those of a caseload sweep's census point (every seed's
    caseload month, ``caseload.days`` days of it, on the candidate's persistent staff), each
    one a day of the model's demand and of the verification.

    Stops after ``max_rounds`` candidates; when the utilisation cap that carried and the one
    that failed are within 0.01; when the model finds no roster; or (``budget_s``) when
    another round, judged by the last one's wall time, would not fit in the budget. Every
    verified day is stored in ``out`` (``results.jsonl``), so a re-run repeats no solve."""
    t0 = time.monotonic()
    level = level or ServiceLevel()
    store = ResultStore(out)
    result = CpRosterSearch(census, level, tuple(seeds), scenario.roster, time_limit_s,
                            caseload=caseload)  # fmt: skip
    demand = (census_demand(scenario, census, seeds) if caseload is None
              else caseload_demand(scenario, census, seeds, caseload))  # fmt: skip
    labels = _labels(seeds, caseload)
    cuts: dict[int, dict[str, WorkGroup]] = {i: {} for i in range(len(demand))}
    samples: dict[tuple[str, int], dict[int, tuple[float, int]]] = {}
    travel: dict[int, float] = {}
    prior = prior_travel_min
    u = utilisation
    u_pass: float | None = None  # the highest cap whose roster carried
    u_fail: float | None = None  # the lowest cap whose roster failed
    last_round_s = 0.0
    seen: dict[str, Candidate] = {}

    def say(text: str) -> None:
        if log is not None:
            log(text)

    for rnd in range(1, max_rounds + 1):
        if should_stop is not None and should_stop():
            result.stopped = "stopped"
            break
        elapsed = time.monotonic() - t0
        if budget_s is not None and rnd > 1 and elapsed + last_round_s > budget_s:
            result.stopped = f"budget: another round would pass {budget_s:g} s"
            break
        r0 = time.monotonic()
        allow = Allowances(u, prior, dict(travel))
        days = [d.with_extra(cuts[i].values()) for i, d in enumerate(demand)]
        answer = None
        answer = cheapest_roster(days, allow, cells=cells, time_limit_s=model_time_limit_s,
                                 mix=scenario.roster if keep_mix else None)  # fmt: skip
        if answer is None:
            # No roster found in the model's time (or none exists): a failure at this cap.
            say(f"round {rnd}: the model found no roster at utilisation {u:.2f}")
            u_fail = u if u_fail is None else min(u_fail, u)
            if u_pass is None:
                result.stopped = "the model found no roster that covers the demand"
                break
            u = (u + u_pass) / 2
            if u_fail - u_pass <= 0.01 + 1e-9:
                result.stopped = f"converged: utilisation {u_pass:.2f} carries"
                break
            continue
        sc = scenario.with_roster(answer.roster)
        verified = _verify(sc, census, seeds, caseload, time_limit_s, store, workers=workers,
                           ray_address=ray_address, should_stop=should_stop)  # fmt: skip
        got = {i: m for i, (m, _) in enumerate(verified) if m is not None}
        profiles = {i: raw for i, (m, raw) in enumerate(verified) if m is not None}
        bad = [i for i, m in got.items() if not level.day_ok(m)]
        failed = tuple(labels[i] for i in bad)
        ok = len(got) - len(bad)
        carries = len(got) == len(demand) and ok / len(demand) >= level.share_of_days - 1e-9
        for i, p in profiles.items():
            if p is not None and "profile" in p:
                samples[(sc.key(), i)] = _travel_sample(p["profile"])
        unplaced = sum(m.visits - m.placed for m in got.values())
        p1_unplaced = sum(m.p1_total - m.p1_placed for m in got.values())
        trial = Trial(answer.roster, answer.paid_hours, sc.clinicians(), ok, len(got), carries,
                      f"cp-sat {rnd} (u {u:.2f})")  # fmt: skip
        mean_travel = sum(allow.travel_at(h) for h in HOURS) / len(HOURS)
        cand = Candidate(rnd, u, round(mean_travel, 1), sum(len(c) for c in cuts.values()),
                         answer.paid_hours, answer.optimal, round(answer.seconds, 2),
                         round(answer.bound_hours, 1), answer.mixed, trial, failed, unplaced,
                         p1_unplaced)  # fmt: skip
        result.candidates.append(cand)
        seen.setdefault(sc.key(), cand)
        say(f"round {rnd}: utilisation {u:.2f}, travel {mean_travel:.1f} min/visit, "
            f"{cand.cuts} cuts → model {trial.clinicians} clinicians, {answer.paid_hours:.0f} "
            f"paid h ({'optimal' if answer.optimal else 'feasible'}, {answer.seconds:.1f} s); "
            f"days {ok}/{len(demand)} ok, {unplaced} unplaced ({p1_unplaced} P1) → "
            f"{'carries' if carries else 'fails'}")  # fmt: skip
        # Calibrate: travel per clinician-visit by hour from every rota solved so far.
        if samples:
            travel = travel_by_hour(samples.values(), prior=prior)
            prior = sum(travel.values()) / len(travel)
        last_round_s = time.monotonic() - r0
        if len(got) < len(demand):
            result.stopped = "stopped"
            break
        if carries:
            u_pass = u if u_pass is None else max(u_pass, u)
            u = (u + u_fail) / 2 if u_fail is not None else min(1.0, u + step)
        else:
            # Tighten, both ways: the cap comes down (halfway to the last that carried, else
            # a step), and if the days failed only on a few time-critical visits (all else
            # placed), those visits become cuts (their work added to the day's demand, in
            # their hours, for the grades that may make them). Cutting the hundreds of
            # visits a broad failure leaves would only echo the cap. A round is ~40 s of
            # real solves, so the loop cannot afford to tighten by cuts alone, a visit at a
            # time (one solve's luck moves a visit or two from day to day).
            local = all(got[i].placed_rate >= level.placed - 1e-9 for i in bad)
            if local:
                for i in bad:
                    p = profiles.get(i)
                    if p is not None and "profile" in p:
                        cuts[i].update(_cuts(p["profile"]))
            u_fail = u if u_fail is None else min(u_fail, u)
            u = (u + u_pass) / 2 if u_pass is not None else max(0.05, u - step)
        if u_pass is not None and u_fail is not None and u_fail - u_pass <= 0.01 + 1e-9:
            result.stopped = f"converged: utilisation {u_pass:.2f} carries, {u_fail:.2f} fails"
            break
    else:
        result.stopped = f"{max_rounds} rounds"
    result.seconds = time.monotonic() - t0
    return result


def write_cp_search(search: CpRosterSearch, out: Path) -> Path:
    """``roster_<census>.json``: as ``roster.write_search`` writes, plus every candidate's
    model answer (the allowances it was given, its paid hours, how long it took)."""
    best = search.best_trial
    data = {
        "method": "cp-sat", "census": search.census, "service_level": asdict(search.level),
        "seeds": list(search.seeds), "time_limit_s": search.time_limit_s,
        "caseload": asdict(search.caseload) if search.caseload else None,
        "start": search.start, "best": best.roster if best else None,
        "best_paid_hours": best.paid_hours if best else None,
        "seconds": round(search.seconds, 1), "stopped": search.stopped,
        "candidates": [asdict(c) for c in search.candidates],
    }  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"roster_{search.census}.json"
    path.write_text(json.dumps(data, indent=2, default=sorted), "utf-8")
    return path

"""What a solved day says about capacity, in the terms ops leads use.

- ``p1_on_time``: priority-1 (time-critical: IV doses, fluids) visits placed inside their
  windows, over all priority-1 visits. The solver only places a visit inside its window and
  the checker verifies it, so placed means on time.
- ``placed``: all visits placed over all visits.
- ``travel_share``: driving minutes over the paid minutes of everyone rostered (paid = shift
  less its unpaid break): what share of the wage bill is spent in the car.
- ``utilisation`` by grade: ``scheduler.domain.utilisation``'s one definition, (visit +
  driving minutes) over paid minutes of every rostered clinician of that grade, used or not.
- ``overtime_h``: an estimate of the extra clinician-hours the unplaced visits would need:
  each one's duration plus the day's mean drive per placed visit, times the staff it needs.
- ``violations``: what the independent checker found (always 0 unless the solver is wrong;
  every simulated day is checked, as in the tests).

``measure`` reads the checker's report of the rota (``plan_day`` checks every rota it
makes), so a day is checked once and its figures are the checker's own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from scheduler.domain.check import CheckReport
from scheduler.domain.model import Problem, Rota
from scheduler.domain.utilisation import paid_minutes, utilisation


@dataclass(frozen=True)
class DayMetrics:
    visits: int
    placed: int
    p1_total: int
    p1_placed: int
    travel_min: int
    visit_min: int
    paid_min: float
    overtime_h: float
    violations: int
    solve_s: float
    utilisation: dict[str, float] = field(default_factory=dict)

    @property
    def placed_rate(self) -> float:
        return self.placed / self.visits if self.visits else 1.0

    @property
    def p1_on_time(self) -> float:
        return self.p1_placed / self.p1_total if self.p1_total else 1.0

    @property
    def travel_share(self) -> float:
        return self.travel_min / self.paid_min if self.paid_min else 0.0

    @property
    def safe(self) -> bool:
        """Every time-critical dose on time: the service level the capacity answers use."""
        return self.p1_placed == self.p1_total

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(placed_rate=self.placed_rate, p1_on_time=self.p1_on_time,
                 travel_share=self.travel_share, safe=self.safe)  # fmt: skip
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DayMetrics:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in names})


def measure(problem: Problem, rota: Rota, report: CheckReport, solve_s: float) -> DayMetrics:
    """The day's metrics from its rota and the checker's ``report`` of that rota."""
    k = report.kpis
    visit_of = {v.visit_id: v for v in problem.visits}
    paid: dict[str, float] = {}
    visiting: dict[str, float] = {}
    driving: dict[str, float] = {}
    for sh in problem.shifts:
        paid[sh.role] = paid.get(sh.role, 0.0) + paid_minutes(sh)
        visiting.setdefault(sh.role, 0.0)
        driving.setdefault(sh.role, 0.0)
    role_of = {sh.clinician_id: sh.role for sh in problem.shifts}
    for r in rota.routes:
        if not r.visit_ids:
            continue
        minutes = sum(visit_of[v].duration_min for v in r.visit_ids)
        drive = sum(s.travel_min for s in r.stops)
        k_ = problem.shift_index[r.clinician_id]
        last = problem.visit_loc[problem.visit_index[r.visit_ids[-1]]]
        drive += problem.travel_between(last, problem.shift_end_loc[k_])
        visiting[role_of[r.clinician_id]] += minutes
        driving[role_of[r.clinician_id]] += drive
    placed = int(k["visits_assigned"])
    per_visit = k["travel_min_total"] / placed if placed else 0.0
    placed_ids = {v for r in rota.routes for v in r.visit_ids}
    overtime = sum(
        (v.duration_min + per_visit) * v.staff
        for v in problem.visits
        if v.visit_id not in placed_ids
    )
    return DayMetrics(
        visits=int(k["visits_total"]),
        placed=placed,
        p1_total=int(k["priority1_total"]),
        p1_placed=int(k["priority1_assigned"]),
        travel_min=int(k["travel_min_total"]),
        visit_min=int(k["visit_min_total"]),
        paid_min=sum(paid.values()),
        overtime_h=round(overtime / 60, 2),
        violations=len(report.violations),
        solve_s=round(solve_s, 2),
        utilisation={
            r: round(u, 4)
            for r in sorted(paid)
            if (u := utilisation(visiting[r], driving[r], paid[r])) is not None
        },
    )

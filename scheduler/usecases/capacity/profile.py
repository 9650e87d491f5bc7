"""What a solved day tells the roster model beyond its metrics: its travel and what it left.

The CP-SAT roster search (``roster_cp``) calibrates its travel allowance from the solver's
own rotas and turns visits a candidate roster could not place into cuts; both come from a
solved day's *profile*: travel minutes and clinician-visits by the hour each visit starts
(a route's drive back to base counted with its last visit), and the visits left unplaced
with who may make them and when. One function for a plain census day and a caseload
month's day, so both are measured alike; hours count from the planning day's midnight, as
``domain.capacity.demand`` counts them.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from scheduler.domain.capacity.demand import grades_for, visit_starts
from scheduler.domain.capacity.scenario import shift_kind
from scheduler.domain.localtime import at_local
from scheduler.domain.model import Problem

if TYPE_CHECKING:
    from scheduler.usecases.plan_day import DayPlan


def day_profile(problem: Problem, plan: DayPlan, day: date) -> dict[str, Any]:
    """The profile of planning day ``day``'s solved ``plan`` (module docstring)."""
    origin = at_local(day)
    travel: dict[int, list[float]] = {}
    for route in plan.rota.routes:
        stops = [s for s in route.stops if s.visit_id is not None]
        if not stops:
            continue
        for s in stops:
            h = int((s.start - origin).total_seconds() // 3600)
            row = travel.setdefault(h, [0.0, 0])
            row[0] += s.travel_min
            row[1] += 1
        k = problem.shift_index[route.clinician_id]
        last_id = stops[-1].visit_id
        assert last_id is not None  # visit stops only
        last = problem.visit_loc[problem.visit_index[last_id]]
        back = problem.travel_between(last, problem.shift_end_loc[k])
        travel[int((stops[-1].start - origin).total_seconds() // 3600)][0] += back
    placed = plan.rota.assigned_visit_ids
    unplaced = []
    for v in problem.visits:
        if v.visit_id in placed:
            continue
        lo, hi = visit_starts(v, day)
        unplaced.append({"visit_id": v.visit_id, "grades": sorted(grades_for(v.skills)),
                         "start_lo": lo, "start_hi": hi, "duration": v.duration_min,
                         "visit_min": v.duration_min * v.staff, "staff": v.staff,
                         "priority": v.priority})  # fmt: skip
    return {
        "travel_by_hour": {str(h): row for h, row in sorted(travel.items())},
        "unplaced": unplaced,
        "shift_kinds": sorted({shift_kind(s) for s in problem.shifts}),
    }

"""A nurse running late: the rest of her route re-timed, and every visit that will now miss
its window flagged before it happens, with the ways to fix it.

She (or the coordinator) says at ``now`` that she is ``late_min`` minutes behind: the visit
under way will end that much later, or, between visits, she will arrive that much later at
the next one. Her visits already made keep their times; the rest are re-timed by the one
timing rule (``scheduler.domain.retime``), so any slack in her route absorbs what it can. The
independent checker then judges the whole day: a visit that would start after its window
closes is *at risk*, and so is a double-handed visit whose partner would now wait for her.
For each visit at risk that one clinician can make, ``who_could_take`` says who else could,
best first: the fixes a coordinator can accept.

Nothing here changes the published rota: the result is a projection and its options.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.domain.check import check
from scheduler.domain.model import Problem, Rota, Stop
from scheduler.domain.retime import retime
from scheduler.domain.who_could_take import Option, who_could_take


@dataclass(frozen=True)
class AtRisk:
    """A visit that will now go wrong: its planned and projected starts, when its window
    closes, its priority and the checker's rules it would break."""

    visit_id: str
    priority: int
    planned_start: datetime
    projected_start: datetime
    window_end: datetime
    rules: tuple[str, ...]

    @property
    def minutes_over(self) -> int:
        """How far past its window it would start (0 if only a linked rule breaks)."""
        return max(0, int((self.projected_start - self.window_end).total_seconds() // 60))


@dataclass(frozen=True)
class Lateness:
    """The day with her route re-timed, the visits of hers that start later (id → minutes),
    the visits at risk (priority 1 first, then the most overdue), and fixes per visit at risk."""

    clinician_id: str
    now: datetime
    late_min: int
    rota: Rota
    pushed: dict[str, int]
    at_risk: tuple[AtRisk, ...]
    fixes: dict[str, tuple[Option, ...]]


def running_late(
    problem: Problem,
    rota: Rota,
    clinician_id: str,
    now: datetime,
    late_min: int,
    *,
    fixes_per_visit: int = 3,
) -> Lateness:
    """What ``clinician_id`` running ``late_min`` minutes late at ``now`` does to the day."""
    if late_min < 0:
        raise ValueError("late_min is how far behind she is: it cannot be negative")
    route = rota.route_of(clinician_id)
    if route is None:
        raise ValueError(f"{clinician_id} has no route in this rota")
    visits = [s for s in route.stops if s.visit_id is not None]
    earliest = _held_back(visits, now, timedelta(minutes=late_min))
    late = retime(problem, rota, {clinician_id: list(route.visit_ids)}, earliest=earliest)
    new = late.route_of(clinician_id)
    assert new is not None
    after = {s.visit_id: s for s in new.stops if s.visit_id}
    pushed = {
        s.visit_id: int((after[s.visit_id].start - s.start).total_seconds() // 60)
        for s in visits
        if s.visit_id and after[s.visit_id].start > s.start
    }
    rules: dict[str, set[str]] = {}
    for v in check(problem, late).violations:
        if v.visit_id is not None:
            rules.setdefault(v.visit_id, set()).add(v.rule)
    at_risk = []
    for vid, broken in rules.items():
        if vid not in after:
            continue  # another clinician's visit: her lateness is not its cause
        visit = problem.visits[problem.visit_index[vid]]
        before = next(s for s in visits if s.visit_id == vid)
        risk = AtRisk(
            vid, visit.priority, before.start, after[vid].start, visit.window.end,
            tuple(sorted(broken)),
        )  # fmt: skip
        at_risk.append(risk)
    at_risk.sort(key=lambda a: (a.priority, -a.minutes_over, a.projected_start))
    fixes = {}
    for risk in at_risk:
        visit = problem.visits[problem.visit_index[risk.visit_id]]
        if visit.staff == 1 and fixes_per_visit > 0:
            options = who_could_take(problem, late, risk.visit_id, now, limit=fixes_per_visit)
            fixes[risk.visit_id] = tuple(o for o in options if o.clinician_id != clinician_id)
    return Lateness(clinician_id, now, late_min, late, pushed, tuple(at_risk), fixes)


def _held_back(visits: list[Stop], now: datetime, late: timedelta) -> dict[str, datetime]:
    """Earliest starts: visits done or under way keep theirs; the next visit starts ``late``
    later than she could have reached it (after the one under way ends late, or, between
    visits, she arrives late)."""
    earliest: dict[str, datetime] = {}
    under_way = None
    for s in visits:
        assert s.visit_id is not None
        if s.start <= now:
            earliest[s.visit_id] = s.start
            if s.end > now:
                under_way = s
            continue
        if under_way is not None:
            earliest[s.visit_id] = under_way.end + late + timedelta(minutes=s.travel_min)
        else:
            earliest[s.visit_id] = max(s.start, now) + late
        break
    return earliest

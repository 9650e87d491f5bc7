"""The day as the search sees it: routing tasks, vehicles, integer minutes.

A visit becomes one *task* per attendant (a double-handed visit is two tasks that must start at
the same minute on two different clinicians). A shift becomes a *vehicle* with its start and
end place and times, its break and its visit limit. Windows are held per task and may be
narrowed by the construction (``solver.construct``) to decouple linked tasks: a pair's common
start minute, or a cut between a visit and its follower, so that the routing search afterwards
needs no cross-route time constraints and runs at full speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduler.domain.model import Problem
from scheduler.domain.timing import BreakRule, Workday, visit_window, workday
from solver.eligibility import Eligibility, find_eligibility

#: Penalties for leaving a visit out, in minutes of travel. Priority 1 is made lexicographic
#: in ``build_instance`` (worth more than every other visit together).
PENALTY_PRIORITY_3 = 100_000
PENALTY_PRIORITY_2 = 1_000_000


@dataclass(frozen=True)
class Vehicle:
    """A shift as the search sees it: its ``Workday`` (minutes, places, break) and its visit
    limit."""

    shift: int
    workday: Workday
    max_visits: int | None

    @property
    def start_loc(self) -> int:
        return self.workday.start_loc

    @property
    def end_loc(self) -> int:
        return self.workday.end_loc

    @property
    def start(self) -> int:
        return self.workday.start

    @property
    def end(self) -> int:
        return self.workday.end

    @property
    def rest_break(self) -> BreakRule | None:
        return self.workday.rest


@dataclass
class Instance:
    """Tasks and vehicles of one solve. Task windows (``lo``/``hi``) are mutable on purpose."""

    problem: Problem
    eligibility: Eligibility
    vehicles: list[Vehicle]
    task_visit: list[int] = field(default_factory=list)
    task_copy: list[int] = field(default_factory=list)
    task_loc: list[int] = field(default_factory=list)
    task_svc: list[int] = field(default_factory=list)
    lo: list[int] = field(default_factory=list)
    hi: list[int] = field(default_factory=list)
    lo0: list[int] = field(default_factory=list)  # the visit's own window, before any cut
    hi0: list[int] = field(default_factory=list)
    task_vehicles: list[tuple[int, ...]] = field(default_factory=list)
    task_penalty: list[int] = field(default_factory=list)
    task_priority: list[int] = field(default_factory=list)
    task_preferred: list[int | None] = field(default_factory=list)
    #: per task, the other clinicians the patient knows (``Visit.familiar_clinicians``):
    #: vehicle → the share of the continuity charge waived for it, in (0, 1]
    task_familiar: list[dict[int, float]] = field(default_factory=list)
    tasks_of_visit: dict[int, list[int]] = field(default_factory=dict)
    travel: list[list[int]] = field(default_factory=list)
    continuity_cost: int = 20

    @property
    def n_tasks(self) -> int:
        return len(self.task_visit)

    def charge(self, t: int, k: int) -> float:
        """What giving task ``t`` to vehicle ``k`` costs in continuity of care, in minutes
        weighed as travel: nothing for a patient with no preference or for her preferred
        clinician, ``continuity_cost`` for a clinician she does not know, and for one she
        knows (``task_familiar``) that charge less the share her familiarity waives. So the
        search keeps a patient with the few nurses who saw her this stay, not only the one."""
        preferred, familiar = self.task_preferred[t], self.task_familiar[t]
        if (preferred is None and not familiar) or k == preferred:
            return 0.0
        return self.continuity_cost * (1.0 - familiar.get(k, 0.0))

    def partner(self, task: int) -> int | None:
        """The other half of a double-handed visit, if any."""
        tasks = self.tasks_of_visit[self.task_visit[task]]
        if len(tasks) == 2:
            return tasks[1] if tasks[0] == task else tasks[0]
        return None

    def reopen_windows(self, placed: set[int]) -> None:
        """Give tasks that are out their own windows back, and predecessors whose followers
        are all out their full windows, so a repair pass can cut afresh.

        A placed double-handed predecessor keeps its cut: its two halves' windows are the
        one common start minute (``[t, t]``) that makes them start together, and reopening
        them let the two clinicians start 25 minutes apart (an OR-Tools rota of a generated
        day, caught by the checker)."""
        for t in range(self.n_tasks):
            if t not in placed:
                self.lo[t], self.hi[t] = self.lo0[t], self.hi0[t]
        for t in range(self.n_tasks):
            pred = self.predecessor_task(t)
            if pred is not None and t not in placed:
                followers_placed = any(
                    u in placed for u in range(self.n_tasks) if self.predecessor_task(u) == pred
                )
                if not followers_placed:
                    for x in self.tasks_of_visit[self.task_visit[pred]]:
                        if x in placed and self.partner(x) is not None:
                            continue  # a placed pair: its common start stays
                        self.hi[x] = self.hi0[x]

    def linked(self, task: int) -> bool:
        """Half of a double-handed pair, or a follower: only the construction places these."""
        return self.partner(task) is not None or self.predecessor_task(task) is not None

    def predecessors(self) -> set[int]:
        """Tasks some other visit must follow (their windows may be cut for the follower)."""
        found = (self.predecessor_task(t) for t in range(self.n_tasks))
        return {p for p in found if p is not None}

    def predecessor_task(self, task: int) -> int | None:
        """The first task of the visit this task's visit must follow, if any."""
        visit = self.problem.visits[self.task_visit[task]]
        if visit.after_visit is None:
            return None
        a = self.problem.visit_index[visit.after_visit]
        tasks = self.tasks_of_visit.get(a)
        return tasks[0] if tasks else None


def build_instance(problem: Problem, *, continuity_cost: int = 20) -> Instance:
    """Tasks for every visit that someone could make; refused visits get no task."""
    eligibility = find_eligibility(problem)
    inst = Instance(
        problem=problem,
        eligibility=eligibility,
        vehicles=[
            Vehicle(k, workday(problem, k), s.max_visits) for k, s in enumerate(problem.shifts)
        ],
        travel=problem.travel.minutes.tolist(),
        continuity_cost=continuity_cost,
    )
    n_visits = len(problem.visits)
    penalty_1 = PENALTY_PRIORITY_2 * (n_visits + 1)
    penalties = {1: penalty_1, 2: PENALTY_PRIORITY_2, 3: PENALTY_PRIORITY_3}
    for v, visit in enumerate(problem.visits):
        if v in eligibility.refused:
            continue
        allowed = eligibility.shifts[v]
        pinned = problem.shift_index.get(visit.pinned_clinician) if visit.pinned_clinician else None
        preferred = (
            problem.shift_index.get(visit.preferred_clinician)
            if visit.preferred_clinician
            else None
        )
        if preferred is not None and preferred not in allowed:
            preferred = None
        familiar = {
            k: weight
            for cid, weight in visit.familiar_clinicians
            if (k := problem.shift_index.get(cid)) is not None and k in allowed and k != preferred
        }
        inst.tasks_of_visit[v] = []
        for copy in range(visit.staff):
            if pinned is not None:
                vehicles = (pinned,) if copy == 0 else tuple(k for k in allowed if k != pinned)
            else:
                vehicles = allowed
            t = len(inst.task_visit)
            inst.tasks_of_visit[v].append(t)
            inst.task_visit.append(v)
            inst.task_copy.append(copy)
            inst.task_loc.append(problem.visit_loc[v])
            inst.task_svc.append(visit.duration_min)
            lo, hi = visit_window(problem, v)
            inst.lo.append(lo)
            inst.hi.append(hi)
            inst.lo0.append(inst.lo[-1])
            inst.hi0.append(inst.hi[-1])
            inst.task_vehicles.append(vehicles)
            # A pair's penalty is split between its halves so that dropping it costs the same.
            inst.task_penalty.append(max(1, penalties[visit.priority] // visit.staff))
            inst.task_priority.append(visit.priority)
            inst.task_preferred.append(preferred if pinned is None else None)
            inst.task_familiar.append(familiar if pinned is None else {})
    return inst

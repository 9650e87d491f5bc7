"""Times for a route whose order is fixed, by the one timing rule (``scheduler.domain.timing``).

The search decides *who* and *in what order*; the times written to ``rota.csv`` come from
that one simple, testable rule, applied to the tasks' windows as the construction left them
(a double-handed pair's common minute, a cut before a follower), never from OR-Tools' cumul
values. Here the rule is strict: a route with anything late cannot be timed (None).
"""

from __future__ import annotations

from scheduler.domain.timing import Task, Timed, time_route
from solver.instance import Instance


def schedule_route(inst: Instance, k: int, seq: list[int]) -> list[Timed] | None:
    """The route's timeline (each visit's ``key`` is its task), or None if no break
    placement keeps every window, the break window and the shift."""
    T = inst.travel
    tasks = [Task(t, inst.task_loc[t], inst.lo[t], inst.hi[t], inst.task_svc[t]) for t in seq]
    stops, late = time_route(inst.vehicles[k].workday, tasks, lambda a, b: T[a][b])
    return None if late else stops

"""Starting from an earlier plan: its routes kept where still feasible, linked visits kept
at their minutes where they can be, orphaned halves and followers taken out.

The day may have changed since the plan was made (visits added or cancelled, a clinician
gone): visits and clinicians that are no longer there are ignored, and what is new is left
for the construction to insert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from scheduler.domain.model import Rota
from solver.construct import Construction
from solver.instance import Instance


@dataclass(frozen=True)
class WarmStart:
    """An earlier plan: visit ids in order per clinician, and when each visit started (so
    that double-handed and gap-linked visits can keep their minutes)."""

    routes: Mapping[str, Sequence[str]]
    starts: Mapping[str, datetime] = field(default_factory=dict)

    @classmethod
    def from_rota(cls, rota: Rota) -> WarmStart:
        starts: dict[str, datetime] = {}
        for route in rota.routes:
            for stop in route.stops:
                if stop.visit_id is not None:
                    starts.setdefault(stop.visit_id, stop.start)
        return cls({r.clinician_id: list(r.visit_ids) for r in rota.routes}, starts)


def drop_orphans(inst: Instance, routes: list[list[int]]) -> list[list[int]]:
    """Remove a pair half whose partner is out, and a follower whose predecessor is out."""
    routes = [list(r) for r in routes]
    while True:
        placed = {t for r in routes for t in r}
        orphans = set()
        for t in placed:
            partner = inst.partner(t)
            pred = inst.predecessor_task(t)
            if (partner is not None and partner not in placed) or (
                pred is not None
                and not all(x in placed for x in inst.tasks_of_visit[inst.task_visit[pred]])
            ):
                orphans.add(t)
        if not orphans:
            return routes
        routes = [[t for t in r if t not in orphans] for r in routes]


def _task_routes(inst: Instance, initial: Mapping[str, Sequence[str]]) -> list[list[int]]:
    """Visit ids per clinician → task ids per vehicle, each half of a pair on its own route."""
    problem = inst.problem
    routes: list[list[int]] = [[] for _ in inst.vehicles]
    used: set[int] = set()
    for cid, visit_ids in initial.items():
        k = problem.shift_index.get(cid)
        if k is None:
            continue
        for vid in visit_ids:
            v = problem.visit_index.get(vid)
            for t in inst.tasks_of_visit.get(v, []) if v is not None else []:
                if t not in used and k in inst.task_vehicles[t]:
                    routes[k].append(t)
                    used.add(t)
                    break
    return drop_orphans(inst, routes)


def _keep_linked_times(
    inst: Instance, kept: list[list[int]], starts: Mapping[str, datetime]
) -> set[int]:
    """Fix each linked visit of the previous plan to the minute it started, if that is still
    within its window and the whole linked group (pair, or predecessor and follower) can be
    fixed; the previous rota satisfied their synchronisation and gaps, so the fixed minutes
    do too. Returns the tasks so fixed."""
    problem = inst.problem
    placed = {t for seq in kept for t in seq}
    minute: dict[int, int] = {}
    for t in placed:
        when = starts.get(problem.visits[inst.task_visit[t]].visit_id)
        if when is not None:
            m = problem.minute(when)
            if inst.lo[t] <= m <= inst.hi[t]:
                minute[t] = m
    fixed: set[int] = set()
    for t in placed:
        if not inst.linked(t):
            continue
        group = {t}
        partner = inst.partner(t)
        if partner is not None:
            group.add(partner)
        pred = inst.predecessor_task(t)
        if pred is not None:
            group.update(inst.tasks_of_visit[inst.task_visit[pred]])
        if all(g in minute for g in group):
            fixed.update(group)
    for t in fixed:
        inst.lo[t] = inst.hi[t] = minute[t]
    return fixed


def construction_from(inst: Instance, warm: WarmStart) -> Construction:
    """A construction holding the earlier plan's routes, ready to insert what is missing.

    Linked visits (pair halves, followers) whose minutes cannot all be kept are taken out
    and left to the construction, which alone can give a pair a common minute and a follower
    its gap; each prefers the clinician it had, at the continuity cost."""
    kept = _task_routes(inst, warm.routes)
    pinned_times = _keep_linked_times(inst, kept, warm.starts)
    for k, seq in enumerate(kept):
        for t in seq:
            if inst.linked(t):
                inst.task_preferred[t] = k
    kept = [[t for t in seq if not inst.linked(t) or t in pinned_times] for seq in kept]
    while True:  # dropping an infeasible route can orphan the other half of a pair
        builder = Construction.from_routes(inst, kept, drop_infeasible=True)
        again = drop_orphans(inst, builder.task_routes())
        if again == kept:
            return builder
        kept = again

"""Times for a route whose order is fixed: earliest starts, the break, and arrival times.

The search decides *who* and *in what order*; this module decides *when*, independently of
OR-Tools' own cumul values, so that the times written to ``rota.csv`` come from one simple,
testable rule: start every visit as early as its window allows, and take the break in the
first gap where doing so keeps the rest of the route feasible. A break in the gap between
visits ``p`` and ``q`` starts at ``b = max(end(p), break earliest)``; it is taken before the
drive (or during it) when ``b`` falls before the clinician would reach ``q``, else at ``q``'s
door; either way ``q`` can start no earlier than ``max(end(p) + drive, b) + break``.
"""

from __future__ import annotations

from dataclasses import dataclass

from solver.instance import Instance


@dataclass(frozen=True)
class TimedStop:
    task: int | None  # None for the break
    arrive: int
    start: int
    end: int
    travel: int


def _simulate(
    inst: Instance, k: int, seq: list[int], break_gap: int | None
) -> list[TimedStop] | None:
    """Earliest schedule of ``seq`` on vehicle ``k`` with the break in gap ``break_gap``
    (gap g lies before the g-th visit; gap len(seq) is after the last one)."""
    veh = inst.vehicles[k]
    T = inst.travel
    b = veh.rest_break
    stops: list[TimedStop] = []
    here = veh.start_loc
    free = veh.start  # when the clinician is free to move on from ``here``
    for g in range(len(seq) + 1):
        nxt_loc = inst.task_loc[seq[g]] if g < len(seq) else veh.end_loc
        drive = T[here][nxt_loc]
        ready = free + drive
        arrive = ready
        if break_gap == g and b is not None:
            bstart = max(free, b.earliest)
            if bstart > b.latest:
                return None
            ready = max(free + drive, bstart) + b.duration
            arrive = ready if bstart < free + drive else free + drive
            stops.append(TimedStop(None, bstart, bstart, bstart + b.duration, 0))
        if g == len(seq):
            if ready > veh.end:
                return None
            break
        t = seq[g]
        start = max(inst.lo[t], ready)
        if start > inst.hi[t]:
            return None
        if g == 0 and not (break_gap == 0 and b is not None):
            arrive = start  # leave base just in time for the first visit
        stops.append(TimedStop(t, arrive, start, start + inst.task_svc[t], drive))
        here, free = nxt_loc, start + inst.task_svc[t]
    return stops


def schedule_route(inst: Instance, k: int, seq: list[int]) -> list[TimedStop] | None:
    """The route's timeline, or None if no break placement makes it feasible."""
    if not seq:
        return []
    if inst.vehicles[k].rest_break is None:
        return _simulate(inst, k, seq, None)
    for gap in range(len(seq) + 1):
        stops = _simulate(inst, k, seq, gap)
        if stops is not None:
            return stops
    return None

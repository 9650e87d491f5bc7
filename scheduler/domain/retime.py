"""Times for routes a person has re-ordered: the rota after a coordinator's manual change.

When a coordinator moves, swaps or unassigns a visit, the solver is not asked again (it
could undo her change); the routes she touched are simply re-timed and the independent
checker then says what, if anything, the change breaks. The timing is the one rule of
``scheduler.domain.timing``, which the solver's final timing uses too, so a route the solver
made and nobody touched comes out the same: every visit starts as early as its window, the
drive and its links allow; the break goes in the first gap that keeps the route on time;
the first visit is driven to just in time.

Unlike the solver's scheduler this never refuses: a visit that cannot be reached in its
window simply starts late, a route may run past the end of the shift, a break may fall
outside its window. Those are exactly the violations the coordinator must see before she
accepts the change.

Links are honoured by a fixed point over lower bounds: both halves of a double-handed visit
start at the later of their two earliest minutes, and a follower no sooner than its
predecessor's end plus the gap. Routes that were not touched keep their times and act as
fixed targets; if a touched route cannot meet them, the checker reports the broken link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from scheduler.domain.model import Problem, Reason, Rota, Route, Stop, Unassigned
from scheduler.domain.timing import Timed, time_route, visit_task, workday

#: Rounds of the fixed point before giving up (each round re-times every touched route).
MAX_ROUNDS = 50


def _time_route(problem: Problem, k: int, seq: list[int], lower: dict[int, int]) -> list[Timed]:
    """The route by the one timing rule, late where it must be (nothing is refused here)."""
    tasks = [visit_task(problem, v) for v in seq]
    return time_route(workday(problem, k), tasks, problem.travel_between, lower)[0]


def retime(
    problem: Problem,
    rota: Rota,
    order: dict[str, list[str]],
    *,
    unassigned: Iterable[Unassigned] = (),
    earliest: Mapping[str, datetime] | None = None,
) -> Rota:
    """``rota`` with the routes named in ``order`` (clinician id → visit ids in order)
    re-timed; other routes unchanged. Visits no longer on any route and not already listed
    as unassigned are added to the unassigned list with the given entries (or a generic
    "taken off the rota" one); visits now on a route leave the unassigned list.
    ``earliest`` (visit id → time) holds visits back: no start before it (a nurse running
    late, a visit already made at its time)."""
    shift_index = problem.shift_index
    visit_index = problem.visit_index
    unknown = [c for c in order if c not in shift_index]
    if unknown:
        raise ValueError(f"no shift for clinician(s) {', '.join(sorted(unknown))}")
    seqs = {c: [visit_index[v] for v in vids] for c, vids in order.items()}

    # Minutes fixed by untouched routes: (visit, clinician) → (start, end).
    fixed: dict[int, list[tuple[int, int]]] = {}
    for r in rota.routes:
        if r.clinician_id in order:
            continue
        for s in r.stops:
            if s.visit_id is not None:
                fixed.setdefault(visit_index[s.visit_id], []).append(
                    (problem.minute(s.start), problem.minute(s.end))
                )
    followers: dict[int, list[int]] = {}
    for i, visit in enumerate(problem.visits):
        if visit.after_visit in visit_index:
            followers.setdefault(visit_index[visit.after_visit], []).append(i)

    lower: dict[int, int] = {
        visit_index[v]: problem.minute(t, round_up=True) for v, t in (earliest or {}).items()
    }
    timed: dict[str, list[Timed]] = {}
    for _ in range(MAX_ROUNDS):
        timed = {c: _time_route(problem, shift_index[c], seq, lower) for c, seq in seqs.items()}
        starts: dict[int, list[int]] = {v: [a for a, _ in t] for v, t in fixed.items()}
        ends: dict[int, int] = {v: max(b for _, b in t) for v, t in fixed.items()}
        for route_times in timed.values():
            for t in route_times:
                if t.key is not None:
                    starts.setdefault(t.key, []).append(t.start)
                    ends[t.key] = max(ends.get(t.key, t.end), t.end)
        new_lower = dict(lower)
        for x, minutes in starts.items():
            if problem.visits[x].staff > 1 and len(minutes) > 1:
                new_lower[x] = max(new_lower.get(x, 0), max(minutes))
        for pred, fols in followers.items():
            if pred in ends:
                for f in fols:
                    bound = ends[pred] + problem.visits[f].min_gap_min
                    new_lower[f] = max(new_lower.get(f, 0), bound)
        if new_lower == lower:
            break
        lower = new_lower

    routes: list[Route] = []
    done: set[str] = set()
    for r in rota.routes:
        if r.clinician_id in order:
            done.add(r.clinician_id)
            if timed[r.clinician_id]:
                routes.append(Route(r.clinician_id, _stops(problem, timed[r.clinician_id])))
        else:
            routes.append(r)
    for c in order:
        if c not in done and timed[c]:
            routes.append(Route(c, _stops(problem, timed[c])))

    placed = {vid for r in routes for vid in r.visit_ids}
    given = {u.visit_id: u for u in unassigned}
    out = [u for u in rota.unassigned if u.visit_id not in placed and u.visit_id not in given]
    listed = {u.visit_id for u in out}
    out += [u for u in given.values() if u.visit_id not in placed]
    listed |= set(given)
    for visit in problem.visits:
        if visit.visit_id not in placed and visit.visit_id not in listed:
            out.append(Unassigned(visit.visit_id, "taken off the rota by hand", Reason.OTHER))
    return Rota(tuple(routes), tuple(out))


def _stops(problem: Problem, timed: list[Timed]) -> tuple[Stop, ...]:
    return tuple(
        Stop(
            "visit" if t.key is not None else "break",
            problem.visits[t.key].visit_id if t.key is not None else None,
            problem.at(t.arrive),
            problem.at(t.start),
            problem.at(t.end),
            t.travel,
        )
        for t in timed
    )


def best_position(problem: Problem, clinician_id: str, seq: list[str], visit_id: str) -> int:
    """Where in ``seq`` (0-based) to put ``visit_id`` so the clinician's route is least late,
    then shortest: what a coordinator means by "give it to her" without naming a slot.
    Links to other routes are ignored here; the checker judges them afterwards."""
    k = problem.shift_index[clinician_id]
    index = problem.visit_index
    base = [index[v] for v in seq]
    v = index[visit_id]
    day = workday(problem, k)
    best: tuple[int, int, int] | None = None
    for pos in range(len(base) + 1):
        trial = [*base[:pos], v, *base[pos:]]
        tasks = [visit_task(problem, x) for x in trial]
        stops, late = time_route(day, tasks, problem.travel_between)
        travel = sum(s.travel for s in stops) + problem.travel_between(
            problem.visit_loc[trial[-1]], problem.shift_end_loc[k]
        )
        if best is None or (late, travel) < best[:2]:
            best = (late, travel, pos)
    assert best is not None
    return best[2]

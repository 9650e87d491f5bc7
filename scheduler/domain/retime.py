"""Times for routes a person has re-ordered: the rota after a coordinator's manual change.

When a coordinator moves, swaps or unassigns a visit, the solver is not asked again (it
could undo her change); the routes she touched are simply re-timed by one plain rule and
the independent checker then says what, if anything, the change breaks. The rule is the
one ``solver.schedule`` uses, so a route the solver made and nobody touched would come out
the same: every visit starts as early as its window, the drive and its links allow; the
break goes in the first gap that keeps the route on time; the first visit is driven to
just in time.

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

from collections.abc import Iterable
from dataclasses import dataclass

from scheduler.domain.model import Problem, Reason, Rota, Route, Stop, Unassigned

#: Rounds of the fixed point before giving up (each round re-times every touched route).
MAX_ROUNDS = 50


@dataclass(frozen=True)
class _Timed:
    visit: int | None  # None for the break
    arrive: int
    start: int
    end: int
    travel: int


def _simulate(
    problem: Problem, k: int, seq: list[int], lower: dict[int, int], break_gap: int | None
) -> tuple[list[_Timed], int]:
    """The route with the break in gap ``break_gap``, and its total lateness in minutes
    (visit starts past window ends, a break started past its latest start, overtime)."""
    shift = problem.shifts[k]
    rest = shift.rest_break
    here = problem.shift_start_loc[k]
    free = problem.minute(shift.start)
    late = 0
    out: list[_Timed] = []
    for g in range(len(seq) + 1):
        nxt = problem.visit_loc[seq[g]] if g < len(seq) else problem.shift_end_loc[k]
        drive = problem.travel_between(here, nxt)
        ready = arrive = free + drive
        if break_gap == g and rest is not None:
            b_lo, b_hi = problem.minute(rest.window.start), problem.minute(rest.window.end)
            b_start = max(free, b_lo)
            late += max(0, b_start - b_hi)
            ready = max(free + drive, b_start) + rest.duration_min
            arrive = ready if b_start < free + drive else free + drive
            out.append(_Timed(None, b_start, b_start, b_start + rest.duration_min, 0))
        if g == len(seq):
            late += max(0, ready - problem.minute(shift.end))
            break
        v = seq[g]
        visit = problem.visits[v]
        start = max(problem.minute(visit.window.start), ready, lower.get(v, 0))
        late += max(0, start - problem.minute(visit.window.end))
        if g == 0 and not (break_gap == 0 and rest is not None):
            arrive = start  # leave base just in time for the first visit
        out.append(_Timed(v, arrive, start, start + visit.duration_min, drive))
        here, free = nxt, start + visit.duration_min
    return out, late


def _time_route(problem: Problem, k: int, seq: list[int], lower: dict[int, int]) -> list[_Timed]:
    """The first break gap with no lateness, else the gap with the least."""
    if not seq:
        return []
    if problem.shifts[k].rest_break is None:
        return _simulate(problem, k, seq, lower, None)[0]
    best: tuple[int, list[_Timed]] | None = None
    for gap in range(len(seq) + 1):
        stops, late = _simulate(problem, k, seq, lower, gap)
        if late == 0:
            return stops
        if best is None or late < best[0]:
            best = (late, stops)
    return best[1]


def retime(
    problem: Problem,
    rota: Rota,
    order: dict[str, list[str]],
    *,
    unassigned: Iterable[Unassigned] = (),
) -> Rota:
    """``rota`` with the routes named in ``order`` (clinician id → visit ids in order)
    re-timed; other routes unchanged. Visits no longer on any route and not already listed
    as unassigned are added to the unassigned list with the given entries (or a generic
    "taken off the rota" one); visits now on a route leave the unassigned list."""
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
    followers = {
        visit_index[v.after_visit]: [] for v in problem.visits if v.after_visit in visit_index
    }
    for i, v in enumerate(problem.visits):
        if v.after_visit in visit_index:
            followers[visit_index[v.after_visit]].append(i)

    lower: dict[int, int] = {}
    timed: dict[str, list[_Timed]] = {}
    for _ in range(MAX_ROUNDS):
        timed = {c: _time_route(problem, shift_index[c], seq, lower) for c, seq in seqs.items()}
        starts: dict[int, list[int]] = {v: [a for a, _ in t] for v, t in fixed.items()}
        ends: dict[int, int] = {v: max(b for _, b in t) for v, t in fixed.items()}
        for stops in timed.values():
            for s in stops:
                if s.visit is not None:
                    starts.setdefault(s.visit, []).append(s.start)
                    ends[s.visit] = max(ends.get(s.visit, s.end), s.end)
        new_lower = dict(lower)
        for v, minutes in starts.items():
            if problem.visits[v].staff > 1 and len(minutes) > 1:
                new_lower[v] = max(new_lower.get(v, 0), max(minutes))
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
            stops = timed[r.clinician_id]
            if stops:
                routes.append(Route(r.clinician_id, _stops(problem, stops)))
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
    for v in problem.visits:
        if v.visit_id not in placed and v.visit_id not in listed:
            out.append(Unassigned(v.visit_id, "taken off the rota by hand", Reason.OTHER))
    return Rota(tuple(routes), tuple(out), dict(rota.meta))


def _stops(problem: Problem, timed: list[_Timed]) -> tuple[Stop, ...]:
    return tuple(
        Stop(
            "visit" if t.visit is not None else "break",
            problem.visits[t.visit].visit_id if t.visit is not None else None,
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
    best: tuple[int, int, int] | None = None
    for pos in range(len(base) + 1):
        trial = [*base[:pos], v, *base[pos:]]
        stops = _time_route(problem, k, trial, {})
        late = _lateness(problem, k, stops)
        travel = sum(s.travel for s in stops) + problem.travel_between(
            problem.visit_loc[trial[-1]], problem.shift_end_loc[k]
        )
        if best is None or (late, travel) < best[:2]:
            best = (late, travel, pos)
    return best[2]


def _lateness(problem: Problem, k: int, stops: list[_Timed]) -> int:
    shift = problem.shifts[k]
    late = 0
    for s in stops:
        if s.visit is None:
            if shift.rest_break is not None:
                late += max(0, s.start - problem.minute(shift.rest_break.window.end))
        else:
            late += max(0, s.start - problem.minute(problem.visits[s.visit].window.end))
    if stops:
        last = stops[-1]
        here = problem.visit_loc[last.visit] if last.visit is not None else None
        end = last.end + (problem.travel_between(here, problem.shift_end_loc[k]) if here else 0)
        late += max(0, end - problem.minute(shift.end))
    return late

"""Re-planning during the day: what is done stays done, the rest is planned again from here.

At ``now`` every visit that has started (start < now) is *frozen* with its clinician and
times. Each clinician's shift is cut to begin where she will be free — at the end of her last
frozen visit, at that patient's home (or at base at ``now`` if she has not started) — and her
break is kept only if she has not taken it yet. The remaining visits, urgent additions and
nothing else form a smaller day for the solver. To keep the plan stable, each remaining visit
*prefers* the clinician it had (the solver's continuity rule: it moves only when that saves
travel), before the patient's own preferred clinician: in the live day a stable plan comes
first, since every move is a nurse to tell. A clinician who goes off sick
loses her remaining shift, so her visits are redistributed.

``merge`` puts the frozen stops back in front of the new routes, giving a rota of the whole
day that the independent checker can verify against the whole day's problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from scheduler.domain.localtime import hm
from scheduler.domain.model import (
    Break,
    Problem,
    Reason,
    Rota,
    Route,
    Shift,
    Stop,
    Unassigned,
    Visit,
    Window,
)


@dataclass(frozen=True)
class ReplanInput:
    """The smaller day to solve, and what was frozen to put back afterwards."""

    visits: tuple[Visit, ...]
    shifts: tuple[Shift, ...]
    frozen: dict[str, tuple[Stop, ...]]
    previous: dict[str, str]  # visit_id → (a) clinician it had before
    before: dict[str, set[str]]  # visit_id → every clinician it had before
    #: Visits that cannot be planned again, with the reason (e.g. a follower whose
    #: predecessor is neither done nor still plannable).
    left_out: dict[str, Unassigned] = field(default_factory=dict)


def frozen_stops(
    route: Route, now: datetime, reported: frozenset[str] = frozenset()
) -> tuple[Stop, ...]:
    """Stops done or under way at ``now`` (including one she must already be driving to in
    order to start it on time, and any she has reported arrived at or done: ``reported``),
    with the breaks between them."""
    started = [
        i
        for i, s in enumerate(route.stops)
        if s.start - _minutes(s.travel_min) < now
        or (s.visit_id is not None and s.visit_id in reported)
    ]
    return route.stops[: started[-1] + 1] if started else ()


def frozen_routes(
    problem: Problem, rota: Rota, now: datetime, reported: frozenset[str] = frozenset()
) -> dict[str, tuple[Stop, ...]]:
    """Each route's frozen stops, a double-handed visit frozen on every route it is on as soon
    as it is frozen on one: when one attendant is already driving to it, the other is bound
    to the same minute, even if her own drive has not begun (and so is everything she does
    before it). Without this the pair would be split: one half kept, the other re-planned."""
    pairs = {v.visit_id for v in problem.visits if v.staff > 1}
    count = {r.clinician_id: len(frozen_stops(r, now, reported)) for r in rota.routes}
    while True:
        bound = {
            s.visit_id
            for r in rota.routes
            for s in r.stops[: count[r.clinician_id]]
            if s.visit_id in pairs
        }
        grown = False
        for r in rota.routes:
            for i, s in enumerate(r.stops):
                if s.visit_id in bound and i >= count[r.clinician_id]:
                    count[r.clinician_id], grown = i + 1, True
        if not grown:
            return {r.clinician_id: r.stops[: count[r.clinician_id]] for r in rota.routes}


def prepare(
    problem: Problem,
    rota: Rota,
    now: datetime,
    *,
    add: tuple[Visit, ...] = (),
    remove: frozenset[str] = frozenset(),
    absent: frozenset[str] = frozenset(),
    available_from: Mapping[str, datetime] | None = None,
    reported: frozenset[str] = frozenset(),
) -> ReplanInput:
    """The smaller day at ``now``. ``available_from``: a clinician running late is free for
    her next visit only from then; ``reported``: visits nurses have reported arrived at or
    done, frozen whatever the clock says."""
    available_from = available_from or {}
    visit_by_id = {v.visit_id: v for v in problem.visits}
    frozen: dict[str, tuple[Stop, ...]] = {}
    done: set[str] = set()
    previous: dict[str, str] = {}
    planned_start: dict[str, datetime] = {}
    frozen_by_route = frozen_routes(problem, rota, now, reported)
    for cid in available_from:
        # Running late, she is not yet driving to her next visit on time: only what has
        # started stays.
        late_stops = frozen_by_route.get(cid, ())
        frozen_by_route[cid] = tuple(s for s in late_stops if s.start < now)
    for route in rota.routes:
        for s in route.stops:
            if s.visit_id:
                planned_start.setdefault(s.visit_id, s.start)
        stops = frozen_by_route[route.clinician_id]
        if stops:
            frozen[route.clinician_id] = stops
            done.update(s.visit_id for s in stops if s.visit_id)
        for s in route.stops[len(stops) :]:
            if s.visit_id:
                previous.setdefault(s.visit_id, route.clinician_id)
    shifts = []
    for shift in problem.shifts:
        cid = shift.clinician_id
        if cid in absent:
            continue
        stops = frozen.get(cid, ())
        visits_done = [s.visit_id for s in stops if s.visit_id is not None]
        start, here = max(now, shift.start), shift.start_location
        if stops:
            start = max(start, stops[-1].end)  # a visit or a break under way at ``now``
        if cid in available_from:
            start = max(start, available_from[cid])  # running late
        if visits_done:
            here = visit_by_id[visits_done[-1]].location
        if start >= shift.end:
            continue
        rest = shift.rest_break
        if rest is not None and (any(s.kind == "break" for s in stops) or rest.window.end < start):
            rest = None if any(s.kind == "break" for s in stops) else rest
        if rest is not None:
            window_start = max(rest.window.start, start)
            latest = min(rest.window.end, shift.end)
            rest = (
                Break(rest.duration_min, Window(window_start, latest))
                if window_start <= latest
                else None
            )
        max_visits = (
            None if shift.max_visits is None else max(0, shift.max_visits - len(visits_done))
        )
        shifts.append(
            replace(shift, start=start, start_location=here, rest_break=rest, max_visits=max_visits)
        )
    remaining = []
    for v in (*problem.visits, *add):
        if v.visit_id in done or v.visit_id in remove:
            continue
        keep_with = previous.get(v.visit_id) if previous.get(v.visit_id) not in absent else None
        after = v.after_visit if v.after_visit not in done else None
        gap = v.min_gap_min if after else 0
        window = v.window
        if v.after_visit in done:
            # The predecessor is done: the gap becomes a window start.
            pred_end = max(
                s.end for st in frozen.values() for s in st if s.visit_id == v.after_visit
            )
            earliest = max(window.start, pred_end + _minutes(v.min_gap_min))
            if earliest > window.end:
                continue
            window = Window(earliest, window.end)
        t = planned_start.get(v.visit_id)
        if t is not None and t >= now and v.visit_id in previous:
            if v.staff == 2:
                window = Window(t, t)  # both attendants keep their common minute
            followers = [
                f for f in problem.visits if f.after_visit == v.visit_id and f.visit_id in previous
            ]
            if followers:
                window = Window(window.start, min(window.end, t))  # keep the cut before followers
            if after and after in planned_start and planned_start[after] >= now:
                pred = visit_by_id[after]
                cut = planned_start[after] + _minutes(pred.duration_min + v.min_gap_min)
                window = Window(max(window.start, min(cut, window.end)), window.end)
        if window.end < now:
            continue
        window = Window(max(window.start, now), window.end)
        remaining.append(
            replace(
                v,
                window=window,
                after_visit=after,
                min_gap_min=gap,
                preferred_clinician=keep_with or v.preferred_clinician,
                pinned_clinician=v.pinned_clinician if v.pinned_clinician not in absent else None,
            )
        )
    remaining, left_out = _without_orphans(remaining, now)
    before: dict[str, set[str]] = {}
    for route in rota.routes:
        for vid in route.visit_ids:
            before.setdefault(vid, set()).add(route.clinician_id)
    return ReplanInput(tuple(remaining), tuple(shifts), frozen, previous, before, left_out)


def _without_orphans(
    visits: list[Visit], now: datetime
) -> tuple[list[Visit], dict[str, Unassigned]]:
    """The visits whose predecessor is still to be planned (or has none), and the others left
    out with the reason: a follower cannot be made without its predecessor (a fluids
    disconnection whose connection was never made), and it must not point at a visit the
    smaller day no longer has."""
    left_out: dict[str, Unassigned] = {}
    while True:
        ids = {v.visit_id for v in visits}
        orphans = [v for v in visits if v.after_visit is not None and v.after_visit not in ids]
        if not orphans:
            return visits, left_out
        for v in orphans:
            left_out[v.visit_id] = Unassigned(
                v.visit_id,
                f"not planned again at {hm(now)}: it follows {v.after_visit}, which is "
                "neither done nor still plannable",
                Reason.PRECEDING_UNPLACED,
            )
        gone = {v.visit_id for v in orphans}
        visits = [v for v in visits if v.visit_id not in gone]


def shifts_as_worked(
    problem: Problem, prepared: ReplanInput, absent: frozenset[str]
) -> tuple[Shift, ...]:
    """The day's shifts for checking the merged rota: a clinician who went off before her
    break owes no break."""
    out = []
    for shift in problem.shifts:
        took_break = any(s.kind == "break" for s in prepared.frozen.get(shift.clinician_id, ()))
        if shift.clinician_id in absent and not took_break:
            shift = replace(shift, rest_break=None)
        out.append(shift)
    return tuple(out)


def _minutes(n: int):
    from datetime import timedelta

    return timedelta(minutes=n)


def _owed_break(rest: Break, free_from: datetime) -> Stop:
    """The break of a clinician left with nothing after her frozen visits: taken as early as
    its window allows once she is free (``Break.window`` bounds its start)."""
    start = max(rest.window.start, free_from)
    if start > rest.window.end:  # pragma: no cover - prepare() keeps the window reachable
        start = rest.window.end
    end = start + _minutes(rest.duration_min)
    return Stop("break", None, start, start, end, 0)


@dataclass(frozen=True)
class Merged:
    """The whole day's rota after a re-plan, with how many visits were frozen (done, under
    way or being driven to) and how many the re-plan gave to another clinician."""

    rota: Rota
    frozen_visits: int
    moved_visits: int


def merge(prepared: ReplanInput, new: Rota, all_visit_ids: list[str], now: datetime) -> Merged:
    """Frozen stops, then the new plan, per clinician; every other visit unassigned."""
    routes: dict[str, list[Stop]] = {cid: list(stops) for cid, stops in prepared.frozen.items()}
    for route in new.routes:
        routes.setdefault(route.clinician_id, []).extend(route.stops)
    for shift in prepared.shifts:
        stops = routes.get(shift.clinician_id)
        if stops and shift.rest_break and not any(s.kind == "break" for s in stops):
            stops.append(_owed_break(shift.rest_break, stops[-1].end))
    placed = {s.visit_id for stops in routes.values() for s in stops if s.visit_id}
    reasons = {**prepared.left_out, **{u.visit_id: u for u in new.unassigned}}
    unassigned = []
    for vid in all_visit_ids:
        if vid in placed:
            continue
        unassigned.append(
            reasons.get(vid)
            or Unassigned(
                vid, f"not planned again at {hm(now)}: its window has passed or it was removed"
            )
        )
    now_with: dict[str, set[str]] = {}
    for route in new.routes:
        for vid in route.visit_ids:
            now_with.setdefault(vid, set()).add(route.clinician_id)
    moved = sum(
        1 for vid, who in now_with.items() if vid in prepared.before and prepared.before[vid] != who
    )
    frozen = sum(1 for st in prepared.frozen.values() for s in st if s.visit_id)
    rota = Rota(tuple(Route(cid, tuple(stops)) for cid, stops in routes.items()), tuple(unassigned))
    return Merged(rota, frozen_visits=frozen, moved_visits=moved)

"""The checker's rules about routes: shifts (first and return legs), travel reported, the
timeline (order, overlap, room for each drive and break), the break, and visit limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise

from scheduler.domain.check.facts import Facts, Leg, Violation, as_minutes, hm, what


def check_shift(f: Facts) -> Iterator[Violation]:
    """Whole minutes, every stop inside the shift, the first leg and the return leg."""
    for rv in f.routes:
        cid, shift = rv.cid, rv.shift
        for s in rv.route.stops:
            if any(t.second or t.microsecond for t in (s.arrive, s.start, s.end)):
                yield Violation(
                    "shift",
                    f"{what(s)} ({cid}) has times {hm(s.arrive)}/{hm(s.start)}/{hm(s.end)} that are not whole minutes",
                    cid,
                    s.visit_id,
                )
            if s.start < shift.start or s.end > shift.end:
                yield Violation(
                    "shift",
                    f"{what(s)} ({cid}) {hm(s.start)}–{hm(s.end)} lies outside the shift {shift.label()}",
                    cid,
                    s.visit_id,
                )
        if not rv.legs:
            continue
        fault = _leg_fault(rv.legs[0], cid)
        if fault:
            yield Violation("shift", fault, cid, rv.legs[0].target_id)
        home_leg = rv.legs[-1]
        home = home_leg.leave + timedelta(minutes=home_leg.drive + home_leg.break_minutes)
        if home > shift.end:
            yield Violation(
                "shift",
                f"{cid} is back at {hm(home)} ({home_leg.source} ends {hm(home_leg.leave)}, "
                f"{home_leg.drive} min drive, {home_leg.break_minutes:g} min of break), after the shift ends at {hm(shift.end)}",
                cid,
                home_leg.source,
            )


def _leg_fault(leg: Leg, cid: str) -> str | None:
    """Why the drive to ``leg.target`` cannot have happened as recorded, or None.

    The arrival must leave room for the drive outside any break taken before it; the start
    must leave room for the drive and every break of the gap. When the arrival is already
    wrong, the start fault would only repeat it, so one message is enough.
    """
    s = leg.target
    assert s is not None
    origin = f"leaving {leg.source or 'the shift start place'} at {hm(leg.leave)}"
    resting = leg.break_minutes_before(s.arrive)
    driven = as_minutes(s.arrive - leg.leave) - resting
    if driven < leg.drive and not resting:
        earliest = leg.leave + timedelta(minutes=leg.drive)
        return (
            f"visit {s.visit_id} ({cid}) arrives {hm(s.arrive)}, but {origin} and driving "
            f"{leg.drive} min gets there at {hm(earliest)} at the earliest"
        )
    if driven < leg.drive:
        return (
            f"visit {s.visit_id} ({cid}) arrives {hm(s.arrive)}, but {origin} and taking "
            f"{resting:g} min of break on the way leaves only {max(driven, 0):g} min for the "
            f"{leg.drive}-min drive"
        )
    if as_minutes(s.start - leg.leave) < leg.drive + leg.break_minutes:
        return (
            f"visit {s.visit_id} ({cid}) starts {hm(s.start)}: {origin} leaves no room for "
            f"{leg.drive} min of driving and {leg.break_minutes:g} min of break"
        )
    return None


def check_travel(f: Facts) -> Iterator[Violation]:
    """The rota's own drive figures match the matrix (summaries and pay are built on them)."""
    for rv in f.routes:
        cid = rv.cid
        for leg in rv.legs:
            s = leg.target
            if s is not None and s.travel_min != leg.drive:
                yield Violation(
                    "travel",
                    f"visit {s.visit_id} ({cid}) reports {s.travel_min} min of driving from "
                    f"{leg.source or 'the shift start place'}; the travel matrix says {leg.drive}",
                    cid,
                    s.visit_id,
                )
        for b in rv.breaks:
            if b.travel_min != 0:
                yield Violation(
                    "travel", f"{cid}'s break reports {b.travel_min} min of driving, not 0", cid
                )


def check_timeline(f: Facts) -> Iterator[Violation]:
    """Stops in order without overlap, arrival before start, and room to drive between visits."""
    for rv in f.routes:
        cid = rv.cid
        for s in rv.route.stops:
            if s.arrive > s.start:
                yield Violation(
                    "timeline",
                    f"{what(s)} ({cid}) starts {hm(s.start)}, before arriving at {hm(s.arrive)}",
                    cid,
                    s.visit_id,
                )
            elif s.kind == "break" and s.arrive != s.start:
                yield Violation(
                    "timeline",
                    f"{cid}'s break is recorded as reached at {hm(s.arrive)} but starts at {hm(s.start)}; a break starts where the clinician is",
                    cid,
                )
        for a, b in pairwise(rv.route.stops):
            if b.start < a.end:
                yield Violation(
                    "timeline",
                    f"{what(b)} ({cid}) starts {hm(b.start)}, before {what(a)} before it in the route ends at {hm(a.end)}",
                    cid,
                    b.visit_id,
                )
        for leg in rv.legs[1:-1]:  # between two visits; the first and return legs are ``shift``
            fault = _leg_fault(leg, cid)
            if fault:
                yield Violation("timeline", fault, cid, leg.target_id)


def check_break(f: Facts) -> Iterator[Violation]:
    """A working route takes its one unpaid break, started in its window; no unplanned breaks.

    The break's length is a ``duration`` fault, not repeated here.
    """
    for rv in f.routes:
        cid, rest, n = rv.cid, rv.shift.rest_break, len(rv.breaks)
        if rest is None:
            if n:
                yield Violation(
                    "break", f"{cid} takes a break but the shift {rv.shift.label()} has none", cid
                )
            continue
        if n == 0 and rv.visit_stops:
            yield Violation(
                "break",
                f"{cid} takes no break; the shift needs one of {rest.duration_min} min starting {rest.window.label()}",
                cid,
            )
        elif n > 1:
            yield Violation("break", f"{cid} takes {n} breaks; the shift has exactly one", cid)
        for b in rv.breaks:
            if not rest.window.contains(b.start):
                yield Violation(
                    "break",
                    f"{cid}'s break starts {hm(b.start)}, outside its window {rest.window.label()}",
                    cid,
                )


def check_max_visits(f: Facts) -> Iterator[Violation]:
    """No clinician makes more visits than the coordinator allowed."""
    for rv in f.routes:
        cap, n = rv.shift.max_visits, len(rv.visit_stops)
        if cap is not None and n > cap:
            yield Violation(
                "max_visits", f"{rv.cid} makes {n} visits, more than max_visits {cap}", rv.cid
            )

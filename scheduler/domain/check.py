"""The independent checker: is this rota feasible for this day, and what are its figures?

It never imports the solver: it is how we know the solver is right. It trusts nothing in the
rota but the order of the stops and their times: every drive is recomputed from the problem's
travel matrix, and every rule of the contract is tested separately, reporting *every*
violation (not just the first) under the rule's name, so that a solver bug, a hand edit or
another tool's rota is caught the same way.

Rules, one function each below (``RULES``):

- ``accounting``: every visit is in the rota or in ``unassigned``, exactly once; a staff-1
  visit on one route once, a staff-2 visit on two *different* clinicians' routes; no unknown
  visits or clinicians; at most one route per clinician.
- ``skills``, ``pin``, ``window`` (start inside the window, ends included), ``duration``
  (visits and breaks), ``sync`` (a double-handed visit starts together), ``gap``
  (``after_visit`` + ``min_gap_min``; the predecessor must be placed too).
- ``shift``: whole-minute times, every stop inside the shift, the first leg (leave base no
  earlier than the shift start) and the return leg (back by the shift end).
- ``travel``: each visit's reported drive equals the matrix; breaks report no driving.
- ``timeline``: stops in time order without overlap, ``arrive <= start``, a break's
  ``arrive == start``, and room for the drive (plus any breaks) between consecutive visits.
- ``break``: exactly one break of the shift's length, started inside its window, on a route
  with visits; none on a shift without a break.
- ``max_visits``.

Breaks and drives. A break is a stop of its own, taken where the clinician is: before the drive
to the next visit, after it (at the next door), or part-way along it. The breaks *listed*
between two visit stops belong to that gap. For a gap from ``leave`` (the previous visit's end,
or the shift start) to the next visit ``q``:

- time driven before arriving = ``q.arrive - leave`` minus the break time inside
  ``[leave, q.arrive]``; it must be at least the matrix drive (so an arrival recorded as if a
  break taken before the drive had not happened is caught);
- ``q.start - leave >= drive + the gap's breaks``;
- each break lies inside ``[leave, q.start]`` (this follows from the stop order check).

With no break in the gap these are the plain ``q.arrive >= leave + drive``. The first leg is
reported under ``shift`` (it is about leaving before the shift starts), the legs between
visits under ``timeline``. After the last visit: ``end + drive home + later breaks <=
shift end``, under ``shift``.

Everything is one pass over the stops (O(total stops)), so a day of 2,000 visits checks in a
few tens of milliseconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from scheduler.domain.model import Problem, Rota, Route, Shift, Stop, Visit


@dataclass(frozen=True)
class Violation:
    """One broken rule, about one clinician and/or one visit where that applies."""

    rule: str
    message: str
    clinician_id: str | None = None
    visit_id: str | None = None

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@dataclass(frozen=True)
class CheckReport:
    """Every violation found (in rule order), and the rota's figures (see ``kpis``)."""

    violations: tuple[Violation, ...]
    kpis: dict[str, int | float]

    @property
    def ok(self) -> bool:
        return not self.violations


# --- the facts every rule reads, gathered once ----------------------------------------------


@dataclass(frozen=True)
class _Leg:
    """A drive to a visit stop (or home, when ``target`` is None) and the breaks in its gap.

    ``source`` is the visit left (None: the shift start place), ``leave`` when the clinician
    became free to go (that visit's end, or the shift start).
    """

    source: str | None
    target: Stop | None
    leave: datetime
    drive: int
    breaks: tuple[Stop, ...]

    @property
    def target_id(self) -> str | None:
        """The visit driven to (None: home)."""
        return self.target.visit_id if self.target is not None else None

    @property
    def break_minutes(self) -> float:
        return sum(_minutes(b.end - b.start) for b in self.breaks)

    def break_minutes_before(self, moment: datetime) -> float:
        """Break time inside ``[leave, moment]``: time during which nobody drives."""
        total = timedelta()
        for b in self.breaks:
            overlap = min(b.end, moment) - max(b.start, self.leave)
            if overlap > timedelta():
                total += overlap
        return _minutes(total)


@dataclass
class _RouteView:
    """A route of a clinician on shift, with its known visit stops and its legs."""

    route: Route
    shift: Shift
    visit_stops: list[Stop]
    breaks: list[Stop]
    legs: list[_Leg]  # one per known visit stop, then the return leg if there is a visit

    @property
    def cid(self) -> str:
        return self.route.clinician_id


@dataclass
class _Facts:
    problem: Problem
    rota: Rota
    #: visit id -> (clinician, stop) for every stop of a *known* visit, in rota order.
    attendants: dict[str, list[tuple[str, Stop]]] = field(default_factory=dict)
    #: routes of clinicians on shift (an unknown clinician's route is an accounting fault).
    routes: list[_RouteView] = field(default_factory=list)

    def visit(self, vid: str) -> Visit:
        return self.problem.visits[self.problem.visit_index[vid]]


def _gather(problem: Problem, rota: Rota) -> _Facts:
    facts = _Facts(problem, rota, defaultdict(list))
    for route in rota.routes:
        for s in route.stops:
            if s.kind == "visit" and s.visit_id in problem.visit_index:
                facts.attendants[s.visit_id].append((route.clinician_id, s))
        k = problem.shift_index.get(route.clinician_id)
        if k is not None:
            facts.routes.append(_view(problem, route, k))
    return facts


def _view(problem: Problem, route: Route, k: int) -> _RouteView:
    """Split a route into legs: each visit stop with the drive and breaks before it."""
    shift = problem.shifts[k]
    here, leave, source = problem.shift_start_loc[k], shift.start, None
    visit_stops: list[Stop] = []
    all_breaks: list[Stop] = []
    legs: list[_Leg] = []
    pending: list[Stop] = []
    for s in route.stops:
        if s.kind == "break":
            pending.append(s)
            all_breaks.append(s)
            continue
        if s.visit_id not in problem.visit_index:
            continue  # reported under accounting; its place is unknown
        loc = problem.visit_loc[problem.visit_index[s.visit_id]]
        legs.append(_Leg(source, s, leave, problem.travel_between(here, loc), tuple(pending)))
        visit_stops.append(s)
        here, leave, source, pending = loc, s.end, s.visit_id, []
    if visit_stops:
        back = problem.travel_between(here, problem.shift_end_loc[k])
        legs.append(_Leg(source, None, leave, back, tuple(pending)))
    return _RouteView(route, shift, visit_stops, all_breaks, legs)


def _hm(t: datetime) -> str:
    return t.strftime("%H:%M:%S" if t.second or t.microsecond else "%H:%M")


def _minutes(td: timedelta) -> float:
    return td.total_seconds() / 60


def _what(s: Stop) -> str:
    return f"visit {s.visit_id}" if s.kind == "visit" else "the break"


# --- the rules ---------------------------------------------------------------------------------

Rule = Callable[[_Facts], Iterator[Violation]]


def _accounting(f: _Facts) -> Iterator[Violation]:
    """Each visit placed the right number of times by different clinicians, or unassigned once.

    This is what makes the other rules meaningful: a visit silently dropped, or listed as both
    placed and unassigned, would otherwise pass every per-stop test.
    """
    p, rule = f.problem, "accounting"
    seen: set[str] = set()
    for route in f.rota.routes:
        cid = route.clinician_id
        if cid not in p.shift_index:
            yield Violation(rule, f"route for {cid}, who is not on shift today", cid)
        if cid in seen:
            yield Violation(rule, f"{cid} has more than one route", cid)
        seen.add(cid)
        for s in route.stops:
            if s.kind == "visit" and s.visit_id not in p.visit_index:
                yield Violation(
                    rule, f"unknown visit {s.visit_id} on {cid}'s route", cid, s.visit_id
                )
    listed: dict[str, int] = defaultdict(int)
    for u in f.rota.unassigned:
        listed[u.visit_id] += 1
        if u.visit_id not in p.visit_index:
            yield Violation(
                rule, f"unknown visit {u.visit_id} listed as unassigned", None, u.visit_id
            )
    for visit in p.visits:
        vid = visit.visit_id
        on = f.attendants.get(vid, [])
        n_out = listed.get(vid, 0)
        if on and n_out:
            yield Violation(rule, f"visit {vid} is both in the rota and unassigned", None, vid)
        elif not on and not n_out:
            yield Violation(rule, f"visit {vid} is neither in the rota nor unassigned", None, vid)
        elif n_out > 1:
            yield Violation(rule, f"visit {vid} is listed {n_out} times as unassigned", None, vid)
        who = [c for c, _ in on]
        if on and (len(who) != visit.staff or len(set(who)) != len(who)):
            need = "one clinician" if visit.staff == 1 else "two different clinicians"
            yield Violation(
                rule, f"visit {vid} needs {need} but is on the route of {', '.join(who)}", None, vid
            )


def _skills(f: _Facts) -> Iterator[Violation]:
    """Every attending clinician holds every skill the visit needs (checked per attendant)."""
    p = f.problem
    for vid, on in f.attendants.items():
        visit = f.visit(vid)
        for cid, _ in on:
            k = p.shift_index.get(cid)
            if k is not None and not visit.skills <= p.shifts[k].skills:
                missing = ";".join(sorted(visit.skills - p.shifts[k].skills))
                yield Violation("skills", f"{cid} lacks {missing} for visit {vid}", cid, vid)


def _pin(f: _Facts) -> Iterator[Violation]:
    """A coordinator's lock holds: the pinned clinician attends the visit, if it is placed."""
    for vid, on in f.attendants.items():
        pinned = f.visit(vid).pinned_clinician
        who = [c for c, _ in on]
        if pinned and pinned not in who:
            yield Violation(
                "pin", f"visit {vid} is pinned to {pinned} but goes to {', '.join(who)}", None, vid
            )


def _window(f: _Facts) -> Iterator[Violation]:
    """Each attendant starts the visit inside its window (the window bounds the start)."""
    for vid, on in f.attendants.items():
        w = f.visit(vid).window
        for cid, s in on:
            if not w.contains(s.start):
                side = (
                    "before its window {} opens"
                    if s.start < w.start
                    else "after its window {} closes"
                )
                yield Violation(
                    "window",
                    f"visit {vid} ({cid}) starts {_hm(s.start)}, {side.format(w.label())}",
                    cid,
                    vid,
                )


def _duration(f: _Facts) -> Iterator[Violation]:
    """A stop lasts exactly its visit's (or the shift's break's) length: no cut-short care."""
    for vid, on in f.attendants.items():
        need = f.visit(vid).duration_min
        for cid, s in on:
            if s.end - s.start != timedelta(minutes=need):
                yield Violation(
                    "duration",
                    f"visit {vid} ({cid}) lasts {_minutes(s.end - s.start):g} min, not {need}",
                    cid,
                    vid,
                )
    for rv in f.routes:
        rest = rv.shift.rest_break
        if rest is None:
            continue  # a break on a shift without one is a ``break`` fault
        for b in rv.breaks:
            if b.end - b.start != timedelta(minutes=rest.duration_min):
                yield Violation(
                    "duration",
                    f"{rv.cid}'s break {_hm(b.start)}–{_hm(b.end)} lasts {_minutes(b.end - b.start):g} min, not {rest.duration_min}",
                    rv.cid,
                )


def _sync(f: _Facts) -> Iterator[Violation]:
    """The two clinicians of a double-handed visit start it at the same minute."""
    for vid, on in f.attendants.items():
        starts = {s.start for _, s in on}
        if f.visit(vid).staff == 2 and len(starts) > 1:
            when = ", ".join(f"{c} {_hm(s.start)}" for c, s in on)
            yield Violation(
                "sync", f"double-handed visit {vid} does not start together: {when}", None, vid
            )


def _gap(f: _Facts) -> Iterator[Violation]:
    """A follower starts ``min_gap_min`` after its predecessor ends, and never without it."""
    for vid, on in f.attendants.items():
        visit = f.visit(vid)
        if visit.after_visit is None:
            continue
        before = f.attendants.get(visit.after_visit)
        if not before:
            yield Violation(
                "gap",
                f"visit {vid} is placed although visit {visit.after_visit} it must follow is not",
                None,
                vid,
            )
            continue
        ready = max(s.end for _, s in before) + timedelta(minutes=visit.min_gap_min)
        first = min(s.start for _, s in on)
        if first < ready:
            yield Violation(
                "gap",
                f"visit {vid} starts {_hm(first)}, before {_hm(ready)} ({visit.min_gap_min} min after {visit.after_visit} ends)",
                None,
                vid,
            )


def _shift(f: _Facts) -> Iterator[Violation]:
    """Whole minutes, every stop inside the shift, the first leg and the return leg."""
    for rv in f.routes:
        cid, shift = rv.cid, rv.shift
        for s in rv.route.stops:
            if any(t.second or t.microsecond for t in (s.arrive, s.start, s.end)):
                yield Violation(
                    "shift",
                    f"{_what(s)} ({cid}) has times {_hm(s.arrive)}/{_hm(s.start)}/{_hm(s.end)} that are not whole minutes",
                    cid,
                    s.visit_id,
                )
            if s.start < shift.start or s.end > shift.end:
                yield Violation(
                    "shift",
                    f"{_what(s)} ({cid}) {_hm(s.start)}–{_hm(s.end)} lies outside the shift {shift.label()}",
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
                f"{cid} is back at {_hm(home)} ({home_leg.source} ends {_hm(home_leg.leave)}, "
                f"{home_leg.drive} min drive, {home_leg.break_minutes:g} min of break), after the shift ends at {_hm(shift.end)}",
                cid,
                home_leg.source,
            )


def _leg_fault(leg: _Leg, cid: str) -> str | None:
    """Why the drive to ``leg.target`` cannot have happened as recorded, or None.

    The arrival must leave room for the drive outside any break taken before it; the start
    must leave room for the drive and every break of the gap. When the arrival is already
    wrong, the start fault would only repeat it, so one message is enough.
    """
    s = leg.target
    assert s is not None
    origin = f"leaving {leg.source or 'the shift start place'} at {_hm(leg.leave)}"
    resting = leg.break_minutes_before(s.arrive)
    driven = _minutes(s.arrive - leg.leave) - resting
    if driven < leg.drive and not resting:
        earliest = leg.leave + timedelta(minutes=leg.drive)
        return (
            f"visit {s.visit_id} ({cid}) arrives {_hm(s.arrive)}, but {origin} and driving "
            f"{leg.drive} min gets there at {_hm(earliest)} at the earliest"
        )
    if driven < leg.drive:
        return (
            f"visit {s.visit_id} ({cid}) arrives {_hm(s.arrive)}, but {origin} and taking "
            f"{resting:g} min of break on the way leaves only {max(driven, 0):g} min for the "
            f"{leg.drive}-min drive"
        )
    if _minutes(s.start - leg.leave) < leg.drive + leg.break_minutes:
        return (
            f"visit {s.visit_id} ({cid}) starts {_hm(s.start)}: {origin} leaves no room for "
            f"{leg.drive} min of driving and {leg.break_minutes:g} min of break"
        )
    return None


def _travel(f: _Facts) -> Iterator[Violation]:
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


def _timeline(f: _Facts) -> Iterator[Violation]:
    """Stops in order without overlap, arrival before start, and room to drive between visits."""
    for rv in f.routes:
        cid = rv.cid
        for s in rv.route.stops:
            if s.arrive > s.start:
                yield Violation(
                    "timeline",
                    f"{_what(s)} ({cid}) starts {_hm(s.start)}, before arriving at {_hm(s.arrive)}",
                    cid,
                    s.visit_id,
                )
            elif s.kind == "break" and s.arrive != s.start:
                yield Violation(
                    "timeline",
                    f"{cid}'s break is recorded as reached at {_hm(s.arrive)} but starts at {_hm(s.start)}; a break starts where the clinician is",
                    cid,
                )
        for a, b in pairwise(rv.route.stops):
            if b.start < a.end:
                yield Violation(
                    "timeline",
                    f"{_what(b)} ({cid}) starts {_hm(b.start)}, before {_what(a)} before it in the route ends at {_hm(a.end)}",
                    cid,
                    b.visit_id,
                )
        for leg in rv.legs[1:-1]:  # between two visits; the first and return legs are ``shift``
            fault = _leg_fault(leg, cid)
            if fault:
                yield Violation("timeline", fault, cid, leg.target_id)


def _break(f: _Facts) -> Iterator[Violation]:
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
                    f"{cid}'s break starts {_hm(b.start)}, outside its window {rest.window.label()}",
                    cid,
                )


def _max_visits(f: _Facts) -> Iterator[Violation]:
    """No clinician makes more visits than the coordinator allowed."""
    for rv in f.routes:
        cap, n = rv.shift.max_visits, len(rv.visit_stops)
        if cap is not None and n > cap:
            yield Violation(
                "max_visits", f"{rv.cid} makes {n} visits, more than max_visits {cap}", rv.cid
            )


RULES: tuple[tuple[str, Rule], ...] = (
    ("accounting", _accounting),
    ("skills", _skills),
    ("pin", _pin),
    ("window", _window),
    ("duration", _duration),
    ("sync", _sync),
    ("gap", _gap),
    ("shift", _shift),
    ("travel", _travel),
    ("timeline", _timeline),
    ("break", _break),
    ("max_visits", _max_visits),
)


# --- figures -----------------------------------------------------------------------------------


def _kpis(f: _Facts) -> dict[str, int | float]:
    """The rota's figures, recomputed from the problem (never from the rota's own numbers).

    - ``travel_min_total``: over the routes with at least one visit, the matrix drive to each
      visit from the previous visit (or from the shift start place) **plus** the return leg
      from the last visit to the shift end place; ``travel_min_return`` is those return legs
      alone. Routes of unknown clinicians and stops of unknown visits are left out.
    - ``waiting_min_total``: Σ (start − arrive) over visit stops (a break taken at the next
      door counts as waiting there).
    - ``visit_min_total``: Σ visit durations over visit stops, so a double-handed visit counts
      once per clinician (it is clinician time).
    - ``utilisation``: over the clinicians used, (visit + travel minutes) / paid minutes, paid
      = shift length − the unpaid break; 0.0 when nobody is used.
    - ``continuity_rate``: preferred_kept / preferred_total, or 1.0 when no placed visit names
      a preferred clinician.
    """
    p = f.problem
    placed = set(f.attendants)
    travel = back_total = waiting = visit_min = used = 0
    busy = paid = 0.0
    for rv in f.routes:
        if not rv.visit_stops:
            continue
        used += 1
        drive = sum(leg.drive for leg in rv.legs)  # includes the return leg
        minutes = sum(
            f.visit(s.visit_id).duration_min for s in rv.visit_stops if s.visit_id is not None
        )
        travel += drive
        back_total += rv.legs[-1].drive
        visit_min += minutes
        waiting += sum(max(0, int(_minutes(s.start - s.arrive))) for s in rv.visit_stops)
        busy += minutes + drive
        rest = rv.shift.rest_break
        paid += _minutes(rv.shift.end - rv.shift.start) - (rest.duration_min if rest else 0)
    p1 = [v for v in p.visits if v.priority == 1]
    preferred = [v for v in p.visits if v.preferred_clinician and v.visit_id in placed]
    kept = sum(
        1 for v in preferred if any(c == v.preferred_clinician for c, _ in f.attendants[v.visit_id])
    )
    return {
        "visits_total": len(p.visits),
        "visits_assigned": len(placed),
        "visits_unassigned": len(p.visits) - len(placed),
        "priority1_total": len(p1),
        "priority1_assigned": sum(1 for v in p1 if v.visit_id in placed),
        "priority1_unassigned": sum(1 for v in p1 if v.visit_id not in placed),
        "double_handed_assigned": sum(1 for v in p.visits if v.staff == 2 and v.visit_id in placed),
        "travel_min_total": travel,
        "travel_min_return": back_total,
        "waiting_min_total": waiting,
        "visit_min_total": visit_min,
        "clinicians_on_shift": len(p.shifts),
        "clinicians_used": used,
        "preferred_total": len(preferred),
        "preferred_kept": kept,
        "continuity_rate": kept / len(preferred) if preferred else 1.0,
        "utilisation": busy / paid if paid else 0.0,
    }


def check(problem: Problem, rota: Rota) -> CheckReport:
    """Every violation of ``rota`` against the day ``problem``, in rule order, and its KPIs.

    ``kpis["violations"]`` is the number of violations, so a summary carries it too.
    """
    facts = _gather(problem, rota)
    violations = tuple(v for _, rule in RULES for v in rule(facts))
    kpis = _kpis(facts)
    kpis["violations"] = len(violations)
    return CheckReport(violations, kpis)

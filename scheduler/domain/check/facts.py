"""What every rule of the checker reads, gathered once from the day and the rota: each
known visit's attendants, and each route split into legs (the drive to a visit stop and the
breaks in its gap). Also the report types the rules produce."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scheduler.domain.localtime import local
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


@dataclass(frozen=True)
class Leg:
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
        return sum(as_minutes(b.end - b.start) for b in self.breaks)

    def break_minutes_before(self, moment: datetime) -> float:
        """Break time inside ``[leave, moment]``: time during which nobody drives."""
        total = timedelta()
        for b in self.breaks:
            overlap = min(b.end, moment) - max(b.start, self.leave)
            if overlap > timedelta():
                total += overlap
        return as_minutes(total)


@dataclass
class RouteView:
    """A route of a clinician on shift, with its known visit stops and its legs."""

    route: Route
    shift: Shift
    visit_stops: list[Stop]
    breaks: list[Stop]
    legs: list[Leg]  # one per known visit stop, then the return leg if there is a visit

    @property
    def cid(self) -> str:
        return self.route.clinician_id


@dataclass
class Facts:
    problem: Problem
    rota: Rota
    #: visit id -> (clinician, stop) for every stop of a *known* visit, in rota order.
    attendants: dict[str, list[tuple[str, Stop]]] = field(default_factory=dict)
    #: routes of clinicians on shift (an unknown clinician's route is an accounting fault).
    routes: list[RouteView] = field(default_factory=list)

    def visit(self, vid: str) -> Visit:
        return self.problem.visits[self.problem.visit_index[vid]]


def gather(problem: Problem, rota: Rota) -> Facts:
    facts = Facts(problem, rota, defaultdict(list))
    for route in rota.routes:
        for s in route.stops:
            if s.kind == "visit" and s.visit_id in problem.visit_index:
                facts.attendants[s.visit_id].append((route.clinician_id, s))
        k = problem.shift_index.get(route.clinician_id)
        if k is not None:
            facts.routes.append(view(problem, route, k))
    return facts


def view(problem: Problem, route: Route, k: int) -> RouteView:
    """Split a route into legs: each visit stop with the drive and breaks before it."""
    shift = problem.shifts[k]
    here, leave, source = problem.shift_start_loc[k], shift.start, None
    visit_stops: list[Stop] = []
    all_breaks: list[Stop] = []
    legs: list[Leg] = []
    pending: list[Stop] = []
    for s in route.stops:
        if s.kind == "break":
            pending.append(s)
            all_breaks.append(s)
            continue
        if s.visit_id not in problem.visit_index:
            continue  # reported under accounting; its place is unknown
        loc = problem.visit_loc[problem.visit_index[s.visit_id]]
        legs.append(Leg(source, s, leave, problem.travel_between(here, loc), tuple(pending)))
        visit_stops.append(s)
        here, leave, source, pending = loc, s.end, s.visit_id, []
    if visit_stops:
        back = problem.travel_between(here, problem.shift_end_loc[k])
        legs.append(Leg(source, None, leave, back, tuple(pending)))
    return RouteView(route, shift, visit_stops, all_breaks, legs)


def hm(t: datetime) -> str:
    """Local ``HH:MM`` (``HH:MM:SS`` when the moment is not on a whole minute)."""
    return local(t).strftime("%H:%M:%S" if t.second or t.microsecond else "%H:%M")


def as_minutes(td: timedelta) -> float:
    return td.total_seconds() / 60


def what(s: Stop) -> str:
    return f"visit {s.visit_id}" if s.kind == "visit" else "the break"

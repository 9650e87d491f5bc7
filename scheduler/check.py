"""The independent checker: is this rota feasible for this day, and what are its figures?

It never imports the solver. It recomputes every drive from the problem's travel matrix and
tests each rule of the contract separately, reporting *every* violation with the rule's name,
so that a solver bug, a hand edit or another tool's rota is caught the same way. Rules:

- ``accounting``: every visit is in the rota or in ``unassigned``, exactly once; staff-2
  visits on two different clinicians; no unknown visits or clinicians; one route each.
- ``skills``, ``pin``, ``window``, ``duration``, ``sync`` (double-handed starts together),
  ``gap`` (``after_visit`` + ``min_gap_min``; the predecessor must be placed too),
  ``shift``, ``travel`` (reported drive = matrix), ``timeline`` (order, no overlap,
  arrive ≤ start, room for drive + breaks between visits), ``break``, ``max_visits``.

Breaks may be taken before, during or after the drive between two visits: the gap between
them must hold the drive plus the breaks, and each break must lie inside the gap.
The legs from the shift start to the first visit and from the last visit back to the end
place are reported under ``shift`` (leaving before the shift starts, or back after it ends);
the legs between visits under ``timeline``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.model import Problem, Rota, Route, Stop


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    clinician_id: str | None = None
    visit_id: str | None = None

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@dataclass(frozen=True)
class CheckReport:
    violations: tuple[Violation, ...]
    kpis: dict[str, int | float]

    @property
    def ok(self) -> bool:
        return not self.violations


def _hm(t: datetime) -> str:
    return t.strftime("%H:%M")


def _what(s: Stop) -> str:
    return f"visit {s.visit_id}" if s.kind == "visit" else "the break"


def _minutes(td: timedelta) -> float:
    return td.total_seconds() / 60


class _Checker:
    def __init__(self, problem: Problem, rota: Rota):
        self.p = problem
        self.rota = rota
        self.out: list[Violation] = []
        self.attendants: dict[str, list[tuple[str, Stop]]] = defaultdict(list)

    def flag(self, rule: str, message: str, cid: str | None = None, vid: str | None = None):
        self.out.append(Violation(rule, message, cid, vid))

    # -- accounting ------------------------------------------------------------------------
    def accounting(self) -> None:
        p = self.p
        seen_routes: set[str] = set()
        for route in self.rota.routes:
            cid = route.clinician_id
            if cid not in p.shift_index:
                self.flag("accounting", f"route for unknown clinician {cid}", cid)
            if cid in seen_routes:
                self.flag("accounting", f"{cid} has more than one route", cid)
            seen_routes.add(cid)
            for s in route.stops:
                if s.kind != "visit":
                    continue
                if s.visit_id not in p.visit_index:
                    self.flag("accounting", f"unknown visit {s.visit_id} on {cid}", cid, s.visit_id)
                    continue
                self.attendants[s.visit_id].append((cid, s))
        unassigned: dict[str, int] = defaultdict(int)
        for u in self.rota.unassigned:
            unassigned[u.visit_id] += 1
            if u.visit_id not in p.visit_index:
                self.flag(
                    "accounting",
                    f"unknown visit {u.visit_id} listed as unassigned",
                    None,
                    u.visit_id,
                )
        for visit in p.visits:
            vid = visit.visit_id
            on = self.attendants.get(vid, [])
            n_out = unassigned.get(vid, 0)
            if on and n_out:
                self.flag(
                    "accounting", f"visit {vid} is both in the rota and unassigned", None, vid
                )
            elif not on and n_out == 0:
                self.flag(
                    "accounting", f"visit {vid} is neither in the rota nor unassigned", None, vid
                )
            elif n_out > 1:
                self.flag(
                    "accounting", f"visit {vid} is listed {n_out} times as unassigned", None, vid
                )
            if on:
                who = [c for c, _ in on]
                if len(who) != visit.staff or len(set(who)) != len(who):
                    self.flag(
                        "accounting",
                        f"visit {vid} needs {visit.staff} different clinician(s) but is on "
                        f"{', '.join(who)}",
                        None,
                        vid,
                    )

    # -- per visit ---------------------------------------------------------------------------
    def visits(self) -> None:
        p = self.p
        for vid, on in self.attendants.items():
            visit = p.visits[p.visit_index[vid]]
            for cid, s in on:
                k = p.shift_index.get(cid)
                if k is not None and not visit.skills <= p.shifts[k].skills:
                    missing = ";".join(sorted(visit.skills - p.shifts[k].skills))
                    self.flag("skills", f"{cid} lacks {missing} for visit {vid}", cid, vid)
                if not visit.window.contains(s.start):
                    when = (
                        "before its window {} opens"
                        if s.start < visit.window.start
                        else "after its window {} closes"
                    ).format(visit.window.label())
                    self.flag(
                        "window", f"visit {vid} ({cid}) starts {_hm(s.start)}, {when}", cid, vid
                    )
                if s.end - s.start != timedelta(minutes=visit.duration_min):
                    self.flag(
                        "duration",
                        f"visit {vid} ({cid}) lasts {_minutes(s.end - s.start):g} min, "
                        f"not {visit.duration_min}",
                        cid,
                        vid,
                    )
            who = [c for c, _ in on]
            if visit.pinned_clinician and visit.pinned_clinician not in who:
                self.flag(
                    "pin",
                    f"visit {vid} is pinned to {visit.pinned_clinician} but goes to {', '.join(who)}",
                    None,
                    vid,
                )
            starts = {s.start for _, s in on}
            if visit.staff == 2 and len(starts) > 1:
                self.flag(
                    "sync",
                    f"double-handed visit {vid} starts at {', '.join(sorted(_hm(t) for t in starts))}",
                    None,
                    vid,
                )
            if visit.after_visit is not None:
                before = self.attendants.get(visit.after_visit)
                if not before:
                    self.flag(
                        "gap",
                        f"visit {vid} is placed although visit {visit.after_visit} it must follow is not",
                        None,
                        vid,
                    )
                else:
                    end = max(s.end for _, s in before)
                    need = end + timedelta(minutes=visit.min_gap_min)
                    first = min(s.start for _, s in on)
                    if first < need:
                        self.flag(
                            "gap",
                            f"visit {vid} starts {_hm(first)}, before {_hm(need)} "
                            f"({visit.min_gap_min} min after {visit.after_visit} ends)",
                            None,
                            vid,
                        )

    # -- per route ---------------------------------------------------------------------------
    def route(self, route: Route) -> None:
        p = self.p
        cid = route.clinician_id
        k = p.shift_index.get(cid)
        if k is None:
            return
        shift = p.shifts[k]
        stops = route.stops
        visits = [s for s in stops if s.kind == "visit" and s.visit_id in p.visit_index]
        breaks = [s for s in stops if s.kind == "break"]
        for s in stops:
            if s.start < shift.start or s.end > shift.end:
                self.flag(
                    "shift",
                    f"{_what(s)} ({cid}) {_hm(s.start)}–{_hm(s.end)} lies outside the shift "
                    f"{shift.label()}",
                    cid,
                    s.visit_id,
                )
            if s.arrive > s.start:
                self.flag(
                    "timeline",
                    f"{_what(s)} ({cid}) starts {_hm(s.start)}, before arriving at {_hm(s.arrive)}",
                    cid,
                    s.visit_id,
                )
            elif s.kind == "break" and s.arrive != s.start:
                self.flag(
                    "timeline",
                    f"{cid}'s break is recorded as reached at {_hm(s.arrive)} but starts at "
                    f"{_hm(s.start)}; a break starts where the clinician is",
                    cid,
                )
            if s.kind == "break" and s.travel_min != 0:
                self.flag(
                    "travel", f"{cid}'s break reports {s.travel_min} min of driving, not 0", cid
                )
        for a, b in itertools.pairwise(stops):
            if b.start < a.end:
                self.flag(
                    "timeline",
                    f"{_what(b)} ({cid}) starts {_hm(b.start)}, before {_what(a)} before it "
                    f"in the route ends at {_hm(a.end)}",
                    cid,
                    b.visit_id,
                )
        if shift.max_visits is not None and len(visits) > shift.max_visits:
            self.flag(
                "max_visits",
                f"{cid} makes {len(visits)} visits, more than max_visits {shift.max_visits}",
                cid,
            )
        self._breaks(route, shift, breaks, bool(visits))
        self._legs(route, k)

    def _breaks(self, route: Route, shift, breaks: list[Stop], has_visits: bool) -> None:
        cid = route.clinician_id
        rest = shift.rest_break
        if rest is None:
            if breaks:
                self.flag(
                    "break", f"{cid} takes a break but the shift {shift.label()} has none", cid
                )
            return
        if (has_visits and len(breaks) != 1) or len(breaks) > 1:
            self.flag(
                "break", f"{cid} takes {len(breaks)} breaks; the shift needs exactly one", cid
            )
        for b in breaks:
            if b.end - b.start != timedelta(minutes=rest.duration_min):
                self.flag(
                    "duration",
                    f"{cid}'s break {_hm(b.start)}–{_hm(b.end)} lasts "
                    f"{_minutes(b.end - b.start):g} min, not {rest.duration_min}",
                    cid,
                )
            if not rest.window.contains(b.start):
                self.flag(
                    "break",
                    f"{cid}'s break starts {_hm(b.start)}, outside its window {rest.window.label()}",
                    cid,
                )

    def _legs(self, route: Route, k: int) -> None:
        """Drives between consecutive places, with the breaks taken in each gap.

        The breaks between two visits are the break stops listed between them; the timeline
        order check already ensures each lies inside the gap, so here the gap must hold the
        drive plus those breaks, and the arrival must come after the drive. The first leg
        (from the shift start) and the return leg (to the shift end) fall under ``shift``.
        """
        p = self.p
        cid = route.clinician_id
        shift = p.shifts[k]
        here = p.shift_start_loc[k]
        free = shift.start
        prev: str | None = None
        pending: list[Stop] = []
        for s in route.stops:
            if s.kind == "break":
                pending.append(s)
                continue
            if s.visit_id not in p.visit_index:
                continue
            loc = p.visit_loc[p.visit_index[s.visit_id]]
            drive = p.travel_between(here, loc)
            if s.travel_min != drive:
                self.flag(
                    "travel",
                    f"visit {s.visit_id} ({cid}) reports {s.travel_min} min of driving from "
                    f"{prev or 'the shift start'}; the travel matrix says {drive}",
                    cid,
                    s.visit_id,
                )
            rest = sum(_minutes(b.end - b.start) for b in pending)
            rule = "timeline" if prev else "shift"
            origin = f"leaving {prev} at {_hm(free)}" if prev else f"leaving base at {_hm(free)}"
            reach = free + timedelta(minutes=drive)
            if s.arrive < reach:
                self.flag(
                    rule,
                    f"visit {s.visit_id} ({cid}) arrives {_hm(s.arrive)}, but {origin} and "
                    f"driving {drive} min gets there at {_hm(reach)} at the earliest",
                    cid,
                    s.visit_id,
                )
            if _minutes(s.start - free) < drive + rest:
                self.flag(
                    rule,
                    f"visit {s.visit_id} ({cid}) starts {_hm(s.start)}: {origin} leaves no room "
                    f"for {drive} min of driving and {rest:g} min of break",
                    cid,
                    s.visit_id,
                )
            here, free, prev, pending = loc, s.end, s.visit_id, []
        if prev is not None:
            back = p.travel_between(here, p.shift_end_loc[k])
            rest = sum(_minutes(b.end - b.start) for b in pending)
            home = free + timedelta(minutes=back + rest)
            if home > shift.end:
                self.flag(
                    "shift",
                    f"{cid} is back at base at {_hm(home)} ({prev} ends {_hm(free)}, "
                    f"{back} min drive, {rest:g} min of break), after the shift ends at "
                    f"{_hm(shift.end)}",
                    cid,
                    prev,
                )

    # -- figures -----------------------------------------------------------------------------
    def kpis(self) -> dict[str, int | float]:
        p = self.p
        visits_on = {vid for vid in self.attendants if vid in p.visit_index}
        by_id = {v.visit_id: v for v in p.visits}
        travel = ret = waiting = visit_min = 0
        used = 0
        busy = paid = 0.0
        for route in self.rota.routes:
            k = p.shift_index.get(route.clinician_id)
            if k is None:
                continue
            here = p.shift_start_loc[k]
            stops = [s for s in route.stops if s.kind == "visit" and s.visit_id in p.visit_index]
            if not stops:
                continue
            used += 1
            route_travel = 0
            for s in stops:
                loc = p.visit_loc[p.visit_index[s.visit_id]]
                route_travel += p.travel_between(here, loc)
                waiting += max(0, int(_minutes(s.start - s.arrive)))
                visit_min += by_id[s.visit_id].duration_min
                here = loc
            back = p.travel_between(here, p.shift_end_loc[k])
            ret += back
            travel += route_travel + back
            shift = p.shifts[k]
            busy += sum(by_id[s.visit_id].duration_min for s in stops) + route_travel + back
            paid += _minutes(shift.end - shift.start) - (
                shift.rest_break.duration_min if shift.rest_break else 0
            )
        p1 = [v for v in p.visits if v.priority == 1]
        preferred = [v for v in p.visits if v.preferred_clinician and v.visit_id in visits_on]
        kept = sum(
            1
            for v in preferred
            if v.preferred_clinician in [c for c, _ in self.attendants[v.visit_id]]
        )
        return {
            "visits_total": len(p.visits),
            "visits_assigned": len(visits_on),
            "visits_unassigned": len(p.visits) - len(visits_on),
            "priority1_total": len(p1),
            "priority1_assigned": sum(1 for v in p1 if v.visit_id in visits_on),
            "priority1_unassigned": sum(1 for v in p1 if v.visit_id not in visits_on),
            "double_handed_assigned": sum(
                1 for v in p.visits if v.staff == 2 and v.visit_id in visits_on
            ),
            "travel_min_total": travel,
            "travel_min_return": ret,
            "waiting_min_total": waiting,
            "visit_min_total": visit_min,
            "clinicians_on_shift": len(p.shifts),
            "clinicians_used": used,
            "preferred_total": len(preferred),
            "preferred_kept": kept,
            "continuity_rate": kept / len(preferred) if preferred else 1.0,
            "utilisation": busy / paid if paid else 0.0,
        }

    def run(self) -> CheckReport:
        self.accounting()
        self.visits()
        for route in self.rota.routes:
            self.route(route)
        kpis = self.kpis()
        kpis["violations"] = len(self.out)
        return CheckReport(tuple(self.out), kpis)


def check(problem: Problem, rota: Rota) -> CheckReport:
    """Every violation of the rota against the day, and its KPIs."""
    return _Checker(problem, rota).run()

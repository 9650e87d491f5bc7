"""A coordinator's manual run, as a baseline: greedy insertion at the end of routes.

Visits are taken in order of window start (priority 1 first on ties, then priority 2, then by
visit id). Each goes to the clinician on shift who holds its skills (and is its pinned
clinician, if it is pinned, and is under ``max_visits``) and whose route it can be *appended
to* at least extra travel; routes are never re-sequenced, as a coordinator filling a
spreadsheet does not go back. Everything the contract asks is respected:

- windows (the visit starts inside its window), shifts (leave base no earlier than the shift
  start, home by its end);
- the break: one per working route, started inside its window. It is taken in a gap as soon
  as the gap is reached if that does not delay the next visit; otherwise it is left for later
  as long as it can still be taken after the visit just added (and still get home in time),
  else it is taken before that visit; a route whose visits all leave it untaken gets it after
  the last visit. A break is taken where the clinician is, before the drive;
- double-handed visits: two different clinicians who can both start at one common minute
  (the pair with the least combined extra travel);
- ``after_visit`` + ``min_gap_min``: a follower starts at least the gap after its
  predecessor ends; it is left out when its predecessor is (or is not placed yet).

Visits that cannot be appended anywhere are left out with a reason. No OR-Tools, no search:
``solve_greedy(problem)`` returns a ``scheduler.domain.model.Rota`` in well under a second per
thousand visits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduler.domain.model import Problem, Reason, Rota, Route, Stop, Unassigned, format_skills


@dataclass
class _Plan:
    """How a visit would be appended to a route: its times, and the break taken before it."""

    arrive: int
    start: int
    break_start: int | None  # the break taken in this gap (before the drive), if any


@dataclass
class _RouteState:
    k: int
    loc: int  # where the clinician is: the last visit's place, or the start place
    free: int  # when she is free to leave it: the last visit's end, or the shift start
    n_visits: int = 0
    break_taken: bool = False
    stops: list[tuple] = field(default_factory=list)  # ("visit", vid, arrive, start, end, drive)


class Greedy:
    def __init__(self, problem: Problem):
        self.p = problem
        m = problem.minute
        self.shift_start = [m(s.start, round_up=True) for s in problem.shifts]
        self.shift_end = [m(s.end) for s in problem.shifts]
        self.brk = [
            None
            if s.rest_break is None
            else (
                m(s.rest_break.window.start, round_up=True),
                m(s.rest_break.window.end),
                s.rest_break.duration_min,
            )
            for s in problem.shifts
        ]
        self.routes = [
            _RouteState(k, problem.shift_start_loc[k], self.shift_start[k])
            for k in range(len(problem.shifts))
        ]
        self.placed_end: dict[str, int] = {}  # visit id -> latest end over its attendants
        self.unassigned: list[Unassigned] = []

    # --- feasibility of appending one visit to one route ------------------------------------

    def _home_ok(self, r: _RouteState, end: int, loc: int, break_taken: bool) -> bool:
        """After a visit ending at ``end`` at ``loc``: can the route still end properly?"""
        k = r.k
        home = self.p.travel_between(loc, self.p.shift_end_loc[k])
        brk = self.brk[k]
        if brk is None or break_taken:
            return end + home <= self.shift_end[k]
        b0, b1, dur = brk
        b = max(end, b0)
        return b <= b1 and b + dur + home <= self.shift_end[k]

    def plan(self, r: _RouteState, v: int, not_before: int) -> _Plan | None:
        """The earliest way to append visit ``v`` to route ``r``, starting at or after
        ``not_before``, keeping the route completable; None if there is none."""
        p, k = self.p, r.k
        visit = p.visits[v]
        loc = p.visit_loc[v]
        drive = p.travel_between(r.loc, loc)
        w0 = max(p.minute(visit.window.start, round_up=True), not_before)
        w1 = p.minute(visit.window.end)
        dur = visit.duration_min
        # Without a break in this gap.
        plain = None
        arrive = r.free + drive
        start = max(arrive, w0)
        if start <= w1 and self._home_ok(r, start + dur, loc, r.break_taken):
            plain = _Plan(arrive, start, None)
        brk = self.brk[k]
        if brk is None or r.break_taken:
            return plain
        # With the break in this gap, taken as early as it may be, before the drive.
        b0, b1, bdur = brk
        b = max(r.free, b0)
        with_break = None
        if b <= b1:
            arrive_b = b + bdur + drive
            start_b = max(arrive_b, w0)
            if start_b <= w1 and self._home_ok(r, start_b + dur, loc, True):
                with_break = _Plan(arrive_b, start_b, b)
        if with_break is not None and (plain is None or with_break.start <= plain.start):
            return with_break  # the break costs nothing here (or is needed): take it now
        return plain if plain is not None else with_break

    def _extra_travel(self, r: _RouteState, v: int) -> int:
        p = self.p
        loc, home = p.visit_loc[v], p.shift_end_loc[r.k]
        if r.n_visits == 0:
            return p.travel_between(r.loc, loc) + p.travel_between(loc, home)
        return (
            p.travel_between(r.loc, loc)
            + p.travel_between(loc, home)
            - p.travel_between(r.loc, home)
        )

    def _commit(self, r: _RouteState, v: int, plan: _Plan) -> None:
        p, k = self.p, r.k
        visit = p.visits[v]
        if plan.break_start is not None:
            brk = self.brk[k]
            assert brk is not None, "a plan took a break on a shift that has none"
            bdur = brk[2]
            r.stops.append(("break", None, plan.break_start, plan.break_start,
                            plan.break_start + bdur, 0))  # fmt: skip
            r.break_taken = True
        loc = p.visit_loc[v]
        drive = p.travel_between(r.loc, loc)
        end = plan.start + visit.duration_min
        r.stops.append(("visit", visit.visit_id, plan.arrive, plan.start, end, drive))
        r.loc, r.free, r.n_visits = loc, end, r.n_visits + 1
        self.placed_end[visit.visit_id] = max(self.placed_end.get(visit.visit_id, end), end)

    # --- the run ----------------------------------------------------------------------------

    def candidates(self, v: int) -> list[_RouteState]:
        p = self.p
        visit = p.visits[v]
        out = []
        for r in self.routes:
            shift = p.shifts[r.k]
            if not visit.skills <= shift.skills:
                continue
            if visit.pinned_clinician is not None and visit.pinned_clinician != shift.clinician_id:
                continue
            if shift.max_visits is not None and r.n_visits >= shift.max_visits:
                continue
            out.append(r)
        return out

    def _leave_out(self, v: int, reason: str, code: Reason) -> None:
        self.unassigned.append(Unassigned(self.p.visits[v].visit_id, reason, code))

    def place(self, v: int) -> None:
        p = self.p
        visit = p.visits[v]
        not_before = 0
        if visit.after_visit is not None:
            if visit.after_visit not in self.placed_end:
                self._leave_out(
                    v,
                    f"must follow visit {visit.after_visit}, which was not placed before it",
                    Reason.PRECEDING_UNPLACED,
                )
                return
            not_before = self.placed_end[visit.after_visit] + visit.min_gap_min
        if visit.pinned_clinician is not None and visit.pinned_clinician not in p.shift_index:
            self._leave_out(
                v, f"pinned to {visit.pinned_clinician}, who is not on shift", Reason.PIN_UNKNOWN
            )
            return
        cands = self.candidates(v)
        if len(cands) < visit.staff:
            self._leave_out(
                v,
                f"fewer than {visit.staff} clinician(s) on shift with skills "
                f"{format_skills(visit.skills) or 'any'} (and the pin, and under max_visits)",
                Reason.NO_QUALIFIED if not cands else Reason.NOT_ENOUGH_QUALIFIED,
            )
            return
        options = []
        for r in cands:
            plan = self.plan(r, v, not_before)
            if plan is not None:
                options.append((self._extra_travel(r, v), plan.start, r.k, r, plan))
        options.sort(key=lambda o: o[:3])
        if visit.staff == 1:
            if options:
                _, _, _, r, plan = options[0]
                self._commit(r, v, plan)
                return
        else:
            best = None
            for i, a in enumerate(options):
                if best is not None and a[0] + a[0] > best[0]:
                    break  # every later pair costs at least as much
                for b in options[i + 1 :]:
                    cost = a[0] + b[0]
                    if best is not None and cost >= best[0]:
                        break
                    t = max(a[1], b[1])
                    pa = self.plan(a[3], v, t)
                    pb = self.plan(b[3], v, t)
                    if pa is not None and pb is not None and pa.start == pb.start == t:
                        best = (cost, a[3], pa, b[3], pb)
            if best is not None:
                _, ra, pa, rb, pb = best
                self._commit(ra, v, pa)
                self._commit(rb, v, pb)
                return
        what = "two clinicians free at the same minute" if visit.staff == 2 else "a clinician"
        self._leave_out(
            v,
            f"no route of {len(cands)} qualified clinician(s) could take it at its end within "
            f"{visit.window.label()}: needs {what}",
            Reason.CAPACITY,
        )

    def finish(self) -> None:
        """Routes whose break is still untaken take it after their last visit."""
        for r in self.routes:
            brk = self.brk[r.k]
            if r.n_visits and not r.break_taken and brk is not None:
                b0, b1, bdur = brk
                b = max(r.free, b0)
                assert b <= b1, "a route was left unable to take its break"
                r.stops.append(("break", None, b, b, b + bdur, 0))
                r.break_taken = True

    def rota(self) -> Rota:
        p = self.p
        routes = []
        for r in self.routes:
            if not r.n_visits:
                continue
            stops = tuple(
                Stop(kind, vid, p.at(arrive), p.at(start), p.at(end), drive)
                for kind, vid, arrive, start, end, drive in r.stops
            )
            routes.append(Route(p.shifts[r.k].clinician_id, stops))
        return Rota(tuple(routes), tuple(self.unassigned))


def order(problem: Problem) -> list[int]:
    """Window start, then priority (1 first), then visit id."""
    return sorted(
        range(len(problem.visits)),
        key=lambda v: (
            problem.visits[v].window.start,
            problem.visits[v].priority,
            problem.visits[v].visit_id,
        ),
    )


def solve_greedy(problem: Problem) -> Rota:
    g = Greedy(problem)
    for v in order(problem):
        g.place(v)
    g.finish()
    return g.rota()

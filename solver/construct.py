"""A first rota built by cheapest insertion, aware of pairs, gaps, breaks and visit limits.

OR-Tools' own first-solution heuristics place almost nothing once double-handed visits and
minimum gaps are posted as cross-route constraints (measured: 0 of 848 visits), so the first
rota is built here; the search (``solver.lns`` by default) improves it, and the repair pass
after the search uses this construction again to insert what is missing. Insertion is
sequential: priority-1
visits first, tightest windows first, each at the position that adds least travel (plus a small
charge for breaking continuity of care).

Each route keeps, per element, the earliest and latest feasible start (``E``/``L``), so that
testing an insertion is O(1). A route's break is an element of its own, taken where the
clinician is (its place is the previous element's), which is always acceptable to the
checker. Linked tasks are *decoupled* as they are inserted:

- a double-handed visit is inserted into two different routes at one common start minute
  ``t`` and both halves' windows become ``[t, t]``;
- a follower ``b`` of visit ``a`` (``after_visit``) gets a cut ``c``: ``a`` must start by
  ``c`` and ``b`` no earlier than ``c + duration(a) + gap``.

After that every task has a plain window, and the routing search needs no cross-route time
constraints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from solver.instance import Instance
from solver.schedule import schedule_route

START, END, BREAK = -2, -3, -1


@dataclass
class RouteState:
    """A vehicle's elements in order, with earliest/latest start times and places."""

    vehicle: int
    el: list[int]
    loc: list[int]
    E: list[int]
    L: list[int]
    S: list[int] = field(default_factory=list)  # minutes on site, per element
    n_visits: int = 0
    frozen: bool = False  # no insertions: its break could not be placed in our model


@dataclass(frozen=True)
class Slot:
    """A feasible insertion of one task: route, position, start interval, added cost."""

    vehicle: int
    pos: int
    earliest: int
    latest: int
    cost: float


class Construction:
    """Builds routes for an ``Instance`` by insertion; windows in the instance may narrow."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.T = inst.travel
        self.routes: list[RouteState] = []
        for k, veh in enumerate(inst.vehicles):
            el = [START, BREAK, END] if veh.rest_break else [START, END]
            route = RouteState(k, el, [], [], [])
            self._recompute(route)
            self.routes.append(route)
        self.placed: set[int] = set()

    @classmethod
    def from_routes(
        cls, inst: Instance, routes: list[list[int]], *, drop_infeasible: bool = False
    ) -> Construction:
        """Continue from existing routes (e.g. after local search) to insert what is missing.

        The break goes into the first gap where the route stays feasible; a route where no
        gap works in this model (the search may have put the break in the middle of a
        drive) is kept as it is and receives no insertions."""
        builder = cls(inst)
        for k, seq in enumerate(routes):
            if not seq:
                continue
            route = builder.routes[k]
            if inst.vehicles[k].rest_break is None:
                candidates = [[START, *seq, END]]
            else:
                candidates = [[START, *seq[:g], BREAK, *seq[g:], END] for g in range(len(seq) + 1)]
            for el in candidates:
                route.el = el
                builder._recompute(route)
                if all(e <= late for e, late in zip(route.E, route.L, strict=True)):
                    break
            else:
                # No break gap works in this model, which times a break more strictly than
                # solver.schedule does; a route the schedule can still time is kept as it is
                # (frozen), and only a route nothing can time is dropped.
                if drop_infeasible and schedule_route(inst, k, list(seq)) is None:
                    route.el = [START, BREAK, END] if inst.vehicles[k].rest_break else [START, END]
                    builder._recompute(route)
                    continue
                route.el = [START, *seq, END]
                if inst.vehicles[k].rest_break is not None:
                    route.el = [START, BREAK, *seq, END]
                builder._recompute(route)
                route.frozen = True
            builder.placed.update(seq)
        return builder

    # -- element properties -------------------------------------------------------------
    def _window(self, route: RouteState, e: int) -> tuple[int, int, int]:
        """(earliest start, latest start, service) of element ``e`` of ``route``."""
        veh = self.inst.vehicles[route.vehicle]
        if e >= 0:
            return self.inst.lo[e], self.inst.hi[e], self.inst.task_svc[e]
        if e == BREAK:
            b = veh.rest_break
            assert b is not None
            return b.earliest, b.latest, b.duration
        return veh.start, veh.end, 0

    def _recompute(self, route: RouteState) -> None:
        veh = self.inst.vehicles[route.vehicle]
        T = self.T
        n = len(route.el)
        loc = [0] * n
        for i, e in enumerate(route.el):
            if e >= 0:
                loc[i] = self.inst.task_loc[e]
            elif e == START:
                loc[i] = veh.start_loc
            elif e == END:
                loc[i] = veh.end_loc
            else:
                loc[i] = loc[i - 1]
        E = [0] * n
        L = [0] * n
        svc = [0] * n
        lo_hi = [self._window(route, e) for e in route.el]
        E[0] = lo_hi[0][0]
        svc[0] = lo_hi[0][2]
        for i in range(1, n):
            lo, _, s = lo_hi[i]
            svc[i] = s
            E[i] = max(lo, E[i - 1] + svc[i - 1] + T[loc[i - 1]][loc[i]])
        L[n - 1] = lo_hi[n - 1][1]
        for i in range(n - 2, -1, -1):
            L[i] = min(lo_hi[i][1], L[i + 1] - svc[i] - T[loc[i]][loc[i + 1]])
        route.loc, route.E, route.L, route.S = loc, E, L, svc
        route.n_visits = sum(1 for e in route.el if e >= 0)

    # -- insertion ----------------------------------------------------------------------
    def slots(
        self, task: int, *, lo: int | None = None, vehicles: Iterable[int] | None = None
    ) -> list[Slot]:
        """Every feasible insertion of ``task`` (optionally starting no earlier than ``lo``,
        optionally only on ``vehicles``, which must be among the task's eligible ones).

        The hot loop of the construction (about half its time on a 1,000-visit day): each
        route's starts, latest starts and service minutes are read from lists kept by
        ``_recompute``, so one position costs a handful of additions."""
        inst, T = self.inst, self.T
        u_loc = inst.task_loc[task]
        u_lo = inst.lo[task] if lo is None else max(inst.lo[task], lo)
        u_hi = inst.hi[task]
        u_svc = inst.task_svc[task]
        out: list[Slot] = []
        for k in inst.task_vehicles[task] if vehicles is None else vehicles:
            route = self.routes[k]
            if route.frozen:
                continue
            veh = inst.vehicles[k]
            if veh.max_visits is not None and route.n_visits >= veh.max_visits:
                continue
            extra = inst.charge(task, k)
            el, loc, E, L, S = route.el, route.loc, route.E, route.L, route.S
            n = len(el)
            for p in range(1, n):
                prev = p - 1
                prev_end = E[prev] + S[prev]
                if prev_end > u_hi:
                    break
                Eu = max(u_lo, prev_end + T[loc[prev]][u_loc])
                if Eu > u_hi:
                    break
                if el[p] == BREAK:
                    j = p + 1
                    b = veh.rest_break
                    assert b is not None
                    LB = min(b.latest, L[j] - b.duration - T[u_loc][loc[j]])
                    if b.earliest > LB:
                        continue
                    Lu = min(u_hi, LB - u_svc)
                    nxt = loc[j]
                else:
                    Lu = min(u_hi, L[p] - u_svc - T[u_loc][loc[p]])
                    nxt = loc[p]
                if Eu > Lu:
                    continue
                detour = T[loc[prev]][u_loc] + T[u_loc][nxt] - T[loc[prev]][nxt]
                out.append(Slot(k, p, Eu, Lu, detour + extra))
        return out

    def _insert(self, task: int, slot: Slot) -> None:
        route = self.routes[slot.vehicle]
        route.el.insert(slot.pos, task)
        self._recompute(route)
        if route.E[slot.pos] > route.L[slot.pos]:  # pragma: no cover - guarded by slots()
            raise AssertionError("construction produced an infeasible insertion")
        self.placed.add(task)

    def _route_and_pos(self, task: int) -> tuple[RouteState, int]:
        for route in self.routes:
            if task in route.el:
                return route, route.el.index(task)
        raise KeyError(task)

    def _follow_bound(self, task: int) -> tuple[int | None, int | None, int]:
        """(predecessor task, the follower's earliest start, gap after the predecessor's
        start) for a follower task; (None, None, 0) for any other."""
        pred = self.inst.predecessor_task(task)
        if pred is None:
            return None, None, 0
        route, pos = self._route_and_pos(pred)
        visit = self.inst.problem.visits[self.inst.task_visit[task]]
        gap = self.inst.task_svc[pred] + visit.min_gap_min
        return pred, route.E[pos] + gap, gap

    def _cut(self, pred: int, gap: int, follower_latest: int) -> int:
        """Decouple ``pred`` and its follower: pred starts by c, follower at c + gap or later."""
        inst = self.inst
        route, pos = self._route_and_pos(pred)
        c = min(route.L[pos], follower_latest - gap)
        for t in inst.tasks_of_visit[inst.task_visit[pred]]:
            inst.hi[t] = min(inst.hi[t], c)
            self._recompute(self._route_and_pos(t)[0])
        return c + gap

    def place_single(self, task: int) -> bool:
        pred, lo, gap = self._follow_bound(task)
        options = self.slots(task, lo=lo)
        if not options:
            return False
        best = min(options, key=lambda s: (s.cost, s.earliest))
        if pred is not None:
            inst = self.inst
            saved = {t: inst.hi[t] for t in inst.tasks_of_visit[inst.task_visit[pred]]}
            saved_lo = inst.lo[task]
            inst.lo[task] = max(inst.lo[task], self._cut(pred, gap, best.latest))
            # The cut may tighten the route the chosen slot was in: choose again under it.
            options = self.slots(task)
            if not options:
                inst.lo[task] = saved_lo
                for t, hi in saved.items():
                    inst.hi[t] = hi
                    self._recompute(self._route_and_pos(t)[0])
                return False
            best = min(options, key=lambda s: (s.cost, s.earliest))
        self._insert(task, best)
        return True

    def place_pair(self, a: int, b: int) -> bool:
        pred, lo, gap = self._follow_bound(a)
        first = self.slots(a, lo=lo)
        second = self.slots(b, lo=lo)
        best: tuple[float, Slot, Slot, int] | None = None
        first.sort(key=lambda s: s.cost)
        second.sort(key=lambda s: s.cost)
        for s1 in first:
            if not second or (best is not None and s1.cost + second[0].cost >= best[0]):
                break
            for s2 in second:
                if best is not None and s1.cost + s2.cost >= best[0]:
                    break
                if s1.vehicle == s2.vehicle:
                    continue
                t = max(s1.earliest, s2.earliest)
                if t <= min(s1.latest, s2.latest):
                    best = (s1.cost + s2.cost, s1, s2, t)
                    break
        if best is None:
            return False
        _, s1, s2, t = best
        inst = self.inst
        if pred is not None:
            self._cut(pred, gap, t)
        for task in (a, b):
            inst.lo[task] = inst.hi[task] = t
        self._insert(a, s1)
        self._insert(b, s2)
        return True

    def run(self, order: list[int] | None = None) -> None:
        """Insert every visit once, predecessors before their followers."""
        inst = self.inst
        visits = order if order is not None else default_order(inst)
        waiting: dict[int, list[int]] = {}
        done: set[int] = {v for v in inst.tasks_of_visit if self.is_placed(v)}
        queue = list(reversed(visits))
        while queue:
            v = queue.pop()
            if v in done:
                continue
            visit = inst.problem.visits[v]
            if visit.after_visit is not None:
                a = inst.problem.visit_index[visit.after_visit]
                if a in inst.tasks_of_visit and a not in done:
                    waiting.setdefault(a, []).append(v)
                    continue
                if a not in inst.tasks_of_visit or not self.is_placed(a):
                    done.add(v)
                    continue
            tasks = inst.tasks_of_visit[v]
            if len(tasks) == 2:
                self.place_pair(tasks[0], tasks[1])
            else:
                self.place_single(tasks[0])
            done.add(v)
            queue.extend(reversed(waiting.pop(v, [])))

    def keep_continuity(self) -> int:
        """Move single visits to the patient's preferred clinician wherever that adds at most
        ``continuity_cost`` minutes of travel; returns how many moved.

        OR-Tools' soft same-vehicle constraint kept the preference for only a few per cent
        of visits on the sample day (measured), so the rule is applied here, explicitly.
        Linked visits (pairs, predecessors, followers) stay where they are.
        """
        inst, T = self.inst, self.T
        linked = inst.predecessors()
        moved = 0
        for route in self.routes:
            for task in [e for e in route.el if e >= 0]:
                want = inst.task_preferred[task]
                if want is None or want == route.vehicle or route.frozen:
                    continue
                if task in linked or inst.partner(task) is not None:
                    continue
                if inst.predecessor_task(task) is not None:
                    continue
                i = route.el.index(task)
                prev = route.loc[i - 1]
                j = i + 1 if route.el[i + 1] != BREAK else i + 2
                saving = (
                    T[prev][route.loc[i]] + T[route.loc[i]][route.loc[j]] - T[prev][route.loc[j]]
                )
                options = [s for s in self.slots(task) if s.vehicle == want]
                if not options:
                    continue
                best = min(options, key=lambda s: s.cost)
                if best.cost - saving > inst.continuity_cost:
                    continue
                route.el.pop(i)
                self._recompute(route)
                self._insert(task, best)
                moved += 1
        return moved

    def relocate_if_worth(self, threshold: int, *, max_passes: int = 3) -> int:
        """Move a single visit (to another clinician or another place in its route) only where
        that saves at least ``threshold`` minutes of travel; returns how many moves were made.

        This is the minimal-change improvement: a coordinator's published plan stays as it is
        unless a change is clearly worth the phone call. Linked visits (pairs, predecessors,
        followers) and frozen routes are left alone.
        """
        inst, T = self.inst, self.T
        linked = inst.predecessors()
        moves = 0
        for _ in range(max_passes):
            moved_this_pass = 0
            for route in self.routes:
                if route.frozen:
                    continue
                for task in [e for e in route.el if e >= 0]:
                    if task in linked or inst.partner(task) is not None:
                        continue
                    if inst.predecessor_task(task) is not None:
                        continue
                    i = route.el.index(task)
                    prev = route.loc[i - 1]
                    j = i + 1 if route.el[i + 1] != BREAK else i + 2
                    here = route.loc[i]
                    saving = T[prev][here] + T[here][route.loc[j]] - T[prev][route.loc[j]]
                    if saving < threshold:
                        continue
                    route.el.pop(i)
                    self._recompute(route)
                    options = self.slots(task)
                    best = min(options, key=lambda s: s.cost) if options else None
                    if best is None or saving - best.cost < threshold:
                        route.el.insert(i, task)
                        self._recompute(route)
                        continue
                    self._insert(task, best)
                    moved_this_pass += 1
            moves += moved_this_pass
            if not moved_this_pass:
                break
        return moves

    def insert_by_moving_one(self, tasks: list[int], *, window_slack: int = 60) -> int:
        """Place left-out single visits by moving one planned visit out of the way: remove a
        visit ``w`` whose start is near the window of ``u``, insert ``u``, then re-insert
        ``w`` anywhere it fits. Returns how many were placed.

        A coordinator adding an urgent dose to a full day makes exactly this kind of change;
        it keeps the rest of the plan as it was. Linked visits are neither moved nor placed.
        """
        inst = self.inst
        linked = inst.predecessors()
        movable = {t for t in range(inst.n_tasks) if t not in linked and not inst.linked(t)}
        placed = 0
        for u in tasks:
            if u in self.placed or u in linked or inst.linked(u):
                continue
            done = False
            for k in inst.task_vehicles[u]:
                route = self.routes[k]
                if route.frozen:
                    continue
                for w in [e for e in route.el if e >= 0 and e in movable]:
                    i = route.el.index(w)
                    if not (inst.lo[u] - window_slack <= route.E[i] <= inst.hi[u] + window_slack):
                        continue
                    if inst.task_priority[w] < inst.task_priority[u]:
                        continue  # never displace a more urgent visit
                    route.el.pop(i)
                    self._recompute(route)
                    self.placed.discard(w)
                    room = self.slots(u, vehicles=(k,))
                    if room:
                        self._insert(u, min(room, key=lambda s: s.cost))
                        back = self.slots(w)
                        if back:
                            self._insert(w, min(back, key=lambda s: s.cost))
                            done = True
                            break
                        self._remove(u)
                    route.el.insert(i, w)
                    self._recompute(route)
                    self.placed.add(w)
                if done:
                    break
            placed += done
        return placed

    def _remove(self, task: int) -> None:
        route, i = self._route_and_pos(task)
        route.el.pop(i)
        self._recompute(route)
        self.placed.discard(task)

    def is_placed(self, visit: int) -> bool:
        return all(t in self.placed for t in self.inst.tasks_of_visit[visit])

    def task_routes(self) -> list[list[int]]:
        """Per vehicle, its tasks in order (breaks left out)."""
        return [[e for e in r.el if e >= 0] for r in self.routes]


def order_key(inst: Instance, v: int) -> tuple[int, int, int, int]:
    """Priority first, then double-handed, then tightest window, then earliest."""
    t = inst.tasks_of_visit[v][0]
    return (
        inst.task_priority[t],
        -len(inst.tasks_of_visit[v]),
        inst.hi[t] - inst.lo[t],
        inst.lo[t],
    )


def default_order(inst: Instance) -> list[int]:
    return sorted(inst.tasks_of_visit, key=lambda v: order_key(inst, v))


def construct(inst: Instance) -> Construction:
    builder = Construction(inst)
    builder.run()
    return builder

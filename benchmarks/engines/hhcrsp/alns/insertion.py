"""Repair: where a patient goes back in, exactly costed, and the first solution.

Why a module of its own: this is where the search spends its time, and its rules are the
delicate part. Insertions are screened with two lower bounds (the inserted visit's own
lateness, then the lateness it pushes along its route) and only the most promising are
evaluated exactly by propagating the least schedule through the double-service links.
Positions are those next to a patient's 30 nearest neighbours, route ends and one empty route
per kind of vehicle; double-service patients are inserted as pairs (best positions of each
service, then pairs with synchronised starts). The first solution appends patients by window
opening to the route end(s) where they cost least, which needs no propagation.
"""

from __future__ import annotations

import math
import random

from benchmarks.engines.hhcrsp.alns.state import (
    EPS,
    State,
    Tables,
    full_schedule,
    propagate,
)
from benchmarks.engines.hhcrsp.instance import HhcrspInstance

#: (lower bound on the cost increase, vehicle, position, distance increase, earliest start)
Position = tuple[float, int, int, float, float]
#: (route-local bound, vehicle, position, distance increase, start, tardiness increase, worst)
Screened = tuple[float, int, int, float, float, float, float]
#: (task, vehicle, position, distance increase): one task of a chosen insertion
Placement = tuple[int, int, int, float]
#: (cost, placements) of the best insertion found
Choice = tuple[float, tuple[Placement, ...]]


class Repair:
    """Best insertions of patients into a ``State`` whose start times stay the least ones."""

    def __init__(self, inst: HhcrspInstance, tb: Tables, rng: random.Random) -> None:
        self.tb = tb
        self.rng = rng
        self.nv = inst.n_vehicles
        self.n_tasks = len(tb.tasks)
        patients = list(inst.patients)
        kinds: dict[bytes, int] = {}
        self.vehicle_kind = [
            kinds.setdefault(inst.qualified[v].tobytes() + inst.proc[:, v].tobytes(), v)
            for v in range(inst.n_vehicles)
        ]
        self.k_screen, self.k_pair, self.n_pairs = 30, 8, 20
        self.allowed_set = [frozenset(a) for a in tb.allowed]
        k_near = min(len(patients) - 1, 30)
        self.near: dict[int, list[int]] = {}
        for i in patients:
            others = [j for j in patients if j != i]
            others.sort(key=inst.dist[i].__getitem__)
            self.near[i] = others[:k_near]

    def try_insert(
        self, st: State, inserts: list[tuple[int, int, int]], commit: bool = False
    ) -> tuple[float, float] | None:
        """Tardiness increase and largest new tardiness of inserting ``(task, vehicle,
        position)`` items (distinct vehicles), or None on a deadlock; undone unless
        ``commit``."""
        routes, veh, start = st.routes, st.veh, st.start
        for t, v, k in inserts:
            routes[v].insert(k, t)
            veh[t] = v
        new: dict[int, float] = {}
        ok = propagate(self.tb, st, [(v, k) for _t, v, k in inserts], new)
        result: tuple[float, float] | None = None
        if ok:
            close = self.tb.close
            dt = worst = 0.0
            for t, s in new.items():
                c = close[t]
                late = s - c if s > c else 0.0
                old = start[t]
                if old > c:
                    late_old = old - c
                    dt += late - late_old
                else:
                    dt += late
                if late > worst:
                    worst = late
            result = (dt, worst)
            if commit:
                for t, s in new.items():
                    start[t] = s
                st.tard += dt
                if worst > st.max_tard:
                    st.max_tard = worst
                return result
        for t, v, k in reversed(inserts):
            routes[v].pop(k)
            veh[t] = -1
        return result

    def positions(self, st: State, t: int) -> list[Position]:
        """(lower bound on the cost increase, vehicle, position, distance increase, earliest
        start) of the positions of task ``t`` worth a look (partner ignored): next to one of
        the patient's nearest neighbours, first or last on a route, or alone on one empty
        route of each kind."""
        tb = self.tb
        dist, node, proc = tb.dist, tb.node, tb.proc
        start, routes, veh = st.start, st.routes, st.veh
        x = node[t]
        dx = dist[x]
        d0 = dist[0]
        open_t, close_t, worst = tb.open_[t], tb.close[t], st.max_tard
        allowed = self.allowed_set[t]
        of_patient = tb.of_patient
        spots = set()
        empty_seen = set()
        kinds = self.vehicle_kind
        for v in tb.allowed[t]:
            n = len(routes[v])
            if n:
                spots.add((v, 0))
                spots.add((v, n))
            elif kinds[v] not in empty_seen:
                empty_seen.add(kinds[v])
                spots.add((v, 0))
        for j in self.near[x]:
            for u in of_patient[j]:
                v = veh[u]
                if v in allowed:
                    k = routes[v].index(u)
                    spots.add((v, k))
                    spots.add((v, k + 1))
        out: list[Position] = []
        for v, k in spots:
            route = routes[v]
            if k > 0:
                u = route[k - 1]
                dh = dist[node[u]]
                free = start[u] + proc[u][v]
            else:
                dh, free = d0, 0.0
            nxt = node[route[k]] if k < len(route) else 0
            arrive = free + dh[x]
            if arrive < open_t:
                arrive = open_t
            dd = dh[x] + dx[nxt] - dh[nxt]
            late = arrive - close_t
            lb = dd + late + (late - worst if late > worst else 0.0) if late > 0 else dd
            out.append((lb, v, k, dd, arrive))
        return out

    def local(self, st: State, t: int, v: int, k: int, s: float) -> tuple[float, float]:
        """Tardiness increase and largest new tardiness on route ``v`` alone when task ``t``
        starts at ``s`` in position ``k`` (its own lateness included): a lower bound of the
        exact effect, which may also delay partners on other routes."""
        tb = self.tb
        dist, node, close, proc = tb.dist, tb.node, tb.close, tb.proc
        start = st.start
        route = st.routes[v]
        c = close[t]
        worst = s - c if s > c else 0.0
        dt = worst
        free = s + proc[t][v]
        here = dist[node[t]]
        for j in range(k, len(route)):
            u = route[j]
            nu = node[u]
            est = free + here[nu]
            old = start[u]
            if est <= old + EPS:
                break
            c = close[u]
            if est > c:
                late = est - c
                dt += late - (old - c if old > c else 0.0)
                if late > worst:
                    worst = late
            free = est + proc[u][v]
            here = dist[nu]
        return dt, worst

    def _screen(self, st: State, t: int, keep: int) -> list[Screened]:
        """The ``keep`` best positions of task ``t`` by the route-local bound:
        (bound, vehicle, position, distance increase, start, tardiness increase, worst)."""
        cands = self.positions(st, t)
        cands.sort()
        worst0 = st.max_tard
        out: list[Screened] = []
        for _lb, v, k, dd, s in cands[: self.k_screen]:
            dt, w = self.local(st, t, v, k, s)
            out.append((dd + dt + (w - worst0 if w > worst0 else 0.0), v, k, dd, s, dt, w))
        out.sort()
        return out[:keep]

    def best_single(self, st: State, t: int, noise: float) -> Choice | None:
        """The cheapest exactly evaluated position of single task ``t`` (costs perturbed
        by up to ``noise`` times themselves), or None if every candidate deadlocks."""
        best = math.inf
        arg: tuple[Placement, ...] | None = None
        rnd = self.rng.random
        worst0 = st.max_tard
        for lb, v, k, dd, *_rest in self._screen(st, t, self.k_screen):
            if lb >= best:
                break
            res = self.try_insert(st, [(t, v, k)])
            if res is None:
                continue
            dt, worst = res
            c = dd + dt + (worst - worst0 if worst > worst0 else 0.0)
            if noise:
                c *= 1.0 + noise * (2.0 * rnd() - 1.0)
            if c < best:
                best, arg = c, ((t, v, k, dd),)
        return (best, arg) if arg is not None else None

    def best_pair(self, st: State, a: int, b: int, noise: float) -> Choice | None:
        """Both services of a double-service patient: the best few positions of each alone,
        their pairs (different vehicles) bounded with synchronised starts, then the most
        promising pairs evaluated exactly."""
        ca = self._screen(st, a, self.k_pair)
        cb = self._screen(st, b, self.k_pair)
        lo, hi = self.tb.link[b], -self.tb.link[a]
        worst0 = st.max_tard
        local = self.local
        pairs = []
        for _la, va, ka, dda, arr_a, dta0, wa0 in ca:
            for _lb, vb, kb, ddb, arr_b, dtb0, wb0 in cb:
                if va == vb:
                    continue
                sa = arr_a
                sb = arr_b if arr_b > sa + lo else sa + lo
                if sb - sa > hi:
                    sa = sb - hi
                dta, wa = (dta0, wa0) if sa == arr_a else local(st, a, va, ka, sa)
                dtb, wb = (dtb0, wb0) if sb == arr_b else local(st, b, vb, kb, sb)
                w = wa if wa > wb else wb
                bound = dda + ddb + dta + dtb + (w - worst0 if w > worst0 else 0.0)
                pairs.append((bound, va, ka, dda, vb, kb, ddb))
        pairs.sort()
        best = math.inf
        arg: tuple[Placement, ...] | None = None
        rnd = self.rng.random
        for bound, va, ka, dda, vb, kb, ddb in pairs[: self.n_pairs]:
            if bound >= best:
                break
            res = self.try_insert(st, [(a, va, ka), (b, vb, kb)])
            if res is None:
                continue
            dt, worst = res
            c = dda + ddb + dt + (worst - worst0 if worst > worst0 else 0.0)
            if noise:
                c *= 1.0 + noise * (2.0 * rnd() - 1.0)
            if c < best:
                best, arg = c, ((a, va, ka, dda), (b, vb, kb, ddb))
        if arg is None:  # every candidate deadlocked: route ends always work
            for va in self.tb.allowed[a]:
                for vb in self.tb.allowed[b]:
                    if va == vb:
                        continue
                    items = [(a, va, len(st.routes[va])), (b, vb, len(st.routes[vb]))]
                    if self.try_insert(st, items) is not None:
                        return 0.0, tuple((t, v, k, self._dd(st, t, v, k)) for t, v, k in items)
            return None
        return best, arg

    def _dd(self, st: State, t: int, v: int, k: int) -> float:
        route, node, dist = st.routes[v], self.tb.node, self.tb.dist
        here = node[route[k - 1]] if k > 0 else 0
        nxt = node[route[k]] if k < len(route) else 0
        x = node[t]
        return dist[here][x] + dist[x][nxt] - dist[here][nxt]

    def insert_patient(self, st: State, i: int, noise: float) -> bool:
        """Patient ``i`` (one task or a pair) at its best place, committed; False if no
        place was found (the state is then unchanged)."""
        tasks = self.tb.of_patient[i]
        if len(tasks) == 1:
            found = self.best_single(st, tasks[0], noise)
        else:
            found = self.best_pair(st, tasks[0], tasks[1], noise)
        if found is None:
            return False
        items = found[1]
        res = self.try_insert(st, [(t, v, k) for t, v, k, _dd in items], commit=True)
        if res is None:
            return False
        st.dist += sum(dd for *_x, dd in items)
        return True

    def construct(self, order: list[int]) -> State:
        """Patients in ``order``, each appended to the end of the route(s) where it costs
        least (travel + tardiness): no downstream visit is delayed, so no propagation."""
        tb = self.tb
        dist, node, open_, close, proc, link = (
            tb.dist,
            tb.node,
            tb.open_,
            tb.close,
            tb.proc,
            tb.link,
        )
        st = State(self.nv, self.n_tasks)
        last = [0] * self.nv
        free = [0.0] * self.nv
        worst = 0.0

        def arrive(t: int, v: int) -> tuple[float, float]:
            d = dist[last[v]][node[t]]
            a = free[v] + d
            return (a if a > open_[t] else open_[t]), d

        for i in order:
            ts = tb.of_patient[i]
            best = math.inf
            arg: tuple[tuple[int, int, float], ...] | None = None
            if len(ts) == 1:
                t = ts[0]
                for v in tb.allowed[t]:
                    s, d = arrive(t, v)
                    late = max(0.0, s - close[t])
                    c = d + late + max(0.0, late - worst)
                    if c < best:
                        best, arg = c, ((t, v, s),)
            else:
                a, b = ts
                lo, hi = link[b], -link[a]
                opts_b = [(v, *arrive(b, v)) for v in tb.allowed[b]]
                for va in tb.allowed[a]:
                    sa0, da = arrive(a, va)
                    for vb, sb0, db in opts_b:
                        if va == vb:
                            continue
                        sa = sa0
                        sb = sb0 if sb0 > sa + lo else sa + lo
                        if sb - sa > hi:
                            sa = sb - hi
                        la, lb = max(0.0, sa - close[a]), max(0.0, sb - close[b])
                        c = da + db + la + lb + max(0.0, la - worst, lb - worst)
                        if c < best:
                            best, arg = c, ((a, va, sa), (b, vb, sb))
            assert arg is not None  # every patient has a qualified vehicle
            for t, v, s in arg:
                st.routes[v].append(t)
                st.veh[t] = v
                st.start[t] = s
                free[v] = s + proc[t][v]
                last[v] = node[t]
                worst = max(worst, s - close[t])
        full_schedule(self.tb, st)
        return st

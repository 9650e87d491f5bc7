"""Destroy: which patients the search takes out of the current solution, and taking them out.

Why a module of its own: the removal heuristics (random, worst, related by distance and start
time, whole routes, latest) are the search's diversification and are tuned apart from the
insertion; each returns patients to remove and ``remove`` unroutes them and reschedules.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from benchmarks.engines.hhcrsp.alns.state import State, Tables, full_schedule
from benchmarks.engines.hhcrsp.instance import HhcrspInstance

#: A removal heuristic: (state, how many patients) -> patients to remove.
Operator = Callable[[State, int], list[int]]


class Destroy:
    """The removal heuristics; they draw from the search's shared random generator."""

    def __init__(self, inst: HhcrspInstance, tb: Tables, rng: random.Random) -> None:
        self.tb = tb
        self.rng = rng
        self.nv = inst.n_vehicles
        self.patients = list(inst.patients)
        d = inst.dist[1:-1, 1:-1]
        self.dist_scale = float(d.max()) if d.size else 1.0
        self.time_scale = float(inst.latest[1:-1].max() - inst.earliest[1:-1].min()) or 1.0

    @property
    def operators(self) -> list[Operator]:
        """Every heuristic, in the order the adaptive weights are kept."""
        return [self.destroy_random, self.destroy_worst, self.destroy_related,
                self.destroy_route, self.destroy_late]  # fmt: skip

    def remove(self, st: State, patients: list[int]) -> None:
        """Unroute every task of ``patients`` and reschedule the rest from scratch."""
        for i in patients:
            for t in self.tb.of_patient[i]:
                v = st.veh[t]
                if v >= 0:
                    st.routes[v].remove(t)
                    st.veh[t] = -1
        full_schedule(self.tb, st)

    def _pick(self, ranked: list[int], power: float) -> int:
        """One of ``ranked``, biased towards its head (the more, the larger ``power``)."""
        return ranked[int(len(ranked) * self.rng.random() ** power)]

    def destroy_random(self, st: State, q: int) -> list[int]:
        """``q`` patients drawn uniformly."""
        return self.rng.sample(self.patients, q)

    def destroy_worst(self, st: State, q: int) -> list[int]:
        """Patients whose removal saves most travel and tardiness, with a random bias."""
        tb = self.tb
        dist, node, close, start = tb.dist, tb.node, tb.close, st.start
        gain = dict.fromkeys(self.patients, 0.0)
        for route in st.routes:
            for k, t in enumerate(route):
                here = node[route[k - 1]] if k > 0 else 0
                nxt = node[route[k + 1]] if k + 1 < len(route) else 0
                x = node[t]
                late = start[t] - close[t]
                gain[x] += dist[here][x] + dist[x][nxt] - dist[here][nxt] + max(0.0, late)
        ranked = sorted(self.patients, key=gain.__getitem__, reverse=True)
        out: list[int] = []
        while len(out) < q:
            i = self._pick(ranked, 3.0)
            ranked.remove(i)
            out.append(i)
        return out

    def destroy_related(self, st: State, q: int) -> list[int]:
        """A random patient and patients close to those chosen in distance and start time."""
        tb = self.tb
        dist, start = tb.dist, st.start
        first = {i: start[ts[0]] for i, ts in tb.of_patient.items()}
        ds, ts = self.dist_scale, self.time_scale
        out = [self.rng.choice(self.patients)]
        rest = [i for i in self.patients if i != out[0]]
        while len(out) < q:
            ref = self.rng.choice(out)
            dr, tr = dist[ref], first[ref]
            rest.sort(key=lambda j: dr[j] / ds + abs(first[j] - tr) / ts)
            i = self._pick(rest, 6.0)
            rest.remove(i)
            out.append(i)
        return out

    def destroy_route(self, st: State, q: int) -> list[int]:
        """Every patient of whole routes, in random order, until ``q`` are out."""
        node = self.tb.node
        order = [v for v in range(self.nv) if st.routes[v]]
        self.rng.shuffle(order)
        out: list[int] = []
        seen: set[int] = set()
        for v in order:
            for t in st.routes[v]:
                i = node[t]
                if i not in seen:
                    seen.add(i)
                    out.append(i)
            if len(out) >= q:
                break
        return out[: max(q, 1)]

    def destroy_late(self, st: State, q: int) -> list[int]:
        """The latest patients (largest tardiness of a service), with a random bias."""
        tb = self.tb
        late: dict[int, float] = {}
        for t, s in enumerate(st.start):
            i = tb.node[t]
            late[i] = max(late.get(i, 0.0), s - tb.close[t])
        ranked = sorted(self.patients, key=late.__getitem__, reverse=True)
        out: list[int] = []
        while len(out) < q:
            i = self._pick(ranked, 4.0)
            ranked.remove(i)
            out.append(i)
        return out

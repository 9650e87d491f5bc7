"""Home health care routing and scheduling (Mankowska, Meisel & Bierwirth 2014, "HHCRSP").

Patients have one time window (service may not start before it opens; starting after it closes
is allowed and costs tardiness), each needs one or two service types; vehicles (staff) are
qualified for some types; a double-service patient's two services are done by two different
vehicles, either simultaneously or with a min/max gap between the two starts (the service
with the lower index first). Travel time = distance; the depot is node 0 (and the last node).
The literature's objective is (total distance + total tardiness + maximum tardiness) / 3,
tardiness counted per service (Mankowska's z_is: both services of a double-service patient
count).

Pieces, and why they are built this way:

- ``read_instance``: the normalised text format of Kummer et al. (``p`` is one row per
  (node, vehicle), node-major; ``DS`` is 1-based), cross-checked on reading.
- ``score``: an independent checker in double precision of routes with start times. It was
  verified on published solutions: six BRKGA route files of Kummer et al. (GECCO 2020,
  instances A1, A6, A7, A8, E1, F1; A8, E1 and F1 with tardiness) rescheduled by
  ``earliest_schedule`` give exactly the cost, distance, tardiness and maximum tardiness they
  print (to their 6 significant digits), and the MIP of their repository states the same
  semantics (gap on start times, lower service index first, tardiness per service).
- ``earliest_schedule``: for fixed visit sequences the start times form a simple temporal
  network (route precedences, window openings and the double-service gaps are difference
  constraints); tardiness never decreases when a start is delayed, so the least solution is
  the optimal schedule of those sequences. Every solver reports that schedule.
- ``solve_alns`` (the default, ``solve``): an adaptive large neighbourhood search over the
  visit sequences whose every cost is exact, not estimated: insertions are screened with two
  lower bounds (the inserted visit's own lateness, then the lateness it pushes along its route)
  and only the most promising are evaluated by propagating the least schedule through the
  double-service links (a deadlock, i.e. a positive cycle, is detected when starts keep being
  raised). Insertion positions are those next to a patient's 30 nearest neighbours, route
  ends and one empty route per kind of vehicle; double-service patients are inserted as pairs
  (best positions of each service, then pairs with synchronised starts). The first solution
  appends patients by window opening to the route end(s) where they cost least, which needs no
  propagation. Removal: random, worst, related (distance and start time), whole routes, latest;
  simulated annealing acceptance; the search stops when the time is up or when no new best
  has been found for ``stall`` seconds (default 0.2 s per patient, at least 2 s and at most
  30 % of the time limit) and for half the time it took to find the last best.
- ``build_routing_model`` / ``solve_ortools``: the same problem as an OR-Tools routing model:
  one node per (patient, service); vehicle-dependent service time through per-vehicle transit
  matrices (``AddDimensionWithVehicleTransits``, time = travel + service at the origin, scaled
  by ``SCALE`` and rounded); skills as the domain of each node's vehicle variable
  (``SetAllowedVehiclesForIndex`` cannot be called from Python in OR-Tools 9.15); tardiness
  as soft upper bounds of the start cumuls; simultaneous / gap constraints and "different
  vehicles" posted on the cumul and vehicle variables with ``solver().Add``; the maximum
  tardiness as the global span of a zero-transit dimension whose cumul is at least each
  visit's tardiness. Measured (OR-Tools 9.15, one core): from its own first solution it fails
  on A1 (no first solution), is 12 % above the optimum on A4 and 124 % on B1 after 10 s
  (its local search moves one node at a time and the cross-route constraints reject most
  moves); started from a search solution it does improve it (e.g. E2 815.3 -> 806.5 in 10 s),
  but giving it the last quarter of a 20 s budget was worse than letting the search run (mean
  gap on C3, D2, E2, E5: -1.6 % against -3.1 %). So it is kept as an option (``polish``
  seconds at the end of ``solve``, or ``solve_ortools`` alone), off by default.

Measured with ``benchmarks/hhcrsp.py`` (60 s limit, one process, see benchmarks/RESULTS.md):
mean gap to the best published values A 0.01 %, B -0.01 %, C -0.93 %, D -2.39 %, E -2.94 %,
F -3.10 %, G -2.61 % (negative = better than published), every solution feasible.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

TOL = 1e-6
KEYS = (
    "nbNodes", "nbVehi", "nbServi", "r", "DS", "a", "x", "y", "d", "p", "mind", "maxd", "e", "l"
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class HhcrspInstance:
    """One instance; nodes 0 and ``n_nodes - 1`` are the depot, patients are 1..n_nodes-2.

    ``proc[i, v, s]`` is the processing time of service ``s`` at node ``i`` by vehicle ``v``;
    ``min_gap``/``max_gap`` bound ``start(second) - start(first)`` of a double-service patient,
    the first service being the one with the lower index (as in Mankowska's model).
    """

    name: str
    n_nodes: int
    n_vehicles: int
    n_services: int
    required: np.ndarray  # (n_nodes, n_services) bool
    double: tuple[int, ...]  # double-service patients, 0-based, ascending
    qualified: np.ndarray  # (n_vehicles, n_services) bool
    x: np.ndarray
    y: np.ndarray
    dist: np.ndarray  # (n_nodes, n_nodes), also the travel time
    proc: np.ndarray  # (n_nodes, n_vehicles, n_services)
    min_gap: np.ndarray
    max_gap: np.ndarray
    earliest: np.ndarray
    latest: np.ndarray
    _services: tuple[tuple[int, ...], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("required", "qualified", "x", "y", "dist", "proc", "min_gap", "max_gap",
                     "earliest", "latest"):  # fmt: skip
            getattr(self, name).setflags(write=False)
        services = tuple(tuple(int(s) for s in np.flatnonzero(row)) for row in self.required)
        object.__setattr__(self, "_services", services)

    @property
    def patients(self) -> range:
        return range(1, self.n_nodes - 1)

    def services(self, patient: int) -> tuple[int, ...]:
        """Service types the patient needs, ascending (the first is the earlier one)."""
        return self._services[patient]

    def is_double(self, patient: int) -> bool:
        return len(self._services[patient]) == 2

    def is_simultaneous(self, patient: int) -> bool:
        return self.is_double(patient) and self.max_gap[patient] <= TOL

    def tasks(self) -> list[tuple[int, int]]:
        """Every (patient, service) pair to be performed, in patient order."""
        return [(i, s) for i in self.patients for s in self._services[i]]


def read_instance(path: str | Path) -> HhcrspInstance:
    """The normalised text format of Kummer et al. (keys on their own line, values below).

    ``p`` holds one row per (node, vehicle) pair, node-major; ``DS`` lists the double-service
    nodes 1-based. Every cross-check that the format allows is made.
    """
    path = Path(path)
    blocks: dict[str, list[list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line:
            continue
        if line in KEYS:
            current = line
            if current in blocks:
                raise ValueError(f"{path}: key {current!r} twice")
            blocks[current] = []
        elif current is None:
            raise ValueError(f"{path}: values before the first key")
        else:
            blocks[current].append(line.split())
    missing = [k for k in KEYS if k not in blocks]
    if missing:
        raise ValueError(f"{path}: missing keys {missing}")

    def scalar(key: str) -> int:
        return int(blocks[key][0][0])

    def matrix(key: str, rows: int, cols: int) -> np.ndarray:
        a = np.array([[float(v) for v in row] for row in blocks[key]], dtype=float)
        if a.shape != (rows, cols):
            raise ValueError(f"{path}: {key} is {a.shape}, expected {(rows, cols)}")
        return a

    def vector(key: str, n: int) -> np.ndarray:
        return matrix(key, 1, n)[0]

    n, nv, ns = scalar("nbNodes"), scalar("nbVehi"), scalar("nbServi")
    required = matrix("r", n, ns).astype(bool)
    qualified = matrix("a", nv, ns).astype(bool)
    dist = matrix("d", n, n)
    proc = matrix("p", n * nv, ns).reshape(n, nv, ns)
    double = tuple(sorted(int(v) - 1 for row in blocks["DS"] for v in row))
    inst = HhcrspInstance(
        name=path.stem, n_nodes=n, n_vehicles=nv, n_services=ns, required=required,
        double=double, qualified=qualified, x=vector("x", n), y=vector("y", n), dist=dist,
        proc=proc, min_gap=vector("mind", n), max_gap=vector("maxd", n),
        earliest=vector("e", n), latest=vector("l", n),
    )  # fmt: skip
    counts = required.sum(axis=1)
    for i in inst.patients:
        want = 2 if i in double else 1
        if counts[i] != want:
            raise ValueError(f"{path}: patient {i} needs {counts[i]} services, expected {want}")
        if want == 2 and not 0 <= inst.min_gap[i] <= inst.max_gap[i]:
            raise ValueError(f"{path}: patient {i} has gap [{inst.min_gap[i]}, {inst.max_gap[i]}]")
        for s in inst.services(i):
            if not qualified[:, s].any():
                raise ValueError(f"{path}: nobody is qualified for service {s} of patient {i}")
        if want == 2:
            s1, s2 = inst.services(i)
            if not any(qualified[v, s1] and qualified[w, s2] for v in range(nv) for w in range(nv)
                       if v != w):  # fmt: skip
                raise ValueError(f"{path}: no two vehicles can serve patient {i}")
    if not np.allclose(dist[0], dist[n - 1]) or not np.allclose(dist[:, 0], dist[:, n - 1]):
        raise ValueError(f"{path}: nodes 0 and {n - 1} are not the same depot")
    return inst


class Visit(NamedTuple):
    patient: int
    service: int
    start: float


Routes = list[list[Visit]]


@dataclass(frozen=True)
class Score:
    distance: float
    total_tardiness: float
    max_tardiness: float
    errors: tuple[str, ...]

    @property
    def objective(self) -> float:
        """The literature's objective: (distance + total tardiness + maximum tardiness) / 3."""
        return (self.distance + self.total_tardiness + self.max_tardiness) / 3

    @property
    def feasible(self) -> bool:
        return not self.errors


def score(inst: HhcrspInstance, routes: Routes) -> Score:
    """Independent check and score in double precision of routes with start times.

    Checked: one route per vehicle at most, each required (patient, service) exactly once and
    nothing else, qualification, travel and processing times between consecutive visits
    (vehicles leave the depot at time 0 or later), no start before the window opens, the two
    services of a double-service patient on different vehicles and synchronised (same start)
    or within their [min, max] gap. Tardiness is counted per service, so both services of a
    double-service patient count (Mankowska's z_is), and the maximum is over services too.
    """
    errors: list[str] = []
    if len(routes) > inst.n_vehicles:
        errors.append(f"{len(routes)} routes for {inst.n_vehicles} vehicles")
    seen: dict[tuple[int, int], tuple[int, float]] = {}
    distance = total = worst = 0.0
    for v, route in enumerate(routes):
        here, free = 0, 0.0
        for visit in route:
            i, s, t = visit.patient, visit.service, float(visit.start)
            if i not in inst.patients or not 0 <= s < inst.n_services or not inst.required[i, s]:
                errors.append(f"vehicle {v}: ({i}, {s}) is not a required service")
                continue
            if (i, s) in seen:
                errors.append(f"({i}, {s}) performed twice")
            seen[(i, s)] = (v, t)
            if v < inst.n_vehicles and not inst.qualified[v, s]:
                errors.append(f"vehicle {v} is not qualified for service {s} (patient {i})")
            if not math.isfinite(t):
                errors.append(f"({i}, {s}) has start {t}")
                continue
            arrive = free + inst.dist[here, i]
            if t < arrive - TOL:
                errors.append(f"vehicle {v}: ({i}, {s}) starts at {t:.4f}, arrival {arrive:.4f}")
            if t < inst.earliest[i] - TOL:
                errors.append(f"({i}, {s}) starts at {t:.4f}, before {inst.earliest[i]:g}")
            late = max(0.0, t - inst.latest[i])
            total += late
            worst = max(worst, late)
            distance += inst.dist[here, i]
            free = t + inst.proc[i, min(v, inst.n_vehicles - 1), s]
            here = i
        distance += inst.dist[here, 0]
    for i, s in inst.tasks():
        if (i, s) not in seen:
            errors.append(f"({i}, {s}) not performed")
    for i in inst.double:
        s1, s2 = inst.services(i)
        if (i, s1) not in seen or (i, s2) not in seen:
            continue
        (v1, t1), (v2, t2) = seen[(i, s1)], seen[(i, s2)]
        if v1 == v2:
            errors.append(f"patient {i}: both services on vehicle {v1}")
        gap = t2 - t1
        lo, hi = inst.min_gap[i], inst.max_gap[i]
        if not lo - TOL <= gap <= hi + TOL:
            errors.append(f"patient {i}: gap {gap:.4f} outside [{lo:g}, {hi:g}]")
    return Score(distance, total, worst, tuple(errors))


def earliest_schedule(
    inst: HhcrspInstance, sequences: list[list[tuple[int, int]]]
) -> Routes | None:
    """The least start times of fixed visit sequences (None if the sequences deadlock).

    Start times are a simple temporal network: route precedences, window openings and the
    double-service gaps are difference constraints, so the earliest schedule is their least
    solution (label correcting); tardiness is non-decreasing in every start time, so no other
    schedule of the same sequences costs less. A deadlock is a positive cycle.
    """
    where: dict[tuple[int, int], tuple[int, int]] = {}
    for v, seq in enumerate(sequences):
        for k, task in enumerate(seq):
            where[task] = (v, k)
    start = [[0.0] * len(seq) for seq in sequences]
    links = []
    for i in inst.double:
        s1, s2 = inst.services(i)
        if (i, s1) in where and (i, s2) in where:
            links.append((where[(i, s1)], where[(i, s2)], inst.min_gap[i], inst.max_gap[i]))
    n_tasks = sum(len(seq) for seq in sequences)
    for _ in range(n_tasks + 2):
        for v, seq in enumerate(sequences):
            here, free, times = 0, 0.0, start[v]
            for k, (i, s) in enumerate(seq):
                t = max(times[k], free + inst.dist[here, i], inst.earliest[i])
                times[k] = t
                free = t + inst.proc[i, v, s]
                here = i
        changed = False
        for (v1, k1), (v2, k2), lo, hi in links:
            t1, t2 = start[v1][k1], start[v2][k2]
            if t2 < t1 + lo - 1e-9:
                start[v2][k2] = t1 + lo
                changed = True
            elif t1 < t2 - hi - 1e-9:
                start[v1][k1] = t2 - hi
                changed = True
        if not changed:
            return [
                [Visit(i, s, t) for (i, s), t in zip(seq, start[v], strict=True)]
                for v, seq in enumerate(sequences)
            ]
    return None


# --------------------------------------------------------------------------------------------
# Adaptive large neighbourhood search
# --------------------------------------------------------------------------------------------

EPS = 1e-9
Q_FRAC = 0.4
T_START = 0.04
NEG = float("-inf")


@dataclass
class _Tables:
    """Flat per-task tables (plain lists: the search's inner loops index them)."""

    tasks: list[tuple[int, int]]
    node: list[int]
    open_: list[float]
    close: list[float]
    proc: list[list[float]]  # [task][vehicle]
    partner: list[int]
    link: list[float]  # start[t] >= start[partner[t]] + link[t]
    allowed: list[list[int]]
    of_patient: dict[int, list[int]]
    dist: list[list[float]]


def _tables(inst: HhcrspInstance) -> _Tables:
    tasks = inst.tasks()
    index = {task: k for k, task in enumerate(tasks)}
    partner = [-1] * len(tasks)
    link = [0.0] * len(tasks)
    of_patient: dict[int, list[int]] = {}
    for k, (i, _s) in enumerate(tasks):
        of_patient.setdefault(i, []).append(k)
    for i in inst.double:
        s1, s2 = inst.services(i)
        a, b = index[(i, s1)], index[(i, s2)]
        partner[a], partner[b] = b, a
        link[b] = float(inst.min_gap[i])
        link[a] = -float(inst.max_gap[i])
    return _Tables(
        tasks=tasks,
        node=[i for i, _ in tasks],
        open_=[float(inst.earliest[i]) for i, _ in tasks],
        close=[float(inst.latest[i]) for i, _ in tasks],
        proc=[[float(inst.proc[i, v, s]) for v in range(inst.n_vehicles)] for i, s in tasks],
        partner=partner,
        link=link,
        allowed=[[v for v in range(inst.n_vehicles) if inst.qualified[v, s]] for _, s in tasks],
        of_patient=of_patient,
        dist=inst.dist.tolist(),
    )


class _State:
    """Routes of task ids, the vehicle of each task (-1: unrouted) and least start times."""

    __slots__ = ("dist", "max_tard", "routes", "start", "tard", "veh")

    def __init__(self, n_vehicles: int, n_tasks: int) -> None:
        self.routes: list[list[int]] = [[] for _ in range(n_vehicles)]
        self.veh = [-1] * n_tasks
        self.start = [NEG] * n_tasks
        self.dist = self.tard = self.max_tard = 0.0

    def copy(self) -> _State:
        other = _State.__new__(_State)
        other.routes = [r[:] for r in self.routes]
        other.veh = self.veh[:]
        other.start = self.start[:]
        other.dist, other.tard, other.max_tard = self.dist, self.tard, self.max_tard
        return other

    @property
    def cost(self) -> float:
        return self.dist + self.tard + self.max_tard


class _Alns:
    """Destroy-and-repair search over visit sequences with exact least-schedule costs."""

    def __init__(self, inst: HhcrspInstance, rng: random.Random) -> None:
        self.inst = inst
        self.tb = _tables(inst)
        self.rng = rng
        self.nv = inst.n_vehicles
        self.n_tasks = len(self.tb.tasks)
        self.patients = list(inst.patients)
        d = inst.dist[1:-1, 1:-1]
        self.dist_scale = float(d.max()) if d.size else 1.0
        self.time_scale = float(inst.latest[1:-1].max() - inst.earliest[1:-1].min()) or 1.0
        kinds: dict[bytes, int] = {}
        self.vehicle_kind = [
            kinds.setdefault(inst.qualified[v].tobytes() + inst.proc[:, v].tobytes(), v)
            for v in range(inst.n_vehicles)
        ]
        self.k_screen, self.k_pair, self.n_pairs = 30, 8, 20
        self.allowed_set = [frozenset(a) for a in self.tb.allowed]
        k_near = min(len(self.patients) - 1, 30)
        self.near: dict[int, list[int]] = {}
        for i in self.patients:
            others = [j for j in self.patients if j != i]
            others.sort(key=lambda j, row=inst.dist[i]: row[j])
            self.near[i] = others[:k_near]

    # -- schedule ---------------------------------------------------------------------------

    def propagate(self, st: _State, seeds: list[tuple[int, int]], new: dict[int, float]) -> bool:
        """Raise start times (into ``new``) from route positions ``seeds`` until every route
        precedence, window opening and double-service gap holds; False on a deadlock."""
        routes, veh, start = st.routes, st.veh, st.start
        tb = self.tb
        dist, node, open_, proc, partner, link = (
            tb.dist,
            tb.node,
            tb.open_,
            tb.proc,
            tb.partner,
            tb.link,
        )
        steps = 0
        get = new.get
        while seeds:
            limit = 30 * len(new) + 60
            v, k = seeds.pop()
            route = routes[v]
            if k > 0:
                prev = route[k - 1]
                free = get(prev, start[prev]) + proc[prev][v]
                here = node[prev]
            else:
                free, here = 0.0, 0
            for j in range(k, len(route)):
                t = route[j]
                nt = node[t]
                est = free + dist[here][nt]
                if est < open_[t]:
                    est = open_[t]
                u = partner[t]
                linked = u >= 0 and veh[u] >= 0
                if linked:
                    x = get(u, start[u]) + link[t]
                    if x > est:
                        est = x
                if est <= get(t, start[t]) + EPS:
                    break
                new[t] = est
                steps += 1
                if steps > limit or est > 1e7:
                    return False  # a positive cycle raises the same few starts again and again
                if linked and get(u, start[u]) < est + link[u] - EPS:
                    vu = veh[u]
                    seeds.append((vu, routes[vu].index(u)))
                free = est + proc[t][v]
                here = nt
        return True

    def full_schedule(self, st: _State) -> bool:
        """Least start times from scratch, and the three cost terms."""
        start = st.start
        for t in range(self.n_tasks):
            start[t] = NEG
        new: dict[int, float] = {}
        if not self.propagate(st, [(v, 0) for v, r in enumerate(st.routes) if r], new):
            return False
        for t, s in new.items():
            start[t] = s
        dist, node, close = self.tb.dist, self.tb.node, self.tb.close
        total_d = total_t = worst = 0.0
        for route in st.routes:
            here = 0
            for t in route:
                n = node[t]
                total_d += dist[here][n]
                here = n
                late = start[t] - close[t]
                if late > 0:
                    total_t += late
                    if late > worst:
                        worst = late
            total_d += dist[here][0]
        st.dist, st.tard, st.max_tard = total_d, total_t, worst
        return True

    # -- insertion --------------------------------------------------------------------------

    def _try(
        self, st: _State, inserts: list[tuple[int, int, int]], commit: bool = False
    ) -> tuple[float, float] | None:
        """Tardiness increase and largest new tardiness of inserting ``(task, vehicle,
        position)`` items (distinct vehicles), or None on a deadlock; undone unless
        ``commit``."""
        routes, veh, start = st.routes, st.veh, st.start
        for t, v, k in inserts:
            routes[v].insert(k, t)
            veh[t] = v
        new: dict[int, float] = {}
        ok = self.propagate(st, [(v, k) for _t, v, k in inserts], new)
        result = None
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
        if ok and commit:
            for t, s in new.items():
                start[t] = s
            st.tard += result[0]
            if result[1] > st.max_tard:
                st.max_tard = result[1]
            return result
        for t, v, k in reversed(inserts):
            routes[v].pop(k)
            veh[t] = -1
        return result

    def positions(self, st: _State, t: int) -> list[tuple[float, int, int, float, float]]:
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
        out = []
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

    def local(self, st: _State, t: int, v: int, k: int, s: float) -> tuple[float, float]:
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

    def _screen(self, st: _State, t: int, keep: int) -> list[tuple]:
        """The ``keep`` best positions of task ``t`` by the route-local bound:
        (bound, vehicle, position, distance increase, start, tardiness increase, worst)."""
        cands = self.positions(st, t)
        cands.sort()
        worst0 = st.max_tard
        out = []
        for _lb, v, k, dd, s in cands[: self.k_screen]:
            dt, w = self.local(st, t, v, k, s)
            out.append((dd + dt + (w - worst0 if w > worst0 else 0.0), v, k, dd, s, dt, w))
        out.sort()
        return out[:keep]

    def best_single(self, st: _State, t: int, noise: float) -> tuple[float, tuple] | None:
        best, arg = math.inf, None
        rnd = self.rng.random
        worst0 = st.max_tard
        for lb, v, k, dd, *_rest in self._screen(st, t, self.k_screen):
            if lb >= best:
                break
            res = self._try(st, [(t, v, k)])
            if res is None:
                continue
            dt, worst = res
            c = dd + dt + (worst - worst0 if worst > worst0 else 0.0)
            if noise:
                c *= 1.0 + noise * (2.0 * rnd() - 1.0)
            if c < best:
                best, arg = c, ((t, v, k, dd),)
        return (best, arg) if arg is not None else None

    def best_pair(self, st: _State, a: int, b: int, noise: float) -> tuple[float, tuple] | None:
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
        best, arg = math.inf, None
        rnd = self.rng.random
        for bound, va, ka, dda, vb, kb, ddb in pairs[: self.n_pairs]:
            if bound >= best:
                break
            res = self._try(st, [(a, va, ka), (b, vb, kb)])
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
                    if self._try(st, items) is not None:
                        return 0.0, tuple((t, v, k, self._dd(st, t, v, k)) for t, v, k in items)
            return None
        return best, arg

    def _dd(self, st: _State, t: int, v: int, k: int) -> float:
        route, node, dist = st.routes[v], self.tb.node, self.tb.dist
        here = node[route[k - 1]] if k > 0 else 0
        nxt = node[route[k]] if k < len(route) else 0
        x = node[t]
        return dist[here][x] + dist[x][nxt] - dist[here][nxt]

    def insert_patient(self, st: _State, i: int, noise: float) -> bool:
        tasks = self.tb.of_patient[i]
        if len(tasks) == 1:
            found = self.best_single(st, tasks[0], noise)
        else:
            found = self.best_pair(st, tasks[0], tasks[1], noise)
        if found is None:
            return False
        items = found[1]
        res = self._try(st, [(t, v, k) for t, v, k, _dd in items], commit=True)
        if res is None:
            return False
        st.dist += sum(dd for *_x, dd in items)
        return True

    def construct(self, order: list[int]) -> _State:
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
        st = _State(self.nv, self.n_tasks)
        last = [0] * self.nv
        free = [0.0] * self.nv
        worst = 0.0

        def arrive(t: int, v: int) -> tuple[float, float]:
            d = dist[last[v]][node[t]]
            a = free[v] + d
            return (a if a > open_[t] else open_[t]), d

        for i in order:
            ts = tb.of_patient[i]
            best, arg = math.inf, None
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
            for t, v, s in arg:
                st.routes[v].append(t)
                st.veh[t] = v
                st.start[t] = s
                free[v] = s + proc[t][v]
                last[v] = node[t]
                worst = max(worst, s - close[t])
        self.full_schedule(st)
        return st

    # -- destroy ----------------------------------------------------------------------------

    def remove(self, st: _State, patients: list[int]) -> None:
        for i in patients:
            for t in self.tb.of_patient[i]:
                v = st.veh[t]
                if v >= 0:
                    st.routes[v].remove(t)
                    st.veh[t] = -1
        self.full_schedule(st)

    def _pick(self, ranked: list[int], power: float) -> int:
        return ranked[int(len(ranked) * self.rng.random() ** power)]

    def destroy_random(self, st: _State, q: int) -> list[int]:
        return self.rng.sample(self.patients, q)

    def destroy_worst(self, st: _State, q: int) -> list[int]:
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

    def destroy_related(self, st: _State, q: int) -> list[int]:
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

    def destroy_route(self, st: _State, q: int) -> list[int]:
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

    def destroy_late(self, st: _State, q: int) -> list[int]:
        tb = self.tb
        late = {}
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


@dataclass(frozen=True)
class SolveResult:
    routes: Routes
    score: Score
    seconds: float
    iterations: int
    method: str
    history: tuple[tuple[float, float], ...] = ()  # (seconds, objective) at each new best


def _to_routes(alns: _Alns, st: _State) -> Routes:
    tasks = alns.tb.tasks
    return [[Visit(*tasks[t], st.start[t]) for t in route] for route in st.routes]


def solve_alns(
    inst: HhcrspInstance,
    time_limit: float = 60.0,
    *,
    seed: int = 0,
    stall: float | None = None,
    log: bool = False,
) -> SolveResult:
    t0 = time.monotonic()
    rng = random.Random(seed)
    S = _Alns(inst, rng)
    n = len(S.patients)
    cur = S.construct(sorted(S.patients, key=lambda i: (inst.earliest[i], inst.latest[i])))
    best = cur.copy()
    history = [(time.monotonic() - t0, best.cost / 3)]
    destroys = [S.destroy_random, S.destroy_worst, S.destroy_related, S.destroy_route,
                S.destroy_late]  # fmt: skip
    weights = [1.0] * len(destroys)
    scores = [0.0] * len(destroys)
    uses = [0] * len(destroys)
    q_min = max(1, min(4, n // 5))
    q_max = max(q_min, min(40, int(Q_FRAC * n)))
    t_start = T_START * cur.cost
    t_end = 0.0005 * cur.cost
    if stall is None:
        stall = max(2.0, min(0.3 * time_limit, 0.2 * n))
    it = 0
    last_best = time.monotonic()
    while True:
        now = time.monotonic()
        elapsed = now - t0
        if elapsed >= time_limit or now - last_best > max(stall, 0.5 * (last_best - t0)):
            break
        frac = elapsed / time_limit
        temp = t_start * (t_end / t_start) ** frac
        it += 1
        k = rng.choices(range(len(destroys)), weights)[0]
        q = rng.randint(q_min, q_max)
        cand = cur.copy()
        removed = destroys[k](cand, q)
        S.remove(cand, removed)
        mode = rng.random()
        if mode < 0.4:
            rng.shuffle(removed)
        elif mode < 0.7:
            removed.sort(key=lambda i: inst.earliest[i])
        else:
            removed.sort(key=lambda i: (-len(inst.services(i)), rng.random()))
        noise = 0.0 if rng.random() < 0.5 else 0.1
        if not all(S.insert_patient(cand, i, noise) for i in removed):
            continue
        S.full_schedule(cand)
        uses[k] += 1
        delta = cand.cost - cur.cost
        if cand.cost < best.cost - 1e-7:
            best = cand.copy()
            cur = cand
            scores[k] += 33
            last_best = time.monotonic()
            history.append((last_best - t0, best.cost / 3))
            if log:
                print(f"{last_best - t0:7.2f}s it {it} best {best.cost / 3:.2f}", flush=True)
        elif delta < -1e-7:
            cur = cand
            scores[k] += 9
        elif rng.random() < math.exp(-max(delta, 0.0) / temp):
            cur = cand
            scores[k] += 3 if delta > 1e-7 else 0
        if it % 50 == 0:
            for j in range(len(destroys)):
                if uses[j]:
                    weights[j] = 0.8 * weights[j] + 0.2 * max(0.05, scores[j] / uses[j])
                scores[j], uses[j] = 0.0, 0
    routes = _to_routes(S, best)
    return SolveResult(
        routes, score(inst, routes), time.monotonic() - t0, it, "alns", tuple(history)
    )


# --------------------------------------------------------------------------------------------
# OR-Tools routing model
# --------------------------------------------------------------------------------------------

SCALE = 100


@dataclass
class RoutingHhcrsp:
    """The OR-Tools model of an instance: one routing node per (patient, service)."""

    inst: HhcrspInstance
    tasks: list[tuple[int, int]]
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    index: dict[tuple[int, int], int]


def build_routing_model(inst: HhcrspInstance, *, max_tardiness: bool = True) -> RoutingHhcrsp:
    """Travel cost and a time dimension scaled by ``SCALE`` (rounded to the nearest unit);
    the cumul of a node is the service start. See the module docstring for each choice."""
    tasks = inst.tasks()
    node = [0] + [i for i, _s in tasks]
    n = len(node)
    nv = inst.n_vehicles
    d = np.rint(inst.dist[np.ix_(node, node)] * SCALE).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(n, nv, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(d.tolist()))
    callbacks: dict[bytes, int] = {}
    per_vehicle = []
    for v in range(nv):
        p = np.array([0.0] + [inst.proc[i, v, s] for i, s in tasks])
        key = p.tobytes()
        if key not in callbacks:
            transit = d + np.rint(p * SCALE).astype(np.int64)[:, None]
            callbacks[key] = routing.RegisterTransitMatrix(transit.tolist())
        per_vehicle.append(callbacks[key])
    horizon = int(SCALE * (inst.latest.max() + inst.proc.max() * len(tasks) + inst.dist.max() * n))
    routing.AddDimensionWithVehicleTransits(per_vehicle, horizon, horizon, True, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    solver = routing.solver()
    index: dict[tuple[int, int], int] = {}
    for k, (i, s) in enumerate(tasks):
        idx = manager.NodeToIndex(k + 1)
        index[(i, s)] = idx
        time_dim.CumulVar(idx).SetRange(math.ceil(inst.earliest[i] * SCALE - 1e-9), horizon)
        time_dim.SetCumulVarSoftUpperBound(idx, round(inst.latest[i] * SCALE), 1)
        # SetAllowedVehiclesForIndex is not callable from Python in OR-Tools 9.15.
        routing.VehicleVar(idx).SetValues([v for v in range(nv) if inst.qualified[v, s]])
    for i in inst.double:
        s1, s2 = inst.services(i)
        a, b = index[(i, s1)], index[(i, s2)]
        ta, tb = time_dim.CumulVar(a), time_dim.CumulVar(b)
        lo, hi = round(inst.min_gap[i] * SCALE), round(inst.max_gap[i] * SCALE)
        if hi == 0:
            solver.Add(ta == tb)
        else:
            solver.Add(tb - ta >= lo)
            solver.Add(tb - ta <= hi)
        solver.Add(routing.VehicleVar(a) != routing.VehicleVar(b))
    if max_tardiness:
        # Maximum tardiness as a global span: a zero-transit dimension whose cumul never
        # decreases along a route and is at least each visit's tardiness, so the largest route
        # end cumul (the global span, start cumuls being 0) is the maximum tardiness.
        zero = routing.RegisterUnaryTransitVector([0] * n)
        routing.AddDimension(zero, horizon, horizon, True, "Late")
        late = routing.GetDimensionOrDie("Late")
        for (i, _s), idx in index.items():
            solver.Add(late.CumulVar(idx) >= time_dim.CumulVar(idx) - round(inst.latest[i] * SCALE))
        late.SetGlobalSpanCostCoefficient(1)
    for v in range(nv):
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
    return RoutingHhcrsp(inst, tasks, manager, routing, time_dim, index)


def solve_ortools(
    inst: HhcrspInstance,
    time_limit: float = 60.0,
    *,
    initial: Routes | None = None,
    max_tardiness: bool = True,
    log: bool = False,
) -> SolveResult | None:
    """OR-Tools alone (parallel cheapest insertion, then guided local search), or from
    ``initial`` routes. Start times are recomputed as the least schedule of the routes."""
    t0 = time.monotonic()
    model = build_routing_model(inst, max_tardiness=max_tardiness)
    routing, manager = model.routing, model.manager
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    remaining = max(0.1, time_limit - (time.monotonic() - t0))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    params.log_search = log
    if initial is None:
        solution = routing.SolveWithParameters(params)
    else:
        routing.CloseModelWithParameters(params)
        given = [[manager.IndexToNode(model.index[(x.patient, x.service)]) for x in r]
                 for r in initial]  # fmt: skip
        assignment = routing.ReadAssignmentFromRoutes(given, True)
        if assignment is None:
            return None
        solution = routing.SolveFromAssignmentWithParameters(assignment, params)
    if solution is None:
        return None
    sequences = []
    for v in range(inst.n_vehicles):
        idx = solution.Value(routing.NextVar(routing.Start(v)))
        seq = []
        while not routing.IsEnd(idx):
            seq.append(model.tasks[manager.IndexToNode(idx) - 1])
            idx = solution.Value(routing.NextVar(idx))
        sequences.append(seq)
    routes = earliest_schedule(inst, sequences)
    if routes is None:
        return None
    return SolveResult(routes, score(inst, routes), time.monotonic() - t0, 0, "ortools")


def solve(
    inst: HhcrspInstance,
    time_limit: float = 60.0,
    *,
    seed: int = 0,
    stall: float | None = None,
    polish: float = 0.0,
    log: bool = False,
) -> SolveResult:
    """The search, then optionally ``polish`` seconds of OR-Tools from its best solution
    (kept only if the independent score improves); ``seconds`` is the total wall time."""
    t0 = time.monotonic()
    result = solve_alns(inst, max(0.1, time_limit - polish), seed=seed, stall=stall, log=log)
    if polish > 0:
        left = min(polish, time_limit - (time.monotonic() - t0))
        if left > 0.5:
            other = solve_ortools(inst, left, initial=result.routes)
            if (
                other is not None
                and other.score.feasible
                and other.score.objective < result.score.objective - 1e-9
            ):
                result = SolveResult(
                    other.routes, other.score, 0.0, result.iterations, "alns+ortools",
                    result.history,
                )  # fmt: skip
    return SolveResult(
        result.routes, result.score, time.monotonic() - t0, result.iterations, result.method,
        result.history,
    )  # fmt: skip


def write_solution(path: str | Path, inst: HhcrspInstance, result: SolveResult) -> None:
    """One line per visit: ``vehicle patient service start`` (0-based, as in the instance
    file), in route order, after a header with the scores."""
    sc = result.score
    lines = [
        f"# instance {inst.name}",
        f"# objective {sc.objective:.4f} distance {sc.distance:.4f} "
        f"total_tardiness {sc.total_tardiness:.4f} max_tardiness {sc.max_tardiness:.4f} "
        f"seconds {result.seconds:.1f} feasible {'yes' if sc.feasible else 'no'}",
        "# vehicle patient service start",
    ]
    for v, route in enumerate(result.routes):
        lines += [f"{v} {x.patient} {x.service} {x.start:.6f}" for x in route]
    Path(path).write_text("\n".join(lines) + "\n")


def read_solution(path: str | Path, n_vehicles: int) -> Routes:
    """Routes from a file written by ``write_solution``."""
    routes: Routes = [[] for _ in range(n_vehicles)]
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            v, i, s, t = line.split()
            routes[int(v)].append(Visit(int(i), int(s), float(t)))
    return routes


def parse_arc_routes(text: str, n_vehicles: int) -> list[list[tuple[int, int]]]:
    """Visit sequences from the route files of Kummer et al.'s BRKGA (``origin destination
    vehicle service`` lines, depot 0): the published solutions the scorer was checked on."""
    sequences: list[list[tuple[int, int]]] = [[] for _ in range(n_vehicles)]
    for line in text.splitlines():
        parts = line.split()
        if line.startswith("#") or len(parts) != 4:
            continue
        _origin, dest, v, s = (int(p) for p in parts)
        if dest != 0:
            sequences[v].append((dest, s))
    return sequences

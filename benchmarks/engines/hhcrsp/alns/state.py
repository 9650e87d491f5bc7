"""The search's state and its least schedule: flat task tables, routes of task ids, start times.

Why a module of its own: insertion and removal both work on this state and keep its start
times the least ones, through ``propagate`` (raise starts from a few route positions until
route precedences, window openings and double-service gaps hold; a positive cycle, i.e. a
deadlock, is detected when starts keep being raised) and ``full_schedule`` (from scratch).
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.engines.hhcrsp.instance import HhcrspInstance
from benchmarks.engines.hhcrsp.schedule import Routes, Visit

EPS = 1e-9
NEG = float("-inf")


@dataclass
class Tables:
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


def task_tables(inst: HhcrspInstance) -> Tables:
    """The tables of an instance; task ids are positions in ``inst.tasks()``."""
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
    return Tables(
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


class State:
    """Routes of task ids, the vehicle of each task (-1: unrouted) and least start times."""

    __slots__ = ("dist", "max_tard", "routes", "start", "tard", "veh")

    def __init__(self, n_vehicles: int, n_tasks: int) -> None:
        self.routes: list[list[int]] = [[] for _ in range(n_vehicles)]
        self.veh = [-1] * n_tasks
        self.start = [NEG] * n_tasks
        self.dist = self.tard = self.max_tard = 0.0

    def copy(self) -> State:
        other = State.__new__(State)
        other.routes = [r[:] for r in self.routes]
        other.veh = self.veh[:]
        other.start = self.start[:]
        other.dist, other.tard, other.max_tard = self.dist, self.tard, self.max_tard
        return other

    @property
    def cost(self) -> float:
        return self.dist + self.tard + self.max_tard


def propagate(tb: Tables, st: State, seeds: list[tuple[int, int]], new: dict[int, float]) -> bool:
    """Raise start times (into ``new``) from route positions ``seeds`` until every route
    precedence, window opening and double-service gap holds; False on a deadlock."""
    routes, veh, start = st.routes, st.veh, st.start
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


def full_schedule(tb: Tables, st: State) -> bool:
    """Least start times from scratch, and the three cost terms."""
    start = st.start
    for t in range(len(tb.tasks)):
        start[t] = NEG
    new: dict[int, float] = {}
    if not propagate(tb, st, [(v, 0) for v, r in enumerate(st.routes) if r], new):
        return False
    for t, s in new.items():
        start[t] = s
    dist, node, close = tb.dist, tb.node, tb.close
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


def to_routes(tb: Tables, st: State) -> Routes:
    """The state as routes of visits with their start times."""
    tasks = tb.tasks
    return [[Visit(*tasks[t], st.start[t]) for t in route] for route in st.routes]

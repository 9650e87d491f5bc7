"""The Python side of the day's ruin and recreate: arrays in, batches of compiled steps,
stopping rules and progress, the best routes out (the kernel is ``solver.lns.kernel``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from solver.lns.annealing import Cooling, anneal
from solver.lns.kernel import ORDER_WEIGHTS, iterate, recompute, seed_rng
from solver.stop import Budget, MaxIterations, SearchStatus, StoppingCriterion

#: Share of steps centred on a placed double-handed pair (when the day has movable pairs),
#: and of those, the share that takes only the pair out and puts it back at its best.
PAIR_RATE = 0.1
PAIR_ALONE = 0.5
#: Where a follower's cut falls in the slack between predecessor and follower (0.5: halves).
CUT_SHARE = 0.5


@dataclass(frozen=True)
class DayArrays:
    """Everything the engine needs, as arrays (built by ``solver.lns.arrays`` from an Instance)."""

    travel: np.ndarray  # (L, L) minutes between places
    loc: np.ndarray  # (m,) place of each task
    lo: np.ndarray  # (m,) earliest start
    hi: np.ndarray  # (m,) latest start
    svc: np.ndarray  # (m,) minutes on site
    penalty: np.ndarray  # (m,) cost of leaving the task out
    movable: np.ndarray  # (m,) False for the linked tasks the search must leave alone
    #: (m, K) what giving each task to each vehicle costs in continuity of care (minutes, as
    #: travel): 0 for the patient's preferred clinician or a patient with no preference, the
    #: full charge for a stranger, less for a clinician she knows (``Instance.charge``)
    charge: np.ndarray
    eligible: np.ndarray  # (m, K) bool
    v_start_loc: np.ndarray
    v_end_loc: np.ndarray
    v_start: np.ndarray
    v_end: np.ndarray
    v_max: np.ndarray  # visit limit (a large number when none)
    v_frozen: np.ndarray  # bool: route kept exactly as it is
    b_has: np.ndarray
    b_lo: np.ndarray
    b_hi: np.ndarray
    b_dur: np.ndarray
    # linked visits (``solver.lns.linked``): the tasks' own windows before any cut, the other
    # half of a pair, the predecessor's first task and its duration plus the minimum gap,
    # and a group id shared by every task linked to another (-1: none)
    lo0: np.ndarray  # (m,)
    hi0: np.ndarray  # (m,)
    pair: np.ndarray  # (m,) the other half or -1
    pred: np.ndarray  # (m,) the predecessor's first task or -1
    gap: np.ndarray  # (m,) minutes from the predecessor's start to the follower's earliest
    group: np.ndarray  # (m,)


@dataclass(frozen=True)
class LnsResult:
    """The best routes found (tasks per vehicle) and how the search went; ``stopped``: ended
    by a stopping rule other than its budget."""

    routes: list[list[int]]
    cost: float
    start_cost: float
    iterations: int
    seconds: float
    stopped: bool = False
    gaps: list[int] | None = None  # per route, visits before its break (None: not known)
    #: every task's window as the best routes need it (pairs' minutes, cuts between
    #: predecessors and followers); None: the day's windows, unchanged
    windows: tuple[list[int], list[int]] | None = None


def neighbour_lists(day: DayArrays, count: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Tasks by travel (for the ruin) and by time-aware proximity (for insertions)."""
    T = day.travel[np.ix_(day.loc, day.loc)]
    m = len(day.loc)
    adj = np.argsort(T + np.diag(np.full(m, -1.0)), axis=1, kind="stable").astype(np.int64)
    count = min(count, m - 1)
    if count <= 0:
        return adj, np.full((m, 1), -1, dtype=np.int64)
    # the tasks' own windows: a pair's minute or a cut is the search's to move
    lo, hi = day.lo0, day.hi0
    wait = np.maximum(0.0, lo[None, :] - (hi[:, None] + day.svc[:, None] + T))
    late = np.maximum(0.0, lo[:, None] + day.svc[:, None] + T - hi[None, :])
    prox = T + 0.2 * wait + 1.0 * late
    prox = np.minimum(prox, prox.T)
    np.fill_diagonal(prox, np.inf)
    near = np.argpartition(prox, kth=min(count, m - 1) - 1, axis=1)[:, :count]
    order = np.take_along_axis(prox, near, axis=1).argsort(axis=1, kind="stable")
    return adj, np.ascontiguousarray(np.take_along_axis(near, order, axis=1)).astype(np.int64)


def improve(
    day: DayArrays,
    routes: list[list[int]],
    break_gaps: list[int],
    budget: Budget,
    *,
    stop: StoppingCriterion | None = None,
    seed: int = 0,
    neighbours: int = 20,
    avg_removed: float = 10.0,
    max_string: float = 10.0,
    blink: float = 0.01,
    temperature: tuple[float, float] = (10.0, 0.1),
    retry_out: float = 0.0,
    focus_share: float = 0.3,
    focus_top: float = 0.5,
    full_scan: bool = True,
    progress: Callable[[float, float, int, int], None] | None = None,
    lists: tuple[np.ndarray, np.ndarray] | None = None,
    windows: tuple[list[int], list[int]] | None = None,
    pair_rate: float = PAIR_RATE,
    pair_alone: float = PAIR_ALONE,
    cut_share: float = CUT_SHARE,
) -> LnsResult:
    """Improve feasible ``routes`` (tasks per vehicle; ``break_gaps[k]`` = visits before the
    break) until ``budget`` is spent or ``stop`` says so; returns the best routes found
    (never worse than the start).

    The temperature falls from hot to cold with the share of the budget used. Under an
    iteration budget (``MaxIterations``) exactly that many iterations run and the clock
    plays no part, so the same seed gives the same routes.

    ``progress(seconds, best_cost, tasks_placed, iterations)`` is called about once a second.
    ``lists``: ``neighbour_lists(day, neighbours)`` computed once by a caller that improves
    the same day several times (``solver.lns.parallel``'s epochs); O(m²) to build.
    ``windows``: the tasks' windows ``routes`` were made with, if not the day's (an earlier
    search's ``LnsResult.windows``); the result's ``windows`` go with its routes.
    ``pair_rate``, ``pair_alone``, ``cut_share``: how linked visits are moved (``iterate``).
    """
    t0 = time.monotonic()
    K = len(day.v_start)
    m = len(day.loc)
    f64 = np.float64
    T = np.ascontiguousarray(day.travel, dtype=f64)
    TT = np.ascontiguousarray(T.T)
    loc = np.ascontiguousarray(day.loc, dtype=np.int64)
    # the search changes linked tasks' windows: its own copies, never the day's arrays
    lo = np.array(day.lo if windows is None else windows[0], dtype=f64)
    hi = np.array(day.hi if windows is None else windows[1], dtype=f64)
    svc = np.ascontiguousarray(day.svc, dtype=f64)
    penalty = np.ascontiguousarray(day.penalty, dtype=f64)
    movable = np.array(day.movable, dtype=np.bool_)
    charge = np.ascontiguousarray(day.charge, dtype=f64)
    elig = np.ascontiguousarray(day.eligible, dtype=np.bool_)
    vsl, vel = (np.ascontiguousarray(a, dtype=np.int64) for a in (day.v_start_loc, day.v_end_loc))
    vs, ve = (np.ascontiguousarray(a, dtype=f64) for a in (day.v_start, day.v_end))
    vmax = np.ascontiguousarray(day.v_max, dtype=np.int64)
    vfrozen = np.ascontiguousarray(day.v_frozen, dtype=np.bool_)
    bh = np.ascontiguousarray(day.b_has, dtype=np.bool_)
    blo, bhi, bdur = (np.ascontiguousarray(a, dtype=f64) for a in (day.b_lo, day.b_hi, day.b_dur))
    adj, near = lists if lists is not None else neighbour_lists(day, neighbours)
    far = np.ascontiguousarray(T[vsl[0], loc] if K else np.zeros(m), dtype=f64)

    width = max(1, m + 1)
    R = np.zeros((K, width), dtype=np.int64)
    lens = np.zeros(K, dtype=np.int64)
    bgap = np.zeros(K, dtype=np.int64)
    for k, seq in enumerate(routes):
        R[k, : len(seq)] = seq
        lens[k] = len(seq)
        bgap[k] = break_gaps[k] if k < len(break_gaps) else 0
    _own_windows_when_out(day, routes, lo, hi, movable)
    E = np.zeros(m)
    L = np.zeros(m)
    route_of = np.full(m, -1, dtype=np.int64)
    pos_of = np.zeros(m, dtype=np.int64)
    rcost = np.zeros(K)
    args_v = (T, loc, lo, hi, svc, charge, vsl, vel, vs, ve, bh, blo, bhi, bdur)
    for k in range(K):
        if not recompute(k, R, lens, bgap, E, L, route_of, pos_of, rcost, *args_v):
            vfrozen[k] = True  # keep a route this model cannot time exactly as it is
    linked = _linked_arrays(day, R, lens, vfrozen, movable)
    start_cost = float(rcost.sum() + penalty[(route_of < 0) & movable].sum())
    seed_rng(seed)
    best_routes, best_lens, best_gap = R.copy(), lens.copy(), bgap.copy()
    best_lo, best_hi = lo.copy(), hi.copy()
    cur = best = start_cost
    legs = T[np.ix_(loc, loc)]
    legs = legs[legs > 0]
    scale = float(np.median(legs)) if legs.size else 1.0
    cooling = Cooling(temperature[0] * scale / 10, temperature[1] * scale / 10)
    state = [cur, best]

    def batch(steps: int, t_a: float, t_b: float) -> float:
        state[0], state[1] = iterate(
            steps, t_a, t_b, state[0], state[1], best_routes, best_lens, best_gap, best_lo,
            best_hi, R, lens, bgap, E, L, route_of, pos_of, rcost, T, TT, loc, lo, hi, svc,
            penalty, movable, charge, elig, vsl, vel, vs, ve, vmax, vfrozen, bh, blo, bhi,
            bdur, *linked, adj, near, far, avg_removed, max_string, blink, ORDER_WEIGHTS,
            retry_out, full_scan, focus_share, focus_top, pair_rate, pair_alone, cut_share,
        )  # fmt: skip
        return float(state[1])

    def report(status: SearchStatus) -> None:
        if progress is not None:
            progress(status.seconds, status.best_cost, int(best_lens.sum()), status.iterations)

    done = anneal(
        batch, budget, cooling, start_cost=best, chunk=200, stop=stop, since=t0, report=report
    )
    out = [list(map(int, best_routes[k, : best_lens[k]])) for k in range(K)]
    seconds = time.monotonic() - t0
    gaps = [int(g) for g in best_gap]
    found = ([int(x) for x in best_lo], [int(x) for x in best_hi])
    return LnsResult(
        out, done.best_cost, start_cost, done.iterations, seconds, done.stopped, gaps, found
    )


def _own_windows_when_out(
    day: DayArrays, routes: list[list[int]], lo: np.ndarray, hi: np.ndarray, movable: np.ndarray
) -> None:
    """A linked task the search may move and that is not on a route gets its own window
    back, and a placed predecessor a latest start as late as its placed followers allow
    (in place). The kernel keeps this so itself; a caller's routes may not (a pair the
    construction timed at 09:00 and the caller took out would stay tied to 09:00)."""
    placed = np.zeros(len(day.loc), dtype=bool)
    for seq in routes:
        placed[list(seq)] = True
    linked = (day.pair >= 0) | (day.pred >= 0)
    linked[day.pred[day.pred >= 0]] = True
    out = linked & movable & ~placed
    lo[out], hi[out] = day.lo0[out], day.hi0[out]
    for p in np.unique(day.pred[day.pred >= 0]):
        if placed[p] and movable[p] and day.pair[p] < 0:
            followers = (day.pred == p) & placed
            hi[p] = min(
                day.hi0[p], float(np.min(lo[followers] - day.gap[followers], initial=np.inf))
            )


#: ``iterate``'s linked-visit arrays, lo0 … pairs.
_Linked = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]


def _linked_arrays(
    day: DayArrays, R: np.ndarray, lens: np.ndarray, vfrozen: np.ndarray, movable: np.ndarray
) -> _Linked:
    """The kernel's linked-visit arrays (``iterate``'s ``lo0`` … ``pairs``). A linked group
    with a task on a frozen route stays where it is (``movable`` is cleared in place): that
    route is kept exactly as it was, so neither its tasks nor their windows may change."""
    m = len(day.loc)
    group = np.asarray(day.group, dtype=np.int64)
    still = {int(group[t]) for k in np.flatnonzero(vfrozen) for t in R[k, : lens[k]]}
    still.discard(-1)
    if still:
        movable &= ~np.isin(group, list(still))
    pred = np.ascontiguousarray(day.pred, dtype=np.int64)
    followers = np.flatnonzero(pred >= 0)
    order = followers[np.argsort(pred[followers], kind="stable")]
    fol_ptr = np.zeros(m + 1, dtype=np.int64)
    np.add.at(fol_ptr, pred[followers] + 1, 1)
    fol_ptr = np.cumsum(fol_ptr)
    pair = np.ascontiguousarray(day.pair, dtype=np.int64)
    pairs = np.flatnonzero((pair > np.arange(m)) & movable).astype(np.int64)
    f64 = np.float64
    return (
        np.ascontiguousarray(day.lo0, dtype=f64), np.ascontiguousarray(day.hi0, dtype=f64),
        pair, pred, np.ascontiguousarray(day.gap, dtype=f64), fol_ptr,
        np.ascontiguousarray(order, dtype=np.int64), pairs,
    )  # fmt: skip


_warm = False


def warm_up() -> float:
    """Compile the engine (or load it from numba's on-disk cache) before a time limit starts.

    About 1 s when cached, 20–30 s on a fresh clone; later calls in a process return at once.
    """
    global _warm
    if _warm:
        return 0.0
    _warm = True
    t0 = time.monotonic()
    f, i = np.float64, np.int64
    day = DayArrays(
        travel=np.array([[0.0, 5.0], [5.0, 0.0]]), loc=np.array([1, 1], dtype=i),
        lo=np.array([0.0, 60.0]), hi=np.array([100.0, 200.0]), svc=np.array([10.0, 10.0]),
        penalty=np.array([1e3, 1e3]), movable=np.array([True, True]),
        charge=np.array([[0.0], [0.0]]),
        eligible=np.ones((2, 1), dtype=bool), v_start_loc=np.array([0], dtype=i),
        v_end_loc=np.array([0], dtype=i), v_start=np.array([0.0], dtype=f),
        v_end=np.array([480.0]), v_max=np.array([10], dtype=i),
        v_frozen=np.array([False]), b_has=np.array([True]), b_lo=np.array([100.0]),
        b_hi=np.array([300.0]), b_dur=np.array([30.0]), lo0=np.array([0.0, 60.0]),
        hi0=np.array([100.0, 200.0]), pair=np.array([-1, -1], dtype=i),
        pred=np.array([-1, 0], dtype=i), gap=np.array([0.0, 10.0]), group=np.array([0, 0]),
    )  # fmt: skip
    improve(day, [[]], [0], MaxIterations(1))
    return time.monotonic() - t0

"""Ruin and recreate for the Hospital at Home day, compiled with numba.

Why: OR-Tools' guided local search makes a few thousand moves a second on a 1,100-visit day
and, measured against VROOM on the same travel matrix (benchmarks/RESULTS.md), left our
rotas 20–40 % longer per visit. This engine applies the string-removal ruin and blinking
greedy recreate of SISR (Christiaens & Vanden Berghe 2020; see
``benchmarks.engines.sisr`` for the plain VRPTW version) to the day's own rules, and
accepts by simulated annealing:

- each clinician starts and ends at her own places, inside her shift, with a visit limit;
- a visit may only go to clinicians it is eligible for (skills, pins);
- one unpaid break per shift, starting inside its window, in some gap of the route; in that
  gap the next visit is ready at ``max(free + drive, break start) + duration`` with the break
  starting at ``max(free, earliest)`` — exactly the rule of ``solver.schedule``, so every
  route kept here is timed there without surprises;
- leaving a visit out costs its priority penalty; a visit away from the patient's preferred
  clinician costs the continuity charge;
- linked visits (double-handed halves, gap-linked visits) were given fixed or cut windows by
  the construction and are *immovable* here: never removed, never inserted, so their
  synchronisation and gaps hold whatever else moves.

Feasibility of an insertion is O(1) from earliest starts (forward) and latest starts
(backward) kept per route, with the break handled in the gap that holds it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numba as nb
import numpy as np

_NEG = -1e18
_EPS = 1e-9
_ORDER_WEIGHTS = np.array([3.0, 4.0, 2.0, 1.0, 2.0])


@dataclass(frozen=True)
class DayArrays:
    """Everything the engine needs, as arrays (built by ``solver.pipeline`` from an Instance)."""

    travel: np.ndarray  # (L, L) minutes between places
    loc: np.ndarray  # (m,) place of each task
    lo: np.ndarray  # (m,) earliest start
    hi: np.ndarray  # (m,) latest start
    svc: np.ndarray  # (m,) minutes on site
    penalty: np.ndarray  # (m,) cost of leaving the task out
    movable: np.ndarray  # (m,) False for linked tasks
    preferred: np.ndarray  # (m,) vehicle index or -1
    continuity: float
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


@nb.njit(cache=True)
def _recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc, lo, hi, svc,
               pref, cont, vsl, vel, vs, ve, bh, blo, bhi, bdur):
    """Times, latest starts and cost of route ``k``; returns False if it is infeasible."""
    n = lens[k]
    ok = True
    if n == 0:
        rcost[k] = 0.0
        return True
    gb = bgap[k] if bh[k] else -1
    free = vs[k]
    here = vsl[k]
    cost = 0.0
    for p in range(n + 1):
        nxt = loc[routes[k, p]] if p < n else vel[k]
        drive = T[here, nxt]
        cost += drive
        ready = free + drive
        if p == gb:
            bs = max(free, blo[k])
            if bs > bhi[k] + _EPS:
                ok = False
            ready = max(ready, bs) + bdur[k]
        if p == n:
            if ready > ve[k] + _EPS:
                ok = False
            break
        t = routes[k, p]
        s = max(lo[t], ready)
        if s > hi[t] + _EPS:
            ok = False
        E[t] = s
        route_of[t] = k
        pos_of[t] = p
        if pref[t] >= 0 and pref[t] != k:
            cost += cont
        free = s + svc[t]
        here = nxt
    nxt = vel[k]
    lnext = ve[k]
    for p in range(n - 1, -1, -1):
        t = routes[k, p]
        drive = T[loc[t], nxt]
        if p + 1 == gb:  # the break is in the gap after t
            lf = _NEG if blo[k] + bdur[k] > lnext + _EPS else min(bhi[k], lnext - bdur[k] - drive)
        else:
            lf = lnext - drive
        L[t] = min(hi[t], lf - svc[t])
        nxt = loc[t]
        lnext = L[t]
    rcost[k] = cost
    return ok


@nb.njit(cache=True, inline="always")
def _delta(u, k, g, routes, lens, bgap, E, L, T, TT, loc, lo, hi, svc, pref, cont, elig,
           vsl, vel, vs, ve, vmax, bh, blo, bhi, bdur):
    """(extra cost, break option) of putting ``u`` into gap ``g`` of route ``k``; inf if
    infeasible. Option 0: no break in this gap; 1: break before ``u``; 2: break after."""
    if not elig[u, k]:
        return np.inf, 0
    n = lens[k]
    if n >= vmax[k]:
        return np.inf, 0
    if g == 0:
        f = vs[k]
        a = vsl[k]
    else:
        tp = routes[k, g - 1]
        f = E[tp] + svc[tp]
        a = loc[tp]
    if g == n:
        c = vel[k]
        lc = ve[k]
    else:
        tc = routes[k, g]
        c = loc[tc]
        lc = L[tc]
    ul = loc[u]
    d_au = TT[ul, a]
    d_uc = T[ul, c]
    base = T[a, c] if n > 0 else 0.0
    extra = cont if (pref[u] >= 0 and pref[u] != k) else 0.0
    delta = d_au + d_uc - base + extra
    if not bh[k] or (n > 0 and bgap[k] != g):
        s = max(lo[u], f + d_au)
        if s > hi[u] + _EPS or s + svc[u] + d_uc > lc + _EPS:
            return np.inf, 0
        return delta, 0
    bs = max(f, blo[k])
    if bs <= bhi[k] + _EPS:
        s = max(lo[u], max(f + d_au, bs) + bdur[k])
        if s <= hi[u] + _EPS and s + svc[u] + d_uc <= lc + _EPS:
            return delta, 1
    s = max(lo[u], f + d_au)
    if s <= hi[u] + _EPS:
        fu = s + svc[u]
        bs = max(fu, blo[k])
        if bs <= bhi[k] + _EPS and max(fu + d_uc, bs) + bdur[k] <= lc + _EPS:
            return delta, 2
    return np.inf, 0


@nb.njit(cache=True)
def _touch(k, touched, n_touched, is_touched, routes, lens, bgap, backup, backup_len,
           backup_gap):
    if not is_touched[k]:
        is_touched[k] = True
        touched[n_touched] = k
        backup_len[k] = lens[k]
        backup_gap[k] = bgap[k]
        for p in range(lens[k]):
            backup[k, p] = routes[k, p]
        return n_touched + 1
    return n_touched


@nb.njit(cache=True)
def _order(removed, n_removed, penalty, lo, hi, far, weights):
    total = weights.sum()
    x = np.random.random() * total
    kind = 0
    acc = weights[0]
    while x > acc and kind < len(weights) - 1:
        kind += 1
        acc += weights[kind]
    keys = np.empty(n_removed)
    for i in range(n_removed):
        u = removed[i]
        if kind == 0:
            keys[i] = np.random.random()
        elif kind == 1:
            keys[i] = -penalty[u] * 1e4 + (hi[u] - lo[u])
        elif kind == 2:
            keys[i] = -far[u]
        elif kind == 3:
            keys[i] = far[u]
        else:
            keys[i] = hi[u] - lo[u]
    idx = np.argsort(keys, kind="mergesort")
    out = np.empty(n_removed, dtype=np.int64)
    for i in range(n_removed):
        out[i] = removed[idx[i]]
    return out


@nb.njit(cache=True)
def _iterate(n_iter, t_start, t_end, cur_cost, best_cost, best_routes, best_lens, best_gap,
             routes, lens, bgap, E, L, route_of, pos_of, rcost,
             T, TT, loc, lo, hi, svc, penalty, movable, pref, cont, elig,
             vsl, vel, vs, ve, vmax, vfrozen, bh, blo, bhi, bdur,
             adj, near, far, avg_removed, max_string, blink, weights, retry_out, full_scan):
    m = loc.shape[0]
    K = routes.shape[0]
    touched = np.empty(K, dtype=np.int64)
    is_touched = np.zeros(K, dtype=np.bool_)
    backup = np.empty_like(routes)
    backup_len = np.empty_like(lens)
    backup_gap = np.empty_like(bgap)
    removed = np.empty(m, dtype=np.int64)
    was_out = np.empty(m, dtype=np.int64)
    ruined = np.zeros(K, dtype=np.bool_)
    drop = np.zeros(m, dtype=np.bool_)
    n_neigh = near.shape[1]
    for it in range(n_iter):
        temp = t_start * (t_end / t_start) ** (it / max(1, n_iter))
        n_touched = 0
        n_out = 0
        n_all_out = 0
        for t in range(m):
            if route_of[t] < 0 and movable[t]:
                n_all_out += 1
        # now and then the ruin is centred on a visit that is out, to make room for it
        focus = -1
        if n_all_out > 0 and np.random.random() < 0.3:
            pick = int(np.random.random() * n_all_out)
            for t in range(m):
                if route_of[t] < 0 and movable[t]:
                    if pick == 0:
                        focus = t
                        break
                    pick -= 1
        for t in range(m):
            # a visit that is out is tried again now and then, not every time: some fit
            # nowhere, and trying them everywhere on every step would dominate the time
            if route_of[t] < 0 and movable[t] and (t == focus or np.random.random() < retry_out):
                was_out[n_out] = t
                n_out += 1
        n_removed = 0
        busy = 0
        total_len = 0
        for k in range(K):
            if lens[k] > 0 and not vfrozen[k]:
                busy += 1
                total_len += lens[k]
        feasible = True
        if busy > 0 and avg_removed > 0:
            ls_max = min(max_string, total_len / busy)
            ks_max = 4.0 * avg_removed / (1.0 + ls_max) - 1.0
            ks = int(np.random.random() * ks_max) + 1
            seed = focus if focus >= 0 else int(np.random.random() * m)
            n_ruined = 0
            for j in range(m):
                c = adj[seed, j]
                if route_of[c] < 0 or not movable[c]:
                    continue
                k = route_of[c]
                if ruined[k] or vfrozen[k]:
                    continue
                if focus >= 0 and not elig[focus, k]:
                    continue  # make room only where the visit that is out could go
                size = lens[k]
                lmax = min(float(size), ls_max)
                length = int(np.random.random() * lmax) + 1
                pos = pos_of[c]
                lo_p = max(0, pos - length + 1)
                hi_p = min(pos, size - length)
                first = lo_p + int(np.random.random() * (hi_p - lo_p + 1))
                for p in range(first, first + length):
                    if movable[routes[k, p]]:
                        drop[routes[k, p]] = True
                ruined[k] = True
                n_ruined += 1
                n_touched = _touch(k, touched, n_touched, is_touched, routes, lens, bgap,
                                   backup, backup_len, backup_gap)
                if n_ruined >= ks:
                    break
            for i in range(n_touched):
                k = touched[i]
                w = 0
                gap = bgap[k]
                for p in range(lens[k]):
                    t = routes[k, p]
                    if drop[t]:
                        removed[n_removed] = t
                        n_removed += 1
                        drop[t] = False
                        route_of[t] = -1
                        if p < bgap[k]:
                            gap -= 1
                    else:
                        routes[k, w] = t
                        w += 1
                lens[k] = w
                bgap[k] = max(0, min(gap, w))
                ruined[k] = False
                if bh[k] and w > 0 and np.random.random() < 0.5:
                    # let the break move: a random gap that keeps the route feasible
                    start_g = int(np.random.random() * (w + 1))
                    for step in range(w + 1):
                        bgap[k] = (start_g + step) % (w + 1)
                        if _recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T,
                                      loc, lo, hi, svc, pref, cont, vsl, vel, vs, ve, bh, blo,
                                      bhi, bdur):
                            break
                if not _recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc,
                                  lo, hi, svc, pref, cont, vsl, vel, vs, ve, bh, blo, bhi,
                                  bdur):
                    feasible = False
        for i in range(n_out):
            removed[n_removed] = was_out[i]
            n_removed += 1
        order = _order(removed, n_removed, penalty, lo, hi, far, weights)
        for i in range(n_removed):
            if not feasible:
                break
            u = order[i]
            best = np.inf
            best_k = -1
            best_g = -1
            best_opt = 0
            for j in range(n_neigh):
                v = near[u, j]
                if v < 0 or route_of[v] < 0:
                    continue
                k = route_of[v]
                if vfrozen[k]:
                    continue
                for g in (pos_of[v], pos_of[v] + 1):
                    if np.random.random() < blink:
                        continue
                    dl, opt = _delta(u, k, g, routes, lens, bgap, E, L, T, TT, loc, lo, hi,
                                     svc, pref, cont, elig, vsl, vel, vs, ve, vmax, bh, blo,
                                     bhi, bdur)
                    if dl < best:
                        best, best_k, best_g, best_opt = dl, k, g, opt
            if best_k < 0 and full_scan:
                # nowhere near a neighbour: every eligible route and gap (and empty routes)
                for k in range(K):
                    if vfrozen[k] or not elig[u, k]:
                        continue
                    for g in range(lens[k] + 1):
                        if np.random.random() < blink:
                            continue
                        dl, opt = _delta(u, k, g, routes, lens, bgap, E, L, T, TT, loc, lo,
                                         hi, svc, pref, cont, elig, vsl, vel, vs, ve, vmax, bh,
                                         blo, bhi, bdur)
                        if dl < best:
                            best, best_k, best_g, best_opt = dl, k, g, opt
            if best_k < 0:
                continue
            k = best_k
            n_touched = _touch(k, touched, n_touched, is_touched, routes, lens, bgap, backup,
                               backup_len, backup_gap)
            n = lens[k]
            for p in range(n, best_g, -1):
                routes[k, p] = routes[k, p - 1]
            routes[k, best_g] = u
            lens[k] = n + 1
            if bh[k]:
                if n == 0:
                    bgap[k] = 0 if best_opt == 1 else 1
                elif bgap[k] > best_g:
                    bgap[k] += 1
                elif bgap[k] == best_g:
                    bgap[k] = best_g if best_opt == 1 else best_g + 1
            _recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc, lo, hi,
                       svc, pref, cont, vsl, vel, vs, ve, bh, blo, bhi, bdur)
        new_cost = 0.0
        for k in range(K):
            new_cost += rcost[k]
        for t in range(m):
            if route_of[t] < 0 and movable[t]:
                new_cost += penalty[t]
        if feasible and new_cost < cur_cost - temp * math.log(np.random.random()):
            cur_cost = new_cost
            if new_cost < best_cost - _EPS:
                best_cost = new_cost
                for k in range(K):
                    best_lens[k] = lens[k]
                    best_gap[k] = bgap[k]
                    for p in range(lens[k]):
                        best_routes[k, p] = routes[k, p]
        else:
            for i in range(n_touched):
                k = touched[i]
                for p in range(lens[k]):
                    route_of[routes[k, p]] = -1
            for i in range(n_touched):
                k = touched[i]
                lens[k] = backup_len[k]
                bgap[k] = backup_gap[k]
                for p in range(lens[k]):
                    routes[k, p] = backup[k, p]
                _recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc, lo,
                           hi, svc, pref, cont, vsl, vel, vs, ve, bh, blo, bhi, bdur)
            for i in range(n_out):
                route_of[was_out[i]] = -1
        for i in range(n_touched):
            is_touched[touched[i]] = False
    return cur_cost, best_cost


@nb.njit(cache=True)
def _seed(seed):
    np.random.seed(seed)


@dataclass(frozen=True)
class LnsResult:
    routes: list[list[int]]
    cost: float
    start_cost: float
    iterations: int
    seconds: float


def _neighbours(day: DayArrays, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Tasks by travel (for the ruin) and by time-aware proximity (for insertions)."""
    T = day.travel[np.ix_(day.loc, day.loc)]
    m = len(day.loc)
    adj = np.argsort(T + np.diag(np.full(m, -1.0)), axis=1, kind="stable").astype(np.int64)
    count = min(count, m - 1)
    if count <= 0:
        return adj, np.full((m, 1), -1, dtype=np.int64)
    wait = np.maximum(0.0, day.lo[None, :] - (day.hi[:, None] + day.svc[:, None] + T))
    late = np.maximum(0.0, day.lo[:, None] + day.svc[:, None] + T - day.hi[None, :])
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
    time_limit_s: float,
    *,
    seed: int = 0,
    neighbours: int = 20,
    avg_removed: float = 10.0,
    max_string: float = 10.0,
    blink: float = 0.01,
    temperature: tuple[float, float] = (10.0, 0.1),
    retry_out: float = 0.05,
    full_scan: bool = True,
    should_stop=None,
    progress=None,
    min_iterations: int = 0,
    max_iterations: int | None = None,
) -> LnsResult:
    """Improve feasible ``routes`` (tasks per vehicle; ``break_gaps[k]`` = visits before the
    break) for ``time_limit_s`` seconds; returns the best routes found (never worse).

    With ``max_iterations`` the clock is ignored: exactly that many iterations run, the
    temperature falls with the share of them done, and the same seed gives the same routes.

    ``progress(seconds, best_cost, tasks_placed, iterations)`` is called about once a second.
    """
    t0 = time.monotonic()
    K = len(day.v_start)
    m = len(day.loc)
    f64 = np.float64
    T = np.ascontiguousarray(day.travel, dtype=f64)
    TT = np.ascontiguousarray(T.T)
    loc = np.ascontiguousarray(day.loc, dtype=np.int64)
    lo, hi, svc = (np.ascontiguousarray(a, dtype=f64) for a in (day.lo, day.hi, day.svc))
    penalty = np.ascontiguousarray(day.penalty, dtype=f64)
    movable = np.ascontiguousarray(day.movable, dtype=np.bool_)
    pref = np.ascontiguousarray(day.preferred, dtype=np.int64)
    elig = np.ascontiguousarray(day.eligible, dtype=np.bool_)
    vsl, vel = (np.ascontiguousarray(a, dtype=np.int64) for a in (day.v_start_loc, day.v_end_loc))
    vs, ve = (np.ascontiguousarray(a, dtype=f64) for a in (day.v_start, day.v_end))
    vmax = np.ascontiguousarray(day.v_max, dtype=np.int64)
    vfrozen = np.ascontiguousarray(day.v_frozen, dtype=np.bool_)
    bh = np.ascontiguousarray(day.b_has, dtype=np.bool_)
    blo, bhi, bdur = (np.ascontiguousarray(a, dtype=f64) for a in (day.b_lo, day.b_hi, day.b_dur))
    adj, near = _neighbours(day, neighbours)
    far = np.ascontiguousarray(T[vsl[0], loc] if K else np.zeros(m), dtype=f64)
    cont = float(day.continuity)

    width = max(1, m + 1)
    R = np.zeros((K, width), dtype=np.int64)
    lens = np.zeros(K, dtype=np.int64)
    bgap = np.zeros(K, dtype=np.int64)
    for k, seq in enumerate(routes):
        R[k, : len(seq)] = seq
        lens[k] = len(seq)
        bgap[k] = break_gaps[k] if k < len(break_gaps) else 0
    E = np.zeros(m)
    L = np.zeros(m)
    route_of = np.full(m, -1, dtype=np.int64)
    pos_of = np.zeros(m, dtype=np.int64)
    rcost = np.zeros(K)
    args_v = (T, loc, lo, hi, svc, pref, cont, vsl, vel, vs, ve, bh, blo, bhi, bdur)
    for k in range(K):
        if not _recompute(k, R, lens, bgap, E, L, route_of, pos_of, rcost, *args_v):
            vfrozen[k] = True  # keep a route this model cannot time exactly as it is
    start_cost = float(rcost.sum() + penalty[(route_of < 0) & movable].sum())
    _seed(seed)
    best_routes, best_lens, best_gap = R.copy(), lens.copy(), bgap.copy()
    cur = best = start_cost
    legs = T[np.ix_(loc, loc)]
    legs = legs[legs > 0]
    scale = float(np.median(legs)) if legs.size else 1.0
    t_hot, t_cold = temperature[0] * scale / 10, temperature[1] * scale / 10
    iterations = 0
    chunk = 200
    reported = -1.0
    while True:
        if progress is not None and time.monotonic() - reported >= 1.0:
            reported = time.monotonic()
            progress(reported - t0, best, int(best_lens.sum()), iterations)
        elapsed = time.monotonic() - t0
        stop = should_stop is not None and should_stop()
        if max_iterations is not None:
            if iterations >= max_iterations or stop:
                break
            steps = min(chunk, max_iterations - iterations)
            frac = iterations / max_iterations
            frac_b = (iterations + steps) / max_iterations
        else:
            if (elapsed >= time_limit_s or stop) and iterations >= min_iterations:
                break
            steps = chunk
            frac = min(1.0, elapsed / time_limit_s) if time_limit_s > 0 else 1.0
            frac_b = min(1.0, frac + 0.005)
        t_a = t_hot * (t_cold / t_hot) ** frac
        t_b = t_hot * (t_cold / t_hot) ** frac_b
        cur, best = _iterate(
            steps, t_a, t_b, cur, best, best_routes, best_lens, best_gap, R, lens, bgap, E, L,
            route_of, pos_of, rcost, T, TT, loc, lo, hi, svc, penalty, movable, pref, cont,
            elig, vsl, vel, vs, ve, vmax, vfrozen, bh, blo, bhi, bdur, adj, near, far,
            avg_removed, max_string, blink, _ORDER_WEIGHTS, retry_out, full_scan,
        )  # fmt: skip
        iterations += steps
    out = [list(map(int, best_routes[k, : best_lens[k]])) for k in range(K)]
    return LnsResult(out, float(best), start_cost, iterations, time.monotonic() - t0)


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
        preferred=np.array([-1, 0], dtype=i), continuity=5.0,
        eligible=np.ones((2, 1), dtype=bool), v_start_loc=np.array([0], dtype=i),
        v_end_loc=np.array([0], dtype=i), v_start=np.array([0.0], dtype=f),
        v_end=np.array([480.0]), v_max=np.array([10], dtype=i),
        v_frozen=np.array([False]), b_has=np.array([True]), b_lo=np.array([100.0]),
        b_hi=np.array([300.0]), b_dur=np.array([30.0]),
    )  # fmt: skip
    improve(day, [[]], [0], 0.0, min_iterations=1)
    return time.monotonic() - t0

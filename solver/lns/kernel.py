"""The compiled inner loop of the day's ruin and recreate (numba; see ``solver.lns``).

Plain functions over arrays, so numba compiles them to machine code: ``recompute`` times
one route (the same rule as ``scheduler.domain.timing``, which a test checks), ``_delta``
prices one insertion in O(1), ``iterate`` runs a batch of ruin-and-recreate steps with
simulated-annealing acceptance. Kept apart from the Python driver (``solver.lns.search``)
so that each reads on its own.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from solver.lns.moves import roulette, sorted_by

_NEG = -1e18
_EPS = 1e-9
ORDER_WEIGHTS = np.array([3.0, 4.0, 2.0, 1.0, 2.0])


@nb.njit(cache=True)
def recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc, lo, hi, svc,
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
    """Re-insertion order: one of random, priority then tight window, far from the first
    base, close to it, tight window."""
    kind = roulette(weights)
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
    return sorted_by(removed, n_removed, keys)


@nb.njit(cache=True)
def iterate(n_iter, t_start, t_end, cur_cost, best_cost, best_routes, best_lens, best_gap,
             routes, lens, bgap, E, L, route_of, pos_of, rcost,
             T, TT, loc, lo, hi, svc, penalty, movable, pref, cont, elig,
             vsl, vel, vs, ve, vmax, vfrozen, bh, blo, bhi, bdur,
             adj, near, far, avg_removed, max_string, blink, weights, retry_out, full_scan,
             focus_share, focus_top):
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
        if n_all_out > 0 and np.random.random() < focus_share:
            top = _NEG
            n_pool = n_all_out
            if np.random.random() < focus_top:
                n_pool = 0
                for t in range(m):
                    if route_of[t] < 0 and movable[t]:
                        if penalty[t] > top + _EPS:
                            top = penalty[t]
                            n_pool = 1
                        elif penalty[t] >= top - _EPS:
                            n_pool += 1
            pick = int(np.random.random() * n_pool)
            for t in range(m):
                if route_of[t] < 0 and movable[t] and penalty[t] >= top - _EPS:
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
                        if recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T,
                                      loc, lo, hi, svc, pref, cont, vsl, vel, vs, ve, bh, blo,
                                      bhi, bdur):
                            break
                if not recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc,
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
            recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc, lo, hi,
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
                recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc, lo,
                           hi, svc, pref, cont, vsl, vel, vs, ve, bh, blo, bhi, bdur)
            for i in range(n_out):
                route_of[was_out[i]] = -1
        for i in range(n_touched):
            is_touched[touched[i]] = False
    return cur_cost, best_cost


@nb.njit(cache=True)
def seed_rng(seed):
    np.random.seed(seed)

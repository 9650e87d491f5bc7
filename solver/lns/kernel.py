"""The compiled inner loop of the day's ruin and recreate (numba; see ``solver.lns``).

Plain functions over arrays, so numba compiles them to machine code: ``iterate`` runs a
batch of ruin-and-recreate steps with simulated-annealing acceptance, over routes timed and
priced by ``solver.lns.route`` (``recompute``: the same rule as ``scheduler.domain.timing``,
which a test checks; ``delta``: one insertion in O(1)), with double-handed pairs and
followers moved by ``solver.lns.linked``. Kept apart from the Python driver
(``solver.lns.search``) so that each reads on its own.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from solver.lns.linked import (
    cut,
    interval,
    keep_windows,
    pair_slot,
    release,
    set_window,
    undo_windows,
)
from solver.lns.moves import roulette, sorted_by
from solver.lns.route import EPS, NEG, insert, recompute
from solver.lns.route import delta as _delta

ORDER_WEIGHTS = np.array([3.0, 4.0, 2.0, 1.0, 2.0])


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
def _best_gap(u, routes, lens, bgap, E, L, route_of, pos_of, T, TT, loc, lo, hi, svc, charge,
               elig, vsl, vel, vs, ve, vmax, vfrozen, bh, blo, bhi, bdur, near, blink,
              full_scan, after_k, after_pos):
    """The cheapest gap for ``u`` among its near neighbours' (else, with ``full_scan``,
    anywhere): (route, gap, break option), route -1 if none. Gaps of route ``after_k`` up to
    position ``after_pos`` are not offered (a follower goes after its predecessor)."""
    best = np.inf
    best_k = -1
    best_g = -1
    best_opt = 0
    for j in range(near.shape[1]):
        v = near[u, j]
        if v < 0 or route_of[v] < 0:
            continue
        k = route_of[v]
        if vfrozen[k]:
            continue
        for g in (pos_of[v], pos_of[v] + 1):
            if k == after_k and g <= after_pos:
                continue
            if np.random.random() < blink:
                continue
            dl, opt = _delta(u, k, g, routes, lens, bgap, E, L, T, TT, loc, lo, hi, svc, charge,
                              elig, vsl, vel, vs, ve, vmax, bh, blo, bhi, bdur)
            if dl < best:
                best, best_k, best_g, best_opt = dl, k, g, opt
    if best_k < 0 and full_scan:
        # nowhere near a neighbour: every eligible route and gap (and empty routes)
        for k in range(routes.shape[0]):
            if vfrozen[k] or not elig[u, k]:
                continue
            for g in range(lens[k] + 1):
                if k == after_k and g <= after_pos:
                    continue
                if np.random.random() < blink:
                    continue
                dl, opt = _delta(u, k, g, routes, lens, bgap, E, L, T, TT, loc, lo, hi, svc,
                                 charge, elig, vsl, vel, vs, ve, vmax, bh, blo, bhi, bdur)
                if dl < best:
                    best, best_k, best_g, best_opt = dl, k, g, opt
    return best_k, best_g, best_opt


@nb.njit(cache=True)
def _wants_in(t, route_of, movable, pred_of):
    """Out, movable, and not waiting for a predecessor that is out too."""
    return route_of[t] < 0 and movable[t] and (pred_of[t] < 0 or route_of[pred_of[t]] >= 0)


@nb.njit(cache=True)
def iterate(n_iter, t_start, t_end, cur_cost, best_cost, best_routes, best_lens, best_gap,
             best_lo, best_hi, routes, lens, bgap, E, L, route_of, pos_of, rcost,
             T, TT, loc, lo, hi, svc, penalty, movable, charge, elig,
             vsl, vel, vs, ve, vmax, vfrozen, bh, blo, bhi, bdur,
             lo0, hi0, pair_of, pred_of, gap_of, fol_ptr, fol_idx, pairs,
             adj, near, far, avg_removed, max_string, blink, weights, retry_out, full_scan,
             focus_share, focus_top, pair_rate, pair_alone, cut_share):
    """``n_iter`` ruin-and-recreate steps from the current routes (``routes``/``lens``/
    ``bgap``, timed in ``E``/``L``) and windows (``lo``/``hi``), annealed from ``t_start``
    to ``t_end``; the best routes and windows seen are kept in ``best_*``. Returns the
    current and the best cost.

    Linked tasks (``pair_of``: the other half or -1; ``pred_of``: the predecessor's first
    task or -1, ``gap_of``: its duration plus the minimum gap; followers of a task:
    ``fol_idx[fol_ptr[t]:fol_ptr[t + 1]]``) that are ``movable`` leave and come back with
    their partner and followers. With probability ``pair_rate`` a step is centred on a
    placed pair of ``pairs`` (first halves), and then with probability ``pair_alone`` only
    that pair is taken out and put back (at the best two routes and minute for it).

    ``focus_share`` of the steps centre the ruin on a visit that is out (making room for
    it), ``focus_top`` of those on one of the highest penalty left out."""
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
    dstack = np.empty(m, dtype=np.int64)
    queue = np.empty(4 * m + 1, dtype=np.int64)
    n_defer = np.zeros(m, dtype=np.int64)
    skip = np.zeros(m, dtype=np.bool_)
    wlog = np.empty(m, dtype=np.int64)
    wlo = np.empty(m)
    whi = np.empty(m)
    logged = np.zeros(m, dtype=np.bool_)
    width = m + K + 2 * near.shape[1] + 1
    gk = np.empty(width, dtype=np.int64)
    gg = np.empty(width, dtype=np.int64)
    ca = np.empty((5, width))
    cb = np.empty((5, width))
    n_pairs = pairs.shape[0]
    for it in range(n_iter):
        temp = t_start * (t_end / t_start) ** (it / max(1, n_iter))
        n_touched = 0
        n_out = 0
        n_all_out = 0
        n_wlog = 0
        for t in range(m):
            if _wants_in(t, route_of, movable, pred_of):
                n_all_out += 1
        # now and then the ruin is centred on a visit that is out, to make room for it
        focus = -1
        if n_all_out > 0 and np.random.random() < focus_share:
            top = NEG
            n_pool = n_all_out
            if np.random.random() < focus_top:
                n_pool = 0
                for t in range(m):
                    if _wants_in(t, route_of, movable, pred_of):
                        if penalty[t] > top + EPS:
                            top = penalty[t]
                            n_pool = 1
                        elif penalty[t] >= top - EPS:
                            n_pool += 1
            pick = int(np.random.random() * n_pool)
            for t in range(m):
                if _wants_in(t, route_of, movable, pred_of) and penalty[t] >= top - EPS:
                    if pick == 0:
                        focus = t
                        break
                    pick -= 1
        if focus >= 0 and 0 <= pair_of[focus] < focus:
            focus = pair_of[focus]  # a pair comes back through its first half
        for t in range(m):
            # a visit that is out is tried again now and then, not every time: some fit
            # nowhere, and trying them everywhere on every step would dominate the time;
            # a pair is tried through its first half
            if not _wants_in(t, route_of, movable, pred_of) or (0 <= pair_of[t] < t):
                continue
            if t == focus or np.random.random() < retry_out:
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
            alone = False
            if focus < 0 and n_pairs > 0 and np.random.random() < pair_rate:
                a = pairs[int(np.random.random() * n_pairs)]
                if route_of[a] >= 0:
                    seed = a
                    alone = np.random.random() < pair_alone
            n_drop = 0
            if alone:
                for t in (seed, pair_of[seed]):
                    drop[t] = True
                    dstack[n_drop] = t
                    n_drop += 1
                    n_touched = _touch(route_of[t], touched, n_touched, is_touched, routes,
                                       lens, bgap, backup, backup_len, backup_gap)
            n_ruined = 0
            for j in range(0 if alone else m):
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
                    t = routes[k, p]
                    if movable[t] and not drop[t]:
                        drop[t] = True
                        dstack[n_drop] = t
                        n_drop += 1
                ruined[k] = True
                n_ruined += 1
                n_touched = _touch(k, touched, n_touched, is_touched, routes, lens, bgap,
                                   backup, backup_len, backup_gap)
                if n_ruined >= ks:
                    break
            # a pair half takes its partner out with it, a predecessor its followers
            j = 0
            while j < n_drop:
                t = dstack[j]
                j += 1
                w = pair_of[t]
                if w >= 0 and not drop[w] and route_of[w] >= 0:
                    drop[w] = True
                    dstack[n_drop] = w
                    n_drop += 1
                    n_touched = _touch(route_of[w], touched, n_touched, is_touched, routes,
                                       lens, bgap, backup, backup_len, backup_gap)
                for x in range(fol_ptr[t], fol_ptr[t + 1]):
                    f = fol_idx[x]
                    if route_of[f] >= 0 and not drop[f]:
                        drop[f] = True
                        dstack[n_drop] = f
                        n_drop += 1
                        n_touched = _touch(route_of[f], touched, n_touched, is_touched,
                                           routes, lens, bgap, backup, backup_len, backup_gap)
            for j in range(n_drop):
                t = dstack[j]
                if pair_of[t] >= 0 or pred_of[t] >= 0 or fol_ptr[t + 1] > fol_ptr[t]:
                    n_wlog, kp = release(t, drop, route_of, pair_of, pred_of, gap_of, fol_ptr,
                                         fol_idx, lo, hi, lo0, hi0, wlog, wlo, whi, n_wlog,
                                         logged)
                    if kp >= 0:
                        n_touched = _touch(kp, touched, n_touched, is_touched, routes, lens,
                                           bgap, backup, backup_len, backup_gap)
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
                                      loc, lo, hi, svc, charge, vsl, vel, vs, ve, bh, blo,
                                      bhi, bdur):
                            break
                if not recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc,
                                  lo, hi, svc, charge, vsl, vel, vs, ve, bh, blo, bhi,
                                  bdur):
                    feasible = False
        for i in range(n_out):
            removed[n_removed] = was_out[i]
            n_removed += 1
        order = _order(removed, n_removed, penalty, lo, hi, far, weights)
        n_q = n_removed
        for i in range(n_removed):
            queue[i] = order[i]
        i = 0
        while i < n_q and feasible:
            u = queue[i]
            i += 1
            if route_of[u] >= 0:
                continue
            w = pair_of[u]
            if w >= 0:
                if skip[u]:
                    continue  # its partner came first and took it along
                skip[w] = True
                ka, ga, kb, gb, s = pair_slot(
                    u, w, gk, gg, ca, cb, routes, lens, bgap, E, L, route_of, pos_of, T, TT,
                    loc, lo, hi, svc, charge, elig, vsl, vel, vs, ve, vmax, vfrozen, bh,
                    blo, bhi, bdur, near, blink, full_scan,
                )  # fmt: skip
                if ka < 0:
                    continue
                n_wlog = set_window(u, s, s, lo, hi, wlog, wlo, whi, n_wlog, logged)
                n_wlog = set_window(w, s, s, lo, hi, wlog, wlo, whi, n_wlog, logged)
                # each half's break option again, at the one minute (its own still holds)
                da, oa = _delta(u, ka, ga, routes, lens, bgap, E, L, T, TT, loc, lo, hi, svc,
                                charge, elig, vsl, vel, vs, ve, vmax, bh, blo, bhi, bdur)
                db, ob = _delta(w, kb, gb, routes, lens, bgap, E, L, T, TT, loc, lo, hi, svc,
                                charge, elig, vsl, vel, vs, ve, vmax, bh, blo, bhi, bdur)
                if da == np.inf or db == np.inf:  # pragma: no cover - choose_pair's interval
                    feasible = False
                    break
                for x, kx, gx, ox in ((u, ka, ga, oa), (w, kb, gb, ob)):
                    n_touched = _touch(kx, touched, n_touched, is_touched, routes, lens, bgap,
                                       backup, backup_len, backup_gap)
                    insert(x, kx, gx, ox, routes, lens, bgap, bh)
                    if not recompute(kx, routes, lens, bgap, E, L, route_of, pos_of, rcost, T,
                                      loc, lo, hi, svc, charge, vsl, vel, vs, ve, bh, blo,
                                      bhi, bdur):
                        feasible = False
                continue
            p = pred_of[u]
            kp = -1
            after = -1
            if p >= 0:
                if route_of[p] < 0:
                    # its predecessor may yet come back in this step: try again after it
                    if n_defer[u] < 3 and n_q < queue.shape[0]:
                        n_defer[u] += 1
                        queue[n_q] = u
                        n_q += 1
                    continue
                kp = route_of[p]
                after = pos_of[p]
                n_wlog = set_window(u, max(lo0[u], E[p] + gap_of[u]), hi[u], lo, hi, wlog, wlo,
                                    whi, n_wlog, logged)
            k, g, opt = _best_gap(u, routes, lens, bgap, E, L, route_of, pos_of, T, TT, loc, lo,
                                  hi, svc, charge, elig, vsl, vel, vs, ve, vmax, vfrozen,
                                  bh, blo, bhi, bdur, near, blink, full_scan, kp, after)
            if k < 0:
                if p >= 0:
                    n_wlog = set_window(u, lo0[u], hi[u], lo, hi, wlog, wlo, whi, n_wlog,
                                        logged)
                continue
            if p >= 0:
                # the cut afresh: the predecessor by c, the follower from c + gap
                _, s_hi = interval(u, k, g, opt, routes, lens, E, L, T, TT, loc, lo, hi,
                                      svc, vsl, vel, vs, ve, blo, bhi, bdur)
                c = cut(p, gap_of[u], s_hi, E, L, cut_share)
                if pair_of[p] < 0 and c < hi[p]:
                    n_touched = _touch(kp, touched, n_touched, is_touched, routes, lens, bgap,
                                       backup, backup_len, backup_gap)
                    n_wlog = set_window(p, lo[p], c, lo, hi, wlog, wlo, whi, n_wlog, logged)
                    if not recompute(kp, routes, lens, bgap, E, L, route_of, pos_of, rcost, T,
                                      loc, lo, hi, svc, charge, vsl, vel, vs, ve, bh, blo,
                                      bhi, bdur):
                        feasible = False
                n_wlog = set_window(u, max(lo0[u], c + gap_of[u]), hi[u], lo, hi, wlog, wlo,
                                    whi, n_wlog, logged)
            n_touched = _touch(k, touched, n_touched, is_touched, routes, lens, bgap, backup,
                               backup_len, backup_gap)
            insert(u, k, g, opt, routes, lens, bgap, bh)
            if not recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc, lo,
                              hi, svc, charge, vsl, vel, vs, ve, bh, blo, bhi, bdur):
                feasible = False
        for j in range(n_q):
            u = queue[j]
            skip[u] = False
            n_defer[u] = 0
            if pair_of[u] >= 0:
                skip[pair_of[u]] = False
        new_cost = 0.0
        for k in range(K):
            new_cost += rcost[k]
        for t in range(m):
            if route_of[t] < 0 and movable[t]:
                new_cost += penalty[t]
        if feasible and new_cost < cur_cost - temp * math.log(np.random.random()):
            cur_cost = new_cost
            keep_windows(n_wlog, wlog, logged)
            if new_cost < best_cost - EPS:
                best_cost = new_cost
                for k in range(K):
                    best_lens[k] = lens[k]
                    best_gap[k] = bgap[k]
                    for p in range(lens[k]):
                        best_routes[k, p] = routes[k, p]
                for t in range(m):
                    best_lo[t] = lo[t]
                    best_hi[t] = hi[t]
        else:
            undo_windows(n_wlog, wlog, wlo, whi, lo, hi, logged)
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
                           hi, svc, charge, vsl, vel, vs, ve, bh, blo, bhi, bdur)
            for i in range(n_out):
                route_of[was_out[i]] = -1
        for i in range(n_touched):
            is_touched[touched[i]] = False
    return cur_cost, best_cost


@nb.njit(cache=True)
def seed_rng(seed):
    np.random.seed(seed)

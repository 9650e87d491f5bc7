"""Moving linked visits inside the day's ruin and recreate (numba; used by
``solver.lns.kernel``).

The construction decouples linked visits by narrowing task windows, so that every route can
be timed on its own: a double-handed pair's halves get ``lo = hi = s`` (their common start),
and a predecessor's latest start is cut to some ``c`` while its follower's earliest start is
raised to ``c + duration + gap``. The search keeps that invariant while it moves them:

- a **pair** is taken out whole and put back whole, or not at all (``pair_slot``): each
  half is priced in candidate gaps of its own, each candidate admits an interval of start
  minutes, and the cheapest two on different clinicians whose intervals meet are chosen, at
  the earliest common minute (``choose_pair``);
- a **follower** is put back no earlier than its placed predecessor's earliest start plus
  the gap; then the cut is drawn afresh between the predecessor's earliest and latest start
  (its route stays feasible anywhere in ``[E, L]``) and the follower's latest feasible start
  (``cut``); taking a follower out gives its predecessor's latest start back as far as the
  other followers allow (``release``).

Every window change is logged (``set_window``) so that a rejected step puts the windows
back with the routes (``undo_windows``).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from solver.lns.route import EPS, delta, gap_ends

#: Combinations of the two halves' candidates a pair insertion looks at, at most.
PAIR_CHECKS = 20_000


@nb.njit(cache=True)
def set_window(t, new_lo, new_hi, lo, hi, wlog, wlo, whi, n_wlog, logged):
    """Give task ``t`` the window [new_lo, new_hi], logging the old one the first time it
    changes in this step; returns the log's new length."""
    if lo[t] == new_lo and hi[t] == new_hi:
        return n_wlog
    if not logged[t]:
        logged[t] = True
        wlog[n_wlog] = t
        wlo[n_wlog] = lo[t]
        whi[n_wlog] = hi[t]
        n_wlog += 1
    lo[t] = new_lo
    hi[t] = new_hi
    return n_wlog


@nb.njit(cache=True)
def undo_windows(n_wlog, wlog, wlo, whi, lo, hi, logged):
    """Every window changed in this step back as it was."""
    for i in range(n_wlog):
        t = wlog[i]
        lo[t] = wlo[i]
        hi[t] = whi[i]
        logged[t] = False


@nb.njit(cache=True)
def keep_windows(n_wlog, wlog, logged):
    """The step is accepted: its window changes stand and the log starts afresh."""
    for i in range(n_wlog):
        logged[wlog[i]] = False


@nb.njit(cache=True)
def interval(u, k, g, opt, routes, lens, E, L, T, TT, loc, lo, hi, svc, vsl, vel, vs, ve,
             blo, bhi, bdur):
    """(earliest, latest) start of ``u`` in gap ``g`` of route ``k`` with break option
    ``opt`` (as ``delta`` chose it), the rest of the route staying feasible."""
    n = lens[k]
    f, a, c, lc = gap_ends(k, g, n, routes, E, L, svc, loc, vsl, vel, vs, ve)
    d_au = TT[loc[u], a]
    d_uc = T[loc[u], c]
    if opt == 1:  # the break before u
        bs = max(f, blo[k])
        s_lo = max(lo[u], max(f + d_au, bs) + bdur[k])
        s_hi = min(hi[u], lc - svc[u] - d_uc)
    elif opt == 2:  # the break after u: it must start by its latest and leave time to drive
        s_lo = max(lo[u], f + d_au)
        s_hi = min(hi[u], min(bhi[k] - svc[u], lc - bdur[k] - d_uc - svc[u]))
    else:
        s_lo = max(lo[u], f + d_au)
        s_hi = min(hi[u], lc - svc[u] - d_uc)
    return s_lo, s_hi


@nb.njit(cache=True)
def cut(p, gap, s_hi, E, L, share):
    """Where to cut between predecessor ``p`` and a follower that may start by ``s_hi``:
    ``p`` must start by the cut, the follower ``gap`` minutes after it or later. A share of
    the slack goes to each side (0: all to the follower, 1: all to the predecessor)."""
    top = min(L[p], s_hi - gap)
    return E[p] + math.floor((top - E[p]) * share + EPS)


@nb.njit(cache=True)
def release(t, drop, route_of, pair_of, pred_of, gap_of, fol_ptr, fol_idx, lo, hi, lo0, hi0,
            wlog, wlo, whi, n_wlog, logged):
    """Task ``t`` is being taken out: its own window back, and its predecessor's latest
    start as late as its other followers allow. Returns the log's length and the route
    whose windows changed (-1: none)."""
    n_wlog = set_window(t, lo0[t], hi0[t], lo, hi, wlog, wlo, whi, n_wlog, logged)
    p = pred_of[t]
    if p < 0 or pair_of[p] >= 0 or route_of[p] < 0 or drop[p]:
        return n_wlog, -1  # a pair keeps its minute; a predecessor going out is reset itself
    new_hi = hi0[p]
    for i in range(fol_ptr[p], fol_ptr[p + 1]):
        f = fol_idx[i]
        if f != t and route_of[f] >= 0 and not drop[f]:
            new_hi = min(new_hi, lo[f] - gap_of[f])
    if new_hi == hi[p]:
        return n_wlog, -1
    n_wlog = set_window(p, lo[p], new_hi, lo, hi, wlog, wlo, whi, n_wlog, logged)
    return n_wlog, route_of[p]


@nb.njit(cache=True)
def candidates(u, ks, gs, n_gaps, out_k, out_g, out_cost, out_lo, out_hi, routes, lens, bgap,
               E, L, T, TT, loc, lo, hi, svc, charge, elig, vsl, vel, vs, ve, vmax, bh,
               blo, bhi, bdur):
    """The feasible ones of the gaps ``(ks[i], gs[i])`` for task ``u``: route, gap, added
    cost and the interval of start minutes each admits. Returns how many."""
    count = 0
    for i in range(n_gaps):
        k = ks[i]
        g = gs[i]
        dl, opt = delta(u, k, g, routes, lens, bgap, E, L, T, TT, loc, lo, hi, svc, charge,
                        elig, vsl, vel, vs, ve, vmax, bh, blo, bhi, bdur)
        if dl == np.inf:
            continue
        s_lo, s_hi = interval(u, k, g, opt, routes, lens, E, L, T, TT, loc, lo, hi, svc, vsl,
                              vel, vs, ve, blo, bhi, bdur)
        out_k[count] = k
        out_g[count] = g
        out_cost[count] = dl
        out_lo[count] = s_lo
        out_hi[count] = s_hi
        count += 1
    return count


@nb.njit(cache=True)
def choose_pair(n_a, ka, ca, lo_a, hi_a, n_b, kb, cb, lo_b, hi_b, max_checks):
    """The cheapest two candidates, one per half, on different routes whose start intervals
    meet: (cost, index into a's, index into b's, common start); cost inf if none. Both lists
    are walked cheapest first and a branch stops once it cannot beat the best so far, as in
    the construction's ``place_pair``; at most ``max_checks`` combinations are looked at."""
    best = np.inf
    bi = -1
    bj = -1
    bs = 0.0
    if n_a == 0 or n_b == 0:
        return best, bi, bj, bs
    ia = np.argsort(ca[:n_a], kind="mergesort")
    ib = np.argsort(cb[:n_b], kind="mergesort")
    checks = 0
    for x in range(n_a):
        i = ia[x]
        if ca[i] + cb[ib[0]] >= best or checks > max_checks:
            break
        for y in range(n_b):
            j = ib[y]
            if ca[i] + cb[j] >= best:
                break
            checks += 1
            if ka[i] == kb[j]:
                continue
            s = max(lo_a[i], lo_b[j])
            if s <= min(hi_a[i], hi_b[j]) + EPS:
                best, bi, bj, bs = ca[i] + cb[j], i, j, s
                break
    return best, bi, bj, bs


@nb.njit(cache=True)
def pair_slot(a, b, gk, gg, ca, cb, routes, lens, bgap, E, L, route_of, pos_of, T, TT, loc,
               lo, hi, svc, charge, elig, vsl, vel, vs, ve, vmax, vfrozen, bh, blo, bhi,
               bdur, near, blink, full_scan):
    """Where the pair ``a``/``b`` goes back: (route of a, its gap, route of b, its gap,
    common start); route -1 if nowhere. Both halves are at one place, so the gaps next to
    ``a``'s near neighbours serve both; ``ca``/``cb``: (5, n) workspaces (route, gap, cost,
    earliest, latest) for the two halves' candidates."""
    n = 0
    for j in range(near.shape[1]):
        v = near[a, j]
        if v < 0 or route_of[v] < 0 or vfrozen[route_of[v]]:
            continue
        for g in (pos_of[v], pos_of[v] + 1):
            if np.random.random() < blink:
                continue
            gk[n] = route_of[v]
            gg[n] = g
            n += 1
    for attempt in range(2):
        if attempt == 1:
            if not full_scan:
                break
            n = 0  # nowhere near a neighbour: every gap of every route either half may use
            for k in range(routes.shape[0]):
                if vfrozen[k] or not (elig[a, k] or elig[b, k]):
                    continue
                for g in range(lens[k] + 1):
                    if np.random.random() < blink:
                        continue
                    gk[n] = k
                    gg[n] = g
                    n += 1
        n_a = candidates(a, gk, gg, n, ca[0], ca[1], ca[2], ca[3], ca[4], routes, lens, bgap,
                         E, L, T, TT, loc, lo, hi, svc, charge, elig, vsl, vel, vs, ve,
                         vmax, bh, blo, bhi, bdur)
        n_b = candidates(b, gk, gg, n, cb[0], cb[1], cb[2], cb[3], cb[4], routes, lens, bgap,
                         E, L, T, TT, loc, lo, hi, svc, charge, elig, vsl, vel, vs, ve,
                         vmax, bh, blo, bhi, bdur)
        cost, i, j, s = choose_pair(n_a, ca[0], ca[2], ca[3], ca[4], n_b, cb[0], cb[2], cb[3],
                                    cb[4], PAIR_CHECKS)
        if cost < np.inf:
            return int(ca[0, i]), int(ca[1, i]), int(cb[0, j]), int(cb[1, j]), s
    return -1, -1, -1, -1, 0.0

"""One route of the day's ruin and recreate, compiled (numba): timing it, pricing an
insertion into it, making the insertion.

``recompute`` times one route (the same rule as ``scheduler.domain.timing``, which a test
checks), ``delta`` prices one insertion in O(1) from the earliest (``E``) and latest (``L``)
starts kept per route, ``insert`` puts a task into a gap and moves the break with it. Kept
apart from the kernel's loop (``solver.lns.kernel``) because the linked-visit moves
(``solver.lns.linked``) need the same three, and the kernel needs those moves.
"""

from __future__ import annotations

import numba as nb
import numpy as np

NEG = -1e18
EPS = 1e-9


@nb.njit(cache=True)
def recompute(k, routes, lens, bgap, E, L, route_of, pos_of, rcost, T, loc, lo, hi, svc,
               charge, vsl, vel, vs, ve, bh, blo, bhi, bdur):
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
            if bs > bhi[k] + EPS:
                ok = False
            ready = max(ready, bs) + bdur[k]
        if p == n:
            if ready > ve[k] + EPS:
                ok = False
            break
        t = routes[k, p]
        s = max(lo[t], ready)
        if s > hi[t] + EPS:
            ok = False
        E[t] = s
        route_of[t] = k
        pos_of[t] = p
        cost += charge[t, k]
        free = s + svc[t]
        here = nxt
    nxt = vel[k]
    lnext = ve[k]
    for p in range(n - 1, -1, -1):
        t = routes[k, p]
        drive = T[loc[t], nxt]
        if p + 1 == gb:  # the break is in the gap after t
            lf = NEG if blo[k] + bdur[k] > lnext + EPS else min(bhi[k], lnext - bdur[k] - drive)
        else:
            lf = lnext - drive
        L[t] = min(hi[t], lf - svc[t])
        nxt = loc[t]
        lnext = L[t]
    rcost[k] = cost
    return ok


@nb.njit(cache=True, inline="always")
def gap_ends(k, g, n, routes, E, L, svc, loc, vsl, vel, vs, ve):
    """Gap ``g`` of route ``k`` (``n`` visits): when and where the visit before it is left
    (or the shift starts), and where the next one is with its latest start (or the shift's
    end) -- what any insertion into the gap is tested against."""
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
    return f, a, c, lc


@nb.njit(cache=True, inline="always")
def delta(u, k, g, routes, lens, bgap, E, L, T, TT, loc, lo, hi, svc, charge, elig,
           vsl, vel, vs, ve, vmax, bh, blo, bhi, bdur):
    """(extra cost, break option) of putting ``u`` into gap ``g`` of route ``k``; inf if
    infeasible. Option 0: no break in this gap; 1: break before ``u``; 2: break after."""
    if not elig[u, k]:
        return np.inf, 0
    n = lens[k]
    if n >= vmax[k]:
        return np.inf, 0
    f, a, c, lc = gap_ends(k, g, n, routes, E, L, svc, loc, vsl, vel, vs, ve)
    ul = loc[u]
    d_au = TT[ul, a]
    d_uc = T[ul, c]
    base = T[a, c] if n > 0 else 0.0
    extra = charge[u, k]
    delta = d_au + d_uc - base + extra
    if not bh[k] or (n > 0 and bgap[k] != g):
        s = max(lo[u], f + d_au)
        if s > hi[u] + EPS or s + svc[u] + d_uc > lc + EPS:
            return np.inf, 0
        return delta, 0
    bs = max(f, blo[k])
    if bs <= bhi[k] + EPS:
        s = max(lo[u], max(f + d_au, bs) + bdur[k])
        if s <= hi[u] + EPS and s + svc[u] + d_uc <= lc + EPS:
            return delta, 1
    s = max(lo[u], f + d_au)
    if s <= hi[u] + EPS:
        fu = s + svc[u]
        bs = max(fu, blo[k])
        if bs <= bhi[k] + EPS and max(fu + d_uc, bs) + bdur[k] <= lc + EPS:
            return delta, 2
    return np.inf, 0


@nb.njit(cache=True)
def insert(u, k, g, opt, routes, lens, bgap, bh):
    """Put ``u`` into gap ``g`` of route ``k``, the break where option ``opt`` of ``delta``
    said (0: it stays in its gap; 1: before ``u``; 2: after ``u``)."""
    n = lens[k]
    for p in range(n, g, -1):
        routes[k, p] = routes[k, p - 1]
    routes[k, g] = u
    lens[k] = n + 1
    if bh[k]:
        if n == 0:
            bgap[k] = 0 if opt == 1 else 1
        elif bgap[k] > g:
            bgap[k] += 1
        elif bgap[k] == g:
            bgap[k] = g if opt == 1 else g + 1

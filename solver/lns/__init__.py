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
  the construction, which decouple them so each route is timed on its own; the search moves
  them and keeps that decoupling (``solver.lns.linked``): a pair leaves and comes back whole,
  at one minute on two clinicians, and a follower's cut is drawn afresh whenever it or its
  predecessor moves. The windows it ends with go back with the routes
  (``LnsResult.windows``). A pair that precedes or follows another visit, and a visit such a
  pair follows, stay where the construction put them. A pair counts as one visit of its
  priority (its penalty is split between its halves, ``solver.instance``) but takes two
  clinicians' time, so on a tight day the search will leave a low-priority pair out to make
  room for two single visits (measured: 33 of 40 pairs placed → about 5 on the suite's
  tight-1000 day, with 48 more visits placed in all).

Feasibility of an insertion is O(1) from earliest starts (forward) and latest starts
(backward) kept per route, with the break handled in the gap that holds it.
"""

from solver.lns.arrays import day_arrays
from solver.lns.search import DayArrays, LnsResult, improve, warm_up

__all__ = ["DayArrays", "LnsResult", "day_arrays", "improve", "warm_up"]

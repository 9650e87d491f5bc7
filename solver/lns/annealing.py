"""The annealing loop both ruin-and-recreate engines share: batches of compiled iterations,
a temperature that falls with the share of the budget spent, stopping rules, progress.

Shared by the day's engine (``solver.lns.search``) and the plain-VRPTW benchmark engine
(``benchmarks.engines.sisr``). What they do *not* share is the compiled kernel: its state is
the problem's (capacities and one depot there; shifts, breaks, eligibility and continuity
here), and numba compiles each kernel for concrete array types, so a common kernel would be
a slower one with both states in it. The loop around the kernel, however, is the same rule,
and lives here once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from solver.stop import Budget, SearchStatus, StoppingCriterion, stop_requested

#: Runs ``steps`` iterations with the temperature falling from the first to the second value;
#: returns the best cost so far.
Batch = Callable[[int, float, float], float]


@dataclass(frozen=True)
class Cooling:
    """Geometric cooling from ``hot`` to ``cold`` over the budget. Under a time budget a
    batch's end temperature is taken ``lookahead`` of the budget further on (its duration is
    not known in advance); under an iteration budget, exactly where the batch ends."""

    hot: float
    cold: float
    lookahead: float = 0.005

    def at(self, fraction: float) -> float:
        return self.hot * (self.cold / self.hot) ** fraction

    def batch(self, budget: Budget, status: SearchStatus, steps: int) -> tuple[float, float]:
        frac = budget.fraction(status)
        if budget.iterations_left(status) is None:
            end = min(1.0, frac + self.lookahead)
        else:
            end = budget.fraction(replace(status, iterations=status.iterations + steps))
        return self.at(frac), self.at(end)


@dataclass(frozen=True)
class Annealed:
    """How the loop ended: iterations run, best cost, and whether a stopping rule other
    than the budget ended it."""

    iterations: int
    best_cost: float
    stopped: bool


def anneal(
    batch: Batch,
    budget: Budget,
    cooling: Cooling,
    *,
    start_cost: float,
    chunk: int,
    stop: StoppingCriterion | None = None,
    since: float | None = None,
    iterations: int = 0,
    report: Callable[[SearchStatus], None] | None = None,
) -> Annealed:
    """Run ``batch`` in chunks of ``chunk`` iterations until ``budget`` is spent or ``stop``
    says so. ``since`` (monotonic seconds, default now) is when the budget's clock started;
    ``iterations`` already run count against it. ``report(status)`` is called about once a
    second, before a batch."""
    t0 = time.monotonic() if since is None else since
    best = start_cost
    reported = -1.0
    while True:
        now = time.monotonic()
        status = SearchStatus(now - t0, iterations, best)
        if report is not None and now - reported >= 1.0:
            reported = now
            report(status)
        if stop_requested(stop, status):
            return Annealed(iterations, best, True)
        if budget(status):
            return Annealed(iterations, best, False)
        left = budget.iterations_left(status)
        steps = chunk if left is None else min(chunk, left)
        t_a, t_b = cooling.batch(budget, status, steps)
        best = batch(steps, t_a, t_b)
        iterations += steps

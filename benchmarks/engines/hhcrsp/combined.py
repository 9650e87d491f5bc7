"""``solve``: the search, then optionally a few seconds of OR-Tools from its best solution.

Why a module of its own: it is the one entry point the benchmark calls, and it joins the two
solvers (``alns`` and ``ortools_model``) without either knowing the other.
"""

from __future__ import annotations

import time

from benchmarks.engines.hhcrsp.alns import solve_alns
from benchmarks.engines.hhcrsp.instance import HhcrspInstance
from benchmarks.engines.hhcrsp.ortools_model import solve_ortools
from benchmarks.engines.hhcrsp.schedule import SolveResult


def solve(
    inst: HhcrspInstance,
    time_limit: float = 60.0,
    *,
    seed: int = 0,
    stall: float | None = None,
    iterations: int | None = None,
    polish: float = 0.0,
    log: bool = False,
) -> SolveResult:
    """The search, then optionally ``polish`` seconds of OR-Tools from its best solution
    (kept only if the independent score improves); ``seconds`` is the total wall time.
    ``iterations`` bounds the search by iterations instead of the clock (see ``solve_alns``)."""
    t0 = time.monotonic()
    result = solve_alns(
        inst, max(0.1, time_limit - polish), seed=seed, stall=stall, iterations=iterations,
        log=log,
    )  # fmt: skip
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

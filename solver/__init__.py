"""The product's engine: reads a ``Problem``, returns a ``SolveResult`` holding the ``Rota``.

``solve(problem, options, stop=…, progress=…, warm_start=…)`` is the one entry point, in the
manner of PyVRP's ``solve(...) -> Result``. Inside: eligibility with reasons
(``eligibility``), tasks and vehicles (``instance``), cheapest-insertion construction
(``construct``), the day's ruin-and-recreate search (``lns``, the default engine) or
OR-Tools' routing search (``routing``), and the final timing (``schedule``). The solver knows
the domain model and nothing of files, the command line or the web.
"""

from solver.options import ENGINES, Engine, SolveOptions
from solver.progress import Phase, Progress, ProgressFn
from solver.result import SolveResult
from solver.solve import solve
from solver.stop import (
    Budget,
    FirstOf,
    MaxIterations,
    MaxRuntime,
    NoImprovement,
    SearchStatus,
    StoppingCriterion,
    StopWhen,
)
from solver.warm_start import WarmStart

__all__ = [
    "ENGINES",
    "Budget",
    "Engine",
    "FirstOf",
    "MaxIterations",
    "MaxRuntime",
    "NoImprovement",
    "Phase",
    "Progress",
    "ProgressFn",
    "SearchStatus",
    "SolveOptions",
    "SolveResult",
    "StopWhen",
    "StoppingCriterion",
    "WarmStart",
    "solve",
]

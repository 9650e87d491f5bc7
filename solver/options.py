"""How to solve a day: the engine, the budget, the seed, and how much change is welcome."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Literal, get_args

#: "lns": this project's ruin-and-recreate engine (``solver.lns``), the default because it
#: leaves shorter routes on the sample day than OR-Tools' guided local search (README);
#: "ortools": OR-Tools' routing search (``solver.routing``) builds and improves its own routes.
Engine = Literal["lns", "ortools"]
ENGINES: tuple[Engine, ...] = get_args(Engine)


@dataclass(frozen=True)
class SolveOptions:
    """Validated on construction, so a misspelt engine is an error, not a silent OR-Tools run.

    ``time_limit_s`` bounds the whole solve (construction, search and repair); with
    ``max_iterations`` the search is bounded by that many iterations instead of the clock
    (the same seed then gives the same rota). ``improve=False`` keeps the construction (or
    the warm start) without searching: a minimal-change re-plan. ``minimal_change_min`` with
    a warm start moves a visit only if that saves at least that many minutes of travel.
    """

    time_limit_s: float = 30.0
    seed: int = 0
    engine: Engine = "lns"
    continuity_cost: int = 20
    improve: bool = True
    minimal_change_min: int | None = None
    max_iterations: int | None = None
    log: bool = False
    workers: int = 1

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if not (self.time_limit_s >= 0 and math.isfinite(self.time_limit_s)):
            raise ValueError(f"time_limit_s must be a finite number ≥ 0, not {self.time_limit_s}")
        if self.continuity_cost < 0:
            raise ValueError("continuity_cost cannot be negative")
        if self.minimal_change_min is not None and self.minimal_change_min < 0:
            raise ValueError("minimal_change_min cannot be negative")
        if self.max_iterations is not None and self.max_iterations < 0:
            raise ValueError("max_iterations cannot be negative")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")


def default_workers() -> int:
    """Searches to run side by side where the caller has the machine to itself (``hah
    solve``, the web app's solve jobs): one per core, two at most (``solver.lns.parallel``)."""
    return max(1, min(2, os.cpu_count() or 1))

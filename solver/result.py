"""What a solve returns: the rota and how it was found, typed (no untyped ``meta`` keys)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scheduler.domain.model import Rota
from solver.options import Engine
from solver.progress import Phase


@dataclass(frozen=True)
class SolveResult:
    """The rota, the search's objective for it (penalties of what is left out + travel, in
    minutes), iterations of the search (also when its routes lost to the construction's),
    wall seconds, and the phase whose routes won.

    Rejects impossible values, so a result that exists is consistent.
    """

    rota: Rota
    objective: int
    iterations: int
    runtime_s: float
    phase: Phase
    engine: Engine
    seed: int
    time_limit_s: float
    tasks_total: int
    construction_tasks_placed: int
    warm_start: bool = False
    minimal_change_relocations: int = 0
    stopped_early: bool = False

    def __post_init__(self) -> None:
        if self.objective < 0:
            raise ValueError("the objective is a sum of penalties and minutes: never negative")
        if self.iterations < 0 or self.runtime_s < 0:
            raise ValueError("iterations and runtime cannot be negative")
        if not 0 <= self.construction_tasks_placed <= self.tasks_total:
            raise ValueError("the construction cannot place more visit slots than there are")

    def summary(self) -> dict[str, Any]:
        """The ``solver`` section of summary.json (docs/formats.md): how the rota was made."""
        final = {
            "construction": "construction",
            "lns": f"lns({self.iterations} iterations)+repair",
            "ortools": "local_search+repair",
        }[self.phase]
        return {
            "solver": f"construction+{self.engine}",
            "final_phase": final,
            "seed": self.seed,
            "time_limit_s": self.time_limit_s,
            "construction_tasks_placed": self.construction_tasks_placed,
            "warm_start": self.warm_start,
            "minimal_change_relocations": self.minimal_change_relocations,
            "tasks_total": self.tasks_total,
        }

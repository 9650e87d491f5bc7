"""When a search stops: small stopping rules, in the manner of PyVRP's ``pyvrp.stop``.

A search asks its rule once per batch of iterations with a ``SearchStatus`` (seconds spent,
iterations done, best cost so far) and stops when the rule says so. Two kinds:

- a **budget** (``MaxRuntime``, ``MaxIterations``) also says how much of itself is used, which
  the annealing schedule follows (hot at the start, cold at the end), and how many
  iterations are left, so an iteration budget is met exactly and the same seed gives the
  same rota;
- any other rule (``NoImprovement``, ``StopWhen`` for a coordinator's Stop button) only says
  stop or go. ``FirstOf`` combines rules.

``solver.solve`` builds the budget from ``SolveOptions`` (the time left of ``time_limit_s``,
or ``max_iterations``); callers pass extra rules as ``stop=``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class SearchStatus:
    """Where a search is: seconds since it started, iterations done, best cost so far."""

    seconds: float
    iterations: int
    best_cost: float


@runtime_checkable
class StoppingCriterion(Protocol):
    """``True`` when the search should stop now."""

    def __call__(self, status: SearchStatus) -> bool: ...


@runtime_checkable
class Budget(StoppingCriterion, Protocol):
    """A stopping rule that knows how much of it is spent (for the annealing schedule)."""

    def fraction(self, status: SearchStatus) -> float:
        """Share of the budget used, from 0 to 1."""
        ...

    def iterations_left(self, status: SearchStatus) -> int | None:
        """Iterations still allowed, or None when the budget is not counted in iterations."""
        ...


@dataclass(frozen=True)
class MaxRuntime:
    """Stop after ``seconds`` of search."""

    seconds: float

    def __post_init__(self) -> None:
        if not self.seconds >= 0 or math.isinf(self.seconds):
            raise ValueError(f"MaxRuntime needs a finite number of seconds ≥ 0, not {self.seconds}")

    def __call__(self, status: SearchStatus) -> bool:
        return status.seconds >= self.seconds

    def fraction(self, status: SearchStatus) -> float:
        return min(1.0, status.seconds / self.seconds) if self.seconds > 0 else 1.0

    def iterations_left(self, status: SearchStatus) -> int | None:
        return None


@dataclass(frozen=True)
class MaxIterations:
    """Stop after exactly ``iterations``: the clock plays no part, so runs are reproducible."""

    iterations: int

    def __post_init__(self) -> None:
        if self.iterations < 0:
            raise ValueError(f"MaxIterations needs a count ≥ 0, not {self.iterations}")

    def __call__(self, status: SearchStatus) -> bool:
        return status.iterations >= self.iterations

    def fraction(self, status: SearchStatus) -> float:
        return min(1.0, status.iterations / self.iterations) if self.iterations else 1.0

    def iterations_left(self, status: SearchStatus) -> int | None:
        return max(0, self.iterations - status.iterations)


@dataclass
class NoImprovement:
    """Stop when the best cost has not improved for ``iterations`` iterations (a stalled
    search). Stateful: use a fresh one per search."""

    iterations: int
    _best: float = field(default=math.inf, init=False)
    _since: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.iterations <= 0:
            raise ValueError(f"NoImprovement needs a count > 0, not {self.iterations}")

    def __call__(self, status: SearchStatus) -> bool:
        if status.best_cost < self._best:
            self._best, self._since = status.best_cost, status.iterations
        return status.iterations - self._since >= self.iterations


@dataclass(frozen=True)
class StopWhen:
    """Stop when ``flag()`` says so: a Stop button, a signal, a database row."""

    flag: Callable[[], bool]

    def __call__(self, status: SearchStatus) -> bool:
        return bool(self.flag())


@dataclass(frozen=True)
class FirstOf:
    """Stop as soon as any of ``rules`` says so."""

    rules: tuple[StoppingCriterion, ...]

    def __call__(self, status: SearchStatus) -> bool:
        return any(rule(status) for rule in self.rules)


def stop_requested(rule: StoppingCriterion | None, status: SearchStatus) -> bool:
    """``rule(status)``, or False when there is no rule."""
    return rule is not None and rule(status)

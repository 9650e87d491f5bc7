"""What a running solve reports: one type for both engines, for progress lines and job rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

#: Which part of the solve is running, or produced the answer.
Phase = Literal["construction", "lns", "ortools"]


@dataclass(frozen=True)
class Progress:
    """Seconds since the solve started; the best objective so far (None while the first rota
    is being built); visit slots placed (a double-handed visit has two); search iterations
    (LNS ruin-and-recreate steps, or OR-Tools solutions); the phase running."""

    seconds: float
    objective: int | None
    tasks_placed: int
    iterations: int
    phase: Phase


ProgressFn = Callable[[Progress], None]

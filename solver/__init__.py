"""Everything OR-Tools: reads a ``Problem``, returns a ``Rota`` (``scheduler.domain.model``).

The solver knows nothing of files or the web; ``solve`` is its one entry point.
"""

from solver.pipeline import SolveOptions, solve

__all__ = ["SolveOptions", "solve"]

"""Everything OR-Tools: reads a ``scheduler.model.Problem``, returns a ``scheduler.model.Rota``.

The solver knows nothing of files or the web; ``solve`` is its one entry point.
"""

from solver.pipeline import SolveOptions, solve

__all__ = ["SolveOptions", "solve"]

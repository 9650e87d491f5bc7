"""The adaptive large neighbourhood search for the HHCRSP (the default solver).

It searches over visit sequences whose every cost is exact, not estimated: the state keeps the
least start times of its sequences (``state``), removed patients are put back at their best
exactly evaluated places (``insertion``), the removal heuristics are in ``destroy`` and the
loop with its acceptance, operator weights and stopping rule in ``search``.
"""

from benchmarks.engines.hhcrsp.alns.search import solve_alns

__all__ = ["solve_alns"]

"""A benchmark's own generator of Hospital at Home service days (``DaySpec`` → CSV files).

Written for the day-suite benchmark (``benchmarks/bench_suite.py``) and independent of the
product's sample generator (``scheduler.domain.synth``): its own care model, geography,
rota model and staffing rule, so the suite's days are days the solver was not tuned on.
"""

from benchmarks.dayset.generate import generate, staffing_figures
from benchmarks.dayset.spec import DaySpec
from benchmarks.dayset.write import write_day

__all__ = ["DaySpec", "generate", "staffing_figures", "write_day"]

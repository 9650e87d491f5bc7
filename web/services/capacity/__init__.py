"""Capacity sweeps and simulated months from the ops page: a run row in the database, a worker
that sweeps (or simulates) into it. Nothing here imports Flask.

The same pattern as solve jobs (``web.services.jobs``): the request validates the parameters
(``params``) and creates a ``CapacityRun`` (``runs``); a runner hands its id to a worker (by
default a ``hah worker`` process taking it off the Redis queue) which calls the use
case ``scheduler.usecases.capacity.sweep.sweep`` (or ``.month.simulate_month``) with a
``progress`` callback that writes days solved into the row and a ``should_stop`` that reads
the row's ``stop_requested`` flag (``worker``), then stores the results as JSON in the row
(``results``), from which the charts are drawn (``charts``). Every simulated day is checked by
the independent checker inside the use case; the results carry its violation count.

Day results go to ``results.jsonl`` in the run's folder under the instance directory; month
days are keyed apart from sweep days, so the two kinds may share a folder.
"""

from web.services.capacity.charts import (
    CHARTS,
    MONTH_CHARTS,
    chart_svg,
    charts_available,
    charts_of,
)
from web.services.capacity.params import (
    DEFAULTS,
    MONTH_DEFAULTS,
    SAMPLE,
    ParamsError,
    kind_of,
    level_of,
    month_spec_of,
    parse_any,
    parse_month_params,
    parse_params,
    sample_toml,
    scenario_from_text,
)
from web.services.capacity.results import (
    answer,
    has_results,
    month_result_of,
    month_summary,
    serialise,
    serialise_month,
    sweep_result_of,
)
from web.services.capacity.runs import (
    ACTIVE,
    CapacityError,
    active_run,
    is_stale,
    recent_runs,
    request_stop,
    run_status,
    start_run,
)
from web.services.capacity.worker import make_capacity_runner, run_capacity

__all__ = [
    "ACTIVE", "CHARTS", "DEFAULTS", "MONTH_CHARTS", "MONTH_DEFAULTS", "SAMPLE", "CapacityError",
    "ParamsError", "active_run", "answer", "chart_svg", "charts_available", "charts_of",
    "has_results", "is_stale", "kind_of", "level_of", "make_capacity_runner", "month_result_of",
    "month_spec_of", "month_summary", "parse_any", "parse_month_params", "parse_params",
    "recent_runs", "request_stop", "run_capacity", "run_status", "sample_toml",
    "scenario_from_text", "serialise", "serialise_month", "start_run", "sweep_result_of",
]  # fmt: skip

"""A finished run's charts as SVG, drawn by ``scheduler.domain.capacity.plots`` (matplotlib,
an optional dependency: ``charts_available`` says whether it is installed)."""

from __future__ import annotations

import io

from web.models import CapacityRun
from web.services.capacity.params import kind_of
from web.services.capacity.results import month_result_of, sweep_result_of

CHARTS = ("capacity", "utilisation")
MONTH_CHARTS = ("month",)


def charts_available() -> bool:
    try:
        import scheduler.domain.capacity.plots  # noqa: F401
    except ImportError:
        return False
    return True


def chart_svg(run: CapacityRun, name: str) -> bytes:
    """One of ``CHARTS`` for a finished sweep, or of ``MONTH_CHARTS`` for a finished month,
    drawn by ``scheduler.domain.capacity.plots`` as SVG."""
    from scheduler.domain.capacity import plots  # matplotlib, Agg, no pyplot state

    buf = io.BytesIO()
    if name == "month":
        plots.month_series(month_result_of(run), buf, fmt="svg")
    else:
        draw = {"capacity": plots.capacity_curve, "utilisation": plots.utilisation_by_grade}[name]
        draw(sweep_result_of(run), buf, fmt="svg")
    return buf.getvalue()


def charts_of(run: CapacityRun) -> tuple[str, ...]:
    """The charts a run of this kind has."""
    return MONTH_CHARTS if kind_of(run.params) == "month" else CHARTS

"""Capacity charts (scheduler.domain.capacity.plots) drawn from real, small results: a census sweep
and a month, each solved with 1 s solves."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest

pytest.importorskip("matplotlib")

from scheduler.domain.capacity import plots
from scheduler.domain.capacity.admissions import MonthSpec
from scheduler.domain.capacity.scenario import Census, Scenario
from scheduler.domain.capacity.summary import ServiceLevel
from scheduler.usecases.capacity.month import plan_month, simulate_month
from scheduler.usecases.capacity.sweep import sweep

ROSTER = {
    "early": {"HCA": 1, "RN5": 2, "RN6": 1, "AP": 1},
    "late": {"RN5": 1, "RN6": 1},
    "night": {"RN6": 1},
}
TINY = Scenario("Tiny service", date(2026, 11, 23), Census((6, 12)), ROSTER)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    level = ServiceLevel(p1_on_time=0.8, placed=0.8, share_of_days=0.5)
    return sweep(TINY, tmp_path_factory.mktemp("sweep"), sizes=[6, 12], seeds=range(2),
                 time_limit_s=1.0, level=level, workers=1)  # fmt: skip


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    return simulate_month(TINY, tmp_path_factory.mktemp("month"), spec=MonthSpec(days=3, census=10),
                          seed=0, time_limit_s=1.0, workers=1)  # fmt: skip


def _svg(draw, result) -> bytes:
    buf = io.BytesIO()
    draw(result, buf, fmt="svg")
    return buf.getvalue()


CHARTS = [
    ("capacity_curve", "swept", "how many patients the roster carries"),
    ("utilisation_by_grade", "swept", "utilisation by grade"),
    ("month_series", "month", "simulated days from"),
]


@pytest.mark.parametrize(("name", "fixture", "title"), CHARTS)
def test_png_to_a_path(name, fixture, title, request, tmp_path):
    result = request.getfixturevalue(fixture)
    path = tmp_path / "charts" / f"{name}.png"
    getattr(plots, name)(result, path)
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000


@pytest.mark.parametrize(("name", "fixture", "title"), CHARTS)
def test_svg_into_a_buffer_is_readable_and_deterministic(name, fixture, title, request):
    result = request.getfixturevalue(fixture)
    draw = getattr(plots, name)
    first = _svg(draw, result)
    text = first.decode("utf-8")
    assert "<svg" in text and len(first) > 10_000
    assert title in text, "the title is text in the SVG"
    assert "%" in text, "axes labelled in per cent"
    assert "<dc:date>" not in text
    assert _svg(draw, result) == first, "the same result draws the same bytes"


def test_bands_and_markers_are_drawn(swept):
    text = _svg(plots.capacity_curve, swept).decode("utf-8")
    assert "10–90 % of days" in text and "min–max of days" in text
    assert "Service level: priority-1" in text and "Service level: placed" in text
    if swept.largest is not None:
        assert f"Largest census carried: {swept.largest} patients" in text
    util = _svg(plots.utilisation_by_grade, swept).decode("utf-8")
    for grade in ("HCA", "RN5", "RN6", "AP"):
        assert f"{grade} utilisation" in util
    assert "Travel (share of all paid time)" in util


def test_one_census_and_an_unsolved_month_still_draw(swept):
    one = replace(swept, summaries=swept.summaries[:1], largest=None)
    assert b"<svg" in _svg(plots.capacity_curve, one)
    planned = plan_month(TINY, MonthSpec(days=8, census=10))  # no day solved: gaps, no crash
    text = _svg(plots.month_series, planned).decode("utf-8")
    assert "0/8 days solved" in text


def test_unknown_format_is_refused(swept, tmp_path):
    with pytest.raises(ValueError, match="chart format"):
        plots.capacity_curve(swept, tmp_path / "chart.gif")
    with pytest.raises(ValueError, match="chart format"):
        plots.capacity_curve(swept, io.BytesIO())


def test_a_caseload_sweep_says_so_and_that_its_census_is_a_target(swept):
    from scheduler.domain.capacity.caseload_sweep import CaseloadSweep

    caseload = replace(swept, caseload=CaseloadSweep(days=7, continuity="learned"))
    for draw in (plots.capacity_curve, plots.utilisation_by_grade):
        plain, text = _svg(draw, swept).decode("utf-8"), _svg(draw, caseload).decode("utf-8")
        assert "caseload model: 2 month(s) × 7 days per census, learned continuity" in text
        assert "Target census (mean patients on the ward)" in text
        assert "caseload" not in plain and "2 simulated days per census" in plain

"""Charts of capacity answers, for people: titles, axis labels with units, legends, and the
spread across simulated days drawn as bands (10–90 % darker, min–max lighter).

- ``capacity_curve``: priority-1 visits on time and all visits placed against the census,
  the service level dashed, and the largest census the roster carries marked.
- ``utilisation_by_grade``: each grade's utilisation against the census, and the travel
  share of paid time.
- ``month_series``: a simulated month day by day: visits and census, placed and priority-1
  on time, with 7-day rolling means.

Each takes a path (the format from its suffix: png, svg or pdf) or a binary file object and
``fmt`` (the web app renders SVG into a ``BytesIO``). Output is deterministic: no dates or
software versions in the metadata and fixed SVG ids, so the same result draws the same
bytes; SVG text stays text (searchable, read by screen readers). Figures are made with
``matplotlib.figure.Figure`` (no pyplot state), so drawing is safe from a web request thread.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import IO

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from scheduler.domain.capacity.summary import SweepResult

FORMATS = ("png", "svg", "pdf")
P1_COLOUR = "#c0392b"
PLACED_COLOUR = "#1f5f9e"
TRAVEL_COLOUR = "#333333"
GRADE_COLOURS = {"HCA": "#2e8b57", "RN5": "#1f5f9e", "RN6": "#7b3fa0", "AP": "#d4820a"}
_HALF = timedelta(hours=12)
_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}


def _save(fig: Figure, path_or_file: str | Path | IO[bytes], fmt: str | None) -> None:
    if isinstance(path_or_file, str | Path):
        path = Path(path_or_file)
        fmt = fmt or path.suffix.lstrip(".").lower()
        path.parent.mkdir(parents=True, exist_ok=True)
    if fmt not in FORMATS:
        raise ValueError(f"chart format {fmt!r}: use one of {', '.join(FORMATS)}")
    with matplotlib.rc_context({"svg.hashsalt": "hah-capacity", "svg.fonttype": "none"}):
        fig.savefig(path_or_file, format=fmt, dpi=120, bbox_inches="tight", metadata=_METADATA[fmt])


def _band(ax, x, spreads, colour: str, label: str, *, scale: float = 100.0, style="-") -> None:
    """Mean line, 10–90 % band and min–max band of a list of ``summary.Spread``."""
    mean = [s.mean * scale for s in spreads]
    ax.fill_between(
        x,
        [s.min * scale for s in spreads],
        [s.max * scale for s in spreads],
        color=colour,
        alpha=0.08,
        linewidth=0,
    )
    ax.fill_between(
        x,
        [s.lo * scale for s in spreads],
        [s.hi * scale for s in spreads],
        color=colour,
        alpha=0.22,
        linewidth=0,
    )
    ax.plot(x, mean, style, color=colour, marker="o", markersize=4, linewidth=1.8, label=label)


def _percent_axis(ax) -> None:
    ax.yaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10], integer=True))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))


def _titles(ax, title: str, subtitle: str) -> None:
    ax.set_title(title, loc="left", pad=16)
    ax.text(0, 1.01, subtitle, transform=ax.transAxes, fontsize=8, color="#555555", va="bottom")


def _at(d) -> datetime:
    return datetime.combine(d, time(0, 0))


def _subtitle(result: SweepResult) -> str:
    c = result.caseload
    per = (f"{len(result.seeds)} simulated days per census" if c is None else
           f"caseload model: {len(result.seeds)} month(s) × {c.days} days per census, "
           f"{c.continuity} continuity")  # fmt: skip
    return (
        f"{result.scenario.clinicians()} clinicians on the roster · {per} · "
        f"{result.time_limit_s:g} s per solve"
    )


def _census_label(result: SweepResult) -> str:
    """A caseload sweep's census is the target mean (the ward holds more on some days)."""
    if result.caseload is None:
        return "Census (patients on the ward)"
    return "Target census (mean patients on the ward)"


def _band_legend(ax, **kw) -> None:
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    handles += [Patch(color="#888888", alpha=0.45), Patch(color="#888888", alpha=0.15)]
    labels += ["10–90 % of days", "min–max of days"]
    ax.legend(handles, labels, **kw)


def capacity_curve(
    result: SweepResult, path_or_file: str | Path | IO[bytes], fmt: str | None = None
) -> None:
    """% of priority-1 visits on time and % of all visits placed, by census."""
    summaries = sorted(result.summaries, key=lambda s: s.census)
    x = [s.census for s in summaries]
    fig = Figure(figsize=(8, 6), layout="constrained")
    ax = fig.add_subplot()
    _band(ax, x, [s.p1_on_time for s in summaries], P1_COLOUR, "Priority-1 visits on time")
    _band(ax, x, [s.placed for s in summaries], PLACED_COLOUR, "All visits placed")
    level = result.level
    ax.axhline(
        100 * level.p1_on_time,
        color=P1_COLOUR,
        linestyle="--",
        linewidth=1,
        label=f"Service level: priority-1 ≥ {100 * level.p1_on_time:g} %",
    )
    ax.axhline(
        100 * level.placed,
        color=PLACED_COLOUR,
        linestyle="--",
        linewidth=1,
        label=f"Service level: placed ≥ {100 * level.placed:g} %",
    )
    if result.largest is not None:
        ax.axvline(
            result.largest,
            color="#2e8b57",
            linestyle=":",
            linewidth=2,
            label=f"Largest census carried: {result.largest} patients",
        )
    lows = [min(s.p1_on_time.min, s.placed.min) for s in summaries]
    bottom = min([*lows, level.p1_on_time, level.placed]) * 100
    ax.set_ylim(max(0.0, math.floor(bottom / 5) * 5 - 2), 100.8)
    if len(x) == 1:
        ax.set_xlim(x[0] - 10, x[0] + 10)
    _percent_axis(ax)
    ax.set_xlabel(_census_label(result))
    ax.set_ylabel("Visits (% of the day's visits)")
    _titles(ax, f"{result.scenario.name}: how many patients the roster carries", _subtitle(result))
    ax.grid(True, alpha=0.3)
    _band_legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, fontsize=8)
    _save(fig, path_or_file, fmt)


def utilisation_by_grade(
    result: SweepResult, path_or_file: str | Path | IO[bytes], fmt: str | None = None
) -> None:
    """Utilisation of each grade's rostered hours, and travel's share of paid time, by census."""
    summaries = sorted(result.summaries, key=lambda s: s.census)
    x = [s.census for s in summaries]
    grades = sorted({g for s in summaries for g in s.utilisation})
    fig = Figure(figsize=(8, 6), layout="constrained")
    ax = fig.add_subplot()
    spare = iter(["#8c564b", "#17becf", "#bcbd22", "#e377c2"])
    for g in grades:
        colour = GRADE_COLOURS.get(g) or next(spare, "#7f7f7f")
        have = [
            (c, s.utilisation[g]) for c, s in zip(x, summaries, strict=True) if g in s.utilisation
        ]
        _band(ax, [c for c, _ in have], [sp for _, sp in have], colour, f"{g} utilisation")
    _band(
        ax,
        x,
        [s.travel_share for s in summaries],
        TRAVEL_COLOUR,
        "Travel (share of all paid time)",
        style="--",
    )
    if result.largest is not None:
        ax.axvline(
            result.largest,
            color="#2e8b57",
            linestyle=":",
            linewidth=2,
            label=f"Largest census carried: {result.largest} patients",
        )
    if len(x) == 1:
        ax.set_xlim(x[0] - 10, x[0] + 10)
    ax.set_ylim(0, 105)
    _percent_axis(ax)
    ax.set_xlabel(_census_label(result))
    ax.set_ylabel("Visit and driving time (% of paid hours)")
    _titles(ax, f"{result.scenario.name}: utilisation by grade", _subtitle(result))
    ax.grid(True, alpha=0.3)
    _band_legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize=8)
    _save(fig, path_or_file, fmt)


def month_series(month, path_or_file: str | Path | IO[bytes], fmt: str | None = None) -> None:
    """A simulated month (``month_report.MonthResult``, or what reads as one): visits and
    census a day (top), % placed and % of priority-1 on time (bottom), each with its 7-day
    rolling mean; unsolved days are gaps."""
    rows = month.table()
    days = [r.date for r in month.rows]
    nan = math.nan

    def col(name: str, scale: float = 1.0) -> list[float]:
        return [nan if r[name] is None else r[name] * scale for r in rows]

    fig = Figure(figsize=(10, 8), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1]})
    for d in days:  # weekends lightly shaded
        if d.weekday() >= 5:
            for ax in (top, bottom):
                ax.axvspan(_at(d) - _HALF, _at(d) + _HALF, color="#eeeeee", zorder=0, linewidth=0)
    top.bar(days, col("visits"), width=0.8, color="#9ab8d8", label="Visits (expanded care plans)")
    top.plot(
        days, col("visits_7d"), color=PLACED_COLOUR, linewidth=2, label="Visits, 7-day rolling mean"
    )
    top.set_ylabel("Visits per day")
    right = top.twinx()
    right.plot(
        days,
        col("census"),
        color="#444444",
        marker=".",
        linewidth=1.2,
        label="Census (patients on the ward)",
    )
    right.set_ylabel("Patients on the ward")
    right.set_ylim(0, max([r["census"] for r in rows] + [1]) * 1.25)
    top.set_ylim(0, max([r["visits"] for r in rows] + [1]) * 1.25)
    h1, l1 = top.get_legend_handles_labels()
    h2, l2 = right.get_legend_handles_labels()
    top.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8, ncols=3, framealpha=0.9)
    top.grid(True, axis="y", alpha=0.3)

    bottom.plot(
        days,
        col("placed_rate", 100),
        color=PLACED_COLOUR,
        marker="o",
        markersize=3,
        linewidth=1,
        label="All visits placed",
    )
    bottom.plot(
        days,
        col("placed_rate_7d", 100),
        color=PLACED_COLOUR,
        linewidth=2.2,
        alpha=0.6,
        label="Placed, 7-day rolling mean",
    )
    bottom.plot(
        days,
        col("p1_on_time", 100),
        color=P1_COLOUR,
        marker="o",
        markersize=3,
        linewidth=1,
        label="Priority-1 visits on time",
    )
    bottom.plot(
        days,
        col("p1_on_time_7d", 100),
        color=P1_COLOUR,
        linewidth=2.2,
        alpha=0.6,
        label="Priority-1 on time, 7-day rolling mean",
    )
    level = month.level
    bottom.axhline(
        100 * level.placed,
        color=PLACED_COLOUR,
        linestyle="--",
        linewidth=1,
        label=f"Service level: placed ≥ {100 * level.placed:g} %",
    )
    bottom.axhline(
        100 * level.p1_on_time,
        color=P1_COLOUR,
        linestyle="--",
        linewidth=1,
        label=f"Service level: priority-1 ≥ {100 * level.p1_on_time:g} %",
    )
    rates = [v for v in col("placed_rate", 100) + col("p1_on_time", 100) if not math.isnan(v)]
    floor = min([*rates, 100 * level.placed, 100 * level.p1_on_time])
    bottom.set_ylim(max(0.0, math.floor(floor / 5) * 5 - 2), 100.8)
    _percent_axis(bottom)
    bottom.set_ylabel("Visits (% of the day's visits)")
    bottom.set_xlabel("Date (weekends shaded)")
    bottom.grid(True, alpha=0.3)
    bottom.legend(loc="lower left", bbox_to_anchor=(0, 1.01), fontsize=8, ncols=3)
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b"))
    bottom.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, len(days) // 15)))
    for label in bottom.get_xticklabels():
        label.set_rotation(45)
        label.set_horizontalalignment("right")
    t = month.totals
    solved = "" if month.complete else f" ({t.days_solved}/{t.days} days solved)"
    head = (
        (
            f"{month.scenario.name}: {t.days} simulated days from {days[0]:%d %b %Y}{solved} — "
            f"{t.visits:,} visits, mean census {t.mean_census:.0f}"
        )
        if days
        else "No days"
    )
    if t.days_solved:
        head += (
            f"; {100 * t.placed_rate:.1f} % placed, "
            f"{100 * t.p1_on_time:.1f} % of priority-1 on time"
        )
    top.set_title(head, loc="left", fontsize=10)
    fig.align_ylabels([top, bottom])
    _save(fig, path_or_file, fmt)

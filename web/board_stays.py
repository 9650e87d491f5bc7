"""The board's list of the day's stays: continuity over the stay per patient
(``web.services.stays``), ordered and filtered as the page's query asks.

Not part of the shared fragment of ``web.board_sections``, whose key does not change when an
earlier day is published (and an earlier day is where most of a stay is); kept per process
by what it shows instead: the answer's key (every version and every stay's first day it was
made from), the version's status (publishing changes it), the query. ~250 rows for the
sample day, ~6 ms to render, so a refresh renders nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import render_template
from markupsafe import Markup

from scheduler.domain.model import Shift
from web.models import RotaVersion
from web.services.memo import ProcessCache
from web.services.stays import SORTS, DayStays, ordered

_STAYS: ProcessCache[Markup] = ProcessCache(32)
#: How long a patient-id search may be (a longer one matches nothing anyway).
QUERY_MAX = 64


def stays_query(args: Mapping[str, str]) -> tuple[str, int | None, str]:
    """The list's order, filter and search from the page's query: ``stays_sort`` (one of
    ``web.services.stays.SORTS``), ``stays_below`` (a top-3 share in %, 1–100: only the
    stays below it) and ``stays_q`` (part of a patient id); anything else is the default."""
    sort = args.get("stays_sort", SORTS[0])
    try:
        below: int | None = min(max(int(args.get("stays_below", "")), 1), 100)
    except ValueError:
        below = None
    return (sort if sort in SORTS else SORTS[0]), below, args.get("stays_q", "").strip()[:QUERY_MAX]


def stays_section(stays: DayStays, day_s: str, selected: RotaVersion, shifts: tuple[Shift, ...],
                  args: Mapping[str, str]) -> Markup:  # fmt: skip
    """``coordinator/_stays.html`` for ``stays``, the day shown from ``selected``."""
    sort, below, query = stays_query(args)
    keep_version = bool(args.get("version"))
    key = (stays.key, day_s, selected.id, selected.status, sort, below, query, keep_version)

    def render() -> Markup:
        rows = ordered(stays.stays, sort, below / 100 if below is not None else None, query)
        return Markup(render_template(
            "coordinator/_stays.html", stays=stays, rows=rows, sort=sort, below=below,
            query=query, names={x.clinician_id: x.name for x in shifts}, selected=selected,
            date_s=day_s, keep_version=keep_version, sorts=SORTS,
        ))  # fmt: skip

    if stays.key is None:  # not made by day_stays: nothing to key it by
        return render()
    return _STAYS.get_or_make(key, render)

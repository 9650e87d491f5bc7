"""Small synthetic days for solver tests, with a travel matrix the tests control.

Places sit on a grid of 1-km cells; driving time is 3 minutes per cell of Manhattan distance
(plus nothing else), so expected travel is easy to reason about, the triangle inequality holds,
and the tests do not depend on the travel models under test elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np

from scheduler.domain.localtime import at_local, parse_contract
from scheduler.domain.model import (
    Break,
    Location,
    Problem,
    Shift,
    TravelMatrix,
    Visit,
    Window,
    day_origin,
)

#: The test day, and its local midnight as the aware UTC moment every test time counts from.
DATE = date(2026, 11, 23)
DAY = at_local(DATE)
MIN_PER_CELL = 3
#: The two clock-change nights of 2026 in Europe/London (the clocks change at 01:00 UTC on
#: the Sunday): the evening before each.
OCTOBER_EVE = date(2026, 10, 24)  # back an hour: 21:00–07:30 lasts 11.5 h
MARCH_EVE = date(2026, 3, 28)  # forward an hour: 21:00–07:30 lasts 9.5 h


def at(hour: str | int, minute: int = 0, second: int = 0, *, on: date = DATE) -> datetime:
    """A moment on the test day (or the day ``on``), the one time helper of the tests:
    ``at("09:30")``, ``at("09:30:40")``, ``at(9, 30)`` or ``at(9, 30, 40)``; an aware UTC
    moment, the local wall-clock time given. Hours of 24 and more are the next morning's
    (``at("31:30")`` is 07:30 after a night)."""
    if isinstance(hour, str):
        if minute or second:
            raise TypeError('give the time as "HH:MM" or as numbers, not both')
        parts = [int(p) for p in hour.split(":")]
        if len(parts) not in (2, 3):
            raise ValueError(f"a time is HH:MM or HH:MM:SS, not {hour!r}")
        hour, minute, second = (*parts, 0)[:3]
    return at_local(on, hour, minute) + timedelta(seconds=second)


def when(text: str) -> datetime:
    """A contract date-time (``2026-11-23T07:30``, local; or with an offset) as a moment."""
    return parse_contract(text)


def grid(x: int, y: int) -> Location:
    """A place x, y kilometres east/north of a point in Hertfordshire."""
    return Location(51.80 + y * 0.009, -0.20 + x * 0.0145)


def cell(loc: Location) -> tuple[int, int]:
    return round((loc.lon + 0.20) / 0.0145), round((loc.lat - 51.80) / 0.009)


def visit(
    vid: str,
    x: int,
    y: int,
    start: str,
    end: str,
    duration: int = 30,
    *,
    on: date = DATE,
    **kw,
) -> Visit:
    return Visit(
        visit_id=vid,
        patient_id=kw.pop("patient_id", "P-" + vid),
        location=grid(x, y),
        window=Window(at(start, on=on), at(end, on=on)),
        duration_min=duration,
        skills=frozenset(kw.pop("skills", ())),
        **kw,
    )


def shift(
    cid: str,
    start: str,
    end: str,
    *,
    base: tuple[int, int] = (0, 0),
    skills=("RN", "IV", "OBS"),
    brk: tuple[int, str, str] | None = None,
    max_visits: int | None = None,
    on: date = DATE,
) -> Shift:
    """A shift on the test day (or ``on``); times "HH:MM", from 24:00 on the next morning."""
    rest = Break(brk[0], Window(at(brk[1], on=on), at(brk[2], on=on))) if brk else None
    return Shift(
        clinician_id=cid,
        name=f"Nurse {cid}",
        skills=frozenset(skills),
        start=at(start, on=on),
        end=at(end, on=on),
        start_location=grid(*base),
        end_location=grid(*base),
        rest_break=rest,
        max_visits=max_visits,
    )


class GridTravel:
    """The grid's drives as a ``TravelModel``: ``make_problem``'s matrix, and the model for
    code that builds its own problems (the re-planning use case)."""

    name = f"grid-{MIN_PER_CELL}min-per-cell"

    def minutes(self, locations: Sequence[Location]) -> np.ndarray:
        cells = np.array([cell(p) for p in locations], dtype=float).reshape(-1, 2)
        return MIN_PER_CELL * np.abs(cells[:, None, :] - cells[None, :, :]).sum(axis=2)


def make_problem(visits: list[Visit], shifts: list[Shift]) -> Problem:
    places: list[Location] = []
    index: dict[tuple[int, int], int] = {}

    def idx(loc: Location) -> int:
        c = cell(loc)
        if c not in index:
            index[c] = len(places)
            places.append(grid(*c))
        return index[c]

    starts = [idx(s.start_location) for s in shifts]
    ends = [idx(s.end_location) for s in shifts]
    vlocs = [idx(v.location) for v in visits]
    minutes = GridTravel().minutes(places).astype(np.int32)
    return Problem(
        visits=tuple(visits),
        shifts=tuple(shifts),
        travel=TravelMatrix(tuple(places), minutes, "grid"),
        visit_loc=tuple(vlocs),
        shift_start_loc=tuple(starts),
        shift_end_loc=tuple(ends),
        origin=_origin(visits, shifts),
    )


def _origin(visits: Sequence[Visit], shifts: Sequence[Shift]) -> datetime:
    """The test day's midnight, or the local midnight of the first moment of a day before it
    (a clock-change night)."""
    moments = [s.start for s in shifts] + [v.window.start for v in visits]
    return DAY if not moments or min(moments) >= DAY else day_origin(moments)

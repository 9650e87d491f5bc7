"""Assemble a ``Problem`` from visits and shifts: distinct places, their travel matrix, minute 0.

Places closer than about a metre are merged (coordinates rounded to six decimals), so two
visits to one patient share a row of the matrix and cost no travel between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from scheduler.domain.model import Location, Problem, Shift, TravelMatrix, Visit, day_origin
from scheduler.domain.travel import TravelModel, travel_matrix


def _key(loc: Location) -> tuple[float, float]:
    return (round(loc.lat, 6), round(loc.lon, 6))


def distinct_locations(
    visits: Sequence[Visit], shifts: Sequence[Shift]
) -> tuple[list[Location], list[int], list[int], list[int]]:
    """Distinct places, in first-seen order (shift places first), and each one's index."""
    index: dict[tuple[float, float], int] = {}
    places: list[Location] = []

    def idx(loc: Location) -> int:
        k = _key(loc)
        if k not in index:
            index[k] = len(places)
            places.append(Location(*k))
        return index[k]

    starts = [idx(s.start_location) for s in shifts]
    ends = [idx(s.end_location) for s in shifts]
    vlocs = [idx(v.location) for v in visits]
    return places, vlocs, starts, ends


def build_problem(
    visits: Sequence[Visit],
    shifts: Sequence[Shift],
    travel_model: TravelModel | None = None,
    *,
    matrix: TravelMatrix | None = None,
    cache_dir: Path | str | bool | None = None,
) -> Problem:
    """A ready-to-solve day. Give ``matrix`` to reuse travel times (e.g. an exported one);
    its locations must then include every place of the day."""
    places, vlocs, starts, ends = distinct_locations(visits, shifts)
    if matrix is None:
        matrix = travel_matrix(places, travel_model, cache_dir=cache_dir)
    else:
        lookup = {_key(loc): i for i, loc in enumerate(matrix.locations)}
        missing = [p for p in places if _key(p) not in lookup]
        if missing:
            raise ValueError(
                f"{len(missing)} places of the day are not in the given travel matrix, "
                f"e.g. {missing[0].lat}, {missing[0].lon}"
            )
        remap = [lookup[_key(p)] for p in places]
        vlocs = [remap[i] for i in vlocs]
        starts = [remap[i] for i in starts]
        ends = [remap[i] for i in ends]
    moments = [s.start for s in shifts] + [v.window.start for v in visits]
    origin = day_origin(moments or [datetime.now()])
    return Problem(
        visits=tuple(visits),
        shifts=tuple(shifts),
        travel=matrix,
        visit_loc=tuple(vlocs),
        shift_start_loc=tuple(starts),
        shift_end_loc=tuple(ends),
        origin=origin,
    )

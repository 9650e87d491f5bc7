"""A day's files with the personal data taken out, that still rebuild the same day.

Retention (``web.services.retention``) replaces an old import's visits.csv and
clinicians.csv by what ``minimise_day`` writes. What goes, and why it may:

- a visit's ``address`` and ``access_notes`` (free text about a home), its
  ``excluded_clinicians``, ``carer_gender`` and ``risk_flags`` (what a patient asked for and
  what is known about her: sensitive, and only ever rules on who may go, so dropping them can
  only take rules away from the day's re-check, never add a violation); every column the
  contract does not know (a trust's export may carry a name or a date of birth there);
- a clinician's ``name`` (her id instead) and ``gender``;
- exact places: every place is moved to its 0.01° cell (about 1.1 km north–south and 0.7 km
  east–west here), so a home is no longer findable from its coordinates. Two distinct places
  that fall in one cell stay distinct (the second a hundred-thousandth of a degree, about a
  metre, north of the first: the order says nothing of where they were), so no two visits
  merge into one place.

What stays is what the day's history is made of: the visit and patient ids (the service's
own ids, as the audit log names them), windows, durations, skills, staff, priorities,
links, pinned and preferred clinicians, visit types, shifts, breaks, roles and bases.

Coarse places alone would time the day's rotas with other drives, and the independent
checker would find them late. So the drives the import's stored rotas actually make (each
route from its start place, visit to visit, and home: ``route_legs``) are kept with the exact
minutes they were planned and checked with; every other pair is the travel model's between
the coarse places. The kept legs say no more than the rotas' own ``travel_min`` already do.
``problem_with_travel`` rebuilds the day from the minimised files and those legs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from scheduler.domain.careplan import clinicians_csv_text, visits_csv_text
from scheduler.domain.model import Location, Problem, Rota, Shift, TravelMatrix, Visit
from scheduler.domain.problem import build_problem, distinct_locations
from scheduler.domain.travel import travel_matrix

#: Decimal places kept of a coordinate: 0.01° is about 1.1 km of latitude and, in England,
#: 0.7 km of longitude.
PLACES = 2
#: How far apart two distinct places of one cell are set (degrees of latitude: about a metre).
NUDGE = 1e-5

#: One kept drive: from (lat, lon) to (lat, lon), in whole minutes, between minimised places.
Leg = tuple[float, float, float, float, int]


def _key(loc: Location) -> tuple[float, float]:
    return (round(loc.lat, 6), round(loc.lon, 6))


def coarse_places(places: Iterable[Location]) -> dict[tuple[float, float], Location]:
    """Each distinct place (by its 6-decimal key, as ``build_problem`` merges them) → its
    coarse place: the 0.01° cell's corner, nudged north by ``NUDGE`` steps when an earlier
    place of the same cell took it, in the order given (so the result is deterministic)."""
    out: dict[tuple[float, float], Location] = {}
    taken: set[tuple[float, float]] = set()
    for loc in places:
        k = _key(loc)
        if k in out:
            continue
        lat, lon = round(loc.lat, PLACES), round(loc.lon, PLACES)
        step = 0
        while (cand := (round(lat + step * NUDGE, 6), lon)) in taken:
            step += 1
        taken.add(cand)
        out[k] = Location(*cand)
    return out


def coarse(lat: float, lon: float) -> tuple[float, float]:
    """One coordinate pair coarsened alone (a form's place, a patient's home)."""
    return round(lat, PLACES), round(lon, PLACES)


@dataclass(frozen=True)
class MinimisedDay:
    """The minimised files and the kept drives (``Leg`` between minimised places)."""

    visits_csv: bytes
    clinicians_csv: bytes
    travel: tuple[Leg, ...]


def minimise_inputs(visits: Sequence[Visit], shifts: Sequence[Shift]
                    ) -> tuple[tuple[Visit, ...], tuple[Shift, ...],
                               dict[tuple[float, float], Location]]:  # fmt: skip
    """The day's visits and shifts without personal data, and the place map used."""
    places, _, _, _ = distinct_locations(visits, shifts)
    where = coarse_places(places)

    def at(loc: Location) -> Location:
        return where[_key(loc)]

    v = tuple(replace(x, location=at(x.location), address="", access_notes="",
                      excluded_clinicians=frozenset(), carer_gender="", risk_flags=frozenset())
              for x in visits)  # fmt: skip
    s = tuple(replace(x, name=x.clinician_id, gender="", start_location=at(x.start_location),
                      end_location=at(x.end_location))
              for x in shifts)  # fmt: skip
    return v, s, where


def route_legs(problem: Problem, rota: Rota) -> set[tuple[int, int]]:
    """The drives a rota makes, as (from, to) indices of ``problem.travel``: each route from
    its shift's start place through its visits, then to the end place (as the checker walks
    them: ``scheduler.domain.check.facts.view``)."""
    legs: set[tuple[int, int]] = set()
    for route in rota.routes:
        k = problem.shift_index.get(route.clinician_id)
        if k is None:
            continue
        here, visited = problem.shift_start_loc[k], False
        for stop in route.stops:
            if stop.kind != "visit" or stop.visit_id not in problem.visit_index:
                continue
            loc = problem.visit_loc[problem.visit_index[stop.visit_id]]
            legs.add((here, loc))
            here, visited = loc, True
        if visited:
            legs.add((here, problem.shift_end_loc[k]))
    return {(a, b) for a, b in legs if a != b}


def minimise_day(problem: Problem, rotas: Iterable[Rota]) -> MinimisedDay:
    """``problem``'s files minimised, with the drives of ``rotas`` (the import's stored
    versions) kept at the minutes ``problem`` gives them."""
    visits, shifts, where = minimise_inputs(problem.visits, problem.shifts)
    pairs: set[tuple[int, int]] = set()
    for rota in rotas:
        pairs |= route_legs(problem, rota)
    locs = problem.travel.locations
    travel = tuple(sorted(
        (*_pair(where[_key(locs[a])]), *_pair(where[_key(locs[b])]),
         int(problem.travel.minutes[a, b]))
        for a, b in pairs
    ))  # fmt: skip
    return MinimisedDay(visits_csv_text(visits).encode("utf-8"),
                        clinicians_csv_text(shifts).encode("utf-8"), travel)  # fmt: skip


def _pair(loc: Location) -> tuple[float, float]:
    return (loc.lat, loc.lon)


def problem_with_travel(visits: Sequence[Visit], shifts: Sequence[Shift],
                        travel: Iterable[Sequence[float]]) -> Problem:  # fmt: skip
    """The day of minimised files: the travel model between its (coarse) places, but each
    kept drive at its kept minutes. A kept drive between places the files no longer have
    (they never lose one) is ignored."""
    places, _, _, _ = distinct_locations(visits, shifts)
    base = travel_matrix(places)
    minutes = np.array(base.minutes, dtype=np.int32)
    index: Mapping[tuple[float, float], int] = {_key(p): i for i, p in enumerate(places)}
    for a_lat, a_lon, b_lat, b_lon, m in travel:
        a = index.get((round(a_lat, 6), round(a_lon, 6)))
        b = index.get((round(b_lat, 6), round(b_lon, 6)))
        if a is not None and b is not None and a != b:
            minutes[a, b] = int(m)
    matrix = TravelMatrix(tuple(places), minutes, f"{base.model_name} + kept drives")
    return build_problem(visits, shifts, matrix=matrix)

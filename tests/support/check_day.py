"""The hand-made day the checker's tests share, and small tools to break its valid rota.

Every problem here is built by hand with ``model.Problem`` and an explicit ``TravelMatrix`` so
that the expected figures can be worked out on paper (and never depend on a travel model).
Times are on the day of ``tests.support.factories`` (``at("HH:MM")``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from scheduler.domain.check import CheckReport, check
from scheduler.domain.model import (
    Break,
    Location,
    Problem,
    Reason,
    Rota,
    Route,
    Shift,
    Stop,
    TravelMatrix,
    Unassigned,
    Visit,
    Window,
)
from tests.support.factories import DAY, at


def win(a: str, b: str) -> Window:
    """The window from ``a`` to ``b`` ("HH:MM")."""
    return Window(at(a), at(b))


def place(i: int) -> Location:
    """The ``i``-th place of a hand-made matrix (its coordinates play no part in the times)."""
    return Location(51.8 + i * 0.01, -0.2)


# Places: 0 = N1's base, 1 = N2's and H1's base, 2 = A, 3 = PAIR and FOLLOW, 4 = PIN, 5 = OUT.
MINUTES = [
    [0, 20, 10, 15, 25, 40],
    [20, 0, 12, 8, 10, 40],
    [10, 12, 0, 5, 18, 40],
    [15, 8, 5, 0, 12, 40],
    [25, 10, 18, 12, 0, 40],
    [40, 40, 40, 40, 40, 0],
]

VISITS = (
    Visit("A", "P1", place(2), win("08:00", "09:00"), 30, frozenset({"RN"}), priority=1,
          preferred_clinician="N1"),
    Visit("PAIR", "P2", place(3), win("09:00", "10:00"), 45, frozenset({"RN"}), staff=2),
    Visit("FOLLOW", "P2", place(3), win("11:00", "14:00"), 20, priority=3,
          after_visit="PAIR", min_gap_min=120),
    Visit("PIN", "P3", place(4), win("10:00", "11:00"), 30, frozenset({"IV"}), priority=1,
          pinned_clinician="N2", preferred_clinician="N1"),
    Visit("OUT", "P4", place(5), win("09:00", "09:30"), 30, priority=1,
          preferred_clinician="N2"),
)  # fmt: skip

SHIFTS = (
    Shift("N1", "Nurse One", frozenset({"RN"}), at("08:00"), at("16:00"), place(0), place(0),
          rest_break=Break(30, win("12:00", "13:00")), max_visits=3),
    Shift("N2", "Nurse Two", frozenset({"RN", "IV"}), at("08:00"), at("16:00"), place(1),
          place(1), max_visits=2),
    Shift("H1", "Helper", frozenset({"OBS"}), at("09:00"), at("17:00"), place(1), place(1)),
)  # fmt: skip

N1, N2 = 0, 1  # index of each route in valid_rota()


def problem(shifts=SHIFTS, visits=VISITS) -> Problem:
    """The day of ``VISITS`` and ``SHIFTS`` (either replaceable) on the six-place matrix."""
    return Problem(
        visits=tuple(visits),
        shifts=tuple(shifts),
        travel=TravelMatrix(tuple(place(i) for i in range(6)), np.array(MINUTES)),
        visit_loc=(2, 3, 3, 4, 5),
        shift_start_loc=(0, 1, 1),
        shift_end_loc=(0, 1, 1),
        origin=DAY,
    )


def V(vid, arrive, start, end, travel) -> Stop:
    """A visit stop, its times as "HH:MM"."""
    return Stop("visit", vid, at(arrive), at(start), at(end), travel)


def BRK(start, end) -> Stop:
    """A break stop, its times as "HH:MM"."""
    return Stop("break", None, at(start), at(start), at(end), 0)


def valid_rota() -> Rota:
    """The day's valid rota, every figure worked out by hand."""
    n1 = Route("N1", (
        V("A", "08:10", "08:10", "08:40", 10),       # base 0 -> 2: 10, no wait
        V("PAIR", "08:45", "09:00", "09:45", 5),     # 2 -> 3: 5, waits 15
        BRK("12:00", "12:30"),                       # break at PAIR's door
        V("FOLLOW", "12:30", "12:40", "13:00", 0),   # same place; waits 10; 09:45+120 <= 12:40
    ))  # fmt: skip                                   # back 3 -> 0: 15, home 13:15
    n2 = Route("N2", (
        V("PAIR", "08:52", "09:00", "09:45", 8),     # base 1 -> 3: 8, waits 8
        V("PIN", "09:57", "10:00", "10:30", 12),     # 3 -> 4: 12, waits 3
    ))  # fmt: skip                                   # back 4 -> 1: 10, home 10:40
    return Rota((n1, n2), (Unassigned("OUT", "nobody free 09:00–09:30", Reason.CAPACITY),))


def found(report: CheckReport) -> set[tuple[str, str | None, str | None]]:
    """(rule, clinician, visit) of every violation: what a test compares exactly."""
    return {(v.rule, v.clinician_id, v.visit_id) for v in report.violations}


def lines(report: CheckReport) -> list[str]:
    """The violations as a coordinator reads them."""
    return [str(v) for v in report.violations]


def edit(rota: Rota, cid: str, index: int, **changes) -> Rota:
    """The rota with one stop of ``cid``'s route changed."""
    routes = []
    for r in rota.routes:
        if r.clinician_id == cid:
            stops = list(r.stops)
            stops[index] = replace(stops[index], **changes)
            r = replace(r, stops=tuple(stops))
        routes.append(r)
    return replace(rota, routes=tuple(routes))


def with_stops(rota: Rota, cid: str, stops: tuple[Stop, ...]) -> Rota:
    """The rota with ``cid``'s whole route replaced by ``stops``."""
    return replace(
        rota,
        routes=tuple(replace(r, stops=stops) if r.clinician_id == cid else r for r in rota.routes),
    )


def shifts_with(cid: str, **changes) -> tuple[Shift, ...]:
    """``SHIFTS`` with one clinician's shift changed."""
    return tuple(replace(s, **changes) if s.clinician_id == cid else s for s in SHIFTS)


def visits_with(vid: str, **changes) -> tuple[Visit, ...]:
    """``VISITS`` with one visit changed."""
    return tuple(replace(v, **changes) if v.visit_id == vid else v for v in VISITS)


#: A fault of the parametrised checker tests: the day, one change to the valid rota, and the
#: (rule, clinician, visit) the checker must report for it, and nothing else.
Fault = tuple[Problem, Callable[[Rota], Rota], set[tuple[str, str | None, str | None]]]


def assert_fault_reported(day: Problem, mutate: Callable[[Rota], Rota],
                          expected: set[tuple[str, str | None, str | None]]) -> None:  # fmt: skip
    """One change to the valid day, and the checker reports exactly ``expected`` (rule,
    clinician, visit) and nothing else; the valid rota itself has no violation."""
    assert check(problem(), valid_rota()).ok
    report = check(day, mutate(valid_rota()))
    assert found(report) == expected, lines(report)
    assert not report.ok and report.kpis["violations"] == len(report.violations)

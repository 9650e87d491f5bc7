"""The independent checker: a hand-made valid rota passes with exact KPIs; each fault is caught.

Every problem here is built by hand with ``model.Problem`` and an explicit ``TravelMatrix`` so
that the expected figures can be worked out on paper (and never depend on a travel model).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.domain.check import RULES, CheckReport, Violation, check
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

DAY = datetime(2026, 11, 23)


def at(hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return DAY + timedelta(hours=h, minutes=m)


def win(a: str, b: str) -> Window:
    return Window(at(a), at(b))


def place(i: int) -> Location:
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
    return Stop("visit", vid, at(arrive), at(start), at(end), travel)


def BRK(start, end) -> Stop:
    return Stop("break", None, at(start), at(start), at(end), 0)


def valid_rota() -> Rota:
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


def shift(cid: str, **changes) -> tuple[Shift, ...]:
    """``SHIFTS`` with one clinician's shift changed."""
    return tuple(replace(s, **changes) if s.clinician_id == cid else s for s in SHIFTS)


def visit(vid: str, **changes) -> tuple[Visit, ...]:
    """``VISITS`` with one visit changed."""
    return tuple(replace(v, **changes) if v.visit_id == vid else v for v in VISITS)


def lines(report: CheckReport) -> list[str]:
    return [str(v) for v in report.violations]


# --- the valid day -----------------------------------------------------------------------------


def test_valid_rota_passes_with_exact_kpis():
    """The hand-made rota has no violation, and every KPI matches the figures worked by hand."""
    report = check(problem(), valid_rota())
    assert report.violations == () and report.ok
    assert report.kpis == {
        "visits_total": 5,
        "visits_assigned": 4,
        "visits_unassigned": 1,  # OUT
        "priority1_total": 3,  # A, PIN, OUT
        "priority1_assigned": 2,
        "priority1_unassigned": 1,
        "double_handed_assigned": 1,  # PAIR
        "travel_min_total": 60,  # N1: 10 + 5 + 0 + 15 back; N2: 8 + 12 + 10 back
        "travel_min_return": 25,  # 15 + 10
        "waiting_min_total": 36,  # N1: 0 + 15 + 10; N2: 8 + 3
        "visit_min_total": 170,  # N1: 30 + 45 + 20; N2: 45 + 30 (PAIR counted for each)
        "clinicians_on_shift": 3,
        "clinicians_used": 2,  # H1 has no route
        "preferred_total": 2,  # A (kept by N1), PIN (goes to N2); OUT is unassigned
        "preferred_kept": 1,
        "continuity_rate": 0.5,
        # busy (95 visit + 30 travel) + (75 + 30) over paid (480 - 30 break) + 480
        "utilisation": pytest.approx(230 / 930),
        "violations": 0,
    }
    assert all(isinstance(report.kpis[k], int) for k in report.kpis if k not in (
        "continuity_rate", "utilisation"))  # fmt: skip


def test_violation_reads_as_one_line_for_a_coordinator():
    """A window fault names the rule, visit, clinician, start and window in one line."""
    rota = edit(valid_rota(), "N1", 3, start=at("14:05"), end=at("14:25"))
    (v,) = check(problem(), rota).violations
    assert isinstance(v, Violation)
    assert str(v) == "window: visit FOLLOW (N1) starts 14:05, after its window 11:00–14:00 closes"
    early = edit(valid_rota(), "N2", 1, arrive=at("09:55"), start=at("09:55"), end=at("10:25"))
    assert any(
        "before its window 10:00–11:00 opens" in line for line in lines(check(problem(), early))
    )
    assert all("\n" not in line for line in lines(check(problem(), early)))


# --- one fault at a time: exactly its rule, for the right clinician and visit -------------------

N1, N2 = 0, 1  # index of each route in valid_rota()


def _same_clinician_twice(r: Rota) -> Rota:
    """PAIR done twice by N1 (in a second N1 route, each otherwise valid) instead of N1 + N2."""
    n1a = Route("N1", (
        V("A", "08:10", "08:10", "08:40", 10),
        BRK("12:00", "12:30"),
        V("FOLLOW", "12:30", "12:40", "13:00", 5),   # 2 -> 3: 5
    ))  # fmt: skip
    n1b = Route("N1", (V("PAIR", "08:45", "09:00", "09:45", 15), BRK("12:00", "12:30")))
    n2 = Route("N2", (V("PIN", "09:50", "10:00", "10:30", 10),))  # base 1 -> 4: 10
    return replace(r, routes=(n1a, n1b, n2))


# name: (day, mutation of the valid rota, exactly the (rule, clinician, visit) expected)
FAULTS = {
    "start after the window closes": (
        problem(), lambda r: edit(r, "N1", 3, start=at("14:05"), end=at("14:25")),
        {("window", "N1", "FOLLOW")},
    ),
    "unqualified clinician (N2 without IV does PIN)": (
        problem(shift("N2", skills=frozenset({"RN"}))), lambda r: r,
        {("skills", "N2", "PIN")},
    ),
    "wrong pin (FOLLOW pinned to N2, done by N1)": (
        problem(visits=visit("FOLLOW", pinned_clinician="N2")), lambda r: r,
        {("pin", None, "FOLLOW")},
    ),
    "visit end is not start + duration": (
        problem(), lambda r: edit(r, "N2", 1, end=at("10:35")),
        {("duration", "N2", "PIN")},
    ),
    "break shorter than the shift's break": (
        problem(), lambda r: edit(r, "N1", 2, end=at("12:20")),
        {("duration", "N1", None)},
    ),
    "desynchronised pair": (
        problem(), lambda r: edit(r, "N1", 1, start=at("09:05"), end=at("09:50")),
        {("sync", None, "PAIR")},
    ),
    "gap too short (FOLLOW 11:40 < PAIR end 09:45 + 120)": (
        problem(),
        lambda r: with_stops(r, "N1", (
            *r.routes[N1].stops[:2],
            V("FOLLOW", "11:40", "11:40", "12:00", 0),
            BRK("12:00", "12:30"),
        )),
        {("gap", None, "FOLLOW")},
    ),
    "leaving before the shift starts (A at 08:05 needs 10 min from 08:00)": (
        problem(), lambda r: edit(r, "N1", 0, arrive=at("08:05"), start=at("08:05"), end=at("08:35")),
        {("shift", "N1", "A")},
    ),
    "returning after the shift ends (FOLLOW ends 13:00 + 15 home > 13:10)": (
        problem(shift("N1", end=at("13:10"))), lambda r: r,
        {("shift", "N1", "FOLLOW")},
    ),
    "a stop after the shift ends (PIN to 10:30, shift to 10:20)": (
        problem(shift("N2", end=at("10:20"))), lambda r: r,
        {("shift", "N2", "PIN")},
    ),
    "times that are not whole minutes": (
        problem(), lambda r: edit(r, "N1", 3, start=at("12:40") + timedelta(seconds=30),
                                  end=at("13:00") + timedelta(seconds=30)),
        {("shift", "N1", "FOLLOW")},
    ),
    "travel_min misreported (PIN 11, matrix 12)": (
        problem(), lambda r: edit(r, "N2", 1, travel_min=11),
        {("travel", "N2", "PIN")},
    ),
    "a break reporting driving": (
        problem(), lambda r: edit(r, "N1", 2, travel_min=5),
        {("travel", "N1", None)},
    ),
    "overlapping stops (break 12:20-12:50 over FOLLOW 12:40)": (
        problem(), lambda r: edit(r, "N1", 2, arrive=at("12:20"), start=at("12:20"), end=at("12:50")),
        {("timeline", "N1", "FOLLOW")},
    ),
    "stops out of time order (break listed after FOLLOW)": (
        problem(), lambda r: with_stops(r, "N1", tuple(r.routes[N1].stops[i] for i in (0, 1, 3, 2))),
        {("timeline", "N1", None)},
    ),
    "too-early arrival (PIN 09:55; PAIR ends 09:45 + 12 min)": (
        problem(), lambda r: edit(r, "N2", 1, arrive=at("09:55")),
        {("timeline", "N2", "PIN")},
    ),
    "starts before arriving": (
        problem(), lambda r: edit(r, "N2", 1, arrive=at("10:01")),
        {("timeline", "N2", "PIN")},
    ),
    "a break recorded as reached before it starts": (
        problem(), lambda r: edit(r, "N1", 2, arrive=at("11:50")),
        {("timeline", "N1", None)},
    ),
    "missing break": (
        problem(), lambda r: with_stops(r, "N1", tuple(s for s in r.routes[N1].stops if s.kind == "visit")),
        {("break", "N1", None)},
    ),
    "break outside its window (11:50, window 12:00-13:00)": (
        problem(), lambda r: edit(r, "N1", 2, arrive=at("11:50"), start=at("11:50"), end=at("12:20")),
        {("break", "N1", None)},
    ),
    "two breaks": (
        problem(), lambda r: with_stops(r, "N1", (*r.routes[N1].stops, BRK("13:00", "13:30"))),
        {("break", "N1", None)},
    ),
    "a break on a shift without one": (
        problem(), lambda r: with_stops(r, "N2", (*r.routes[N2].stops, BRK("11:00", "11:30"))),
        {("break", "N2", None)},
    ),
    "too many visits for max_visits (N2 makes 2, allowed 1)": (
        problem(shift("N2", max_visits=1)), lambda r: r,
        {("max_visits", "N2", None)},
    ),
    "visit both assigned and unassigned": (
        problem(), lambda r: replace(r, unassigned=(*r.unassigned, Unassigned("A", "x"))),
        {("accounting", None, "A")},
    ),
    "visit missing entirely": (
        problem(), lambda r: replace(r, unassigned=()),
        {("accounting", None, "OUT")},
    ),
    "visit unassigned twice": (
        problem(), lambda r: replace(r, unassigned=(*r.unassigned, Unassigned("OUT", "again"))),
        {("accounting", None, "OUT")},
    ),
    "unknown visit id on a route": (
        problem(), lambda r: with_stops(r, "N2", (*r.routes[N2].stops, V("ZZ", "11:00", "11:00", "11:10", 0))),
        {("accounting", "N2", "ZZ")},
    ),
    "unknown visit id unassigned": (
        problem(), lambda r: replace(r, unassigned=(*r.unassigned, Unassigned("ZZ", "x"))),
        {("accounting", None, "ZZ")},
    ),
    "unknown clinician and a second route for N2": (
        problem(), lambda r: replace(r, routes=(*r.routes, Route("X9", ()), Route("N2", ()))),
        {("accounting", "X9", None), ("accounting", "N2", None)},
    ),
    "double-handed visit on one clinician only": (
        problem(), lambda r: with_stops(r, "N2", (V("PIN", "09:50", "10:00", "10:30", 10),)),
        {("accounting", None, "PAIR")},
    ),
    "same clinician twice on a double-handed visit": (
        problem(), _same_clinician_twice,
        {("accounting", "N1", None), ("accounting", None, "PAIR")},
    ),
    "single-handed visit on two clinicians (FOLLOW also by H1)": (
        problem(), lambda r: replace(r, routes=(*r.routes, Route("H1", (
            V("FOLLOW", "12:32", "12:40", "13:00", 8),)))),
        {("accounting", None, "FOLLOW")},
    ),
}  # fmt: skip


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_is_reported_under_exactly_its_rule(fault):
    """One change to the valid day, and the checker reports exactly that rule, for the right
    clinician and visit, and nothing else (the valid rota itself has no violation)."""
    day, mutate, expected = FAULTS[fault]
    report = check(day, mutate(valid_rota()))
    assert found(report) == expected, lines(report)
    assert not report.ok and report.kpis["violations"] == len(report.violations)


def test_every_violation_is_reported_not_just_the_first():
    """Three independent faults on two routes are all reported, in rule order."""
    rota = edit(valid_rota(), "N1", 3, start=at("14:05"), end=at("14:25"))
    rota = edit(rota, "N2", 1, travel_min=11)
    rota = replace(rota, unassigned=())
    report = check(problem(), rota)
    assert [(v.rule, v.visit_id) for v in report.violations] == [
        ("accounting", "OUT"), ("window", "FOLLOW"), ("travel", "PIN"),
    ]  # fmt: skip
    assert report.kpis["violations"] == 3
    assert [name for name, _ in RULES] == [
        "accounting", "skills", "pin", "window", "duration", "sync", "gap", "shift", "travel",
        "timeline", "break", "max_visits",
    ]  # fmt: skip


def test_follower_without_its_predecessor_is_refused():
    """FOLLOW is placed although PAIR, which it must follow, is unassigned: a ``gap`` fault."""
    r = valid_rota()
    n1, n2 = r.routes
    rota = Rota(
        (
            replace(n1, stops=(n1.stops[0], n1.stops[2], replace(n1.stops[3], travel_min=5))),
            replace(n2, stops=(replace(n2.stops[1], travel_min=10, arrive=at("08:10")),)),
        ),
        (*r.unassigned, Unassigned("PAIR", "x")),
    )
    report = check(problem(), rota)
    assert found(report) == {("gap", None, "FOLLOW")}, lines(report)
    assert "placed although visit PAIR it must follow is not" in lines(report)[0]


def test_bounds_are_inclusive():
    """A start on the last minute of its window, a break on the last minute of its window, a
    return at the shift's last minute and max_visits reached exactly all pass; a minute later
    home is refused."""
    # N1: A, PAIR, BRK 13:00-13:30 (window ends 13:00), FOLLOW 14:00-14:20 (window ends 14:00),
    # home 14:20 + 15 = 14:35; three visits with max_visits 3
    rota = edit(valid_rota(), "N1", 3, start=at("14:00"), end=at("14:20"))
    rota = edit(rota, "N1", 2, arrive=at("13:00"), start=at("13:00"), end=at("13:30"))
    report = check(problem(shift("N1", end=at("14:35"))), rota)
    assert report.ok, lines(report)
    late = problem(shift("N1", end=at("14:34")))
    assert found(check(late, rota)) == {("shift", "N1", "FOLLOW")}


def test_route_with_only_a_break_is_checked_like_any_break():
    """An idle clinician's lone break passes in its window and is refused outside it; a route
    with no stops at all needs no break."""
    h1 = replace(SHIFTS[2], rest_break=Break(30, win("12:00", "13:00")))
    p = problem((*SHIFTS[:2], h1))
    assert check(p, valid_rota()).ok  # H1 absent: no break needed
    empty = replace(valid_rota(), routes=(*valid_rota().routes, Route("H1", ())))
    assert check(p, empty).ok
    lone = replace(
        valid_rota(), routes=(*valid_rota().routes, Route("H1", (BRK("12:10", "12:40"),)))
    )
    report = check(p, lone)
    assert report.ok and report.kpis["clinicians_used"] == 2
    late = replace(
        valid_rota(), routes=(*valid_rota().routes, Route("H1", (BRK("13:10", "13:40"),)))
    )
    assert found(check(p, late)) == {("break", "H1", None)}


def test_checker_never_imports_the_solver():
    """The checker is how we know the solver is right, so importing it must not load ``solver``."""
    code = "import sys, scheduler.domain.check; sys.exit(any(m.split('.')[0] == 'solver' for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- breaks between two visits -----------------------------------------------------------------

# Places: 0 = base, 1 = X, 2 = Y. Base -> X 10, X -> Y 20, Y -> base 10.
SMALL = [[0, 10, 10], [10, 0, 20], [10, 20, 0]]


def small_problem() -> Problem:
    """One nurse (08:00-16:00, a 30-min break any time 08:00-15:00), two visits X and Y."""
    return Problem(
        visits=(
            Visit("X", "P1", place(1), win("08:00", "09:00"), 30),
            Visit("Y", "P2", place(2), win("08:00", "12:00"), 30),
        ),
        shifts=(
            Shift(
                "N1",
                "Nurse",
                frozenset({"RN"}),
                at("08:00"),
                at("16:00"),
                place(0),
                place(0),
                rest_break=Break(30, win("08:00", "15:00")),
            ),
        ),
        travel=TravelMatrix(tuple(place(i) for i in range(3)), np.array(SMALL)),
        visit_loc=(1, 2),
        shift_start_loc=(0,),
        shift_end_loc=(0,),
        origin=DAY,
    )


def solo(*stops: Stop) -> Rota:
    return Rota((Route("N1", stops),))


X = V("X", "08:10", "08:10", "08:40", 10)


@pytest.mark.parametrize(
    "stops",
    [
        # before the drive: break at X's door 08:40-09:10, drive 20, arrive 09:30
        (X, BRK("08:40", "09:10"), V("Y", "09:30", "09:30", "10:00", 20)),
        # after the drive: arrive 09:00, break at Y's door 09:00-09:30
        (X, BRK("09:00", "09:30"), V("Y", "09:00", "09:30", "10:00", 20)),
        # after the drive with a wait first: arrive 09:00, break 09:10-09:40, start 09:45
        (X, BRK("09:10", "09:40"), V("Y", "09:00", "09:45", "10:15", 20)),
        # during the drive: 10 min, break 08:50-09:20, 10 min, arrive 09:30
        (X, BRK("08:50", "09:20"), V("Y", "09:30", "09:30", "10:00", 20)),
        # before the first visit, at base: break 08:00-08:30, drive 10
        (BRK("08:00", "08:30"), V("X", "08:40", "08:40", "09:10", 10),
         V("Y", "09:30", "09:30", "10:00", 20)),
        # before the first visit, at X's door: drive 10, break 08:10-08:40
        (BRK("08:10", "08:40"), V("X", "08:10", "08:40", "09:10", 10),
         V("Y", "09:30", "09:30", "10:00", 20)),
        # after the last visit, before the drive home: 09:30-10:00, home 10:10
        (X, V("Y", "09:00", "09:00", "09:30", 20), BRK("09:30", "10:00")),
        # after the last visit, at base: home 09:40, break 10:10-10:40
        (X, V("Y", "09:00", "09:00", "09:30", 20), BRK("10:10", "10:40")),
    ],
    ids=["before-drive", "after-drive", "after-drive-waiting", "during-drive", "before-first-at-base",
         "before-first-at-door", "after-last-before-drive", "after-last-at-base"],
)  # fmt: skip
def test_break_before_during_or_after_a_drive_is_accepted(stops):
    """A break may be taken wherever the clinician is, as long as the gap holds drive + break
    and the recorded arrival allows for a break taken before arriving."""
    report = check(small_problem(), solo(*stops))
    assert report.ok, lines(report)
    # base -> X 10, X -> Y 20, Y -> base 10, wherever the break is
    assert report.kpis["travel_min_total"] == 40 and report.kpis["waiting_min_total"] == sum(
        int((s.start - s.arrive).total_seconds() // 60) for s in stops if s.kind == "visit"
    )


@pytest.mark.parametrize(
    "stops",
    [
        # break before the drive: really arrives 09:30, after Y's recorded start 09:20
        (X, BRK("08:40", "09:10"), V("Y", "09:30", "09:20", "09:50", 20)),
        # break at Y's door 09:00-09:30 runs past Y's start 09:20
        (X, BRK("09:00", "09:30"), V("Y", "09:00", "09:20", "09:50", 20)),
        # break during the drive, arrival recorded as if it had not been taken
        (X, BRK("08:50", "09:20"), V("Y", "09:00", "09:20", "09:50", 20)),
    ],
    ids=["before-drive", "after-drive", "during-drive"],
)  # fmt: skip
def test_gap_too_small_for_drive_and_break_is_refused(stops):
    """X ends 08:40 and Y starts 09:20: 40 minutes cannot hold a 20-min drive and a 30-min
    break, wherever the break is put."""
    assert found(check(small_problem(), solo(*stops))) == {("timeline", "N1", "Y")}


def test_arrival_must_allow_for_a_break_taken_before_it():
    """Break 08:40-09:10 at X's door, then 20 min of driving: Y cannot be reached at 09:00 even
    though the gap to Y's start (50 min) holds drive + break."""
    stops = (X, BRK("08:40", "09:10"), V("Y", "09:00", "09:30", "10:00", 20))
    report = check(small_problem(), solo(*stops))
    assert found(report) == {("timeline", "N1", "Y")}
    assert "leaves only 0 min for the 20-min drive" in lines(report)[0]


def test_break_before_first_visit_must_leave_room_for_the_drive():
    """Break 08:00-08:30 at base, then a 10-min drive: X cannot be reached at 08:10 nor started
    at 08:35; that is leaving too early, a ``shift`` fault."""
    stops = (BRK("08:00", "08:30"), V("X", "08:10", "08:35", "09:05", 10),
             V("Y", "09:30", "09:30", "10:00", 20))  # fmt: skip
    assert found(check(small_problem(), solo(*stops))) == {("shift", "N1", "X")}


def test_break_after_last_visit_must_fit_before_the_shift_ends():
    """Y ends 09:30, then a 30-min break and 10 min home: a shift ending 10:05 is too short."""
    p = small_problem()
    p = replace(p, shifts=(replace(p.shifts[0], end=at("10:05"),
                                   rest_break=Break(30, win("08:00", "10:00"))),))  # fmt: skip
    stops = (X, V("Y", "09:00", "09:00", "09:30", 20), BRK("09:30", "10:00"))
    assert found(check(p, solo(*stops))) == {("shift", "N1", "Y")}


# --- properties and speed ----------------------------------------------------------------------

BREAK_MIN = 30


def lay_out(matrix, legs, rest: tuple[int, bool] | None, shift_start: int = 6 * 60):
    """A problem and a single-clinician rota built one visit after another.

    ``legs`` is a list of (place, duration, slack, window_before, window_after): drive from the
    previous place, wait ``slack``, visit for ``duration``; the window surrounds the start by
    ``window_before``/``window_after``, so it is respected with that much room. ``rest`` is
    (gap, after_drive): a 30-min break in gap ``gap`` (gap i precedes visit i; gap len(legs)
    is the way home), taken at the door after the drive or where the clinician is before it.
    """

    def t(m: int) -> datetime:
        return DAY + timedelta(minutes=m)

    def take_break(m: int) -> Stop:
        return Stop("break", None, t(m), t(m), t(m + BREAK_MIN), 0)

    visits, stops, locs = [], [], []
    here, free = 0, shift_start
    for i, (loc, duration, slack, before, after) in enumerate(legs):
        drive = int(matrix[here][loc])
        resting = rest is not None and rest[0] == i
        if resting and not rest[1]:
            stops.append(take_break(free))
            free += BREAK_MIN
        arrive = ready = free + drive
        if resting and rest[1]:
            stops.append(take_break(arrive))
            ready += BREAK_MIN
        start = ready + slack
        w = Window(t(start - before), t(start + after))
        visits.append(Visit(f"V{i}", f"P{i}", place(loc), w, duration))
        stops.append(Stop("visit", f"V{i}", t(arrive), t(start), t(start + duration), drive))
        locs.append(loc)
        here, free = loc, start + duration
    if rest is not None and rest[0] >= len(legs):
        stops.append(take_break(free + (int(matrix[here][0]) if rest[1] else 0)))
    day_start, day_end = t(shift_start), DAY + timedelta(hours=23, minutes=59)
    p = Problem(
        visits=tuple(visits),
        shifts=(
            Shift(
                "C1",
                "Nurse",
                frozenset(),
                day_start,
                day_end,
                place(0),
                place(0),
                rest_break=Break(BREAK_MIN, Window(day_start, day_end)) if rest else None,
            ),
        ),
        travel=TravelMatrix(tuple(place(i) for i in range(len(matrix))), np.array(matrix)),
        visit_loc=tuple(locs),
        shift_start_loc=(0,),
        shift_end_loc=(0,),
        origin=DAY,
    )
    return p, Rota((Route("C1", tuple(stops)),))


N = 5
leg = st.tuples(
    st.integers(0, N - 1), st.integers(5, 60), st.integers(0, 30), st.integers(0, 30),
    st.integers(0, 30),
)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    matrix=st.lists(st.lists(st.integers(0, 30), min_size=N, max_size=N), min_size=N, max_size=N),
    legs=st.lists(leg, min_size=1, max_size=8),
    rest=st.none() | st.tuples(st.integers(0, 8), st.booleans()),
    victim=st.integers(0, 7),
    push=st.integers(1, 90),
    late=st.booleans(),
)
def test_constructed_timelines_pass_and_a_start_moved_out_of_its_window_is_caught(
    matrix, legs, rest, victim, push, late
):
    """Visits laid out one after another (with a break before or after any drive) always pass
    with the travel and waiting worked out while building; moving any one visit's start before
    its window opens or after it closes is always reported as a window fault for that visit."""
    if rest is not None:
        rest = (rest[0] % (len(legs) + 1), rest[1])
    p, rota = lay_out(matrix, legs, rest)
    report = check(p, rota)
    assert report.ok, lines(report)
    visit_stops = [s for s in rota.routes[0].stops if s.kind == "visit"]
    back = matrix[p.visit_loc[-1]][0]
    assert report.kpis["travel_min_total"] == sum(s.travel_min for s in visit_stops) + back
    assert report.kpis["waiting_min_total"] == sum(
        (s.start - s.arrive) // timedelta(minutes=1) for s in visit_stops
    )
    i = victim % len(legs)
    stops = list(rota.routes[0].stops)
    k = stops.index(visit_stops[i])
    w = p.visits[i].window
    new_start = w.end + timedelta(minutes=push) if late else w.start - timedelta(minutes=push)
    stops[k] = replace(stops[k], start=new_start, end=new_start + (stops[k].end - stops[k].start))
    report = check(p, Rota((Route("C1", tuple(stops)),)))
    assert ("window", "C1", f"V{i}") in found(report)


def test_two_thousand_visits_check_in_well_under_a_second():
    """100 clinicians with 20 visits each (2,000 visits, 2,100 places) check cleanly and fast."""
    rng = np.random.default_rng(7)
    n_cl, per = 100, 20
    n_places = n_cl + n_cl * per
    matrix = rng.integers(1, 15, size=(n_places, n_places), dtype=np.int32)
    np.fill_diagonal(matrix, 0)
    visits, shifts, routes, vloc = [], [], [], []
    for c in range(n_cl):
        cid = f"C{c}"
        shifts.append(Shift(cid, cid, frozenset({"RN"}), at("07:00"), at("23:00"), place(0),
                            place(0), rest_break=Break(30, win("07:00", "23:00"))))  # fmt: skip
        here, free, stops = c, 7 * 60, []
        for j in range(per):
            loc = n_cl + c * per + j
            drive = int(matrix[here, loc])
            start = free + drive
            vid = f"V{c}-{j}"
            t0 = DAY + timedelta(minutes=start)
            visits.append(Visit(vid, vid, place(0), Window(t0, t0), 20, frozenset({"RN"})))
            vloc.append(loc)
            stops.append(Stop("visit", vid, t0, t0, t0 + timedelta(minutes=20), drive))
            here, free = loc, start + 20
            if j == 0:
                stops.append(Stop("break", None, *(DAY + timedelta(minutes=free),) * 2,
                                  DAY + timedelta(minutes=free + 30), 0))  # fmt: skip
                free += 30
        routes.append(Route(cid, tuple(stops)))
    p = Problem(
        visits=tuple(visits),
        shifts=tuple(shifts),
        travel=TravelMatrix(tuple(place(0) for _ in range(n_places)), matrix),
        visit_loc=tuple(vloc),
        shift_start_loc=tuple(range(n_cl)),
        shift_end_loc=tuple(range(n_cl)),
        origin=DAY,
    )
    rota = Rota(tuple(routes))
    check(p, rota)  # warm caches (visit_index, shift_index)
    began = time.perf_counter()
    report = check(p, rota)
    elapsed = time.perf_counter() - began
    assert report.ok, lines(report)[:5]
    assert report.kpis["visits_assigned"] == 2000
    assert elapsed < 0.5, elapsed

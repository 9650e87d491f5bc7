"""The independent checker's route rules: the shift (leaving, returning, whole minutes), the
drive recorded against the matrix, the timeline (order, overlaps, arrivals that allow for the
drive and a break), the break (one, of the right length, in its window, wherever it is taken
along the drive) and the shift's visit limit. Each fault is one change to a valid hand-made
day; timelines built one visit after another always pass."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.domain.check import check
from scheduler.domain.model import (
    Break,
    Problem,
    Rota,
    Route,
    Shift,
    Stop,
    TravelMatrix,
    Visit,
    Window,
)
from tests.support.check_day import (
    BRK,
    N1,
    N2,
    SHIFTS,
    Fault,
    V,
    assert_fault_reported,
    edit,
    found,
    lines,
    place,
    problem,
    shifts_with,
    valid_rota,
    win,
    with_stops,
)
from tests.support.factories import DAY, at

# name: (day, mutation of the valid rota, exactly the (rule, clinician, visit) expected)
FAULTS: dict[str, Fault] = {
    "break shorter than the shift's break": (
        problem(), lambda r: edit(r, "N1", 2, end=at("12:20")),
        {("duration", "N1", None)},
    ),
    "leaving before the shift starts (A at 08:05 needs 10 min from 08:00)": (
        problem(), lambda r: edit(r, "N1", 0, arrive=at("08:05"), start=at("08:05"), end=at("08:35")),
        {("shift", "N1", "A")},
    ),
    "returning after the shift ends (FOLLOW ends 13:00 + 15 home > 13:10)": (
        problem(shifts_with("N1", end=at("13:10"))), lambda r: r,
        {("shift", "N1", "FOLLOW")},
    ),
    "a stop after the shift ends (PIN to 10:30, shift to 10:20)": (
        problem(shifts_with("N2", end=at("10:20"))), lambda r: r,
        {("shift", "N2", "PIN")},
    ),
    "times that are not whole minutes": (
        problem(), lambda r: edit(r, "N1", 3, start=at("12:40:30"), end=at("13:00:30")),
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
        problem(shifts_with("N2", max_visits=1)), lambda r: r,
        {("max_visits", "N2", None)},
    ),
}  # fmt: skip


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_route_fault_is_reported_under_exactly_its_rule(fault):
    """One change to the valid day, and the checker reports exactly that rule, for the right
    clinician and visit, and nothing else (the valid rota itself has no violation)."""
    assert_fault_reported(*FAULTS[fault])


def test_bounds_are_inclusive():
    """A start on the last minute of its window, a break on the last minute of its window, a
    return at the shift's last minute and max_visits reached exactly all pass; a minute later
    home is refused."""
    # N1: A, PAIR, BRK 13:00-13:30 (window ends 13:00), FOLLOW 14:00-14:20 (window ends 14:00),
    # home 14:20 + 15 = 14:35; three visits with max_visits 3
    rota = edit(valid_rota(), "N1", 3, start=at("14:00"), end=at("14:20"))
    rota = edit(rota, "N1", 2, arrive=at("13:00"), start=at("13:00"), end=at("13:30"))
    report = check(problem(shifts_with("N1", end=at("14:35"))), rota)
    assert report.ok, lines(report)
    late = problem(shifts_with("N1", end=at("14:34")))
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


# --- constructed timelines ---------------------------------------------------------------------

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
        after_drive = rest is not None and rest[1]
        if resting and not after_drive:
            stops.append(take_break(free))
            free += BREAK_MIN
        arrive = ready = free + drive
        if resting and after_drive:
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
    day_start, day_end = t(shift_start), at("23:59")
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

"""The independent checker: a hand-made valid rota passes with exact KPIs; each fault is caught.

Every problem here is built by hand with ``model.Problem`` and an explicit ``TravelMatrix`` so
that the expected figures can be worked out on paper (and never depend on a travel model).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.check import CheckReport, Violation, check
from scheduler.model import (
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


def problem(shifts=SHIFTS) -> Problem:
    return Problem(
        visits=VISITS,
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
    return replace(
        rota,
        routes=tuple(replace(r, stops=stops) if r.clinician_id == cid else r for r in rota.routes),
    )


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
        "visit_min_total": 170,  # N1: 30 + 45 + 20; N2: 45 + 30
        "clinicians_on_shift": 3,
        "clinicians_used": 2,
        "preferred_total": 2,  # A (kept by N1), PIN (goes to N2); OUT is unassigned
        "preferred_kept": 1,
        "continuity_rate": 0.5,
        # (95 + 30) + (75 + 30) over (480 - 30) + 480
        "utilisation": pytest.approx(230 / 930),
        "violations": 0,
    }


def test_violation_reads_as_one_line_for_a_coordinator():
    """A window fault names the rule, visit, clinician, start and window in one line."""
    rota = edit(valid_rota(), "N1", 3, start=at("14:05"), end=at("14:25"))
    (v,) = check(problem(), rota).violations
    assert isinstance(v, Violation)
    assert str(v) == "window: visit FOLLOW (N1) starts 14:05, after its window 11:00–14:00 closes"
    early = edit(valid_rota(), "N2", 1, arrive=at("09:55"), start=at("09:55"), end=at("10:25"))
    assert any(
        "before its window 10:00–11:00 opens" in str(v) for v in check(problem(), early).violations
    )


ROTA_FAULTS = {
    "window": (
        lambda r: edit(r, "N1", 3, start=at("14:05"), end=at("14:25")),
        ("window", "N1", "FOLLOW"),
    ),
    "skills": (
        lambda r: replace(r, routes=(r.routes[0], replace(r.routes[1], clinician_id="H1"))),
        ("skills", "H1", "PIN"),
    ),
    "pin": (
        lambda r: replace(r, routes=(r.routes[0], replace(r.routes[1], clinician_id="H1"))),
        ("pin", None, "PIN"),
    ),
    "duration of a visit": (lambda r: edit(r, "N2", 1, end=at("10:35")), ("duration", "N2", "PIN")),
    "duration of a break": (lambda r: edit(r, "N1", 2, end=at("12:20")), ("duration", "N1", None)),
    "sync": (
        lambda r: edit(r, "N1", 1, start=at("09:05"), end=at("09:50")),
        ("sync", None, "PAIR"),
    ),
    "gap": (
        lambda r: with_stops(
            r,
            "N1",
            (
                *r.routes[0].stops[:2],
                V("FOLLOW", "11:40", "11:40", "12:00", 0),
                BRK("12:00", "12:30"),
            ),
        ),
        ("gap", None, "FOLLOW"),
    ),
    "shift: leaves base before the shift starts": (
        lambda r: edit(r, "N1", 0, arrive=at("08:05"), start=at("08:05"), end=at("08:35")),
        ("shift", "N1", "A"),
    ),
    "shift: a stop after the shift": (
        lambda r: edit(r, "N2", 1, start=at("15:45"), end=at("16:15"), arrive=at("15:45")),
        ("shift", "N2", "PIN"),
    ),
    "travel of a visit": (lambda r: edit(r, "N2", 1, travel_min=11), ("travel", "N2", "PIN")),
    "travel of a break": (lambda r: edit(r, "N1", 2, travel_min=5), ("travel", "N1", None)),
    "timeline: arrives before the drive is done": (
        lambda r: edit(r, "N2", 1, arrive=at("09:55")),
        ("timeline", "N2", "PIN"),
    ),
    "timeline: starts before arriving": (
        lambda r: edit(r, "N2", 1, arrive=at("10:01")),
        ("timeline", "N2", "PIN"),
    ),
    "timeline: out of order": (
        lambda r: with_stops(r, "N2", tuple(reversed(r.routes[1].stops))),
        ("timeline", "N2", "PAIR"),
    ),
    "timeline: a break recorded as reached early": (
        lambda r: edit(r, "N1", 2, arrive=at("11:50")),
        ("timeline", "N1", None),
    ),
    "break outside its window": (
        lambda r: edit(r, "N1", 2, arrive=at("11:50"), start=at("11:50"), end=at("12:20")),
        ("break", "N1", None),
    ),
    "break missing": (
        lambda r: with_stops(r, "N1", tuple(s for s in r.routes[0].stops if s.kind == "visit")),
        ("break", "N1", None),
    ),
    "break on a shift without one": (
        lambda r: with_stops(r, "N2", (*r.routes[1].stops, BRK("11:00", "11:30"))),
        ("break", "N2", None),
    ),
    "two breaks": (
        lambda r: with_stops(r, "N1", (*r.routes[0].stops, BRK("13:00", "13:30"))),
        ("break", "N1", None),
    ),
}


@pytest.mark.parametrize("fault", sorted(ROTA_FAULTS))
def test_each_fault_is_reported_under_its_rule_for_the_right_visit(fault):
    """One change to the valid rota, and the checker names its rule, clinician and visit."""
    mutate, expected = ROTA_FAULTS[fault]
    report = check(problem(), mutate(valid_rota()))
    assert expected in found(report), [str(v) for v in report.violations]
    assert not report.ok and report.kpis["violations"] == len(report.violations)


def test_window_fault_is_the_only_fault_reported():
    """Moving FOLLOW's start past its window breaks nothing else, so exactly one violation."""
    report = check(problem(), edit(valid_rota(), "N1", 3, start=at("14:05"), end=at("14:25")))
    assert found(report) == {("window", "N1", "FOLLOW")}


ACCOUNTING_FAULTS = {
    "neither": (lambda r: replace(r, unassigned=()), "OUT"),
    "both": (lambda r: replace(r, unassigned=(*r.unassigned, Unassigned("A", "x"))), "A"),
    "twice unassigned": (
        lambda r: replace(r, unassigned=(*r.unassigned, Unassigned("OUT", "again"))),
        "OUT",
    ),
    "unknown unassigned": (
        lambda r: replace(r, unassigned=(*r.unassigned, Unassigned("ZZ", "x"))),
        "ZZ",
    ),
    "unknown visit on a route": (
        lambda r: with_stops(r, "N2", (*r.routes[1].stops, V("ZZ", "11:00", "11:00", "11:10", 0))),
        "ZZ",
    ),
    "pair on one clinician only": (
        lambda r: with_stops(r, "N2", (V("PIN", "08:10", "10:00", "10:30", 10),)),
        "PAIR",
    ),
    "pair twice on the same clinician": (
        lambda r: replace(r, routes=(r.routes[0], replace(r.routes[1], clinician_id="N1"))),
        "PAIR",
    ),
    "single visit twice": (
        lambda r: with_stops(r, "N2", (*r.routes[1].stops, V("A", "11:00", "11:00", "11:30", 18))),
        "A",
    ),
}


@pytest.mark.parametrize("fault", sorted(ACCOUNTING_FAULTS))
def test_accounting_faults_name_the_visit(fault):
    """Every visit is placed (by the right number of different clinicians) or unassigned, once."""
    mutate, vid = ACCOUNTING_FAULTS[fault]
    report = check(problem(), mutate(valid_rota()))
    assert vid in {v.visit_id for v in report.violations if v.rule == "accounting"}, [
        str(v) for v in report.violations
    ]


def test_accounting_unknown_clinician_and_second_route():
    """A route for a clinician not on shift, and a second route for N2, are both refused."""
    r = valid_rota()
    extra = Route("X9", ())
    second = Route("N2", ())
    report = check(problem(), replace(r, routes=(*r.routes, extra, second)))
    assert {("accounting", "X9", None), ("accounting", "N2", None)} <= found(report)


def test_follower_without_its_predecessor_is_refused():
    """FOLLOW is placed although PAIR, which it must follow, is unassigned."""
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
    assert found(report) == {("gap", None, "FOLLOW")}, [str(v) for v in report.violations]


def test_return_leg_must_fit_in_the_shift():
    """N1 finishing FOLLOW at 13:00 needs 15 min home: a shift ending 13:10 is too short."""
    n1 = replace(SHIFTS[0], end=at("13:10"))
    report = check(problem((n1, *SHIFTS[1:])), valid_rota())
    assert found(report) == {("shift", "N1", "FOLLOW")}


def test_max_visits_is_enforced_and_its_bound_is_inclusive():
    """N2 makes 2 visits: max_visits 2 passes (the valid rota), max_visits 1 is refused."""
    n2 = replace(SHIFTS[1], max_visits=1)
    report = check(problem((SHIFTS[0], n2, SHIFTS[2])), valid_rota())
    assert found(report) == {("max_visits", "N2", None)}


def test_route_with_only_a_break_is_checked_like_any_break():
    """An idle clinician's lone break passes in its window and is refused outside it."""
    ok = replace(valid_rota(), routes=(*valid_rota().routes[:1], Route("N2", ())))
    h1 = replace(SHIFTS[2], rest_break=Break(30, win("12:00", "13:00")))
    p = problem((*SHIFTS[:2], h1))
    base = check(p, valid_rota())
    assert base.ok
    lone = replace(
        valid_rota(), routes=(*valid_rota().routes, Route("H1", (BRK("12:10", "12:40"),)))
    )
    assert check(p, lone).ok and check(p, lone).kpis["clinicians_used"] == 2
    late = replace(
        valid_rota(), routes=(*valid_rota().routes, Route("H1", (BRK("13:10", "13:40"),)))
    )
    assert found(check(p, late)) == {("break", "H1", None)}
    assert ("accounting", None, "PAIR") in found(check(problem(), ok))


# --- breaks between two visits ----------------------------------------------------------------

# Places: 0 = base, 1 = X, 2 = Y. Base -> X 10, X -> Y 20, Y -> base 10.
SMALL = [[0, 10, 10], [10, 0, 20], [10, 20, 0]]


def small_problem() -> Problem:
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


X = V("X", "08:10", "08:10", "08:40", 10)


@pytest.mark.parametrize(
    "stops",
    [
        # before the drive: break at X's door 08:40-09:10, drive 20, arrive 09:30
        (X, BRK("08:40", "09:10"), V("Y", "09:30", "09:30", "10:00", 20)),
        # after the drive: arrive 09:00, break at Y's door 09:00-09:30
        (X, BRK("09:00", "09:30"), V("Y", "09:00", "09:30", "10:00", 20)),
        # during the drive: 10 min, break 08:50-09:20, 10 min
        (X, BRK("08:50", "09:20"), V("Y", "09:00", "09:30", "10:00", 20)),
        # before the first visit, at base
        (BRK("08:00", "08:30"), V("X", "08:40", "08:40", "09:10", 10),
         V("Y", "09:30", "09:30", "10:00", 20)),
        # after the last visit, at base: home 10:10, break to 10:40
        (X, V("Y", "09:00", "09:00", "09:30", 20), BRK("10:10", "10:40")),
    ],
    ids=["before-drive", "after-drive", "during-drive", "before-first", "after-last"],
)  # fmt: skip
def test_break_before_during_or_after_a_drive_is_accepted(stops):
    """A break may be taken wherever the clinician is, as long as the gap holds drive + break."""
    report = check(small_problem(), Rota((Route("N1", stops),)))
    assert report.ok, [str(v) for v in report.violations]
    assert report.kpis["travel_min_total"] == 40 and report.kpis["waiting_min_total"] == sum(
        int((s.start - s.arrive).total_seconds() // 60) for s in stops if s.kind == "visit"
    )


def test_gap_too_small_for_drive_and_break_is_refused():
    """X ends 08:40 and Y starts 09:20: 40 minutes cannot hold a 20-min drive and a 30-min break."""
    stops = (X, BRK("08:50", "09:20"), V("Y", "09:00", "09:20", "09:50", 20))
    assert found(check(small_problem(), Rota((Route("N1", stops),)))) == {("timeline", "N1", "Y")}


def test_break_before_first_visit_must_leave_room_for_the_drive():
    """Break 08:00-08:30 then a 10-min drive: X cannot start at 08:35."""
    stops = (BRK("08:00", "08:30"), V("X", "08:10", "08:35", "09:05", 10),
             V("Y", "09:30", "09:30", "10:00", 20))  # fmt: skip
    assert ("shift", "N1", "X") in found(check(small_problem(), Rota((Route("N1", stops),))))


# --- properties and speed ----------------------------------------------------------------------


def lay_out(n_places: int, matrix, legs, shift_start: int = 6 * 60):
    """A problem and a single-clinician rota built one visit after another.

    ``legs`` is a list of (place, duration, slack, window_before, window_after): drive from the
    previous place, wait ``slack``, visit for ``duration``; the window surrounds the start.
    """
    visits, stops, locs = [], [], []
    here, free = 0, shift_start
    for i, (loc, duration, slack, before, after) in enumerate(legs):
        drive = int(matrix[here][loc])
        arrive = free + drive
        start = arrive + slack
        t = lambda m: DAY + timedelta(minutes=m)  # noqa: E731
        visits.append(
            Visit(
                f"V{i}", f"P{i}", place(loc), Window(t(start - before), t(start + after)), duration
            )
        )
        stops.append(Stop("visit", f"V{i}", t(arrive), t(start), t(start + duration), drive))
        locs.append(loc)
        here, free = loc, start + duration
    p = Problem(
        visits=tuple(visits),
        shifts=(
            Shift(
                "C1",
                "Nurse",
                frozenset(),
                DAY + timedelta(minutes=shift_start),
                DAY + timedelta(hours=23, minutes=59),
                place(0),
                place(0),
            ),
        ),
        travel=TravelMatrix(tuple(place(i) for i in range(n_places)), np.array(matrix)),
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


@settings(max_examples=60, deadline=None)
@given(
    matrix=st.lists(st.lists(st.integers(0, 30), min_size=N, max_size=N), min_size=N, max_size=N),
    legs=st.lists(leg, min_size=1, max_size=8),
    victim=st.integers(0, 7),
    push=st.integers(1, 90),
    late=st.booleans(),
)
def test_constructed_timelines_pass_and_a_start_moved_out_of_its_window_is_caught(
    matrix, legs, victim, push, late
):
    """Visits laid out one after another always pass; moving any one visit's start before its
    window opens or after it closes is reported as a window fault for that visit."""
    p, rota = lay_out(N, matrix, legs)
    report = check(p, rota)
    assert report.ok, [str(v) for v in report.violations]
    assert (
        report.kpis["travel_min_total"]
        == sum(s.travel_min for s in rota.routes[0].stops) + (matrix[p.visit_loc[-1]][0])
    )
    i = victim % len(legs)
    s = rota.routes[0].stops[i]
    w = p.visits[i].window
    new_start = w.end + timedelta(minutes=push) if late else w.start - timedelta(minutes=push)
    moved = replace(s, start=new_start, end=new_start + (s.end - s.start))
    stops = list(rota.routes[0].stops)
    stops[i] = moved
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
    assert report.ok, [str(v) for v in report.violations[:5]]
    assert report.kpis["visits_assigned"] == 2000
    assert elapsed < 0.5, elapsed

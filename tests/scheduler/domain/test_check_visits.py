"""The independent checker's visit rules: every visit accounted for exactly once (and by the
right number of different clinicians), skills, pins, windows, visit durations, a pair's two
halves starting together and a follower's gap after its predecessor. Each fault is one change
to the valid day of ``tests.support.check_day`` and is reported under exactly its rule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler.domain.check import Violation, check
from scheduler.domain.model import Rota, Route, Unassigned
from tests.support.check_day import (
    BRK,
    N1,
    N2,
    Fault,
    V,
    assert_fault_reported,
    edit,
    found,
    lines,
    problem,
    shifts_with,
    valid_rota,
    visits_with,
    with_stops,
)
from tests.support.factories import at


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
FAULTS: dict[str, Fault] = {
    "start after the window closes": (
        problem(), lambda r: edit(r, "N1", 3, start=at("14:05"), end=at("14:25")),
        {("window", "N1", "FOLLOW")},
    ),
    "unqualified clinician (N2 without IV does PIN)": (
        problem(shifts_with("N2", skills=frozenset({"RN"}))), lambda r: r,
        {("skills", "N2", "PIN")},
    ),
    "wrong pin (FOLLOW pinned to N2, done by N1)": (
        problem(visits=visits_with("FOLLOW", pinned_clinician="N2")), lambda r: r,
        {("pin", None, "FOLLOW")},
    ),
    "visit end is not start + duration": (
        problem(), lambda r: edit(r, "N2", 1, end=at("10:35")),
        {("duration", "N2", "PIN")},
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
def test_each_visit_fault_is_reported_under_exactly_its_rule(fault):
    """One change to the valid day, and the checker reports exactly that rule, for the right
    clinician and visit, and nothing else (the valid rota itself has no violation)."""
    assert_fault_reported(*FAULTS[fault])


def test_a_window_fault_reads_as_one_line_for_a_coordinator():
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


def test_a_follower_exactly_the_gap_after_its_predecessor_passes():
    """The gap bound is inclusive: FOLLOW at 11:45, PAIR's end 09:45 plus 120 minutes, passes
    (with N1's break moved after it); one minute earlier is a ``gap`` fault."""

    def follow_at(start: str, end: str) -> Rota:
        return with_stops(valid_rota(), "N1", (
            *valid_rota().routes[N1].stops[:2],
            V("FOLLOW", start, start, end, 0),
            BRK("12:05", "12:35"),
        ))  # fmt: skip

    report = check(problem(), follow_at("11:45", "12:05"))
    assert report.ok, lines(report)
    assert found(check(problem(), follow_at("11:44", "12:04"))) == {("gap", None, "FOLLOW")}

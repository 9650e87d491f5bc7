"""The independent checker: a hand-made valid rota passes; each kind of fault is caught."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.check import check
from scheduler.model import Reason, Rota, Route, Stop, Unassigned
from tests.factories import at, make_problem, shift, visit

# Grid minutes: 3 per cell (Manhattan). N1 is based at (0,0), N2 at (2,0).
VISITS = [
    visit("A", 1, 0, "08:00", "09:00", duration=30, preferred_clinician="N1"),  # 3 min from N1
    visit("PAIR", 2, 0, "09:00", "10:00", duration=30, staff=2),  # 3 from A, 0 from N2 base
    visit("B", 2, 0, "12:00", "15:00", duration=20, after_visit="PAIR", min_gap_min=180),
    visit("PIN", 0, 1, "10:00", "11:00", duration=20, pinned_clinician="N2", skills=("IV",)),
    visit("OUT", 5, 5, "09:00", "09:30", duration=30),
]


def problem():
    return make_problem(
        VISITS,
        [
            shift("N1", "07:00", "15:00", brk=(30, "11:00", "13:00")),
            shift("N2", "08:00", "16:00", base=(2, 0), skills=("RN", "IV")),
            shift("H1", "08:00", "16:00", base=(2, 0), skills=("OBS",)),
        ],
    )


def S(vid, arrive, start, end, travel):
    return Stop("visit", vid, at(arrive), at(start), at(end), travel)


def BRK(start, end):
    return Stop("break", None, at(start), at(start), at(end), 0)


def valid_rota() -> Rota:
    n1 = Route("N1", (
        S("A", "08:00", "08:00", "08:30", 3),
        S("PAIR", "08:33", "09:00", "09:30", 3),
        BRK("11:00", "11:30"),
        S("B", "12:30", "12:30", "12:50", 0),
    ))  # fmt: skip
    n2 = Route("N2", (
        S("PAIR", "09:00", "09:00", "09:30", 0),
        S("PIN", "10:00", "10:00", "10:20", 9),
    ))  # fmt: skip
    return Rota((n1, n2), (Unassigned("OUT", "no room", Reason.CAPACITY),))


def fix_b(rota: Rota) -> Rota:
    """B waits for its window in the base rota: arrive 12:33, start 13:00."""
    n1 = rota.routes[0]
    stops = list(n1.stops)
    stops[3] = S("B", "12:33", "13:00", "13:20", 0)
    return replace(rota, routes=(replace(n1, stops=tuple(stops)), rota.routes[1]))


def base() -> Rota:
    return fix_b(valid_rota())


def test_valid_rota_passes_with_exact_kpis():
    """Zero violations; travel = 3+3+0 + return 6 (N1) and 0+9 + return 9 (N2) = 30."""
    report = check(problem(), base())
    assert report.violations == ()
    k = report.kpis
    assert (k["visits_total"], k["visits_assigned"], k["visits_unassigned"]) == (5, 4, 1)
    assert k["travel_min_total"] == 3 + 3 + 0 + 6 + 0 + 9 + 9
    assert k["travel_min_return"] == 15
    assert k["clinicians_used"] == 2 and k["double_handed_assigned"] == 1
    assert (k["preferred_total"], k["preferred_kept"]) == (1, 1)
    assert k["waiting_min_total"] == 27 + 27  # N1 waits before PAIR and before B


def edit(rota: Rota, route: int, index: int, **changes) -> Rota:
    r = rota.routes[route]
    stops = list(r.stops)
    stops[index] = replace(stops[index], **changes)
    routes = list(rota.routes)
    routes[route] = replace(r, stops=tuple(stops))
    return replace(rota, routes=tuple(routes))


def shifted(rota: Rota, route: int, index: int, minutes: int) -> Rota:
    s = rota.routes[route].stops[index]
    d = timedelta(minutes=minutes)
    return edit(rota, route, index, arrive=s.arrive + d, start=s.start + d, end=s.end + d)


MUTATIONS = {
    "window": lambda r: shifted(r, 0, 0, 70),
    "skills": lambda r: replace(r, routes=(r.routes[0], replace(r.routes[1], clinician_id="H1"))),
    "duration": lambda r: edit(r, 1, 1, end=at("10:10")),
    "sync": lambda r: shifted(r, 1, 0, 5),
    "gap": lambda r: shifted(r, 0, 3, -40),
    "travel": lambda r: edit(r, 1, 1, travel_min=4),
    "timeline": lambda r: edit(r, 0, 1, arrive=at("08:31")),
    "break": lambda r: shifted(r, 0, 2, -60),
    "shift": lambda r: shifted(r, 1, 1, 340),
}


@pytest.mark.parametrize("rule", sorted(MUTATIONS))
def test_each_fault_is_reported_under_its_rule(rule):
    """One change to the valid rota, and the checker names the rule it breaks."""
    report = check(problem(), MUTATIONS[rule](base()))
    assert rule in {v.rule for v in report.violations}, [str(v) for v in report.violations]


def test_accounting_faults():
    """A visit both placed and unassigned, one missing, and an unknown one are all caught."""
    r = base()
    both = replace(r, unassigned=(*r.unassigned, Unassigned("A", "x")))
    missing = replace(r, unassigned=())
    unknown = replace(r, unassigned=(*r.unassigned, Unassigned("ZZZ", "x")))
    for rota, word in ((both, "both"), (missing, "neither"), (unknown, "unknown")):
        msgs = [str(v) for v in check(problem(), rota).violations if v.rule == "accounting"]
        assert any(word in m for m in msgs), msgs


def test_pin_and_same_clinician_twice_on_a_pair():
    """Moving the pinned visit away, or doubling a pair onto one nurse, is refused."""
    r = base()
    n1, n2 = r.routes
    pin_moved = replace(r, routes=(replace(n1, stops=(*n1.stops, S("PIN", "14:00", "14:00", "14:20", 3))),
                                   replace(n2, stops=n2.stops[:1])))  # fmt: skip
    rules = {v.rule for v in check(problem(), pin_moved).violations}
    assert "pin" in rules and "skills" not in rules
    twice = replace(r, routes=(n1, replace(n2, clinician_id="N1")))
    assert any(v.rule == "accounting" for v in check(problem(), twice).violations)


def test_follower_without_its_predecessor_is_refused():
    """B is placed although PAIR, which it must follow, is not."""
    r = base()
    n1, n2 = r.routes
    rota = Rota(
        (
            replace(n1, stops=(n1.stops[0], n1.stops[2], n1.stops[3])),
            replace(n2, stops=n2.stops[1:]),
        ),
        (*r.unassigned, Unassigned("PAIR", "x")),
    )
    assert any("must follow" in v.message for v in check(problem(), rota).violations)


def test_break_before_or_after_the_drive_is_accepted_but_not_without_room():
    """N1 can break at A's door or at PAIR's; a gap too short for drive + break is refused."""
    p = make_problem(
        [visit("A", 1, 0, "08:00", "08:00", 30), visit("C", 3, 0, "09:06", "12:00", 30)],
        [shift("N1", "07:00", "15:00", brk=(30, "08:00", "13:00"))],
    )
    before = Rota((Route("N1", (S("A", "08:00", "08:00", "08:30", 3), BRK("08:30", "09:00"),
                                S("C", "09:06", "09:06", "09:36", 6))),))  # fmt: skip
    after = Rota((Route("N1", (S("A", "08:00", "08:00", "08:30", 3), BRK("08:36", "09:06"),
                               S("C", "08:36", "09:06", "09:36", 6))),))  # fmt: skip
    assert check(p, before).violations == ()
    assert check(p, after).violations == ()
    squeezed = Rota((Route("N1", (S("A", "08:00", "08:00", "08:30", 3), BRK("08:30", "09:00"),
                                  S("C", "09:01", "09:01", "09:31", 6))),))  # fmt: skip
    p2 = make_problem(
        [visit("A", 1, 0, "08:00", "08:00", 30), visit("C", 3, 0, "09:00", "12:00", 30)],
        [shift("N1", "07:00", "15:00", brk=(30, "08:00", "13:00"))],
    )
    assert any(v.rule == "timeline" for v in check(p2, squeezed).violations)


def test_max_visits_and_a_second_break():
    """Too many visits for max_visits, and two breaks on one shift."""
    p = make_problem(
        [visit("A", 1, 0, "08:00", "09:00"), visit("C", 2, 0, "09:00", "12:00")],
        [shift("N1", "07:00", "15:00", brk=(30, "08:00", "13:00"), max_visits=1)],
    )
    rota = Rota((Route("N1", (S("A", "08:00", "08:00", "08:30", 3), BRK("08:30", "09:00"),
                              S("C", "09:03", "09:03", "09:33", 3), BRK("09:33", "10:03"))),))  # fmt: skip
    rules = {v.rule for v in check(p, rota).violations}
    assert {"max_visits", "break"} <= rules


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.integers(0, 60), min_size=1, max_size=8),
    cells=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=8, max_size=8),
    victim=st.integers(0, 7),
)
def test_constructed_timelines_pass_and_a_moved_start_is_caught(gaps, cells, victim):
    """Visits laid out one after another with slack always pass; pushing any one start past
    its window's end is always reported."""
    visits, stops = [], []
    here, now = (0, 0), 7 * 60
    for i, slack in enumerate(gaps):
        x, y = cells[i]
        drive = 3 * (abs(x - here[0]) + abs(y - here[1]))
        arrive = now + drive
        start = arrive + slack
        hh = f"{start // 60:02d}:{start % 60:02d}"
        visits.append(visit(f"V{i}", x, y, hh, hh, duration=20))
        stops.append(Stop("visit", f"V{i}", at("00:00") + timedelta(minutes=arrive),
                          at(hh), at(hh) + timedelta(minutes=20), drive))  # fmt: skip
        here, now = (x, y), start + 20
    p = make_problem(visits, [shift("N1", "07:00", "23:59")])
    rota = Rota((Route("N1", tuple(stops)),))
    assert check(p, rota).violations == ()
    i = victim % len(stops)
    moved = list(stops)
    moved[i] = replace(
        stops[i],
        start=stops[i].start + timedelta(minutes=1),
        end=stops[i].end + timedelta(minutes=1),
    )
    assert any(
        v.rule == "window" and v.visit_id == f"V{i}"
        for v in check(p, Rota((Route("N1", tuple(moved)),))).violations
    )

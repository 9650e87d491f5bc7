"""A nurse running late: her remaining visits re-timed, the ones that will miss their window
(or leave a partner waiting) flagged before it happens, with who else could take them. Every
projected rota goes through the checker: what is flagged is what the checker reports."""

from __future__ import annotations

import pytest

from scheduler.domain.check import check
from scheduler.domain.model import Rota
from scheduler.domain.retime import retime
from scheduler.domain.running_late import running_late
from tests.support.factories import at, make_problem, shift, visit

EMPTY = Rota((), ())


def day():
    """N1: A 09:00–09:30, then B (window to 10:15) at 09:33, then C (wide window). N2 is
    free nearby."""
    visits = [
        visit("A", 1, 0, "09:00", "09:30"),
        visit("B", 2, 0, "09:30", "10:15", priority=1, skills=("IV",)),
        visit("C", 3, 0, "09:00", "16:00"),
    ]
    shifts = [shift("N1", "08:00", "16:00"), shift("N2", "08:00", "16:00", base=(2, 1))]
    problem = make_problem(visits, shifts)
    rota = retime(problem, EMPTY, {"N1": ["A", "B", "C"]})
    assert check(problem, rota).ok
    return problem, rota


def starts(rota, cid):
    route = rota.route_of(cid)
    assert route is not None
    return {s.visit_id: s.start for s in route.stops if s.visit_id}


def test_a_small_delay_is_absorbed_and_nothing_is_flagged():
    problem, rota = day()
    late = running_late(problem, rota, "N1", at("09:10"), 10)
    assert late.at_risk == () and check(problem, late.rota).ok
    assert late.pushed == {"B": 10, "C": 10}
    assert starts(late.rota, "N1")["A"] == at("09:00")  # under way: kept


def test_a_visit_that_will_miss_its_window_is_flagged_with_the_fixes():
    """50 minutes behind at 09:10: B would start at 10:23, 8 minutes after its window closes.
    It is flagged before it happens, and N2 (free, 3 minutes away) is the first fix."""
    problem, rota = day()
    late = running_late(problem, rota, "N1", at("09:10"), 50)
    assert [(r.visit_id, r.rules, r.minutes_over) for r in late.at_risk] == [("B", ("window",), 8)]
    assert late.at_risk[0].projected_start == at("10:23")
    assert not check(problem, late.rota).ok
    fixes = late.fixes["B"]
    assert fixes and fixes[0].clinician_id == "N2" and fixes[0].feasible
    for fix in fixes:
        assert check(problem, fix.rota).ok == fix.feasible


def test_between_visits_she_arrives_late_at_the_next_one():
    problem, rota = day()
    late = running_late(problem, rota, "N1", at("09:31"), 15)
    assert starts(late.rota, "N1")["B"] == at("09:48")
    assert starts(late.rota, "N1")["A"] == at("09:00")  # done: kept


def test_a_partner_left_waiting_is_flagged_under_sync():
    """D is double-handed with N2 (untouched); N1 running 30 minutes late reaches it late."""
    visits = [visit("A", 1, 0, "09:00", "09:30"), visit("D", 2, 0, "09:30", "12:00", staff=2)]
    shifts = [shift("N1", "08:00", "16:00"), shift("N2", "08:00", "16:00", base=(2, 0))]
    problem = make_problem(visits, shifts)
    rota = retime(problem, EMPTY, {"N1": ["A", "D"], "N2": ["D"]})
    assert check(problem, rota).ok
    late = running_late(problem, rota, "N1", at("09:10"), 30)
    assert [(r.visit_id, r.rules) for r in late.at_risk] == [("D", ("sync",))]
    assert "D" not in late.fixes  # a pair is re-planned, not handed to one clinician


def test_nonsense_is_refused():
    problem, rota = day()
    with pytest.raises(ValueError, match="negative"):
        running_late(problem, rota, "N1", at("09:10"), -5)
    with pytest.raises(ValueError, match="no route"):
        running_late(problem, rota, "N2", at("09:10"), 5)

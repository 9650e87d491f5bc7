"""Re-timing routes a person has re-ordered (``scheduler.domain.retime``), on small grid days
whose drives are easy to reason about (3 minutes per 1-km cell). Every rota made here goes
through the independent checker: a clean one must pass it, and a change that breaks a rule
must be reported under exactly that rule, because that is what the coordinator is shown.
"""

from __future__ import annotations

import pytest

from scheduler.domain.check import check
from scheduler.domain.model import Problem, Reason, Rota, Route, Stop, Unassigned
from scheduler.domain.retime import best_position, retime
from tests.support.factories import at, make_problem, shift, visit

EMPTY = Rota((), ())


def rules(problem: Problem, rota: Rota) -> set[str]:
    return {v.rule for v in check(problem, rota).violations}


def route(rota: Rota, cid: str) -> Route:
    found = rota.route_of(cid)
    assert found is not None, f"{cid} has no route"
    return found


def visit_stop(rota: Rota, cid: str, vid: str) -> Stop:
    return next(s for s in route(rota, cid).stops if s.visit_id == vid)


def test_each_visit_starts_as_early_as_its_window_and_drive_allow():
    """The first visit is driven to just in time for its window; the next starts the moment
    the nurse can be there (9 minutes' drive after the first ends)."""
    problem = make_problem(
        [visit("A", 3, 0, "10:00", "11:00"), visit("B", 6, 0, "08:00", "16:00")],
        [shift("C1", "08:00", "16:00")],
    )
    rota = retime(problem, EMPTY, {"C1": ["A", "B"]})
    assert rules(problem, rota) == set()
    a, b = visit_stop(rota, "C1", "A"), visit_stop(rota, "C1", "B")
    assert (a.arrive, a.start, a.end, a.travel_min) == (at("10:00"), at("10:00"), at("10:30"), 9)
    assert (b.arrive, b.start, b.travel_min) == (at("10:39"), at("10:39"), 9)
    assert rota.unassigned == ()


def test_an_order_that_cannot_be_kept_is_timed_late_not_refused_and_the_checker_says_so():
    """B's window closes at 08:30, but she is asked to see A (09:00 at the earliest) first:
    B starts late, and the coordinator is shown a window violation for B, nothing else."""
    problem = make_problem(
        [visit("A", 1, 0, "09:00", "12:00"), visit("B", 2, 0, "08:00", "08:30")],
        [shift("C1", "08:00", "16:00")],
    )
    rota = retime(problem, EMPTY, {"C1": ["A", "B"]})
    b = visit_stop(rota, "C1", "B")
    assert b.start == at("09:33") and b.start > problem.visits[1].window.end
    report = check(problem, rota)
    assert {(v.rule, v.visit_id) for v in report.violations} == {("window", "B")}
    # The other order keeps both windows.
    assert rules(problem, retime(problem, EMPTY, {"C1": ["B", "A"]})) == set()


def test_the_break_goes_in_the_first_gap_that_keeps_the_route_on_time():
    """A 30-minute break (window 12:00–14:00) between two visits with a wide gap: it starts at
    12:00, the first moment its window allows, after the morning visit and before the drive."""
    problem = make_problem(
        [visit("A", 1, 0, "09:00", "09:30"), visit("B", 2, 0, "15:00", "15:30")],
        [shift("C1", "08:00", "17:00", brk=(30, "12:00", "14:00"))],
    )
    rota = retime(problem, EMPTY, {"C1": ["A", "B"]})
    assert rules(problem, rota) == set()
    kinds = [s.kind for s in route(rota, "C1").stops]
    assert kinds == ["visit", "break", "visit"]
    rest = route(rota, "C1").stops[1]
    assert (rest.start, rest.end, rest.travel_min) == (at("12:00"), at("12:30"), 0)


def test_both_halves_of_a_double_handed_visit_start_together_at_the_later_earliest_minute():
    """C1 can reach D at 09:03, C2 (busy with E first, then 27 minutes away) only at 09:57:
    both start at 09:57."""
    problem = make_problem(
        [
            visit("D", 1, 0, "09:00", "11:00", staff=2),
            visit("E", 10, 0, "09:00", "09:30"),
        ],
        [shift("C1", "09:00", "16:00"), shift("C2", "09:00", "16:00", base=(10, 0))],
    )
    rota = retime(problem, EMPTY, {"C1": ["D"], "C2": ["E", "D"]})
    assert rules(problem, rota) == set()
    assert visit_stop(rota, "C1", "D").start == visit_stop(rota, "C2", "D").start == at("09:57")


def test_a_follower_starts_no_sooner_than_its_predecessor_ends_plus_the_gap():
    """A fluids disconnection (F) at least 120 minutes after the connection (P) ends, on
    another nurse's route: it waits for the gap even though its window opens earlier."""
    problem = make_problem(
        [
            visit("P", 1, 0, "09:00", "10:00"),
            visit("F", 1, 0, "09:00", "16:00", after_visit="P", min_gap_min=120),
        ],
        [shift("C1", "09:00", "16:00"), shift("C2", "09:00", "16:00")],
    )
    rota = retime(problem, EMPTY, {"C1": ["P"], "C2": ["F"]})
    assert rules(problem, rota) == set()
    p, f = visit_stop(rota, "C1", "P"), visit_stop(rota, "C2", "F")
    assert f.start == p.end + (at("11:00") - at("09:00"))


def test_untouched_routes_keep_their_times_and_a_touched_partner_meets_them():
    """Only C2's route is re-timed: C1's stops are kept exactly, and C2's half of the
    double-handed visit D is held back to C1's fixed start."""
    problem = make_problem(
        [visit("D", 1, 0, "09:00", "12:00", staff=2), visit("A", 5, 0, "10:00", "10:30")],
        [shift("C1", "09:00", "16:00"), shift("C2", "09:00", "16:00")],
    )
    first = retime(problem, EMPTY, {"C1": ["A", "D"], "C2": ["D"]})
    assert rules(problem, first) == set()
    later = visit_stop(first, "C1", "D").start
    assert later > at("09:03")  # C1 sees A first, so D waits for her
    again = retime(problem, first, {"C2": ["D"]})
    assert again.route_of("C1") == first.route_of("C1")
    assert visit_stop(again, "C2", "D").start == later
    assert rules(problem, again) == set()


def test_a_partner_who_cannot_meet_a_fixed_route_is_reported_as_a_broken_link():
    """Both start D at 09:27 (C2 drives 27 minutes to it); then C2 alone is given E first and
    cannot be at D before 09:57, while C1's untouched route still says 09:27."""
    problem = make_problem(
        [visit("D", 1, 0, "09:00", "12:00", staff=2), visit("E", 10, 0, "09:00", "09:30")],
        [shift("C1", "09:00", "16:00"), shift("C2", "09:00", "16:00", base=(10, 0))],
    )
    first = retime(problem, EMPTY, {"C1": ["D"], "C2": ["D"]})
    assert rules(problem, first) <= {"accounting"}  # E is not placed yet
    moved = retime(problem, first, {"C2": ["E", "D"]})
    assert visit_stop(first, "C1", "D").start == visit_stop(first, "C2", "D").start == at("09:27")
    assert visit_stop(moved, "C1", "D").start == at("09:27")
    assert visit_stop(moved, "C2", "D").start == at("09:57")
    assert rules(problem, moved) == {"sync"}


def test_visits_taken_off_every_route_are_listed_unassigned_with_a_reason():
    problem = make_problem(
        [visit("A", 1, 0, "09:00", "12:00"), visit("B", 2, 0, "09:00", "12:00")],
        [shift("C1", "09:00", "16:00")],
    )
    both = retime(problem, EMPTY, {"C1": ["A", "B"]})
    given = Unassigned("B", "no nurse free", Reason.CAPACITY)
    dropped = retime(problem, both, {"C1": []}, unassigned=[given])
    assert dropped.routes == ()  # an emptied route is not kept
    by_visit = {u.visit_id: u for u in dropped.unassigned}
    assert by_visit["B"] == given
    assert by_visit["A"].reason == "taken off the rota by hand"
    assert rules(problem, dropped) == set()
    back = retime(problem, dropped, {"C1": ["A"]})  # a placed visit leaves the list
    assert [u.visit_id for u in back.unassigned] == ["B"]
    assert rules(problem, back) == set()


def test_a_route_for_a_clinician_without_a_shift_is_refused():
    problem = make_problem([visit("A", 1, 0, "09:00", "12:00")], [shift("C1", "09:00", "16:00")])
    with pytest.raises(ValueError, match=r"no shift for clinician.*C9"):
        retime(problem, EMPTY, {"C9": ["A"]})


def test_best_position_keeps_the_route_on_time_then_short():
    """B (window 09:00–09:30) must go first to be on time; C, on the way between two
    visits, goes between them rather than at the end."""
    problem = make_problem(
        [
            visit("A", 1, 0, "10:00", "14:00"),
            visit("B", 2, 0, "09:00", "09:30"),
            visit("C", 3, 0, "09:00", "16:00"),
            visit("D", 5, 0, "09:00", "16:00"),
        ],
        [shift("C1", "09:00", "16:00")],
    )
    assert best_position(problem, "C1", ["A"], "B") == 0
    assert best_position(problem, "C1", ["A", "D"], "C") == 1
    seq = ["A", "D"]
    seq.insert(best_position(problem, "C1", seq, "C"), "C")
    rota = retime(problem, EMPTY, {"C1": seq}, unassigned=[Unassigned("B", "later")])
    assert rules(problem, rota) == set()

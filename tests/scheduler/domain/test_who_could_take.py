"""Who could take this visit: every qualified clinician on shift, her best place from now on,
what it costs and the checker's verdict; best first. Every option's rota goes through the
checker here too: it is feasible exactly when the option says so."""

from __future__ import annotations

import pytest

from scheduler.domain.check import check
from scheduler.domain.model import Rota, Unassigned
from scheduler.domain.retime import retime
from scheduler.domain.who_could_take import who_could_take
from tests.support.factories import at, make_problem, shift, visit

EMPTY = Rota((), ())


def day():
    visits = [
        visit("A", 1, 0, "09:00", "10:00"),
        visit("B", 2, 0, "10:00", "10:45"),
        visit("C", 8, 0, "09:00", "10:00"),
        visit("U", 2, 1, "10:30", "12:30", priority=1, skills=("IV",)),
    ]
    shifts = [
        shift("N1", "08:00", "16:00"),
        shift("N2", "08:00", "16:00", base=(8, 0)),
        shift("H1", "08:00", "16:00", base=(2, 1), skills=("OBS",)),  # no IV
    ]
    problem = make_problem(visits, shifts)
    rota = retime(problem, EMPTY, {"N1": ["A", "B"], "N2": ["C"]},
                  unassigned=[Unassigned("U", "new referral")])  # fmt: skip
    assert check(problem, rota).ok
    return problem, rota


def test_the_nearby_qualified_nurse_comes_first_and_each_verdict_is_the_checkers():
    problem, rota = day()
    options = who_could_take(problem, rota, "U")
    assert [o.clinician_id for o in options][:2] == ["N1", "N2"]
    best = options[0]
    assert best.feasible and best.position == 2 and best.pushed == ()
    assert best.travel_added_min == 3 + 9 - 6  # B→U (1 cell), U→home (3) replace B→home (2)
    for o in options:
        assert check(problem, o.rota).ok == o.feasible
        assert "U" in o.rota.assigned_visit_ids
    assert [o.rank() for o in options] == sorted(o.rank() for o in options)


def test_a_clinician_without_the_skills_is_never_offered():
    problem, rota = day()
    assert "H1" not in {o.clinician_id for o in who_could_take(problem, rota, "U")}


def test_nothing_done_or_under_way_is_moved_to_make_room():
    """At 10:10 N1 is at B (10:00–10:30): U can only go after it, and her morning stays."""
    problem, rota = day()
    n1 = who_could_take(problem, rota, "U", at("10:10"))
    mine = next(o for o in n1 if o.clinician_id == "N1")
    assert mine.position == 2 and mine.start >= at("10:33")
    before = rota.route_of("N1")
    after = mine.rota.route_of("N1")
    assert before is not None and after is not None
    assert after.stops[:2] == before.stops[:2]


def test_when_every_place_breaks_a_rule_the_options_say_which_and_rank_after_feasible_ones():
    """N1 is the only IV nurse: before A, U would make A late; after A, U itself is late.
    Both are offered with the rule they break (the coordinator decides), never as feasible;
    a clean second nurse comes first."""
    visits = [visit("A", 1, 0, "10:30", "10:35"), visit("U", 5, 0, "10:00", "10:10",
                                                       priority=1, skills=("IV",))]  # fmt: skip
    shifts = [shift("N1", "08:00", "16:00"), shift("N2", "10:00", "16:00", base=(5, 0))]
    problem = make_problem(visits, shifts)
    rota = retime(problem, EMPTY, {"N1": ["A"]}, unassigned=[Unassigned("U", "new")])
    options = who_could_take(problem, rota, "U")
    assert [(o.clinician_id, o.feasible) for o in options] == [("N2", True), ("N1", False)]
    late = options[1]
    assert "window" in late.breaks and not check(problem, late.rota).ok
    assert options[0].rank() < late.rank()
    alone = who_could_take(problem, rota, "U")  # the same question asked again: same answer
    assert [o.rank() for o in alone] == [o.rank() for o in options]


def test_an_idle_nurse_is_never_offered_a_start_in_the_past():
    """U's window opened at 10:30; at 11:00 N3 has nothing on: she can start it at 11:00 at
    the earliest (plus the drive), not at 10:30."""
    problem, rota = day()
    shifts = [*problem.shifts, shift("N3", "08:00", "16:00", base=(2, 1))]
    problem = make_problem(list(problem.visits), shifts)
    options = who_could_take(problem, rota, "U", at("11:00"))
    n3 = next(o for o in options if o.clinician_id == "N3")
    assert n3.start == at("11:00") and n3.feasible
    assert all(o.start >= at("11:00") for o in options)


def test_an_advanced_practitioner_next_door_comes_after_a_nurse_a_little_further():
    """AP1 is at U's door, N1 is 6 minutes away; one clinician in five holds AP and a review
    needs it, so AP time is scarce: N1 is offered first, AP1 marked as spending AP."""
    visits = [
        visit("U", 2, 0, "10:00", "12:00", priority=1, skills=("IV",)),
        visit("R", 9, 9, "13:00", "15:00", skills=("AP",)),
    ]
    shifts = [
        shift("AP1", "08:00", "16:00", base=(2, 0), skills=("RN", "IV", "AP")),
        shift("N1", "08:00", "16:00", base=(0, 0)),
        *[shift(f"H{i}", "08:00", "16:00", base=(9, 0), skills=("OBS",)) for i in range(3)],
    ]
    problem = make_problem(visits, shifts)
    rota = Rota((), (Unassigned("U", "new"), Unassigned("R", "later")))
    options = who_could_take(problem, rota, "U")
    assert [(o.clinician_id, o.spends) for o in options] == [("N1", ()), ("AP1", ("AP",))]
    assert options[1].travel_added_min < options[0].travel_added_min  # nearer, yet second


def test_a_double_handed_visit_needs_a_re_plan_not_one_clinician():
    problem = make_problem([visit("D", 1, 0, "09:00", "12:00", staff=2)],
                           [shift("N1", "08:00", "16:00"), shift("N2", "08:00", "16:00")])  # fmt: skip
    with pytest.raises(ValueError, match="double-handed"):
        who_could_take(problem, Rota((), (Unassigned("D", "new"),)), "D")


def test_a_visit_under_way_keeps_the_start_it_really_had():
    """The solver started A at 09:40 (it waited); at 09:45 A is under way. Taking U on her
    route must not re-time A to the 09:00 the timing rule alone would give it: the option
    keeps A where it is and is feasible, not refused as changing what is under way."""
    problem, rota = day()
    moved = retime(problem, rota, {"N1": ["A", "B"]}, earliest={"A": at("09:40")})
    route = moved.route_of("N1")
    assert route is not None
    a = next(s for s in route.stops if s.visit_id == "A")
    assert a.start == at("09:40") and check(problem, moved).ok
    options = {o.clinician_id: o for o in who_could_take(problem, moved, "U", at("09:45"))}
    mine = options["N1"]
    taken = mine.rota.route_of("N1")
    assert taken is not None
    kept = next(s for s in taken.stops if s.visit_id == "A")
    assert kept == a
    assert "frozen" not in mine.breaks and mine.feasible
    assert check(problem, mine.rota).ok


def test_clinicians_the_patient_ruled_out_are_never_offered_and_are_named():
    """U's patient excluded N1 (nearest) and asked for a female carer: N2 is a woman and is
    offered; N1 is not, and ``ruled_out`` says why, as it does for a man or a nurse whose
    gender is not stated."""
    from dataclasses import replace

    from scheduler.domain.who_could_take import ruled_out

    problem, rota = day()
    problem = replace(
        problem,
        visits=tuple(replace(v, excluded_clinicians=frozenset({"N1"}), carer_gender="F")
                     if v.visit_id == "U" else v for v in problem.visits),
        shifts=tuple(replace(s, gender="F") if s.clinician_id in ("N2", "H1") else s
                     for s in problem.shifts),
    )  # fmt: skip
    options = who_could_take(problem, rota, "U")
    assert [o.clinician_id for o in options] == ["N2"]
    assert all(check(problem, o.rota).ok == o.feasible for o in options)
    assert ruled_out(problem, "U") == ("excluded by the patient: N1",)  # H1 lacks IV anyway
    man = replace(problem, visits=tuple(replace(v, excluded_clinicians=frozenset())
                                        if v.visit_id == "U" else v for v in problem.visits))  # fmt: skip
    assert ruled_out(man, "U") == ("the patient asked for a female carer; N1 has no gender stated",)

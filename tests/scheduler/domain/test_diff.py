"""``scheduler.domain.diff``: each kind of change between two rotas on small hand-built
rotas (pairs too), and ``plan_changes`` counting the same classification against a previous
plan's order."""

from __future__ import annotations

from scheduler.domain.diff import diff_rotas, plan_changes, shift_words
from scheduler.domain.model import Rota, Stop
from tests.support.factories import at
from tests.support.rotas import BASE, VISITS, changes_for, rota, route, stop


def test_identical_rotas_give_an_empty_diff():
    d = diff_rotas(BASE, BASE, VISITS)
    assert d.empty and d.changes == () and d.clinicians == ()
    assert d.summary.changed == 0 and d.summary.unchanged == 4
    assert d.summary.assigned_old == d.summary.assigned_new == 3


def test_route_order_and_break_stops_do_not_count_as_changes():
    same = Rota(
        (
            route("C2", stop("V2", at(11)), Stop("break", None, at(12), at(12), at(12, 30), 0),
                  stop("V4", at(14))),
            route("C1", stop("V1", at(9)), stop("V2", at(11))),
        ),
        BASE.unassigned,
    )  # fmt: skip
    assert diff_rotas(BASE, same, VISITS).empty


def test_a_visit_added_to_the_plan():
    new = rota(
        route("C1", stop("V1", at(9)), stop("V2", at(11))),
        route("C2", stop("V2", at(11)), stop("V4", at(14)), stop("V3", at(16))),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds) for c in d.changes] == [("V3", ("added",))]
    c = d.changes[0]
    assert c.patient_id == "P3" and c.old_clinicians == () and c.new_clinicians == ("C2",)
    assert c.old_start is None and c.new_start == at(16) and c.shift_min is None
    assert [x.clinician_id for x in d.clinicians] == ["C2"]
    gain = d.clinicians[0].gains[0]
    assert (gain.visit_id, gain.new_start, gain.unassigned) == ("V3", at(16), True)
    assert d.clinicians[0].losses == () and d.clinicians[0].retimed == ()
    assert d.summary.added == 1 and d.summary.changed == 1 and d.summary.assigned_new == 4
    assert "added for C2 at 16:00" in c.describe()


def test_a_visit_dropped_is_now_unassigned_with_its_reason():
    new = rota(
        route("C1", stop("V2", at(11))),
        route("C2", stop("V2", at(11)), stop("V4", at(14))),
        unassigned=("V3", "V1"),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds) for c in d.changes] == [("V1", ("dropped",))]
    c = d.changes[0]
    assert c.reason == "no room for V1" and c.new_clinicians == () and c.old_start == at(9)
    loss = changes_for(d, "C1").losses[0]
    assert (loss.visit_id, loss.old_start, loss.new_start, loss.unassigned) == (
        "V1", at(9), None, True)  # fmt: skip
    assert d.for_clinician("C2") is None
    assert d.summary.dropped == 1 and d.summary.assigned_new == 2
    assert "now unassigned: no room for V1" in c.describe()


def test_a_visit_gone_from_the_plan_altogether_is_dropped_too():
    new = rota(route("C1", stop("V2", at(11))), route("C2", stop("V2", at(11)),
               stop("V4", at(14))), unassigned=("V3",))  # fmt: skip
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds, c.reason) for c in d.changes] == [("V1", ("dropped",), "")]


def test_a_visit_moved_to_another_clinician_at_the_same_time():
    new = rota(
        route("C1", stop("V2", at(11))),
        route("C2", stop("V1", at(9)), stop("V2", at(11)), stop("V4", at(14))),
        unassigned=("V3",),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds) for c in d.changes] == [("V1", ("moved",))]
    assert d.changes[0].shift_min == 0
    c1, c2 = changes_for(d, "C1"), changes_for(d, "C2")
    assert [(x.visit_id, x.others, x.unassigned) for x in c1.losses] == [("V1", ("C2",), False)]
    assert [(x.visit_id, x.others, x.unassigned) for x in c2.gains] == [("V1", ("C1",), False)]
    assert c1.gains == c1.retimed == c2.losses == c2.retimed == ()
    assert d.summary.moved == 1 and d.summary.retimed == 0 and d.summary.clinicians_affected == 2
    assert d.changes[0].describe() == "V1 moved from C1 to C2"


def test_a_visit_re_timed_says_by_how_much():
    new = rota(
        route("C1", stop("V1", at(9, 15)), stop("V2", at(11))),
        route("C2", stop("V2", at(11)), stop("V4", at(12, 50))),
        unassigned=("V3",),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds, c.shift_min) for c in d.changes] == [
        ("V1", ("retimed",), 15), ("V4", ("retimed",), -70)]  # fmt: skip
    assert [(x.visit_id, x.old_start, x.new_start, x.shift_min)
            for x in changes_for(d, "C1").retimed] == [("V1", at(9), at(9, 15), 15)]  # fmt: skip
    assert changes_for(d, "C2").retimed[0].shift_min == -70
    assert changes_for(d, "C1").gains == changes_for(d, "C1").losses == ()
    assert d.summary.retimed == 2 and d.summary.moved == 0
    assert d.changes[0].describe() == "V1 15 min later (09:15)"
    assert d.changes[1].describe() == "V4 1 h 10 min earlier (12:50)"


def test_less_than_a_minute_is_not_a_re_timing():
    new = rota(
        route("C1", stop("V1", at(9, 0, 40)), stop("V2", at(11))),
        route("C2", stop("V2", at(11)), stop("V4", at(14))),
        unassigned=("V3",),
    )
    assert diff_rotas(BASE, new, VISITS).empty
    one = rota(route("C1", stop("V1", at(8, 59)), stop("V2", at(11))), BASE.routes[1],
               unassigned=("V3",))  # fmt: skip
    assert diff_rotas(BASE, one, VISITS).changes[0].shift_min == -1


def test_a_visit_moved_and_re_timed():
    new = rota(
        route("C1", stop("V2", at(11))),
        route("C2", stop("V2", at(11)), stop("V4", at(14)), stop("V1", at(15, 30))),
        unassigned=("V3",),
    )
    d = diff_rotas(BASE, new, VISITS)
    c = d.changes[0]
    assert len(d.changes) == 1 and c.kinds == ("moved", "retimed") and c.shift_min == 390
    assert changes_for(d, "C1").losses[0].old_start == at(9)
    assert changes_for(d, "C2").gains[0].new_start == at(15, 30)
    assert changes_for(d, "C2").retimed == ()  # she did not have it before
    assert d.summary.moved == d.summary.retimed == d.summary.changed == 1
    assert c.describe() == "V1 moved from C1 to C2, 6 h 30 min later (15:30)"


def test_a_pair_compares_the_set_of_its_clinicians():
    # C1+C2 → C1+C3 at the same time: only C2 (loses) and C3 (gains) are affected
    new = rota(
        route("C1", stop("V1", at(9)), stop("V2", at(11))),
        route("C2", stop("V4", at(14))),
        route("C3", stop("V2", at(11))),
        unassigned=("V3",),
    )
    d = diff_rotas(BASE, new, VISITS)
    c = d.changes[0]
    assert len(d.changes) == 1 and c.visit_id == "V2" and c.kinds == ("moved",)
    assert c.old_clinicians == ("C1", "C2") and c.new_clinicians == ("C1", "C3")
    assert [x.clinician_id for x in d.clinicians] == ["C2", "C3"]
    assert changes_for(d, "C2").losses[0].others == ("C3",)
    assert changes_for(d, "C3").gains[0].others == ("C2",)
    assert c.describe() == "V2 moved from C1 and C2 to C1 and C3"


def test_a_pair_moved_and_re_timed_tells_the_partner_who_keeps_it():
    new = rota(
        route("C1", stop("V1", at(9)), stop("V2", at(12))),
        route("C2", stop("V4", at(14))),
        route("C3", stop("V2", at(12))),
        unassigned=("V3",),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert d.changes[0].kinds == ("moved", "retimed") and d.changes[0].shift_min == 60
    kept = changes_for(d, "C1").retimed
    assert [(x.visit_id, x.shift_min, x.others) for x in kept] == [("V2", 60, ("C3",))]
    assert changes_for(d, "C3").gains[0].new_start == at(12)
    assert d.summary.clinicians_affected == 3


def test_a_pair_dropped_is_lost_by_both():
    new = rota(route("C1", stop("V1", at(9))), route("C2", stop("V4", at(14))),
               unassigned=("V3", "V2"))  # fmt: skip
    d = diff_rotas(BASE, new, VISITS)
    assert [(c.visit_id, c.kinds) for c in d.changes] == [("V2", ("dropped",))]
    assert d.summary.dropped == 1 and d.summary.clinicians_affected == 2
    assert all(x.losses[0].unassigned for x in d.clinicians)


def test_swapping_the_order_of_a_pair_is_no_move():
    new = rota(BASE.routes[1], BASE.routes[0], unassigned=("V3",))
    assert diff_rotas(BASE, new, VISITS).empty


def test_changes_are_in_time_order_and_grouped_per_clinician():
    new = rota(
        route("C1", stop("V3", at(8)), stop("V2", at(11))),  # gains V3, loses V1
        route("C2", stop("V2", at(11)), stop("V4", at(14, 10))),  # V4 re-timed
        unassigned=("V1",),
    )
    d = diff_rotas(BASE, new, VISITS)
    assert [c.visit_id for c in d.changes] == ["V3", "V1", "V4"]  # 08:00, (09:00), 14:10
    s = d.summary
    assert (s.added, s.dropped, s.moved, s.retimed, s.changed, s.unchanged) == (1, 1, 0, 1, 3, 1)
    c1 = changes_for(d, "C1")
    assert [x.visit_id for x in c1.gains] == ["V3"] and [x.visit_id for x in c1.losses] == ["V1"]
    assert c1.count == 2 and changes_for(d, "C2").count == 1


def test_visits_are_optional_and_unknown_ones_are_still_compared():
    new = rota(route("C1", stop("V9", at(10))))
    d = diff_rotas(rota(), new)
    assert [(c.visit_id, c.patient_id, c.kinds) for c in d.changes] == [("V9", "", ("added",))]


def test_shift_words():
    assert shift_words(0) == "same time"
    assert shift_words(5) == "5 min later"
    assert shift_words(-60) == "1 h earlier"
    assert shift_words(125) == "2 h 5 min later"


def test_plan_changes_counts_what_diff_rotas_counts_and_re_orderings():
    """Against BASE's order: V1 moves C1 → C2, V4 is dropped, V3 is added, C2's kept pair
    half V2 is now after a new visit (not a re-ordering: V3 is not shared) while C1 keeps
    only V2; the counts agree with diff_rotas on the same rotas."""
    new = rota(
        route("C1", stop("V2", at(11))),
        route("C2", stop("V3", at(9)), stop("V2", at(11)), stop("V1", at(15))),
    )
    before = {r.clinician_id: list(r.visit_ids) for r in BASE.routes}
    counts = plan_changes(before, new)
    d = diff_rotas(BASE, new, VISITS).summary
    assert (counts["moved"], counts["dropped"], counts["added"]) == (d.moved, d.dropped, d.added)
    assert counts == {"kept": 1, "reordered": 0, "moved": 1, "dropped": 1, "added": 1}


def test_plan_changes_sees_a_re_ordering_and_a_swapped_pair_is_no_move():
    base = rota(route("C1", stop("V1", at(9)), stop("V3", at(10)), stop("V2", at(11))),
                route("C2", stop("V2", at(11))))  # fmt: skip
    new = rota(route("C1", stop("V3", at(9)), stop("V1", at(10))),
               route("C2", stop("V2", at(11))), route("C3", stop("V2", at(11))))  # fmt: skip
    before = {r.clinician_id: list(r.visit_ids) for r in base.routes}
    assert plan_changes(before, new) == {
        "kept": 0, "reordered": 2, "moved": 1, "dropped": 0, "added": 0,
    }  # fmt: skip
    swapped = rota(route("C2", stop("V2", at(11))), route("C1", stop("V1", at(9)),
                   stop("V3", at(10)), stop("V2", at(11))))  # fmt: skip
    assert plan_changes(before, swapped)["kept"] == 3

"""Re-applying a draft's changes onto a newer rota (``scheduler.domain.rebase``), on a small
grid day: what the draft changed is kept, what the newer rota changed is kept, and where
both changed the same thing differently nothing is merged and the conflict is said in words.
Every merged rota goes through the independent checker."""

from __future__ import annotations

from scheduler.domain.check import check
from scheduler.domain.model import Problem, Reason, Rota, Unassigned
from scheduler.domain.rebase import placements, rebase
from scheduler.domain.retime import retime
from tests.support.factories import make_problem, shift, visit

EMPTY = Rota((), ())


def _day() -> Problem:
    visits = [visit(v, x, y, "08:00", "18:00") for v, x, y in [
        ("A", 1, 0), ("B", 2, 0), ("C", 0, 1), ("D", 0, 2), ("E", 1, 1), ("F", 2, 2),
        ("G", 3, 0), ("X", 1, 2)]]  # fmt: skip
    shifts = [shift(c, "08:00", "18:00") for c in ("C1", "C2", "C3")]
    return make_problem(visits, shifts)


def _rota(problem: Problem, orders: dict[str, list[str]], out: tuple[str, ...] = ()) -> Rota:
    return retime(problem, EMPTY, orders,
                  unassigned=[Unassigned(v, "left out", Reason.OTHER) for v in out])  # fmt: skip


def _orders(rota: Rota) -> dict[str, list[str]]:
    return {r.clinician_id: list(r.visit_ids) for r in rota.routes if r.visit_ids}


def _clean(problem: Problem, rota: Rota | None) -> Rota:
    assert rota is not None
    report = check(problem, rota)
    assert report.ok, [str(v) for v in report.violations]
    return rota


BASE = {"C1": ["A", "B"], "C2": ["C", "D"], "C3": ["E", "F"]}


def test_disjoint_changes_are_both_kept():
    """The draft gave A to C3; the latest gave D to C1: the merge has both."""
    p = _day()
    base = _rota(p, BASE, ("G", "X"))
    ours = _rota(p, {"C1": ["B"], "C2": ["C", "D"], "C3": ["E", "F", "A"]}, ("G", "X"))
    latest = _rota(p, {"C1": ["A", "B", "D"], "C2": ["C"], "C3": ["E", "F"]}, ("G", "X"))
    merged = rebase(p, base, ours, latest, "published version 2")
    assert merged.ok and merged.applied == ("A moved from C1 to C3",)
    assert _orders(_clean(p, merged.rota)) == {"C1": ["B", "D"], "C2": ["C"],
                                               "C3": ["E", "F", "A"]}  # fmt: skip


def test_the_same_visit_placed_differently_is_a_conflict_and_nothing_is_merged():
    p = _day()
    base = _rota(p, BASE, ("G", "X"))
    ours = _rota(p, {"C1": ["B"], "C2": ["C", "D"], "C3": ["E", "F", "A"]}, ("G", "X"))
    latest = _rota(p, {"C1": ["B"], "C2": ["C", "D", "A"], "C3": ["E", "F"]}, ("G", "X"))
    merged = rebase(p, base, ours, latest, "published version 2")
    assert merged.rota is None and not merged.ok
    assert merged.conflicts == ("A: this draft has it with C3 (was with C1), but published "
                                "version 2 has it with C2",)  # fmt: skip


def test_a_change_the_latest_already_has_is_not_applied_twice():
    p = _day()
    base = _rota(p, BASE, ("G", "X"))
    both = _rota(p, {"C1": ["B"], "C2": ["C", "D"], "C3": ["E", "F", "A"]}, ("G", "X"))
    merged = rebase(p, base, both, both)
    assert merged.ok and merged.applied == () and merged.rota == both


def test_a_visit_taken_off_keeps_the_drafts_reason_and_a_given_one_its_place():
    """The draft took B off (its reason kept) and gave X to C2 as her second visit; the
    latest gave G to C2 first: X goes after C, the visit it followed in the draft."""
    p = _day()
    base = _rota(p, BASE, ("G", "X"))
    ours = retime(p, base, {"C1": ["A"], "C2": ["C", "X", "D"]},
                  unassigned=[Unassigned("B", "family asked to skip", Reason.OTHER)])  # fmt: skip
    latest = _rota(p, {**BASE, "C2": ["G", "C", "D"]}, ("X",))
    merged = rebase(p, base, ours, latest)
    rota = _clean(p, merged.rota)
    assert _orders(rota) == {"C1": ["A"], "C2": ["G", "C", "X", "D"], "C3": ["E", "F"]}
    assert {u.visit_id: u.reason for u in rota.unassigned} == {"B": "family asked to skip"}
    assert set(merged.applied) == {"B taken off C1 (unassigned)", "X given to C2 (was unassigned)"}


def test_a_reordered_route_is_reordered_on_the_latest_unless_the_latest_reordered_it_too():
    p = _day()
    base = _rota(p, BASE, ("G", "X"))
    ours = _rota(p, {**BASE, "C3": ["F", "E"]}, ("G", "X"))
    latest = _rota(p, {**BASE, "C3": ["E", "G", "F"]}, ("X",))  # G added between
    merged = rebase(p, base, ours, latest)
    assert merged.applied == ("C3's route re-ordered",)
    assert _orders(_clean(p, merged.rota))["C3"] == ["F", "G", "E"]
    other = _rota(p, {**BASE, "C3": ["F", "E"]}, ("G", "X"))
    assert rebase(p, base, ours, other).applied == ()  # the same order: nothing to do
    clash = rebase(p, _rota(p, {**BASE, "C3": ["E", "F", "G"]}, ("X",)),
                   _rota(p, {**BASE, "C3": ["F", "E", "G"]}, ("X",)),
                   _rota(p, {**BASE, "C3": ["E", "G", "F"]}, ("X",)))  # fmt: skip
    assert clash.conflicts == ("C3's route: this draft re-ordered it, and so did the latest "
                               "rota, differently",)  # fmt: skip


def test_what_the_latest_day_no_longer_has_is_a_conflict_when_the_draft_places_it():
    """The latest rota is of re-imported files without X and without C3's shift."""
    p = _day()
    smaller = make_problem([v for v in p.visits if v.visit_id != "X"], list(p.shifts[:2]))
    base = _rota(p, {"C1": ["A", "B"], "C2": ["C", "D"]}, ("E", "F", "G", "X"))
    ours = _rota(p, {"C1": ["A", "B", "X"], "C2": ["C", "D"], "C3": ["E"]}, ("F", "G"))
    latest = _rota(smaller, {"C1": ["A", "B"], "C2": ["C", "D"]}, ("E", "F", "G"))
    merged = rebase(smaller, base, ours, latest)
    assert set(merged.conflicts) == {
        "E: this draft puts it with C3, but C3 is no longer on shift",
        "X: this draft puts it with C1, but it is no longer in the day's files",
    }
    dropped = rebase(smaller, base, _rota(p, {"C1": ["A", "B"], "C2": ["C", "D"]},
                                          ("E", "F", "G", "X")), latest)  # fmt: skip
    assert dropped.ok and dropped.applied == ()


def test_placements_are_sets_of_clinicians():
    p = _day()
    rota = _rota(p, BASE, ("G", "X"))
    assert placements(rota)["A"] == ("C1",) and placements(rota)["X"] == ()

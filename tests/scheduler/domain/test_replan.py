"""Re-planning at 11:30: done visits stay, an urgent visit goes in, a sick nurse's visits move."""

from __future__ import annotations

from scheduler.domain.check import check
from scheduler.domain.replan import merge, prepare, shifts_as_worked
from solver import SolveOptions, WarmStart, solve
from tests.support.factories import at, make_problem, shift, visit

VISITS = [
    visit("A1", 1, 0, "08:00", "09:00", priority=1, skills=("IV",)),
    visit("A2", 2, 1, "09:30", "10:30"),
    visit("A3", 3, 1, "12:00", "13:00", priority=1, skills=("IV",)),
    visit("B1", 0, 2, "08:00", "09:30"),
    visit("B2", 1, 3, "11:00", "12:30", staff=2),
    visit("B3", 2, 3, "13:00", "14:30"),
    visit("C1", 4, 4, "14:00", "15:30", after_visit="A3", min_gap_min=60),
]
SHIFTS = [
    shift("N1", "07:00", "15:00", brk=(30, "11:00", "13:30")),
    shift("N2", "07:00", "17:00", base=(3, 3)),
    shift("N3", "10:00", "18:00", base=(1, 1)),
]
URGENT = visit("URGENT", 2, 2, "11:30", "13:30", priority=1, skills=("IV",))


def replanned(now="11:30", add=(), absent=frozenset()):
    problem = make_problem(VISITS, SHIFTS)
    rota = solve(problem, SolveOptions(time_limit_s=1.0)).rota
    assert check(problem, rota).violations == ()
    prepared = prepare(problem, rota, at(now), add=tuple(add), absent=absent)
    smaller = make_problem(list(prepared.visits), list(prepared.shifts))
    done = len([s for st in prepared.frozen.values() for s in st if s.visit_id])
    initial = {r.clinician_id: list(r.visit_ids) for r in rota.routes}
    for cid, stops in prepared.frozen.items():
        initial[cid] = initial[cid][len([s for s in stops if s.visit_id]) :]
    new = solve(smaller, SolveOptions(time_limit_s=1.0, improve=False),
                warm_start=WarmStart(initial)).rota  # fmt: skip
    whole = make_problem([*VISITS, *add], list(shifts_as_worked(problem, prepared, absent)))
    merged = merge(prepared, new, [v.visit_id for v in whole.visits], at(now))
    return rota, prepared, merged, whole, done


def stops_by_visit(rota):
    return {(r.clinician_id, s.visit_id): s for r in rota.routes for s in r.stops if s.visit_id}


def test_urgent_visit_is_inserted_and_the_past_is_untouched():
    """Visits started before 11:30 keep their clinician and times; the urgent one is placed;
    the merged day passes the checker."""
    before, prepared, result, whole, done = replanned(add=[URGENT])
    merged = result.rota
    assert check(whole, merged).violations == ()
    assert "URGENT" in merged.assigned_visit_ids
    old, new = stops_by_visit(before), stops_by_visit(merged)
    for cid, stops in prepared.frozen.items():
        for s in stops:
            if s.visit_id:
                assert new[(cid, s.visit_id)] == old[(cid, s.visit_id)]
    assert done >= 2
    assert result.moved_visits <= 2
    assert result.frozen_visits == done


def test_a_clinician_going_off_sick_has_her_remaining_visits_redistributed():
    """N1 leaves at 11:30: none of her later visits stay with her, and the day still checks.
    A visit she must already be driving to at 11:30 is under way and stays (``prepare``
    freezes it; the search may well put a pair there at 11:30)."""
    before, prepared, result, whole, _ = replanned(absent=frozenset({"N1"}))
    merged = result.rota
    assert check(whole, merged).violations == ()
    n1 = merged.route_of("N1")
    under_way = {s.visit_id for s in prepared.frozen.get("N1", ()) if s.visit_id}
    later = [
        s
        for s in (n1.stops if n1 else ())
        if s.start >= at("11:30") and s.visit_id is not None and s.visit_id not in under_way
    ]
    assert later == []
    route = before.route_of("N1")
    lost = set(route.visit_ids if route else ()) - {
        s.visit_id for s in prepared.frozen.get("N1", ()) if s.visit_id
    }
    for vid in lost:
        assert vid in merged.assigned_visit_ids or any(u.visit_id == vid for u in merged.unassigned)


def test_a_clinician_left_with_nothing_after_now_still_gets_her_break():
    """Cancelling everything not yet started leaves clinicians with only their morning: the
    merged rota still gives each her owed break, and passes the checker."""
    problem = make_problem(VISITS, SHIFTS)
    rota = solve(problem, SolveOptions(time_limit_s=1.0)).rota
    now = at("10:15")
    started = {s.visit_id for r in rota.routes for s in r.stops if s.visit_id and s.arrive < now}
    cancel = frozenset(v.visit_id for v in VISITS) - started
    prepared = prepare(problem, rota, now, remove=cancel)
    smaller = make_problem(list(prepared.visits), list(prepared.shifts))
    new = solve(smaller, SolveOptions(time_limit_s=0.5, improve=False),
                warm_start=WarmStart({})).rota  # fmt: skip
    merged = merge(
        prepared, new, [v.visit_id for v in VISITS if v.visit_id not in cancel], now
    ).rota
    whole = make_problem([v for v in VISITS if v.visit_id not in cancel],
                         list(shifts_as_worked(problem, prepared, frozenset())))  # fmt: skip
    assert check(whole, merged).violations == ()
    owed = [r for r in merged.routes if r.clinician_id == "N1"]
    assert owed and any(s.kind == "break" for s in owed[0].stops)

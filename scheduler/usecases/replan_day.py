"""Use case: re-plan the rest of a day from a rota at a given time (``hah replan``).

What is done, under way or already being driven to at ``now`` is frozen
(``scheduler.domain.replan.prepare``); the rest of the day, with urgent additions and
without cancelled visits or absent clinicians, is a smaller day solved from the current plan
with minimal change first (insertion, moving one visit aside); if that leaves out a priority-1
visit the rota had planned (or a new one), the rest of the time budget goes to a search from
the same plan (a visit leaves the clinician it had only to save ``KEEP_COST_MIN`` minutes;
a short search, ``RETRY_SEARCH_S``, when only visits that were already out stay out), whose
result is taken only if it keeps more priority-1 visits: safety first, then change (minimal
change otherwise wins). The frozen part and the new plan are merged into the whole day's rota,
which the independent checker judges against the whole day.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from scheduler.domain.careplan import write_clinicians_csv, write_visits_csv
from scheduler.domain.check import CheckReport, check
from scheduler.domain.diff import plan_changes
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.day import read_visits
from scheduler.domain.formats.solution import write_solution
from scheduler.domain.model import Problem, Rota, Unassigned, Visit
from scheduler.domain.problem import build_problem
from scheduler.domain.replan import merge, prepare, shifts_as_worked
from scheduler.domain.travel import TravelModel
from scheduler.usecases.check_rota import read_day_and_rota
from scheduler.usecases.plan_day import summary_of, travel_model
from solver import SolveOptions, SolveResult, WarmStart, solve


@dataclass(frozen=True)
class Replan:
    """The whole day after the re-plan, the checker's verdict, and what changed."""

    problem: Problem
    rota: Rota
    report: CheckReport
    result: SolveResult
    now: datetime
    frozen_visits: int
    moved_visits: int
    #: Against the rota before: visits ``kept``, ``reordered``, ``moved`` to another
    #: clinician, ``dropped`` (planned before, unassigned now), ``added``
    #: (``scheduler.domain.diff.plan_changes``).
    changes: dict[str, int] = field(default_factory=dict)
    #: Priority-1 visits planned before and unassigned now: the coordinator must be shown them.
    priority1_dropped: tuple[Unassigned, ...] = ()


def replan_day(
    before: Problem,
    rota: Rota,
    now: datetime,
    travel: TravelModel,
    *,
    add: Sequence[Visit] = (),
    remove: frozenset[str] = frozenset(),
    absent: frozenset[str] = frozenset(),
    available_from: Mapping[str, datetime] | None = None,
    reported: frozenset[str] = frozenset(),
    time_limit_s: float = 10.0,
) -> Replan:
    """Re-plan ``rota`` of the day ``before`` at ``now``: ``add`` new visits, ``remove``
    cancelled ones, take ``absent`` clinicians off for the rest of their shift, start a
    clinician running late no earlier than ``available_from``, and keep what nurses have
    ``reported`` arrived at or done where it is."""
    prepared = prepare(
        before, rota, now, add=tuple(add), remove=remove, absent=absent,
        available_from=available_from, reported=reported,
    )  # fmt: skip
    smaller = build_problem(prepared.visits, prepared.shifts, travel)
    initial = {
        r.clinician_id: list(
            r.visit_ids[len([s for s in prepared.frozen.get(r.clinician_id, ()) if s.visit_id]) :]
        )
        for r in rota.routes
    }
    starts = {s.visit_id: s.start for r in rota.routes for s in r.stops if s.visit_id}
    warm = WarmStart(initial, starts)
    whole = build_problem(
        (*before.visits, *add), shifts_as_worked(before, prepared, absent), travel
    )
    ids = [v.visit_id for v in whole.visits]
    t0 = time.monotonic()
    result = solve(smaller, SolveOptions(time_limit_s=time_limit_s, improve=False), warm_start=warm)
    merged = merge(prepared, result.rota, ids, now)
    left = time_limit_s - (time.monotonic() - t0)
    out = _priority1_ids_out(smaller, result.rota)
    was_out = {u.visit_id for u in rota.unassigned}
    # Safety first: if minimal change left out a priority-1 visit the rota before had
    # planned (or a new one), spend the rest of the budget on a search from the same plan
    # (visits still prefer their clinician); if it only failed to place one that was already
    # out (the day's solve could not either), a short search is enough to try again.
    budget = left if out - was_out else min(left, RETRY_SEARCH_S) if out else 0.0
    if budget >= MIN_SEARCH_S:
        searched = solve(
            smaller,
            SolveOptions(time_limit_s=budget, improve=True, continuity_cost=KEEP_COST_MIN),
            warm_start=warm,
        )
        if _priority1_out(smaller, searched.rota) < _priority1_out(smaller, result.rota):
            result, merged = searched, merge(prepared, searched.rota, ids, now)
    report = check(whole, merged.rota)
    was = {r.clinician_id: list(r.visit_ids) for r in rota.routes}
    planned = {vid for vids in was.values() for vid in vids}
    p1 = {v.visit_id for v in whole.visits if v.priority == 1}
    dropped = tuple(u for u in merged.rota.unassigned if u.visit_id in p1 and u.visit_id in planned)
    return Replan(
        whole, merged.rota, report, result, now, merged.frozen_visits, merged.moved_visits,
        plan_changes(was, merged.rota), dropped,
    )  # fmt: skip


#: In the search, minutes of driving a visit must save before it leaves the clinician it had:
#: nurses are told of every move, so the search moves what it must, not what it may.
KEEP_COST_MIN = 120

#: Below this many seconds left, a search after the minimal-change pass is not worth starting.
MIN_SEARCH_S = 1.0


#: Seconds of search to try again for priority-1 visits that were already unassigned before.
RETRY_SEARCH_S = 2.0


def _priority1_ids_out(problem: Problem, rota: Rota) -> set[str]:
    p1 = {v.visit_id for v in problem.visits if v.priority == 1}
    return {u.visit_id for u in rota.unassigned if u.visit_id in p1}


def _priority1_out(problem: Problem, rota: Rota) -> int:
    return len(_priority1_ids_out(problem, rota))


def read_new_visits(add: Path, day_visits: Sequence[Visit]) -> tuple[Visit, ...]:
    """Visits to add to the day from ``add`` (an urgent referral): refused, by file and
    column, if one has the id of a visit the day already has."""
    added = read_visits(add)
    clash = {v.visit_id for v in added} & {v.visit_id for v in day_visits}
    if clash:
        why = f"{sorted(clash)[0]!r} is already a visit of the day"
        raise InputError([InputIssue(str(add), None, "visit_id", why)])
    return added


def replan_files(
    visits: Path,
    clinicians: Path,
    rota_dir: Path,
    out: Path,
    now: datetime,
    *,
    add: Path | None = None,
    remove: frozenset[str] = frozenset(),
    absent: frozenset[str] = frozenset(),
    roads: str | None = None,
    time_limit_s: float = 10.0,
) -> Replan:
    """``hah replan``: the day and its rota from files, re-planned, written to ``out`` only if
    the independent checker accepts the whole day (else nothing is written: see
    ``Replan.report``)."""
    day = read_day_and_rota(visits, clinicians, rota_dir, roads=roads)
    added = read_new_visits(add, day.visits) if add is not None else ()
    replan = replan_day(
        day.problem, day.rota, now, travel_model(roads), add=added, remove=remove,
        absent=absent, time_limit_s=time_limit_s,
    )  # fmt: skip
    if not replan.report.ok:
        return replan  # never written as if it were a rota to follow
    extra = {
        "replan_moved_visits": replan.moved_visits,
        "replan_frozen_visits": replan.frozen_visits,
        "plan_changes": replan.changes,
    }
    summary = summary_of(replan.report, replan.result, extra)
    write_solution(out, replan.problem, replan.rota, summary, export_matrix=True)
    if added:  # the whole day beside the rota, for ``hah check`` and the next re-plan
        write_visits_csv(list(replan.problem.visits), out / "visits.csv")
    if absent:  # the shifts as worked (no break owed by one who went off before it), likewise
        write_clinicians_csv(list(replan.problem.shifts), out / "clinicians.csv")
    return replan

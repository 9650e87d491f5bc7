"""Who could take this visit? The clinicians who might, each with what it would cost.

What a coordinator asks before she moves a visit by hand or places an urgent referral: for
every clinician qualified for the visit and on shift in its window, the best place in her
route from ``now`` on (what is done, under way or being driven to stays as it is: see
``scheduler.domain.replan.frozen_routes``), the start it would get, the minutes of driving
it adds, which of her other visits it would push later and by how much, and the independent
checker's verdict on the whole day with it: feasible, or the rules it breaks. Best first:
feasible before not, then fewer of her visits pushed, then not spending a scarce skill (an
advanced practitioner's time on a dose a nurse could give), then less driving added.

Clinicians the patient has ruled out (excluded, or not the carer gender asked for) are never
offered; ``ruled_out`` says who they were and why, so "nobody" is never a mystery.

This never changes the rota and never calls the solver: each option is a hand edit
(``scheduler.domain.retime``) judged by the checker, so what is offered is exactly what
accepting it would give.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from scheduler.domain.check import check
from scheduler.domain.model import Problem, Rota, Stop, patient_objection
from scheduler.domain.replan import frozen_routes
from scheduler.domain.retime import retime
from scheduler.domain.timing import time_route, visit_task, workday

#: How many of the cheapest positions (by the timing rule alone) go to the checker.
CHECKED = 8


@dataclass(frozen=True)
class Option:
    """One way to take the visit: on ``clinician_id``'s route at ``position`` (0-based among
    her visits), starting at ``start``. ``pushed``: her other visits that would start later,
    as (visit id, minutes later). ``breaks``: the rules the checker says the whole day would
    break (empty: feasible). ``rota``: the day with the visit taken this way."""

    clinician_id: str
    position: int
    start: datetime
    travel_added_min: int
    pushed: tuple[tuple[str, int], ...]
    breaks: tuple[str, ...]
    rota: Rota
    #: Scarce skills of hers the visit does not need (e.g. an advanced practitioner's ``AP``
    #: for an IV dose a nurse could give): her time is then taken from visits only she can do.
    spends: tuple[str, ...] = ()

    @property
    def feasible(self) -> bool:
        return not self.breaks

    def rank(self) -> tuple[int, int, int, int, int]:
        """Feasible first, then fewer of her visits pushed, then not spending a scarce skill,
        then less driving."""
        return (len(self.breaks), len(self.pushed), len(self.spends) > 0,
                self.travel_added_min, self.position)  # fmt: skip


#: A skill is scarce when at most this share of the clinicians on shift hold it and some
#: visit of the day needs it (on the sample day: AP, held by 16 of 129).
SCARCE_SHARE = 0.25


def scarce_skills(problem: Problem) -> frozenset[str]:
    """Skills some visit needs that few clinicians on shift hold."""
    needed = {s for v in problem.visits for s in v.skills}
    n = len(problem.shifts)
    return frozenset(
        s for s in needed if sum(s in sh.skills for sh in problem.shifts) <= SCARCE_SHARE * n
    )


def who_could_take(
    problem: Problem,
    rota: Rota,
    visit_id: str,
    now: datetime | None = None,
    *,
    limit: int = CHECKED,
) -> list[Option]:
    """The ``limit`` best ways to put ``visit_id`` (a visit of ``problem``, unassigned or on
    someone's route) on one clinician's route, best first. A staff-2 visit is not offered here:
    it needs two clinicians at one minute (a re-plan places it)."""
    visit = problem.visits[problem.visit_index[visit_id]]
    if visit.staff > 1:
        raise ValueError(f"{visit_id} is double-handed: it needs a re-plan, not one clinician")
    base = _without(problem, rota, visit_id)
    frozen = frozen_routes(problem, base, now) if now is not None else {}
    v = problem.visit_index[visit_id]
    # Nobody reaches it in the past: an idle nurse's timing would otherwise start it at the
    # opening of a window that began before now.
    not_before = {v: problem.minute(now, round_up=True)} if now is not None else {}
    candidates: list[tuple[tuple[int, int], str, int]] = []
    for k, shift in enumerate(problem.shifts):
        if not shift.qualified_for(visit) or visit.pinned_clinician not in (
            None,
            shift.clinician_id,
        ):
            continue
        if shift.end <= visit.window.start or shift.start > visit.window.end:
            continue
        route = base.route_of(shift.clinician_id)
        seq = [problem.visit_index[x] for x in (route.visit_ids if route else ())]
        done = sum(1 for s in frozen.get(shift.clinician_id, ()) if s.visit_id)
        for pos in range(done, len(seq) + 1):
            late, travel = _travel(problem, k, [*seq[:pos], v, *seq[pos:]], not_before)
            candidates.append(((late, travel), shift.clinician_id, pos))
    candidates.sort()
    scarce = scarce_skills(problem)
    options: list[Option] = []
    seen: set[str] = set()
    for _, cid, pos in candidates:
        if len(options) >= limit:
            break
        if cid in seen:  # her best position only: the others are worse by the same rule
            continue
        seen.add(cid)
        option = _option(problem, base, cid, pos, visit_id, frozen.get(cid, ()), now)
        her = problem.shifts[problem.shift_index[cid]].skills
        spends = tuple(sorted((her & scarce) - visit.skills))
        options.append(replace(option, spends=spends) if spends else option)
    return sorted(options, key=Option.rank)


def ruled_out(problem: Problem, visit_id: str) -> tuple[str, ...]:
    """The clinicians on shift in the visit's window who hold its skills but whom the
    patient's own rules keep from it, each in words (``excluded by the patient: C12``; ``the
    patient asked for a female carer; C3 is male``): why ``who_could_take`` leaves them out."""
    visit = problem.visits[problem.visit_index[visit_id]]
    out = []
    for shift in problem.shifts:
        if shift.end <= visit.window.start or shift.start > visit.window.end:
            continue
        if not shift.holds_skills(visit):
            continue
        objection = patient_objection(visit, shift)
        if objection is not None:
            out.append(objection)
    return tuple(out)


def _without(problem: Problem, rota: Rota, visit_id: str) -> Rota:
    """The rota with ``visit_id`` off its route (that route re-timed, as a hand edit is)."""
    routes = [r for r in rota.routes if visit_id in r.visit_ids]
    if not routes:
        return rota
    order = {r.clinician_id: [x for x in r.visit_ids if x != visit_id] for r in routes}
    return retime(problem, rota, order)


def _travel(
    problem: Problem, k: int, seq: list[int], lower: dict[int, int] | None = None
) -> tuple[int, int]:
    """(minutes late, minutes driven including the drive home) of shift ``k`` making ``seq``
    by the one timing rule, no visit starting before its ``lower`` minute."""
    timed, late = time_route(workday(problem, k), [visit_task(problem, x) for x in seq],
                             problem.travel_between, lower)  # fmt: skip
    if not seq:
        return late, 0
    home = problem.travel_between(problem.visit_loc[seq[-1]], problem.shift_end_loc[k])
    return late, sum(t.travel for t in timed) + home


def _option(
    problem: Problem,
    base: Rota,
    cid: str,
    pos: int,
    visit_id: str,
    frozen: tuple[Stop, ...],
    now: datetime | None,
) -> Option:
    route = base.route_of(cid)
    seq = list(route.visit_ids) if route else []
    order = {cid: [*seq[:pos], visit_id, *seq[pos:]]}
    # What is done, under way or being driven to keeps its start (the one timing rule alone
    # would start it as early as it could, which is not when it happened).
    earliest = {s.visit_id: s.start for s in frozen if s.visit_id}
    if now is not None:
        earliest[visit_id] = now
    taken = retime(problem, base, order, earliest=earliest or None)
    new = taken.route_of(cid)
    assert new is not None
    before = {s.visit_id: s for s in (route.stops if route else ()) if s.visit_id}
    after = {s.visit_id: s for s in new.stops if s.visit_id}
    pushed = tuple(
        (vid, int((after[vid].start - s.start).total_seconds() // 60))
        for vid, s in before.items()
        if after[vid].start > s.start
    )
    rules = {v.rule for v in check(problem, taken).violations}
    if any(after.get(s.visit_id) != s for s in frozen if s.visit_id):
        rules.add("frozen")  # it would change what is already done or under way
    k = problem.shift_index[cid]
    index = problem.visit_index
    _, was = _travel(problem, k, [index[x] for x in seq])
    _, now_ = _travel(problem, k, [index[x] for x in new.visit_ids])
    return Option(
        clinician_id=cid,
        position=pos,
        start=after[visit_id].start,
        travel_added_min=now_ - was,
        pushed=pushed,
        breaks=tuple(sorted(rules)),
        rota=taken,
    )

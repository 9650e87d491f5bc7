"""A Hospital at Home day solved by VROOM (pyvroom), converted back into a ``Rota``.

VROOM is a fast open-source vehicle-routing engine with skills, time windows, breaks and
priorities, so most of a day maps onto it directly:

- our own integer travel-minute matrix as VROOM's durations (its cost is then travel time);
  times are whole minutes from ``Problem.origin``, so VROOM's time unit is one minute;
- one VROOM vehicle per shift: start and end place, the shift as its time window, its break
  (VROOM breaks also *start* inside their window), ``max_visits`` as ``max_tasks``;
- skills as VROOM skills (integers), a pin as a skill unique to the pinned clinician;
- one job per visit with its window, duration and priority (VROOM priority 100 for our
  priority 1, 10 for 2, 1 for 3: VROOM maximises the summed priority of what it places first,
  then the number placed, then minimises cost).

What VROOM cannot express, it is not asked to do, so it solves an *easier* problem than ours:

- a double-handed visit becomes two independent jobs (VROOM cannot make two vehicles start
  together, nor keep the halves on different vehicles);
- ``after_visit``/``min_gap_min`` are dropped;
- continuity (preferred clinician) is not modelled.

Back in our terms, a half placed alone or both halves on one clinician are taken out (the
visit is unassigned: no coordinator sends one nurse to a double-handed visit), and so is a
follower whose predecessor is out; the timing of what is left is VROOM's own. The checker
(``scheduler.domain.check.check``) then judges the rota as it judges ours; the violations to expect
are ``sync`` (halves not starting together) and ``gap`` (a follower too soon).

With ``repair=True`` the rota is instead repaired to the real rules, as a coordinator would
have to before sending it out: a double-handed visit whose halves do not start at the same
minute, a follower that starts sooner than its gap after its predecessor ends, and a visit on
a clinician other than its pin are taken out too, and the removal cascades (a follower of
anything taken out goes as well) until nothing is left to take out. Taking a visit out of a
route never makes the rest late (travel obeys the triangle inequality), so the repaired rota
should check clean; the checker still judges it.
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np

from scheduler.domain.model import Problem, Reason, Rota, Route, Stop, Unassigned

VROOM_PRIORITY = {1: 100, 2: 10, 3: 1}
PIN_SKILL_BASE = 100_000
#: The violation kinds a VROOM rota may show because VROOM cannot model them.
UNMODELLED_RULES = frozenset({"sync", "gap"})


def _job_id(v: int, half: int) -> int:
    return 2 * v + half + 1


def _visit_of(job_id: int) -> tuple[int, int]:
    return divmod(job_id - 1, 2)


def build_input(problem: Problem):
    """``vroom.Input`` for the day (import of pyvroom deferred: it is optional)."""
    import vroom

    p = problem
    names = sorted(
        {s for v in p.visits for s in v.skills} | {s for x in p.shifts for s in x.skills}
    )
    skill_id = {name: i + 1 for i, name in enumerate(names)}
    inp = vroom.Input()
    inp.set_durations_matrix("car", np.asarray(p.travel.minutes, dtype=np.uint32))
    for k, s in enumerate(p.shifts):
        breaks = []
        if s.rest_break is not None:
            b = s.rest_break
            breaks.append(
                vroom.Break(
                    k + 1,
                    time_windows=[
                        vroom.TimeWindow(
                            p.minute(b.window.start, round_up=True), p.minute(b.window.end)
                        )
                    ],
                    service=b.duration_min,
                )
            )
        extra = {} if s.max_visits is None else {"max_tasks": s.max_visits}
        inp.add_vehicle(
            vroom.Vehicle(
                k + 1,
                start=p.shift_start_loc[k],
                end=p.shift_end_loc[k],
                skills={skill_id[x] for x in s.skills} | {PIN_SKILL_BASE + k},
                time_window=vroom.TimeWindow(p.minute(s.start, round_up=True), p.minute(s.end)),
                breaks=breaks,
                description=s.clinician_id,
                **extra,
            )
        )
    skipped: dict[int, Unassigned] = {}
    for v, visit in enumerate(p.visits):
        skills = {skill_id[x] for x in visit.skills}
        if visit.pinned_clinician is not None:
            pin_k = p.shift_index.get(visit.pinned_clinician)
            if pin_k is None:
                skipped[v] = Unassigned(
                    visit.visit_id,
                    f"pinned to {visit.pinned_clinician}, who is not on shift",
                    Reason.PIN_UNKNOWN,
                )
                continue
            skills.add(PIN_SKILL_BASE + pin_k)
        window = vroom.TimeWindow(
            p.minute(visit.window.start, round_up=True), p.minute(visit.window.end)
        )
        for half in range(visit.staff):
            inp.add_job(
                vroom.Job(
                    _job_id(v, half),
                    location=p.visit_loc[v],
                    default_service=visit.duration_min,
                    skills=skills,
                    priority=VROOM_PRIORITY[visit.priority],
                    time_windows=[window],
                )
            )
    return inp, skipped


def _steps(solution) -> dict[int, list[tuple[str, int, int, int]]]:
    """Per vehicle index: (type, job id or 0, start minute, end minute) in route order."""
    frame = solution.routes
    out: dict[int, list[tuple[str, int, int, int]]] = {}
    for row in frame.itertuples(index=False):
        kind = str(row.type)
        if kind not in ("job", "break"):
            continue
        start = int(row.arrival) + int(row.setup) + int(row.waiting_time)
        jid = int(row.id) if kind == "job" else 0
        out.setdefault(int(row.vehicle_id) - 1, []).append(
            (kind, jid, start, start + int(row.service))
        )
    return out


def _drop_unmatched(problem: Problem, steps: dict, repair: bool = False) -> dict[int, str]:
    """Take out halves placed alone or twice on one clinician, and followers whose predecessor
    is out; with ``repair`` also pairs that do not start together, followers too soon after
    their predecessor and visits off their pin. Cascades until nothing more goes; returns
    visit index -> why, for what was taken out."""
    p = problem
    why: dict[int, str] = {}
    while True:
        where: dict[int, list[int]] = {}
        starts: dict[int, list[int]] = {}
        ends: dict[int, int] = {}
        for k, seq in steps.items():
            for kind, jid, start, end in seq:
                if kind == "job":
                    v = _visit_of(jid)[0]
                    where.setdefault(v, []).append(k)
                    starts.setdefault(v, []).append(start)
                    ends[v] = max(ends.get(v, end), end)
        out: dict[int, str] = {}
        for v, ks in where.items():
            visit = p.visits[v]
            pin = visit.pinned_clinician
            if visit.staff == 2 and len(set(ks)) < 2:
                out[v] = (
                    "double-handed: VROOM placed only one half"
                    if len(ks) == 1
                    else "double-handed: VROOM put both halves on one clinician"
                )
            elif repair and visit.staff == 2 and len(set(starts[v])) > 1:
                out[v] = "double-handed: VROOM's two halves do not start together"
            elif repair and pin is not None and any(p.shifts[k].clinician_id != pin for k in ks):
                out[v] = f"pinned to {pin}, but VROOM gave it to someone else"
            elif visit.after_visit is not None:
                a = p.visit_index[visit.after_visit]
                if a not in where or a in why:
                    out[v] = f"must follow visit {visit.after_visit}, which is not placed"
                elif repair and min(starts[v]) < ends[a] + visit.min_gap_min:
                    out[v] = (
                        f"VROOM started it less than {visit.min_gap_min} min after visit "
                        f"{visit.after_visit} ended"
                    )
        if not out:
            return why
        why.update(out)
        for k in steps:
            steps[k] = [s for s in steps[k] if s[0] != "job" or _visit_of(s[1])[0] not in out]


def to_rota(
    problem: Problem, solution, skipped: dict[int, Unassigned], *, repair: bool = False
) -> Rota:
    p = problem
    steps = _steps(solution) if solution is not None else {}
    removed = _drop_unmatched(p, steps, repair)
    routes = []
    placed: set[int] = set()
    for k in sorted(steps):
        seq = steps[k]
        if not any(kind == "job" for kind, *_ in seq):
            continue
        here, leave = p.shift_start_loc[k], p.minute(p.shifts[k].start, round_up=True)
        pending: list[tuple[int, int]] = []  # breaks since the last visit
        stops = []
        for kind, jid, start, end in seq:
            if kind == "break":
                pending.append((start, end))
                stops.append(Stop("break", None, p.at(start), p.at(start), p.at(end), 0))
                continue
            v = _visit_of(jid)[0]
            placed.add(v)
            loc = p.visit_loc[v]
            drive = p.travel_between(here, loc)
            # Drive from ``leave``, pausing for any break that starts before arrival.
            t, left = leave, drive
            for b0, b1 in pending:
                if b0 >= t + left:
                    break
                left -= max(0, b0 - t)
                t = max(t, b1)
            arrive = t + left
            stops.append(
                Stop("visit", p.visits[v].visit_id, p.at(arrive), p.at(start), p.at(end), drive)
            )
            here, leave, pending = loc, end, []
        routes.append(Route(p.shifts[k].clinician_id, tuple(stops)))
    unassigned = []
    for v, visit in enumerate(p.visits):
        if v in placed:
            continue
        if v in skipped:
            unassigned.append(skipped[v])
        elif v in removed:
            code = Reason.PRECEDING_UNPLACED if "follow" in removed[v] else Reason.OTHER
            unassigned.append(Unassigned(visit.visit_id, removed[v], code))
        else:
            unassigned.append(Unassigned(visit.visit_id, "left out by VROOM", Reason.OTHER))
    return Rota(tuple(routes), tuple(unassigned))


def solve_vroom(
    problem: Problem,
    time_limit_s: float,
    *,
    exploration_level: int = 5,
    threads: int = 1,
    repair: bool = False,
) -> Rota:
    """VROOM on the day with a wall budget of ``time_limit_s`` (VROOM's ``timeout``; its
    construction phase is not interruptible, so a large day can take longer), on ``threads``
    threads; ``repair``: repaired to the real rules (the module's docstring)."""
    t0 = time.monotonic()
    inp, skipped = build_input(problem)
    budget = max(0.1, time_limit_s - (time.monotonic() - t0))
    solution = None
    if len(skipped) < len(problem.visits):  # VROOM refuses an input without jobs
        solution = inp.solve(
            exploration_level=exploration_level,
            nb_threads=threads,
            timeout=timedelta(seconds=budget),
        )
    return to_rota(problem, solution, skipped, repair=repair)

"""From task routes to the domain's ``Rota``: each route timed by the one timing rule, each
visit left out given the reason a coordinator can act on."""

from __future__ import annotations

from scheduler.domain.model import Rota, Route, Stop, Unassigned
from scheduler.domain.timing import Timed
from solver.instance import Instance
from solver.reasons import explain_left_out
from solver.schedule import schedule_route

Timelines = list[list[Timed]]


def timelines(inst: Instance, routes: list[list[int]]) -> Timelines | None:
    """Every route timed, or None if one of them cannot be timed within its rules."""
    out = []
    for k, seq in enumerate(routes):
        stops = schedule_route(inst, k, seq)
        if stops is None:
            return None
        out.append(stops)
    return out


def to_rota(inst: Instance, timed: Timelines) -> Rota:
    """The rota of timed routes, with every visit not on a route explained."""
    problem = inst.problem
    routes: list[Route] = []
    placed_visits: set[int] = set()
    ends: dict[int, int] = {}
    for k, stops in enumerate(timed):
        if not any(s.key is not None for s in stops):
            continue
        out = []
        for s in stops:
            vid = None
            if s.key is not None:
                v = inst.task_visit[s.key]
                placed_visits.add(v)
                ends[v] = max(ends.get(v, s.end), s.end)
                vid = problem.visits[v].visit_id
            out.append(
                Stop(
                    kind="visit" if vid is not None else "break",
                    visit_id=vid,
                    arrive=problem.at(s.arrive),
                    start=problem.at(s.start),
                    end=problem.at(s.end),
                    travel_min=s.travel,
                )
            )
        routes.append(Route(problem.shifts[k].clinician_id, tuple(out)))
    task_routes = [[s.key for s in stops if s.key is not None] for stops in timed]
    unassigned: list[Unassigned] = []
    for v in range(len(problem.visits)):
        if v in placed_visits:
            continue
        if v in inst.eligibility.refused:
            unassigned.append(inst.eligibility.refused[v])
        else:
            unassigned.append(explain_left_out(inst, v, placed_visits, task_routes, ends))
    return Rota(tuple(routes), tuple(unassigned))

"""Use case: who could take a new visit (an urgent referral), from files (``hah propose``).

The day and its rota are read as ``hah replan`` reads them; each new visit is added to the
day and ``scheduler.domain.who_could_take`` ranks the clinicians who could take it from
``now`` on, each with the checker's verdict on the whole day. Taking an option writes that
day's rota, but only a feasible one: a proposal the checker rejects is shown, never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from scheduler.domain.careplan import write_visits_csv
from scheduler.domain.check import check
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.solution import write_solution
from scheduler.domain.localtime import contract_text
from scheduler.domain.model import Problem, Rota, Unassigned
from scheduler.domain.problem import build_problem
from scheduler.domain.who_could_take import Option, who_could_take
from scheduler.usecases.check_rota import read_day_and_rota
from scheduler.usecases.plan_day import contract_figures, travel_model
from scheduler.usecases.replan_day import read_new_visits


@dataclass(frozen=True)
class Proposals:
    """The day with the new visits, its rota before any is taken, and per new visit the
    options, best first."""

    problem: Problem
    rota: Rota
    options: dict[str, list[Option]]


def propose_files(
    visits: Path,
    clinicians: Path,
    rota_dir: Path,
    add: Path,
    now: datetime,
    *,
    roads: str | None = None,
    limit: int = 5,
) -> Proposals:
    """Options for each visit of ``add`` against the rota in ``rota_dir`` at ``now``."""
    day = read_day_and_rota(visits, clinicians, rota_dir, roads=roads)
    added = read_new_visits(add, day.visits)
    pairs = [v.visit_id for v in added if v.staff > 1]
    if pairs:
        why = f"{pairs[0]!r} is double-handed: use hah replan --add, which places both halves"
        raise InputError([InputIssue(str(add), None, "staff", why)])
    rota = day.rota
    problem = build_problem([*day.visits, *added], day.shifts, travel_model(roads))
    pending = tuple(Unassigned(v.visit_id, "new referral, not yet placed") for v in added)
    with_new = Rota(rota.routes, (*rota.unassigned, *pending))
    options = {
        v.visit_id: who_could_take(problem, with_new, v.visit_id, now, limit=limit) for v in added
    }
    return Proposals(problem, with_new, options)


def take(proposals: Proposals, visit_id: str, option: Option, out: Path, seconds: float) -> None:
    """Write the day's rota with ``option`` for ``visit_id`` taken (re-checked here, never
    trusted); summary.json as the contract asks, ``seconds`` being the time the proposal
    took."""
    report = check(proposals.problem, option.rota)
    if not report.ok:
        raise ValueError(f"the checker rejects this option: {report.violations[0]}")
    summary = {
        **contract_figures(report, seconds),
        "kpis": dict(report.kpis),
        "taken": {
            "visit_id": visit_id,
            "clinician_id": option.clinician_id,
            "start": contract_text(option.start),
            "travel_added_min": option.travel_added_min,
            "pushed": [list(p) for p in option.pushed],
        },
    }
    write_solution(out, proposals.problem, option.rota, summary, export_matrix=True)
    # The day now has a visit its visits.csv lacks: the whole day goes beside the rota, so
    # that ``hah check --visits DIR/visits.csv`` (and a later re-plan) reads what was planned.
    write_visits_csv(list(proposals.problem.visits), out / "visits.csv")

"""Why a visit that someone *could* make was left out after the search.

Visits nobody can make are explained before the search (``solver.eligibility``). The rest were
left out because the clinicians who could make them had no room, and the sentence names them,
so that a coordinator can free one of them, add a shift, or widen the window. When the
patient's own rules (excluded clinicians, a requested carer gender) narrowed who could, the
sentence says that too: the fix may be another shift the patient accepts, not any shift.
"""

from __future__ import annotations

from scheduler.domain.localtime import hm
from scheduler.domain.model import Reason, Unassigned, format_skills, patient_rules_note
from solver.instance import Instance


def _names(inst: Instance, shifts: tuple[int, ...], limit: int = 4) -> str:
    ids = [inst.problem.shifts[k].clinician_id for k in shifts[:limit]]
    more = len(shifts) - limit
    return ", ".join(ids) + (f" and {more} more" if more > 0 else "")


def explain_left_out(
    inst: Instance,
    v: int,
    placed_visits: set[int],
    routes: list[list[int]],
    ends: dict[int, int] | None = None,
) -> Unassigned:
    """``ends``: the minute each placed visit ends, to say how a predecessor narrows the
    window of its follower."""
    problem = inst.problem
    visit = problem.visits[v]
    if visit.after_visit is not None:
        a = problem.visit_index[visit.after_visit]
        if a not in placed_visits:
            return Unassigned(
                visit.visit_id,
                f"must follow visit {visit.after_visit}, which could not be placed",
                Reason.PRECEDING_UNPLACED,
            )
    eligible = inst.eligibility.shifts[v]
    note = patient_rules_note(problem, visit)
    rules = f"; {note}" if note else ""
    skills = format_skills(visit.skills) or "any skills"
    window = visit.window.label()
    if visit.after_visit is not None and ends is not None:
        a = problem.visit_index[visit.after_visit]
        earliest = ends[a] + visit.min_gap_min
        window = (
            f"{hm(problem.at(earliest))}–{hm(visit.window.end)} ({visit.min_gap_min} min "
            f"after {visit.after_visit} ends at {hm(problem.at(ends[a]))})"
        )
    full = [
        k
        for k in eligible
        if inst.vehicles[k].max_visits is not None
        and len(routes[k]) >= (inst.vehicles[k].max_visits or 0)
    ]
    if full and len(full) == len(eligible):
        return Unassigned(
            visit.visit_id,
            f"every clinician with skills {skills} who could attend between {window} "
            f"({_names(inst, eligible)}) has reached their max_visits limit{rules}",
            Reason.CAPACITY,
        )
    if visit.staff == 2:
        return Unassigned(
            visit.visit_id,
            f"double-handed: no two of the {len(eligible)} clinicians with skills {skills} who "
            f"could attend between {window} ({_names(inst, eligible)}) are free at the same "
            f"time{rules}; free one of them, add a shift or widen the window",
            Reason.CAPACITY,
        )
    return Unassigned(
        visit.visit_id,
        f"the {len(eligible)} clinician(s) with skills {skills} who could reach it between "
        f"{window} ({_names(inst, eligible)}) are fully booked then{rules}; add a shift, "
        "move a lower-priority visit or widen the window",
        Reason.CAPACITY,
    )

"""Who could possibly make each visit, decided before any search, with reasons when nobody can.

OR-Tools reads an empty allowed-vehicles list as *every* vehicle, and a visit nobody can make
only wastes search time, so the impossible ones are found here and reported with a sentence a
coordinator can act on (hire an IV-trained nurse for the night, move the pin, widen the window).
A visit is *eligible* for a shift when the clinician holds its skills, the patient has not
ruled her out (an excluded clinician, or not the carer gender the patient asked for:
``Shift.qualified_for``), and she could reach it inside its window after leaving base at
shift start, and still finish and drive back by shift end. Every engine (the construction,
the LNS kernel's arrays, OR-Tools' allowed vehicles, both halves of a double-handed pair)
takes its vehicles from here, so the patient's rules hold everywhere at once; when they are
what leaves nobody, the reason says so in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scheduler.domain.model import (
    Problem,
    Reason,
    Unassigned,
    Visit,
    format_skills,
    patient_objection,
    patient_rules_note,
)


@dataclass(frozen=True)
class Eligibility:
    """Per visit: the shift indices that could make it (empty when none), and the refusals."""

    shifts: tuple[tuple[int, ...], ...]
    refused: dict[int, Unassigned]


@dataclass(frozen=True)
class _ShiftTimes:
    """Per shift, as arrays: first minute on the road, last minute back, base places.

    One visit is tested against every shift at once: on a 2,000-visit day the pairwise test
    in datetimes took a second before the construction could start."""

    start: np.ndarray
    end: np.ndarray
    start_loc: np.ndarray
    end_loc: np.ndarray

    @classmethod
    def of(cls, problem: Problem) -> _ShiftTimes:
        return cls(
            np.array([problem.minute(s.start, round_up=True) for s in problem.shifts], dtype=int),
            np.array([problem.minute(s.end) for s in problem.shifts], dtype=int),
            np.array(problem.shift_start_loc, dtype=int),
            np.array(problem.shift_end_loc, dtype=int),
        )

    def feasible(self, problem: Problem, v: int) -> np.ndarray:
        """Per shift: could it reach visit ``v`` in its window and get back in time?"""
        visit, loc = problem.visits[v], problem.visit_loc[v]
        minutes = problem.travel.minutes
        earliest = self.start + minutes[self.start_loc, loc]
        latest = self.end - visit.duration_min - minutes[loc, self.end_loc]
        lo = np.maximum(earliest, problem.minute(visit.window.start, round_up=True))
        hi = np.minimum(latest, problem.minute(visit.window.end))
        return np.asarray(lo <= hi)


def _skills_text(visit: Visit) -> str:
    return format_skills(visit.skills) or "any skills"


def _window_text(visit: Visit) -> str:
    return visit.window.label()


def _with_note(text: str, note: str) -> str:
    return f"{text} ({note})" if note else text


def _refusal(problem: Problem, v: int, eligible: list[int]) -> Unassigned | None:
    """The reason visit ``v`` cannot be made by the ``eligible`` shifts, or None if it can."""
    visit = problem.visits[v]
    vid = visit.visit_id
    if visit.pinned_clinician is not None:
        k = problem.shift_index.get(visit.pinned_clinician)
        if k is None:
            return Unassigned(
                vid,
                f"pinned to {visit.pinned_clinician}, who is not on the rota today; "
                "remove the pin or add the shift",
                Reason.PIN_UNKNOWN,
            )
        shift = problem.shifts[k]
        if not shift.holds_skills(visit):
            missing = format_skills(visit.skills - shift.skills)
            return Unassigned(
                vid,
                f"pinned to {shift.clinician_id}, who lacks skill {missing}; "
                "remove the pin or pin a qualified clinician",
                Reason.PIN_UNQUALIFIED,
            )
        objection = patient_objection(visit, shift)
        if objection is not None:
            return Unassigned(
                vid,
                f"pinned to {shift.clinician_id}, but {objection}; remove the pin or pin "
                "a clinician the patient accepts",
                Reason.PIN_UNQUALIFIED,
            )
        if k not in eligible:
            return Unassigned(
                vid,
                f"pinned to {shift.clinician_id}, whose shift {shift.label()} cannot reach it "
                f"in its window {_window_text(visit)}; remove the pin or move the window",
                Reason.PIN_OFF_SHIFT,
            )
    if len(eligible) >= visit.staff:
        return None
    skilled = [k for k, s in enumerate(problem.shifts) if s.holds_skills(visit)]
    qualified = [k for k in skilled if problem.shifts[k].qualified_for(visit)]
    skills = _skills_text(visit)
    window = _window_text(visit)
    note = patient_rules_note(problem, visit)
    if not skilled:
        return Unassigned(
            vid,
            f"no clinician with skills {skills} is on shift today",
            Reason.NO_QUALIFIED,
        )
    if not qualified:
        return Unassigned(
            vid,
            f"none of the {len(skilled)} clinician(s) with skills {skills} on shift today may "
            f"take it: {note}; add a shift the patient accepts or review the request",
            Reason.NO_QUALIFIED,
        )
    overlapping = [
        k
        for k in qualified
        if problem.shifts[k].start <= visit.window.end
        and problem.shifts[k].end >= visit.window.start
    ]
    accepted = " the patient accepts" if note else ""
    if visit.staff == 2 and len(eligible) == 1:
        only = problem.shifts[eligible[0]].clinician_id
        return Unassigned(
            vid,
            _with_note(f"double-handed: needs two clinicians{accepted} with skills {skills} "
                       f"between {window}, but only {only} can be there", note),
            Reason.NOT_ENOUGH_QUALIFIED,
        )  # fmt: skip
    if not overlapping:
        return Unassigned(
            vid,
            _with_note(f"no clinician{accepted} with skills {skills} is on shift between "
                       f"{window}", note),
            Reason.NO_QUALIFIED,
        )  # fmt: skip
    return Unassigned(
        vid,
        _with_note(f"the {len(overlapping)} clinician(s){accepted} with skills {skills} on "
                   f"shift around {window} cannot reach the patient within the window and be "
                   "back by the end of their shift", note),
        Reason.UNREACHABLE,
    )  # fmt: skip


def _gap_refusal(problem: Problem, v: int, refused: dict[int, Unassigned]) -> Unassigned | None:
    visit = problem.visits[v]
    if visit.after_visit is None:
        return None
    a = problem.visit_index[visit.after_visit]
    before = problem.visits[a]
    if a in refused:
        return Unassigned(
            visit.visit_id,
            f"must follow visit {before.visit_id}, which cannot be placed",
            Reason.PRECEDING_UNPLACED,
        )
    earliest = (
        problem.minute(before.window.start, round_up=True) + before.duration_min + visit.min_gap_min
    )
    if earliest > problem.minute(visit.window.end):
        return Unassigned(
            visit.visit_id,
            f"must start {visit.min_gap_min} min after visit {before.visit_id} ends, which is "
            f"after its window {_window_text(visit)} closes; widen the window",
            Reason.GAP_IMPOSSIBLE,
        )
    return None


def find_eligibility(problem: Problem) -> Eligibility:
    """Eligible shifts per visit, and the visits refused before search with their reasons."""
    shifts: list[tuple[int, ...]] = []
    refused: dict[int, Unassigned] = {}
    times = _ShiftTimes.of(problem)
    for v, visit in enumerate(problem.visits):
        reachable = times.feasible(problem, v)
        eligible = [
            k
            for k, shift in enumerate(problem.shifts)
            if reachable[k] and shift.qualified_for(visit)
        ]
        shifts.append(tuple(eligible))
        refusal = _refusal(problem, v, eligible)
        if refusal is not None:
            refused[v] = refusal
    # A follower whose predecessor is refused is refused too; chains propagate in id order
    # until nothing changes (chains are acyclic: the reader refuses cycles).
    changed = True
    while changed:
        changed = False
        for v in range(len(problem.visits)):
            if v in refused:
                continue
            refusal = _gap_refusal(problem, v, refused)
            if refusal is not None:
                refused[v] = refusal
                changed = True
    return Eligibility(tuple(shifts), refused)

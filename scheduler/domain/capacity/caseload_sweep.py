"""A census sweep on the caseload model: what a census point is when days are not drawn alone.

A plain sweep point (``days.census_day``) is one day of exactly ``n`` invented patients with
nurses drawn afresh that morning: right for "can the roster carry this day's work", and
silent on continuity, since nobody can be the nurse who saw her yesterday. ``hah simulate
--caseload`` runs a month as a caseload instead (``admissions.MonthSpec(caseload=True)``:
persistent staff on the roster, a named nurse for the stay, regimen changes). A caseload
sweep point is that very month, cut short: census point ``n`` and seed ``s`` are the first
``days`` days of ``month_census(scenario, MonthSpec(days, census=n, caseload=True), s)``, so
its day ``d`` is simulate's day ``d`` at target census ``n`` and seed ``s`` (a month's day
never depends on later days; ``MonthSpec.key`` leaves the length out, so the stored days are
shared too) and what ``plan_days`` plans for the coordinator.

What changes for the figures:

- ``n`` is the **target** (mean) census: admissions by Little's law, so the ward holds about
  ``n`` patients, more on some days and fewer on others, as a real one does (the sweep
  reports the census on the ward beside the figures);
- the service level is judged over every day of the point (``seeds × days`` days);
- **continuity over the stays**: the visit-weighted share of each stay's visits made by its
  three most frequent clinicians (``continuity.caseload_continuity``), over the stays' days
  inside the point's window, each seed's month counted on its own (its patients are its own).

Why ``DEFAULT_DAYS`` = 7 days per census point: continuity needs consecutive days, and a
week is the shortest window that holds what continuity is made of: a typical stay (mean 6
days), every clinician's days off (blocks of 4 days on, 2 off: ``staff.CYCLE`` = 6) and one
weekend (fewer admissions); with learned continuity day 1 has no history behind it, and over
7 days that cold start is one day in seven. Longer windows cost a solve a day and change the
figure little; fewer leave most stays cut short by the window. A point of 1 seed × 7 days
costs about what a plain point of 7 seeds does, which is why ``hah capacity sweep
--caseload`` defaults to 1 seed (a seed here is a month, not a day).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scheduler.domain.capacity.admissions import MonthSpec

Continuity = Literal["fixed", "learned"]
CONTINUITY: tuple[Continuity, ...] = ("fixed", "learned")
DEFAULT_DAYS = 7
MAX_DAYS = 28  # the longest stay: a point longer than that is a month (hah simulate)


@dataclass(frozen=True)
class CaseloadSweep:
    """How every census point of a caseload sweep is run: ``days`` consecutive days of a
    caseload month per seed, with the ``continuity`` model (``fixed``: each patient's named
    nurse; ``learned``: preferences from the point's days before, so its days are solved in
    order)."""

    days: int = DEFAULT_DAYS
    continuity: Continuity = "fixed"

    def __post_init__(self) -> None:
        if not 1 <= self.days <= MAX_DAYS:
            raise ValueError(f"days per census point must be 1 to {MAX_DAYS}, not {self.days}")
        if self.continuity not in CONTINUITY:
            raise ValueError(f"continuity must be fixed or learned, not {self.continuity!r}")

    def spec(self, census: int) -> MonthSpec:
        """The caseload month a census point cuts short: the default stay model and roster
        every day, as ``hah simulate --caseload --census N`` runs it."""
        return MonthSpec(days=self.days, census=census, caseload=True)

    def text(self) -> str:
        return f"caseload model, {self.days} day(s) per seed, {self.continuity} continuity"

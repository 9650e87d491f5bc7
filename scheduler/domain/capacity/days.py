"""Synthetic days for a scenario: a census of ``n`` patients on the scenario's roster.

The same (scenario, census, seed) always gives the same day, so a sweep interrupted and
re-run solves exactly the days it had not yet solved, and a result can be reproduced alone.
"""

from __future__ import annotations

import random
from datetime import date

from scheduler.domain.capacity.scenario import Scenario
from scheduler.domain.careplan import CarePlanItem, Patient, expand
from scheduler.domain.model import Shift, Visit
from scheduler.domain.synth import _prefer, generate_patients, roster_shifts


def day_seed(n_patients: int, seed: int) -> int:
    """One random stream per (census, seed): sizes do not share their first patients, so
    the spread across seeds is honest at every size."""
    return 1_000_003 * seed + n_patients


def staff_for(
    scenario: Scenario, patients: list[Patient], careplans: list[CarePlanItem], rng, day: date
) -> tuple[list[Shift], list[Patient]]:
    """The roster's shifts, based near the patients, and patients with named nurses."""
    shifts = roster_shifts(rng, scenario.roster, day, patients)
    return shifts, _prefer(rng, patients, careplans, shifts)


def census_day(scenario: Scenario, n_patients: int, seed: int) -> tuple[list[Visit], list[Shift]]:
    """The visits and shifts of one simulated day."""
    rng = random.Random(day_seed(n_patients, seed))
    patients, careplans = generate_patients(rng, n_patients, scenario.census.mix)
    shifts, patients = staff_for(scenario, patients, careplans, rng, scenario.day)
    return expand(patients, careplans, scenario.day), shifts


def census_visits(scenario: Scenario, n_patients: int, seed: int) -> list[Visit]:
    """The visits of ``census_day(scenario, n_patients, seed)`` without building its shifts
    (no named nurses): the patients come from the stream before the staff do, so they are
    the same patients whatever the roster, which is what lets a roster be fitted to a day's
    demand and then judged on that very day."""
    rng = random.Random(day_seed(n_patients, seed))
    patients, careplans = generate_patients(rng, n_patients, scenario.census.mix)
    return expand(patients, careplans, scenario.day)

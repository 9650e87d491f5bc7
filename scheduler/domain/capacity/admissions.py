"""The admissions model of a simulated month: who is on the ward each day, and their visits.

It is the domain half of ``hah simulate`` (the use case ``scheduler.usecases.capacity.month``
solves the days it makes): census evolution does not depend on what the solver achieves, so
the whole month is generated here first, the same (scenario, spec, seed) always giving the
same month, and any one day can be rebuilt alone (a worker process rebuilds it from the seed).

The model, and why:

- **Admissions** on each day are Poisson with a day-of-week mean: referrals come mostly on
  weekdays (``WEEKDAY_WEIGHTS``: Monday–Friday 1.1–1.15, Saturday and Sunday 0.7, relative to
  the mean day), as in acute referral pathways where the weekend has fewer consultants to
  refer. Poisson because admissions are many independent referrals.
- **Length of stay** is a discretised lognormal (``StayModel``): mean 6 days, coefficient of
  variation 0.6, one to 28 days. Hospital-at-home / virtual-ward stays are typically 5–7 days
  and right-skewed (most IV-antibiotic courses run 5–14 days; a few patients stay weeks). It
  is drawn at admission, and so is independent of the day's solve.
- **Rates from Little's law**: mean census = admissions per day × mean length of stay, so
  the mean admissions per day are ``census / mean stay`` (about 42 a day for 250 patients
  and 6 days). The census then fluctuates around the target as a real one does (Poisson
  arrivals; fewer admissions at the weekend make it dip early in the week).
- **Warm start**: the month is preceded by a burn-in as long as the longest stay, run
  through the same model from an empty ward, so day 1 opens with a steady-state census and
  residual stays of every length (no hand-made "initial census").
- **Partial days**: a stay of ``L`` days, admitted on day ``a``, is discharged on day
  ``a + L``; its care-plan items run ``start_date = a`` to ``end_date = a + L − 1``. The
  admission day's afternoon and the discharge day's morning together make one day of care,
  and it is counted whole on the admission day's planning day (07:00 to 07:00, see
  ``scheduler.domain.careplan``). A stay of ``L`` days is so exactly ``L`` planning days of
  visits, Little's law holds for the census of every day, and the month's visit volume is
  right; what is approximate is only the hour of the first and last visits of a stay.
- **Staff**: the scenario's roster every day (optionally scaled at weekends with
  ``weekend_staff``), based near that day's patients, with named nurses chosen afresh each
  day (``days.staff_for``).
- **Patients** are ``synth.new_patient`` with the scenario's regimen mix; ids ``M00001``…
  are unique over the burn-in and month.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta

import numpy as np

from scheduler.domain.capacity.days import staff_for
from scheduler.domain.capacity.scenario import Scenario
from scheduler.domain.careplan import CarePlanItem, Patient, expand
from scheduler.domain.model import Shift, Visit
from scheduler.domain.synth import new_patient

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Relative admissions by day of week (Monday first); normalised to a mean of 1.
WEEKDAY_WEIGHTS = (1.15, 1.15, 1.10, 1.10, 1.10, 0.70, 0.70)


@dataclass(frozen=True)
class StayModel:
    """Length of stay in days: a lognormal with this mean and coefficient of variation,
    rounded to whole days and kept within 1..``max_days``."""

    mean_days: float = 6.0
    cv: float = 0.6
    max_days: int = 28

    def __post_init__(self) -> None:
        if not 1 <= self.max_days <= 366:
            raise ValueError("the longest stay must be 1 to 366 days")
        if not 1.0 <= self.mean_days <= self.max_days:
            raise ValueError(f"the mean stay must be between 1 and {self.max_days} days")
        if not 0.0 < self.cv <= 3.0:
            raise ValueError("the coefficient of variation must be in (0, 3]")

    def pmf(self) -> tuple[float, ...]:
        """P(stay = k days) for k = 1..max_days."""
        sigma = math.sqrt(math.log(1 + self.cv**2))
        mu = math.log(self.mean_days) - sigma**2 / 2

        def cdf(x: float) -> float:
            return 0.5 * (1 + math.erf((math.log(x) - mu) / (sigma * math.sqrt(2))))

        edges = [0.0] + [cdf(k + 0.5) for k in range(1, self.max_days)] + [1.0]
        mass = [b - a for a, b in itertools.pairwise(edges)]
        total = sum(mass)
        return tuple(m / total for m in mass)

    def mean(self) -> float:
        """The mean of the whole-day distribution actually drawn from (used in Little's law)."""
        return sum(k * p for k, p in enumerate(self.pmf(), start=1))


@dataclass(frozen=True)
class MonthSpec:
    """What the month simulates (with the scenario and a seed)."""

    days: int = 30
    census: int = 250
    stay: StayModel = field(default_factory=StayModel)
    weekday_weights: tuple[float, ...] = WEEKDAY_WEIGHTS
    weekend_staff: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 366:
            raise ValueError("days must be 1 to 366")
        if not 1 <= self.census <= 2000:
            raise ValueError("census must be 1 to 2000 patients")
        if len(self.weekday_weights) != 7 or min(self.weekday_weights) < 0:
            raise ValueError("seven weekday weights, each ≥ 0")
        if sum(self.weekday_weights) <= 0:
            raise ValueError("at least one weekday weight > 0")
        if not 0.0 <= self.weekend_staff <= 3.0:
            raise ValueError("weekend staff scale must be 0 to 3")

    def admissions_mean(self, weekday: int) -> float:
        """Mean admissions on a day of week (0 = Monday): census / mean stay × its weight."""
        w = self.weekday_weights
        return self.census / self.stay.mean() * w[weekday] * 7 / sum(w)

    def key(self) -> str:
        """A short hash of everything that changes the month's days except their number (a
        longer month re-uses a shorter one's days: day ``d`` does not depend on later days)."""
        data = {
            "census": self.census,
            "stay": asdict(self.stay),
            "weekdays": list(self.weekday_weights),
            "weekend_staff": self.weekend_staff,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Stay:
    patient: Patient
    careplans: tuple[CarePlanItem, ...]
    admitted: date
    discharged: date  # the first day not on the ward; care runs to the day before

    def present(self, day: date) -> bool:
        return self.admitted <= day < self.discharged


@dataclass(frozen=True)
class MonthCensus:
    """Every stay that touches the month; day ``d`` (1-based) is ``start + d − 1``."""

    scenario: Scenario
    spec: MonthSpec
    seed: int
    stays: tuple[Stay, ...]

    @property
    def start(self) -> date:
        return self.scenario.day

    def date_of(self, d: int) -> date:
        return self.start + timedelta(days=d - 1)

    def present(self, d: int) -> list[Stay]:
        day = self.date_of(d)
        return [s for s in self.stays if s.present(day)]

    def census(self, d: int) -> int:
        return len(self.present(d))

    def admissions(self, d: int) -> int:
        day = self.date_of(d)
        return sum(s.admitted == day for s in self.stays)

    def discharges(self, d: int) -> int:
        day = self.date_of(d)
        return sum(s.discharged == day for s in self.stays)

    def roster_scenario(self, d: int) -> Scenario:
        """The scenario with the day's roster (weekend scale applied on Saturday and Sunday)."""
        if self.spec.weekend_staff == 1.0 or self.date_of(d).weekday() < 5:
            return self.scenario
        k = self.spec.weekend_staff
        return self.scenario.with_roster(
            {
                kind: {r: round(n * k) for r, n in roles.items()}
                for kind, roles in self.scenario.roster.items()
            }
        )

    def visits(self, d: int) -> list[Visit]:
        """Day ``d``'s visits without named nurses (the same visits as ``day``'s)."""
        here = self.present(d)
        careplans = [c for s in here for c in s.careplans]
        return expand([s.patient for s in here], careplans, self.date_of(d))

    def day(self, d: int) -> tuple[list[Visit], list[Shift]]:
        """Day ``d``'s visits (its patients' care plans expanded) and shifts."""
        day = self.date_of(d)
        here = self.present(d)
        patients = [s.patient for s in here]
        careplans = [c for s in here for c in s.careplans]
        rng = random.Random(9_000_011 * self.seed + 7_919 * d + 17)
        shifts, patients = staff_for(self.roster_scenario(d), patients, careplans, rng, day)
        return expand(patients, careplans, day), shifts


def month_census(scenario: Scenario, spec: MonthSpec, seed: int = 0) -> MonthCensus:
    """The month's stays: a burn-in of ``stay.max_days`` days from an empty ward, then
    ``spec.days`` days. Admissions day by day, so a day never depends on later days."""
    counts = np.random.default_rng([seed, 2026, 1])  # admissions and lengths of stay
    people = random.Random(1_000_033 * seed + 5)  # who they are and their care plans
    pmf = np.array(spec.stay.pmf())
    stays: list[Stay] = []
    n = 0
    first = scenario.day - timedelta(days=spec.stay.max_days)
    for offset in range(spec.stay.max_days + spec.days):
        day = first + timedelta(days=offset)
        for _ in range(int(counts.poisson(spec.admissions_mean(day.weekday())))):
            n += 1
            length = int(counts.choice(len(pmf), p=pmf)) + 1
            pid = f"M{n:05d}"
            patient, plans = new_patient(people, pid, scenario.census.mix)
            last = day + timedelta(days=length - 1)
            items = tuple(replace(c, start_date=day, end_date=last) for c in plans)
            stays.append(Stay(patient, items, day, day + timedelta(days=length)))
    # Stays over before day 1 are dropped (day 1's discharges, discharged on day 1, are kept).
    keep = tuple(s for s in stays if s.discharged >= scenario.day)
    return MonthCensus(scenario, spec, seed, keep)

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

With ``MonthSpec(caseload=True)`` the month is a caseload across days (issue 14), for
continuity to mean something: the same admissions, stays and patients (the streams above are
untouched), and

- **persistent staff** (``staff.StaffPool``): a standing team who keep their ids and names
  from day to day and work a pattern of about 4.5 days in 7, the roster met exactly each day;
- **a named nurse for the stay**, chosen at admission from the team's day nurses as
  ``synth._prefer`` chooses one for a day (about 60 % of patients, the nearest base's RN5/RN6,
  PICC-trained where the line needs it): today's fixed-preference model, across days;
- **regimen changes during the stay** (``course``, drawn from a stream of their own): IV
  antibiotics stepped down to oral (the IV item ends: oral doses need no visit), q6h/q8h
  reduced to q12h, IV fluids stopped after a day or three. The shares (``IV_TO_ORAL``,
  ``TO_Q12H``, ``FLUIDS_STOP``) are assumptions in the spirit of antimicrobial stewardship's
  48–72-hour IV review ("Start smart, then focus"), not audited figures.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
from dataclasses import asdict, dataclass, field, replace
from datetime import date, time, timedelta

import numpy as np

from scheduler.domain.capacity.days import staff_for
from scheduler.domain.capacity.scenario import Roster, Scenario
from scheduler.domain.capacity.staff import StaffPool, home_shifts, staff_pool
from scheduler.domain.careplan import CarePlanItem, Patient, expand
from scheduler.domain.model import Shift, Visit
from scheduler.domain.synth import _prefer, new_patient
from scheduler.domain.travel import Geodesic

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Relative admissions by day of week (Monday first); normalised to a mean of 1.
WEEKDAY_WEIGHTS = (1.15, 1.15, 1.10, 1.10, 1.10, 0.70, 0.70)
# Regimen changes of a caseload's stay (the chance a stay long enough for one has it).
IV_TO_ORAL = 0.35  # an antibiotic course of 3+ days switched to tablets after 2+ days of IV
TO_Q12H = 0.20  # otherwise, a q6h or q8h course reduced to q12h after 2+ days
FLUIDS_STOP = 0.70  # IV fluids stopped after 1 to 3 days of a stay of 2+ days


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
    #: A caseload across days: persistent staff, a named nurse for the stay, regimen changes.
    caseload: bool = False

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
        if self.caseload:  # only when set: a month's stored days keep their key
            data["caseload"] = True
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
    #: The caseload's persistent staff (``spec.caseload``); None: named nurses drawn daily.
    staff: StaffPool | None = None

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
        return self.scenario.with_roster(_weekend_roster(self.scenario, self.spec))

    def travel_model(self) -> Geodesic:
        """The scenario's travel model: geodesic, with its circuity."""
        return Geodesic(circuity=self.scenario.circuity)

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
        if self.staff is not None:  # the caseload's own staff; named nurses fixed at admission
            shifts = self.staff.shifts_on(day, self.roster_scenario(d).roster)
            return expand(patients, careplans, day), shifts
        rng = random.Random(9_000_011 * self.seed + 7_919 * d + 17)
        shifts, patients = staff_for(self.roster_scenario(d), patients, careplans, rng, day)
        return expand(patients, careplans, day), shifts


def _weekend_roster(scenario: Scenario, spec: MonthSpec) -> Roster:
    k = spec.weekend_staff
    return {
        kind: {r: round(n * k) for r, n in roles.items()} for kind, roles in scenario.roster.items()
    }


def course(
    items: list[CarePlanItem], admitted: date, length: int, rng: random.Random
) -> tuple[CarePlanItem, ...]:
    """A stay's care plan over its ``length`` days from ``admitted``, with the regimen
    changes of a caseload (module docstring): every item runs from the admission day to the
    day before discharge unless a change ends it sooner or splits it in two (the same
    regimen before, q12h after). Every item takes the same draws from ``rng`` whatever
    happens to it, so one stay's changes never shift the next stay's."""
    last = admitted + timedelta(days=length - 1)
    out: list[CarePlanItem] = []
    for item in items:
        whole = replace(item, start_date=admitted, end_date=last)
        oral, slower, stop = rng.random(), rng.random(), rng.random()
        switch = admitted + timedelta(days=rng.randint(2, max(2, length - 1)))  # first day after
        ran = rng.randint(1, max(1, min(3, length - 1)))
        first = time(rng.choice((8, 9, 10, 11)), 0)
        if item.regimen == "iv_antibiotic" and length >= 3 and oral < IV_TO_ORAL:
            out.append(replace(whole, end_date=switch - timedelta(days=1)))
        elif (
            item.regimen == "iv_antibiotic"
            and item.frequency in ("q6h", "q8h")
            and length >= 3
            and slower < TO_Q12H
        ):
            out.append(replace(whole, end_date=switch - timedelta(days=1)))
            out.append(replace(whole, frequency="q12h", first_time=first, start_date=switch))
        elif item.regimen == "iv_fluids" and length >= 2 and stop < FLUIDS_STOP:
            out.append(replace(whole, end_date=admitted + timedelta(days=ran - 1)))
        else:
            out.append(whole)
    return tuple(out)


def month_census(scenario: Scenario, spec: MonthSpec, seed: int = 0) -> MonthCensus:
    """The month's stays: a burn-in of ``stay.max_days`` days from an empty ward, then
    ``spec.days`` days. Admissions day by day, so a day never depends on later days."""
    counts = np.random.default_rng([seed, 2026, 1])  # admissions and lengths of stay
    people = random.Random(1_000_033 * seed + 5)  # who they are and their care plans
    changes = random.Random(5_000_081 * seed + 13)  # a caseload's regimen changes
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
            if spec.caseload:
                items = course(plans, day, length, changes)
            else:
                items = tuple(replace(c, start_date=day, end_date=last) for c in plans)
            stays.append(Stay(patient, items, day, day + timedelta(days=length)))
    # Stays over before day 1 are dropped (day 1's discharges, discharged on day 1, are kept).
    keep = tuple(s for s in stays if s.discharged >= scenario.day)
    if not spec.caseload:
        return MonthCensus(scenario, spec, seed, keep)
    weekend = [_weekend_roster(scenario, spec)] if spec.weekend_staff != 1.0 else []
    pool = staff_pool([scenario.roster, *weekend], seed)
    return MonthCensus(scenario, spec, seed, _named_nurses(keep, pool, seed), pool)


def _named_nurses(stays: tuple[Stay, ...], pool: StaffPool, seed: int) -> tuple[Stay, ...]:
    """Each stay's patient with a named nurse for the whole stay (or none), chosen as
    ``synth._prefer`` chooses a day's, from every clinician's own shift (only day nurses
    qualify); the patient's other fields are kept."""
    if not stays:
        return stays
    rng = random.Random(11_000_027 * seed + 19)
    shifts = home_shifts(pool, stays[0].admitted)
    named = _prefer(
        rng, [s.patient for s in stays], [c for s in stays for c in s.careplans], shifts
    )
    return tuple(
        replace(s, patient=replace(s.patient, preferred_clinician=n.preferred_clinician))
        for s, n in zip(stays, named, strict=True)
    )

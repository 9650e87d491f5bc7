"""The work a census asks of the roster, hour by hour and by who may do it.

The roster question ("the fewest paid hours that carry 250 patients") is answered by a
covering model (``scheduler.usecases.capacity.roster_cp``) that needs, for each simulated
day, *what work must be done when, and by whom*. This module derives it, pure, from the
day's visits:

- **Who**: the set of grades whose skills hold the visit's skills (``synth.ROLE_SKILLS``,
  the same test the solver's eligibility makes, ``visit.skills <= shift.skills``). In the
  synthetic service the grades nest (an AP can do everything an RN6 can, and so on), but
  nothing here assumes it: work is keyed by the set of grades that may do it. A patient's
  excluded clinicians and requested carer gender are about persons, not grades, so they do
  not narrow the grades here; the solves that verify a roster keep them (``solver``'s
  eligibility is ``Shift.qualified_for``).
- **When**: a visit must *start* inside its window, so its minutes fall somewhere in
  ``[window start, window end + duration]``; the model spreads a group's work over the hours
  of that span (it may be done in any of them, not pinned to one: that is what lets a
  09:00–17:00 review fill a quiet afternoon), but only on shifts that could make it
  (``WorkGroup.hours_on``: out from base, in its window, back by the shift's end).
- **How much**: on-site minutes plus a travel allowance per visit, both times the staff it
  needs (a double-handed visit is two clinicians' work and two drives). The allowance is an
  ``Allowances`` figure, calibrated from the solver's own rotas of these days
  (``travel_by_hour``), not a guess.

Visits alike in all three are grouped (``WorkGroup``): a 250-patient day of ~1,100 visits
is ~100 groups, which keeps the model small enough to solve in seconds.

``ShiftHours`` says how many minutes a clinician of each shift kind can give in each hour
(on shift, less a share of the unpaid break spread over the break's window), and
``interval_shortfalls`` is a model-free test of a roster against the demand (Hall's
condition on hour intervals and sets of grades), for the tests to hold the model to.

Hours are counted from the planning day's local midnight (7 = 07:00–08:00, 31 = 07:00–08:00
the next morning), as ``synth`` counts shift hours; on the two nights a year the clocks
change, a night's hours are off by one, which the allowances absorb.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from scheduler.domain.localtime import at_local
from scheduler.domain.model import Visit
from scheduler.domain.synth import ROLE_SKILLS, SHIFT_TYPES

#: The hours a planning day's visits can fall in: 07:00 on the day to 08:00 the next.
HOURS = tuple(range(7, 32))
#: Travel minutes per clinician-visit before any rota has been solved: what the solver's
#: rotas drive on the sample service's 250-patient days, the drive back to base included
#: (11–12 min on the sample's own roster, 14–15 on the leaner rosters the model proposes).
#: Replaced by the rotas' own figures, hour by hour, once a roster is verified.
PRIOR_TRAVEL_MIN = 14.0


def grades_for(skills: Iterable[str], role_skills: Mapping[str, frozenset[str]] = ROLE_SKILLS
               ) -> frozenset[str]:  # fmt: skip
    """The grades that hold every one of ``skills`` (who may make such a visit)."""
    need = frozenset(skills)
    return frozenset(r for r, have in role_skills.items() if need <= have)


def visit_starts(visit: Visit, day: date) -> tuple[int, int]:
    """The earliest and latest start of the visit, in minutes from the planning day's
    midnight (its window: a visit must *start* inside it)."""
    origin = at_local(day)
    return (math.floor((visit.window.start - origin).total_seconds() / 60),
            math.floor((visit.window.end - origin).total_seconds() / 60))  # fmt: skip


def _hour_range(lo: int, hi_end: int) -> range:
    """The hours of ``HOURS`` that minutes ``lo``..``hi_end`` touch."""
    first = max(HOURS[0], lo // 60)
    last = min(HOURS[-1], max(first, math.ceil(hi_end / 60) - 1))
    return range(first, last + 1)


@dataclass(frozen=True)
class WorkGroup:
    """Visits that the same grades may do, starting in the same window and of the same
    length: their on-site clinician-minutes and how many clinician-visits they are (each
    draws a travel allowance). Times are minutes from the planning day's midnight."""

    grades: frozenset[str]
    start_lo: int
    start_hi: int
    duration: int
    visit_min: int
    clinician_visits: int
    critical: int = 0  # of which priority 1 (reported, not treated differently)

    @property
    def hours(self) -> range:
        """Every hour the group's minutes may fall in, on any shift."""
        return _hour_range(self.start_lo, self.start_hi + self.duration)

    @property
    def first_hour(self) -> int:
        return self.hours[0]

    @property
    def last_hour(self) -> int:
        return self.hours[-1]

    def hours_on(self, start: int, end: int, reach: float) -> range:
        """The hours a clinician on shift from ``start`` to ``end`` (minutes) could do these
        visits in: leaving base at ``start`` and ``reach`` minutes' drive away, she must
        start one inside its window and be back by ``end`` (the solver's own eligibility
        test). Empty if she cannot — a 20:00 dose is not a long day's, whose shift ends at
        20:00, though its hour overlaps the shift."""
        lo = max(self.start_lo, math.ceil(start + reach))
        hi = min(self.start_hi, math.floor(end - self.duration - reach))
        if lo > hi:
            return range(0)
        return _hour_range(lo, hi + self.duration)

    def work(self, allowances: Allowances) -> int:
        """Minutes of work: on site plus the travel allowance of its hours, rounded up."""
        travel = allowances.travel_over(self.hours)
        return math.ceil(self.visit_min + self.clinician_visits * travel - 1e-9)


@dataclass(frozen=True)
class DayDemand:
    """One simulated day's work, grouped."""

    label: str
    groups: tuple[WorkGroup, ...]

    @property
    def visit_min(self) -> int:
        return sum(g.visit_min for g in self.groups)

    @property
    def clinician_visits(self) -> int:
        return sum(g.clinician_visits for g in self.groups)

    def with_extra(self, extra: Iterable[WorkGroup]) -> DayDemand:
        """The day with more work added (a verification's cut: work the real solve could not
        place, which the roster must make room for)."""
        return DayDemand(self.label, (*self.groups, *extra))


def day_demand(visits: Sequence[Visit], day: date, label: str = "",
               role_skills: Mapping[str, frozenset[str]] = ROLE_SKILLS) -> DayDemand:  # fmt: skip
    """The day's visits grouped by (who may do them, window, duration). A visit no grade
    may do is left out (no roster can carry it; the solver reports it as such)."""
    acc: dict[tuple[frozenset[str], int, int, int], list[int]] = {}
    for v in visits:
        grades = grades_for(v.skills, role_skills)
        if not grades:
            continue
        lo, hi = visit_starts(v, day)
        row = acc.setdefault((grades, lo, hi, v.duration_min), [0, 0, 0])
        row[0] += v.duration_min * v.staff
        row[1] += v.staff
        row[2] += v.priority == 1
    groups = tuple(
        WorkGroup(g, lo, hi, dur, m, n, c)
        for (g, lo, hi, dur), (m, n, c) in sorted(
            acc.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][3], sorted(kv[0][0]))
        )
    )
    return DayDemand(label, groups)


@dataclass(frozen=True)
class Allowances:
    """What the covering model allows besides on-site minutes.

    ``travel_min``: travel minutes per clinician-visit in each hour (missing hours take
    ``default_travel_min``). ``utilisation``: the share of a clinician's available minutes
    (on shift, less the break) that visits plus travel may fill; the rest is the slack real
    routes need (waiting for a window to open, the drive back to base, visits that do not
    pack). The verification loop lowers it when a real day fails."""

    utilisation: float = 0.85
    default_travel_min: float = PRIOR_TRAVEL_MIN
    travel_min: Mapping[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.05 <= self.utilisation <= 1.0:
            raise ValueError("utilisation must be between 0.05 and 1")

    def travel_at(self, hour: int) -> float:
        return self.travel_min.get(hour, self.default_travel_min)

    def travel_over(self, hours: Iterable[int]) -> float:
        """The mean allowance over a group's hours (its visits may be made in any of them)."""
        hs = list(hours)
        return sum(self.travel_at(h) for h in hs) / len(hs) if hs else self.default_travel_min


def travel_by_hour(samples: Iterable[Mapping[int, tuple[float, int]]], *, prior: float,
                   weight: float = 20.0) -> dict[int, float]:  # fmt: skip
    """Travel minutes per clinician-visit in each hour, from solved days' (minutes, visits)
    per hour, each hour shrunk toward the days' overall mean (``weight`` pseudo-visits of it)
    so a night hour with a handful of visits does not swing the allowance. ``prior`` is used
    when the days have no visits at all."""
    minutes: dict[int, float] = {}
    count: dict[int, int] = {}
    for s in samples:
        for h, (m, n) in s.items():
            minutes[h] = minutes.get(h, 0.0) + m
            count[h] = count.get(h, 0) + n
    total_n = sum(count.values())
    overall = sum(minutes.values()) / total_n if total_n else prior
    return {h: (minutes.get(h, 0.0) + weight * overall) / (count.get(h, 0) + weight) for h in HOURS}


@dataclass(frozen=True)
class ShiftHours:
    """Minutes one clinician of each shift kind can give in each hour: the part of the hour
    on shift, less the unpaid break spread evenly over the break's window (it must start in
    it, but when is the route's choice)."""

    minutes: Mapping[str, Mapping[int, int]]
    spans: Mapping[str, tuple[int, int]]  # start and end, minutes from midnight

    @classmethod
    def of(cls, shift_types: Mapping[str, tuple] = SHIFT_TYPES) -> ShiftHours:
        out: dict[str, dict[int, int]] = {}
        spans = {k: (round(v[0] * 60), round(v[1] * 60)) for k, v in shift_types.items()}
        for kind, (start, end, brk, (b0, b1)) in shift_types.items():
            per: dict[int, int] = {}
            for h in HOURS:
                on = max(0.0, min(end, h + 1) - max(start, h)) * 60
                off = brk * max(0.0, min(b1, h + 1) - max(b0, h)) / (b1 - b0) if b1 > b0 else 0
                if on > 0:
                    per[h] = max(0, round(on - off))
            out[kind] = per
        return cls(out, spans)

    def at(self, kind: str, hour: int) -> int:
        return self.minutes.get(kind, {}).get(hour, 0)


Cell = tuple[str, str]  # (shift kind, grade)
Gap = tuple[str, int, int, frozenset[str]]  # day, first hour, last hour, grades


def interval_shortfalls(
    roster: Mapping[str, Mapping[str, int]],
    days: Iterable[DayDemand],
    allowances: Allowances,
    shift_hours: ShiftHours | None = None,
    grades: Iterable[str] = tuple(ROLE_SKILLS),
) -> list[Gap]:
    """A model-free test of a roster against the demand: every (day, first hour, last hour,
    set of grades) where the work only those grades may do, wholly inside those hours, is
    more than ``utilisation`` × their minutes on shift there. Any roster the covering model
    returns passes (it is a necessary condition); a roster that fails cannot carry the
    days. Written apart from the model, with no solver, so the tests can hold one against
    the other."""
    sh = shift_hours or ShiftHours.of()
    gs = tuple(grades)
    subsets = [frozenset(c) for k in range(1, len(gs) + 1) for c in itertools.combinations(gs, k)]
    out = []
    for day in days:
        works = [(g, g.work(allowances)) for g in day.groups]
        for a, b in itertools.combinations_with_replacement(HOURS, 2):
            inside = [(g, w) for g, w in works if a <= g.first_hour and g.last_hour <= b]
            for s in subsets:
                need = sum(w for g, w in inside if g.grades <= s)
                have = sum(n * sh.at(k, h) for k, roles in roster.items() for r, n in roles.items()
                           if r in s for h in range(a, b + 1))  # fmt: skip
                if need > allowances.utilisation * have + 1e-6:
                    out.append((day.label, a, b, s))
    return out

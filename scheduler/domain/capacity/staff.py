"""The caseload's persistent staff: the same clinicians, by id and name, from day to day.

A simulated day of ``days.staff_for`` draws its nurses afresh (``C001`` is someone new every
morning), which is right for one day's capacity and meaningless for continuity across days:
nobody can be "the nurse who saw her yesterday". Here the service has a standing team, each
clinician works a pattern of days, and each day's roster is filled from whoever is working.

The model, and why:

- **Teams by shift type and grade**: for every (shift type, grade) cell of the roster
  (``scenario.Roster``: early, long, late, night × HCA, RN5, RN6, AP) there is a team of
  ``team_size(n)`` clinicians, where ``n`` is the most that cell asks for on any day. A
  clinician works that shift type (an early-shift nurse works earlies): the daily mix of
  shift types is then exactly the roster's, and a night nurse never has a day shift the
  morning her night ends.
- **Working days**: each clinician works blocks of ``WORK_DAYS`` = 4 days on, 2 off (a
  ``CYCLE`` of 6 days, the blocks staggered across the team), about 4.7 days in 7, as
  full-time NHS shift staff do on 7.5–12.5-hour shifts. Blocks, not scattered days, because
  that is how rotas are written (and what continuity of care can build on). A team is the
  fewest clinicians whose staggered blocks put at least ``n`` on duty every day
  (``team_size``); a day with more available than the roster asks for leaves the extra ones
  off, chosen among those whose block starts or ends that day (so the block is shortened,
  not broken), in turn through the team.
- **Shortfalls**: a day on which fewer of a team are available than the roster asks for (a
  small team, or a weekend scaled up) is filled from the same grade: first the other day
  teams' unrostered clinicians (a day nurse may work a late instead of an early; never a
  night), then the team's own clinicians on a day off. The roster is always met exactly:
  the capacity of every day is the scenario's, whatever the pattern.
- **Who they are**: invented names, a gender (``F`` for ``FEMALE_SHARE`` ≈ 0.88, about the
  share of women on the NMC register; the rest ``M``), read where a patient asks for a carer
  of one gender) and a fixed base: night teams alternate between the north and south bases
  as in ``synth``; day clinicians are based in proportion to the population nearest each
  base (``synth.TOWNS``), where the patients are.

Everything is a pure function of (roster cells, seed) and the date: any day can be rebuilt
alone (a worker process rebuilds it), and the same seed gives the same team.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from scheduler.domain.capacity.scenario import Roster, clean_roster
from scheduler.domain.model import Shift
from scheduler.domain.synth import BASES, FIRST, LAST, SHIFT_TYPES, TOWNS, make_shift

CYCLE = 6
WORK_DAYS = 4
FEMALE_SHARE = 0.88


def _offsets(size: int) -> list[int]:
    """Where each of a team's ``size`` clinicians starts their block in the cycle."""
    return [i * CYCLE // size for i in range(size)]


def _on_duty(offset: int, position: int) -> bool:
    return (position + offset) % CYCLE < WORK_DAYS


def team_size(most: int) -> int:
    """The fewest clinicians whose staggered ``WORK_DAYS``-of-``CYCLE`` blocks put at least
    ``most`` on duty on every day of the cycle; 0 for a cell nobody works."""
    if most <= 0:
        return 0
    size = math.ceil(most * CYCLE / WORK_DAYS)
    while min(sum(_on_duty(o, p) for o in _offsets(size)) for p in range(CYCLE)) < most:
        size += 1
    return size


@dataclass(frozen=True)
class StaffMember:
    clinician_id: str
    name: str
    role: str  # grade: synth.ROLE_SKILLS
    kind: str  # the shift type they work: synth.SHIFT_TYPES
    base: str  # one of synth.BASES, by name
    gender: str
    offset: int  # where their block of working days starts in the cycle

    def available(self, day: date) -> bool:
        """On a working day of their pattern (not one of their days off)."""
        return _on_duty(self.offset, day.toordinal() % CYCLE)

    def edge(self, day: date) -> int:
        """0 inside their block of working days, 1 on its last day, 2 on its first: a day
        off taken at an edge shortens the block instead of breaking it in two."""
        place = (day.toordinal() + self.offset) % CYCLE
        return 2 if place == 0 else 1 if place == WORK_DAYS - 1 else 0

    def shift(self, day: date, kind: str | None = None) -> Shift:
        """Their shift starting on ``day``, of their own type unless ``kind`` says another."""
        base = next(b for b in BASES if b[0] == self.base)
        return make_shift(
            kind or self.kind, self.role, day, self.clinician_id, self.name, base, self.gender
        )


def _base_weights() -> list[float]:
    """Each base's share of the county's population (its nearest towns'), plus one."""
    weights = [1.0] * len(BASES)
    for _, lat, lon, people, _ in TOWNS:
        i = min(
            range(len(BASES)),
            key=lambda j: (BASES[j][1] - lat) ** 2 + ((BASES[j][2] - lon) * 0.62) ** 2,
        )
        weights[i] += people / 1000
    return weights


@dataclass(frozen=True)
class StaffPool:
    """The service's clinicians; ``on_shift(day, roster)`` says who works what that day."""

    members: tuple[StaffMember, ...]

    def team(self, kind: str, role: str) -> list[StaffMember]:
        return [m for m in self.members if m.kind == kind and m.role == role]

    def by_id(self) -> dict[str, StaffMember]:
        return {m.clinician_id: m for m in self.members}

    def on_shift(self, day: date, roster: Roster) -> list[tuple[StaffMember, str]]:
        """Who works which shift type on ``day`` so that ``roster`` is met exactly (as long as
        each grade has that many clinicians at all, as ``staff_pool`` makes sure for the
        rosters it is given): each team's available clinicians first, then the shortfalls
        filled as the module says. In roster order, then by grade and id."""
        roster = clean_roster(roster)
        taken: set[str] = set()
        out: list[tuple[StaffMember, str]] = []
        short: list[tuple[str, str, int]] = []
        for kind, roles in roster.items():
            for role, n in roles.items():
                team = self.team(kind, role)
                free = [m for m in team if m.available(day)]
                if team:  # the spares: whose block starts or ends today, in turn
                    turn = day.toordinal() % len(team)
                    free.sort(key=lambda m: (m.edge(day), (team.index(m) - turn) % len(team)))
                picked = free[:n]
                out += [(m, kind) for m in picked]
                taken.update(m.clinician_id for m in picked)
                if len(picked) < n:
                    short.append((kind, role, n - len(picked)))
        for kind, role, missing in short:
            donors = [
                m
                for m in self.members
                if m.role == role and m.clinician_id not in taken and m.available(day)
                and (m.kind == kind or (kind != "night" and m.kind != "night"))
            ]  # fmt: skip
            rest = [
                m for m in self.members
                if m.role == role and m.clinician_id not in taken and m not in donors
            ]  # fmt: skip
            rest.sort(key=lambda m: (m.kind != kind, (m.kind == "night") != (kind == "night")))
            for m in (donors + rest)[:missing]:
                out.append((m, kind))
                taken.add(m.clinician_id)
        order = {k: i for i, k in enumerate(SHIFT_TYPES)}
        out.sort(key=lambda mk: (order[mk[1]], mk[0].role, mk[0].clinician_id))
        return out

    def shifts_on(self, day: date, roster: Roster) -> list[Shift]:
        """The day's shifts: ``on_shift``'s clinicians, each with their own id, name, base."""
        return [m.shift(day, kind) for m, kind in self.on_shift(day, roster)]


def staff_pool(rosters: Iterable[Roster], seed: int = 0) -> StaffPool:
    """A standing team for the days of ``rosters`` (the weekday roster, and the weekend one
    if it differs): each (shift type, grade) team sized for the most any of them asks for.
    Ids ``S001``… in roster order; the same (rosters, seed), the same team."""
    most: dict[tuple[str, str], int] = {}
    for roster in rosters:
        for kind, roles in clean_roster(roster).items():
            for role, n in roles.items():
                most[kind, role] = max(most.get((kind, role), 0), n)
    rng = random.Random(7_000_019 * seed + 3)
    weights = _base_weights()
    members: list[StaffMember] = []
    for kind in SHIFT_TYPES:
        for role in sorted(r for k, r in most if k == kind):
            size = team_size(most[kind, role])
            for i, offset in enumerate(_offsets(size)):
                if kind == "night":  # two night teams, north and south, as in synth
                    base = BASES[0] if i % 2 == 0 else BASES[2]
                else:
                    base = rng.choices(BASES, weights=weights)[0]
                members.append(
                    StaffMember(
                        clinician_id=f"S{len(members) + 1:03d}",
                        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                        role=role,
                        kind=kind,
                        base=base[0],
                        gender="F" if rng.random() < FEMALE_SHARE else "M",
                        offset=offset,
                    )
                )
    return StaffPool(tuple(members))


def home_shifts(pool: StaffPool, day: date) -> list[Shift]:
    """Every clinician's own shift on ``day``, whether or not they work it: what a patient's
    named nurse is chosen from at admission (``synth._prefer`` reads the shifts' grades,
    start hours and bases)."""
    return [m.shift(day) for m in pool.members]

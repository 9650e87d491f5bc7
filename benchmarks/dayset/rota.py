"""Who is on shift: patterns, how many, with which skills, from where.

Shift patterns (local hours of the day; a night runs past midnight, and the night that began
the evening before is still out for the dawn doses):

===========  ===============  ==========  ================
pattern      hours            break       break may start
===========  ===============  ==========  ================
early        07:00–15:00      30 min      10:30–13:00
late         14:00–22:00      30 min      17:00–19:30
long_day     07:30–20:00      45 min      11:30–14:30
night        20:00–08:00      30 min      00:00–03:00 (half of the nights began the day before)
===========  ===============  ==========  ================

How many: shifts are added one at a time until paid minutes reach ``staffing`` × the need
(``generate.staffing_figures``); each pattern is drawn with odds of the spec's mix weight ×
the demand its hours leave uncovered (each visit's work spread over its window, half-hour
by half-hour), so the mix shows and staff follow the day's load. Skills follow the demand for each level (AP,
PICC, IV, RN, basic), with headroom, spread over the patterns.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from benchmarks.dayset.care import VisitDraft
from benchmarks.dayset.geo import Geography, Place

SERVICE_FROM_H, SERVICE_TO_H = 6.0, 24.0  # the hours a day's visits can fall in
# pattern: (start h, end h, break min, break earliest h, break latest h)
PATTERN_HOURS = {
    "early": (7.0, 15.0, 30, 10.5, 13.0),
    "late": (14.0, 22.0, 30, 17.0, 19.5),
    "long_day": (7.5, 20.0, 45, 11.5, 14.5),
    "night": (20.0, 32.0, 30, 24.0, 27.0),
    "night_in": (-4.0, 8.0, 30, 0.0, 3.0),  # the night that began the evening before
}
ROLES = {  # from the most to the least skilled
    "AP": ("AP", "RN", "IV", "PICC", "OBS", "PHLEB"),
    "RN-PICC": ("RN", "IV", "PICC", "OBS", "PHLEB"),
    "RN-IV": ("RN", "IV", "OBS", "PHLEB"),
    "RN": ("RN", "OBS", "PHLEB"),
    "HCA": ("OBS", "PHLEB"),
}
LEVEL_OF_SKILL = {"AP": "AP", "PICC": "RN-PICC", "IV": "RN-IV", "RN": "RN"}
HEADROOM = 1.2
SYLLABLES = ("ka", "lo", "mi", "ren", "sa", "tor", "vel", "an", "bri", "dun", "el", "fen",
             "gar", "hal", "is", "jor", "ku", "lin", "mor", "nes", "ol", "pra", "quin", "ros")  # fmt: skip


@dataclass
class ShiftDraft:
    clinician_id: str
    name: str
    role: str
    pattern: str
    start_h: float
    end_h: float
    break_min: int
    break_from_h: float
    break_to_h: float
    start: Place | tuple[float, float]
    base: str
    max_visits: int | None = None

    @property
    def skills(self) -> tuple[str, ...]:
        return ROLES[self.role]

    def paid_in_service_min(self) -> float:
        """Minutes of the shift inside the service hours, less its share of the break."""
        inside = max(0.0, min(self.end_h, SERVICE_TO_H) - max(self.start_h, SERVICE_FROM_H))
        length = self.end_h - self.start_h
        return inside * 60 * (1 - self.break_min / (length * 60))

    def covers(self, v: VisitDraft) -> bool:
        """Qualified, and on shift with time to spare around the visit's window."""
        return (set(v.skills) <= set(self.skills) and self.start_h + 0.25 <= v.end_h
                and self.end_h - 0.5 >= v.start_h + v.duration_min / 60)  # fmt: skip


def level(v: VisitDraft) -> str:
    for skill, role in LEVEL_OF_SKILL.items():
        if skill in v.skills:
            return role
    return "HCA"


def name(rng: random.Random) -> str:
    """An invented name from syllables (never a real person's)."""
    first = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
    last = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
    return f"{first} {last}"


def _slots(a_h: float, b_h: float) -> range:
    return range(max(0, math.floor(a_h * 2)), min(48, math.ceil(b_h * 2)))


def _demand(visits: list[VisitDraft], work: list[float]) -> list[float]:
    """Minutes of work per half-hour of the day: each visit's spread over its window."""
    out = [0.0] * 48
    for v, w in zip(visits, work, strict=True):
        slots = _slots(v.start_h, v.end_h + v.duration_min / 60)
        for s in slots:
            out[s] += w / len(slots)
    return out


NIGHT_IN_USEFUL_MIN, NIGHT_USEFUL_MIN = 90.0, 180.0  # a night's work inside the day's hours


def _night_floors(visits: list[VisitDraft], work: list[float]) -> list[str]:
    """The nights the day cannot do without, whatever the mix: visits that must start before
    07:15 (before the early shift is out) or after 21:30 (after the late one is home) need
    a night nurse, one per ``NIGHT_IN_USEFUL_MIN`` / ``NIGHT_USEFUL_MIN`` of their work."""
    dawn = sum(w for v, w in zip(visits, work, strict=True) if v.end_h < 7.25)
    late = sum(w for v, w in zip(visits, work, strict=True) if v.start_h > 21.5)
    return (["night_in"] * math.ceil(dawn / NIGHT_IN_USEFUL_MIN)
            + ["night"] * math.ceil(late / NIGHT_USEFUL_MIN))  # fmt: skip


def plan_shifts(rng: random.Random, visits: list[VisitDraft], work: list[float],
                staffing: float, mix: dict[str, float],
                shift_overhead: float) -> list[tuple[str, float, float]]:  # fmt: skip
    """Patterns, one per shift, until paid minutes reach ``staffing`` × the need (the visits'
    work plus ``shift_overhead`` minutes of driving out and back per shift rostered).

    Each shift's pattern is drawn with odds of its mix weight × the demand its hours leave
    uncovered (a night's weight is split between the night that began the evening before and
    tonight's), so the mix shows and the staff follow the load; the nights the dawn doses and
    the late round need (``_night_floors``) come first."""
    weights = {p: w for p, w in mix.items() if w > 0 and p != "night"}
    if mix.get("night", 0) > 0:
        weights["night"] = weights["night_in"] = mix["night"] / 2
    names = sorted(weights)
    want = [d * staffing for d in _demand(visits, work)]
    have = [0.0] * 48
    chosen: list[tuple[str, float, float]] = []
    paid, need = 0.0, sum(work)
    floors = _night_floors(visits, work) if "night" in weights else []
    while paid < staffing * need or floors:
        odds = []
        for p in names:
            a, b = PATTERN_HOURS[p][:2]
            slots = _slots(max(a, SERVICE_FROM_H), min(b, SERVICE_TO_H))
            gap = sum(max(0.0, want[s] - have[s]) for s in slots) / max(1, len(slots))
            odds.append(weights[p] * (gap + 1.0))
        pattern = floors.pop() if floors else rng.choices(names, weights=odds)[0]
        a, b, brk, _, _ = PATTERN_HOURS[pattern]
        for s in _slots(a, b):
            have[s] += 30 * (1 - brk / ((b - a) * 60))
        inside = max(0.0, min(b, SERVICE_TO_H) - max(a, SERVICE_FROM_H))
        paid += inside * 60 * (1 - brk / ((b - a) * 60))
        need += shift_overhead
        chosen.append((pattern, a, b))
    return chosen


def assign_roles(plan: list[tuple[str, float, float]], visits: list[VisitDraft],
                 work: list[float]) -> list[str]:  # fmt: skip
    """A role per shift: the shifts of each level or above at least ``HEADROOM`` × that
    level's share of the work, each level's shifts picked, most skilled first, as those whose
    hours meet most of that level's uncovered work (reviews by day, IV doses round the
    clock); every evening and night pattern gets an IV nurse."""
    n = len(plan)
    order = list(ROLES)
    total = sum(work) or 1.0
    share = {r: 0.0 for r in order}
    per_level: dict[str, list[VisitDraft]] = {r: [] for r in order}
    per_work: dict[str, list[float]] = {r: [] for r in order}
    for v, w in zip(visits, work, strict=True):
        share[level(v)] += w / total
        per_level[level(v)].append(v)
        per_work[level(v)].append(w)
    roles: list[str | None] = [None] * n
    cum, placed = 0.0, 0
    for r in order[:-1]:
        cum += share[r]
        quota = min(n, math.ceil(n * cum * HEADROOM)) if cum > 0 else 0
        left = _demand(per_level[r], per_work[r])
        while placed < quota:
            free = [i for i in range(n) if roles[i] is None]
            i = max(free, key=lambda i: (sum(left[s] for s in _slots(*plan[i][1:])), -i))
            roles[i] = r
            for s in _slots(*plan[i][1:]):
                left[s] = max(0.0, left[s] - 30)
            placed += 1
    out = [r or "HCA" for r in roles]
    for p in ("late", "night", "night_in"):
        idx = [i for i, q in enumerate(plan) if q[0] == p]
        if idx and not any("IV" in ROLES[out[i]] for i in idx):
            out[idx[0]] = "RN-IV"
    return out


def start_places(rng: random.Random, geo: Geography, layout: str, n_bases: int,
                 n_visits: int) -> list[tuple[Place | tuple[float, float], str]]:  # fmt: skip
    """The places shifts may start from: the hub, the bases, or a pool of clinicians' homes
    (more than any roster needs; a shift takes the next one)."""
    if layout == "home":
        return [(geo.place(rng), "home") for _ in range(max(8, n_visits // 4))]
    return [((b.lat, b.lon), f"base {b.code}") for b in geo.bases(1 if layout == "hub" else n_bases)]


def starts(rng: random.Random, places: list[tuple[Place | tuple[float, float], str]], n: int,
           visits: list[VisitDraft]) -> list[tuple[Place | tuple[float, float], str]]:  # fmt: skip
    """Where each shift starts and ends: its own home (the next of the pool), or the base
    nearest a random patient's home (bases staffed in proportion to their patch)."""
    if places and places[0][1] == "home":
        return places[:n]
    out: list[tuple[Place | tuple[float, float], str]] = []
    for _ in range(n):
        p = rng.choice(visits).place
        assert isinstance(p, Place)
        out.append(min(places, key=lambda b: (b[0][0] - p.lat) ** 2 + (b[0][1] - p.lon) ** 2))  # type: ignore[index]
    return out

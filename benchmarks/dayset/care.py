"""The care a patient needs on the day: a main regimen and a few extra visits, as rows.

Times are local wall-clock hours of the day (6.5 = 06:30). Timed doses (IV, insulin) are
priority 1 with tight windows (±30 min, ±45 for a daily dose); the first dose falls in the
dawn rush (06:00–08:00) with the spec's probability, otherwise later in the morning. Fluids
are a connection and, a few hours later, a disconnection that must follow it by the
infusion's run time (``after_visit``/``min_gap_min``). Obs, bloods and reviews have wide
windows and lower priority. Skills: IV (and PICC for some lines), RN, OBS, PHLEB, AP.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from benchmarks.dayset.geo import Place

LAST_START = 23.0  # no visit window opens after 23:00 (the night team's late round)


@dataclass
class VisitDraft:
    """A visit before it gets ids of clinicians (pins, preferences) and its final links."""

    visit_id: str
    patient_id: str
    kind: str
    start_h: float
    end_h: float
    duration_min: int
    skills: tuple[str, ...]
    priority: int
    staff: int = 1
    after_visit: str | None = None
    min_gap_min: int = 0
    pinned: str | None = None
    preferred: str | None = None
    label: str = ""
    timed: bool = False  # a timed dose (counts for the dawn rush)
    place: Place | None = field(default=None, repr=False)


def _q(h: float) -> float:
    """To the quarter hour, as a rota is written."""
    return round(h * 4) / 4


def _doses(rng: random.Random, every_h: int, dawn: bool) -> list[float]:
    first = rng.uniform(6.0, 7.75) if dawn else rng.uniform(8.0, min(8.0 + every_h, 14.0))
    out, t = [], _q(first)
    while t <= LAST_START - 0.5:
        out.append(t)
        t += every_h
        if every_h >= 24:
            break
    return out


def patient_visits(rng: random.Random, pid: str, regimen: str, dawn_rush: float) -> list[VisitDraft]:
    """The visits of one patient whose main treatment is ``regimen``."""
    out: list[VisitDraft] = []

    def add(kind: str, start: float, end: float, dur: int, skills: tuple[str, ...], prio: int,
            label: str, timed: bool = False) -> VisitDraft:  # fmt: skip
        v = VisitDraft(f"{pid}-{kind}{len(out) + 1}", pid, kind, _q(start), _q(end), dur, skills,
                       prio, label=label, timed=timed)  # fmt: skip
        out.append(v)
        return v

    dawn = rng.random() < dawn_rush
    if regimen.startswith("iv_q"):
        every = int(regimen[4:-1])
        picc = rng.random() < 0.25
        skills = ("IV", "PICC") if picc else ("IV",)
        half = 0.75 if every == 24 else 0.5
        for t in _doses(rng, every, dawn):
            add("iv", t - half, t + half, 45 if every == 24 else 30, skills, 1,
                f"IV dose ({regimen[3:]})", timed=True)  # fmt: skip
    elif regimen == "insulin":
        am = rng.uniform(6.5, 7.5) if dawn else rng.uniform(8.0, 9.0)
        add("ins", am - 0.25, am + 0.5, 15, ("RN",), 1, "insulin (morning)", timed=True)
        pm = rng.uniform(16.5, 18.0)
        add("ins", pm - 0.25, pm + 0.5, 15, ("RN",), 1, "insulin (evening)", timed=True)
    elif regimen == "fluids":
        on = rng.uniform(8.0, 13.0)
        run_min = rng.choice((180, 240, 300, 360))
        first = add("flu", on - 0.5, on + 1.0, 30, ("IV",), 2, "fluids: connect")
        off_from = first.start_h + (30 + run_min) / 60
        off = add("flu", off_from, min(off_from + 2.0, LAST_START), 20, ("RN",), 2,
                  "fluids: disconnect")  # fmt: skip
        off.after_visit, off.min_gap_min = first.visit_id, run_min
    elif regimen == "obs":
        a = rng.uniform(8.0, 11.0)
        add("obs", a, a + 3.0, 20, ("OBS",), rng.choice((2, 3)), "observations")
        if rng.random() < 0.6:
            b = rng.uniform(14.0, 18.0)
            add("obs", b, b + 3.0, 20, ("OBS",), 3, "observations (evening)")
    elif regimen == "bloods":
        a = rng.uniform(7.0, 9.0)
        add("bld", a, a + 2.5, 15, ("PHLEB",), 2, "blood test")
    elif regimen == "review":
        a = rng.uniform(9.0, 14.0)
        add("rev", a, a + 3.0, 45, ("AP",), 2, "clinical review")
    else:
        raise ValueError(f"unknown regimen {regimen}")
    # Extras most patients get besides their main treatment.
    if regimen != "obs" and rng.random() < 0.45:
        a = rng.uniform(9.0, 17.0)
        add("obs", a, a + 4.0, 20, ("OBS",), 3, "observations")
    if regimen != "bloods" and rng.random() < 0.15:
        a = rng.uniform(7.5, 10.0)
        add("bld", a, a + 2.5, 15, ("PHLEB",), 2, "blood test")
    if regimen not in ("review",) and rng.random() < 0.08:
        a = rng.uniform(10.0, 15.0)
        add("rev", a, a + 2.5, 45, ("AP",), 2, "clinical review")
    return out


def link_gaps(rng: random.Random, visits: list[VisitDraft], target: int) -> None:
    """Give ``target`` visits in all an ``after_visit`` (fluids count already): a later visit of
    the same patient that must wait a while after an earlier one (e.g. bloods an hour after a
    dose, a check after a new line), with a gap its window can still honour."""
    have = sum(v.after_visit is not None for v in visits)
    by_patient: dict[str, list[VisitDraft]] = {}
    for v in visits:
        by_patient.setdefault(v.patient_id, []).append(v)
    pairs = []
    for vs in by_patient.values():
        for a in vs:
            for b in vs:
                if b.after_visit is None and b.start_h > a.start_h and b is not a:
                    pairs.append((a, b))
    rng.shuffle(pairs)
    for a, b in pairs:
        if have >= target:
            return
        if b.after_visit is not None:
            continue
        slack = (b.end_h - a.start_h) * 60 - a.duration_min - 10
        if slack < 20:
            continue
        b.after_visit = a.visit_id
        b.min_gap_min = int(min(rng.uniform(20, 180), slack) // 5 * 5)
        have += 1


def make_double(rng: random.Random, visits: list[VisitDraft], target: int) -> None:
    """Make ``target`` visits double-handed (two staff for moving and handling): chosen
    among those any nurse or assistant can do, as real two-carer visits are."""
    pool = [v for v in visits if v.kind in ("obs", "bld", "ins") and v.staff == 1]
    for v in rng.sample(pool, min(target, len(pool))):
        v.staff = 2
        v.label += " (two to handle)"

"""A seeded, synthetic Hertfordshire Hospital at Home service of any size.

Patients are placed around real Hertfordshire towns in proportion to their populations
(approximate town-centre coordinates and populations are public facts), with some in rural
lanes between them. Everything personal is invented: ids, names, street names.

Staffing is sized from the day's own demand, hour by hour: each visit's work (on site plus an
allowance for driving) is spread over its window, the busiest hour of each shift's span sets
how many clinicians that shift needs, with headroom, and the skill mix follows the skills the
visits need (IV- and PICC-trained nurses at night, advanced practitioners for reviews). The
bundled sample day is ``python -m scheduler.domain.synth --patients 250 --seed 2026 --date 2026-11-23
--out sample_data``.
"""

from __future__ import annotations

import argparse
import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from scheduler.domain.careplan import (
    CarePlanItem,
    Patient,
    expand,
    write_careplans_csv,
    write_clinicians_csv,
    write_patients_csv,
    write_visits_csv,
)
from scheduler.domain.localtime import at_local, local
from scheduler.domain.model import Break, Location, Shift, Visit, Window

# name, lat, lon, population (approx.), postcode district
TOWNS = [
    ("Watford", 51.6565, -0.3903, 102000, "WD17"),
    ("Stevenage", 51.9017, -0.2019, 89000, "SG1"),
    ("Hemel Hempstead", 51.7526, -0.4692, 97000, "HP1"),
    ("St Albans", 51.7527, -0.3394, 82000, "AL1"),
    ("Welwyn Garden City", 51.8032, -0.2080, 48000, "AL8"),
    ("Hatfield", 51.7636, -0.2258, 40000, "AL10"),
    ("Cheshunt", 51.7020, -0.0340, 46000, "EN8"),
    ("Bishop's Stortford", 51.8720, 0.1596, 40000, "CM23"),
    ("Hitchin", 51.9490, -0.2830, 35000, "SG5"),
    ("Letchworth", 51.9787, -0.2290, 33000, "SG6"),
    ("Hertford", 51.7958, -0.0780, 27000, "SG14"),
    ("Borehamwood", 51.6578, -0.2723, 36000, "WD6"),
    ("Hoddesdon", 51.7610, -0.0110, 26000, "EN11"),
    ("Harpenden", 51.8160, -0.3570, 30000, "AL5"),
    ("Bushey", 51.6430, -0.3600, 25000, "WD23"),
    ("Rickmansworth", 51.6383, -0.4659, 15000, "WD3"),
    ("Ware", 51.8100, -0.0280, 19000, "SG12"),
    ("Potters Bar", 51.6980, -0.1830, 22000, "EN6"),
    ("Berkhamsted", 51.7600, -0.5650, 19000, "HP4"),
    ("Royston", 52.0480, -0.0240, 16000, "SG8"),
    ("Tring", 51.7950, -0.6600, 12000, "HP23"),
    ("Baldock", 51.9890, -0.1880, 10000, "SG7"),
    ("Sawbridgeworth", 51.8140, 0.1500, 9000, "CM21"),
    ("Buntingford", 51.9450, -0.0150, 6000, "SG9"),
]
BASES = [
    ("Stevenage", 51.9000, -0.2050),
    ("Watford", 51.6590, -0.4000),
    ("St Albans", 51.7510, -0.3300),
    ("Hemel Hempstead", 51.7480, -0.4600),
    ("Welwyn Garden City", 51.8000, -0.2000),
    ("Hertford", 51.7960, -0.0900),
]
STREETS = ["Rowan", "Beech", "Mill", "Orchard", "Church", "Station", "Meadow", "Willow", "Park",
           "Chestnut", "Elm", "Hawthorn", "Manor", "Brook", "Hill", "Cedar", "Ash", "Holly"]  # fmt: skip
SUFFIXES = ["Close", "Road", "Lane", "Way", "Gardens", "Avenue", "Drive", "Court"]
FIRST = ["Amara", "Ben", "Chloe", "Dev", "Ewa", "Femi", "Grace", "Hari", "Isla", "Jonah", "Kiran",
         "Lena", "Mo", "Nia", "Owen", "Priya", "Rhys", "Sana", "Tom", "Una", "Vik", "Wen", "Zoe"]  # fmt: skip
LAST = ["Abara", "Bell", "Carter", "Dhillon", "Evans", "Fraser", "Gill", "Hughes", "Iqbal",
        "Jones", "Kowalski", "Lewis", "Mensah", "Nowak", "Okafor", "Patel", "Quinn", "Reid",
        "Shah", "Taylor", "Walsh", "Young"]  # fmt: skip
RURAL_SHARE = 0.12
BOX = (51.63, 52.00, -0.66, 0.16)

ROLE_SKILLS = {
    "HCA": frozenset({"OBS", "PHLEB"}),
    "RN5": frozenset({"RN", "OBS", "PHLEB", "IV"}),
    "RN6": frozenset({"RN", "OBS", "PHLEB", "IV", "PICC"}),
    "AP": frozenset({"AP", "RN", "OBS", "PHLEB", "IV", "PICC"}),
}
# name: start, end (hours from the planning day's midnight), break minutes, break window
SHIFT_TYPES = {
    "early": (7.0, 15.0, 30, (11.0, 13.5)),
    "long": (8.0, 20.0, 60, (12.0, 15.0)),
    "late": (14.5, 22.5, 30, (17.5, 20.0)),
    "night": (21.0, 31.5, 60, (25.0, 28.0)),
}
TRAVEL_ALLOWANCE_MIN = 20
HEADROOM = 1.25


@dataclass(frozen=True)
class Service:
    patients: tuple[Patient, ...]
    careplans: tuple[CarePlanItem, ...]
    shifts: tuple[Shift, ...]


def _place(rng: random.Random) -> tuple[Location, str, str]:
    if rng.random() < RURAL_SHARE:
        lat = rng.uniform(BOX[0], BOX[1])
        lon = rng.uniform(BOX[2], BOX[3])
        town = min(TOWNS, key=lambda t: (t[1] - lat) ** 2 + ((t[2] - lon) * 0.62) ** 2)
        return Location(round(lat, 6), round(lon, 6)), f"near {town[0]}", town[4]
    town = rng.choices(TOWNS, weights=[t[3] for t in TOWNS])[0]
    r_km = abs(rng.gauss(0, 1.3))
    angle = rng.uniform(0, 2 * math.pi)
    lat = town[1] + r_km * math.cos(angle) / 111.0
    lon = town[2] + r_km * math.sin(angle) / (111.0 * math.cos(math.radians(town[1])))
    return Location(round(lat, 6), round(lon, 6)), town[0], town[4]


@dataclass(frozen=True)
class RegimenMix:
    """What the census needs: the share of patients on IV antibiotics and how often their
    doses fall (q6h is four time-critical visits a day, q24h one). The defaults are the
    sample service's; a capacity scenario changes them to ask "what if the mix shifts to
    q6h?"."""

    antibiotic_share: float = 0.82
    frequency_weights: tuple[tuple[str, float], ...] = (
        ("q6h", 15.0), ("q8h", 35.0), ("q12h", 30.0), ("q24h", 20.0),
    )  # fmt: skip

    def __post_init__(self) -> None:
        if not 0.0 <= self.antibiotic_share <= 1.0:
            raise ValueError("antibiotic_share must be between 0 and 1")
        names = [f for f, _ in self.frequency_weights]
        unknown = [f for f in names if f not in ("q6h", "q8h", "q12h", "q24h")]
        if unknown or not names:
            raise ValueError(f"frequencies must be among q6h, q8h, q12h, q24h: {unknown}")
        if any(not 0 <= w < math.inf for _, w in self.frequency_weights) or not any(
            w > 0 for _, w in self.frequency_weights
        ):
            raise ValueError("frequency weights must be finite, ≥ 0, with at least one > 0")


def _regimens(rng: random.Random, pid: str, mix: RegimenMix | None = None) -> list[CarePlanItem]:
    mix = mix or RegimenMix()
    items: list[CarePlanItem] = []
    line = "picc" if rng.random() < 0.25 else "peripheral"
    if rng.random() < mix.antibiotic_share:
        freqs = [f for f, _ in mix.frequency_weights]
        freq = rng.choices(freqs, weights=[w for _, w in mix.frequency_weights])[0]
        anchors = {
            # No dose at 07:00: the early shift starts then and could not reach it by 07:30.
            "q6h": [0, 2, 3, 4, 5],
            "q8h": [6, 8, 9],
            "q12h": [8, 9, 10, 11],
            "q24h": [9, 10, 11, 12, 14, 16],
        }[freq]
        items.append(
            CarePlanItem(
                pid,
                "iv_antibiotic",
                freq,
                time(rng.choice(anchors), rng.choice([0, 0, 30])),
                line=line,
            )
        )
    elif rng.random() < 0.5:
        items.append(
            CarePlanItem(
                pid, "iv_fluids", "1", time(rng.choice([8, 9, 10]), 0), run_hours=4, line=line
            )
        )
    if rng.random() < 0.78:
        items.append(
            CarePlanItem(pid, "obs", rng.choices(["1", "2", "3"], weights=[40, 45, 15])[0])
        )
    if rng.random() < 0.35:
        items.append(CarePlanItem(pid, "bloods"))
    if rng.random() < 0.30:
        items.append(CarePlanItem(pid, "review"))
    if rng.random() < 0.05:
        items.append(CarePlanItem(pid, "double_handed_care", "2"))
    return items


def _hourly_load(visits: list[Visit], day: date, skill: str | None = None) -> list[float]:
    """Clinician-hours of work needed in each hour of the planning day (07:00 = hour 7),
    each visit's on-site time plus a driving allowance spread evenly over its window."""
    origin = at_local(day)
    load = [0.0] * 32
    for v in visits:
        if skill is not None and skill not in v.skills:
            continue
        a = (v.window.start - origin).total_seconds() / 3600
        b = max((v.window.end - origin).total_seconds() / 3600, a + 0.5)
        work = (v.duration_min + TRAVEL_ALLOWANCE_MIN) / 60 * v.staff
        for h in range(int(a), min(math.ceil(b), 32)):
            overlap = min(b, h + 1) - max(a, h)
            if overlap > 0:
                load[h] += work * overlap / (b - a)
    return load


def _staffing(visits: list[Visit], day: date) -> dict[str, dict[str, int]]:
    """Shifts of each type and role: enough clinicians in every hour, with headroom."""
    load = _hourly_load(visits, day)

    def mean(hours: range) -> float:
        return sum(load[h] for h in hours) / len(hours)

    day_team = math.ceil(mean(range(7, 15)) * HEADROOM)
    long_day = math.ceil(day_team * 0.2)
    early = day_team - long_day
    late = max(1, math.ceil(mean(range(15, 22)) * HEADROOM) - long_day)
    night = math.ceil(max(mean(range(22, 31)) * HEADROOM, max(load[22:31]) * 0.8))
    need = [x * HEADROOM for x in load]
    # Skill mix per shift type, from the share of work needing each skill.
    picc = _hourly_load(visits, day, "PICC")
    ap = _hourly_load(visits, day, "AP")
    total_day = sum(need[7:22]) or 1
    ap_day = max(1, math.ceil(sum(ap[9:17]) * HEADROOM / 7.0))
    iv_share = sum(_hourly_load(visits, day, "IV")[7:22]) * HEADROOM / total_day
    picc_share = sum(picc[7:22]) * HEADROOM / total_day

    def mix(n: int, aps: int, night_shift: bool) -> dict[str, int]:
        if night_shift:
            rn6 = max(1, math.ceil(n * 0.4))
            return {"RN5": max(0, n - rn6), "RN6": rn6}
        nurses = max(1, round((n - aps) * min(0.9, iv_share + 0.15)))
        rn6 = max(1, math.ceil(nurses * min(0.8, picc_share / max(iv_share, 0.01) + 0.15)))
        hca = max(0, n - aps - nurses)
        return {"HCA": hca, "RN5": max(0, nurses - rn6), "RN6": rn6, "AP": aps}

    return {
        "early": mix(early, math.ceil(ap_day * 0.5), False),
        "long": mix(long_day, math.ceil(ap_day * 0.5), False),
        "late": mix(late, 0, False),
        "night": mix(night, 0, True),
    }


def _clock(day: date, hours: float) -> datetime:
    """The moment the clocks show ``hours`` after midnight on ``day`` (31.5: 07:30 the next
    morning), local wall-clock time: a 21:00–07:30 night is 11.5 h when the clocks go back."""
    minutes = round(hours * 60)
    return at_local(day, minutes // 60, minutes % 60)


def _shifts(rng: random.Random, staffing: dict, day: date, patients: list[Patient]) -> list[Shift]:
    weights = Counter(
        min(
            BASES,
            key=lambda b: (b[1] - p.location.lat) ** 2 + ((b[2] - p.location.lon) * 0.62) ** 2,
        )[0]
        for p in patients
    )
    base_weights = [weights.get(b[0], 0) + 1 for b in BASES]
    shifts: list[Shift] = []
    n = 0
    for kind, roles in staffing.items():
        for role, count in roles.items():
            for i in range(count):
                n += 1
                if kind == "night":
                    # Two night teams, north and south, so the whole county is reachable.
                    base = BASES[0] if i % 2 == 0 else BASES[2]
                else:
                    base = (
                        BASES[(i + n) % len(BASES)]
                        if count < 3
                        else rng.choices(BASES, weights=base_weights)[0]
                    )
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                shifts.append(make_shift(kind, role, day, f"C{n:03d}", name, base))
    return shifts


def make_shift(
    kind: str,
    role: str,
    day: date,
    clinician_id: str,
    name: str,
    base: tuple[str, float, float],
    gender: str = "",
) -> Shift:
    """A shift of type ``kind`` (``SHIFT_TYPES``) starting on ``day``, for a clinician of
    grade ``role`` (``ROLE_SKILLS``) based at ``base`` (one of ``BASES``): the one place the
    synthetic service's shift times, breaks and skills are turned into a ``Shift``, for the
    day's fresh staff and for the caseload's persistent staff alike."""
    start_h, end_h, brk, (b0, b1) = SHIFT_TYPES[kind]
    here = Location(base[1], base[2])
    return Shift(
        clinician_id=clinician_id,
        name=name,
        skills=ROLE_SKILLS[role],
        start=_clock(day, start_h),
        end=_clock(day, end_h),
        start_location=here,
        end_location=here,
        rest_break=Break(brk, Window(_clock(day, b0), _clock(day, b1))),
        role=role,
        base=base[0],
        gender=gender,
    )


def _prefer(
    rng: random.Random, patients: list[Patient], careplans: list[CarePlanItem], shifts: list[Shift]
) -> list[Patient]:
    """Continuity: ~60 % of patients have a named nurse from the nearest base's day staff."""
    needs_picc = {
        c.patient_id
        for c in careplans
        if c.line == "picc" and c.regimen in ("iv_antibiotic", "iv_fluids")
    }
    day_nurses = [s for s in shifts if s.role in ("RN5", "RN6") and local(s.start).hour < 12]
    out = []
    for p in patients:
        pref = None
        if day_nurses and rng.random() < 0.6:
            pool = [
                s for s in day_nurses if p.patient_id not in needs_picc or "PICC" in s.skills
            ] or day_nurses
            nearest = min(
                pool,
                key=lambda s: (
                    (s.start_location.lat - p.location.lat) ** 2
                    + (s.start_location.lon - p.location.lon) ** 2
                ),
            )
            same_base = [s for s in pool if s.base == nearest.base]
            pref = rng.choice(same_base).clinician_id
        out.append(Patient(p.patient_id, p.location, p.address, pref))
    return out


def new_patient(
    rng: random.Random, pid: str, mix: RegimenMix | None = None
) -> tuple[Patient, list[CarePlanItem]]:
    """One invented patient somewhere in the county and her care plan."""
    where, town, district = _place(rng)
    street = f"{rng.randint(1, 120)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}"
    return Patient(pid, where, f"{street}, {town} {district}"), _regimens(rng, pid, mix)


def generate_patients(
    rng: random.Random, n_patients: int, mix: RegimenMix | None = None
) -> tuple[list[Patient], list[CarePlanItem]]:
    patients: list[Patient] = []
    careplans: list[CarePlanItem] = []
    for i in range(1, n_patients + 1):
        patient, items = new_patient(rng, f"P{i:04d}", mix)
        patients.append(patient)
        careplans.extend(items)
    return patients, careplans


def roster_shifts(
    rng: random.Random, staffing: dict[str, dict[str, int]], day: date, patients: list[Patient]
) -> list[Shift]:
    """Shifts for ``staffing`` (shift type → role → count) on ``day``, based near the
    patients (a capacity scenario's roster, rather than one sized from the day's demand)."""
    return _shifts(rng, staffing, day, patients)


def generate_service(n_patients: int, seed: int, day: date) -> Service:
    """Patients, their care plans, and the shifts that start on ``day``; same seed, same
    service."""
    rng = random.Random(seed)
    patients, careplans = generate_patients(rng, n_patients)
    visits = expand(patients, careplans, day)
    shifts = _shifts(rng, _staffing(visits, day), day, patients)
    patients = _prefer(rng, patients, careplans, shifts)
    return Service(tuple(patients), tuple(careplans), tuple(shifts))


def service_day_visits(service: Service, day: date) -> list[Visit]:
    return expand(service.patients, service.careplans, day)


def write_service(service: Service, day: date, out: Path) -> list[Visit]:
    out.mkdir(parents=True, exist_ok=True)
    visits = service_day_visits(service, day)
    write_patients_csv(service.patients, out / "patients.csv")
    write_careplans_csv(service.careplans, out / "careplans.csv")
    write_clinicians_csv(service.shifts, out / "clinicians.csv")
    write_visits_csv(visits, out / "visits.csv")
    return visits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic Hertfordshire service day.")
    parser.add_argument("--patients", type=int, default=250)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--date", default="2026-11-23")
    parser.add_argument("--out", default="sample_data")
    args = parser.parse_args(argv)
    day = date.fromisoformat(args.date)
    service = generate_service(args.patients, args.seed, day)
    visits = write_service(service, day, Path(args.out))
    roles = Counter(
        (s.role, next(k for k, v in SHIFT_TYPES.items() if local(s.start).hour == int(v[0])))
        for s in service.shifts
    )
    print(f"{len(service.patients)} patients, {len(visits)} visits, {len(service.shifts)} shifts")
    print("visits by type:", dict(Counter(v.visit_type for v in visits)))
    print("visits by priority:", dict(sorted(Counter(v.priority for v in visits).items())))
    print("double-handed:", sum(v.staff == 2 for v in visits))
    print("shifts by role and type:", dict(sorted(roles.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

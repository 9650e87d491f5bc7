"""``generate(spec)``: a day's visits.csv and clinicians.csv rows, the same for the same spec.

The need a spec's ``staffing`` is a multiple of (``staffing_figures``): every visit's minutes
on site plus the drive to it, times its staff, plus each shift's drive out and back. The
drive to a visit is the travel time (the product's default geodesic model) from the
second-nearest other patient whose window opens within two hours of its own — a route
reaches a patient from one it could follow in time, not always the nearest (windows and
skills pull it elsewhere); a shift's drive out and back is twice the median drive from a
visit to its nearest start place (hub, base or home). Paid minutes are the shifts' minutes inside the
service hours (06:00–24:00), less each shift's share of its unpaid break. Staffing 1.0 is
then just enough in minutes, with no allowance for waiting: tight; 1.3 has room.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from benchmarks.dayset.care import VisitDraft, link_gaps, make_double, patient_visits
from benchmarks.dayset.geo import GEO_DIR, Geography, Place, districts, km_between
from benchmarks.dayset.rota import (
    PATTERN_HOURS,
    SERVICE_FROM_H,
    SERVICE_TO_H,
    ShiftDraft,
    assign_roles,
    name,
    plan_shifts,
    start_places,
    starts,
)
from benchmarks.dayset.spec import DaySpec

VISIT_COLUMNS = ["visit_id", "patient_id", "lat", "lon", "window_start", "window_end",
                 "duration_min", "skills", "staff", "priority", "preferred_clinician",
                 "pinned_clinician", "after_visit", "min_gap_min", "visit_type", "address",
                 "setting", "district", "km_from_centroid"]  # fmt: skip
CLINICIAN_COLUMNS = ["clinician_id", "name", "skills", "shift_start", "shift_end", "start_lat",
                     "start_lon", "end_lat", "end_lon", "break_min", "break_earliest",
                     "break_latest", "max_visits", "role", "base"]  # fmt: skip
HOP_RANK = 2  # the drive to a visit: from the second-nearest other patient it could follow
COMPATIBLE_MIN = 120  # ... among those whose windows open within two hours of its own

Rows = list[dict[str, str]]


def _minutes(points: list[tuple[float, float]]) -> np.ndarray:
    from scheduler.domain.model import Location
    from scheduler.domain.travel import Geodesic

    return Geodesic().minutes([Location(a, b) for a, b in points])


def hop_minutes(places: list[tuple[float, float]], opens_min: list[float]) -> list[float]:
    """Per visit: the travel minutes from the ``HOP_RANK``-th nearest other patient's home
    among visits whose windows open within ``COMPATIBLE_MIN`` of its own (a visit it could
    follow in a route); the median of the others when it has too few such neighbours."""
    n = len(places)
    if n < 2:
        return [0.0] * n
    m = _minutes(places)
    opens = np.asarray(opens_min, dtype=float)
    far_in_time = np.abs(opens[:, None] - opens[None, :]) > COMPATIBLE_MIN
    m[(m == 0) | far_in_time] = np.inf  # the same home, or not a visit it could follow
    k = min(HOP_RANK, n - 1) - 1
    hop = np.partition(m, k, axis=1)[:, k]
    finite = hop[np.isfinite(hop)]
    fill = float(np.median(finite)) if finite.size else 0.0
    return [float(h) if np.isfinite(h) else fill for h in hop]


def out_and_back_minutes(places: list[tuple[float, float]],
                         starts: list[tuple[float, float]]) -> float:  # fmt: skip
    """A shift's drive out to its first visit and home from its last: twice the median, over
    the day's visits, of the drive from the nearest start place."""
    if not places or not starts:
        return 0.0
    distinct = sorted(set(starts))
    m = _minutes([*distinct, *places])[: len(distinct), len(distinct) :]
    return 2 * float(np.median(m.min(axis=0)))


def paid_minutes(start_h: float, end_h: float, break_min: int) -> float:
    inside = max(0.0, min(end_h, SERVICE_TO_H) - max(start_h, SERVICE_FROM_H))
    return inside * 60 * (1 - break_min / ((end_h - start_h) * 60))


def staffing_figures(visits: Rows, clinicians: Rows) -> dict[str, float]:
    """The need and the paid minutes of a written day (the module's docstring), from its rows."""
    day = min(datetime.fromisoformat(v["window_start"]).date() for v in visits)
    midnight = datetime.combine(day, datetime.min.time())

    def hours(text: str) -> float:
        return (datetime.fromisoformat(text) - midnight).total_seconds() / 3600

    places = [(float(v["lat"]), float(v["lon"])) for v in visits]
    hops = hop_minutes(places, [hours(v["window_start"]) * 60 for v in visits])
    work = sum(int(v["staff"] or 1) * (int(v["duration_min"]) + h)
               for v, h in zip(visits, hops, strict=True))  # fmt: skip
    homes = [(float(c["start_lat"]), float(c["start_lon"])) for c in clinicians]
    drive = out_and_back_minutes(places, homes) * len(clinicians)
    paid = sum(paid_minutes(hours(c["shift_start"]), hours(c["shift_end"]),
                            int(c["break_min"] or 0)) for c in clinicians)  # fmt: skip
    need = work + drive
    return {"need_min": round(need), "visit_work_min": round(work),
            "shift_drive_min": round(drive), "paid_min": round(paid),
            "staffing": round(paid / need, 3) if need else 0.0,
            "hop_min_median": round(float(np.median(hops)), 1)}  # fmt: skip


def _clock(day: date, h: float) -> str:
    moment = datetime.combine(day, datetime.min.time()) + timedelta(minutes=round(h * 60))
    return moment.strftime("%Y-%m-%dT%H:%M")


def _latlon(where: Place | tuple[float, float]) -> tuple[float, float]:
    """A shift's start (a base's centroid or a home) or a home, as (lat, lon)."""
    return (where.lat, where.lon) if isinstance(where, Place) else where


def _nearest(shifts: list[ShiftDraft], at: Place) -> list[ShiftDraft]:
    def where(s: ShiftDraft) -> tuple[float, float]:
        return (s.start.lat, s.start.lon) if isinstance(s.start, Place) else s.start

    return sorted(shifts, key=lambda s: km_between(*where(s), at.lat, at.lon))


def _pins(rng: random.Random, visits: list[VisitDraft], shifts: list[ShiftDraft],
          target: int) -> None:  # fmt: skip
    """Lock ``target`` single-staff visits each to a nearby clinician on shift who can do it,
    spreading the locks (a coordinator pins a patient to the nurse who knows them)."""
    locks = {s.clinician_id: 0 for s in shifts}
    pool = [v for v in visits if v.staff == 1]
    rng.shuffle(pool)
    done = 0
    for v in pool:
        if done >= target:
            return
        able = [s for s in shifts if s.covers(v)]
        if not able:
            continue
        assert isinstance(v.place, Place)
        near = _nearest(able, v.place)[:4]
        pick = min(near, key=lambda s: (locks[s.clinician_id], rng.random()))
        v.pinned = pick.clinician_id
        locks[pick.clinician_id] += 1
        done += 1


def _preferences(rng: random.Random, visits: list[VisitDraft], shifts: list[ShiftDraft],
                 target: int) -> None:  # fmt: skip
    """Patients who know a nurse: her name on those of their visits she can make, patient by
    patient until ``target`` visits name one."""
    by_patient: dict[str, list[VisitDraft]] = {}
    for v in visits:
        if v.staff == 1 and v.pinned is None:
            by_patient.setdefault(v.patient_id, []).append(v)
    order = sorted(by_patient)
    rng.shuffle(order)
    done = 0
    for pid in order:
        if done >= target:
            return
        vs = by_patient[pid]
        assert isinstance(vs[0].place, Place)
        near = _nearest(shifts, vs[0].place)[:6]
        best = max(near, key=lambda s: (sum(s.covers(v) for v in vs), rng.random()))
        for v in vs:
            if best.covers(v) and done < target:
                v.preferred = best.clinician_id
                done += 1


def generate(spec: DaySpec, geo_dir: Path = GEO_DIR) -> tuple[Rows, Rows]:
    """The visits.csv and clinicians.csv rows of the day ``spec`` describes."""
    rng = random.Random(f"dayset:{spec.seed}")
    day = date.fromisoformat(spec.day)
    geo = Geography(districts(spec.area, geo_dir), spec.geography, spec.rural_km)
    regimens = sorted(spec.regimen_mix)
    weights = [spec.regimen_mix[r] for r in regimens]
    visits: list[VisitDraft] = []
    n_patients = 0
    while len(visits) < spec.n_visits:
        n_patients += 1
        pid = f"Q{n_patients:04d}"
        place = geo.place(rng)
        regimen = rng.choices(regimens, weights=weights)[0]
        for v in patient_visits(rng, pid, regimen, spec.dawn_rush):
            v.place = place
            visits.append(v)
    n = len(visits)
    link_gaps(rng, visits, round(spec.gap_linked * n))
    make_double(rng, visits, round(spec.double_handed * n))
    places = [_latlon(v.place) for v in visits if v.place is not None]
    hops = hop_minutes(places, [v.start_h * 60 for v in visits])
    work = [v.staff * (v.duration_min + h) for v, h in zip(visits, hops, strict=True)]
    pool = start_places(rng, geo, spec.base_layout, spec.n_bases, n)
    overhead = out_and_back_minutes(places, [_latlon(w) for w, _ in pool])
    plan = plan_shifts(rng, visits, work, spec.staffing, spec.shift_mix, overhead)
    roles = assign_roles(plan, visits, work)
    homes = starts(rng, pool, len(plan), visits)
    capped = set(rng.sample(range(len(plan)), round(spec.max_visits_share * len(plan))))
    shifts: list[ShiftDraft] = []
    for i, ((pattern, a, b), role, (where, base)) in enumerate(
        zip(plan, roles, homes, strict=True)
    ):
        brk, b_from, b_to = PATTERN_HOURS[pattern][2:]
        cap = max(3, round(paid_minutes(a, b, brk) / 60 * 0.8)) if i in capped else None
        shifts.append(ShiftDraft(f"K{i + 1:03d}", name(rng), role, pattern, a, b, brk, b_from,
                                 b_to, where, base, cap))  # fmt: skip
    _pins(rng, visits, shifts, round(spec.pinned * n))
    _preferences(rng, visits, shifts, round(spec.preferred * n))
    return [_visit_row(v, day) for v in visits], [_shift_row(s, day) for s in shifts]


def _visit_row(v: VisitDraft, day: date) -> dict[str, str]:
    p = v.place
    assert isinstance(p, Place)
    return {
        "visit_id": v.visit_id, "patient_id": v.patient_id, "lat": f"{p.lat:.6f}",
        "lon": f"{p.lon:.6f}", "window_start": _clock(day, v.start_h),
        "window_end": _clock(day, v.end_h), "duration_min": str(v.duration_min),
        "skills": ";".join(v.skills), "staff": str(v.staff), "priority": str(v.priority),
        "preferred_clinician": v.preferred or "", "pinned_clinician": v.pinned or "",
        "after_visit": v.after_visit or "",
        "min_gap_min": str(v.min_gap_min) if v.after_visit else "",
        "visit_type": v.label, "address": f"home of {v.patient_id}, {p.district} (synthetic)",
        "setting": p.setting, "district": p.district, "km_from_centroid": f"{p.km_from_centroid}",
    }  # fmt: skip


def _shift_row(s: ShiftDraft, day: date) -> dict[str, str]:
    lat, lon = (s.start.lat, s.start.lon) if isinstance(s.start, Place) else s.start
    return {
        "clinician_id": s.clinician_id, "name": s.name, "skills": ";".join(s.skills),
        "shift_start": _clock(day, s.start_h), "shift_end": _clock(day, s.end_h),
        "start_lat": f"{lat:.6f}", "start_lon": f"{lon:.6f}", "end_lat": f"{lat:.6f}",
        "end_lon": f"{lon:.6f}", "break_min": str(s.break_min),
        "break_earliest": _clock(day, s.break_from_h), "break_latest": _clock(day, s.break_to_h),
        "max_visits": "" if s.max_visits is None else str(s.max_visits), "role": s.role,
        "base": s.base,
    }  # fmt: skip

"""Continuity of care across days: who saw whom, learned preferences, and the stay's measure.

A patient on a virtual ward for six days is best seen by the same few nurses: they know her
line, her house and her history, and she knows them. Today a day's visits carry one fixed
``preferred_clinician`` per patient, named at admission, who is off duty two or three days
of the stay; nothing learns from who actually went. This module learns it.

**History.** ``Attendance(day, patient_id, clinician_id)``: one clinician at one visit of
one planning day, read from a published (or solved) rota with ``attendances``. A
double-handed visit is two attendances, one per clinician.

**Scores.** For planning day ``D``, each (patient, clinician) pair scores the sum over the
clinician's earlier attendances of that patient of ``0.5 ** ((age - 1) / half_life_days)``,
``age`` = days before ``D`` (1 for yesterday): yesterday's visit counts 1, one
``HALF_LIFE_DAYS`` = 7 days earlier counts ½. Both how often and how recently count: two
visits four days ago (2 × 0.74) outweigh one yesterday, one yesterday outweighs one four
days ago. Why a week: the stay measure rewards the *same few* clinicians over the stay, so
frequency should lead. A nurse with three of the patient's visits who was off yesterday
should get her back today rather than yesterday's one-day substitute; measured on the
caseload model (120 patients, 14 days, solver at a fixed iteration budget), half-lives of 1,
2, 7 and 30 days gave a top-3 share of 0.538, 0.553, 0.568 and 0.561. Only days before ``D``
count (planning tomorrow while today is live reads today's rota as yesterday's). Ties go
to the more recent, then to the lower id, so the answer is deterministic.

**Preferred clinician.** ``learned_preferences`` sets each of the day's visits'
``preferred_clinician`` to the patient's best-scored clinician among the day's shifts *who
could make that visit*: holds its skills, is on shift across part of its window (start
before the window ends, end after it opens plus the visit's length), is not one the patient
excluded and is of the requested gender (``Visit.excluded_clinicians``, ``carer_gender``).
It is chosen per visit rather than once per patient because a q8h patient's 06:00, 14:00 and
22:00 doses fall to three different shifts: her night nurse should be last night's, her
early nurse yesterday's early nurse. Where no scored clinician could make the visit, it
keeps the patient's fixed named nurse if that one could, else none. A pinned visit is left
as it is (the pin decides). The solver treats the preference as today: a soft charge of
``SolveOptions.continuity_cost`` minutes for giving the visit to someone else.

**Familiar clinicians.** One preferred nurse per visit is not what the stay's measure asks
for (its *three* most frequent clinicians): when she cannot take the visit cheaply, the
search should fall back to another nurse the patient knows, not to the nearest stranger.
So each visit also carries ``familiar_clinicians``: the others among the patient's
``FAMILIAR_TOP`` best-scored clinicians who could make it, each weighted by her score over
the preferred one's; the solver charges a familiar nurse only the unweighted part of the
continuity charge (``solver.instance.Instance.charge``), a stranger all of it.

**The stay's measure.** ``stay_continuity``: per patient, over the stay's attendances (the
history of a run, or of a stay), the share made by its 2 and by its 3 most frequent
clinicians (``top2``, ``top3``; 1.0 when it had that few clinicians or fewer). For a caseload,
``caseload_continuity`` gives both means: *visit-weighted* (the share of all attendances made
by their patient's top clinicians: the headline, as a long stay has more visits to keep and
a one-visit stay is trivially continuous) and *patient-weighted* (each patient's share,
averaged: what a typical patient sees).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from scheduler.domain.model import Rota, Shift, Visit

HALF_LIFE_DAYS = 7.0
#: How many of a patient's best-scored clinicians count as familiar to her: the stay's
#: measure is the share of her visits made by her three most frequent clinicians.
FAMILIAR_TOP = 3


@dataclass(frozen=True)
class Attendance:
    """One clinician at one visit to a patient, on a planning day."""

    day: date
    patient_id: str
    clinician_id: str


def attendances(rota: Rota, visits: Iterable[Visit], day: date) -> list[Attendance]:
    """Who saw whom in ``rota`` (the planning day ``day``'s), in route then stop order."""
    patient_of = {v.visit_id: v.patient_id for v in visits}
    return [
        Attendance(day, patient_of[vid], r.clinician_id)
        for r in rota.routes
        for vid in r.visit_ids
        if vid in patient_of
    ]


def scores(
    history: Iterable[Attendance], day: date, half_life_days: float = HALF_LIFE_DAYS
) -> dict[str, dict[str, float]]:
    """patient → clinician → score on planning day ``day`` (module docstring), from the
    attendances before ``day``."""
    if half_life_days <= 0:
        raise ValueError("the half-life is a positive number of days")
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for a in history:
        age = (day - a.day).days
        if age < 1:
            continue
        row = out[a.patient_id]
        row[a.clinician_id] = row.get(a.clinician_id, 0.0) + 0.5 ** ((age - 1) / half_life_days)
    return dict(out)


def _last_seen(history: Iterable[Attendance], day: date) -> dict[tuple[str, str], date]:
    last: dict[tuple[str, str], date] = {}
    for a in history:
        key = (a.patient_id, a.clinician_id)
        if a.day < day and (key not in last or a.day > last[key]):
            last[key] = a.day
    return last


def ranked(
    history: Sequence[Attendance], day: date, half_life_days: float = HALF_LIFE_DAYS
) -> dict[str, list[str]]:
    """patient → clinicians who saw them before ``day``, best first (score, then the more
    recent, then the lower id)."""
    table = scores(history, day, half_life_days)
    last = _last_seen(history, day)
    return {
        pid: sorted(row, key=lambda c: (-row[c], -last[pid, c].toordinal(), c))
        for pid, row in table.items()
    }


def could_make(shift: Shift, visit: Visit) -> bool:
    """``shift`` may be given ``visit`` and is on duty for part of its window: its skills,
    the patient's exclusions and gender request, and its hours (travel aside: the solver
    decides whether the drive fits; a preference it cannot keep it ignores)."""
    return (
        shift.qualified_for(visit)
        and shift.clinician_id not in visit.excluded_clinicians
        and (not visit.carer_gender or shift.gender == visit.carer_gender)
        and shift.start <= visit.window.end
        and visit.window.start + timedelta(minutes=visit.duration_min) <= shift.end
    )


def learned_preferences(
    visits: Sequence[Visit],
    shifts: Sequence[Shift],
    history: Sequence[Attendance],
    day: date,
    *,
    half_life_days: float = HALF_LIFE_DAYS,
    familiar_top: int = FAMILIAR_TOP,
) -> list[Visit]:
    """The day's visits, in their order, each with ``preferred_clinician`` set from the
    history (module docstring): the best-ranked clinician who could make it, else the
    patient's fixed named nurse if she could, else none; and ``familiar_clinicians``: the
    others among the patient's ``familiar_top`` best-scored clinicians who could make it,
    each weighted by her score over the preferred one's (so the search may give the visit to
    a nurse the patient knows almost as cheaply as to the preferred one, and to a stranger
    only for a real saving). Pinned visits are left as they are."""
    table = scores(history, day, half_life_days)
    best = ranked(history, day, half_life_days)
    by_id = {s.clinician_id: s for s in shifts}
    out = []
    for v in visits:
        if v.pinned_clinician:
            out.append(v)
            continue
        row = table.get(v.patient_id, {})
        able = [c for c in best.get(v.patient_id, ()) if c in by_id and could_make(by_id[c], v)]
        fixed = v.preferred_clinician
        pref = able[0] if able else None
        if pref is None and fixed in by_id and could_make(by_id[fixed], v):
            pref = fixed
        top = set(best.get(v.patient_id, ())[:familiar_top])
        lead = max((row[c] for c in able), default=0.0)
        familiar = tuple(
            (c, round(min(1.0, row[c] / lead), 3)) for c in able if c != pref and c in top
        )
        if pref == fixed and familiar == v.familiar_clinicians:
            out.append(v)
        else:
            out.append(replace(v, preferred_clinician=pref, familiar_clinicians=familiar))
    return out


@dataclass(frozen=True)
class StayContinuity:
    """One patient's stay: attendances, distinct clinicians, and the top-2/top-3 shares."""

    patient_id: str
    attendances: int
    clinicians: int
    top2: float
    top3: float


def stay_continuity(history: Iterable[Attendance]) -> list[StayContinuity]:
    """Per patient (in id order), the share of its attendances made by its 2 and 3 most
    frequent clinicians."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for a in history:
        counts[a.patient_id][a.clinician_id] += 1
    return [stay_of(pid, counts[pid]) for pid in sorted(counts)]


def stay_of(patient_id: str, counts: Mapping[str, int]) -> StayContinuity:
    """One stay's measure from its attendances per clinician (``stay_continuity``'s rule), for
    a caller that keeps counts rather than attendances (the web app, per published day).
    At least one attendance, or ``ValueError``."""
    c = Counter({cid: n for cid, n in counts.items() if n > 0})
    n = sum(c.values())
    if not n:
        raise ValueError(f"{patient_id}: a stay's measure needs at least one attendance")
    top = [m for _, m in c.most_common(3)]
    return StayContinuity(patient_id, n, len(c), sum(top[:2]) / n, sum(top) / n)


@dataclass(frozen=True)
class CaseloadContinuity:
    """A caseload's continuity over its stays (module docstring): visit-weighted and
    patient-weighted means of the top-2 and top-3 shares, and what they are taken over."""

    patients: int
    attendances: int
    top2_visits: float
    top3_visits: float
    top2_patients: float
    top3_patients: float
    clinicians_per_patient: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "patients": self.patients,
            "attendances": self.attendances,
            "top2_visit_weighted": round(self.top2_visits, 4),
            "top3_visit_weighted": round(self.top3_visits, 4),
            "top2_patient_mean": round(self.top2_patients, 4),
            "top3_patient_mean": round(self.top3_patients, 4),
            "clinicians_per_patient": round(self.clinicians_per_patient, 3),
        }


def caseload_continuity(stays: Sequence[StayContinuity]) -> CaseloadContinuity:
    """The means over ``stays`` (each with at least one attendance); 1.0 for none."""
    stays = [s for s in stays if s.attendances]
    n = sum(s.attendances for s in stays)
    k = len(stays)
    return CaseloadContinuity(
        patients=k,
        attendances=n,
        top2_visits=sum(s.top2 * s.attendances for s in stays) / n if n else 1.0,
        top3_visits=sum(s.top3 * s.attendances for s in stays) / n if n else 1.0,
        top2_patients=sum(s.top2 for s in stays) / k if k else 1.0,
        top3_patients=sum(s.top3 for s in stays) / k if k else 1.0,
        clinicians_per_patient=sum(s.clinicians for s in stays) / k if k else 0.0,
    )

"""Continuity over the stay for the patients of a day: what the board and the ops figures show.

Issue 14 asks for continuity *per patient over the stay* (the share of a stay's visits made
by the patient's two or three most frequent clinicians), not only per visit ("was the
preferred nurse kept today?"). The measure is the domain's (``scheduler.domain.continuity``:
``stay_of``, ``caseload_continuity``); this module decides which days and rotas it is taken
over, from what the web app stores. No Flask here.

**Whose stays.** The patients of the day: those with a visit in the import of the version
shown (placed or not).

**Which days.** For a patient *on the caseload* (an admission open on the day: admitted on
or before it, not discharged before it), every day of that admission from its
``admitted_on`` up to the day, however long: her stay. Earlier stays of a readmitted patient
are not hers to keep. For a patient *not on the caseload* (a day imported from files, whose
patients the app knows only by id) there is no admission to go by, so the days she appears
in published rotas within the ``WINDOW_DAYS`` (14) ending on the day stand in for her stay,
and ``on_caseload`` says so (the pages say "last 14 days", never "stay").

**Which rota each day.** Days before the day: their latest published version (what nurses
were sent; a day with nothing published adds nothing). The day itself: the version shown,
which on the board may be a draft, so a coordinator sees what a draft would do to her
patients' continuity before publishing it; the ops figures show the latest published.

**Who saw whom.** Each clinician on each placed visit (a double-handed visit counts for
both), as ``continuity.attendances`` counts them. A patient of the day none of whose
visits on the days counted was placed has no measure (``unseen``), rather than a 100 %.

**Cost.** A stored version never changes (an edit is a new version), so each version's
counts (patient → clinician → visits) are read once per process, keyed by the database, the
row and its creation stamp (as ``rotas.rota_key``): from the stored rota's (clinician, visit
id) pairs and the two columns ``visit_id``, ``patient_id`` of its import's visits.csv
through the domain's table reader, without re-building the day's models (for the ~1,070
visits of the sample day: ~10 ms cold against ~60 ms for ``read_visits``, and nothing
evicted from ``days``' small cache of whole days). A day's answer is kept too, keyed by
every version it was made from and every stay's first day, so a board refresh costs two
small queries (the published versions of the days counted, columns only, and the
admissions open on the day).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from scheduler.domain.continuity import (
    Attendance,
    CaseloadContinuity,
    StayContinuity,
    caseload_continuity,
    stay_of,
)
from scheduler.domain.formats.tabular import CsvSource, read_table
from web.db import get_or_fail
from web.models import Admission, Day, DayImport, Patient, RotaVersion
from web.services.memo import ProcessCache

#: Days of published rotas that stand in for the stay of a patient not on the caseload.
WINDOW_DAYS = 14
#: How many of a patient's most frequent clinicians are named with their visits.
TOP = 3
#: The board's orders of the list (``ordered``), the first the default.
SORTS = ("share", "patient", "clinicians", "visits")


@dataclass(frozen=True)
class PatientStay:
    """One patient's stay so far as the day shows it: the first day it is taken over
    (``since``: the admission, or the window's first day), the days with a visit of hers
    placed and the first of them, the domain's measure (visits, distinct clinicians, top-2
    and top-3 shares), and who saw her most, with how many visits each (most first, then by
    id)."""

    patient_id: str
    since: date
    on_caseload: bool
    days: int
    first_seen: date
    measure: StayContinuity
    top: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class DayStays:
    """The stays of a day's patients (patient id order) and their means."""

    day: date
    window_days: int
    stays: tuple[PatientStay, ...]
    unseen: tuple[str, ...]
    summary: CaseloadContinuity
    #: What this answer was made from (versions, stays' first days): equal keys, equal
    #: answers, so a rendering of it may be kept by it.
    key: Hashable = field(default=None, compare=False, repr=False)

    @property
    def on_caseload(self) -> int:
        return sum(1 for s in self.stays if s.on_caseload)

    def as_dict(self) -> dict[str, Any]:
        """The means, and how many stays they are over (JSON-safe: the ops figures)."""
        return self.summary.as_dict() | {
            "on_caseload": self.on_caseload,
            "from_window": len(self.stays) - self.on_caseload,
            "unseen": len(self.unseen),
            "window_days": self.window_days,
        }


# --- one version's counts ----------------------------------------------------------------

Counts = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class _Seen:
    """A stored version: its import's patients, and patient → clinician → visits placed."""

    patients: frozenset[str]
    counts: Counts


_SEEN: ProcessCache[_Seen] = ProcessCache(64)
_DAYS: ProcessCache[DayStays] = ProcessCache(16)


def _where(session: Session) -> str:
    bind = session.get_bind()
    return str(bind.engine.url)


def counts_of(rota_json: Mapping[str, Any], visits_csv: CsvSource) -> _Seen:
    """Who saw whom in a stored rota (``rota_to_json``'s form) of the day whose visits.csv
    is ``visits_csv`` (already validated when it was imported)."""
    table = read_table(visits_csv, ("visit_id", "patient_id"), [])
    patient_of = {} if table is None else {c["visit_id"]: c["patient_id"] for _, c in table.rows}
    counts: dict[str, Counter[str]] = {}
    for route in rota_json.get("routes", []):
        cid = route["clinician_id"]
        for stop in route.get("stops", []):
            pid = patient_of.get(stop.get("visit_id") or "")
            if pid is not None:
                counts.setdefault(pid, Counter())[cid] += 1
    return _Seen(frozenset(patient_of.values()), counts)


def _seen(session: Session, key: tuple, version_id: int) -> _Seen:
    def make() -> _Seen:
        version = get_or_fail(session, RotaVersion, version_id)
        imp = get_or_fail(session, DayImport, version.import_id)
        return counts_of(version.rota, CsvSource(imp.visits_name, bytes(imp.visits_csv)))

    return _SEEN.get_or_make(key, make)


# --- a day's stays -------------------------------------------------------------------------


def _latest_published(session: Session, first: date, last: date
                      ) -> list[tuple[date, int, datetime]]:  # fmt: skip
    """(date, version id, created stamp) of each day's latest published version from
    ``first`` to ``last``, by date; columns only (a sample day's rota is ~200 KB of JSON)."""
    if first > last:
        return []
    rows = session.execute(
        select(Day.date, RotaVersion.id, RotaVersion.created_at, RotaVersion.number)
        .join(Day, RotaVersion.day_id == Day.id)
        .where(RotaVersion.status == "published", Day.date >= first, Day.date <= last)
        .order_by(Day.date, RotaVersion.number)
    ).all()
    latest: dict[date, tuple[date, int, datetime]] = {}
    for when, vid, made, _ in rows:
        latest[when] = (when, vid, made)  # the highest number last
    return list(latest.values())


def _admitted(session: Session, day: date) -> dict[str, date]:
    """patient id → the first day of her admission open on ``day`` (the latest, should two
    overlap)."""
    rows = session.execute(
        select(Patient.patient_id, Admission.admitted_on)
        .join(Patient, Admission.patient_id == Patient.id)
        .where(Admission.admitted_on <= day,
               or_(Admission.discharged_on.is_(None), Admission.discharged_on >= day))
    ).all()  # fmt: skip
    out: dict[str, date] = {}
    for pid, since in rows:
        if pid not in out or since > out[pid]:
            out[pid] = since
    return out


def day_stays(session: Session, day: date, version: RotaVersion | None = None, *,
              window_days: int = WINDOW_DAYS) -> DayStays | None:  # fmt: skip
    """The stays of the patients of ``day`` (module docstring), the day itself read from
    ``version`` (default: its latest published); None when there is no such version."""
    if window_days < 1:
        raise ValueError("the window is at least one day")
    if version is None:
        found = _latest_published(session, day, day)
        if not found:
            return None
        version = get_or_fail(session, RotaVersion, found[0][1])
    where = _where(session)
    shown_key = (where, version.id, version.created_at)
    today = _seen(session, shown_key, version.id)
    caseload = _admitted(session, day)
    window_start = day - timedelta(days=window_days - 1)
    since = {p: caseload.get(p, window_start) for p in today.patients}
    first = min(since.values(), default=day)
    before = _latest_published(session, first, day - timedelta(days=1))
    key = (shown_key, day, window_days, tuple(before), tuple(sorted(since.items())),
           frozenset(caseload.keys() & today.patients))  # fmt: skip

    def make() -> DayStays:
        days = [(when, _seen(session, (where, vid, made), vid).counts)
                for when, vid, made in before]  # fmt: skip
        days.append((day, today.counts))
        return _measure(day, window_days, since, set(caseload), days, key)

    return _DAYS.get_or_make(key, make)


def _measure(day: date, window_days: int, since: Mapping[str, date], on_caseload: set[str],
             days: Sequence[tuple[date, Counts]], key: Hashable = None) -> DayStays:  # fmt: skip
    totals: dict[str, Counter[str]] = {}
    seen_days: Counter[str] = Counter()
    first_seen: dict[str, date] = {}
    for when, counts in sorted(days, key=lambda d: d[0]):
        for pid, row in counts.items():
            first = since.get(pid)
            if first is None or when < first:
                continue
            totals.setdefault(pid, Counter()).update(row)
            seen_days[pid] += 1
            first_seen.setdefault(pid, when)
    stays = []
    for pid in sorted(totals):
        c = totals[pid]
        top = tuple(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP])
        stays.append(PatientStay(pid, since[pid], pid in on_caseload, seen_days[pid],
                                 first_seen[pid], stay_of(pid, c), top))  # fmt: skip
    unseen = tuple(sorted(set(since) - set(totals)))
    return DayStays(day, window_days, tuple(stays), unseen,
                    caseload_continuity([s.measure for s in stays]), key)  # fmt: skip


def week_stays(days: Iterable[DayStays]) -> dict[str, Any] | None:
    """The stays seen over some days (a week's published days): each patient's stay as at
    the last of those days she was a patient of, and their means (``DayStays.as_dict``'s
    keys, ``days`` how many days they come from); None for no day."""
    latest: dict[str, PatientStay] = {}
    ordered_days = sorted(days, key=lambda d: d.day)
    unseen: set[str] = set()
    for d in ordered_days:
        for s in d.stays:
            latest[s.patient_id] = s
            unseen.discard(s.patient_id)
        unseen |= {p for p in d.unseen if p not in latest}
    if not ordered_days:
        return None
    stays = list(latest.values())
    on = sum(1 for s in stays if s.on_caseload)
    return caseload_continuity([s.measure for s in stays]).as_dict() | {
        "on_caseload": on,
        "from_window": len(stays) - on,
        "unseen": len(unseen),
        "window_days": ordered_days[-1].window_days,
        "days": len(ordered_days),
    }


# --- the board's list ----------------------------------------------------------------------


def ordered(stays: Iterable[PatientStay], sort: str = "share", below: float | None = None,
            query: str = "") -> list[PatientStay]:  # fmt: skip
    """The board's list: only stays whose top-3 share is below ``below`` (a fraction), whose
    patient id contains ``query`` (any case); sorted by ``sort`` (``SORTS``): ``share``
    lowest top-3 then top-2 share first (who most needs the same nurses back), ``patient``
    by id, ``clinicians`` most distinct clinicians first, ``visits`` most visits first."""
    q = query.strip().lower()
    rows = [s for s in stays
            if (below is None or s.measure.top3 < below) and q in s.patient_id.lower()]  # fmt: skip
    keys = {
        "share": lambda s: (s.measure.top3, s.measure.top2, s.patient_id),
        "patient": lambda s: (s.patient_id,),
        "clinicians": lambda s: (-s.measure.clinicians, s.measure.top3, s.patient_id),
        "visits": lambda s: (-s.measure.attendances, s.patient_id),
    }
    return sorted(rows, key=keys.get(sort, keys["share"]))


# --- history for learning preferences -------------------------------------------------------


def history_before(session: Session, day: date, *, window_days: int = WINDOW_DAYS
                   ) -> list[Attendance]:  # fmt: skip
    """Who saw whom on the published days before ``day`` (the latest published version of
    each of the ``window_days`` days before it): what ``continuity.learned_preferences``
    learns tomorrow's preferences from. Read from the stored rotas' columns as the stays are
    (the same per-version cache), so planning tomorrow costs a few milliseconds a day."""
    where = _where(session)
    out: list[Attendance] = []
    for when, vid, made in _latest_published(session, day - timedelta(days=window_days),
                                             day - timedelta(days=1)):  # fmt: skip
        for pid, by in _seen(session, (where, vid, made), vid).counts.items():
            for cid, n in by.items():
                out.extend([Attendance(when, pid, cid)] * n)
    return out

"""The domain of one Hospital at Home day, as typed, frozen dataclasses.

Everything here is plain data with its own invariants checked on construction, so that a
``Problem`` or a ``Rota`` that exists is well formed. Nothing here knows about CSV files,
OR-Tools or Flask: readers (``scheduler.domain.formats``), the solver (``solver``) and
the web app build and consume these objects.

The invariants of a location, a window, a shift and a visit are stated once, as pure
functions (``location_problems``, ``window_problems``, ``shift_problems``,
``visit_problems``) that list every broken one as ``(field, why)`` pairs in words a
coordinator can act on. Construction raises ``InvariantError`` (a ``ValueError``) for the
first; the file readers call the same functions to report all of them by row and column.

Times are aware UTC ``datetime`` values, so that the difference of two is the real time
elapsed (a 21:00–07:30 night shift is 11.5 h when the clocks go back in October); files and
people speak Europe/London wall-clock time, and ``scheduler.domain.localtime`` converts at the
edges. A naive ``datetime`` is refused on construction (it says nothing about its zone); an
aware one in another zone is stored as UTC. Inside a ``Problem`` times are also available as
whole minutes from ``Problem.origin``, the local midnight before the earliest time in the day
(as a UTC moment), which is what the solver and checker compute in: real elapsed minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Literal

import numpy as np

from scheduler.domain.localtime import hm, local, local_midnight

#: Skill tags are upper-case strings such as ``RN``, ``IV``, ``PICC``, ``PHLEB``, ``OBS``.
Skills = frozenset[str]


def format_skills(skills: Skills) -> str:
    """Skills as the contract writes them: sorted, ``;``-separated."""
    return ";".join(sorted(skills))


#: A patient's requested carer gender and a clinician's stated one: ``F`` or ``M``; empty is
#: no request (a visit) or not stated (a shift).
GENDERS = {"F": "female", "M": "male"}

#: The risk flags a patient's record may carry, each with the words the nurse's phone shows.
#: ``two_staff`` and ``no_lone_after_dark`` change the plan (every visit double-handed; no
#: lone visit after civil dusk: ``scheduler.domain.careplan`` and ``daylight``); the others
#: change nothing in the plan but travel with every visit, so the nurse knows before she
#: knocks.
RISK_FLAGS = {
    "two_staff": "two staff must attend",
    "no_lone_after_dark": "no lone visit after dark",
    "dog": "dog in the home",
    "oxygen": "oxygen in use: no smoking or naked flames",
    "smoker": "smoker in the home",
    "aggression": "history of aggression: read the risk assessment",
    "infection_control": "infection control precautions",
}
#: The flags that change the plan; the rest of ``RISK_FLAGS`` are informational.
PLANNING_FLAGS = frozenset({"two_staff", "no_lone_after_dark"})


def format_tags(tags: frozenset[str]) -> str:
    """A set of ids or flags as the contract writes it: sorted, ``;``-separated."""
    return ";".join(sorted(tags))


def flag_words(flags: frozenset[str]) -> list[str]:
    """Risk flags in plain words for a nurse, planning flags first (an unknown tag as it is)."""
    order = sorted(flags, key=lambda f: (f not in PLANNING_FLAGS, f))
    return [RISK_FLAGS.get(f, f) for f in order]


# -- invariants ------------------------------------------------------------------------------

#: Broken invariants of some fields: ``(field, why)`` pairs, in field order.
Problems = list[tuple[str, str]]


class InvariantError(ValueError):
    """A value was built with fields that break an invariant.

    ``field`` names the field and ``message`` says why, in the very words a file reader
    reports for that field's column; ``str()`` also names the object (``visit V1, staff: …``).
    """

    def __init__(self, subject: str | None, field: str, message: str) -> None:
        super().__init__(f"{subject}, {field}: {message}" if subject else message)
        self.subject = subject
        self.field = field
        self.message = message


def _refuse(subject: str | None, problems: Problems) -> None:
    if problems:
        field, message = problems[0]
        raise InvariantError(subject, field, message)


def moment_problems(**moments: datetime | None) -> Problems:
    """Moments that are naive (no time zone): the domain holds real instants, not wall-clock
    readings. ``None`` is not checked."""
    return [
        (name, f"{value.isoformat()} has no time zone; read local times with "
               "scheduler.domain.localtime.from_local")
        for name, value in moments.items()
        if value is not None and value.tzinfo is None
    ]  # fmt: skip


def _keep_utc(obj: object, subject: str | None, *fields: str) -> None:
    """Refuse naive moments in ``fields`` of a frozen dataclass; store aware ones as UTC (the
    same tzinfo on every moment, so arithmetic is elapsed time whatever zone they came in)."""
    for name in fields:
        value = getattr(obj, name)
        if value.tzinfo is UTC:
            continue
        _refuse(subject, moment_problems(**{name: value}))
        object.__setattr__(obj, name, value.astimezone(UTC))


def location_problems(lat: float | None, lon: float | None) -> Problems:
    """``lat``/``lon`` off the map (or not numbers); a field given as ``None`` is not checked."""
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
        return []  # the common case, kept fast: every Location is checked on construction
    out: Problems = []
    for name, value, limit, word in (("lat", lat, 90, "latitude"), ("lon", lon, 180, "longitude")):
        if value is None:
            continue
        if math.isnan(value):
            out.append((name, f"{word} is not a number"))
        elif not -limit <= value <= limit:
            out.append(
                (name, f"{word} {value} is off the map (must be between -{limit} and {limit})")
            )
    return out


def window_problems(
    start: datetime | None, end: datetime | None, *, what: str = "the window"
) -> Problems:
    """A window (``what``: how to call it) that ends before it starts: field ``end``."""
    if start is not None and end is not None and end < start:
        return [("end", f"{what} ends ({hm(end)}) before it starts ({hm(start)})")]
    return []


def gender_problems(field: str, value: str | None, *, empty: str) -> Problems:
    """A gender that is not ``F``, ``M`` or empty (``empty`` says what empty means)."""
    if value is None or value in ("", *GENDERS):
        return []
    return [(field, f"{value!r} is not F or M (empty: {empty})")]


def flag_problems(field: str, flags: frozenset[str] | None) -> Problems:
    """Each risk flag that is not one of ``RISK_FLAGS``, named."""
    known = ", ".join(sorted(RISK_FLAGS))
    return [(field, f"{flag!r} is not a known risk flag (known: {known})")
            for flag in sorted((flags or frozenset()) - RISK_FLAGS.keys())]  # fmt: skip


def shift_problems(
    start: datetime | None,
    end: datetime | None,
    *,
    rest_break: Break | None = None,
    max_visits: int | None = None,
    gender: str | None = None,
) -> Problems:
    """A shift that ends before it starts (``end``), whose break window lies outside it
    (``rest_break``), with a negative ``max_visits``, or a ``gender`` other than ``F``, ``M``
    or empty. ``None`` fields are not checked."""
    out: Problems = gender_problems("gender", gender, empty="not stated")
    if start is not None and end is not None:
        if end <= start:
            out.append(("end", f"the shift ends ({local(end):%Y-%m-%dT%H:%M}) before it starts"))
        elif rest_break is not None and (
            rest_break.window.end < start or rest_break.window.start > end
        ):
            out.append(("rest_break", "the break window lies outside the shift"))
    if max_visits is not None and max_visits < 0:
        out.append(("max_visits", f"{max_visits} must be at least 0"))
    return out


def visit_problems(
    visit_id: str | None,
    *,
    duration_min: int | None,
    staff: int | None = 1,
    priority: int | None = 2,
    min_gap_min: int | None = 0,
    after_visit: str | None = None,
    pinned_clinician: str | None = None,
    excluded_clinicians: frozenset[str] | None = None,
    carer_gender: str | None = None,
    risk_flags: frozenset[str] | None = None,
    familiar_clinicians: tuple[tuple[str, float], ...] | None = None,
) -> Problems:
    """Every broken invariant of a visit's own fields (its window and location are a
    ``Window`` and a ``Location``, which check theirs). ``None`` fields are not checked.

    The patient's rules are part of it: a known ``carer_gender``, known ``risk_flags``, a
    ``two_staff`` patient's visit double-handed, and no pin to a clinician the patient has
    excluded (a pin that the patient's refusal would break is a contradiction in the day's
    own data, not something a solver can settle)."""
    out: Problems = []
    if duration_min is not None and duration_min <= 0:
        out.append(("duration_min", f"{duration_min} is not a positive number of minutes"))
    if staff is not None and staff not in (1, 2):
        out.append(("staff", f"{staff} is not 1 or 2 (2 = double-handed)"))
    if priority is not None and priority not in (1, 2, 3):
        out.append(("priority", f"{priority} is not 1, 2 or 3"))
    if min_gap_min is not None and min_gap_min < 0:
        out.append(("min_gap_min", f"{min_gap_min} must be at least 0"))
    if after_visit is not None and after_visit == visit_id:
        out.append(("after_visit", f"visit {visit_id} cannot follow itself"))
    if pinned_clinician and excluded_clinicians and pinned_clinician in excluded_clinicians:
        out.append(("pinned_clinician", f"{pinned_clinician} is excluded by the patient"))
    out += gender_problems("carer_gender", carer_gender, empty="no request")
    out += flag_problems("risk_flags", risk_flags)
    if risk_flags and "two_staff" in risk_flags and staff is not None and staff != 2:
        out.append(("staff", f"{staff}: the patient's risk flag two_staff needs 2"))
    for cid, weight in familiar_clinicians or ():
        if not 0 < weight <= 1:
            out.append(("familiar_clinicians", f"{cid}: {weight:g} is not a weight in (0, 1]"))
        if excluded_clinicians and cid in excluded_clinicians:
            out.append(("familiar_clinicians", f"{cid} is excluded by the patient"))
    return out


@dataclass(frozen=True)
class Location:
    """A WGS84 point."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        _refuse(None, location_problems(self.lat, self.lon))


@dataclass(frozen=True)
class Window:
    """A closed interval of moments; a visit must *start* inside it."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _keep_utc(self, None, "start", "end")
        _refuse(None, window_problems(self.start, self.end))

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end

    def label(self) -> str:
        """``08:00–09:00`` (local) for a coordinator (the date is implied by the day)."""
        return f"{hm(self.start)}–{hm(self.end)}"


@dataclass(frozen=True)
class Break:
    """An unpaid break of ``duration_min`` that must *start* inside ``window``."""

    duration_min: int
    window: Window

    def __post_init__(self) -> None:
        if self.duration_min <= 0:
            raise ValueError("a break lasts at least one minute")


@dataclass(frozen=True)
class Shift:
    """One clinician's shift on the day: who, what they can do, when and from where.

    ``role`` (``HCA``, ``RN5``, ``RN6``, ``AP``…) and ``base`` are optional extras used in
    reports and capacity work. ``gender`` (``F``, ``M`` or empty: not stated) is read only
    where a patient has asked for a carer of one gender (``Visit.carer_gender``): a clinician
    whose gender is not stated is not given such a visit.
    """

    clinician_id: str
    name: str
    skills: Skills
    start: datetime
    end: datetime
    start_location: Location
    end_location: Location
    rest_break: Break | None = None
    max_visits: int | None = None
    role: str = ""
    base: str = ""
    gender: str = ""

    def __post_init__(self) -> None:
        _keep_utc(self, f"shift of {self.clinician_id}", "start", "end")
        problems = shift_problems(
            self.start,
            self.end,
            rest_break=self.rest_break,
            max_visits=self.max_visits,
            gender=self.gender,
        )
        _refuse(f"shift of {self.clinician_id}", problems)

    def holds_skills(self, visit: Visit) -> bool:
        return visit.skills <= self.skills

    def qualified_for(self, visit: Visit) -> bool:
        """May this clinician make the visit: she holds its skills and the patient has not
        ruled her out (``patient_objection``). The solver's eligibility, who-could-take and
        the reasons all ask this one question; the checker states the rules itself."""
        return visit.skills <= self.skills and patient_objection(visit, self) is None

    def label(self) -> str:
        """``21:00–07:30`` (local)."""
        return f"{hm(self.start)}–{hm(self.end)}"


@dataclass(frozen=True)
class Visit:
    """One home visit to be made on the day.

    ``after_visit``/``min_gap_min``: this visit starts at least ``min_gap_min`` minutes after
    ``after_visit`` ends (e.g. disconnecting IV fluids after they have run). It can only be
    placed if that visit is placed too.

    ``visit_type`` and ``address`` are optional extras shown to nurses and coordinators, as
    are ``access_notes`` (a key safe's whereabouts, a dog) and ``risk_flags`` (tags such as
    ``no_lone_after_dark``, ``two_staff``: what the care plan made of them is already in the
    visit's ``staff`` and window; the tags travel so the nurse knows why).

    ``excluded_clinicians`` (a patient's refusal) and ``carer_gender`` (``F`` or ``M``: the
    patient asked for a carer of that gender; empty: no request) are hard rules, like skills.
    """

    visit_id: str
    patient_id: str
    location: Location
    window: Window
    duration_min: int
    skills: Skills = frozenset()
    staff: int = 1
    priority: int = 2
    preferred_clinician: str | None = None
    pinned_clinician: str | None = None
    after_visit: str | None = None
    min_gap_min: int = 0
    visit_type: str = ""
    address: str = ""
    excluded_clinicians: frozenset[str] = frozenset()
    carer_gender: str = ""
    access_notes: str = ""
    risk_flags: frozenset[str] = frozenset()
    #: Continuity beyond the one preferred clinician: others the patient knows (who saw her
    #: this stay), each with the share of the continuity charge giving her to them waives
    #: (0–1: 1 is as good as the preferred clinician). Learned by
    #: ``scheduler.domain.continuity``; soft, like ``preferred_clinician``.
    familiar_clinicians: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        problems = visit_problems(
            self.visit_id,
            duration_min=self.duration_min,
            staff=self.staff,
            priority=self.priority,
            min_gap_min=self.min_gap_min,
            after_visit=self.after_visit,
            pinned_clinician=self.pinned_clinician,
            excluded_clinicians=self.excluded_clinicians,
            carer_gender=self.carer_gender,
            risk_flags=self.risk_flags,
            familiar_clinicians=self.familiar_clinicians,
        )
        _refuse(f"visit {self.visit_id}", problems)


def patient_objection(visit: Visit, shift: Shift) -> str | None:
    """Why the patient's own rules keep this clinician from the visit, in words a coordinator
    reads (``excluded by the patient: C12``), or ``None``. Hard rules, like skills: the
    patient excluded her, or asked for a carer of a gender she is not (or has not stated)."""
    cid = shift.clinician_id
    if cid in visit.excluded_clinicians:
        return f"excluded by the patient: {cid}"
    if visit.carer_gender and shift.gender != visit.carer_gender:
        is_ = f"is {GENDERS[shift.gender]}" if shift.gender else "has no gender stated"
        return f"the patient asked for a {GENDERS[visit.carer_gender]} carer; {cid} {is_}"
    return None


def patient_rules_note(problem: Problem, visit: Visit) -> str:
    """What the patient's own rules take out of the clinicians on shift with the visit's
    skills, in words (empty when they take out nobody): ``the patient asked for a female
    carer; on shift: 0 female clinicians with IV`` and ``excluded by the patient: C12``."""
    skilled = [s for s in problem.shifts if s.holds_skills(visit)]
    skills = format_skills(visit.skills) or "any skills"
    parts = []
    if visit.carer_gender:
        word = GENDERS[visit.carer_gender]
        matching = [s for s in skilled if s.gender == visit.carer_gender]
        if len(matching) < len(skilled):
            parts.append(
                f"the patient asked for a {word} carer; on shift: {len(matching)} {word} "
                f"clinician{'' if len(matching) == 1 else 's'} with {skills}"
            )
    excluded = {s.clinician_id for s in skilled} & visit.excluded_clinicians
    if excluded:
        parts.append(f"excluded by the patient: {format_tags(frozenset(excluded))}")
    return "; ".join(parts)


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Whole-minute driving times between distinct places, as the solver uses them.

    ``minutes[i, j]`` is the time from ``locations[i]`` to ``locations[j]``; the array is
    read-only so that the solver and checker are guaranteed to see the same numbers.
    """

    locations: tuple[Location, ...]
    minutes: np.ndarray
    model_name: str = "unknown"

    def __post_init__(self) -> None:
        n = len(self.locations)
        m = np.asarray(self.minutes, dtype=np.int32)
        if m.shape != (n, n):
            raise ValueError(f"travel matrix is {m.shape}, expected {(n, n)}")
        if (m < 0).any():
            raise ValueError("travel times cannot be negative")
        m = m.copy()
        m.setflags(write=False)
        object.__setattr__(self, "minutes", m)

    def __len__(self) -> int:
        return len(self.locations)

    def between(self, i: int, j: int) -> int:
        return int(self.minutes[i, j])


def day_origin(moments: list[datetime]) -> datetime:
    """The local midnight before the earliest moment, as a UTC moment: minute 0 of a problem."""
    return local_midnight(min(moments))


def to_minute(origin: datetime, moment: datetime, *, round_up: bool = False) -> int:
    """Whole minutes of real time from ``origin``; seconds round down, or up with ``round_up``.

    Interval starts are rounded up and ends down, so a rota in whole minutes never leaves an
    interval that was given to the second.
    """
    seconds = (moment - origin).total_seconds()
    return math.ceil(seconds / 60) if round_up else math.floor(seconds / 60)


@dataclass(frozen=True, eq=False)
class Problem:
    """One day to plan: visits, the shifts on duty, and the travel between their places.

    Index fields map each visit and shift to a row of ``travel``. Build one with
    ``scheduler.domain.problem.build_problem`` rather than by hand.
    """

    visits: tuple[Visit, ...]
    shifts: tuple[Shift, ...]
    travel: TravelMatrix
    visit_loc: tuple[int, ...]
    shift_start_loc: tuple[int, ...]
    shift_end_loc: tuple[int, ...]
    origin: datetime

    def __post_init__(self) -> None:
        _keep_utc(self, None, "origin")
        if len(self.visit_loc) != len(self.visits):
            raise ValueError("one location index per visit is needed")
        if len(self.shift_start_loc) != len(self.shifts) or len(self.shift_end_loc) != len(
            self.shifts
        ):
            raise ValueError("one start and one end location index per shift is needed")
        n = len(self.travel)
        for idx in (*self.visit_loc, *self.shift_start_loc, *self.shift_end_loc):
            if not 0 <= idx < n:
                raise ValueError(f"location index {idx} outside the travel matrix")
        ids = [v.visit_id for v in self.visits]
        if len(set(ids)) != len(ids):
            raise ValueError("visit ids must be unique")
        cids = [s.clinician_id for s in self.shifts]
        if len(set(cids)) != len(cids):
            raise ValueError("clinician ids must be unique")
        for v in self.visits:
            if v.after_visit is not None and v.after_visit not in set(ids):
                raise ValueError(f"visit {v.visit_id} follows unknown visit {v.after_visit}")

    @cached_property
    def visit_index(self) -> dict[str, int]:
        return {v.visit_id: i for i, v in enumerate(self.visits)}

    @cached_property
    def shift_index(self) -> dict[str, int]:
        return {s.clinician_id: k for k, s in enumerate(self.shifts)}

    def minute(self, moment: datetime, *, round_up: bool = False) -> int:
        return to_minute(self.origin, moment, round_up=round_up)

    def at(self, minute: int) -> datetime:
        return self.origin + timedelta(minutes=minute)

    def travel_between(self, a: int, b: int) -> int:
        """Minutes from location index ``a`` to ``b``."""
        return int(self.travel.minutes[a, b])


StopKind = Literal["visit", "break"]


@dataclass(frozen=True)
class Stop:
    """One row of a route: a visit or a break, with its times.

    For a break, ``arrive == start`` and ``travel_min == 0``: the break is taken where the
    clinician is, either before or after the drive to the next visit.
    """

    kind: StopKind
    visit_id: str | None
    arrive: datetime
    start: datetime
    end: datetime
    travel_min: int

    def __post_init__(self) -> None:
        _keep_utc(self, None, "arrive", "start", "end")
        if self.kind not in ("visit", "break"):
            raise ValueError(f"unknown stop kind {self.kind!r}")
        if (self.kind == "visit") != (self.visit_id is not None):
            raise ValueError("a visit stop names its visit; a break stop does not")
        if self.travel_min < 0:
            raise ValueError("travel cannot be negative")


@dataclass(frozen=True)
class Route:
    """One clinician's stops in the order driven."""

    clinician_id: str
    stops: tuple[Stop, ...]

    @property
    def visit_ids(self) -> tuple[str, ...]:
        return tuple(s.visit_id for s in self.stops if s.visit_id is not None)


class Reason(StrEnum):
    """Why a visit was left unassigned; each comes with a sentence a coordinator can act on."""

    NO_QUALIFIED = "no_qualified_clinician"
    NOT_ENOUGH_QUALIFIED = "not_enough_qualified"
    PIN_UNKNOWN = "pinned_clinician_unknown"
    PIN_OFF_SHIFT = "pinned_clinician_off_shift"
    PIN_UNQUALIFIED = "pinned_clinician_unqualified"
    UNREACHABLE = "unreachable_in_window"
    PRECEDING_UNPLACED = "preceding_visit_unplaced"
    GAP_IMPOSSIBLE = "gap_impossible"
    CAPACITY = "qualified_clinicians_fully_booked"
    OTHER = "other"


@dataclass(frozen=True)
class Unassigned:
    visit_id: str
    reason: str
    code: Reason = Reason.OTHER


@dataclass(frozen=True)
class Rota:
    """A plan for the day: one route per clinician used, and every other visit with a reason.

    How it was made (by which engine, in how long) is the solver's ``SolveResult``, not the
    rota's: a rota edited by hand or read from a file is the same kind of thing.
    """

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...] = ()

    def route_of(self, clinician_id: str) -> Route | None:
        for r in self.routes:
            if r.clinician_id == clinician_id:
                return r
        return None

    @property
    def assigned_visit_ids(self) -> set[str]:
        return {vid for r in self.routes for vid in r.visit_ids}

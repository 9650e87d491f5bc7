"""Care plans: each patient's regimens, expanded into the visits of one planning day.

The planning day ``D`` runs from ``day_start`` (07:00 by default) on ``D`` to the same time on
``D+1``: the shifts that start on ``D`` (including the night shift that ends on the morning of
``D+1``) carry exactly the visits whose *nominal* time falls in that span. A 00:00 dose on
``D+1`` belongs to ``D``'s night shift; a 07:00 dose on ``D+1`` belongs to ``D+1``.

Regimens and why they expand as they do (see docs/careplans.md):

- ``iv_antibiotic`` (q6h/q8h/q12h/q24h): one visit per dose, window ± ``tolerance_min``
  (30 min by default: keeps levels therapeutic; once-daily drugs tolerate 60), priority 1,
  skill IV, and PICC for central lines.
- ``iv_fluids``: a connection (priority 1, ±60 min) and a disconnection at least
  ``run_hours`` after it ends (``after_visit`` + ``min_gap_min``), within the next 3 hours.
- ``obs`` (NEWS2): n per day in broad windows; ``bloods`` 07:30–10:30 to make the lab run;
  ``review`` (advanced practitioner) 09:00–17:00; ``double_handed_care``: two staff.

Every visit carries its patient's record: excluded clinicians and a requested carer gender
(hard rules the solver and the checker keep), access notes and risk flags (for the nurse's
phone). Two flags change the plan (``risks``): ``two_staff`` makes every visit double-handed,
and ``no_lone_after_dark`` trims a window to end before civil dusk (start after civil dawn)
when the visit still fits, else makes it double-handed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from scheduler.domain import geocode, nhs_number
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats import preferences
from scheduler.domain.formats.tabular import RowReader, Source, Table, read_table
from scheduler.domain.formats.tabular import csv_text as _csv_text
from scheduler.domain.localtime import at_local, contract_text, local
from scheduler.domain.model import (
    Location,
    Shift,
    Visit,
    Window,
    flag_problems,
    format_skills,
    format_tags,
    gender_problems,
)
from scheduler.domain.risks import TWO_STAFF, keep_out_of_dark

REGIMENS = ("iv_antibiotic", "iv_fluids", "obs", "bloods", "review", "double_handed_care")
INTERVAL_H = {"q6h": 6, "q8h": 8, "q12h": 12, "q24h": 24}
DEFAULT_DURATION = {
    "iv_antibiotic": 30,
    "iv_fluids": 30,
    "obs": 20,
    "bloods": 15,
    "review": 45,
    "double_handed_care": 30,
}
OBS_WINDOWS = {
    1: [("09:00", "17:00")],
    2: [("08:00", "12:00"), ("16:00", "20:00")],
    3: [("08:00", "11:00"), ("13:00", "16:00"), ("18:00", "21:00")],
    4: [("07:30", "10:00"), ("11:30", "14:00"), ("15:30", "18:00"), ("19:30", "22:00")],
}
CARE_WINDOWS = {1: [("08:00", "11:00")], 2: [("08:00", "11:00"), ("17:00", "20:00")]}
#: When a planning day starts (and the one before it ends), local wall-clock time: the visits
#: and the staff of planning day ``D`` are those of ``D`` 07:00 to ``D+1`` 07:00.
DAY_START = time(7, 0)
DISCONNECT_MIN = 20
DISCONNECT_WINDOW_H = 3


@dataclass(frozen=True)
class Patient:
    """A patient on the caseload, as care plans expand: where, and what every visit of theirs
    carries. ``nhs_number`` and ``name`` identify the person to a coordinator (the solver
    never reads them); ``excluded_clinicians`` and ``carer_gender`` (``F``/``M``/empty) are the
    patient's hard preferences; ``risk_flags`` (``two_staff``, ``no_lone_after_dark``, …) and
    ``access_notes`` go with each visit to the nurse's phone."""

    patient_id: str
    location: Location
    address: str = ""
    preferred_clinician: str | None = None
    nhs_number: str = ""
    name: str = ""
    postcode: str = ""
    access_notes: str = ""
    risk_flags: frozenset[str] = frozenset()
    excluded_clinicians: frozenset[str] = frozenset()
    carer_gender: str = ""


@dataclass(frozen=True)
class CarePlanItem:
    patient_id: str
    regimen: str
    frequency: str = ""
    first_time: time | None = None
    tolerance_min: int | None = None
    duration_min: int | None = None
    run_hours: float | None = None
    line: str = "peripheral"
    start_date: date | None = None
    end_date: date | None = None
    priority: int | None = None
    staff: int | None = None

    def active_on(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or day <= self.end_date
        )


PATIENT_COLUMNS = ("patient_id", "lat", "lon")
CAREPLAN_COLUMNS = ("patient_id", "regimen")


#: patients.csv's optional columns (docs/careplans.md), in the order they are written.
PATIENT_EXTRA_COLUMNS = (
    "address", "preferred_clinician", "nhs_number", "name", "postcode", "access_notes",
    "risk_flags", "excluded_clinicians", "carer_gender",
)  # fmt: skip


def _postcode(row: RowReader) -> str:
    """The row's postcode, normalised (``al13hd`` → ``AL1 3HD``); a malformed one is refused."""
    value = row.cells.get("postcode", "").strip()
    if not value:
        return ""
    try:
        return geocode.normalise(value)
    except geocode.PostcodeError as exc:
        row.complain("postcode", str(exc))
        return value


def _place(
    row: RowReader, postcode: str, gazetteer: geocode.Gazetteer | None, warnings: list[InputIssue]
) -> tuple[float | None, float | None]:
    """The row's latitude and longitude: as written, or, when both cells are empty, from the
    postcode through the trust's postcode file (a district centroid is a warning naming the
    row: the coordinator should fix the postcode)."""
    cells = row.cells
    if cells.get("lat", "").strip() or cells.get("lon", "").strip() or not postcode:
        place = row.location("lat", "lon")  # off the map, or 0, 0 (a missing geocode): refused
        return (place.lat, place.lon) if place is not None else (None, None)
    if gazetteer is None:
        row.complain("lat", f"empty: give lat and lon, or a postcode file to place {postcode} "
                     "(hah --postcodes FILE, or HAH_POSTCODE_FILE for the web app)")  # fmt: skip
        return None, None
    if not row.ok:
        return None, None  # a malformed postcode, already named
    place = row.placed("postcode", postcode, gazetteer, warnings)
    return (place.lat, place.lon) if place is not None else (None, None)


def _patient(
    row: RowReader,
    nhs_rows: dict[str, int],
    gazetteer: geocode.Gazetteer | None = None,
    warnings: list[InputIssue] | None = None,
) -> Patient | None:
    cells = row.cells
    pid = row.text("patient_id")
    postcode = _postcode(row)
    lat, lon = _place(row, postcode, gazetteer, [] if warnings is None else warnings)
    number = ""
    if cells.get("nhs_number"):
        checked = nhs_number.normalise(cells["nhs_number"])
        if isinstance(checked, nhs_number.Refused):
            row.complain("nhs_number", f"the NHS number {checked.reason}")
        elif checked in nhs_rows:
            row.complain("nhs_number", f"the same NHS number as row {nhs_rows[checked]}")
        else:
            nhs_rows[checked] = row.rownum
            number = checked
    flags = preferences.flags(cells.get("risk_flags", ""))
    carer = preferences.gender(cells.get("carer_gender", ""))
    for field, why in [*flag_problems("risk_flags", flags),
                       *gender_problems("carer_gender", carer, empty="no request")]:  # fmt: skip
        row.complain(field, why)
    excluded = preferences.id_list(cells.get("excluded_clinicians", ""))
    preferred = cells.get("preferred_clinician") or None
    if preferred is not None and preferred in excluded:
        row.complain("preferred_clinician", f"{preferred} is excluded by the patient")
    if not row.ok or not pid or lat is None or lon is None:
        return None
    return Patient(
        pid,
        Location(lat, lon),
        cells.get("address", ""),
        preferred,
        nhs_number=number,
        name=cells.get("name", ""),
        postcode=postcode,
        access_notes=cells.get("access_notes", ""),
        risk_flags=flags,
        excluded_clinicians=excluded,
        carer_gender=carer,
    )


def read_patients(
    source: Source,
    *,
    gazetteer: geocode.Gazetteer | None = None,
    warnings: list[InputIssue] | None = None,
) -> tuple[Patient, ...]:
    """Patients from patients.csv (a path or a ``CsvSource``); raises ``InputError``.

    A row may give a postcode instead of lat and lon: with ``gazetteer`` (the trust's postcode
    file, ``scheduler.domain.geocode``) it is placed offline; a postcode the file lacks falls
    back to its district's centre, and that is appended to ``warnings`` by file, row, column.

    Besides the place, each row may carry the patient's NHS number (checked by its check
    digit, ``nhs_number``, and unique in the file), name and postcode, and what every visit of
    theirs carries: access notes, risk flags, excluded clinicians and a requested carer
    gender (``formats.preferences`` reads them as visits.csv does)."""
    issues: list[InputIssue] = []
    table = read_table(source, ("patient_id",), issues)
    if table is not None and not ({"lat", "lon"} <= set(table.columns) or "postcode" in table.columns):
        issues.append(InputIssue(table.file, 1, None, "needs columns lat and lon, or postcode"))
        table = None
    patients: list[Patient] = []
    seen: dict[str, int] = {}
    nhs_rows: dict[str, int] = {}
    if table is not None:
        for rownum, cells in table.rows:
            row = RowReader(table, rownum, cells, issues)
            pid = cells.get("patient_id", "")
            if pid and pid in seen:
                row.complain("patient_id", f"{pid!r} repeats row {seen[pid]}")
            patient = _patient(row, nhs_rows, gazetteer, warnings)
            if patient is not None:
                seen[patient.patient_id] = rownum
                patients.append(patient)
    if issues:
        raise InputError(issues)
    return tuple(patients)


def _clock(row: RowReader, column: str) -> time | None:
    value = row.cells.get(column, "")
    if not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        row.complain(column, f"{value!r} is not a time of day; write it as HH:MM")
        return None


def _day(row: RowReader, column: str) -> date | None:
    value = row.cells.get(column, "")
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        row.complain(column, f"{value!r} is not a date; write it as YYYY-MM-DD")
        return None


def _care_item(row: RowReader, patient_ids: set[str] | None) -> CarePlanItem | None:
    pid = row.text("patient_id")
    if pid and patient_ids is not None and pid not in patient_ids:
        row.complain("patient_id", f"patient {pid!r} is not in the patients file")
    regimen = row.text("regimen")
    if regimen and regimen not in REGIMENS:
        row.complain("regimen", f"{regimen!r} is not one of {', '.join(REGIMENS)}")
    frequency = row.cells.get("frequency", "")
    if regimen == "iv_antibiotic" and frequency not in INTERVAL_H:
        row.complain("frequency", f"{frequency!r}: antibiotics need q6h, q8h, q12h or q24h")
    if regimen in ("obs", "double_handed_care", "iv_fluids") and frequency:
        allowed = OBS_WINDOWS if regimen == "obs" else CARE_WINDOWS
        if not frequency.isdigit() or int(frequency) not in allowed:
            row.complain(
                "frequency", f"{frequency!r}: times per day must be one of {sorted(allowed)}"
            )
    if regimen == "iv_antibiotic" and not row.cells.get("first_time", ""):
        row.complain("first_time", "an antibiotic schedule needs its first dose time (HH:MM)")
    line = row.cells.get("line", "") or "peripheral"
    if line not in ("peripheral", "picc"):
        row.complain("line", f"{line!r} is not 'peripheral' or 'picc'")
    start, end = _day(row, "start_date"), _day(row, "end_date")
    if start and end and end < start:
        row.complain("end_date", "the regimen ends before it starts")
    item = CarePlanItem(
        patient_id=pid or "",
        regimen=regimen or "",
        frequency=frequency,
        first_time=_clock(row, "first_time"),
        tolerance_min=row.integer("tolerance_min", required=False, minimum=0),
        duration_min=row.integer("duration_min", required=False, minimum=1),
        run_hours=row.number("run_hours", required=False),
        line=line,
        start_date=start,
        end_date=end,
        priority=row.integer("priority", required=False, minimum=1),
        staff=row.integer("staff", required=False, minimum=1),
    )
    if item.run_hours is not None and not 0 < item.run_hours <= 24:
        row.complain(
            "run_hours", f"{item.run_hours:g}: a bag runs more than 0 and at most 24 hours"
        )
    if item.priority is not None and item.priority > 3:
        row.complain("priority", "must be 1, 2 or 3")
    if item.staff is not None and item.staff > 2:
        row.complain("staff", "must be 1 or 2")
    return item if row.ok else None


def patient_from_cells(
    cells: Mapping[str, str],
    source: str = "patient",
    *,
    gazetteer: geocode.Gazetteer | None = None,
) -> tuple[Patient | None, list[tuple[str, str]], list[str]]:
    """One patient from its cells (patients.csv's columns, as text), read and checked by the
    very rules ``read_patients`` applies to a row, a postcode placed by ``gazetteer`` when
    lat and lon are empty: the patient (or ``None``), every ``(column, why)``, and the
    warnings (a district-centre fallback). A form or a JSON body is so refused, and placed,
    in the same words as a file."""
    issues: list[InputIssue] = []
    warnings: list[InputIssue] = []
    clean = {k: str(v).strip() for k, v in cells.items()}
    row = RowReader(Table(source, list(clean)), 0, clean, issues)
    patient = _patient(row, {}, gazetteer, warnings)
    return patient, [(i.column or "", i.message) for i in issues], [w.message for w in warnings]


def care_item_from_cells(
    cells: Mapping[str, str], source: str = "care plan"
) -> tuple[CarePlanItem | None, list[tuple[str, str]]]:
    """One care plan item from its cells (careplans.csv's columns, as text), read and checked
    by the very rules ``read_careplans`` applies to a row: the item, or ``None`` and every
    ``(column, why)``. So a form or a JSON body is refused with the same words as a file."""
    issues: list[InputIssue] = []
    clean = {k: str(v).strip() for k, v in cells.items()}
    item = _care_item(RowReader(Table(source, list(clean)), 0, clean, issues), None)
    return item, [(i.column or "", i.message) for i in issues]


def care_item_cells(item: CarePlanItem) -> dict[str, str]:
    """An item as the cells ``care_item_from_cells`` reads back to the same item (empty
    text for what is not set): what ``write_careplans_csv`` writes."""
    return {f: _cell(getattr(item, f)) for f in CAREPLAN_FIELDS}


def read_careplans(source: Source, patient_ids: set[str] | None = None) -> tuple[CarePlanItem, ...]:
    """Care plan rows from careplans.csv (a path or a ``CsvSource``); raises ``InputError``.
    With ``patient_ids``, a row for a patient not among them is refused."""
    issues: list[InputIssue] = []
    table = read_table(source, CAREPLAN_COLUMNS, issues)
    items: list[CarePlanItem] = []
    if table is not None:
        for rownum, cells in table.rows:
            item = _care_item(RowReader(table, rownum, cells, issues), patient_ids)
            if item is not None:
                items.append(item)
    if issues:
        raise InputError(issues)
    return tuple(items)


# -- expansion -------------------------------------------------------------------------------


def read_caseload(
    patients: Source,
    careplans: Source,
    *,
    gazetteer: geocode.Gazetteer | None = None,
    warnings: list[InputIssue] | None = None,
) -> tuple[tuple[Patient, ...], tuple[CarePlanItem, ...]]:
    """Both files, the care plans checked against the patients; one ``InputError`` listing
    every problem in either (as ``read_day`` does for visits and clinicians). ``gazetteer``
    and ``warnings`` as ``read_patients``."""
    issues: list[InputIssue] = []
    people: tuple[Patient, ...] | None = None
    plans: tuple[CarePlanItem, ...] | None = None
    try:
        people = read_patients(patients, gazetteer=gazetteer, warnings=warnings)
    except InputError as exc:
        issues.extend(exc.issues)
    try:
        plans = read_careplans(careplans, {p.patient_id for p in people} if people else None)
    except InputError as exc:
        issues.extend(exc.issues)
    if issues or people is None or plans is None:
        raise InputError(issues)
    return people, plans


def _at(day: date, clock: time | str, plus_days: int = 0) -> datetime:
    """The moment the clocks show ``clock`` on ``day`` (+ ``plus_days``), local wall-clock
    time (a time the clocks repeat is its first; one they skip lands after the change)."""
    if isinstance(clock, str):
        clock = time.fromisoformat(clock)
    return at_local(day + timedelta(days=plus_days), clock.hour, clock.minute)


class _Expander:
    """The visits of planning day ``day``: from ``day_start`` on ``day`` to ``day_start`` on
    the next day, both local wall-clock time (so 25 real hours when the clocks go back)."""

    def __init__(self, day: date, day_start: time):
        self.day = day
        self.day_start = day_start
        self.begin = _at(day, day_start)
        self.end = _at(day, day_start, 1)
        self.ids: set[str] = set()
        self.visits: list[Visit] = []

    def _id(self, base: str) -> str:
        vid, n = base, 2
        while vid in self.ids:
            vid, n = f"{base}-{n}", n + 1
        self.ids.add(vid)
        return vid

    def add(
        self,
        patient: Patient,
        item: CarePlanItem,
        tag: str,
        nominal: datetime,
        window: Window,
        **kw,
    ) -> Visit:
        # The care plan's own staff and priority override the regimen's defaults (popped
        # either way: passed twice, they made Visit() fail on every override).
        staff = item.staff or kw.pop("staff", 1)
        priority = item.priority or kw.pop("priority", 2)
        kw.pop("staff", None)
        kw.pop("priority", None)
        visit = Visit(
            visit_id=self._id(f"{patient.patient_id}-{tag}-{local(nominal):%H%M}"),
            patient_id=patient.patient_id,
            location=patient.location,
            window=window,
            preferred_clinician=patient.preferred_clinician,
            address=patient.address,
            staff=2 if TWO_STAFF in patient.risk_flags else staff,
            priority=priority,
            excluded_clinicians=patient.excluded_clinicians,
            carer_gender=patient.carer_gender,
            access_notes=patient.access_notes,
            risk_flags=patient.risk_flags,
            **kw,
        )
        visit = keep_out_of_dark(visit)  # no_lone_after_dark: trimmed to the light, or two staff
        self.visits.append(visit)
        return visit

    def doses(self, patient: Patient, item: CarePlanItem) -> None:
        step = timedelta(hours=INTERVAL_H[item.frequency])
        tol = timedelta(
            minutes=item.tolerance_min
            if item.tolerance_min is not None
            else (60 if item.frequency == "q24h" else 30)
        )
        skills = {"IV"} | ({"PICC"} if item.line == "picc" else set())
        duration = item.duration_min or (45 if item.frequency == "q24h" else 30)
        for t in self._dose_times(item.first_time or time(8, 0), step):
            self.add(
                patient, item, "abx", t, Window(t - tol, t + tol),
                duration_min=duration, skills=frozenset(skills), priority=1,
                visit_type=f"IV antibiotic dose ({item.frequency})",
            )  # fmt: skip

    def _dose_times(self, first: time, step: timedelta) -> list[datetime]:
        """The day's doses of a regimen every ``step`` from ``first``: the day has the slots
        the clock shows (``first`` ± whole steps, from ``day_start`` to ``day_start``), and
        from the first of them on, each dose comes ``step`` of *real* time after the one
        before, so across a clock change the doses stay that many hours apart (20:00 BST is
        followed by 01:00 GMT in October, 20:00 GMT by 03:00 BST in March). The schedule
        returns to the written times with the next planning day: that interval is an hour
        longer in October and an hour shorter in March. A dose the real step would push past
        the end of the day (in March, a slot in the hour before ``day_start``) keeps its
        clock time, so that no dose falls between two days' plans."""
        begin = datetime.combine(self.day, self.day_start)
        end = begin + timedelta(days=1)
        slot = datetime.combine(self.day, first)  # wall-clock arithmetic: the slots
        while slot > begin:
            slot -= step
        slots = []
        while slot < end:
            if slot >= begin:
                slots.append(slot)
            slot += step
        if not slots:
            return []
        start = _at(slots[0].date(), slots[0].time())
        out = []
        for k, wall in enumerate(slots):
            real = start + k * step
            out.append(real if real < self.end else _at(wall.date(), wall.time()))
        return out

    def fluids(self, patient: Patient, item: CarePlanItem) -> None:
        bags = int(item.frequency or 1)
        first = item.first_time or time(8, 0)
        skills = {"IV"} | ({"PICC"} if item.line == "picc" else set())
        gap = round((item.run_hours if item.run_hours is not None else 4) * 60)
        duration = item.duration_min or DEFAULT_DURATION["iv_fluids"]
        tol = timedelta(minutes=item.tolerance_min if item.tolerance_min is not None else 60)
        for b in range(bags):
            days, hour = divmod(first.hour + 12 * b, 24)
            clock = time(hour, first.minute)  # bags by the wall clock, 12 hours apart
            t = _at(self.day, clock, days)
            if t < self.begin:
                t = _at(self.day, clock, days + 1)
            if not self.begin <= t < self.end:
                continue
            connect = self.add(
                patient, item, "fluids-on", t, Window(t - tol, t + tol),
                duration_min=duration, skills=frozenset(skills), priority=1,
                visit_type="IV fluids: connect",
            )  # fmt: skip
            off = connect.window.start + timedelta(minutes=duration + gap)
            self.add(
                patient, item, "fluids-off", off, Window(off, off + timedelta(hours=DISCONNECT_WINDOW_H)),
                duration_min=DISCONNECT_MIN, skills=frozenset(skills), priority=2,
                after_visit=connect.visit_id, min_gap_min=gap, visit_type="IV fluids: disconnect",
            )  # fmt: skip

    def item(self, patient: Patient, item: CarePlanItem) -> None:
        duration = item.duration_min or DEFAULT_DURATION[item.regimen]
        if item.regimen == "iv_antibiotic":
            self.doses(patient, item)
        elif item.regimen == "iv_fluids":
            self.fluids(patient, item)
        elif item.regimen == "obs":
            for a, b in OBS_WINDOWS[int(item.frequency or 1)]:
                self._broad(patient, item, "obs", a, b, duration, {"OBS"}, "NEWS2 observations")
        elif item.regimen == "bloods":
            self._broad(
                patient, item, "bloods", "07:30", "10:30", duration, {"PHLEB"}, "Bloods (lab run)"
            )
        elif item.regimen == "review":
            self._broad(
                patient, item, "review", "09:00", "17:00", duration, {"AP"}, "Clinical review"
            )
        elif item.regimen == "double_handed_care":
            for a, b in CARE_WINDOWS[int(item.frequency or 2)]:
                self._broad(
                    patient, item, "care", a, b, duration, {"OBS"}, "Double-handed care", staff=2
                )

    def _broad(self, patient, item, tag, a, b, duration, skills, label, staff=1) -> None:
        start, end = _at(self.day, a), _at(self.day, b)
        if start < self.begin:
            start, end = _at(self.day, a, 1), _at(self.day, b, 1)
        self.add(
            patient, item, tag, start, Window(start, end), duration_min=duration,
            skills=frozenset(skills), visit_type=label, staff=staff,
        )  # fmt: skip


def expand(
    patients: Sequence[Patient],
    careplans: Sequence[CarePlanItem],
    day: date,
    *,
    day_start: time = DAY_START,
) -> list[Visit]:
    """The planning day's visits, in patient then regimen order, with deterministic ids."""
    by_id = {p.patient_id: p for p in patients}
    out = _Expander(day, day_start)
    for item in careplans:
        if item.active_on(day) and item.patient_id in by_id:
            out.item(by_id[item.patient_id], item)
    return out.visits


# -- writing ---------------------------------------------------------------------------------


def _fmt(t: datetime | None) -> str:
    """A contract time: local, with the offset where the local time is ambiguous."""
    return "" if t is None else contract_text(t)


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A CSV file's text: the header, then the rows (``\n`` line ends), formula cells
    neutralised (``formats.tabular.neutralise``; the readers take the quote off again)."""
    return _csv_text(header, rows)


def write_text(path: str | Path, text: str) -> None:
    """Text written to a temporary file and renamed into place: never half written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".tmp", delete=False, newline="", encoding="utf-8"
    ) as f:
        f.write(text)
    os.replace(f.name, path)


def write_rows(path: str | Path, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """A CSV written to a temporary file and renamed into place: never half written."""
    write_text(path, csv_text(header, rows))


VISIT_HEADER = (
    "visit_id", "patient_id", "lat", "lon", "window_start", "window_end", "duration_min",
    "skills", "staff", "priority", "preferred_clinician", "pinned_clinician", "after_visit",
    "min_gap_min", "visit_type", "address", "excluded_clinicians", "carer_gender",
    "access_notes", "risk_flags", "familiar_clinicians",
)  # fmt: skip
CLINICIAN_HEADER = (
    "clinician_id", "name", "skills", "shift_start", "shift_end", "start_lat", "start_lon",
    "end_lat", "end_lon", "break_min", "break_earliest", "break_latest", "max_visits", "role",
    "base", "gender",
)  # fmt: skip
PATIENT_HEADER = (*PATIENT_COLUMNS, *PATIENT_EXTRA_COLUMNS)
#: Columns written only when some row has a value in them: a day or a caseload without
#: preferences or risks is written exactly as before they existed (the bundled sample, and
#: the files other tools already read), and one with them carries every column it needs.
WRITTEN_WHEN_USED = frozenset({
    "excluded_clinicians", "carer_gender", "access_notes", "risk_flags", "gender",
    "nhs_number", "name", "postcode", "familiar_clinicians",
})  # fmt: skip


def _table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """``csv_text`` without the ``WRITTEN_WHEN_USED`` columns that every row leaves empty."""
    rows = [list(r) for r in rows]
    keep = [i for i, h in enumerate(header)
            if h not in WRITTEN_WHEN_USED or any(r[i] not in ("", None) for r in rows)]  # fmt: skip
    return csv_text([header[i] for i in keep], ([r[i] for i in keep] for r in rows))


def visits_csv_text(visits: Sequence[Visit]) -> str:
    """visits.csv for ``visits``, as text: what ``write_visits_csv`` writes, and what
    ``scheduler.domain.formats.day.read_visits`` reads back to the same visits."""
    return _table(
        VISIT_HEADER,
        (
            [
                v.visit_id, v.patient_id, f"{v.location.lat:.6f}", f"{v.location.lon:.6f}",
                _fmt(v.window.start), _fmt(v.window.end), v.duration_min, format_skills(v.skills),
                v.staff, v.priority, v.preferred_clinician or "", v.pinned_clinician or "",
                v.after_visit or "", v.min_gap_min if v.after_visit else "", v.visit_type, v.address,
                format_tags(v.excluded_clinicians), v.carer_gender, v.access_notes,
                format_tags(v.risk_flags), preferences.format_weighted(v.familiar_clinicians),
            ]
            for v in visits
        ),
    )  # fmt: skip


def write_visits_csv(visits: Sequence[Visit], path: str | Path) -> None:
    write_text(path, visits_csv_text(visits))


def clinicians_csv_text(shifts: Sequence[Shift]) -> str:
    """clinicians.csv for ``shifts``, as text: what ``write_clinicians_csv`` writes, and what
    ``scheduler.domain.formats.day.read_clinicians`` reads back to the same shifts."""

    def row(s: Shift) -> list:
        b = s.rest_break
        return [
            s.clinician_id, s.name, format_skills(s.skills), _fmt(s.start), _fmt(s.end),
            f"{s.start_location.lat:.6f}", f"{s.start_location.lon:.6f}",
            f"{s.end_location.lat:.6f}", f"{s.end_location.lon:.6f}",
            b.duration_min if b else 0, _fmt(b.window.start) if b else "",
            _fmt(b.window.end) if b else "", "" if s.max_visits is None else s.max_visits,
            s.role, s.base, s.gender,
        ]  # fmt: skip

    return _table(CLINICIAN_HEADER, (row(s) for s in shifts))


def write_clinicians_csv(shifts: Sequence[Shift], path: str | Path) -> None:
    write_text(path, clinicians_csv_text(shifts))


def patients_csv_text(patients: Sequence[Patient]) -> str:
    """patients.csv for ``patients``, as text: what ``write_patients_csv`` writes, and what
    ``read_patients`` reads back to the same patients."""
    return _table(
        PATIENT_HEADER,
        (
            [
                p.patient_id, f"{p.location.lat:.6f}", f"{p.location.lon:.6f}", p.address,
                p.preferred_clinician or "", p.nhs_number, p.name, p.postcode, p.access_notes,
                format_tags(p.risk_flags), format_tags(p.excluded_clinicians), p.carer_gender,
            ]
            for p in patients
        ),
    )  # fmt: skip


def write_patients_csv(patients: Sequence[Patient], path: str | Path) -> None:
    write_text(path, patients_csv_text(patients))


CAREPLAN_FIELDS = ("patient_id", "regimen", "frequency", "first_time", "tolerance_min",
                   "duration_min", "run_hours", "line", "start_date", "end_date", "priority",
                   "staff")  # fmt: skip


def _cell(x) -> str:
    if x is None:
        return ""
    if isinstance(x, time):
        return x.strftime("%H:%M")
    return str(x)


def write_careplans_csv(items: Sequence[CarePlanItem], path: str | Path) -> None:
    write_rows(path, CAREPLAN_FIELDS,
               ([_cell(getattr(i, f)) for f in CAREPLAN_FIELDS] for i in items))  # fmt: skip

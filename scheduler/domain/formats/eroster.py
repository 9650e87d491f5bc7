"""The e-roster's export: the staff on shift for weeks ahead, one row per person per duty.

A trust's e-rostering system (Allocate/RLDatix HealthRoster and the like) holds the roster
weeks ahead and exports it as one row per duty; a coordinator should not have to turn that
into a clinicians.csv every evening. ``read_eroster`` reads such an export
(``docs/formats.md``, *e-roster export*) into ``Duty`` values, each the very ``Shift``
``formats.day.read_clinicians`` would give for that clinician, on the planning day it
belongs to. ``eroster_text`` writes one (the bundled sample's, and the tests').

Why the rules are as they are:

- **Times as the roster shows them**: a date and local ``HH:MM`` start and end, Europe/London
  wall-clock time; an end at or before the start is the next morning (a night duty). Each is
  turned into a moment by ``localtime.from_local``, so a 21:00–07:30 night lasts 690 real
  minutes on the October clock-change night and 570 in March; a start or end the clocks
  skip, or repeat, is refused unless it carries its offset (``01:30+01:00``), as in every
  other file. A break window's edge is a leeway, not an appointment: a repeated time is read
  as the wider window, so a night's ``01:00`` break needs no offset on the October night.
- **Planning days** are those of the care plans (``careplan.DAY_START``: 07:00 to 07:00), so
  a duty's visits and the duty meet on the same day: a duty belongs to the planning day that
  holds its middle. That is the day it starts on for every early, long, late and night duty
  (a night's middle is after midnight but before 07:00); an early starting at 06:30 belongs
  to that morning's day too, not to the night before, which it would share half an hour with.
- **Rows that are not a working duty** (annual leave, sickness, study: a ``duty_code`` of
  ``NOT_WORKING``) are skipped and counted, not refused: an export carries them, and they put
  nobody on shift. Their dates still count in the period the export covers.
- **The period** is the first to the last date of the file: what a re-import replaces. A duty
  whose planning day falls outside it (an early-morning duty on the first date, half in the
  night before) is refused, so a re-import never touches a day the file does not cover.
- **The base** is given as ``base_lat``/``base_lon`` or as ``base_postcode``, placed offline
  from the trust's postcode file as patients are (``geocode.Gazetteer``); a postcode the file
  lacks goes to its district's centre with a warning naming the row.
- **One person, one duty a planning day**: a staff id with two names, two duties on one
  planning day or two overlapping duties is a mistake in the export (or in a staff id), so it
  is refused with the other row named, rather than a shift silently dropped.

Every problem is an ``InputIssue`` (file, row, column, why), all reported at once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from scheduler.domain import geocode
from scheduler.domain.careplan import DAY_START
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats import preferences
from scheduler.domain.formats.day import MAX_CLINICIAN_ID, checked_break, flag_far
from scheduler.domain.formats.tabular import RowReader, Source, Table, csv_text, read_table
from scheduler.domain.localtime import LocalTimeError, at_local, from_local, is_ambiguous, local
from scheduler.domain.model import (
    Location,
    Shift,
    format_skills,
    shift_problems,
)
from scheduler.domain.synth import ROLE_SKILLS

#: The columns every export must have (a leave row may leave start and end empty).
ROSTER_COLUMNS = ("staff_id", "name", "grade", "date", "start", "end")
#: The columns ``eroster_text`` writes, in order.
ROSTER_HEADER = (
    "staff_id", "name", "grade", "skills", "gender", "date", "start", "end", "break_min",
    "break_earliest", "break_latest", "base", "base_lat", "base_lon", "base_postcode",
    "duty_code",
)  # fmt: skip
#: Duty codes that put nobody on shift, compared without case, spaces or punctuation
#: (``A/L``, ``Annual leave``, ``study day``): leave, sickness, study and training, days off.
NOT_WORKING = frozenset({
    "AL", "ANNUALLEAVE", "LEAVE", "SICK", "SICKNESS", "SL", "STUDY", "STUDYLEAVE", "STUDYDAY",
    "SD", "TRAINING", "TRN", "OFF", "DAYOFF", "REST", "TOIL", "BH", "BANKHOLIDAY", "MAT",
    "MATERNITY", "PAT", "PATERNITY", "PARENTAL", "COMP", "COMPASSIONATE", "SPECIAL",
})  # fmt: skip
#: The longest name, base and duty code kept (what the web app's roster columns hold).
MAX_NAME, MAX_BASE, MAX_CODE = 200, 200, 32
#: The longest period one export may cover (a quarter): longer is the wrong file, and would
#: replace a season of stored duties at once.
MAX_DAYS = 93

#: Where each field of ``shift_problems`` is reported.
_FIELD_COLUMNS = {"end": "end", "rest_break": "break_earliest", "gender": "gender"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?")


def code_key(code: str) -> str:
    """A duty code as ``NOT_WORKING`` holds it: upper case, letters and digits only."""
    return re.sub(r"[^A-Z0-9]", "", code.upper())


def is_working(code: str) -> bool:
    """Whether a row with this duty code is a working duty (an empty code is one)."""
    return code_key(code) not in NOT_WORKING


def planning_day(start: datetime, end: datetime, day_start: time = DAY_START) -> date:
    """The planning day (``day_start`` to ``day_start``, local time) holding the duty's
    middle: the day it starts on for early, long, late and night duties."""
    middle = local(start + (end - start) / 2)
    return middle.date() - timedelta(days=1) if middle.time() < day_start else middle.date()


@dataclass(frozen=True)
class Duty:
    """One working duty of the export: the planning day it belongs to, the clinician's shift
    (as clinicians.csv would give it), its duty code as written and its row in the file."""

    day: date
    shift: Shift
    code: str = ""
    row: int | None = None


@dataclass(frozen=True)
class RosterExport:
    """What an export holds: the period it covers (``first`` to ``last``, the dates of its
    rows), its working duties, the rows skipped as not working (per duty code as written)
    and the warnings (a base placed at its postcode district's centre)."""

    file: str
    first: date
    last: date
    duties: tuple[Duty, ...]
    skipped: tuple[tuple[str, int], ...] = ()
    warnings: tuple[InputIssue, ...] = ()

    @property
    def skipped_rows(self) -> int:
        return sum(n for _, n in self.skipped)

    def days(self) -> list[date]:
        """Every planning day of the period, first to last (some may have no duty)."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def shifts_on(self, day: date) -> list[Shift]:
        return [d.shift for d in self.duties if d.day == day]


# -- reading ---------------------------------------------------------------------------------


def _date(row: RowReader, column: str) -> date | None:
    """``YYYY-MM-DD``, or ``DD/MM/YYYY`` as a UK export writes it."""
    value = row.text(column)
    if value is None:
        return None
    try:
        if _ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
        m = _UK_DATE.fullmatch(value)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        pass
    row.complain(column, f"{value!r} is not a date; write it as YYYY-MM-DD (or DD/MM/YYYY)")
    return None


@dataclass(frozen=True)
class _Clock:
    """A cell's time of day, and its offset when it was given one (``01:30+01:00``)."""

    at: time
    offset: str = ""


def _clock(row: RowReader, column: str, *, required: bool = True) -> _Clock | None:
    value = row.text(column, required=required)
    if value is None:
        return None
    m = _CLOCK.fullmatch(value)
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60 and int(m.group(3) or 0) < 60:
        return _Clock(time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)),
                      m.group(4) or "")  # fmt: skip
    row.complain(column, f"{value!r} is not a time of day; write it as HH:MM (local time)")
    return None


def _moment(row: RowReader, column: str, day: date, clock: _Clock) -> datetime | None:
    """``clock`` on ``day`` as a moment; a time the clocks skip or repeat without its offset
    is refused on ``column`` (``localtime.from_local`` says why and how to write it)."""
    naive = datetime.combine(day, clock.at)
    try:
        if clock.offset:
            return from_local(datetime.fromisoformat(naive.isoformat() + clock.offset))
        return from_local(naive)
    except (LocalTimeError, ValueError) as exc:
        row.complain(column, str(exc))
        return None


def _in_duty(row: RowReader, column: str, day: date, start: _Clock, *,
             fold: int) -> datetime | None:  # fmt: skip
    """A break time in the duty: on its date, or the next when earlier than the start.

    The break window is a leeway, not an appointment, so a time the clocks repeat without its
    offset is not refused: it is read as the wider window (``fold`` 0, the first, for the
    earliest start; 1, the second, for the latest), and one they skip lands after the change."""
    clock = _clock(row, column, required=False)
    if clock is None:
        return None
    on = day + timedelta(days=clock.at < start.at)
    if clock.offset:
        return _moment(row, column, on, clock)
    return at_local(on, clock.at.hour, clock.at.minute, fold=fold)


def _base(row: RowReader, gazetteer: geocode.Gazetteer | None,
          warnings: list[InputIssue]) -> Location | None:  # fmt: skip
    """The base: its latitude and longitude, or its postcode placed from the trust's file."""
    cells = row.cells
    postcode = cells.get("base_postcode", "")
    if cells.get("base_lat") or cells.get("base_lon"):
        return row.location("base_lat", "base_lon")
    if not postcode:
        row.complain("base_lat", "is empty: give the base's base_lat and base_lon, or its "
                                 "base_postcode")  # fmt: skip
        return None
    try:
        code = geocode.normalise(postcode)
    except geocode.PostcodeError as exc:
        row.complain("base_postcode", str(exc))
        return None
    if gazetteer is None:
        row.complain("base_postcode", f"{code}: no postcode file to place it; give base_lat "
                     "and base_lon, or a postcode file (HAH_POSTCODE_FILE for the web app)")
        return None
    return row.placed("base_postcode", code, gazetteer, warnings)


def _skills(row: RowReader) -> tuple[str, frozenset[str]]:
    """The grade as written (upper case) and the skills: the cell's, else the grade's."""
    grade = (row.text("grade", max_chars=16) or "").upper()
    skills = row.skills("skills")
    if not skills and grade:
        if grade in ROLE_SKILLS:
            skills = ROLE_SKILLS[grade]
        else:
            row.complain("grade", f"{grade!r} is not a grade whose skills are known "
                                  f"({', '.join(ROLE_SKILLS)}): give its skills")  # fmt: skip
    return grade, skills


def _shift(row: RowReader, day: date | None, gazetteer: geocode.Gazetteer | None,
           warnings: list[InputIssue]) -> Shift | None:  # fmt: skip
    """A working row's shift, or ``None`` with its problems added."""
    sid = row.text("staff_id", max_chars=MAX_CLINICIAN_ID)
    name = row.text("name", max_chars=MAX_NAME)
    grade, skills = _skills(row)
    gender = preferences.gender(row.cells.get("gender", ""))
    start_at, end_at = _clock(row, "start"), _clock(row, "end")
    start = end = None
    if day is not None and start_at is not None and end_at is not None:
        start = _moment(row, "start", day, start_at)
        end = _moment(row, "end", day + timedelta(days=end_at.at <= start_at.at), end_at)
    break_min = row.integer("break_min", required=False, default=0, minimum=0,
                            what="a whole number of minutes")  # fmt: skip
    rest = None
    if break_min and day is not None and start_at is not None and start and end and end > start:
        b_from = _in_duty(row, "break_earliest", day, start_at, fold=0) or start
        b_to = _in_duty(row, "break_latest", day, start_at, fold=1) or end
        rest = checked_break(row, break_min, start, end, b_from, b_to, "duty")
    here = _base(row, gazetteer, warnings)
    row.text("base", required=False, max_chars=MAX_BASE)
    for name_of, why in shift_problems(start, end, rest_break=rest, gender=gender):
        row.complain(_FIELD_COLUMNS[name_of], why)
    if not row.ok or not (sid and name and start and end and here):
        return None
    base = row.cells.get("base", "") or row.cells.get("base_postcode", "")
    return Shift(clinician_id=sid, name=name, skills=skills, start=start, end=end,
                 start_location=here, end_location=here, rest_break=rest, role=grade,
                 base=base, gender=gender)  # fmt: skip


def _cross_check(file: str, duties: Sequence[Duty], first: date, last: date,
                 issues: list[InputIssue]) -> None:  # fmt: skip
    """One name per staff id, one duty per person and planning day, no overlapping duties,
    every duty's planning day in the period: each problem on the later row, naming the
    earlier."""
    names: dict[str, tuple[str, int | None]] = {}
    by_staff: dict[str, list[Duty]] = {}
    for d in duties:
        s = d.shift
        known = names.setdefault(s.clinician_id, (s.name, d.row))
        if known[0] != s.name:
            issues.append(InputIssue(file, d.row, "name", f"{s.clinician_id} is {known[0]!r} on "
                                     f"row {known[1]}: one staff id is one person"))  # fmt: skip
        if not first <= d.day <= last:
            issues.append(InputIssue(file, d.row, "start", (
                f"the duty {s.label()} belongs to planning day {d.day} (planning days run "
                f"{DAY_START:%H:%M} to {DAY_START:%H:%M}), which this export, {first} to "
                f"{last}, does not cover: export that day too")))  # fmt: skip
        by_staff.setdefault(s.clinician_id, []).append(d)
    for sid, mine in by_staff.items():
        mine.sort(key=lambda d: (d.shift.start, d.row or 0))
        first_of_day: dict[date, Duty] = {}
        for d in mine:
            other = first_of_day.setdefault(d.day, d)
            if other is not d:
                issues.append(InputIssue(file, d.row, "date", (
                    f"{sid} already has a duty on planning day {d.day} (row {other.row}, "
                    f"{other.shift.label()}): one duty a planning day per person")))  # fmt: skip
        for before, after in pairwise(mine):
            if before.day != after.day and after.shift.start < before.shift.end:
                issues.append(InputIssue(file, after.row, "start", (
                    f"{sid}'s duty {after.shift.label()} starts before the duty of row "
                    f"{before.row} ({before.shift.label()}) ends")))  # fmt: skip


def read_eroster(
    source: Source,
    *,
    gazetteer: geocode.Gazetteer | None = None,
    warnings: list[InputIssue] | None = None,
) -> RosterExport:
    """The export's duties and skipped rows; raises ``InputError`` with every problem.

    ``gazetteer`` (the trust's postcode file) places bases given by ``base_postcode``; a
    postcode it lacks goes to its district's centre, and that is a warning on the row
    (``RosterExport.warnings``, and appended to ``warnings`` when given)."""
    issues: list[InputIssue] = []
    noted: list[InputIssue] = []
    table = read_table(source, ROSTER_COLUMNS, issues)
    if table is not None and not ({"base_lat", "base_lon"} <= set(table.columns)
                                  or "base_postcode" in table.columns):  # fmt: skip
        issues.append(InputIssue(table.file, 1, None,
                                 "needs columns base_lat and base_lon, or base_postcode"))
        table = None
    if table is None:
        raise InputError(issues)
    duties, dates, skipped = _rows(table, gazetteer, noted, issues)
    if not dates:
        raise InputError(issues or [InputIssue(table.file, None, None, "has no dated rows")])
    first, last = min(dates), max(dates)
    if (last - first).days + 1 > MAX_DAYS:
        issues.append(InputIssue(table.file, None, "date", (
            f"runs from {first} to {last}, {(last - first).days + 1} days; an export may cover "
            f"at most {MAX_DAYS} (a quarter): export fewer weeks")))  # fmt: skip
    _cross_check(table.file, duties, first, last, issues)
    flag_far(table, [(d.row or 0, "base_lat", d.shift.start_location) for d in duties], issues)
    if issues:
        raise InputError(issues)
    if warnings is not None:
        warnings.extend(noted)
    duties.sort(key=lambda d: (d.day, d.shift.start, d.shift.clinician_id))
    return RosterExport(table.file, first, last, tuple(duties),
                        tuple(sorted(skipped.items())), tuple(noted))  # fmt: skip


def _rows(table: Table, gazetteer: geocode.Gazetteer | None, warnings: list[InputIssue],
          issues: list[InputIssue]) -> tuple[list[Duty], list[date], Counter[str]]:  # fmt: skip
    """Each row read: the working duties, every row's date, the skipped rows per code."""
    duties: list[Duty] = []
    dates: list[date] = []
    skipped: Counter[str] = Counter()
    for rownum, cells in table.rows:
        row = RowReader(table, rownum, cells, issues)
        day = _date(row, "date")
        if day is not None:
            dates.append(day)
        code = cells.get("duty_code", "")
        if not is_working(code):
            skipped[code[:MAX_CODE]] += 1
            continue
        row.text("duty_code", required=False, max_chars=MAX_CODE)
        if not cells.get("start") and not cells.get("end"):
            row.complain("start", "is empty: a working duty needs its start and end (a row of "
                                  "leave, sickness or study needs its duty code, as AL)")  # fmt: skip
            continue
        shift = _shift(row, day, gazetteer, warnings)
        if shift is not None and day is not None:
            duties.append(Duty(planning_day(shift.start, shift.end), shift, code, rownum))
    return duties, dates, skipped


def duty_from_cells(cells: Mapping[str, str], day: date, *, file: str = "the duty",
                    gazetteer: geocode.Gazetteer | None = None,
                    warnings: list[InputIssue] | None = None) -> Duty:  # fmt: skip
    """One duty entered by hand for planning day ``day`` (a bank nurse booked today), in the
    export's columns (``date`` is ``day``'s): the very checks a row of the export gets, and
    the duty must belong to ``day``. Raises ``InputError`` (row ``None``, each column)."""
    issues: list[InputIssue] = []
    clean = {k: (v or "").strip() for k, v in cells.items()}
    table = Table(file, [*clean, "date"], [(1, clean)])
    row = RowReader(table, 1, clean, issues)
    code = clean.get("duty_code", "")
    row.text("duty_code", required=False, max_chars=MAX_CODE)
    if not is_working(code):
        row.complain("duty_code", f"{code!r} is not a working duty (leave, sickness or study "
                                  "puts nobody on shift)")  # fmt: skip
    shift = _shift(row, day, gazetteer, [] if warnings is None else warnings)
    if shift is not None:
        belongs = planning_day(shift.start, shift.end)
        if belongs != day:
            row.complain("start", f"the duty {shift.label()} belongs to planning day {belongs} "
                         f"(planning days run {DAY_START:%H:%M} to {DAY_START:%H:%M}): enter "
                         "it on that day")  # fmt: skip
    if issues or shift is None:
        raise InputError([InputIssue(i.file, None, i.column, i.message) for i in issues])
    return Duty(day, shift, code)


# -- writing ---------------------------------------------------------------------------------


def _clock_text(moment: datetime) -> str:
    """``HH:MM`` local, with the offset (``01:30+01:00``) only when that time happens twice."""
    here = local(moment)
    text = f"{here:%H:%M}"
    if is_ambiguous(here.replace(tzinfo=None)):
        offset = f"{here:%z}"
        text += f"{offset[:3]}:{offset[3:]}"
    return text


def duty_cells(shift: Shift, code: str = "") -> list[object]:
    """One working duty as ``ROSTER_HEADER``'s cells: dated by its local start, skills left
    empty when they are its grade's, the base by its place (and name)."""
    b = shift.rest_break
    default = ROLE_SKILLS.get(shift.role.upper())
    return [
        shift.clinician_id, shift.name, shift.role,
        "" if default == shift.skills else format_skills(shift.skills), shift.gender,
        f"{local(shift.start):%Y-%m-%d}", _clock_text(shift.start), _clock_text(shift.end),
        b.duration_min if b else "", _clock_text(b.window.start) if b else "",
        _clock_text(b.window.end) if b else "", shift.base,
        f"{shift.start_location.lat:.6f}", f"{shift.start_location.lon:.6f}", "", code,
    ]  # fmt: skip


def absence_cells(staff_id: str, name: str, grade: str, day: date, code: str) -> list[object]:
    """A row that puts nobody on shift (``code`` one of ``NOT_WORKING``)."""
    if is_working(code):
        raise ValueError(f"{code!r} is a working duty code; an absence needs one of NOT_WORKING")
    return [staff_id, name, grade, "", "", f"{day:%Y-%m-%d}", "", "", "", "", "", "", "", "",
            "", code]  # fmt: skip


def eroster_text(rows: Iterable[Sequence[object]]) -> str:
    """An export's text: ``ROSTER_HEADER`` and the rows (``duty_cells``, ``absence_cells``),
    formula cells neutralised as in every file written here."""
    return csv_text(ROSTER_HEADER, rows)

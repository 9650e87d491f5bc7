"""Reading CSV files as people actually save them, and parsing cells with precise complaints.

Coordinators export from the patient record system or save from Excel, so a reader must take
UTF-8 with Excel's byte-order mark, comma- or semicolon-separated files (Excel in many European
locales writes ``;`` and then also writes decimal commas: ``51,75``), and stray blank lines.
Every problem becomes an ``InputIssue`` naming file, row and column; nothing raises midway.

A file is given as a path or as a ``CsvSource``: its bytes and the name its problems are
reported under (an upload is read straight from memory, under the name it was uploaded as).
A cell longer than ``MAX_CELL_CHARS``, or holding a NUL character, is refused by file, row
and column.

Spreadsheet formulas: every CSV this project writes passes its cells through ``neutralise``
(a text cell starting with ``= + - @``, a tab or a carriage return gets a leading ``'``, as
OWASP's CSV-injection guidance says, so Excel or LibreOffice shows it as text instead of
running it), and ``read_table`` takes that quote off again (``restore``): what a writer
wrote reads back as it was. A plain number (``-0.2``) is never quoted.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import overload

from scheduler.domain.errors import InputIssue
from scheduler.domain.geocode import Gazetteer, PostcodeError
from scheduler.domain.localtime import LocalTimeError, from_local
from scheduler.domain.model import Location, location_problems

#: The longest cell a reader takes. No cell of the contract needs more than a few hundred
#: characters (an address); a longer one is a wrong file, and is refused by file, row, column.
MAX_CELL_CHARS = 10_000
# Python's csv module stops a field at 128 KiB with an exception that names no row or column;
# raised once for the process (to above any upload) so ``MAX_CELL_CHARS`` is what refuses.
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))

#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


@overload
def neutralise(value: str) -> str: ...


@overload
def neutralise(value: object) -> object: ...


def neutralise(value: object) -> object:
    """A cell as written: text a spreadsheet would take for a formula gets a leading ``'``.

    Only text: numbers (``-3``, ``"-0.202859"``) and everything else pass unchanged. A text
    cell that already starts with ``'`` before one of those characters (or another ``'``) is
    quoted too, so that ``restore`` gives back exactly what was written.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_STARTS:
        return value if _NUMBER.fullmatch(value) else "'" + value
    if value[0] == "'" and value[1:2] and value[1] in (*FORMULA_STARTS, "'"):
        return "'" + value
    return value


def neutralise_row(cells: Iterable[object]) -> list[object]:
    return [neutralise(c) for c in cells]


def restore(cell: str) -> str:
    """A cell as read: the quote ``neutralise`` added taken off (only that quote)."""
    if cell[:1] == "'" and cell[1:2] and cell[1] in (*FORMULA_STARTS, "'"):
        return cell[1:]
    return cell


def _field(value: object) -> str:
    """One cell as ``csv.writer`` writes it, except that a carriage return is quoted too
    (with ``\n`` line ends the csv module leaves a bare ``\r`` unquoted, and every reader
    then sees a line break in the middle of the cell)."""
    text = "" if value is None else str(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(cells: Iterable[object]) -> str:
    """One row of a CSV file, with its ``\n``, its cells through ``neutralise``."""
    fields = [_field(neutralise(c)) for c in cells]
    return ",".join(['""'] if fields == [""] else fields) + "\n"


def csv_text(header: Sequence[str] | None, rows: Iterable[Iterable[object]]) -> str:
    """A CSV file's text (``\n`` line ends), every cell through ``neutralise``: what every
    writer of the contract's files uses, and what ``read_table`` reads back as written."""
    head = [] if header is None else [csv_line(header)]
    return "".join(head + [csv_line(row) for row in rows])


@dataclass(frozen=True)
class CsvSource:
    """A CSV file's bytes and the name every problem in it is reported under."""

    name: str
    data: bytes = field(repr=False)

    @classmethod
    def from_path(cls, path: str | Path, name: str | None = None) -> CsvSource:
        """The file's bytes, named by its file name unless ``name`` is given; raises
        ``OSError`` as ``Path.read_bytes`` does (``read_source`` turns that into an issue)."""
        path = Path(path)
        return cls(name or path.name, path.read_bytes())

    @classmethod
    def from_text(cls, text: str, name: str) -> CsvSource:
        return cls(name, text.encode("utf-8"))


#: What every reader takes: a path (reported by its file name) or bytes with their name.
Source = str | Path | CsvSource


def read_source(source: Source, issues: list[InputIssue]) -> CsvSource | None:
    """``source`` in memory, or ``None`` with an issue naming the file it could not read."""
    if isinstance(source, CsvSource):
        return source
    name = Path(source).name
    try:
        return CsvSource.from_path(source)
    except FileNotFoundError:
        issues.append(InputIssue(name, None, None, "file not found"))
    except OSError as exc:
        issues.append(InputIssue(name, None, None, f"cannot be read ({exc.strerror})"))
    return None


@dataclass
class Table:
    """A CSV file's header and data rows, each row with its spreadsheet row number."""

    file: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    decimal_comma: bool = False


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_table(
    source: Source,
    required: Sequence[str],
    issues: list[InputIssue],
    *,
    allow_empty: bool = False,
) -> Table | None:
    """Read ``source`` into a ``Table``, adding to ``issues`` whatever makes it unusable.

    Returns ``None`` when the file cannot be read at all (missing, not text, empty, missing
    required columns); otherwise the table, whose cells may still be bad.
    """
    loaded = read_source(source, issues)
    if loaded is None:
        return None
    name = loaded.name
    try:
        text = loaded.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        issues.append(
            InputIssue(name, None, None, "is not UTF-8 text; save it as 'CSV UTF-8' and retry")
        )
        return None
    if not text.strip():
        issues.append(InputIssue(name, None, None, "the file is empty"))
        return None
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    table: Table | None = None
    for rownum, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        refused = False
        for i, c in enumerate(cells):
            if len(c) > MAX_CELL_CHARS:
                why = f"is {len(c):,} characters long; a cell holds at most {MAX_CELL_CHARS:,}"
            elif "\x00" in c:
                why = "holds a NUL character (\\0): is this a CSV file saved as text?"
            else:
                continue
            col = header[i] if header is not None and i < len(header) else None
            where = "" if col is not None else f"cell {i + 1} "
            issues.append(InputIssue(name, rownum, col, where + why))
            refused = True
        if refused:
            if header is None:
                return None
            continue
        cells = [restore(c) for c in cells]
        if header is None:
            header = [c.strip().lower() for c in cells]
            seen: set[str] = set()
            for col in header:
                if col in seen:
                    issues.append(InputIssue(name, rownum, col, "column appears twice"))
                seen.add(col)
            missing = [c for c in required if c not in header]
            for col in missing:
                issues.append(InputIssue(name, 1, col, "required column is missing"))
            if missing:
                return None
            table = Table(name, header, decimal_comma=(delimiter == ";"))
            continue
        assert table is not None
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            issues.append(
                InputIssue(
                    name, rownum, None, f"has {len(cells)} cells but the header has {len(header)}"
                )
            )
            continue
        padded = list(cells) + [""] * (len(header) - len(cells))
        table.rows.append((rownum, {h: padded[i].strip() for i, h in enumerate(header)}))
    if table is None:
        issues.append(InputIssue(name, None, None, "the file is empty"))
        return None
    if not table.rows and not allow_empty:
        issues.append(InputIssue(name, None, None, "has a header but no data rows"))
    return table


class RowReader:
    """Parses the cells of one row; each bad cell adds an issue and yields ``None``."""

    def __init__(self, table: Table, rownum: int, cells: dict[str, str], issues: list[InputIssue]):
        self.table = table
        self.rownum = rownum
        self.cells = cells
        self.issues = issues
        self.ok = True

    def complain(self, column: str | None, message: str) -> None:
        self.ok = False
        self.issues.append(InputIssue(self.table.file, self.rownum, column, message))

    def text(self, column: str, *, required: bool = True, max_chars: int | None = None) -> str | None:
        value = self.cells.get(column, "")
        if not value:
            if required:
                self.complain(column, "is empty")
            return None
        if max_chars is not None and len(value) > max_chars:
            self.complain(column, f"is {len(value)} characters long; at most {max_chars}")
            return None
        return value

    def number(self, column: str, *, required: bool = True) -> float | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        candidate = value.replace(",", ".") if self.table.decimal_comma else value
        try:
            number = float(candidate)
        except ValueError:
            self.complain(column, f"{value!r} is not a number")
            return None
        if math.isnan(number) or math.isinf(number):
            self.complain(column, f"{value!r} is not a finite number")
            return None
        return number

    def integer(
        self,
        column: str,
        *,
        required: bool = True,
        default: int | None = None,
        minimum: int | None = None,
        what: str = "a whole number",
    ) -> int | None:
        value = self.text(column, required=required)
        if value is None:
            return default
        try:
            number = float(value.replace(",", ".") if self.table.decimal_comma else value)
        except ValueError:
            self.complain(column, f"{value!r} is not {what}")
            return None
        if not number.is_integer():
            self.complain(column, f"{value!r} is not {what}")
            return None
        result = int(number)
        if minimum is not None and result < minimum:
            self.complain(column, f"{value!r} must be at least {minimum}")
            return None
        return result

    def moment(self, column: str, *, required: bool = True) -> datetime | None:
        """A contract date-time as an aware UTC moment (``scheduler.domain.localtime``).

        Without an offset it is Europe/London wall-clock time; a time the clocks skip or
        repeat on a clock-change night is refused (it must carry its offset, e.g.
        ``2026-10-25T01:30+01:00``). An offset (``+01:00``, ``Z``) is honoured. A bare date
        (which Python would read as midnight) is refused."""
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.complain(column, f"{value!r} is not a date-time; write it as YYYY-MM-DDTHH:MM")
            return None
        if len(value) <= 10:
            self.complain(column, f"{value!r} has no time of day; write it as YYYY-MM-DDTHH:MM")
            return None
        try:
            return from_local(parsed)
        except LocalTimeError as exc:
            self.complain(column, str(exc))
            return None

    def placed(self, column: str, postcode: str, gazetteer: Gazetteer,
               warnings: list[InputIssue]) -> Location | None:  # fmt: skip
        """``postcode`` (normalised) placed by the trust's postcode file: a postcode it lacks
        is refused on ``column``; one placed only roughly (its district's centre, or a
        terminated postcode's last point) is kept with a warning naming this row."""
        try:
            found = gazetteer.locate(postcode)
        except PostcodeError as exc:
            self.complain(column, str(exc))
            return None
        if found.note:
            warnings.append(InputIssue(self.table.file, self.rownum, column, found.note))
        return found.location

    def location(self, lat_col: str, lon_col: str, *, required: bool = True) -> Location | None:
        """A place; off the map (``Location``'s own rule) or 0, 0 (a missing geocode, which
        the domain would take for a point in the Atlantic) is refused on its column."""
        lat = self.number(lat_col, required=required)
        lon = self.number(lon_col, required=required)
        if lat is None or lon is None:
            return None
        problems = location_problems(lat, lon)
        for name, why in problems:
            self.complain(lat_col if name == "lat" else lon_col, why)
        if problems:
            return None
        if lat == 0 and lon == 0:
            self.complain(
                lat_col, "0, 0 is a missing geocode: the address was never turned into coordinates"
            )
            return None
        return Location(lat, lon)

    def skills(self, column: str) -> frozenset[str]:
        value = self.cells.get(column, "")
        return frozenset(s.strip().upper() for s in value.replace(",", ";").split(";") if s.strip())

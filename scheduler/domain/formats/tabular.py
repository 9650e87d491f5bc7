"""Reading CSV files as people actually save them, and parsing cells with precise complaints.

Coordinators export from the patient record system or save from Excel, so a reader must take
UTF-8 with Excel's byte-order mark, comma- or semicolon-separated files (Excel in many European
locales writes ``;`` and then also writes decimal commas: ``51,75``), and stray blank lines.
Every problem becomes an ``InputIssue`` naming file, row and column; nothing raises midway.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from scheduler.domain.errors import InputIssue


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
    path: str | Path,
    required: Sequence[str],
    issues: list[InputIssue],
    *,
    display_name: str | None = None,
    allow_empty: bool = False,
) -> Table | None:
    """Read ``path`` into a ``Table``, adding to ``issues`` whatever makes it unusable.

    Returns ``None`` when the file cannot be read at all (missing, not text, empty, missing
    required columns); otherwise the table, whose cells may still be bad.
    """
    path = Path(path)
    name = display_name or path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        issues.append(InputIssue(name, None, None, "file not found"))
        return None
    except OSError as exc:
        issues.append(InputIssue(name, None, None, f"cannot be read ({exc.strerror})"))
        return None
    try:
        text = raw.decode("utf-8-sig")
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

    def text(self, column: str, *, required: bool = True) -> str | None:
        value = self.cells.get(column, "")
        if not value:
            if required:
                self.complain(column, "is empty")
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
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.complain(column, f"{value!r} is not a date-time; write it as YYYY-MM-DDTHH:MM")
            return None
        if parsed.tzinfo is not None:
            # The contract uses local times; an offset is read as that local time.
            parsed = parsed.replace(tzinfo=None)
        return parsed

    def skills(self, column: str) -> frozenset[str]:
        value = self.cells.get(column, "")
        return frozenset(s.strip().upper() for s in value.replace(",", ";").split(";") if s.strip())

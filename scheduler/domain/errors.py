"""Input problems reported the way a coordinator can fix them: file, row, column, why.

Readers collect every problem they find (not just the first) into an ``InputError`` so that a
coordinator fixes a spreadsheet in one pass. Rows are numbered as a spreadsheet shows them:
the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputIssue:
    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class InputError(Exception):
    """Raised with every issue found; nothing should be written once this is raised."""

    def __init__(self, issues: list[InputIssue]):
        if not issues:
            raise ValueError("an InputError needs at least one issue")
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))

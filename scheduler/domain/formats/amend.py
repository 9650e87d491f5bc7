"""Small changes to a day's CSV files, as the live day makes them.

An urgent referral adds a row to visits.csv, a cancellation removes one, a changed window
rewrites two cells, a bank shift adds a row to clinicians.csv, a nurse going off sick ends
her shift early. Each is made on the file's text, keeping every other row, column and cell
exactly as it was (a formula-like cell is written quoted, ``tabular.neutralise``, and read
back without the quote), so the amended day is read by the same readers (``formats.day``) as an
imported one and the day's files always say what the day really is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from scheduler.domain.formats.tabular import csv_text, restore


class AmendError(ValueError):
    """The change names a row that is not there, or would duplicate one."""


def _rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    return header, [{k: restore(v) if isinstance(v, str) else v for k, v in r.items()}
                    for r in reader]  # fmt: skip


def _bytes(header: list[str], rows: Iterable[Mapping[str, str]]) -> bytes:
    return csv_text(header, ([row.get(k) or "" for k in header] for row in rows)).encode("utf-8")


def ids(data: bytes, key: str) -> list[str]:
    """The values of column ``key``, in file order."""
    return [r.get(key, "") for r in _rows(data)[1]]


def append_row(data: bytes, key: str, fields: Mapping[str, str]) -> bytes:
    """``data`` with one more row; a column the file lacks is added (empty elsewhere)."""
    header, rows = _rows(data)
    if fields.get(key, "") in {r.get(key, "") for r in rows}:
        raise AmendError(f"{fields.get(key)!r} is already a {key} of the day")
    header += [k for k in fields if k not in header]
    return _bytes(header, [*rows, dict(fields)])


def drop_rows(data: bytes, key: str, drop: Iterable[str]) -> bytes:
    """``data`` without the rows whose ``key`` is in ``drop`` (each must be there)."""
    header, rows = _rows(data)
    gone = set(drop)
    missing = gone - {r.get(key, "") for r in rows}
    if missing:
        raise AmendError(f"no {key} {sorted(missing)[0]!r} in the day")
    return _bytes(header, [r for r in rows if r.get(key, "") not in gone])


def update_row(data: bytes, key: str, value: str, fields: Mapping[str, str]) -> bytes:
    """``data`` with the cells ``fields`` of the row whose ``key`` is ``value`` rewritten."""
    header, rows = _rows(data)
    hit = [r for r in rows if r.get(key, "") == value]
    if not hit:
        raise AmendError(f"no {key} {value!r} in the day")
    header += [k for k in fields if k not in header]
    for r in hit:
        r.update(fields)
    return _bytes(header, rows)


def followers(data: bytes, visit_id: str) -> list[str]:
    """Visits that follow ``visit_id`` (``after_visit``), and theirs, in chain order: a
    cancelled fluids connection takes its disconnection with it."""
    rows = _rows(data)[1]
    out: list[str] = []
    frontier = [visit_id]
    while frontier:
        nxt = [r["visit_id"] for r in rows if r.get("after_visit", "") in frontier]
        nxt = [v for v in nxt if v not in out and v != visit_id]
        out += nxt
        frontier = nxt
    return out

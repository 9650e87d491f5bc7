"""Amending a day's files keeps every other row and cell, and the readers accept the result."""

from __future__ import annotations

import pytest

from scheduler.domain.formats.amend import (
    AmendError,
    append_row,
    drop_rows,
    followers,
    ids,
    update_row,
)
from scheduler.domain.formats.day import read_day
from scheduler.domain.formats.tabular import CsvSource
from tests.support.web import small_files


def _read(visits: bytes, clinicians: bytes):
    return read_day(CsvSource("visits.csv", visits), CsvSource("clinicians.csv", clinicians))


def test_an_added_visit_is_read_back_and_nothing_else_changes():
    visits, clinicians = small_files()
    before, _ = _read(visits, clinicians)
    row = {"visit_id": "URG1", "patient_id": "P9001", "lat": "51.77", "lon": "-0.3",
           "window_start": "2026-11-23T11:30", "window_end": "2026-11-23T13:30",
           "duration_min": "45", "skills": "IV", "staff": "1", "priority": "1",
           "visit_type": "Urgent referral"}  # fmt: skip
    after, _ = _read(append_row(visits, "visit_id", row), clinicians)
    assert after[:-1] == before
    assert after[-1].visit_id == "URG1" and after[-1].duration_min == 45
    with pytest.raises(AmendError, match="already"):
        append_row(visits, "visit_id", {**row, "visit_id": before[0].visit_id})


def test_a_cancelled_connection_takes_its_disconnection():
    visits, clinicians = small_files()
    vs, _ = _read(visits, clinicians)
    chained = next(v for v in vs if v.after_visit)
    assert chained.visit_id in followers(visits, chained.after_visit)
    gone = [chained.after_visit, *followers(visits, chained.after_visit)]
    left, _ = _read(drop_rows(visits, "visit_id", gone), clinicians)
    assert {v.visit_id for v in left} == {v.visit_id for v in vs} - set(gone)
    with pytest.raises(AmendError, match="no visit_id"):
        drop_rows(visits, "visit_id", ["nope"])


def test_a_changed_shift_end_is_read_back():
    visits, clinicians = small_files()
    cid = ids(clinicians, "clinician_id")[1]
    amended = update_row(clinicians, "clinician_id", cid,
                         {"shift_end": "2026-11-23T11:30", "break_min": ""})  # fmt: skip
    _, shifts = _read(visits, amended)
    shift = next(s for s in shifts if s.clinician_id == cid)
    assert f"{shift.end:%H:%M}" == "11:30" and shift.rest_break is None

"""A day larger than the service's limits is refused at import, before it is parsed, with the
file, its count and the limit named (issue 12: a 330,812-visit upload, under the 20 MB cap,
was accepted; its 5 s Generate ran 509 s and its board was 123 MB of HTML)."""

from __future__ import annotations

import io
import time

from sqlalchemy import func, select

from tests.support.web import DAY, csrf, small_files, text_of


def _post(c, visits: bytes, clinicians: bytes, **files):
    data = {"csrf_token": csrf(c), "date": DAY, "visits": (io.BytesIO(visits), "visits.csv"),
            "clinicians": (io.BytesIO(clinicians), "clinicians.csv"), **files}  # fmt: skip
    return c.post("/coordinator/import", data=data, content_type="multipart/form-data")


def _many_visits(n: int) -> bytes:
    """``n`` short visit rows (the columns a reader requires), as a generated file would be."""
    rows = [f"V{i},P{i % 900},51.9,-0.2,2026-11-23T08:00,2026-11-23T12:00,9"
            for i in range(n)]  # fmt: skip
    header = "visit_id,patient_id,lat,lon,window_start,window_end,duration_min"
    return (header + "\n" + "\n".join(rows) + "\n").encode()


def _imports(db) -> int:
    from web.models import DayImport

    return int(db.scalar(select(func.count(DayImport.id))) or 0)


def test_a_county_sized_upload_is_refused_at_once(as_role, db):
    c = as_role("coord")
    big = _many_visits(330_812)
    assert 15_000_000 < len(big) < 20 * 1024 * 1024  # under the upload cap, as reported
    _, k = small_files()
    t0 = time.monotonic()
    r = _post(c, big, k)
    took = time.monotonic() - t0
    assert r.status_code == 422
    said = text_of(r)
    assert "visits.csv 330,812 visits: a day may hold at most 5,000 (HAH_MAX_VISITS)" in said
    assert took < 10, took  # refused on a count of rows, not after parsing them
    assert _imports(db) == 0


def test_the_limits_are_settings_and_a_day_at_them_is_taken(app, as_role, db):
    v, k = small_files()  # 69 visits, 12 shifts
    c = as_role("coord")
    app.config.update(HAH_MAX_VISITS=68, HAH_MAX_SHIFTS=12)
    r = _post(c, v, k)
    assert r.status_code == 422 and "69 visits: a day may hold at most 68" in text_of(r)
    app.config.update(HAH_MAX_VISITS=69, HAH_MAX_SHIFTS=11)
    r = _post(c, v, k)
    assert r.status_code == 422
    assert "clinicians.csv 12 shifts: a day may hold at most 11 (HAH_MAX_SHIFTS)" in text_of(r)
    assert _imports(db) == 0
    app.config.update(HAH_MAX_VISITS=69, HAH_MAX_SHIFTS=12)
    assert _post(c, v, k).status_code == 302
    assert _imports(db) == 1


def test_a_quoted_line_break_does_not_count_as_a_visit(db, users):
    """The quick count is of lines; near the limit the rows are counted properly."""
    from datetime import date

    from web.services.days import DayLimits, Upload, import_day

    v, k = small_files()
    header, *rows = v.decode().splitlines()
    # an address with a line break in every row: twice as many lines as visits
    broken = [r.replace(', Stevenage', ',\nStevenage').replace(', ', ',\n', 1) if '"' in r else r
              for r in rows]  # fmt: skip
    text = "\n".join([header, *broken]) + "\n"
    assert text.count("\n") > 69
    imp = import_day(db, date.fromisoformat(DAY), Upload("visits.csv", text.encode()),
                     Upload("clinicians.csv", k), users["coord"],
                     limits=DayLimits(visits=69, shifts=12))  # fmt: skip
    assert imp.visits_count == 69

"""Importing a day: clean files are stored; any issue is shown by file, row and column and
nothing at all is stored."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from scheduler.domain.errors import InputError
from scheduler.domain.formats.day import read_day
from scheduler.domain.samples import SAMPLE_DIR
from tests.support.web import DAY, IO_DATA, csrf, small_files, text_of


def _post(c, visits: tuple[str, bytes] | None, clinicians: tuple[str, bytes] | None, day=DAY):
    data = {"csrf_token": csrf(c), "date": day}
    if visits:
        data["visits"] = (io.BytesIO(visits[1]), visits[0])
    if clinicians:
        data["clinicians"] = (io.BytesIO(clinicians[1]), clinicians[0])
    return c.post("/coordinator/import", data=data, content_type="multipart/form-data")


def _counts(db):
    from web.models import AuditLog, Day, DayImport

    return {
        "days": db.scalar(select(func.count(Day.id))),
        "imports": db.scalar(select(func.count(DayImport.id))),
        "refusals": db.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "import_refused")
        ),
    }


def test_clean_files_are_stored_and_the_board_opens(as_role, db):
    from web.models import DayImport

    c = as_role("coord")
    v, k = small_files()
    r = _post(c, ("visits.csv", v), ("clinicians.csv", k))
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/coordinator/day/{DAY}")
    imp = db.scalar(select(DayImport))
    assert (imp.visits_count, imp.clinicians_count, imp.patients_count) == (69, 12, 12)
    assert imp.visits_csv == v and imp.clinicians_csv == k  # the files exactly as uploaded
    page = c.get(r.headers["Location"])
    assert page.status_code == 200
    assert "69 visits for 12 patients" in text_of(page)
    assert "Generate" in text_of(page)
    assert "Imported 69 visits" in text_of(page)
    assert "Imported 69 visits" not in text_of(c.get("/coordinator/"))  # flashed once


def test_every_issue_is_shown_and_nothing_is_stored(as_role, db):
    bad = IO_DATA / "bad" / "visits_several.csv"
    bad_c = IO_DATA / "bad" / "clinicians_shift_reversed.csv"
    with pytest.raises(InputError) as expected:
        read_day(bad, bad_c)
    assert {i.file for i in expected.value.issues} == {bad.name, bad_c.name}  # both files
    c = as_role("coord")
    r = _post(c, (bad.name, bad.read_bytes()), (bad_c.name, bad_c.read_bytes()))
    assert r.status_code == 422
    page = text_of(r)
    assert "nothing was stored" in page
    assert len(expected.value.issues) >= 4
    for issue in expected.value.issues:  # the same issues the CLI reports, each on the page
        assert issue.message in r.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')
        assert f"{issue.file} {issue.row if issue.row is not None else ''}" in page
    assert _counts(db) == {"days": 0, "imports": 0, "refusals": 1}


@pytest.mark.parametrize(
    "bad_name",
    ["clinicians_missing_column.csv", "clinicians_shift_reversed.csv", "clinicians_empty.csv"],
)
def test_a_bad_clinicians_file_is_refused(as_role, db, bad_name):
    bad = IO_DATA / "bad" / bad_name
    c = as_role("coord")
    v, _ = small_files()
    r = _post(c, ("visits.csv", v), (bad_name, bad.read_bytes()))
    assert r.status_code == 422
    assert bad_name in text_of(r)
    assert _counts(db)["imports"] == 0


def test_missing_files_and_date_are_named(as_role, db):
    c = as_role("coord")
    r = _post(c, None, None, day="")
    assert r.status_code == 400
    page = text_of(r)
    assert "Choose the date" in page and "visits file" in page and "clinicians file" in page
    assert _counts(db)["imports"] == 0


def test_a_day_whose_shifts_start_on_another_date_is_refused(as_role, db):
    c = as_role("coord")
    v, k = small_files()
    r = _post(c, ("visits.csv", v), ("clinicians.csv", k), day="2026-11-24")
    assert r.status_code == 422
    assert "no shift starts on 2026-11-24" in text_of(r)
    assert _counts(db)["imports"] == 0


def test_a_reimport_adds_a_new_import_to_the_same_day(as_role, db):
    c = as_role("coord")
    v, k = small_files()
    _post(c, ("visits.csv", v), ("clinicians.csv", k))
    _post(c, ("visits.csv", v), ("clinicians.csv", k))
    assert _counts(db)["days"] == 1 and _counts(db)["imports"] == 2


def test_the_import_is_audited(as_role, db):
    from web.models import AuditLog

    c = as_role("coord")
    v, k = small_files()
    _post(c, ("visits.csv", v), ("clinicians.csv", k))
    entry = db.scalar(select(AuditLog).where(AuditLog.action == "import"))
    assert entry.username == "coord" and "69 visits" in entry.detail


SAMPLE = SAMPLE_DIR


def _post_plans(c, patients: bytes, careplans: bytes, clinicians: bytes, day=DAY):
    data = {"csrf_token": csrf(c), "date": day,
            "patients": (io.BytesIO(patients), "patients.csv"),
            "careplans": (io.BytesIO(careplans), "careplans.csv"),
            "clinicians": (io.BytesIO(clinicians), "clinicians.csv")}  # fmt: skip
    return c.post("/coordinator/import", data=data, content_type="multipart/form-data")


def test_a_day_can_be_imported_from_care_plans_and_the_date(as_role, db):
    """patients.csv + careplans.csv + the date give the same visits as `hah visits`."""
    from scheduler.domain.careplan import expand, read_careplans, read_patients
    from web.models import DayImport

    c = as_role("coord")
    files = [(SAMPLE / n).read_bytes() for n in ("patients.csv", "careplans.csv",
                                                  "clinicians.csv")]  # fmt: skip
    r = _post_plans(c, *files)
    assert r.status_code == 302, text_of(r)
    imp = db.scalar(select(DayImport))
    patients = read_patients(SAMPLE / "patients.csv")
    from datetime import date

    expected = expand(patients, read_careplans(SAMPLE / "careplans.csv"), date.fromisoformat(DAY))
    assert imp.visits_count == len(expected) == 1070
    assert imp.visits_name == "visits_from_careplans.csv"


def test_bad_care_plans_are_refused_by_file_row_and_column(as_role, db):
    c = as_role("coord")
    patients = (SAMPLE / "patients.csv").read_bytes()
    careplans = (SAMPLE / "careplans.csv").read_bytes().replace(b"q8h", b"q7h", 1)
    r = _post_plans(c, patients, careplans, (SAMPLE / "clinicians.csv").read_bytes())
    assert r.status_code == 422
    page = text_of(r)
    assert "careplans.csv 2 frequency" in page and "q7h" in page  # file, row, column
    assert _counts(db)["imports"] == 0
    r = c.post("/coordinator/import", data={"csrf_token": csrf(c), "date": DAY,
               "patients": (io.BytesIO(patients), "patients.csv"),
               "clinicians": (io.BytesIO(b"x"), "clinicians.csv")},
               content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 400 and "both patients.csv and careplans.csv" in text_of(r)

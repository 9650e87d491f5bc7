"""Patients admitted by postcode are placed from the trust's postcode file (HAH_POSTCODE_FILE),
offline, on the page, the API and the bulk import; a district-centre fallback is shown."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest

from tests.support.web import DAY, csrf, text_of
from web.models import Patient

D1 = date.fromisoformat(DAY) + timedelta(days=1)


def admit(c, **fields):
    body = {"patient_id": "P9001", "admitted_on": f"{D1}", "items": [
        {"regimen": "obs", "frequency": "2"}]} | fields  # fmt: skip
    return c.post("/api/patients", json=body, headers={"X-CSRF-Token": csrf(c)})


def stored(db, pid="P9001") -> Patient:
    db.expire_all()
    return db.query(Patient).filter_by(patient_id=pid).one()


def test_the_api_places_a_patient_from_her_postcode(as_role, db, postcode_file):
    r = admit(as_role("coord"), postcode="al1 3hd")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["warnings"] == []
    row = stored(db)
    assert (row.lat, row.lon, row.postcode) == (51.752, -0.336, "AL1 3HD")


def test_a_postcode_the_file_lacks_goes_to_its_district_centre_and_says_so(
    as_role, db, postcode_file
):
    r = admit(as_role("coord"), postcode="AL1 9QQ")
    assert r.status_code == 201, r.get_json()
    [warning] = r.get_json()["warnings"]
    assert "AL1 9QQ is not in ONSPD_AL.csv" in warning and "district AL1" in warning
    assert stored(db).lat == pytest.approx(51.753)


def test_without_a_postcode_file_a_postcode_alone_is_refused_naming_what_to_give(as_role, db):
    r = admit(as_role("coord"), postcode="AL1 3HD")
    assert r.status_code == 422
    [problem] = r.get_json()["problems"]
    assert problem["field"] == "lat" and "HAH_POSTCODE_FILE" in problem["why"]


def test_an_unknown_district_is_refused_on_the_postcode(as_role, db, postcode_file):
    r = admit(as_role("coord"), postcode="HP1 1AA")
    assert r.status_code == 422
    assert r.get_json()["problems"][0]["field"] == "postcode"


def test_the_admit_form_flashes_a_district_fallback(as_role, db, postcode_file):
    c = as_role("coord")
    r = c.post("/coordinator/caseload/admit", data={
        "csrf_token": csrf(c), "patient_id": "P9001", "postcode": "AL1 7AA",
        "admitted_on": f"{D1}", "items-0-regimen": "obs", "items-0-frequency": "2"},
        follow_redirects=True)  # fmt: skip
    assert r.status_code == 200
    assert "Postcode: AL1 7AA is not in ONSPD_AL.csv" in text_of(r)


def test_the_bulk_import_places_rows_by_postcode_and_warns_by_row(as_role, db, postcode_file):
    c = as_role("coord")
    r = c.post("/coordinator/caseload/import", content_type="multipart/form-data", data={
        "csrf_token": csrf(c), "on": f"{D1}",
        "patients": (io.BytesIO(b"patient_id,postcode\nP1,AL1 3JB\nP2,AL1 8ZZ\n"), "p.csv"),
        "careplans": (io.BytesIO(b"patient_id,regimen,frequency\nP1,obs,1\nP2,obs,1\n"), "c.csv"),
    }, follow_redirects=True)  # fmt: skip
    assert r.status_code == 200
    said = text_of(r)
    assert "Admitted 2 patients" in said and "p.csv, row 3, column postcode" in said
    assert (stored(db, "P1").lat, stored(db, "P2").lat) == (51.754, pytest.approx(51.753))


def test_the_admit_form_lets_a_browser_send_a_postcode_without_coordinates(as_role):
    page = as_role("coord").get("/coordinator/caseload/admit").get_data(as_text=True)
    for name in ("lat", "lon"):
        tag = re.search(rf'<input name="{name}"[^>]*>', page)
        assert tag is not None and "required" not in tag.group(0), tag

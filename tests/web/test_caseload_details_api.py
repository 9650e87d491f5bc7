"""``PATCH /api/patients/{pid}``: a patient's details changed through the API, the fields sent and
no others, every refusal a 4xx JSON naming the field, and the change carried to tomorrow's
plan, solved by a real job and re-checked from scratch by the independent checker."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from tests.support.web import (
    DATA,
    DAY,
    assert_checker_clean,
    csrf,
    shifted,
    wait_done,
    with_genders,
)
from web.models import AuditLog, Patient, utcnow
from web.services.caseload_details import EDITABLE

D1 = date.fromisoformat(DAY) + timedelta(days=1)
ADA = {"patient_id": "P9001", "nhs_number": "9990000018", "name": "Ada Test",
       "lat": 51.75, "lon": -0.33, "postcode": "AL1 3HD", "carer_gender": "F",
       "risk_flags": ["no_lone_after_dark"], "access_notes": "key safe 1234",
       "address": "1 Synthetic Row, St Albans", "admitted_on": f"{D1}",
       "items": [{"regimen": "iv_antibiotic", "frequency": "q8h", "first_time": "06:00"}]}  # fmt: skip
URL = "/api/patients/P9001"


def patch(c, body, url: str = URL, **kw):
    return c.patch(url, json=body, headers={"X-CSRF-Token": csrf(c)}, **kw)


@pytest.fixture
def coord(as_role, db):
    c = as_role("coord")
    r = c.post("/api/patients", json=ADA, headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 201, r.get_json()
    return c


def changes_logged(db) -> list[str]:
    db.expire_all()
    return [a.detail for a in db.scalars(select(AuditLog).where(
        AuditLog.action == "caseload_details_change").order_by(AuditLog.id))]  # fmt: skip


def test_the_fields_sent_change_and_the_rest_are_kept(coord, db):
    r = patch(coord, {"access_notes": "Dog in the kitchen", "excluded_clinicians": ["C004"],
                      "carer_gender": "M", "preferred_clinician": None})
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert got["changed"] == ["access_notes", "excluded_clinicians", "carer_gender"]
    assert (got["access_notes"], got["excluded_clinicians"], got["carer_gender"]) == (
        "Dog in the kitchen", ["C004"], "M")
    assert (got["name"], got["postcode"], got["lat"], got["risk_flags"]) == (
        "Ada Test", "AL1 3HD", 51.75, ["no_lone_after_dark"])  # not sent: kept
    assert got["warnings"] == [] and got["already_planned"] == []
    assert coord.get(URL).get_json()["carer_gender"] == "M"
    again = patch(coord, {"carer_gender": "M"})
    assert again.status_code == 200 and again.get_json()["changed"] == []
    assert changes_logged(db) == [
        "P9001: details changed: access_notes, excluded_clinicians, carer_gender"]


def test_refusals_are_4xx_json_naming_the_field(coord, db):
    cases = [
        ({"nhs_number": "9434765918"}, 422, "nhs_number"),
        ({"lat": 0, "lon": 0}, 422, "lat"),
        ({"lat": "north"}, 422, "lat"),
        ({"carer_gender": "X"}, 422, "carer_gender"),
        ({"risk_flags": ["Dog!"]}, 422, "risk_flags"),
        ({"preferred_clinician": "C004", "excluded_clinicians": "C004"}, 422, "preferred_clinician"),
        ({"name": "n" * 201}, 422, "name"),
        ({"colour": "red"}, 422, "colour"),
        ({"patient_id": "P2"}, 422, "patient_id"),
        ({"postcode": "AL1 3JB"}, 422, "lat"),  # no postcode file: give lat and lon
        ({}, 422, ""),
    ]
    for body, status, field in cases:
        r = patch(coord, body)
        assert r.status_code == status, (body, r.get_json())
        assert field in [p["field"] for p in r.get_json()["problems"]], (body, r.get_json())
        assert r.get_json()["error"]
    other = dict(ADA, patient_id="P9002", nhs_number="9990000026")
    assert coord.post("/api/patients", json=other,
                      headers={"X-CSRF-Token": csrf(coord)}).status_code == 201  # fmt: skip
    clash = patch(coord, {"nhs_number": "999 000 0026"})
    assert clash.status_code == 409 and clash.get_json()["problems"] == [
        {"field": "nhs_number", "why": "is already the NHS number of patient P9002"}]
    missing = patch(coord, {"name": "x"}, "/api/patients/P0000")
    assert missing.status_code == 404 and missing.get_json()["error"] == (
        "no patient P0000 on the caseload")
    for body in ('"name"', "[]", "{"):
        r = coord.patch(URL, data=body, content_type="application/json",
                        headers={"X-CSRF-Token": csrf(coord)})  # fmt: skip
        assert r.status_code == 400 and r.is_json, body
    assert coord.patch(URL, json={"name": "Eve"}).status_code == 400  # no CSRF header
    db.expire_all()
    row = db.scalar(select(Patient).where(Patient.patient_id == "P9001"))
    assert (row.name, row.nhs_number, row.lat, row.carer_gender) == ("Ada Test", "9990000018",
                                                                     51.75, "F")  # fmt: skip
    assert changes_logged(db) == []


WEIRD = [[], {}, [1, [2]], {"a": {"b": 1}}, 2**70, 10**400, 1e308, -1, 0.5, True, False, None,
         "", " ", "x" * 5000, "9" * 5000, "NaN", "-inf", "１２", "<script>"]  # fmt: skip


def test_odd_values_of_every_field_never_break_the_server(coord, db):
    wrong = []
    for field in EDITABLE:
        for value in WEIRD:
            r = patch(coord, {field: value})
            if r.status_code not in (200, 409, 422) or not r.is_json:
                wrong.append(f"{field}={str(value)[:20]!r}: {r.status_code}")
            if r.status_code == 200 and r.get_json()["changed"]:
                patch(coord, {k: ADA.get(k, "") for k in EDITABLE})  # back as admitted
    assert not wrong, wrong


def test_only_coordinators_may_change_details_and_not_once_purged(coord, as_role, db):
    for who in ("nurse", "ops"):
        assert patch(as_role(who), {"name": "Eve"}).status_code == 403
    assert patch(as_role("admin"), {"name": "Ada Q. Test"}).status_code == 200
    post = coord.post(f"{URL}/discharge", json={"discharged_on": f"{D1}"},
                      headers={"X-CSRF-Token": csrf(coord)})  # fmt: skip
    assert post.status_code == 200
    db.execute(update(Patient).values(name="", nhs_number=None, address="", purged_at=utcnow()))
    db.commit()
    r = patch(coord, {"address": "1 Synthetic Row"})
    assert r.status_code == 409 and r.get_json()["problems"][0]["field"] == "patient_id"
    assert "purged" in r.get_json()["error"]


def test_a_new_postcode_is_placed_from_the_postcode_file(coord, db, postcode_file):
    r = patch(coord, {"postcode": "al1 3jb"})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["lat"], r.get_json()["lon"], r.get_json()["postcode"]) == (
        51.754, -0.334, "AL1 3JB")
    r = patch(coord, {"postcode": "AL1 9QQ"})
    [warning] = r.get_json()["warnings"]
    assert "district AL1" in warning and r.get_json()["lat"] == pytest.approx(51.753)
    r = patch(coord, {"postcode": "AL1 3HD", "lat": 51.7512, "lon": -0.3321})  # a door's place
    assert (r.get_json()["lat"], r.get_json()["lon"]) == (51.7512, -0.3321)


def test_the_change_reaches_tomorrows_plan_and_its_checked_rota(coord, db):
    """Tomorrow planned, then her carer's gender, risk flags, excluded clinicians and place
    changed: the answer names tomorrow as planned with the old details; planned again, the
    job's rota passes the checker and gives her male nurses only, never the excluded one."""
    staff = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1))
    plan = {"clinicians_csv": staff, "clinicians_name": "eroster.csv"}
    h = {"X-CSRF-Token": csrf(coord)}
    assert coord.post(f"/api/days/{D1}/plan-from-caseload", json=plan, headers=h).status_code == 201
    r = patch(coord, {"carer_gender": "M", "risk_flags": [], "excluded_clinicians": ["C008"],
                      "lat": 51.80, "lon": -0.20, "address": "2 Synthetic Close, Welwyn"})
    assert r.status_code == 200 and r.get_json()["already_planned"] == [f"{D1}"]
    assert coord.post(f"/api/days/{D1}/plan-from-caseload", json=plan, headers=h).status_code == 201
    job = coord.post(f"/api/days/{D1}/jobs", json={"time_limit_s": 3}, headers=h)
    assert job.status_code == 202, job.get_json()
    done = wait_done(coord, job.get_json()["id"])
    assert done["state"] == "done", done
    version, _ = assert_checker_clean(db, done["rota_version_id"])
    assert version.kpis["visits_assigned"] == 3
    [day] = coord.get(URL).get_json()["planned"]
    who = [c.split()[0] for v in day["visits"] for c in v["clinicians"]]
    assert len(who) == 3  # single-handed now: no longer not-alone-after-dark
    assert set(who) <= {"C002", "C004", "C006", "C010"}  # the male nurses, less C008

"""The caseload's JSON API: admit, read, change the plan, discharge, plan a day, and every
refusal a 4xx naming the field and why. The planned day is solved by a real job and its rota
re-checked from scratch by the independent checker."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import func, select

from tests.support.web import (
    DATA,
    DAY,
    assert_checker_clean,
    csrf,
    shifted,
    wait_done,
    with_genders,
)
from tests.support.web import post_json as post
from web.models import AuditLog, Patient, PlanItem

D0 = date.fromisoformat(DAY)
D1, D2 = D0 + timedelta(days=1), D0 + timedelta(days=2)
ADA = {"patient_id": "P9001", "nhs_number": "9990000018", "name": "Ada Test",
       "lat": 51.75, "lon": -0.33, "postcode": "AL1 3HD", "carer_gender": "F",
       "risk_flags": ["no_lone_after_dark"], "excluded_clinicians": ["C004"],
       "access_notes": "key safe 1234", "admitted_on": f"{D1}",
       "items": [{"regimen": "iv_antibiotic", "frequency": "q8h", "first_time": "06:00"}]}  # fmt: skip


def test_a_stay_through_the_api_from_admission_to_a_checked_rota(as_role, db, published):
    c = as_role("coord")
    r = post(c, "/api/patients", ADA)
    assert r.status_code == 201, r.get_json()
    assert r.headers["Location"].endswith("/api/patients/P9001")
    record = r.get_json()
    assert record["carer_gender"] == "F" and record["excluded_clinicians"] == ["C004"]
    [item] = record["stays"][0]["items"]
    assert (item["summary"], item["start_date"], item["active"]) == (
        "iv_antibiotic q8h 06:00", f"{D1}", False)  # today is the 23rd: it starts tomorrow
    listing = c.get(f"/api/patients?on={D1}").get_json()
    assert listing["patients"][0]["regimens"] == ["iv_antibiotic q8h 06:00"]

    staff = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1))
    r = post(c, f"/api/days/{D1}/plan-from-caseload", {"clinicians_csv": staff,
                                                        "clinicians_name": "eroster.csv"})
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["visits"], r.get_json()["shifts"]) == (3, 12)
    job = post(c, f"/api/days/{D1}/jobs", {"time_limit_s": 3})
    assert job.status_code == 202
    done = wait_done(c, job.get_json()["id"])
    assert done["state"] == "done", done
    version, _ = assert_checker_clean(db, done["rota_version_id"])
    assert version.kpis["visits_assigned"] == 3
    planned = c.get("/api/patients/P9001").get_json()["planned"]
    assert [d["date"] for d in planned] == [f"{D1}"]
    assert [v["window_start"][11:16] for v in planned[0]["visits"]] == ["13:30", "21:30", "05:30"]
    # she asked for a female nurse and must not be seen alone after dark: the 22:00 and 06:00
    # doses (after dusk, before dawn in November) are double-handed, by two women; 14:00 by one
    assert [len(v["clinicians"]) for v in planned[0]["visits"]] == [1, 2, 2]
    female = {"C001", "C003", "C005", "C007", "C009", "C011", "C012"}  # with_genders' default
    assert all({c.split()[0] for c in v["clinicians"]} <= female for v in planned[0]["visits"])

    r = post(c, "/api/patients/P9001/careplan", {"action": "change", "item_id": item["id"],
                                                 "from_date": f"{D2}",
                                                 "changes": {"frequency": "q12h"}})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    new = r.get_json()["item"]
    assert (new["frequency"], new["first_time"], new["replaces_id"]) == ("q12h", "18:00", item["id"])
    old = r.get_json()["patient"]["stays"][0]["items"][0]
    assert (old["end_date"], old["replaced_by"], old["end_reason"]) == (f"{D1}", new["id"], "changed")
    r = post(c, "/api/patients/P9001/careplan", {"action": "stop", "item_id": new["id"],
                                                 "last_day": f"{D2}"})  # fmt: skip
    assert r.status_code == 200 and r.get_json()["item"]["end_date"] == f"{D2}"
    r = post(c, "/api/patients/P9001/discharge", {"discharged_on": f"{D2}", "note": "home"})
    assert r.status_code == 200 and r.get_json()["on_caseload"] is False

    db.expire_all()
    log = [(a.action, a.detail) for a in db.scalars(select(AuditLog).order_by(AuditLog.id))]
    actions = [a for a, _ in log]
    for wanted in ("caseload_admit", "caseload_plan_day", "caseload_plan_change",
                   "caseload_plan_stop", "caseload_discharge"):  # fmt: skip
        assert wanted in actions
    assert ("read", "caseload_api.patient pid=P9001") in log
    assert not any("Ada" in d or "9990000018" in d for _, d in log)


def test_refusals_name_the_field_and_why(as_role, db):
    c = as_role("coord")
    bad = ADA | {"nhs_number": "9434765918", "lat": 0, "lon": 0, "carer_gender": "X",
                 "items": [{"regimen": "iv_antibiotic", "frequency": "q9h"}]}  # fmt: skip
    r = post(c, "/api/patients", bad)
    assert r.status_code == 422
    fields = [p["field"] for p in r.get_json()["problems"]]
    assert fields == ["lat", "nhs_number", "carer_gender", "items[0].frequency",
                      "items[0].first_time"]  # fmt: skip
    assert post(c, "/api/patients", ADA | {"items": "obs"}).get_json()["problems"] == [
        {"field": "items", "why": "is not a list of plan items"}]
    assert db.scalar(select(func.count(Patient.id))) == 0
    assert post(c, "/api/patients", ADA).status_code == 201
    again = post(c, "/api/patients", ADA)
    assert again.status_code == 409 and again.get_json()["problems"][0]["field"] == "patient_id"
    item_id = db.scalar(select(PlanItem.id))
    cases = [
        ({"action": "rename"}, 422, "action"),
        ({"action": "stop", "item_id": "1", "last_day": f"{D1}"}, 422, "item_id"),
        ({"action": "change", "item_id": item_id, "from_date": "24/11/2026"}, 422, "from_date"),
        ({"action": "change", "item_id": item_id, "from_date": f"{D2}",
          "changes": {"first_time": "25:00"}}, 422, "first_time"),
        ({"action": "add", "item": {"regimen": "obs", "frequency": "7"}}, 422, "item.frequency"),
        ({"action": "stop", "item_id": 999999, "last_day": f"{D1}"}, 404, "item_id"),
    ]
    for body, status, field in cases:
        r = post(c, "/api/patients/P9001/careplan", body)
        assert r.status_code == status, (body, r.get_json())
        assert field in [p["field"] for p in r.get_json()["problems"]], (body, r.get_json())
    assert db.scalar(select(func.count(PlanItem.id))) == 1
    assert c.get("/api/patients/P0000").status_code == 404
    assert post(c, "/api/patients/P0000/discharge", {}).get_json()["error"] == (
        "no patient P0000 on the caseload")
    r = post(c, "/api/patients/P9001/discharge", {"discharged_on": f"{D0}"})
    assert r.status_code == 422 and "before the admission" in r.get_json()["error"]
    r = c.post("/api/patients", json=ADA | {"patient_id": "P2"})  # no CSRF header
    assert r.status_code == 400 and db.scalar(select(func.count(Patient.id))) == 1


def test_plan_from_caseload_takes_a_file_and_names_the_problems_of_a_bad_one(as_role, db):
    c = as_role("coord")
    post(c, "/api/patients", ADA)
    r = post(c, f"/api/days/{D1}/plan-from-caseload", {})
    assert r.status_code == 422 and r.get_json()["problems"][0]["field"] == "clinicians"
    broken = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1)).replace("2026-11-24T07:00", "soon", 1)
    r = post(c, f"/api/days/{D1}/plan-from-caseload", {"clinicians_csv": broken})
    assert r.status_code == 422
    assert r.get_json()["issues"][0] == {
        "file": "clinicians.csv", "row": 2, "column": "shift_start",
        "message": "'soon' is not a date-time; write it as YYYY-MM-DDTHH:MM"}
    staff = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1)).encode()
    r = c.post(f"/api/days/{D1}/plan-from-caseload", headers={"X-CSRF-Token": csrf(c)},
               content_type="multipart/form-data",
               data={"clinicians": (io.BytesIO(staff), "roster.csv")})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["visits_name"] == f"caseload-{D1}.csv"
    assert c.get(f"/api/days/{D1}").get_json()["visits"] == 3

"""The roster's JSON API: the e-roster's export uploaded (JSON or multipart), a day's duties
listed with their local times, a duty added and removed, every refusal a 4xx JSON naming the
file, row and column (or the field) and why, coordinators only; and a day planned from the
caseload with the stored roster, solved by a real job and re-checked by the checker."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import func, select

from tests.support.web import (
    DATA,
    DAY,
    assert_checker_clean,
    csrf,
    eroster_of,
    shifted,
    wait_done,
    with_genders,
)
from tests.support.web import (
    post_json as post,
)
from web.models import AuditLog, RosterDuty

D0 = date.fromisoformat(DAY)
D1, D2 = D0 + timedelta(days=1), D0 + timedelta(days=2)
BANK = {"staff_id": "B900", "name": "Bea Bank", "grade": "RN5", "gender": "F", "start": "10:00",
        "end": "18:00", "break_min": 30, "base": "St Albans", "base_lat": 51.751,
        "base_lon": -0.33, "duty_code": "BANK", "note": "booked at 09:40"}  # fmt: skip


def d1_roster() -> str:
    return eroster_of(with_genders(shifted((DATA / "clinicians.csv").read_text(), 1)))


def test_an_export_uploaded_as_json_or_a_file_and_a_days_duties_listed(as_role, db):
    c = as_role("coord")
    r = post(c, "/api/roster", {"roster_csv": d1_roster(), "roster_name": "week 48.csv"})
    assert r.status_code == 201, r.get_json()
    got = r.get_json()
    assert {k: got[k] for k in ("file", "first", "last", "duties", "skipped_rows", "skipped",
                                "replaced", "replaced_entered", "days", "warnings")} == {
        "file": "week_48.csv", "first": f"{D1}", "last": f"{D1}", "duties": 12,
        "skipped_rows": 0, "skipped": {}, "replaced": 0, "replaced_entered": 0,
        "days": {f"{D1}": 12}, "warnings": []}  # fmt: skip
    listing = c.get(f"/api/days/{D1}/roster").get_json()
    assert listing["date"] == f"{D1}" and listing["count"] == 12
    night = next(d for d in listing["duties"] if d["staff_id"] == "C010")
    assert night == {
        "day": f"{D1}", "staff_id": "C010", "name": "Chloe Young", "grade": "RN5",
        "skills": ["IV", "OBS", "PHLEB", "RN"], "gender": "M",
        "start": "2026-11-24T21:00:00+00:00", "end": "2026-11-25T07:30:00+00:00",
        "label": "21:00–07:30", "break_min": 60, "break_earliest": "2026-11-25T01:00:00+00:00",
        "break_latest": "2026-11-25T04:00:00+00:00", "base": "Stevenage", "base_lat": 51.9,
        "base_lon": -0.205, "duty_code": "", "source": "import", "note": "",
        "import_id": got["import_id"]}  # fmt: skip
    with_sick = d1_roster() + f"C099,Sam Sick,HCA,,,{D1},,,,,,,,,,SICK\n"
    r = c.post("/api/roster", headers={"X-CSRF-Token": csrf(c)}, content_type="multipart/form-data",
               data={"roster": (io.BytesIO(with_sick.encode()), "eroster.csv")})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["replaced"], r.get_json()["skipped"]) == (12, {"SICK": 1})
    assert c.get(f"/api/days/{D2}/roster").get_json() == {"date": f"{D2}", "count": 0, "duties": []}


def test_the_clock_change_night_through_the_api(as_role):
    c = as_role("coord")
    text = ("staff_id,name,grade,date,start,end,base_lat,base_lon\n"
            "S1,Al,RN5,2026-10-24,21:00,07:30,51.75,-0.33\n"
            "S2,Bo,RN5,2026-03-28,21:00,07:30,51.75,-0.33\n")  # fmt: skip
    r = post(c, "/api/roster", {"roster_csv": text})
    assert r.status_code == 422  # 24 October to 28 March: more than a quarter
    assert r.get_json()["issues"][0]["column"] == "date"
    for line, day, start, end in [
        (text.splitlines()[1], "2026-10-24", "2026-10-24T21:00:00+01:00", "2026-10-25T07:30:00+00:00"),
        (text.splitlines()[2], "2026-03-28", "2026-03-28T21:00:00+00:00", "2026-03-29T07:30:00+01:00"),
    ]:  # fmt: skip
        assert post(c, "/api/roster", {"roster_csv": text.splitlines()[0] + "\n" + line}).status_code == 201
        [duty] = c.get(f"/api/days/{day}/roster").get_json()["duties"]
        assert (duty["start"], duty["end"]) == (start, end)


def test_refusals_are_json_naming_the_file_row_column_or_field(as_role, db):
    c = as_role("coord")
    r = post(c, "/api/roster", {})
    assert r.status_code == 422 and r.get_json()["problems"] == [
        {"field": "roster", "why": "send the e-roster's export: a file 'roster' or roster_csv in a JSON body"}]
    broken = d1_roster().replace(",07:00,", ",soon,", 1)
    r = post(c, "/api/roster", {"roster_csv": broken})
    assert r.status_code == 422
    assert r.get_json()["issues"] == [{"file": "eroster.csv", "row": 2, "column": "start",
                                       "message": "'soon' is not a time of day; write it as HH:MM (local time)"}]  # fmt: skip
    assert db.scalar(select(func.count(RosterDuty.id))) == 0
    r = c.post("/api/roster", json={"roster_csv": d1_roster()})  # no CSRF header
    assert r.status_code == 400 and db.scalar(select(func.count(RosterDuty.id))) == 0
    r = post(c, f"/api/days/{D1}/roster", BANK | {"start": "soon", "grade": "RN9", "skills": ""})
    assert r.status_code == 422
    assert [p["field"] for p in r.get_json()["problems"]] == ["grade", "start"]
    r = post(c, f"/api/days/{D1}/roster", BANK | {"base_lat": [1, 2], "break_min": True})
    assert r.status_code == 422 and {p["field"] for p in r.get_json()["problems"]} == {"base_lat", "break_min"}
    r = post(c, f"/api/days/{D1}/roster/remove", {"staff_id": "NOBODY"})
    assert r.status_code == 404 and r.get_json()["problems"][0]["field"] == "staff_id"
    assert c.get("/api/days/2026-13-01/roster").status_code == 404


def test_a_duty_added_and_removed_through_the_api(as_role, db):
    c = as_role("coord")
    post(c, "/api/roster", {"roster_csv": d1_roster()})
    r = post(c, f"/api/days/{D1}/roster", BANK)
    assert r.status_code == 201, r.get_json()
    duty = r.get_json()["duty"]
    assert (duty["staff_id"], duty["label"], duty["source"], duty["note"], duty["skills"]) == (
        "B900", "10:00–18:00", "entered", "booked at 09:40", ["IV", "OBS", "PHLEB", "RN"])
    assert r.headers["Location"].endswith(f"/api/days/{D1}/roster")
    again = post(c, f"/api/days/{D1}/roster", BANK)
    assert again.status_code == 409
    assert c.get(f"/api/days/{D1}/roster").get_json()["count"] == 13
    r = post(c, f"/api/days/{D1}/roster/remove", {"staff_id": "C004"})
    assert r.status_code == 200 and r.get_json()["removed"]["staff_id"] == "C004"
    assert c.get(f"/api/days/{D1}/roster").get_json()["count"] == 12
    db.expire_all()
    actions = [a.action for a in db.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("roster_import") == 1 and "roster_add" in actions and "roster_remove" in actions


def test_a_day_planned_from_the_caseload_with_the_stored_roster_through_the_api(as_role, db,
                                                                               published):  # fmt: skip
    c = as_role("coord")
    ada = {"patient_id": "P9001", "lat": 51.75, "lon": -0.33, "carer_gender": "F",
           "admitted_on": f"{D1}",
           "items": [{"regimen": "iv_antibiotic", "frequency": "q8h", "first_time": "06:00"}]}  # fmt: skip
    assert post(c, "/api/patients", ada).status_code == 201
    r = post(c, f"/api/days/{D1}/plan-from-caseload", {})
    assert r.status_code == 422
    [problem] = r.get_json()["problems"]
    assert problem["field"] == "clinicians" and f"nobody is on shift on {D1}" in problem["why"]
    post(c, "/api/roster", {"roster_csv": d1_roster()})
    post(c, f"/api/days/{D1}/roster", BANK)
    r = post(c, f"/api/days/{D1}/plan-from-caseload", {})
    assert r.status_code == 201, r.get_json()
    planned = r.get_json()
    assert (planned["visits"], planned["shifts"], planned["staff_from"], planned["clinicians_name"]) == (
        3, 13, "roster", "roster-2026-11-24.csv")
    job = post(c, f"/api/days/{D1}/jobs", {"time_limit_s": 3})
    assert job.status_code == 202
    done = wait_done(c, job.get_json()["id"])
    assert done["state"] == "done", done
    version, _ = assert_checker_clean(db, done["rota_version_id"])
    assert version.kpis["visits_assigned"] == 3
    # a file still wins over the roster when one is sent
    staff = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1))
    r = post(c, f"/api/days/{D1}/plan-from-caseload", {"clinicians_csv": staff})
    assert r.status_code == 201 and r.get_json()["staff_from"] == "file"
    assert r.get_json()["shifts"] == 12


def test_only_coordinators_use_the_roster_api(as_role, client, users):
    assert client.get(f"/api/days/{D1}/roster").status_code == 401
    for who in ("nurse", "ops"):
        c = as_role(who)
        assert c.get(f"/api/days/{D1}/roster").status_code == 403
        assert post(c, "/api/roster", {"roster_csv": d1_roster()}).status_code == 403
        assert post(c, f"/api/days/{D1}/roster", BANK).status_code == 403
        assert post(c, f"/api/days/{D1}/roster/remove", {"staff_id": "C001"}).status_code == 403

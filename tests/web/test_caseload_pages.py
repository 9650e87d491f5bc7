"""The coordinator's caseload pages through the Flask test client: admit, change a regimen
from a date, stop it, discharge, the bulk import and "plan a day", each refusal a 4xx that
says which field and why, each read of a patient's record in the audit log."""

from __future__ import annotations

import html
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from tests.support.web import DATA, DAY, csrf, shifted, with_genders
from tests.support.web import text_of as _text_of
from web.models import Admission, AuditLog, Day, DayImport, Patient, PlanItem, RotaVersion

D0 = date.fromisoformat(DAY)
D1, D2 = D0 + timedelta(days=1), D0 + timedelta(days=2)
NHS = "9990000018"  # 999 000 001 with its check digit: a number the NHS never issues


def text_of(response) -> str:
    """What a person reads: the page's text, its entities (&#39;) unescaped."""
    return html.unescape(_text_of(response))


def admit_form(c, **extra):
    form = {"csrf_token": csrf(c), "patient_id": "P9001", "nhs_number": "999 000 0018",
            "name": "Ada Test", "address": "1 Synthetic Row, St Albans", "postcode": "AL1 3HD",
            "lat": "51.75", "lon": "-0.33", "carer_gender": "F", "access_notes": "key safe",
            "admitted_on": f"{D1}", "items-0-regimen": "iv_antibiotic",
            "items-0-frequency": "q8h", "items-0-first_time": "06:00"}  # fmt: skip
    return c.post("/coordinator/caseload/admit", data=form | extra)


def audit_rows(db, action: str | None = None) -> list[tuple[str, str]]:
    db.expire_all()
    q = select(AuditLog).order_by(AuditLog.id)
    if action:
        q = q.where(AuditLog.action == action)
    return [(a.action, a.detail) for a in db.scalars(q)]


def test_admitting_on_the_form_shows_the_record_and_audits_it(as_role, db):
    c = as_role("coord")
    assert "caseload" in text_of(c.get("/coordinator/"))
    page = c.get("/coordinator/caseload/admit")
    assert page.status_code == 200 and b'name="csrf_token"' in page.data
    r = admit_form(c)
    assert r.status_code == 303 and r.headers["Location"].endswith("/coordinator/caseload/patients/P9001")
    patient = db.scalar(select(Patient))
    assert (patient.nhs_number, patient.carer_gender) == (NHS, "F")
    shown = text_of(c.get("/coordinator/caseload/patients/P9001"))
    assert "Admitted P9001 from 2026-11-24 with 1 plan item." in shown
    assert "999 000 0018" in shown and "female" in shown and "iv_antibiotic q8h 06:00" in shown
    listing = text_of(c.get("/coordinator/caseload/"))
    assert "P9001" in listing and "Ada Test" in listing and "starts 2026-11-24" not in listing
    assert "iv_antibiotic q8h 06:00 from 2026-11-24" in listing  # today is the 23rd
    rows = audit_rows(db)
    assert ("caseload_admit", "P9001: admitted 2026-11-24 (admission 1): iv_antibiotic q8h 06:00") in rows
    assert ("read", "caseload.patient pid=P9001") in rows and ("read", "caseload.index") in rows
    assert not any("Ada" in d or NHS in d for _, d in rows)


def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(as_role, db):
    c = as_role("coord")
    r = admit_form(c, nhs_number="943 476 5918", lat="0", lon="0", **{"items-0-frequency": "q9h"})
    assert r.status_code == 422
    said = text_of(r)
    assert "NHS number: the NHS number fails the NHS number check digit" in said
    assert "Latitude: 0, 0 is a missing geocode" in said
    assert "Plan item 1, frequency: 'q9h': antibiotics need q6h, q8h, q12h or q24h" in said
    assert 'value="Ada Test"' in r.get_data(as_text=True)  # what was typed is kept
    assert db.scalar(select(func.count(Patient.id))) == 0
    assert admit_form(c).status_code == 303
    again = admit_form(c, patient_id="P9002")
    assert again.status_code == 409
    assert "NHS number: is already the NHS number of patient P9001" in text_of(again)


def test_change_stop_and_discharge_on_the_patient_page(as_role, db):
    c = as_role("coord")
    admit_form(c, **{"items-1-regimen": "obs", "items-1-frequency": "2"})
    abx, obs = db.scalars(select(PlanItem).order_by(PlanItem.id)).all()
    base = "/coordinator/caseload/patients/P9001"
    past = c.post(f"{base}/plan/{abx.id}/change", data={"csrf_token": csrf(c),
                  "from_date": f"{D0 - timedelta(days=1)}", "frequency": "q12h"})  # fmt: skip
    assert past.status_code == 422
    assert "From: 2026-11-22 is in the past (today is 2026-11-23)" in text_of(past)
    r = c.post(f"{base}/plan/{abx.id}/change", data={"csrf_token": csrf(c),
               "from_date": f"{D2}", "frequency": "q12h"})  # fmt: skip
    assert r.status_code == 303
    new = db.scalar(select(PlanItem).where(PlanItem.replaces_id == abx.id))
    assert new is not None and new.frequency == "q12h" and new.first_time.strftime("%H:%M") == "18:00"
    page = text_of(c.get(base))
    assert f"replaced by item {new.id} after 2026-11-24" in page and f"(replaces {abx.id})" in page
    twice = c.post(f"{base}/plan/{abx.id}/change", data={"csrf_token": csrf(c),
                   "from_date": f"{D2}", "frequency": "q6h"})  # fmt: skip
    assert twice.status_code == 409 and "was already changed" in text_of(twice)
    assert c.post(f"{base}/plan/{obs.id}/stop", data={"csrf_token": csrf(c),
                  "last_day": f"{D1}"}).status_code == 303  # fmt: skip
    assert c.post(f"{base}/plan/999999/stop", data={"csrf_token": csrf(c),
                  "last_day": f"{D1}"}).status_code == 404  # fmt: skip
    r = c.post(f"{base}/discharge", data={"csrf_token": csrf(c), "discharged_on": f"{D2}",
                                          "note": "oral antibiotics"})  # fmt: skip
    assert r.status_code == 303
    page = text_of(c.get(base))
    assert "Not on the caseload. Discharged on 2026-11-25." in page
    assert "Discharge note: oral antibiotics" in page
    db.expire_all()
    assert db.scalar(select(Admission)).discharged_on == D2
    assert [a for a, _ in audit_rows(db) if a.startswith("caseload_")] == [
        "caseload_admit", "caseload_plan_change", "caseload_plan_stop", "caseload_discharge"]
    log = text_of(c.get("/coordinator/audit?day=P9001"))
    for words in ("caseload_admit", "caseload_plan_change", "caseload_discharge",
                  "caseload.patient pid=P9001"):  # fmt: skip
        assert words in log


def test_an_added_regimen_starts_no_earlier_than_the_admission(as_role, db):
    c = as_role("coord")
    admit_form(c)
    r = c.post("/coordinator/caseload/patients/P9001/plan",
               data={"csrf_token": csrf(c), "regimen": "bloods", "start_date": f"{D0}"})
    assert r.status_code == 422
    assert "Start date: 2026-11-23 is before the admission (2026-11-24)" in text_of(r)
    r = c.post("/coordinator/caseload/patients/P9001/plan",
               data={"csrf_token": csrf(c), "regimen": "bloods", "start_date": f"{D2}"})
    assert r.status_code == 303
    assert db.scalar(select(func.count(PlanItem.id))) == 2


def test_the_bulk_import_is_all_or_nothing_with_file_row_and_column(as_role, db):
    c = as_role("coord")
    patients = b"patient_id,lat,lon\nP1,51.75,-0.33\nP2,0,0\n"
    plans = b"patient_id,regimen,frequency,first_time\nP1,iv_antibiotic,q8h,06:00\n"

    def send(p: bytes):
        return c.post("/coordinator/caseload/import", content_type="multipart/form-data",
                      data={"csrf_token": csrf(c), "on": f"{D1}",
                            "patients": (io.BytesIO(p), "export-patients.csv"),
                            "careplans": (io.BytesIO(plans), "export-plans.csv")})  # fmt: skip

    r = send(patients)
    assert r.status_code == 422
    assert "export-patients.csv 3 lat 0, 0 is a missing geocode" in text_of(r)
    assert db.scalar(select(func.count(Patient.id))) == 0
    assert audit_rows(db, "caseload_refused") == [
        ("caseload_refused", "caseload import: 1 issue(s) in export-patients.csv, export-plans.csv")]
    r = send(patients.replace(b"0,0", b"51.80,-0.20"))
    assert r.status_code == 303
    assert "Admitted 2 patients" in text_of(c.get("/coordinator/caseload/"))
    none = c.post("/coordinator/caseload/import", data={"csrf_token": csrf(c)})
    assert none.status_code == 400 and "Choose both files" in text_of(none)


def test_planning_tomorrow_from_the_caseload_while_today_is_live(as_role, db, published):
    c = as_role("coord")
    admit_form(c)
    staff = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1)).encode()

    def plan(data: bytes, when: str = f"{D1}"):
        return c.post("/coordinator/caseload/plan-day", content_type="multipart/form-data",
                      data={"csrf_token": csrf(c), "date": when,
                            "clinicians": (io.BytesIO(data), "eroster.csv")})  # fmt: skip

    wrong = plan((DATA / "clinicians.csv").read_bytes())
    assert wrong.status_code == 422 and "no shift starts on 2026-11-24" in text_of(wrong)
    empty = plan(with_genders(shifted((DATA / "clinicians.csv").read_text(), -1)).encode(), f"{D0 - timedelta(days=1)}")
    assert empty.status_code == 422 and "no care plan on the caseload has a visit on 2026-11-22" in text_of(empty)
    r = plan(staff)
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/coordinator/day/{D1}")
    board = text_of(c.get(r.headers["Location"]))
    assert "Planned 2026-11-24 from the caseload: 3 visits for 1 patients and 12 shifts." in board
    assert "caseload-2026-11-24.csv" in board
    days = {d.date: d for d in db.scalars(select(Day))}
    assert set(days) == {D0, D1}
    assert db.scalar(select(func.count(DayImport.id))) == 2
    today = db.scalars(select(RotaVersion).where(RotaVersion.day_id == days[D0].id)).all()
    assert [(v.status, v.import_id) for v in today] == [("published", published.import_id)]
    page = text_of(c.get("/coordinator/caseload/patients/P9001"))
    assert "P9001-abx-1400" in page and "no rota generated yet" in page


def test_caseload_forms_need_the_csrf_token(as_role, db):
    c = as_role("coord")
    r = c.post("/coordinator/caseload/admit", data={"patient_id": "P1", "lat": "51.7",
                                                    "lon": "-0.3"})  # fmt: skip
    assert r.status_code == 400 and b"CSRF token missing or invalid" in r.data
    assert db.scalar(select(func.count(Patient.id))) == 0
    page = c.get("/coordinator/caseload/").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= page.count("<form") > 1


def test_only_coordinators_see_the_caseload(as_role, users):
    for who in ("nurse", "ops"):
        c = as_role(who)
        assert c.get("/coordinator/caseload/").status_code == 403
        assert c.get("/api/patients").status_code == 403

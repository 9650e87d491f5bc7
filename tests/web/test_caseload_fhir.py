"""FHIR in the web app: a trust's bundle imported into the caseload on the caseload page and
through the API (all or nothing, every problem by entry and element, audited, bounded), and
a published day exported as FHIR ``Appointment`` resources that the FHIR model validates,
with the caseload's NHS numbers. The round trip plans the imported caseload's day with a
real solve job and re-checks its rota with the independent checker."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.domain.formats.fhir.codes import (
    CARER_GENDER_URL,
    NHS_NUMBER_SYSTEM,
    PATIENT_ID_SYSTEM,
)
from tests.support.fhir import (
    BAD_NHS,
    NHS,
    antibiotic,
    bundle,
    care_plan,
    geolocation,
    parsed_resources,
    patient,
    request,
)
from tests.support.web import DATA, DAY, assert_checker_clean, csrf, shifted, text_of, with_genders
from web.models import AuditLog, Patient, PlanItem
from web.services.rotas import version_rota

D0 = date.fromisoformat(DAY)
D1 = D0 + timedelta(days=1)
OBS = "61746007"
FEMALE = {"url": CARER_GENDER_URL, "valueCode": "female"}


def two_patients(**first) -> dict:
    """pat-1 (a q8h IV antibiotic from 06:00, asks for a female nurse) and pat-2 (observations
    twice a day), both in St Albans, their plans running from the 23rd to the 28th."""
    second = patient("pat-2", NHS[1], address=[{"use": "home", "line": ["3 Rowan Close"],
                     "city": "St Albans", "postalCode": "AL1 3JB",
                     "extension": [geolocation(51.748, -0.329)]}])  # fmt: skip
    return bundle(
        patient(extension=[FEMALE], **first), care_plan(), antibiotic(),
        second, care_plan("cp-2", "Patient/pat-2", ("sr-2",)),
        request("sr-2", OBS, {"frequency": 2, "period": 1, "periodUnit": "d"}, subject="Patient/pat-2"),
    )  # fmt: skip


def post_bundle(c, data: dict | bytes, on: date = D1):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return c.post(f"/api/caseload/import-fhir?on={on}", data=body,
                  content_type="application/fhir+json", headers={"X-CSRF-Token": csrf(c)})  # fmt: skip


def upload_bundle(c, data: dict, name: str = "trust-export.json"):
    return c.post("/coordinator/caseload/import-fhir", content_type="multipart/form-data",
                  data={"csrf_token": csrf(c), "on": f"{D1}",
                        "bundle": (io.BytesIO(json.dumps(data).encode()), name)})  # fmt: skip


def audit_rows(db, action: str | None = None) -> list[tuple[str, str]]:
    db.expire_all()
    q = select(AuditLog).order_by(AuditLog.id)
    if action:
        q = q.where(AuditLog.action == action)
    return [(a.action, a.detail) for a in db.scalars(q)]


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count(model.id)))


# --- import -----------------------------------------------------------------------------------


def test_the_caseload_page_imports_a_bundle_and_audits_it(as_role, db):
    c = as_role("coord")
    page = c.get("/coordinator/caseload/").get_data(as_text=True)
    assert 'id="fhir-import"' in page and 'name="bundle"' in page
    r = upload_bundle(c, two_patients())
    assert r.status_code == 303, text_of(r)
    shown = text_of(c.get("/coordinator/caseload/"))
    assert "Admitted 2 patients with 2 plan items from trust-export.json (FHIR bundle)." in shown
    db.expire_all()
    ada = db.scalars(select(Patient).where(Patient.patient_id == "pat-1")).one()
    assert (ada.nhs_number, ada.name, ada.carer_gender, ada.postcode) == (NHS[0], "Ada Testperson", "F", "AL1 3XY")
    assert (ada.lat, ada.lon) == (51.752, -0.339)
    [stay] = ada.admissions
    assert stay.admitted_on == D0  # her plan started on the 23rd, before the import's date
    [item] = stay.items
    assert (item.regimen, item.frequency, item.first_time.strftime("%H:%M")) == ("iv_antibiotic", "q8h", "06:00")
    log = audit_rows(db)
    assert ("caseload_import", "2 patients admitted with 2 plan items from trust-export.json (FHIR bundle)") in log
    assert [a for a, _ in log].count("caseload_admit") == 2
    assert not any(NHS[0] in d or "Ada" in d or "AL1" in d for _, d in log)


def test_a_refused_bundle_stores_nothing_and_names_each_entry_and_element(as_role, db):
    c = as_role("coord")
    bad = two_patients(identifier=[{"system": NHS_NUMBER_SYSTEM, "value": BAD_NHS}])
    bad["entry"][5]["resource"]["occurrenceTiming"]["repeat"]["frequency"] = 7
    r = upload_bundle(c, bad)
    assert r.status_code == 422
    page = text_of(r)
    assert "Entry Resource and element" in page
    assert "trust-export.json entry[0] Patient/pat-1 identifier[0].value the NHS number" in page
    assert "entry[5] ServiceRequest/sr-2 occurrenceTiming.repeat.frequency" in page
    assert BAD_NHS not in page  # a Patient's problems never repeat her values
    assert count(db, Patient) == 0 and count(db, PlanItem) == 0
    assert audit_rows(db, "caseload_refused") == [
        ("caseload_refused", "caseload FHIR import: 2 issue(s) in trust-export.json")]
    none = c.post("/coordinator/caseload/import-fhir", data={"csrf_token": csrf(c)})
    assert none.status_code == 400 and "Choose the bundle" in text_of(none)


def test_the_api_imports_a_bundle_sent_as_the_body(as_role, db):
    c = as_role("coord")
    r = post_bundle(c, two_patients())
    assert r.status_code == 201, r.get_json()
    answer = r.get_json()
    assert (answer["on"], answer["patients"], answer["plan_items"], answer["warnings"]) == (f"{D1}", 2, 2, [])
    assert answer["admitted"] == [{"patient_id": "pat-1", "admitted_on": f"{D0}"},
                                  {"patient_id": "pat-2", "admitted_on": f"{D0}"}]  # fmt: skip
    record = c.get("/api/patients/pat-1").get_json()
    assert record["nhs_number"] == NHS[0] and record["on_caseload"] is True


def test_the_api_takes_a_multipart_file_too_and_refuses_nothing_sent(as_role, db):
    c = as_role("coord")
    r = c.post("/api/caseload/import-fhir", content_type="multipart/form-data",
               headers={"X-CSRF-Token": csrf(c)},
               data={"on": f"{D1}", "bundle": (io.BytesIO(json.dumps(two_patients()).encode()),
                                               "export.json")})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["patients"] == 2
    empty = post_bundle(c, b"")
    assert empty.status_code == 422
    assert empty.get_json()["problems"][0]["field"] == "bundle"
    bad_day = c.post("/api/caseload/import-fhir?on=24/11/2026", data=b"{}",
                     content_type="application/json", headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
    assert bad_day.status_code == 422 and bad_day.get_json()["problems"][0]["field"] == "on"


def test_api_refusals_give_file_entry_and_element_and_store_nothing(as_role, db):
    c = as_role("coord")
    nul = two_patients(name=[{"use": "official", "text": "Ada\x00 Testperson"}])
    r = post_bundle(c, nul)
    assert r.status_code == 422
    [issue] = r.get_json()["issues"]
    assert (issue["file"], issue["row"], issue["column"]) == ("bundle.json", 0, "Patient/pat-1 name[0].text")
    assert issue["text"] == ("bundle.json, entry[0], Patient/pat-1 name[0].text: holds a NUL "
                             "character (\\u0000), which no FHIR string may")  # fmt: skip
    not_json = post_bundle(c, b"{not json")
    assert not_json.status_code == 422
    assert not_json.get_json()["issues"][0]["text"].startswith("bundle.json: is not JSON")
    assert count(db, Patient) == 0
    assert [d for _, d in audit_rows(db, "caseload_refused")] == [
        "caseload FHIR import: 1 issue(s) in bundle.json"] * 2


def test_what_the_caseload_refuses_is_named_on_the_patients_entry(as_role, db):
    """The checks after reading (already on the caseload, another's NHS number) name the
    entry and the element too, as the reader's own do."""
    c = as_role("coord")
    other = {"patient_id": "P9001", "nhs_number": NHS[1], "lat": 51.75, "lon": -0.33,
             "items": [{"regimen": "obs", "frequency": "2"}]}  # fmt: skip
    assert c.post("/api/patients", json=other, headers={"X-CSRF-Token": csrf(c)}).status_code == 201
    r = post_bundle(c, two_patients())
    assert r.status_code == 422
    [issue] = r.get_json()["issues"]
    assert (issue["row"], issue["column"]) == (3, "Patient/pat-2 identifier")
    assert issue["message"] == "is already the NHS number of patient P9001"
    assert count(db, Patient) == 1
    bundle_without = two_patients()
    bundle_without["entry"] = bundle_without["entry"][:3]
    assert post_bundle(c, bundle_without).status_code == 201
    again = post_bundle(c, bundle_without)
    assert again.status_code == 422
    [issue] = again.get_json()["issues"]
    assert (issue["row"], issue["column"]) == (0, "Patient/pat-1 id")
    assert "pat-1 is already on the caseload" in issue["message"]


def test_a_bundle_larger_than_the_day_limit_is_refused_unread(app, as_role, db):
    app.config["HAH_MAX_VISITS"] = 1
    c = as_role("coord")
    r = post_bundle(c, two_patients())
    assert r.status_code == 422
    [issue] = r.get_json()["issues"]
    assert issue["text"] == ("bundle.json: 2 patients: an import may hold at most 1 "
                             "(HAH_MAX_VISITS); is this the right file?")  # fmt: skip
    assert count(db, Patient) == 0


def test_patients_without_a_geolocation_are_placed_from_the_postcode_file(as_role, db, postcode_file):
    c = as_role("coord")
    by_postcode = two_patients(address=[{"use": "home", "line": ["1 Rowan Close"], "postalCode": "al13hd"}])
    fallback = by_postcode["entry"][3]["resource"]["address"][0]
    fallback["postalCode"], fallback["extension"] = "AL1 9ZZ", []
    r = post_bundle(c, by_postcode)
    assert r.status_code == 201, r.get_json()
    [warning] = r.get_json()["warnings"]
    assert (warning["row"], warning["column"]) == (3, "Patient/pat-2 address[0].postalCode")
    assert warning["message"].startswith("is not in ONSPD_AL.csv: placed at the centre of its postcode district")
    assert "9ZZ" not in warning["text"]
    db.expire_all()
    placed = {p.patient_id: (p.lat, p.lon, p.postcode) for p in db.scalars(select(Patient))}
    assert placed["pat-1"] == (51.752, -0.336, "AL1 3HD")
    assert placed["pat-2"][:2] == (pytest.approx(51.753), pytest.approx(-0.335))


def test_without_a_postcode_file_a_patient_given_by_postcode_is_refused_naming_it(as_role, db):
    c = as_role("coord")
    r = post_bundle(c, two_patients(address=[{"use": "home", "postalCode": "AL1 3HD"}]))
    assert r.status_code == 422
    [issue] = r.get_json()["issues"]
    assert (issue["row"], issue["column"]) == (0, "Patient/pat-1 address[0]")
    assert "HAH_POSTCODE_FILE" in issue["message"]
    assert count(db, Patient) == 0


# --- export -----------------------------------------------------------------------------------


def test_the_published_day_exports_as_appointments_with_the_caseloads_nhs_numbers(as_role, db, published):
    assert_checker_clean(db, published.id)
    c = as_role("coord")
    # P0004 of the small day is on the caseload with her NHS number; the others are not
    p4 = {"patient_id": "P0004", "nhs_number": NHS[2], "lat": 51.751203, "lon": -0.338595,
          "admitted_on": f"{D0}", "items": [{"regimen": "obs", "frequency": "2"}]}  # fmt: skip
    assert c.post("/api/patients", json=p4, headers={"X-CSRF-Token": csrf(c)}).status_code == 201
    board = c.get(f"/coordinator/day/{DAY}").get_data(as_text=True)
    url = f"/api/days/{DAY}/appointments.fhir.json?version={published.number}"
    assert f'href="{url}"' in board and 'id="fhir-appointments"' in board

    r = c.get(url)
    assert r.status_code == 200
    assert r.mimetype == "application/fhir+json"
    assert r.headers["Content-Disposition"] == f'attachment; filename="appointments-{DAY}-v1.fhir.json"'
    appointments = parsed_resources(r.get_data(as_text=True))
    rota = version_rota(published)
    assert sorted(a.identifier[0].value for a in appointments) == sorted(rota.assigned_visit_ids)
    for a in appointments:
        assert a.status == "booked"
        actor = a.participant[0].actor
        pid = actor.reference.removeprefix("Patient/")
        if pid == "P0004":
            assert (actor.identifier.system, actor.identifier.value) == (NHS_NUMBER_SYSTEM, NHS[2])
        else:
            assert (actor.identifier.system, actor.identifier.value) == (PATIENT_ID_SYSTEM, pid)
        who = sorted(p.actor.reference.removeprefix("Practitioner/") for p in a.participant[1:])
        assert who == sorted(r.clinician_id for r in rota.routes if a.identifier[0].value in r.visit_ids)
    assert sum(a.participant[0].actor.reference == "Patient/P0004" for a in appointments) == 5
    assert json.loads(r.get_data())["timestamp"]  # when the bundle was made
    assert audit_rows(db, "read")[-1] == ("read", f"fhir_api.day_appointments_fhir date={DAY}")
    latest = c.get(f"/api/days/{DAY}/appointments.fhir.json")
    assert latest.status_code == 200 and len(parsed_resources(latest.get_data(as_text=True))) == len(appointments)


def test_the_export_refuses_what_is_not_published_and_other_roles(as_role, db, draft):
    c = as_role("coord")
    r = c.get(f"/api/days/{DAY}/appointments.fhir.json")
    assert r.status_code == 404 and r.get_json()["error"] == f"no rota has been published for {DAY}"
    assert 'id="fhir-appointments"' not in c.get(f"/coordinator/day/{DAY}").get_data(as_text=True)
    assert c.get(f"/api/days/{D1}/appointments.fhir.json").status_code == 404
    assert c.get(f"/api/days/{DAY}/appointments.fhir.json?version=x").status_code == 400
    assert not [d for a, d in audit_rows(db, "read") if "appointments" in d]  # refusals are not reads
    for who in ("nurse", "ops"):
        assert as_role(who).get(f"/api/days/{DAY}/appointments.fhir.json").status_code == 403


# --- the round trip ---------------------------------------------------------------------------


def test_round_trip_import_plan_publish_export_validates(as_role, db):
    """A bundle in; tomorrow planned from the caseload it made, solved, checked, published;
    the day out as Appointments that the FHIR model reads, with the bundle's NHS numbers."""
    from tests.web.test_caseload_api import wait_done

    c = as_role("coord")
    assert post_bundle(c, two_patients()).status_code == 201
    staff = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1))
    headers = {"X-CSRF-Token": csrf(c)}
    r = c.post(f"/api/days/{D1}/plan-from-caseload", json={"clinicians_csv": staff}, headers=headers)
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["visits"], r.get_json()["patients"]) == (5, 2)  # 3 doses, 2 obs
    job = c.post(f"/api/days/{D1}/jobs", json={"time_limit_s": 3}, headers=headers)
    assert job.status_code == 202, job.get_json()
    done = wait_done(c, job.get_json()["id"])
    assert done["state"] == "done", done
    version, _ = assert_checker_clean(db, done["rota_version_id"])
    assert version.kpis["visits_assigned"] == 5
    r = c.post(f"/api/versions/{version.id}/publish", json={}, headers=headers)
    assert r.status_code == 200, r.get_json()

    exported = c.get(f"/api/days/{D1}/appointments.fhir.json")
    assert exported.status_code == 200
    appointments = parsed_resources(exported.get_data(as_text=True))
    assert len(appointments) == 5
    nhs = {"pat-1": NHS[0], "pat-2": NHS[1]}
    female = {"C001", "C003", "C005", "C007", "C009", "C011", "C012"}  # with_genders' default
    for a in appointments:
        actor = a.participant[0].actor
        pid = actor.reference.removeprefix("Patient/")
        assert actor.identifier.value == nhs[pid]
        assert a.requestedPeriod[0].start <= a.start <= a.requestedPeriod[0].end
        if pid == "pat-1":  # she asked for a female nurse: every dose by a woman
            assert {p.actor.identifier.value for p in a.participant[1:]} <= female

"""Editing a patient's details on her page (``/coordinator/caseload/patients/<pid>``) through the
Flask test client: the form pre-filled, a change shown on the page and in the audit log by
field name, a refusal the page again (4xx) with each field's problem and what was typed, a
purged patient's page without the form, CSRF and roles as on every caseload form."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta

from sqlalchemy import select, update

from tests.support.web import DATA, DAY, csrf, shifted, with_genders
from tests.support.web import text_of as _text_of
from web.models import AuditLog, Patient, utcnow

D1 = date.fromisoformat(DAY) + timedelta(days=1)
NHS = "9990000018"
PAGE = "/coordinator/caseload/patients/P9001"


def text_of(response) -> str:
    return html.unescape(_text_of(response))


def admit(c, pid: str = "P9001", nhs: str = NHS):
    r = c.post("/coordinator/caseload/admit", data={
        "csrf_token": csrf(c), "patient_id": pid, "nhs_number": nhs, "name": "Ada Test",
        "address": "1 Synthetic Row, St Albans", "postcode": "AL1 3HD", "lat": "51.75",
        "lon": "-0.33", "carer_gender": "F", "access_notes": "key safe 1234",
        "risk_flags": "dog", "admitted_on": f"{D1}", "items-0-regimen": "iv_antibiotic",
        "items-0-frequency": "q8h", "items-0-first_time": "06:00"})  # fmt: skip
    assert r.status_code == 303, text_of(r)


def prefilled(c) -> dict[str, str]:
    """The details form as the page draws it: each field's name and value."""
    page = c.get(PAGE).get_data(as_text=True)
    form = re.search(r'<form[^>]*id="details-form".*?</form>', page, re.S)
    assert form is not None, "no details form on the page"
    values = {m.group(1): html.unescape(m.group(2))
              for m in re.finditer(r'<input name="(\w+)"[^>]*value="([^"]*)"', form.group(0))}
    hidden = {m.group(1): m.group(2) for m in re.finditer(
        r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0))}  # fmt: skip
    chosen = re.search(r'<option value="(\w*)" selected>', form.group(0))
    return values | hidden | {"carer_gender": chosen.group(1) if chosen else ""}


def send(c, form: dict[str, str], **changes: str):
    return c.post(f"{PAGE}/details", data=form | changes | {"csrf_token": csrf(c)})


def log_of(db) -> list[tuple[str, str]]:
    db.expire_all()
    return [(a.action, a.detail) for a in db.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_the_form_is_prefilled_and_a_change_shows_on_the_page_and_in_the_audit(as_role, db):
    c = as_role("coord")
    admit(c)
    form = prefilled(c)
    assert {k: form[k] for k in ("nhs_number", "name", "postcode", "lat", "lon", "carer_gender",
                                 "risk_flags", "access_notes")} == {
        "nhs_number": NHS, "name": "Ada Test", "postcode": "AL1 3HD", "lat": "51.75",
        "lon": "-0.33", "carer_gender": "F", "risk_flags": "dog", "access_notes": "key safe 1234"}
    assert form["csrf_token"] and form["seen"]
    r = send(c, form, address="2 Synthetic Close, St Albans", carer_gender="M",
             excluded_clinicians="C008; C004", preferred_clinician="C002",
             access_notes="Dog in the kitchen; parking at the back")  # fmt: skip
    assert r.status_code == 303 and r.headers["Location"].endswith(PAGE)
    shown = text_of(c.get(PAGE))
    assert ("Details changed: Address, Access notes, Excluded clinicians, Carer's gender, "
            "Preferred clinician.") in shown
    assert "2 Synthetic Close, St Albans AL1 3HD" in shown and "Dog in the kitchen" in shown
    assert "C004, C008" in shown and "male" in shown
    assert prefilled(c)["excluded_clinicians"] == "C004;C008"  # as stored: sorted
    entry = ("caseload_details_change", "P9001: details changed: address, access_notes, "
             "excluded_clinicians, carer_gender, preferred_clinician")
    assert entry in log_of(db)
    audit_page = text_of(c.get("/coordinator/audit?day=P9001"))
    assert "caseload_details_change" in audit_page and entry[1] in audit_page
    assert not any(s in d for _, d in log_of(db) for s in ("Ada", NHS, "Synthetic", "Dog", "1234"))


def test_bad_input_is_the_page_again_with_each_field_and_what_was_typed(as_role, db):
    c = as_role("coord")
    admit(c)
    form = prefilled(c)
    r = send(c, form, nhs_number="943 476 5918", lat="0", lon="0", name="Ada Changed",
             carer_gender="X")  # fmt: skip
    assert r.status_code == 422
    said = text_of(r)
    assert "Nothing was changed:" in said
    for words in ("NHS number: the NHS number fails the NHS number check digit",
                  "Latitude: 0, 0 is a missing geocode", "Carer's gender:"):  # fmt: skip
        assert words in said, words
    page = r.get_data(as_text=True)
    assert '<details id="edit-details" open>' in page
    assert 'value="Ada Changed"' in page and 'value="943 476 5918"' in page
    assert re.search(r'name="nhs_number"[^>]*aria-invalid="true"', page)
    assert not re.search(r'name="address"[^>]*aria-invalid', page)
    db.expire_all()
    row = db.scalar(select(Patient))
    assert (row.name, row.nhs_number, row.lat) == ("Ada Test", NHS, 51.75)
    assert [a for a, _ in log_of(db) if a == "caseload_details_change"] == []
    assert ("read", "caseload.patient pid=P9001") in log_of(db)[-1:]  # the page shown again


def test_another_patients_nhs_number_and_a_stale_page_are_conflicts(as_role, db):
    c = as_role("coord")
    admit(c)
    admit(c, "P9002", "9990000026")
    form = prefilled(c)
    r = send(c, form, nhs_number="999 000 0026")
    assert r.status_code == 409
    assert "NHS number: is already the NHS number of patient P9002" in text_of(r)
    stale = dict(form)
    assert send(c, form, name="Ada Q. Test").status_code == 303  # changes the row
    r = send(c, stale, access_notes="gate code")  # drawn before that change
    assert r.status_code == 409 and "changed since this page was opened" in text_of(r)
    db.expire_all()
    assert db.scalar(select(Patient.access_notes).where(Patient.patient_id == "P9001")) == (
        "key safe 1234")


def test_nothing_changed_says_so(as_role, db):
    c = as_role("coord")
    admit(c)
    r = send(c, prefilled(c))
    assert r.status_code == 303
    assert "Nothing changed: the details are as they were." in text_of(c.get(PAGE))
    assert [a for a, _ in log_of(db) if a == "caseload_details_change"] == []


def test_a_new_postcode_places_her_again_and_a_planned_day_is_named(as_role, db,
                                                                    postcode_file):  # fmt: skip
    c = as_role("coord")
    admit(c)
    staff = with_genders(shifted((DATA / "clinicians.csv").read_text(), 1)).encode()
    r = c.post("/coordinator/caseload/plan-day", content_type="multipart/form-data",
               data={"csrf_token": csrf(c), "date": f"{D1}",
                     "clinicians": (io.BytesIO(staff), "eroster.csv")})  # fmt: skip
    assert r.status_code == 303
    r = send(c, prefilled(c), postcode="AL1 9QQ")
    assert r.status_code == 303
    shown = text_of(c.get(PAGE))
    assert "Details changed: Postcode, Latitude, Longitude." in shown
    assert "Postcode: AL1 9QQ is not in ONSPD_AL.csv" in shown and "district AL1" in shown
    assert ("Already planned with the details as they were: 2026-11-24. Plan it again from the "
            "caseload for the change to reach the visits.") in shown
    db.expire_all()
    assert db.scalar(select(Patient.lat)) == 51.753


def test_a_purged_patient_has_no_form_and_cannot_be_changed(as_role, db):
    c = as_role("coord")
    admit(c)
    form = prefilled(c)
    c.post(f"{PAGE}/discharge", data={"csrf_token": csrf(c), "discharged_on": f"{D1}"})
    db.execute(update(Patient).values(name="", nhs_number=None, address="", postcode="",
                                      access_notes="", purged_at=utcnow()))  # fmt: skip
    db.commit()
    page = c.get(PAGE)
    assert 'id="details-form"' not in page.get_data(as_text=True)
    assert "Nothing to edit: admitting the patient again enters the details afresh." in text_of(page)
    r = send(c, form, access_notes="key safe 1234")
    assert r.status_code == 409 and "personal details were purged on" in text_of(r)
    db.expire_all()
    assert db.scalar(select(Patient.access_notes)) == ""


def test_the_form_needs_its_csrf_token_and_a_coordinator(as_role, db):
    c = as_role("coord")
    admit(c)
    form = prefilled(c)
    r = c.post(f"{PAGE}/details", data={k: v for k, v in form.items() if k != "csrf_token"}
               | {"name": "Eve"})  # fmt: skip
    assert r.status_code == 400 and b"CSRF token missing or invalid" in r.data
    for who in ("nurse", "ops"):
        other = as_role(who)
        assert other.post(f"{PAGE}/details", data={"csrf_token": csrf(other),
                                                   "name": "Eve"}).status_code == 403
    assert as_role("admin").get(PAGE).status_code == 200
    assert c.post("/coordinator/caseload/patients/P0000/details",
                  data={"csrf_token": csrf(c)}).status_code == 404  # fmt: skip
    db.expire_all()
    assert db.scalar(select(Patient.name)) == "Ada Test"

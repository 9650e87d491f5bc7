"""The roster pages through the Flask test client: the e-roster's export uploaded, a day's
staff on shift shown, a duty added and removed, a day planned from the caseload with the
stored roster, each refusal a 4xx that says which file, row and column (or field) and why,
and coordinators only."""

from __future__ import annotations

import html
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from tests.support.web import DATA, DAY, csrf, eroster_of, shifted, with_genders
from tests.support.web import text_of as _text_of
from web.models import AuditLog, DayImport, RosterDuty, RosterImport

D0 = date.fromisoformat(DAY)
D1, D2 = D0 + timedelta(days=1), D0 + timedelta(days=2)
ROSTER = "/coordinator/caseload/roster"
BANK = {"staff_id": "B900", "name": "Bea Bank", "grade": "RN5", "gender": "F", "start": "10:00",
        "end": "18:00", "break_min": "30", "base": "St Albans", "base_lat": "51.751",
        "base_lon": "-0.33", "duty_code": "BANK", "note": "booked at 09:40"}  # fmt: skip


def text_of(response) -> str:
    return html.unescape(_text_of(response))


def d1_roster() -> bytes:
    """The small test day's 12 shifts on D1, as an e-roster export."""
    return eroster_of(with_genders(shifted((DATA / "clinicians.csv").read_text(), 1))).encode()


def upload(c, data: bytes, name: str = "eroster.csv"):
    return c.post(f"{ROSTER}/import", content_type="multipart/form-data",
                  data={"csrf_token": csrf(c), "roster": (io.BytesIO(data), name)})  # fmt: skip


def audits(db, action: str) -> list[str]:
    db.expire_all()
    return [a.detail for a in db.scalars(select(AuditLog).where(AuditLog.action == action)
                                         .order_by(AuditLog.id))]  # fmt: skip


def test_uploading_the_export_shows_the_days_staff_on_shift(as_role, db):
    c = as_role("coord")
    assert "Roster: the staff on shift" in text_of(c.get("/coordinator/caseload/"))
    empty = c.get(f"{ROSTER}?date={D1}")
    assert empty.status_code == 200
    assert f"Nobody is on shift on {D1} in the stored roster" in text_of(empty)
    r = upload(c, d1_roster())
    assert r.status_code == 303 and r.headers["Location"].endswith(f"{ROSTER}?date={D1}")
    page = text_of(c.get(r.headers["Location"]))
    assert (f"Imported eroster.csv: 12 duties from {D1} to {D1} (1 day); 0 rows of leave, "
            "sickness or study skipped; replaced 0 stored duties (0 entered on the web).") in page
    assert f"12 on shift on {D1}." in page
    assert "C010 Chloe Young RN5 IV;OBS;PHLEB;RN male 2026-11-24 21:00–07:30 60 min, 01:00–04:00 Stevenage" in page
    assert f"Plan {D1} from the caseload with these 12 staff" in page
    assert f"{ROSTER}?date={D2}" in c.get(f"{ROSTER}?date={D1}").get_data(as_text=True)
    assert len(audits(db, "roster_import")) == 1
    assert "Tue 24 12" in page  # the days ahead, with their counts


def test_a_bad_export_is_refused_by_file_row_and_column_and_nothing_is_stored(as_role, db):
    c = as_role("coord")
    bad = d1_roster().decode().replace(",07:00,", ",7am,", 1)
    r = upload(c, bad.encode(), "roster week 48.csv")
    assert r.status_code == 422
    page = text_of(r)
    assert "Import refused — nothing was stored" in page
    assert "roster_week_48.csv 2 start '7am' is not a time of day; write it as HH:MM (local time)" in page
    assert db.scalar(select(func.count(RosterDuty.id))) == 0
    assert db.scalar(select(func.count(RosterImport.id))) == 0
    assert audits(db, "roster_refused") == ["1 issue(s) in roster_week_48.csv"]
    none = c.post(f"{ROSTER}/import", data={"csrf_token": csrf(c)})
    assert none.status_code == 400 and "Choose the e-roster's export" in text_of(none)
    assert c.get(f"{ROSTER}?date=24/11/2026").status_code == 400


def test_a_duty_added_on_the_form_and_removed(as_role, db):
    c = as_role("coord")
    upload(c, d1_roster())
    r = c.post(f"{ROSTER}/add", data={"csrf_token": csrf(c), "date": f"{D1}"} | BANK)
    assert r.status_code == 303
    page = text_of(c.get(r.headers["Location"]))
    assert f"B900 Bea Bank is on shift on {D1}: 10:00–18:00." in page
    assert "B900 Bea Bank RN5 IV;OBS;PHLEB;RN female 2026-11-24 10:00–18:00" in page
    assert "entered: booked at 09:40" in page and f"13 on shift on {D1}." in page
    again = c.post(f"{ROSTER}/add", data={"csrf_token": csrf(c), "date": f"{D1}"} | BANK)
    assert again.status_code == 409
    assert "Staff id: B900 already has a duty on 2026-11-24 (10:00–18:00): remove it first" in text_of(again)
    bad = c.post(f"{ROSTER}/add", data={"csrf_token": csrf(c), "date": f"{D1}"}
                 | BANK | {"staff_id": "B901", "end": "25:00", "base_lat": ""})  # fmt: skip
    assert bad.status_code == 422
    shown = text_of(bad)
    assert "Nothing was changed:" in shown
    assert "End: '25:00' is not a time of day; write it as HH:MM (local time)" in shown
    assert "Base lat: is empty" in shown  # a longitude alone is no place
    assert 'value="B901"' in bad.get_data(as_text=True)  # what was typed is kept
    assert db.scalar(select(func.count(RosterDuty.id))) == 13
    r = c.post(f"{ROSTER}/remove", data={"csrf_token": csrf(c), "date": f"{D1}", "staff_id": "C007"})
    assert r.status_code == 303
    assert f"C007 Una Abara is off the roster on {D1}." in text_of(c.get(r.headers["Location"]))
    gone = c.post(f"{ROSTER}/remove", data={"csrf_token": csrf(c), "date": f"{D1}", "staff_id": "C007"})
    assert gone.status_code == 404 and f"C007 has no duty on {D1}" in text_of(gone)
    assert audits(db, "roster_add") == [f"{D1}: B900 (RN5) on shift 10:00–18:00 (IV;OBS;PHLEB;RN), entered"]
    assert audits(db, "roster_remove") == [f"{D1}: C007 taken off the roster (14:30–22:30, import)"]


def test_planning_a_day_from_the_caseload_without_a_file_takes_the_stored_roster(as_role, db,
                                                                                 published):  # fmt: skip
    c = as_role("coord")
    admit = {"csrf_token": csrf(c), "patient_id": "P9001", "lat": "51.75", "lon": "-0.33",
             "admitted_on": f"{D1}", "items-0-regimen": "iv_antibiotic",
             "items-0-frequency": "q8h", "items-0-first_time": "06:00"}  # fmt: skip
    assert c.post("/coordinator/caseload/admit", data=admit).status_code == 303

    def plan(day: date):
        return c.post("/coordinator/caseload/plan-day", content_type="multipart/form-data",
                      data={"csrf_token": csrf(c), "date": f"{day}",
                            "clinicians": (io.BytesIO(b""), "")})  # fmt: skip

    nobody = plan(D1)
    assert nobody.status_code == 422
    assert (f"nobody is on shift on {D1} in the stored roster: import the e-roster's export or "
            "enter the day's duties on the roster page, or choose a clinicians file") in text_of(nobody)
    upload(c, d1_roster())
    r = plan(D1)
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/coordinator/day/{D1}")
    board = text_of(c.get(r.headers["Location"]))
    assert (f"Planned {D1} from the caseload: 3 visits for 1 patients and 12 shifts (staff "
            "from the stored roster).") in board
    assert "roster-2026-11-24.csv" in board
    imp = db.scalars(select(DayImport).order_by(DayImport.id.desc())).first()
    assert imp is not None and imp.clinicians_name == "roster-2026-11-24.csv"
    # the button on the roster page posts the same form, date only
    button = c.post("/coordinator/caseload/plan-day", data={"csrf_token": csrf(c), "date": f"{D1}"})
    assert button.status_code == 303


def test_only_coordinators_reach_the_roster(as_role, users):
    for who in ("nurse", "ops"):
        c = as_role(who)
        assert c.get(ROSTER).status_code == 403
        assert upload(c, d1_roster()).status_code == 403
        r = c.post(f"{ROSTER}/add", data={"csrf_token": csrf(c), "date": f"{D1}"} | BANK)
        assert r.status_code == 403
    admin = as_role("admin")
    assert admin.get(ROSTER).status_code == 200


def test_roster_forms_need_the_csrf_token(as_role, db):
    c = as_role("coord")
    r = c.post(f"{ROSTER}/add", data={"date": f"{D1}"} | BANK)
    assert r.status_code == 400 and b"CSRF token missing or invalid" in r.data
    assert db.scalar(select(func.count(RosterDuty.id))) == 0
    page = c.get(ROSTER).get_data(as_text=True)
    assert page.count('name="csrf_token"') >= page.count('method="post"') >= 2

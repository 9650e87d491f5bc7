"""A patient's stay in a real browser (headless Chromium): the coordinator admits a patient
with a q8h IV antibiotic plan and a request for a female carer, plans tomorrow from the
caseload while today is live and published, generates tomorrow's rota, reads the doses and
who gives them on the patient's page, changes the plan to q12h, discharges her, and finds
each step in the audit log. Any console error fails the test (a CSP violation would show
there). Screenshots go to tests/web/artifacts/.

The female-carer rule itself is the solver's and the checker's (another part of issue 14):
here the request is stored, shown and carried to the day's patients; the rota is checked
by the independent checker as every rota is.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.support.browser import sign_in, watch
from tests.support.web import (
    DATA,
    DAY,
    assert_checker_clean,
    live_server,
    needs_browser,
    shifted,
    with_genders,
)

ARTIFACTS = Path(__file__).parent / "artifacts"
D0 = date.fromisoformat(DAY)
D1, D2 = D0 + timedelta(days=1), D0 + timedelta(days=2)

pytestmark = needs_browser


def test_a_stay_from_admission_to_discharge_in_the_browser(app, db, published, browser,
                                                           tmp_path):  # fmt: skip
    from web.models import RotaVersion
    from web.services.rotas import rota_from_json

    staff = tmp_path / "eroster-2026-11-24.csv"
    staff.write_text(with_genders(shifted((DATA / "clinicians.csv").read_text(), 1)))
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        page = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
        errors = watch(page)
        sign_in(page, base, "coord")
        page.click("#caseload-link")
        page.wait_for_url("**/coordinator/caseload/")
        page.click("#admit-link")
        for name, value in {"patient_id": "P9001", "nhs_number": "999 000 0018",
                            "name": "Ada Test", "address": "1 Synthetic Row, St Albans",
                            "postcode": "AL1 3HD", "lat": "51.75", "lon": "-0.33",
                            "access_notes": "key safe 1234", "admitted_on": f"{D1}",
                            "items-0-frequency": "q8h", "items-0-first_time": "06:00"}.items():
            page.fill(f"#admit-form [name={name}]", value)  # fmt: skip
        page.select_option("[name=carer_gender]", "F")
        page.select_option("[name=items-0-regimen]", "iv_antibiotic")
        page.click("#admit-submit")
        page.wait_for_url("**/coordinator/caseload/patients/P9001")
        assert "Admitted P9001 from 2026-11-24 with 1 plan item." in page.inner_text("main")
        assert page.inner_text("#carer-gender") == "female"

        page.goto(f"{base}/coordinator/caseload/")
        assert page.input_value("#plan-day [name=date]") == f"{D1}"  # tomorrow by default
        page.set_input_files("#plan-day [name=clinicians]", str(staff))
        page.click("#plan-submit")
        page.wait_for_url(f"**/coordinator/day/{D1}")
        assert "Planned 2026-11-24 from the caseload: 3 visits for 1 patients" in page.inner_text("main")
        page.fill("input[name=seconds]", "2")
        page.get_by_role("button", name="Generate").click()
        page.wait_for_url("**/coordinator/day/*?version=*", timeout=120_000)
        version_id = int(page.url.rsplit("=", 1)[1])
        assert_checker_clean(db, version_id)

        page.goto(f"{base}/coordinator/caseload/patients/P9001")
        rows = page.locator("tr.planned-visit")
        assert rows.count() == 3
        doses = [rows.nth(n).inner_text() for n in range(3)]
        assert [d.split("\t")[2] for d in doses] == [
            "2026-11-24 13:30–14:30", "2026-11-24 21:30–22:30", "2026-11-25 05:30–06:30"]
        rota = rota_from_json(db.get(RotaVersion, version_id).rota)
        gives = {vid: r.clinician_id for r in rota.routes for vid in r.visit_ids}
        female = {"C001", "C003", "C005", "C007", "C009", "C011", "C012"}  # with_genders'
        for n, vid in enumerate(["P9001-abx-1400", "P9001-abx-2200", "P9001-abx-0600"]):
            who = rows.nth(n).locator("td.who").inner_text()
            assert who.startswith(gives[vid] + " "), (vid, who)  # the clinician of the rota
            assert gives[vid] in female, (vid, gives[vid])  # she asked for a female nurse
        page.screenshot(path=str(ARTIFACTS / "caseload-patient-planned.png"), full_page=True)

        row = page.locator("tr#item-1")
        row.locator("summary").click()
        change = row.locator("form.change-form")
        change.locator("[name=from_date]").fill(f"{D2}")
        change.locator("[name=frequency]").fill("q12h")
        change.get_by_role("button", name="Change from this date").click()
        page.wait_for_selector("text=Plan item 1 changed from 2026-11-25")
        assert "replaced by item 2 after 2026-11-24" in page.inner_text("tr#item-1")
        assert "iv_antibiotic q12h 18:00" in page.inner_text("tr#item-2")

        page.fill("#discharge-form [name=discharged_on]", f"{D2}")
        page.fill("#discharge-form [name=note]", "oral antibiotics")
        page.click("#discharge-submit")
        page.wait_for_selector("text=Not on the caseload. Discharged on 2026-11-25.")
        assert "starts 2026-11-25, last day 2026-11-25 (discharged)" in page.inner_text("tr#item-2")

        page.click("#audit-link")
        page.wait_for_url("**/coordinator/audit?day=P9001")
        log = page.inner_text("#audit")
        for words in ("caseload_admit\tP9001: admitted 2026-11-24",
                      "caseload_plan_change\tP9001: plan item 1 (iv_antibiotic q8h 06:00) changed from 2026-11-25",
                      "caseload_discharge\tP9001: discharged on 2026-11-25",
                      "read\tcaseload.patient pid=P9001"):  # fmt: skip
            assert words in log, words
        assert "Ada" not in log and "9990000018" not in log
        page.goto(f"{base}/coordinator/audit?day={D1}&action=caseload_plan_day")
        assert "2026-11-24: import 2, 3 visits for 1 patients from the caseload" in page.inner_text("#audit")
        page.screenshot(path=str(ARTIFACTS / "caseload-audit.png"), full_page=True)
        assert errors == []

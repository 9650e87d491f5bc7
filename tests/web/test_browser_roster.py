"""The roster in a real browser (headless Chromium): the coordinator uploads the bundled
sample e-roster (a week of the sample service's standing team), opens the roster page for
tomorrow, plans tomorrow from the caseload without a clinicians file (its staff from the
stored roster), generates the rota on the board and the rota is re-checked by the independent
checker. Any console error fails the test (a CSP violation would show there). Screenshots go
to tests/web/artifacts/."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from scheduler.domain.samples import SAMPLE_DIR
from tests.support.browser import sign_in, watch
from tests.support.web import DAY, assert_checker_clean, live_server, needs_browser

ARTIFACTS = Path(__file__).parent / "artifacts"
D0 = date.fromisoformat(DAY)
D1 = D0 + timedelta(days=1)

pytestmark = needs_browser


def test_plan_tomorrow_with_the_uploaded_eroster_in_the_browser(app, db, published, users,
                                                                browser):  # fmt: skip
    from web.models import DayImport, RotaVersion
    from web.services.caseload import admit
    from web.services.caseload_input import patient_details, plan_items

    details = patient_details({"patient_id": "P9001", "lat": "51.75", "lon": "-0.33"})
    items = plan_items([{"regimen": "iv_antibiotic", "frequency": "q8h", "first_time": "06:00"}],
                       "P9001", D1)  # fmt: skip
    admit(db, details, items, D1, users["coord"])
    db.commit()
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        page = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
        errors = watch(page)
        sign_in(page, base, "coord")
        page.click("#caseload-link")
        page.wait_for_url("**/coordinator/caseload/")
        page.click("#roster-link")
        page.wait_for_url("**/coordinator/caseload/roster")
        page.set_input_files("#roster-upload [name=roster]", str(SAMPLE_DIR / "eroster.csv"))
        page.click("#roster-upload-submit")
        page.wait_for_url(f"**/coordinator/caseload/roster?date={D0}")
        assert ("Imported eroster.csv: 903 duties from 2026-11-23 to 2026-11-29 (7 days); 9 rows "
                "of leave, sickness or study skipped (STUDY 9)") in page.inner_text("main")

        page.fill("#roster-date [name=date]", f"{D1}")
        page.click("#roster-date button")
        page.wait_for_url(f"**/coordinator/caseload/roster?date={D1}")
        assert page.inner_text("#roster-count") == f"129 on shift on {D1}."
        assert page.locator("tr.duty").count() == 129
        night = page.locator("tr.duty", has_text="21:00–07:30").first.inner_text()
        assert "2026-11-24 21:00–07:30" in night and "60 min, 01:00–04:00" in night
        assert page.locator("#plan-roster-submit").is_visible()
        page.screenshot(path=str(ARTIFACTS / "roster-day.png"), full_page=False)

        page.goto(f"{base}/coordinator/caseload/")
        assert page.input_value("#plan-day [name=date]") == f"{D1}"  # tomorrow by default
        page.click("#plan-submit")  # no clinicians file chosen: the stored roster
        page.wait_for_url(f"**/coordinator/day/{D1}")
        assert ("Planned 2026-11-24 from the caseload: 3 visits for 1 patients and 129 shifts "
                "(staff from the stored roster).") in page.inner_text("main")
        page.fill("input[name=seconds]", "2")
        page.get_by_role("button", name="Generate").click()
        page.wait_for_url("**/coordinator/day/*?version=*", timeout=120_000)
        version_id = int(page.url.rsplit("=", 1)[1])
        version, _ = assert_checker_clean(db, version_id)
        assert version.kpis["visits_assigned"] == 3
        imp = db.get(DayImport, version.import_id)
        assert imp is not None and imp.clinicians_name == "roster-2026-11-24.csv"
        rota_ids = {r["clinician_id"] for r in db.get(RotaVersion, version_id).rota["routes"]}
        assert rota_ids and all(cid.startswith("S") for cid in rota_ids)  # the roster's staff
        page.screenshot(path=str(ARTIFACTS / "roster-planned-board.png"), full_page=False)
        assert errors == []

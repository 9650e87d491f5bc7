"""A real browser (headless Chromium via Playwright) against the app on a local port.

A nurse signs in on a 360×740 phone screen, sees her route and its map, and marks a visit
done; the coordinator's board then draws every route on the map and shows the status. Any
console error fails the test, which is how a Content-Security-Policy violation (an inline
script or style slipping in) would show. Screenshots go to tests/web/artifacts/.

Skipped when Playwright or /usr/bin/chromium is missing (browsers cannot be downloaded
here; ``apt-get install -y chromium`` provides one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.domain.samples import SAMPLE_DIR
from tests.support.browser import sign_in, watch
from tests.support.web import (
    DAY,
    PASSWORD,
    assert_checker_clean,
    live_server,
    needs_browser,
    nurse_visits,
)

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = needs_browser


@pytest.fixture
def server(app, published):
    with live_server(app) as url:
        yield url





def test_nurse_marks_a_visit_done_on_a_phone(server, browser, users, small_rota):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    errors = watch(page)
    sign_in(page, server, "nurse")
    page.wait_for_url(f"**/nurse/route/{DAY}/C002")
    first = nurse_visits(small_rota, "C002")[0]
    stop = page.locator(f"#v-{first}")
    assert stop.is_visible()
    assert "Navigate" in stop.inner_text()
    page.wait_for_selector('#map[data-drawn="1"]')  # Leaflet drew her route, tiles or not
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways on a phone ({width} px)"
    page.screenshot(path=str(ARTIFACTS / "nurse-route.png"), full_page=False)
    stop.get_by_role("button", name="Done").click()
    page.wait_for_url(f"**/nurse/route/{DAY}/C002#v-{first}")
    assert "Done at" in page.locator(f"#v-{first}").inner_text()
    page.screenshot(path=str(ARTIFACTS / "nurse-route-done.png"), full_page=False)
    assert errors == []
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = watch(page)
    sign_in(page, server, "coord")
    page.goto(f"{server}/coordinator/day/{DAY}")
    page.wait_for_selector(f'#map[data-drawn="{len(small_rota.routes)}"]')
    assert "Done" in page.locator("details.route").first.evaluate("e => e.textContent") or (
        page.locator(".status.done").count() >= 1
    )
    page.screenshot(path=str(ARTIFACTS / "coordinator-board.png"), full_page=True)
    assert errors == []
    context.close()


def test_coordinator_generates_and_the_page_follows_the_job(server, browser, users, db):
    """board.js polls the job once a second and opens the new draft when the solve ends."""
    from sqlalchemy import func, select

    from web.models import RotaVersion

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = watch(page)
    sign_in(page, server, "coord")
    page.goto(f"{server}/coordinator/day/{DAY}")
    page.fill("input[name=seconds]", "2")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_selector('#job[data-active="1"]')
    page.wait_for_selector('[data-field="state"]:text-matches("running|queued")')
    page.screenshot(path=str(ARTIFACTS / "coordinator-solving.png"))
    page.wait_for_url("**/coordinator/day/*?version=*", timeout=90_000)
    version_id = int(page.url.rsplit("=", 1)[1])
    assert f"Version {version_id} (draft)" in page.inner_text("body")
    assert_checker_clean(db, version_id)
    assert db.scalar(select(func.count(RotaVersion.id))) == 2
    assert errors == []
    context.close()


SAMPLE = SAMPLE_DIR


@pytest.fixture
def bare_server(app, users):
    """The app with nothing imported yet."""
    with live_server(app) as url:
        yield url


def _moves(db, version_id: int):
    """A move the checker objects to (a visit to a clinician without its skills) and one it
    accepts, found on the rota the solve produced."""
    from scheduler.domain.check import check
    from web.models import DayImport, RotaVersion
    from web.services.days import problem_for
    from web.services.edits import Edit, EditError, apply_edit
    from web.services.rotas import rota_from_json

    db.expire_all()
    version = db.get(RotaVersion, version_id)
    problem = problem_for(db.get(DayImport, version.import_id))
    rota = rota_from_json(version.rota)
    index = problem.visit_index

    def single(vid: str) -> bool:
        v = problem.visits[index[vid]]
        return (
            v.staff == 1
            and not v.after_visit
            and not any(x.after_visit == vid for x in problem.visits)
        )

    bad = next(
        Edit("move", vid, to_clinician=sh.clinician_id)
        for r in rota.routes for vid in r.visit_ids if single(vid)
        for sh in problem.shifts
        if not problem.visits[index[vid]].skills <= sh.skills
    )  # fmt: skip
    for r in rota.routes:
        for vid in r.visit_ids:
            if not single(vid):
                continue
            for other in rota.routes:
                if other.clinician_id == r.clinician_id:
                    continue
                good = Edit("move", vid, from_clinician=r.clinician_id,
                            to_clinician=other.clinician_id)  # fmt: skip
                try:
                    new, _, _ = apply_edit(problem, rota, [], good)
                except EditError:
                    continue
                if check(problem, new).ok:
                    return bad, good
    raise AssertionError("no clean move on the sample day's rota")


def test_a_day_from_import_to_a_nurse_doorstep(bare_server, browser, db):
    """The whole day in a browser: the coordinator imports the bundled sample day (1,070
    visits), generates a rota, is stopped by the checker from an infeasible move, makes a
    clean one, publishes; a nurse on a phone opens her route and marks a visit done; the
    coordinator's board shows it."""
    from web.models import RotaVersion
    from web.services.rotas import rota_from_json
    from web.services.users import create_user

    ARTIFACTS.mkdir(exist_ok=True)
    base = bare_server
    desk = browser.new_context(viewport={"width": 1366, "height": 900})
    page = desk.new_page()
    errors = watch(page)
    sign_in(page, base, "coord")
    page.wait_for_url("**/coordinator/")
    page.fill("input[name=date]", DAY)
    page.set_input_files("input[name=visits]", str(SAMPLE / "visits.csv"))
    page.set_input_files("input[name=clinicians]", str(SAMPLE / "clinicians.csv"))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(f"**/coordinator/day/{DAY}")
    assert "Imported 1070 visits" in page.inner_text("body")

    page.fill("input[name=seconds]", "8")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_selector('#job[data-active="1"]')
    page.wait_for_url("**/coordinator/day/*?version=*", timeout=240_000)
    draft_id = int(page.url.rsplit("=", 1)[1])
    assert_checker_clean(db, draft_id)

    bad, good = _moves(db, draft_id)
    page.select_option("#edit-op", "move")
    page.fill("#edit-visit", bad.visit_id)
    page.select_option("#edit-to", bad.to_clinician)
    page.click("#edit-submit")
    page.wait_for_selector("#pending")
    objection = page.inner_text("#pending")
    assert "skills" in objection and "Nothing has been changed" in objection
    page.screenshot(path=str(ARTIFACTS / "coordinator-checker-objects.png"))
    db.expire_all()
    assert db.query(RotaVersion).count() == 1  # the objection stored nothing
    page.get_by_role("link", name="Cancel").click()

    page.locator(f'tr[data-visit="{good.visit_id}"]').first.evaluate("e => e.click()")
    assert page.input_value("#edit-visit") == good.visit_id  # board.js filled the form
    page.select_option("#edit-to", good.to_clinician)
    page.click("#edit-submit")
    page.wait_for_selector("text=The checker finds nothing new")
    moved_id = int(page.url.rsplit("=", 1)[1])
    moved, _ = assert_checker_clean(db, moved_id)
    assert moved.parent_id == draft_id
    page.locator("tr.selected").get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=Published as version 1")

    rota = rota_from_json(moved.rota)
    route = max(rota.routes, key=lambda r: len(r.visit_ids))
    create_user(db, "sam", PASSWORD, "nurse", clinician_id=route.clinician_id,
                hash_method="pbkdf2:sha256:1000")  # fmt: skip
    db.commit()
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    nurse = phone.new_page()
    nurse_errors = watch(nurse)
    sign_in(nurse, base, "sam")
    nurse.goto(f"{base}/nurse/route/{DAY}/{route.clinician_id}")
    first = route.visit_ids[0]
    nurse.wait_for_selector('#map[data-drawn="1"]')
    assert nurse.evaluate("document.documentElement.scrollWidth") <= 360
    nurse.screenshot(path=str(ARTIFACTS / "nurse-sample-route.png"))
    nurse.locator(f"#v-{first}").get_by_role("button", name="Done").click()
    nurse.wait_for_selector(f"#v-{first} .status.done")
    assert nurse_errors == []
    phone.close()

    page.goto(f"{base}/coordinator/day/{DAY}")
    row = page.locator(f'tr[data-visit="{first}"][data-clinician="{route.clinician_id}"]')
    assert "Done" in row.text_content()  # inside a closed <details>: text, not rendering
    page.screenshot(path=str(ARTIFACTS / "coordinator-sample-board.png"))
    assert errors == []
    desk.close()

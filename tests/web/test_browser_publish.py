"""Two coordinators in a real browser (headless Chromium) editing the same published rota:
A publishes her change first; B's Publish is refused with what A changed, B rebases in one
click and publishes, and both changes reach the nurses. Any console error but the refusal's
409 fails the test (a CSP violation would show there). Screenshots go to tests/web/artifacts/."""

from __future__ import annotations

from pathlib import Path

from tests.support.browser import sign_in, watch
from tests.support.web import (
    DAY,
    FAST_HASH,
    PASSWORD,
    assert_checker_clean,
    clean_moves,
    live_server,
    needs_browser,
)

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = needs_browser



def _move(page, base: str, version_id: int, edit) -> None:
    page.goto(f"{base}/coordinator/day/{DAY}?version={version_id}")
    page.fill("#edit-visit", edit.visit_id)
    page.select_option("#edit-to", edit.to_clinician)
    page.click("#edit-submit")
    page.wait_for_selector("text=The checker finds nothing new")


def test_two_coordinators_in_the_browser_rebase_instead_of_undoing(app, db, published, users,
                                                                  browser):  # fmt: skip
    from web.models import DayImport, RotaVersion
    from web.services.days import problem_for
    from web.services.rotas import rota_from_json
    from web.services.users import create_user

    create_user(db, "coord2", PASSWORD, "coordinator", hash_method=FAST_HASH)
    db.commit()
    problem = problem_for(db.get(DayImport, published.import_id))
    a_move, b_move = clean_moves(problem, rota_from_json(published.rota))
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        pages, errors_of = {}, {}
        for name in ("coord", "coord2"):
            page = browser.new_context(viewport={"width": 1280, "height": 1600}).new_page()
            errors_of[name] = watch(page)
            sign_in(page, base, name)
            pages[name] = page
        a, b = pages["coord"], pages["coord2"]
        _move(a, base, published.id, a_move)
        _move(b, base, published.id, b_move)
        a.locator("tr.selected").get_by_role("button", name="Publish").click()
        a.wait_for_selector("text=Published as version 2")
        b.locator("tr.selected").get_by_role("button", name="Publish").click()
        b.wait_for_selector("#publish-conflict")
        card = b.locator("#publish-conflict").inner_text()
        assert "made from published version 1" in card and a_move.visit_id in card
        b.screenshot(path=str(ARTIFACTS / "publish-conflict.png"), full_page=False)
        b.click("#rebase")
        b.wait_for_selector("text=re-applied on published version 2")
        b.locator("tr.selected").get_by_role("button", name="Publish").click()
        b.wait_for_selector("text=Published as version 3")
        b.screenshot(path=str(ARTIFACTS / "publish-rebased.png"), full_page=False)
    # the refusal is a 409 page, which Chromium logs as a failed load; nothing else may show
    errors = errors_of["coord"] + errors_of["coord2"]
    assert [e for e in errors if "status of 409" not in e] == []
    assert len(errors) == 1
    db.expire_all()
    latest = max((v for v in db.query(RotaVersion).all() if v.number), key=lambda v: v.number)
    assert latest.number == 3
    version, _ = assert_checker_clean(db, latest.id)
    placed = {(s["visit_id"], r["clinician_id"]) for r in version.rota["routes"]
              for s in r["stops"] if s["visit_id"]}  # fmt: skip
    assert (a_move.visit_id, a_move.to_clinician) in placed
    assert (b_move.visit_id, b_move.to_clinician) in placed

"""The "your route has changed" notice: what the nurse saw is remembered when she (and only
she) opens her route; a later published version that changes it is explained on her next
visit, and the open page can poll a small version endpoint."""

from __future__ import annotations

import copy
import re

import pytest

from tests.support.web import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DAY,
    live_server,
    needs_browser,
    nurse_visits,
    text_of,
)
from web.services.route_changes import compare, fingerprint, her_stops

ROUTE = f"/nurse/route/{DAY}/C002"
VERSION_API = f"/api/days/{DAY}/routes/C002/version"


def _shift_stop(stop: dict, minutes: int) -> None:
    from datetime import timedelta

    from web.services.rotas import time_from_json, time_to_json

    for key in ("start", "end"):
        stop[key] = time_to_json(time_from_json(stop[key]) + timedelta(minutes=minutes))


def publish_edit(db, published, users, cid: str, retime: bool = True):
    """Publish version 2: ``cid``'s last visit taken off her route (left unassigned, which is
    no violation) and, when ``retime``, another of her visits moved by a few minutes. Every
    candidate is re-checked with ``scheduler.domain.check`` and only a clean one is published.

    Returns (removed visit id, (moved visit id, old HH:MM, new HH:MM) or None).
    """
    from scheduler.domain.check import check
    from web.models import Day, DayImport
    from web.services.days import problem_for
    from web.services.rotas import latest_published, publish, rota_from_json, save_draft

    imp = db.get(DayImport, published.import_id)
    problem = problem_for(imp)

    def clean(data: dict) -> bool:
        return check(problem, rota_from_json(data)).ok

    def route_of(data: dict) -> dict:
        return next(r for r in data["routes"] if r["clinician_id"] == cid)

    base = copy.deepcopy(published.rota)
    stops = route_of(base)["stops"]
    last = max(i for i, s in enumerate(stops) if s["kind"] == "visit")
    removed = stops.pop(last)["visit_id"]
    base["unassigned"].append({"visit_id": removed, "reason": "taken off by the coordinator",
                               "code": "other"})  # fmt: skip
    assert clean(base), "taking the last visit off a route should stay feasible"
    moved = None
    if retime:
        stops = route_of(base)["stops"]
        for i in reversed(range(len(stops))):
            if stops[i]["kind"] != "visit":
                continue
            for minutes in (10, -10, 5, -5, 1, -1):
                trial = copy.deepcopy(base)
                t_stops = route_of(trial)["stops"]
                _shift_stop(t_stops[i], minutes)
                if minutes < 0:
                    t_stops[i]["arrive"] = min(t_stops[i]["arrive"], t_stops[i]["start"])
                if clean(trial):
                    moved = (stops[i]["visit_id"], stops[i]["start"][11:16],
                             t_stops[i]["start"][11:16])  # fmt: skip
                    base = trial
                    break
            if moved:
                break
        assert moved, "no visit of the route could be moved by a few minutes"
    # made from version 1 whatever has been published since: it replaces the latest entirely
    latest = latest_published(db, db.get(Day, published.day_id))
    version = save_draft(db, imp, rota_from_json(base), users["coord"])
    publish(db, version, users["coord"], confirm_replace=latest.number if latest else None)
    db.commit()
    return removed, moved


def _views(db):
    from sqlalchemy import select

    from web.models import RouteView

    db.expire_all()
    return list(db.scalars(select(RouteView).order_by(RouteView.id)))


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _start_of(rota: dict, cid: str, vid: str) -> str:
    stops = next(r for r in rota["routes"] if r["clinician_id"] == cid)["stops"]
    return next(s["start"] for s in stops if s.get("visit_id") == vid)[11:16]


# --- the pure comparison ---------------------------------------------------------------------


def _s(vid: str, start: str, end: str = "") -> dict:
    return {"visit_id": vid, "start": f"2026-11-23T{start}:00",
            "end": f"2026-11-23T{end or start}:00"}  # fmt: skip


def test_compare_names_added_removed_and_moved_visits():
    before = [_s("A", "08:00"), _s("B", "09:00"), _s("C", "10:00")]
    after = [_s("A", "08:00"), _s("C", "10:30"), _s("D", "11:00")]
    changes = compare(before, after, 1, 2)
    assert changes
    assert changes.added == [{"visit_id": "D", "start": "11:00"}]
    assert changes.removed == [{"visit_id": "B", "start": "09:00"}]
    assert changes.retimed == [{"visit_id": "C", "before": "10:00", "after": "10:30"}]
    assert changes.marks() == {"D": "New", "C": "Was 10:00"}
    assert changes.lines() == ["New visit D at 11:00", "Removed B (was at 09:00)",
                               "C moved from 10:00 to 10:30"]  # fmt: skip


def test_compare_sees_a_new_order_and_no_change():
    a, b = _s("A", "08:00"), _s("B", "09:00")
    assert not compare([a, b], [a, b], 1, 2)
    swapped = compare([a, b], [b, a], 1, 2)
    assert swapped.reordered and swapped.lines() == ["The order of your visits changed"]
    longer = compare([_s("A", "08:00", "08:30")], [_s("A", "08:00", "08:45")], 1, 2)
    assert longer.retimed  # same start, longer visit: still a change to her day


def test_fingerprint_follows_her_stops_only():
    a = [_s("A", "08:00"), _s("B", "09:00")]
    assert fingerprint(a) == fingerprint(copy.deepcopy(a))
    assert fingerprint(a) != fingerprint([_s("A", "08:00"), _s("B", "09:05")])
    assert fingerprint(a) != fingerprint(a[::-1])
    assert fingerprint(a) != fingerprint([])


# --- through the app ---------------------------------------------------------------------------


def test_opening_her_route_records_what_she_saw(as_role, published, small_rota, db, users):
    c = as_role("nurse")
    assert "has changed since" not in text_of(c.get(ROUTE))
    [view] = _views(db)
    assert (view.user_id, view.day_id, view.version_number) == (users["nurse"].id,
                                                                published.day_id, 1)  # fmt: skip
    assert [s["visit_id"] for s in view.seen] == nurse_visits(small_rota, "C002")
    assert view.seen[0]["start"][11:16] == _start_of(
        published.rota, "C002", view.seen[0]["visit_id"]
    )
    c.get(ROUTE)
    assert len(_views(db)) == 1  # one row per nurse and day, updated


@pytest.mark.parametrize("who", ["coord", "ops", "admin"])
def test_someone_else_opening_her_route_records_nothing(as_role, published, db, who):
    assert as_role(who).get(ROUTE).status_code == 200
    assert _views(db) == []


def test_after_a_new_version_she_is_told_what_changed_once(as_role, published, db, users):
    c = as_role("nurse")
    c.get(ROUTE)  # she looks at version 1
    removed, (moved, before, after) = publish_edit(db, published, users, "C002")
    html = c.get(ROUTE).get_data(as_text=True)
    page = text_of_html(html)
    assert 'id="route-changed"' in html
    assert "Your route has changed since you last opened it" in page
    assert "(version 1 → 2)" in page
    assert f"Removed {removed} (was at " in page
    assert f"{moved} moved from {before} to {after}" in page
    assert f'id="v-{removed}"' not in html
    stop = html[html.index(f'id="v-{moved}"') :].split("</li>", 1)[0]
    assert f'<span class="changed">Was {before}</span>' in stop
    [view] = _views(db)
    assert view.version_number == 2
    assert removed not in {s["visit_id"] for s in view.seen}
    again = c.get(ROUTE).get_data(as_text=True)  # she has now seen it
    assert 'id="route-changed"' not in again and "Was " not in again


def test_a_new_version_that_leaves_her_route_alone_says_nothing(as_role, published, db, users):
    c = as_role("nurse")
    c.get(ROUTE)
    publish_edit(db, published, users, "C003", retime=False)  # another nurse's visit
    html = c.get(ROUTE).get_data(as_text=True)
    assert 'id="route-changed"' not in html and "version 2" in html
    assert _views(db)[0].version_number == 2


def test_the_coordinator_sees_whether_she_has_opened_the_latest(as_role, published, db, users):
    coord = as_role("coord")
    assert "has not opened this route yet" in text_of(coord.get(ROUTE))
    as_role("nurse").get(ROUTE)
    page = text_of(coord.get(ROUTE))
    assert "last opened this route" in page and "version 1." in page
    publish_edit(db, published, users, "C002", retime=False)
    assert "version 1 — not the latest" in text_of(coord.get(ROUTE))


def test_the_page_carries_what_the_poll_compares(as_role, published, db, users):
    c = as_role("nurse")
    html = c.get(ROUTE).get_data(as_text=True)
    watch_tag = re.search(r'<div id="route-watch"[^>]*>', html)
    assert watch_tag is not None, "no route-watch element"
    watch = watch_tag.group(0)
    assert " hidden " in watch
    assert f'data-url="{VERSION_API}"' in watch and 'data-version="1"' in watch
    fingerprint = re.search(r'data-fingerprint="([0-9a-f]{16})"', watch)
    assert fingerprint is not None, "no data-fingerprint"
    drawn = fingerprint.group(1)
    assert "nurse.js" in html
    for tag in re.findall(r"<script[^>]*>", html):  # CSP: no inline script
        assert "src=" in tag or 'type="application/json"' in tag, tag
    r = c.get(VERSION_API)
    assert r.status_code == 200
    assert r.get_json() == {"date": DAY, "version": 1, "fingerprint": drawn}
    publish_edit(db, published, users, "C003", retime=False)  # not hers: same fingerprint
    assert c.get(VERSION_API).get_json() == {"date": DAY, "version": 2, "fingerprint": drawn}
    publish_edit(db, published, users, "C002", retime=False)  # v3: v1 less her last visit
    now = c.get(VERSION_API).get_json()
    assert now["version"] == 3 and now["fingerprint"] != drawn
    assert _views(db)[0].version_number == 1  # polling is not looking


def test_the_version_endpoint_keeps_to_her_own_route(as_role, published, small_rota):
    nurse = as_role("nurse")
    assert nurse.get(f"/api/days/{DAY}/routes/C003/version").status_code == 404
    assert nurse.get(f"/api/days/{DAY}/routes/C999/version").status_code == 404
    assert as_role("nurse2").get(VERSION_API).status_code == 404
    other = as_role("coord").get(f"/api/days/{DAY}/routes/C003/version").get_json()
    mine = nurse.get(VERSION_API).get_json()
    assert other["fingerprint"] != mine["fingerprint"]
    assert other["fingerprint"] == fingerprint(her_stops(published.rota, "C003"))
    empty = nurse.get("/api/days/2030-01-01/routes/C002/version")
    assert empty.status_code == 200 and empty.get_json()["version"] is None
    assert nurse.get("/api/days/not-a-date/routes/C002/version").status_code == 404


def test_the_version_endpoint_needs_a_signed_in_user(client, published):
    r = client.get(VERSION_API)
    assert r.status_code == 401 and r.get_json()["error"]


# --- in a real browser: nurse.js notices a new version while the page is open -------------------


@pytest.fixture
def live(app, published):
    with live_server(app) as url:
        yield url


@needs_browser
def test_the_open_page_says_when_her_route_changes(live, db, users, published):
    import playwright.sync_api as pw

    from tests.support.web import PASSWORD

    with pw.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live}/auth/login")
        page.fill("input[name=username]", "nurse")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**{ROUTE}")
        page.wait_for_selector('#route-watch[data-watching="1"]', state="attached")

        def poll_now():  # what coming back to the page does; the timer does it every 60 s
            with page.expect_response(lambda r: r.url.endswith("/version")):
                page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

        poll_now()
        assert not page.is_visible("#route-watch")  # nothing changed yet
        publish_edit(db, published, users, "C003", retime=False)  # not her route
        poll_now()
        assert not page.is_visible("#route-watch")
        removed, _ = publish_edit(db, published, users, "C002", retime=False)
        poll_now()
        page.wait_for_selector("#route-watch[data-state=changed]")
        assert "Your route has changed — reload" in page.inner_text("#route-watch")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.locator("#route-watch").get_by_role("link", name="Reload").click()
        page.wait_for_selector("#route-changed")
        assert f"Removed {removed}" in page.inner_text("#route-changed")
        assert errors == []
        browser.close()

"""The nurse's phone page: her own published route only, and doorstep status reports that
the coordinator's board shows."""

from __future__ import annotations

import re

from webhelpers import DAY, csrf, nurse_visits, text_of

ROUTE = f"/nurse/route/{DAY}/C002"


def _status(c, vid, status, **extra):
    data = {"csrf_token": csrf(c), "status": status, **extra}
    return c.post(f"{ROUTE}/visits/{vid}/status", data=data)


def test_nurse_home_goes_to_her_route_today(as_role, published):
    c = as_role("nurse")
    r = c.get("/nurse/")
    assert r.status_code == 302 and r.headers["Location"] == ROUTE


def test_the_route_lists_her_stops_in_order_with_what_she_needs(as_role, published,
                                                                small_rota):  # fmt: skip
    c = as_role("nurse")
    r = c.get(ROUTE)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    mine = nurse_visits(small_rota, "C002")
    assert mine, "the small day's rota should give C002 visits"
    positions = [html.index(f'id="v-{vid}"') for vid in mine]
    assert positions == sorted(positions)  # in the order driven
    for vid in mine:
        block = html[html.index(f'id="v-{vid}"') :].split("</li>", 1)[0]
        assert "https://www.google.com/maps/dir/?api=1&amp;destination=" in block
        assert "geo:" in block
        assert "window" in block
    others = {v for r in small_rota.routes if r.clinician_id != "C002" for v in r.visit_ids}
    assert not any(f'id="v-{vid}"' in html for vid in others - set(mine))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'id="map-data"' in html and "leaflet.js" in html
    assert len(html) < 60_000  # small enough for a poor signal


def test_a_nurse_cannot_open_another_nurses_route(as_role, published):
    c = as_role("nurse")
    assert c.get(f"/nurse/route/{DAY}/C003").status_code == 404
    assert c.get(f"/nurse/route/{DAY}/C999").status_code == 404
    assert c.get(f"/api/days/{DAY}/routes/C003").status_code == 404
    assert c.get(f"/api/days/{DAY}/routes/C002").status_code == 200


def test_a_coordinator_may_open_any_route_but_not_report(as_role, published, small_rota):
    c = as_role("coord")
    html = c.get(f"/nurse/route/{DAY}/C003").get_data(as_text=True)
    assert nurse_visits(small_rota, "C003")[0] in html
    assert "Could not complete" not in html
    vid = nurse_visits(small_rota, "C002")[0]
    assert _status(c, vid, "done").status_code == 403


def test_marking_visits_shows_on_the_nurse_page_and_the_board(as_role, published, small_rota):
    nurse = as_role("nurse")
    first, second, third = nurse_visits(small_rota, "C002")[:3]
    r = _status(nurse, first, "arrived")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"#v-{first}")
    assert _status(nurse, first, "done").status_code == 303
    r = _status(nurse, second, "not_completed", reason="Patient not at home", note="no answer")
    assert r.status_code == 303
    page = text_of(nurse.get(ROUTE))
    assert "Done at" in page
    assert "Could not complete at" in page and "Patient not at home: no answer" in page
    board = as_role("coord").get(f"/coordinator/day/{DAY}")
    html = board.get_data(as_text=True)
    assert 'class="status done"' in html and 'class="status not_completed"' in html
    assert "Patient not at home: no answer" in html
    assert re.search(r'class="bar visit done"', html)  # the timeline marks it too
    api = as_role("coord").get(f"/api/days/{DAY}/statuses").get_json()["statuses"]
    assert {(s["visit_id"], s["status"]) for s in api} == {(first, "done"),
                                                          (second, "not_completed")}  # fmt: skip
    assert third not in {s["visit_id"] for s in api}


def test_could_not_complete_needs_a_reason(as_role, published, small_rota, db):
    from sqlalchemy import func, select

    from web.models import VisitStatus

    c = as_role("nurse")
    vid = nurse_visits(small_rota, "C002")[0]
    _status(c, vid, "not_completed", reason="", note="")
    assert "say why" in text_of(c.get(ROUTE))
    assert db.scalar(select(func.count(VisitStatus.id))) == 0


def test_a_nurse_cannot_report_on_visits_that_are_not_hers(as_role, published, small_rota, db):
    from sqlalchemy import func, select

    from web.models import VisitStatus

    c = as_role("nurse")
    theirs = nurse_visits(small_rota, "C003")[0]
    r = _status(c, theirs, "done")  # on her own URL, another nurse's visit
    assert r.status_code == 303
    assert "not on your route" in text_of(c.get(ROUTE))
    r = c.post(f"/nurse/route/{DAY}/C003/visits/{theirs}/status",
               data={"csrf_token": csrf(c), "status": "done"})  # fmt: skip
    assert r.status_code == 404
    assert _status(c, nurse_visits(small_rota, "C002")[0], "teleported").status_code == 303
    assert db.scalar(select(func.count(VisitStatus.id))) == 0


def test_no_published_rota_yet(as_role, draft):
    c = as_role("nurse")
    r = c.get(ROUTE)
    assert r.status_code == 200 and "No rota has been published" in text_of(r)
    assert c.get("/nurse/route/2030-01-01/C002").status_code == 200


def test_statuses_are_audited(as_role, published, small_rota, db):
    from sqlalchemy import select

    from web.models import AuditLog

    c = as_role("nurse")
    vid = nurse_visits(small_rota, "C002")[0]
    _status(c, vid, "done")
    entry = db.scalar(select(AuditLog).where(AuditLog.action == "visit_status"))
    assert entry.username == "nurse" and vid in entry.detail and "done" in entry.detail

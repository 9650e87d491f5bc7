"""The nurse's phone page: her own published route only, and doorstep status reports that
the coordinator's board shows."""

from __future__ import annotations

import re

from tests.support.web import (
    DAY,
    FAST_HASH,
    PASSWORD,
    csrf,
    import_day_moved,
    nurse_visits,
    publish_moved,
    text_of,
)

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


# --- other days: tomorrow, and the night shift that started yesterday ------------------------


TOMORROW = "2026-11-24"


def test_tomorrow_is_a_tab_only_once_published(as_role, published, small_rota, db, users):
    c = as_role("nurse")
    html = c.get(ROUTE).get_data(as_text=True)
    assert 'aria-current="page"' in html and ">Today</a>" in html
    assert "Tomorrow: not published yet" in text_of(c.get(ROUTE))
    assert f"/nurse/route/{TOMORROW}/C002" not in html
    imp = import_day_moved(db, users, 1)  # imported, not yet published
    assert f"/nurse/route/{TOMORROW}/C002" not in c.get(ROUTE).get_data(as_text=True)
    publish_moved(db, users, imp, small_rota, 1)
    html = c.get(ROUTE).get_data(as_text=True)
    assert f'href="/nurse/route/{TOMORROW}/C002">Tomorrow</a>' in html
    tomorrow = c.get(f"/nurse/route/{TOMORROW}/C002")
    page = tomorrow.get_data(as_text=True)
    assert tomorrow.status_code == 200 and "Tue 24 Nov 2026" in page
    assert f'id="v-{nurse_visits(small_rota, "C002")[0]}"' in page
    assert f'href="/nurse/route/{DAY}/C002">Today</a>' in page
    assert re.search(r'class="current" aria-current="page">Tomorrow<', page)


def _night_nurse(db):
    from web.services.users import create_user

    create_user(db, "night", PASSWORD, "nurse", clinician_id="C010", hash_method=FAST_HASH)
    db.commit()


def test_a_night_nurse_at_2am_lands_on_the_day_her_shift_started(app, as_role, published, db):
    _night_nurse(db)
    night, day_nurse = as_role("night"), as_role("nurse")
    app.config["HAH_NOW"] = f"{TOMORROW}T02:00"  # C010 works 21:00–07:30, C002 07:00–15:00
    r = night.get("/nurse/")
    assert r.status_code == 302 and r.headers["Location"] == f"/nurse/route/{DAY}/C010"
    assert day_nurse.get("/nurse/").headers["Location"] == f"/nurse/route/{TOMORROW}/C002"
    html = night.get(f"/nurse/route/{DAY}/C010").get_data(as_text=True)
    assert f'href="/nurse/route/{DAY}/C010" class="current" aria-current="page">Today</a>' in html
    app.config["HAH_NOW"] = f"{TOMORROW}T07:29"
    assert night.get("/nurse/").headers["Location"] == f"/nurse/route/{DAY}/C010"
    app.config["HAH_NOW"] = f"{TOMORROW}T07:45"  # her shift is over: the new day
    assert night.get("/nurse/").headers["Location"] == f"/nurse/route/{TOMORROW}/C010"
    app.config["HAH_NOW"] = f"{DAY}T22:00"  # the same evening: the day itself
    assert night.get("/nurse/").headers["Location"] == f"/nurse/route/{DAY}/C010"


def test_the_night_rule_needs_no_published_rota(app, as_role, day_import, db):
    """Her shift is known from the import even before the rota is published."""
    _night_nurse(db)
    app.config["HAH_NOW"] = f"{TOMORROW}T03:00"
    assert as_role("night").get("/nurse/").headers["Location"] == f"/nurse/route/{DAY}/C010"


def test_each_visit_card_shows_its_access_notes_and_risks_escaped(as_role, db, users,
                                                                  small_rota):  # fmt: skip
    """What the patient's record says about getting in and staying safe travels with the
    visit to the nurse's phone: access notes as text (markup in them escaped, never run) and
    the risk flags in plain words; a visit without them shows neither."""
    from datetime import date

    from scheduler.domain.formats.amend import update_row
    from tests.support.web import small_files
    from web.services.days import Upload, import_day
    from web.services.rotas import publish, save_draft

    first, second = nurse_visits(small_rota, "C002")[:2]
    v, c = small_files()
    v = update_row(v, "visit_id", first, {
        "access_notes": 'Key safe 4321 by the side gate <script>alert("x")</script>',
        "risk_flags": "Dog;oxygen",
    })  # fmt: skip
    imp = import_day(db, date.fromisoformat(DAY), Upload("visits.csv", v),
                     Upload("clinicians.csv", c), users["coord"])  # fmt: skip
    version = save_draft(db, imp, small_rota, users["coord"])
    assert version.violations == []
    publish(db, version, users["coord"])
    db.commit()

    html = as_role("nurse").get(ROUTE).get_data(as_text=True)
    card = html[html.index(f'id="v-{first}"') :].split("</li>\n  ", 1)[0]
    assert "<b>Access:</b> Key safe 4321 by the side gate &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in card
    assert "<script>alert" not in html
    assert '<ul class="risks"' in card
    assert "<li>dog in the home</li>" in card
    assert "<li>oxygen in use: no smoking or naked flames</li>" in card
    other = html[html.index(f'id="v-{second}"') :].split("</li>\n  ", 1)[0]
    assert 'class="risks"' not in other and "Access:" not in other

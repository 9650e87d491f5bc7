"""The live day through the pages and the API, on the small day with the clock set: the board
shows the time and each visit's state; an event is answered with proposals; accepting makes
a checked draft whose changes and "who to tell" the board shows; publishing puts it on the
nurse's phone; a nurse running late flags visits at risk on the board; the ops page shows the
2-hour response."""

from __future__ import annotations

import re
import time

from scheduler.domain.localtime import local
from tests.support.web import DAY, FAST_HASH, PASSWORD, assert_checker_clean, csrf, login, text_of
from web.models import DayEvent, RotaVersion, User
from web.services.rotas import rota_from_json


def _event_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    found = re.search(r"event=(\d+)", response.headers["Location"])
    assert found is not None
    return int(found.group(1))


def _ready_page(app, client, response) -> str:
    """The board the event's redirect opens, once its proposals are worked out: the request
    waits a few seconds for the worker; a slower one shows "working out proposals…" and the
    page follows the event until they are ready (here: the runner is waited for)."""
    page = text_of(client.get(response.headers["Location"]))
    if "working out proposals" in page:
        assert app.extensions["hah_event_runner"].wait(_event_id(response), 120)
        page = text_of(client.get(response.headers["Location"]))
    return page


def _ready_json(client, response) -> dict:
    """An event from POST /api/days/<date>/events once ready: 201 with its proposals when the
    worker answered within the wait, else 202 and its URL, polled until it is."""
    assert response.status_code in (201, 202), response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(body["url"])
    deadline = time.monotonic() + 120
    while body["state"] in ("queued", "running"):
        assert response.status_code == 202 and time.monotonic() < deadline
        time.sleep(0.2)
        body = client.get(body["url"]).get_json()
    assert body["state"] == "ready", body
    return body


def _draft_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    found = re.search(r"version=(\d+)", response.headers["Location"])
    assert found is not None
    return int(found.group(1))


def _sign_in_as_nurse_of(app, db, cid: str):
    from web.services.users import create_user

    name = f"nurse-{cid.lower()}"
    if db.query(User).filter_by(username=name).first() is None:
        create_user(db, name, PASSWORD, "nurse", clinician_id=cid, hash_method=FAST_HASH)
        db.commit()
    c = app.test_client()
    assert login(c, name).status_code == 302
    return c


def test_a_referral_from_the_board_to_the_nurses_phone(app, db, as_role, published):
    app.config["HAH_NOW"] = f"{DAY}T10:00"
    coord = as_role("coord")
    board = coord.get(f"/coordinator/day/{DAY}")
    page = text_of(board)
    assert "Live day · now 10:00" in page and "clock set" in page
    assert re.search(r"\d+ done \(by the clock, not reported\)", page)
    assert re.search(r"\d+ planned", page)

    r = coord.post(f"/coordinator/day/{DAY}/events", data={
        "csrf_token": csrf(coord), "kind": "referral", "lat": "51.75", "lon": "-0.33",
        "skills": "IV", "duration_min": "30", "address": "1 Test Lane, St Albans"})  # fmt: skip
    event_id = _event_id(r)
    page = _ready_page(app, coord, r)
    assert "Urgent referral at 10:00" in page and "Accept proposal 1" in page
    assert "checker: no violations" in page

    r = coord.post(f"/coordinator/events/{event_id}/accept",
                   data={"csrf_token": csrf(coord), "proposal": "0"})  # fmt: skip
    draft_id = _draft_id(r)
    assert_checker_clean(db, draft_id)
    page = text_of(coord.get(r.headers["Location"]))
    assert "What this draft changes" in page and "Who to tell (1)" in page
    event = db.get(DayEvent, event_id)
    vid = event.detail["visit_id"]
    cid = event.proposals[0]["clinician_id"]
    assert f"{vid} added for {cid}" in page

    r = coord.post(f"/coordinator/versions/{draft_id}/publish", data={"csrf_token": csrf(coord)})
    assert r.status_code == 302
    db.expire_all()
    assert db.get(RotaVersion, draft_id).number == 2

    nurse = _sign_in_as_nurse_of(app, db, cid)
    phone = nurse.get(f"/nurse/route/{DAY}/{cid}")
    assert phone.status_code == 200
    assert f'id="v-{vid}"' in phone.get_data(as_text=True)
    assert "1 Test Lane, St Albans" in text_of(phone)

    app.config["HAH_NOW"] = f"{DAY}T10:40"
    r = nurse.post(f"/nurse/route/{DAY}/{cid}/visits/{vid}/status",
                   data={"csrf_token": csrf(nurse), "status": "arrived"})  # fmt: skip
    assert r.status_code == 303
    ops = as_role("ops")
    page = text_of(ops.get(f"/ops/day/{DAY}"))
    assert "1 of 1 urgent referrals reached within 2 hours; median 40 min" in page
    week = ops.get(f"/api/figures?week={DAY}").get_json()
    (day,) = [d for d in week["days"] if d["date"] == DAY]
    assert day["urgent_response"]["referrals"][0]["minutes"] == 40
    assert (week["totals"]["urgent_referrals"], week["totals"]["urgent_met"]) == (1, 1)


def test_a_nurse_running_late_flags_her_visits_at_risk_on_the_board(app, db, as_role, published):
    app.config["HAH_NOW"] = f"{DAY}T09:30"
    rota = rota_from_json(published.rota)
    nurse = as_role("nurse")  # C002
    assert rota.route_of("C002") is not None
    r = nurse.post(f"/nurse/route/{DAY}/C002/late", data={"csrf_token": csrf(nurse),
                                                          "minutes": "150"})  # fmt: skip
    assert r.status_code == 303
    event = db.query(DayEvent).one()
    assert event.kind == "late" and event.detail["reported_by"].startswith("nurse")
    flagged = event.detail["at_risk"]
    assert flagged, "150 minutes late must put some visit past its window"
    page = text_of(as_role("coord").get(f"/coordinator/day/{DAY}"))
    assert f"{len(flagged)} visit(s) at risk of missing their window" in page
    for f in flagged:
        assert f["visit_id"] in page
    html = as_role("coord").get(f"/coordinator/day/{DAY}").get_data(as_text=True)
    assert "state-at_risk" in html


def test_the_api_takes_an_absence_and_asks_to_confirm_a_priority1_left_out(
    app, db, as_role, published
):
    app.config["HAH_NOW"] = f"{DAY}T08:00"
    c = as_role("coord")
    h = {"X-CSRF-Token": csrf(c)}
    rota = rota_from_json(published.rota)
    busiest = max(rota.routes, key=lambda r: len(r.visit_ids)).clinician_id
    r = c.post(f"/api/days/{DAY}/events", json={"kind": "absent", "clinician_id": busiest},
               headers=h)  # fmt: skip
    body = _ready_json(c, r)
    assert body["detail"]["clinician_id"] == busiest and body["proposals"]
    p = body["proposals"][0]
    assert "rota" not in p and set(p["summary"]) >= {"moved", "retimed", "dropped"}
    if p["needs_confirm"]:
        refused = c.post(f"/api/events/{body['id']}/accept", json={"proposal": 0}, headers=h)
        assert refused.status_code == 409 and "confirm" in refused.get_json()["error"]
    ok = c.post(f"/api/events/{body['id']}/accept", json={"proposal": 0, "confirm": True},
                headers=h)  # fmt: skip
    assert ok.status_code == 201
    assert_checker_clean(db, ok.get_json()["draft_version_id"])
    again = c.post(f"/api/events/{body['id']}/accept", json={"proposal": 0, "confirm": True},
                   headers=h)  # fmt: skip
    assert again.status_code == 409

    live = c.get(f"/api/days/{DAY}/live").get_json()
    assert live["now"] == f"{DAY}T08:00" and live["published_version"] == published.id
    states = {(x["visit_id"], x["clinician_id"]): x["state"] for x in live["states"]}
    for route in rota.routes:
        for s in route.stops:
            if s.visit_id and local(s.start).hour >= 12:
                assert states[(s.visit_id, route.clinician_id)] == "planned"


def test_bad_events_get_clear_422s(app, as_role, published):
    app.config["HAH_NOW"] = f"{DAY}T10:00"
    c = as_role("coord")
    h = {"X-CSRF-Token": csrf(c)}
    r = c.post(f"/api/days/{DAY}/events", json={"kind": "earthquake"}, headers=h)
    assert r.status_code == 422 and "kind" in r.get_json()["error"]
    r = c.post(f"/api/days/{DAY}/events", json={"kind": "referral", "lat": "x", "lon": "1"},
               headers=h)  # fmt: skip
    assert r.status_code == 422
    assert any(i["column"] == "lat" for i in r.get_json()["issues"])
    r = c.post(f"/api/days/{DAY}/events", json=["not", "an", "object"], headers=h)
    assert r.status_code == 400 and "JSON object" in r.get_json()["error"]
    r = c.post(f"/coordinator/day/{DAY}/events",
               data={"csrf_token": csrf(c), "kind": "late", "clinician_id": "NOBODY"})  # fmt: skip
    assert r.status_code == 422 and "not on shift" in text_of(r)
    assert c.get("/api/events/999999").status_code == 404


def test_who_could_take_ranks_clinicians_and_moves_in_one_click(app, db, as_role, published):
    app.config["HAH_NOW"] = f"{DAY}T07:00"
    c = as_role("coord")
    rota = rota_from_json(published.rota)
    vid = next(s.visit_id for r in rota.routes for s in r.stops
               if s.visit_id and local(s.start).hour >= 13)  # fmt: skip
    body = c.get(f"/api/versions/{published.id}/who-could-take/{vid}").get_json()
    options = body["options"]
    assert options and options == sorted(options, key=lambda o: (not o["feasible"],))
    page = c.get(f"/coordinator/day/{DAY}/who?visit_id={vid}")
    assert page.status_code == 200 and "Move it here" in text_of(page)
    best = next(o for o in options if o["feasible"])
    r = c.post(f"/coordinator/versions/{published.id}/edit", data={
        "csrf_token": csrf(c), "op": "move", "visit_id": vid,
        "to_clinician": best["clinician_id"], "position": str(best["position"])})  # fmt: skip
    assert r.status_code == 303
    assert_checker_clean(db, _draft_id(r))


class _HeldRunner:
    """An event runner that queues and runs nothing until told: the worker is busy."""

    def __init__(self, real):
        self.real, self.held = real, []
        self.work = real.work

    def submit(self, row_id, attempt=None):
        self.held.append(row_id)

    def wait(self, row_id, timeout=None):
        return False

    def pending(self, row_id, attempt):
        return True

    def release(self):
        for row_id in self.held:
            self.real.submit(row_id)
            assert self.real.wait(row_id, 120)


def test_an_event_not_yet_answered_is_polled_and_cannot_be_accepted(app, db, as_role, published):
    """While the worker has not answered: the API says 202 with the event queued and where
    to poll, accepting it is a 409, and the board shows it "working out proposals…" with
    the address its script polls; once answered, both show the proposals."""
    app.config["HAH_NOW"] = f"{DAY}T10:00"
    held = _HeldRunner(app.extensions["hah_event_runner"])
    app.extensions["hah_event_runner"] = held
    c = as_role("coord")
    h = {"X-CSRF-Token": csrf(c)}
    r = c.post(f"/api/days/{DAY}/events", json={"kind": "referral", "lat": "51.75",
                                                "lon": "-0.33"}, headers=h)  # fmt: skip
    assert r.status_code == 202
    body = r.get_json()
    assert body["state"] == "queued" and body["proposals"] == []
    assert body["url"] == f"/api/events/{body['id']}" and r.headers["Location"].endswith(body["url"])
    refused = c.post(f"/api/events/{body['id']}/accept", json={"proposal": 0}, headers=h)
    assert refused.status_code == 409 and "queued" in refused.get_json()["error"]

    r = c.post(f"/coordinator/day/{DAY}/events",
               data={"csrf_token": csrf(c), "kind": "replan"})  # fmt: skip
    page_event = _event_id(r)
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "working out proposals…" in html
    assert f'data-status-url="/api/events/{page_event}"' in html and "<script>" not in html

    held.release()
    ready = c.get(body["url"]).get_json()
    assert ready["state"] == "ready" and ready["proposals"]
    page = text_of(c.get(r.headers["Location"]))
    assert "working out proposals" not in page and "Accept proposal 1" in page
    ok = c.post(f"/api/events/{body['id']}/accept", json={"proposal": 0, "confirm": True},
                headers=h)  # fmt: skip
    assert ok.status_code == 201
    assert_checker_clean(db, ok.get_json()["draft_version_id"])


def test_who_could_take_names_the_clinicians_the_patient_ruled_out(app, db, as_role, users,
                                                                   small_rota):  # fmt: skip
    """A visit whose patient excluded a clinician who could otherwise take it: she is never
    offered, and the page and the API say she was left out and why."""
    from datetime import date

    from scheduler.domain.formats.amend import update_row
    from scheduler.domain.formats.day import read_day
    from tests.support.web import DATA, small_files
    from web.services.days import Upload, import_day
    from web.services.rotas import publish, save_draft

    app.config["HAH_NOW"] = f"{DAY}T07:00"
    visits, shifts = read_day(DATA / "visits.csv", DATA / "clinicians.csv")
    on = {vid: r.clinician_id for r in small_rota.routes for vid in r.visit_ids}
    vid, other = next(
        (v.visit_id, s.clinician_id) for v in visits for s in shifts
        if v.staff == 1 and v.visit_id in on and s.clinician_id != on[v.visit_id]
        and s.qualified_for(v) and s.start <= v.window.start and v.window.end <= s.end
    )  # fmt: skip
    data, c = small_files()
    data = update_row(data, "visit_id", vid, {"excluded_clinicians": other})
    imp = import_day(db, date.fromisoformat(DAY), Upload("visits.csv", data),
                     Upload("clinicians.csv", c), users["coord"])  # fmt: skip
    version = save_draft(db, imp, small_rota, users["coord"])
    assert version.violations == []
    publish(db, version, users["coord"])
    db.commit()
    coord = as_role("coord")
    body = coord.get(f"/api/versions/{version.id}/who-could-take/{vid}").get_json()
    assert body["ruled_out"] == [f"excluded by the patient: {other}"]
    assert other not in {o["clinician_id"] for o in body["options"]}
    page = text_of(coord.get(f"/coordinator/day/{DAY}/who?visit_id={vid}"))
    assert f"Left out by the patient's own rules: excluded by the patient: {other}" in page

"""The web app on the October clock-change night: stored, published, shown in local time.

The day is the formats corpus's October night (tests/scheduler/domain/formats/data/clock/):
two 21:00–07:30 shifts (11.5 h) and a visit in each of the two 01:xx hours.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from scheduler.domain.check import check
from scheduler.domain.localtime import hm, parse_contract
from scheduler.domain.model import Rota, Route, Stop
from tests.support.web import FAST_HASH, IO_DATA, PASSWORD, login, text_of
from web.services.rotas import rota_from_json, rota_to_json, time_from_json

CLOCK = IO_DATA / "clock"
EVE = "2026-10-24"


def test_stored_rotas_keep_the_moment_and_read_the_old_naive_form_as_local():
    """rota_to_json writes local time with its offset, so the two 01:10s stay apart through
    JSON; versions stored before (naive local times) still read, as local time."""
    first, second = parse_contract("2026-10-25T01:10+01:00"), parse_contract("2026-10-25T01:10Z")
    rota = Rota((Route("N1", (Stop("visit", "V2", first, first, second, 0),
                              Stop("visit", "V3", second, second, second, 0))),))  # fmt: skip
    data = json.loads(json.dumps(rota_to_json(rota)))
    stop = data["routes"][0]["stops"][0]
    assert (stop["start"], stop["end"]) == ("2026-10-25T01:10:00+01:00", "2026-10-25T01:10:00+00:00")
    assert rota_from_json(data) == rota
    assert time_from_json("2026-07-23T09:30:00") == parse_contract("2026-07-23T08:30Z")
    assert time_from_json("2026-11-23T09:30:00") == parse_contract("2026-11-23T09:30Z")


@pytest.fixture
def october(db, users):
    """The October night imported, solved (checker-clean), published; a nurse account for
    the clinician whose route has V3, in the second 01:xx hour (the rota and her id)."""
    from solver import SolveOptions, solve
    from web.services.days import Upload, import_day, problem_for
    from web.services.rotas import publish, save_draft
    from web.services.users import create_user

    imp = import_day(db, date(2026, 10, 24),
                     Upload("visits.csv", (CLOCK / "october_visits.csv").read_bytes()),
                     Upload("clinicians.csv", (CLOCK / "october_clinicians.csv").read_bytes()),
                     users["coord"])  # fmt: skip
    problem = problem_for(imp)
    rota = solve(problem, SolveOptions(max_iterations=200, seed=1)).rota
    assert check(problem, rota).ok and not rota.unassigned
    version = save_draft(db, imp, rota, users["coord"])
    publish(db, version, users["coord"])
    [cid] = [r.clinician_id for r in rota.routes if "V3" in r.visit_ids]
    create_user(db, "night1", PASSWORD, "nurse", clinician_id=cid, hash_method=FAST_HASH)
    db.commit()
    return rota, cid


def _stops(october: tuple[Rota, str], cid: str | None = None) -> list[Stop]:
    rota, nurse = october
    route = rota.route_of(cid or nurse)
    assert route is not None
    return list(route.stops)


def test_the_nurse_sees_her_night_in_local_time(app, october):
    c = app.test_client()
    login(c, "night1")
    page = text_of(c.get(f"/nurse/route/{EVE}/{october[1]}"))
    stops = _stops(october)
    for s in stops:
        assert f"{hm(s.start)}–{hm(s.end)}" in page
    api = c.get(f"/api/days/{EVE}/routes/{october[1]}").get_json()
    assert api["route"]["shift"] == "21:00–07:30"
    shown = [(x["start"], x["end"]) for x in api["route"]["stops"]]
    assert shown == [(hm(s.start), hm(s.end)) for s in _stops(october)]


def test_the_board_shows_local_times(as_role, october):
    page = text_of(as_role("coord").get(f"/coordinator/day/{EVE}"))
    assert "21:00–07:30" in page
    for cid in ("N1", "N2"):
        for s in _stops(october, cid):
            if s.visit_id:
                assert f"{hm(s.start)} {hm(s.end)} {s.visit_id}" in page


def test_the_calendar_feed_gives_each_visit_its_moment_in_utc(db, october):
    """UTC (``Z``) times: the second 01:10 is a different moment from the first in any app."""
    from web.services.calendar import events_for, render

    body = render(events_for(db, october[1], date(2026, 10, 20)), "night")
    starts = [line for line in body.splitlines() if line.startswith("DTSTART")]
    assert starts == [f"DTSTART:{s.start:%Y%m%dT%H%M%S}Z" for s in _stops(october)
                      if s.visit_id]  # fmt: skip
    assert "TZID=" not in body


def test_a_night_nurse_in_the_repeated_hour_lands_on_her_night(app, october):
    """Now given with its offset (the second 01:30) is inside her shift: yesterday's route;
    07:45 GMT is after it: the new day."""
    c = app.test_client()
    login(c, "night1")
    app.config.pop("HAH_TODAY", None)
    app.config["HAH_NOW"] = "2026-10-25T01:30+00:00"
    assert c.get("/nurse/").headers["Location"] == f"/nurse/route/{EVE}/{october[1]}"
    app.config["HAH_NOW"] = "2026-10-25T07:29"
    assert c.get("/nurse/").headers["Location"] == f"/nurse/route/{EVE}/{october[1]}"
    app.config["HAH_NOW"] = "2026-10-25T07:45"
    assert c.get("/nurse/").headers["Location"] == f"/nurse/route/2026-10-25/{october[1]}"


def test_a_live_event_in_the_repeated_hour_needs_its_offset(db, users, october):
    """A window moved into the repeated hour from the board: without an offset it is refused
    (which 01:30?); with one it is written to the day's file with it and re-planned clean."""
    from web.services.days import get_day
    from web.services.events import EventError, answer, propose

    day = get_day(db, date(2026, 10, 24))
    assert day is not None
    now = parse_contract("2026-10-24T21:00")
    form = {"visit_id": "V5", "window_start": "2026-10-25T01:30", "window_end": "03:00"}
    with pytest.raises(EventError, match=r"window_start: .*happens twice"):
        propose(db, day, "window", form, now, users["coord"])
    event = propose(db, day, "window", {**form, "window_start": "2026-10-25T01:30+00:00",
                                        "window_end": "2026-10-25T03:00"}, now, users["coord"])  # fmt: skip
    event = answer(db, event)  # as the worker would
    assert event.detail["now"] == "01:30–03:00"
    assert event.visits_csv is not None
    assert b"V5,P4,51.8100,-0.1950,2026-10-25T01:30+00:00,2026-10-25T03:00," in event.visits_csv
    assert event.proposals[0]["clean"]

"""The live day's events on the small day: each answered with proposals; accepted, each a
draft from the published version that the independent checker passes and that publishes.

``propose`` stores the event queued (refusing at once what needs no solving); ``answer`` is
what the worker does (``web.services.event_jobs``), run here in the test's session."""

from __future__ import annotations

import pytest

from scheduler.domain.localtime import local
from scheduler.domain.who_could_take import who_could_take
from tests.support.factories import when
from tests.support.web import assert_checker_clean
from web.models import DayEvent, DayImport
from web.services.days import problem_for
from web.services.events import EventError, accept, answer, propose
from web.services.rotas import publish, rota_from_json

NOW = when("2026-11-23T10:00")


def _day(db):
    from web.services.days import get_day

    return get_day(db, local(NOW).date())


def _answered(db, day, kind, form, now, user):
    """An event taken, then its proposals worked out as a worker would."""
    event = propose(db, day, kind, form, now, user)
    assert event.state == "queued" and event.proposals == []
    return answer(db, event)


def _take(db, users, kind, form, now=NOW, index=0, confirm=False):
    day = _day(db)
    event = _answered(db, day, kind, form, now, users["coord"])
    assert event.proposals, "every event is answered with at least one proposal"
    draft = accept(db, event, index, users["coord"], confirm=confirm)
    db.commit()
    return event, draft


def _unstarted_visits(rota, cid, now):
    route = rota.route_of(cid)
    return [s.visit_id for s in route.stops if s.visit_id and s.start - _m(s.travel_min) > now]


def _m(n):
    from datetime import timedelta

    return timedelta(minutes=n)


def test_an_urgent_referral_is_offered_ways_to_take_it_best_first(db, users, published):
    event = _answered(db, _day(db), "referral",
                    {"lat": "51.75", "lon": "-0.33", "skills": "IV", "duration_min": "30"},
                    NOW, users["coord"])  # fmt: skip
    vid = event.detail["visit_id"]
    assert event.detail["window_start"] == "2026-11-23T10:00"
    assert event.detail["window_end"] == "2026-11-23T12:00"  # the 2-hour response by default
    first = event.proposals[0]
    assert first["clean"] and not first["needs_confirm"]
    placed = rota_from_json(first["rota"])
    assert any(vid in r.visit_ids for r in placed.routes)
    assert first["summary"]["moved"] == 0  # taking one visit moves nobody else
    draft = accept(db, event, 0, users["coord"])
    db.commit()
    version, _ = assert_checker_clean(db, draft.id)
    assert version.parent_id == published.id and "Urgent referral" in version.note
    assert publish(db, version, users["coord"]) == 2


def test_a_nurse_off_sick_has_her_remaining_visits_redistributed(db, users, published):
    before = rota_from_json(published.rota)
    busiest = max(before.routes, key=lambda r: len(_unstarted_visits(before, r.clinician_id, NOW)))
    cid = busiest.clinician_id
    mine = _unstarted_visits(before, cid, NOW)
    assert mine
    event, draft = _take(db, users, "absent", {"clinician_id": cid}, confirm=True)
    version, _ = assert_checker_clean(db, draft.id)
    after = rota_from_json(version.rota)
    route = after.route_of(cid)
    assert not route or all(s.start < NOW for s in route.stops)
    proposal = event.proposals[0]
    placed = {v for r in after.routes for v in r.visit_ids}
    unplaced = [v for v in mine if v not in placed]
    was_placed = {v for r in before.routes for v in r.visit_ids}
    assert proposal["summary"]["dropped"] == len(was_placed - placed)  # every drop reported
    assert len(unplaced) <= proposal["summary"]["dropped"]
    problem = problem_for(db.get(DayImport, version.import_id))
    p1 = {v.visit_id for v in problem.visits if v.priority == 1}
    left_out = {x["visit_id"] for x in proposal["priority1_left_out"]}
    assert {v for v in unplaced if v in p1} <= left_out
    for vid in left_out:  # kept unless nobody at all could still take it
        assert not any(o.feasible for o in who_could_take(problem, after, vid, NOW))


def test_running_late_flags_the_visits_at_risk_and_offers_a_re_plan(db, users, published):
    rota = rota_from_json(published.rota)
    cid = max(rota.routes, key=lambda r: len(r.visit_ids)).clinician_id
    event = _answered(db, _day(db), "late", {"clinician_id": cid, "minutes": "90"}, NOW,
                    users["coord"])  # fmt: skip
    assert event.detail["minutes"] == 90 and event.detail["pushed"] >= 1
    assert [p["title"] for p in event.proposals][:2] == [
        "Re-plan around the delay", f"Keep {event.detail['name']}'s route, re-timed"]
    draft = accept(db, event, 0, users["coord"], confirm=True)
    db.commit()
    version, _ = assert_checker_clean(db, draft.id)
    late_route = rota_from_json(version.rota).route_of(cid)
    assert late_route is not None
    next_starts = [s.start for s in late_route.stops if s.visit_id and s.start >= NOW]
    assert all(t >= NOW + _m(90) for t in next_starts)


def test_cancel_window_and_bank_shift_without_re_importing(db, users, published):
    rota = rota_from_json(published.rota)
    later = next(v for r in rota.routes for s in r.stops if (v := s.visit_id)
                 and s.start > when("2026-11-23T13:00"))  # fmt: skip
    event, draft = _take(db, users, "cancel", {"visit_id": later}, confirm=True)
    version, _ = assert_checker_clean(db, draft.id)
    gone = set(event.detail["removed"])
    assert not gone & {v for r in rota_from_json(version.rota).routes for v in r.visit_ids}
    publish(db, version, users["coord"])
    db.commit()

    event, draft = _take(db, users, "shift", {
        "clinician_id": "B001", "name": "Bank Nurse", "skills": "IV;OBS;PHLEB;RN", "role": "RN5",
        "shift_start": "12:00", "shift_end": "20:00", "start_lat": "51.75", "start_lon": "-0.33",
    }, confirm=True)  # fmt: skip
    version, _ = assert_checker_clean(db, draft.id)
    publish(db, version, users["coord"])
    db.commit()

    moved = next(v for r in rota_from_json(version.rota).routes for s in r.stops
                 if (v := s.visit_id) and s.start > when("2026-11-23T14:00")
                 and v not in gone)  # fmt: skip
    event, draft = _take(db, users, "window", {"visit_id": moved, "window_start": "14:00",
                                               "window_end": "20:00"}, confirm=True)  # fmt: skip
    assert_checker_clean(db, draft.id)


def test_a_proposal_made_stale_by_a_newer_publication_is_refused(db, users, published):
    day = _day(db)
    first = _answered(db, day, "referral", {"lat": "51.75", "lon": "-0.33"}, NOW, users["coord"])
    second = _answered(db, day, "referral", {"lat": "51.70", "lon": "-0.30", "visit_id": "U2"},
                     NOW, users["coord"])  # fmt: skip
    publish(db, accept(db, first, 0, users["coord"], confirm=True), users["coord"])
    with pytest.raises(EventError, match="newer rota"):
        accept(db, second, 0, users["coord"], confirm=True)
    with pytest.raises(EventError, match="answered already"):
        accept(db, first, 0, users["coord"], confirm=True)


def test_bad_event_input_is_refused_and_nothing_is_stored(db, users, published):
    day = _day(db)
    with pytest.raises(EventError, match="clinician_id"):
        propose(db, day, "absent", {"clinician_id": "NOBODY"}, NOW, users["coord"])
    with pytest.raises(EventError, match="minutes"):
        propose(db, day, "late", {"clinician_id": "C002", "minutes": "lots"}, NOW, users["coord"])
    from scheduler.domain.errors import InputError

    with pytest.raises(InputError) as err:
        propose(db, day, "referral", {"lat": "north", "lon": "-0.3"}, NOW, users["coord"])
    assert any(i.column == "lat" and i.row for i in err.value.issues)
    db.rollback()
    assert db.query(DayEvent).count() == 0


def test_a_priority1_left_out_is_shown_with_its_reason_and_needs_confirming(db, users, published):
    """An urgent IV referral nobody on shift has the skill for: the re-plan cannot place it,
    says so with the reason, and accepting that needs the coordinator's confirmation."""
    event = _answered(db, _day(db), "referral",
                    {"lat": "51.75", "lon": "-0.33", "skills": "ECMO", "priority": "1"},
                    NOW, users["coord"])  # fmt: skip
    vid = event.detail["visit_id"]
    (proposal,) = event.proposals
    left = proposal["priority1_left_out"]
    assert [x["visit_id"] for x in left] == [vid] and left[0]["reason"]
    assert proposal["needs_confirm"]
    with pytest.raises(EventError, match=f"leaves out 1 priority-1 visit.*{vid}.*confirm"):
        accept(db, event, 0, users["coord"])
    draft = accept(db, event, 0, users["coord"], confirm=True)
    db.commit()
    version, _ = assert_checker_clean(db, draft.id)
    assert vid in {u.visit_id for u in rota_from_json(version.rota).unassigned}


def test_an_event_is_stored_at_once_and_its_proposals_worked_out_by_a_worker(
    db, db_url, users, published
):
    """The request stores the event queued, with what it took; accepting it before the
    worker answered is refused; the worker (``run_event``, what ``hah worker`` and the thread
    runner run) stores the proposals once, and a second delivery of the job does nothing."""
    from web.services.event_jobs import run_event

    event = propose(db, _day(db), "referral", {"lat": "51.75", "lon": "-0.33", "skills": "IV"},
                    NOW, users["coord"])  # fmt: skip
    db.commit()
    assert (event.state, event.attempt, event.proposals) == ("queued", 1, [])
    assert event.inputs is not None
    assert event.inputs["form"] == {"lat": "51.75", "lon": "-0.33", "skills": "IV"}
    assert event.detail["visit_id"] and event.visits_csv is not None  # checked, stored at once
    with pytest.raises(EventError, match="no proposals to accept: it is queued"):
        accept(db, event, 0, users["coord"])
    db.rollback()
    run_event(db_url, event.id)
    db.expire_all()
    event = db.get(DayEvent, event.id)
    assert event.state == "ready" and event.proposals and event.finished_at is not None
    proposals = event.proposals
    run_event(db_url, event.id)  # delivered again: not queued any more, so not worked again
    db.expire_all()
    assert db.get(DayEvent, event.id).proposals == proposals
    draft = accept(db, event, 0, users["coord"])
    db.commit()
    assert_checker_clean(db, draft.id)


def test_an_event_whose_work_fails_says_why_and_cannot_be_accepted(
    db, db_url, users, published, monkeypatch
):
    from web.services import events
    from web.services.event_jobs import run_event

    event = propose(db, _day(db), "replan", {}, NOW, users["coord"])
    db.commit()

    def broken(session, e):
        def solve():
            raise RuntimeError("the re-planner fell over")

        return solve

    monkeypatch.setattr(events, "work_out", broken)
    run_event(db_url, event.id)
    db.expire_all()
    event = db.get(DayEvent, event.id)
    assert event.state == "failed" and "fell over" in event.error and event.proposals == []
    with pytest.raises(EventError, match=r"it is failed.*fell over"):
        accept(db, event, 0, users["coord"])

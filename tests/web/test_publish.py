"""Publishing: only a rota the independent checker finds clean reaches nurses, numbered."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support.web import DAY, csrf, small_files, text_of


def _tampered(rota_json: dict) -> dict:
    """The rota with its first visit moved two hours late: outside its window and into the
    next stops, so the checker must object."""
    bad = copy.deepcopy(rota_json)
    for route in bad["routes"]:
        for stop in route["stops"]:
            if stop["kind"] == "visit":
                for key in ("arrive", "start", "end"):
                    t = datetime.fromisoformat(stop[key]) + timedelta(hours=2)
                    stop[key] = t.isoformat()
                return bad
    raise AssertionError("no visit in the rota")


def test_publish_numbers_versions_and_nurses_see_the_latest(as_role, db, draft, day_import,
                                                            small_rota, users):  # fmt: skip
    from web.models import RotaVersion
    from web.services.rotas import save_draft

    c = as_role("coord")
    r = c.post(f"/coordinator/versions/{draft.id}/publish", data={"csrf_token": csrf(c)})
    assert r.status_code == 302
    assert "Published as version 1" in text_of(c.get(r.headers["Location"]))
    second = save_draft(db, day_import, small_rota, users["coord"], parent=draft)
    db.commit()
    r = c.post(f"/api/versions/{second.id}/publish", headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 200 and r.get_json()["number"] == 2
    db.expire_all()
    numbers = db.scalars(select(RotaVersion.number).order_by(RotaVersion.id)).all()
    assert numbers == [1, 2]
    assert c.get(f"/api/days/{DAY}/routes/C002").get_json()["version"] == 2


@pytest.fixture
def bad_draft(db, day_import, small_rota, users):
    from web.services.rotas import rota_from_json, rota_to_json, save_draft

    rota = rota_from_json(_tampered(rota_to_json(small_rota)))
    version = save_draft(db, day_import, rota, users["coord"])
    db.commit()
    assert version.violations, "the tampered rota should break a rule"
    return version


def test_a_rota_with_violations_is_not_published(as_role, db, bad_draft):
    from web.models import AuditLog, RotaVersion

    c = as_role("coord")
    r = c.post(f"/coordinator/versions/{bad_draft.id}/publish", data={"csrf_token": csrf(c)})
    page = text_of(c.get(r.headers["Location"]))
    assert "Not published" in page and "window" in page
    assert "cannot be published" in page
    api = c.post(f"/api/versions/{bad_draft.id}/publish", headers={"X-CSRF-Token": csrf(c)})
    assert api.status_code == 409 and api.get_json()["reasons"]
    db.expire_all()
    assert db.scalar(select(RotaVersion).where(RotaVersion.status == "published")) is None
    refusals = db.scalars(select(AuditLog).where(AuditLog.action == "publish_refused")).all()
    assert len(refusals) == 2
    assert c.get(f"/api/days/{DAY}/routes/C002").status_code == 404  # nothing for nurses


def test_a_stored_draft_is_rechecked_not_trusted(as_role, db, draft):
    """Even a draft stored as clean is re-checked at publish time (e.g. edited in the DB)."""
    from web.models import RotaVersion

    draft.rota = _tampered(draft.rota)
    db.commit()
    c = as_role("coord")
    r = c.post(f"/api/versions/{draft.id}/publish", headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 409
    db.expire_all()
    assert db.get(RotaVersion, draft.id).status == "draft"


def test_a_rota_of_an_older_import_is_not_published(as_role, db, draft, users):
    from datetime import date

    from web.services.days import Upload, import_day

    v, k = small_files()
    import_day(db, date.fromisoformat(DAY), Upload("visits.csv", v), Upload("c.csv", k),
               users["coord"])  # fmt: skip
    db.commit()
    c = as_role("coord")
    r = c.post(f"/api/versions/{draft.id}/publish", headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 409
    assert "imported again" in r.get_json()["reasons"][0]


def test_publishing_is_audited(as_role, db, draft):
    from web.models import AuditLog

    c = as_role("coord")
    c.post(f"/coordinator/versions/{draft.id}/publish", data={"csrf_token": csrf(c)})
    entry = db.scalar(select(AuditLog).where(AuditLog.action == "publish"))
    assert entry.username == "coord" and "published as number 1" in entry.detail


# --- no lost updates: a draft is published only on top of what it was made from ---------------


@pytest.fixture
def coords(db, users):
    """Two coordinators, A (``coord``) and B (``coord2``)."""
    from tests.support.web import FAST_HASH, PASSWORD
    from web.services.users import create_user

    create_user(db, "coord2", PASSWORD, "coordinator", hash_method=FAST_HASH)
    db.commit()


def _api_edit(c, version_id: int, edit) -> int:
    r = c.post(f"/api/versions/{version_id}/edits", headers={"X-CSRF-Token": csrf(c)},
               json={"op": edit.op, "visit_id": edit.visit_id, "to_clinician": edit.to_clinician})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["version"]["id"]


def _publish_api(c, version_id: int, **body):
    return c.post(f"/api/versions/{version_id}/publish", headers={"X-CSRF-Token": csrf(c)},
                  json=body)  # fmt: skip


def _where(db, version_id: int, visit_id: str) -> set[str]:
    from web.models import RotaVersion
    from web.services.rotas import rota_from_json

    db.expire_all()
    rota = rota_from_json(db.get(RotaVersion, version_id).rota)
    return {r.clinician_id for r in rota.routes if visit_id in r.visit_ids}


def _moves(db, published, disjoint=True):
    from tests.support.web import clean_moves
    from web.models import DayImport
    from web.services.days import problem_for
    from web.services.rotas import rota_from_json

    problem = problem_for(db.get(DayImport, published.import_id))
    return clean_moves(problem, rota_from_json(published.rota), disjoint=disjoint)


def _latest(db):
    from web.models import RotaVersion

    db.expire_all()
    return db.scalar(select(RotaVersion).where(RotaVersion.status == "published")
                     .order_by(RotaVersion.number.desc()).limit(1))  # fmt: skip


def test_a_draft_made_from_an_older_published_version_is_refused_not_a_lost_update(
    as_role, db, published, coords
):
    """A publishes her edit of version 1 as version 2; B's draft, made from version 1, is
    refused (409) with what version 2 changed that it would undo, and the nurses keep A's
    change. B rebases it: both changes are on the next version, checker-clean."""
    from tests.support.web import assert_checker_clean

    a_move, b_move = _moves(db, published)
    a, b = as_role("coord"), as_role("coord2")
    a_draft, b_draft = _api_edit(a, published.id, a_move), _api_edit(b, published.id, b_move)
    assert _publish_api(a, a_draft).get_json()["number"] == 2
    r = _publish_api(b, b_draft)
    assert r.status_code == 409
    body = r.get_json()
    assert "made from published version 1" in body["reasons"][0]
    assert "version 2 has been published since" in body["reasons"][0]
    conflict = body["conflict"]
    assert conflict["kind"] == "stale" and conflict["latest"]["number"] == 2
    assert conflict["made_from"] == {"id": published.id, "number": 1}
    undone = [c["visit_id"] for c in conflict["latest_changes"]["changes"]]
    assert a_move.visit_id in undone  # what publishing B's draft would have undone
    assert conflict["rebase"]["possible"] and conflict["rebase"]["conflicts"] == []
    assert _latest(db).id == a_draft  # nothing published: nurses still see A's change
    assert _where(db, a_draft, a_move.visit_id) == {a_move.to_clinician}

    r = b.post(f"/api/versions/{b_draft}/rebase", headers={"X-CSRF-Token": csrf(b)})
    assert r.status_code == 201, r.get_json()
    rebased = r.get_json()["version"]["id"]
    assert r.get_json()["made_from"] == {"id": a_draft, "number": 2}
    assert _publish_api(b, rebased).get_json()["number"] == 3
    latest = _latest(db)
    assert latest.id == rebased and latest.parent_id == a_draft
    assert _where(db, rebased, a_move.visit_id) == {a_move.to_clinician}  # A's change kept
    assert _where(db, rebased, b_move.visit_id) == {b_move.to_clinician}  # and B's
    assert_checker_clean(db, rebased)


def test_a_conflicting_draft_is_refused_on_the_page_with_what_it_would_undo(
    as_role, db, published, coords
):
    """A and B each move the same visit to someone else; B's publish is refused on the page
    (409) with the conflict, what version 2 changed, and no rebase offered."""
    a_move, b_move = _moves(db, published, disjoint=False)
    a, b = as_role("coord"), as_role("coord2")
    a_draft, b_draft = _api_edit(a, published.id, a_move), _api_edit(b, published.id, b_move)
    assert _publish_api(a, a_draft).status_code == 200
    r = b.post(f"/coordinator/versions/{b_draft}/publish", data={"csrf_token": csrf(b)})
    assert r.status_code == 409
    page = text_of(r)
    assert "Not published" in page and "made from published version 1" in page
    assert "What published version 2 changed" in page and a_move.visit_id in page
    assert f"{a_move.visit_id}: this draft has it with {b_move.to_clinician}" in page
    assert "Rebase onto published version 2" not in page
    api = b.post(f"/api/versions/{b_draft}/rebase", headers={"X-CSRF-Token": csrf(b)})
    assert api.status_code == 409 and api.get_json()["conflicts"]
    assert _latest(db).id == a_draft


def test_a_stale_draft_rebased_from_the_page_publishes_both_changes(as_role, db, published, coords):
    from tests.support.web import assert_checker_clean

    a_move, b_move = _moves(db, published)
    a, b = as_role("coord"), as_role("coord2")
    a_draft, b_draft = _api_edit(a, published.id, a_move), _api_edit(b, published.id, b_move)
    _publish_api(a, a_draft)
    page = text_of(b.post(f"/coordinator/versions/{b_draft}/publish",
                          data={"csrf_token": csrf(b)}))  # fmt: skip
    assert "Rebase onto published version 2" in page and b_move.visit_id in page
    r = b.post(f"/coordinator/versions/{b_draft}/rebase", data={"csrf_token": csrf(b)})
    assert r.status_code == 303
    rebased = int(r.headers["Location"].split("version=")[1])
    assert "re-applied on published version 2" in text_of(b.get(r.headers["Location"]))
    r = b.post(f"/coordinator/versions/{rebased}/publish", data={"csrf_token": csrf(b)})
    assert "Published as version 3" in text_of(b.get(r.headers["Location"]))
    assert _where(db, rebased, a_move.visit_id) == {a_move.to_clinician}
    assert _where(db, rebased, b_move.visit_id) == {b_move.to_clinician}
    assert_checker_clean(db, rebased)


def test_the_same_draft_published_twice_is_one_publication(as_role, db, draft):
    from web.models import AuditLog, RotaVersion

    c = as_role("coord")
    first, second = _publish_api(c, draft.id), _publish_api(c, draft.id)
    assert first.status_code == second.status_code == 200
    assert first.get_json()["number"] == second.get_json()["number"] == 1
    assert not first.get_json()["already_published"] and second.get_json()["already_published"]
    assert "already published as number 1" in second.get_json()["message"]
    page = c.post(f"/coordinator/versions/{draft.id}/publish", data={"csrf_token": csrf(c)})
    assert "already published as number 1" in text_of(c.get(page.headers["Location"]))
    db.expire_all()
    assert db.scalars(select(RotaVersion.number)).all() == [1]
    assert len(db.scalars(select(AuditLog).where(AuditLog.action == "publish")).all()) == 1


def test_a_fresh_generate_replaces_the_published_version_only_when_confirmed(
    as_role, db, published, day_import, small_rota, users
):
    """A rota generated afresh while version 1 is published has no base: publishing says it
    replaces version 1 entirely and how many visits change, and needs confirming (against
    that version: a confirmation given for version 1 does not replace a later one)."""
    from tests.support.web import assert_checker_clean
    from web.services.rotas import rota_from_json, rota_to_json, save_draft

    fresh_rota = rota_from_json(rota_to_json(small_rota))
    fresh = save_draft(db, day_import, fresh_rota, users["coord"], note="generated (2 s)")
    other = save_draft(db, day_import, fresh_rota, users["coord"], note="generated (2 s)")
    db.commit()
    c = as_role("coord")
    r = _publish_api(c, fresh.id)
    assert r.status_code == 409
    conflict = r.get_json()["conflict"]
    assert conflict["kind"] == "fresh" and conflict["confirm_replace"] == 1
    assert "replaces published version 1 entirely" in r.get_json()["reasons"][0]
    assert conflict["visits_changed"] == 0  # the same rota generated again: nothing moves
    page = text_of(c.post(f"/coordinator/versions/{fresh.id}/publish",
                          data={"csrf_token": csrf(c)}))  # fmt: skip
    assert "replaces published version 1 entirely" in page and "0 visits change" in page
    assert "Publish, replacing version 1" in page
    r = c.post(f"/coordinator/versions/{fresh.id}/publish",
               data={"csrf_token": csrf(c), "confirm_replace": "1"})  # fmt: skip
    assert "Published as version 2" in text_of(c.get(r.headers["Location"]))
    assert_checker_clean(db, fresh.id)
    late = _publish_api(c, other.id, confirm_replace=1)  # confirmed against 1, but 2 is out
    assert late.status_code == 409 and late.get_json()["conflict"]["confirm_replace"] == 2
    assert _latest(db).id == fresh.id


def test_a_draft_overtaken_by_a_live_day_event_is_rebased_onto_its_new_files(
    as_role, db, published, users
):
    """B's edit of version 1 is overtaken by a cancelled visit published as version 2 (a new
    import): B's publish is refused as stale, not as "imported again", and the rebase carries
    his change onto version 2's files, the cancelled visit staying cancelled."""
    from tests.support.factories import when
    from tests.support.web import assert_checker_clean
    from web.services.days import get_day
    from web.services.events import accept, answer, propose
    from web.services.rotas import publish, rota_from_json

    (move,) = _moves(db, published)[:1]
    b = as_role("coord")
    b_draft = _api_edit(b, published.id, move)
    rota = rota_from_json(published.rota)
    touched = {move.to_clinician} | {r.clinician_id for r in rota.routes
                                     if move.visit_id in r.visit_ids}  # fmt: skip
    now = when("2026-11-23T10:00")
    gone = next(s.visit_id for r in rota.routes if r.clinician_id not in touched
                for s in r.stops if s.visit_id and s.start > when("2026-11-23T13:00"))  # fmt: skip
    day = get_day(db, now.date())
    assert day is not None
    event = answer(db, propose(db, day, "cancel", {"visit_id": gone}, now, users["coord"]))
    v2 = accept(db, event, 0, users["coord"], confirm=True)
    assert publish(db, v2, users["coord"]) == 2
    db.commit()
    r = _publish_api(b, b_draft)
    assert r.status_code == 409 and r.get_json()["conflict"]["kind"] == "stale"
    r = b.post(f"/api/versions/{b_draft}/rebase", headers={"X-CSRF-Token": csrf(b)})
    assert r.status_code == 201, r.get_json()
    rebased = r.get_json()["version"]["id"]
    assert r.get_json()["version"]["import_id"] == v2.import_id != published.import_id
    assert _publish_api(b, rebased).get_json()["number"] == 3
    assert _where(db, rebased, move.visit_id) == {move.to_clinician}
    assert _where(db, rebased, gone) == set()
    assert_checker_clean(db, rebased)

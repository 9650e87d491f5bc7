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
    second = save_draft(db, day_import, small_rota, users["coord"])
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


def test_a_published_version_cannot_be_published_again(as_role, published):
    c = as_role("coord")
    r = c.post(f"/api/versions/{published.id}/publish", headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 409 and "already published" in r.get_json()["reasons"][0]


def test_publishing_is_audited(as_role, db, draft):
    from web.models import AuditLog

    c = as_role("coord")
    c.post(f"/coordinator/versions/{draft.id}/publish", data={"csrf_token": csrf(c)})
    entry = db.scalar(select(AuditLog).where(AuditLog.action == "publish"))
    assert entry.username == "coord" and "published as number 1" in entry.detail

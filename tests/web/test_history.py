"""The coordinator's version history, version diffs and audit log pages (and the diff API),
on the small day with a second published version made by hand from the first."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from scheduler.domain.check import check
from scheduler.domain.localtime import hm
from scheduler.domain.model import Rota, Route, Unassigned
from tests.support.web import DAY, text_of


def _edited(problem, rota: Rota):
    """The rota with the last visit of one route taken off (now unassigned) and the last
    visit of another route started 5 minutes later; the first such pair the checker finds
    clean. Only single-staffed visits that no other visit waits for are tried."""
    by_id = {v.visit_id: v for v in problem.visits}
    followed = {v.after_visit for v in problem.visits if v.after_visit}
    candidates = [
        i
        for i, r in enumerate(rota.routes)
        if r.stops
        and r.stops[-1].kind == "visit"
        and len(r.visit_ids) >= 2
        and by_id[r.stops[-1].visit_id].staff == 1
        and r.stops[-1].visit_id not in followed
    ]
    for i in candidates:
        for j in candidates:
            if i == j:
                continue
            routes = list(rota.routes)
            dropped = routes[i].stops[-1]
            assert dropped.visit_id is not None  # a candidate route ends with a visit
            routes[i] = Route(routes[i].clinician_id, routes[i].stops[:-1])
            late = routes[j].stops[-1]
            moved = replace(late, start=late.start + timedelta(minutes=5),
                            end=late.end + timedelta(minutes=5))  # fmt: skip
            routes[j] = Route(routes[j].clinician_id, (*routes[j].stops[:-1], moved))
            unassigned = (*rota.unassigned, Unassigned(dropped.visit_id, "taken off by hand"))
            edited = Rota(tuple(routes), unassigned)
            if check(problem, edited).ok:
                return edited, {
                    "drop_vid": dropped.visit_id,
                    "drop_cid": rota.routes[i].clinician_id,
                    "late_vid": late.visit_id,
                    "late_cid": rota.routes[j].clinician_id,
                    "late_old": late.start,
                }
    raise AssertionError("no checker-clean edit of the small day's rota found")


@pytest.fixture
def second(db, published, day_import, users):
    """Version 1 (published) and version 2 (made from it by hand, published)."""
    from web.services.days import problem_for
    from web.services.rotas import publish, rota_from_json, save_draft

    problem = problem_for(day_import)
    edited, info = _edited(problem, rota_from_json(published.rota))
    v2 = save_draft(db, day_import, edited, users["coord"])
    v2.parent_id = published.id
    v2.note = f"took {info['drop_vid']} off {info['drop_cid']}"
    assert publish(db, v2, users["coord"]) == 2
    db.commit()
    visits = {v.visit_id: v for v in problem.visits}
    return SimpleNamespace(v1=published, v2=v2, visits=visits, **info)


@pytest.fixture
def other_day_version(db, day_import, published):
    """A version stored under another day (same rota JSON): it must never be mixed in."""
    from web.models import Day, RotaVersion

    other = Day(date=date(2026, 11, 24))
    db.add(other)
    db.flush()
    v = RotaVersion(day_id=other.id, import_id=day_import.id, status="draft",
                    rota=copy.deepcopy(published.rota), kpis={}, violations=[])  # fmt: skip
    db.add(v)
    db.commit()
    return v


def _row(html: str, element_id: str) -> str:
    m = re.search(rf'<tr id="{element_id}">(.*?)</tr>', html, re.S)
    assert m, f"no row {element_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1)))


# --- diff page -------------------------------------------------------------------------------


def test_the_diff_page_shows_who_gets_which_changed_visits(as_role, second):
    c = as_role("coord")
    r = c.get(f"/coordinator/day/{DAY}/diff")
    assert r.status_code == 200
    html, page = r.get_data(as_text=True), text_of(r)
    assert (
        f"From version {second.v1.id} (published 1) to version {second.v2.id} (published 2)" in page
    )
    assert "2 visits changed" in page and "1 dropped" in page and "1 re-timed" in page
    assert "0 added" in page and "0 moved" in page and "2 clinicians affected" in page
    # exactly the two affected clinicians, each with her own change
    assert sorted(re.findall(r'<tr id="who-(\w+)">', html)) == sorted(
        [second.drop_cid, second.late_cid]
    )
    lost = _row(html, f"who-{second.drop_cid}")
    assert second.drop_vid in lost and "now unassigned" in lost and second.late_vid not in lost
    late = _row(html, f"who-{second.late_cid}")
    new_time = second.late_old + timedelta(minutes=5)
    assert second.late_vid in late and "5 min later" in late
    assert f"{hm(second.late_old)} → {hm(new_time)}" in late
    assert "taken off by hand" in page  # why the dropped visit is unassigned
    # names of the nurses to phone, pseudonymous patient ids, but no addresses or care details
    assert second.visits[second.drop_vid].patient_id in lost
    for vid in (second.drop_vid, second.late_vid):
        v = second.visits[vid]
        assert v.address and v.address not in html
        assert v.visit_type and v.visit_type not in html


def test_the_diff_can_be_read_backwards_and_against_itself(as_role, second):
    c = as_role("coord")
    back = c.get(f"/coordinator/day/{DAY}/diff?from={second.v2.id}&to={second.v1.id}")
    assert back.status_code == 200
    html = back.get_data(as_text=True)
    page = text_of(back)
    assert "1 added" in page and "0 dropped" in page and "5 min earlier" in page
    assert "was unassigned" in _row(html, f"who-{second.drop_cid}")
    same = text_of(c.get(f"/coordinator/day/{DAY}/diff?from={second.v2.id}&to={second.v2.id}"))
    assert "No change" in same and "visits changed" not in same


def test_a_draft_without_parent_is_compared_with_the_latest_published(
    as_role, db, second, day_import, small_rota, users
):
    from web.services.rotas import save_draft

    draft = save_draft(db, day_import, small_rota, users["coord"])  # no parent_id
    db.commit()
    page = text_of(as_role("coord").get(f"/coordinator/day/{DAY}/diff"))
    assert f"From version {second.v2.id} (published 2) to version {draft.id} (draft)" in page
    assert "1 added" in page  # the solved rota still has the visit version 2 took off


def test_nothing_to_compare_says_so(as_role, db, day_import, published):
    c = as_role("coord")
    page = text_of(c.get(f"/coordinator/day/{DAY}/diff"))
    assert f"Version {published.id} is the first of this day" in page
    assert "nothing to compare" in page and "visits changed" not in page


def test_a_day_without_any_rota_says_so(as_role, day_import):
    page = text_of(as_role("coord").get(f"/coordinator/day/{DAY}/diff"))
    assert "No rota has been made for this day yet" in page


def test_a_version_of_another_day_is_not_found(as_role, second, other_day_version):
    c = as_role("coord")
    o = other_day_version.id
    assert c.get(f"/coordinator/day/{DAY}/diff?to={o}").status_code == 404
    assert c.get(f"/coordinator/day/{DAY}/diff?from={o}&to={second.v2.id}").status_code == 404
    assert c.get(f"/coordinator/day/2026-11-24/diff?from={second.v1.id}").status_code == 404
    assert c.get(f"/coordinator/day/{DAY}/diff?from=abc").status_code == 404
    assert c.get(f"/coordinator/day/{DAY}/diff?to=999999").status_code == 404
    assert c.get("/coordinator/day/2030-01-01/diff").status_code == 404
    assert c.get("/coordinator/day/2030-01-01/history").status_code == 404
    assert c.get("/coordinator/day/not-a-date/history").status_code == 404
    api = c.get(f"/api/versions/{second.v2.id}/diff?from={o}")
    assert api.status_code == 404 and "same day" in api.get_json()["error"]


# --- history page ----------------------------------------------------------------------------


def test_the_history_lists_every_version_with_a_diff_link(as_role, db, second, day_import,
                                                          small_rota, users):  # fmt: skip
    from web.services.rotas import rota_from_json, rota_to_json, save_draft

    bad = rota_to_json(small_rota)
    stop = next(s for r in bad["routes"] for s in r["stops"] if s["kind"] == "visit")
    for key in ("arrive", "start", "end"):
        stop[key] = (datetime.fromisoformat(stop[key]) + timedelta(hours=2)).isoformat()
    draft = save_draft(db, day_import, rota_from_json(bad), users["coord"])
    draft.note = "tried by hand"
    db.commit()
    assert draft.violations

    c = as_role("coord")
    r = c.get(f"/coordinator/day/{DAY}/history")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert re.findall(r'<tr id="version-(\d+)">', html) == [
        str(draft.id), str(second.v2.id), str(second.v1.id)]  # fmt: skip
    v2 = _row(html, f"version-{second.v2.id}")
    assert "published 2" in v2 and f"took {second.drop_vid} off" in v2 and "coord" in v2
    assert "no violations" in v2 and f"version {second.v1.id}" in v2  # made from version 1
    assert f"diff with version {second.v1.id} (published 1)" in v2
    d = _row(html, f"version-{draft.id}")
    assert "draft" in d and f"{len(draft.violations)} violations" in d and "tried by hand" in d
    assert f"diff with version {second.v2.id} (published 2)" in d
    assert "first version" in _row(html, f"version-{second.v1.id}")
    # the v2 row's link opens its diff with version 1
    m = re.search(rf'<tr id="version-{second.v2.id}">.*?<a href="([^"]*diff[^"]*)"', html, re.S)
    assert m is not None, "no diff link in the v2 row"
    link = m.group(1)
    follow = c.get(link.replace("&amp;", "&"))
    assert follow.status_code == 200 and second.drop_vid in text_of(follow)
    assert f"From version {second.v1.id} (published 1)" in text_of(follow)


# --- the API ---------------------------------------------------------------------------------


def test_the_diff_api(as_role, second):
    c = as_role("ops")
    data = c.get(f"/api/versions/{second.v2.id}/diff").get_json()
    assert data["from"]["id"] == second.v1.id and data["to"]["number"] == 2
    s = data["diff"]["summary"]
    assert (s["dropped"], s["retimed"], s["added"], s["moved"]) == (1, 1, 0, 0)
    kinds = {ch["visit_id"]: ch["kinds"] for ch in data["diff"]["changes"]}
    assert kinds == {second.drop_vid: ["dropped"], second.late_vid: ["retimed"]}
    who = {x["clinician_id"]: x for x in data["diff"]["clinicians"]}
    assert who[second.late_cid]["retimed"][0]["shift_min"] == 5
    assert who[second.drop_cid]["losses"][0]["unassigned"] is True
    first = c.get(f"/api/versions/{second.v1.id}/diff").get_json()
    assert first["from"] is None and first["diff"] is None and first["message"]
    back = c.get(f"/api/versions/{second.v1.id}/diff?from={second.v2.id}").get_json()
    assert back["diff"]["summary"]["added"] == 1
    assert as_role("nurse").get(f"/api/versions/{second.v2.id}/diff").status_code == 403


# --- roles -----------------------------------------------------------------------------------


def test_only_coordinators_and_admins_read_these_pages(app, as_role, second):
    pages = [f"/coordinator/day/{DAY}/history", f"/coordinator/day/{DAY}/diff",
             "/coordinator/audit"]  # fmt: skip
    for url in pages:
        assert as_role("coord").get(url).status_code == 200, url
        assert as_role("admin").get(url).status_code == 200, url
        assert as_role("nurse").get(url).status_code == 403, url
        assert as_role("ops").get(url).status_code == 403, url
        anon = app.test_client().get(url)
        assert anon.status_code == 302 and "/auth/login" in anon.headers["Location"], url


# --- audit log -------------------------------------------------------------------------------


def _audit_rows(response) -> list[list[str]]:
    html = response.get_data(as_text=True)
    body = re.search(r'<table class="grid" id="audit">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body is not None, "no audit table"
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        rows.append([re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                              tr, re.S)])  # fmt: skip
    return rows


def test_the_audit_log_shows_who_when_what_and_filters(as_role, db, second):
    c = as_role("coord")
    r = c.get("/coordinator/audit")
    rows = _audit_rows(r)
    actions = [row[2] for row in rows]
    assert "publish" in actions and "login" in actions and "import" in actions
    pub = next(row for row in rows if row[2] == "publish" and "number 2" in row[3])
    assert pub[1] == "coord" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", pub[0])
    assert "127.0.0.1" not in r.get_data(as_text=True)  # IPs are for the ops lead's log
    only = _audit_rows(c.get("/coordinator/audit?action=publish"))
    assert [row[2] for row in only] == ["publish", "publish"]
    day = _audit_rows(c.get(f"/coordinator/audit?day={DAY}"))
    assert day and all(DAY in row[3] for row in day)
    assert "login" not in [row[2] for row in day]
    none = c.get("/coordinator/audit?day=1999-01-01")
    assert _audit_rows(none) == [["Nothing here."]] and "No entry matches" in text_of(none)
    odd = c.get("/coordinator/audit?day=%25_%25")  # LIKE wildcards are taken literally
    assert _audit_rows(odd) == [["Nothing here."]]


def test_the_audit_log_pages(as_role, db, users):
    from web.services import audit

    for i in range(230):
        audit.record(db, users["coord"], "test_entry", f"{DAY}: entry {i:03d}")
    db.commit()
    c = as_role("coord")
    first = c.get("/coordinator/audit?action=test_entry")
    rows = _audit_rows(first)
    assert len(rows) == 100 and rows[0][3] == f"{DAY}: entry 229"
    assert "Entries 1–100 of 230" in text_of(first) and "page 1 of 3" in text_of(first)
    last = c.get("/coordinator/audit?action=test_entry&page=3")
    rows = _audit_rows(last)
    assert len(rows) == 30 and rows[-1][3] == f"{DAY}: entry 000"
    assert "Entries 201–230 of 230" in text_of(last)
    html = last.get_data(as_text=True)
    assert 'rel="prev"' in html and 'rel="next"' not in html and "action=test_entry" in html
    beyond = _audit_rows(c.get("/coordinator/audit?action=test_entry&page=99"))
    assert beyond[-1][3] == f"{DAY}: entry 000"  # clamped to the last page


def test_reading_these_pages_is_audited_as_a_read_and_nothing_more(as_role, db, second):
    """History and diffs show which patients' visits moved: each opening is one ``read``
    entry (``web.reads``); the audit page itself adds nothing."""
    from web.models import AuditLog

    c = as_role("coord")
    before = db.scalar(select(func.max(AuditLog.id)))
    for url in (f"/coordinator/day/{DAY}/history", f"/coordinator/day/{DAY}/diff",
                "/coordinator/audit", f"/api/versions/{second.v2.id}/diff"):  # fmt: skip
        assert c.get(url).status_code == 200
    db.expire_all()
    added = db.scalars(select(AuditLog).where(AuditLog.id > before).order_by(AuditLog.id))
    assert [(a.action, a.detail) for a in added] == [
        ("read", f"history.day_history date={DAY}"),
        ("read", f"history.diff date={DAY}"),
        ("read", f"api.version_diff version_id={second.v2.id}"),
    ]


def test_which_version_a_version_is_compared_with(db, published, day_import, small_rota, users,
                                                  other_day_version):  # fmt: skip
    from web.models import RotaVersion
    from web.services.diffs import newest_version, previous_version
    from web.services.rotas import publish, save_draft

    early = save_draft(db, day_import, small_rota, users["coord"])  # a draft, no parent
    later = save_draft(db, day_import, small_rota, users["coord"])
    publish(db, later, users["coord"], confirm_replace=1)  # published 2, made after early
    child = save_draft(db, day_import, small_rota, users["coord"])
    child.parent_id = early.id
    stray = save_draft(db, day_import, small_rota, users["coord"])
    stray.parent_id = other_day_version.id  # a parent of another day is ignored
    db.commit()
    assert previous_version(db, published) is None  # the first publication

    def id_of(version: RotaVersion | None) -> int:
        assert version is not None
        return version.id

    assert id_of(previous_version(db, early)) == published.id  # not the later publication
    assert id_of(previous_version(db, later)) == published.id  # published 2 → published 1
    assert id_of(previous_version(db, child)) == early.id  # its parent, draft or not
    assert id_of(previous_version(db, stray)) == later.id  # the latest published before it
    assert id_of(newest_version(db, published.day_id)) == stray.id

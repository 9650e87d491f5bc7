"""A coordinator's hand changes: each is judged by the independent checker before it is kept,
a change that breaks a rule is shown and kept only when she insists (and then cannot be
published), locks survive edits and re-optimisation, and every stored rota is re-checked."""

from __future__ import annotations

import pytest

from scheduler.domain.check import check
from scheduler.domain.formats.day import read_day
from scheduler.domain.problem import build_problem
from scheduler.domain.retime import retime
from tests.support.web import DATA, DAY, assert_checker_clean, csrf, text_of
from web.models import RotaVersion
from web.services.edits import Edit, EditError, apply_edit


@pytest.fixture(scope="module")
def problem():
    visits, shifts = read_day(DATA / "visits.csv", DATA / "clinicians.csv")
    return build_problem(visits, shifts)


def _linked(problem, vid: str) -> bool:
    v = problem.visits[problem.visit_index[vid]]
    followed = any(x.after_visit == vid for x in problem.visits)
    return v.staff > 1 or v.after_visit is not None or followed


def _clean_move(problem, rota) -> Edit:
    """A move of an unlinked visit to another clinician that the checker accepts (found by
    trying them: which exist depends on the solved rota)."""
    for r in rota.routes:
        for vid in r.visit_ids:
            if _linked(problem, vid):
                continue
            for other in rota.routes:
                if other.clinician_id == r.clinician_id:
                    continue
                edit = Edit("move", vid, to_clinician=other.clinician_id)
                try:
                    new, _, _ = apply_edit(problem, rota, [], edit)
                except EditError:
                    continue
                if check(problem, new).ok:
                    return edit
    raise AssertionError("no clean move exists on the small day")


def _bad_move(problem, rota) -> Edit:
    """The first visit of the busiest route put last on another's: late, or out of skills."""
    busiest = max(rota.routes, key=lambda r: len(r.visit_ids))
    vid = next(v for v in busiest.visit_ids if not _linked(problem, v))
    for other in rota.routes:
        if other.clinician_id == busiest.clinician_id:
            continue
        edit = Edit("move", vid, to_clinician=other.clinician_id,
                    position=len(other.visit_ids) + 1)  # fmt: skip
        new, _, _ = apply_edit(problem, rota, [], edit)
        if not check(problem, new).ok:
            return edit
    raise AssertionError("every move was clean")


def test_retiming_untouched_solver_routes_keeps_them_valid_and_mostly_identical(
    problem, small_rota
):
    order = {r.clinician_id: list(r.visit_ids) for r in small_rota.routes}
    again = retime(problem, small_rota, order)
    assert check(problem, again).ok
    same = sum(a == b for x, y in zip(small_rota.routes, again.routes, strict=True)
               for a, b in zip(x.stops, y.stops, strict=True))  # fmt: skip
    total = sum(len(r.stops) for r in small_rota.routes)
    assert same >= 0.9 * total  # the solver's own rule: earliest starts


def test_a_move_retimes_both_routes_and_keeps_every_visit_once(problem, small_rota):
    edit = _clean_move(problem, small_rota)
    assert edit.to_clinician is not None  # a move names where it goes
    new, _, text = apply_edit(problem, small_rota, [], edit)
    to = new.route_of(edit.to_clinician)
    assert to is not None and edit.visit_id in to.visit_ids
    placed = [v for r in new.routes for v in r.visit_ids]
    before = [v for r in small_rota.routes for v in r.visit_ids]
    assert sorted(placed) == sorted(before)
    assert edit.to_clinician in text and edit.visit_id in text
    assert check(problem, new).ok


def test_unassign_lists_the_visit_with_who_took_it_off(problem, small_rota):
    vid = next(v for r in small_rota.routes for v in r.visit_ids if not _linked(problem, v))
    new, _, _ = apply_edit(problem, small_rota, [], Edit("unassign", vid), "coord")
    assert vid not in {v for r in new.routes for v in r.visit_ids}
    entry = next(u for u in new.unassigned if u.visit_id == vid)
    assert "coord" in entry.reason
    assert check(problem, new).ok  # leaving a visit out is not a violation, only a KPI


def test_locked_visits_cannot_be_moved_until_unlocked(problem, small_rota):
    r = small_rota.routes[0]
    vid = r.visit_ids[0]
    _, locks, _ = apply_edit(problem, small_rota, [], Edit("lock", vid))
    assert {"visit_id": vid, "clinician_id": r.clinician_id} in locks
    other = next(x.clinician_id for x in small_rota.routes if x.clinician_id != r.clinician_id)
    with pytest.raises(EditError, match="locked"):
        apply_edit(problem, small_rota, locks, Edit("move", vid, to_clinician=other))
    _, unlocked, _ = apply_edit(problem, small_rota, locks, Edit("unlock", vid))
    assert unlocked == []


def test_edits_naming_what_is_not_there_are_refused(problem, small_rota):
    r0, r1 = small_rota.routes[0], small_rota.routes[1]
    with pytest.raises(EditError, match="no visit"):
        apply_edit(problem, small_rota, [], Edit("move", "NOPE", to_clinician=r0.clinician_id))
    with pytest.raises(EditError, match="not on shift"):
        apply_edit(problem, small_rota, [], Edit("move", r0.visit_ids[0], to_clinician="C999"))
    with pytest.raises(EditError, match="not on"):
        apply_edit(problem, small_rota, [],
                   Edit("move", r0.visit_ids[0], from_clinician=r1.clinician_id,
                        to_clinician=r1.clinician_id))  # fmt: skip


def test_swap_exchanges_two_visits(problem, small_rota):
    a, b = small_rota.routes[0], small_rota.routes[1]
    va = next(v for v in a.visit_ids if not _linked(problem, v))
    vb = next(v for v in b.visit_ids if not _linked(problem, v))
    new, _, _ = apply_edit(problem, small_rota, [], Edit("swap", va, other_visit_id=vb))
    new_a, new_b = new.route_of(a.clinician_id), new.route_of(b.clinician_id)
    assert new_a is not None and vb in new_a.visit_ids
    assert new_b is not None and va in new_b.visit_ids
    check(problem, new)  # may or may not be clean; it must be checkable


# --- through the pages -----------------------------------------------------------------------


def _post_edit(c, version_id: int, edit: Edit, **extra):
    data = {"csrf_token": csrf(c), "op": edit.op, "visit_id": edit.visit_id,
            "to_clinician": edit.to_clinician or "", "position": edit.position or "",
            "from_clinician": edit.from_clinician or "", **extra}  # fmt: skip
    return c.post(f"/coordinator/versions/{version_id}/edit", data=data)


def test_a_clean_move_becomes_a_new_draft_that_can_be_published(
    as_role, db, published, problem, small_rota
):
    c = as_role("coord")
    edit = _clean_move(problem, small_rota)
    r = _post_edit(c, published.id, edit)
    assert r.status_code == 303
    new_id = int(r.headers["Location"].split("version=")[1])
    version, _ = assert_checker_clean(db, new_id)
    assert version.parent_id == published.id and version.status == "draft"
    assert edit.visit_id in version.note
    page = c.get(r.headers["Location"])
    assert "The checker finds nothing new" in text_of(page)
    pub = c.post(f"/coordinator/versions/{new_id}/publish", data={"csrf_token": csrf(c)})
    assert pub.status_code == 302
    db.expire_all()
    assert db.get(RotaVersion, new_id).number == 2


def test_a_breaking_move_is_shown_first_and_kept_only_on_request(
    as_role, db, published, problem, small_rota
):
    c = as_role("coord")
    edit = _bad_move(problem, small_rota)
    count = db.query(RotaVersion).count()
    r = _post_edit(c, published.id, edit)
    assert r.status_code == 200  # the board, asking
    text = text_of(r)
    assert "breaks" in text and "Nothing has been changed" in text
    db.expire_all()
    assert db.query(RotaVersion).count() == count  # nothing stored
    r = _post_edit(c, published.id, edit, confirm="1")
    assert r.status_code == 303
    new_id = int(r.headers["Location"].split("version=")[1])
    db.expire_all()
    kept = db.get(RotaVersion, new_id)
    assert kept.violations and kept.parent_id == published.id
    refused = c.post(f"/coordinator/versions/{new_id}/publish", data={"csrf_token": csrf(c)})
    assert refused.status_code == 302
    db.expire_all()
    assert db.get(RotaVersion, new_id).status == "draft"  # the checker's veto


def test_a_malformed_edit_is_a_clear_422(as_role, published):
    c = as_role("coord")
    r = c.post(f"/coordinator/versions/{published.id}/edit",
               data={"csrf_token": csrf(c), "op": "teleport", "visit_id": "X"})  # fmt: skip
    assert r.status_code == 422 and "unknown change" in text_of(r)


def test_reoptimising_keeps_locks_and_most_of_the_plan(app, as_role, db, published, small_rota):
    c = as_role("coord")
    locked = small_rota.routes[0]
    vid = locked.visit_ids[-1]
    r = c.post(f"/coordinator/versions/{published.id}/edit",
               data={"csrf_token": csrf(c), "op": "lock", "visit_id": vid})  # fmt: skip
    assert r.status_code == 303
    lock_id = int(r.headers["Location"].split("version=")[1])
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "🔒" in page
    r = c.post(f"/coordinator/versions/{lock_id}/reoptimise",
               data={"csrf_token": csrf(c), "seconds": "3", "keep_plan_min": "15"})  # fmt: skip
    assert r.status_code == 302
    from web.models import SolveJob

    job = db.query(SolveJob).order_by(SolveJob.id.desc()).first()
    assert job.base_version_id == lock_id and job.keep_plan_min == 15
    assert app.extensions["hah_runner"].wait(job.id, 120)
    db.expire_all()
    job = db.get(SolveJob, job.id)
    assert job.state == "done", job.error
    version, _ = assert_checker_clean(db, job.rota_version_id)
    assert version.parent_id == lock_id and "lock" in version.note
    assert {"visit_id": vid, "clinician_id": locked.clinician_id} in version.rota["locks"]
    from web.services.rotas import rota_from_json

    new = rota_from_json(version.rota)
    kept = new.route_of(locked.clinician_id)
    assert kept is not None and vid in kept.visit_ids
    before = {(v, r.clinician_id) for r in small_rota.routes for v in r.visit_ids}
    after = {(v, r.clinician_id) for r in new.routes for v in r.visit_ids}
    assert len(before & after) >= 0.8 * len(before)  # the plan is kept, not rebuilt


def test_the_board_offers_the_adjust_form_and_clickable_visits(as_role, published):
    page = as_role("coord").get(f"/coordinator/day/{DAY}").get_data(as_text=True)
    assert 'id="edit-form"' in page and 'data-visit="' in page
    assert "Re-optimise around my locks" in page


def test_the_api_previews_refuses_and_accepts_edits(as_role, db, published, problem, small_rota):
    c = as_role("coord")
    headers = {"X-CSRF-Token": csrf(c)}
    url = f"/api/versions/{published.id}/edits"
    bad = _bad_move(problem, small_rota)
    body = {"op": "move", "visit_id": bad.visit_id, "to_clinician": bad.to_clinician,
            "position": bad.position}  # fmt: skip
    r = c.post(url, json=body | {"preview": True}, headers=headers)
    assert r.status_code == 200 and not r.get_json()["accepted"]
    assert r.get_json()["new_violations"]
    r = c.post(url, json=body, headers=headers)
    assert r.status_code == 409 and r.get_json()["new_violations"]
    good = _clean_move(problem, small_rota)
    r = c.post(url, json={"op": "move", "visit_id": good.visit_id,
                          "to_clinician": good.to_clinician}, headers=headers)  # fmt: skip
    assert r.status_code == 200 and r.get_json()["accepted"]
    assert_checker_clean(db, r.get_json()["version"]["id"])
    r = c.post(url, json={"op": "move", "visit_id": "NOPE", "to_clinician": "C002"},
               headers=headers)  # fmt: skip
    assert r.status_code == 422 and "no visit" in r.get_json()["error"]
    r = c.post(f"/api/versions/{published.id}/reoptimise", json={"keep_plan_min": 0},
               headers=headers)  # fmt: skip
    assert r.status_code == 422

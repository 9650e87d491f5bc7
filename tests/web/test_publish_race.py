"""Fault tests of publishing: coordinators publishing at the same instant, over HTTP against a
live server (threads), and two database sessions racing for the day's lock, on SQLite and on
PostgreSQL. Nothing is lost (no version undoes another unseen), nothing is duplicated (one
number per publication, one audit row), the loser gets a clean 409, never a 500.

The re-check each publication runs is slowed down here (``check`` sleeps) so that both
requests are inside ``publish`` together, as on a busy server with a large day: without the
lock both would read the same highest number and one would die on the unique constraint.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from tests.support.web import FAST_HASH, PASSWORD, Http, assert_checker_clean, live_server


@pytest.fixture
def coords(db, users):
    from web.services.users import create_user

    create_user(db, "coord2", PASSWORD, "coordinator", hash_method=FAST_HASH)
    db.commit()


@pytest.fixture
def slow_check(monkeypatch):
    """Every publication's re-check takes 0.4 s longer."""
    import web.services.rotas as rotas

    real = rotas.check

    def slow(problem, rota):
        time.sleep(0.4)
        return real(problem, rota)

    monkeypatch.setattr(rotas, "check", slow)


def _at_once(*calls):
    """Run the calls in threads released together; their results in order."""
    gate = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        gate.wait()
        out[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def _edit(db, published, move) -> int:
    from web.services.edits import accept

    draft, pv = accept(db, published, move, None)
    assert pv.ok
    db.commit()
    return draft.id


def _moves(db, published, **kw):
    from tests.support.web import clean_moves
    from web.models import DayImport
    from web.services.days import problem_for
    from web.services.rotas import rota_from_json

    problem = problem_for(db.get(DayImport, published.import_id))
    return clean_moves(problem, rota_from_json(published.rota), **kw)


def _published(db) -> list[tuple[int, int]]:
    from web.models import RotaVersion

    db.expire_all()
    rows = db.execute(select(RotaVersion.number, RotaVersion.id)
                      .where(RotaVersion.status == "published")
                      .order_by(RotaVersion.number)).all()  # fmt: skip
    return [(n, i) for n, i in rows]


def _audits(db, action: str) -> int:
    from web.models import AuditLog

    return db.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == action))


def test_two_coordinators_publishing_drafts_of_the_same_version_at_once(
    app, db, published, coords, slow_check
):
    """A and B each made a draft from version 1 and press Publish together: one becomes
    version 2, the other is a clean 409 offering a rebase; rebased, both changes are on
    version 3."""
    a_move, b_move = _moves(db, published)
    drafts = {"coord": _edit(db, published, a_move), "coord2": _edit(db, published, b_move)}
    with live_server(app) as url:
        people = {name: Http(url, name) for name in drafts}
        answers = _at_once(*[(lambda n=n: people[n].post(f"/api/versions/{drafts[n]}/publish"))
                             for n in drafts])  # fmt: skip
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200, 409], answers
        (winner, won), (loser, lost) = sorted(zip(drafts, answers, strict=True),
                                              key=lambda x: x[1][0])  # fmt: skip
        assert won[1]["number"] == 2
        conflict = lost[1]["conflict"]
        assert conflict["kind"] == "stale" and conflict["latest"]["number"] == 2
        assert conflict["rebase"]["possible"]
        status, body = people[loser].post(f"/api/versions/{drafts[loser]}/rebase")
        assert status == 201, body
        status, body = people[loser].post(f"/api/versions/{body['version']['id']}/publish")
        assert status == 200 and body["number"] == 3
    numbers = _published(db)
    assert [n for n, _ in numbers] == [1, 2, 3]
    assert numbers[1][1] == drafts[winner]
    assert _audits(db, "publish") == 3
    latest, _ = assert_checker_clean(db, numbers[2][1])
    placed = {(v, r["clinician_id"]) for r in latest.rota["routes"]
              for v in (s["visit_id"] for s in r["stops"]) if v}  # fmt: skip
    assert (a_move.visit_id, a_move.to_clinician) in placed  # nothing lost
    assert (b_move.visit_id, b_move.to_clinician) in placed


def test_the_same_draft_published_twice_at_once_is_one_publication(
    app, db, published, coords, slow_check
):
    (move,) = _moves(db, published, count=1)
    draft = _edit(db, published, move)
    with live_server(app) as url:
        a, b = Http(url, "coord"), Http(url, "coord2")
        answers = _at_once(lambda: a.post(f"/api/versions/{draft}/publish"),
                           lambda: b.post(f"/api/versions/{draft}/publish"))  # fmt: skip
    assert [status for status, _ in answers] == [200, 200], answers
    assert {body["number"] for _, body in answers} == {2}
    assert sorted(body["already_published"] for _, body in answers) == [False, True]
    assert _published(db) == [(1, published.id), (2, draft)]
    assert _audits(db, "publish") == 2  # version 1's and this one's
    assert_checker_clean(db, draft)


def test_two_first_rotas_published_at_once_give_one_version_and_a_question(
    app, db, day_import, small_rota, users, coords, slow_check
):
    """Nothing published yet, two generated drafts published together (the raw 500 of
    issue 12): one is version 1, the other is asked whether it should replace it."""
    from web.services.rotas import save_draft

    drafts = [save_draft(db, day_import, small_rota, users["coord"]).id for _ in range(2)]
    db.commit()
    with live_server(app) as url:
        a, b = Http(url, "coord"), Http(url, "coord2")
        answers = _at_once(lambda: a.post(f"/api/versions/{drafts[0]}/publish"),
                           lambda: b.post(f"/api/versions/{drafts[1]}/publish"))  # fmt: skip
    assert sorted(status for status, _ in answers) == [200, 409], answers
    refused = next(body for status, body in answers if status == 409)
    assert refused["conflict"]["kind"] == "fresh" and refused["conflict"]["confirm_replace"] == 1
    assert [n for n, _ in _published(db)] == [1]
    assert _audits(db, "publish") == 1
    assert_checker_clean(db, _published(db)[0][1])


def test_a_publication_waits_for_the_days_lock_and_then_sees_the_other(app, db, published, coords):
    """Two sessions: the first publishes and holds its transaction open; the second's
    publish of another draft of version 1 waits on the lock (it does not read the day
    meanwhile) and, once the first commits, is refused as stale, not given a number."""
    from web.models import RotaVersion
    from web.services.rotas import PublishConflict, publish

    a_move, b_move = _moves(db, published)
    first, second = _edit(db, published, a_move), _edit(db, published, b_move)
    database = app.extensions["hah_db"]
    s1, s2 = database.session(), database.session()
    outcome: dict = {}
    try:
        assert publish(s1, s1.get(RotaVersion, first), None) == 2  # lock held until commit

        def other():
            try:
                outcome["number"] = publish(s2, s2.get(RotaVersion, second), None)
            except Exception as exc:  # what the loser gets is the point of the test
                outcome["error"] = exc
            finally:
                s2.commit()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive(), f"the second publish did not wait for the lock: {outcome}"
        s1.commit()
        thread.join(60)
        assert not thread.is_alive()
    finally:
        s1.close()
        s2.close()
    assert isinstance(outcome.get("error"), PublishConflict), outcome
    assert outcome["error"].kind == "stale"
    assert [n for n, _ in _published(db)] == [1, 2]
    assert_checker_clean(db, first)

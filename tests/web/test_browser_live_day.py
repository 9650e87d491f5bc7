"""A whole live day on the bundled sample day (1,070 visits, 129 shifts) in Chromium.

The coordinator publishes at 07:00; at 09:30 a nurse reports from her phone that she is 40
minutes late and the board flags the doses at risk; at 11:30 an urgent referral arrives and
the coordinator takes the first proposal; at 13:00 a nurse goes off sick and her visits are
redistributed with every priority-1 dose kept (or shown, with the reason, to the
coordinator who confirms); each change is published and the affected nurse's phone shows it;
the ops page shows the 2-hour response. The clock is the app's ``HAH_NOW``, moved on between
scenes. Every published version goes through the independent checker.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scheduler.domain.localtime import parse_contract
from scheduler.domain.running_late import running_late
from scheduler.domain.samples import SAMPLE_DIR
from scheduler.domain.who_could_take import who_could_take
from solver import SolveOptions, solve
from tests.support.browser import sign_in, watch
from tests.support.web import (
    ARTIFACTS,
    DAY,
    FAST_HASH,
    PASSWORD,
    assert_checker_clean,
    live_server,
    needs_browser,
)

pytestmark = needs_browser


def _at(hm: str) -> datetime:
    return parse_contract(f"{DAY}T{hm}")


@pytest.fixture
def sample_day(app, db, users):
    """The sample day imported and solved (10 s), as a draft waiting to be published."""
    from web.services.days import Upload, import_day, problem_for
    from web.services.rotas import save_draft

    imp = import_day(db, date.fromisoformat(DAY),
                     Upload("visits.csv", (SAMPLE_DIR / "visits.csv").read_bytes()),
                     Upload("clinicians.csv", (SAMPLE_DIR / "clinicians.csv").read_bytes()),
                     users["coord"])  # fmt: skip
    problem = problem_for(imp)
    rota = solve(problem, SolveOptions(time_limit_s=10)).rota
    draft = save_draft(db, imp, rota, users["coord"], note="generated (10 s)")
    db.commit()
    return draft



#: Each live-day answer is a re-plan of the sample day (seconds, more on a loaded machine):
#: the pages wait for it longer than Playwright's default 30 s.
WAIT_MS = 120_000




def _nurse(db, cid: str) -> str:
    from web.models import User
    from web.services.users import create_user

    name = f"nurse-{cid.lower()}"
    if db.query(User).filter_by(username=name).first() is None:
        create_user(db, name, PASSWORD, "nurse", clinician_id=cid, hash_method=FAST_HASH)
        db.commit()
    return name


def _published(db):
    from sqlalchemy import select

    from web.models import RotaVersion

    db.expire_all()
    return db.scalar(select(RotaVersion).where(RotaVersion.status == "published")
                     .order_by(RotaVersion.number.desc()).limit(1))  # fmt: skip


def _problem_and_rota(db, version):
    from web.models import DayImport
    from web.services.days import problem_for
    from web.services.rotas import rota_from_json

    return problem_for(db.get(DayImport, version.import_id)), rota_from_json(version.rota)


def _accept_first_and_publish(page, db) -> int:
    """Accept proposal 1 (confirming if it asks), then publish the draft; its version id."""
    proposal = page.locator("#proposal-1")
    box = proposal.locator("input[name=confirm]")
    if box.count():
        box.check()
    proposal.get_by_role("button", name="Accept proposal 1").click()
    page.wait_for_selector("#changes")
    draft_id = int(page.url.split("version=")[1].split("#")[0])
    assert_checker_clean(db, draft_id)
    page.locator("tr.selected").get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=nurses now see it")
    return draft_id


def test_a_live_day_in_the_browser(app, db, sample_day, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        desk = browser.new_context(viewport={"width": 1366, "height": 900})
        page = desk.new_page()
        errors = watch(page, WAIT_MS)

        # 07:00 — publish the day's rota. Events are answered by the (thread) worker and the
        # request does not wait for it: each board opens "working out proposals…" and its
        # script follows the event until they are ready.
        app.config["HAH_EVENT_WAIT_S"] = 0
        app.config["HAH_NOW"] = f"{DAY}T07:00"
        sign_in(page, base, "coord")
        page.goto(f"{base}/coordinator/day/{DAY}")
        assert "Live day · now 07:00" in page.inner_text("#live")
        page.locator("tr.selected").get_by_role("button", name="Publish").click()
        page.wait_for_selector("text=Published as version 1")
        v1 = _published(db)
        problem, rota = _problem_and_rota(db, v1)

        # 09:30 — a nurse reports from her phone that she is 40 minutes late
        now = _at("09:30")
        app.config["HAH_NOW"] = f"{DAY}T09:30"
        risky = []
        for route in rota.routes:
            if not route.visit_ids:
                continue
            lateness = running_late(problem, rota, route.clinician_id, now, 40, fixes_per_visit=0)
            if lateness.at_risk:
                doses = sum(1 for a in lateness.at_risk if a.priority == 1)
                risky.append((doses, len(lateness.at_risk), route.clinician_id))
        assert risky, "on the sample day some nurse 40 minutes late must put a visit at risk"
        late_cid = max(risky)[2]
        phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
        nurse = phone.new_page()
        nurse_errors = watch(nurse)
        sign_in(nurse, base, _nurse(db, late_cid))
        nurse.goto(f"{base}/nurse/route/{DAY}/{late_cid}")
        nurse.locator("#running-late summary").click()
        nurse.fill("#running-late input[name=minutes]", "40")
        nurse.get_by_role("button", name="Tell the coordinator").click()
        nurse.wait_for_selector("text=The coordinator has been told you are 40 min late")
        nurse.screenshot(path=str(ARTIFACTS / "live-nurse-late.png"))
        phone.close()

        page.goto(f"{base}/coordinator/day/{DAY}")
        flags = page.inner_text("#at-risk")
        lateness = running_late(problem, rota, late_cid, now, 40, fixes_per_visit=0)
        for risk in lateness.at_risk:
            assert risk.visit_id in flags
        assert page.locator(".state-at_risk").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "live-board-at-risk.png"), full_page=False)
        page.locator("#at-risk a", has_text="proposals").first.click()
        page.wait_for_selector("#proposal-1")  # ready: board.js reloaded the page
        assert "Re-plan around the delay" in page.inner_text("#proposal-1")
        _accept_first_and_publish(page, db)

        # 11:30 — an urgent referral; the coordinator takes the first proposal
        app.config["HAH_NOW"] = f"{DAY}T11:30"
        page.locator("#event-referral summary").click()
        page.fill("#event-referral input[name=lat]", "51.7700")
        page.fill("#event-referral input[name=lon]", "-0.3000")
        page.fill("#event-referral input[name=address]", "12 Synthetic Close, St Albans")
        page.get_by_role("button", name="Find ways to take it").click()
        page.wait_for_selector("#proposal-1")  # ready: board.js reloaded the page
        page.screenshot(path=str(ARTIFACTS / "live-referral-proposals.png"))
        from web.models import DayEvent

        db.expire_all()
        event = db.query(DayEvent).filter_by(kind="referral").one()
        assert event.proposals[0]["clean"]  # (its speed is benchmarks/bench_live.py's)
        urgent = event.detail["visit_id"]
        _accept_first_and_publish(page, db)
        v3 = _published(db)
        _, rota3 = _problem_and_rota(db, v3)
        taker = next(r.clinician_id for r in rota3.routes if urgent in r.visit_ids)
        phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
        nurse = phone.new_page()
        nurse_errors += watch(nurse)
        sign_in(nurse, base, _nurse(db, taker))
        nurse.goto(f"{base}/nurse/route/{DAY}/{taker}")
        assert "12 Synthetic Close, St Albans" in nurse.inner_text(f"#v-{urgent}")
        nurse.screenshot(path=str(ARTIFACTS / "live-nurse-urgent.png"))
        phone.close()

        # 13:00 — a nurse goes off sick: her visits redistributed, every priority-1 kept
        now = _at("13:00")
        app.config["HAH_NOW"] = f"{DAY}T13:00"
        problem3, rota3 = _problem_and_rota(db, v3)
        p1 = {v.visit_id for v in problem3.visits if v.priority == 1}

        def later_p1(route):
            return sum(1 for s in route.stops if s.visit_id in p1 and s.start > now)

        sick = max((r for r in rota3.routes if r.clinician_id not in (late_cid, taker)),
                   key=later_p1).clinician_id  # fmt: skip
        hers = [s.visit_id for s in rota3.route_of(sick).stops if s.visit_id and s.start > now]
        page.locator("#event-absent summary").click()
        page.select_option("#event-absent select[name=clinician_id]", sick)
        page.get_by_role("button", name="Redistribute her visits").click()
        page.wait_for_selector("#proposal-1")  # ready: board.js reloaded the page
        event = db.query(DayEvent).filter_by(kind="absent").one()
        assert event.proposals[0]["clean"]  # (its speed is benchmarks/bench_live.py's)
        tell = [c["clinician_id"] for c in event.proposals[0]["tell"] if c["clinician_id"] != sick]
        assert tell, "her visits went to somebody"
        told = tell[0]
        phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
        nurse = phone.new_page()
        nurse_errors += watch(nurse)
        sign_in(nurse, base, _nurse(db, told))
        nurse.goto(f"{base}/nurse/route/{DAY}/{told}")  # she has seen version 3
        _accept_first_and_publish(page, db)
        v4 = _published(db)
        problem4, rota4 = _problem_and_rota(db, v4)
        placed = {v for r in rota4.routes for v in r.visit_ids}
        for vid in hers:
            if vid in p1 and vid not in placed:  # kept unless nobody at all could take it
                assert not any(o.feasible for o in who_could_take(problem4, rota4, vid, now))
        sick_route = rota4.route_of(sick)
        assert sick_route is None or all(s.start < now for s in sick_route.stops)
        nurse.goto(f"{base}/nurse/route/{DAY}/{told}")
        assert "Your route has changed" in nurse.inner_text("body")
        nurse.screenshot(path=str(ARTIFACTS / "live-nurse-changed.png"))
        phone.close()

        # the ops lead sees the 2-hour response
        ops = browser.new_context(viewport={"width": 1280, "height": 900})
        ops_page = ops.new_page()
        ops_errors = watch(ops_page)
        sign_in(ops_page, base, "ops")
        ops_page.goto(f"{base}/ops/day/{DAY}")
        text = ops_page.inner_text("#urgent-response")
        assert "1 of 1 urgent referrals reached within 2 hours" in text
        ops_page.screenshot(path=str(ARTIFACTS / "live-ops-response.png"))
        ops.close()
        assert errors == [] and nurse_errors == [] and ops_errors == []
        desk.close()

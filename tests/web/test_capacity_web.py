"""Capacity sweeps from the ops page: start one, watch its progress, stop it, read the answer,
the results per census (every simulated rota checked: 0 violations) and the two charts."""

from __future__ import annotations

import importlib.util
import time
from html import unescape
from pathlib import Path

import pytest

from tests.support.web import CHROMIUM, CHROMIUM_ARGS, csrf, live_server, needs_browser, text_of

#: A small ward: sizes of 8 and 12 patients solve in about a second each.
TINY = """name = "Tiny ward"
date = "2026-11-23"
[roster]
early = { HCA = 2, RN5 = 3, RN6 = 2 }
late = { RN5 = 2, RN6 = 2 }
night = { RN5 = 2, RN6 = 1 }
"""
FORM = {"sizes": "8, 12", "seeds": "1", "time_limit_s": "1", "p1_percent": "90",
        "placed_percent": "80", "days_percent": "100", "scenario": TINY}  # fmt: skip
HAVE_PLOTS = importlib.util.find_spec("scheduler.domain.capacity.plots") is not None


def _runner(app):
    return app.extensions["hah_capacity_runner"]


def _start_from_page(c, form=FORM) -> int:
    r = c.post("/ops/capacity/", data={"csrf_token": csrf(c), **form})
    assert r.status_code == 302, text_of(r)
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _wait_running(c, run_id: int) -> None:
    """Until the worker has started the run (stopped while queued, it is cancelled instead)."""
    deadline = time.monotonic() + 30
    while c.get(f"/api/capacity/{run_id}").get_json()["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _params(**extra):
    from web.services.capacity import parse_params

    return parse_params({"sizes": [8], "seeds": 1, "time_limit_s": 1, **extra})


def test_a_tiny_sweep_from_the_page_ends_with_the_answer_table_and_charts(app, as_role, db,
                                                                          db_url):  # fmt: skip
    import dataclasses
    import threading

    from web.models import CapacityRun
    from web.services.capacity import make_capacity_runner

    # The run starts only once the page has been seen while it is active: a thread runner
    # could otherwise finish a sweep this small before the first poll.
    gate = threading.Event()
    runner = make_capacity_runner("thread", db_url)
    real = runner.work.run

    def gated(url: str, row_id: int, attempt: int | None) -> None:
        gate.wait(60)
        real(url, row_id, attempt)

    runner.work = dataclasses.replace(runner.work, run=gated)
    app.extensions["hah_capacity_runner"] = runner
    c = as_role("ops")
    assert 'href="/ops/capacity/"' in c.get("/ops/").get_data(as_text=True)
    form_page = c.get("/ops/capacity/").get_data(as_text=True)
    assert "Start sweep" in form_page and "[roster]" in form_page  # the sample as the default
    run_id = _start_from_page(c)
    page = c.get(f"/ops/capacity/{run_id}")
    html = page.get_data(as_text=True)
    assert 'data-active="1"' in html and f'data-status-url="/api/capacity/{run_id}"' in html
    assert '<script src="/static/capacity.js?v=' in html and "<script>" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    first = c.get(f"/api/capacity/{run_id}").get_json()
    assert first["state"] in ("queued", "running") and first["total"] == 2
    assert c.get(f"/ops/capacity/{run_id}/chart/capacity.svg").status_code == 404  # not yet
    gate.set()
    assert _runner(app).wait(run_id, 180)
    status = c.get(f"/api/capacity/{run_id}").get_json()
    assert status["state"] == "done", status
    assert status["done"] == status["total"] == 2 and status["error"] is None
    res = status["results"]
    assert [x["census"] for x in res["census"]] == [8, 12]
    assert res["violations"] == 0 and all(x["violations"] == 0 for x in res["census"])
    for x in res["census"]:
        assert x["days"] == 1 and 0 <= x["days_ok"] <= 1
        for key in ("p1_on_time", "placed", "travel_share"):
            assert set(x[key]) >= {"mean", "lo", "hi"} and 0 <= x[key]["mean"] <= 1
        assert set(x["utilisation"]) == {"HCA", "RN5", "RN6"}
    assert res["roster"].startswith("early HCA 2, RN5 3, RN6 2")
    carried = res["largest"]
    assert carried in (None, 8, 12)
    if carried is not None:
        assert res["answer"].startswith(f"This roster carries {carried} patients")

    done_page = c.get(f"/ops/capacity/{run_id}")
    text = text_of(done_page)
    assert 'data-active="0"' in done_page.get_data(as_text=True)
    assert res["answer"] in text and "Results per census" in text
    assert "Utilisation RN5" in text and "Tiny ward" in text
    if not HAVE_PLOTS:
        pytest.skip("scheduler.domain.capacity.plots not importable: chart assertions skipped")
    for name in ("capacity", "utilisation"):
        url = f"/ops/capacity/{run_id}/chart/{name}.svg"
        assert f'src="{url}"' in done_page.get_data(as_text=True)
        svg = c.get(url)
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert b"<svg" in svg.data

    # The same scenario again re-uses the days solved: nothing is solved twice.
    again = _start_from_page(c)
    assert _runner(app).wait(again, 120)
    db.expire_all()
    first_run, second = db.get(CapacityRun, run_id), db.get(CapacityRun, again)
    assert second.state == "done" and second.results_dir == first_run.results_dir
    lines = (Path(second.results_dir) / "results.jsonl").read_text().splitlines()
    assert len(lines) == 2


def test_stop_keeps_what_was_solved(app, as_role, db, db_url):
    from web.models import CapacityRun
    from web.services.capacity import make_capacity_runner

    app.extensions["hah_capacity_runner"] = make_capacity_runner("thread", db_url)
    c = as_role("admin")
    body = {"sizes": [8, 10, 12, 14], "seeds": 2, "time_limit_s": 2, "scenario": TINY}
    r = c.post("/api/capacity", json=body, headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 202, r.get_json()
    run_id = r.get_json()["id"]
    assert r.get_json()["total"] == 8
    _wait_running(c, run_id)
    stop = c.post(f"/ops/capacity/{run_id}/stop", data={"csrf_token": csrf(c)})
    assert stop.status_code == 302
    assert "Stopping capacity run" in text_of(c.get(stop.headers["Location"]))
    assert _runner(app).wait(run_id, 120)
    status = c.get(f"/api/capacity/{run_id}").get_json()
    assert status["state"] == "stopped" and status["stop_requested"]
    assert status["done"] < status["total"]
    db.expire_all()
    run = db.get(CapacityRun, run_id)
    assert run.results is None or run.results["violations"] == 0
    again = c.post(f"/ops/capacity/{run_id}/stop", data={"csrf_token": csrf(c)})
    assert "already finished" in text_of(c.get(again.headers["Location"]))
    late = c.post(f"/api/capacity/{run_id}/stop", headers={"X-CSRF-Token": csrf(c)})
    assert late.status_code == 409 and "already finished" in late.get_json()["error"]


def test_one_sweep_at_a_time(as_role, db, tmp_path):
    from datetime import timedelta

    from web.models import CapacityRun, utcnow
    from web.services.capacity import start_run

    busy = CapacityRun(state="running", params=_params(), progress_total=1,
                       heartbeat_at=utcnow())  # fmt: skip
    db.add(busy)
    db.commit()
    c = as_role("ops")
    r = c.post("/ops/capacity/", data={"csrf_token": csrf(c), **FORM})
    assert r.status_code == 409 and "still running" in text_of(r)
    r = c.post("/api/capacity", json={"sizes": [8]}, headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 409 and "still running" in r.get_json()["error"]
    page = c.get(f"/ops/capacity/{busy.id}").get_data(as_text=True)
    assert "Stop and keep the days solved so far" in page
    # A run whose worker died long ago does not block the service for ever.
    busy.heartbeat_at = utcnow() - timedelta(hours=2)
    db.commit()
    assert c.get(f"/api/capacity/{busy.id}").get_json()["stale"] is True
    new = start_run(db, _params(), None, tmp_path / "capacity")
    db.commit()
    assert new.state == "queued" and db.get(CapacityRun, busy.id).state == "failed"
    assert "abandoned" in db.get(CapacityRun, busy.id).error


def test_bad_parameters_are_refused_with_every_reason(as_role, db):
    from web.models import CapacityRun

    c = as_role("ops")
    bad = {"sizes": "0, 12, lots", "seeds": "11", "time_limit_s": "500", "p1_percent": "120",
           "scenario": "[roster]\nearly = { XYZ = 2 }\nmidday = { HCA = 1 }\n"}  # fmt: skip
    r = c.post("/ops/capacity/", data={"csrf_token": csrf(c), **bad})
    assert r.status_code == 422
    text = text_of(r)
    for why in ("not 0, lots", "seeds", "seconds per day", "priority-1 on time %",
                "roster.early.XYZ: unknown grade", "roster.midday: unknown shift type"):  # fmt: skip
        assert why in text, why
    assert "0, 12, lots" in r.get_data(as_text=True)  # the form keeps what was typed
    r = c.post("/ops/capacity/", data={"csrf_token": csrf(c), **FORM, "scenario": "x = ["})
    assert r.status_code == 422 and "not valid TOML" in text_of(r)
    r = c.post("/ops/capacity/", data={"csrf_token": csrf(c), **FORM, "sizes": ""})
    assert r.status_code == 422 and "census sizes: required" in text_of(r)
    headers = {"X-CSRF-Token": csrf(c)}
    r = c.post("/api/capacity", json={"sizes": [601], "seeds": 0}, headers=headers)
    assert r.status_code == 422
    assert len(r.get_json()["reasons"]) == 2 and "601" in r.get_json()["error"]
    r = c.post("/api/capacity", data="nope", headers=headers, content_type="application/json")
    assert r.status_code == 400
    assert db.query(CapacityRun).count() == 0


def test_only_the_ops_lead_and_admin_run_sweeps(as_role, client, db):
    from web.models import CapacityRun

    run = CapacityRun(state="done", params=_params(), results=None)
    db.add(run)
    db.commit()
    for who in ("nurse", "coord"):
        c = as_role(who)
        for url in ("/ops/capacity/", f"/ops/capacity/{run.id}", f"/api/capacity/{run.id}",
                    f"/ops/capacity/{run.id}/chart/capacity.svg"):  # fmt: skip
            assert c.get(url).status_code == 403, (who, url)
        assert c.post("/ops/capacity/", data={"csrf_token": csrf(c), **FORM}).status_code == 403
        r = c.post("/api/capacity", json={"sizes": [8]}, headers={"X-CSRF-Token": csrf(c)})
        assert r.status_code == 403
        stop = c.post(f"/ops/capacity/{run.id}/stop", data={"csrf_token": csrf(c)})
        assert stop.status_code == 403
    assert client.get("/api/capacity/1").status_code == 401
    assert client.get("/ops/capacity/").status_code == 302
    assert db.query(CapacityRun).count() == 1
    c = as_role("ops")
    for url in ("/ops/capacity/999", "/api/capacity/999", "/ops/capacity/999/chart/capacity.svg",
                f"/ops/capacity/{run.id}/chart/capacity.svg",  # done, but no results stored
                f"/ops/capacity/{run.id}/chart/other.svg"):  # fmt: skip
        assert c.get(url).status_code == 404, url
    assert c.post("/ops/capacity/999/stop", data={"csrf_token": csrf(c)}).status_code == 404


def test_the_worker_reports_failures_on_the_run(db_url, db, tmp_path):
    from web.models import CapacityRun
    from web.services.capacity import run_capacity

    params = _params() | {"scenario": "this is = [not toml"}  # bypasses validation on purpose
    run = CapacityRun(state="queued", params=params, results_dir=str(tmp_path / "r"))
    db.add(run)
    db.commit()
    run_capacity(db_url, run.id)
    db.expire_all()
    run = db.get(CapacityRun, run.id)
    assert run.state == "failed" and "InputError" in run.error and "not valid TOML" in run.error


def test_the_answer_sentence():
    from scheduler.domain.capacity.summary import ServiceLevel
    from web.services.capacity import answer

    level = ServiceLevel()
    assert answer(250, [200, 250, 300], level).startswith("This roster carries 250 patients at")
    assert "or more" in answer(300, [200, 250, 300], level)
    assert "does not carry even the smallest census swept (200" in answer(None, [200], level)
    assert level.text() in answer(250, [250, 300], level)


def test_stored_results_rebuild_the_sweep_result(tmp_path):
    """What the charts are drawn from equals what the sweep returned."""
    from scheduler.usecases.capacity.sweep import sweep
    from web.models import CapacityRun
    from web.services.capacity import parse_params, scenario_from_text, serialise, sweep_result_of

    params = parse_params({"sizes": [6], "seeds": 1, "time_limit_s": 1, "scenario": TINY})
    result = sweep(scenario_from_text(TINY), tmp_path, sizes=[6], seeds=range(1),
                   time_limit_s=1, workers=1)  # fmt: skip
    run = CapacityRun(params=params, results=serialise(result))
    again = sweep_result_of(run)
    assert again.summaries == result.summaries and again.largest == result.largest
    assert again.scenario.key() == result.scenario.key() and again.level == result.level
    assert run.results is not None and run.results["violations"] == 0


# --- simulated months ------------------------------------------------------------------------

#: Two days of a ward of about 8 patients: a second or so of search each.
MONTH_FORM = {"kind": "month", "days": "2", "census": "8", "mean_stay_days": "4",
              "time_limit_s": "1", "scenario": TINY}  # fmt: skip


def test_a_tiny_month_from_the_page_ends_with_totals_days_and_chart(app, as_role, db):
    from web.models import CapacityRun

    c = as_role("ops")
    form_page = c.get("/ops/capacity/").get_data(as_text=True)
    assert "Simulate a month" in form_page and 'name="kind" value="month"' in form_page
    run_id = _start_from_page(c, MONTH_FORM)
    html = c.get(f"/ops/capacity/{run_id}").get_data(as_text=True)
    assert f"Simulated month {run_id}" in html and 'data-active="1"' in html
    assert '<script src="/static/capacity.js?v=' in html
    first = c.get(f"/api/capacity/{run_id}").get_json()
    assert first["kind"] == "month" and first["total"] == 2
    assert first["params"]["days"] == 2 and first["params"]["census"] == 8
    assert c.get(f"/ops/capacity/{run_id}/chart/month.svg").status_code == 404  # not yet

    assert _runner(app).wait(run_id, 180)
    status = c.get(f"/api/capacity/{run_id}").get_json()
    assert status["state"] == "done", status
    assert status["done"] == status["total"] == 2 and status["error"] is None
    res = status["results"]
    t = res["totals"]
    assert res["kind"] == "month" and res["violations"] == 0 and t["violations"] == 0
    assert t["days"] == t["days_solved"] == 2 and t["visits"] > 0 and t["mean_census"] > 0
    assert 0 <= t["placed_rate"] <= 1 and 0 <= t["p1_on_time"] <= 1 and 0 <= t["days_ok"] <= 2
    assert [d["date"] for d in res["rows"]] == ["2026-11-23", "2026-11-24"]
    for d in res["rows"]:
        assert d["solved"] and d["violations"] == 0 and d["weekday"] in ("Mon", "Tue")
        assert d["visits"] > 0 and 0 <= d["travel_share"] <= 1 and d["solve_s"] > 0
    assert "the independent checker found 0 violations" in res["summary"]

    done_page = c.get(f"/ops/capacity/{run_id}")
    text = text_of(done_page)
    assert 'data-active="0"' in done_page.get_data(as_text=True)
    assert res["summary"] in text and "Day by day" in text and "Tiny ward" in text
    assert "2026-11-23 Mon" in text and "2026-11-24 Tue" in text
    assert "Results per census" not in text
    for name in ("capacity", "utilisation"):  # a sweep's charts: not for a month
        assert c.get(f"/ops/capacity/{run_id}/chart/{name}.svg").status_code == 404
    index = text_of(c.get("/ops/capacity/"))
    assert "of 2 days at the service level" in index
    if not HAVE_PLOTS:
        pytest.skip("scheduler.domain.capacity.plots not importable: chart assertions skipped")
    url = f"/ops/capacity/{run_id}/chart/month.svg"
    assert f'src="{url}"' in done_page.get_data(as_text=True)
    svg = c.get(url)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    db.expire_all()
    assert (Path(db.get(CapacityRun, run_id).results_dir) / "results.jsonl").exists()


def test_bad_month_parameters_are_refused_with_every_reason(as_role, db):
    from web.models import CapacityRun

    c = as_role("ops")
    roster = "[roster]\nearly = { XYZ = 2 }\n"
    bad = MONTH_FORM | {"days": "61", "census": "0", "mean_stay_days": "30",
                        "time_limit_s": "soon", "scenario": roster}  # fmt: skip
    r = c.post("/ops/capacity/", data={"csrf_token": csrf(c), **bad})
    assert r.status_code == 422
    text = unescape(text_of(r))
    assert "The month was not started" in text and "The sweep was not started" not in text
    for why in ("days to simulate: a whole number from 1 to 60, not '61'",
                "target census (patients): a whole number from 1 to 600, not '0'",
                "mean length of stay (days): a number from 1 to 28, not '30'",
                "seconds per day: a number from 1 to 120, not 'soon'",
                "roster.early.XYZ: unknown grade"):  # fmt: skip
        assert why in text, why
    page = r.get_data(as_text=True)
    assert 'name="days" min="1" max="60" value="61"' in page  # the form keeps what was typed
    headers = {"X-CSRF-Token": csrf(c)}
    r = c.post("/api/capacity", json={"kind": "month", "days": 0, "census": 601},
               headers=headers)  # fmt: skip
    assert r.status_code == 422 and len(r.get_json()["reasons"]) == 2
    r = c.post("/api/capacity", json={"kind": "year"}, headers=headers)
    assert r.status_code == 422 and "kind: 'sweep' or 'month'" in r.get_json()["error"]
    assert db.query(CapacityRun).count() == 0


def test_one_run_at_a_time_sweep_or_month(as_role, db):
    from web.models import CapacityRun, utcnow
    from web.services.capacity import parse_month_params

    busy = CapacityRun(state="running", params=parse_month_params(MONTH_FORM), progress_total=2,
                       heartbeat_at=utcnow())  # fmt: skip
    db.add(busy)
    db.commit()
    c = as_role("ops")
    headers = {"X-CSRF-Token": csrf(c)}
    for body in ({"kind": "month", "days": 2, "census": 8}, {"sizes": [8]}):
        r = c.post("/api/capacity", json=body, headers=headers)
        assert r.status_code == 409 and "still running" in r.get_json()["error"], body
    r = c.post("/ops/capacity/", data={"csrf_token": csrf(c), **MONTH_FORM})
    assert r.status_code == 409 and "still running" in text_of(r)
    page = c.get(f"/ops/capacity/{busy.id}").get_data(as_text=True)
    assert "Stop and keep the days solved so far" in page and "Simulated month" in page
    assert c.get(f"/ops/capacity/{busy.id}/chart/month.svg").status_code == 404
    assert db.query(CapacityRun).count() == 1


def test_a_sweeps_page_is_unchanged_and_has_no_month_chart(as_role, db, tmp_path):
    from scheduler.usecases.capacity.sweep import sweep
    from web.models import CapacityRun
    from web.services.capacity import scenario_from_text, serialise

    params = _params(scenario=TINY)
    assert "kind" not in params  # a sweep's row as before months existed
    result = sweep(scenario_from_text(TINY), tmp_path, sizes=[8], seeds=range(1),
                   time_limit_s=1, workers=1)  # fmt: skip
    run = CapacityRun(state="done", params=params, results=serialise(result),
                      progress_done=1, progress_total=1)  # fmt: skip
    db.add(run)
    db.commit()
    c = as_role("ops")
    page = c.get(f"/ops/capacity/{run.id}")
    text = text_of(page)
    assert f"Capacity run {run.id}" in text and "Results per census" in text
    assert "Census sizes 8" in text and "Days per size 1, 1 s of search each" in text
    assert "Simulated month" not in text and "Day by day" not in text
    assert c.get(f"/api/capacity/{run.id}").get_json()["kind"] == "sweep"
    assert c.get(f"/ops/capacity/{run.id}/chart/month.svg").status_code == 404
    if HAVE_PLOTS:
        assert c.get(f"/ops/capacity/{run.id}/chart/capacity.svg").status_code == 200


def test_stored_month_results_draw_the_same_chart(tmp_path):
    """The adapter rebuilds what ``month_series`` reads: the same chart as from the month."""
    from scheduler.usecases.capacity.month import simulate_month
    from web.models import CapacityRun
    from web.services.capacity import (
        level_of,
        month_result_of,
        month_spec_of,
        parse_month_params,
        scenario_from_text,
        serialise_month,
    )

    params = parse_month_params(MONTH_FORM)
    result = simulate_month(scenario_from_text(TINY), tmp_path, spec=month_spec_of(params),
                            time_limit_s=1, level=level_of(params), workers=1)  # fmt: skip
    run = CapacityRun(params=params, results=serialise_month(result))
    again = month_result_of(run)
    assert again.totals.as_dict() == result.totals.as_dict()
    assert [r.date for r in again.rows] == [r.date for r in result.rows]
    assert run.results is not None
    assert run.results["violations"] == 0 and run.results["complete"]
    if not HAVE_PLOTS:
        pytest.skip("scheduler.domain.capacity.plots not importable")
    import io

    from scheduler.domain.capacity.plots import month_series

    a, b = io.BytesIO(), io.BytesIO()
    month_series(result, a, fmt="svg")
    month_series(again, b, fmt="svg")
    assert a.getvalue() == b.getvalue()


@needs_browser
def test_the_capacity_pages_in_a_browser_follow_the_run_and_draw_the_charts(app, users):
    """An ops lead starts a sweep, a month and a sweep on the caseload model (its box ticked,
    learned continuity chosen) in Chromium: capacity.js follows each run to its end, the
    server-drawn charts load as images, the caseload run shows its continuity, and nothing
    breaks the CSP."""
    import playwright.sync_api as pw

    from tests.support.web import ARTIFACTS, PASSWORD

    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base, pw.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/auth/login")
        page.fill("input[name=username]", "ops")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        runs = ((FORM, "capacity", "capacity"), (MONTH_FORM, "month", "month"),
                (CASELOAD_FORM, "capacity", "caseload"))  # fmt: skip
        for form, chart, shot in runs:
            page.goto(f"{base}/ops/capacity/")
            scope = "form:has(input[name=kind][value=month])" if chart == "month" else (
                "form:not(:has(input[name=kind][value=month]))[method=post]"
            )  # fmt: skip
            target = page.locator(scope).filter(has=page.locator("textarea")).first
            for name, value in form.items():
                if name == "kind":
                    continue
                field = target.locator(f"[name={name}]")
                if not field.count():
                    continue
                if name == "caseload":
                    field.check()
                elif name == "continuity":
                    field.select_option(value)
                else:
                    field.fill(value)
            target.locator("button[type=submit]").click()
            page.wait_for_selector('[data-active="0"]', timeout=180_000)
            img = page.locator(f'img[src$="/chart/{chart}.svg"]')
            img.wait_for()
            page.wait_for_function(
                "i => i.complete && i.naturalWidth > 0", arg=img.element_handle()
            )
            if shot == "caseload":
                table = page.locator("#results table").inner_text()
                assert "Continuity (top 3)" in table and "On the ward" in table
                assert "learned continuity" in page.locator("#progress").inner_text()
            page.screenshot(path=str(ARTIFACTS / f"ops-capacity-{shot}.png"), full_page=True)
        browser.close()
    assert errors == []


def test_the_api_stops_a_run_keeping_what_was_solved(app, as_role, db, db_url):
    from web.services.capacity import make_capacity_runner

    app.extensions["hah_capacity_runner"] = make_capacity_runner("thread", db_url)
    c = as_role("ops")
    headers = {"X-CSRF-Token": csrf(c)}
    body = {"sizes": [8, 10, 12, 14], "seeds": 2, "time_limit_s": 2, "scenario": TINY}
    run_id = c.post("/api/capacity", json=body, headers=headers).get_json()["id"]
    _wait_running(c, run_id)
    r = c.post(f"/api/capacity/{run_id}/stop", headers=headers)
    assert r.status_code == 202 and r.get_json()["stop_requested"]
    assert _runner(app).wait(run_id, 120)
    status = c.get(f"/api/capacity/{run_id}").get_json()
    assert status["state"] == "stopped" and status["done"] < status["total"]
    assert c.post("/api/capacity/999999/stop", headers=headers).status_code == 404


# --- the caseload model ------------------------------------------------------------------------

#: The sweep's form on the caseload model: one month of two days at a target of 8 patients.
CASELOAD_FORM = FORM | {"sizes": "8", "caseload": "on", "caseload_days": "2",
                        "continuity": "learned"}  # fmt: skip


def test_caseload_parameters_are_stored_only_when_on_and_refused_with_every_reason():
    from web.services.capacity import ParamsError, month_spec_of, parse_month_params
    from web.services.capacity.params import caseload_of
    from web.services.capacity.runs import days_asked

    plain = _params()
    assert "caseload" not in plain and caseload_of(plain) is None and days_asked(plain) == 1
    on = _params(caseload="on", caseload_days="4", continuity="learned", seeds=2)
    assert (on["caseload"], on["caseload_days"], on["continuity"]) == (True, 4, "learned")
    model = caseload_of(on)
    assert model is not None and (model.days, model.continuity) == (4, "learned")
    assert days_asked(on) == 1 * 2 * 4, "sizes × months × days of each"
    assert _params(caseload=True)["caseload_days"] == 7  # JSON true; the default week
    assert "caseload" not in _params(caseload="", caseload_days="3")  # an unticked box
    month = parse_month_params(MONTH_FORM | {"caseload": "on", "continuity": "learned"})
    assert month["caseload"] and month["continuity"] == "learned"
    assert "caseload_days" not in month and month_spec_of(month).caseload
    assert not month_spec_of(parse_month_params(MONTH_FORM)).caseload
    with pytest.raises(ParamsError) as err:
        _params(caseload="maybe", continuity="sticky")
    assert len(err.value.messages) == 2
    assert "caseload model: on or off" in str(err.value) and "continuity: fixed or learned" in str(
        err.value
    )
    for bad in ({"continuity": "learned"}, {"caseload": False, "continuity": "learned"}):
        with pytest.raises(ParamsError, match="learned continuity needs the caseload model"):
            _params(**bad)
    for days in ("0", "29", "2.5"):
        with pytest.raises(ParamsError, match="days per census point"):
            _params(caseload="on", caseload_days=days)
    with pytest.raises(ParamsError, match="learned continuity needs the caseload model"):
        parse_month_params(MONTH_FORM | {"continuity": "learned"})


def test_a_refused_caseload_form_is_shown_again_with_what_was_typed(as_role, db):
    from web.models import CapacityRun

    c = as_role("ops")
    r = c.post("/ops/capacity/", data={"csrf_token": csrf(c), **CASELOAD_FORM,
                                        "caseload_days": "40"})  # fmt: skip
    assert r.status_code == 422
    text, page = unescape(text_of(r)), r.get_data(as_text=True)
    assert "days per census point (caseload model): a whole number from 1 to 28" in text
    assert 'name="caseload" value="on" checked' in page
    assert 'name="caseload_days" min="1" max="28" value="40"' in page
    assert '<option value="learned" selected>' in page
    r = c.post("/ops/capacity/", data={"csrf_token": csrf(c), **FORM, "continuity": "learned"})
    assert r.status_code == 422 and "learned continuity needs the caseload model" in text_of(r)
    r = c.post("/api/capacity", json={"sizes": [8], "caseload": "sometimes"},
               headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
    assert r.status_code == 422 and "caseload model: on or off" in r.get_json()["error"]
    assert db.query(CapacityRun).count() == 0


def test_a_caseload_sweep_from_the_page_reports_continuity_and_every_day_checked(app, as_role,
                                                                                db):  # fmt: skip
    from web.models import AuditLog, CapacityRun

    c = as_role("ops")
    page = c.get("/ops/capacity/").get_data(as_text=True)
    assert 'name="caseload" value="on">' in page, "the caseload model, off by default"
    run_id = _start_from_page(c, CASELOAD_FORM)
    first = c.get(f"/api/capacity/{run_id}").get_json()
    assert first["total"] == 2, "one month of two days"
    assert first["params"]["caseload"] and first["params"]["continuity"] == "learned"
    assert first["params"]["caseload_days"] == 2
    assert _runner(app).wait(run_id, 180)
    status = c.get(f"/api/capacity/{run_id}").get_json()
    assert status["state"] == "done" and status["done"] == 2, status
    res = status["results"]
    assert res["caseload"] == {"days": 2, "continuity": "learned"} and res["violations"] == 0
    (point,) = res["census"]
    cont = point["continuity"]
    assert point["days"] == 2 and point["violations"] == 0
    assert 0 < cont["top2_visits"] <= cont["top3_visits"] <= 1 and cont["patients"] > 0
    assert point["on_ward"]["min"] >= 1
    db.expire_all()
    run = db.get(CapacityRun, run_id)
    rows = (Path(run.results_dir) / "results.jsonl").read_text().splitlines()
    assert len(rows) == 2 and all('"attendances"' in x and "|learned" in x for x in rows)
    text = text_of(c.get(f"/ops/capacity/{run_id}"))
    assert "Continuity (top 3)" in text and f"{100 * cont['top3_visits']:.1f}%" in text
    assert "caseload: 1 month of 2 days per size" in text and "learned continuity" in text
    assert "sweep (caseload, learned continuity)" in text_of(c.get("/ops/capacity/"))
    said = [e.detail for e in db.query(AuditLog).filter(AuditLog.action == "capacity_start")]
    assert any("caseload model (2 day(s) per seed, learned continuity)" in d for d in said)


def test_a_caseload_month_from_the_api_reports_continuity(app, as_role, db):
    c = as_role("ops")
    body = {"kind": "month", "days": 2, "census": 8, "mean_stay_days": 4, "time_limit_s": 1,
            "scenario": TINY, "caseload": True, "continuity": "fixed"}  # fmt: skip
    r = c.post("/api/capacity", json=body, headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 202, r.get_json()
    run_id = r.get_json()["id"]
    assert _runner(app).wait(run_id, 180)
    res = c.get(f"/api/capacity/{run_id}").get_json()["results"]
    assert res["caseload"] is True and res["violations"] == 0
    cont = res["continuity"]
    assert cont["model"] == "fixed" and 0 < cont["top3_visits"] <= 1
    text = text_of(c.get(f"/ops/capacity/{run_id}"))
    assert f"Continuity over {cont['patients']} stays (fixed preferences)" in text
    assert "caseload: persistent staff" in text


def test_stored_caseload_results_rebuild_the_sweep_result(tmp_path):
    import dataclasses

    from scheduler.domain.capacity.caseload_sweep import CaseloadSweep
    from scheduler.usecases.capacity.sweep import sweep
    from web.models import CapacityRun
    from web.services.capacity import parse_params, scenario_from_text, serialise, sweep_result_of

    params = parse_params({"sizes": [6], "seeds": 1, "time_limit_s": 1, "scenario": TINY,
                           "caseload": True, "caseload_days": 2})  # fmt: skip
    result = sweep(scenario_from_text(TINY), tmp_path, sizes=[6], seeds=range(1),
                   time_limit_s=1, workers=1, caseload=CaseloadSweep(2))  # fmt: skip
    run = CapacityRun(params=params, results=serialise(result))
    again = sweep_result_of(run)
    # Every figure comes back as it was; the mean solve time is stored to the hundredth.
    rounded = [dataclasses.replace(s, solve_s=round(s.solve_s, 2)) for s in result.summaries]
    assert again.summaries == rounded and again.caseload == result.caseload
    assert again.summaries[0].continuity is not None
    assert run.results is not None and run.results["violations"] == 0

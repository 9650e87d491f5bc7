"""Every answer well-formed (``web.errors``): bad input gets a 4xx, JSON under ``/api/`` and a
short page elsewhere, never a 500.

Found by a user: ids of 2^63 and more in URLs, a JSON string where an object was expected,
deeply nested JSON and a CSV cell over 128 KiB each answered an HTML 500. Here every rule of
the app is tried with such ids, every API POST with such bodies and with wrong-typed fields.
Under ``TESTING`` an exception propagates out of the test client, so a 500 fails loudly.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from tests.support.web import DAY, csrf, nurse_visits, small_files, text_of
from web.errors import MAX_JSON_BYTES, MAX_JSON_DEPTH

HUGE_IDS = [2**63, 2**64, 10**40, "9" * 5000]


class _NoRunner:
    """Jobs and capacity runs are stored but never run: the bodies are what is tested."""

    def submit(self, _id: int, _attempt: int = 1) -> None:
        pass


@pytest.fixture
def world(app, db, published, small_rota, as_role):
    from web.models import CapacityRun

    app.extensions["hah_runner"] = app.extensions["hah_capacity_runner"] = _NoRunner()
    app.config["HAH_NOW"] = f"{DAY}T10:00"
    coord = as_role("admin")  # admin may use every route
    r = coord.post(f"/api/days/{DAY}/events", headers={"X-CSRF-Token": csrf(coord)},
                   json={"kind": "referral", "lat": 51.75, "lon": -0.33, "skills": "IV"})  # fmt: skip
    assert r.status_code == 201, r.get_data(as_text=True)
    busy = CapacityRun(state="running", params={"sizes": [1], "seeds": 1}, progress_total=1)
    db.add(busy)  # one capacity run at a time: valid bodies are refused (409), not started
    db.commit()
    values = {"date": DAY, "cid": "C002", "vid": nurse_visits(small_rota, "C002")[0],
              "token": "no-such-token", "version_id": published.id, "event_id": r.get_json()["id"],
              "job_id": 999_999, "run_id": busy.id, "username": "nurse2", "pid": "P9001"}  # fmt: skip
    return coord, values


def _rules(app):
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.rule != "/auth/logout"
    )


def _fill(rule: str, values: dict, big=None) -> str:
    def one(m: re.Match) -> str:
        conv, name = m.group(1), m.group(2)
        return str(big) if conv == "int" and big is not None else str(values[name])

    return re.sub(r"<(?:(\w+):)?(\w+)>", one, rule)


def _send(c, method: str, url: str, **kw):
    headers = {"X-CSRF-Token": csrf(c)}
    if method == "GET":
        return c.get(url)
    if url.startswith("/api/"):
        return c.post(url, headers=headers, **kw)
    return c.post(url, data={"csrf_token": csrf(c)} | kw.pop("data", {}), **kw)


def _assert_json_error(r, *codes: int):
    assert r.status_code in codes, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.is_json, r.content_type
    assert isinstance(r.get_json()["error"], str) and r.get_json()["error"]


# -- ids no database can hold ---------------------------------------------------------------


def test_an_id_no_database_can_hold_is_a_404_on_every_rule(app, world):
    c, values = world
    rules = [(m, r) for m, r in _rules(app) if "<int:" in r]
    assert len(rules) >= 20
    wrong = []
    for method, rule in rules:
        for big in HUGE_IDS:
            url = _fill(rule, values, big)
            r = _send(c, method, url, **({"json": {}} if url.startswith("/api/") else {}))
            ok = r.status_code == 404 and (
                r.is_json and r.get_json() == {"error": "not found"}
                if url.startswith("/api/")
                else "404 Not Found" in text_of(r) and r.mimetype == "text/html"
            )
            if not ok:
                wrong.append(f"{method} {rule} with {str(big)[:20]}: {r.status_code} {r.mimetype}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("big", HUGE_IDS)
def test_an_id_in_the_query_string_beyond_any_row_is_a_404(app, world, big):
    c, values = world
    v = values["version_id"]
    _assert_json_error(c.get(f"/api/versions/{v}/diff?from={big}"), 404)
    for url in (f"/coordinator/day/{DAY}/who?version={big}&visit_id={values['vid']}",
                f"/coordinator/day/{DAY}/diff?from={big}", f"/coordinator/day/{DAY}/diff?to={big}",
                f"/coordinator/day/{DAY}?version={big}"):  # fmt: skip
        r = c.get(url)
        assert r.status_code == 404 and "404 Not Found" in text_of(r), url[:80]


# -- bodies that are not a JSON object ------------------------------------------------------

#: Every API POST that reads a body: each must refuse a bad one with 400 (413 when too big).
READS_A_BODY = {
    "/api/days/<date>/jobs", "/api/versions/<int:version_id>/edits",
    "/api/versions/<int:version_id>/reoptimise", "/api/days/<date>/events",
    "/api/events/<int:event_id>/accept", "/api/capacity",
}  # fmt: skip
NOT_AN_OBJECT = ['"a string"', "[]", '["kind", "referral"]', "42", "null", "true", "3.5"]
NOT_JSON = ["{", "{'kind': 'referral'}", '{"a": NaN}', '{"a": Infinity}', "\ufeff",
            '{"a": 1} trailing', "1" * 5000]  # fmt: skip
TOO_DEEP = ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000,
            "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
            '{"kind": "referral", "x": ' + "[" * 5000 + "]" * 5000 + "}"]  # fmt: skip


def test_api_posts_that_read_a_body_refuse_anything_but_a_json_object(app, world):
    c, values = world
    posts = [r for m, r in _rules(app) if m == "POST" and r.startswith("/api/")]
    assert set(posts) >= READS_A_BODY
    wrong = []
    for rule in posts:
        url = _fill(rule, values)
        for body in NOT_AN_OBJECT + NOT_JSON + TOO_DEEP:
            r = c.post(url, data=body, content_type="application/json",
                       headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
            if not r.is_json or r.status_code >= 500 or (
                rule in READS_A_BODY and r.status_code != 400
            ):
                wrong.append(f"{rule} with {body[:30]!r}: {r.status_code} {r.mimetype}")
    assert not wrong, "\n".join(wrong)


def test_the_messages_say_what_is_wrong(world):
    c, _ = world
    h = {"X-CSRF-Token": csrf(c)}
    url = f"/api/days/{DAY}/events"
    r = c.post(url, data='"referral"', content_type="application/json", headers=h)
    assert r.status_code == 400 and "send a JSON object" in r.get_json()["error"]
    r = c.post(url, data="[" * 100_000, content_type="application/json", headers=h)
    assert r.status_code == 400 and f"{MAX_JSON_DEPTH} levels" in r.get_json()["error"]
    r = c.post(url, data="{", content_type="application/json", headers=h)
    assert r.status_code == 400 and "not JSON" in r.get_json()["error"]
    big = json.dumps({"kind": "referral", "address": "x" * MAX_JSON_BYTES})
    r = c.post(url, data=big, content_type="application/json", headers=h)
    _assert_json_error(r, 413)
    assert "KiB" in r.get_json()["error"]
    r = c.post(url, data=b"\xff\xfe{", content_type="application/json", headers=h)
    _assert_json_error(r, 400)


def test_an_empty_body_still_means_the_defaults(app, world, db):
    """Clients that post nothing (curl -X POST) keep working: no body is ``{}``."""
    from web.models import SolveJob

    c, _ = world
    r = c.post(f"/api/days/{DAY}/jobs", headers={"X-CSRF-Token": csrf(c)})
    assert r.status_code == 202 and db.get(SolveJob, r.get_json()["id"]).time_limit_s == 30


# -- objects with wrong-typed fields ---------------------------------------------------------

WEIRD = [[], {}, [1, [2]], {"a": {"b": 1}}, 2**70, -(2**70), 10**400, 1e308, -1e308, -1, 0,
         0.5, True, False, None, "", " ", "x" * 5000, "9" * 5000, "NaN", "-inf", "１２",
         "<script>", "2026-13-45T25:61", "\x00"]  # fmt: skip
FIELDS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "/api/days/<date>/jobs": ({}, ["time_limit_s"]),
    "/api/versions/<int:version_id>/reoptimise": ({}, ["time_limit_s", "keep_plan_min"]),
    "/api/versions/<int:version_id>/edits": (
        {"op": "move", "visit_id": "<vid>", "to_clinician": "C003", "preview": True},
        ["op", "visit_id", "to_clinician", "from_clinician", "position", "other_visit_id",
         "other_clinician", "preview", "confirm"],
    ),
    "/api/capacity": (
        {"sizes": [150]},
        ["sizes", "seeds", "time_limit_s", "p1_percent", "placed_percent", "days_percent",
         "scenario", "kind"],
    ),
    "/api/capacity#month": (
        {"kind": "month"},
        ["days", "census", "mean_stay_days", "time_limit_s", "p1_percent", "placed_percent"],
    ),
    "/api/days/<date>/events#late": (
        {"kind": "late", "clinician_id": "NOBODY", "minutes": 20},
        ["kind", "clinician_id", "minutes", "from"],
    ),
    "/api/days/<date>/events#cancel": ({"kind": "cancel", "visit_id": "NOPE"}, ["visit_id"]),
    "/api/days/<date>/events#referral": (
        {"kind": "referral", "lat": "x", "lon": -0.33},
        ["lat", "lon", "skills", "duration_min", "window_start", "window_end", "staff",
         "priority", "address", "patient_id", "visit_type"],
    ),
    "/api/events/<int:event_id>/accept": ({"proposal": 99}, ["proposal", "confirm"]),
}  # fmt: skip


@pytest.mark.parametrize("route", list(FIELDS))
def test_wrong_typed_fields_get_a_json_4xx(app, world, route):
    """Each field of each body set to each odd value in turn (with the rest of a body that is
    refused or harmless, so nothing is solved): a JSON answer below 500 every time."""
    c, values = world
    base, fields = FIELDS[route]
    url = _fill(route.split("#")[0], values)
    wrong = []
    for field in fields:
        for value in WEIRD:
            body = {k: values["vid"] if v == "<vid>" else v for k, v in base.items()}
            body[field] = value
            r = c.post(url, json=body, headers={"X-CSRF-Token": csrf(c)})
            if not r.is_json or r.status_code >= 500:
                wrong.append(f"{field}={str(value)[:20]!r}: {r.status_code} {r.mimetype}")
    assert not wrong, "\n".join(wrong)


def test_a_deeply_nested_capacity_scenario_is_a_422(world):
    c, _ = world
    scenario = "name = 'x'\n[travel]\ncircuity = " + "[" * 5000 + "]" * 5000
    r = c.post("/api/capacity", json={"sizes": [150], "scenario": scenario},
               headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
    _assert_json_error(r, 422)
    for bad in ("census = 5", "roster = 5", "travel = 5", "[travel]\ncircuity = nan",
                "[roster]\nearly = { HCA = 1000000 }", "[census]\nfrequency = 5"):  # fmt: skip
        r = c.post("/api/capacity", json={"sizes": [150], "scenario": bad},
                   headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
        _assert_json_error(r, 422)


# -- the rest of the API, and the pages -----------------------------------------------------


def test_api_paths_and_methods_that_do_not_exist_answer_json(world):
    c, _ = world
    _assert_json_error(c.get("/api/no-such-thing"), 404)
    _assert_json_error(c.get(f"/api/days/{DAY}/jobs"), 405)
    assert "POST" in c.get(f"/api/days/{DAY}/jobs").headers["Allow"]
    _assert_json_error(c.delete("/api/days", headers={"X-CSRF-Token": csrf(c)}), 405)
    _assert_json_error(c.get("/api/days/not-a-date"), 404)


def test_an_upload_over_the_cap_is_a_413(app, world):
    c, _ = world
    app.config["MAX_CONTENT_LENGTH"] = 1024
    r = c.post(f"/api/days/{DAY}/events", data=json.dumps({"x": "y" * 2000}),
               content_type="application/json", headers={"X-CSRF-Token": csrf(c)})  # fmt: skip
    _assert_json_error(r, 413)
    v, k = small_files()
    r = c.post("/coordinator/import", content_type="multipart/form-data",
               data={"csrf_token": csrf(c), "date": DAY, "visits": (io.BytesIO(v), "visits.csv"),
                     "clinicians": (io.BytesIO(k), "clinicians.csv")})  # fmt: skip
    assert r.status_code == 413 and "413 Request Entity Too Large" in text_of(r)


def test_a_csv_cell_over_the_limit_is_refused_by_file_row_and_column(world, db):
    """It was an HTML 500 (Python's csv module stops at 128 KiB)."""
    from sqlalchemy import func, select

    from web.models import DayImport

    c, _ = world
    before = db.scalar(select(func.count(DayImport.id)))
    v, k = small_files()
    big = v.replace(b"47 Beech Way, Stevenage SG1", b"x" * (130 * 1024), 1)
    r = c.post("/coordinator/import", content_type="multipart/form-data",
               data={"csrf_token": csrf(c), "date": DAY, "visits": (io.BytesIO(big), "visits.csv"),
                     "clinicians": (io.BytesIO(k), "clinicians.csv")})  # fmt: skip
    assert r.status_code == 422
    assert "visits.csv 2 address is 133,120 characters long; a cell holds at most 10,000" in (
        text_of(r))
    assert db.scalar(select(func.count(DayImport.id))) == before


# -- the pages' forms ------------------------------------------------------------------------

ODD_TEXT = ["", " ", "9" * 5000, "-1", "0", "1e999", "nan", "-inf", "１２", "\x00",
            "x" * 20_000, "<img src=x onerror=alert(1)>", "2026-13-45T25:61"]  # fmt: skip
PAGE_FIELDS: dict[str, tuple[dict[str, str], list[str]]] = {
    "/coordinator/import": ({}, ["date"]),
    "/coordinator/day/<date>/generate": ({}, ["seconds"]),
    "/coordinator/versions/<int:version_id>/reoptimise": ({}, ["keep_plan_min", "seconds", "free"]),
    "/coordinator/versions/<int:version_id>/edit": (
        {"op": "move", "visit_id": "<vid>", "to_clinician": "C003"},
        ["op", "visit_id", "position", "to_clinician", "confirm"],
    ),
    "/coordinator/day/<date>/events": (
        {"kind": "late", "clinician_id": "NOBODY", "minutes": "20"}, ["kind", "minutes", "from"],
    ),
    "/coordinator/events/<int:event_id>/accept": ({"proposal": "99"}, ["proposal", "confirm"]),
    "/ops/capacity/": ({"sizes": "150"}, ["sizes", "seeds", "kind", "days", "scenario"]),
}  # fmt: skip


@pytest.mark.parametrize("route", list(PAGE_FIELDS))
def test_page_forms_with_odd_values_get_a_page_never_a_500(app, world, route):
    c, values = world
    base, fields = PAGE_FIELDS[route]
    url = _fill(route, values)
    wrong = []
    for field in fields:
        for value in ODD_TEXT:
            form = {k: values["vid"] if v == "<vid>" else v for k, v in base.items()}
            form[field] = value
            r = c.post(url, data={"csrf_token": csrf(c)} | form)
            if r.status_code >= 500 or (r.status_code >= 400 and r.mimetype != "text/html"):
                wrong.append(f"{field}={value[:20]!r}: {r.status_code} {r.mimetype}")
    assert not wrong, "\n".join(wrong)


def test_a_nurse_reporting_odd_values_gets_her_page_back(app, world, as_role):
    _, values = world
    nurse = as_role("nurse")
    route = f"/nurse/route/{DAY}/C002"
    for value in ODD_TEXT:
        for form in ({"status": value}, {"status": "not_completed", "reason": value},
                     {"status": "done", "note": value}):  # fmt: skip
            r = nurse.post(f"{route}/visits/{values['vid']}/status",
                           data={"csrf_token": csrf(nurse)} | form)  # fmt: skip
            assert r.status_code == (400 if "\x00" in value else 303), (form, r.status_code)
        r = nurse.post(f"{route}/late", data={"csrf_token": csrf(nurse), "minutes": value})
        assert r.status_code == (400 if "\x00" in value else 303), (value, r.status_code)
        if r.status_code == 400:  # a NUL character: PostgreSQL could not store it (was a 500)
            assert "NUL character" in text_of(r) and r.mimetype == "text/html"
    r = nurse.post(f"{route}/visits/{'x' * 300}/status", data={"csrf_token": csrf(nurse),
                                                               "status": "done"})  # fmt: skip
    assert r.status_code in (303, 404)


def test_an_upload_with_a_very_long_file_name_is_stored_under_a_shorter_one(world, db):
    """The names are kept in 255-character columns (PostgreSQL refused a longer one: a 500)."""
    from sqlalchemy import select

    from web.models import DayImport

    c, _ = world
    v, k = small_files()
    r = c.post("/coordinator/import", content_type="multipart/form-data",
               data={"csrf_token": csrf(c), "date": DAY,
                     "visits": (io.BytesIO(v), "v" * 1000 + ".csv"),
                     "clinicians": (io.BytesIO(k), "c" * 1000 + ".csv")})  # fmt: skip
    assert r.status_code == 302
    imp = db.scalars(select(DayImport).order_by(DayImport.id.desc())).first()
    assert imp is not None and len(imp.visits_name) <= 255 and imp.visits_name.endswith(".csv")

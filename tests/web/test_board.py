"""The coordinator's day board, the ops pages and the OpenAPI document."""

from __future__ import annotations

import json
import re

from scheduler.domain.formats.day import read_day
from scheduler.domain.formats.tabular import CsvSource
from tests.support.web import DAY, FAST_HASH, small_files, text_of
from web.services.live_board import with_names


def _map_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', html, re.S)
    assert m, "no map data on the page"
    return json.loads(m.group(1))


def test_board_draws_one_line_per_clinician_a_timeline_and_the_unassigned(as_role, published,
                                                                          small_rota):  # fmt: skip
    c = as_role("coord")
    r = c.get(f"/coordinator/day/{DAY}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    data = _map_data(html)
    assert {x["clinician_id"] for x in data["routes"]} == {
        route.clinician_id for route in small_rota.routes
    }
    for line in data["routes"]:
        route = small_rota.route_of(line["clinician_id"])
        assert len(line["points"]) == len(route.visit_ids) + 2  # base, visits, back to base
        assert line["colour"].startswith("hsl(")
    assert len({x["colour"] for x in data["routes"]}) == len(data["routes"])
    assert 'data-tile-url=""' in html  # no tile server in tests: lines from coordinates only
    assert html.count('class="tl-row"') == len(small_rota.routes)
    assert html.count('class="bar visit') == sum(len(r.visit_ids) for r in small_rota.routes)
    page = text_of(r)
    assert f"Unassigned visits ({len(small_rota.unassigned)})" in page
    visits_csv, clinicians_csv = small_files()
    _, shifts = read_day(CsvSource("v.csv", visits_csv), CsvSource("c.csv", clinicians_csv))
    names = {s.clinician_id: s.name for s in shifts}
    for u in small_rota.unassigned:
        # the reason, with every clinician it names spelled out: "Dev Hughes (C003)"
        assert u.visit_id in page and " ".join(with_names(u.reason, names).split()) in page
        ids = [c for c in names if c in u.reason]
        assert all(f"{names[c]} ({c})" in page for c in ids)
    assert "published 1" in page and "no violations" in page
    assert "<script>" not in html and " style=" not in html  # the CSP forbids both


def test_the_board_lists_clinicians_on_shift_with_no_visits(as_role, published, small_rota):
    """Idle shifts are capacity a coordinator can use: each is listed by name and shift, on
    the page, and in the board's data when one clinician's visits are taken off her."""
    from scheduler.domain.check import check
    from scheduler.domain.formats.day import read_day
    from scheduler.domain.model import Rota, Unassigned
    from scheduler.domain.problem import build_problem
    from tests.support.web import DATA
    from web.services.rotas import board

    visits, shifts = read_day(DATA / "visits.csv", DATA / "clinicians.csv")
    used = {r.clinician_id for r in small_rota.routes if r.visit_ids}
    idle = [s for s in shifts if s.clinician_id not in used]
    page = text_of(as_role("coord").get(f"/coordinator/day/{DAY}"))
    assert f"On shift with no visits ({len(idle)})" in page
    for s in idle:
        assert f"{s.name} ({s.clinician_id})" in page
    # Take the first route's visits off her: she is idle, listed with her shift.
    first = small_rota.routes[0]
    taken = {v for v in first.visit_ids}
    partners = {v for r in small_rota.routes[1:] for v in r.visit_ids} & taken
    rest = tuple(
        r for r in small_rota.routes[1:] if not partners or not set(r.visit_ids) & partners
    )
    left = {v for r in rest for v in r.visit_ids}
    out = tuple(Unassigned(v.visit_id, "taken off") for v in visits if v.visit_id not in left)
    lighter = Rota(rest, out)
    assert check(build_problem(visits, shifts), lighter).ok
    data = board(tuple(visits), tuple(shifts), lighter)
    ids = [c["clinician_id"] for c in data["idle"]]
    assert first.clinician_id in ids and not set(ids) & {r.clinician_id for r in rest}
    mine = next(c for c in data["idle"] if c["clinician_id"] == first.clinician_id)
    shift = next(s for s in shifts if s.clinician_id == first.clinician_id)
    assert mine["shift"] == shift.label() and mine["name"] == shift.name


def test_board_shows_a_chosen_version_and_404s_unknown_ones(as_role, published, draft):
    c = as_role("coord")
    assert c.get(f"/coordinator/day/{DAY}?version={published.id}").status_code == 200
    assert c.get(f"/coordinator/day/{DAY}?version=999").status_code == 404
    assert c.get("/coordinator/day/2030-01-01").status_code == 404
    assert c.get("/coordinator/day/not-a-date").status_code == 404


def test_days_list(as_role, published):
    page = text_of(as_role("coord").get("/coordinator/"))
    assert "Mon 23 Nov 2026" in page and "version 1" in page


def test_static_assets_exist(client):
    for path in ("app.css", "map.js", "board.js", "vendor/leaflet/leaflet.js",
                 "vendor/leaflet/leaflet.css"):  # fmt: skip
        r = client.get(f"/static/{path}")
        assert r.status_code == 200, path
        r.close()


def test_ops_capacity_and_audit(as_role, published):
    c = as_role("ops")
    page = text_of(c.get("/ops/"))
    assert "2026-11-23 12 69 12 1" in page
    audit = text_of(c.get("/ops/audit"))
    assert "publish" in audit and "import" in audit and "coord" in audit


def test_api_days_versions_and_route(as_role, published, small_rota):
    c = as_role("coord")
    days = c.get("/api/days").get_json()["days"]
    assert days == [{"date": DAY, "visits": 69, "patients": 12, "shifts": 12,
                     "published_number": 1}]  # fmt: skip
    day = c.get(f"/api/days/{DAY}").get_json()
    assert day["versions"][0]["status"] == "published" and day["versions"][0]["violations"] == 0
    version = c.get(f"/api/versions/{published.id}").get_json()
    assert version["kpis"]["visits_total"] == 69 and version["violation_list"] == []
    assert len(version["rota"]["routes"]) == len(small_rota.routes)
    route = c.get(f"/api/days/{DAY}/routes/C002").get_json()["route"]
    assert [s["visit_id"] for s in route["stops"] if s["kind"] == "visit"] == list(
        small_rota.route_of("C002").visit_ids
    )
    assert c.get(f"/api/days/{DAY}/routes/C999").status_code == 404
    assert c.get("/api/days/2030-01-01").status_code == 404
    assert c.get("/api/me").get_json() == {"username": "coord", "role": "coordinator",
                                           "clinician_id": None}  # fmt: skip


def test_openapi_document_matches_the_api_routes(app, client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, item in doc["paths"].items() for method in item}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routes
    for path, item in doc["paths"].items():
        for op in item.values():
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path)), path


def test_rota_json_round_trip(small_rota):
    from web.services.rotas import rota_from_json, rota_to_json

    again = rota_from_json(json.loads(json.dumps(rota_to_json(small_rota))))
    assert again.routes == small_rota.routes and again.unassigned == small_rota.unassigned


def test_a_versions_rota_is_read_once_and_never_confused_across_databases(db, published,
                                                                           tmp_path, users):  # fmt: skip
    """``version_rota`` caches per process; a second database's version with the same id
    (every test database starts at 1) must not get the first one's rota."""
    from datetime import date

    from web.db import Database, upgrade
    from web.services.days import Upload, import_day
    from web.services.rotas import rota_from_json, save_draft, version_rota
    from web.services.users import create_user

    first = version_rota(published)
    assert first == rota_from_json(published.rota)
    assert version_rota(published) is first  # read once
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    upgrade(url)
    other = Database(url)
    try:
        with other.session() as s:
            coord = create_user(s, "c", "correct horse battery", "coordinator",
                                hash_method=FAST_HASH)  # fmt: skip
            v, c = small_files()
            imp = import_day(s, date.fromisoformat(DAY), Upload("visits.csv", v),
                             Upload("clinicians.csv", c), coord)  # fmt: skip
            empty = type(first)(routes=(), unassigned=())
            version = save_draft(s, imp, empty, coord)
            s.commit()
            assert version.id == published.id  # the case the key must tell apart
            assert version_rota(version).routes == ()
    finally:
        other.dispose()
    assert version_rota(published) == first

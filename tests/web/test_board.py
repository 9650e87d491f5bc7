"""The coordinator's day board, the ops pages and the OpenAPI document."""

from __future__ import annotations

import json
import re

from tests.support.web import DAY, text_of


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
    for u in small_rota.unassigned:
        assert u.visit_id in page and u.reason in page
    assert "published 1" in page and "no violations" in page
    assert "<script>" not in html and " style=" not in html  # the CSP forbids both


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

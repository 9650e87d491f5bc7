"""The map's labels in a real browser (``static/map.js``): text from the day's CSV files is
shown as text, never parsed as HTML.

A user put ``<img src=x onerror=…>`` in a visit id and saw it reach the page's DOM through a
Leaflet tooltip (``bindTooltip`` parses a string as HTML); only the Content-Security-Policy
kept its script from running. Here a visit id, an address and a clinician's name of the small
day carry such markup; every tooltip of the nurse's map and of the coordinator's board is
opened, and each must show the markup literally and hold no element of it.

Leaflet keeps its map in map.js's closure, so an init script catches it as Leaflet creates
it (``window.__maps``): a test hook in the test, none in the app.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from tests.support.browser import sign_in
from tests.support.web import (
    DAY,
    live_server,
    needs_browser,
    nurse_visits,
    small_files,
)

pytestmark = needs_browser

IMG = "<img src=x onerror=window.__xss=1>"
BOLD = "<b id=injected>bold</b>"

#: Before any page script: when Leaflet sets window.L, wrap L.map to keep every map it makes.
CATCH_MAPS = """
Object.defineProperty(window, "L", {
  configurable: true,
  get: function () { return undefined; },
  set: function (leaflet) {
    var make = leaflet.map;
    window.__maps = [];
    leaflet.map = function () {
      var m = make.apply(this, arguments);
      window.__maps.push(m);
      return m;
    };
    Object.defineProperty(window, "L", { value: leaflet, writable: true, configurable: true });
  }
});
"""

#: Open every tooltip on the page's map; answer what they show and what elements they hold.
OPEN_TOOLTIPS = """
() => {
  var opened = 0;
  window.__maps[0].eachLayer(function (layer) {
    if (layer.getTooltip && layer.getTooltip()) {
      layer.openTooltip(layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter());
      opened += 1;
    }
  });
  var tips = Array.from(document.querySelectorAll(".leaflet-tooltip"));
  return {
    opened: opened,
    texts: tips.map(function (t) { return t.textContent; }),
    elements: tips.map(function (t) { return t.querySelectorAll("*:not(span)").length; }),
    imgs: document.querySelectorAll(".leaflet-tooltip img, img[src='x']").length,
    injected: document.querySelectorAll("#injected").length,
    xss: window.__xss === undefined ? null : window.__xss
  };
}
"""


def _hostile_day(small_rota):
    """The small day and its rota with markup in a visit id and its address (C002's first
    visit, so on the nurse's map too), in an unassigned visit's id if the rota has one, and in
    C002's name."""
    from web.services.rotas import rota_from_json, rota_to_json

    renames = {nurse_visits(small_rota, "C002")[0]: "V" + IMG}
    if small_rota.unassigned:
        renames[small_rota.unassigned[0].visit_id] = "U" + BOLD
    v, c = small_files()
    rows = list(csv.DictReader(io.StringIO(v.decode())))
    for row in rows:
        if row["visit_id"] in renames:
            row["address"] = f"{BOLD} {IMG} {row['address']}"
        row["visit_id"] = renames.get(row["visit_id"], row["visit_id"])
        row["after_visit"] = renames.get(row["after_visit"], row["after_visit"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    clinicians = c.decode().replace("C002,Chloe Hughes,", f"C002,Chloe {BOLD}{IMG},")
    text = json.dumps(rota_to_json(small_rota))
    for old, new in renames.items():
        text = text.replace(json.dumps(old), json.dumps(new))
    return out.getvalue().encode(), clinicians.encode(), rota_from_json(json.loads(text)), renames


@pytest.fixture
def hostile_server(app, db, users, small_rota):
    from web.services.days import Upload, import_day
    from web.services.rotas import publish, save_draft

    visits, clinicians, rota, renames = _hostile_day(small_rota)
    imp = import_day(db, date.fromisoformat(DAY), Upload("visits.csv", visits),
                     Upload("clinicians.csv", clinicians), users["coord"])  # fmt: skip
    publish(db, save_draft(db, imp, rota, users["coord"]), users["coord"])
    db.commit()
    with live_server(app) as url:
        yield url, renames



def _open(browser, base: str, username: str, path: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(CATCH_MAPS)
    page = context.new_page()
    sign_in(page, base, username)
    page.goto(f"{base}{path}")
    page.wait_for_selector("#map[data-drawn]")
    return context, page


def _assert_labels_are_text(seen: dict, expected: list[str]) -> None:
    assert seen["opened"] > 0 and len(seen["texts"]) == seen["opened"]
    assert seen["imgs"] == 0 and seen["injected"] == 0 and seen["xss"] is None, seen
    assert all(n == 0 for n in seen["elements"]), seen["elements"]
    for text in expected:
        assert any(text in t for t in seen["texts"]), (text, seen["texts"])


def test_the_nurses_map_shows_markup_in_her_visit_and_name_as_text(hostile_server, browser):
    base, _ = hostile_server
    context, page = _open(browser, base, "nurse", f"/nurse/route/{DAY}/C002")
    seen = page.evaluate(OPEN_TOOLTIPS)
    _assert_labels_are_text(seen, ["1. V" + IMG, f"{BOLD} {IMG}", f"Chloe {BOLD}{IMG}"])
    context.close()


def test_the_boards_map_shows_markup_in_ids_addresses_and_names_as_text(hostile_server, browser):
    base, renames = hostile_server
    context, page = _open(browser, base, "coord", f"/coordinator/day/{DAY}")
    seen = page.evaluate(OPEN_TOOLTIPS)
    expected = ["V" + IMG, f"{BOLD} {IMG}", f"Chloe {BOLD}{IMG} (C002)"]
    if len(renames) > 1:
        expected.append("unassigned: U" + BOLD)
    _assert_labels_are_text(seen, expected)
    assert page.locator("#injected").count() == 0  # nor anywhere else on the board
    context.close()

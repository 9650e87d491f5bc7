"""The board's heavy sections are rendered once per state of the day and kept
(``web.board_sections``): never stale after a nurse's report, the clock moving on, a new
version or other map tiles, and the same fragment when nothing changed."""

from __future__ import annotations

import re

import pytest

from tests.support.web import DAY, csrf, nurse_visits
from web import board_sections

BOARD = f"/coordinator/day/{DAY}"


@pytest.fixture
def renders(monkeypatch):
    """How many times the fragment was rendered (each miss renders it once)."""
    seen = {"n": 0}
    real = board_sections.render_template

    def counting(*args, **kwargs):
        seen["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(board_sections, "render_template", counting)
    return seen


def _state_of(html: str, vid: str) -> str:
    row = re.search(rf'<tr class="visit" data-visit="{vid}"[^>]*>.*?</tr>', html, re.S)
    assert row is not None, vid
    state = re.search(r'class="state state-([a-z_]+)"', row.group(0))
    assert state is not None, row.group(0)
    return state.group(1)


def test_an_unchanged_board_is_rendered_once_and_is_the_same(app, as_role, published, renders):
    app.config["HAH_NOW"] = f"{DAY}T07:00"
    c = as_role("coord")
    first = c.get(BOARD).get_data(as_text=True)
    second = c.get(BOARD).get_data(as_text=True)
    assert renders["n"] == 1
    cut = first.index('<section class="card">\n  <h2>Map</h2>')
    assert second[cut:] == first[cut:]


def test_a_nurses_report_and_the_clock_show_at_once(app, as_role, published, small_rota,
                                                    renders):  # fmt: skip
    app.config["HAH_NOW"] = f"{DAY}T07:00"
    coord = as_role("coord")
    vid = nurse_visits(small_rota, "C002")[0]
    assert _state_of(coord.get(BOARD).get_data(as_text=True), vid) == "planned"
    nurse = as_role("nurse")
    r = nurse.post(f"/nurse/route/{DAY}/C002/visits/{vid}/status",
                   data={"csrf_token": csrf(nurse), "status": "done"})  # fmt: skip
    assert r.status_code == 303
    html = coord.get(BOARD).get_data(as_text=True)
    assert _state_of(html, vid) == "done" and "Done" in html
    assert renders["n"] == 2
    app.config["HAH_NOW"] = f"{DAY}T23:30"  # everything else is now past its time
    late = coord.get(BOARD).get_data(as_text=True)
    assert renders["n"] == 3
    assert _state_of(late, vid) == "done"
    other = next(v for v in nurse_visits(small_rota, "C003"))
    assert _state_of(late, other) != "planned"


def test_other_tiles_are_another_fragment(app, as_role, published, renders):
    c = as_role("coord")
    c.get(BOARD)
    app.config["HAH_TILE_URL"] = "https://tiles.example/{z}/{x}/{y}.png"
    assert 'data-tile-url="https://tiles.example/{z}/{x}/{y}.png"' in c.get(BOARD).get_data(
        as_text=True
    )
    assert renders["n"] == 2

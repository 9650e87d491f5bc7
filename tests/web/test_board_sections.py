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


def _on_redis(app, prefix: str) -> None:
    from tests.support.queue import REDIS_URL
    from web.services.runners import QueueSettings

    app.config["HAH_JOB_RUNNER"] = "queue"  # as served: the fragment store is the queue's Redis
    app.extensions["hah_queue"] = QueueSettings(REDIS_URL, prefix)


def test_web_workers_share_a_rendered_fragment_through_redis(app, as_role, published, renders):
    """Two workers (here: the cache of one process emptied between them) render a state once:
    the second reads the first's fragment from Redis."""
    import uuid

    from tests.support.queue import redis_or_skip

    redis = redis_or_skip()
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    _on_redis(app, prefix)
    try:
        c = as_role("coord")
        first = c.get(BOARD).get_data(as_text=True)
        board_sections._SECTIONS.clear()  # another worker: nothing in its own cache
        second = c.get(BOARD).get_data(as_text=True)
        assert renders["n"] == 1
        cut = first.index('<section class="card">\n  <h2>Map</h2>')
        assert second[cut:] == first[cut:]
        assert len(list(redis.scan_iter(f"{prefix}:board:*"))) == 1
    finally:
        for key in redis.scan_iter(f"{prefix}:*"):
            redis.delete(key)


def test_the_board_is_drawn_when_redis_is_unreachable(app, as_role, published, renders):
    from tests.support.queue import free_port
    from web.services.runners import QueueSettings

    app.config["HAH_JOB_RUNNER"] = "queue"
    app.extensions["hah_queue"] = QueueSettings(f"redis://127.0.0.1:{free_port()}/0", "down")
    board_sections._SECTIONS.clear()
    r = as_role("coord").get(BOARD)
    assert r.status_code == 200 and '<h2>Timeline</h2>' in r.get_data(as_text=True)
    assert renders["n"] == 1

"""Pages go out gzipped when the browser accepts it, and the CSRF token they carry is masked
afresh in every response (so compression cannot leak it), yet every masked copy works."""

from __future__ import annotations

import gzip
import re

from tests.support.web import DAY


def _token(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert m is not None, "no csrf-token meta tag"
    return m.group(1)


def test_the_board_is_gzipped_for_browsers_that_accept_it(as_role, published):
    c = as_role("coord")
    plain = c.get(f"/coordinator/day/{DAY}")
    packed = c.get(f"/coordinator/day/{DAY}", headers={"Accept-Encoding": "gzip, deflate"})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = gzip.decompress(packed.get_data()).decode()
    assert len(packed.get_data()) < len(body) / 3
    assert "Routes" in body and body.count("<tr") == plain.get_data(as_text=True).count("<tr")


def test_static_files_and_small_answers_are_left_alone(as_role, published):
    c = as_role("coord")
    r = c.get("/static/app.css", headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("Content-Encoding") is None
    r = c.get("/api/me", headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("Content-Encoding") is None and r.get_json()["role"] == "coordinator"


def test_the_csrf_token_differs_in_every_response_and_each_copy_works(as_role, published):
    c = as_role("coord")
    first = _token(c.get("/coordinator/").get_data(as_text=True))
    second = _token(c.get("/coordinator/").get_data(as_text=True))
    assert first != second
    for token in (first, second):
        r = c.post(f"/api/versions/{published.id}/edits", json={"op": "lock", "visit_id": "x"},
                   headers={"X-CSRF-Token": token})  # fmt: skip
        assert r.status_code == 422  # past the CSRF check, refused for the unknown visit
    forged = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    r = c.post(f"/api/versions/{published.id}/edits", json={"op": "lock", "visit_id": "x"},
               headers={"X-CSRF-Token": forged})  # fmt: skip
    assert r.status_code == 400

"""Every state-changing request needs the session's CSRF token: forms and the JSON API."""

from __future__ import annotations

import pytest

from tests.support.web import DAY, PASSWORD, csrf, nurse_visits


def test_sign_in_without_the_token_is_refused(client, users):
    client.get("/auth/login")
    r = client.post("/auth/login", data={"username": "coord", "password": PASSWORD})
    assert r.status_code == 400 and b"CSRF" in r.data
    r = client.post(
        "/auth/login", data={"username": "coord", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert r.status_code == 400


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_forms_without_a_valid_token_change_nothing(as_role, db, published, small_rota, token):
    from sqlalchemy import func, select

    from web.models import DayImport, SolveJob, VisitStatus

    coord, nurse = as_role("coord"), as_role("nurse")
    form = {} if token is None else {"csrf_token": token}
    vid = nurse_visits(small_rota, "C002")[0]
    attempts = [
        (coord, f"/coordinator/day/{DAY}/generate", form | {"seconds": "2"}),
        (coord, "/coordinator/import", form | {"date": DAY}),
        (coord, f"/coordinator/versions/{published.id}/publish", form),
        (nurse, f"/nurse/route/{DAY}/C002/visits/{vid}/status", form | {"status": "done"}),
        (nurse, "/auth/logout", form),
    ]
    for c, url, data in attempts:
        r = c.post(url, data=data)
        assert r.status_code == 400, url
        assert b"CSRF token missing or invalid" in r.data
    assert db.scalar(select(func.count(SolveJob.id))) == 0
    assert db.scalar(select(func.count(VisitStatus.id))) == 0
    assert db.scalar(select(func.count(DayImport.id))) == 1
    assert nurse.get(f"/nurse/route/{DAY}/C002").status_code == 200  # still signed in


def test_api_posts_need_the_header(as_role, db, day_import):
    from sqlalchemy import func, select

    from web.models import SolveJob

    c = as_role("coord")
    r = c.post(f"/api/days/{DAY}/jobs", json={"time_limit_s": 2})
    assert r.status_code == 400 and r.get_json()["error"] == "CSRF token missing or invalid"
    r = c.post(f"/api/days/{DAY}/jobs", json={"time_limit_s": 2},
               headers={"X-CSRF-Token": "forged"})  # fmt: skip
    assert r.status_code == 400
    assert db.scalar(select(func.count(SolveJob.id))) == 0


def test_another_sessions_token_does_not_work(app, as_role, published, small_rota):
    a, b = as_role("nurse"), as_role("nurse")
    vid = nurse_visits(small_rota, "C002")[0]
    r = a.post(f"/nurse/route/{DAY}/C002/visits/{vid}/status",
               data={"csrf_token": csrf(b), "status": "done"})  # fmt: skip
    assert r.status_code == 400


def test_every_page_form_carries_the_token(as_role, published):
    """Each POST form rendered on the pages has a csrf_token field."""
    import re

    from web.security import _unmask

    pages = [
        (as_role("coord"), ["/coordinator/", f"/coordinator/day/{DAY}"]),
        (as_role("nurse"), [f"/nurse/route/{DAY}/C002"]),
        (as_role("ops"), ["/ops/", "/ops/audit"]),
    ]
    seen = 0
    for c, urls in pages:
        for url in urls:
            html = c.get(url).get_data(as_text=True)
            for form in re.findall(r'<form method="post".*?</form>', html, flags=re.S):
                token = re.search(r'name="csrf_token" value="([^"]+)"', form)
                assert token, form[:200]
                assert _unmask(token.group(1)) == csrf(c)  # the session's token, masked
                seen += 1
    assert seen >= 8

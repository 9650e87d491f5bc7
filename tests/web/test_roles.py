"""Every route tried as every role: anonymous visitors are sent to sign in, a wrong role gets
403, a nurse asking for another nurse's route gets 404, and nobody hits a 500.

``ROUTES`` must list every rule of the app (a test below compares it with the URL map), so a
new route cannot be added without saying who may use it.
"""

from __future__ import annotations

import pytest

from tests.support.web import DAY, csrf, login, nurse_visits

C, N, OPS = "coordinator", "nurse", "ops"
PUBLIC = "public"
ADMIN: set[str] = set()  # no role but admin (who may use every route)
# (method, URL rule, allowed roles or PUBLIC); admin may use every non-public route.
ROUTES = [
    ("GET", "/", PUBLIC),
    ("GET", "/auth/login", PUBLIC),
    ("POST", "/auth/login", PUBLIC),
    ("GET", "/auth/oidc/login", PUBLIC),  # single sign-on: 404 while it is not configured
    ("GET", "/auth/oidc/callback", PUBLIC),
    ("GET", "/coordinator/", {C}),
    ("POST", "/coordinator/import", {C}),
    ("GET", "/coordinator/day/<date>", {C}),
    ("POST", "/coordinator/day/<date>/generate", {C}),
    ("POST", "/coordinator/jobs/<int:job_id>/stop", {C}),
    ("POST", "/coordinator/versions/<int:version_id>/publish", {C}),
    ("POST", "/coordinator/versions/<int:version_id>/rebase", {C}),
    ("POST", "/coordinator/versions/<int:version_id>/edit", {C}),
    ("POST", "/coordinator/versions/<int:version_id>/reoptimise", {C}),
    ("GET", "/coordinator/day/<date>/history", {C}),
    ("GET", "/coordinator/day/<date>/diff", {C}),
    ("GET", "/coordinator/audit", {C}),
    ("GET", "/api/versions/<int:version_id>/diff", {C, OPS}),
    ("GET", "/nurse/", {N}),
    ("GET", "/nurse/route/<date>/<cid>", {N, C, OPS}),
    ("POST", "/nurse/route/<date>/<cid>/visits/<vid>/status", {N}),
    ("GET", "/nurse/calendar", {N}),
    ("POST", "/nurse/calendar", {N}),
    ("POST", "/nurse/calendar/revoke", {N}),
    ("GET", "/calendar/<token>.ics", PUBLIC),  # the token is the credential
    ("GET", "/api/days/<date>/routes/<cid>/version", {C, N, OPS}),
    ("GET", "/ops/", {OPS}),
    ("GET", "/ops/audit", {OPS}),
    ("GET", "/ops/day/<date>", {OPS}),
    ("GET", "/api/figures", {OPS}),
    ("GET", "/ops/capacity/", {OPS}),
    ("POST", "/ops/capacity/", {OPS}),  # no sizes sent: 422, nothing started
    ("GET", "/ops/capacity/<int:run_id>", {OPS}),
    ("POST", "/ops/capacity/<int:run_id>/stop", {OPS}),
    ("GET", "/ops/capacity/<int:run_id>/chart/capacity.svg", {OPS}),
    ("GET", "/ops/capacity/<int:run_id>/chart/utilisation.svg", {OPS}),
    ("GET", "/ops/capacity/<int:run_id>/chart/month.svg", {OPS}),
    ("POST", "/api/capacity", {OPS}),  # no sizes sent: 422, nothing started
    ("GET", "/api/capacity/<int:run_id>", {OPS}),
    ("POST", "/api/capacity/<int:run_id>/stop", {OPS}),
    ("GET", "/api/openapi.json", PUBLIC),
    ("GET", "/healthz", PUBLIC),
    ("GET", "/readyz", PUBLIC),
    ("GET", "/metrics", PUBLIC),  # loopback or a token only (tests/web/test_serving.py)
    ("GET", "/api/me", {C, N, OPS}),
    ("GET", "/auth/password", {C, N, OPS}),
    ("POST", "/auth/password", {C, N, OPS}),  # no passwords sent: 422, nothing changed
    ("GET", "/admin/accounts/", ADMIN),
    ("POST", "/admin/accounts/<username>/disable", ADMIN),  # no such account: nothing done
    ("POST", "/admin/accounts/<username>/enable", ADMIN),
    ("POST", "/admin/accounts/<username>/reset", ADMIN),
    ("POST", "/admin/accounts/<username>/sign-out", ADMIN),
    ("GET", "/api/users", ADMIN),
    ("POST", "/api/users/<username>/disable", ADMIN),
    ("POST", "/api/users/<username>/enable", ADMIN),
    ("POST", "/api/users/<username>/reset", ADMIN),
    ("POST", "/api/users/<username>/sign-out", ADMIN),
    ("GET", "/api/days", {C, OPS}),
    ("GET", "/api/days/<date>", {C, OPS}),
    ("POST", "/api/days/<date>/jobs", {C}),
    ("GET", "/api/jobs/<int:job_id>", {C}),
    ("POST", "/api/jobs/<int:job_id>/stop", {C}),
    ("GET", "/api/versions/<int:version_id>", {C, OPS}),
    ("POST", "/api/versions/<int:version_id>/publish", {C}),
    ("POST", "/api/versions/<int:version_id>/rebase", {C}),
    ("POST", "/api/versions/<int:version_id>/edits", {C}),
    ("POST", "/api/versions/<int:version_id>/reoptimise", {C}),
    ("GET", "/api/days/<date>/routes/<cid>", {C, N, OPS}),
    ("GET", "/api/days/<date>/statuses", {C, OPS}),
    ("POST", "/coordinator/day/<date>/events", {C}),  # no kind sent: 422, nothing stored
    ("POST", "/coordinator/events/<int:event_id>/accept", {C}),
    ("GET", "/coordinator/day/<date>/who", {C}),  # no visit named: 404
    ("POST", "/api/days/<date>/events", {C}),  # no kind sent: 422
    ("GET", "/api/events/<int:event_id>", {C}),
    ("POST", "/api/events/<int:event_id>/accept", {C}),
    ("GET", "/api/days/<date>/live", {C, OPS}),
    ("GET", "/api/versions/<int:version_id>/who-could-take/<vid>", {C}),
    ("POST", "/nurse/route/<date>/<cid>/late", {N}),
    ("GET", "/coordinator/caseload/", {C}),
    ("GET", "/coordinator/caseload/admit", {C}),
    ("POST", "/coordinator/caseload/admit", {C}),  # nothing sent: 422, nobody admitted
    ("GET", "/coordinator/caseload/patients/<pid>", {C}),  # no such patient: 404
    ("POST", "/coordinator/caseload/patients/<pid>/plan", {C}),
    ("POST", "/coordinator/caseload/patients/<pid>/plan/<int:item_id>/change", {C}),
    ("POST", "/coordinator/caseload/patients/<pid>/plan/<int:item_id>/stop", {C}),
    ("POST", "/coordinator/caseload/patients/<pid>/discharge", {C}),
    ("POST", "/coordinator/caseload/patients/<pid>/details", {C}),
    ("POST", "/coordinator/caseload/import", {C}),  # no files: 400
    ("POST", "/coordinator/caseload/plan-day", {C}),  # no staff file: 400
    ("GET", "/api/patients", {C}),
    ("POST", "/api/patients", {C}),  # nothing sent: 422
    ("GET", "/api/patients/<pid>", {C}),
    ("PATCH", "/api/patients/<pid>", {C}),
    ("POST", "/api/patients/<pid>/careplan", {C}),
    ("POST", "/api/patients/<pid>/discharge", {C}),
    ("POST", "/api/days/<date>/plan-from-caseload", {C}),  # no staff sent: 422
    ("POST", "/coordinator/caseload/import-fhir", {C}),  # no bundle: 400
    ("POST", "/api/caseload/import-fhir", {C}),  # an empty object: 422, nobody admitted
    ("GET", "/api/days/<date>/appointments.fhir.json", {C}),
    ("GET", "/coordinator/caseload/roster", {C}),
    ("POST", "/coordinator/caseload/roster/import", {C}),  # no file: 400
    ("POST", "/coordinator/caseload/roster/add", {C}),  # an empty duty: 422
    ("POST", "/coordinator/caseload/roster/remove", {C}),  # nobody to remove: 404
    ("POST", "/api/roster", {C}),  # nothing sent: 422
    ("GET", "/api/days/<date>/roster", {C}),
    ("POST", "/api/days/<date>/roster", {C}),  # an empty duty: 422
    ("POST", "/api/days/<date>/roster/remove", {C}),  # nobody to remove: 404
    ("POST", "/auth/logout", {C, N, OPS}),  # last: it ends the session
]
ROLES = {"anonymous": None, "coord": C, "nurse": N, "nurse2": N, "ops": OPS, "admin": "admin"}


def test_routes_cover_every_rule_of_the_app(app):
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == {(m, r) for m, r, _ in ROUTES}


@pytest.fixture
def world(db, published, small_rota):
    """A published day, a (fake) running job so that POSTs by allowed roles are harmless
    refusals rather than real solves, and the URL values to fill the rules with."""
    from web.models import SolveJob

    job = SolveJob(day_id=published.day_id, import_id=published.import_id, state="running",
                   time_limit_s=30)  # fmt: skip
    db.add(job)
    db.commit()
    return {
        "date": DAY,
        "job_id": job.id,
        "version_id": published.id,
        "cid": "C002",  # the route of the user "nurse"; "nurse2" is C003
        "vid": nurse_visits(small_rota, "C002")[0],
        "token": "no-such-calendar-token",  # a calendar feed link that does not exist
        "run_id": 999_999,  # no such capacity run: 404 for those allowed
        "event_id": 999_999,  # no such event: 404 for those allowed
        "username": "no-such-account",  # the account actions: 404 for an admin
        "pid": "no-such-patient",  # the caseload's patient pages: 404 for those allowed
        "item_id": 999_999,
    }


def _url(rule: str, values: dict) -> str:
    url = rule
    for key, value in values.items():
        url = url.replace(f"<int:{key}>", str(value)).replace(f"<{key}>", str(value))
    assert "<" not in url, url
    return url


def _expected(username: str, rule: str, allowed) -> str:
    role = ROLES[username]
    if allowed == PUBLIC:
        return "public"
    if role is None:
        return "sign in"
    if role == "admin" or role in allowed:
        if username == "nurse2" and "<cid>" in rule:
            return "not found"  # C002 is another nurse's route
        return "ok"
    return "forbidden"


@pytest.mark.parametrize("username", list(ROLES))
def test_every_route_as_every_role(app, users, world, username):
    c = app.test_client()
    if ROLES[username] is not None:
        assert login(c, username).status_code == 302
    wrong = []
    for method, rule, allowed in ROUTES:
        url = _url(rule, world)
        headers = {"X-CSRF-Token": csrf(c)}
        data = {"csrf_token": csrf(c), "status": "done"}
        if method == "GET":
            r = c.get(url)
        elif url.startswith("/api/"):
            r = c.open(url, method=method, json={}, headers=headers)
        else:
            r = c.open(url, method=method, data=data)
        expected = _expected(username, rule, allowed)
        got = r.status_code
        if expected == "public":
            ok = got < 500 and got != 403  # a failed sign-in's 401 is a fine answer
        elif expected == "ok":
            ok = got < 500 and got not in (401, 403) and not (
                got == 302 and "/auth/login" in r.headers["Location"] and rule != "/"
                and rule != "/auth/login" and rule != "/auth/logout"
                and not (username == "admin" and rule == "/nurse/")
            )  # fmt: skip
        elif expected == "sign in":
            ok = got == 401 if url.startswith("/api/") else (
                got == 302 and "/auth/login" in r.headers["Location"]
            )  # fmt: skip
        elif expected == "forbidden":
            ok = got == 403
        else:
            ok = got == 404
        if not ok:
            wrong.append(f"{method} {url}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_a_nurse_without_any_route_sees_nothing_of_others(as_role, world):
    c = as_role("nurse2")
    for url in (f"/nurse/route/{DAY}/C002", f"/api/days/{DAY}/routes/C002"):
        assert c.get(url).status_code == 404
    assert c.get("/coordinator/").status_code == 403
    assert c.get(f"/api/versions/{world['version_id']}").status_code == 403

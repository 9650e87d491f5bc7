"""Reading patient data is audited (``web.reads``): who opened which route, board, rota or
event; every GET view is either audited or named here as holding no patient data."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.support.web import DAY, csrf
from web.models import AuditLog
from web.reads import READS_ATTR

#: GET views that answer without patient data (names, addresses, visits, statuses): lists
#: of days and versions, job progress, figures, capacity runs of synthetic scenarios, the
#: audit log, the sign-in page, probes, the version number a phone polls, and the roster.
NO_PATIENT_DATA = {
    "index", "auth.login", "auth.change_password", "oidc.login", "oidc.callback",
    "accounts.index", "users_api.api_list", "api.openapi", "api.me", "api.days", "api.day", "api.job",
    "api.figures", "api.capacity_run", "api.route_version", "coordinator.index",
    "history.audit", "nurse.index", "nurse.calendar", "ops.index", "ops.audit_log",
    "ops.day", "capacity.index", "capacity.run", "capacity.chart", "health.healthz",
    "health.readyz", "health.metrics", "caseload.admit_form",
    "roster.page", "roster_api.day_roster",  # staff on shift: no patient's data
}  # fmt: skip
#: Views that find their reader themselves and audit the read in their body.
AUDITED_IN_BODY = {"nurse.calendar_feed"}


def _reads(db) -> list[AuditLog]:
    db.expire_all()
    return list(db.scalars(select(AuditLog).where(AuditLog.action == "read")
                           .order_by(AuditLog.id)))  # fmt: skip


def test_every_get_view_is_audited_or_holds_no_patient_data(app):
    unclassified = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        marked = getattr(view, READS_ATTR, False)
        if marked and rule.endpoint in NO_PATIENT_DATA:
            unclassified.append(f"{rule.endpoint}: both audited and listed as holding none")
        elif not marked and rule.endpoint not in NO_PATIENT_DATA | AUDITED_IN_BODY:
            unclassified.append(rule.endpoint)
    assert not unclassified, f"GET views neither audited nor classified: {unclassified}"


def test_the_nurse_opening_her_route_is_recorded_with_who_and_which(as_role, published, db,
                                                                    users):  # fmt: skip
    c = as_role("nurse")
    before = len(_reads(db))
    assert c.get(f"/nurse/route/{DAY}/C002").status_code == 200
    reads = _reads(db)[before:]
    assert [(r.username, r.detail) for r in reads] == [
        ("nurse", f"nurse.route cid=C002 date={DAY}")
    ]
    assert reads[0].user_id == users["nurse"].id


def test_a_coordinator_reading_board_rota_and_route_is_recorded(as_role, published, db):
    c = as_role("coord")
    before = len(_reads(db))
    for url in (f"/coordinator/day/{DAY}", f"/api/versions/{published.id}",
                f"/api/days/{DAY}/routes/C003", f"/api/days/{DAY}/statuses"):  # fmt: skip
        assert c.get(url).status_code == 200, url
    details = [(r.username, r.detail) for r in _reads(db)[before:]]
    assert details == [
        ("coord", f"coordinator.day date={DAY}"),
        ("coord", f"api.version version_id={published.id}"),
        ("coord", f"api.route cid=C003 date={DAY}"),
        ("coord", f"api.statuses date={DAY}"),
    ]


def test_a_refused_read_is_not_a_read(as_role, published, db):
    c = as_role("nurse")
    before = len(_reads(db))
    assert c.get(f"/nurse/route/{DAY}/C003").status_code in (403, 404)  # another's route
    assert c.get(f"/api/versions/{published.id}").status_code == 403
    assert as_role("ops").get("/api/versions/999999").status_code == 404
    assert _reads(db)[before:] == []


def test_polling_for_route_changes_is_not_audited_but_the_calendar_feed_is(as_role, published,
                                                                           db):  # fmt: skip
    c = as_role("nurse")
    before = len(_reads(db))
    for _ in range(3):
        assert c.get(f"/api/days/{DAY}/routes/C002/version").status_code == 200
    assert _reads(db)[before:] == []
    page = c.post("/nurse/calendar", data={"csrf_token": csrf(c)}).get_data(as_text=True)
    token = re.search(r"/calendar/([A-Za-z0-9_-]+)\.ics", page)
    assert token is not None
    anonymous = c.application.test_client()
    assert anonymous.get(f"/calendar/{token.group(1)}.ics").status_code == 200
    assert [(r.username, r.detail) for r in _reads(db)[before:]] == [
        ("nurse", "nurse.calendar_feed cid=C002")
    ]


def test_the_audit_page_shows_who_opened_which_route(as_role, published):
    as_role("nurse").get(f"/nurse/route/{DAY}/C002")
    html = as_role("ops").get("/ops/audit").get_data(as_text=True)
    assert f"nurse.route cid=C002 date={DAY}" in html

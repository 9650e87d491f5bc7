"""The nurse's private calendar link: made, shown once, stored only as a hash, rotated and
revoked (audited); the public feed is RFC 5545 iCalendar of her own published visits only,
and every bad token gets the same 404."""

from __future__ import annotations

import csv
import hashlib
import re

from scheduler.domain.localtime import local
from tests.support.web import DATA, csrf, import_day_moved, nurse_visits, publish_moved, text_of
from web.services.calendar import escape_text, fold

LINK = re.compile(r"https?://[^/\"<\s]+/calendar/([A-Za-z0-9_-]+)\.ics")


def _make_link(c) -> str:
    r = c.post("/nurse/calendar", data={"csrf_token": csrf(c)})
    assert r.status_code == 200
    found = LINK.findall(r.get_data(as_text=True))
    assert found, "the new link is shown"
    assert len(set(found)) == 1
    return found[0]


def _feed(client, token: str):
    return client.get(f"/calendar/{token}.ics")


# --- a tiny RFC 5545 reader, enough to check the feed -----------------------------------------


def unfold(body: bytes) -> list[str]:
    text = body.decode("utf-8")
    assert "\n" not in text.replace("\r\n", ""), "every line ends with CRLF"
    assert text.endswith("\r\n")
    raw = text.split("\r\n")[:-1]
    for line in raw:
        assert len(line.encode("utf-8")) <= 75, line
    lines: list[str] = []
    for line in raw:
        if line.startswith((" ", "\t")):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse(body: bytes) -> tuple[dict, list[dict]]:
    """(calendar properties, events); each property name → (parameters, raw value)."""
    cal: dict = {}
    events: list[dict] = []
    stack: list[str] = []
    current: dict | None = None
    for line in unfold(body):
        name_params, _, value = line.partition(":")
        name, *params = name_params.split(";")
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                current = {}
            continue
        if name == "END":
            assert stack.pop() == value, f"END:{value} closes something else"
            if value == "VEVENT":
                assert current is not None, "END:VEVENT without BEGIN:VEVENT"
                events.append(current)
                current = None
            continue
        target = current if current is not None else (cal if stack == ["VCALENDAR"] else None)
        if target is not None:
            assert name not in target, f"{name} twice"
            target[name] = (dict(p.split("=", 1) for p in params), value)
    assert stack == []
    return cal, events


def _visits() -> dict[str, dict]:
    with open(DATA / "visits.csv", newline="") as f:
        return {row["visit_id"]: row for row in csv.DictReader(f)}


# --- unit: escaping and folding ---------------------------------------------------------------


def test_text_is_escaped_as_rfc_5545_says():
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert escape_text("bell\x07") == "bell"
    assert unescape(escape_text("47 Beech Way, Stevenage; SG1\\2\nx")) == (
        "47 Beech Way, Stevenage; SG1\\2\nx"
    )


def test_long_lines_fold_at_75_octets_without_splitting_characters():
    line = "DESCRIPTION:" + "Müller’s flat, 3rd floor – ring twice · " * 6
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 2
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join([pieces[0]] + [p[1:] for p in pieces[1:]]) == line
    assert fold("SUMMARY:short") == "SUMMARY:short"
    exactly = "X" * 75
    assert fold(exactly) == exactly and fold(exactly + "Y") == exactly + "\r\n Y"


# --- the link -----------------------------------------------------------------------------------


def test_a_nurse_makes_her_link_and_it_is_shown_once_stored_as_a_hash(as_role, users, db):
    from sqlalchemy import select

    from web.models import AuditLog, CalendarToken

    c = as_role("nurse")
    page = c.get("/nurse/calendar")
    assert page.status_code == 200 and "You have no calendar link" in text_of(page)
    token = _make_link(c)
    assert len(token) >= 40
    [row] = db.scalars(select(CalendarToken)).all()
    assert row.user_id == users["nurse"].id and row.revoked_at is None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    again = c.get("/nurse/calendar").get_data(as_text=True)
    assert token not in again and "You have a calendar link" in again
    assert db.scalar(select(AuditLog).where(AuditLog.action == "calendar_link_created"))


def test_making_a_link_needs_the_csrf_token(as_role, db):
    from sqlalchemy import func, select

    from web.models import CalendarToken

    c = as_role("nurse")
    assert c.post("/nurse/calendar", data={}).status_code == 400
    assert c.post("/nurse/calendar/revoke", data={}).status_code == 400
    assert db.scalar(select(func.count(CalendarToken.id))) == 0


def test_a_new_link_replaces_the_old_one(as_role, client, published):
    c = as_role("nurse")
    old = _make_link(c)
    assert _feed(client, old).status_code == 200
    new = _make_link(c)
    assert new != old
    assert _feed(client, old).status_code == 404
    assert _feed(client, new).status_code == 200


def test_revoking_stops_the_link_and_is_audited(as_role, client, published, db):
    from sqlalchemy import select

    from web.models import AuditLog, CalendarToken

    c = as_role("nurse")
    token = _make_link(c)
    r = c.post("/nurse/calendar/revoke", data={"csrf_token": csrf(c)})
    assert r.status_code == 303 and r.headers["Location"] == "/nurse/calendar"
    assert "no longer works" in text_of(c.get("/nurse/calendar"))
    gone = _feed(client, token)
    unknown = _feed(client, "x" * 43)
    assert gone.status_code == unknown.status_code == 404
    assert gone.get_data() == unknown.get_data()
    assert gone.headers["Content-Type"] == unknown.headers["Content-Type"]
    db.expire_all()
    assert db.scalar(select(CalendarToken)).revoked_at is not None
    entry = db.scalar(select(AuditLog).where(AuditLog.action == "calendar_link_revoked"))
    assert entry is not None and entry.username == "nurse"


def test_bad_tokens_all_look_the_same(as_role, client, published, db, users):
    c = as_role("nurse")
    token = _make_link(c)
    assert _feed(client, token).status_code == 200
    users["nurse"].active = False  # a disabled account's link stops working too
    db.merge(users["nurse"])
    db.commit()
    answers = {
        (r.status_code, r.get_data())
        for r in (
            _feed(client, token),
            _feed(client, "A" * 43),
            _feed(client, "short"),
            _feed(client, token[:-1] + ("A" if token[-1] != "A" else "B")),
            client.get("/calendar/%20.ics"),
        )
    }
    assert len(answers) == 1 and next(iter(answers))[0] == 404


def test_only_nurses_with_a_route_have_a_calendar(as_role, users, db):
    from sqlalchemy import func, select

    from web.models import CalendarToken

    admin = as_role("admin")
    assert "Only a nurse account" in text_of(admin.get("/nurse/calendar"))
    r = admin.post("/nurse/calendar", data={"csrf_token": csrf(admin)})
    assert r.status_code == 303
    assert db.scalar(select(func.count(CalendarToken.id))) == 0
    assert as_role("coord").get("/nurse/calendar").status_code == 403


# --- the feed -------------------------------------------------------------------------------


def test_the_feed_is_her_published_visits_as_icalendar(as_role, client, published, small_rota):
    token = _make_link(as_role("nurse"))
    r = _feed(client, token)  # no session: the token is the credential
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/calendar")
    assert "Set-Cookie" not in r.headers
    cal, events = parse(r.get_data())
    assert cal["VERSION"][1] == "2.0" and cal["PRODID"][1]
    body = r.get_data(as_text=True)
    assert "X-WR-TIMEZONE:Europe/London\r\n" in body
    mine = nurse_visits(small_rota, "C002")
    assert len(events) == len(mine)
    visits = _visits()
    stops = {s.visit_id: s for s in small_rota.route_of("C002").stops if s.visit_id}
    uids = set()
    for e in events:
        vid = unescape(e["DESCRIPTION"][1]).split("Visit ", 1)[1].split("\n", 1)[0]
        assert vid in mine
        uids.add(e["UID"][1])
        assert e["UID"][1] == f"20261123-{vid}-C002@hah-scheduler"
        assert e["DTSTART"] == ({}, f"{stops[vid].start:%Y%m%dT%H%M%SZ}")  # UTC: one moment
        assert e["DTEND"] == ({}, f"{stops[vid].end:%Y%m%dT%H%M%SZ}")
        assert unescape(e["SUMMARY"][1]) == visits[vid]["visit_type"]
        assert unescape(e["LOCATION"][1]) == visits[vid]["address"]
        assert "\\," in e["LOCATION"][1]  # the address's comma, escaped
        assert f"Patient {visits[vid]['patient_id']}" in unescape(e["DESCRIPTION"][1])
        assert re.fullmatch(r"\d{8}T\d{6}Z", e["DTSTAMP"][1])
        assert e["SEQUENCE"][1] == "1"
    assert len(uids) == len(events)
    others = {v for rt in small_rota.routes if rt.clinician_id != "C002" for v in rt.visit_ids}
    for vid in others - set(mine):
        assert vid not in body


def test_uids_are_stable_and_a_new_version_updates_the_feed(as_role, client, published, db,
                                                           users, small_rota):  # fmt: skip
    from web.models import DayImport
    from web.services.rotas import publish, save_draft

    token = _make_link(as_role("nurse"))
    _, first = parse(_feed(client, token).get_data())
    _, again = parse(_feed(client, token).get_data())
    assert [e["UID"] for e in first] == [e["UID"] for e in again]
    v2 = save_draft(db, db.get(DayImport, published.import_id), small_rota, users["coord"],
                    parent=published)  # fmt: skip
    publish(db, v2, users["coord"])
    db.commit()
    _, second = parse(_feed(client, token).get_data())
    assert {e["UID"][1] for e in second} == {e["UID"][1] for e in first}
    assert {e["SEQUENCE"][1] for e in second} == {"2"}


def test_each_nurse_gets_only_her_own_visits(as_role, client, published, small_rota):
    mine = _make_link(as_role("nurse"))
    theirs = _make_link(as_role("nurse2"))
    assert mine != theirs
    _, events = parse(_feed(client, theirs).get_data())
    assert events and all(e["UID"][1].endswith("-C003@hah-scheduler") for e in events)
    body = _feed(client, theirs).get_data(as_text=True)
    for vid in set(nurse_visits(small_rota, "C002")) - set(nurse_visits(small_rota, "C003")):
        assert vid not in body


def test_the_feed_spans_the_last_week_and_every_published_day_ahead(as_role, client, published,
                                                                   db, users, small_rota):  # fmt: skip
    publish_moved(db, users, import_day_moved(db, users, 1), small_rota, 1)  # tomorrow
    publish_moved(db, users, import_day_moved(db, users, -10), small_rota, -10)  # too old
    import_day_moved(db, users, 2)  # imported, not published: not in the feed
    token = _make_link(as_role("nurse"))
    _, events = parse(_feed(client, token).get_data())
    days = sorted({e["DTSTART"][1][:8] for e in events})
    assert days == ["20261123", "20261124"]
    n = len(nurse_visits(small_rota, "C002"))
    assert len(events) == 2 * n


def test_night_visits_keep_their_own_dates(app, client, published, db, small_rota):
    """A night shift's visits after midnight are dated the next morning (UTC, which is local
    time in November)."""
    from tests.support.web import FAST_HASH, PASSWORD, login
    from web.services.users import create_user

    create_user(db, "night", PASSWORD, "nurse", clinician_id="C010", hash_method=FAST_HASH)
    db.commit()
    c = app.test_client()
    login(c, "night")
    token = _make_link(c)
    _, events = parse(_feed(client, token).get_data())
    stops = [s for s in small_rota.route_of("C010").stops if s.visit_id]
    assert sorted(e["DTSTART"][1] for e in events) == sorted(
        f"{s.start:%Y%m%dT%H%M%SZ}" for s in stops
    )
    assert all(e["UID"][1].startswith("20261123-") for e in events)  # the service day's
    after_midnight = [s for s in stops if local(s.start).date() > local(stops[0].start).date()]
    assert sum(e["DTSTART"][1].startswith("20261124") for e in events) == len(after_midnight)

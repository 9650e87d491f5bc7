"""The ops lead's figures (``web.services.figures``), the week and day pages and
``GET /api/figures``: every figure is compared with a recomputation here from the rota and the
day's files, never with numbers copied from a run."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from scheduler.domain.check import check
from scheduler.domain.formats.day import read_day
from scheduler.domain.model import Rota, Route, Stop
from scheduler.domain.problem import build_problem
from tests.support.web import DATA, DAY, assert_checker_clean, csrf, nurse_visits, text_of

D = date.fromisoformat(DAY)  # a Monday


@pytest.fixture(scope="module")
def problem():
    visits, shifts = read_day(DATA / "visits.csv", DATA / "clinicians.csv")
    return build_problem(visits, shifts)


def expected_plan(problem, rota) -> dict:
    """The planned figures recomputed from the rota's own stops and the day's files."""
    visits = {v.visit_id: v for v in problem.visits}
    shifts = {s.clinician_id: s for s in problem.shifts}
    starts: dict[str, list] = {}
    for r in rota.routes:
        for s in r.stops:
            if s.kind == "visit":
                starts.setdefault(s.visit_id, []).append((r.clinician_id, s.start))
    roles: dict[str, dict] = {}
    for sh in problem.shifts:
        row = roles.setdefault(sh.role or "(no role)", {"paid": 0, "visit": 0, "travel": 0})
        brk = sh.rest_break.duration_min if sh.rest_break else 0
        row["paid"] += (sh.end - sh.start).total_seconds() / 60 - brk
    travel = 0
    for r in rota.routes:
        vs = [s for s in r.stops if s.kind == "visit"]
        if not vs:
            continue
        sh = shifts[r.clinician_id]
        k = problem.shift_index[r.clinician_id]
        last = problem.visit_loc[problem.visit_index[vs[-1].visit_id]]
        back = int(problem.travel.minutes[last, problem.shift_end_loc[k]])
        drive = sum(s.travel_min for s in vs) + back  # the rota's own drives + the way home
        travel += drive
        roles[sh.role or "(no role)"]["travel"] += drive
        roles[sh.role or "(no role)"]["visit"] += sum(visits[s.visit_id].duration_min for s in vs)
    p1 = [v for v in problem.visits if v.priority == 1]
    pref = [v for v in problem.visits if v.preferred_clinician]
    return {
        "visits_total": len(problem.visits),
        "visits_planned": len(starts),
        "p1_total": len(p1),
        "p1_planned_on_time": sum(
            1
            for v in p1
            if v.visit_id in starts and all(v.window.contains(t) for _, t in starts[v.visit_id])
        ),
        "travel_min": travel,
        "preferred_total": len(pref),
        "preferred_kept": sum(
            1 for v in pref if v.preferred_clinician in {c for c, _ in starts.get(v.visit_id, [])}
        ),
        "roles": roles,
    }


def utc(local_naive: datetime) -> datetime:
    """A local (Europe/London) wall-clock time as the naive UTC a status row stores."""
    from web.models import LOCAL_ZONE

    return local_naive.replace(tzinfo=LOCAL_ZONE).astimezone(UTC).replace(tzinfo=None)


def report(db, day_id, vid, cid, status, at_local=None, reason=""):
    from web.models import VisitStatus

    row = VisitStatus(day_id=day_id, visit_id=vid, clinician_id=cid, status=status,
                      reason=reason)  # fmt: skip
    if at_local is not None:
        row.at = utc(at_local)
    db.add(row)
    db.commit()


def test_day_figures_match_a_recomputation_from_the_rota(db, published, small_rota, problem):
    from web.services.figures import day_figures

    assert_checker_clean(db, published.id)
    f = day_figures(db, D)
    want = expected_plan(problem, small_rota)
    assert f["state"] == "published" and f["version"] == published.number
    for key in ("visits_total", "visits_planned", "p1_total", "p1_planned_on_time", "travel_min",
                "preferred_total", "preferred_kept"):  # fmt: skip
        assert f[key] == want[key], key
    assert f["visits_unassigned"] == len(small_rota.unassigned)
    assert f["travel_min"] == check(problem, small_rota).kpis["travel_min_total"]
    assert f["travel_per_visit"] == pytest.approx(want["travel_min"] / want["visits_planned"])
    assert f["continuity"] == pytest.approx(want["preferred_kept"] / want["preferred_total"])
    roles = {r["role"]: r for r in f["roles"]}
    assert set(roles) == set(want["roles"])
    for name, w in want["roles"].items():
        r = roles[name]
        assert (r["paid_min"], r["visit_min"], r["travel_min"]) == (w["paid"], w["visit"],
                                                                    w["travel"])  # fmt: skip
        assert r["utilisation"] == pytest.approx((w["visit"] + w["travel"]) / w["paid"])
        assert r["travel_share"] == pytest.approx(w["travel"] / w["paid"])
    paid = sum(w["paid"] for w in want["roles"].values())
    busy = sum(w["visit"] + w["travel"] for w in want["roles"].values())
    assert f["utilisation"] == pytest.approx(busy / paid)
    # one definition: the checker's figure for the same day is the same number
    assert f["utilisation"] == pytest.approx(check(problem, small_rota).kpis["utilisation"])
    # nothing reported yet: nothing made, every planned visit unreported
    assert (f["visits_made"], f["visits_not_completed"], f["p1_made_on_time"]) == (0, 0, 0)
    assert f["visits_unreported"] == want["visits_planned"]


def test_nurses_reports_change_the_made_figures(as_role, db, published, small_rota):
    from web.services.figures import day_figures

    nurse = as_role("nurse")
    first, second, third = nurse_visits(small_rota, "C002")[:3]

    def post(vid, status, **extra):
        data = {"csrf_token": csrf(nurse), "status": status, **extra}
        r = nurse.post(f"/nurse/route/{DAY}/C002/visits/{vid}/status", data=data)
        assert r.status_code == 303

    before = day_figures(db, D)
    post(first, "arrived")
    f = day_figures(db, D)
    assert (f["visits_made"], f["visits_arrived"]) == (0, 1)
    post(first, "done")
    post(second, "not_completed", reason="Patient not at home", note="no answer")
    post(third, "done")
    post(third, "arrived")  # the latest report is what counts
    f = day_figures(db, D)
    assert (f["visits_made"], f["visits_not_completed"], f["visits_arrived"]) == (1, 1, 1)
    assert f["visits_unreported"] == before["visits_unreported"] - 3
    assert f["not_completed"] == [
        {"visit_id": second, "clinician_id": "C002", "reason": "Patient not at home: no answer",
         "group": "Patient not at home", "at": f["not_completed"][0]["at"]}
    ]  # fmt: skip
    assert f["reasons"] == [{"reason": "Patient not at home", "count": 1}]
    # the plan is unchanged by reports
    assert {k: f[k] for k in ("visits_planned", "travel_min", "roles")} == {
        k: before[k] for k in ("visits_planned", "travel_min", "roles")
    }
    page = text_of(as_role("ops").get(f"/ops/day/{DAY}"))
    assert "1 done · 1 could not complete · 1 arrived" in page
    assert "Patient not at home: no answer" in page


def test_a_priority1_visit_reported_done_late_is_not_on_time(db, published, small_rota, problem):
    from web.services.figures import day_figures

    visits = {v.visit_id: v for v in problem.visits}
    p1 = [(r.clinician_id, vid) for r in small_rota.routes for vid in r.visit_ids
          if visits[vid].priority == 1]  # fmt: skip
    assert len(p1) >= 3, "the small day should place a few priority-1 visits"
    (c1, on_time), (c2, late), (c3, edge) = p1[:3]

    def deadline(vid):
        v = visits[vid]
        return v.window.end + timedelta(minutes=v.duration_min)

    report(db, published.day_id, on_time, c1, "done", deadline(on_time) - timedelta(minutes=20))
    report(db, published.day_id, late, c2, "done", deadline(late) + timedelta(minutes=1))
    # seconds past the deadline's minute still count as that minute
    report(db, published.day_id, edge, c3, "done", deadline(edge) + timedelta(seconds=40))
    f = day_figures(db, D)
    assert (f["p1_made"], f["p1_made_on_time"]) == (3, 2)
    assert [x["visit_id"] for x in f["p1_made_late"]] == [late]
    assert f["p1_made_late"][0]["deadline"] == f"{deadline(late):%Y-%m-%d %H:%M}"
    assert f["p1_made_on_time_rate"] == pytest.approx(2 / f["p1_total"])
    # a priority-1 visit reported "could not complete" is neither made nor on time
    others = [x for x in p1[3:] if x[1] not in (on_time, late, edge)]
    if others:
        c4, missed = others[0]
        report(db, published.day_id, missed, c4, "not_completed", reason="Patient declined")
        g = day_figures(db, D)
        assert (g["p1_made"], g["p1_made_on_time"], g["visits_not_completed"]) == (3, 2, 1)


def _shifted_files(days: int) -> tuple[bytes, bytes]:
    """The small day's files moved ``days`` later (every date in them)."""

    def move(data: bytes) -> bytes:
        def repl(m):
            return f"{date.fromisoformat(m.group(0)) + timedelta(days=days):%Y-%m-%d}"

        return re.sub(r"\d{4}-\d{2}-\d{2}", repl, data.decode()).encode()

    return move((DATA / "visits.csv").read_bytes()), move((DATA / "clinicians.csv").read_bytes())


def _shifted_rota(rota: Rota, days: int) -> Rota:
    d = timedelta(days=days)
    return Rota(
        tuple(Route(r.clinician_id, tuple(Stop(s.kind, s.visit_id, s.arrive + d, s.start + d,
                                               s.end + d, s.travel_min) for s in r.stops))
              for r in rota.routes),
        rota.unassigned,
    )  # fmt: skip


@pytest.fixture
def week(db, users, published, small_rota):
    """Monday published (the small day), Tuesday published (the same day a day later),
    Wednesday imported only, Thursday to Sunday nothing."""
    from web.services.days import Upload, import_day
    from web.services.rotas import publish, save_draft

    imports = {}
    for n in (1, 2):
        v, c = _shifted_files(n)
        imports[n] = import_day(db, D + timedelta(days=n), Upload("visits.csv", v),
                                Upload("clinicians.csv", c), users["coord"])  # fmt: skip
    tuesday = save_draft(db, imports[1], _shifted_rota(small_rota, 1), users["coord"])
    db.flush()
    publish(db, tuesday, users["coord"])
    db.commit()
    assert_checker_clean(db, tuesday.id)
    return tuesday


def test_a_week_with_empty_days_sums_only_the_published_ones(db, week):
    from web.services.figures import COUNTS, day_figures, week_figures

    w = week_figures(db, D + timedelta(days=4))  # any day of the week names it
    assert (w["week_start"], w["week_end"]) == (DAY, f"{D + timedelta(days=6):%Y-%m-%d}")
    states = [d["state"] for d in w["days"]]
    assert states == ["published", "published", "imported"] + ["none"] * 4
    assert w["days_published"] == 2
    for d in w["days"][2:]:
        assert set(d) == {"date", "weekday", "state"}  # no figures, not zeros
    mon, tue = day_figures(db, D), day_figures(db, D + timedelta(days=1))
    assert tue["visits_planned"] == mon["visits_planned"]
    assert tue["travel_min"] == mon["travel_min"]
    t = w["totals"]
    for key in COUNTS:
        assert t[key] == mon[key] + tue[key], key
    assert t["utilisation"] == pytest.approx(mon["utilisation"])
    assert {r["role"]: r["paid_min"] for r in t["roles"]} == {
        r["role"]: 2 * r["paid_min"] for r in mon["roles"]
    }
    empty = week_figures(db, D + timedelta(days=7))
    assert empty["days_published"] == 0 and empty["totals"] is None


def test_the_week_page(as_role, week):
    c = as_role("ops")
    r = c.get("/ops/")  # HAH_TODAY is the small day: its week
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "style=" not in html and "<script>" not in html
    page = text_of(r)
    assert f"Week {DAY} – 2026-11-29" in page
    assert "Imported, nothing published yet" in page and page.count("Nothing imported") == 4
    assert "Week (2 days)" in page
    assert f'href="/ops/day/{DAY}"' in html
    assert 'href="/ops/?week=2026-11-16"' in html and 'href="/ops/?week=2026-11-30"' in html
    assert "2026-11-23 12 69 12 1" in page  # the demand-and-supply table is still there
    assert 'id="capacity"' in html
    later = text_of(c.get("/ops/?week=2026-12-02"))
    assert "Week 2026-11-30 – 2026-12-06" in later
    assert "No day of this week has a published rota" in later
    assert c.get("/ops/?week=not-a-date").status_code == 404


def test_the_day_page(as_role, published, small_rota, problem):
    c = as_role("ops")
    r = c.get(f"/ops/day/{DAY}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "style=" not in html and "<script" not in html
    want = expected_plan(problem, small_rota)
    page = text_of(r)
    assert f"Visits planned {want['visits_planned']} / {want['visits_total']}" in page
    assert f"Travel {want['travel_min']} min" in page
    for role in want["roles"]:
        assert f'aria-label="{role}: visits' in html  # one bar per role
    assert html.count('class="util-bar"') == len(want["roles"])
    assert "Nothing has been imported" in text_of(c.get("/ops/day/2030-01-01"))
    assert c.get("/ops/day/2026-13-45").status_code == 404


def test_only_the_ops_lead_and_admin_see_the_figures(as_role, client, published):
    for path in ("/ops/", f"/ops/day/{DAY}", f"/api/figures?week={DAY}"):
        assert as_role("nurse").get(path).status_code == 403, path
        assert as_role("coord").get(path).status_code == 403, path
        assert as_role("ops").get(path).status_code == 200, path
        assert as_role("admin").get(path).status_code == 200, path
    assert client.get("/api/figures").status_code == 401
    assert client.get("/ops/").status_code == 302


def test_the_figures_api(as_role, db, week):
    from web.services.figures import week_figures

    c = as_role("ops")
    body = c.get(f"/api/figures?week={D + timedelta(days=3):%Y-%m-%d}").get_json()
    assert body == week_figures(db, D)
    assert c.get("/api/figures").get_json()["week_start"] == DAY  # default: today's week
    assert [d["state"] for d in body["days"]][:3] == ["published", "published", "imported"]
    bad = c.get("/api/figures?week=soon")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_json()["error"]
    doc = c.get("/api/openapi.json").get_json()
    assert "/api/figures" in doc["paths"]

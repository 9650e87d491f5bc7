"""The ops lead's figures for a day and a week: what was planned, what was made, at what cost.

No Flask here: the ``/ops`` pages and ``GET /api/figures`` render what these functions return
(plain JSON-safe dicts). A day's figures come from its **latest published version** (the rota
JSON, and the import it was made from, re-built by ``web.services.days``) and from the nurses'
latest reports on its visits. A day with nothing published has ``state`` ``"imported"`` or
``"none"`` and no figures at all, so it never reads as a day of zeros.

Planned (from the published rota, the day re-built from its import):

- ``visits_planned`` / ``visits_total``: visits on at least one route / visits imported
  (a double-handed visit counts once).
- ``p1_planned_on_time`` / ``p1_total``: priority-1 visits placed with every attending
  clinician starting inside the visit's window (ends included).
- ``travel_min``: the travel matrix's drive to each visit from the previous visit (or the
  shift's start place) plus the return leg to the shift's end place, over routes with
  visits: the checker's ``travel_min_total``. ``travel_per_visit`` = ``travel_min`` /
  ``visits_planned``.
- Utilisation by role (``Shift.role``; ``""`` is shown as "(no role)"): ``paid_min`` is
  shift length − the unpaid break over **every shift on duty** (a rostered clinician is
  paid whether or not she is given visits); ``visit_min`` is Σ visit durations per
  attending clinician (a double-handed visit counts twice: it is clinician time);
  ``utilisation`` = (``visit_min`` + ``travel_min``) / ``paid_min``, the one definition of
  ``scheduler.domain.utilisation`` (the checker's and the capacity runs' too);
  ``travel_share`` = ``travel_min`` / ``paid_min``.
- Continuity: ``preferred_kept`` / ``preferred_total``, where ``preferred_total`` counts the
  day's visits naming a preferred clinician (placed or not) and ``preferred_kept`` those
  attended by that clinician. (The checker counts placed visits only.) That is per visit;
  ``stays`` is per patient over the stay (``web.services.stays``: the day's patients, each
  over her admission so far, or the last 14 days' published rotas when she is not on the
  caseload): the share of the stay's visits made by her 2 and 3 most frequent clinicians,
  visit-weighted (``top3_visit_weighted``, the headline) and per patient
  (``top3_patient_mean``), with distinct clinicians per patient. A week's ``stays`` takes
  each patient of its published days once, her stay as at the last of them she was on.

The 2-hour urgent response (``urgent_response``, ``web.services.live_board``): each urgent
referral accepted on the live day, from the referral's time to the nurse's "arrived" report
(else the planned arrival), and whether it was within 2 hours; the week adds up
``urgent_referrals`` and ``urgent_met``.

Made (from the nurses' reports): each visit's state is taken from the latest report of every
clinician on it, the strongest winning: ``done`` > ``not_completed`` > ``arrived``. Reports
from any clinician count (a visit a coordinator moved after it was reported stays reported).

- ``visits_made``: visits reported done; ``visits_not_completed`` (with the reasons, grouped
  by the standard reason the nurse chose); ``visits_arrived``: arrived, not yet done;
  ``visits_unreported``: planned visits with no report.
- **Priority-1 made on time**: a priority-1 visit reported done whose done report was made,
  in local wall-clock time (``web.models.local``, truncated to the minute), no later than the
  visit's window end + its duration. The visit must *start* by the window end, and a nurse
  reports "done" as she finishes, so a later report means a late start. With two clinicians
  on it, the earliest done report counts. ``p1_made_late`` lists the others.

Rates are ``None`` when their denominator is 0 (shown as "—", never as 0 % or 100 %).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.domain.model import Problem, Rota
from scheduler.domain.utilisation import paid_minutes, utilisation
from web.db import get_or_fail
from web.models import Day, DayImport, VisitStatus, local
from web.services.days import content_key, day_inputs, get_day, latest_import, problem_for
from web.services.memo import ProcessCache
from web.services.rotas import latest_published, rota_from_json
from web.services.statuses import REASONS
from web.services.stays import day_stays, week_stays

STRENGTH = {"done": 3, "not_completed": 2, "arrived": 1}
NO_ROLE = "(no role)"

#: Counts summed over a week's published days; the rates are re-derived from the sums.
COUNTS = (
    "visits_total",
    "visits_planned",
    "visits_unassigned",
    "visits_made",
    "visits_not_completed",
    "visits_arrived",
    "visits_unreported",
    "p1_total",
    "p1_planned",
    "p1_planned_on_time",
    "p1_made",
    "p1_made_on_time",
    "travel_min",
    "visit_min",
    "paid_min",
    "preferred_total",
    "preferred_kept",
)
ROLE_COUNTS = ("shifts", "used", "visits", "paid_min", "visit_min", "travel_min")


def ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- planned: from the published rota ------------------------------------------------------


def _role_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["utilisation"] = utilisation(row["visit_min"], row["travel_min"], row["paid_min"])
    row["travel_share"] = ratio(row["travel_min"], row["paid_min"])
    return row


def _rates(f: dict[str, Any]) -> dict[str, Any]:
    f["travel_per_visit"] = ratio(f["travel_min"], f["visits_planned"])
    f["utilisation"] = utilisation(f["visit_min"], f["travel_min"], f["paid_min"])
    f["travel_share"] = ratio(f["travel_min"], f["paid_min"])
    f["continuity"] = ratio(f["preferred_kept"], f["preferred_total"])
    f["p1_planned_on_time_rate"] = ratio(f["p1_planned_on_time"], f["p1_total"])
    f["p1_made_on_time_rate"] = ratio(f["p1_made_on_time"], f["p1_total"])
    return f


def plan_figures(problem: Problem, rota: Rota) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The planned figures of a rota for its day (see the module docstring), and
    visit id → the clinicians attending it."""
    visits = {v.visit_id: v for v in problem.visits}
    roles: dict[str, dict[str, Any]] = {}
    for sh in problem.shifts:
        row = roles.setdefault(sh.role or NO_ROLE, dict.fromkeys(ROLE_COUNTS, 0))
        row["shifts"] += 1
        row["paid_min"] += paid_minutes(sh)
    attendants: dict[str, list[str]] = {}
    on_time: dict[str, bool] = {}
    travel = 0
    for route in rota.routes:
        k = problem.shift_index.get(route.clinician_id)
        if k is None:
            continue
        sh = problem.shifts[k]
        stops = [(s, visits[s.visit_id]) for s in route.stops
                 if s.visit_id is not None and s.visit_id in visits]  # fmt: skip
        if not stops:
            continue
        here, drive, minutes = problem.shift_start_loc[k], 0, 0
        for s, v in stops:
            there = problem.visit_loc[problem.visit_index[v.visit_id]]
            drive += problem.travel_between(here, there)
            here = there
            minutes += v.duration_min
            attendants.setdefault(v.visit_id, []).append(route.clinician_id)
            on_time[v.visit_id] = on_time.get(v.visit_id, True) and v.window.contains(s.start)
        drive += problem.travel_between(here, problem.shift_end_loc[k])
        travel += drive
        row = roles[sh.role or NO_ROLE]
        row["used"] += 1
        row["visits"] += len(stops)
        row["visit_min"] += minutes
        row["travel_min"] += drive
    p1 = [v for v in problem.visits if v.priority == 1]
    preferred = [v for v in problem.visits if v.preferred_clinician]
    f: dict[str, Any] = {
        "visits_total": len(visits),
        "visits_planned": len(attendants),
        "visits_unassigned": len(visits) - len(attendants),
        "p1_total": len(p1),
        "p1_planned": sum(1 for v in p1 if v.visit_id in attendants),
        "p1_planned_on_time": sum(1 for v in p1 if on_time.get(v.visit_id, False)),
        "travel_min": travel,
        "visit_min": sum(r["visit_min"] for r in roles.values()),
        "paid_min": sum(r["paid_min"] for r in roles.values()),
        "preferred_total": len(preferred),
        "preferred_kept": sum(
            1 for v in preferred if v.preferred_clinician in attendants.get(v.visit_id, ())
        ),
        "roles": [
            _role_rates({"role": name, **roles[name]}) for name in sorted(roles, key=_role_key)
        ],
    }
    return f, attendants


def _role_key(name: str) -> tuple[int, str]:
    return (1 if name == NO_ROLE else 0, name)


_PLANS: ProcessCache[tuple[dict[str, Any], dict[str, list[str]]]] = ProcessCache(32)


def _cached_plan(imp: DayImport, rota_json: dict) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """``plan_figures`` of a published rota, cached per process by the hash of the import's
    files and of the rota (both never change), so a week page re-builds no day twice."""
    h = hashlib.sha256(json.dumps(rota_json, sort_keys=True, default=str).encode())
    key = (content_key(imp), h.hexdigest())
    def make() -> tuple[dict[str, Any], dict[str, list[str]]]:
        plan, attendants = plan_figures(problem_for(imp), rota_from_json(rota_json))
        return json.loads(json.dumps(plan)), attendants

    plan, attendants = _PLANS.get_or_make(key, make)
    return json.loads(json.dumps(plan)), attendants  # a copy: callers add to it


# --- made: from the nurses' reports --------------------------------------------------------


def latest_reports(session: Session, day: Day) -> dict[tuple[str, str], dict[str, Any]]:
    """(visit id, clinician id) → the latest report, with ``at`` as an aware local
    ``datetime`` (it compares with the rota's moments).

    The same rule as ``statuses.latest_statuses`` (the last row wins), which formats ``at``
    as ``HH:MM`` for display and so cannot be compared across midnight.
    """
    out: dict[tuple[str, str], dict[str, Any]] = {}
    rows = session.scalars(
        select(VisitStatus).where(VisitStatus.day_id == day.id).order_by(VisitStatus.id)
    )
    for row in rows:
        out[(row.visit_id, row.clinician_id)] = {
            "status": row.status,
            "reason": row.reason,
            "at": local(row.at),
        }
    return out


def reason_group(reason: str) -> str:
    """The standard reason a nurse chose (``reason: her note`` → ``reason``), else "Other"."""
    for known in REASONS:
        if reason == known or reason.startswith(known + ":"):
            return known
    return "Other"


def made_figures(problem_visits, attendants: dict[str, list[str]], reports) -> dict[str, Any]:
    """What the nurses reported on the day's visits (see the module docstring)."""
    by_visit: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for (vid, cid), rep in reports.items():
        by_visit.setdefault(vid, []).append((cid, rep))
    made = not_completed = arrived = unreported = 0
    p1_made = p1_on_time = 0
    cannot: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    groups: dict[str, int] = {}
    for v in problem_visits:
        reps = by_visit.get(v.visit_id, [])
        if not reps:
            unreported += v.visit_id in attendants
            continue
        state = max((rep["status"] for _, rep in reps), key=lambda s: STRENGTH.get(s, 0))
        if state == "done":
            made += 1
            if v.priority == 1:
                p1_made += 1
                done_at = min(rep["at"] for _, rep in reps if rep["status"] == "done")
                deadline = v.window.end + timedelta(minutes=v.duration_min)
                if done_at.replace(second=0, microsecond=0) <= deadline:
                    p1_on_time += 1
                else:
                    late.append({"visit_id": v.visit_id, "deadline": _hm(deadline),
                                 "done_at": _hm(done_at)})  # fmt: skip
        elif state == "not_completed":
            not_completed += 1
            for cid, rep in sorted(reps):
                if rep["status"] == "not_completed":
                    group = reason_group(rep["reason"])
                    groups[group] = groups.get(group, 0) + 1
                    cannot.append({"visit_id": v.visit_id, "clinician_id": cid,
                                   "reason": rep["reason"], "group": group,
                                   "at": _hm(rep["at"])})  # fmt: skip
        elif state == "arrived":
            arrived += 1
    return {
        "visits_made": made,
        "visits_not_completed": not_completed,
        "visits_arrived": arrived,
        "visits_unreported": unreported,
        "p1_made": p1_made,
        "p1_made_on_time": p1_on_time,
        "p1_made_late": late,
        "not_completed": cannot,
        "reasons": _reason_rows(groups),
    }


def _hm(moment: datetime) -> str:
    """Local date and time (a stored stamp or a rota moment)."""
    return local(moment).strftime("%Y-%m-%d %H:%M")


def _reason_rows(groups: dict[str, int]) -> list[dict[str, Any]]:
    order = {r: i for i, r in enumerate(REASONS)}
    return [
        {"reason": r, "count": groups[r]}
        for r in sorted(groups, key=lambda r: (order.get(r, len(order)), r))
    ]


# --- a day and a week ----------------------------------------------------------------------


def day_figures(session: Session, when: date) -> dict[str, Any]:
    """The figures of one service day (see the module docstring).

    ``state`` is ``"published"`` (figures present), ``"imported"`` (files imported, nothing
    published yet) or ``"none"`` (nothing imported); only a published day has figures.
    """
    out: dict[str, Any] = {"date": f"{when:%Y-%m-%d}", "weekday": f"{when:%a}"}
    day = get_day(session, when)
    version = latest_published(session, day) if day is not None else None
    if day is None or version is None:  # no day has no version either
        imported = day is not None and latest_import(session, day) is not None
        return out | {"state": "imported" if imported else "none"}
    imp = get_or_fail(session, DayImport, version.import_id)
    visits, _ = day_inputs(imp)
    plan, attendants = _cached_plan(imp, version.rota)
    made = made_figures(visits, attendants, latest_reports(session, day))
    out |= {
        "state": "published",
        "version": version.number,
        "version_id": version.id,
        "import_id": version.import_id,
        "published_at": version.published_at.isoformat(timespec="seconds") + "Z"
        if version.published_at
        else None,
    }
    from web.services.live_board import urgent_response

    out["urgent_response"] = urgent_response(session, day)  # the 2-hour standard
    stays = day_stays(session, when, version)
    out["stays"] = stays.as_dict() if stays is not None else None
    return _rates(out | plan | made)


def week_figures(session: Session, any_day: date) -> dict[str, Any]:
    """Monday–Sunday around ``any_day``: each day's figures and the week's totals.

    Totals add up the published days only (``days_published`` says how many) and re-derive
    the rates from the summed counts; with no day published, ``totals`` is ``None``.
    """
    start = monday_of(any_day)
    days = [day_figures(session, start + timedelta(days=i)) for i in range(7)]
    published = [d for d in days if d["state"] == "published"]
    totals = None
    if published:
        totals = {k: sum(d[k] for d in published) for k in COUNTS}
        roles: dict[str, dict[str, Any]] = {}
        for d in published:
            for r in d["roles"]:
                row = roles.setdefault(r["role"], dict.fromkeys(ROLE_COUNTS, 0))
                for k in ROLE_COUNTS:
                    row[k] += r[k]
        totals["roles"] = [
            _role_rates({"role": name, **roles[name]}) for name in sorted(roles, key=_role_key)
        ]
        groups: dict[str, int] = {}
        for d in published:
            for r in d["reasons"]:
                groups[r["reason"]] = groups.get(r["reason"], 0) + r["count"]
        totals["reasons"] = _reason_rows(groups)
        totals["urgent_referrals"] = sum(d["urgent_response"]["count"] for d in published)
        totals["urgent_met"] = sum(d["urgent_response"]["met"] for d in published)
        totals["stays"] = week_stays(
            s for s in (day_stays(session, date.fromisoformat(d["date"])) for d in published)
            if s is not None
        )
        totals = _rates(totals)
    return {
        "week_start": f"{start:%Y-%m-%d}",
        "week_end": f"{start + timedelta(days=6):%Y-%m-%d}",
        "days_published": len(published),
        "days": days,
        "totals": totals,
    }

"""The live day's events, each answered with proposals, never with a silent change.

An event (an urgent referral, a nurse off sick or running late, a visit cancelled, a window
changed, a bank shift added, the files re-imported) is taken against the day's latest
*published* rota at the service clock's ``now``. What is done, under way or being driven to
(by the clock, or by the nurses' own reports) stays as it is; the rest is planned again by
the same use case as ``hah replan`` (``scheduler.usecases.replan_day``: minimal change
first, then, if a priority-1 visit would be left out, a short search), or, for one new
visit, by ``who_could_take`` (each way of taking it a hand edit judged by the checker).

Each proposal carries its rota, the checker's verdict on the whole day, what changes against
the published rota (visits moved, re-timed, dropped; who to tell) and what it costs (travel
added). A priority-1 visit it would leave out is listed with the reason, and accepting such a
proposal needs the coordinator's explicit confirmation. Accepting makes a new draft from the
published version (and, when the event changed the day's files, a new import holding the
amended files); publishing it is the usual, re-checked, step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.domain.check import CheckReport, check
from scheduler.domain.diff import diff_rotas
from scheduler.domain.errors import InputError
from scheduler.domain.formats import amend
from scheduler.domain.localtime import LocalTimeError, contract_text, from_local, hm, parse_contract
from scheduler.domain.model import Problem, Rota, Route
from scheduler.domain.replan import frozen_routes
from scheduler.domain.running_late import running_late
from scheduler.domain.who_could_take import who_could_take
from scheduler.usecases.plan_day import travel_model
from scheduler.usecases.replan_day import replan_day
from web.db import get_or_fail
from web.models import Day, DayEvent, DayImport, RotaVersion, User, VisitStatus
from web.services import audit
from web.services.clock import from_stamp, to_stamp
from web.services.days import Upload, _read, latest_import, problem_for
from web.services.rotas import (
    latest_published,
    report_json,
    rota_from_json,
    rota_to_json,
    save_draft,
    version_rota,
)

KINDS = ("referral", "absent", "late", "cancel", "window", "shift", "replan")
LABELS = {
    "referral": "Urgent referral",
    "absent": "Clinician unavailable",
    "late": "Running late",
    "cancel": "Visit cancelled",
    "window": "Window changed",
    "shift": "Bank shift added",
    "replan": "Re-plan from the published rota",
}
#: The NHS urgent community response standard: seen within 2 hours of the referral.
RESPONSE_MIN = 120
#: Seconds the re-planner may use for one event (it stops early when it is sure).
REPLAN_SECONDS = 8.0
#: Ways offered to take one urgent referral.
OPTIONS = 3


class EventError(ValueError):
    """An event that cannot be taken, with a reason the coordinator can act on."""


@dataclass(frozen=True)
class Basis:
    """What an event is taken against: the day's latest published rota and its files."""

    day: Day
    version: RotaVersion
    imp: DayImport
    problem: Problem
    rota: Rota
    now: datetime
    reported: frozenset[str]


def basis(session: Session, day: Day, now: datetime) -> Basis:
    """The published rota the live day runs on; refused while nothing is published."""
    version = latest_published(session, day)
    if version is None:
        raise EventError("publish a rota first: the live day runs on the published version")
    imp = get_or_fail(session, DayImport, version.import_id)
    rows = session.scalars(
        select(VisitStatus).where(VisitStatus.day_id == day.id).order_by(VisitStatus.id)
    )
    latest: dict[tuple[str, str], str] = {}
    for row in rows:
        latest[(row.visit_id, row.clinician_id)] = row.status
    reported = frozenset(v for (v, _), st in latest.items() if st in ("arrived", "done"))
    rota = version_rota(version)
    return Basis(day, version, imp, problem_for(imp), rota, now, reported)


# --- reading the forms -----------------------------------------------------------------------


def _text(form: Mapping[str, Any], name: str, default: str = "") -> str:
    value = form.get(name)
    return default if value is None or str(value).strip() == "" else str(value).strip()


def _moment(form: Mapping[str, Any], name: str, day: date, default: datetime) -> datetime:
    """``HH:MM`` on the day, or a full ``YYYY-MM-DDTHH:MM`` (local, or with an offset), as
    an aware UTC moment; ``default`` when blank. A local time the clocks skip, or repeat
    without its offset, is refused saying so."""
    raw = _text(form, name)
    if not raw:
        return default
    try:
        if len(raw) <= 5:
            hh, mm = raw.split(":")
            return from_local(datetime(day.year, day.month, day.day, int(hh), int(mm)))
        return parse_contract(raw).replace(second=0, microsecond=0)
    except LocalTimeError as err:
        raise EventError(f"{name}: {err}") from None
    except ValueError:
        raise EventError(f"{name}: {raw!r} is not a time (HH:MM or YYYY-MM-DDTHH:MM)") from None


def _whole(form: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    raw = _text(form, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EventError(f"{name}: {raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise EventError(f"{name}: {value} is outside {low}–{high}")
    return value


def _contract(moment: datetime) -> str:
    """A time as the day's files write it: local, with the offset where it is ambiguous."""
    return contract_text(moment)


def _clinician(b: Basis, form: Mapping[str, Any]) -> str:
    cid = _text(form, "clinician_id")
    if cid not in b.problem.shift_index:
        raise EventError(f"clinician_id: {cid!r} is not on shift this day" if cid
                         else "clinician_id: choose the clinician")  # fmt: skip
    return cid


def _visit(b: Basis, form: Mapping[str, Any]) -> str:
    vid = _text(form, "visit_id")
    if vid not in b.problem.visit_index:
        raise EventError(f"visit_id: {vid!r} is not a visit of this day" if vid
                         else "visit_id: name the visit")  # fmt: skip
    return vid


def _frozen_ids(b: Basis) -> set[str]:
    frozen = frozen_routes(b.problem, b.rota, b.now, b.reported)
    return {s.visit_id for stops in frozen.values() for s in stops if s.visit_id}


# --- the amended day ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Amended:
    """The day's files after the event, and the day they make."""

    visits_csv: bytes
    clinicians_csv: bytes
    problem: Problem


def _amend(
    b: Basis, visits_csv: bytes | None = None, clinicians_csv: bytes | None = None
) -> Amended:
    """The day with amended files, read by the import's own readers (``InputError`` naming
    file, row and column if the amendment makes a file they refuse)."""
    v = visits_csv if visits_csv is not None else bytes(b.imp.visits_csv)
    c = clinicians_csv if clinicians_csv is not None else bytes(b.imp.clinicians_csv)
    probe = DayImport(visits_name=b.imp.visits_name, visits_csv=v,
                      clinicians_name=b.imp.clinicians_name, clinicians_csv=c)  # fmt: skip
    return Amended(v, c, problem_for(probe))


def _fit(problem: Problem, rota: Rota) -> Rota:
    """``rota`` restricted to what ``problem`` still has: the stops of cancelled visits go,
    routes of clinicians no longer on shift go."""
    keep = {v.visit_id for v in problem.visits}
    routes = tuple(
        Route(r.clinician_id, tuple(s for s in r.stops if s.visit_id is None or s.visit_id in keep))
        for r in rota.routes
        if r.clinician_id in problem.shift_index
    )
    unassigned = tuple(u for u in rota.unassigned if u.visit_id in keep)
    return Rota(routes, unassigned)


# --- proposals -----------------------------------------------------------------------------


def _proposal(
    b: Basis,
    problem: Problem,
    title: str,
    why: str,
    rota: Rota,
    report: CheckReport | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One proposal as stored and shown: its rota, the checker's verdict, the change against
    the published rota and its cost, and the priority-1 visits it leaves out."""
    report = report if report is not None else check(problem, rota)
    kpis, violations = report_json(report)
    diff = diff_rotas(b.rota, rota, problem.visits)
    names = {s.clinician_id: s.name for s in problem.shifts}
    names.update({s.clinician_id: s.name for s in b.problem.shifts})
    p1 = {v.visit_id for v in problem.visits if v.priority == 1}
    placed_before = {vid for r in b.rota.routes for vid in r.visit_ids}
    left_out = [
        {"visit_id": u.visit_id, "reason": u.reason,
         "was_planned": u.visit_id in placed_before}
        for u in rota.unassigned
        if u.visit_id in p1 and (u.visit_id in placed_before or u.visit_id in extra.get("new", ()))
    ]  # fmt: skip
    travel_before = int(b.version.kpis.get("travel_min_total") or 0)
    s = diff.summary
    return {
        "title": title,
        "why": why,
        "rota": rota_to_json(rota),
        "kpis": kpis,
        "violations": violations,
        "clean": report.ok,
        "summary": {"moved": s.moved, "retimed": s.retimed, "dropped": s.dropped,
                    "added": s.added, "clinicians_affected": s.clinicians_affected},
        "changes": [c.describe() for c in diff.changes[:40]],
        "changes_more": max(0, len(diff.changes) - 40),
        "tell": [{"clinician_id": c.clinician_id, "name": names.get(c.clinician_id, ""),
                  "changes": c.count} for c in diff.clinicians],
        "travel_added_min": int(kpis.get("travel_min_total") or 0) - travel_before,
        "priority1_left_out": left_out,
        "needs_confirm": bool(left_out) or not report.ok,
        **{k: v for k, v in extra.items() if k != "new"},
    }  # fmt: skip


def _replanned(
    b: Basis,
    problem: Problem,
    rota: Rota,
    title: str,
    why: str,
    *,
    absent: frozenset[str] = frozenset(),
    available_from: Mapping[str, datetime] | None = None,
    now: datetime | None = None,
    new: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The rest of the day planned again from ``rota`` (``hah replan``'s use case)."""
    result = replan_day(
        problem, rota, now or b.now, travel_model(None), absent=absent,
        available_from=available_from, reported=b.reported, time_limit_s=REPLAN_SECONDS,
    )  # fmt: skip
    return _proposal(b, problem, title, why, result.rota, result.report, new=new,
                     frozen=result.frozen_visits)  # fmt: skip


@dataclass(frozen=True)
class Taken:
    """An event read and checked without solving: what the request stores at once (its
    detail, the amended files) and the work a worker does later (``solve``: the proposals,
    and what it adds to the detail)."""

    detail: dict[str, Any]
    amended: Amended | None
    solve: Callable[[], tuple[list[dict], dict[str, Any]]]


def _referral(b: Basis, form: Mapping[str, Any]) -> Taken:
    existing = set(amend.ids(bytes(b.imp.visits_csv), "visit_id"))
    n = 1
    while f"URG-{b.day.date:%m%d}-{n}" in existing:
        n += 1
    vid = _text(form, "visit_id", f"URG-{b.day.date:%m%d}-{n}")
    start = _moment(form, "window_start", b.day.date, b.now)
    end = _moment(form, "window_end", b.day.date, start + timedelta(minutes=RESPONSE_MIN))
    row = {
        "visit_id": vid,
        "patient_id": _text(form, "patient_id", f"REF-{vid}"),
        "lat": _text(form, "lat"),
        "lon": _text(form, "lon"),
        "window_start": _contract(start),
        "window_end": _contract(end),
        "duration_min": str(_whole(form, "duration_min", 45, 5, 480)),
        "skills": _text(form, "skills", "IV").replace(",", ";").replace(" ", ""),
        "staff": str(_whole(form, "staff", 1, 1, 2)),
        "priority": str(_whole(form, "priority", 1, 1, 3)),
        "visit_type": _text(form, "visit_type", "Urgent referral"),
        "address": _text(form, "address"),
    }
    try:
        visits_csv = amend.append_row(bytes(b.imp.visits_csv), "visit_id", row)
    except amend.AmendError as err:
        raise EventError(f"visit_id: {err}") from None
    day = _amend(b, visits_csv=visits_csv)
    rota = _fit(day.problem, b.rota)
    detail = {"visit_id": vid, "window_start": row["window_start"],
              "window_end": row["window_end"], "staff": int(row["staff"]),
              "priority": int(row["priority"]), "skills": row["skills"]}  # fmt: skip

    def solve() -> tuple[list[dict], dict[str, Any]]:
        proposals: list[dict] = []
        if int(row["staff"]) == 1:
            for option in who_could_take(day.problem, rota, vid, b.now, limit=OPTIONS + 3):
                if not option.feasible or len(proposals) >= OPTIONS:
                    continue
                name = day.problem.shifts[day.problem.shift_index[option.clinician_id]].name
                pushed = sum(m for _, m in option.pushed)
                why = (f"{name} ({option.clinician_id}) at {hm(option.start)}, "
                       f"+{option.travel_added_min} min driving"
                       + (f"; {len(option.pushed)} of her visits later by {pushed} min in all"
                          if option.pushed else "; nothing else moves")
                       + (f"; spends her {', '.join(option.spends)} time"
                          if option.spends else ""))  # fmt: skip
                proposals.append(_proposal(b, day.problem, f"{vid} to {name}", why, option.rota,
                                           new=(vid,), clinician_id=option.clinician_id,
                                           start=f"{hm(option.start)}"))  # fmt: skip
        if not proposals:
            double = "a double-handed visit needs two clinicians at one minute: the re-planner "
            alone = "nobody can take it as their route stands: the re-planner moves others "
            why = double + "places it" if int(row["staff"]) > 1 else alone + "aside"
            proposals.append(_replanned(b, day.problem, rota, f"Re-plan to take {vid}", why,
                                        new=(vid,)))  # fmt: skip
        return proposals, {}

    return Taken(detail, day, solve)


def _absent(b: Basis, form: Mapping[str, Any]) -> Taken:
    cid = _clinician(b, form)
    when = max(b.now, _moment(form, "from", b.day.date, b.now))
    shift = b.problem.shifts[b.problem.shift_index[cid]]
    route = b.rota.route_of(cid)
    started = tuple(s for s in (route.stops if route else ()) if s.start < when)
    worked_end = max([when, *(s.end for s in started)])
    done = [s.visit_id for s in started if s.visit_id]
    if done:  # and the drive home from her last patient
        k, p = b.problem.shift_index[cid], b.problem
        home = p.travel_between(p.visit_loc[p.visit_index[done[-1]]], p.shift_end_loc[k])
        worked_end = max(worked_end, max(s.end for s in started) + timedelta(minutes=home))
    clinicians = bytes(b.imp.clinicians_csv)
    if not started and when <= shift.start:
        clinicians = amend.drop_rows(clinicians, "clinician_id", [cid])
    elif worked_end < shift.end:
        cells = {"shift_end": _contract(worked_end)}
        if not any(s.kind == "break" for s in started):
            cells.update(break_min="", break_earliest="", break_latest="")
        clinicians = amend.update_row(clinicians, "clinician_id", cid, cells)
    day = _amend(b, clinicians_csv=clinicians)
    kept = Rota(
        tuple(
            Route(r.clinician_id, started) if r.clinician_id == cid else r for r in b.rota.routes
        ),
        b.rota.unassigned,
    )
    rota = _fit(day.problem, kept)
    left = sum(1 for s in (route.stops if route else ()) if s.visit_id and s not in started)
    detail = {"clinician_id": cid, "name": shift.name, "from": f"{hm(when)}",
              "visits_to_redistribute": left}  # fmt: skip
    why = (f"{shift.name}'s {left} remaining visits from {hm(when)} given to others, "
           "what is done or under way kept")  # fmt: skip
    title = f"Redistribute {shift.name}'s visits"
    return Taken(
        detail,
        day,
        lambda: (
            [_replanned(b, day.problem, rota, title, why, absent=frozenset({cid}), now=when)],
            {},
        ),
    )


def _late(b: Basis, form: Mapping[str, Any]) -> Taken:
    """The visits at risk are flagged at once (a projection of her route, milliseconds), so
    the board shows them before any worker answers; who else could take each, and the
    re-plans, are the worker's."""
    cid = _clinician(b, form)
    minutes = _whole(form, "minutes", 30, 1, 600)
    route = b.rota.route_of(cid)
    if route is None:
        raise EventError(f"clinician_id: {cid} has no route in the published rota")
    t0 = time.monotonic()
    flags = running_late(b.problem, b.rota, cid, b.now, minutes, fixes_per_visit=0)
    flag_seconds = time.monotonic() - t0
    shift = b.problem.shifts[b.problem.shift_index[cid]]
    names = {s.clinician_id: s.name for s in b.problem.shifts}

    def at_risk(fixes: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            {"visit_id": a.visit_id, "priority": a.priority, "planned": f"{hm(a.planned_start)}",
             "projected": f"{hm(a.projected_start)}", "window_end": f"{hm(a.window_end)}",
             "minutes_over": a.minutes_over, "rules": list(a.rules),
             "fixes": [{"clinician_id": o.clinician_id, "name": names.get(o.clinician_id, ""),
                        "start": f"{hm(o.start)}", "travel_added_min": o.travel_added_min,
                        "feasible": o.feasible, "breaks": list(o.breaks)}
                       for o in fixes.get(a.visit_id, ())]}
            for a in flags.at_risk
        ]  # fmt: skip

    under_way = [s for s in route.stops if s.start < b.now < s.end]
    free_at = max([b.now, *(s.end for s in under_way)]) + timedelta(minutes=minutes)
    detail = {"clinician_id": cid, "name": shift.name, "minutes": minutes,
              "reported_by": _text(form, "reported_by", "coordinator"), "at_risk": at_risk({}),
              "pushed": len(flags.pushed), "flag_seconds": round(flag_seconds, 3)}  # fmt: skip

    def solve() -> tuple[list[dict], dict[str, Any]]:
        late = running_late(b.problem, b.rota, cid, b.now, minutes, fixes_per_visit=2)
        risky = len(flags.at_risk)
        proposals = [
            _replanned(b, b.problem, b.rota, "Re-plan around the delay",
                       f"{shift.name} free again from {hm(free_at)}: visits she can no longer "
                       "make in their windows go to others", available_from={cid: free_at}),
            _proposal(b, b.problem, f"Keep {shift.name}'s route, re-timed",
                      f"her next {len(late.pushed)} visits start later; "
                      + (f"{risky} would miss their windows" if risky
                         else "every visit stays in its window"), late.rota),
        ]  # fmt: skip
        for risk in flags.at_risk:
            for option in late.fixes.get(risk.visit_id, ())[:1]:
                if option.feasible:
                    name = names.get(option.clinician_id, option.clinician_id)
                    proposals.append(_proposal(
                        b, b.problem, f"Give {risk.visit_id} to {name}",
                        f"{name} at {hm(option.start)}, +{option.travel_added_min} min "
                        "driving; the rest of the late route as it is", option.rota))  # fmt: skip
        return proposals, {"at_risk": at_risk(late.fixes), "pushed": len(late.pushed)}

    return Taken(detail, None, solve)


def _cancel(b: Basis, form: Mapping[str, Any]) -> Taken:
    vid = _visit(b, form)
    if vid in _frozen_ids(b):
        raise EventError(f"visit_id: {vid} is done, under way or being driven to")
    gone = [vid, *amend.followers(bytes(b.imp.visits_csv), vid)]
    day = _amend(b, visits_csv=amend.drop_rows(bytes(b.imp.visits_csv), "visit_id", gone))
    why = "cancelled" + (f" with {', '.join(gone[1:])}, which follow it" if gone[1:] else "")
    return Taken(
        {"visit_id": vid, "removed": gone},
        day,
        lambda: ([_replanned(b, day.problem, _fit(day.problem, b.rota), f"Cancel {vid}", why)], {}),
    )


def _window(b: Basis, form: Mapping[str, Any]) -> Taken:
    vid = _visit(b, form)
    if vid in _frozen_ids(b):
        raise EventError(f"visit_id: {vid} is done, under way or being driven to")
    visit = b.problem.visits[b.problem.visit_index[vid]]
    start = _moment(form, "window_start", b.day.date, visit.window.start)
    end = _moment(form, "window_end", b.day.date, visit.window.end)
    if end < start:
        raise EventError("window_end: the window ends before it starts")
    cells = {"window_start": _contract(start), "window_end": _contract(end)}
    day = _amend(b, visits_csv=amend.update_row(bytes(b.imp.visits_csv), "visit_id", vid, cells))
    was = f"{hm(visit.window.start)}–{hm(visit.window.end)}"
    now_ = f"{hm(start)}–{hm(end)}"
    return Taken({"visit_id": vid, "was": was, "now": now_}, day, lambda: (
        [_replanned(b, day.problem, _fit(day.problem, b.rota), f"{vid} window {now_}",
                    f"window {was} → {now_}")], {}))  # fmt: skip


SHIFT_FIELDS = ("clinician_id", "name", "skills", "role", "shift_start", "shift_end",
                "start_lat", "start_lon", "end_lat", "end_lon", "break_min",
                "break_earliest", "break_latest", "base")  # fmt: skip


def _shift(b: Basis, form: Mapping[str, Any]) -> Taken:
    cid = _text(form, "clinician_id")
    if not cid:
        raise EventError("clinician_id: give the bank clinician an id")
    start = _moment(form, "shift_start", b.day.date, b.now)
    end = _moment(form, "shift_end", b.day.date, start + timedelta(hours=8))
    row = {k: _text(form, k) for k in SHIFT_FIELDS}
    row.update(shift_start=_contract(start), shift_end=_contract(end))
    row["skills"] = row["skills"].replace(",", ";").replace(" ", "")
    row["name"] = row["name"] or cid
    if not row["end_lat"] and not row["end_lon"]:
        row.update(end_lat=row["start_lat"], end_lon=row["start_lon"])
    try:
        clinicians = amend.append_row(bytes(b.imp.clinicians_csv), "clinician_id", row)
    except amend.AmendError as err:
        raise EventError(f"clinician_id: {err}") from None
    day = _amend(b, clinicians_csv=clinicians)
    title = f"Use {row['name']}'s bank shift"
    why = (f"{row['name']} {hm(start)}–{hm(end)} takes what is unassigned "
           "or what she saves driving on; the rest stays")  # fmt: skip
    detail = {"clinician_id": cid, "name": row["name"], "shift": f"{hm(start)}–{hm(end)}"}
    return Taken(
        detail,
        day,
        lambda: ([_replanned(b, day.problem, _fit(day.problem, b.rota), title, why)], {}),
    )


def _replan(b: Basis, imp: DayImport | None) -> Taken:
    """``imp`` is the day's latest import when the event was taken: a newer one than the
    published rota's means the files were imported again, and the re-plan carries over."""
    newer = imp is not None and imp.id != b.imp.id
    problem = problem_for(imp) if newer and imp is not None else b.problem
    why = (
        "the day's files were imported again: the published rota carried over to them, "
        "minimal change"
        if newer
        else "the rest of the day planned again, minimal change"
    )
    return Taken(
        {"import_id": imp.id if newer and imp else None},
        None,
        lambda: (
            [_replanned(b, problem, _fit(problem, b.rota), "Re-plan the rest of the day", why)],
            {},
        ),
    )


# --- taking an event, working out its proposals, accepting one ----------------------------


def _take(session: Session, b: Basis, kind: str, form: Mapping[str, Any],
          import_id: int | None) -> Taken:  # fmt: skip
    """Read and check the event against ``b`` (no solving); the same in the request and in
    the worker, so the worker answers exactly what the request accepted."""
    try:
        if kind == "replan":
            return _replan(b, get_or_fail(session, DayImport, import_id) if import_id else None)
        handler = {"referral": _referral, "absent": _absent, "late": _late,
                   "cancel": _cancel, "window": _window, "shift": _shift}[kind]  # fmt: skip
        return handler(b, form)
    except amend.AmendError as err:
        raise EventError(str(err)) from None


def propose(
    session: Session,
    day: Day,
    kind: str,
    form: Mapping[str, Any],
    now: datetime,
    user: User | None,
    ip: str = "",
) -> DayEvent:
    """Take an event at ``now`` and store it, queued for a worker to work out its proposals
    (nothing else changes; the caller commits, then hands ``event.id`` to the event runner).

    Everything that can be refused without solving is refused here, at once: ``EventError``
    for a form field, an unknown clinician or visit, ``InputError`` for an amended file a
    reader refuses (file, row, column)."""
    if kind not in KINDS:
        raise EventError(f"kind: unknown event {kind!r}: choose one of {', '.join(KINDS)}")
    b = basis(session, day, now)
    imp = latest_import(session, day) if kind == "replan" else None
    fields = {str(k): str(v) for k, v in form.items()
              if k not in ("csrf_token", "kind") and v is not None}  # fmt: skip
    taken = _take(session, b, kind, fields, imp.id if imp is not None else None)
    amended = taken.amended
    event = DayEvent(
        day_id=day.id, kind=kind, detail=taken.detail, at=to_stamp(now),
        base_version_id=b.version.id, state="queued", attempt=1,
        visits_csv=amended.visits_csv if amended else None,
        clinicians_csv=amended.clinicians_csv if amended else None,
        proposals=[], seconds=0.0, created_by_id=user.id if user else None,
        inputs={"form": fields, "reported": sorted(b.reported),
                "import_id": imp.id if imp is not None else None},
    )  # fmt: skip
    session.add(event)
    session.flush()
    audit.record(session, user, "live_event",
                 f"{day.date:%Y-%m-%d} {hm(now)}: event {event.id} {kind} queued", ip)  # fmt: skip
    return event


@dataclass(frozen=True)
class Answer:
    """An event's proposals as a worker worked them out, and what they add to its detail."""

    proposals: list[dict[str, Any]]
    detail: dict[str, Any]
    seconds: float


def work_out(session: Session, event: DayEvent) -> Callable[[], Answer]:
    """The work of answering a stored event: its basis rebuilt from what the request took
    (the published version it was taken against, its clock time, the visits then reported)
    and the event read again the same way, now; the re-plans (seconds of CPU: a worker's)
    when the returned function is called, which needs no session, so none is held open."""
    version = get_or_fail(session, RotaVersion, event.base_version_id)
    day = get_or_fail(session, Day, event.day_id)
    imp = get_or_fail(session, DayImport, version.import_id)
    inputs = event.inputs or {}
    b = Basis(day, version, imp, problem_for(imp), version_rota(version), from_stamp(event.at),
              frozenset(inputs.get("reported", ())))  # fmt: skip
    taken = _take(session, b, event.kind, inputs.get("form", {}), inputs.get("import_id"))

    def solve() -> Answer:
        t0 = time.monotonic()
        proposals, more = taken.solve()
        return Answer(proposals, {**taken.detail, **more}, round(time.monotonic() - t0, 3))

    return solve


def store_answer(session: Session, event: DayEvent, answer: Answer) -> None:
    """Put a worker's answer on the event: ready to be shown and accepted."""
    event.proposals = answer.proposals
    event.detail = answer.detail
    event.seconds = answer.seconds
    event.state = "ready"
    user = session.get(User, event.created_by_id) if event.created_by_id else None
    day = get_or_fail(session, Day, event.day_id)
    audit.record(session, user, "live_proposals",
                 f"{day.date:%Y-%m-%d}: event {event.id} {event.kind}, "
                 f"{len(answer.proposals)} proposal(s), {answer.seconds:.2f} s")  # fmt: skip


def answer(session: Session, event: DayEvent) -> DayEvent:
    """Work out and store an event's proposals in this session (tests, tools): what a
    worker does, without the queue."""
    store_answer(session, event, work_out(session, event)())
    session.flush()
    return event


def accept(
    session: Session,
    event: DayEvent,
    index: int,
    user: User | None,
    *,
    confirm: bool = False,
    ip: str = "",
) -> RotaVersion:
    """Make proposal ``index`` of ``event`` a draft from the published version it answered.

    Refused when the event was already answered, a newer version has been published since
    (the proposal would undo it: take the event again), or the proposal leaves out a
    priority-1 visit or breaks a rule and the coordinator has not confirmed it."""
    if event.state != "ready":
        raise EventError(f"event {event.id} has no proposals to accept: it is {event.state}"
                         + (f" ({event.error})" if event.error else ""))  # fmt: skip
    if event.accepted is not None:
        raise EventError(f"event {event.id} was answered already (draft {event.draft_version_id})")
    if event.purged_at is not None:
        raise EventError(f"event {event.id}'s files were minimised by retention: take the "
                         "event again")  # fmt: skip
    if not 0 <= index < len(event.proposals):
        raise EventError(f"proposal: there is no proposal {index + 1} for event {event.id}")
    day = get_or_fail(session, Day, event.day_id)
    published = latest_published(session, day)
    if published is None or published.id != event.base_version_id:
        raise EventError("a newer rota has been published since this event was taken: "
                         "take the event again")  # fmt: skip
    proposal = event.proposals[index]
    if proposal["needs_confirm"] and not confirm:
        raise EventError("this proposal " + _warning(proposal) + ": confirm to accept it")
    base_imp = get_or_fail(session, DayImport, published.import_id)
    imp = base_imp
    if event.visits_csv is not None or event.clinicians_csv is not None:
        visits = bytes(event.visits_csv) if event.visits_csv is not None else base_imp.visits_csv
        clinicians = (bytes(event.clinicians_csv) if event.clinicians_csv is not None
                      else base_imp.clinicians_csv)  # fmt: skip
        v, s = _read(Upload(base_imp.visits_name, visits),
                     Upload(base_imp.clinicians_name, clinicians))  # fmt: skip
        imp = DayImport(
            day_id=day.id, visits_name=base_imp.visits_name, visits_csv=visits,
            clinicians_name=base_imp.clinicians_name, clinicians_csv=clinicians,
            visits_count=len(v), clinicians_count=len(s),
            patients_count=len({x.patient_id for x in v}),
            created_by_id=user.id if user else None,
        )  # fmt: skip
        session.add(imp)
        session.flush()
    elif event.detail.get("import_id"):
        imp = get_or_fail(session, DayImport, event.detail["import_id"])
    note = f"{LABELS[event.kind]} at {hm(from_stamp(event.at))}: {proposal['title']}"
    draft = save_draft(session, imp, rota_from_json(proposal["rota"]), user,
                       parent=published, note=note)  # fmt: skip
    event.accepted = index
    event.draft_version_id = draft.id
    audit.record(session, user, "live_accept",
                 f"{day.date:%Y-%m-%d}: event {event.id} proposal {index + 1} → draft {draft.id}"
                 + (f" (confirmed: {_warning(proposal)})" if proposal["needs_confirm"] else ""),
                 ip)  # fmt: skip
    return draft


def _warning(proposal: dict[str, Any]) -> str:
    """What the coordinator must confirm, in words."""
    parts = []
    left = proposal.get("priority1_left_out") or []
    if left:
        parts.append(f"leaves out {len(left)} priority-1 visit(s): "
                     + "; ".join(f"{x['visit_id']} ({x['reason']})" for x in left[:5]))  # fmt: skip
    if proposal.get("violations"):
        parts.append(f"breaks {len(proposal['violations'])} rule(s) and cannot be published "
                     "until they are fixed")  # fmt: skip
    return " and ".join(parts)


warning = _warning


def events_of(session: Session, day: Day) -> list[DayEvent]:
    return list(
        session.scalars(select(DayEvent).where(DayEvent.day_id == day.id).order_by(DayEvent.id))
    )


def input_issues(err: InputError) -> list[dict[str, Any]]:
    """An amended file's reader issues as JSON (file, row, column, why)."""
    return [{"file": i.file, "row": i.row, "column": i.column, "message": i.message}
            for i in err.issues]  # fmt: skip

"""Rota versions: storing a solved rota as JSON, publishing it, and the views people read.

Publishing is the one gate between a solver's answer and nurses' phones, so it trusts
nothing stored: the rota is read back, the day is re-built from its import, and
``scheduler.domain.check.check`` must find no violation; otherwise nothing is published and the
refusal is audited. Published versions are numbered 1, 2, … per day; the highest is the one
nurses see.

No lost updates: a draft is published only on top of the version it was made from
(``made_from``: its nearest published ancestor by ``parent_id``, which every edit,
re-optimisation and live-day event records; no column of its own). One made from an older
published version would undo the newer one, and is refused (``PublishConflict``, "stale":
rebase it, ``web.services.rebase``); one generated afresh while a version is published
replaces it entirely, and is published only when the coordinator confirms replacing that
very number ("fresh"). The decision and the number are taken under the day's lock
(``lock_day``), so two publications of a day are one after the other; a version already
published answers with its number and writes nothing (publishing twice is one publication).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, object_session

from scheduler.domain.check import CheckReport, check
from scheduler.domain.diff import DiffSummary, diff_rotas
from scheduler.domain.localtime import hm, parse_contract, stamp
from scheduler.domain.model import Reason, Rota, Route, Shift, Stop, Unassigned, Visit, flag_words
from web.db import get_or_fail
from web.models import Day, DayImport, RotaVersion, User, utcnow
from web.services import audit
from web.services.days import latest_import, problem_for
from web.services.memo import ProcessCache

# --- JSON ------------------------------------------------------------------------------------


def time_to_json(moment: datetime) -> str:
    """A stored time: local date-time with its offset, ``2026-11-23T09:30:00+00:00`` (it reads
    as the wall-clock time people see, and stays one moment on a clock-change night)."""
    return stamp(moment)


def time_from_json(value: str) -> datetime:
    """A stored time as an aware UTC moment: with its offset (what ``time_to_json`` writes),
    or naive local time as versions stored before offsets were kept hold it (the first of a
    repeated hour, as those versions could not tell the two apart)."""
    return parse_contract(value, lenient=True)


def rota_to_json(rota: Rota) -> dict[str, Any]:
    """A rota as plain JSON (times as local ISO date-times with their offset)."""
    return {
        "routes": [
            {
                "clinician_id": r.clinician_id,
                "stops": [
                    {
                        "kind": s.kind,
                        "visit_id": s.visit_id,
                        "arrive": time_to_json(s.arrive),
                        "start": time_to_json(s.start),
                        "end": time_to_json(s.end),
                        "travel_min": s.travel_min,
                    }
                    for s in r.stops
                ],
            }
            for r in rota.routes
        ],
        "unassigned": [
            {"visit_id": u.visit_id, "reason": u.reason, "code": u.code.value}
            for u in rota.unassigned
        ],
    }


_ROTAS: ProcessCache[Rota] = ProcessCache(32)


def rota_key(version: RotaVersion) -> tuple:
    """What identifies a stored version's rota across databases: the database, the row and
    its creation stamp (ids alone repeat between databases, and between tests)."""
    session = object_session(version)
    bind = session.get_bind() if session is not None else None
    where = str(bind.engine.url) if bind is not None else ""
    return (where, version.id, version.created_at)


def version_rota(version: RotaVersion) -> Rota:
    """The rota of a stored version, read once per process: a version's rota never changes
    once saved (an edit is a new version), and rebuilding the sample day's took ~15 ms, three
    times for each board. Keyed by the database, the row and its creation stamp, never the
    id alone (two databases, or one test after another, reuse ids)."""
    if version.id is None:  # not flushed yet: nothing to key it by
        return rota_from_json(version.rota)
    return _ROTAS.get_or_make(rota_key(version), lambda: rota_from_json(version.rota))


def rota_from_json(data: dict[str, Any]) -> Rota:
    """The inverse of ``rota_to_json`` (and of its older, naive local form); model
    invariants re-checked on construction."""
    t = time_from_json

    routes = tuple(
        Route(
            r["clinician_id"],
            tuple(
                Stop(
                    s["kind"],
                    s.get("visit_id"),
                    t(s["arrive"]),
                    t(s["start"]),
                    t(s["end"]),
                    int(s["travel_min"]),
                )
                for s in r["stops"]
            ),
        )
        for r in data.get("routes", [])
    )
    unassigned = []
    for u in data.get("unassigned", []):
        try:
            code = Reason(u.get("code") or Reason.OTHER.value)
        except ValueError:
            code = Reason.OTHER
        unassigned.append(Unassigned(u["visit_id"], u.get("reason", ""), code))
    return Rota(routes, tuple(unassigned))


def report_json(report: CheckReport) -> tuple[dict, list]:
    kpis = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in report.kpis.items()}
    violations = [
        {"rule": v.rule, "message": v.message, "clinician_id": v.clinician_id,
         "visit_id": v.visit_id}
        for v in report.violations
    ]  # fmt: skip
    return kpis, violations


# --- versions --------------------------------------------------------------------------------


def save_draft(
    session: Session,
    imp: DayImport,
    rota: Rota,
    user: User | None = None,
    *,
    parent: RotaVersion | None = None,
    note: str = "",
    locks: list[dict[str, str]] | None = None,
) -> RotaVersion:
    """Store a rota as a draft of the import's day, with what the checker says about it.

    ``parent`` is the version it was made from (an edit, a re-optimisation), ``note`` says
    how, and ``locks`` (visit id, clinician id) are kept in the rota's JSON so that later
    versions and re-optimisations carry them on."""
    kpis, violations = report_json(check(problem_for(imp), rota))
    data = rota_to_json(rota)
    if locks:
        data["locks"] = locks
    version = RotaVersion(
        day_id=imp.day_id,
        import_id=imp.id,
        status="draft",
        rota=data,
        kpis=kpis,
        violations=violations,
        created_by_id=user.id if user else None,
        parent_id=parent.id if parent is not None else None,
        note=note,
    )
    session.add(version)
    session.flush()
    return version


class PublishRefused(Exception):
    """Publishing was refused; ``reasons`` are sentences for the coordinator."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class PublishConflict(PublishRefused):
    """Refused because another version has been published that this draft was not made from.

    ``kind`` is ``"stale"`` (made from published ``made_from``, but ``latest`` has been
    published since: publishing would undo it; rebase it) or ``"fresh"`` (made afresh, from
    no published version: publishing replaces ``latest`` entirely, and needs ``confirm_replace
    = latest.number``)."""

    def __init__(self, kind: str, version: RotaVersion, made_from: RotaVersion | None,
                 latest: RotaVersion, reason: str):  # fmt: skip
        super().__init__([reason])
        self.kind = kind
        self.version_id = version.id
        self.made_from = made_from
        self.latest = latest


@dataclass(frozen=True)
class Published:
    """A publication's answer: the number, whether it was published already (the same draft
    published twice is one publication), and the published number it replaced entirely, if
    it was made afresh and the coordinator confirmed that."""

    number: int
    already: bool = False
    replaced: int | None = None


def _refuse(
    session: Session, user: User | None, day: Day, version: RotaVersion, reasons: list[str], ip: str
) -> None:
    """Audit a refused publication (the caller raises)."""
    audit.record(
        session,
        user,
        "publish_refused",
        f"{day.date:%Y-%m-%d}: version {version.id}: {len(reasons)} reason(s): "
        + "; ".join(reasons[:5]),
        ip,
    )


def made_from(session: Session, version: RotaVersion) -> RotaVersion | None:
    """The published version a version was made from: its nearest published ancestor by
    ``parent_id`` (an edit's parent, a re-optimisation's base, a live-day event's published
    version), read afresh from the database. None for a rota generated afresh (and for one
    whose ancestry leaves its day). A draft whose parent was published after the draft was
    made is made from that publication: it holds everything the parent had."""
    seen = {version.id}
    parent_id = version.parent_id
    while parent_id is not None and parent_id not in seen:
        seen.add(parent_id)
        parent = session.get(RotaVersion, parent_id, populate_existing=True)
        if parent is None or parent.day_id != version.day_id:
            return None
        if parent.status == "published":
            return parent
        parent_id = parent.parent_id
    return None


def lock_day(session: Session, day_id: int) -> None:
    """Take the day's publishing lock for the rest of the session's transaction.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the day's row (a second publisher of the same day
    waits until the first commits; other days are not held up). SQLite has no row locks:
    ``BEGIN IMMEDIATE`` takes the database's write lock now (waiting, up to the busy timeout,
    for a writer that has it), so nothing read after it can change before the commit; a
    transaction that has already written holds that lock already. Either way what is read
    next is the latest committed state."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # already writing, so already holding the lock; make sure of it
            connection.execute(update(Day).where(Day.id == day_id).values(id=Day.id))
        return
    session.execute(select(Day.id).where(Day.id == day_id).with_for_update())


def publish(
    session: Session,
    version: RotaVersion,
    user: User | None,
    ip: str = "",
    *,
    confirm_replace: int | None = None,
) -> int:
    """``publish_version``'s number (the common case, and the tests')."""
    return publish_version(session, version, user, ip, confirm_replace=confirm_replace).number


def publish_version(
    session: Session,
    version: RotaVersion,
    user: User | None,
    ip: str = "",
    *,
    confirm_replace: int | None = None,
) -> Published:
    """Publish a draft as the day's next numbered version.

    Refused (``PublishRefused``, audited, nothing changed) when the version was made from an
    import that has since been replaced, or breaks any rule of the checker when re-checked
    now; ``PublishConflict`` when it was not made from the day's latest published version
    (it would undo it: a lost update), unless it was made afresh and ``confirm_replace`` is
    the number it knowingly replaces. A stale draft is refused as such before anything else:
    rebasing it also carries it onto newer files and re-checks it. A version already
    published answers with its number (``already``), nothing written.

    The re-check runs first (it reads only the version and its import); the decision and the
    number are then taken under the day's lock (``lock_day``), held until the caller commits,
    so two publications of a day are one after the other: the second sees the first.
    """
    session.flush()  # nothing the caller changed is lost when the version is re-read
    day = get_or_fail(session, Day, version.day_id)
    if version.status == "published" and version.number is not None:
        return Published(version.number, already=True)
    imp = get_or_fail(session, DayImport, version.import_id)
    rota = version_rota(version)
    report = check(problem_for(imp), rota)

    lock_day(session, day.id)
    session.refresh(version)
    if version.status == "published" and version.number is not None:
        return Published(version.number, already=True)
    latest = session.scalar(  # as committed now, not as this session may have read it before
        select(RotaVersion)
        .where(RotaVersion.day_id == day.id, RotaVersion.status == "published")
        .order_by(RotaVersion.number.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    base = made_from(session, version)
    conflict = None
    if latest is not None and (base is None or base.id != latest.id):
        changed = diff_rotas(version_rota(latest), rota).summary
        conflict = _conflict(version, base, latest, confirm_replace, changed)
    if conflict is not None and conflict.kind == "stale":  # first: a rebase also fixes the rest
        _refuse(session, user, day, version, conflict.reasons, ip)
        raise conflict
    reasons: list[str] = []
    current = latest_import(session, day)
    if current is None or current.id != version.import_id:
        reasons.append("the day's files were imported again after this rota was made; "
                       "generate a new rota")  # fmt: skip
    reasons.extend(str(v) for v in report.violations)
    if reasons:
        _refuse(session, user, day, version, reasons, ip)
        raise PublishRefused(reasons)
    if conflict is not None:
        _refuse(session, user, day, version, conflict.reasons, ip)
        raise conflict
    replaced = latest.number if latest is not None and base is None else None
    number = (
        session.scalar(
            select(func.max(RotaVersion.number)).where(RotaVersion.day_id == version.day_id)
        )
        or 0
    ) + 1
    version.kpis, version.violations = report_json(report)
    version.status = "published"
    version.number = number
    version.published_by_id = user.id if user else None
    version.published_at = utcnow()
    how = (
        f", replacing published {replaced} entirely (confirmed)"
        if replaced is not None
        else (f", made from published {base.number}" if base is not None else "")
    )
    audit.record(
        session,
        user,
        "publish",
        f"{day.date:%Y-%m-%d}: version {version.id} published as number {number} "
        f"({version.kpis.get('visits_assigned')}/{version.kpis.get('visits_total')} visits)" + how,
        ip,
    )
    return Published(number, replaced=replaced)


def _conflict(
    version: RotaVersion,
    base: RotaVersion | None,
    latest: RotaVersion,
    confirm_replace: int | None,
    changed: DiffSummary,
) -> PublishConflict | None:
    """Why ``version`` may not go on top of ``latest`` (None: a fresh rota, confirmed)."""
    if base is not None:
        return PublishConflict(
            "stale", version, base, latest,
            f"version {version.id} was made from published version {base.number}, but version "
            f"{latest.number} has been published since: publishing it would undo what version "
            f"{latest.number} changed; rebase it onto version {latest.number}",
        )  # fmt: skip
    if confirm_replace == latest.number:
        return None
    return PublishConflict(
        "fresh", version, None, latest,
        f"version {version.id} was made afresh, not from published version {latest.number}: "
        f"publishing it replaces published version {latest.number} entirely: "
        f"{changed.changed} visits change for {changed.clinicians_affected} clinicians; "
        "confirm to replace it",
    )  # fmt: skip


def versions(session: Session, day: Day) -> list[RotaVersion]:
    return list(
        session.scalars(
            select(RotaVersion).where(RotaVersion.day_id == day.id).order_by(RotaVersion.id.desc())
        )
    )


def latest_published(session: Session, day: Day) -> RotaVersion | None:
    return session.scalar(
        select(RotaVersion)
        .where(RotaVersion.day_id == day.id, RotaVersion.status == "published")
        .order_by(RotaVersion.number.desc())
        .limit(1)
    )


# --- what people read ------------------------------------------------------------------------


def colour(i: int) -> str:
    """Distinct colours for many clinicians: hues spaced by the golden angle."""
    return f"hsl({(i * 137.508) % 360:.0f}, 70%, 38%)"


def _visit_view(v: Visit) -> dict[str, Any]:
    return {
        "visit_id": v.visit_id,
        "patient_id": v.patient_id,
        "lat": v.location.lat,
        "lon": v.location.lon,
        "window": v.window.label(),
        "duration_min": v.duration_min,
        "skills": ";".join(sorted(v.skills)),
        "staff": v.staff,
        "priority": v.priority,
        "visit_type": v.visit_type,
        "address": v.address,
        # What the nurse must know before she knocks: plain text from the day's files (the
        # templates escape it) and the risk flags in words.
        "access_notes": v.access_notes,
        "risks": flag_words(v.risk_flags),
    }


def _place_label(what: str, address: str) -> str:
    """A map label: the visit and, when the file gives one, its address. Plain text from the
    day's files, which ``static/map.js`` sets as text, never as HTML."""
    return f"{what} · {address}" if address else what


def _pct(moment: datetime, t0: datetime, span_min: float) -> float:
    return round(100.0 * (moment - t0).total_seconds() / 60.0 / span_min, 2)


def route_view(
    route: Route,
    shift: Shift,
    visits: dict[str, Visit],
    statuses: dict[tuple[str, str], dict],
    partners: dict[str, list[str]],
    locks: set[tuple[str, str]] | frozenset = frozenset(),
) -> list[dict[str, Any]]:
    """The stops of one route with everything a nurse or coordinator reads about them."""
    out = []
    seq = 0
    for s in route.stops:
        row: dict[str, Any] = {
            "kind": s.kind,
            "arrive": hm(s.arrive),
            "start": hm(s.start),
            "end": hm(s.end),
            "travel_min": s.travel_min,
        }
        if s.visit_id is not None:  # a visit (a break names no visit)
            seq += 1
            v = visits[s.visit_id]
            row.update(_visit_view(v))
            row["seq"] = seq
            row["with"] = [c for c in partners.get(s.visit_id, []) if c != shift.clinician_id]
            row["status"] = statuses.get((s.visit_id, shift.clinician_id))
            row["locked"] = (s.visit_id, shift.clinician_id) in locks
        out.append(row)
    return out


def board(
    visits_in: tuple[Visit, ...],
    shifts_in: tuple[Shift, ...],
    rota: Rota,
    statuses: dict[tuple[str, str], dict] | None = None,
    locks: set[tuple[str, str]] | None = None,
    only: str | None = None,
) -> dict[str, Any]:
    """Everything the day board and the nurse page draw: routes, map lines, timeline bars,
    and (on the board) the clinicians on shift with no visits: capacity a coordinator can use.

    Timeline positions are percentages of the span from the earliest to the latest shift
    shown, so the page needs no script (and no inline style) to lay them out. ``only`` builds
    one clinician's route (a nurse's page) instead of the whole day's.
    """
    statuses = statuses or {}
    visits = {v.visit_id: v for v in visits_in}
    shifts = {s.clinician_id: s for s in shifts_in}
    partners: dict[str, list[str]] = {}
    for r in rota.routes:
        for vid in r.visit_ids:
            partners.setdefault(vid, []).append(r.clinician_id)
    routes = sorted(
        (r for r in rota.routes if r.clinician_id in shifts and only in (None, r.clinician_id)),
        key=lambda r: (shifts[r.clinician_id].start, r.clinician_id),
    )
    if routes:
        t0 = min(shifts[r.clinician_id].start for r in routes)
        t1 = max(shifts[r.clinician_id].end for r in routes)
    else:
        t0 = t1 = datetime(2000, 1, 1, tzinfo=UTC)
    span = max(1.0, (t1 - t0).total_seconds() / 60.0)
    rows, lines = [], []
    for i, r in enumerate(routes):
        sh = shifts[r.clinician_id]
        col = colour(i)
        stops = route_view(r, sh, visits, statuses, partners, locks or frozenset())
        bars = [
            {
                "kind": "shift",
                "x": _pct(sh.start, t0, span),
                "w": round(_pct(sh.end, t0, span) - _pct(sh.start, t0, span), 2),
                "label": sh.label(),
            }
        ]
        for s in r.stops:
            x0, x1 = _pct(s.start, t0, span), _pct(s.end, t0, span)
            if s.kind == "visit" and s.travel_min:
                tx = _pct(s.arrive, t0, span) - 100.0 * s.travel_min / span
                bars.append(
                    {
                        "kind": "travel",
                        "x": round(tx, 2),
                        "w": round(100.0 * s.travel_min / span, 2),
                        "label": f"drive {s.travel_min} min",
                    }
                )
            st = statuses.get((s.visit_id, r.clinician_id)) if s.visit_id else None
            bars.append({
                "kind": s.kind if st is None else f"{s.kind} {st['status']}",
                "x": x0, "w": round(max(x1 - x0, 0.15), 2),
                "label": f"{hm(s.start)}–{hm(s.end)} "
                         + (s.visit_id if s.visit_id else "break"),
            })  # fmt: skip
        points = [[sh.start_location.lat, sh.start_location.lon]]
        points += [[visits[v].location.lat, visits[v].location.lon] for v in r.visit_ids]
        points.append([sh.end_location.lat, sh.end_location.lon])
        n_visits = len(r.visit_ids)
        rows.append(
            {
                "clinician_id": r.clinician_id,
                "name": sh.name,
                "role": sh.role,
                "skills": ";".join(sorted(sh.skills)),
                "shift": sh.label(),
                "colour": col,
                "visits": n_visits,
                "travel_min": sum(s.travel_min for s in r.stops),
                "stops": stops,
                "bars": bars,
            }
        )
        lines.append(
            {
                "clinician_id": r.clinician_id,
                "name": sh.name,
                "colour": col,
                "points": points,
                "stops": [
                    [
                        visits[v].location.lat,
                        visits[v].location.lon,
                        _place_label(f"{k}. {v}", visits[v].address),
                    ]
                    for k, v in enumerate(r.visit_ids, start=1)
                ],
            }
        )
    unassigned = []
    for u in rota.unassigned:
        v = visits.get(u.visit_id)
        row = {"visit_id": u.visit_id, "reason": u.reason, "code": u.code.value}
        if v is not None:
            row.update(_visit_view(v))
        unassigned.append(row)
    hours = []
    if routes:
        # Every two hours of real time from the hour before the first shift; labelled by the
        # local clock (which repeats or skips an hour on a clock-change night).
        h = t0.replace(minute=0, second=0, microsecond=0)
        while h <= t1:
            if h >= t0:
                hours.append({"x": _pct(h, t0, span), "label": hm(h)[:2]})
            h += timedelta(hours=2)
    used = {r.clinician_id for r in rota.routes if r.visit_ids}
    idle = [
        {"clinician_id": s.clinician_id, "name": s.name, "role": s.role,
         "skills": ";".join(sorted(s.skills)), "shift": s.label()}
        for s in sorted(shifts_in, key=lambda s: (s.start, s.clinician_id))
        if s.clinician_id not in used and only is None
    ]  # fmt: skip
    return {
        "routes": rows,
        "unassigned": unassigned,
        "idle": idle,
        "hours": hours,
        "map": {
            "routes": lines,
            "unassigned": [
                [u["lat"], u["lon"], _place_label(u["visit_id"], u["address"])]
                for u in unassigned
                if "lat" in u
            ],
        },
    }

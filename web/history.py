"""A day's rota versions, what changed between two of them, and the audit log, for coordinators.

- ``/coordinator/day/<date>/history``: every version of the day (draft or published, who made
  it and when, what the checker said, what it was made from) with a link to its diff.
- ``/coordinator/day/<date>/diff?from=ID&to=ID``: who gets which changed visits, clinician by
  clinician, then visit by visit (``web.services.diffs``). ``to`` defaults to the day's
  newest version, ``from`` to the version ``to`` was made from, else the latest published
  one before it.
- ``/coordinator/audit``: the audit log (who, when, what), filtered by day and action, paged.

Reading these pages is not audited (nothing changes). They show visit and patient ids, which
are pseudonyms, and clinicians' names, never addresses or care details.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import ceil
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from web.db import get_or_fail
from web.errors import valid_id
from web.models import AuditLog, Day, DayImport, RotaVersion, User
from web.reads import reads_patient_data
from web.security import db_session, roles
from web.services.days import day_inputs, get_day
from web.services.diffs import diff_rotas, newest_version, previous_version, shift_words
from web.services.rotas import version_rota, versions
from web.views import parse_day

bp = Blueprint("history", __name__, url_prefix="/coordinator")

AUDIT_PAGE_SIZE = 100
FILTER_MAX = 40


def _day_or_404(date: str) -> tuple[Session, Day]:
    s = db_session()
    d = get_day(s, parse_day(date))
    if d is None:
        abort(404)
    return s, d


def _usernames(s: Session, ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(s.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def _version_of_day(s: Session, day: Day, raw: str | None) -> RotaVersion | None:
    """The version named by a query parameter, which must be of this day (else 404)."""
    if raw is None or raw == "":
        return None
    vid = valid_id(raw)
    if vid is None:
        abort(404)
    v = s.get(RotaVersion, vid)
    if v is None or v.day_id != day.id:
        abort(404)
    return v


def _diff_url(date: str, old: RotaVersion | None, new: RotaVersion) -> str:
    args: dict[str, Any] = {"to": new.id}  # Any: url_for types _external etc. narrowly
    if old is not None:
        args["from"] = old.id
    return url_for("history.diff", date=date, **args)


@bp.route("/day/<date>/history")
@roles("coordinator")
@reads_patient_data
def day_history(date: str):
    s, d = _day_or_404(date)
    rows = []
    all_versions = versions(s, d)
    people = _usernames(
        s, [v.created_by_id for v in all_versions] + [v.published_by_id for v in all_versions]
    )
    ids = {v.id for v in all_versions}

    def name(uid: int | None) -> str:
        return people.get(uid, "") if uid is not None else ""

    for v in all_versions:
        prev = previous_version(s, v)
        rows.append(
            {
                "v": v,
                "previous": prev,
                "parent_here": v.parent_id in ids,
                "created_by": name(v.created_by_id),
                "published_by": name(v.published_by_id),
                "diff_url": _diff_url(date, prev, v) if prev is not None else None,
            }
        )
    return render_template("history/day.html", day=d, date_s=date, rows=rows)


@bp.route("/day/<date>/diff")
@roles("coordinator")
@reads_patient_data
def diff(date: str):
    s, d = _day_or_404(date)
    new = _version_of_day(s, d, request.args.get("to"))
    old = _version_of_day(s, d, request.args.get("from"))
    if new is None:
        new = newest_version(s, d.id)
    if old is None and new is not None:
        old = previous_version(s, new)
    message = None
    result = None
    names: dict[str, str] = {}
    if new is None:
        message = "No rota has been made for this day yet: there is nothing to compare."
    elif old is None:
        message = (
            f"Version {new.id} is the first of this day (it was made from no earlier version "
            "and nothing was published before it): there is nothing to compare it with. "
            "Choose two versions below."
        )
    else:
        old_imp = get_or_fail(s, DayImport, old.import_id)
        new_imp = get_or_fail(s, DayImport, new.import_id)
        old_visits, old_shifts = day_inputs(old_imp)
        new_visits, new_shifts = day_inputs(new_imp)
        visits = {v.visit_id: v for v in old_visits} | {v.visit_id: v for v in new_visits}
        names = {sh.clinician_id: sh.name for sh in (*old_shifts, *new_shifts)}
        result = diff_rotas(version_rota(old), version_rota(new), visits)
    return render_template(
        "history/diff.html",
        day=d,
        date_s=date,
        old=old,
        new=new,
        diff=result,
        names=names,
        message=message,
        choices=versions(s, d),
        shift_words=shift_words,
    )


def _audit_filters() -> tuple[str, str]:
    day = request.args.get("day", "").strip()[:FILTER_MAX]
    action = request.args.get("action", "").strip()[:64]
    return day, action


@bp.route("/audit")
@roles("coordinator")
def audit():
    s = db_session()
    day, action = _audit_filters()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    where = []
    if day:
        where.append(AuditLog.detail.icontains(day, autoescape=True))
    if action:
        where.append(AuditLog.action == action)
    total = s.scalar(select(func.count(AuditLog.id)).where(*where)) or 0
    pages = max(ceil(total / AUDIT_PAGE_SIZE), 1)
    page = min(page, pages)
    entries = list(
        s.scalars(
            select(AuditLog)
            .where(*where)
            .order_by(AuditLog.id.desc())
            .offset((page - 1) * AUDIT_PAGE_SIZE)
            .limit(AUDIT_PAGE_SIZE)
        )
    )
    actions = list(s.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))

    def page_url(n: int) -> str:
        args: dict[str, Any] = {k: v for k, v in (("day", day), ("action", action)) if v}
        return url_for("history.audit", page=n, **args)

    return render_template(
        "history/audit.html",
        entries=entries,
        day=day,
        action=action,
        actions=actions,
        total=total,
        page=page,
        pages=pages,
        first=(page - 1) * AUDIT_PAGE_SIZE + 1 if total else 0,
        last=(page - 1) * AUDIT_PAGE_SIZE + len(entries),
        newer_url=page_url(page - 1) if page > 1 else None,
        older_url=page_url(page + 1) if page < pages else None,
    )

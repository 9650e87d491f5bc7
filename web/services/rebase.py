"""A draft that was overtaken: what the newer publication changed, and re-applying the draft
onto it (no Flask).

``rotas.publish_version`` refuses a draft that was not made from the day's latest published
version (``PublishConflict``). This module says what the coordinator needs to decide:

- a **stale** draft (made from published *b*, while *n* has been published since):
  what *n* changed against *b* (``diff_rotas``), which publishing the draft would undo, and
  whether the draft's own changes can be **rebased**: re-applied onto *n* by
  ``scheduler.domain.rebase`` (visit by visit, three-way against *b*), with the result
  judged by the independent checker; each conflict in words where they cannot;
- a **fresh** draft (generated afresh while *n* is published): that it replaces *n*
  entirely, how many visits change, and the number to confirm replacing.

``rebase_draft`` stores the re-applied rota as a new draft whose parent is *n* (so it is
made from the latest and can be published), its locks merged the same way; audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from scheduler.domain.check import check
from scheduler.domain.diff import diff_rotas
from scheduler.domain.model import Rota
from scheduler.domain.rebase import Rebase, rebase
from web.db import get_or_fail
from web.models import Day, DayImport, RotaVersion, User
from web.services import audit
from web.services.days import day_inputs, latest_import, problem_for
from web.services.diffs import diff_json
from web.services.edits import locks_of
from web.services.rotas import latest_published, made_from, save_draft, version_rota


class RebaseError(ValueError):
    """A draft that cannot be rebased; ``conflicts`` say why, one sentence each."""

    def __init__(self, conflicts: list[str]):
        super().__init__("; ".join(conflicts))
        self.conflicts = conflicts


@dataclass(frozen=True)
class Plan:
    """A stale draft's rebase worked out, not stored: ``merge.rota`` is the draft's changes on
    ``latest`` (None with ``conflicts``); ``locks`` the merged locks."""

    version: RotaVersion
    base: RotaVersion
    latest: RotaVersion
    imp: DayImport | None
    merge: Rebase
    locks: list[dict[str, str]]
    conflicts: tuple[str, ...]


def _ref(v: RotaVersion | None) -> dict[str, Any] | None:
    return None if v is None else {"id": v.id, "number": v.number}


def _stamp(v: RotaVersion) -> str | None:
    return v.published_at.isoformat(timespec="seconds") + "Z" if v.published_at else None


def _visits(session: Session, *versions: RotaVersion) -> dict:
    out: dict = {}
    for v in versions:
        out |= {x.visit_id: x for x in day_inputs(get_or_fail(session, DayImport, v.import_id))[0]}
    return out


def _lock_keys(version: RotaVersion) -> set[tuple[str, str]]:
    return {(x["visit_id"], x["clinician_id"]) for x in locks_of(version)}


def _merged_locks(
    base: RotaVersion, ours: RotaVersion, latest: RotaVersion, rota: Rota
) -> list[dict[str, str]]:
    """The latest's locks with the draft's lock changes (added, removed) re-applied; a lock
    of a visit no longer with that clinician is dropped."""
    b, o, n = _lock_keys(base), _lock_keys(ours), _lock_keys(latest)
    merged = (n - (b - o)) | (o - b)
    on = {(v, r.clinician_id) for r in rota.routes for v in r.visit_ids}
    return [{"visit_id": v, "clinician_id": c} for v, c in sorted(merged & on)]


def plan(session: Session, version: RotaVersion) -> Plan:
    """What rebasing ``version`` onto the day's latest published version would make.

    Raises ``RebaseError`` when there is nothing to rebase: the draft is published, made
    afresh, or already made from the latest."""
    day = get_or_fail(session, Day, version.day_id)
    latest = latest_published(session, day)
    base = made_from(session, version)
    if version.status != "draft":
        raise RebaseError(
            [
                f"version {version.id} is published (number {version.number}): "
                "only a draft is rebased"
            ]
        )
    if latest is None or (base is not None and base.id == latest.id):
        raise RebaseError(
            [f"version {version.id} is made from the latest published version already: publish it"]
        )
    if base is None:
        raise RebaseError(
            [
                f"version {version.id} was made afresh, from no published version: there are no "
                f"changes to re-apply onto version {latest.number}; publish it replacing that "
                "version, or make your changes on it"
            ]
        )
    imp = latest_import(session, day)
    name = f"published version {latest.number}"
    if imp is None or imp.id != latest.import_id:
        conflict = (
            f"the day's files were imported again after {name}: re-plan from the "
            "published rota (Live day) instead"
        )
        return Plan(version, base, latest, None, Rebase(None, (), (conflict,)), [], (conflict,))
    problem = problem_for(imp)
    merge = rebase(
        problem,
        version_rota(base),
        version_rota(version),
        version_rota(latest),
        name,
    )
    conflicts = list(merge.conflicts)
    locks: list[dict[str, str]] = []
    if merge.rota is not None:
        if not merge.applied:
            conflicts.append(
                f"nothing to re-apply: {name} already has every change this draft makes"
            )
        else:
            conflicts += [
                f"re-applied on {name}, this draft's changes break a rule: {v}"
                for v in check(problem, merge.rota).violations
            ]
        locks = _merged_locks(base, version, latest, merge.rota)
    return Plan(version, base, latest, imp, merge, locks, tuple(conflicts))


def rebase_draft(
    session: Session, version: RotaVersion, user: User | None, ip: str = ""
) -> tuple[RotaVersion, Plan]:
    """Store ``version``'s changes re-applied onto the latest published version as a new
    draft made from it; ``RebaseError`` (nothing stored) when they cannot be."""
    p = plan(session, version)
    if p.conflicts or p.merge.rota is None or p.imp is None:
        raise RebaseError(list(p.conflicts))
    more = len(p.merge.applied) - 5
    note = (
        f"draft {version.id} re-applied on published version {p.latest.number}: "
        + "; ".join(p.merge.applied[:5])
        + (f" and {more} more" if more > 0 else "")
    )
    draft = save_draft(
        session, p.imp, p.merge.rota, user, parent=p.latest, note=note, locks=p.locks
    )
    day = get_or_fail(session, Day, version.day_id)
    audit.record(
        session,
        user,
        "rebase",
        f"{day.date:%Y-%m-%d}: draft {version.id} (made from published "
        f"{p.base.number}) re-applied on published {p.latest.number} → draft "
        f"{draft.id}: {len(p.merge.applied)} change(s)",
        ip,
    )
    return draft, p


def describe(session: Session, version: RotaVersion) -> dict[str, Any] | None:
    """Why ``version`` cannot be published on top of the day's latest published version, as
    JSON the page and the API show; None when it can (made from the latest, or nothing is
    published)."""
    day = get_or_fail(session, Day, version.day_id)
    latest = latest_published(session, day)
    base = made_from(session, version)
    if version.status != "draft" or latest is None or (base is not None and base.id == latest.id):
        return None
    out: dict[str, Any] = {
        "kind": "stale" if base is not None else "fresh",
        "draft": version.id,
        "made_from": _ref(base),
        "latest": {
            "id": latest.id,
            "number": latest.number,
            "published_at": _stamp(latest),
            "note": latest.note,
        },
        "latest_changes": None,
        "rebase": None,
        "visits_changed": None,
        "clinicians_affected": None,
        "confirm_replace": None,
    }
    if base is not None:
        visits = _visits(session, base, latest)
        out["latest_changes"] = diff_json(
            diff_rotas(version_rota(base), version_rota(latest), visits)
        )
        p = plan(session, version)
        out["rebase"] = {
            "possible": not p.conflicts,
            "applied": list(p.merge.applied),
            "conflicts": list(p.conflicts),
        }
        out["message"] = (
            f"Version {version.id} was made from published version {base.number}, "
            f"but version {latest.number} has been published since: publishing "
            f"it would undo what version {latest.number} changed."
        )
    else:
        d = diff_rotas(
            version_rota(latest),
            version_rota(version),
            _visits(session, latest, version),
        )
        out |= {
            "visits_changed": d.summary.changed,
            "clinicians_affected": d.summary.clinicians_affected,
            "confirm_replace": latest.number,
        }
        out["message"] = (
            f"Version {version.id} was generated afresh, not made from published "
            f"version {latest.number}: publishing it replaces published version "
            f"{latest.number} entirely, and {d.summary.changed} visits change "
            f"for {d.summary.clinicians_affected} clinicians."
        )
    return out

"""A coordinator's hand changes to a rota: move, swap, unassign, lock; each judged by the checker.

An edit never goes to the solver: the routes it touches are re-timed by
``scheduler.domain.retime`` and the whole rota is run through ``scheduler.domain.check``.
The answer is a ``Preview``: the changed rota and the violations it has that the rota it
came from did not have. The view shows those before anything is stored; the coordinator
accepts (a new draft, whose parent is the version she edited) or walks away. A change with
new violations can still be kept as a draft to work on, but, like any rota with violations,
it cannot be published.

Locks (pins) are kept in the rota's JSON (``"locks": [{"visit_id", "clinician_id"}]``),
so they travel with every version made from it; a re-optimisation keeps each locked visit
with its clinician.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

from sqlalchemy.orm import Session

from scheduler.domain.check import check
from scheduler.domain.model import Problem, Reason, Rota, Unassigned
from scheduler.domain.retime import best_position, retime
from web.db import get_or_fail
from web.models import DayImport, RotaVersion, User
from web.services import audit
from web.services.days import problem_for
from web.services.rotas import report_json, save_draft, version_rota

Op = Literal["move", "swap", "unassign", "lock", "unlock"]
OPS: tuple[str, ...] = ("move", "swap", "unassign", "lock", "unlock")


def _is_op(text: str) -> TypeGuard[Op]:
    return text in OPS


class EditError(ValueError):
    """An edit that names something that is not there; the message says what."""


@dataclass(frozen=True)
class Edit:
    """One hand change. ``from_clinician`` says which route the visit is taken from (it
    matters for a double-handed visit, which is on two); ``position`` is 1-based among the
    receiving clinician's visits, None for the place that keeps her route most on time."""

    op: Op
    visit_id: str
    from_clinician: str | None = None
    to_clinician: str | None = None
    position: int | None = None
    other_visit_id: str | None = None
    other_clinician: str | None = None

    @classmethod
    def from_form(cls, form: Any) -> Edit:
        """From a form or JSON body (strings); blank fields are None."""

        def text(name: str) -> str | None:
            value = form.get(name)
            value = "" if value is None else str(value).strip()
            return value or None

        op = text("op") or ""
        if not _is_op(op):
            raise EditError(f"unknown change {op!r}: choose one of {', '.join(OPS)}")
        visit_id = text("visit_id")
        if visit_id is None:
            raise EditError("name the visit to change")
        raw_position = text("position")
        position: int | None = None
        if raw_position is not None:
            try:
                position = int(raw_position)
            except ValueError:
                raise EditError(f"position must be a whole number, not {raw_position!r}") from None
            if position < 1:
                raise EditError("position counts from 1")
        return cls(op, visit_id, text("from_clinician"), text("to_clinician"), position,
                   text("other_visit_id"), text("other_clinician"))  # fmt: skip


@dataclass(frozen=True)
class Preview:
    """What an edit would make, and what the checker says about it."""

    edit: Edit
    description: str
    rota: Rota
    locks: list[dict[str, str]]
    kpis: dict
    violations: list[dict]
    new_violations: list[dict]

    @property
    def ok(self) -> bool:
        return not self.new_violations


def locks_of(version: RotaVersion) -> list[dict[str, str]]:
    return [dict(x) for x in (version.rota or {}).get("locks", [])]


def _where(rota: Rota, visit_id: str) -> list[str]:
    return [r.clinician_id for r in rota.routes if visit_id in r.visit_ids]


def _source(rota: Rota, visit_id: str, named: str | None) -> str:
    """The clinician whose route ``visit_id`` is taken from: ``named`` if given (it must have
    it), else the only one that has it."""
    where = _where(rota, visit_id)
    if named is not None:
        if named not in where:
            raise EditError(f"{visit_id} is not on {named}'s route")
        return named
    if len(where) > 1:
        raise EditError(f"{visit_id} is double-handed ({' and '.join(where)}): say which to move")
    if not where:
        raise EditError(f"{visit_id} is not on any route")
    return where[0]


def apply_edit(
    problem: Problem, rota: Rota, locks: list[dict[str, str]], edit: Edit, who: str = ""
) -> tuple[Rota, list[dict[str, str]], str]:
    """The edited rota, its locks and a sentence saying what was done."""
    visit_index = problem.visit_index
    if edit.visit_id not in visit_index:
        raise EditError(f"no visit {edit.visit_id!r} on this day")
    order = {r.clinician_id: list(r.visit_ids) for r in rota.routes}
    locked = {(x["visit_id"], x["clinician_id"]) for x in locks}
    vid = edit.visit_id

    def need_shift(cid: str | None, what: str) -> str:
        if not cid:
            raise EditError(f"choose the clinician to {what}")
        if cid not in problem.shift_index:
            raise EditError(f"{cid} is not on shift this day")
        return cid

    if edit.op in ("lock", "unlock"):
        cid = _source(rota, vid, edit.from_clinician) if _where(rota, vid) else None
        if cid is None:
            raise EditError(f"{vid} is not on any route: place it before locking it")
        keys = (
            {(vid, c) for c in _where(rota, vid)} if edit.from_clinician is None else {(vid, cid)}
        )
        if edit.op == "lock":
            locked |= keys
            text = f"locked {vid} to {', '.join(sorted(c for _, c in keys))}"
        else:
            locked -= keys
            text = f"unlocked {vid}"
        return rota, _locks(locked), text

    if edit.op == "unassign":
        where = _where(rota, vid)
        if not where:
            raise EditError(f"{vid} is already unassigned")
        for c in where:
            order[c].remove(vid)
        locked = {k for k in locked if k[0] != vid}
        reason = f"taken off the rota by {who or 'a coordinator'}"
        new = retime(problem, rota, {c: order[c] for c in where},
                     unassigned=[Unassigned(vid, reason, Reason.OTHER)])  # fmt: skip
        return new, _locks(locked), f"unassigned {vid} (was with {', '.join(where)})"

    if edit.op == "move":
        to = need_shift(edit.to_clinician, "move it to")
        frm = _source(rota, vid, edit.from_clinician) if _where(rota, vid) else None
        if frm is not None and (vid, frm) in locked:
            raise EditError(f"{vid} is locked to {frm}: unlock it first")
        if frm != to and to in _where(rota, vid):
            raise EditError(f"{to} already has {vid} (double-handed): choose someone else")
        if frm is not None:
            order[frm].remove(vid)
        target = [v for v in order.get(to, []) if v != vid]
        if edit.position is None:
            pos = best_position(problem, to, target, vid)
        else:
            pos = min(edit.position - 1, len(target))
        target.insert(pos, vid)
        order[to] = target
        touched = {to} | ({frm} if frm else set())
        new = retime(problem, rota, {c: order[c] for c in touched})
        origin = f"from {frm} " if frm and frm != to else ("" if frm else "from unassigned ")
        return new, _locks(locked), f"moved {vid} {origin}to {to} as visit {pos + 1}"

    # swap
    other = edit.other_visit_id
    if not other or other not in visit_index:
        raise EditError("name the other visit to swap with")
    a_c = _source(rota, vid, edit.from_clinician)
    b_c = _source(rota, other, edit.other_clinician)
    for v, c in ((vid, a_c), (other, b_c)):
        if (v, c) in locked:
            raise EditError(f"{v} is locked to {c}: unlock it first")
    if a_c != b_c and (other in order[a_c] or vid in order[b_c]):
        raise EditError("one clinician would have the same double-handed visit twice")
    ia, ib = order[a_c].index(vid), order[b_c].index(other)
    order[a_c][ia], order[b_c][ib] = other, vid
    new = retime(problem, rota, {c: order[c] for c in {a_c, b_c}})
    return new, _locks(locked), f"swapped {vid} ({a_c}) with {other} ({b_c})"


def _locks(keys: set[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"visit_id": v, "clinician_id": c} for v, c in sorted(keys)]


def _key(v: dict) -> tuple:
    return (v["rule"], v["message"])


def preview(session: Session, version: RotaVersion, edit: Edit, who: str = "") -> Preview:
    """The edit applied to a stored version, checked; nothing is written."""
    imp = get_or_fail(session, DayImport, version.import_id)
    problem = problem_for(imp)
    rota, locks, text = apply_edit(problem, version_rota(version), locks_of(version),
                                   edit, who)  # fmt: skip
    kpis, violations = report_json(check(problem, rota))
    before = {_key(v) for v in version.violations or []}
    new = [v for v in violations if _key(v) not in before]
    return Preview(edit, text, rota, locks, kpis, violations, new)


def accept(
    session: Session, version: RotaVersion, edit: Edit, user: User | None, ip: str = ""
) -> tuple[RotaVersion, Preview]:
    """Store the edited rota as a new draft made from ``version``; audited."""
    pv = preview(session, version, edit, user.username if user else "")
    imp = get_or_fail(session, DayImport, version.import_id)
    draft = save_draft(session, imp, pv.rota, user, parent=version, note=pv.description,
                       locks=pv.locks)  # fmt: skip
    audit.record(
        session, user, "edit",
        f"version {version.id} → draft {draft.id}: {pv.description}"
        + (f" ({len(pv.new_violations)} new violation(s) accepted)" if pv.new_violations else ""),
        ip,
    )  # fmt: skip
    return draft, pv

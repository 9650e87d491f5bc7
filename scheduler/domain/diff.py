"""What changed between two plans of a day, said the way a coordinator acts on it.

``diff_rotas`` compares two rotas visit by visit:

- **added**: on someone's route now, not before (it was unassigned, or not in the plan);
- **dropped**: on someone's route before, not now (now unassigned, or gone from the plan);
- **moved**: on routes both times, but with other clinicians (a double-handed visit compares
  the *set* of its two clinicians, so swapping the order of a pair is no move);
- **re-timed**: on routes both times and its start moved by a minute or more (by how much is
  kept). A visit can be moved *and* re-timed.

Unchanged visits are left out. The same changes are then grouped by clinician ("who gets
which changed visits"): the visits each one gains, loses, and keeps at another time, so a
coordinator can phone exactly the nurses affected.

``plan_changes`` counts the same added / dropped / moved classification (one rule,
``assignment_change``) against a previous plan known only by its order (``hah solve
--from-rota``), and adds what an order can tell: visits kept with their clinician but
re-ordered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from scheduler.domain.localtime import hm
from scheduler.domain.model import Rota, Visit

ChangeKind = Literal["added", "dropped", "moved", "retimed"]
KINDS: tuple[ChangeKind, ...] = ("added", "dropped", "moved", "retimed")

#: The smallest change of start time that counts as re-timing a visit.
RETIME_THRESHOLD = timedelta(minutes=1)
#: Sorts after every moment (moments are aware, so ``datetime.max`` would not compare).
_NEVER = datetime.max.replace(tzinfo=UTC)


def _hm(moment: datetime | None) -> str:
    return "?" if moment is None else hm(moment)


@dataclass(frozen=True)
class VisitChange:
    """One visit whose assignment or time differs between the old and the new rota.

    ``old_starts``/``new_starts`` map each clinician on the visit to the start on her route
    (both clinicians of a double-handed visit normally start together). ``reason`` is why
    the new rota leaves the visit unassigned, when it does.
    """

    visit_id: str
    patient_id: str
    kinds: tuple[ChangeKind, ...]
    old_clinicians: tuple[str, ...]
    new_clinicians: tuple[str, ...]
    old_start: datetime | None
    new_start: datetime | None
    old_starts: tuple[tuple[str, datetime], ...] = ()
    new_starts: tuple[tuple[str, datetime], ...] = ()
    reason: str = ""

    @property
    def shift_min(self) -> int | None:
        """Whole minutes the start moved (later is positive), when on routes both times."""
        if self.old_start is None or self.new_start is None:
            return None
        return _minutes(self.new_start - self.old_start)

    def has(self, kind: ChangeKind) -> bool:
        return kind in self.kinds

    @property
    def sort_key(self) -> tuple[datetime, str]:
        return (self.new_start or self.old_start or _NEVER, self.visit_id)

    def describe(self) -> str:
        """One sentence, e.g. ``P0003-obs moved from C001 to C004, 15 min later (09:15)``."""
        parts = []
        if self.has("added"):
            parts.append(f"added for {_names(self.new_clinicians)} at {_hm(self.new_start)}")
        if self.has("dropped"):
            why = f": {self.reason}" if self.reason else ""
            parts.append(f"dropped from {_names(self.old_clinicians)}, now unassigned{why}")
        if self.has("moved"):
            parts.append(
                f"moved from {_names(self.old_clinicians)} to {_names(self.new_clinicians)}"
            )
        if self.has("retimed"):
            parts.append(f"{shift_words(self.shift_min or 0)} ({_hm(self.new_start)})")
        return f"{self.visit_id} " + ", ".join(parts)


@dataclass(frozen=True)
class ClinicianVisit:
    """A changed visit as one clinician sees it: her old and new start (None where the visit
    is not on her route), and who else it concerns (``others``: where it went, or came from,
    or her partner on a double-handed visit)."""

    visit_id: str
    patient_id: str
    old_start: datetime | None
    new_start: datetime | None
    others: tuple[str, ...] = ()
    unassigned: bool = False
    """For a loss: nobody has it now. For a gain: nobody had it before."""

    @property
    def shift_min(self) -> int | None:
        if self.old_start is None or self.new_start is None:
            return None
        return _minutes(self.new_start - self.old_start)


@dataclass(frozen=True)
class ClinicianChanges:
    """Everything that changed for one clinician: who to phone, and what to tell her."""

    clinician_id: str
    gains: tuple[ClinicianVisit, ...]
    losses: tuple[ClinicianVisit, ...]
    retimed: tuple[ClinicianVisit, ...]

    @property
    def count(self) -> int:
        return len(self.gains) + len(self.losses) + len(self.retimed)


@dataclass(frozen=True)
class DiffSummary:
    """Counts of changed visits by kind (a moved and re-timed visit counts in both), of
    changed visits in all, of visits unchanged, and of clinicians affected."""

    added: int = 0
    dropped: int = 0
    moved: int = 0
    retimed: int = 0
    changed: int = 0
    unchanged: int = 0
    clinicians_affected: int = 0
    assigned_old: int = 0
    assigned_new: int = 0


@dataclass(frozen=True)
class RotaDiff:
    changes: tuple[VisitChange, ...]
    clinicians: tuple[ClinicianChanges, ...]
    summary: DiffSummary

    @property
    def empty(self) -> bool:
        return not self.changes

    def of(self, kind: ChangeKind) -> tuple[VisitChange, ...]:
        return tuple(c for c in self.changes if c.has(kind))

    def for_clinician(self, clinician_id: str) -> ClinicianChanges | None:
        return next((c for c in self.clinicians if c.clinician_id == clinician_id), None)


# --- the comparison --------------------------------------------------------------------------


def _minutes(delta: timedelta) -> int:
    """Whole minutes of a signed time difference, rounded towards zero."""
    seconds = int(delta.total_seconds())
    return seconds // 60 if seconds >= 0 else -((-seconds) // 60)


def _names(ids: Iterable[str]) -> str:
    return " and ".join(ids) or "nobody"


def shift_words(minutes: int) -> str:
    """``15 min later``, ``1 h 5 min earlier``, ``same time``."""
    if minutes == 0:
        return "same time"
    m = abs(minutes)
    amount = f"{m // 60} h {m % 60} min" if m >= 60 and m % 60 else (
        f"{m // 60} h" if m >= 60 else f"{m} min"
    )  # fmt: skip
    return f"{amount} {'later' if minutes > 0 else 'earlier'}"


def _placements(rota: Rota) -> dict[str, dict[str, datetime]]:
    """visit id → {clinician id → start on her route}."""
    out: dict[str, dict[str, datetime]] = {}
    for route in rota.routes:
        for stop in route.stops:
            if stop.visit_id is not None:
                out.setdefault(stop.visit_id, {})[route.clinician_id] = stop.start
    return out


def _retimed(a: datetime, b: datetime) -> bool:
    return abs(b - a) >= RETIME_THRESHOLD


def diff_rotas(
    old: Rota, new: Rota, visits: Iterable[Visit] | Mapping[str, Visit] = ()
) -> RotaDiff:
    """The changes from ``old`` to ``new``; ``visits`` (the day's visits) supplies patient ids
    and is otherwise optional: a visit it does not know is still compared."""
    by_id = dict(visits) if isinstance(visits, Mapping) else {v.visit_id: v for v in visits}
    before, after = _placements(old), _placements(new)
    reasons = {u.visit_id: u.reason for u in new.unassigned}
    every = set(before) | set(after) | {u.visit_id for u in old.unassigned} | set(reasons)
    every |= set(by_id)

    changes: list[VisitChange] = []
    # clinician id → (gains, losses, retimed)
    per: dict[str, tuple[list, list, list]] = {}

    def slot(cid: str) -> tuple[list, list, list]:
        return per.setdefault(cid, ([], [], []))

    for vid in sorted(every):
        was, now = before.get(vid, {}), after.get(vid, {})
        if not was and not now:
            continue  # unassigned both times (or unknown to both rotas)
        patient = by_id[vid].patient_id if vid in by_id else ""
        old_start = min(was.values()) if was else None
        new_start = min(now.values()) if now else None
        kinds: list[ChangeKind] = []
        kind = assignment_change(set(was), set(now))
        if kind is not None:
            kinds.append(kind)
        if was and now and old_start and new_start and _retimed(old_start, new_start):
            kinds.append("retimed")
        kept = set(was) & set(now)
        retimed_for = [c for c in sorted(kept) if _retimed(was[c], now[c])]
        if not kinds and not retimed_for:
            continue
        if not kinds:
            kinds.append("retimed")  # one partner's start moved though the earliest did not
        old_ids, new_ids = tuple(sorted(was)), tuple(sorted(now))
        changes.append(
            VisitChange(
                visit_id=vid,
                patient_id=patient,
                kinds=tuple(kinds),
                old_clinicians=old_ids,
                new_clinicians=new_ids,
                old_start=old_start,
                new_start=new_start,
                old_starts=tuple(sorted(was.items())),
                new_starts=tuple(sorted(now.items())),
                reason=reasons.get(vid, "") if not now else "",
            )
        )
        for cid in sorted(set(now) - set(was)):
            slot(cid)[0].append(
                ClinicianVisit(vid, patient, None, now[cid],
                               tuple(c for c in old_ids if c not in now), not was)
            )  # fmt: skip
        for cid in sorted(set(was) - set(now)):
            slot(cid)[1].append(
                ClinicianVisit(vid, patient, was[cid], None,
                               tuple(c for c in new_ids if c not in was), not now)
            )  # fmt: skip
        for cid in retimed_for:
            slot(cid)[2].append(
                ClinicianVisit(vid, patient, was[cid], now[cid],
                               tuple(c for c in new_ids if c != cid))
            )  # fmt: skip

    def by_time(rows: list[ClinicianVisit]) -> tuple[ClinicianVisit, ...]:
        return tuple(
            sorted(rows, key=lambda r: (r.new_start or r.old_start or _NEVER, r.visit_id))
        )

    clinicians = tuple(
        ClinicianChanges(cid, by_time(g), by_time(lo), by_time(rt))
        for cid, (g, lo, rt) in sorted(per.items())
    )
    changes.sort(key=lambda c: c.sort_key)
    assigned_old, assigned_new = set(before), set(after)
    summary = DiffSummary(
        added=sum(c.has("added") for c in changes),
        dropped=sum(c.has("dropped") for c in changes),
        moved=sum(c.has("moved") for c in changes),
        retimed=sum(c.has("retimed") for c in changes),
        changed=len(changes),
        unchanged=len(every) - len(changes),
        clinicians_affected=len(clinicians),
        assigned_old=len(assigned_old),
        assigned_new=len(assigned_new),
    )
    return RotaDiff(tuple(changes), clinicians, summary)


def assignment_change(was: set[str], now: set[str]) -> ChangeKind | None:
    """How a visit's clinicians changed: added (nobody had it), dropped (nobody has it),
    moved (another set of clinicians), or None (the same clinicians)."""
    if not was and not now:
        return None
    if not was:
        return "added"
    if not now:
        return "dropped"
    return "moved" if was != now else None


def plan_changes(before: Mapping[str, Sequence[str]], rota: Rota) -> dict[str, int]:
    """How a new rota differs from a previous plan (clinician id → visit ids in order).

    ``added``, ``dropped``, ``moved`` as in ``diff_rotas``; ``reordered``: kept with the same
    clinicians but at another place in one of their orders (relative to the visits both
    plans share); ``kept``: same clinicians, same relative order.
    """
    was: dict[str, set[str]] = {}
    for cid, vids in before.items():
        for vid in vids:
            was.setdefault(vid, set()).add(cid)
    now: dict[str, set[str]] = {}
    for route in rota.routes:
        for vid in route.visit_ids:
            now.setdefault(vid, set()).add(route.clinician_id)
    counts = {"added": 0, "dropped": 0, "moved": 0}
    for vid in set(was) | set(now):
        kind = assignment_change(was.get(vid, set()), now.get(vid, set()))
        if kind is not None:
            counts[kind] += 1
    same = {vid for vid, cids in was.items() if now.get(vid) == cids}
    reordered: set[str] = set()
    for route in rota.routes:
        mine = [v for v in route.visit_ids if v in same]
        old = [v for v in before.get(route.clinician_id, ()) if v in set(mine)]
        reordered.update(a for a, b in zip(mine, old, strict=True) if a != b)
    return {
        "kept": len(same) - len(reordered),
        "reordered": len(reordered),
        "moved": counts["moved"],
        "dropped": counts["dropped"],
        "added": counts["added"],
    }

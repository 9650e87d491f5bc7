"""Re-applying a draft's changes onto a newer plan: a three-way merge of rotas.

Two coordinators start from the same published rota (the **base**). One publishes her change
first (the **latest**); the other's draft (**ours**) was made from the base, so publishing it
as it stands would silently undo hers (a lost update). ``rebase`` re-applies what the draft
changed against the base onto the latest, and says where it cannot.

What a draft "changed" is read visit by visit, the way a coordinator acts:

- a visit's **placement** is the set of clinicians it is with (none: unassigned). A visit
  whose placement differs between base and draft was moved, given or taken off by the draft;
- a route the draft **re-ordered** keeps the same visits (those on it in base and draft) in
  another order.

Each such change is re-applied onto the latest unless the latest changed the same thing
differently (the same visit placed elsewhere, the same route re-ordered otherwise), or it
names a visit or clinician the latest day no longer has: those are **conflicts**, listed in
words, and then nothing is merged. Visits the draft left alone keep the latest's placement;
a visit re-placed by the draft goes next to the visit it followed in the draft's route (or
before the one it preceded), so "as her third visit" keeps its meaning. The routes touched
are re-timed (``scheduler.domain.retime``); the caller has the independent checker judge the
whole day, as for any hand change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scheduler.domain.model import Problem, Rota, Unassigned
from scheduler.domain.retime import retime

Placement = tuple[str, ...]


@dataclass(frozen=True)
class Rebase:
    """The draft's changes re-applied onto the latest rota, or why they cannot be.

    ``rota`` is None when there are ``conflicts``; ``applied`` says in words what was
    re-applied (empty: the draft changes nothing the latest does not already have)."""

    rota: Rota | None
    applied: tuple[str, ...]
    conflicts: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.conflicts


def placements(rota: Rota) -> dict[str, Placement]:
    """Visit id → the clinicians it is with, sorted (``()`` for a visit listed unassigned)."""
    out: dict[str, list[str]] = {u.visit_id: [] for u in rota.unassigned}
    for r in rota.routes:
        for vid in r.visit_ids:
            out.setdefault(vid, []).append(r.clinician_id)
    return {vid: tuple(sorted(cs)) for vid, cs in out.items()}


def _orders(rota: Rota) -> dict[str, list[str]]:
    return {r.clinician_id: list(r.visit_ids) for r in rota.routes}


def _who(placement: Placement) -> str:
    return " and ".join(placement) if placement else "unassigned"


def _words(placement: Placement) -> str:
    """Where a visit is, in words: "with C001 and C002", or "unassigned"."""
    return f"with {_who(placement)}" if placement else "unassigned"


def _change(vid: str, was: Placement, now: Placement) -> str:
    if not now:
        return f"{vid} taken off {_who(was)} (unassigned)"
    if not was:
        return f"{vid} given to {_who(now)} (was unassigned)"
    return f"{vid} moved from {_who(was)} to {_who(now)}"


def _restricted(seq: Iterable[str], keep: set[str]) -> list[str]:
    return [v for v in seq if v in keep]


def rebase(
    problem: Problem, base: Rota, ours: Rota, latest: Rota, latest_name: str = "the latest rota"
) -> Rebase:
    """``ours`` (made from ``base``) re-applied onto ``latest``, a rota of ``problem``'s day.

    ``latest_name`` names the latest rota in the conflict sentences ("published version 2").
    """
    p_base, p_ours, p_latest = placements(base), placements(ours), placements(latest)
    o_base, o_ours, o_latest = _orders(base), _orders(ours), _orders(latest)
    conflicts: list[str] = []
    applied: list[str] = []

    # 1. visits the draft placed otherwise than the base
    take: dict[str, Placement] = {}
    for vid in sorted(set(p_base) | set(p_ours)):
        was, now = p_base.get(vid, ()), p_ours.get(vid, ())
        if was == now:
            continue
        theirs = p_latest.get(vid, ())
        if vid not in problem.visit_index:
            if now:  # placing a visit the latest day no longer has
                conflicts.append(f"{vid}: this draft puts it {_words(now)}, but it is no "
                                 f"longer in the day's files")  # fmt: skip
            continue
        missing = [c for c in now if c not in problem.shift_index]
        if missing:
            conflicts.append(f"{vid}: this draft puts it {_words(now)}, but "
                             f"{' and '.join(missing)} is no longer on shift")  # fmt: skip
            continue
        if theirs != was and theirs != now:
            conflicts.append(f"{vid}: this draft has it {_words(now)} (was {_words(was)}), but "
                             f"{latest_name} has it {_words(theirs)}")  # fmt: skip
            continue
        if theirs != now:
            take[vid] = now
            applied.append(_change(vid, was, now))

    # 2. routes the draft re-ordered (the same visits in another order)
    reorder: dict[str, list[str]] = {}
    for cid, seq in sorted(o_ours.items()):
        if cid not in o_base:
            continue
        common = set(o_base[cid]) & set(seq) & set(o_latest.get(cid, []))
        mine = _restricted(seq, common)
        before = _restricted(o_base[cid], common)
        if mine == before:
            continue
        theirs_order = _restricted(o_latest.get(cid, []), common)
        if theirs_order not in (before, mine):
            conflicts.append(f"{cid}'s route: this draft re-ordered it, and so did {latest_name}, "
                             "differently")  # fmt: skip
            continue
        if theirs_order != mine:
            reorder[cid] = mine
            applied.append(f"{cid}'s route re-ordered")

    if conflicts:
        return Rebase(None, tuple(applied), tuple(conflicts))
    if not take and not reorder:
        return Rebase(latest, (), ())

    # 3. the latest's routes with the draft's changes
    orders = {cid: list(seq) for cid, seq in o_latest.items()}
    touched: set[str] = set(reorder)
    for vid, now in take.items():
        for cid in p_latest.get(vid, ()):
            if cid not in now:
                orders[cid].remove(vid)
                touched.add(cid)
    for cid, mine in reorder.items():
        keep = set(mine)
        slots = iter(mine)
        orders[cid] = [next(slots) if v in keep else v for v in orders[cid]]
    for cid, seq in o_ours.items():
        for i, vid in enumerate(seq):
            if cid not in take.get(vid, ()) or vid in orders.get(cid, []):
                continue
            route = orders.setdefault(cid, [])
            prev = next((v for v in reversed(seq[:i]) if v in route), None)
            succ = next((v for v in seq[i + 1 :] if v in route), None)
            if prev is not None:
                route.insert(route.index(prev) + 1, vid)
            elif succ is not None:
                route.insert(route.index(succ), vid)
            else:
                route.append(vid)
            touched.add(cid)
    reasons = {u.visit_id: u for u in ours.unassigned}
    unassigned = [reasons.get(vid) or Unassigned(vid, "taken off by hand")
                  for vid, now in take.items() if not now]  # fmt: skip
    rota = retime(problem, latest, {cid: orders[cid] for cid in touched}, unassigned=unassigned)
    return Rebase(rota, tuple(applied), ())

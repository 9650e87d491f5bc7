"""What the live board shows at the service clock's ``now``: each visit's state, the visits
flagged at risk, the actions an unassigned visit's reason names, and the 2-hour response.

States come from the clock and from the nurses' own reports, the report winning: *done*
(reported, or by the clock: its planned end has passed, *unconfirmed*), *could not
complete*, *under way* (reported arrived, or started by the clock), *driving* (she must be
on the road to start it on time), *planned*, and *at risk* for a planned visit that a
"running late" event has projected past its window and nobody has answered yet.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.domain.localtime import hm
from scheduler.domain.model import Reason, Rota
from web.models import Day, DayEvent, RotaVersion, VisitStatus
from web.services.clock import from_stamp
from web.services.events import RESPONSE_MIN, events_of

STATE_LABELS = {
    "done": "Done",
    "done_by_clock": "Done (by the clock, not reported)",
    "not_completed": "Could not complete",
    "under_way": "Under way",
    "driving": "Driving to",
    "planned": "Planned",
    "at_risk": "At risk",
}


def visit_states(
    rota: Rota,
    statuses: dict[tuple[str, str], dict[str, Any]],
    now: datetime,
    at_risk: set[str] | frozenset[str] = frozenset(),
) -> dict[tuple[str, str], str]:
    """(visit id, clinician id) → state (a key of ``STATE_LABELS``)."""
    out: dict[tuple[str, str], str] = {}
    for route in rota.routes:
        for s in route.stops:
            if s.visit_id is None:
                continue
            key = (s.visit_id, route.clinician_id)
            reported = (statuses.get(key) or {}).get("status")
            if reported == "done":
                state = "done"
            elif reported == "not_completed":
                state = "not_completed"
            elif reported == "arrived" or s.start <= now < s.end:
                state = "under_way"
            elif s.end <= now:
                state = "done_by_clock"
            elif s.start - timedelta(minutes=s.travel_min) <= now:
                state = "driving"
            elif s.visit_id in at_risk:
                state = "at_risk"
            else:
                state = "planned"
            out[key] = state
    return out


def counts(states: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    """How many visits are in each state, in ``STATE_LABELS`` order."""
    tally: dict[str, int] = {}
    for state in states.values():
        tally[state] = tally.get(state, 0) + 1
    return [{"state": k, "label": v, "count": tally[k]} for k, v in STATE_LABELS.items()
            if tally.get(k)]  # fmt: skip


def open_flags(session: Session, day: Day, version: RotaVersion | None) -> list[dict[str, Any]]:
    """Visits at risk from "running late" events taken against ``version`` and not yet
    answered (accepting one of their proposals, or publishing anything newer, closes them):
    priority 1 first, then the most overdue. Flagged as soon as the event is taken; who else
    could take each (``fixes``) once its worker has answered (``fixes_ready``)."""
    if version is None or version.status != "published":
        return []
    rows = session.scalars(
        select(DayEvent).where(
            DayEvent.day_id == day.id,
            DayEvent.kind == "late",
            DayEvent.base_version_id == version.id,
            DayEvent.accepted.is_(None),
        )
    )
    latest: dict[str, DayEvent] = {}
    for e in rows:
        latest[e.detail["clinician_id"]] = e  # the newest report per clinician counts
    flags = []
    for e in latest.values():
        for risk in e.detail.get("at_risk", []):
            flags.append({**risk, "clinician_id": e.detail["clinician_id"],
                          "name": e.detail.get("name", ""), "minutes_late": e.detail["minutes"],
                          "event_id": e.id, "at": hm(from_stamp(e.at)),
                          "fixes_ready": e.state == "ready"})  # fmt: skip
    flags.sort(key=lambda f: (f["priority"], -f["minutes_over"], f["projected"]))
    return flags


#: What a coordinator can do about a visit left unassigned, by the reason's code.
ACTIONS = {
    Reason.NO_QUALIFIED: ("shift",),
    Reason.NOT_ENOUGH_QUALIFIED: ("shift",),
    Reason.CAPACITY: ("who", "shift"),
    Reason.UNREACHABLE: ("who", "window", "shift"),
    Reason.GAP_IMPOSSIBLE: ("window", "who"),
    Reason.PIN_OFF_SHIFT: ("shift", "who"),
    Reason.PIN_UNQUALIFIED: ("who",),
    Reason.PIN_UNKNOWN: ("who",),
    Reason.PRECEDING_UNPLACED: ("who",),
    Reason.OTHER: ("who", "window"),
}
ACTION_LABELS = {
    "who": "Who could take it? (move another visit aside)",
    "window": "Widen its window",
    "shift": "Add a bank shift",
}


def actions(code: str) -> list[dict[str, str]]:
    """The actions an unassigned visit's reason names, as (action, label)."""
    try:
        reason = Reason(code)
    except ValueError:
        reason = Reason.OTHER
    return [{"action": a, "label": ACTION_LABELS[a]} for a in ACTIONS[reason]]


def with_names(text: str, names: dict[str, str]) -> str:
    """Clinician ids in a reason spelled out with the clinician's name: ``C004`` → ``Priya
    Gill (C004)``."""
    if not names:
        return text
    ids = sorted(names, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(c) for c in ids) + r")\b")
    return pattern.sub(lambda m: f"{names[m.group(1)]} ({m.group(1)})", text)


# --- the 2-hour urgent response ----------------------------------------------------------------


def urgent_response(session: Session, day: Day) -> dict[str, Any]:
    """Each urgent referral taken on the day: referral time, arrival (the nurse's "arrived"
    report, else the planned arrival of the latest published rota), minutes between, and
    whether it met the 2-hour standard; with the count, share met and median."""
    from web.services.rotas import latest_published, version_rota

    published = latest_published(session, day)
    planned: dict[str, datetime] = {}
    if published is not None:
        for r in version_rota(published).routes:
            for s in r.stops:
                if s.visit_id and s.visit_id not in planned:
                    planned[s.visit_id] = s.arrive
    arrived: dict[str, datetime] = {}
    for row in session.scalars(
        select(VisitStatus).where(VisitStatus.day_id == day.id, VisitStatus.status == "arrived")
    ):
        arrived.setdefault(row.visit_id, from_stamp(row.at))
    rows = []
    for e in events_of(session, day):
        if e.kind != "referral" or e.accepted is None:
            continue
        vid = e.detail["visit_id"]
        when, how = (arrived[vid], "arrived") if vid in arrived else (planned.get(vid), "planned")
        referred = from_stamp(e.at)
        minutes = int((when - referred).total_seconds() // 60) if when is not None else None
        rows.append({"visit_id": vid, "referred": hm(referred),
                     "arrival": hm(when) if when else None, "how": how,
                     "minutes": minutes,
                     "met": minutes is not None and minutes <= RESPONSE_MIN})  # fmt: skip
    timed = [r["minutes"] for r in rows if r["minutes"] is not None]
    return {
        "target_min": RESPONSE_MIN,
        "referrals": rows,
        "count": len(rows),
        "met": sum(1 for r in rows if r["met"]),
        "median_min": median(timed) if timed else None,
    }

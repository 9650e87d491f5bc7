"""The checker's rules about visits: accounting (every visit once, pairs on two clinicians),
skills, pins, the patient's own rules (excluded clinicians, a requested carer gender, no lone
visit after dark), windows, durations, synchronised pairs and minimum gaps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

from scheduler.domain.check.facts import Facts, Violation, as_minutes, hm
from scheduler.domain.daylight import in_light


def check_accounting(f: Facts) -> Iterator[Violation]:
    """Each visit placed the right number of times by different clinicians, or unassigned once.

    This is what makes the other rules meaningful: a visit silently dropped, or listed as both
    placed and unassigned, would otherwise pass every per-stop test.
    """
    p, rule = f.problem, "accounting"
    seen: set[str] = set()
    for route in f.rota.routes:
        cid = route.clinician_id
        if cid not in p.shift_index:
            yield Violation(rule, f"route for {cid}, who is not on shift today", cid)
        if cid in seen:
            yield Violation(rule, f"{cid} has more than one route", cid)
        seen.add(cid)
        for s in route.stops:
            if s.kind == "visit" and s.visit_id not in p.visit_index:
                yield Violation(
                    rule, f"unknown visit {s.visit_id} on {cid}'s route", cid, s.visit_id
                )
    listed: dict[str, int] = defaultdict(int)
    for u in f.rota.unassigned:
        listed[u.visit_id] += 1
        if u.visit_id not in p.visit_index:
            yield Violation(
                rule, f"unknown visit {u.visit_id} listed as unassigned", None, u.visit_id
            )
    for visit in p.visits:
        vid = visit.visit_id
        on = f.attendants.get(vid, [])
        n_out = listed.get(vid, 0)
        if on and n_out:
            yield Violation(rule, f"visit {vid} is both in the rota and unassigned", None, vid)
        elif not on and not n_out:
            yield Violation(rule, f"visit {vid} is neither in the rota nor unassigned", None, vid)
        elif n_out > 1:
            yield Violation(rule, f"visit {vid} is listed {n_out} times as unassigned", None, vid)
        who = [c for c, _ in on]
        if on and (len(who) != visit.staff or len(set(who)) != len(who)):
            need = "one clinician" if visit.staff == 1 else "two different clinicians"
            yield Violation(
                rule, f"visit {vid} needs {need} but is on the route of {', '.join(who)}", None, vid
            )


def check_skills(f: Facts) -> Iterator[Violation]:
    """Every attending clinician holds every skill the visit needs (checked per attendant)."""
    p = f.problem
    for vid, on in f.attendants.items():
        visit = f.visit(vid)
        for cid, _ in on:
            k = p.shift_index.get(cid)
            if k is not None and not visit.skills <= p.shifts[k].skills:
                missing = ";".join(sorted(visit.skills - p.shifts[k].skills))
                yield Violation("skills", f"{cid} lacks {missing} for visit {vid}", cid, vid)


def check_pin(f: Facts) -> Iterator[Violation]:
    """A coordinator's lock holds: the pinned clinician attends the visit, if it is placed."""
    for vid, on in f.attendants.items():
        pinned = f.visit(vid).pinned_clinician
        who = [c for c, _ in on]
        if pinned and pinned not in who:
            yield Violation(
                "pin", f"visit {vid} is pinned to {pinned} but goes to {', '.join(who)}", None, vid
            )


def check_excluded(f: Facts) -> Iterator[Violation]:
    """No attendant is a clinician the patient has excluded (a refusal is a hard rule)."""
    for vid, on in f.attendants.items():
        excluded = f.visit(vid).excluded_clinicians
        for cid, _ in on:
            if cid in excluded:
                yield Violation(
                    "excluded", f"visit {vid} goes to {cid}, whom the patient has excluded",
                    cid, vid,
                )  # fmt: skip


_GENDER_WORDS = {"F": "female", "M": "male"}


def check_carer_gender(f: Facts) -> Iterator[Violation]:
    """When the patient asked for a carer of one gender, every attendant's stated gender is
    that one (a clinician who has not stated hers does not count as either)."""
    p = f.problem
    for vid, on in f.attendants.items():
        wanted = f.visit(vid).carer_gender
        if not wanted:
            continue
        for cid, _ in on:
            k = p.shift_index.get(cid)
            if k is None:
                continue  # not on shift: an ``accounting`` fault
            given = p.shifts[k].gender
            if given != wanted:
                is_ = _GENDER_WORDS.get(given, "gender not stated")
                want = _GENDER_WORDS.get(wanted, wanted)
                yield Violation(
                    "carer_gender",
                    f"visit {vid} goes to {cid} ({is_}); the patient asked for a {want} carer",
                    cid, vid,
                )  # fmt: skip


def check_after_dark(f: Facts) -> Iterator[Violation]:
    """A patient flagged ``no_lone_after_dark`` is never visited by one clinician alone while
    it is dark at her home: from the visit's start to its end, as the rota has it, must lie
    between civil dawn and civil dusk there (``scheduler.domain.daylight``)."""
    for vid, on in f.attendants.items():
        visit = f.visit(vid)
        if "no_lone_after_dark" not in visit.risk_flags or len(on) != 1:
            continue
        cid, s = on[0]
        if not in_light(visit.location, s.start, s.end):
            yield Violation(
                "after_dark",
                f"visit {vid}: {cid} alone {hm(s.start)}–{hm(s.end)} after dark with a patient "
                "flagged no_lone_after_dark",
                cid, vid,
            )  # fmt: skip


def check_window(f: Facts) -> Iterator[Violation]:
    """Each attendant starts the visit inside its window (the window bounds the start)."""
    for vid, on in f.attendants.items():
        w = f.visit(vid).window
        for cid, s in on:
            if not w.contains(s.start):
                side = (
                    "before its window {} opens"
                    if s.start < w.start
                    else "after its window {} closes"
                )
                yield Violation(
                    "window",
                    f"visit {vid} ({cid}) starts {hm(s.start)}, {side.format(w.label())}",
                    cid,
                    vid,
                )


def check_duration(f: Facts) -> Iterator[Violation]:
    """A stop lasts exactly its visit's (or the shift's break's) length: no cut-short care."""
    for vid, on in f.attendants.items():
        need = f.visit(vid).duration_min
        for cid, s in on:
            if s.end - s.start != timedelta(minutes=need):
                yield Violation(
                    "duration",
                    f"visit {vid} ({cid}) lasts {as_minutes(s.end - s.start):g} min, not {need}",
                    cid,
                    vid,
                )
    for rv in f.routes:
        rest = rv.shift.rest_break
        if rest is None:
            continue  # a break on a shift without one is a ``break`` fault
        for b in rv.breaks:
            if b.end - b.start != timedelta(minutes=rest.duration_min):
                yield Violation(
                    "duration",
                    f"{rv.cid}'s break {hm(b.start)}–{hm(b.end)} lasts {as_minutes(b.end - b.start):g} min, not {rest.duration_min}",
                    rv.cid,
                )


def check_sync(f: Facts) -> Iterator[Violation]:
    """The two clinicians of a double-handed visit start it at the same minute."""
    for vid, on in f.attendants.items():
        starts = {s.start for _, s in on}
        if f.visit(vid).staff == 2 and len(starts) > 1:
            when = ", ".join(f"{c} {hm(s.start)}" for c, s in on)
            yield Violation(
                "sync", f"double-handed visit {vid} does not start together: {when}", None, vid
            )


def check_gap(f: Facts) -> Iterator[Violation]:
    """A follower starts ``min_gap_min`` after its predecessor ends, and never without it."""
    for vid, on in f.attendants.items():
        visit = f.visit(vid)
        if visit.after_visit is None:
            continue
        before = f.attendants.get(visit.after_visit)
        if not before:
            yield Violation(
                "gap",
                f"visit {vid} is placed although visit {visit.after_visit} it must follow is not",
                None,
                vid,
            )
            continue
        ready = max(s.end for _, s in before) + timedelta(minutes=visit.min_gap_min)
        first = min(s.start for _, s in on)
        if first < ready:
            yield Violation(
                "gap",
                f"visit {vid} starts {hm(first)}, before {hm(ready)} ({visit.min_gap_min} min after {visit.after_visit} ends)",
                None,
                vid,
            )

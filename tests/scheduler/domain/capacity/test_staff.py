"""The caseload's persistent staff (scheduler.domain.capacity.staff): the same people every day,
working blocks of days, the roster met exactly."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest

from scheduler.domain.capacity.scenario import sample_scenario
from scheduler.domain.capacity.staff import CYCLE, WORK_DAYS, staff_pool, team_size
from scheduler.domain.localtime import local
from scheduler.domain.synth import ROLE_SKILLS

START = date(2026, 11, 23)
SMALL = {
    "early": {"HCA": 2, "RN5": 3, "RN6": 1, "AP": 1},
    "late": {"RN5": 2, "RN6": 1},
    "night": {"RN6": 1, "RN5": 1},
}


def _days(n: int = 14) -> list[date]:
    return [START + timedelta(days=i) for i in range(n)]


def test_team_size_is_the_fewest_whose_blocks_cover_every_day():
    for most in (1, 2, 3, 5, 8, 13, 20):
        size = team_size(most)
        pool = staff_pool([{"early": {"RN5": most}}])
        assert len(pool.members) == size
        on = [sum(m.available(d) for m in pool.members) for d in _days(CYCLE)]
        assert min(on) >= most, (most, on)
        smaller = size - 1
        offsets = [i * CYCLE // smaller for i in range(smaller)] if smaller else []
        cover = [
            sum((p + o) % CYCLE < WORK_DAYS for o in offsets) for p in range(CYCLE)
        ]  # one fewer cannot
        assert min(cover) < most
    assert team_size(0) == 0


@pytest.mark.parametrize("roster", [SMALL, sample_scenario().roster])
def test_every_day_meets_the_roster_exactly_with_the_same_people(roster):
    pool = staff_pool([roster], seed=4)
    who = pool.by_id()
    worked: Counter[str] = Counter()
    for day in _days():
        shifts = pool.shifts_on(day, roster)
        ids = [s.clinician_id for s in shifts]
        assert len(ids) == len(set(ids)), "nobody works two shifts in a day"
        cells = Counter((kind, m.role) for m, kind in pool.on_shift(day, roster))
        assert cells == Counter(
            {(k, r): n for k, roles in roster.items() for r, n in roles.items()}
        )
        for s in shifts:
            m = who[s.clinician_id]  # the same person: id, name, grade, base, gender
            assert (s.name, s.role, s.base, s.gender) == (m.name, m.role, m.base, m.gender)
            assert s.skills == ROLE_SKILLS[m.role]
            assert local(s.start).date() == day
            assert m.available(day), "the roster is met from who is on a working day"
            worked[s.clinician_id] += 1
    # Blocks of 4 days on and 2 off, less the spare days: 6 to 10 days of 14 each, about
    # 4.5 in 7 on the sample roster (a one-clinician cell has a team of 2, half each).
    assert set(worked.values()) <= set(range(6, 11)), sorted(Counter(worked.values()).items())
    assert len(worked) == len(pool.members), "everybody works"
    per_week = 7 * sum(worked.values()) / len(worked) / 14
    assert 3.5 <= per_week <= 7 * WORK_DAYS / CYCLE
    if roster is not SMALL:
        assert 4.2 <= per_week <= 4.8


@pytest.mark.parametrize("roster", [SMALL, sample_scenario().roster])
def test_clinicians_work_their_own_shift_type_in_blocks(roster):
    pool = staff_pool([roster], seed=1)
    days = _days(28)
    rota = {day: {m.clinician_id: kind for m, kind in pool.on_shift(day, roster)} for day in days}
    runs: Counter[int] = Counter()
    for m in pool.members:
        kinds = {r[m.clinician_id] for r in rota.values() if m.clinician_id in r}
        assert kinds <= {m.kind}, "a night nurse never has a day shift"
        pattern = "".join("x" if m.clinician_id in rota[d] else "." for d in days)
        # Runs of working days between days off (those cut by the 28 days' ends aside).
        runs.update(len(r) for r in re.findall(r"(?<=\.)x+(?=\.)", pattern))
    assert set(runs) <= {3, 4}, f"a day off is taken at a block's edge, never inside: {runs}"


def test_a_weekend_that_asks_for_more_is_filled_from_the_same_grade():
    weekend = {k: {r: n * 2 for r, n in roles.items()} for k, roles in SMALL.items()}
    pool = staff_pool([SMALL, weekend])
    for day in _days(7):
        roster = weekend if day.weekday() >= 5 else SMALL
        cells = Counter((kind, m.role) for m, kind in pool.on_shift(day, roster))
        assert cells == Counter(
            {(k, r): n for k, roles in roster.items() for r, n in roles.items()}
        )
    # A team sized for a smaller roster still meets a bigger one from its own grade: another
    # day team's spare clinicians, then its own on a day off; never a night nurse by day.
    busier = {**SMALL, "early": {**SMALL["early"], "RN5": 5}}
    tight = staff_pool([SMALL])
    borrowed = 0
    for day in _days(7):
        on = tight.on_shift(day, busier)
        assert len({m.clinician_id for m, _ in on}) == len(on)
        cells = Counter((kind, m.role) for m, kind in on)
        assert cells == Counter(
            {(k, r): n for k, roles in busier.items() for r, n in roles.items()}
        )
        for m, kind in on:
            assert m.role == "RN5" or m.kind == kind
            assert m.kind != "night" or kind == "night"
            borrowed += m.kind != kind or not m.available(day)
    assert borrowed > 0


def test_same_seed_same_team_and_another_seed_another():
    a, b = staff_pool([SMALL], seed=7), staff_pool([SMALL], seed=7)
    assert a == b
    assert a.shifts_on(START, SMALL) == b.shifts_on(START, SMALL)
    c = staff_pool([SMALL], seed=8)
    assert [m.clinician_id for m in c.members] == [m.clinician_id for m in a.members]
    assert [(m.name, m.base, m.gender) for m in c.members] != [
        (m.name, m.base, m.gender) for m in a.members
    ]
    night = [m for m in a.members if m.kind == "night"]
    assert {m.base for m in night} <= {"Stevenage", "St Albans"}
    assert {m.gender for m in a.members} <= {"F", "M"}

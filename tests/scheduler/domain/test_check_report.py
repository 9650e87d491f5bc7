"""The independent checker's report as a whole: the hand-made valid day passes with every KPI
as worked out on paper, all violations are listed (not just the first) in the order of the
rules, and the checker stays independent of the solver and fast on a large day."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from scheduler.domain.check import RULES, check
from scheduler.domain.model import (
    Break,
    Problem,
    Rota,
    Route,
    Shift,
    Stop,
    TravelMatrix,
    Visit,
    Window,
)
from tests.support.check_day import edit, lines, place, problem, valid_rota, win
from tests.support.factories import DAY, at


def test_valid_rota_passes_with_exact_kpis():
    """The hand-made rota has no violation, and every KPI matches the figures worked by hand."""
    report = check(problem(), valid_rota())
    assert report.violations == () and report.ok
    assert report.kpis == {
        "visits_total": 5,
        "visits_assigned": 4,
        "visits_unassigned": 1,  # OUT
        "priority1_total": 3,  # A, PIN, OUT
        "priority1_assigned": 2,
        "priority1_unassigned": 1,
        "double_handed_assigned": 1,  # PAIR
        "travel_min_total": 60,  # N1: 10 + 5 + 0 + 15 back; N2: 8 + 12 + 10 back
        "travel_min_return": 25,  # 15 + 10
        "waiting_min_total": 36,  # N1: 0 + 15 + 10; N2: 8 + 3
        "visit_min_total": 170,  # N1: 30 + 45 + 20; N2: 45 + 30 (PAIR counted for each)
        "clinicians_on_shift": 3,
        "clinicians_used": 2,  # H1 has no route
        "preferred_total": 2,  # A (kept by N1), PIN (goes to N2); OUT is unassigned
        "preferred_kept": 1,
        "continuity_rate": 0.5,
        # busy (95 visit + 30 travel) + (75 + 30) over the paid time of all three on shift:
        # (480 - 30 break) + 480 + 480 (H1 is idle, and counts)
        "utilisation": pytest.approx(230 / 1410),
        "violations": 0,
    }
    assert all(isinstance(report.kpis[k], int) for k in report.kpis if k not in (
        "continuity_rate", "utilisation"))  # fmt: skip


def test_every_violation_is_reported_not_just_the_first():
    """Three independent faults on two routes are all reported, in rule order."""
    rota = edit(valid_rota(), "N1", 3, start=at("14:05"), end=at("14:25"))
    rota = edit(rota, "N2", 1, travel_min=11)
    rota = replace(rota, unassigned=())
    report = check(problem(), rota)
    assert [(v.rule, v.visit_id) for v in report.violations] == [
        ("accounting", "OUT"), ("window", "FOLLOW"), ("travel", "PIN"),
    ]  # fmt: skip
    assert report.kpis["violations"] == 3
    assert [name for name, _ in RULES] == [
        "accounting", "skills", "pin", "excluded", "carer_gender", "after_dark", "window",
        "duration", "sync", "gap", "shift", "travel", "timeline", "break", "max_visits",
    ]  # fmt: skip


def test_checker_never_imports_the_solver():
    """The checker is how we know the solver is right, so importing it must not load ``solver``."""
    code = "import sys, scheduler.domain.check; sys.exit(any(m.split('.')[0] == 'solver' for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_two_thousand_visits_check_in_well_under_a_second():
    """100 clinicians with 20 visits each (2,000 visits, 2,100 places) check cleanly and fast."""
    rng = np.random.default_rng(7)
    n_cl, per = 100, 20
    n_places = n_cl + n_cl * per
    matrix = rng.integers(1, 15, size=(n_places, n_places), dtype=np.int32)
    np.fill_diagonal(matrix, 0)
    visits, shifts, routes, vloc = [], [], [], []
    for c in range(n_cl):
        cid = f"C{c}"
        shifts.append(Shift(cid, cid, frozenset({"RN"}), at("07:00"), at("23:00"), place(0),
                            place(0), rest_break=Break(30, win("07:00", "23:00"))))  # fmt: skip
        here, free, stops = c, 7 * 60, []
        for j in range(per):
            loc = n_cl + c * per + j
            drive = int(matrix[here, loc])
            start = free + drive
            vid = f"V{c}-{j}"
            t0 = DAY + timedelta(minutes=start)
            visits.append(Visit(vid, vid, place(0), Window(t0, t0), 20, frozenset({"RN"})))
            vloc.append(loc)
            stops.append(Stop("visit", vid, t0, t0, t0 + timedelta(minutes=20), drive))
            here, free = loc, start + 20
            if j == 0:
                stops.append(Stop("break", None, *(DAY + timedelta(minutes=free),) * 2,
                                  DAY + timedelta(minutes=free + 30), 0))  # fmt: skip
                free += 30
        routes.append(Route(cid, tuple(stops)))
    p = Problem(
        visits=tuple(visits),
        shifts=tuple(shifts),
        travel=TravelMatrix(tuple(place(0) for _ in range(n_places)), matrix),
        visit_loc=tuple(vloc),
        shift_start_loc=tuple(range(n_cl)),
        shift_end_loc=tuple(range(n_cl)),
        origin=DAY,
    )
    rota = Rota(tuple(routes))
    check(p, rota)  # warm caches (visit_index, shift_index)
    began = time.perf_counter()
    report = check(p, rota)
    elapsed = time.perf_counter() - began
    assert report.ok, lines(report)[:5]
    assert report.kpis["visits_assigned"] == 2000
    assert elapsed < 0.5, elapsed

"""Solving the clock-change nights: the solver's minutes are real elapsed minutes, with both
engines, and the independent checker agrees with every rota."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from scheduler.domain.check import check
from scheduler.domain.formats.day import read_day
from scheduler.domain.localtime import hm
from scheduler.domain.model import Stop, Window
from scheduler.domain.problem import build_problem
from scheduler.domain.timing import workday
from solver import SolveOptions, solve
from solver.options import Engine
from tests.support.factories import MARCH_EVE, OCTOBER_EVE, make_problem, shift, visit, when
from tests.support.formats import DATA

CLOCK = DATA / "clock"
ENGINES: list[Engine] = ["lns", "ortools"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("night", "minutes"), [("october", 690), ("march", 570)])
def test_a_night_on_each_clock_change_solves_and_checks_clean(night, minutes, engine):
    """The files' night (two 21:00–07:30 shifts, five visits, one in each October 01:xx hour):
    each shift is its real length in the solver's minutes, every visit is placed, and the
    checker finds nothing wrong."""
    visits, shifts = read_day(CLOCK / f"{night}_visits.csv", CLOCK / f"{night}_clinicians.csv")
    problem = build_problem(visits, shifts)
    assert {workday(problem, k).end - workday(problem, k).start for k in range(2)} == {minutes}
    result = solve(problem, SolveOptions(time_limit_s=2, seed=1, engine=engine))
    report = check(problem, result.rota)
    assert report.violations == (), [str(v) for v in report.violations]
    assert result.rota.unassigned == ()
    for route in result.rota.routes:
        shift = problem.shifts[problem.shift_index[route.clinician_id]]
        assert all(shift.start <= s.arrive and s.end <= shift.end for s in route.stops)


def test_the_two_october_one_oclocks_are_an_hour_apart_to_the_solver():
    """Two visits the clocks both show at 01:10, one hour of real time apart, for one nurse
    who spends 50 minutes on the first: both fit, in that order."""
    first = Window(when("2026-10-25T01:10+01:00"), when("2026-10-25T01:10+01:00"))
    second = Window(when("2026-10-25T01:10+00:00"), when("2026-10-25T01:10+00:00"))
    a = replace(visit("A", 1, 0, "21:00", "21:00", 50, on=OCTOBER_EVE), window=first)
    b = replace(visit("B", 1, 0, "21:00", "21:00", 30, on=OCTOBER_EVE), window=second)
    p = make_problem([a, b], [shift("N1", "21:00", "31:30", on=OCTOBER_EVE)])
    for engine in ENGINES:
        rota = solve(p, SolveOptions(time_limit_s=1, engine=engine)).rota
        assert check(p, rota).violations == ()
        [route] = rota.routes
        assert route.visit_ids == ("A", "B")
        assert [hm(s.start) for s in route.stops if s.visit_id] == ["01:10", "01:10"]
        assert route.stops[1].start - route.stops[0].start == timedelta(hours=1)


def test_a_minimum_gap_across_the_march_change_is_real_time():
    """Fluids end 22:00 GMT; the disconnection must wait 4.5 h: 02:30 GMT, which the clocks
    show as 03:30. Counting by the wall clock would allow 03:00 (only 4 h later)."""
    connect = visit("ON", 1, 1, "21:30", "21:30", 30, on=MARCH_EVE, priority=1)
    off = visit("OFF", 1, 1, "27:00", "29:00", 20, on=MARCH_EVE, after_visit="ON", min_gap_min=270)
    p = make_problem([connect, off], [shift("N1", "21:00", "31:30", on=MARCH_EVE)])
    for engine in ENGINES:
        rota = solve(p, SolveOptions(time_limit_s=1, engine=engine)).rota
        assert check(p, rota).violations == ()
        starts = {s.visit_id: s.start for r in rota.routes for s in r.stops if s.visit_id}
        assert starts["OFF"] - (starts["ON"] + timedelta(minutes=30)) >= timedelta(minutes=270)
        assert hm(starts["OFF"]) >= "03:30"


def test_the_checker_counts_a_march_gap_in_real_time():
    """A rota that keeps the gap by the wall clock (03:00 shows 5 h after 22:00) but not in
    real time (4 h) is refused by the checker."""
    connect = visit("ON", 1, 1, "21:30", "21:30", 30, on=MARCH_EVE, priority=1)
    off = visit("OFF", 1, 1, "27:00", "29:00", 20, on=MARCH_EVE, after_visit="ON", min_gap_min=270)
    p = make_problem([connect, off], [shift("N1", "21:00", "31:30", on=MARCH_EVE)])
    rota = solve(p, SolveOptions(time_limit_s=1)).rota
    [route] = rota.routes
    early = when("2026-03-29T03:00")
    stops = tuple(
        s if s.visit_id != "OFF" else Stop("visit", "OFF", early, early, early + timedelta(minutes=20), 0)
        for s in route.stops
    )  # fmt: skip
    report = check(p, replace(rota, routes=(replace(route, stops=stops),)))
    assert [(v.rule, v.visit_id) for v in report.violations] == [("gap", "OFF")]
    assert "starts 03:00, before 03:30 (270 min after ON ends)" in str(report.violations[0])

"""The formats tests' corpus and a small solved-looking day built from it.

tests/scheduler/domain/formats/data/: ``good/`` holds a day with every optional column (and the
same visits saved by Excel), ``bad/`` one defect per file, derived from the good pair.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scheduler.domain.formats.day import read_day
from scheduler.domain.model import Problem, Reason, Rota, Route, Stop, TravelMatrix, Unassigned
from scheduler.domain.problem import build_problem, distinct_locations
from tests.support.factories import at

DATA = Path(__file__).resolve().parent.parent / "scheduler" / "domain" / "formats" / "data"
GOOD = DATA / "good"
GOOD_V, GOOD_C = GOOD / "visits.csv", GOOD / "clinicians.csv"
BAD = DATA / "bad"


def small_problem() -> Problem:
    """The good day with an explicit, made-up travel matrix (10 min + 3 × index distance)."""
    visits, shifts = read_day(GOOD_V, GOOD_C)
    places = distinct_locations(visits, shifts)[0]
    n = len(places)
    minutes = np.array([[0 if i == j else 10 + 3 * abs(i - j) for j in range(n)] for i in range(n)])
    return build_problem(visits, shifts, matrix=TravelMatrix(tuple(places), minutes, "test"))


def small_rota(problem: Problem) -> Rota:
    stop = Stop("visit", "V1", at("08:00"), at("08:00"), at("08:30"), 4)
    brk = Stop("break", None, at("11:00"), at("11:00"), at("11:30"), 0)
    v4 = Stop("visit", "V4", at("09:00"), at("09:05"), at("09:35"), 12)
    rest = [
        Unassigned(v.visit_id, 'because, "quoted"', Reason.CAPACITY)
        for v in problem.visits
        if v.visit_id in ("V2", "V3", "V5")
    ]
    return Rota((Route("N1", (stop, v4, brk)), Route("H1", (v4,))), tuple(rest))

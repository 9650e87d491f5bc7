"""bench_first_rota measures what it says on a small day: the construction's first rota is
reported (a time, for the day read), and the ``hah solve`` it times is a real run that writes
a rota the checker passes. No speed is asserted here: the figures live in RESULTS.md."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_first_rota import first_rota_s, hah_solve_s
from scheduler.domain.check import check
from scheduler.domain.formats.day import read_day
from scheduler.domain.formats.rota import read_rota
from scheduler.domain.problem import build_problem
from scheduler.domain.travel import Geodesic

DATA = Path(__file__).resolve().parents[1] / "web" / "data"


def test_the_first_rota_is_timed_and_the_timed_command_writes_a_clean_rota(tmp_path):
    visits, clinicians = DATA / "visits.csv", DATA / "clinicians.csv"
    first, n = first_rota_s(visits, clinicians)
    assert n == len(read_day(visits, clinicians)[0]) and first > 0
    wall = hah_solve_s(visits, clinicians, 1.0, tmp_path / "out")
    assert wall > 0
    problem = build_problem(*read_day(visits, clinicians), Geodesic())
    rota = read_rota(tmp_path / "out", problem)
    assert check(problem, rota).ok

"""Use case: judge a rota from files with the independent checker (``hah check``).

The checker never sees the solver: it re-reads the day and the rota and re-derives every
rule. It uses the travel matrix exported beside the rota when there is one (so it judges
with the numbers the rota was made with), else the same travel model as ``hah solve``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scheduler.domain.check import CheckReport, check
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.day import read_day
from scheduler.domain.formats.rota import read_matrix, read_rota
from scheduler.domain.model import Problem, Rota, Shift, Visit
from scheduler.domain.problem import build_problem
from scheduler.usecases.plan_day import travel_model


def problem_with_export(
    visits: tuple[Visit, ...], shifts: tuple[Shift, ...], rota_dir: Path
) -> Problem | None:
    """The day with the travel matrix exported beside a rota (None if there is none)."""
    matrix = read_matrix(rota_dir)
    if matrix is None:
        return None
    try:
        return build_problem(visits, shifts, matrix=matrix)
    except ValueError as exc:
        raise InputError([InputIssue("locations.csv", None, None, str(exc))]) from exc


@dataclass(frozen=True)
class DayAndRota:
    """A day read from its files and the rota in a folder, with the travel it was made with."""

    visits: tuple[Visit, ...]
    shifts: tuple[Shift, ...]
    problem: Problem
    rota: Rota


def read_day_and_rota(
    visits: Path, clinicians: Path, rota_dir: Path, *, roads: str | None = None
) -> DayAndRota:
    """The day, with the travel matrix exported beside the rota when there is one (else the
    travel model of ``hah solve``), and the rota in ``rota_dir``: what ``hah check``,
    ``hah replan`` and ``hah propose`` all start from."""
    day_visits, shifts = read_day(visits, clinicians)
    problem = None if roads else problem_with_export(day_visits, shifts, rota_dir)
    if problem is None:
        problem = build_problem(day_visits, shifts, travel_model(roads))
    return DayAndRota(day_visits, shifts, problem, read_rota(rota_dir, problem))


def check_rota_files(
    visits: Path, clinicians: Path, rota_dir: Path, *, roads: str | None = None
) -> tuple[Problem, CheckReport]:
    """The day, and the checker's report on the rota in ``rota_dir``."""
    day = read_day_and_rota(visits, clinicians, rota_dir, roads=roads)
    return day.problem, check(day.problem, day.rota)

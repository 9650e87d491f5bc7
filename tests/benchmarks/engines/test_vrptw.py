"""Plain VRPTW mode: the Solomon format is read, and solutions are feasible in reals."""

from __future__ import annotations

import pytest

from benchmarks.engines.vrptw import (
    feasibility_errors,
    read_solomon,
    route_distance,
    solve_vrptw,
    write_solution,
)
from tests.support.vrptw import write_instance


def test_solomon_format_is_read(tmp_path):
    """Name, fleet, capacity and the customer table come through."""
    inst = read_solomon(write_instance(tmp_path / "tiny.txt"))
    assert (inst.name, inst.vehicles, inst.capacity, inst.n) == ("TINY1", 5, 60, 13)
    assert inst.due[0] == 400 and inst.service[1] == 10


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_solutions_are_feasible_in_double_precision(tmp_path, seed):
    """Integer scaling never lets a route through that is late in real arithmetic."""
    inst = read_solomon(write_instance(tmp_path / "tiny.txt", seed=seed))
    result = solve_vrptw(inst, 1.0)
    assert feasibility_errors(inst, result.routes) == []
    assert result.distance == pytest.approx(route_distance(inst, result.routes))
    write_solution(tmp_path / "tiny.sol", result)
    text = (tmp_path / "tiny.sol").read_text()
    assert text.startswith("Route #1:") and f"Cost {result.distance:.2f}" in text


def test_the_checker_catches_a_late_route(tmp_path):
    """A route that visits customers against their windows is reported."""
    inst = read_solomon(write_instance(tmp_path / "tiny.txt"))
    order = sorted(range(1, inst.n), key=lambda c: -inst.due[c])
    assert feasibility_errors(inst, [order])

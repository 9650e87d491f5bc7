"""Solution files: ours (``vehicle patient service start`` lines) and Kummer et al.'s routes.

Why a module of its own: the benchmark writes every solution it reports so that it can be
re-scored independently, and the published BRKGA route files are what the scorer was checked
against (tests/benchmarks/engines/test_hhcrsp.py).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.engines.hhcrsp.instance import HhcrspInstance
from benchmarks.engines.hhcrsp.schedule import Routes, SolveResult, Visit


def write_solution(path: str | Path, inst: HhcrspInstance, result: SolveResult) -> None:
    """One line per visit: ``vehicle patient service start`` (0-based, as in the instance
    file), in route order, after a header with the scores."""
    sc = result.score
    lines = [
        f"# instance {inst.name}",
        f"# objective {sc.objective:.4f} distance {sc.distance:.4f} "
        f"total_tardiness {sc.total_tardiness:.4f} max_tardiness {sc.max_tardiness:.4f} "
        f"seconds {result.seconds:.1f} feasible {'yes' if sc.feasible else 'no'}",
        "# vehicle patient service start",
    ]
    for v, route in enumerate(result.routes):
        lines += [f"{v} {x.patient} {x.service} {x.start:.6f}" for x in route]
    Path(path).write_text("\n".join(lines) + "\n")


def read_solution(path: str | Path, n_vehicles: int) -> Routes:
    """Routes from a file written by ``write_solution``."""
    routes: Routes = [[] for _ in range(n_vehicles)]
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            v, i, s, t = line.split()
            routes[int(v)].append(Visit(int(i), int(s), float(t)))
    return routes


def parse_arc_routes(text: str, n_vehicles: int) -> list[list[tuple[int, int]]]:
    """Visit sequences from the route files of Kummer et al.'s BRKGA (``origin destination
    vehicle service`` lines, depot 0): the published solutions the scorer was checked on."""
    sequences: list[list[tuple[int, int]]] = [[] for _ in range(n_vehicles)]
    for line in text.splitlines():
        parts = line.split()
        if line.startswith("#") or len(parts) != 4:
            continue
        _origin, dest, v, s = (int(p) for p in parts)
        if dest != 0:
            sequences[v].append((dest, s))
    return sequences

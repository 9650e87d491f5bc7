"""One Mankowska HHCRSP instance and its reader.

Kept apart from the solvers because everything else (scorer, search, OR-Tools model, solution
files) reads the same frozen instance and the format's cross-checks belong in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TOL = 1e-6
KEYS = (
    "nbNodes", "nbVehi", "nbServi", "r", "DS", "a", "x", "y", "d", "p", "mind", "maxd", "e", "l"
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class HhcrspInstance:
    """One instance; nodes 0 and ``n_nodes - 1`` are the depot, patients are 1..n_nodes-2.

    ``proc[i, v, s]`` is the processing time of service ``s`` at node ``i`` by vehicle ``v``;
    ``min_gap``/``max_gap`` bound ``start(second) - start(first)`` of a double-service patient,
    the first service being the one with the lower index (as in Mankowska's model).
    """

    name: str
    n_nodes: int
    n_vehicles: int
    n_services: int
    required: np.ndarray  # (n_nodes, n_services) bool
    double: tuple[int, ...]  # double-service patients, 0-based, ascending
    qualified: np.ndarray  # (n_vehicles, n_services) bool
    x: np.ndarray
    y: np.ndarray
    dist: np.ndarray  # (n_nodes, n_nodes), also the travel time
    proc: np.ndarray  # (n_nodes, n_vehicles, n_services)
    min_gap: np.ndarray
    max_gap: np.ndarray
    earliest: np.ndarray
    latest: np.ndarray
    _services: tuple[tuple[int, ...], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("required", "qualified", "x", "y", "dist", "proc", "min_gap", "max_gap",
                     "earliest", "latest"):  # fmt: skip
            getattr(self, name).setflags(write=False)
        services = tuple(tuple(int(s) for s in np.flatnonzero(row)) for row in self.required)
        object.__setattr__(self, "_services", services)

    @property
    def patients(self) -> range:
        return range(1, self.n_nodes - 1)

    def services(self, patient: int) -> tuple[int, ...]:
        """Service types the patient needs, ascending (the first is the earlier one)."""
        return self._services[patient]

    def is_double(self, patient: int) -> bool:
        return len(self._services[patient]) == 2

    def is_simultaneous(self, patient: int) -> bool:
        return self.is_double(patient) and self.max_gap[patient] <= TOL

    def tasks(self) -> list[tuple[int, int]]:
        """Every (patient, service) pair to be performed, in patient order."""
        return [(i, s) for i in self.patients for s in self._services[i]]


def read_instance(path: str | Path) -> HhcrspInstance:
    """The normalised text format of Kummer et al. (keys on their own line, values below).

    ``p`` holds one row per (node, vehicle) pair, node-major; ``DS`` lists the double-service
    nodes 1-based. Every cross-check that the format allows is made.
    """
    path = Path(path)
    blocks: dict[str, list[list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line:
            continue
        if line in KEYS:
            current = line
            if current in blocks:
                raise ValueError(f"{path}: key {current!r} twice")
            blocks[current] = []
        elif current is None:
            raise ValueError(f"{path}: values before the first key")
        else:
            blocks[current].append(line.split())
    missing = [k for k in KEYS if k not in blocks]
    if missing:
        raise ValueError(f"{path}: missing keys {missing}")

    def scalar(key: str) -> int:
        return int(blocks[key][0][0])

    def matrix(key: str, rows: int, cols: int) -> np.ndarray:
        a = np.array([[float(v) for v in row] for row in blocks[key]], dtype=float)
        if a.shape != (rows, cols):
            raise ValueError(f"{path}: {key} is {a.shape}, expected {(rows, cols)}")
        return a

    def vector(key: str, n: int) -> np.ndarray:
        return matrix(key, 1, n)[0]

    n, nv, ns = scalar("nbNodes"), scalar("nbVehi"), scalar("nbServi")
    required = matrix("r", n, ns).astype(bool)
    qualified = matrix("a", nv, ns).astype(bool)
    dist = matrix("d", n, n)
    proc = matrix("p", n * nv, ns).reshape(n, nv, ns)
    double = tuple(sorted(int(v) - 1 for row in blocks["DS"] for v in row))
    inst = HhcrspInstance(
        name=path.stem, n_nodes=n, n_vehicles=nv, n_services=ns, required=required,
        double=double, qualified=qualified, x=vector("x", n), y=vector("y", n), dist=dist,
        proc=proc, min_gap=vector("mind", n), max_gap=vector("maxd", n),
        earliest=vector("e", n), latest=vector("l", n),
    )  # fmt: skip
    counts = required.sum(axis=1)
    for i in inst.patients:
        want = 2 if i in double else 1
        if counts[i] != want:
            raise ValueError(f"{path}: patient {i} needs {counts[i]} services, expected {want}")
        if want == 2 and not 0 <= inst.min_gap[i] <= inst.max_gap[i]:
            raise ValueError(f"{path}: patient {i} has gap [{inst.min_gap[i]}, {inst.max_gap[i]}]")
        for s in inst.services(i):
            if not qualified[:, s].any():
                raise ValueError(f"{path}: nobody is qualified for service {s} of patient {i}")
        if want == 2:
            s1, s2 = inst.services(i)
            if not any(qualified[v, s1] and qualified[w, s2] for v in range(nv) for w in range(nv)
                       if v != w):  # fmt: skip
                raise ValueError(f"{path}: no two vehicles can serve patient {i}")
    if not np.allclose(dist[0], dist[n - 1]) or not np.allclose(dist[:, 0], dist[:, n - 1]):
        raise ValueError(f"{path}: nodes 0 and {n - 1} are not the same depot")
    return inst

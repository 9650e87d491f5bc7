"""Home health care routing and scheduling (Mankowska, Meisel & Bierwirth 2014, "HHCRSP").

This package serves only the Mankowska benchmark (``benchmarks/hhcrsp.py``): it measures our
kind of search against published results on the literature's problem, and the product's
solver (``solver/``) neither uses nor knows it, which is why it lives under benchmarks.

The problem: patients have one time window (service may not start before it opens; starting
after it closes is allowed and costs tardiness), each needs one or two service types; vehicles
(staff) are qualified for some types; a double-service patient's two services are done by two
different vehicles, either simultaneously or with a min/max gap between the two starts (the
service with the lower index first). Travel time = distance; the depot is node 0 (and the
last node). The objective is (total distance + total tardiness + maximum tardiness) / 3,
tardiness counted per service (Mankowska's z_is: both services of a double-service patient
count).

Modules: ``instance`` (the instance and its reader), ``schedule`` (the independent scorer and
the least schedule of fixed sequences, which every solver reports), ``alns`` (the adaptive
large neighbourhood search, the default), ``ortools_model`` (the same problem as an OR-Tools
routing model), ``combined`` (``solve``: the search, optionally polished by OR-Tools),
``solution_io`` (solution files).

Measured with ``benchmarks/hhcrsp.py`` (60 s limit, one process, see benchmarks/RESULTS.md):
mean gap to the best published values A 0.01 %, B -0.01 %, C -0.93 %, D -2.39 %, E -2.94 %,
F -3.10 %, G -2.61 % (negative = better than published), every solution feasible.
"""

from benchmarks.engines.hhcrsp.alns import solve_alns
from benchmarks.engines.hhcrsp.combined import solve
from benchmarks.engines.hhcrsp.instance import HhcrspInstance, read_instance
from benchmarks.engines.hhcrsp.ortools_model import (
    SCALE,
    RoutingHhcrsp,
    build_routing_model,
    solve_ortools,
)
from benchmarks.engines.hhcrsp.schedule import (
    Routes,
    Score,
    SolveResult,
    Visit,
    earliest_schedule,
    score,
)
from benchmarks.engines.hhcrsp.solution_io import parse_arc_routes, read_solution, write_solution

__all__ = [
    "SCALE",
    "HhcrspInstance",
    "Routes",
    "RoutingHhcrsp",
    "Score",
    "SolveResult",
    "Visit",
    "build_routing_model",
    "earliest_schedule",
    "parse_arc_routes",
    "read_instance",
    "read_solution",
    "score",
    "solve",
    "solve_alns",
    "solve_ortools",
    "write_solution",
]

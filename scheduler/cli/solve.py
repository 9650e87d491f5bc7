"""``hah solve`` (plan a day from files) and ``hah check`` (the independent checker)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scheduler.cli.common import EXIT_OK, EXIT_VIOLATIONS
from scheduler.cli.progress import ProgressLine
from scheduler.usecases.check_rota import check_rota_files
from scheduler.usecases.plan_day import DayPlan, plan_day_files
from solver import ENGINES, SolveOptions
from solver.options import default_workers


def register(sub: Any) -> None:
    p = sub.add_parser("solve", help="plan a day from visits.csv and clinicians.csv")
    p.add_argument("--visits", required=True)
    p.add_argument("--clinicians", required=True)
    p.add_argument("--out", required=True, help="directory for rota.csv, unassigned.csv…")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds (default 30)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--export-matrix", action="store_true", help="also write the travel matrix")
    p.add_argument("--roads", help="a local .osm or .graphml road network (default: geodesic)")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="lns",
        help="improvement search: this project's ruin-and-recreate (default) or OR-Tools GLS",
    )
    add_search_arguments(p)
    p.add_argument("--from-rota", help="warm-start from a previous rota folder (its rota.csv)")
    p.add_argument(
        "--minimal-change",
        type=int,
        metavar="MIN",
        help="with --from-rota: move a visit only if that saves at least MIN minutes of travel",
    )
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("check", help="check a rota independently; exit 1 on any violation")
    p.add_argument("--visits", required=True)
    p.add_argument("--clinicians", required=True)
    p.add_argument("--rota", required=True, help="directory holding rota.csv, unassigned.csv")
    p.add_argument("--roads", help="use this road network instead of an exported matrix")
    p.set_defaults(func=cmd_check)


def add_search_arguments(p: argparse.ArgumentParser) -> None:
    """``--iterations`` and ``--workers``, shared by ``hah solve`` and ``hah demo``."""
    p.add_argument(
        "--iterations",
        type=int,
        metavar="N",
        help="bound the search by N iterations (per search) instead of the clock: the same "
        "seed then gives the same rota on this machine; without it the time limit cuts the "
        "search wherever it has got to, so rotas vary from run to run",
    )
    p.add_argument(
        "--workers",
        type=int,
        choices=(1, 2),
        default=default_workers(),
        help="cooperating searches, one per core (default: %(default)s on this machine)",
    )


def solve_files(args: argparse.Namespace, *, export_matrix: bool, quiet: bool) -> DayPlan:
    """Run ``plan_day_files`` with the options of ``hah solve`` (or ``hah demo``); the time
    limit counts from the start of the command, reading and writing included."""
    options = SolveOptions(
        time_limit_s=args.time_limit,
        seed=args.seed,
        engine=getattr(args, "engine", "lns"),
        minimal_change_min=getattr(args, "minimal_change", None),
        max_iterations=getattr(args, "iterations", None),
        workers=getattr(args, "workers", 1),
    )
    line = None if quiet else ProgressLine()
    if line is not None:
        line.time_limit = options.time_limit_s
    try:
        return plan_day_files(
            Path(args.visits), Path(args.clinicians), Path(args.out), options,
            roads=args.roads, export_matrix=export_matrix,
            from_rota=Path(args.from_rota) if getattr(args, "from_rota", None) else None,
            progress=line.solve if line is not None else None, clock_started=getattr(args, "clock_started", None),
        )  # fmt: skip
    finally:
        if line is not None:
            line.close()


def cmd_solve(args: argparse.Namespace) -> int:
    plan = solve_files(args, export_matrix=args.export_matrix, quiet=args.quiet)
    k = plan.report.kpis
    print(
        f"{k['visits_assigned']}/{k['visits_total']} visits placed, "
        f"{k['priority1_unassigned']} priority-1 unassigned, "
        f"{k['travel_min_total']} min travel, {k['clinicians_used']} clinicians; "
        f"checker: {len(plan.report.violations)} violations; written to {args.out}"
    )
    if args.iterations is None and args.time_limit > 0:
        print(
            f"time-limited search ({args.time_limit:g} s): another run may give another rota; "
            "--iterations N gives the same rota for the same --seed"
        )
    if plan.changes is not None:
        c = plan.changes
        print(
            f"against {args.from_rota}: {c['kept']} visits kept in place, {c['reordered']} "
            f"re-ordered, {c['moved']} moved to another clinician, {c['dropped']} dropped, "
            f"{c['added']} added"
        )
    for v in plan.report.violations[:20]:
        print(f"  violation: {v}", file=sys.stderr)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    _, report = check_rota_files(
        Path(args.visits), Path(args.clinicians), Path(args.rota), roads=args.roads
    )
    for v in report.violations:
        print(v)
    print(json.dumps(report.kpis, indent=2, sort_keys=True))
    if report.violations:
        print(f"{len(report.violations)} violation(s)", file=sys.stderr)
        return EXIT_VIOLATIONS
    print("feasible: 0 violations", file=sys.stderr)
    return EXIT_OK

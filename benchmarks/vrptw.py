"""Classic VRPTW benchmarks: this project's routing engine on Solomon and Gehring-Homberger.

    python benchmarks/vrptw.py --set solomon --time-limit 10 [--data ../shared/vrptw] [--jobs 2]
    python benchmarks/vrptw.py --set homberger1000 --time-limit 60 --only C1_10_1,R1_10_1

Each instance is solved in plain VRPTW mode (``benchmarks.engines.vrptw``), checked independently in double
precision, written as a CVRPLIB solution file to ``benchmarks/solutions/vrptw/``, and compared
with the best-known distance in ``bks.csv``: the ``distance`` objective for Solomon, the
``distance_dimacs`` one (1-decimal truncation) for the 1,000-customer set; the 200-customer set
has only vehicles-first values, so its gaps are marked as such. The table goes into
``benchmarks/RESULTS.md``.

With ``--peers`` PyVRP and VROOM (``benchmarks/peers.py``) solve every instance in the same run
with the same time budget, one solve per process (``--jobs`` processes at a time, each solver
single-threaded); their distances are recomputed and checked the same way, their solution files
go to ``benchmarks/solutions/vrptw/<solver>/``, and the table gets a distance and a gap column
per peer.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.engines.vrptw import feasibility_errors, read_solomon, solve_vrptw, write_solution  # noqa: E402
from benchmarks.results import write_section as write_results  # noqa: E402

PEERS = {"pyvrp": "PyVRP", "vroom": "VROOM"}

SETS = {
    "solomon": ("solomon", "distance", False),
    "homberger200": ("homberger/200", "hierarchical", False),
    "homberger1000": ("homberger/1000", "distance_dimacs", True),
}
OUT = ROOT / "benchmarks" / "solutions" / "vrptw"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


def bks(data: Path, objective: str) -> dict[str, tuple[int, float]]:
    with (data / "bks.csv").open() as f:
        return {
            r["instance"].upper(): (int(r["vehicles"]), float(r["distance"]))
            for r in csv.DictReader(f)
            if r["objective"] == objective
        }


def _solver(name: str):
    if name == "ours":
        return solve_vrptw
    from benchmarks import peers

    return {"pyvrp": peers.solve_pyvrp, "vroom": peers.solve_vroom}[name]


def run_one(args: tuple) -> dict:
    path, limit, dimacs, *rest = args
    solver = rest[0] if rest else "ours"
    base = Path(rest[1]) if len(rest) > 1 else OUT
    inst = read_solomon(path)
    result = _solver(solver)(inst, limit, dimacs=dimacs)
    errors = feasibility_errors(inst, result.routes, dimacs=dimacs)
    out = base if solver == "ours" else base / solver
    out.mkdir(parents=True, exist_ok=True)
    write_solution(out / f"{inst.name.upper()}.sol", result, dimacs=dimacs)
    return {
        "instance": inst.name.upper(),
        "solver": solver,
        "distance": result.distance,
        "vehicles": result.vehicles,
        "seconds": result.seconds,
        "feasible": not errors,
        "errors": errors[:3],
    }


def _gap(row: dict | None, bk) -> float | None:
    if row is None or bk is None or not row["feasible"]:
        return None
    return (row["distance"] / bk[1] - 1) * 100


def _mean(gaps: list[float]) -> float:
    return sum(gaps) / len(gaps) if gaps else float("nan")


def write_section(
    name: str,
    rows: list[dict],
    best: dict,
    objective: str,
    limit: float,
    cmd: str,
    peer_rows: dict[str, dict[str, dict]] | None = None,
    results: Path = RESULTS,
) -> tuple[float, dict[str, float]]:
    """The set's table between its markers; ``peer_rows``: solver -> instance -> row.

    Returns our mean gap and each peer's (over the instances each solved feasibly)."""
    peer_rows = peer_rows or {}
    begin, end = f"<!-- vrptw:{name}:begin -->", f"<!-- vrptw:{name}:end -->"
    vs = " vs vehicles-first BKS" if objective == "hierarchical" else ""
    gaps: list[float] = []
    peer_gaps: dict[str, list[float]] = {p: [] for p in peer_rows}
    header = f"| instance | distance | vehicles | seconds | best known | gap %{vs} | feasible |"
    rule = "|---|---|---|---|---|---|---|"
    for p in peer_rows:
        header += (
            f" {PEERS[p]} distance | {PEERS[p]} vehicles | {PEERS[p]} seconds |"
            f" {PEERS[p]} gap %{vs} |"
        )
        rule += "---|---|---|---|"
    peer_note = ""
    if peer_rows:
        peer_note = (
            " Peers: " + ", ".join(PEERS[p] for p in peer_rows) + " with the same time budget "
            "per instance, single-threaded, one solve per process; their distances are "
            "recomputed from their routes and checked the same way (a peer distance marked "
            "*infeasible* broke a rule or left customers out and has no gap). VROOM's "
            "timeout does not interrupt its construction phase, so its seconds can exceed the "
            "budget on large instances."
        )
    lines = [
        begin,
        f"## VRPTW: {name} ({len(rows)} instances, {limit:g} s each)",
        "",
        f"`{cmd}` — {platform.machine()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}. "
        f"Best known: `{objective}` in bks.csv"
        + (
            " (vehicles-first values: gaps are not comparable)"
            if objective == "hierarchical"
            else ""
        )
        + ". Every solution re-checked in double precision."
        + peer_note,
        "",
        header,
        rule,
    ]
    for r in sorted(rows, key=lambda r: r["instance"]):
        bk = best.get(r["instance"])
        gap = (r["distance"] / bk[1] - 1) * 100 if bk else None
        if gap is not None and r["feasible"]:
            gaps.append(gap)
        line = (
            f"| {r['instance']} | {r['distance']:.2f} | {r['vehicles']} | {r['seconds']:.1f} | "
            f"{bk[1] if bk else '-'} | {'-' if gap is None else f'{gap:.2f}'} | {'yes' if r['feasible'] else 'NO'} |"
        )
        for p, by_instance in peer_rows.items():
            pr = by_instance.get(r["instance"])
            pgap = _gap(pr, bk)
            if pgap is not None:
                peer_gaps[p].append(pgap)
            if pr is None:
                line += " - | - | - | - |"
                continue
            mark = "" if pr["feasible"] else " *infeasible*"
            line += (
                f" {pr['distance']:.2f}{mark} | {pr['vehicles']} | {pr['seconds']:.1f} | "
                f"{'-' if pgap is None else f'{pgap:.2f}'} |"
            )
        lines.append(line)
    mean = _mean(gaps)
    peer_means = {p: _mean(g) for p, g in peer_gaps.items()}
    if peer_rows:
        parts = [f"ours {mean:.2f} %"]
        for p, m in peer_means.items():
            solved = len(peer_gaps[p])
            extra = "" if solved == len(rows) else f" on {solved}/{len(rows)} feasible"
            parts.append(f"{PEERS[p]} {m:.2f} %{extra}")
        lines[1] += f": mean gap{vs} " + ", ".join(parts)
    else:
        lines[1] += f": mean gap{vs} {mean:.2f} %"
    lines.append(end)
    block = "\n".join(lines)
    write_results(block, begin, end, results)
    return mean, peer_means


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", choices=sorted(SETS), default="solomon")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "vrptw"))
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", help="comma-separated instance names")
    parser.add_argument(
        "--peers", action="store_true", help="also solve each instance with PyVRP and VROOM"
    )
    parser.add_argument(
        "--results", default=str(RESULTS), help="Markdown file to write the table into"
    )
    parser.add_argument(
        "--solutions", default=str(OUT), help="folder for solution files (peers in sub-folders)"
    )
    parser.add_argument(
        "--section",
        help="name of the RESULTS.md section (default: the set's name), so that a run of a "
        "whole set without peers can sit beside a subset run with them",
    )
    args = parser.parse_args()
    if args.peers:
        try:
            import pyvrp  # noqa: F401
            import vroom  # noqa: F401
        except ImportError as exc:
            parser.error(f"--peers needs pyvrp and pyvroom installed ({exc})")
    folder, objective, dimacs = SETS[args.set]
    data = Path(args.data)
    paths = sorted((data / folder).glob("*.txt"))
    if args.only:
        wanted = {x.strip().upper() for x in args.only.split(",")}
        paths = [p for p in paths if p.stem.upper() in wanted]
    solvers = ["ours", *(PEERS if args.peers else ())]
    tasks = [(str(p), args.time_limit, dimacs, s, args.solutions) for p in paths for s in solvers]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(run_one, tasks))
    for r in results:
        print(r)
    rows = [r for r in results if r["solver"] == "ours"]
    peer_rows = {s: {r["instance"]: r for r in results if r["solver"] == s} for s in solvers[1:]}
    cmd = "python benchmarks/vrptw.py " + " ".join(sys.argv[1:])
    mean, peer_means = write_section(
        args.section or args.set,
        rows,
        bks(data, objective),
        objective,
        args.time_limit,
        cmd,
        peer_rows,
        Path(args.results),
    )
    peers_said = "".join(f", {PEERS[p]} {m:.2f} %" for p, m in peer_means.items())
    print(
        f"mean gap ours {mean:.2f} %{peers_said} over {len(rows)} instances; "
        f"written to {args.results}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

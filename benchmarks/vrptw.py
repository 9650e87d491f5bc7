"""Classic VRPTW benchmarks: this project's routing engine on Solomon and Gehring-Homberger.

    python benchmarks/vrptw.py --set solomon --time-limit 10 [--data ../shared/vrptw] [--jobs 2]
    python benchmarks/vrptw.py --set homberger1000 --time-limit 60 --only C1_10_1,R1_10_1

Each instance is solved in plain VRPTW mode (``solver.vrptw``), checked independently in double
precision, written as a CVRPLIB solution file to ``benchmarks/solutions/vrptw/``, and compared
with the best-known distance in ``bks.csv``: the ``distance`` objective for Solomon, the
``distance_dimacs`` one (1-decimal truncation) for the 1,000-customer set; the 200-customer set
has only vehicles-first values, so its gaps are marked as such. The table goes into
``benchmarks/RESULTS.md``. Peers (PyVRP, VROOM) are not run yet.
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

from solver.vrptw import feasibility_errors, read_solomon, solve_vrptw, write_solution  # noqa: E402

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


def run_one(args: tuple[str, float, bool]) -> dict:
    path, limit, dimacs = args
    inst = read_solomon(path)
    result = solve_vrptw(inst, limit, dimacs=dimacs)
    errors = feasibility_errors(inst, result.routes, dimacs=dimacs)
    OUT.mkdir(parents=True, exist_ok=True)
    write_solution(OUT / f"{inst.name.upper()}.sol", result, dimacs=dimacs)
    return {
        "instance": inst.name.upper(),
        "distance": result.distance,
        "vehicles": result.vehicles,
        "seconds": result.seconds,
        "feasible": not errors,
    }


def write_section(name: str, rows: list[dict], best: dict, objective: str, limit: float, cmd: str):
    begin, end = f"<!-- vrptw:{name}:begin -->", f"<!-- vrptw:{name}:end -->"
    gaps = []
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
        + ". Every solution re-checked in double precision.",
        "",
        "| instance | distance | vehicles | seconds | best known | gap % | feasible |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: r["instance"]):
        bk = best.get(r["instance"])
        gap = (r["distance"] / bk[1] - 1) * 100 if bk else None
        if gap is not None and r["feasible"]:
            gaps.append(gap)
        lines.append(
            f"| {r['instance']} | {r['distance']:.2f} | {r['vehicles']} | {r['seconds']:.1f} | "
            f"{bk[1] if bk else '-'} | {'-' if gap is None else f'{gap:.2f}'} | {'yes' if r['feasible'] else 'NO'} |"
        )
    mean = sum(gaps) / len(gaps) if gaps else float("nan")
    lines[1] += f": mean gap {mean:.2f} %"
    lines.append(end)
    block = "\n".join(lines)
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)
    return mean


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", choices=sorted(SETS), default="solomon")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "vrptw"))
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", help="comma-separated instance names")
    args = parser.parse_args()
    folder, objective, dimacs = SETS[args.set]
    data = Path(args.data)
    paths = sorted((data / folder).glob("*.txt"))
    if args.only:
        wanted = {x.strip().upper() for x in args.only.split(",")}
        paths = [p for p in paths if p.stem.upper() in wanted]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(run_one, [(str(p), args.time_limit, dimacs) for p in paths]))
    for r in rows:
        print(r)
    cmd = "python benchmarks/vrptw.py " + " ".join(sys.argv[1:])
    mean = write_section(args.set, rows, bks(data, objective), objective, args.time_limit, cmd)
    print(f"mean gap {mean:.2f} % over {len(rows)} instances; written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

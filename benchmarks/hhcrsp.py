"""Home health care routing from the literature: the 70 Mankowska et al. (2014) HHCRSP instances.

    python benchmarks/hhcrsp.py --sets A,B,C,D,E --time-limit 60 [--data ../shared/hhcrsp]
    python benchmarks/hhcrsp.py --only F1,G1 --time-limit 60
    python benchmarks/hhcrsp.py --only A3,C1 --iterations 2000 --seed 1   # reproducible

Sets: A-D = InstanzCPLEX_HCSRP_{10,25,50,75}_k, E-G = InstanzVNS_HCSRP_{100,200,300}_k.
Each instance is solved by ``benchmarks.engines.hhcrsp.solve`` (one process per instance, ``--jobs`` at a
time), re-checked and scored by the independent scorer in double precision, written to
``benchmarks/solutions/hhcrsp/`` and compared with the best published value (column ``best``
of ``mankowska_best_known.csv``). The table, per-set means and the gaps against the targets
(<= 3 % on A-E, <= 5 % on F-G) go between the hhcrsp markers of ``benchmarks/RESULTS.md``;
rows of instances not run this time are kept from the previous table.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.engines.hhcrsp import read_instance, solve, write_solution  # noqa: E402
from benchmarks.results import write_section as write_results  # noqa: E402

SETS = {
    "A": "InstanzCPLEX_HCSRP_10",
    "B": "InstanzCPLEX_HCSRP_25",
    "C": "InstanzCPLEX_HCSRP_50",
    "D": "InstanzCPLEX_HCSRP_75",
    "E": "InstanzVNS_HCSRP_100",
    "F": "InstanzVNS_HCSRP_200",
    "G": "InstanzVNS_HCSRP_300",
}
TARGET = {"A": 3.0, "B": 3.0, "C": 3.0, "D": 3.0, "E": 3.0, "F": 5.0, "G": 5.0}
OUT = ROOT / "benchmarks" / "solutions" / "hhcrsp"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- hhcrsp:begin -->", "<!-- hhcrsp:end -->"
COLUMNS = ["instance", "file", "objective", "distance", "total tardiness", "max tardiness",
           "seconds", "best published", "gap %", "scorer"]  # fmt: skip


def instance_name(stem: str) -> str:
    """InstanzCPLEX_HCSRP_10_3 -> A3."""
    prefix, k = stem.rsplit("_", 1)
    letter = next(s for s, p in SETS.items() if p == prefix)
    return f"{letter}{k}"


def published(data: Path) -> dict[str, float]:
    with (data / "mankowska_best_known.csv").open() as f:
        return {r["instance"]: float(r["best"]) for r in csv.DictReader(f)}


def run_one(args: tuple[str, float, int, int | None]) -> dict:
    path, limit, seed, iterations = args
    inst = read_instance(path)
    result = solve(inst, limit, seed=seed, iterations=iterations)
    OUT.mkdir(parents=True, exist_ok=True)
    write_solution(OUT / f"{inst.name}.sol", inst, result)
    sc = result.score
    return {
        "instance": instance_name(inst.name),
        "file": inst.name,
        "objective": sc.objective,
        "distance": sc.distance,
        "total tardiness": sc.total_tardiness,
        "max tardiness": sc.max_tardiness,
        "seconds": result.seconds,
        "scorer": "feasible" if sc.feasible else "INFEASIBLE: " + "; ".join(sc.errors[:2]),
    }


def sort_key(name: str) -> tuple[str, int]:
    return name[0], int(name[1:])


def previous() -> tuple[dict[str, dict], list[str]]:
    """Rows and command lines of the section already in RESULTS.md (rows of instances not
    run this time are kept)."""
    if not RESULTS.exists() or BEGIN not in RESULTS.read_text():
        return {}, []
    block = RESULTS.read_text().split(BEGIN, 1)[1].split(END, 1)[0]
    rows, commands = {}, []
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(COLUMNS) and re.fullmatch(r"[A-G]\d+", cells[0]):
            rows[cells[0]] = dict(zip(COLUMNS, cells, strict=True))
        elif line.startswith("- `python benchmarks/hhcrsp.py"):
            commands.append(line)
    return rows, commands


def fmt(r: dict, best: dict[str, float]) -> dict:
    if isinstance(r["objective"], str):
        return r  # a kept row, already formatted
    b = best[r["instance"]]
    return {
        "instance": r["instance"],
        "file": r["file"],
        "objective": f"{r['objective']:.2f}",
        "distance": f"{r['distance']:.2f}",
        "total tardiness": f"{r['total tardiness']:.2f}",
        "max tardiness": f"{r['max tardiness']:.2f}",
        "seconds": f"{r['seconds']:.1f}",
        "best published": f"{b:g}",
        "gap %": f"{(r['objective'] / b - 1) * 100:.2f}",
        "scorer": r["scorer"],
    }


def write_section(rows: list[dict], best: dict[str, float], limit: float, cmd: str) -> str:
    table, commands = previous()
    for r in rows:
        table[r["instance"]] = fmt(r, best)
    names = sorted(table, key=sort_key)
    ran = ", ".join(sorted((r["instance"] for r in rows), key=sort_key))
    commands.append(
        f"- `{cmd}` — {time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, "
        f"{os.cpu_count()} cores shared, Python {platform.python_version()}: {ran}"
    )
    lines = [
        BEGIN,
        "## Home health care routing (Mankowska et al. 2014 HHCRSP)",
        "",
        "Runs (a later run's rows replace an earlier run's):",
        "",
        *commands,
        "",
        "Objective = (distance + "
        "total tardiness + maximum tardiness) / 3, recomputed by the independent scorer "
        "(`benchmarks.engines.hhcrsp.score`) in double precision; best published = column `best` of "
        "`mankowska_best_known.csv`; gap = objective / best published - 1 (negative: better "
        "than published). Seconds = wall time of `solve` (reading the file excluded, one "
        "process at a time unless `--jobs` says otherwise); the search stops before the "
        "time limit when it has stalled. Solutions in `benchmarks/solutions/hhcrsp/` "
        "(`vehicle patient service start` lines).",
        "",
        "| set | instances run | mean objective | mean best published | mean gap % | target "
        "| mean seconds | all feasible |",
        "|---|---|---|---|---|---|---|---|",
    ]
    summary = []
    for s in SETS:
        group = [table[n] for n in names if n[0] == s]
        if not group:
            continue
        gaps = [float(r["gap %"]) for r in group]
        mean_gap = sum(gaps) / len(gaps)
        ok = all(r["scorer"] == "feasible" for r in group)
        met = "met" if mean_gap <= TARGET[s] and ok else "MISSED"
        lines.append(
            f"| {s} | {len(group)}/10 | "
            f"{sum(float(r['objective']) for r in group) / len(group):.2f} | "
            f"{sum(float(r['best published']) for r in group) / len(group):.2f} | "
            f"{mean_gap:.2f} | <= {TARGET[s]:g} % ({met}) | "
            f"{sum(float(r['seconds']) for r in group) / len(group):.1f} | "
            f"{'yes' if ok else 'NO'} |"
        )
        summary.append(f"{s} {mean_gap:.2f} %")
    lines += ["", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(table[n][c] for c in COLUMNS) + " |" for n in names]
    lines.append(END)
    block = "\n".join(lines)
    write_results(block, BEGIN, END, RESULTS)
    return ", ".join(summary)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="A,B,C,D,E,F,G", help="comma-separated, e.g. A,B")
    parser.add_argument("--only", help="comma-separated instance names, e.g. A1,B3")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "hhcrsp"))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--iterations", type=int, help="stop after this many search iterations, not by the clock"
    )
    args = parser.parse_args()
    data = Path(args.data)
    paths = sorted(
        (data / "mankowska").glob("*.txt"), key=lambda p: sort_key(instance_name(p.stem))
    )
    if args.only:
        wanted = {x.strip().upper() for x in args.only.split(",")}
    else:
        sets = {x.strip().upper() for x in args.sets.split(",")}
        wanted = {instance_name(p.stem) for p in paths if instance_name(p.stem)[0] in sets}
    paths = [p for p in paths if instance_name(p.stem) in wanted]
    if not paths:
        parser.error("no instance selected")
    best = published(data)
    jobs = [(str(p), args.time_limit, args.seed, args.iterations) for p in paths]
    rows = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for r in pool.map(run_one, jobs):
            b = best[r["instance"]]
            print(f"{r['instance']:>4} {r['objective']:9.2f} best {b:9.2f} "
                  f"gap {(r['objective'] / b - 1) * 100:6.2f} % {r['seconds']:5.1f} s "
                  f"{r['scorer']}", flush=True)  # fmt: skip
            rows.append(r)
    cmd = "python benchmarks/hhcrsp.py " + " ".join(sys.argv[1:])
    summary = write_section(rows, best, args.time_limit, cmd)
    print(f"mean gap by set: {summary}; written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

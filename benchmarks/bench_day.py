"""Solve the bundled sample day the way a coordinator would, and record what it cost.

Runs ``hah solve`` in a child process (so that peak memory is the solve's own, read from
``getrusage`` of the child), then ``hah check`` on the result, and writes a table section into
``benchmarks/RESULTS.md`` between markers so other benchmarks can share the file.

    python benchmarks/bench_day.py [--time-limit 60] [--data sample_data] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import write_section  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- bench_day:begin -->", "<!-- bench_day:end -->"


def run_once(data: Path, time_limit: float, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rota"
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "scheduler.cli", "solve", "--visits", str(data / "visits.csv"),
             "--clinicians", str(data / "clinicians.csv"), "--out", str(out),
             "--time-limit", str(time_limit), "--seed", str(seed), "--export-matrix", "--quiet"],
            check=True, cwd=ROOT,
        )  # fmt: skip
        wall = time.monotonic() - t0
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        checked = subprocess.run(
            [sys.executable, "-m", "scheduler.cli", "check", "--visits", str(data / "visits.csv"),
             "--clinicians", str(data / "clinicians.csv"), "--rota", str(out)],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        summary = json.loads((out / "summary.json").read_text())
    k = summary["kpis"]
    return {
        "seed": seed,
        "wall_s": round(wall, 1),
        "peak_mb": round(max(peak_kb, before) / 1024),
        "visits": f"{k['visits_assigned']}/{k['visits_total']}",
        "p1": f"{k['priority1_assigned']}/{k['priority1_total']}",
        "travel_min": k["travel_min_total"],
        "clinicians": f"{k['clinicians_used']}/{k['clinicians_on_shift']}",
        "continuity": f"{k['preferred_kept']}/{k['preferred_total']}",
        "check_exit": checked.returncode,
    }


def write_results(rows: list[dict], time_limit: float, data: Path) -> None:
    lines = [
        BEGIN,
        "## Sample day: `hah solve` end to end",
        "",
        f"`python benchmarks/bench_day.py --time-limit {time_limit:g}` on {data.name}/ — "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}.",
        "Peak memory is the solve process's maximum resident set; `check` exit 0 = no violations.",
        "",
        "| seed | wall s | peak MB | visits placed | priority 1 placed | travel min | clinicians used | continuity kept | check exit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['seed']} | {r['wall_s']} | {r['peak_mb']} | {r['visits']} | {r['p1']} | "
            f"{r['travel_min']} | {r['clinicians']} | {r['continuity']} | {r['check_exit']} |"
        )
    lines.append(END)
    block = "\n".join(lines)
    write_section(block, BEGIN, END, RESULTS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(ROOT / "sample_data"))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=1, help="seeds 0..runs-1")
    args = parser.parse_args()
    rows = [run_once(Path(args.data), args.time_limit, seed) for seed in range(args.runs)]
    for r in rows:
        print(r)
    write_results(rows, args.time_limit, Path(args.data))
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

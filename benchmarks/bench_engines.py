"""The two engines on the same days: this project's ruin and recreate (``--engine lns``, the
default) against OR-Tools' guided local search (``--engine ortools``).

    python benchmarks/bench_engines.py [--time-limit 60] [--days sample,1000] [--results FILE]

Both run through ``solver.solve`` with the same construction, repair and final timing; only
the improvement search differs. Each solve runs in a child process of its own
(``bench_hah.py --worker``), one after another, and its rota is judged by the independent
checker. Writes the ``engines`` section of ``benchmarks/RESULTS.md`` (replaced in place): the
measured reason for the default engine that the README states.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import bench_hah  # noqa: E402
from benchmarks.results import write_section  # noqa: E402

BEGIN, END = "<!-- engines:begin -->", "<!-- engines:end -->"
ENGINES = (("ours", "lns (default)"), ("ortools", "ortools"))


def _row(label: str, r: dict) -> str:
    k = r["kpis"]
    per = k["travel_min_total"] / max(1, k["visits_assigned"])
    return (
        f"| {label} | {k['visits_assigned']}/{k['visits_total']} | "
        f"{k['priority1_assigned']}/{k['priority1_total']} | {k['travel_min_total']:,} | "
        f"{per:.2f} | {r['meta'].get('final_phase', '-')} | {r['seconds']:.1f} | "
        f"{r['peak_mb']} | {r['violations']} |"
    )


def section(runs: dict[str, dict[str, dict]], args: argparse.Namespace) -> str:
    lines = [
        BEGIN,
        f"## The two engines: lns (default) against OR-Tools, {args.time_limit:g} s each",
        "",
        f"`python benchmarks/bench_engines.py --time-limit {args.time_limit:g} --days "
        f"{args.days}` — {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {date.today().isoformat()}. Same construction, repair "
        "and timing; only the improvement search differs. Travel includes the drive home; "
        "violations are the independent checker's.",
        "",
    ]
    for spec, by_engine in runs.items():
        day = next(iter(by_engine.values()))["day"]
        name = "Sample day (sample_data/)" if spec == "sample" else f"Synthetic day ({spec})"
        lines += [
            f"### {name}: {day['visits']} visits, {day['shifts']} clinicians",
            "",
            "| engine | visits placed | priority 1 placed | travel min | travel / placed visit "
            "| final phase | solve s | peak MB | violations |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        lines += [_row(label, by_engine[solver]) for solver, label in ENGINES]
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument(
        "--days",
        default="sample,1000",
        help="sample and/or synthetic day sizes in visits (as bench_hah.py)",
    )
    parser.add_argument("--results", default=str(bench_hah.RESULTS))
    args = parser.parse_args()
    child = argparse.Namespace(vroom_threads=1, vroom_level=5)
    runs: dict[str, dict[str, dict]] = {}
    for token in args.days.split(","):
        spec = "sample" if token == "sample" else f"synth:{bench_hah.patients_for(int(token))[0]}"
        runs[spec] = {}
        for solver, label in ENGINES:
            r = bench_hah.run_child(spec, solver, args.time_limit, child)
            runs[spec][solver] = r
            k = r["kpis"]
            print(f"{spec} {label}: {k['visits_assigned']}/{k['visits_total']} placed, "
                  f"{k['travel_min_total']} min travel, {r['violations']} violations",
                  flush=True)  # fmt: skip
    write_section(section(runs, args), BEGIN, END, Path(args.results))
    print(f"written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

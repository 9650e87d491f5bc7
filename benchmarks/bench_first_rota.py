"""How soon a coordinator has a rota: the first complete rota, and a short limit honoured.

    python benchmarks/bench_first_rota.py [--limit 5] [--repeat 3] [--no-results]

Issue 13's targets: the first complete rota of a 1,000-visit day in ≤ 2 s, and
``hah solve --time-limit 5`` answering in ≤ 6 s, reading and writing included (a live
re-plan cannot wait for more). Days: the bundled sample day (1,070 visits), the day suite's
``tight-1000`` (``benchmarks/dayset``, a generator the solver was not tuned on) and
``county-2000`` (twice the size, for the trend).

- *first rota s*: in one process, from the call of ``solver.solve`` to its first progress
  report, which the construction sends when it has placed every visit it can (the travel
  matrix built before, as ``hah solve`` builds it; numba's machine code already compiled by
  ``make install``).
- *hah solve s*: the wall time of ``hah solve --time-limit L`` run as a child process, from
  its start to its exit: Python's start, reading both files, the travel matrix (the disk cache
  off, ``HAH_CACHE_DIR`` pointed at an empty folder, so it is computed as for a new day), the
  solve, the checker, writing the rota. The median of ``--repeat`` runs, and the worst.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.dayset import write_day  # noqa: E402
from benchmarks.dayset.suite import pick  # noqa: E402
from benchmarks.results import markers, write_section  # noqa: E402

SECTION = "first_rota"
FIRST_ROTA_TARGET_S, VISITS_FOR_TARGET = 2.0, 1000


def days(folder: Path) -> list[tuple[str, Path, Path]]:
    """(label, visits.csv, clinicians.csv) of each day measured."""
    out = [("sample day", ROOT / "sample_data/visits.csv", ROOT / "sample_data/clinicians.csv")]
    for spec in pick("tight-1000,county-2000"):
        where = folder / spec.name
        write_day(spec, where)
        out.append(
            (f"{spec.name} (seed {spec.seed})", where / "visits.csv", where / "clinicians.csv")
        )
    return out


def first_rota_s(visits: Path, clinicians: Path) -> tuple[float, int]:
    from scheduler.domain.formats.day import read_day
    from scheduler.domain.problem import build_problem
    from scheduler.domain.travel import Geodesic
    from solver import SolveOptions, solve

    problem = build_problem(*read_day(visits, clinicians), Geodesic())
    seen: list[float] = []
    t0 = time.monotonic()

    def progress(_p) -> None:
        if not seen:
            seen.append(time.monotonic() - t0)

    solve(problem, SolveOptions(time_limit_s=0.5, workers=1), progress=progress)
    return (seen[0] if seen else float("nan")), len(problem.visits)


def hah_solve_s(visits: Path, clinicians: Path, limit: float, out: Path) -> float:
    hah = Path(sys.executable).with_name("hah")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HAH_CACHE_DIR": cache}
        t0 = time.monotonic()
        subprocess.run([str(hah), "solve", "--visits", str(visits), "--clinicians",
                        str(clinicians), "--out", str(out), "--time-limit", f"{limit:g}"],
                       check=True, env=env, capture_output=True)  # fmt: skip
        return time.monotonic() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--limit", type=float, default=5.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-results", action="store_true")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, v, c in days(Path(tmp)):
            firsts, walls = [], []
            n = 0
            for r in range(args.repeat):
                first, n = first_rota_s(v, c)
                firsts.append(first)
                walls.append(hah_solve_s(v, c, args.limit, Path(tmp) / f"out{r}"))
            row = (label, n, statistics.median(firsts), max(firsts), statistics.median(walls),
                   max(walls))  # fmt: skip
            rows.append(row)
            print(
                f"{label}: {n} visits, first rota {row[2]:.2f} s (worst {row[3]:.2f}), "
                f"hah solve --time-limit {args.limit:g}: {row[4]:.2f} s (worst {row[5]:.2f})"
            )
    begin, end = markers(SECTION)
    lines = [
        begin,
        f"## First rota and a short limit: construction and `hah solve --time-limit {args.limit:g}`",
        "",
        f"`python benchmarks/bench_first_rota.py --limit {args.limit:g} --repeat {args.repeat}` — "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}, load average {load:.1f} at the start. *First rota*: from "
        "`solver.solve` to the construction's complete rota, in process; *hah solve*: the "
        "command's wall time as a child process, reading, travel matrix (disk cache off), "
        f"solve, check and writing included. Median of {args.repeat} runs, and the worst.",
        "",
        f"| day | visits | first rota s | worst | `hah solve --time-limit {args.limit:g}` s | worst |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r[0]} | {r[1]:,} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.2f} | {r[5]:.2f} |" for r in rows
    ]
    near = [r for r in rows if abs(r[1] - VISITS_FOR_TARGET) <= 100]
    first_ok = all(r[3] <= FIRST_ROTA_TARGET_S for r in near)
    wall_ok = all(r[5] <= args.limit + 1 for r in near)
    lines += ["", f"Targets (days of about {VISITS_FOR_TARGET:,} visits, worst run): first rota "
              f"≤ {FIRST_ROTA_TARGET_S:g} s **{'met' if first_ok else 'not met'}**; a "
              f"{args.limit:g} s limit answers in ≤ {args.limit + 1:g} s "
              f"**{'met' if wall_ok else 'not met'}**.", end]  # fmt: skip
    if not args.no_results:
        write_section("\n".join(lines), begin, end)
        print("written to benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Import a 250-patient FHIR R4 bundle, as a trust's nightly export would arrive, and time it.

The bundle is ``scheduler.domain.formats.fhir.synthetic``'s: invented patients (test-range
NHS numbers, Hertfordshire postcodes) with their CarePlans and ServiceRequests, written as
JSON into a temporary file. What is timed is ``read_bundle`` from the file's bytes to the
caseload (patients and care plan items, every resource validated with the FHIR R4 model
and mapped): the first import in the process (which also loads the FHIR model classes) and
the median and worst of ``--reps`` more. For the record, the first day's visits are then
expanded from what was read (once; the expansion's own target is another benchmark's).
Target (issue 14): ≤ 5 s for 250 patients.

    python benchmarks/bench_fhir.py [--patients 250] [--reps 5] [--results]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import markers, write_section  # noqa: E402

BEGIN, END = markers("bench_fhir")
TARGET_S = 5.0
START = date(2026, 11, 23)


def measure(patients: int, reps: int, seed: int = 2026) -> dict:
    from scheduler.domain.careplan import expand
    from scheduler.domain.formats.fhir import read_bundle
    from scheduler.domain.formats.fhir.synthetic import synthetic_bundle

    data = synthetic_bundle(patients, seed=seed, start=START)
    counts: dict[str, int] = {}
    for entry in data["entry"]:
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        size = path.stat().st_size
        t0 = time.perf_counter()
        caseload = read_bundle(path)
        first = time.perf_counter() - t0
        runs = []
        for _ in range(reps):
            t0 = time.perf_counter()
            read_bundle(path)
            runs.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    visits = expand(caseload.patients, caseload.items, START)
    expand_s = time.perf_counter() - t0
    return {
        "patients": len(caseload.patients), "items": len(caseload.items), "resources": counts,
        "bytes": size, "first_s": first, "median_s": statistics.median(runs) if runs else first,
        "worst_s": max(runs) if runs else first, "reps": reps, "visits": len(visits),
        "expand_s": expand_s, "load": os.getloadavg(),
    }  # fmt: skip


def report(r: dict) -> list[str]:
    worst = max(r["first_s"], r["worst_s"])
    verdict = "**MET**" if worst <= TARGET_S else "**MISSED**"
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(r["resources"].items()))
    load = r["load"]
    lines = [
        BEGIN,
        "## FHIR bundle import: `read_bundle` on a synthetic caseload",
        "",
        f"`python benchmarks/bench_fhir.py --patients {r['patients']} --reps {r['reps']} --results` — "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}; load average {load[0]:.1f} / {load[1]:.1f} (1 / 5 min).",
        f"The bundle: {kinds} ({r['bytes'] / 1e6:.2f} MB of JSON), each resource validated with the FHIR R4 model "
        f"(fhir.resources, R4B) and mapped; {r['items']} care plan items read.",
        "",
        "| import | seconds | target |",
        "|---|---|---|",
        f"| first in the process (loads the FHIR models) | {r['first_s']:.2f} | ≤ {TARGET_S:g} s: {verdict} |",
        f"| median of {r['reps']} more | {r['median_s']:.2f} | |",
        f"| worst of {r['reps']} more | {r['worst_s']:.2f} | |",
        "",
        f"Expanding {START.isoformat()}'s visits from what was read: {r['visits']} visits in {r['expand_s']:.3f} s.",
    ]
    if load[0] > (os.cpu_count() or 1):
        lines.append("The machine was shared with other work while this ran (load above its core count).")
    lines.append(END)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=250)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--results", action="store_true", help="write the section of benchmarks/RESULTS.md")
    args = parser.parse_args()
    lines = report(measure(args.patients, args.reps))
    print("\n".join(lines))
    if args.results:
        write_section("\n".join(lines), BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``hah replan``: re-plan the rest of the day from a rota at ``--now``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scheduler.cli.common import (
    EXIT_OK,
    EXIT_VIOLATIONS,
    add_day_and_rota_options,
    ids,
    parse_moment,
)
from scheduler.domain.localtime import hm
from scheduler.usecases.replan_day import replan_files


def register(sub: Any) -> None:
    p = sub.add_parser("replan", help="re-plan the rest of the day from a rota at --now")
    add_day_and_rota_options(p)
    p.add_argument("--add", help="visits.csv of new (e.g. urgent) visits")
    p.add_argument("--remove", help="comma-separated visit ids to cancel")
    p.add_argument("--absent", help="comma-separated clinician ids who go off shift now")
    p.add_argument("--out", required=True)
    p.add_argument("--time-limit", type=float, default=10.0)
    p.add_argument("--roads")
    p.set_defaults(func=cmd_replan)


def cmd_replan(args: argparse.Namespace) -> int:
    now = parse_moment(args.now, "--now")
    r = replan_files(
        Path(args.visits), Path(args.clinicians), Path(args.rota), Path(args.out), now,
        add=Path(args.add) if args.add else None, remove=ids(args.remove),
        absent=ids(args.absent), roads=args.roads, time_limit_s=args.time_limit,
    )  # fmt: skip
    k = r.report.kpis
    c = r.changes
    if not r.report.ok:
        print(f"the checker rejected the re-plan at {hm(now)}: nothing written to {args.out}",
              file=sys.stderr)  # fmt: skip
        for v in r.report.violations[:20]:
            print(f"  violation: {v}", file=sys.stderr)
        return EXIT_VIOLATIONS
    print(
        f"re-planned at {hm(now)}: {r.frozen_visits} visits done or under way kept; against "
        f"the rota before, {c['moved']} moved to another clinician, {c['reordered']} "
        f"re-ordered, {c['dropped']} dropped, {c['added']} placed that were not on it; "
        f"{k['visits_assigned']}/{k['visits_total']} placed, "
        f"{k['priority1_unassigned']} priority-1 unassigned; checker: 0 violations; "
        f"written to {args.out}"
    )
    beside = [n for n, on in (("visits.csv", bool(args.add)), ("clinicians.csv", bool(args.absent)))
              if on]  # fmt: skip
    if beside:
        print(f"  the day as re-planned is beside the rota ({' and '.join(beside)}): check it "
              "against those files")  # fmt: skip
    for u in r.priority1_dropped:
        print(f"  priority-1 visit {u.visit_id} dropped: {u.reason}", file=sys.stderr)
    return EXIT_OK

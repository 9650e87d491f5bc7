"""``hah propose``: who could take a new (urgent) visit at ``--now``, best first; ``--take N``
writes the day with option N taken, if the checker accepts it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from scheduler.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_VIOLATIONS,
    add_day_and_rota_options,
    parse_moment,
)
from scheduler.domain.localtime import hm
from scheduler.usecases.propose import propose_files, take


def register(sub: Any) -> None:
    p = sub.add_parser("propose", help="who could take a new visit at --now, best first")
    add_day_and_rota_options(p)
    p.add_argument("--add", required=True, help="visits.csv of the new visit(s)")
    p.add_argument("--options", type=int, default=5, help="how many options per visit (5)")
    p.add_argument("--take", type=int, help="write the day with option N of the first visit")
    p.add_argument("--out", help="where --take writes the rota")
    p.add_argument("--roads")
    p.set_defaults(func=cmd_propose)


def cmd_propose(args: argparse.Namespace) -> int:
    if args.take is not None and not args.out:
        print("--take needs --out", file=sys.stderr)
        return EXIT_REFUSED
    now = parse_moment(args.now, "--now")
    t0 = time.monotonic()
    proposals = propose_files(
        Path(args.visits), Path(args.clinicians), Path(args.rota), Path(args.add), now,
        roads=args.roads, limit=args.options,
    )  # fmt: skip
    seconds = time.monotonic() - t0
    for vid, options in proposals.options.items():
        print(f"{vid}: {len(options)} option(s) at {hm(now)}, best first")
        for n, o in enumerate(options, 1):
            pushed = ", ".join(f"{v} +{m} min" for v, m in o.pushed) or "no other visit later"
            verdict = "feasible" if o.feasible else "breaks " + ", ".join(o.breaks)
            if o.spends:
                verdict += f"; uses scarce {', '.join(o.spends)} time"
            print(f"  {n}. {o.clinician_id} at {hm(o.start)}, +{o.travel_added_min} min "
                  f"driving; {pushed}; {verdict}")  # fmt: skip
    if args.take is None:
        return EXIT_OK
    vid, options = next(iter(proposals.options.items()))
    if not 1 <= args.take <= len(options):
        print(f"--take: choose 1 to {len(options)}", file=sys.stderr)
        return EXIT_REFUSED
    chosen = options[args.take - 1]
    if not chosen.feasible:
        print(f"option {args.take} breaks {', '.join(chosen.breaks)}: nothing written",
              file=sys.stderr)  # fmt: skip
        return EXIT_VIOLATIONS
    take(proposals, vid, chosen, Path(args.out), seconds)
    print(f"took option {args.take}: {vid} with {chosen.clinician_id} at {hm(chosen.start)}; "
          f"checker: 0 violations; written to {args.out}")  # fmt: skip
    return EXIT_OK

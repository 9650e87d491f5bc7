"""``hah demo``: plan the bundled Hertfordshire sample day and leave a rota a person can read
(``demo_out/rota.html``); with ``--serve``, load it into the web app and serve it."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from scheduler.cli.common import EXIT_OK, EXIT_REFUSED
from scheduler.cli.solve import add_search_arguments, solve_files
from scheduler.cli.web import add_serve_arguments
from scheduler.domain.localtime import local
from scheduler.domain.model import Problem, Rota
from scheduler.domain.report import text_summary, write_html
from scheduler.domain.samples import SAMPLE_DIR


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="solve the bundled Hertfordshire sample day")
    p.add_argument("--data", default=str(SAMPLE_DIR))
    p.add_argument("--out", default="demo_out")
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--roads")
    add_search_arguments(p)
    p.add_argument(
        "--serve",
        action="store_true",
        help="then load the day, its rota and demo accounts into the web app and serve it",
    )
    p.add_argument(
        "--now",
        metavar="HH:MM",
        default="11:30",
        help="with --serve: the service clock's time on the demo day, to play the live day "
        "(urgent referrals, sickness, overruns) from the board; default 11:30",
    )
    add_serve_arguments(p)
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    try:
        datetime.strptime(args.now, "%H:%M")
    except ValueError:
        print(f"--now: {args.now!r} is not a time of day (HH:MM)", file=sys.stderr)
        return EXIT_REFUSED
    data = Path(args.data)
    out = Path(args.out)
    print(f"Solving the sample Hospital at Home day in {data} ({args.time_limit:.0f} s)…")
    args.visits, args.clinicians = data / "visits.csv", data / "clinicians.csv"
    plan = solve_files(args, export_matrix=True, quiet=False)
    print(text_summary(plan.problem, plan.rota, plan.report))
    page = write_html(plan.problem, plan.rota, plan.report, out / "rota.html")
    print(f"\nRota written to {out}/ (rota.csv, unassigned.csv, summary.json).")
    print(f"Open the rota in a browser: {page.resolve().as_uri()}")
    if args.serve:
        return _serve_demo(args, data, plan.problem, plan.rota)
    return EXIT_OK


def _serve_demo(args: argparse.Namespace, data: Path, problem: Problem, rota: Rota) -> int:
    """Load the sample day, its rota and demo accounts into the web app, then serve it."""
    from web import config
    from web.demo import load_demo
    from web.serving import serve

    day = local(min(s.start for s in problem.shifts)).date()
    os.environ.setdefault("HAH_TODAY", day.isoformat())  # the nurse page opens on the demo day
    clock = datetime.strptime(args.now, "%H:%M")  # checked in cmd_demo, before the solve
    os.environ.setdefault("HAH_NOW", f"{day.isoformat()}T{clock:%H:%M}")  # the live day's clock
    os.environ.setdefault("HAH_SECURE_COOKIES", "0")  # plain http on this machine
    # One machine, no Redis needed: solves run in a thread of the one web process.
    os.environ.setdefault("HAH_JOB_RUNNER", "thread")
    url = config.from_env({"SECRET_KEY": "unused"})["DATABASE_URL"]
    loaded = load_demo(url, data, day, rota)
    if loaded.published_number is not None:
        print(f"\nPublished as version {loaded.published_number} of {day}.")
    else:
        print(f"\nNot published: {'; '.join(loaded.refused[:3])}")
    if loaded.roster_duties:
        print(f"Roster: {loaded.roster_duties} duties from {data / 'eroster.csv'} (the caseload's "
              "roster page).")
    if loaded.caseload_patients:
        print(f"Caseload: {loaded.caseload_patients} patients admitted from {data / 'patients.csv'} "
              "and careplans.csv: plan tomorrow from the caseload's roster page.")
    print("Demo accounts (passwords are shown once):")
    for a in loaded.accounts:
        who = f" for {a.clinician_id}" if a.clinician_id else ""
        secret = a.password if a.password else "(exists already; password unchanged)"
        print(f"  {a.role:<12} {a.username:<12} {secret}{who}")
    print(f"Serving on http://{args.host}:{args.port}/ (Ctrl-C to stop)")
    return serve(args.host, args.port, workers=1)

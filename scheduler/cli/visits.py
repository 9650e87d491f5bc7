"""``hah visits``: expand patients' care plans into the day's visits.csv."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from scheduler.cli.common import EXIT_OK, parse_date
from scheduler.domain.careplan import expand, read_caseload, write_visits_csv


def register(sub: Any) -> None:
    p = sub.add_parser("visits", help="expand care plans into a day's visits.csv")
    p.add_argument("--patients", required=True)
    p.add_argument("--careplans", required=True)
    p.add_argument("--date", required=True, help="YYYY-MM-DD")
    p.add_argument("--out", required=True)
    p.add_argument("--day-start", default="07:00", help="planning day starts (default 07:00)")
    p.set_defaults(func=cmd_visits)


def cmd_visits(args: argparse.Namespace) -> int:
    day = parse_date(args.date)
    patients, careplans = read_caseload(Path(args.patients), Path(args.careplans))
    day_start = datetime.strptime(args.day_start, "%H:%M").time()
    visits = expand(patients, careplans, day, day_start=day_start)
    write_visits_csv(visits, Path(args.out))
    print(f"{len(visits)} visits for {day.isoformat()} written to {args.out}")
    return EXIT_OK

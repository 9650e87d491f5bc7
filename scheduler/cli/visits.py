"""``hah visits``: expand patients' care plans into the day's visits.csv."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from scheduler.cli.common import EXIT_OK, parse_date
from scheduler.domain.careplan import expand, read_caseload, write_visits_csv
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.geocode import Gazetteer, PostcodeError


def register(sub: Any) -> None:
    p = sub.add_parser("visits", help="expand care plans into a day's visits.csv")
    p.add_argument("--patients", required=True)
    p.add_argument("--careplans", required=True)
    p.add_argument("--date", required=True, help="YYYY-MM-DD")
    p.add_argument("--out", required=True)
    p.add_argument("--day-start", default="07:00", help="planning day starts (default 07:00)")
    p.add_argument(
        "--postcodes",
        help="the trust's postcode file (ONS Postcode Directory or Code-Point Open CSV): "
        "patients given a postcode and no lat/lon are placed from it, offline",
    )
    p.add_argument(
        "--postcode-districts",
        help="district centroids (postcode,latitude,longitude per outward code) for "
        "postcodes whose district the postcode file lacks",
    )
    p.set_defaults(func=cmd_visits)


def gazetteer_from(postcodes: str | None, districts: str | None) -> Gazetteer | None:
    """The postcode file named on the command line, or ``None``; a file in neither format, or
    missing, is refused as input (exit 2) naming it."""
    if not postcodes:
        return None
    try:
        return Gazetteer.from_file(postcodes, districts_file=districts)
    except (OSError, PostcodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError([InputIssue(Path(postcodes).name, None, None, why)]) from exc


def cmd_visits(args: argparse.Namespace) -> int:
    day = parse_date(args.date)
    warnings: list[InputIssue] = []
    patients, careplans = read_caseload(
        Path(args.patients),
        Path(args.careplans),
        gazetteer=gazetteer_from(args.postcodes, args.postcode_districts),
        warnings=warnings,
    )
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    day_start = datetime.strptime(args.day_start, "%H:%M").time()
    visits = expand(patients, careplans, day, day_start=day_start)
    write_visits_csv(visits, Path(args.out))
    print(f"{len(visits)} visits for {day.isoformat()} written to {args.out}")
    return EXIT_OK

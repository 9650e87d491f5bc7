"""``hah fhir import`` (a FHIR R4 bundle to patients.csv and careplans.csv) and ``hah fhir
appointments`` (a rota as a bundle of FHIR ``Appointment`` resources)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scheduler.cli.common import EXIT_OK
from scheduler.cli.visits import gazetteer_from
from scheduler.domain.careplan import write_careplans_csv, write_patients_csv, write_text
from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.formats.fhir import appointments_bundle, read_bundle
from scheduler.usecases.check_rota import read_day_and_rota


def register(sub: Any) -> None:
    p = sub.add_parser("fhir", help="FHIR R4 bundles: import a caseload, export appointments")
    fhir = p.add_subparsers(dest="fhir_command", required=True)
    q = fhir.add_parser("import", help="a bundle of Patient, CarePlan and ServiceRequest resources to patients.csv and careplans.csv")
    q.add_argument("bundle", help="the bundle (FHIR JSON)")
    q.add_argument("--out", required=True, help="directory for patients.csv and careplans.csv")
    q.add_argument("--postcodes", help="the trust's postcode file (ONSPD or Code-Point Open): "
                   "patients whose address has no geolocation are placed from their postcode")
    q.add_argument("--postcode-districts", help="district centroids for districts the postcode file lacks")
    q.set_defaults(func=cmd_import)
    q = fhir.add_parser("appointments", help="a rota's visits as FHIR Appointment resources")
    q.add_argument("--visits", required=True, help="the day's visits.csv the rota was made for")
    q.add_argument("--clinicians", required=True)
    q.add_argument("--rota", required=True, help="directory holding rota.csv, unassigned.csv")
    q.add_argument("--caseload", help="the caseload's bundle: its NHS numbers go on the patient references")
    q.add_argument("--out", required=True, help="the bundle to write (JSON)")
    q.set_defaults(func=cmd_appointments)


def cmd_import(args: argparse.Namespace) -> int:
    gazetteer = gazetteer_from(args.postcodes, args.postcode_districts)
    warnings: list[InputIssue] = []
    # place=True: a patient the bundle gives no geolocation is placed from her postcode, or
    # refused (naming --postcodes) when no postcode file was given, as the web app's import.
    patients, items = read_bundle(Path(args.bundle), place=True, gazetteer=gazetteer, warnings=warnings)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    out = Path(args.out)
    write_patients_csv(patients, out / "patients.csv")
    write_careplans_csv(items, out / "careplans.csv")
    print(f"{len(patients)} patients and {len(items)} care plan items written to {out}")
    return EXIT_OK


def cmd_appointments(args: argparse.Namespace) -> int:
    day = read_day_and_rota(Path(args.visits), Path(args.clinicians), Path(args.rota))
    patients = read_bundle(Path(args.caseload)).patients if args.caseload else ()
    try:
        bundle = appointments_bundle(day.rota, day.problem, patients=patients)
    except ValueError as exc:
        raise InputError([InputIssue("rota.csv", None, None, str(exc))]) from exc
    write_text(args.out, json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
    print(f"{len(bundle.get('entry', []))} appointments written to {args.out}")
    return EXIT_OK

"""The ``hah`` command line: solve a day, check a rota, expand care plans, run the demo.

This is an entry point: it orchestrates the domain (``scheduler``) and the solver
(``solver``), and is the only module of this package that may import the solver (lazily, so
that ``hah check`` stays independent of it). Exit codes follow the contract: 0 when a rota was
written (unassigned visits are an answer, not an error), 2 when the input was refused (each
problem on stderr as ``file, row N, column C: why``; nothing written), and for ``check`` 1 when
the rota breaks a rule.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, datetime
from pathlib import Path

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.samples import SAMPLE_DIR

EXIT_OK, EXIT_VIOLATIONS, EXIT_REFUSED = 0, 1, 2


def _travel_model(roads: str | None):
    from scheduler.domain.travel import model_from_options

    try:
        model = model_from_options(roads)
        if roads is not None:
            model.graph()  # parse the map now, so a bad file is an input error, not a crash
        return model
    except (ValueError, FileNotFoundError) as exc:
        raise InputError([InputIssue(str(roads), None, None, str(exc))]) from exc


class _ProgressLine:
    """One line on stderr, rewritten in place on a terminal, else printed every few seconds."""

    def __init__(self, time_limit: float):
        self.time_limit = time_limit
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.t0 = time.monotonic()

    def __call__(self, p) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < 5:
            return
        self.last = now
        elapsed = now - self.t0
        cost = "building first rota" if p.objective < 0 else f"best cost {p.objective:,}"
        line = (
            f"[{elapsed:5.1f}s / {self.time_limit:.0f}s] {cost}, "
            f"{p.tasks_placed:,} visit slots placed"
        )
        if self.tty:
            sys.stderr.write("\r" + line.ljust(78))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def _problem_from_export(visits, shifts, rota_dir: Path):
    """The day with the travel matrix exported beside a rota (None if there is none)."""
    from scheduler.domain.formats.files import read_matrix
    from scheduler.domain.problem import build_problem

    matrix = read_matrix(rota_dir)
    if matrix is None:
        return None
    try:
        return build_problem(visits, shifts, matrix=matrix)
    except ValueError as exc:
        raise InputError([InputIssue("locations.csv", None, None, str(exc))]) from exc


def summary_of(report, rota) -> dict:
    """summary.json: the contract's keys first, then every KPI the checker computed."""
    k = report.kpis
    summary = {
        "visits_total": k["visits_total"],
        "visits_assigned": k["visits_assigned"],
        "visits_unassigned": k["visits_unassigned"],
        "priority1_unassigned": k["priority1_unassigned"],
        "travel_min_total": k["travel_min_total"],
        "clinicians_used": k["clinicians_used"],
        "solve_seconds": rota.meta.get("solve_seconds"),
        "violations": len(report.violations),
    }
    summary["kpis"] = dict(k)
    summary["solver"] = {key: v for key, v in rota.meta.items() if key != "solve_seconds"}
    return summary


def _solve_day(
    visits_path: Path,
    clinicians_path: Path,
    out: Path,
    *,
    time_limit: float,
    seed: int,
    export_matrix: bool,
    roads: str | None,
    quiet: bool = False,
    from_rota: Path | None = None,
    minimal_change: int | None = None,
    engine: str = "lns",
    max_iterations: int | None = None,
):
    from scheduler.domain.check import check
    from scheduler.domain.formats.files import (
        plan_changes,
        read_day,
        read_plan_order,
        write_solution,
    )
    from scheduler.domain.problem import build_problem
    from solver import SolveOptions, solve

    visits, shifts = read_day(visits_path, clinicians_path)
    before = read_plan_order(from_rota) if from_rota is not None else None
    model = _travel_model(roads)
    problem = build_problem(visits, shifts, model)
    bar = None if quiet else _ProgressLine(time_limit)
    options = SolveOptions(
        time_limit_s=time_limit,
        seed=seed,
        minimal_change_min=minimal_change,
        engine=engine,
        max_iterations=max_iterations,
    )
    rota = solve(
        problem,
        options,
        progress=bar,
        initial=before.routes if before else None,
        initial_starts=before.starts if before else None,
    )
    if bar is not None:
        bar.close()
    report = check(problem, rota)
    summary = summary_of(report, rota)
    if before is not None:
        summary["plan_changes"] = plan_changes(before.routes, rota)
    write_solution(out, problem, rota, summary, export_matrix=export_matrix)
    return problem, rota, report, summary


def cmd_solve(args: argparse.Namespace) -> int:
    if args.minimal_change is not None and not args.from_rota:
        raise InputError([InputIssue("--minimal-change", None, None, "needs --from-rota DIR")])
    _, _, report, summary = _solve_day(
        Path(args.visits),
        Path(args.clinicians),
        Path(args.out),
        time_limit=args.time_limit,
        seed=args.seed,
        export_matrix=args.export_matrix,
        roads=args.roads,
        quiet=args.quiet,
        from_rota=Path(args.from_rota) if args.from_rota else None,
        minimal_change=args.minimal_change,
        engine=args.engine,
        max_iterations=args.iterations,
    )
    print(
        f"{summary['visits_assigned']}/{summary['visits_total']} visits placed, "
        f"{summary['priority1_unassigned']} priority-1 unassigned, "
        f"{summary['travel_min_total']} min travel, {summary['clinicians_used']} clinicians; "
        f"checker: {len(report.violations)} violations; written to {args.out}"
    )
    if "plan_changes" in summary:
        c = summary["plan_changes"]
        print(
            f"against {args.from_rota}: {c['kept']} visits kept in place, {c['reordered']} "
            f"re-ordered, {c['moved']} moved to another clinician, {c['dropped']} dropped, "
            f"{c['added']} added"
        )
    for v in report.violations[:20]:
        print(f"  violation: {v}", file=sys.stderr)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from scheduler.domain.check import check
    from scheduler.domain.formats.files import read_day, read_rota
    from scheduler.domain.problem import build_problem

    visits, shifts = read_day(Path(args.visits), Path(args.clinicians))
    problem = None if args.roads else _problem_from_export(visits, shifts, Path(args.rota))
    if problem is None:
        problem = build_problem(visits, shifts, _travel_model(args.roads))
    rota = read_rota(Path(args.rota), problem)
    report = check(problem, rota)
    for v in report.violations:
        print(v)
    print(json.dumps(report.kpis, indent=2, sort_keys=True))
    if report.violations:
        print(f"{len(report.violations)} violation(s)", file=sys.stderr)
        return EXIT_VIOLATIONS
    print("feasible: 0 violations", file=sys.stderr)
    return EXIT_OK


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError([InputIssue("--date", None, None, f"{text!r} is not YYYY-MM-DD")]) from exc


def cmd_visits(args: argparse.Namespace) -> int:
    from scheduler.domain.careplan import expand, read_careplans, read_patients, write_visits_csv

    day = _parse_date(args.date)
    issues: list[InputIssue] = []
    patients = careplans = None
    try:
        patients = read_patients(Path(args.patients))
    except InputError as exc:
        issues.extend(exc.issues)
    try:
        ids = {p.patient_id for p in patients} if patients else None
        careplans = read_careplans(Path(args.careplans), ids)
    except InputError as exc:
        issues.extend(exc.issues)
    if issues:
        raise InputError(issues)
    day_start = datetime.strptime(args.day_start, "%H:%M").time()
    visits = expand(patients, careplans, day, day_start=day_start)
    write_visits_csv(visits, Path(args.out))
    print(f"{len(visits)} visits for {day.isoformat()} written to {args.out}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from scheduler.domain.report import text_summary, write_html

    data = Path(args.data)
    out = Path(args.out)
    print(f"Solving the sample Hospital at Home day in {data} ({args.time_limit:.0f} s)…")
    problem, rota, report, _ = _solve_day(
        data / "visits.csv",
        data / "clinicians.csv",
        out,
        time_limit=args.time_limit,
        seed=args.seed,
        export_matrix=True,
        roads=args.roads,
    )
    print(text_summary(problem, rota, report))
    page = write_html(problem, rota, report, out / "rota.html")
    print(f"\nRota written to {out}/ (rota.csv, unassigned.csv, summary.json).")
    print(f"Open the rota in a browser: {page.resolve().as_uri()}")
    if args.serve:
        return _serve_demo(args, data, problem, rota)
    return EXIT_OK


def _serve_demo(args: argparse.Namespace, data: Path, problem, rota) -> int:
    """Load the sample day, its rota and demo accounts into the web app, then serve it."""
    import os

    from web import config
    from web.cli import serve
    from web.demo import load_demo

    day = min(s.start for s in problem.shifts).date()
    os.environ.setdefault("HAH_TODAY", day.isoformat())  # the nurse page opens on the demo day
    os.environ.setdefault("HAH_SECURE_COOKIES", "0")  # plain http on this machine
    url = config.from_env({"SECRET_KEY": "unused"})["DATABASE_URL"]
    loaded = load_demo(url, data, day, rota)
    if loaded.published_number is not None:
        print(f"\nPublished as version {loaded.published_number} of {day}.")
    else:
        print(f"\nNot published: {'; '.join(loaded.refused[:3])}")
    print("Demo accounts (passwords are shown once):")
    for a in loaded.accounts:
        who = f" for {a.clinician_id}" if a.clinician_id else ""
        secret = a.password if a.password else "(exists already; password unchanged)"
        print(f"  {a.role:<12} {a.username:<12} {secret}{who}")
    return serve(args)


def cmd_replan(args: argparse.Namespace) -> int:
    from scheduler.domain.check import check
    from scheduler.domain.formats.files import (
        read_day,
        read_matrix,
        read_rota,
        read_visits,
        write_solution,
    )
    from scheduler.domain.problem import build_problem
    from scheduler.domain.replan import merge, prepare, shifts_as_worked
    from solver import SolveOptions, solve

    visits, shifts = read_day(Path(args.visits), Path(args.clinicians))
    added = read_visits(Path(args.add)) if args.add else ()
    try:
        now = datetime.fromisoformat(args.now)
    except ValueError as exc:
        raise InputError(
            [InputIssue("--now", None, None, f"{args.now!r} is not YYYY-MM-DDTHH:MM")]
        ) from exc
    clash = {v.visit_id for v in added} & {v.visit_id for v in visits}
    if clash:
        raise InputError(
            [
                InputIssue(
                    args.add,
                    None,
                    "visit_id",
                    f"{sorted(clash)[0]!r} is already a visit of the day",
                )
            ]
        )
    model = _travel_model(args.roads)
    before = (
        build_problem(visits, shifts, matrix=read_matrix(Path(args.rota)))
        if not args.roads
        else build_problem(visits, shifts, model)
    )
    rota = read_rota(Path(args.rota), before)
    remove = frozenset(x for x in (args.remove or "").split(",") if x)
    absent = frozenset(x for x in (args.absent or "").split(",") if x)
    prepared = prepare(before, rota, now, add=tuple(added), remove=remove, absent=absent)
    smaller = build_problem(prepared.visits, prepared.shifts, model)
    initial = {
        r.clinician_id: list(
            r.visit_ids[len([s for s in prepared.frozen.get(r.clinician_id, ()) if s.visit_id]) :]
        )
        for r in rota.routes
    }
    starts = {s.visit_id: s.start for r in rota.routes for s in r.stops if s.visit_id}
    new = solve(
        smaller,
        SolveOptions(time_limit_s=args.time_limit, local_search=False),
        initial=initial,
        initial_starts=starts,
    )
    whole = build_problem((*visits, *added), shifts_as_worked(before, prepared, absent), model)
    merged = merge(prepared, new, [v.visit_id for v in whole.visits], now)
    report = check(whole, merged)
    write_solution(Path(args.out), whole, merged, summary_of(report, merged), export_matrix=True)
    print(
        f"re-planned at {now:%H:%M}: {merged.meta['replan_frozen_visits']} visits done or under way kept, "
        f"{merged.meta['replan_moved_visits']} moved to another clinician, "
        f"{report.kpis['visits_assigned']}/{report.kpis['visits_total']} placed, "
        f"{report.kpis['priority1_unassigned']} priority-1 unassigned; checker: {len(report.violations)} violations; "
        f"written to {args.out}"
    )
    for v in report.violations[:20]:
        print(f"  violation: {v}", file=sys.stderr)
    return EXIT_OK


def _web_cli():
    """The web app's commands, imported only when the parser is built (Flask and SQLAlchemy
    are not needed by the solver's commands, but the help lists every command)."""
    import web.cli

    return web.cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hah", description="Hospital at Home visit scheduling (OR-Tools)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("solve", help="plan a day from visits.csv and clinicians.csv")
    p.add_argument("--visits", required=True)
    p.add_argument("--clinicians", required=True)
    p.add_argument("--out", required=True, help="directory for rota.csv, unassigned.csv…")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds (default 30)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--export-matrix", action="store_true", help="also write the travel matrix")
    p.add_argument("--roads", help="a local .osm or .graphml road network (default: geodesic)")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument(
        "--engine",
        choices=("lns", "ortools"),
        default="lns",
        help="improvement search: this project's ruin-and-recreate (default) or OR-Tools GLS",
    )
    p.add_argument(
        "--iterations",
        type=int,
        metavar="N",
        help="bound the search by N ruin-and-recreate iterations instead of the clock: "
        "the same seed then gives the same rota",
    )
    p.add_argument("--from-rota", help="warm-start from a previous rota folder (its rota.csv)")
    p.add_argument(
        "--minimal-change",
        type=int,
        metavar="MIN",
        help="with --from-rota: move a visit only if that saves at least MIN minutes of travel",
    )
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("check", help="check a rota independently; exit 1 on any violation")
    p.add_argument("--visits", required=True)
    p.add_argument("--clinicians", required=True)
    p.add_argument("--rota", required=True, help="directory holding rota.csv, unassigned.csv")
    p.add_argument("--roads", help="use this road network instead of an exported matrix")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("visits", help="expand care plans into a day's visits.csv")
    p.add_argument("--patients", required=True)
    p.add_argument("--careplans", required=True)
    p.add_argument("--date", required=True, help="YYYY-MM-DD")
    p.add_argument("--out", required=True)
    p.add_argument("--day-start", default="07:00", help="planning day starts (default 07:00)")
    p.set_defaults(func=cmd_visits)

    p = sub.add_parser("replan", help="re-plan the rest of the day from a rota at --now")
    p.add_argument("--visits", required=True, help="the day's visits.csv the rota was made for")
    p.add_argument("--clinicians", required=True)
    p.add_argument("--rota", required=True, help="directory of the current rota")
    p.add_argument("--now", required=True, help="YYYY-MM-DDTHH:MM")
    p.add_argument("--add", help="visits.csv of new (e.g. urgent) visits")
    p.add_argument("--remove", help="comma-separated visit ids to cancel")
    p.add_argument("--absent", help="comma-separated clinician ids who go off shift now")
    p.add_argument("--out", required=True)
    p.add_argument("--time-limit", type=float, default=10.0)
    p.add_argument("--roads")
    p.set_defaults(func=cmd_replan)

    p = sub.add_parser("serve", help="run the web app (creates and migrates its database)")
    _web_cli().add_serve_arguments(p)
    p.set_defaults(func=lambda a: _web_cli().serve(a))

    p = sub.add_parser("users", help="manage web app accounts")
    users = p.add_subparsers(dest="users_command", required=True)
    p = users.add_parser("add", help="add an account: coordinator, nurse, ops or admin")
    _web_cli().add_users_add_arguments(p)
    p.set_defaults(func=lambda a: _web_cli().cmd_users_add(a))

    from scheduler.cli.capacity import add_capacity_parser
    from scheduler.usecases.capacity.month import add_simulate_parser

    add_capacity_parser(sub)
    add_simulate_parser(sub)

    p = sub.add_parser("demo", help="solve the bundled Hertfordshire sample day")
    p.add_argument("--data", default=str(SAMPLE_DIR))
    p.add_argument("--out", default="demo_out")
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--roads")
    p.add_argument(
        "--serve",
        action="store_true",
        help="then load the day, its rota and demo accounts into the web app and serve it",
    )
    p.add_argument("--host", default="127.0.0.1", help="with --serve")
    p.add_argument("--port", type=int, default=8000, help="with --serve")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"input refused: {len(exc.issues)} problem(s); nothing written", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

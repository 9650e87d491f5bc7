"""``hah simulate``: a simulated month of admissions and discharges, every day solved.

    hah simulate [--days 30] [--census 250] [--mean-stay 6] [--weekend-staff 1]
                 [--scenario FILE] [--seed 0] [--time-limit 40] [--workers N | --ray ADDRESS]
                 [--caseload [--continuity fixed|learned]] [--out DIR] [--plot]

``--caseload`` simulates the month as a caseload across days (persistent staff working
blocks of days, a named nurse for the stay, regimen changes) and reports continuity over the
stays; ``--continuity learned`` plans each day's preferred clinicians from the days before
(the days are then solved one after another). Without ``--caseload`` the month is as it
was: nurses drawn afresh each day, days solved in parallel.

Parsing and printing only: the month is simulated and written by the use case
(``scheduler.usecases.capacity.month``), its model and report are domain
(``scheduler.domain.capacity.admissions``, ``month_report``). Results go to ``--out``
(default ``month_out/``): ``results.jsonl`` (every solved day; re-running resumes),
``month.csv``, ``month.json`` and, with ``--plot``, ``month.png``/``month.svg``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from scheduler.cli.capacity import day_progress
from scheduler.cli.common import add_executor_options
from scheduler.domain.capacity.admissions import MonthSpec, StayModel
from scheduler.domain.capacity.month_report import MonthResult
from scheduler.domain.capacity.scenario import load_scenario, roster_text, sample_scenario
from scheduler.domain.errors import InputError, InputIssue
from scheduler.usecases.capacity.month import month_charts, simulate_month, write_month


def _pct(x: float | None) -> str:
    return "   –  " if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:5.1f}%"


def print_month(result: MonthResult, file=None) -> None:
    file = file if file is not None else sys.stdout
    t = result.totals
    grades = result.grades()
    say = lambda s="": print(s, file=file)  # noqa: E731
    head = (
        f"{'day':>3} {'date':<10} {'wd':<3} {'census':>6} {'in':>3} {'out':>3} "
        f"{'visits':>6} {'placed':>7} {'P1 ok':>7} {'travel':>6} "
        + " ".join(f"{g:>6}" for g in grades)
        + f" {'over h':>6} {'viol':>4} {'7d visits':>9}"
    )
    say(head)
    for row, r in zip(result.table(), result.rows, strict=True):
        m = r.metrics
        util = " ".join(_pct(m.utilisation.get(g) if m else None) for g in grades)
        over = f"{m.overtime_h:6.1f}" if m else "     –"
        viol = f"{m.violations:>4}" if m else "   –"
        week = f"{row['visits_7d']:9.0f}" if row["visits_7d"] is not None else "        –"
        say(
            f"{r.day:>3} {r.date.isoformat():<10} {r.weekday:<3} {r.census:>6} "
            f"{r.admissions:>3} {r.discharges:>3} {r.visits:>6} "
            f"{_pct(m.placed_rate if m else None):>7} {_pct(m.p1_on_time if m else None):>7} "
            f"{_pct(m.travel_share if m else None):>6} {util} "
            f"{over} {viol} {week}"
        )
    say()
    say(
        f"{result.scenario.name}, {t.days} days from {result.scenario.day.isoformat()} "
        f"(seed {result.seed}, {result.time_limit_s:g} s per day): mean census "
        f"{t.mean_census:.0f} patients, {t.admissions} admitted, {t.discharges} discharged"
    )
    say(
        f"visits: {t.visits:,} in the month ({t.visits / max(t.days, 1):,.0f} a day); "
        f"trend {t.visits_slope:+.1f} visits/day per day"
    )
    if t.days_solved:
        say(
            f"placed: {t.placed:,}/{t.visits_solved:,} ({_pct(t.placed_rate).strip()}), "
            f"trend {100 * t.placed_slope:+.2f} points/day; priority-1 on time: "
            f"{t.p1_placed:,}/{t.p1_total:,} ({_pct(t.p1_on_time).strip()})"
        )
        say(
            f"days meeting the service level ({result.level.text()}): {t.days_ok}/"
            f"{t.days_solved}; overtime estimate {t.overtime_h:,.0f} clinician-hours; "
            f"checker violations {t.violations}"
        )
    c = result.continuity
    if c is not None and c.patients:
        say(
            f"continuity over {c.patients:,} stays ({result.continuity_model} preferences): "
            f"{_pct(c.top3_visits).strip()} of visits by each stay's 3 most frequent clinicians "
            f"(patient mean {_pct(c.top3_patients).strip()}), {_pct(c.top2_visits).strip()} by "
            f"its 2; {c.clinicians_per_patient:.1f} clinicians per stay"
        )
    if not result.complete:
        say(f"{t.days - t.days_solved} day(s) not solved yet: run again to resume")


def add_simulate_parser(sub) -> None:
    """``hah simulate``: register on the main command's subparsers."""
    p = sub.add_parser(
        "simulate", help="simulate a month of admissions and discharges, solving every day"
    )
    p.add_argument("--days", type=int, default=30, help="days to simulate (default 30)")
    p.add_argument("--scenario", help="scenario TOML (default: the bundled sample service)")
    p.add_argument("--census", type=int, default=250, help="mean patients on the ward (250)")
    p.add_argument("--mean-stay", type=float, default=6.0, help="mean length of stay, days (6)")
    p.add_argument(
        "--weekend-staff",
        type=float,
        default=1.0,
        help="roster scale on Saturday and Sunday (default 1: the same roster)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=40.0, help="seconds per day (40)")
    add_executor_options(p)
    p.add_argument(
        "--caseload",
        action="store_true",
        help="a caseload across days: persistent staff, named nurses, regimen changes; "
        "reports continuity over the stays",
    )
    p.add_argument(
        "--continuity",
        choices=("fixed", "learned"),
        default="fixed",
        help="with --caseload: the named nurse (fixed, default) or preferences learned from "
        "the days before (learned: days solved in order, in this process)",
    )
    p.add_argument("--out", default="month_out", help="output folder (resumable)")
    p.add_argument("--plot", action="store_true", help="also draw month.png and month.svg")
    p.set_defaults(func=cmd_simulate)


def _refuse(flag: str, why: str) -> InputError:
    return InputError([InputIssue(flag, None, None, why)])


def cmd_simulate(args: argparse.Namespace) -> int:
    if args.time_limit <= 0:
        raise _refuse("--time-limit", "seconds per day, more than 0")
    if args.workers is not None and args.workers < 1:
        raise _refuse("--workers", "at least 1")
    try:
        stay = StayModel(mean_days=args.mean_stay)
    except ValueError as exc:
        raise _refuse("--mean-stay", str(exc)) from exc
    if args.continuity == "learned" and not args.caseload:
        raise _refuse("--continuity", "learned continuity needs --caseload (persistent staff)")
    try:
        spec = MonthSpec(
            days=args.days,
            census=args.census,
            stay=stay,
            weekend_staff=args.weekend_staff,
            caseload=args.caseload,
        )
    except ValueError as exc:
        flag = next(
            (f for f in ("--days", "--census") if str(exc).startswith(f[2:])), "--weekend-staff"
        )
        raise _refuse(flag, str(exc)) from exc
    scenario = load_scenario(args.scenario) if args.scenario else sample_scenario()
    out = Path(args.out)
    print(
        f"{scenario.name}: {spec.days} days from {scenario.day.isoformat()}, census "
        f"{spec.census} (about {spec.census / spec.stay.mean():.1f} admissions a day, mean "
        f"stay {spec.stay.mean():.1f} days); roster {roster_text(scenario.roster)}; "
        f"{args.time_limit:g} s per day"
        + (f"; caseload, {args.continuity} continuity" if args.caseload else ""),
        file=sys.stderr,
    )
    try:
        result = simulate_month(
            scenario,
            out,
            spec=spec,
            seed=args.seed,
            time_limit_s=args.time_limit,
            workers=args.workers,
            ray_address=args.ray,
            progress=day_progress(),
            continuity=args.continuity,
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: solved days are kept in {out / 'results.jsonl'}; run the same "
            "command again to resume",
            file=sys.stderr,
        )
        return 130
    written = write_month(result, out)
    if args.plot:
        try:
            written += month_charts(result, out)
        except ImportError:
            print("--plot needs matplotlib: pip install -e '.[bench]'", file=sys.stderr)
    print_month(result)
    print(f"wrote {', '.join(str(p) for p in written)} in {result.seconds:.0f} s")
    return 0

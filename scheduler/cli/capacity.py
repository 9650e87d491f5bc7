"""``hah capacity …``: sweeps, the smallest roster, and the sample scenario as TOML.

    hah capacity sweep  [--scenario FILE] [--sizes 150,200,…] [--seeds 5] [--time-limit 30]
                        [--workers N | --ray ADDRESS] [--refine 10] [--out DIR]
                        [--caseload [--caseload-days 7] [--continuity fixed|learned]]
    hah capacity roster --census 250 [--scenario FILE] [--method cp-sat|search] [--seeds 5]
                        [--time-limit 12] [--utilisation 0.85] [--rounds 6] [--budget S]
                        [--caseload [--caseload-days 7] [--continuity fixed|learned]] …
    hah capacity scenario            (prints the sample service's scenario, to copy and edit)

Results go to ``--out`` (default ``capacity_out/``): ``results.jsonl`` (every solved day;
re-running resumes), ``summary.csv``/``summary.json`` and the charts. This module parses
and prints; the use cases (``scheduler.usecases.capacity``) solve and write the files.

``sweep --caseload`` runs each census point as ``--caseload-days`` days (7) of the caseload
month ``hah simulate --caseload`` runs at that census (``domain.capacity.caseload_sweep``:
persistent staff, named nurses, regimen changes) and adds continuity over the stays;
``--seeds`` then counts months and defaults to 1 (7 days a point: about a plain 7-seed
sweep's solves). ``--continuity learned`` learns each day's preferences from the days before.
``roster --caseload`` judges every roster on those days (the CP-SAT model's demand is theirs
too), each roster's own persistent staff working them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from scheduler.cli.common import add_executor_options
from scheduler.cli.progress import ProgressLine
from scheduler.domain.capacity.caseload_sweep import DEFAULT_DAYS, MAX_DAYS, CaseloadSweep
from scheduler.domain.capacity.scenario import (
    load_scenario,
    roster_text,
    sample_scenario,
    scenario_toml,
)
from scheduler.domain.capacity.summary import ServiceLevel, SweepResult
from scheduler.domain.errors import InputError, InputIssue
from scheduler.usecases.capacity.roster import RosterSearch, smallest_roster, write_search
from scheduler.usecases.capacity.roster_cp import (
    CpRosterSearch,
    smallest_roster_cp,
    write_cp_search,
)
from scheduler.usecases.capacity.sweep import sweep, sweep_charts, write_sweep


def _ints(text: str, what: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError([InputIssue(what, None, None, f"{text!r}: whole numbers, comma-"
                                                       "separated")]) from None  # fmt: skip
    if not values or any(v < 1 for v in values):
        raise InputError([InputIssue(what, None, None, "at least one number, each ≥ 1")])
    return values


def _level(args) -> ServiceLevel:
    for name in ("p1", "placed", "days"):
        value = getattr(args, name)
        if not 0 < value <= 100:
            raise InputError([InputIssue(f"--{name}", None, None, "a percentage in (0, 100]")])
    return ServiceLevel(args.p1 / 100, args.placed / 100, args.days / 100)


def _scenario(args):
    return load_scenario(args.scenario) if args.scenario else sample_scenario()


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", help="scenario TOML (default: the bundled sample service)")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds per solved day")
    add_executor_options(p)
    p.add_argument("--p1", type=float, default=100.0, help="%% of priority-1 on time per day")
    p.add_argument("--placed", type=float, default=98.0, help="%% of all visits placed per day")
    p.add_argument("--days", type=float, default=95.0, help="%% of days that must meet both")
    p.add_argument("--out", default="capacity_out", help="output folder (resumable)")
    p.add_argument("--no-plot", action="store_true", help="skip the charts")
    p.add_argument("--caseload", action="store_true",
                   help="each census point as days of a caseload month (persistent staff, "
                        "named nurses, regimen changes), reporting continuity over the stays")
    p.add_argument("--caseload-days", type=int, default=None, metavar="N",
                   help=f"with --caseload: consecutive days per month (default {DEFAULT_DAYS})")
    p.add_argument("--continuity", choices=("fixed", "learned"), default=None,
                   help="with --caseload: the named nurse (fixed, default) or preferences "
                        "learned from the days before (each month's days solved in order)")


def add_capacity_parser(sub) -> None:
    cap = sub.add_parser("capacity", help="capacity: census sweeps and the smallest roster")
    csub = cap.add_subparsers(dest="capacity_command", required=True)
    p = csub.add_parser("sweep", help="solve simulated days per census size and seed")
    _common(p)
    p.add_argument("--sizes", help="census sizes, e.g. 150,200,250 (default: the scenario's)")
    p.add_argument("--seeds", type=int, default=None,
                   help="simulated days per size (default 5); with --caseload, months of "
                        "--caseload-days days per size (default 1)")  # fmt: skip
    p.add_argument("--refine", type=int, default=None, metavar="N",
                   help="bisect the largest census carried to within N patients")  # fmt: skip
    p.set_defaults(func=cmd_sweep)
    p = csub.add_parser("roster", help="the smallest roster that carries a census")
    _common(p)
    p.set_defaults(time_limit=None)
    p.add_argument("--census", type=int, required=True, help="patients on the ward")
    p.add_argument("--method", choices=("cp-sat", "search"), default="cp-sat",
                   help="cp-sat: a covering model answers, real solves verify (default); "
                        "search: judge every roster tried by solving (slow)")  # fmt: skip
    p.add_argument("--seeds", type=int, default=None,
                   help="simulated days per roster (default 5 for cp-sat, 3 for search); "
                        "with --caseload, months of --caseload-days days (default 1)")
    p.add_argument("--utilisation", type=float, default=0.85,
                   help="cp-sat: the model's first cap on visit+travel share of shift time")
    p.add_argument("--rounds", type=int, default=6, help="cp-sat: candidates to verify at most")
    p.add_argument("--budget", type=float, default=None, metavar="S",
                   help="cp-sat: start no round that would end after S seconds")
    p.add_argument("--max-trials", type=int, default=40, help="search: rosters to try at most")
    p.set_defaults(func=cmd_roster)
    p = csub.add_parser("scenario", help="print the sample service's scenario as TOML")
    p.set_defaults(func=lambda a: print(scenario_toml(sample_scenario()), end="") or 0)


def day_progress() -> Callable[[int, int], None]:
    """A run's ``progress(done, total)`` drawn as one line on stderr (``ProgressLine.days``),
    from the first day left to solve: a run with nothing left to solve draws nothing."""
    line = ProgressLine()

    def show(done: int, total: int) -> None:
        if line.first_done is None and done >= total:
            return
        line.days(done, total)

    return show


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}"


def print_sweep(result: SweepResult) -> None:
    grades = sorted({g for s in result.summaries for g in s.utilisation})
    caseload = result.caseload
    head = (f"{'census':>6} {'days':>4} {'visits':>7} {'P1 on time %':>13} {'placed %':>9} "
            f"{'travel %':>8} " + " ".join(f"{'util ' + g:>9}" for g in grades)
            + f" {'overtime h':>10} {'ok days':>7}"
            + (f" {'on ward':>11} {'top-3 %':>7}" if caseload else ""))  # fmt: skip
    print(head)
    for s in result.summaries:
        util = " ".join(f"{_pct(s.utilisation[g].mean):>9}" if g in s.utilisation else " " * 9
                        for g in grades)  # fmt: skip
        extra = ""
        if caseload:
            ward = (f"{s.on_ward.mean:.0f} ({s.on_ward.min:.0f}-{s.on_ward.max:.0f})"
                    if s.on_ward else "–")  # fmt: skip
            top3 = _pct(s.continuity.top3_visits) if s.continuity else "    –"
            extra = f" {ward:>11} {top3:>7}"
        print(f"{s.census:>6} {s.days:>4} {s.visits.mean:>7.0f} "
              f"{_pct(s.p1_on_time.mean):>6} ({_pct(s.p1_on_time.min).strip()}) "
              f"{_pct(s.placed.mean):>9} {_pct(s.travel_share.mean):>8} {util} "
              f"{s.overtime_h.mean:>10.1f} {s.days_ok:>3}/{s.days:<3}{extra}")  # fmt: skip
    bad = sum(s.violations for s in result.summaries)
    print(f"checker violations over all days: {bad}")
    if caseload:
        print(f"{caseload.text()}: census is the target mean (on ward: mean, min-max per day); "
              f"top-3 %: visits made by each stay's 3 most frequent clinicians, "
              "visit-weighted over the stays")  # fmt: skip
    lvl = result.level.text()
    if result.largest is None:
        print(f"Answer: this roster does not carry even {result.summaries[0].census} patients "
              f"at {lvl}.")  # fmt: skip
    else:
        per = (f"{len(result.seeds)} simulated days" if caseload is None else
               f"{len(result.seeds)} month(s) of {caseload.days} days")  # fmt: skip
        print(f"Answer: this roster ({result.scenario.clinicians()} clinicians) carries "
              f"{result.largest} patients at {lvl} (over {per} per size).")  # fmt: skip


def _caseload(args) -> CaseloadSweep | None:
    """``--caseload``'s model, or None; its flags without it are refused by name."""
    if not args.caseload:
        for flag, value in (("--caseload-days", args.caseload_days),
                            ("--continuity", args.continuity)):  # fmt: skip
            if value is not None:
                raise InputError([InputIssue(flag, None, None, "needs --caseload (the caseload "
                                             "model: persistent staff across days)")])  # fmt: skip
        return None
    days = args.caseload_days if args.caseload_days is not None else DEFAULT_DAYS
    if not 1 <= days <= MAX_DAYS:
        raise InputError([InputIssue("--caseload-days", None, None,
                                     f"1 to {MAX_DAYS} days, not {days}")])  # fmt: skip
    return CaseloadSweep(days, args.continuity or "fixed")


def cmd_sweep(args) -> int:
    caseload = _caseload(args)
    seeds = args.seeds if args.seeds is not None else (5 if caseload is None else 1)
    if seeds < 1:
        raise InputError([InputIssue("--seeds", None, None, "at least 1")])
    scenario = _scenario(args)
    level = _level(args)
    sizes = _ints(args.sizes, "--sizes") if args.sizes else list(scenario.census.sizes)
    out = Path(args.out)
    per = (f"{seeds} seeds" if caseload is None
           else f"{seeds} caseload month(s) of {caseload.days} days, {caseload.continuity} "
                "continuity")  # fmt: skip
    print(f"{scenario.name}: roster {roster_text(scenario.roster)} "
          f"({scenario.clinicians()} clinicians); sizes {sizes}, {per}, "
          f"{args.time_limit:g} s per day", file=sys.stderr)  # fmt: skip
    try:
        result = sweep(scenario, out, sizes=sizes, seeds=range(seeds),
                       time_limit_s=args.time_limit, level=level, refine_to=args.refine,
                       workers=args.workers, ray_address=args.ray,
                       progress=day_progress(), caseload=caseload)  # fmt: skip
    except KeyboardInterrupt:
        print(f"\ninterrupted: solved days are kept in {out / 'results.jsonl'}; run the same "
              "command again to resume", file=sys.stderr)  # fmt: skip
        return 130
    write_sweep(result, out)
    charts = [] if args.no_plot else sweep_charts(result, out)
    print_sweep(result)
    print(f"wrote {out / 'summary.csv'}, {out / 'summary.json'}"
          + "".join(f", {p}" for p in charts) + f" in {result.seconds:.0f} s")  # fmt: skip
    return 0


def cmd_roster(args) -> int:
    caseload = _caseload(args)
    scenario = _scenario(args)
    level = _level(args)
    out = Path(args.out)
    cp = args.method == "cp-sat"
    seeds = args.seeds if args.seeds is not None else (1 if caseload else 5 if cp else 3)
    limit = args.time_limit if args.time_limit is not None else (12.0 if cp else 20.0)
    if seeds < 1:
        raise InputError([InputIssue("--seeds", None, None, "at least 1")])
    if not 0.05 <= args.utilisation <= 1:
        raise InputError([InputIssue("--utilisation", None, None, "between 0.05 and 1")])

    def log(m: str) -> None:
        print(m, file=sys.stderr)

    how = ("a CP-SAT covering model, each candidate verified by solving" if cp
           else f"search from {roster_text(scenario.roster)}")  # fmt: skip
    days = "" if caseload is None else f"; days: {caseload.text()}"
    print(f"the smallest roster for {args.census} patients at {level.text()}: {how}{days}",
          file=sys.stderr)  # fmt: skip
    search: RosterSearch | CpRosterSearch
    try:
        if cp:
            search = smallest_roster_cp(
                scenario, args.census, out, seeds=tuple(range(seeds)), time_limit_s=limit,
                level=level, utilisation=args.utilisation, max_rounds=args.rounds,
                budget_s=args.budget, workers=args.workers, ray_address=args.ray, log=log,
                caseload=caseload,
            )  # fmt: skip
            write_cp_search(search, out)
        else:
            search = smallest_roster(scenario, args.census, out, seeds=tuple(range(seeds)),
                                     time_limit_s=limit, level=level,
                                     max_trials=args.max_trials, workers=args.workers,
                                     ray_address=args.ray, log=log,
                                     caseload=caseload)  # fmt: skip
            write_search(search, out)
    except KeyboardInterrupt:
        print("\ninterrupted: solved days are kept; run again to resume", file=sys.stderr)
        return 130
    best = search.best_trial
    tried = f"{len(search.trials)} rosters {'verified' if cp else 'tried'}"
    if best is None:
        more = "--rounds or --utilisation" if cp else "--max-trials or the starting roster"
        print(f"Answer: no roster {'verified' if cp else 'tried'} carries {args.census} "
              f"patients at {level.text()} ({tried}); try another {more}.")  # fmt: skip
        return 0
    print(
        f"Answer: for {args.census} patients, {best.clinicians} clinicians "
        f"({best.paid_hours:.0f} paid hours a day): {roster_text(best.roster)}"
    )
    each = (f"{seeds} simulated days" if caseload is None
            else f"{seeds} caseload month(s) of {caseload.days} days")  # fmt: skip
    print(f"({tried}, {each} each of {limit:g} s a day; {level.text()})")
    return 0

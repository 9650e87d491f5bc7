"""Continuity across days, measured: 14 days of the sample service's caseload, each day planned
from the days before, with today's fixed named nurse against continuity learned from the rotas.

    python benchmarks/bench_continuity.py [--days 14] [--patients 250] [--time-limit 20]
                                          [--seed 0] [--continuity-cost 20] [--half-life 7]
                                          [--learned-cost MIN] [--no-results]

The caseload is the month's admissions model as a caseload (``MonthSpec(caseload=True)``:
admissions, regimen changes, discharges, persistent staff on the sample roster, a named nurse
for about 60 % of stays), at a mean census of ``--patients`` (the roster scaled by
``patients / 250``, so 250 is the sample roster exactly). Both models plan the same days with
the same solver seeds and options, one day after another (``scheduler.usecases.plan_days``);
every rota goes through the independent checker. The figures go into ``benchmarks/RESULTS.md``
(between ``<!-- continuity:begin -->`` and ``<!-- continuity:end -->``) unless
``--no-results``, with the issue-14 targets judged:

- per-stay continuity (visit-weighted share of a stay's visits by its 3 most frequent
  clinicians) learned ≥ 1.5 × fixed;
- travel per placed visit learned ≤ 1.05 × fixed;
- every priority-1 visit placed, and 0 checker violations, on every day.

Expect about ``2 × days × time-limit`` seconds (20 minutes at the defaults).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results import write_section  # noqa: E402
from scheduler.domain.capacity.admissions import MonthCensus, MonthSpec, month_census  # noqa: E402
from scheduler.domain.capacity.scenario import Scenario, sample_scenario  # noqa: E402
from scheduler.domain.continuity import HALF_LIFE_DAYS  # noqa: E402
from scheduler.usecases.plan_days import CaseloadRun, day_visits, plan_days  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- continuity:begin -->", "<!-- continuity:end -->"
TARGET_RATIO = 1.5
TRAVEL_SLACK = 1.05


def scenario_for(patients: int) -> Scenario:
    """The sample service, its roster scaled to ``patients`` (each cell at least 1)."""
    base = sample_scenario()
    if patients == 250:
        return base
    k = patients / 250
    return base.with_roster(
        {kind: {r: max(1, round(n * k)) for r, n in roles.items()} for kind, roles in base.roster.items()}
    )  # fmt: skip


def complete_stays(census: MonthCensus, days: int) -> set[str]:
    """Patients admitted and discharged inside the run: their whole stay was planned."""
    first, end = census.date_of(1), census.date_of(days + 1)
    return {
        s.patient.patient_id for s in census.stays if first <= s.admitted and s.discharged <= end
    }


def cost_of(args: argparse.Namespace, model: str) -> int:
    """The solver's continuity charge for ``model``: ``--continuity-cost`` for both, unless
    ``--learned-cost`` gives the learned model its own (today's model keeps today's)."""
    if model == "learned" and args.learned_cost is not None:
        return args.learned_cost
    return args.continuity_cost


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def run(args: argparse.Namespace, log=print) -> dict:
    census = month_census(
        scenario_for(args.patients),
        MonthSpec(days=args.days, census=args.patients, caseload=True),
        args.seed,
    )
    load = os.getloadavg()[0]
    runs: dict[str, CaseloadRun] = {}
    wall: dict[str, float] = {}
    for model in ("fixed", "learned"):
        t0 = time.monotonic()

        def progress(done: int, total: int, model: str = model, t0: float = t0) -> None:
            log(f"{model}: day {done}/{total} planned ({time.monotonic() - t0:.0f} s)")

        runs[model] = plan_days(
            census,
            range(1, args.days + 1),
            model,
            time_limit_s=args.time_limit,
            continuity_cost=cost_of(args, model),
            half_life_days=args.half_life,
            progress=progress,
        )
        wall[model] = time.monotonic() - t0
    # What learning costs the evening's planning: building the last day's visits with it.
    t0 = time.perf_counter()
    day_visits(census, args.days, "learned", runs["learned"].history, half_life_days=args.half_life)
    learn_s = time.perf_counter() - t0
    whole = complete_stays(census, args.days)
    out: dict[str, Any] = {"census": census, "runs": runs, "wall": wall, "learn_s": learn_s, "load": load,
           "complete": whole}  # fmt: skip
    fixed, learned = runs["fixed"], runs["learned"]
    f, g = fixed.continuity(), learned.continuity()
    out["ratio"] = g.top3_visits / f.top3_visits if f.top3_visits else float("nan")
    out["travel_ratio"] = (
        learned.travel_per_visit / fixed.travel_per_visit if fixed.travel_per_visit else 1.0
    )
    out["p1_ok"] = all(d.metrics.p1_placed == d.metrics.p1_total for d in learned.days)
    out["clean"] = all(d.metrics.violations == 0 for r in runs.values() for d in r.days)
    out["met"] = (
        out["ratio"] >= TARGET_RATIO
        and out["travel_ratio"] <= TRAVEL_SLACK
        and out["p1_ok"]
        and out["clean"]
    )
    return out


def section(args: argparse.Namespace, out: dict) -> str:
    census: MonthCensus = out["census"]
    runs: dict[str, CaseloadRun] = out["runs"]
    fixed, learned = runs["fixed"], runs["learned"]
    whole = out["complete"]
    yes = lambda ok: "**met**" if ok else "**not met**"  # noqa: E731
    cmd = (
        f"python benchmarks/bench_continuity.py --days {args.days} --patients {args.patients} "
        f"--time-limit {args.time_limit:g} --seed {args.seed} --continuity-cost "
        f"{args.continuity_cost} --half-life {args.half_life:g}"
        + (f" --learned-cost {args.learned_cost}" if args.learned_cost is not None else "")
    )
    same = args.learned_cost is None or args.learned_cost == args.continuity_cost
    charge = (
        f"the solver's continuity charge {args.continuity_cost} min for both"
        if same
        else f"the solver's continuity charge {args.continuity_cost} min for fixed (today's) and "
        f"{args.learned_cost} min for learned"
    )
    staff = census.staff.members if census.staff else ()
    lines = [
        BEGIN,
        "## Continuity across days: fixed named nurse vs learned from the rotas (issue 14)",
        "",
        f"`{cmd}`: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {out['load']:.1f} at the start, "
        f"{time.strftime('%Y-%m-%d')}; wall {out['wall']['fixed']:.0f} s (fixed) + "
        f"{out['wall']['learned']:.0f} s (learned).",
        "",
        f"The caseload model (`MonthSpec(caseload=True)`, seed {args.seed}): {args.days} days "
        f"from {census.date_of(1).isoformat()}, mean census {args.patients}, "
        f"{sum(census.admissions(d) for d in range(1, args.days + 1))} admissions and "
        f"{sum(census.discharges(d) for d in range(1, args.days + 1))} discharges in the run, "
        f"regimen changes (IV to oral, q6h/q8h to q12h, fluids stopped); {len(staff)} persistent "
        f"clinicians working 4-on-2-off blocks on the sample roster "
        f"({len(census.day(1)[1])} shifts a day). Fixed: each visit carries "
        f"its patient's one named nurse for the stay (about 60 % of patients have one), today's "
        f"model. Learned: each visit's preferred clinician from the run's earlier rotas "
        f"(`domain.continuity`, half-life {args.half_life:g} days), only someone on shift who "
        f"could make it. Same days and solver seeds for both, {charge}; every rota checked by "
        f"the independent checker.",
        "",
        "| day | date | census | visits | fixed placed | fixed P1 | fixed travel/visit | fixed kept | learned placed | learned P1 | learned travel/visit | learned kept | violations |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for a, b in zip(fixed.days, learned.days, strict=True):
        fm, lm = a.metrics, b.metrics
        lines.append(
            f"| {a.day} | {a.date.isoformat()} | {census.census(a.day)} | {fm.visits} | "
            f"{fm.placed} | {fm.p1_placed}/{fm.p1_total} | {fm.travel_min / max(fm.placed, 1):.2f} | "
            f"{a.preferred_kept}/{a.preferred_total} | {lm.placed} | {lm.p1_placed}/{lm.p1_total} | "
            f"{lm.travel_min / max(lm.placed, 1):.2f} | {b.preferred_kept}/{b.preferred_total} | "
            f"{fm.violations} / {lm.violations} |"
        )  # fmt: skip
    lines += [
        "",
        "| over the run | fixed | learned | learned / fixed |",
        "|---|---|---|---|",
    ]
    rows = [
        ("stays seen", lambda r: r.continuity().patients, "d"),
        ("top-3 share, visit-weighted (**target ≥ 1.5 ×**)", lambda r: r.continuity().top3_visits, "p"),
        ("top-2 share, visit-weighted", lambda r: r.continuity().top2_visits, "p"),
        ("top-3 share, patient mean", lambda r: r.continuity().top3_patients, "p"),
        (f"top-3 share, stays wholly inside the run ({len(whole)})",
         lambda r: r.continuity(whole).top3_visits, "p"),
        ("clinicians per stay", lambda r: r.continuity().clinicians_per_patient, "f"),
        ("travel per placed visit, min (**target ≤ 1.05 ×**)", lambda r: r.travel_per_visit, "f"),
        ("visits placed", lambda r: r.placed / r.visits if r.visits else 1.0, "p"),
        ("priority-1 placed", lambda r: f"{r.p1_placed}/{r.p1_total}", "s"),
        ("checker violations", lambda r: r.violations, "d"),
    ]  # fmt: skip
    for name, get, kind in rows:
        a, b = get(fixed), get(learned)
        if kind == "p":
            cells = (_pct(a), _pct(b), f"{b / a:.2f} ×" if a else "–")
        elif kind == "f":
            cells = (f"{a:.2f}", f"{b:.2f}", f"{b / a:.2f} ×" if a else "–")
        else:
            cells = (str(a), str(b), "")
        lines.append(f"| {name} | {' | '.join(cells)} |")
    lines += [
        "",
        f"Targets: continuity ratio {out['ratio']:.2f} × (≥ {TARGET_RATIO}) {yes(out['ratio'] >= TARGET_RATIO)}; "
        f"travel per visit {out['travel_ratio']:.3f} × (≤ {TRAVEL_SLACK}) "
        f"{yes(out['travel_ratio'] <= TRAVEL_SLACK)}; every priority-1 visit placed every day "
        f"(learned) {yes(out['p1_ok'])}; 0 checker violations every day {yes(out['clean'])}. "
        f"Learning the day's preferences for {census.census(args.days)} patients took "
        f"{out['learn_s'] * 1000:.0f} ms (expansion included).",
        END,
    ]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--patients", type=int, default=250, help="mean census (default 250)")
    p.add_argument("--time-limit", type=float, default=20.0, help="seconds per day (20)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--continuity-cost",
        type=int,
        default=20,
        help="the solver's continuity charge, minutes (both models; default 20)",
    )
    p.add_argument(
        "--half-life",
        type=float,
        default=HALF_LIFE_DAYS,
        help=f"learned scores' half-life, days ({HALF_LIFE_DAYS:g})",
    )
    p.add_argument(
        "--learned-cost",
        type=int,
        default=None,
        help="the learned model's own continuity charge (default: --continuity-cost)",
    )
    p.add_argument("--no-results", action="store_true", help="print only; leave RESULTS.md")
    p.add_argument("--results-file", default=str(RESULTS), help=argparse.SUPPRESS)
    args = p.parse_args(argv)  # fmt: skip
    out = run(args, log=lambda s: print(s, file=sys.stderr))
    block = section(args, out)
    print(block)
    if not args.no_results:
        write_section(block, BEGIN, END, Path(args.results_file))
        print(f"written to {args.results_file}", file=sys.stderr)
    return 0 if out["met"] else 1


if __name__ == "__main__":
    sys.exit(main())

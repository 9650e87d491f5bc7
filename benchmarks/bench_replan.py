"""Re-planning on the sample day: an urgent referral at 11:30, and a nurse going off sick.

Solves the sample day (``--time-limit``, default 60 s), then runs ``hah replan`` at 11:30 with
one urgent IV visit (2-hour response window), and again with the busiest morning nurse
absent; records wall time, visits moved and the checker's verdict in ``benchmarks/RESULTS.md``.

Issue 11's targets, checked here and stated MET or MISSED (the script reports, it does not
fail): with the nurse off sick, every priority-1 visit left unassigned by the re-plan is tried
*alone* on the re-planned rota (``scheduler.domain.who_could_take``: every qualified clinician
on shift, the absent one excepted, each at her best place from 11:30 on, judged by the
checker on the whole day); none may be reachable, and the command takes at most 10 s. A
30-minute overrun at 10:00 has its at-risk visits flagged in at most 1 s.

    python benchmarks/bench_replan.py [--time-limit 60]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import write_section  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- bench_replan:begin -->", "<!-- bench_replan:end -->"
URGENT = (
    "visit_id,patient_id,lat,lon,window_start,window_end,duration_min,skills,staff,priority,visit_type\n"
    "URGENT1,P9001,51.7700,-0.3000,2026-11-23T11:30,2026-11-23T13:30,45,IV,1,1,Urgent: first IV dose\n"
)
NOW = "2026-11-23T11:30"
#: Issue 11: the sick-nurse re-plan's wall seconds, and the overrun's flags.
REPLAN_TARGET_S, FLAGS_TARGET_S = 10.0, 1.0


def hah(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )


def _in_process(base: Path, data: Path) -> list[tuple[str, float, str]]:
    """Who could take the urgent visit (``who_could_take``), and a 30-minute overrun at 10:00
    for the nurse with most visits after it (``running_late``): flags alone, then with fixes."""
    from scheduler.domain.formats.day import read_day, read_visits
    from scheduler.domain.formats.rota import read_matrix, read_rota
    from scheduler.domain.localtime import hm, parse_contract
    from scheduler.domain.model import Rota, Unassigned
    from scheduler.domain.problem import build_problem
    from scheduler.domain.running_late import running_late
    from scheduler.domain.who_could_take import who_could_take
    from scheduler.usecases.plan_day import travel_model

    visits, shifts = read_day(data / "visits.csv", data / "clinicians.csv")
    problem = build_problem(visits, shifts, matrix=read_matrix(base))
    rota = read_rota(base, problem)
    out = []
    urgent = read_visits(base.parent / "urgent.csv")
    bigger = build_problem([*visits, *urgent], shifts, travel_model(None))
    with_new = Rota(rota.routes, (*rota.unassigned, Unassigned(urgent[0].visit_id, "referral")))
    t0 = time.perf_counter()
    options = who_could_take(bigger, with_new, urgent[0].visit_id, parse_contract("2026-11-23T11:30"))
    wall = time.perf_counter() - t0
    first = options[0]
    out.append(("who could take the urgent IV visit at 11:30", wall,
                f"{len(options)} options, {sum(o.feasible for o in options)} feasible; first "
                f"{first.clinician_id} at {hm(first.start)}, +{first.travel_added_min} min "
                f"driving, {len(first.pushed)} of her visits later"))  # fmt: skip
    now = parse_contract("2026-11-23T10:00")
    busy = [r for r in rota.routes if any(s.start <= now < s.end for s in r.stops)]
    nurse = max(busy, key=lambda r: sum(1 for s in r.stops if s.start > now)).clinician_id
    for label, fixes in (("flags", 0), ("flags and fixes", 3)):
        t0 = time.perf_counter()
        late = running_late(problem, rota, nurse, now, 30, fixes_per_visit=fixes)
        wall = time.perf_counter() - t0
        p1 = sum(1 for r in late.at_risk if r.priority == 1)
        offered = sum(len(f) for f in late.fixes.values())
        out.append((f"{nurse} 30 min late at 10:00: {label}", wall,
                    f"{len(late.pushed)} visits later, {len(late.at_risk)} at risk ({p1} "
                    f"priority 1), {offered} fixes offered"))  # fmt: skip
    return out


@dataclass(frozen=True)
class LeftOut:
    """A priority-1 visit the re-plan left unassigned, tried alone: ``eligible`` clinicians
    (qualified, on shift in its window, not absent) offered by ``who_could_take``, the best
    of them (``best``: clinician, start and the rules it breaks, empty if feasible), and
    whether one of them could make it with her afternoon cleared (nothing after 11:30)."""

    visit_id: str
    window: str
    reason: str
    eligible: int
    best: str
    reachable: bool
    reachable_cleared: bool


@dataclass(frozen=True)
class SickCheck:
    priority1_total: int
    left_out: tuple[LeftOut, ...]
    violations: int
    seconds: float

    @property
    def reachable(self) -> int:
        return sum(x.reachable for x in self.left_out)


def _sick_check(data: Path, base: Path, out: Path, absent: str) -> SickCheck:
    """The re-planned day with ``absent`` off sick, read back from ``out`` and judged as
    ``hah replan`` judged it (the whole day, her break waived if she had not taken it), and
    every priority-1 visit it left out tried alone (see ``LeftOut``)."""
    from scheduler.domain.check import check
    from scheduler.domain.formats.day import read_day
    from scheduler.domain.formats.rota import read_matrix, read_rota
    from scheduler.domain.localtime import hm, parse_contract
    from scheduler.domain.problem import build_problem
    from scheduler.domain.replan import frozen_routes, prepare, shifts_as_worked
    from scheduler.domain.retime import retime
    from scheduler.domain.who_could_take import who_could_take

    t0 = time.perf_counter()
    now = parse_contract(NOW)
    gone = frozenset({absent})
    visits, shifts = read_day(data / "visits.csv", data / "clinicians.csv")
    before = build_problem(visits, shifts, matrix=read_matrix(base))
    prepared = prepare(before, read_rota(base, before), now, absent=gone)
    whole = build_problem(visits, shifts_as_worked(before, prepared, gone), matrix=read_matrix(out))
    rota = read_rota(out, whole)
    violations = len(check(whole, rota).violations)
    placed = {vid for r in rota.routes for vid in r.visit_ids}
    reasons = {u.visit_id: u.reason for u in rota.unassigned}
    p1 = [v for v in whole.visits if v.priority == 1]
    frozen = frozen_routes(whole, rota, now)
    left_out = []
    for v in p1:
        if v.visit_id in placed:
            continue
        window = f"{hm(v.window.start)}–{hm(v.window.end)}"
        reason = reasons.get(v.visit_id, "(not listed as unassigned)")
        if v.staff > 1:  # two clinicians at one minute: not a visit one clinician takes alone
            left_out.append(LeftOut(v.visit_id, window, reason, 0, "double-handed: not tried alone",
                                    False, False))  # fmt: skip
            continue
        options = [
            o
            for o in who_could_take(whole, rota, v.visit_id, now, limit=len(whole.shifts))
            if o.clinician_id != absent
        ]
        feasible = [o for o in options if o.feasible]
        if options:
            o = (feasible or options)[0]
            best = f"{o.clinician_id} at {hm(o.start)}: " + (", ".join(o.breaks) or "feasible")
        else:
            best = "nobody qualified on shift in its window"
        # Upper bound: could one of them make it with nothing else after 11:30?
        cleared = False
        for o in options:
            mine = [s.visit_id for s in frozen.get(o.clinician_id, ()) if s.visit_id]
            empty = retime(whole, rota, {o.clinician_id: mine})
            alone = retime(whole, empty, {o.clinician_id: [*mine, v.visit_id]},
                           earliest={v.visit_id: now})  # fmt: skip
            if not {x.rule for x in check(whole, alone).violations} - {
                x.rule for x in check(whole, empty).violations
            }:
                cleared = True
                break
        left_out.append(LeftOut(v.visit_id, window, reason, len(options), best, bool(feasible),
                                cleared))  # fmt: skip
    return SickCheck(len(p1), tuple(left_out), violations, time.perf_counter() - t0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    data = ROOT / "sample_data"
    day = ["--visits", str(data / "visits.csv"), "--clinicians", str(data / "clinicians.csv")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "rota"
        hah(
            "solve",
            *day,
            "--out",
            str(base),
            "--time-limit",
            str(args.time_limit),
            "--export-matrix",
            "--quiet",
        )
        (Path(tmp) / "urgent.csv").write_text(URGENT)
        morning: dict[str, int] = {}
        for line in (base / "rota.csv").read_text().splitlines()[1:]:
            cid, _, kind, _, _, start = line.split(",")[:6]
            if kind == "visit" and "T11" <= start[10:13] + start[13:] < "T15":
                morning[cid] = morning.get(cid, 0) + 1
        busiest = max(morning, key=morning.__getitem__)
        sick = Path(tmp) / "sick"
        for label, out, extra in (
            ("one urgent visit at 11:30", Path(tmp) / "urgent",
             ["--add", str(Path(tmp) / "urgent.csv")]),
            (f"{busiest} off sick at 11:30", sick, ["--absent", busiest]),
        ):  # fmt: skip
            t0 = time.monotonic()
            result = hah(
                "replan",
                *day,
                "--rota",
                str(base),
                "--now",
                NOW,
                "--out",
                str(out),
                *extra,
            )
            wall = time.monotonic() - t0
            summary = json.loads((out / "summary.json").read_text())
            changes = summary["solver"]["plan_changes"]
            rows.append((label, wall, changes["moved"], changes["reordered"], changes["dropped"],
                         summary["solver"]["replan_frozen_visits"],
                         summary["kpis"]["priority1_unassigned"], summary["violations"]))  # fmt: skip
            print(result.stdout.strip())
        sick_wall, sick_moved, sick_violations = rows[-1][1], rows[-1][2], rows[-1][7]
        found = _sick_check(data, base, sick, busiest)
        live = _in_process(base, data)
    flags_s = next(b for a, b, _ in live if a.endswith(": flags"))
    sick_met = found.reachable == 0 and sick_wall <= REPLAN_TARGET_S and found.violations == 0
    sick_met = sick_met and sick_violations == 0
    flags_met = flags_s <= FLAGS_TARGET_S
    targets = [
        (f"{busiest} off sick at 11:30: every priority-1 visit some eligible clinician can still "
         f"reach alone is kept; ≤ {REPLAN_TARGET_S:g} s",
         f"{len(found.left_out)} of {found.priority1_total} priority-1 visits left out, "
         f"{found.reachable} of them reachable alone (target 0); {sick_wall:.1f} s for "
         f"`hah replan`; {sick_moved} moved; checker {sick_violations} violations "
         f"(re-checked here: {found.violations})", sick_met),
        (f"30 min overrun at 10:00: visits that will miss their windows flagged in "
         f"≤ {FLAGS_TARGET_S:g} s", f"{flags_s:.3f} s", flags_met),
    ]  # fmt: skip
    for target, measured, met in targets:
        print(f"{'MET' if met else 'MISSED'}: {target} — {measured}")
    for x in found.left_out:
        print(f"  left out {x.visit_id} ({x.window}): {'REACHABLE' if x.reachable else 'unreachable'}"
              f" alone; best {x.best}; {x.reason}")  # fmt: skip
    lines = [
        BEGIN,
        "## Re-planning the sample day",
        "",
        f"`python benchmarks/bench_replan.py --time-limit {args.time_limit:g}` — wall time of the whole "
        f"`hah replan` command (reading, re-planning, checking, writing), {time.strftime('%Y-%m-%d')}.",
        "",
        "Against the rota before: *moved* to another clinician, *re-ordered* on the same route, "
        "*dropped* (planned before, unassigned now). A re-plan the checker rejects is not "
        "written (`hah replan` exits 1), so every row here passed it.",
        "",
        "| event | wall s | moved | re-ordered | dropped | kept (done or under way) "
        "| priority 1 unassigned | violations |",
        "|---|---|---|---|---|---|---|---|",
        *("| " + " | ".join([row[0], f"{row[1]:.1f}", *map(str, row[2:])]) + " |" for row in rows),
        "",
        "Issue 11's targets (the script reports them; it does not fail):",
        "",
        "| target | measured | met? |",
        "|---|---|---|",
        *(f"| {t} | {m} | {'MET' if ok else 'MISSED'} |" for t, m, ok in targets),
        "",
        f"Each priority-1 visit the sick-nurse re-plan left unassigned (planned before or not) "
        f"is tried alone on the re-planned rota: `who_could_take` at {NOW[11:]} with every "
        f"qualified clinician on shift in its window but {busiest}, each at her best place from "
        "then on (what is done or under way stays), judged by the checker on the whole day; "
        "*reachable* if one of those is feasible. *With her afternoon cleared*: could one of "
        "them make it if she had nothing else after 11:30 (an upper bound, not a move the "
        "re-plan could make alone). The re-check is the checker on the re-planned rota read "
        f"back, in process ({found.seconds:.1f} s for the re-check and the tries).",
        "",
        *(
            [
                "| left-out priority-1 visit | window | eligible tried | best option (rules broken) "
                "| reachable alone | with her afternoon cleared | reason given |",
                "|---|---|---|---|---|---|---|",
                *(
                    f"| {x.visit_id} | {x.window} | {x.eligible} | {x.best} | "
                    f"{'yes' if x.reachable else 'no'} | {'yes' if x.reachable_cleared else 'no'} | "
                    f"{x.reason} |"
                    for x in found.left_out
                ),
            ]
            if found.left_out
            else ["No priority-1 visit was left unassigned: there is nothing to try alone."]
        ),
        "",
        "In process, on the same rota (`scheduler.domain`, no solver): the question a coordinator "
        "asks first, and a nurse's overrun.",
        "",
        "| question | seconds | answer |",
        "|---|---|---|",
        *(f"| {a} | {b:.3f} | {c} |" for a, b, c in live),
        END,
    ]
    write_section("\n".join(lines), BEGIN, END, RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())

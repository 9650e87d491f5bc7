"""A rota a person can read: a terminal summary and a self-contained HTML page.

The HTML page has no scripts and no external files (no CDN, no map tiles): inline CSS, an SVG
sketch of the routes on a plain lat/lon projection, a timeline per clinician (travel, waiting,
visits, break) and every unassigned visit with its reason. It can be e-mailed or opened from
disk on a locked-down NHS desktop.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from html import escape
from pathlib import Path

from scheduler.domain.localtime import hm, local
from scheduler.domain.model import Problem, Rota
from scheduler.domain.utilisation import paid_minutes, utilisation

PALETTE = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
    "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#ad494a", "#637939", "#7b4173",
]  # fmt: skip


def _route_stats(problem: Problem, rota: Rota) -> list[dict]:
    rows = []
    for route in sorted(
        rota.routes, key=lambda r: problem.shifts[problem.shift_index[r.clinician_id]].start
    ):
        k = problem.shift_index[route.clinician_id]
        shift = problem.shifts[k]
        visits = [s for s in route.stops if s.visit_id is not None]
        travel = sum(s.travel_min for s in visits)
        last = problem.visit_index[route.visit_ids[-1]] if visits else None
        if last is not None:
            travel += problem.travel_between(problem.visit_loc[last], problem.shift_end_loc[k])
        visit_min = sum((s.end - s.start).total_seconds() / 60 for s in visits)
        rows.append(
            {
                "id": route.clinician_id,
                "name": shift.name,
                "role": shift.role or "-",
                "shift": shift.label(),
                "visits": len(visits),
                "first": hm(visits[0].start) if visits else "-",
                "last": hm(visits[-1].end) if visits else "-",
                "travel": travel,
                "util": utilisation(visit_min, travel, paid_minutes(shift)) or 0.0,
            }
        )
    return rows


def text_summary(problem: Problem, rota: Rota, report) -> str:
    """Per-clinician lines, the headline figures and the unassigned visits by reason."""
    k = report.kpis
    lines = [
        "",
        f"{'clinician':<10} {'name':<22} {'role':<5} {'shift':<12} {'visits':>6} "
        f"{'first':>5} {'last':>5} {'travel':>6} {'busy':>5}",
    ]
    for r in _route_stats(problem, rota):
        lines.append(
            f"{r['id']:<10} {r['name'][:22]:<22} {r['role']:<5} {r['shift']:<12} "
            f"{r['visits']:>6} {r['first']:>5} {r['last']:>5} {r['travel']:>5}m "
            f"{r['util']:>5.0%}"
        )
    lines += [
        "",
        f"Visits placed: {k['visits_assigned']} of {k['visits_total']}  "
        f"(priority 1: {k['priority1_assigned']} of {k['priority1_total']})",
        f"Travel: {k['travel_min_total']} min   Clinicians used: {k['clinicians_used']} of "
        f"{k['clinicians_on_shift']}   Continuity kept: {k['preferred_kept']} of "
        f"{k['preferred_total']}",
        f"Independent check: {len(report.violations)} violations",
    ]
    if rota.unassigned:
        lines.append(f"\nUnassigned ({len(rota.unassigned)}):")
        by_code = Counter(u.code for u in rota.unassigned)
        for code, n in by_code.most_common():
            example = next(u for u in rota.unassigned if u.code == code)
            lines.append(f"  {n:>4} × {code}: e.g. {example.visit_id}: {example.reason}")
    return "\n".join(lines)


def _minutes(problem: Problem, moment: datetime) -> float:
    return (moment - problem.origin).total_seconds() / 60


def _svg_map(problem: Problem, rota: Rota, colours: dict[str, str]) -> str:
    locs = problem.travel.locations
    if not locs:
        return ""
    lat0 = sum(p.lat for p in locs) / len(locs)
    kx = math.cos(math.radians(lat0))
    xs = [p.lon * kx for p in locs]
    ys = [p.lat for p in locs]
    minx, maxx, miny, maxy = min(xs), max(xs), min(ys), max(ys)
    span = max(maxx - minx, maxy - miny, 1e-6)
    W = 640

    def xy(i: int) -> tuple[float, float]:
        return (
            10 + (xs[i] - minx) / span * (W - 20),
            10 + (maxy - ys[i]) / span * (W - 20),
        )

    parts = [f'<svg viewBox="0 0 {W} {W}" class="map" role="img" aria-label="routes">']
    for route in rota.routes:
        k = problem.shift_index[route.clinician_id]
        pts = [problem.shift_start_loc[k]]
        pts += [problem.visit_loc[problem.visit_index[v]] for v in route.visit_ids]
        pts.append(problem.shift_end_loc[k])
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(xy, pts))
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colours[route.clinician_id]}" '
            f'stroke-width="1.2" opacity="0.8"><title>{escape(route.clinician_id)}</title></polyline>'
        )
    unassigned = {u.visit_id for u in rota.unassigned}
    for v, visit in enumerate(problem.visits):
        x, y = xy(problem.visit_loc[v])
        cls = "miss" if visit.visit_id in unassigned else "dot"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3 if cls == "miss" else 1.6}" class="{cls}"/>'
        )
    for k in set(problem.shift_start_loc):
        x, y = xy(k)
        parts.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" class="base"/>')
    parts.append("</svg>")
    return "".join(parts)


def _timeline(problem: Problem, rota: Rota, colours: dict[str, str]) -> str:
    if not rota.routes:
        return ""
    t0 = min(_minutes(problem, s.start) for s in problem.shifts)
    t1 = max(_minutes(problem, s.end) for s in problem.shifts)
    width = max(t1 - t0, 1)

    def pct(m: float) -> str:
        return f"{(m - t0) / width * 100:.2f}%"

    priority = {v.visit_id: v.priority for v in problem.visits}
    rows = []
    for route in sorted(
        rota.routes, key=lambda r: problem.shifts[problem.shift_index[r.clinician_id]].start
    ):
        shift = problem.shifts[problem.shift_index[route.clinician_id]]
        blocks = [
            f'<div class="shift" style="left:{pct(_minutes(problem, shift.start))};'
            f'width:{(_minutes(problem, shift.end) - _minutes(problem, shift.start)) / width * 100:.2f}%"></div>'
        ]
        for s in route.stops:
            a, b, e = (_minutes(problem, x) for x in (s.arrive, s.start, s.end))
            if s.kind == "visit" and s.travel_min:
                tstart = a - s.travel_min
                blocks.append(
                    f'<div class="travel" style="left:{pct(tstart)};width:{s.travel_min / width * 100:.2f}%"></div>'
                )
            if b > a:
                blocks.append(
                    f'<div class="wait" style="left:{pct(a)};width:{(b - a) / width * 100:.2f}%"></div>'
                )
            cls = (
                "brk" if s.visit_id is None else ("p1" if priority.get(s.visit_id) == 1 else "visit")
            )
            label = "break" if s.visit_id is None else s.visit_id
            style = f"left:{pct(b)};width:{(e - b) / width * 100:.2f}%"
            if cls != "brk":
                style += f";background:{colours[route.clinician_id]}"
            blocks.append(
                f'<div class="{cls}" style="{style}" title="{escape(str(label))} '
                f'{hm(s.start)}–{hm(s.end)}"></div>'
            )
        rows.append(
            f'<div class="row"><span class="who">{escape(route.clinician_id)}</span>'
            f'<div class="bar">{"".join(blocks)}</div></div>'
        )
    hours = []
    first_hour = math.ceil(t0 / 60)
    for h in range(first_hour, int(t1 // 60) + 1, 2):
        hours.append(f'<span style="left:{pct(h * 60)}">{hm(problem.at(h * 60))}</span>')
    return f'<div class="axis">{"".join(hours)}</div>' + "".join(rows)


CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
.kpis{display:flex;flex-wrap:wrap;gap:.6rem}.kpi{border:1px solid #ccc;border-radius:6px;padding:.4rem .8rem}
.kpi b{display:block;font-size:1.3rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:2px 6px;text-align:left}
.map{width:100%;max-width:640px;border:1px solid #ccc;background:#fafafa}
.dot{fill:#333}.miss{fill:#d62728;stroke:#000}.base{fill:#000}
.row{display:flex;align-items:center;height:16px}.who{width:90px;font-size:11px}
.bar{position:relative;flex:1;height:12px}.bar div{position:absolute;top:0;height:12px}
.shift{background:#f1f1f1}.travel{background:#999;height:4px!important;top:4px!important}
.wait{background:repeating-linear-gradient(90deg,#ddd 0 2px,#fff 2px 4px)}
.brk{background:repeating-linear-gradient(45deg,#555 0 2px,#fff 2px 5px)}
.p1{outline:1px solid #000}
.axis{position:relative;height:16px;margin-left:90px;font-size:10px}.axis span{position:absolute}
details{margin:.3rem 0}summary{cursor:pointer}
.reason{color:#8b0000}
"""


def render_html(problem: Problem, rota: Rota, report) -> str:
    k = report.kpis
    colours = {r.clinician_id: PALETTE[i % len(PALETTE)] for i, r in enumerate(rota.routes)}
    day = local(min((s.start for s in problem.shifts), default=problem.origin))
    kpis = [
        ("visits placed", f"{k['visits_assigned']} / {k['visits_total']}"),
        ("priority 1 placed", f"{k['priority1_assigned']} / {k['priority1_total']}"),
        ("travel", f"{k['travel_min_total']:,} min"),
        ("clinicians used", f"{k['clinicians_used']} / {k['clinicians_on_shift']}"),
        ("continuity kept", f"{k['preferred_kept']} / {k['preferred_total']}"),
        ("checker", f"{len(report.violations)} violations"),
    ]
    visit_by_id = {v.visit_id: v for v in problem.visits}
    details = []
    for route in sorted(
        rota.routes, key=lambda r: problem.shifts[problem.shift_index[r.clinician_id]].start
    ):
        shift = problem.shifts[problem.shift_index[route.clinician_id]]
        rows = []
        for seq, s in enumerate(route.stops, start=1):
            v = visit_by_id.get(s.visit_id) if s.visit_id else None
            what = "break" if v is None else escape(v.visit_type or format_kind(v))
            where = (
                ""
                if v is None
                else escape(v.address or f"{v.location.lat:.4f}, {v.location.lon:.4f}")
            )
            rows.append(
                f"<tr><td>{seq}</td><td>{hm(s.start)}–{hm(s.end)}</td>"
                f"<td>{escape(s.visit_id or '')}</td><td>{what}</td><td>{where}</td>"
                f"<td>{s.travel_min} min</td><td>{'' if v is None else 'P' + str(v.priority)}</td></tr>"
            )
        details.append(
            f"<details><summary><b>{escape(route.clinician_id)}</b> {escape(shift.name)} "
            f"({escape(shift.role or '')}, {shift.label()}): {len(route.visit_ids)} visits</summary>"
            "<table><tr><th>#</th><th>time</th><th>visit</th><th>what</th><th>where</th>"
            f"<th>drive</th><th>priority</th></tr>{''.join(rows)}</table></details>"
        )
    unassigned = "".join(
        f"<tr><td>{escape(u.visit_id)}</td><td>P{visit_by_id[u.visit_id].priority}</td>"
        f"<td>{visit_by_id[u.visit_id].window.label()}</td><td class=reason>{escape(u.reason)}</td></tr>"
        for u in sorted(
            rota.unassigned, key=lambda u: (visit_by_id[u.visit_id].priority, u.visit_id)
        )
    )
    violations = "".join(f"<li>{escape(str(v))}</li>" for v in report.violations[:200])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Hospital at Home rota {day:%Y-%m-%d}</title><style>{CSS}</style></head><body>
<h1>Hospital at Home rota — {day:%A %d %B %Y}</h1>
<div class="kpis">{
        "".join(f'<div class="kpi"><b>{escape(v)}</b>{escape(n)}</div>' for n, v in kpis)
    }</div>
{f"<h2>Checker violations</h2><ul>{violations}</ul>" if violations else ""}
<h2>Unassigned visits ({len(rota.unassigned)})</h2>
{
        "<p>None: every visit is placed.</p>"
        if not rota.unassigned
        else "<table><tr><th>visit</th><th>priority</th><th>window</th><th>reason</th></tr>"
        + unassigned
        + "</table>"
    }
<h2>Timeline</h2><p>Grey line: driving; dotted: waiting; coloured: visits (outlined: priority 1);
hatched: break.</p>{_timeline(problem, rota, colours)}
<h2>Routes</h2>{_svg_map(problem, rota, colours)}
<h2>Each clinician's route</h2>{"".join(details)}
</body></html>"""


def format_kind(visit) -> str:
    skills = ";".join(sorted(visit.skills))
    return f"visit ({skills})" if skills else "visit"


def write_html(problem: Problem, rota: Rota, report, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render_html(problem, rota, report), encoding="utf-8")
    tmp.replace(path)
    return path


__all__ = ["render_html", "text_summary", "write_html"]

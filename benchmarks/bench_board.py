"""Time the coordinator's day board (and a nurse's route page) for the ~1,100-visit sample day.

Builds a fresh SQLite database in a temporary directory with the sample day imported and a
rota published (``web.demo.load_demo``: the same path as ``hah demo --serve``), serves the
real app with Werkzeug's threaded server on a free local port, signs in and measures, over
``--reps`` repetitions after one warm-up:

* server: ``GET /coordinator/day/<date>`` over HTTP, time to first byte and to the last byte,
  the response size (and its gzip size; the app itself does not compress, this says so), and
  how that time splits between building the board data (``board()``) and rendering the
  template;
* browser (Debian's /usr/bin/chromium through Playwright, desktop 1440×900, no tile server):
  DOMContentLoaded and load from the navigation timing entry, and the moment the map's route
  lines are on the canvas (``#map[data-drawn]`` set by map.js, then the next animation frame,
  when Leaflet's canvas renderer has drawn);
* the same for the busiest nurse's route page on a 360×740 phone screen;
* where the board's bytes go: one row per section of the page (tables, map JSON, timeline).

With ``--results`` the figures go into a section of ``benchmarks/RESULTS.md`` between markers,
like the other benchmarks. No page content, password or patient identifier is printed.

    python benchmarks/bench_board.py [--reps 10] [--time-limit 20] [--rota DIR] [--results]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.board_server import Client, measure_server, serve  # noqa: E402
from benchmarks.page_weight import (  # noqa: E402
    byte_breakdown,
    fmt_ms,
    map_route_count,
    page_counts,
    summary,
)
from benchmarks.results import write_section  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- bench_board:begin -->", "<!-- bench_board:end -->"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]  # fmt: skip
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}

# Runs before any page script (CDP, so the page's CSP does not apply): records when map.js
# marks the map drawn and the next animation frame after it, by which time Leaflet's canvas
# renderer (preferCanvas) has painted the lines; SVG paths are counted too, in case map.js
# ever draws with the SVG renderer.
MAP_PROBE = """
(() => {
  const mark = { script: null, frame: null, paths: 0 };
  window.__hahMap = mark;
  const seen = (el) => {
    if (mark.script !== null) { return; }
    mark.script = performance.now();
    requestAnimationFrame(() => {
      mark.frame = performance.now();
      mark.paths = document.querySelectorAll("#map path.leaflet-interactive").length;
    });
  };
  new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target;
      if (el && el.id === "map" && el.dataset && el.dataset.drawn !== undefined) { seen(el); }
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-drawn"] });
})();
"""

NAV_TIMING = """
() => {
  const n = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const res = performance.getEntriesByType("resource");
  return {
    ttfb: n.responseStart - n.startTime,
    response_end: n.responseEnd - n.startTime,
    dom_interactive: n.domInteractive - n.startTime,
    dcl: n.domContentLoadedEventEnd - n.startTime,
    load: n.loadEventEnd - n.startTime,
    transfer: n.transferSize, body: n.decodedBodySize,
    fcp: fcp ? fcp.startTime : null,
    map_script: window.__hahMap ? window.__hahMap.script : null,
    map_frame: window.__hahMap ? window.__hahMap.frame : null,
    svg_paths: window.__hahMap ? window.__hahMap.paths : 0,
    drawn: Number((document.getElementById("map") || {dataset: {}}).dataset.drawn || -1),
    static_transfer: res.reduce((a, r) => a + (r.transferSize || 0), 0),
    dom_nodes: document.getElementsByTagName("*").length,
  };
}
"""


# --------------------------------------------------------------------------- the database


@dataclass
class Prepared:
    database_url: str
    day: str
    routes_used: int
    visits: int
    shifts: int
    published: int | None
    refused: int
    solve_s: float | None
    rota_from: str
    passwords: dict[str, str] = field(repr=False, default_factory=dict)
    nurse_cid: str | None = None
    nurse_visits: int = 0


def prepare(data: Path, workdir: Path, *, rota_dir: Path | None, time_limit: float,
            seed: int = 0) -> Prepared:  # fmt: skip
    """A fresh SQLite database under ``workdir`` with the day imported and its rota published."""
    from scheduler.domain.formats.day import read_day
    from scheduler.domain.formats.rota import read_rota
    from scheduler.domain.localtime import local
    from scheduler.domain.problem import build_problem
    from scheduler.usecases.check_rota import problem_with_export
    from scheduler.usecases.plan_day import SolveOptions, plan_day_files
    from web.demo import load_demo

    solve_s = None
    if rota_dir is None:
        rota_dir = workdir / "rota"
        t0 = time.monotonic()
        plan = plan_day_files(
            data / "visits.csv", data / "clinicians.csv", rota_dir,
            SolveOptions(time_limit_s=time_limit, seed=seed), export_matrix=True,
        )  # fmt: skip
        problem, rota = plan.problem, plan.rota
        solve_s = time.monotonic() - t0
        source = f"solved here ({time_limit:g} s limit)"
    else:
        visits, shifts = read_day(data / "visits.csv", data / "clinicians.csv")
        problem = problem_with_export(visits, shifts, rota_dir) or build_problem(visits, shifts)
        rota = read_rota(rota_dir, problem)
        source = "--rota (not re-solved)"
    day = local(min(s.start for s in problem.shifts)).date()
    url = f"sqlite:///{workdir / 'board.sqlite3'}"
    loaded = load_demo(url, data, day, rota)
    passwords = {a.username: a.password for a in loaded.accounts if a.password}
    nurse = next((a for a in loaded.accounts if a.role == "nurse"), None)
    busiest = rota.route_of(nurse.clinician_id) if nurse and nurse.clinician_id else None
    return Prepared(
        database_url=url,
        day=day.isoformat(),
        routes_used=sum(1 for r in rota.routes if r.visit_ids),
        visits=len(problem.visits),
        shifts=len(problem.shifts),
        published=loaded.published_number,
        refused=len(loaded.refused),
        solve_s=solve_s,
        rota_from=source,
        passwords=passwords,
        nurse_cid=nurse.clinician_id if nurse else None,
        nurse_visits=len(busiest.visit_ids) if busiest else 0,
    )


# --------------------------------------------------------------------------- the browser


def measure_browser(base: str, username: str, password: str, path: str, reps: int, *,
                    viewport: ViewportSize, mobile: bool, expect_drawn: int) -> dict:  # fmt: skip
    """``reps`` loads of ``path`` in fresh tabs of one signed-in context (warm HTTP cache for
    the static files, as for a coordinator reloading the board), after one warm-up load."""
    import playwright.sync_api as pw

    with pw.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=viewport, is_mobile=mobile)
            context.add_init_script(MAP_PROBE)
            page = context.new_page()
            page.goto(f"{base}/auth/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_load_state("load")
            page.close()
            samples, errors = [], []
            for i in range(reps + 1):
                page = context.new_page()
                page.on("pageerror", lambda e: errors.append(type(e).__name__))
                page.on(
                    "console", lambda m: errors.append("console") if m.type == "error" else None
                )
                t0 = time.perf_counter()
                page.goto(base + path, wait_until="load", timeout=120_000)
                page.wait_for_function(
                    "() => window.__hahMap && window.__hahMap.frame !== null", timeout=60_000
                )
                wall = (time.perf_counter() - t0) * 1000.0
                m = page.evaluate(NAV_TIMING)
                m["wall"] = wall
                if m["drawn"] != expect_drawn:
                    raise RuntimeError(f"map drew {m['drawn']} routes, expected {expect_drawn}")
                if i > 0:
                    samples.append(m)
                page.close()
            context.close()
        finally:
            browser.close()
    keys = ["ttfb", "response_end", "dom_interactive", "dcl", "load", "fcp", "map_script",
            "map_frame", "wall"]  # fmt: skip
    out: dict[str, dict[str, float] | int] = {
        k: summary([s[k] for s in samples if s[k] is not None]) for k in keys
    }
    out["dom_nodes"] = samples[-1]["dom_nodes"]
    out["svg_paths"] = samples[-1]["svg_paths"]
    out["transfer"] = samples[-1]["transfer"]
    out["errors"] = len(errors)
    return out


# --------------------------------------------------------------------------- report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = f"load average {os.getloadavg()[0]:.1f} at the start"
    return f"{cpu}, {os.cpu_count()} cores ({load}), Python {platform.python_version()}"


def render_report(res: dict) -> list[str]:
    p: Prepared = res["prepared"]
    b, n = res["board_server"], res.get("nurse_server")
    kb = 1024.0
    lines = [
        f"`{res['command']}` — {res.get('machine') or machine()}, Chromium {res.get('chromium', '?')}, "
        f"{time.strftime('%Y-%m-%d')}.",
        f"Day {p.day}: {p.visits} visits, {p.shifts} shifts, {res['map_routes']} routes on the "
        f"map ({p.routes_used} with visits); rota {p.rota_from}"
        + (f", published as version {p.published}" if p.published else ", NOT published")
        + f". {res['reps']} repetitions after one warm-up; figures are median / p90 / max in ms.",
        "Server: Werkzeug threaded server on 127.0.0.1, SQLite, timed by an HTTP client in the "
        "same process (so it includes the server's Python time and loopback, not a network).",
        "",
        "| page | server: first byte | server: last byte | of which: inputs | `board()` "
        "| template | HTML | gzip (if served gzipped) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for title, x in (("coordinator day board", b),
                     (f"nurse route ({p.nurse_visits} visits)", n)):  # fmt: skip
        if x:
            lines.append(
                f"| {title} | {fmt_ms(x['ttfb'])} | {fmt_ms(x['total'])} | "
                f"{fmt_ms(x['inputs_ms'])} | {fmt_ms(x['board_ms'])} | "
                f"{fmt_ms(x['render_ms'])} | {x['bytes'] / kb:,.0f} KiB | "
                f"{x['gzip_bytes'] / kb:,.0f} KiB |"
            )
    lines += [
        "",
        '"Inputs": `day_inputs` (the import\'s CSVs parsed back), `rota_from_json` and '
        "`latest_statuses`; the rest of the server time is the session, the other queries, "
        "Werkzeug and the socket.",
    ]
    lines += [
        "",
        f"The app does {'' if b['compressed_by_app'] else 'not '}compress responses "
        "(asked with `Accept-Encoding: gzip`); the gzip column is what gzip -6 would send. "
        f"First request after start (template compile): board {b['first_ms']:.0f} ms"
        + (f", nurse {n['first_ms']:.0f} ms." if n else "."),
    ]
    for key, title in (("board_browser", "coordinator day board, 1440×900"),
                       ("nurse_browser", "nurse route, 360×740 phone")):  # fmt: skip
        br = res.get(key)
        if not br:
            continue
        if key == "board_browser":
            lines += [
                "",
                "Browser (headless Chromium, no tile server, fresh tab per load in a signed-in "
                "context, static files cached): times from navigation start.",
                "",
                "| page | first byte | response end | map.js done | DOMContentLoaded | load "
                "| first paint | map lines drawn | DOM elements | console errors |",
                "|---|---|---|---|---|---|---|---|---|---|",
            ]
        lines.append(
            f"| {title} | {fmt_ms(br['ttfb'])} | {fmt_ms(br['response_end'])} | "
            f"{fmt_ms(br['map_script'])} | {fmt_ms(br['dcl'])} | "
            f"{fmt_ms(br['load'])} | {fmt_ms(br['fcp'])} | {fmt_ms(br['map_frame'])} | "
            f"{br['dom_nodes']:,} | {br['errors']} |"
        )
    if res.get("board_browser"):
        lines += [
            "",
            '"Map lines drawn": the animation frame after map.js sets `#map[data-drawn]` '
            "(Leaflet's canvas renderer, `preferCanvas`, paints in that frame; there are no "
            "SVG `path` elements to count).",
        ]
    lines += [
        "",
        'Where the board\'s bytes go (each part gzipped on its own; "spare whitespace" is '
        "indentation and blank lines a whitespace-trimming template would drop):",
        "",
        "| part | bytes | share | gzip alone | spare whitespace |",
        "|---|---|---|---|---|",
    ]
    for r in sorted(res["breakdown"], key=lambda r: -r["bytes"]):
        lines.append(
            f"| {r['part']} | {r['bytes']:,} | {100 * r['share']:.1f} % | "
            f"{r['gzip_alone']:,} | {r['whitespace']:,} |"
        )
    c = res["counts"]
    lines += [
        "",
        f"Counts: {c['timeline_rects']:,} timeline `<rect>` bars (each with a `<title>` "
        f"tooltip), {c['table_rows']:,} table rows in {c['route_details']} collapsed route "
        f"tables; {c['long_numbers']:,} numbers printed with 4 or more decimals.",
    ]
    return lines


def write_results(lines: list[str], path: Path = RESULTS) -> None:
    block = "\n".join(
        [BEGIN, "## Board page timings: the coordinator's day board", "", *lines, END]
    )
    write_section(block, BEGIN, END, path)


def chromium_version() -> str:
    import subprocess

    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30)
        m = re.search(r"(\d+\.\d+\.\d+\.\d+)", out.stdout)
        return m.group(1) if m else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def run(args: argparse.Namespace, log: Callable[[str], None] = print) -> dict:
    data = Path(args.data)
    with tempfile.TemporaryDirectory(prefix="bench_board_") as tmp:
        workdir = Path(tmp)
        log(f"preparing the database ({'solve' if not args.rota else 'reading --rota'})…")
        prepared = prepare(data, workdir, rota_dir=Path(args.rota) if args.rota else None,
                           time_limit=args.time_limit, seed=args.seed)  # fmt: skip
        log(
            f"  day {prepared.day}: {prepared.visits} visits, {prepared.routes_used} routes, "
            f"published={prepared.published}"
            + (f", solve {prepared.solve_s:.1f} s" if prepared.solve_s else "")
        )
        res: dict = {"prepared": prepared, "reps": args.reps, "command": args.command}
        board_path = f"/coordinator/day/{prepared.day}"
        nurse_path = f"/nurse/route/{prepared.day}/{prepared.nurse_cid}"
        with serve(prepared.database_url, prepared.day, workdir) as (base, split):
            coord = Client(base)
            coord.sign_in("coordinator", prepared.passwords["coordinator"])
            log(f"server: GET {board_path} × {args.reps}…")
            res["board_server"] = measure_server(coord, board_path, args.reps, split)
            html = res["board_server"].pop("html")
            res["breakdown"] = byte_breakdown(html)
            res["counts"] = page_counts(html)
            map_routes = res["map_routes"] = map_route_count(html)
            can_nurse = prepared.published is not None and "nurse" in prepared.passwords
            if can_nurse:
                nurse = Client(base)
                nurse.sign_in("nurse", prepared.passwords["nurse"])
                log(f"server: nurse route ({prepared.nurse_visits} visits) × {args.reps}…")
                res["nurse_server"] = measure_server(nurse, nurse_path, args.reps, split)
                res["nurse_server"].pop("html")
            if not args.no_browser:
                res["chromium"] = chromium_version()
                log(f"browser: board at {DESKTOP['width']}×{DESKTOP['height']} × {args.reps}…")
                res["board_browser"] = measure_browser(
                    base, "coordinator", prepared.passwords["coordinator"], board_path,
                    args.reps, viewport=DESKTOP, mobile=False, expect_drawn=map_routes,
                )  # fmt: skip
                if can_nurse:
                    log(f"browser: nurse route at {PHONE['width']}×{PHONE['height']}…")
                    res["nurse_browser"] = measure_browser(
                        base, "nurse", prepared.passwords["nurse"], nurse_path, args.reps,
                        viewport=PHONE, mobile=True, expect_drawn=1,
                    )  # fmt: skip
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT / "sample_data"))
    parser.add_argument("--rota", help="a rota directory (rota.csv…) to load instead of solving")
    parser.add_argument("--time-limit", type=float, default=20.0, help="solve seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--no-browser", action="store_true", help="server timings only")
    parser.add_argument("--results", action="store_true", help="write into benchmarks/RESULTS.md")
    parser.add_argument("--results-file", default=str(RESULTS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    given = list(argv if argv is not None else sys.argv[1:])
    if "--results-file" in given:  # a test's scratch file: not part of the command shown
        i = given.index("--results-file")
        del given[i : i + 2]
    shown = given
    args.command = "python benchmarks/bench_board.py" + (" " + " ".join(shown) if shown else "")
    where = machine()  # the load average before this script adds its own
    res = run(args)
    res["machine"] = where
    lines = render_report(res)
    print()
    print("\n".join(lines))
    if args.results:
        write_results(lines, Path(args.results_file))
        print(f"\nwritten to {args.results_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

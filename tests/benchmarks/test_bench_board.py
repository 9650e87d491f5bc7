"""benchmarks/bench_board.py on the small web-test day (69 visits): its helpers, and one short
end-to-end run (2 s solve, 1 repetition; in Chromium too when /usr/bin/chromium is there)."""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks import bench_board as bb
from benchmarks import page_weight as pw

SMALL_DAY = Path(__file__).resolve().parent.parent / "web" / "data"


def test_summary_median_p90_max():
    s = pw.summary([float(x) for x in range(1, 11)])
    assert (s["median"], s["p90"], s["max"], s["n"]) == (5.5, 9.0, 10.0, 10)
    assert pw.summary([3.0])["p90"] == 3.0


def test_byte_breakdown_accounts_for_every_byte():
    html = (
        "<html><head><title>x</title></head><body>"
        '<section class="card"><h2>Map</h2><div id="map"></div>'
        '<script type="application/json" id="map-data">{"routes": [{"a": 1}, {"a": 2}]}</script>'
        "</section>"
        '<section class="card"><h2>Timeline</h2><svg><rect class="bar visit"><title>t</title>'
        "</rect></svg></section></body></html>"
    )
    rows = pw.byte_breakdown(html)
    parts = {r["part"]: r["bytes"] for r in rows}
    assert sum(parts.values()) == len(html.encode())
    assert parts["Map data (JSON in <script>)"] == len(
        '<script type="application/json" id="map-data">{"routes": [{"a": 1}, {"a": 2}]}</script>'
    )
    assert "Timeline (SVG bars)" in parts
    assert abs(sum(r["share"] for r in rows) - 1.0) < 1e-9
    assert pw.map_route_count(html) == 2
    assert pw.page_counts(html)["timeline_rects"] == 1


def test_write_results_replaces_its_own_section(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n<!-- other:begin -->\nkeep\n<!-- other:end -->\n")
    bb.write_results(["first"], path)
    bb.write_results(["second"], path)
    text = path.read_text()
    assert text.count(bb.BEGIN) == 1 and "second" in text and "first" not in text
    assert "keep" in text


def test_end_to_end_on_the_small_day(tmp_path, capsys):
    results = tmp_path / "RESULTS.md"
    argv = ["--data", str(SMALL_DAY), "--time-limit", "2", "--reps", "1", "--results",
            "--results-file", str(results)]  # fmt: skip
    browser = shutil.which(bb.CHROMIUM) is not None
    if not browser:
        argv.append("--no-browser")
    assert bb.main(argv) == 0
    out = capsys.readouterr().out
    assert "--results-file" not in out  # the command recorded is the one a person would type
    text = results.read_text()
    assert "Board page timings" in text and "| coordinator day board |" in text
    assert "| nurse route (" in text  # the rota was published, so the nurse page was timed
    assert "Map data (JSON in <script>)" in text
    if browser:
        assert "| coordinator day board, 1440×900 |" in text
        assert "| nurse route, 360×740 phone |" in text

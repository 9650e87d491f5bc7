"""What a page weighs and how a timing sample reads: the parts of a page's bytes (each
``<section>`` by its heading, the map's JSON, the shell) raw and gzipped, element tallies
that explain them, and median / p90 / max of timings. Used by ``bench_board.py``."""

from __future__ import annotations

import gzip
import json
import re
import statistics


def summary(values: list[float]) -> dict[str, float]:
    """Median, p90 (nearest rank) and max of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-9 * len(ordered) // 10))  # ceil(0.9 n)
    return {
        "median": statistics.median(ordered),
        "p90": ordered[rank - 1],
        "max": ordered[-1],
        "n": len(ordered),
    }


def fmt_ms(stats: dict[str, float]) -> str:
    return f"{stats['median']:.0f} / {stats['p90']:.0f} / {stats['max']:.0f}"


_SECTION = re.compile(r"<section\b[^>]*>.*?</section>", re.S)
_H2 = re.compile(r"<h2>(.*?)</h2>", re.S)
_MAP_JSON = re.compile(r'<script type="application/json" id="map-data">.*?</script>', re.S)
_TAG = re.compile(r"<[^>]+>")


def _label(section: str) -> str:
    m = _H2.search(section)
    title = _TAG.sub("", m.group(1)).strip() if m else "section"
    title = re.sub(r"\s+", " ", title)
    if title.startswith("Version "):
        return "Version summary (KPIs, violations)"
    if title.startswith("Unassigned visits"):
        return "Unassigned visits table"
    return {"Routes": "Routes (per-nurse stop tables)", "Timeline": "Timeline (SVG bars)",
            "Map": "Map (container)", "Rota versions": "Rota versions table",
            "Generate a rota": "Generate a rota (job card)"}.get(title, title)  # fmt: skip


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def byte_breakdown(html: str) -> list[dict]:
    """Where a page's bytes go: each ``<section>`` by its heading, the map's JSON block on its
    own row, and everything else (head, header, scripts) as one row. Rows sum to the page."""
    rows: list[dict] = []
    rest = html
    for section in _SECTION.findall(html):
        rest = rest.replace(section, "", 1)
        label = _label(section)
        for block in _MAP_JSON.findall(section):
            section = section.replace(block, "", 1)
            rows.append(_row("Map data (JSON in <script>)", block))
        rows.append(_row(label, section))
    rows.append(_row("Page shell (head, header, scripts)", rest))
    total = len(html.encode())
    for r in rows:
        r["share"] = r["bytes"] / total if total else 0.0
    return rows


def _row(label: str, text: str) -> dict:
    raw = text.encode()
    # Jinja's indentation and blank lines: every run of whitespace beyond one character.
    spare = sum(len(m.group(0)) - 1 for m in re.finditer(r"\s{2,}", text))
    return {"part": label, "bytes": len(raw), "gzip_alone": gz(raw), "whitespace": spare}


def map_route_count(html: str) -> int:
    """How many routes the page's map JSON holds (what map.js reports in data-drawn)."""
    m = _MAP_JSON.search(html)
    if m is None:
        return 0
    body = m.group(0).split(">", 1)[1].rsplit("</script>", 1)[0]
    return len(json.loads(body).get("routes", []))


def page_counts(html: str) -> dict[str, int]:
    """Element counts that explain the size (no content, just tallies)."""
    return {
        "timeline_rects": len(re.findall(r"<rect class=\"bar ", html)),
        "table_rows": len(re.findall(r"<tr\b", html)),
        "route_details": len(re.findall(r"<details class=\"route\"", html)),
        "title_tooltips": len(re.findall(r"<title>", html)) - 1,  # minus the page <title>
        "long_numbers": len(re.findall(r"\d\.\d{4,}", html)),  # float noise, e.g. 2.0829999
    }

"""benchmarks/bench_serving.py's report: percentiles, targets met or missed, and the machine's
load said beside the figures (the run itself starts ``hah up`` and takes minutes: it is the
benchmark, not a test)."""

from __future__ import annotations

from benchmarks import bench_serving as bs


def _res(**over):
    res = {
        "visits": 1070, "nurses": 150, "day": "2026-11-23", "web_workers": 4, "threads": 4,
        "sign_in": [100.0] * 150, "signed": 150, "route": [50.0] * 149 + [400.0],
        "route_errors": 0, "board": [300.0] * 50, "board_errors": 0, "database": "PostgreSQL",
        "sign_in_over": 60.0, "route_within": 10.0, "coordinators": 5, "board_loads": 10,
        "load": (0.5, 1.0), "cores": 2,
    }  # fmt: skip
    return res | over


def test_percentiles():
    assert bs._pct([float(x) for x in range(1, 101)], 0.95) == 95.0
    assert bs._pct([7.0], 0.5) == 7.0


def test_the_report_says_which_targets_are_met():
    text = "\n".join(bs.report(_res()))
    assert "<!-- serving:begin -->" in text and "<!-- serving:end -->" in text
    assert "| sign-in, 150 spread over 60 s | 150 | 100 | 100 | 100 | 0 | ≤ 1000 ms: **MET** |" in text
    assert "today's route" in text and "≤ 300 ms: **MET**" in text  # p95 of 150 is the 143rd
    assert "the machine was shared" not in text
    failed = "\n".join(bs.report(_res(route_errors=1, load=(9.5, 9.9))))
    assert "≤ 300 ms: **MISSED**" in failed and "the machine was shared" in failed

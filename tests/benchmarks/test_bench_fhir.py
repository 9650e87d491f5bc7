"""benchmarks/bench_fhir.py: a small import measured for real, and the report's verdict."""

from __future__ import annotations

from benchmarks import bench_fhir as bf


def test_a_small_import_is_measured_and_reported():
    r = bf.measure(5, reps=1)
    assert r["patients"] == 5 and r["resources"]["Patient"] == 5 and r["items"] >= 5
    assert 0 < r["median_s"] <= r["worst_s"] and r["first_s"] > 0
    text = "\n".join(bf.report(r))
    assert text.startswith(bf.BEGIN) and text.endswith(bf.END)
    assert "≤ 5 s: **MET**" in text


def test_the_report_says_when_the_target_is_missed_and_the_machine_was_busy():
    r = {"patients": 250, "items": 600, "resources": {"Patient": 250}, "bytes": 600_000, "first_s": 6.1,
         "median_s": 1.0, "worst_s": 1.2, "reps": 5, "visits": 900, "expand_s": 0.1, "load": (99.0, 99.0)}  # fmt: skip
    text = "\n".join(bf.report(r))
    assert "≤ 5 s: **MISSED**" in text and "The machine was shared" in text

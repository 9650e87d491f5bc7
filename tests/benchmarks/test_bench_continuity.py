"""benchmarks/bench_continuity.py end to end at a toy size (the real run is 14 days of the
sample service at 20 s a day: it is the benchmark, not a test): both models run the same days,
the section lands between its markers, and the targets are judged from the figures."""

from __future__ import annotations

from benchmarks import bench_continuity as bc
from benchmarks.results import write_section


def test_a_toy_run_writes_its_section_and_judges_the_targets(tmp_path, capsys):
    results = tmp_path / "RESULTS.md"
    write_section("<!-- other:begin -->\nkept\n<!-- other:end -->", "<!-- other:begin -->",
                  "<!-- other:end -->", results)  # fmt: skip
    argv = ["--patients", "12", "--days", "2", "--time-limit", "0.5", "--results-file",
            str(results)]  # fmt: skip
    code = bc.main(argv)
    text = results.read_text(encoding="utf-8")
    assert "kept" in text, "other sections are left as they were"
    section = text.split(bc.BEGIN, 1)[1].split(bc.END, 1)[0]
    assert "--days 2 --patients 12" in section
    for label in ("top-3 share, visit-weighted", "travel per placed visit", "checker violations"):
        assert label in section
    assert section.count("\n| 1 | 2026-11-23 |") == 1 and "\n| 2 | 2026-11-24 |" in section
    assert "0 checker violations every day **met**" in section
    targets = section.split("Targets:")[1]
    assert targets.count("**met**") + targets.count("**not met**") == 4
    assert code == (1 if "**not met**" in targets else 0), "the exit code says if all were met"
    assert "learned: day 2/2 planned" in capsys.readouterr().err


def test_the_roster_scales_with_the_census_and_is_the_sample_at_250():
    sample = bc.scenario_for(250)
    assert sample == bc.sample_scenario()
    small = bc.scenario_for(25)
    assert small.clinicians() < sample.clinicians() / 5
    assert all(n >= 1 for roles in small.roster.values() for n in roles.values())

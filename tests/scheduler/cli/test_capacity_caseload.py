"""``hah capacity sweep --caseload`` (scheduler.cli.capacity): its flags refused by name with
nothing written, and a tiny caseload sweep end to end, printing continuity and writing it."""

from __future__ import annotations

import json

import pytest

from scheduler.cli import main

TINY = ('name = "Tiny service"\ndate = "2026-11-23"\n[roster]\n'
        'early = { HCA = 1, RN5 = 2, RN6 = 1, AP = 1 }\nlate = { RN5 = 1, RN6 = 1 }\n'
        'night = { RN6 = 1, RN5 = 1 }\n')  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "flag", "why"),
    [
        (["--continuity", "learned"], "--continuity", "needs --caseload"),
        (["--caseload-days", "3"], "--caseload-days", "needs --caseload"),
        (["--caseload", "--caseload-days", "0"], "--caseload-days", "1 to 28 days"),
        (["--caseload", "--caseload-days", "40"], "--caseload-days", "1 to 28 days"),
        (["--caseload", "--seeds", "0"], "--seeds", "at least 1"),
    ],
)
def test_caseload_flags_are_refused_by_name_with_nothing_written(tmp_path, capsys, argv, flag,
                                                                 why):  # fmt: skip
    out = tmp_path / "out"
    assert main(["capacity", "sweep", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert flag in err and why in err
    assert not out.exists()


def test_a_tiny_caseload_sweep_prints_and_writes_continuity(tmp_path, capsys):
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["capacity", "sweep", "--scenario", str(scenario), "--sizes", "10",
                 "--time-limit", "0.5", "--workers", "1", "--caseload", "--caseload-days", "2",
                 "--continuity", "learned", "--out", str(out), "--no-plot"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr()
    assert "1 caseload month(s) of 2 days, learned continuity" in printed.err
    assert "2/2 days" in printed.err, "one month (the default seeds) of two days"
    assert "top-3 %" in printed.out and "checker violations over all days: 0" in printed.out
    assert "over 1 month(s) of 2 days per size" in printed.out or "does not carry" in printed.out
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["caseload"] == {"days": 2, "continuity": "learned"}
    (row,) = summary["rows"]
    assert row["census"] == 10 and row["days"] == 2 and row["violations"] == 0
    assert 0 < row["continuity_top3_visit_weighted"] <= 1
    top3 = f"{100 * row['continuity_top3_visit_weighted']:5.1f}"
    line = next(x for x in printed.out.splitlines() if x.split()[:1] == ["10"])
    assert line.rstrip().endswith(top3), "the table's top-3 column is the file's figure"
    assert len((out / "results.jsonl").read_text("utf-8").splitlines()) == 2

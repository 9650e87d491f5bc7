"""``hah simulate`` (scheduler.cli.simulate): bad options are refused by name with nothing
written; a tiny month runs end to end, prints its report and writes its files."""

from __future__ import annotations

import argparse

import pytest

from scheduler.cli import simulate as simulate_cli
from scheduler.domain.errors import InputError


def _parse(argv):
    parser = argparse.ArgumentParser(prog="hah")
    simulate_cli.add_simulate_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    "argv",
    [["--days", "0"], ["--census", "0"], ["--time-limit", "0"], ["--mean-stay", "0.5"],
     ["--weekend-staff", "-1"], ["--workers", "0"], ["--scenario", "/nonexistent/s.toml"]],
)  # fmt: skip
def test_simulate_refuses_bad_input(argv, tmp_path):
    args = _parse(["simulate", "--out", str(tmp_path / "o"), *argv])
    with pytest.raises(InputError) as err:
        args.func(args)
    assert argv[0] in str(err.value) or argv[1] in str(err.value), "names what to fix"
    assert not (tmp_path / "o").exists(), "nothing written when refused"


def _tiny(tmp_path, night: str = "RN6 = 1"):
    """A tiny service's scenario file."""
    toml = tmp_path / "tiny.toml"
    toml.write_text('name = "Tiny service"\ndate = "2026-11-23"\n[roster]\n'
                    'early = { HCA = 1, RN5 = 2, RN6 = 1, AP = 1 }\n'
                    f'late = {{ RN5 = 1, RN6 = 1 }}\nnight = {{ {night} }}\n', encoding="utf-8")  # fmt: skip
    return toml


def test_simulate_command(tmp_path, capsys):
    toml = _tiny(tmp_path)
    out = tmp_path / "month"
    args = _parse(["simulate", "--days", "2", "--census", "12", "--scenario", str(toml),
                   "--time-limit", "1", "--workers", "1", "--out", str(out), "--plot"])  # fmt: skip
    assert args.func(args) == 0
    printed = capsys.readouterr()
    assert "checker violations 0" in printed.out
    assert "2/2 days" in printed.err  # the progress bar
    for name in ("month.csv", "month.json", "results.jsonl", "month.png", "month.svg"):
        assert (out / name).stat().st_size > 0


def test_simulate_refuses_learned_continuity_without_the_caseload(tmp_path):
    args = _parse(["simulate", "--out", str(tmp_path / "o"), "--continuity", "learned"])
    with pytest.raises(InputError) as err:
        args.func(args)
    assert "--continuity" in str(err.value) and "--caseload" in str(err.value)
    assert not (tmp_path / "o").exists()


def test_simulate_a_caseload_month_with_learned_continuity(tmp_path, capsys):
    toml = _tiny(tmp_path, night="RN6 = 1, RN5 = 1")
    out = tmp_path / "month"
    args = _parse(["simulate", "--days", "2", "--census", "12", "--scenario", str(toml),
                   "--time-limit", "1", "--caseload", "--continuity", "learned",
                   "--out", str(out)])  # fmt: skip
    assert args.func(args) == 0
    printed = capsys.readouterr()
    assert "checker violations 0" in printed.out
    assert "(learned preferences)" in printed.out and "3 most frequent clinicians" in printed.out
    assert "caseload, learned continuity" in printed.err

"""``hah propose``: who could take an urgent visit, best first, and taking one: a feasible
option is written with the whole day beside it (and passes ``hah check`` from those files);
an infeasible one is shown with its rule and never written; a pair is refused."""

from __future__ import annotations

from scheduler.cli import main
from scheduler.domain.careplan import write_clinicians_csv, write_visits_csv
from scheduler.domain.model import Visit
from tests.support.factories import shift, visit

URGENT = visit("U", 2, 1, "10:00", "12:00", priority=1, skills=("IV",))


def files(tmp_path, visits: list[Visit], shifts, urgent: Visit = URGENT):
    write_visits_csv(visits, tmp_path / "visits.csv")
    write_clinicians_csv(shifts, tmp_path / "clinicians.csv")
    write_visits_csv([urgent], tmp_path / "urgent.csv")
    solved = tmp_path / "solved"
    assert main(["solve", "--visits", str(tmp_path / "visits.csv"), "--clinicians",
                 str(tmp_path / "clinicians.csv"), "--out", str(solved), "--iterations", "100",
                 "--export-matrix", "--quiet"]) == 0  # fmt: skip
    return ["propose", "--visits", str(tmp_path / "visits.csv"), "--clinicians",
            str(tmp_path / "clinicians.csv"), "--rota", str(solved), "--add",
            str(tmp_path / "urgent.csv"), "--now", "2026-11-23T09:45"]  # fmt: skip


def test_options_are_listed_and_the_first_taken_passes_the_checker_from_the_files(tmp_path, capsys):
    args = files(tmp_path, [visit("A", 1, 0, "09:00", "10:00"), visit("B", 3, 0, "10:00", "12:00")],
                 [shift("N1", "08:00", "16:00"), shift("N2", "08:00", "16:00", base=(2, 2))])  # fmt: skip
    out = tmp_path / "taken"
    assert main([*args, "--take", "1", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "U: 2 option(s) at 09:45" in said and "1. " in said and "feasible" in said
    assert (out / "visits.csv").exists()
    assert main(["check", "--visits", str(out / "visits.csv"), "--clinicians",
                 str(tmp_path / "clinicians.csv"), "--rota", str(out)]) == 0  # fmt: skip
    rota = (out / "rota.csv").read_text()
    assert ",U," in rota


def test_an_option_the_checker_rejects_is_shown_and_never_written(tmp_path, capsys):
    """N1 alone, A fixed at 10:30–10:35: U (10:00–10:10, 12 minutes away) cannot fit."""
    urgent = visit("U", 5, 0, "10:00", "10:10", priority=1, skills=("IV",))
    args = files(tmp_path, [visit("A", 1, 0, "10:30", "10:35")], [shift("N1", "08:00", "16:00")],
                 urgent)  # fmt: skip
    out = tmp_path / "taken"
    assert main([*args, "--take", "1", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "breaks window" in captured.out and "nothing written" in captured.err
    assert not out.exists()


def test_a_double_handed_referral_is_sent_to_replan(tmp_path, capsys):
    pair = visit("U", 2, 1, "10:00", "12:00", staff=2)
    args = files(tmp_path, [visit("A", 1, 0, "09:00", "10:00")],
                 [shift("N1", "08:00", "16:00"), shift("N2", "08:00", "16:00")], pair)  # fmt: skip
    assert main(args) == 2
    assert "hah replan --add" in capsys.readouterr().err

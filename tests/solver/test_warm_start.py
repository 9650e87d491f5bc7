"""`hah solve --from-rota`: warm starts and the minimal-change mode, end to end through files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from scheduler.cli import main
from scheduler.domain.careplan import write_clinicians_csv, write_visits_csv
from scheduler.domain.check import check
from scheduler.domain.diff import plan_changes
from scheduler.domain.formats.day import read_day
from scheduler.domain.formats.rota import read_matrix, read_plan_order, read_rota
from scheduler.domain.problem import build_problem
from scheduler.domain.synth import generate_service, service_day_visits
from solver import SolveOptions, WarmStart, solve
from solver.construct import Construction
from solver.instance import build_instance
from tests.support.factories import make_problem, shift, visit

DAY = date(2027, 3, 2)


def small_day(folder: Path, drop: int = 0) -> tuple[Path, Path, list[str]]:
    """A 30-patient synthetic day; ``drop`` single-handed visits held back (returned)."""
    service = generate_service(30, 7, DAY)
    visits = service_day_visits(service, DAY)
    held = [v for v in visits if v.staff == 1 and not v.after_visit][:drop]
    held_ids = {v.visit_id for v in held}
    folder.mkdir(parents=True, exist_ok=True)
    write_visits_csv([v for v in visits if v.visit_id not in held_ids], folder / "visits.csv")
    write_clinicians_csv(list(service.shifts), folder / "clinicians.csv")
    return folder / "visits.csv", folder / "clinicians.csv", sorted(held_ids)


def solve_cli(v_csv: Path, c_csv: Path, out: Path, *extra: str) -> dict:
    """``hah solve`` bounded by iterations, one search: the same plan on every run and under
    any load (a 4-second clock once left a first plan the late visits could not fit)."""
    assert main(["solve", "--visits", str(v_csv), "--clinicians", str(c_csv), "--out", str(out),
                 "--time-limit", "30", "--iterations", "3000", "--workers", "1", "--quiet",
                 "--export-matrix", *extra]) == 0  # fmt: skip
    visits, shifts = read_day(v_csv, c_csv)
    problem = build_problem(visits, shifts, matrix=read_matrix(out))
    assert check(problem, read_rota(out, problem)).violations == ()
    return json.loads((out / "summary.json").read_text())


def test_minimal_change_on_the_same_day_moves_only_what_saves_enough(tmp_path):
    """Re-solving the day a plan was made for: with a prohibitive threshold every visit stays
    with its clinician; with 15 minutes, only moves that save travel are made."""
    v_csv, c_csv, _ = small_day(tmp_path / "day")
    first = solve_cli(v_csv, c_csv, tmp_path / "a")
    frozen = solve_cli(v_csv, c_csv, tmp_path / "b", "--from-rota", str(tmp_path / "a"),
                       "--minimal-change", "100000")  # fmt: skip
    changes = frozen["plan_changes"]
    assert changes["moved"] == changes["dropped"] == changes["added"] == 0
    assert changes["kept"] + changes["reordered"] == first["visits_assigned"]
    assert frozen["solver"]["minimal_change_relocations"] == 0
    loose = solve_cli(v_csv, c_csv, tmp_path / "c", "--from-rota", str(tmp_path / "a"),
                      "--minimal-change", "15")  # fmt: skip
    assert loose["visits_assigned"] == first["visits_assigned"]
    assert loose["plan_changes"]["moved"] <= loose["solver"]["minimal_change_relocations"]
    assert loose["travel_min_total"] <= first["travel_min_total"]


def test_new_visits_go_in_and_few_others_move(tmp_path):
    """Four visits arrive after the plan was made (on a day already short of capacity): most
    are placed, at most a handful of planned visits change clinician, none is dropped; the
    result passes the checker."""
    held_csv, _, held = small_day(tmp_path / "held", drop=4)
    v_csv, c_csv, _ = small_day(tmp_path / "full")
    solve_cli(held_csv, c_csv, tmp_path / "a")
    new = solve_cli(v_csv, c_csv, tmp_path / "b", "--from-rota", str(tmp_path / "a"),
                    "--minimal-change", "15")  # fmt: skip
    changes = new["plan_changes"]
    placed = {vid for vids in read_plan_order(tmp_path / "b").routes.values() for vid in vids}
    held_placed = sum(1 for vid in held if vid in placed)
    assert held_placed >= 2 and changes["added"] >= held_placed
    assert changes["moved"] <= 5 and changes["dropped"] == 0


def test_warm_start_is_never_worse_than_the_plan_it_starts_from(tmp_path):
    """Without --minimal-change the search is free, but the previous plan is the incumbent."""
    v_csv, c_csv, _ = small_day(tmp_path / "day")
    first = solve_cli(v_csv, c_csv, tmp_path / "a", "--time-limit", "1")
    warm = solve_cli(v_csv, c_csv, tmp_path / "b", "--from-rota", str(tmp_path / "a"))
    assert warm["visits_assigned"] >= first["visits_assigned"]
    if warm["visits_assigned"] == first["visits_assigned"]:
        assert warm["travel_min_total"] <= first["travel_min_total"]
    assert warm["solver"]["warm_start"] is True


def test_minimal_change_needs_a_rota_and_a_rota_needs_its_file(tmp_path, capsys):
    v_csv, c_csv, _ = small_day(tmp_path / "day")
    assert main(["solve", "--visits", str(v_csv), "--clinicians", str(c_csv), "--out",
                 str(tmp_path / "x"), "--minimal-change", "10", "--quiet"]) == 2  # fmt: skip
    assert "needs --from-rota" in capsys.readouterr().err
    assert main(["solve", "--visits", str(v_csv), "--clinicians", str(c_csv), "--out",
                 str(tmp_path / "x"), "--from-rota", str(tmp_path), "--quiet"]) == 2  # fmt: skip
    assert "no rota.csv" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_relocation_happens_only_when_it_saves_enough():
    """A visit next door to N2's base but planned for N1 across the county moves when the
    saving beats the threshold, and stays when the threshold is higher than the saving."""
    visits = [visit("FAR", 20, 0, "09:00", "12:00"), visit("NEAR1", 1, 0, "09:00", "12:00")]
    shifts = [shift("N1", "08:00", "16:00", base=(0, 0)), shift("N2", "08:00", "16:00",
                                                                 base=(20, 1))]  # fmt: skip
    problem = make_problem(visits, shifts)
    plan = {"N1": ["FAR", "NEAR1"], "N2": []}
    for threshold, expect_moved in ((10, 1), (1000, 0)):
        result = solve(problem, SolveOptions(time_limit_s=1, minimal_change_min=threshold),
                       warm_start=WarmStart(plan))  # fmt: skip
        rota = result.rota
        assert check(problem, rota).violations == ()
        assert plan_changes(plan, rota)["moved"] == expect_moved
        assert result.minimal_change_relocations == expect_moved


def test_relocate_if_worth_keeps_linked_visits_where_they_are():
    """Pairs and gap-linked visits are never relocated by the minimal-change pass."""
    visits = [
        visit("P", 20, 0, "09:00", "12:00", staff=2),
        visit("G1", 20, 1, "09:00", "10:00"),
        visit("G2", 20, 2, "10:00", "15:00", after_visit="G1", min_gap_min=60),
    ]
    shifts = [shift("N1", "08:00", "16:00", base=(0, 0)), shift("N2", "08:00", "16:00",
              base=(0, 1)), shift("N3", "08:00", "16:00", base=(20, 1))]  # fmt: skip
    problem = make_problem(visits, shifts)
    inst = build_instance(problem)
    builder = Construction(inst)
    builder.run()
    assert builder.relocate_if_worth(0) == 0

"""The re-planning use case (``replan_day``, ``hah replan``) on small grid days and one
synthetic day: a double-handed visit is never split between the frozen past and the new
plan, a follower whose predecessor can no longer be made is left out with that reason (not a
crash), a nurse off sick does not cost a priority-1 visit that a search can keep, the changes
are counted honestly, and a re-plan the checker rejects is never written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scheduler.cli import main
from scheduler.domain.careplan import write_clinicians_csv, write_visits_csv
from scheduler.domain.check import check
from scheduler.domain.formats.solution import write_solution
from scheduler.domain.model import Reason, Rota, Unassigned
from scheduler.domain.problem import build_problem
from scheduler.domain.retime import retime
from scheduler.domain.synth import generate_service, service_day_visits
from scheduler.usecases.plan_day import plan_day, travel_model
from scheduler.usecases.replan_day import replan_day
from solver import SolveOptions
from tests.support.factories import GridTravel, at, shift, visit, when

GRID = GridTravel()


def test_a_pair_one_attendant_is_driving_to_is_frozen_on_both_routes():
    """At 08:55 N1 has been driving to the double-handed visit D since 08:48; N2 lives next
    door and has not set off. Both halves stay at 09:00 (splitting them would leave D with one
    clinician), and the whole day passes the checker."""
    visits = [
        visit("D", 4, 0, "09:00", "12:00", staff=2),
        visit("A", 6, 0, "09:00", "15:00"),
    ]
    shifts = [shift("N1", "08:00", "16:00"), shift("N2", "08:00", "16:00", base=(4, 0))]
    problem = build_problem(visits, shifts, GRID)
    rota = retime(problem, Rota((), ()), {"N1": ["D", "A"], "N2": ["D"]})
    assert check(problem, rota).ok
    result = replan_day(problem, rota, at("08:55"), GRID, time_limit_s=2)
    assert result.report.ok, result.report.violations
    for cid in ("N1", "N2"):
        route = result.rota.route_of(cid)
        assert route is not None
        d = next(s for s in route.stops if s.visit_id == "D")
        assert d.start == at("09:00")
    assert result.frozen_visits == 2


def test_a_follower_whose_predecessor_can_no_longer_be_made_is_left_out_with_the_reason():
    """A fluids connection P was left unassigned and its window closed at 08:30; at 10:00 its
    disconnection F cannot be planned (it would point at a visit the rest of the day no longer
    has): F is unassigned as following an unplaced visit, the rest is re-planned."""
    visits = [
        visit("P", 1, 0, "08:00", "08:30", priority=1),
        visit("F", 1, 0, "09:00", "16:00", after_visit="P", min_gap_min=60),
        visit("B", 2, 0, "11:00", "15:00"),
    ]
    problem = build_problem(visits, [shift("N1", "10:00", "16:00")], GRID)
    rota = Rota((), tuple(Unassigned(v.visit_id, "no nurse on shift") for v in visits))
    result = replan_day(problem, rota, at("10:00"), GRID, time_limit_s=2)
    assert result.report.ok, result.report.violations
    reasons = {u.visit_id: u for u in result.rota.unassigned}
    assert reasons["F"].code == Reason.PRECEDING_UNPLACED and "follows P" in reasons["F"].reason
    assert "B" in result.rota.assigned_visit_ids
    assert result.changes["added"] == 1 and result.changes["dropped"] == 0


@pytest.mark.slow
def test_a_nurse_off_sick_costs_no_priority_one_visit_a_search_can_keep():
    """A synthetic day (120 patients) planned, then its busiest nurse goes off sick at 11:30.
    Minimal change alone left two priority-1 doses out on this day; the re-planner spends the
    rest of its budget on a search, keeps every priority-1 visit, and reports each change."""
    day = date(2026, 11, 23)
    model = travel_model(None)
    service = generate_service(120, 1, day)
    problem = build_problem(service_day_visits(service, day), service.shifts, model)
    rota = plan_day(problem, SolveOptions(time_limit_s=5, max_iterations=5000)).rota
    assert check(problem, rota).kpis["priority1_unassigned"] == 0
    sick = max(rota.routes, key=lambda r: len(r.visit_ids)).clinician_id
    now = when("2026-11-23T11:30")
    result = replan_day(problem, rota, now, model, absent=frozenset({sick}), time_limit_s=8)
    assert result.report.ok, result.report.violations
    assert result.report.kpis["priority1_unassigned"] == 0 and result.priority1_dropped == ()
    route = result.rota.route_of(sick)
    driving_by = [s.start - timedelta(minutes=s.travel_min) for s in (route.stops if route else ())]
    assert all(left < now for left in driving_by)  # she keeps only what she had set off for
    before = {vid for r in rota.routes for vid in r.visit_ids}
    after = result.rota.assigned_visit_ids
    assert result.changes["dropped"] == len(before - after)
    assert result.changes["moved"] >= 1  # her remaining visits went to others


def _small_day(tmp_path):
    visits = [
        visit("A", 1, 0, "08:00", "09:00", priority=1),
        visit("B", 3, 0, "10:00", "12:00"),
        visit("C", 2, 2, "09:00", "14:00"),
    ]
    shifts = [shift("N1", "08:00", "16:00"), shift("N2", "08:00", "16:00", base=(2, 2))]
    write_visits_csv(visits, tmp_path / "visits.csv")
    write_clinicians_csv(shifts, tmp_path / "clinicians.csv")
    return visits, shifts


def _replan_args(tmp_path, rota_dir, out, now="09:30"):
    return ["replan", "--visits", str(tmp_path / "visits.csv"), "--clinicians",
            str(tmp_path / "clinicians.csv"), "--rota", str(rota_dir), "--now",
            f"2026-11-23T{now}", "--time-limit", "2", "--out", str(out)]  # fmt: skip


def test_hah_replan_writes_a_clean_re_plan_and_counts_what_changed(tmp_path, capsys):
    _small_day(tmp_path)
    solved = tmp_path / "solved"
    assert main(["solve", "--visits", str(tmp_path / "visits.csv"), "--clinicians",
                 str(tmp_path / "clinicians.csv"), "--out", str(solved), "--iterations", "200",
                 "--export-matrix", "--quiet"]) == 0  # fmt: skip
    out = tmp_path / "replanned"
    assert main(_replan_args(tmp_path, solved, out)) == 0
    said = capsys.readouterr().out
    assert "checker: 0 violations" in said and "0 dropped" in said
    assert (out / "rota.csv").exists() and (out / "summary.json").exists()


def test_hah_replan_writes_nothing_when_the_checker_rejects_the_day(tmp_path, capsys):
    """A rota whose past breaks a rule (N1 saw B first, so A started after its window closed):
    at 11:00 both are done and frozen, the merged day fails the checker, so nothing is
    written and the exit code is 1."""
    visits, shifts = _small_day(tmp_path)
    problem = build_problem(visits, shifts, GRID)
    bad = retime(problem, Rota((), ()), {"N1": ["B", "A"], "N2": ["C"]})
    assert not check(problem, bad).ok  # A after B misses its window
    rota_dir = tmp_path / "bad"
    write_solution(rota_dir, problem, bad, {}, export_matrix=True)
    out = tmp_path / "replanned"
    assert main(_replan_args(tmp_path, rota_dir, out, now="11:00")) == 1
    err = capsys.readouterr().err
    assert "rejected" in err and "window" in err
    assert not out.exists()


def test_hah_replan_with_an_added_visit_writes_the_whole_day_beside_the_rota(tmp_path):
    """The added visit is not in the day's visits.csv: the re-plan writes the whole day as
    DIR/visits.csv, and ``hah check`` from those files accepts the rota."""
    _small_day(tmp_path)
    solved = tmp_path / "solved"
    assert main(["solve", "--visits", str(tmp_path / "visits.csv"), "--clinicians",
                 str(tmp_path / "clinicians.csv"), "--out", str(solved), "--iterations", "200",
                 "--export-matrix", "--quiet"]) == 0  # fmt: skip
    write_visits_csv([visit("U", 2, 1, "10:00", "12:00", priority=1)], tmp_path / "u.csv")
    out = tmp_path / "replanned"
    assert main([*_replan_args(tmp_path, solved, out), "--add", str(tmp_path / "u.csv")]) == 0
    assert "U," in (out / "visits.csv").read_text()
    assert main(["check", "--visits", str(out / "visits.csv"), "--clinicians",
                 str(tmp_path / "clinicians.csv"), "--rota", str(out)]) == 0  # fmt: skip


def test_hah_replan_with_a_nurse_off_writes_the_shifts_as_worked_beside_the_rota(tmp_path):
    """She went off before her break: the re-plan owes her none, and writes the shifts as
    worked as DIR/clinicians.csv, so ``hah check`` from the files agrees with the re-plan."""
    _small_day(tmp_path)
    shifts = [shift("N1", "08:00", "16:00", brk=(30, "11:00", "13:00")),
              shift("N2", "08:00", "16:00", base=(2, 2), brk=(30, "11:00", "13:00"))]  # fmt: skip
    write_clinicians_csv(shifts, tmp_path / "clinicians.csv")
    solved = tmp_path / "solved"
    assert main(["solve", "--visits", str(tmp_path / "visits.csv"), "--clinicians",
                 str(tmp_path / "clinicians.csv"), "--out", str(solved), "--iterations", "200",
                 "--export-matrix", "--quiet"]) == 0  # fmt: skip
    assert main(["check", "--visits", str(tmp_path / "visits.csv"), "--clinicians",
                 str(tmp_path / "clinicians.csv"), "--rota", str(solved)]) == 0  # fmt: skip
    out = tmp_path / "replanned"
    assert main([*_replan_args(tmp_path, solved, out, now="08:30"), "--absent", "N1"]) == 0
    # against the files as they were, her break is owed: the check needs the shifts as worked
    assert main(["check", "--visits", str(tmp_path / "visits.csv"), "--clinicians",
                 str(tmp_path / "clinicians.csv"), "--rota", str(out)]) == 1  # fmt: skip
    assert (out / "clinicians.csv").exists()
    assert main(["check", "--visits", str(tmp_path / "visits.csv"), "--clinicians",
                 str(out / "clinicians.csv"), "--rota", str(out)]) == 0  # fmt: skip

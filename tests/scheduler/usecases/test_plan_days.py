"""Planning a caseload's consecutive days (scheduler.usecases.plan_days): each day solved and
checked, who saw whom carried to the next day, and learned continuity against the fixed model."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scheduler.domain.capacity.admissions import MonthSpec, month_census
from scheduler.domain.capacity.scenario import Census, Scenario
from scheduler.domain.check import check
from scheduler.domain.continuity import attendances
from scheduler.domain.model import Shift, Visit
from scheduler.usecases.plan_days import day_options, day_visits, plan_caseload_day, plan_days
from tests.support.factories import DATE, GridTravel, shift, visit

ROSTER = {
    "early": {"HCA": 1, "RN5": 2, "RN6": 1, "AP": 1},
    "long": {"RN5": 1},
    "late": {"RN5": 1, "RN6": 1},
    "night": {"RN6": 1, "RN5": 1},
}
TINY = Scenario("Tiny caseload", date(2026, 11, 23), Census((12,)), ROSTER)


@pytest.fixture(scope="module")
def tiny():
    census = month_census(TINY, MonthSpec(days=3, census=12, caseload=True), seed=3)
    runs = {m: plan_days(census, [1, 2], m, time_limit_s=1.0) for m in ("fixed", "learned")}
    return census, runs


def test_every_day_is_solved_checked_and_measured(tiny):
    census, runs = tiny
    for model, run in runs.items():
        assert run.model == model and [d.day for d in run.days] == [1, 2]
        for day in run.days:
            m = day.metrics
            assert m.violations == 0, f"{model} day {day.day}: the checker found violations"
            assert 0 < m.placed <= m.visits == len(census.day(day.day)[0])
            assert m.p1_placed == m.p1_total, "every time-critical dose placed"
            assert len(day.attendances) >= m.placed  # one per clinician at each placed visit
            assert {a.day for a in day.attendances} == {census.date_of(day.day)}
        assert run.p1_placed == run.p1_total and run.violations == 0
        assert run.travel_per_visit == pytest.approx(run.travel_min / run.placed)
        c = run.continuity()
        assert c.patients == len({a.patient_id for a in run.history})
        assert 0 < c.top2_visits <= c.top3_visits <= 1


def test_a_day_is_judged_by_the_independent_checker_and_its_rota_read_back(tiny):
    census, _ = tiny
    plan, day = plan_caseload_day(census, 1, "fixed", [], day_options(census, 1, 1.0, 20))
    assert check(plan.problem, plan.rota).violations == ()
    assert list(day.attendances) == attendances(plan.rota, plan.problem.visits, census.date_of(1))
    assert day.metrics.violations == len(plan.report.violations) == 0


def test_learned_days_prefer_who_came_before(tiny):
    census, runs = tiny
    history = list(runs["learned"].days[0].attendances)
    visits, shifts = day_visits(census, 2, "learned", history)
    fixed, _ = day_visits(census, 2, "fixed")
    assert [v.visit_id for v in visits] == [v.visit_id for v in fixed]
    on = {s.clinician_id for s in shifts}
    saw = {(a.patient_id, a.clinician_id) for a in history}
    learned = 0
    for v, f in zip(visits, fixed, strict=True):
        if v.preferred_clinician is None:
            continue
        assert v.preferred_clinician in on
        assert (v.patient_id, v.preferred_clinician) in saw or (
            v.preferred_clinician == f.preferred_clinician
        )
        learned += (v.patient_id, v.preferred_clinician) in saw
    assert learned > len(visits) / 3
    with pytest.raises(ValueError, match="continuity model"):
        day_visits(census, 2, "random")  # type: ignore[arg-type]


class Rotating:
    """A hand-made caseload of one patient at (0, 0), one visit a day. Clinician X, 2 km
    away, works every day; day 1 she is alone, then each day a different nurse N2, N3…
    based at the patient's door. Without a preference the solver sends the nurse next door
    (0 minutes' drive against X's 12): four days, four clinicians. Learning who came, it
    keeps X (12 minutes a day, less than the 20-minute continuity charge)."""

    seed = 0

    def date_of(self, d: int) -> date:
        return DATE + timedelta(days=d - 1)

    def day(self, d: int) -> tuple[list[Visit], list[Shift]]:
        on = self.date_of(d)
        visits = [visit(f"V{d}", 0, 0, "09:00", "11:00", on=on, patient_id="P", skills={"IV"})]
        shifts = [shift("X", "08:00", "16:00", base=(2, 0), on=on)]
        if d > 1:
            shifts.append(shift(f"N{d}", "08:00", "16:00", base=(0, 0), on=on))
        return visits, shifts

    def travel_model(self) -> GridTravel:
        return GridTravel()


def test_learned_continuity_beats_the_fixed_model_where_it_must():
    caseload = Rotating()
    fixed = plan_days(caseload, range(1, 5), "fixed", time_limit_s=0.3)
    learned = plan_days(caseload, range(1, 5), "learned", time_limit_s=0.3)
    for run in (fixed, learned):
        assert run.violations == 0 and run.placed == run.visits == 4
    assert [a.clinician_id for a in fixed.history] == ["X", "N2", "N3", "N4"]
    assert [a.clinician_id for a in learned.history] == ["X", "X", "X", "X"]
    f, g = fixed.continuity(), learned.continuity()
    assert (f.top2_visits, f.top3_visits) == (0.5, 0.75)
    assert (g.top2_visits, g.top3_visits) == (1.0, 1.0)
    assert learned.travel_min > fixed.travel_min  # continuity bought with driving
    assert sum(d.preferred_kept for d in learned.days) == 3  # days 2-4 kept X
